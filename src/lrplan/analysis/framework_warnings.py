"""What a framework's own schedule warns about while it is built, restated as lrplan's
findings (warnings ``show`` prints before the table and ``check`` fails on): lrplan keeps the
framework's logger off its stderr (:mod:`lrplan.core.frameworks.deepspeed`), so what matters
to the run is said here, read from the built scheduler.

DeepSpeed (deepspeed.runtime.lr_schedules, 0.19.8): a ``warmup_type`` other than ``log`` or
``linear`` is replaced by ``log``; WarmupDecayLR and WarmupCosineLR with ``total_num_steps``
below ``warmup_num_steps`` never finish their warm-up. (Its "cycle_momentum is disabled"
concerns lrplan's stand-in optimizer, which has no momentum, not the run's.)
"""

from __future__ import annotations

from lrplan.analysis.summary import Insight
from lrplan.core.planner import Schedule


def framework_warnings(schedule: Schedule) -> list[Insight]:
    """DeepSpeed's warnings about the schedule's own arguments, as lrplan's findings."""
    from lrplan.core.planner import planning_optimizer
    from lrplan.core.registry import framework_of
    from lrplan.core.schedulers import build

    config = schedule.config
    if framework_of(config.scheduler) != "deepspeed":
        return []
    built = build(config, planning_optimizer(config.lr))
    kind = config.scheduler.partition(":")[2]
    found = []
    asked = dict(config.params).get("warmup_type")
    used = getattr(built, "warmup_type", None)
    if asked is not None and used is not None and asked != used:
        found.append(
            Insight(
                "framework-warmup-type",
                "warning",
                f"DeepSpeed's {kind} does not know warmup_type {asked!r} and warms up with"
                f" {used!r} instead (as planned here).",
                "Give warmup_type 'log' or 'linear' in the scheduler's params.",
            )
        )
    total = getattr(built, "total_num_steps", None)
    warmup = getattr(built, "warmup_num_steps", None)
    if isinstance(total, int) and isinstance(warmup, int) and total < warmup:
        found.append(
            Insight(
                "framework-warmup-longer-than-total",
                "warning",
                f"DeepSpeed's {kind} has total_num_steps {total} below warmup_num_steps"
                f" {warmup}: the warm-up never finishes.",
                f"Give warmup_num_steps below {total}, or total_num_steps of {warmup} or"
                " more (the optimizer steps of the whole run).",
            )
        )
    return found
