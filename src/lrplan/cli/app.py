"""The ``lrplan`` app and its one error boundary: every user error, the option parser's
included, becomes one line on stderr and exit code 2; Ctrl-C one line and exit code 130,
SIGTERM exit code 143 (the file being written removed, as for Ctrl-C); a bug of lrplan's own
one ``internal error`` line and exit code 70, never ``check``'s 1.

The commands live in :mod:`lrplan.cli.commands`, one module each, and are registered by
:mod:`lrplan.cli.main`. Heavy modules (torch, matplotlib) are imported inside the commands
that need them, so ``lrplan --help`` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from lrplan._version import __version__
from lrplan.errors import LrplanError

# --- one line per error ---------------------------------------------------------------------


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code``."""
    from lrplan.errors import bounded
    from lrplan.output.console import make_console

    console = make_console(sys.stderr)
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    one_line = bounded(one_line)
    console.print(f"lrplan: error: {one_line}", style="bold red", soft_wrap=True, markup=False)
    sys.exit(code)


#: The exit code of a bug in lrplan (sysexits' EX_SOFTWARE): never 1, which ``check`` gives
#: a schedule that fails its checks, nor 2, a user's mistake.
CRASHED = 70
#: The exit code after SIGTERM (128 + 15), as a shell reports a process it terminated.
TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that every ``finally`` runs as for Ctrl-C:
    a file being written is removed, not left half-written or as a temporary file."""


def _terminate(number: int, frame: Any) -> None:
    raise Terminated


def _interrupted(error: BaseException) -> NoReturn:
    if isinstance(error, Terminated) or isinstance(error.__cause__, Terminated):
        fail("terminated (SIGTERM); no partial file was left behind", code=TERMINATED)
    fail("interrupted; no partial file was left behind", code=130)


def _crashed(error: Exception) -> NoReturn:
    """One line for a bug: what escaped and where in lrplan, and that it is lrplan's fault."""
    import os
    import traceback

    if os.environ.get("LRPLAN_DEBUG"):
        raise error
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if f"{os.sep}lrplan{os.sep}" in frame.filename
    ]
    where = ""
    if frames:
        last = frames[-1]
        where = f" in {last.filename.rsplit(os.sep + 'lrplan' + os.sep, 1)[-1]}:{last.lineno}"
    from lrplan.errors import first_line, shortened

    fail(
        f"internal error ({type(error).__name__}{where}: {shortened(first_line(error, ''), 120)});"
        " this is a bug in lrplan, not in what you gave it: please report it with the command"
        " (LRPLAN_DEBUG=1 shows the traceback)",
        code=CRASHED,
    )


class LrplanGroup(TyperGroup):
    """Turns every user error, the option parser's included, into one line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        import signal

        # SIGTERM does what Ctrl-C does, unless the caller handles it (or ignores it) itself.
        terminate = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        if terminate:
            try:
                signal.signal(signal.SIGTERM, _terminate)
            except ValueError:  # not the main thread: signals cannot be handled there
                terminate = False
        try:
            self._main(*args, **kwargs)
        finally:
            if terminate:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except LrplanError as error:
            from lrplan.inputs.naming import as_options

            fail(error.message(as_options))
        except BrokenPipeError:
            # The reader of stdout went away (``| head``): nothing to say, and no one to say it.
            from lrplan.output.console import stdout_closed

            stdout_closed()
        except OSError as error:
            # A path the user gave that the system refuses (too long a name, a folder where
            # a file is expected, no permission) where no command checked it first.
            fail(_os_problem(error))
        except typer.Abort as error:
            if isinstance(error.__cause__, Terminated):
                _interrupted(error)
            fail("interrupted; no file was written", code=130)
        except Terminated as error:
            _interrupted(error)
        except KeyboardInterrupt:
            fail("interrupted; no file was written", code=130)
        except typer.BadParameter as error:
            param = error.param
            name = param.opts[0] if param is not None and param.opts else error.param_hint
            context = error.ctx
            where = f" (see '{context.command_path} --help')" if context is not None else ""
            # typer's own conversions phrase some messages as pydantic does ("Value error, ...").
            message = error.message.removeprefix("Value error, ")
            if not message:  # a required option (or argument, by its metavar) that was not given
                if param is not None and param.param_type_name == "argument":
                    name = getattr(param, "metavar", None) or name
                fail(f"{name} is required{where}")
            fail(f"invalid {name}: {message}{where}")
        except typer.TyperException as error:
            # Click's usage errors: unknown option, a value that does not parse, a missing one.
            context = getattr(error, "ctx", None)
            where = f" (see '{context.command_path} --help')" if context is not None else ""
            fail(f"{error.format_message()}{where}")  # type: ignore[attr-defined]
        except Exception as error:
            _crashed(error)
        if result == 130:
            # typer's silent answer to Ctrl-C while the options are parsed; later, invoke().
            fail("interrupted; no partial file was left behind", code=130)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        # typer turns Ctrl-C into a silent exit 130; say what happened, in one line.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as error:
            _interrupted(error)
        except BrokenPipeError:
            # Before typer's own handler, whose exit code 1 is check's code for findings.
            from lrplan.output.console import stdout_closed

            stdout_closed()

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from lrplan.cli.helptext import render_help

        formatter.write(render_help(self, ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # Every command's help, added on any branch, is drawn by lrplan.cli.helptext too.
            command.format_help = _format_help.__get__(command)  # type: ignore[method-assign]
        return command


def _os_problem(error: OSError) -> str:
    """One line for an OSError on a user's path: the path and the system's reason."""
    reason = error.strerror or type(error).__name__
    path = error.filename
    if path is None:
        return f"{reason}; check the paths given"
    shown = str(path) if len(str(path)) <= 80 else f"{str(path)[:60]}...{str(path)[-17:]}"
    return f"cannot use {shown}: {reason}; give another path"


def _format_help(command: Any, ctx: Any, formatter: Any) -> None:
    """Click's ``format_help``, drawn without typer.rich_utils (see lrplan.cli.helptext)."""
    from lrplan.cli.helptext import render_help

    formatter.write(render_help(command, ctx))


app = typer.Typer(
    cls=LrplanGroup,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Plan, check and compare learning-rate schedules of PyTorch training runs.",
)


def _version(value: bool) -> None:
    if value:
        print(f"lrplan {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Plan, check and compare learning-rate schedules of PyTorch training runs.

    lrplan drives the real WarmupCosLR scheduler the way a training loop does, so what it
    shows is what training will do. Start with: lrplan show --lr 1e-3 --epochs 25
    """
    if context.invoked_subcommand is None:
        print(context.get_help())
        raise typer.Exit()
