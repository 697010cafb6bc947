"""The stand-in optimizer the planner steps. Importing this module imports torch.

Every way to a plan comes through here, so torch is imported the quick way first (the garbage
collector paused, Ctrl-C held: :mod:`lrplan.optim._imports`); a plain ``import torch`` on the
way to a scheduler other than WarmupCosLR cost about 0.3 s more.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any

from lrplan.optim._imports import import_torch

import_torch()

from torch.optim import Optimizer  # noqa: E402  (after import_torch, on purpose)

# The keys and defaults of a param group of torch.optim.SGD, so that a scheduler that reads
# them (OneCycleLR reads momentum) sees what it would see in training.
_SGD_GROUP_DEFAULTS: dict[str, Any] = {
    "momentum": 0,
    "dampening": 0,
    "weight_decay": 0,
    "nesterov": False,
    "maximize": False,
    "foreach": None,
    "differentiable": False,
    "fused": None,
}


class PlanningOptimizer(Optimizer):
    """An optimizer with param groups and no parameters; ``step()`` does nothing."""

    def __init__(self, lr: float, param_groups: Sequence[dict[str, Any]] | None = None) -> None:
        # Optimizer.__init__ is skipped on purpose: see lrplan.core.planner.planning_optimizer.
        self.defaults = {"lr": lr, **_SGD_GROUP_DEFAULTS}
        self.state: defaultdict[Any, Any] = defaultdict(dict)
        self._optimizer_step_pre_hooks: OrderedDict[int, Any] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Any] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Any] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Any] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Any] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Any] = OrderedDict()
        groups = param_groups or [{}]
        self.param_groups = [{**self.defaults, **group, "params": []} for group in groups]

    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        return None
