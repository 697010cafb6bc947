"""``LRPlanCallback`` for transformers' ``Trainer``: the run's schedule, planned with its own
``lr_scheduler`` and optimizer at ``on_train_begin``, before the first training step.

    from lrplan.integrations.hf import LRPlanCallback

    trainer = Trainer(model, args, train_dataset=data, callbacks=[LRPlanCallback(strict=True)])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrplan.integrations import PlanWarning, missing_framework

try:
    from transformers import TrainerCallback
except ImportError:
    raise missing_framework("hf", "transformers", "'lrplan[hf]'") from None

from lrplan.integrations._plan import RunPlan, enforce, plan_run, unplanned, write_plan

__all__ = ["LRPlanCallback"]


class LRPlanCallback(TrainerCallback):  # type: ignore[misc]
    """Plans the Trainer's ``lr_scheduler`` over ``state.max_steps`` at ``on_train_begin``
    (after a checkpoint is restored, from the restored state to the end): prints the plan and
    its insights on the main process, as the Trainer prints its metrics, writes ``csv`` /
    ``png``, and with ``strict=True`` raises :class:`~lrplan.LrplanError` on a warning-level
    finding (without it, warns with :class:`~lrplan.integrations.PlanWarning`).

    ``log`` replaces ``print`` for the plan's lines; ``plans`` holds the
    :class:`~lrplan.integrations._plan.RunPlan` of the run's scheduler.
    """

    def __init__(
        self,
        csv: str | Path | None = None,
        png: str | Path | None = None,
        strict: bool = False,
        log: Callable[[str], None] = print,
    ) -> None:
        self.csv = csv
        self.png = png
        self.strict = strict
        self.log = log
        self.plans: list[RunPlan] = []

    def on_train_begin(
        self, args: Any, state: Any, control: Any, lr_scheduler: Any = None, **kwargs: Any
    ) -> None:
        main = state.is_world_process_zero
        self.plans = [plan_trainer(args, state, lr_scheduler)]
        if main:
            for line in self.plans[0].lines:
                self.log(line)
            for path in write_plan(self.plans[0], self.csv, self.png, 0):
                self.log(f"lrplan: wrote {path}")
        enforce(self.plans, self.strict, _warner(main))


def _warner(main: bool) -> Callable[[str], None]:
    def warn(message: str) -> None:
        if main:
            warnings.warn(message, PlanWarning, stacklevel=2)

    return warn


def plan_trainer(args: Any, state: Any, lr_scheduler: Any) -> RunPlan:
    """The plan of the Trainer's scheduler from ``state.global_step`` to ``state.max_steps``:
    the Trainer steps it after every optimizer step."""
    name = type(lr_scheduler).__name__
    if lr_scheduler is None:
        return unplanned("no scheduler", "the Trainer has no lr_scheduler")
    if "ReduceLROnPlateau" in {type(lr_scheduler).__name__, _inner_name(lr_scheduler)}:
        return unplanned(name, "it follows a metric, which lrplan cannot plan")
    max_steps = int(state.max_steps)
    calls = max_steps - int(state.global_step)
    if calls < 1:
        return unplanned(name, f"the run has no steps left (max_steps={max_steps})")
    epochs = int(state.num_train_epochs or 0)
    per_epoch = max_steps // epochs if epochs > 0 and max_steps % epochs == 0 else 1
    return plan_run(
        lr_scheduler,
        calls=calls,
        interval="step",
        steps_per_epoch=per_epoch,
        run_epochs=epochs or None,
        how=f"every optimizer step over max_steps={max_steps}",
    )


def _inner_name(scheduler: Any) -> str:
    return type(getattr(scheduler, "scheduler", None)).__name__
