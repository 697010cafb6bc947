"""Schedules that training frameworks build and step their own way, planned with their code.

A framework's schedule is named ``hf:<lr_scheduler_type>``, ``timm:<sched>`` or
``deepspeed:<scheduler type>`` (:func:`lrplan.core.registry.framework_of`); its ``params`` are
the framework's own arguments. Each driver module builds the framework's real scheduler on the
stand-in optimizer and returns an object whose ``step()`` advances it by one row of the plan
exactly as the framework's trainer does, so that :func:`lrplan.core.planner.drive` (the one
loop every planned rate comes from) drives it:

* :mod:`.hf`: ``transformers.get_scheduler``, stepped once per optimizer step (``Trainer``).
* :mod:`.timm`: ``timm.scheduler.create_scheduler_v2``, stepped with ``step_update`` after
  every update and ``step(epoch + 1)`` after every epoch (timm's ``train.py``).
* :mod:`.deepspeed`: ``deepspeed.runtime.lr_schedules``' classes, stepped once per optimizer
  step (the DeepSpeed engine).

timm's and DeepSpeed's classes named by import path (``timm.scheduler:CosineLRScheduler``)
are driven the same way (:func:`accepts`, :func:`wrap`). Nothing here imports a framework
until a schedule of it is built.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lrplan.core.registry import framework_of

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig


_DRIVERS = {
    "hf": "lrplan.core.frameworks.hf",
    "timm": "lrplan.core.frameworks.timm",
    "deepspeed": "lrplan.core.frameworks.deepspeed",
}


def driver(name: str) -> ModuleType:
    """The driver module of the framework that ``name`` (``hf:cosine``) belongs to."""
    framework = framework_of(name)
    if framework is None:
        raise ValueError(f"{name!r} is not a framework's schedule")
    return importlib.import_module(_DRIVERS[framework])


def build(config: ScheduleConfig, optimizer: Optimizer) -> Any:
    """The framework's scheduler on ``optimizer``, wrapped to step one row per ``step()``."""
    return driver(config.scheduler).build(config, optimizer)


def call_text(config: ScheduleConfig) -> str:
    """The call the framework's trainer makes, e.g. ``get_scheduler('cosine', optimizer, ...)``."""
    return str(driver(config.scheduler).call_text(config))


def check(config: ScheduleConfig, where: str = "") -> None:
    """Import the framework and check the schedule's name and arguments; LrplanError if not."""
    driver(config.scheduler).check(config, where)


def import_module(name: str) -> ModuleType:
    """``importlib.import_module``, except that timm's modules are imported without running
    ``timm/__init__.py`` (see :func:`lrplan.core.frameworks.timm.import_timm_module`)."""
    if name == "timm" or name.startswith("timm."):
        from lrplan.core.frameworks.timm import import_timm_module

        return import_timm_module(name)
    return importlib.import_module(name)


def accepts(found: Any) -> bool:
    """True for a scheduler class that is not an ``LRScheduler`` but that lrplan drives as its
    framework does: a timm ``Scheduler`` subclass, a class of DeepSpeed's lr_schedules."""
    if not isinstance(found, type):
        return False
    module = getattr(found, "__module__", "") or ""
    if module.startswith("timm."):
        from lrplan.core.frameworks.timm import is_timm_scheduler

        return is_timm_scheduler(found)
    return module == "deepspeed.runtime.lr_schedules" and callable(getattr(found, "step", None))


def wrap(scheduler: Any, config: ScheduleConfig) -> Any:
    """``scheduler`` ready for :func:`lrplan.core.planner.drive`: a timm scheduler inside
    timm's training loop; anything else as it is."""
    module = type(scheduler).__module__ or ""
    if module.startswith("timm."):
        from lrplan.core.frameworks.timm import TrainLoop, is_timm_scheduler

        if is_timm_scheduler(type(scheduler)):
            return TrainLoop.around(scheduler, config)
    return scheduler
