"""ScheduleConfig: the settings of one planned schedule, validated when it is made.

Torch-free, so that validation costs nothing on the CLI's start-up path. Errors name the
parameter (:class:`ConfigValueError`, a :class:`~lrplan.errors.ParameterError`); where a
value came from (an option, a config file's key) is for the caller to say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Literal

from lrplan.core.registry import (
    RESERVED,
    WARMUP_COS,
    WARMUP_COS_KINDS,
    class_name_of,
    keys_used,
    name_problem,
    normal_name,
)
from lrplan.core.values import freeze, show_value, thaw
from lrplan.errors import LrplanError, ParameterError
from lrplan.optim.checks import ScheduleArgumentError, check_warmup_cos_args

Interval = Literal["epoch", "step"]


#: WarmupCosLR's floor when none is given; it belongs to WarmupCosLR alone.
DEFAULT_MIN_LR = 1e-5


INTERVALS: tuple[Interval, ...] = ("epoch", "step")


#: The most rows lrplan plans in one schedule; each row holds one float (8 bytes).
MAX_ROWS = 20_000_000


#: The largest peak learning rate lrplan plans; far above any real one, and small enough that
#: sums over a schedule cannot overflow.
MAX_LR = 1e6


VALID = {
    "lr": "a finite number above 0, e.g. 1e-3",
    "min_lr": "a finite number from 0 up to lr, e.g. 1e-5",
    "warmup_epochs": "a whole number from 0 up to epochs - 1, e.g. 3",
    "epochs": "a whole number greater than warmup_epochs, e.g. 25",
    "interval": "'epoch' or 'step'",
    "steps_per_epoch": "a whole number of 1 or more, e.g. 500",
    "max_steps": "a whole number of optimizer steps that ends in the last epoch",
    "scheduler": "a short name such as cosine ('lrplan schedulers' lists them) or an import"
    " path package.module:ClassName",
    "params": "constructor arguments such as «param.step_size=10»",
}


@dataclass(frozen=True)
class ScheduleConfig:
    """One schedule as a user describes it: lengths in epochs.

    With ``interval="step"`` the scheduler is stepped once per optimizer step, and the
    warm-up and total length are converted to steps with ``steps_per_epoch``.

    ``scheduler`` is ``warmup_cos`` (WarmupCosLR), another short name of
    :data:`lrplan.core.schedulers.BUILTINS`, or an import path ``package.module:ClassName``;
    ``params`` its constructor arguments after the optimizer, as ``(name, value)`` pairs
    (lists are stored as tuples, so that the config stays hashable). ``lr`` is the
    optimizer's base rate and ``epochs`` the planned length for every scheduler; ``min_lr``
    and ``warmup_epochs`` matter only to schedulers that use them
    (:func:`lrplan.core.schedulers.uses`). ``min_lr=None`` means "not given": WarmupCosLR
    plans :data:`DEFAULT_MIN_LR`, a torch built-in keeps torch's own default for its floor
    (``CosineAnnealingLR``'s ``eta_min=0``).
    """

    lr: float = 1e-3
    min_lr: float | None = None
    warmup_epochs: int = 3
    epochs: int = 25
    interval: Interval = "epoch"
    steps_per_epoch: int = 1
    label: str = ""
    scheduler: str = WARMUP_COS
    params: tuple[tuple[str, Any], ...] = ()
    #: With ``interval="step"``: training stops after this many optimizer steps, inside epoch
    #: ``epochs`` (Hugging Face's ``max_steps``, or a ``num_train_epochs`` that is not whole);
    #: None trains every step of ``epochs`` epochs.
    max_steps: int | None = None

    def __post_init__(self) -> None:
        self._check_scheduler()
        warmup_cos = self.scheduler in WARMUP_COS_KINDS
        if warmup_cos and self.min_lr is None:
            object.__setattr__(self, "min_lr", DEFAULT_MIN_LR)
        if (
            warmup_cos
            and is_whole(self.warmup_epochs)
            and is_whole(self.epochs)
            and self.warmup_epochs >= 0
            and 0 < self.epochs <= self.warmup_epochs
        ):
            raise ConfigValueError(
                "warmup_epochs",
                f"warmup_epochs={self.warmup_epochs} is not shorter than epochs={self.epochs}",
                "lower «warmup_epochs» below «epochs», or raise «epochs»",
            )
        if isinstance(self.lr, Integral) and not isinstance(self.lr, bool) and self.lr > MAX_LR:
            # Before the argument checks: a whole number beyond a float is above the cap too.
            raise ConfigValueError("lr", f"lr={self.lr!r} is above {MAX_LR:g}")
        try:
            if warmup_cos:
                check_warmup_cos_args(self.min_lr, self.lr, self.warmup_epochs, self.epochs)
            else:
                # The same checks of lr and epochs; min_lr only where the scheduler uses it.
                used = "min_lr" in keys_used(self.scheduler) and self.min_lr is not None
                floor = self.min_lr if used else 0.0
                check_warmup_cos_args(floor, self.lr, 0, self.epochs)
        except ScheduleArgumentError as error:
            raise ConfigValueError(error.param, str(error)) from None
        if self.lr > MAX_LR:
            raise ConfigValueError("lr", f"lr={self.lr!r} is above {MAX_LR:g}")
        # -0.0 is a valid floor but reads oddly everywhere it is shown.
        if self.min_lr is not None:
            object.__setattr__(self, "min_lr", self.min_lr + 0.0)
        if self.interval not in INTERVALS:
            raise ConfigValueError("interval", f"interval={self.interval!r} is not an interval")
        if not is_whole(self.steps_per_epoch) or self.steps_per_epoch < 1:
            raise ConfigValueError(
                "steps_per_epoch", f"steps_per_epoch={self.steps_per_epoch!r} is not valid"
            )
        if self.interval == "epoch" and self.steps_per_epoch != 1:
            raise ConfigValueError(
                "steps_per_epoch",
                f"steps_per_epoch={self.steps_per_epoch} has no effect with interval=epoch",
                "add «interval=step» to step the scheduler once per optimizer step, or drop it",
            )
        self._check_max_steps()
        if self.rows > MAX_ROWS:
            if self.interval == "step":
                raise ConfigValueError(
                    "steps_per_epoch",
                    f"«epochs={self.epochs}» × «steps_per_epoch={self.steps_per_epoch}» is"
                    f" {self.rows:,} steps, more than lrplan plans at once ({MAX_ROWS:,})",
                    "plan with «interval=epoch», or fewer steps per epoch",
                    headed=False,
                )
            raise ConfigValueError("epochs", f"epochs={self.epochs:,} is more than {MAX_ROWS:,}")

    def _check_scheduler(self) -> None:
        """The scheduler's name (normalized) and its params (frozen), or ConfigValueError."""
        name = normal_name(self.scheduler)
        if name is None:
            raise ConfigValueError("scheduler", *name_problem(self.scheduler))
        object.__setattr__(self, "scheduler", name)
        pairs = self.params.items() if isinstance(self.params, Mapping) else self.params
        params: dict[str, Any] = {}
        for pair in pairs:
            key, value = pair
            if not isinstance(key, str) or not key.isidentifier():
                raise ConfigValueError("params", f"{key!r} is not an argument name")
            if key in params:
                raise ConfigValueError("params", f"{key} is given twice", "give each once")
            if key in RESERVED:
                raise ConfigValueError(
                    "params",
                    f"«param.{key}» is not an argument to give: {RESERVED[key]}",
                    "drop it",
                )
            try:
                params[key] = freeze(value, f"{key}={value!r}")
            except LrplanError as error:
                raise ConfigValueError("params", str(error)) from None
        if params and name in WARMUP_COS_KINDS:
            raise ConfigValueError(
                "params",
                f"{name} takes no constructor arguments ({', '.join(params)} given)",
                "set its arguments with «lr», «min_lr», «warmup_epochs» and «epochs»",
            )
        object.__setattr__(self, "params", tuple(params.items()))

    def _check_max_steps(self) -> None:
        if self.max_steps is None:
            return
        if not is_whole(self.max_steps) or self.max_steps < 1:
            raise ConfigValueError("max_steps", f"max_steps={self.max_steps!r} is not valid")
        if self.interval != "step":
            raise ConfigValueError(
                "max_steps",
                f"max_steps={self.max_steps} counts optimizer steps, and interval=epoch",
                "add «interval=step» and «steps_per_epoch», or drop it",
            )
        last = self.epochs * self.steps_per_epoch
        if not last - self.steps_per_epoch < self.max_steps <= last:
            raise ConfigValueError(
                "max_steps",
                f"max_steps={self.max_steps} does not end in epoch {self.epochs} of"
                f" {self.steps_per_epoch} steps (steps {last - self.steps_per_epoch + 1} to"
                f" {last})",
                f"give «epochs={-(-self.max_steps // self.steps_per_epoch)}», the epochs"
                " max_steps starts",
            )

    @property
    def rows(self) -> int:
        """How many times the scheduler is stepped in training: epochs, or steps (at most
        ``max_steps``)."""
        if self.max_steps is not None:
            return self.max_steps
        return self.epochs * self.steps_per_epoch

    @property
    def warmup_rows(self) -> int:
        """The warm-up length in the scheduler's unit (epochs, or steps)."""
        return self.warmup_epochs * self.steps_per_epoch

    @property
    def unit(self) -> str:
        """'epoch' or 'step': what one scheduler step stands for."""
        return self.interval

    @property
    def name(self) -> str:
        """The label, or a short description of the settings."""
        return self.label or describe(self)

    @property
    def class_name(self) -> str:
        """The scheduler's class, e.g. ``WarmupCosLR`` or ``CosineAnnealingLR``."""
        return class_name_of(self.scheduler)

    def scheduler_kwargs(self) -> dict[str, Any]:
        """The WarmupCosLR arguments after the optimizer, in the scheduler's unit."""
        return {
            "min_lr": self.min_lr,
            "lr": self.lr,
            "warmup_epochs": self.warmup_rows,
            "epochs": self.rows,
        }

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values, for JSON and for display.

        ``params`` is a mapping; a scheduler other than WarmupCosLR leaves out the keys it
        does not use (``min_lr``, ``warmup_epochs``).
        """
        data = dataclasses.asdict(self)
        data["params"] = {key: thaw(value) for key, value in self.params}
        if self.max_steps is None:
            del data["max_steps"]
        used = keys_used(self.scheduler)
        for key in ("min_lr", "warmup_epochs"):
            if key not in used or data[key] is None:
                del data[key]
        return data

    def replace(self, **changes: Any) -> ScheduleConfig:
        """A copy with ``changes`` applied and validated."""
        return dataclasses.replace(self, **changes)


def describe(config: ScheduleConfig) -> str:
    """A compact one-line description, e.g. ``lr=0.001 min_lr=1e-05 warmup=3 epochs=25``.

    Another scheduler than WarmupCosLR starts with its name and ends with its params:
    ``step lr=0.001 epochs=25 step_size=10``.
    """
    if config.scheduler != WARMUP_COS:
        return _describe_other(config)
    text = (
        f"lr={config.lr:g} min_lr={config.min_lr:g}"
        f" warmup={config.warmup_epochs} epochs={config.epochs}"
    )
    if config.interval == "step":
        text += f" steps/epoch={config.steps_per_epoch}"
    if config.max_steps is not None:
        text += f" max_steps={config.max_steps}"
    return text


def _describe_other(config: ScheduleConfig) -> str:
    used = keys_used(config.scheduler)
    parts = [config.scheduler, f"lr={config.lr:g}"]
    if "min_lr" in used and config.min_lr is not None:
        parts.append(f"min_lr={config.min_lr:g}")
    if "warmup_epochs" in used:
        parts.append(f"warmup={config.warmup_epochs}")
    parts.append(f"epochs={config.epochs}")
    parts += [f"{key}={show_value(value)}" for key, value in config.params]
    if config.interval == "step":
        parts.append(f"steps/epoch={config.steps_per_epoch}")
    if config.max_steps is not None:
        parts.append(f"max_steps={config.max_steps}")
    return " ".join(parts)


class ConfigValueError(ParameterError):
    """A setting of a ScheduleConfig has a bad value; ``key`` (the parameter) names it, so that
    a caller can say where the value came from (an option, a config file's key)."""

    def __init__(
        self, key: str, problem: str, fix: str | None = None, *, headed: bool = True
    ) -> None:
        super().__init__(key, problem, fix or f"give {VALID[key]}", headed=headed)

    @property
    def key(self) -> str:
        return self.parameter


def is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
