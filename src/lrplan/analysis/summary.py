"""The shared vocabulary of every analysis: a schedule's :class:`Summary`, an :class:`Insight`
with its fix, and how rates and positions are written (:func:`fmt_lr`, :func:`span`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from lrplan.core.planner import Schedule
from lrplan.core.rates import same_rate
from lrplan.core.registry import WARMUP_COS
from lrplan.core.schedulers import floor
from lrplan.errors import Naming, as_arguments, worded

Level = Literal["error", "warning", "note"]


#: The last trained rate is "above the floor" when it exceeds min_lr by more than this share.
FLOOR_SLACK = 0.01


@dataclass(frozen=True)
class Insight:
    """One thing worth knowing about a schedule, with a concrete fix.

    ``message`` and ``fix`` name parameters as Python spells them (``min_lr``,
    ``warmup_epochs=5``); they may be written with marks (``«min_lr»``, see
    :func:`lrplan.errors.worded`), which :meth:`worded` spells for another reader (the CLI
    writes ``--min-lr``). ``changes`` are the fix's suggested values, as data:
    ``(("warmup_epochs", 5),)``.
    """

    code: str
    level: Level
    message: str
    fix: str
    changes: tuple[tuple[str, Any], ...] = ()
    #: The message and fix as written, marks and all; filled when they are made.
    marked: tuple[str, str] = field(default=("", ""), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.marked == ("", ""):
            object.__setattr__(self, "marked", (self.message, self.fix))
            object.__setattr__(self, "message", worded(self.message))
            object.__setattr__(self, "fix", worded(self.fix))

    def worded(self, naming: Naming = as_arguments) -> tuple[str, str]:
        """The message and the fix, with parameters spelled by ``naming``."""
        message, fix = self.marked
        return worded(message, naming), worded(fix, naming)

    def to_dict(self, naming: Naming = as_arguments) -> dict[str, Any]:
        """The insight as JSON values, worded by ``naming``; ``changes`` as
        ``[{"parameter": ..., "value": ...}]``."""
        message, fix = self.worded(naming)
        return {
            "code": self.code,
            "level": self.level,
            "message": message,
            "fix": fix,
            "changes": [{"parameter": name, "value": value} for name, value in self.changes],
        }


@dataclass(frozen=True)
class Summary:
    """Key figures of a schedule. Positions are epochs (``unit="epoch"``) or steps."""

    unit: str
    rows: int
    peak_lr: float
    peak_at: tuple[int, ...]
    last_trained_lr: float
    last_trained_at: int
    min_lr: float
    mean_lr: float
    last_over_min: float | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["peak_at"] = list(self.peak_at)
        return data


def summarize(schedule: Schedule) -> Summary:
    """Peak and where it is held, last trained rate against ``min_lr``, and the mean."""
    lrs = schedule.lrs
    peak = max(lrs)
    peak_at = tuple(index for index, lr in enumerate(lrs) if same_rate(lr, peak))
    last = lrs[-1]
    min_lr = _floor_of(schedule)
    return Summary(
        unit=schedule.config.unit,
        rows=len(lrs),
        peak_lr=peak,
        peak_at=peak_at,
        last_trained_lr=last,
        last_trained_at=len(lrs) - 1,
        min_lr=min_lr,
        mean_lr=math.fsum(lrs) / len(lrs),
        # None where the ratio means nothing: a floor of 0, or one so small it overflows.
        last_over_min=last / min_lr if min_lr > 0 and math.isfinite(last / min_lr) else None,
    )


def _floor_of(schedule: Schedule) -> float:
    """min_lr for WarmupCosLR; for another scheduler the floor it is built with (eta_min,
    or a min_lr it is given), else 0."""
    if schedule.config.scheduler == WARMUP_COS:
        return schedule.config.min_lr
    declared = floor(schedule.config)
    return declared[1] if declared is not None else 0.0


def fmt_lr(value: float) -> str:
    """A learning rate as users write them: 4 significant digits, e.g. ``9.799e-04``."""
    return f"{value:.4g}" if value == 0 else f"{value:.3e}"


def span(unit: str, positions: tuple[int, ...]) -> str:
    if len(positions) == 1:
        return f"{unit} {positions[0]}"
    if positions == tuple(range(positions[0], positions[-1] + 1)):
        if len(positions) == 2:
            return f"{unit}s {positions[0]} and {positions[1]}"
        return f"{unit}s {positions[0]}–{positions[-1]}"
    return f"{unit}s " + ", ".join(str(p) for p in positions)
