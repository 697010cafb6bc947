"""``LRPlanCallback`` for the ``pytorch_lightning`` package: the same callback as
:mod:`lrplan.integrations.lightning`, on ``pytorch_lightning.Callback``."""

from __future__ import annotations

from lrplan.integrations import PlanWarning, missing_framework

try:
    from pytorch_lightning import Callback
    from pytorch_lightning.utilities import rank_zero_info, rank_zero_warn
except ImportError:
    raise missing_framework("pytorch_lightning", "pytorch_lightning", "pytorch-lightning") from None

from lrplan.integrations._lightning import LightningPlan

__all__ = ["LRPlanCallback"]


def _warn(message: str) -> None:
    rank_zero_warn(message, category=PlanWarning)


class LRPlanCallback(LightningPlan, Callback):
    """:class:`lrplan.integrations.lightning.LRPlanCallback`, for ``pytorch_lightning``."""

    _info = staticmethod(rank_zero_info)
    _warn = staticmethod(_warn)
