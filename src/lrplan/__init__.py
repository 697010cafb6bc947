"""lrplan: plan, check and compare learning-rate schedules of PyTorch training runs.

Public API::

    from lrplan import WarmupCosLR            # the scheduler, for training code
    from lrplan import ScheduleConfig, plan   # plan a schedule without training
    from lrplan import preview                # plan a live scheduler, leaving it untouched

Importing ``lrplan`` imports nothing of its own: every name is loaded when first used
(torch when ``WarmupCosLR`` or ``plan`` is), since the ``lrplan`` command, ``--help`` included,
imports this package before anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrplan._version import __version__

if TYPE_CHECKING:
    from lrplan.analysis.insights import insights
    from lrplan.analysis.summary import Insight, Summary, summarize
    from lrplan.core.config import ScheduleConfig
    from lrplan.core.planner import Schedule, plan
    from lrplan.core.preview import preview
    from lrplan.errors import LrplanError, ParameterError
    from lrplan.inputs.settings import build_config
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
    "ScheduleConfig": "lrplan.core.config",
    "LrplanError": "lrplan.errors",
    "ParameterError": "lrplan.errors",
    "build_config": "lrplan.inputs.settings",
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
