"""The ``lrplan`` command: parse options, call the core, render. No learning rate is computed here.

Heavy modules (torch, matplotlib) are imported inside the commands that need them, so
``lrplan --help`` starts fast.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from lrplan import __version__
from lrplan.config import ScheduleConfig, build_config
from lrplan.errors import LrplanError

# --- one line per error ---------------------------------------------------------------------


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code``."""
    from lrplan.render import make_console

    console = make_console(sys.stderr)
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    console.print(f"lrplan: error: {one_line}", style="bold red", soft_wrap=True, markup=False)
    sys.exit(code)


class LrplanGroup(TyperGroup):
    """Turns every user error, the option parser's included, into one line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except LrplanError as error:
            fail(str(error))
        except typer.Abort:
            fail("interrupted; no file was written", code=130)
        except KeyboardInterrupt:
            fail("interrupted; no file was written", code=130)
        except typer.TyperException as error:
            # Click's usage errors: unknown option, a value that does not parse, a missing one.
            context = getattr(error, "ctx", None)
            where = f" (see '{context.command_path} --help')" if context is not None else ""
            fail(f"{error.format_message()}{where}")  # type: ignore[attr-defined]
        if result == 130:
            # typer's silent answer to Ctrl-C while the options are parsed; later, invoke().
            fail("interrupted; no partial file was left behind", code=130)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        # typer turns Ctrl-C into a silent exit 130; say what happened, in one line.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            fail("interrupted; no partial file was left behind", code=130)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from lrplan.helptext import render_help

        formatter.write(render_help(self, ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # Every command's help, added on any branch, is drawn by lrplan.helptext too.
            command.format_help = _format_help.__get__(command)  # type: ignore[method-assign]
        return command


def _format_help(command: Any, ctx: Any, formatter: Any) -> None:
    """Click's ``format_help``, drawn without typer.rich_utils (see lrplan.helptext)."""
    from lrplan.helptext import render_help

    formatter.write(render_help(command, ctx))


app = typer.Typer(
    cls=LrplanGroup,
    add_completion=False,
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


# --- options shared by the commands that take a schedule -----------------------------------


class IntervalChoice(str, enum.Enum):
    epoch = "epoch"
    step = "step"


SCHEDULE_PANEL = "Schedule"
OUTPUT_PANEL = "Output"

LrOption = Annotated[
    float | None,
    typer.Option(
        "--lr",
        help="Peak learning rate, reached when warm-up ends. [default: 1e-3]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
MinLrOption = Annotated[
    float | None,
    typer.Option(
        "--min-lr",
        help="Floor of the cosine, reached at --epochs. [default: 1e-5]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
WarmupOption = Annotated[
    int | None,
    typer.Option(
        "--warmup-epochs",
        help="Length of the linear warm-up in epochs (0: pure cosine). [default: 3]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
EpochsOption = Annotated[
    int | None,
    typer.Option(
        "--epochs",
        help="Total training epochs. [default: 25]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
IntervalOption = Annotated[
    IntervalChoice | None,
    typer.Option(
        "--interval",
        help="When the scheduler steps: once per epoch, or once per optimizer step"
        ' (Lightning\'s "interval": "step"; needs --steps-per-epoch). [default: epoch]',
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
StepsPerEpochOption = Annotated[
    int | None,
    typer.Option(
        "--steps-per-epoch",
        help="Optimizer steps in one epoch, with --interval step.",
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE.yaml",
        help="YAML training config with lr, min_lr, warmup_epochs, epochs (other keys are"
        " ignored); options given on the command line override it.",
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
CsvOption = Annotated[
    str | None,
    typer.Option(
        "--csv",
        metavar="PATH",
        help="Write every row as CSV, full precision ('-': stdout, the CSV alone).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
PngOption = Annotated[
    Path | None,
    typer.Option(
        "--png",
        metavar="PATH",
        help="Save a plot; .png, .svg or .pdf by the suffix.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document (schema-versioned) alone on stdout.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]


def schedule_config(
    config: Path | None,
    lr: float | None,
    min_lr: float | None,
    warmup_epochs: int | None,
    epochs: int | None,
    interval: IntervalChoice | None,
    steps_per_epoch: int | None,
) -> ScheduleConfig:
    """Defaults, then ``--config``, then the options the user gave."""
    return build_config(
        config,
        {
            "lr": lr,
            "min_lr": min_lr,
            "warmup_epochs": warmup_epochs,
            "epochs": epochs,
            "interval": interval.value if interval is not None else None,
            "steps_per_epoch": steps_per_epoch,
        },
    )


def check_outputs(csv_target: str | None, png: Path | None, json_out: bool) -> None:
    """Refuse impossible output requests before any work is done."""
    from lrplan.export import STDOUT, check_output_path

    if json_out and csv_target == STDOUT:
        raise LrplanError("--json and --csv - both want stdout; write the CSV to a file")
    if csv_target is not None and csv_target != STDOUT:
        check_output_path("--csv", Path(csv_target))
    if png is not None:
        from lrplan.plot import PLOT_SUFFIXES

        check_output_path("--png", png, PLOT_SUFFIXES)


def wrote(path: Path | str) -> None:
    """Tell the user (on stderr, so stdout stays clean) that a file was written."""
    from lrplan.render import make_console

    make_console(sys.stderr).print(f"wrote {path}", style="dim", soft_wrap=True, markup=False)


# --- commands -------------------------------------------------------------------------------


@app.command()
def show(
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every row, not only the head and tail.")
    ] = False,
    plot: Annotated[bool, typer.Option("--plot", help="Draw the curve in the terminal.")] = False,
    csv_target: CsvOption = None,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show the learning rate of every epoch (or step), a summary, and what to watch out for.

    Example: lrplan show --lr 1e-3 --min-lr 1e-5 --warmup-epochs 3 --epochs 25 --png lr.png
    """
    from lrplan.export import STDOUT

    check_outputs(csv_target, png, json_out)
    settings = schedule_config(config, lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch)
    if show_all and settings.rows > _all_rows_limit() and csv_target is None and not json_out:
        raise LrplanError(
            f"--all shows at most {_all_rows_limit():,} rows in the terminal and this schedule"
            f" has {settings.rows:,}; use --csv PATH (or --csv -) for every row"
        )

    from lrplan.insights import insights, summarize
    from lrplan.planner import plan
    from lrplan.progress import progress_bar

    with progress_bar("planning", settings.rows) as progress:
        schedule = plan(settings, progress=progress)
    summary = summarize(schedule)
    found = insights(schedule, summary)

    if csv_target is not None:
        from lrplan.export import schedule_csv, write_text

        with progress_bar(f"writing {csv_target}", settings.rows) as progress:
            write_text("--csv", csv_target, schedule_csv(schedule, progress))
        if csv_target != STDOUT:
            wrote(csv_target)
    if png is not None:
        from lrplan.plot import save_plot

        save_plot(png, [(settings.name, schedule)])
        wrote(png)
    if json_out:
        from lrplan.export import schedule_json, write_text

        with progress_bar("writing JSON", settings.rows) as progress:
            write_text("--json", STDOUT, schedule_json(schedule, summary, found, progress))
        return
    if csv_target == STDOUT:
        return

    from lrplan.render import chart, insight_lines, make_console, schedule_table, summary_grid

    console = make_console()
    console.print(f"WarmupCosLR  {settings.name}  (stepped per {settings.unit})", style="bold")
    console.print(schedule_table(schedule, summary, show_all=show_all))
    if plot:
        console.print(chart(schedule, width=console.width))
    console.print(summary_grid(schedule, summary))
    console.print()
    console.print(insight_lines(found))


def _all_rows_limit() -> int:
    from lrplan.render import ALL_ROWS_LIMIT

    return ALL_ROWS_LIMIT


def main() -> None:
    """Entry point of the ``lrplan`` console script."""
    from lrplan import _imports

    _imports.freeze_after_import = True  # a short-lived process: see lrplan._imports
    app()
