"""WarmupCosLR beside torch's composition of it (:mod:`lrplan.core.composition`): both planned
with the same planner, and their largest relative difference; how Hugging Face's and timm's
warm-up + cosine schedulers differ in shape.

Importing this module is torch-free; :func:`equivalence` imports it.
"""

from __future__ import annotations

import math
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
                {"name": name, "shape": shape} for name, shape in alternatives(self.config)
            ],
        }


def torch_config(config: ScheduleConfig) -> ScheduleConfig:
    """``config`` planned with torch's composition instead of WarmupCosLR."""
    return config.replace(scheduler=WARMUP_COS_TORCH)


def equivalence(
    config: ScheduleConfig, ours: Schedule | None = None, theirs: Schedule | None = None
) -> Equivalence:
    """Plan ``config`` with WarmupCosLR and with torch's composition; compare every row.

    ``config`` must be a WarmupCosLR configuration (scheduler ``warmup_cos``); ``ours`` and
    ``theirs`` are the two schedules if they are already planned.
    """
    from lrplan.core.planner import plan

    if config.scheduler != WARMUP_COS:
        raise ValueError(f"equivalence needs a warmup_cos config, not {config.scheduler!r}")
    ours = ours if ours is not None else plan(config)
    theirs = theirs if theirs is not None else plan(torch_config(config))
    worst, at = 0.0, 0
    for index, (a, b) in enumerate(zip(ours.lrs, theirs.lrs, strict=True)):
        difference = abs(b - a) / a if a else (0.0 if b == a else math.inf)
        if difference > worst:
            worst, at = difference, index
    return Equivalence(config, composition_code(config), ours, theirs, worst, at)


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
