"""A scheduler's own length (``T_max``, ``total_steps``, ``total_iters``, ``num_training_steps``)
held against the times the planned run steps it: a warning that ``show`` prints before the
table and that fails ``check``.

When the interval is lrplan's assumption (the config cannot say how the training loop steps
the scheduler), the warning says so and which options settle it.
"""

from __future__ import annotations

from collections.abc import Mapping

from lrplan.analysis.run import length_findings
from lrplan.analysis.summary import Insight
from lrplan.core.planner import Schedule

#: The source of a value nothing gave (:data:`lrplan.inputs.naming.DEFAULT`).
DEFAULT = "default"


def scheduler_length_findings(
    schedule: Schedule, sources: Mapping[str, str] | None = None
) -> list[Insight]:
    """Warnings for a scheduler whose declared length is not the number of times the run
    steps it (``schedule.config.rows``), with both numbers. ``sources`` (where each value came
    from, for a config) tells whether the interval was lrplan's default."""
    from lrplan.core.planner import planning_optimizer
    from lrplan.core.preview import declared_length
    from lrplan.core.registry import WARMUP_COS_KINDS, framework_of
    from lrplan.core.schedulers import build

    config = schedule.config
    if config.scheduler in WARMUP_COS_KINDS or framework_of(config.scheduler):
        return []
    length = declared_length(build(config, planning_optimizer(config.lr)))
    found = length_findings(schedule, length, total_calls=config.rows)
    if not found or length is None:
        return []
    # The length is a constructor argument: «param.T_max=5» (the CLI's --param T_max=5).
    message, said_fix = found[0].marked
    said_fix = said_fix.replace(f"«{length[0]}=", f"«param.{length[0]}=")
    if sources is not None and sources.get("epochs", DEFAULT) == DEFAULT:
        # The times the run steps it come from a length nothing gave: say so, not only T_max.
        message += (
            f" (The run's length, epochs={config.epochs}, is lrplan's default: the config does"
            " not give it.)"
        )
        said_fix += " Give the run's length with «epochs=N»."
    if sources is None or sources.get("interval", DEFAULT) != DEFAULT:
        return [Insight(found[0].code, "warning", message, said_fix, found[0].changes)]
    per = "epoch" if config.interval == "epoch" else "optimizer step"
    assumed = (
        f" The run steps it once per {per} only by lrplan's assumption: the config does not"
        " say how the training loop steps it."
    )
    fix = (
        " If the loop steps it after every optimizer step, give «interval=step» and"
        " «steps_per_epoch=N» (optimizer steps in one epoch)."
        if config.interval == "epoch"
        else " If the loop steps it once per epoch, give «interval=epoch»."
    )
    return [
        Insight(found[0].code, found[0].level, message + assumed, said_fix + fix, found[0].changes)
    ]
