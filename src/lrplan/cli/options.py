"""The options several commands share, declared once, and the bundles commands receive them in.

:func:`with_schedule` gives a command the schedule options (``--lr`` ... ``--param``) as one
:class:`ScheduleOptions`; :func:`with_outputs` gives it ``--all``, ``--plot``, ``--csv``,
``--png`` and ``--json`` as one :class:`~lrplan.output.emit.Outputs`. Typer reads the options
from the command's signature, which the decorators extend, as sqlite-utils' ``output_options``
does for click.
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from lrplan.errors import LrplanError

if TYPE_CHECKING:
    from lrplan.core.config import ScheduleConfig
    from lrplan.inputs.settings import Settings
    from lrplan.inputs.training_config import ConfigValues

F = TypeVar("F", bound=Callable[..., Any])


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
        help="YAML (or JSON) training config: the scheduler it names (Lightning CLI"
        " class_path, Hydra _target_, torchtune _component_, a name with kwargs) with its"
        " arguments, the optimizer's lr and the trainer's length; or WarmupCosLR's lr, min_lr,"
        " warmup_epochs, epochs. Options given on the command line override it.",
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
        " any LRScheduler subclass or function that returns one as package.module:Name"
        " (your own training code included; importing it runs its module).",
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


AllowImportOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-import",
        metavar="MODULE",
        help="Let lrplan import MODULE when --config names a scheduler in it (importing runs"
        " its code). torch, transformers, timm, torchtune, lightning and deepspeed need no"
        " permission. Repeatable.",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
DatasetSizeOption = Annotated[
    int | None,
    typer.Option(
        "--dataset-size",
        parser=parse_whole,
        help="Training samples in one epoch: with the batch size, --accumulate and --devices"
        " (or the config's), lrplan counts the optimizer steps of an epoch, as Lightning"
        " (or torchtune's recipes) do.",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
BatchSizeOption = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        parser=parse_whole,
        help="Batch size on one device, with --dataset-size. [default: the config's]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
AccumulateOption = Annotated[
    int | None,
    typer.Option(
        "--accumulate",
        parser=parse_whole,
        help="Batches per optimizer step (gradient accumulation), with --dataset-size."
        " [default: the config's, else 1]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
DevicesOption = Annotated[
    int | None,
    typer.Option(
        "--devices",
        parser=parse_whole,
        help="Devices the data is split over, with --dataset-size. [default: the config's, else 1]",
        show_default=False,
        rich_help_panel=SCHEDULE_PANEL,
    ),
]
ShowAllOption = Annotated[
    bool, typer.Option("--all", help="Show every row, not only the head and tail.")
]
PlotOption = Annotated[bool, typer.Option("--plot", help="Draw the curve in the terminal.")]


# --- the bundles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleOptions:
    """The schedule options as given on the command line; None: not given."""

    lr: float | None = None
    min_lr: float | None = None
    warmup_epochs: int | None = None
    epochs: int | None = None
    interval: IntervalChoice | None = None
    steps_per_epoch: int | None = None
    config: Path | None = None
    config_key: str | None = None
    sets: list[str] | None = None
    scheduler: str | None = None
    params: list[str] | None = None
    allow_import: list[str] | None = None
    dataset_size: int | None = None
    batch_size: int | None = None
    accumulate: int | None = None
    devices: int | None = None

    def given(self) -> dict[str, Any]:
        """The settings the options give, by config key (None: not given), ``--scheduler``
        and ``--param`` checked and parsed."""
        from lrplan.inputs.params import check_name, parse_params

        return {
            "lr": self.lr,
            "min_lr": self.min_lr,
            "warmup_epochs": self.warmup_epochs,
            "epochs": self.epochs,
            "interval": self.interval.value if self.interval is not None else None,
            "steps_per_epoch": self.steps_per_epoch,
            "scheduler": (
                check_name(self.scheduler, "--scheduler") if self.scheduler is not None else None
            ),
            "params": parse_params(self.params) if self.params else None,
        }

    def load(self) -> tuple[ScheduleConfig, ConfigValues | None]:
        """Defaults, then ``--config`` (its ``--config-key`` section, after ``--set``), then
        the options; and what was read from the file."""
        settings = self.resolve()
        return settings.config, settings.found

    def resolve(self) -> Settings:
        """:meth:`load`, with where each value came from."""
        from lrplan.inputs.run import RunOptions
        from lrplan.inputs.settings import resolve_settings

        for name, value in (
            ("--dataset-size", self.dataset_size),
            ("--batch-size", self.batch_size),
            ("--accumulate", self.accumulate),
            ("--devices", self.devices),
        ):
            if value is not None and value < 1:
                raise LrplanError(f"invalid {name}: {value} is not 1 or more; give e.g. 8")
        return resolve_settings(
            self.config,
            self.given(),
            config_key=self.config_key,
            sets=self.sets or (),
            allow_import=tuple(self.allow_import or ()),
            run=RunOptions(self.dataset_size, self.batch_size, self.accumulate, self.devices),
        )

    def settings(self) -> ScheduleConfig:
        """The schedule to plan: :meth:`load` without what was read."""
        return self.load()[0]

    def warmup_cos_only(self, settings: ScheduleConfig, why: str) -> None:
        """Refuse, in one line, a configuration whose file names a scheduler other than
        WarmupCosLR, for commands that only make sense for it; ``why`` says why."""
        from lrplan.core.registry import WARMUP_COS

        if settings.scheduler != WARMUP_COS:
            source = f"--config {self.config}" if self.config is not None else "--set"
            raise LrplanError(f"{source}: names scheduler {settings.scheduler}, but {why}")

    def any_given(self) -> bool:
        """Whether any schedule option, ``--config`` or ``--set`` was given."""
        return any(value is not None for value in vars(self).values())

    def source(self) -> str:
        """Where the settings came from, in a few words, for a heading."""
        parts = []
        if self.config is not None:
            parts.append(f"from --config {self.config}")
        if self.sets:
            parts.append("--set")
        if any(value is not None for value in self.given().values()):
            parts.append("the options")
        if not parts:
            return "lrplan's defaults: give --config or --lr, --epochs, ... for the run's plan"
        return " and ".join(parts) if self.config is not None else "from " + " and ".join(parts)


_SCHEDULE_PARAMETERS: dict[str, Any] = {
    "lr": LrOption,
    "min_lr": MinLrOption,
    "warmup_epochs": WarmupOption,
    "epochs": EpochsOption,
    "interval": IntervalOption,
    "steps_per_epoch": StepsPerEpochOption,
    "config": ConfigOption,
    "config_key": ConfigKeyOption,
    "sets": SetOption,
    "scheduler": SchedulerOption,
    "params": ParamOption,
    "allow_import": AllowImportOption,
    "dataset_size": DatasetSizeOption,
    "batch_size": BatchSizeOption,
    "accumulate": AccumulateOption,
    "devices": DevicesOption,
}
#: The options of commands that plan WarmupCosLR only (tune, equivalent, diagnose).
WARMUP_COS_ONLY = ("scheduler", "params", "allow_import")


def with_schedule(*, scheduler: bool = True) -> Callable[[F], F]:
    """Give the decorated command the schedule options, as ``schedule: ScheduleOptions``.

    The options take the place of the command's ``schedule`` parameter in its help. Without
    ``scheduler``, ``--scheduler`` and ``--param`` are left out.
    """
    names = [name for name in _SCHEDULE_PARAMETERS if scheduler or name not in WARMUP_COS_ONLY]
    added = {name: (_SCHEDULE_PARAMETERS[name], None) for name in names}
    return _bundling("schedule", added, lambda values: ScheduleOptions(**values))


def with_outputs(
    *, show_all: bool = True, plot: bool = False, csv: bool = True, png: bool = True
) -> Callable[[F], F]:
    """Give the decorated command the output options, as ``outputs: Outputs``."""
    from lrplan.output.emit import Outputs

    added: dict[str, tuple[Any, Any]] = {}
    if show_all:
        added["show_all"] = (ShowAllOption, False)
    if plot:
        added["plot"] = (PlotOption, False)
    if csv:
        added["csv_target"] = (CsvOption, None)
    if png:
        added["png"] = (PngOption, None)
    added["json_out"] = (JsonOption, False)
    return _bundling(
        "outputs",
        added,
        lambda values: Outputs(
            csv=values.get("csv_target"),
            png=values.get("png"),
            json=values["json_out"],
            show_all=values.get("show_all", False),
            plot=values.get("plot", False),
        ),
    )


def _bundling(
    bundle: str,
    added: dict[str, tuple[Any, Any]],
    make: Callable[[dict[str, Any]], Any],
) -> Callable[[F], F]:
    """A decorator that replaces the parameter ``bundle`` by the options ``added`` (name:
    (annotation, default)) in a command's signature, and calls the command with ``make`` of
    their values in its place."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        # Keyword-only, all of them: typer passes every option by name, and a required one may
        # follow one with a default.
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.name != bundle:
                parameters.append(parameter.replace(kind=keyword))
                continue
            parameters += [
                inspect.Parameter(name, keyword, default=default, annotation=annotation)
                for name, (annotation, default) in added.items()
            ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in added}
            return command(*args, **{bundle: make(values)}, **kwargs)

        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run  # type: ignore[return-value]

    return decorate


def reflowed(command: F) -> F:
    """Join the lines of each paragraph of ``command``'s docstring.

    Typer keeps single line breaks after the first paragraph, so a docstring wrapped at 100
    columns shows ragged in a terminal of any other width; rich wraps one-line paragraphs.
    """
    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    command.__doc__ = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    return command
