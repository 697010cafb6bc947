"""Several planned schedules side by side: aligned on the epoch (or step), with their metrics.

``lrplan compare`` and ``lrplan tune`` both come here. Every figure is read from the planned
``Schedule.lrs``; nothing recomputes a learning rate. render.py and export.py lay it out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from lrplan.analysis.insights import insights
from lrplan.analysis.summary import Insight, Summary, summarize
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import Schedule, plan
from lrplan.errors import LrplanError

#: "Near the peak": the rate is at least this share of the schedule's own peak.
NEAR_PEAK = 0.9
#: "Low": the rate is below this share of the schedule's own peak.
LOW = 0.1
#: A rate within this relative distance of a threshold counts as on it: 9/10 of the peak in
#: a 10-epoch warm-up is ``lr * 9 / 10``, which may differ from ``0.9 * lr`` in the last bit.
THRESHOLD_SLACK = 1e-12


@dataclass(frozen=True)
class Metrics:
    """What a schedule gives in training, for comparing it with others.

    Positions and counts are in ``unit`` (epochs, or steps in step mode); ``area`` is always
    in lr × epochs: the sum of the rates over the trained rows, divided by the steps per
    epoch (1 in epoch mode), so that it is the sum over epochs in epoch mode.
    """

    unit: str
    peak_lr: float
    peak_at: tuple[int, ...]
    last_trained_lr: float
    last_trained_at: int
    mean_lr: float
    area: float
    near_peak: int
    low: int
    epochs: int
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "peak_lr": self.peak_lr,
            "peak_at": list(self.peak_at),
            "last_trained_lr": self.last_trained_lr,
            "last_trained_at": self.last_trained_at,
            "mean_lr": self.mean_lr,
            "area": self.area,
            "near_peak": self.near_peak,
            "low": self.low,
            "epochs": self.epochs,
            "rows": self.rows,
        }


def metrics(schedule: Schedule, summary: Summary | None = None) -> Metrics:
    """The :class:`Metrics` of ``schedule``, read from its planned rates."""
    summary = summary or summarize(schedule)
    lrs = schedule.lrs
    near_peak_from = NEAR_PEAK * summary.peak_lr * (1 - THRESHOLD_SLACK)
    low_below = LOW * summary.peak_lr * (1 - THRESHOLD_SLACK)
    return Metrics(
        unit=summary.unit,
        peak_lr=summary.peak_lr,
        peak_at=summary.peak_at,
        last_trained_lr=summary.last_trained_lr,
        last_trained_at=summary.last_trained_at,
        mean_lr=summary.mean_lr,
        area=math.fsum(lrs) / schedule.per_epoch,
        near_peak=sum(1 for lr in lrs if lr >= near_peak_from),
        low=sum(1 for lr in lrs if lr < low_below),
        epochs=schedule.config.epochs,
        rows=len(lrs),
    )


@dataclass(frozen=True)
class Candidate:
    """One planned schedule of a comparison, with what ``lrplan show`` says about it."""

    label: str
    schedule: Schedule
    summary: Summary
    metrics: Metrics
    insights: tuple[Insight, ...]

    @property
    def config(self) -> ScheduleConfig:
        return self.schedule.config


class AlignedRow(NamedTuple):
    """One epoch (or step) of a comparison: each candidate's rate, None once it has ended.

    ``ratio`` is the second candidate's rate divided by the first's, with two candidates
    that both train this row; otherwise None.
    """

    epoch: int
    step: int | None
    lrs: tuple[float | None, ...]
    ratio: float | None


@dataclass(frozen=True)
class Comparison:
    """Two or more schedules stepped the same way, aligned on the epoch (or step)."""

    candidates: tuple[Candidate, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(candidate.label for candidate in self.candidates)

    @property
    def unit(self) -> str:
        """'epoch' or 'step', shared by every candidate."""
        return self.candidates[0].config.unit

    @property
    def per_epoch(self) -> int:
        """Scheduler steps per epoch, shared by every candidate."""
        return self.candidates[0].schedule.per_epoch

    @property
    def step_mode(self) -> bool:
        return self.unit == "step"

    @property
    def has_ratio(self) -> bool:
        """True with exactly two candidates: then each row carries their ratio."""
        return len(self.candidates) == 2

    @property
    def ratio_label(self) -> str | None:
        """What the ratio divides, e.g. ``tuned ÷ base``; None without a ratio."""
        if not self.has_ratio:
            return None
        first, second = self.labels
        return f"{second} ÷ {first}"

    def __len__(self) -> int:
        """Rows of the longest candidate."""
        return max(len(candidate.schedule) for candidate in self.candidates)

    def ends(self) -> tuple[int, ...]:
        """The last trained row of each candidate."""
        return tuple(len(candidate.schedule) - 1 for candidate in self.candidates)

    def row(self, index: int) -> AlignedRow:
        lrs = tuple(
            candidate.schedule.lrs[index] if index < len(candidate.schedule) else None
            for candidate in self.candidates
        )
        ratio = None
        if self.has_ratio:
            first, second = lrs
            if first is not None and second is not None and first > 0:
                ratio = second / first
        step = index if self.step_mode else None
        return AlignedRow(index // self.per_epoch, step, lrs, ratio)

    def rows(self) -> Iterator[AlignedRow]:
        """Every row, from the first to the last of the longest candidate."""
        return (self.row(index) for index in range(len(self)))


#: Labels that would collide with the columns of the side-by-side table and CSV.
RESERVED_LABELS = frozenset({"epoch", "step", "ratio"})


def check_candidates(configs: Sequence[ScheduleConfig]) -> None:
    """Refuse, before any planning, what cannot be compared.

    Raises:
        LrplanError: for fewer than two schedules, two with the same label (their columns
            would be indistinguishable), or schedules not stepped the same way: all per
            epoch, or all per step with the same steps per epoch.
    """
    if len(configs) < 2:
        raise LrplanError(
            f"compare needs two or more schedules, got {len(configs)};"
            " e.g. lrplan compare lr=1e-3 lr=5e-4"
        )
    seen: dict[str, int] = {}
    for position, config in enumerate(configs, 1):
        if config.name in RESERVED_LABELS:
            raise LrplanError(
                f"schedule {position} is labelled {config.name!r}, the name of a column of the"
                f" tables and CSV; give it another label=..."
            )
        if config.name in seen:
            raise LrplanError(
                f"schedules {seen[config.name]} and {position} are both labelled"
                f" {config.name!r}; give one of them label=... to tell them apart"
            )
        seen[config.name] = position
    first = configs[0]
    for config in configs[1:]:
        if (config.interval, config.steps_per_epoch) != (first.interval, first.steps_per_epoch):
            raise LrplanError(
                f"{first.name!r} is stepped {_stepping(first)} but {config.name!r}"
                f" {_stepping(config)}: compare schedules stepped the same way; give"
                " «interval=step» «steps_per_epoch=N» to step them all per step"
            )


def _stepping(config: ScheduleConfig) -> str:
    if config.interval == "epoch":
        return "per epoch"
    return f"per step ({config.steps_per_epoch} steps per epoch)"


def compare(configs: Sequence[ScheduleConfig]) -> Comparison:
    """Plan every schedule with the real scheduler and line them up.

    Each candidate's label is its ``config.name`` (its label, or a description of it).
    """
    check_candidates(configs)
    candidates = []
    for config in configs:
        schedule = plan(config)
        summary = summarize(schedule)
        candidates.append(
            Candidate(
                label=config.name,
                schedule=schedule,
                summary=summary,
                metrics=metrics(schedule, summary),
                insights=tuple(insights(schedule, summary)),
            )
        )
    return Comparison(tuple(candidates))
