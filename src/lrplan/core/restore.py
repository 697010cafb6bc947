"""Rebuild a run's scheduler from a checkpoint, as the resumed run rebuilds it.

Lightning (``_CheckpointConnector.restore_optimizers_and_schedulers``), Hugging Face's Trainer
(``_load_optimizer_and_scheduler``) and the design document's checkpoint example all resume
the same way: build the optimizer and the scheduler from the settings the run is started with
now, then ``optimizer.load_state_dict(saved)`` and ``scheduler.load_state_dict(saved)``, in
that order. :func:`restore` does exactly that, with torch's own ``load_state_dict`` methods, on
the stand-in optimizer (one param group per saved group, without parameters); the result is a
live scheduler that :func:`lrplan.core.preview.preview` plans from where it stands, the path
the callbacks take with the trainer's own restored scheduler. Importing this module is
torch-free.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError, first_line

#: Keys of a scheduler's state_dict() that hold its progress, not its settings.
PROGRESS_KEYS = frozenset(
    {
        "last_epoch",
        "_step_count",
        "_last_lr",
        "_get_lr_called_within_step",
        "_is_initial",
        "_initial_step",
        "verbose",
        "lr_lambdas",
        "base_lrs",
    }
)


def restore(
    config: ScheduleConfig,
    scheduler_state: dict[str, Any],
    optimizer_groups: Sequence[dict[str, Any]],
) -> tuple[Any, dict[str, Any]]:
    """``config``'s scheduler built on a fresh stand-in optimizer, then the optimizer's saved
    param groups and the scheduler's saved state loaded into them, in the trainers' order.

    Returns the restored scheduler and the state_dict() of the scheduler as built, before
    loading (what the settings given now make).

    Raises:
        LrplanError: when the settings given now build another scheduler than the one saved
            (its state names other arguments), or loading raises.
    """
    from lrplan.core.planner import planning_optimizer
    from lrplan.core.registry import framework_of
    from lrplan.core.schedulers import build, call_text

    framework = framework_of(config.scheduler)
    if framework is not None and framework != "hf":
        raise LrplanError(
            f"«scheduler={config.scheduler}» is saved and resumed by {framework}'s own"
            " engine, not as a torch LRScheduler's state_dict(); lrplan resumes LRSchedulers"
        )
    optimizer = planning_optimizer(config.lr, [{} for _ in optimizer_groups])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = build(config, optimizer)
    fresh = copy.deepcopy(scheduler.state_dict())
    _check_same_kind(call_text(config), fresh, scheduler_state, len(optimizer_groups))
    saved_optimizer = {
        "state": {},
        "param_groups": [{**copy.deepcopy(group), "params": []} for group in optimizer_groups],
    }
    try:
        _load_optimizer_state(optimizer, saved_optimizer)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler.load_state_dict(copy.deepcopy(scheduler_state))
    except Exception as error:  # torch's or the scheduler's own load_state_dict
        raise LrplanError(
            f"loading the checkpoint's state into {call_text(config)} raised"
            f" {type(error).__name__}: {first_line(error)}; give the settings of the scheduler"
            " the checkpoint was saved from"
        ) from None
    return scheduler, fresh


def settings_of(state: dict[str, Any]) -> dict[str, Any]:
    """The entries of a scheduler's state_dict() that are its settings (``T_max``, ``eta_min``,
    nested schedulers' under ``_schedulers``), without its progress."""
    found: dict[str, Any] = {}
    for key, value in state.items():
        if key == "_schedulers" and isinstance(value, list):
            for index, nested in enumerate(value):
                if isinstance(nested, dict):
                    for name, item in settings_of(nested).items():
                        found[f"_schedulers[{index}].{name}"] = item
            continue
        if key in PROGRESS_KEYS or (key.startswith("_") and key != "_milestones"):
            continue
        found[key] = value
    return found


def _check_same_kind(call: str, fresh: dict[str, Any], saved: dict[str, Any], groups: int) -> None:
    """The saved state must be one of the scheduler the settings build: the same settings'
    names, one rate per param group."""
    fresh_keys, saved_keys = set(settings_of(fresh)), set(settings_of(saved))
    if fresh_keys != saved_keys:
        only_saved = sorted(saved_keys - fresh_keys)
        only_fresh = sorted(fresh_keys - saved_keys)
        detail = (
            f"the checkpoint's scheduler has {', '.join(only_saved)}"
            if only_saved
            else f"the checkpoint's scheduler has no {', '.join(only_fresh)}"
        )
        raise LrplanError(
            f"{call} is not the scheduler the checkpoint saved: {detail}; give the scheduler"
            " the run resumes with (--config, or --scheduler and --param)"
        )
    base = saved.get("base_lrs")
    if isinstance(base, list) and len(base) != groups:
        raise LrplanError(
            f"the checkpoint's scheduler has {len(base)} base rates but its optimizer"
            f" {groups} param groups; it is not one checkpoint of one run"
        )


def _load_optimizer_state(optimizer: Any, state: dict[str, Any]) -> None:
    """``Optimizer.load_state_dict`` itself, without torch's wrapper that imports dynamo
    (see :func:`lrplan.core.planner.planning_optimizer`)."""
    from torch.optim import Optimizer

    method = getattr(Optimizer.load_state_dict, "__wrapped__", Optimizer.load_state_dict)
    method(optimizer, state)
