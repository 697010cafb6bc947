"""``LRPlanCallback`` for Lightning (``lightning.pytorch``): the run's schedule, planned with
its own schedulers before the first training step.

    from lrplan.integrations.lightning import LRPlanCallback

    trainer = Trainer(max_epochs=10, callbacks=[LRPlanCallback(csv="lr.csv", strict=True)])

See :class:`~lrplan.integrations._lightning.LightningPlan` for what it does.
"""

from __future__ import annotations

from lrplan.integrations import PlanWarning, missing_framework

try:
    from lightning.pytorch import Callback
    from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
except ImportError:
    raise missing_framework("lightning", "lightning", "'lrplan[lightning]'") from None

from lrplan.integrations._lightning import LightningPlan

__all__ = ["LRPlanCallback"]


def _warn(message: str) -> None:
    rank_zero_warn(message, category=PlanWarning)


class LRPlanCallback(LightningPlan, Callback):
    """Plans every scheduler of the run at ``on_train_start``, before the first training step:
    logs the plan and its insights (rank zero), writes ``csv`` / ``png``, and with
    ``strict=True`` raises :class:`~lrplan.LrplanError` on a warning-level finding (without
    it, warns with :class:`~lrplan.integrations.PlanWarning`)."""

    _info = staticmethod(rank_zero_info)
    _warn = staticmethod(_warn)
