"""The ``lrplan`` command: parse options, call the core, render. No learning rate is computed here.

Heavy modules (torch, matplotlib) are imported inside the commands that need them, so
``lrplan --help`` starts fast.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from lrplan._version import __version__
from lrplan.core.config import ScheduleConfig
from lrplan.core.registry import WARMUP_COS
from lrplan.errors import LrplanError, ParameterError
from lrplan.inputs.settings import build_config

if TYPE_CHECKING:
    from rich.console import Console

    from lrplan.analysis.compare import Comparison
    from lrplan.analysis.tuning import Remedy

# --- one line per error ---------------------------------------------------------------------


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code``."""
    from lrplan.output.console import make_console

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
        except ParameterError as error:
            from lrplan.inputs.settings import as_options

            fail(error.message(as_options))
        except LrplanError as error:
            fail(str(error))
        except typer.Abort:
            fail("interrupted; no file was written", code=130)
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
        from lrplan.cli.helptext import render_help

        formatter.write(render_help(self, ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # Every command's help, added on any branch, is drawn by lrplan.cli.helptext too.
            command.format_help = _format_help.__get__(command)  # type: ignore[method-assign]
        return command


def _format_help(command: Any, ctx: Any, formatter: Any) -> None:
    """Click's ``format_help``, drawn without typer.rich_utils (see lrplan.cli.helptext)."""
    from lrplan.cli.helptext import render_help

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


def parse_number(text: str) -> float:
    """An option's value as a float, or a usage error that says what a number looks like."""
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number; give e.g. 1e-3 or 0.0005") from None


def parse_whole(text: str) -> int:
    """An option's value as an int, or a usage error that says what is expected."""
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a whole number; give e.g. 25") from None


class IntervalChoice(str, enum.Enum):
    epoch = "epoch"
    step = "step"


SCHEDULE_PANEL = "Schedule"
OUTPUT_PANEL = "Output"

LrOption = Annotated[
    float | None,
    typer.Option(
        "--lr",
        parser=parse_number,
        help="Peak learning rate, reached when warm-up ends. [default: 1e-3]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
MinLrOption = Annotated[
    float | None,
    typer.Option(
        "--min-lr",
        parser=parse_number,
        help="Floor of the cosine, reached at --epochs. [default: 1e-5]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
WarmupOption = Annotated[
    int | None,
    typer.Option(
        "--warmup-epochs",
        parser=parse_whole,
        help="Length of the linear warm-up in epochs (0: pure cosine). [default: 3]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
EpochsOption = Annotated[
    int | None,
    typer.Option(
        "--epochs",
        parser=parse_whole,
        help="Total training epochs. [default: 25]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
IntervalOption = Annotated[
    IntervalChoice | None,
    typer.Option(
        "--interval",
        case_sensitive=False,
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
        parser=parse_whole,
        help="Optimizer steps in one epoch, with --interval step.",
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE.yaml",
        help="YAML training config with lr, min_lr, warmup_epochs, epochs, at its top level"
        " or in sections (see --config-key); other keys are ignored. Options given on the"
        " command line override it.",
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
ConfigKeyOption = Annotated[
    str | None,
    typer.Option(
        "--config-key",
        metavar="DOTTED.PATH",
        help="The section of --config that holds the schedule keys, e.g. lr_scheduler or"
        " model.optim; keys it lacks come from the top level. Without it lrplan reads the"
        " top level and every section named optim, optimizer, scheduler, lr_scheduler or"
        " training.",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override one value of --config before ${...} interpolations are resolved,"
        " as a Hydra override does: --set epochs=50, --set lr_scheduler.min_lr=1e-6."
        " Repeatable.",
        show_default=False,
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


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="NAME|MODULE:CLASS",
        help="The scheduler to plan: warmup_cos (WarmupCosLR, the default), a torch built-in"
        " by short name such as cosine, onecycle or step ('lrplan schedulers' lists them), or"
        " any LRScheduler subclass as package.module:ClassName (your own training code"
        " included; importing it runs its module).",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        metavar="KEY=VALUE",
        help="A constructor argument of --scheduler after the optimizer, read as a Python"
        " literal: --param step_size=10, --param 'milestones=[10, 20]'. Repeatable; it"
        " overrides what lrplan fills from --epochs, --lr and --min-lr.",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
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
    *,
    config_key: str | None = None,
    sets: list[str] | None = None,
    scheduler: str | None = None,
    params: list[str] | None = None,
) -> ScheduleConfig:
    """Defaults, then ``--config`` (its ``--config-key`` section, after ``--set``), then options."""
    return build_config(
        config,
        {
            **schedule_options(lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch),
            **scheduler_options(scheduler, params),
        },
        config_key=config_key,
        sets=sets or (),
    )


def scheduler_options(scheduler: str | None, params: list[str] | None) -> dict[str, Any]:
    """``--scheduler`` and ``--param`` checked and parsed, by setting; None: not given."""
    from lrplan.inputs.params import check_name, parse_params

    return {
        "scheduler": check_name(scheduler, "--scheduler") if scheduler is not None else None,
        "params": parse_params(params) if params else None,
    }


def schedule_options(
    lr: float | None,
    min_lr: float | None,
    warmup_epochs: int | None,
    epochs: int | None,
    interval: IntervalChoice | None,
    steps_per_epoch: int | None,
) -> dict[str, Any]:
    """The schedule options by config key; None: not given."""
    return {
        "lr": lr,
        "min_lr": min_lr,
        "warmup_epochs": warmup_epochs,
        "epochs": epochs,
        "interval": interval.value if interval is not None else None,
        "steps_per_epoch": steps_per_epoch,
    }


def require_warmup_cos(settings: ScheduleConfig, config: Path | None, why: str) -> None:
    """Refuse, in one line, a configuration whose file names a scheduler other than
    WarmupCosLR, for commands that only make sense for it; ``why`` says why."""
    if settings.scheduler != WARMUP_COS:
        source = f"--config {config}" if config is not None else "--set"
        raise LrplanError(f"{source}: names scheduler {settings.scheduler}, but {why}")


def check_outputs(
    csv_target: str | None, png: Path | None, json_out: bool, plot: bool = False
) -> None:
    """Refuse impossible output requests before any work is done."""
    import os

    from lrplan.output.export import STDOUT, check_output_path

    if json_out and csv_target == STDOUT:
        raise LrplanError("--json and --csv - both want stdout; write the CSV to a file")
    if plot and (json_out or csv_target == STDOUT):
        raise LrplanError(
            "--plot draws in the terminal, but --json or --csv - has stdout; drop one of them"
        )
    if (
        csv_target not in (None, STDOUT)
        and png is not None
        and os.path.realpath(csv_target) == os.path.realpath(png)
    ):
        raise LrplanError(f"--csv and --png both name {png}; give them different files")
    if csv_target is not None and csv_target != STDOUT:
        check_output_path("--csv", Path(csv_target))
    if png is not None:
        from lrplan.output.plot import PLOT_SUFFIXES

        check_output_path("--png", png, PLOT_SUFFIXES)


def wrote(path: Path | str) -> None:
    """Tell the user (on stderr, so stdout stays clean) that a file was written."""
    from lrplan.output.console import make_console

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
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    scheduler: SchedulerOption = None,
    params: ParamOption = None,
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
    from lrplan.output.export import STDOUT

    check_outputs(csv_target, png, json_out, plot)
    settings = schedule_config(
        config,
        lr,
        min_lr,
        warmup_epochs,
        epochs,
        interval,
        steps_per_epoch,
        config_key=config_key,
        sets=sets,
        scheduler=scheduler,
        params=params,
    )
    prints_table = csv_target != STDOUT and not json_out
    if show_all and prints_table and settings.rows > _all_rows_limit():
        raise LrplanError(
            f"--all shows at most {_all_rows_limit():,} rows in the terminal and this schedule"
            f" has {settings.rows:,}; use --csv PATH (or --csv -) for every row"
        )

    from lrplan.analysis.insights import insights
    from lrplan.analysis.summary import summarize
    from lrplan.core.planner import plan
    from lrplan.output.progress import progress_bar

    with progress_bar("planning", settings.rows) as progress:
        schedule = plan(settings, progress=progress)
    summary = summarize(schedule)
    found = insights(schedule, summary)

    if csv_target is not None:
        from lrplan.output.export import schedule_csv, write_text

        with progress_bar(f"writing {csv_target}", settings.rows) as progress:
            write_text("--csv", csv_target, schedule_csv(schedule, progress))
        if csv_target != STDOUT:
            wrote(csv_target)
    if png is not None:
        from lrplan.output.plot import save_plot

        save_plot(png, [(settings.name, schedule)], summaries=[summary])
        wrote(png)
    if json_out:
        from lrplan.output.export import schedule_json, write_text

        with progress_bar("writing JSON", settings.rows) as progress:
            write_text("--json", STDOUT, schedule_json(schedule, summary, found, progress))
        return
    if csv_target == STDOUT:
        return

    from lrplan.output.render import (
        chart,
        heading,
        insight_lines,
        make_console,
        schedule_table,
        summary_grid,
    )

    console = make_console()
    source = f" (from {config})" if config is not None else ""
    console.print(heading(settings, source))
    console.print(schedule_table(schedule, summary, show_all=show_all, width=console.width))
    if plot:
        console.print(chart(schedule, width=console.width))
    console.print(summary_grid(schedule, summary))
    console.print()
    console.print(insight_lines(found))


def _all_rows_limit() -> int:
    from lrplan.output.render import ALL_ROWS_LIMIT

    return ALL_ROWS_LIMIT


@app.command()
def resume(
    at: Annotated[
        int,
        typer.Option(
            "--at",
            metavar="K",
            parser=parse_whole,
            help="The epoch training resumes at, after a stop at the end of epoch K-1"
            " (1 to epochs-1).",
            show_default=False,
        ),
    ],
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    scheduler: SchedulerOption = None,
    params: ParamOption = None,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Resume a run at epoch K the right way and the wrong ways, with the real scheduler.

    Interrupts the run after epoch K-1, saves the optimizer and the scheduler with torch.save,
    and resumes: (1) loading both state dicts, (2) a fresh scheduler with last_epoch=K-1,
    (3) a fresh scheduler without state, (4) the optimizer's state loaded before the
    scheduler is built. Shows where each departs from the uninterrupted run, and the code
    that saves and resumes correctly.

    Example: lrplan resume --at 10 --lr 1e-3 --warmup-epochs 3 --epochs 25 --png resume.png
    """
    from lrplan.output.export import STDOUT

    check_outputs(None, png, json_out)
    settings = schedule_config(
        config,
        lr,
        min_lr,
        warmup_epochs,
        epochs,
        interval,
        steps_per_epoch,
        config_key=config_key,
        sets=sets,
        scheduler=scheduler,
        params=params,
    )
    from lrplan.analysis.resume import check_resume_epoch, simulate_resume

    check_resume_epoch(settings, at)
    report = simulate_resume(settings, at)

    if png is not None:
        from lrplan.output.plot_resume import save_resume_plot

        save_resume_plot(png, report)
        wrote(png)
    if json_out:
        from lrplan.output.export import SCHEMA_VERSION, json_writer, write_text

        document = {
            "schema_version": SCHEMA_VERSION,
            "lrplan_version": __version__,
            "scheduler": settings.class_name,
            "config": settings.to_dict(),
            **report.to_dict(),
        }
        write_text("--json", STDOUT, json_writer(document))
        return

    from lrplan.output.console import make_console
    from lrplan.output.render_resume import print_resume

    print_resume(make_console(), report)


@app.command()
def check(
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    scheduler: SchedulerOption = None,
    params: ParamOption = None,
    optimizer: Annotated[
        str | None,
        typer.Option(
            "--optimizer",
            metavar="NAME",
            help="The optimizer (adamw, sgd, ...), to check the peak lr against its usual"
            " range. [default: the one the config names]",
            show_default=False,
            rich_help_panel=SCHEDULE_PANEL,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Check a schedule (or a training config) for mistakes; exit code 1 on a warning or error.

    Prints every finding with its level (error, warning, note) and a fix. Exit code 0 when
    nothing is a warning or an error, 1 when something is, 2 for invalid input: a guard for
    a training config in CI.

    Example: lrplan check --config examples/train_pluto.yaml
    """
    from lrplan.inputs.settings import load_settings

    given = {
        **schedule_options(lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch),
        **scheduler_options(scheduler, params),
    }
    settings, found = load_settings(config, given, config_key=config_key, sets=sets or ())

    from lrplan.analysis.check import run_check

    report = run_check(
        settings,
        found,
        given=given,
        config_file=str(config) if config is not None else None,
        optimizer=optimizer,
    )
    if json_out:
        from lrplan.output.export import SCHEMA_VERSION, STDOUT, json_writer, write_text

        document = {
            "schema_version": SCHEMA_VERSION,
            "lrplan_version": __version__,
            "scheduler": settings.class_name,
            "config": settings.to_dict(),
            **report.to_dict(),
        }
        write_text("--json", STDOUT, json_writer(document))
    else:
        from lrplan.output.console import make_console
        from lrplan.output.render_check import check_view

        make_console().print(check_view(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


# --- lrplan compare and lrplan tune: one output path -----------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _reflowed(command: F) -> F:
    """Join the lines of each paragraph of ``command``'s docstring.

    Typer keeps single line breaks after the first paragraph, so a docstring wrapped at 100
    columns shows ragged in a terminal of any other width; rich wraps one-line paragraphs.
    """
    import inspect

    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    command.__doc__ = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    return command


ShowAllOption = Annotated[
    bool, typer.Option("--all", help="Show every row, not only the head and tail.")
]


def _check_all_rows(show_all: bool, configs: list[ScheduleConfig], exported: bool) -> None:
    """``--all`` in a terminal is refused for tables too long to read there, as in show."""
    longest = max(config.rows for config in configs)
    if show_all and longest > _all_rows_limit() and not exported:
        raise LrplanError(
            f"--all shows at most {_all_rows_limit():,} rows in the terminal and this"
            f" comparison has {longest:,}; use --csv PATH (or --csv -) for every row"
        )


def _output_comparison(
    configs: list[ScheduleConfig],
    *,
    command: str,
    heading: str,
    show_all: bool,
    csv_target: str | None,
    png: Path | None,
    json_out: bool,
    remedy: Remedy | None = None,
    comparison: Comparison | None = None,
    extra: dict[str, Any] | None = None,
    preamble: Callable[[Console], None] | None = None,
    tables: bool = True,
) -> None:
    """Plan, line up and output schedules: the tables, --csv, --png and --json of compare
    and tune. ``remedy`` (tune) adds the change and its reason before the tables.

    ``comparison`` is ``configs`` already lined up; ``extra`` goes into the JSON document;
    ``preamble`` prints before the terminal output, and ``tables=False`` leaves the tables
    out (equivalent without --compare)."""
    from lrplan.analysis.compare import check_candidates
    from lrplan.analysis.compare import compare as line_up
    from lrplan.output.export import STDOUT

    check_candidates(configs)
    _check_all_rows(show_all, configs, csv_target is not None or json_out)
    comparison = comparison or line_up(configs)
    if csv_target is not None:
        from lrplan.output.export import comparison_csv, write_text

        write_text("--csv", csv_target, comparison_csv(comparison))
        if csv_target != STDOUT:
            wrote(csv_target)
    if png is not None:
        from lrplan.output.plot import save_plot

        curves = [(candidate.label, candidate.schedule) for candidate in comparison.candidates]
        summaries = [candidate.summary for candidate in comparison.candidates]
        save_plot(png, curves, title=heading, summaries=summaries)
        wrote(png)
    if json_out:
        from lrplan.output.export import comparison_document, json_writer, write_text

        extra = {**({"tune": remedy.to_dict()} if remedy is not None else {}), **(extra or {})}
        document = comparison_document(comparison, command, **extra)
        write_text("--json", STDOUT, json_writer(document))
        return
    if csv_target == STDOUT:
        return

    from lrplan.output.render import (
        candidates_grid,
        comparison_insights,
        comparison_table,
        make_console,
        metrics_table,
        remedy_grid,
    )

    console = make_console()
    unit = comparison.unit
    if preamble is not None:
        preamble(console)
    if not tables:
        return
    console.print(f"{heading}  (stepped per {unit})", style="bold", soft_wrap=True)
    if remedy is not None:
        console.print(remedy_grid(remedy))
        console.print()
    console.print(candidates_grid(comparison))
    console.print(comparison_table(comparison, show_all=show_all, width=console.width))
    console.print(metrics_table(comparison, width=console.width))
    console.print()
    console.print(comparison_insights(comparison))


@app.command()
@_reflowed
def compare(
    specs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SPEC",
            help="A schedule: a YAML config (the keys of show --config), or key=value"
            " settings over the defaults, e.g. lr=5e-4,warmup_epochs=5,label=gentle"
            " (keys: lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch, label,"
            " scheduler, and param.NAME for a constructor argument as --param passes it:"
            " scheduler=step,param.step_size=10); a YAML path may be followed by settings:"
            " train.yaml,lr=5e-4.",
            show_default=False,
        ),
    ] = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    show_all: ShowAllOption = False,
    csv_target: CsvOption = None,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Compare two or more schedules side by side: the rate of every epoch, key metrics, insights.

    --interval and --steps-per-epoch apply to every SPEC; a SPEC's own settings win over
    them. Schedules are aligned on the epoch (on the step when all are stepped per step
    with the same --steps-per-epoch; mixing is refused); one that ends early is left blank.

    Example: lrplan compare lr=1e-3 lr=5e-4,warmup_epochs=5,label=gentle --png compare.png
    """
    from lrplan.inputs.spec import spec_config

    given = specs or []
    if len(given) < 2:
        raise LrplanError(
            f"compare needs two or more SPECs, got {len(given)}; give YAML configs or"
            " key=value settings, e.g. lrplan compare lr=1e-3 lr=5e-4,warmup_epochs=5"
        )
    check_outputs(csv_target, png, json_out)
    shared = {
        "interval": interval.value if interval is not None else None,
        "steps_per_epoch": steps_per_epoch,
    }
    configs = [spec_config(spec, position, shared) for position, spec in enumerate(given, 1)]
    classes = {config.class_name for config in configs}
    kind = f"{classes.pop()} " if len(classes) == 1 else ""
    _output_comparison(
        configs,
        command="compare",
        heading=f"Comparing {len(configs)} {kind}schedules",
        show_all=show_all,
        csv_target=csv_target,
        png=png,
        json_out=json_out,
    )


@app.command()
@_reflowed
def tune(
    symptom: Annotated[
        str | None,
        typer.Argument(
            metavar="SYMPTOM",
            help="diverging, slow or plateau; leave it out to list them.",
            show_default=False,
        ),
    ] = None,
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    show_all: ShowAllOption = False,
    csv_target: CsvOption = None,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Apply the tuning guide's remedy for a SYMPTOM and compare base and tuned side by side.

    The base schedule comes from the options (or --config), as in show. The guide's rules,
    lengths in epochs, learning rates rounded to 12 significant digits:

    diverging: lr × 0.5; warmup_epochs × 5/3, rounded, at least 2 (3 → 5, 1e-3 → 5e-4).

    slow: lr × 10; warmup_epochs × 2/5, rounded, 1 becoming 2; min_lr kept (5 → 2, 1e-4 → 1e-3).

    plateau: epochs × 2; min_lr × 0.1 (25 → 50, 1e-5 → 1e-6).

    A warm-up that would not be shorter than training is cut to epochs - 1, and min_lr is
    halved with lr if it would exceed the new peak; the output says so.

    Example: lrplan tune diverging --lr 1e-3 --warmup-epochs 3 --epochs 25
    """
    from lrplan.analysis.tuning import SYMPTOMS, find_symptom, remedy

    if symptom is None:
        given = (
            *(lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch),
            *(config, config_key, sets, csv_target),
        )
        if any(value is not None for value in given) or png is not None or show_all or json_out:
            raise LrplanError(
                f"tune needs a SYMPTOM: one of {', '.join(SYMPTOMS)}"
                " ('lrplan tune' alone lists them)"
            )
        from lrplan.output.render import make_console, symptoms_grid

        console = make_console()
        console.print("lrplan tune SYMPTOM: the tuning guide's remedies", style="bold")
        console.print(symptoms_grid(SYMPTOMS.values()))
        return
    find_symptom(symptom)  # an unknown one is refused before anything else
    check_outputs(csv_target, png, json_out)
    base = schedule_config(
        config,
        lr,
        min_lr,
        warmup_epochs,
        epochs,
        interval,
        steps_per_epoch,
        config_key=config_key,
        sets=sets,
    )
    require_warmup_cos(
        base,
        config,
        "the tuning guide is WarmupCosLR's; compare it with alternatives in lrplan compare",
    )
    found = remedy(symptom, base)
    _output_comparison(
        [found.base.replace(label="base"), found.tuned.replace(label="tuned")],
        command="tune",
        heading=f"lrplan tune {symptom}: base and tuned",
        show_all=show_all,
        csv_target=csv_target,
        png=png,
        json_out=json_out,
        remedy=found,
    )


@app.command()
@_reflowed
def schedulers(json_out: JsonOption = False) -> None:
    """List the schedulers --scheduler NAME plans, their required --param arguments, and
    what lrplan fills from the options.

    Any other LRScheduler subclass is planned by its import path: --scheduler
    package.module:ClassName, with its constructor arguments as --param KEY=VALUE. In a
    compare SPEC: scheduler=NAME and param.KEY=VALUE.

    Example: lrplan schedulers
    """
    from lrplan.core.schedulers import listing

    rows = listing()
    if json_out:
        from lrplan.output.export import SCHEMA_VERSION, STDOUT, json_writer, write_text

        document = {"schema_version": SCHEMA_VERSION, "schedulers": rows}
        write_text("--json", STDOUT, json_writer(document))
        return
    from lrplan.output.render import make_console, schedulers_grid

    console = make_console()
    console.print("lrplan schedulers: what --scheduler NAME plans", style="bold")
    console.print(schedulers_grid(rows))


@app.command()
@_reflowed
def equivalent(
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare", help="Show both side by side with compare's tables and insights."
        ),
    ] = False,
    show_all: ShowAllOption = False,
    csv_target: CsvOption = None,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Print torch's built-in schedulers composed to a WarmupCosLR configuration, run both,
    and report their largest difference.

    The composition is SequentialLR(LinearLR, CosineAnnealingLR), or CosineAnnealingLR alone
    with --warmup-epochs 0; the printed code is the code lrplan runs. Also says how Hugging
    Face's and timm's warm-up + cosine schedulers differ in shape. --csv and --png write
    both schedules, --json one document with the code and the difference.

    Example: lrplan equivalent --lr 1e-3 --warmup-epochs 3 --epochs 25 --compare
    """
    from lrplan.analysis.equivalent import equivalence, torch_config

    if show_all and not compare:
        raise LrplanError("--all shows every row of --compare's tables; add --compare")
    check_outputs(csv_target, png, json_out)
    settings = schedule_config(
        config,
        lr,
        min_lr,
        warmup_epochs,
        epochs,
        interval,
        steps_per_epoch,
        config_key=config_key,
        sets=sets,
    )
    require_warmup_cos(
        settings,
        config,
        "lrplan equivalent composes WarmupCosLR (scheduler warmup_cos) from torch's built-ins",
    )
    configs = [
        settings.replace(label="WarmupCosLR"),
        torch_config(settings).replace(label="SequentialLR"),
    ]
    from lrplan.analysis.compare import compare as line_up

    comparison = line_up(configs)
    found = equivalence(
        settings, comparison.candidates[0].schedule, comparison.candidates[1].schedule
    )

    def preamble(console: Console) -> None:
        from lrplan.output.render import print_equivalence

        print_equivalence(console, found)
        if compare:
            console.print()

    _output_comparison(
        configs,
        command="equivalent",
        heading="WarmupCosLR and torch's composition",
        show_all=show_all,
        csv_target=csv_target,
        png=png,
        json_out=json_out,
        comparison=comparison,
        extra={"equivalent": found.to_dict()},
        preamble=preamble,
        tables=compare,
    )


@app.command()
@_reflowed
def diagnose(
    log: Annotated[
        Path,
        typer.Argument(
            metavar="LOG.csv",
            help="The metrics.csv of a run (PyTorch Lightning's CSVLogger writes one; a folder"
            " holding metrics.csv will do), or any CSV with an epoch or step column and a loss"
            " column.",
            show_default=False,
        ),
    ],
    loss_column: Annotated[
        str | None,
        typer.Option(
            "--loss-column",
            metavar="NAME",
            help="The column of the loss. Default: guessed, the training loss per epoch"
            " first (train_loss_epoch, train_loss, loss, train_loss_step, then val_loss).",
            show_default=False,
            rich_help_panel="Log",
        ),
    ] = None,
    lr_column: Annotated[
        str | None,
        typer.Option(
            "--lr-column",
            metavar="NAME",
            help="The column of the logged learning rate. Default: guessed (lr-AdamW, lr,"
            " learning_rate, ...).",
            show_default=False,
            rich_help_panel="Log",
        ),
    ] = None,
    lr: LrOption = None,
    min_lr: MinLrOption = None,
    warmup_epochs: WarmupOption = None,
    epochs: EpochsOption = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    config: ConfigOption = None,
    config_key: ConfigKeyOption = None,
    sets: SetOption = None,
    show_all: ShowAllOption = False,
    png: PngOption = None,
    json_out: JsonOption = False,
) -> None:
    """Read a training log, name its symptom with the evidence, and check its learning rate.

    Names one of diverging, slow, plateau or healthy from the loss, checks the logged
    learning rate against the plan (the options or --config, as in show) and names the
    likely cause where they part, and for a symptom shows lrplan tune's tuned schedule
    beside the plan. The rules are in the README (lrplan diagnose).

    Example: lrplan diagnose examples/logs/plateau.csv --config examples/logs/plateau.yaml
    """
    check_outputs(None, png, json_out)
    given = schedule_options(lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch)
    settings = schedule_config(
        config,
        lr,
        min_lr,
        warmup_epochs,
        epochs,
        interval,
        steps_per_epoch,
        config_key=config_key,
        sets=sets,
    )
    require_warmup_cos(
        settings,
        config,
        "diagnose checks logs against WarmupCosLR plans and tunes them with its guide",
    )
    from lrplan.inputs.logs import read_log

    training_log = read_log(log, loss_column=loss_column, lr_column=lr_column)

    from lrplan.analysis.diagnose import diagnose as read_diagnosis

    found = read_diagnosis(training_log, settings)
    configs = None
    if found.remedy is not None:
        configs = [
            found.remedy.base.replace(label="current"),
            found.remedy.tuned.replace(label="tuned"),
        ]
        _check_all_rows(show_all, configs, json_out)
    heading = f"lrplan tune {found.symptom}: the plan and the guide's remedy"

    if png is not None:
        from lrplan.output.plot_diagnose import save_diagnosis_plot

        save_diagnosis_plot(png, found)
        wrote(png)
    if json_out:
        from lrplan.output.export import SCHEMA_VERSION, STDOUT, json_writer, write_text

        tune_document = None
        if configs is not None and found.remedy is not None:
            from lrplan.analysis.compare import compare as line_up
            from lrplan.output.export import comparison_document

            tune_document = comparison_document(
                line_up(configs), "tune", tune=found.remedy.to_dict()
            )
        document = {
            "schema_version": SCHEMA_VERSION,
            "lrplan_version": __version__,
            "command": "diagnose",
            "scheduler": "WarmupCosLR",
            "config": settings.to_dict(),
            **found.to_dict(),
            "tune": tune_document,
        }
        write_text("--json", STDOUT, json_writer(document))
        return

    from lrplan.output.console import make_console
    from lrplan.output.render_diagnose import diagnosis_view

    console = make_console()
    console.print(diagnosis_view(found, _plan_source(config, sets, given), show_all))
    console.print()
    if configs is None or found.remedy is None:
        console.print(
            "healthy: nothing to tune (lrplan tune is for diverging, slow and plateau).",
            style="green",
            soft_wrap=True,
        )
        return
    if found.lr_check is not None and found.lr_check.departure is not None:
        console.print(
            "The run did not train with the planned rate: fix that first. The remedy below"
            " tunes the plan, as if the run had followed it.",
            style="yellow",
        )
        console.print()
    _output_comparison(
        configs,
        command="tune",
        heading=heading,
        show_all=show_all,
        csv_target=None,
        png=None,
        json_out=False,
        remedy=found.remedy,
    )


def _plan_source(config: Path | None, sets: list[str] | None, given: dict[str, Any]) -> str:
    """Where the plan of ``diagnose`` came from, in a few words."""
    parts = []
    if config is not None:
        parts.append(f"from --config {config}")
    if sets:
        parts.append("--set")
    if any(value is not None for value in given.values()):
        parts.append("the options")
    if not parts:
        return "lrplan's defaults: give --config or --lr, --epochs, ... for the run's plan"
    return " and ".join(parts) if config is not None else "from " + " and ".join(parts)


def main() -> None:
    """Entry point of the ``lrplan`` console script."""
    from lrplan.optim import _imports

    _imports.freeze_after_import = True  # a short-lived process: see lrplan.optim._imports
    app()
