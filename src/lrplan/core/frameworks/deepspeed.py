"""DeepSpeed's schedules: the classes of ``deepspeed.runtime.lr_schedules`` that a JSON config's
``scheduler`` block names, stepped as the DeepSpeed engine steps them.

The engine builds ``getattr(lr_schedules, scheduler.type)(optimizer, **scheduler.params)`` and
calls ``lr_scheduler.step()`` after every optimizer step (``DeepSpeedEngine._take_model_step``,
deepspeed 0.19.8). These classes are not ``LRScheduler``s, but their ``step()`` with no
argument advances one step, so :func:`lrplan.core.planner.drive` drives them as they are.

A schedule ``deepspeed:<type>`` takes the block's ``params``; ``total_num_steps`` (WarmupDecayLR,
WarmupCosineLR) defaults to the planned optimizer steps.

Importing deepspeed logs which accelerator it picked on standard output; lrplan drops that line.
What DeepSpeed's logger says while lrplan plans is kept off lrplan's stderr; what matters to the
run lrplan says as its own findings (:mod:`lrplan.analysis.framework_warnings`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lrplan.core.values import thaw
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig


EXTRA = "pip install 'lrplan[deepspeed]'"


#: The schedule types whose length is ``total_num_steps``.
WITH_TOTAL = ("WarmupDecayLR", "WarmupCosineLR")


#: The types of DeepSpeed's lr_schedules (its VALID_LR_SCHEDULES).
TYPES = ("LRRangeTest", "OneCycle", "WarmupLR", "WarmupDecayLR", "WarmupCosineLR")


@functools.cache
def lr_schedules() -> ModuleType:
    """``deepspeed.runtime.lr_schedules``; what importing deepspeed prints on stdout (which
    accelerator it picked: lrplan steps the scheduler on the CPU anyway) is dropped, and
    DeepSpeed's logger writes to stderr from then on."""
    import io

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            from deepspeed.runtime import lr_schedules as module
    except ImportError as error:
        raise LrplanError(
            f"DeepSpeed's schedules are planned with deepspeed, which does not import"
            f" ({first_line(error)}); {EXTRA}"
        ) from None
    logger = logging.getLogger("DeepSpeed")
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is printed:
            handler.setStream(_Stderr())  # type: ignore[arg-type]
    logger.addFilter(_not_started)
    return module


class _Stderr:
    """Whatever ``sys.stderr`` is when DeepSpeed logs, not the one of its import: a caller
    that swaps stderr (a test runner, a notebook) would leave the logger a closed stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _not_started(record: logging.LogRecord) -> bool:
    """Keeps DeepSpeed's logger off lrplan's stderr while lrplan builds its schedules: what
    it says of a config's values (an unknown ``warmup_type``, ``total_num_steps`` below
    ``warmup_num_steps``) lrplan says itself (:mod:`lrplan.analysis.framework_warnings`);
    the rest is about lrplan's stand-in optimizer ("cycle_momentum is disabled": it has no
    momentum) or its building ("Attempting to get learning rate from scheduler before it
    has started", logged in training too)."""
    return False


def type_of(config: ScheduleConfig) -> str:
    """The scheduler ``type``: ``WarmupLR`` for ``deepspeed:WarmupLR``."""
    return config.scheduler.partition(":")[2]


def arguments(config: ScheduleConfig) -> dict[str, Any]:
    """The keyword arguments after the optimizer: the block's params, ``total_num_steps``
    filled with the planned steps where the type has one and the params do not."""
    kwargs = {key: thaw(value) for key, value in config.params}
    if type_of(config) in WITH_TOTAL:
        kwargs.setdefault("total_num_steps", config.rows)
    return kwargs


def call_text(config: ScheduleConfig) -> str:
    shown = "".join(f", {key}={value!r}" for key, value in arguments(config).items())
    return f"{type_of(config)}(optimizer{shown})"


def check(config: ScheduleConfig, where: str = "") -> None:
    from lrplan.core.standin import PlanningOptimizer

    _build(config, PlanningOptimizer(config.lr), where)


def build(config: ScheduleConfig, optimizer: Optimizer) -> Any:
    return _build(config, optimizer, "")


def _build(config: ScheduleConfig, optimizer: Optimizer, where: str) -> Any:
    prefix = f"{where}: " if where else ""
    kind = type_of(config)
    if kind not in TYPES:
        raise LrplanError(
            f"{prefix}«scheduler={config.scheduler}»: {kind!r} is not a DeepSpeed scheduler"
            f" type; give one of {', '.join(TYPES)}"
        )
    cls = getattr(lr_schedules(), kind)
    try:
        return cls(optimizer, **arguments(config))
    except Exception as error:  # DeepSpeed's own code: any exception is a bad argument
        raise LrplanError(
            f"{prefix}{call_text(config)} raised {type(error).__name__}: {first_line(error)}"
        ) from None
