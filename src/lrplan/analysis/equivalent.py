"""WarmupCosLR beside torch's composition of it (:mod:`lrplan.core.composition`): both planned
with the same planner, and their largest relative difference; how Hugging Face's and timm's
warm-up + cosine schedulers differ in shape, in words and, where transformers and timm are
installed, measured by planning their own classes with the same lengths
(:func:`measure_alternatives`).

Importing this module is torch-free; :func:`equivalence` imports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrplan.core.composition import composition_code
from lrplan.core.config import ScheduleConfig
from lrplan.core.registry import WARMUP_COS, WARMUP_COS_TORCH

if TYPE_CHECKING:
    from lrplan.core.planner import Schedule


#: A largest relative difference below this is rounding: the same schedule.
SAME_SCHEDULE = 1e-9


@dataclass(frozen=True)
class Equivalence:
    """A WarmupCosLR schedule, torch's composition of it, and how far apart they are.

    ``max_relative_difference`` is the largest ``|torch - warmup_cos| / warmup_cos`` over
    the trained rows, at row ``at``.
    """

    config: ScheduleConfig
    code: str
    warmup_cos: Schedule
    torch: Schedule
    max_relative_difference: float
    at: int
    #: Each alternative of :func:`alternatives` planned with its library's own code, or None
    #: where that library is not installed (in the same order).
    measured: tuple[Measured | None, ...] = ()

    @property
    def same(self) -> bool:
        """True when the two differ only by rounding (below :data:`SAME_SCHEDULE`)."""
        return self.max_relative_difference < SAME_SCHEDULE

    def to_dict(self) -> dict[str, Any]:
        unit = self.config.unit
        return {
            "code": self.code,
            "max_relative_difference": self.max_relative_difference,
            f"at_{unit}": self.at,
            "warmup_cos_lr": self.warmup_cos.lrs[self.at],
            "torch_lr": self.torch.lrs[self.at],
            "same": self.same,
            "alternatives": [
                {
                    "name": name,
                    "shape": shape,
                    "measured": measured.to_dict() if measured is not None else None,
                }
                for (name, shape), measured in zip(
                    alternatives(self.config),
                    self.measured or (None,) * len(ALTERNATIVES),
                    strict=True,
                )
            ],
        }


#: The libraries of :func:`alternatives`, in order, and the extra that installs each.
ALTERNATIVES = (("transformers", "hf"), ("timm", "timm"))


@dataclass(frozen=True)
class Measured:
    """An alternative planned with its library's own code beside WarmupCosLR: where they differ.

    Rows are in the config's unit. ``peak_rows`` counts the rows within 1e-12 of the largest
    rate; ``max_relative_difference`` is ``|theirs - ours| / ours`` at its largest, at ``at``.
    """

    library: str
    schedule: Schedule
    max_relative_difference: float
    at: int

    @property
    def lrs(self) -> Sequence[float]:
        return self.schedule.lrs

    @property
    def peak(self) -> float:
        return max(self.lrs)

    @property
    def peak_at(self) -> int:
        return next(i for i, lr in enumerate(self.lrs) if lr >= self.peak * (1 - 1e-12))

    @property
    def peak_rows(self) -> int:
        return sum(1 for lr in self.lrs if lr >= self.peak * (1 - 1e-12))

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": self.library,
            "first_lr": self.lrs[0],
            "peak_lr": self.peak,
            "peak_at": self.peak_at,
            "peak_rows": self.peak_rows,
            "last_lr": self.lrs[-1],
            "max_relative_difference": self.max_relative_difference,
            "at": self.at,
        }


def alternative_configs(config: ScheduleConfig) -> tuple[ScheduleConfig, ScheduleConfig]:
    """The alternatives of :func:`alternatives` as lrplan plans them with their own code:
    transformers' ``get_scheduler('cosine', ...)`` (``get_cosine_schedule_with_warmup``) and
    timm's ``CosineLRScheduler``, stepped as Trainer and train.py step them."""
    warmup, total = config.warmup_rows, config.rows
    base = config.replace(scheduler="hf:cosine", params={"num_warmup_steps": warmup}, label="")
    timm = config.replace(
        scheduler="timm.scheduler:CosineLRScheduler",
        params={
            "t_initial": total,
            "lr_min": config.min_lr,
            "warmup_t": warmup,
            "t_in_epochs": config.interval == "epoch",
        },
        label="",
    )
    return base, timm


def measure_alternatives(config: ScheduleConfig, ours: Schedule) -> tuple[Measured | None, ...]:
    """Plan each alternative with its library's code; None where the library is missing."""
    from lrplan.core.planner import plan
    from lrplan.errors import LrplanError

    measured: list[Measured | None] = []
    for (library, _), alternative in zip(ALTERNATIVES, alternative_configs(config), strict=True):
        try:
            theirs = plan(alternative, beyond=0)
        except LrplanError:
            measured.append(None)
            continue
        worst, at = _largest_difference(ours, theirs)
        measured.append(Measured(_version_of(library), theirs, worst, at))
    return tuple(measured)


def _version_of(library: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{library} {version(library)}"
    except PackageNotFoundError:
        return library


def _largest_difference(ours: Schedule, theirs: Schedule) -> tuple[float, int]:
    worst, at = 0.0, 0
    for index, (a, b) in enumerate(zip(ours.lrs, theirs.lrs, strict=True)):
        difference = abs(b - a) / a if a else (0.0 if b == a else math.inf)
        if difference > worst:
            worst, at = difference, index
    return worst, at


def torch_config(config: ScheduleConfig) -> ScheduleConfig:
    """``config`` planned with torch's composition instead of WarmupCosLR."""
    return config.replace(scheduler=WARMUP_COS_TORCH)


def equivalence(
    config: ScheduleConfig,
    ours: Schedule | None = None,
    theirs: Schedule | None = None,
    *,
    measure: bool = True,
) -> Equivalence:
    """Plan ``config`` with WarmupCosLR and with torch's composition; compare every row.

    ``config`` must be a WarmupCosLR configuration (scheduler ``warmup_cos``); ``ours`` and
    ``theirs`` are the two schedules if they are already planned. With ``measure``, the
    alternatives are planned with transformers' and timm's own code where installed.
    """
    from lrplan.core.planner import plan

    if config.scheduler != WARMUP_COS:
        raise ValueError(f"equivalence needs a warmup_cos config, not {config.scheduler!r}")
    ours = ours if ours is not None else plan(config)
    theirs = theirs if theirs is not None else plan(torch_config(config))
    worst, at = _largest_difference(ours, theirs)
    measured = measure_alternatives(config, ours) if measure else ()
    return Equivalence(config, composition_code(config), ours, theirs, worst, at, measured)


def alternatives(config: ScheduleConfig) -> list[tuple[str, str]]:
    """How the common warm-up + cosine schedulers of other libraries differ in shape, in
    words, with ``config``'s lengths. No learning rate is computed here."""
    unit = config.unit
    warmup, total = config.warmup_rows, config.rows
    first = f"lr / {warmup}" if warmup > 1 else "lr"
    if warmup == 0:
        hugging_face = (
            f"With num_warmup_steps=0 it starts at the peak, as here, but it decays to 0"
            f" (reached at {unit} {total}), not to min_lr={config.min_lr:g}."
        )
    else:
        hugging_face = (
            f"It starts at 0: its {unit} 0 trains at a learning rate of 0, where"
            f" WarmupCosLR's trains at {first}. It reaches the peak at {unit} {warmup}"
            f" and holds it for one {unit}, not two, and decays to 0 (at {unit} {total}),"
            f" not to min_lr={config.min_lr:g}."
        )
    if warmup == 0:
        timm = (
            "With warmup_t=0 it starts at the peak, as here, but past t_initial it stays at"
            " lr_min instead of rising again."
        )
        return _named(config, hugging_face, timm)
    timm = (
        f"Its warm-up starts from warmup_lr_init (0 unless set), not from {first},"
        f" and reaches lr only at {unit} {warmup} with warmup_prefix=True, which also runs"
        f" the cosine for t_initial {unit}s after the warm-up; with the default"
        " warmup_prefix=False its cosine counts from 0, so it is already below lr when the"
        " warm-up ends and never trains at the peak. Past t_initial it stays at lr_min"
        " instead of rising again."
    )
    return _named(config, hugging_face, timm)


def _named(config: ScheduleConfig, hugging_face: str, timm: str) -> list[tuple[str, str]]:
    warmup, total = config.warmup_rows, config.rows
    return [
        (
            "Hugging Face get_cosine_schedule_with_warmup(optimizer,"
            f" num_warmup_steps={warmup}, num_training_steps={total})",
            hugging_face,
        ),
        (
            f"timm CosineLRScheduler(optimizer, t_initial={total}, lr_min={config.min_lr!r},"
            f" warmup_t={warmup})",
            timm,
        ),
    ]
