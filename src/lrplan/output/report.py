"""A schedule, its summary and insights as plain lines of text, for a training run's log.

The callbacks of :mod:`lrplan.integrations` log these lines through the trainer's logging, where
rich's markup and colours have no place.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrplan.analysis.summary import Insight, Summary, fmt_lr, span
from lrplan.core.planner import Schedule

#: Rows the rate line samples: the first, quarters of the run and the last.
SAMPLES = 5


def plan_lines(
    title: str, schedule: Schedule, summary: Summary, found: Sequence[Insight]
) -> list[str]:
    """``title``, then the rate at a few rows, the summary, and one line per insight."""
    unit = summary.unit
    count = len(schedule.lrs)
    rows = sorted({round(index * (count - 1) / (SAMPLES - 1)) for index in range(SAMPLES)})
    rates = " → ".join(f"{fmt_lr(schedule.lrs[row])} ({unit} {row})" for row in rows)
    floor = (
        f" ({summary.last_over_min:.2f}× the floor {fmt_lr(summary.min_lr)})"
        if summary.last_over_min is not None
        else ""
    )
    lines = [
        title,
        f"  lr: {rates}",
        f"  peak {fmt_lr(summary.peak_lr)} at {_positions(unit, summary.peak_at)}; last trained"
        f" {fmt_lr(summary.last_trained_lr)} at {unit} {summary.last_trained_at}{floor};"
        f" mean {fmt_lr(summary.mean_lr)}",
    ]
    lines += [f"  {insight.level}: {insight.message} {insight.fix}" for insight in found]
    return lines


def _positions(unit: str, positions: tuple[int, ...]) -> str:
    """Where the peak is, shortened past :data:`SAMPLES` positions that are not one run."""
    contiguous = positions == tuple(range(positions[0], positions[-1] + 1))
    if contiguous or len(positions) <= SAMPLES:
        return span(unit, positions)
    shown = ", ".join(str(position) for position in positions[:SAMPLES])
    return f"{unit}s {shown} and {len(positions) - SAMPLES} more"
