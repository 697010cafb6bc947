"""lrplan: plan, check and compare learning-rate schedules of PyTorch training runs.

Public API::

    from lrplan import WarmupCosLR            # the scheduler, for training code
    from lrplan import ScheduleConfig, plan   # plan a schedule without training
    from lrplan import preview                # plan a live scheduler, leaving it untouched

Importing ``lrplan`` imports nothing heavy; torch is imported when ``WarmupCosLR`` or
``plan`` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrplan._version import __version__
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError, ParameterError
from lrplan.inputs.settings import build_config

if TYPE_CHECKING:
    from lrplan.analysis.insights import insights
    from lrplan.analysis.summary import Insight, Summary, summarize
    from lrplan.core.planner import Schedule, plan
    from lrplan.core.preview import preview
    from lrplan.optim import WarmupCosLR

__all__ = [
    "Insight",
    "LrplanError",
    "ParameterError",
    "Schedule",
    "ScheduleConfig",
    "Summary",
    "WarmupCosLR",
    "__version__",
    "build_config",
    "insights",
    "plan",
    "preview",
    "summarize",
]

_LAZY = {
    "WarmupCosLR": "lrplan.optim",
    "plan": "lrplan.core.planner",
    "Schedule": "lrplan.core.planner",
    "preview": "lrplan.core.preview",
    "Insight": "lrplan.analysis.summary",
    "Summary": "lrplan.analysis.summary",
    "insights": "lrplan.analysis.insights",
    "summarize": "lrplan.analysis.summary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
