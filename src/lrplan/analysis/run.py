"""What a training run's own numbers say about its scheduler: findings that hold a previewed
scheduler's declared length against the calls of ``step()`` the run will really make.

The callbacks of :mod:`lrplan.integrations` add these to :func:`~lrplan.analysis.insights.insights`
of the schedule :func:`lrplan.preview` planned. Nothing here recomputes a learning rate.
"""

from __future__ import annotations

from lrplan.analysis.summary import Insight, fmt_lr
from lrplan.analysis.words import count
from lrplan.core.planner import Schedule

#: The levels that stop a run under ``strict=True``.
BLOCKING = ("error", "warning")


def length_findings(
    schedule: Schedule,
    length: tuple[str, int] | None,
    *,
    total_calls: int,
    run_epochs: int | None = None,
    maker: str | None = None,
) -> list[Insight]:
    """The scheduler's declared length (``("T_max", 10)``, counted in calls of ``step()`` from
    its start) against ``total_calls``, the calls the run makes from the scheduler's start to
    the end of training; ``run_epochs`` the epochs the run trains, to recognise a length in
    epochs given to a scheduler stepped per optimizer step."""
    if length is None:
        return []
    name, value = length
    if value == total_calls:
        return []
    unit = schedule.config.unit
    class_name = maker or schedule.config.class_name
    fix = (
        f"Give {class_name} «{name}={total_calls}» (the {unit}s the run steps it), or train"
        f" {count(value, unit, grouped=False)}."
    )
    changes = ((name, total_calls),)
    if unit == "step" and run_epochs is not None and value == run_epochs:
        return [
            Insight(
                "epochs-stepped-per-step",
                "warning",
                f"{class_name} has {name}={value}, the number of epochs the run trains, but it is"
                f" stepped after every optimizer step ({total_calls:,} steps): it runs its whole"
                f" length in the first {value} steps.",
                f"Give «{name}={total_calls}» (in steps), or step it once per epoch (Lightning's"
                ' "interval": "epoch").',
                changes,
            )
        ]
    if value < total_calls:
        return [
            Insight(
                "length-shorter-than-run",
                "warning",
                f"{class_name} has {name}={value}, but the run steps it {total_calls:,} times:"
                f" its schedule ends {count(total_calls - value, unit)} before training does.",
                fix,
                changes,
            )
        ]
    return [
        Insight(
            "length-longer-than-run",
            "warning",
            f"{class_name} has {name}={value}, but the run steps it only {total_calls:,} times:"
            f" training stops partway through its schedule, at {fmt_lr(schedule.lrs[-1])}.",
            fix,
            changes,
        )
    ]


def blocking(found: list[Insight]) -> list[Insight]:
    """The findings that stop a run under ``strict=True``: errors and warnings."""
    return [insight for insight in found if insight.level in BLOCKING]
