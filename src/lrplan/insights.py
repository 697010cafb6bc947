"""What a planned Schedule means: a summary and the insights a user wants before launching.

Everything here reads the planned learning rates; nothing recomputes them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lrplan.planner import Schedule

Level = Literal["error", "warning", "note"]

#: Two rates closer than this (relative) count as the same rate, e.g. the held peak: a few
#: ulps, since ``min_lr + (lr - min_lr)`` may differ from ``lr`` in the last bit.
SAME_RATE = 1e-14
#: The last trained rate is "above the floor" when it exceeds min_lr by more than this share.
FLOOR_SLACK = 0.01


@dataclass(frozen=True)
class Insight:
    """One thing worth knowing about a schedule, with a concrete fix."""

    code: str
    level: Level
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


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


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SAME_RATE, abs_tol=0.0)


def summarize(schedule: Schedule) -> Summary:
    """Peak and where it is held, last trained rate against ``min_lr``, and the mean."""
    lrs = schedule.lrs
    peak = max(lrs)
    peak_at = tuple(index for index, lr in enumerate(lrs) if _same(lr, peak))
    last = lrs[-1]
    min_lr = schedule.config.min_lr
    return Summary(
        unit=schedule.config.unit,
        rows=len(lrs),
        peak_lr=peak,
        peak_at=peak_at,
        last_trained_lr=last,
        last_trained_at=len(lrs) - 1,
        min_lr=min_lr,
        mean_lr=math.fsum(lrs) / len(lrs),
        last_over_min=last / min_lr if min_lr > 0 else None,
    )


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


def insights(schedule: Schedule, summary: Summary | None = None) -> list[Insight]:
    """Everything a user should know before launching, each with a fix."""
    summary = summary or summarize(schedule)
    config = schedule.config
    unit = config.unit
    found: list[Insight] = []

    constant = config.min_lr == config.lr
    if constant:
        found.append(
            Insight(
                "constant",
                "warning",
                f"min_lr equals lr ({fmt_lr(config.lr)}): after the warm-up the learning rate"
                " never decays.",
                "Lower --min-lr (e.g. to lr / 100) for a cosine decay, or keep it if a constant"
                " rate is what you want.",
            )
        )

    if len(summary.peak_at) > 1 and unit == "epoch" and not constant:
        held = len(summary.peak_at)
        found.append(
            Insight(
                "peak-held",
                "note",
                f"The peak {fmt_lr(summary.peak_lr)} is held for {held} {unit}s"
                f" ({span(unit, summary.peak_at)}): the warm-up's last {unit} already reaches"
                f" lr and the cosine starts from it.",
                f"WarmupCosLR always holds the peak for {held} {unit}s, whatever the warm-up"
                " length; if that is too long at the full rate, lower --lr.",
            )
        )

    if config.warmup_rows == 1:
        found.append(
            Insight(
                "no-warmup",
                "warning",
                "warmup_epochs=1 warms up in one epoch that already runs at the full lr:"
                " there is no warm-up at all.",
                "Use --warmup-epochs 2 or more for a real ramp, or 0 to say plainly that"
                " there is none.",
            )
        )
    elif config.warmup_epochs == 0 and not constant:
        found.append(
            Insight(
                "pure-cosine",
                "note",
                "warmup_epochs=0: no warm-up, the first "
                f"{unit} starts at the peak {fmt_lr(summary.peak_lr)} (a pure cosine).",
                "Add --warmup-epochs 3 or so if early training is unstable at the peak.",
            )
        )

    floor = config.min_lr
    if summary.last_trained_lr > floor * (1 + FLOOR_SLACK):
        ratio = (
            f"{summary.last_over_min:.2f}× min_lr {fmt_lr(floor)}"
            if summary.last_over_min is not None
            else f"above min_lr {fmt_lr(floor)}"
        )
        scheduler_length = config.rows - 1
        if scheduler_length <= config.warmup_rows:
            fix = (
                f"No WarmupCosLR setting trains a {unit} at min_lr with a"
                f" {config.warmup_rows}-{unit} warm-up in {config.rows} {unit}s; train longer,"
                " or accept it: the floor is the value at the end."
            )
        elif unit == "epoch":
            fix = (
                f"To train the last epoch at min_lr, build WarmupCosLR with epochs="
                f"{scheduler_length} while training {config.epochs} epochs; or accept it:"
                " the floor is the value at the end, not during the last epoch."
            )
        else:
            fix = (
                f"To train the last step at min_lr, build WarmupCosLR with epochs="
                f"{scheduler_length} steps while training {config.rows} steps."
            )
        found.append(
            Insight(
                "floor-not-reached",
                "note",
                f"The last trained {unit} ({summary.last_trained_at}) runs at"
                f" {fmt_lr(summary.last_trained_lr)}, {ratio}; min_lr is reached only at"
                f" {unit} {config.rows},"
                " which is never trained.",
                fix,
            )
        )

    if len(schedule.beyond) > 1 and schedule.beyond[-1] > schedule.beyond[0] * (1 + SAME_RATE):
        over = len(schedule.beyond) - 1
        rise_at = config.rows + over
        found.append(
            Insight(
                "rises-past-end",
                "note",
                f"If training runs past {unit} {config.rows - 1} (a trainer whose max_epochs"
                f" exceeds epochs={config.epochs}), the cosine rises again: {unit}"
                f" {rise_at} would run at {fmt_lr(schedule.beyond[-1])}"
                f" instead of staying at {fmt_lr(floor)}.",
                f"Stop training at epochs={config.epochs} (set the trainer's max_epochs to"
                " the same value), or plan with the epochs you will really train.",
            )
        )

    if config.warmup_rows > 0 and schedule.lrs[0] < floor:
        found.append(
            Insight(
                "warmup-below-floor",
                "note",
                f"The warm-up starts at {fmt_lr(schedule.lrs[0])} (lr / {config.warmup_rows}),"
                f" below min_lr {fmt_lr(floor)}.",
                "Fine if intended; otherwise shorten the warm-up or lower --min-lr.",
            )
        )

    if unit == "step":
        found.append(
            Insight(
                "counted-in-steps",
                "note",
                f"Stepped per optimizer step: in training code build WarmupCosLR with"
                f" warmup_epochs={config.warmup_rows} and epochs={config.rows} (counted in"
                f" steps), not {config.warmup_epochs} and {config.epochs}.",
                'With Lightning use "interval": "step" and these step counts; with'
                " epoch counts the whole schedule would end after"
                f" {config.epochs} steps.",
            )
        )

    for message in schedule.warnings:
        found.append(
            Insight(
                "torch-warning",
                "warning",
                f"torch warned while planning: {message.splitlines()[0]}",
                "Report this to lrplan: the planner steps the optimizer before the scheduler.",
            )
        )
    return found
