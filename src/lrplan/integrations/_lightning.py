"""The Lightning callback's work, for ``lightning.pytorch`` and ``pytorch_lightning`` alike.

Imports neither: :mod:`lrplan.integrations.lightning` and
:mod:`lrplan.integrations.pytorch_lightning` mix :class:`LightningPlan` into each package's
``Callback``, and pass its logging functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrplan.core.preview import unwrapped
from lrplan.integrations._plan import RunPlan, enforce, plan_run, unplanned, write_plan


class LightningPlan:
    """At ``on_train_start`` (after a checkpoint is restored, before the first training step),
    plan every scheduler config of the run with its real interval and frequency over the steps
    or epochs the trainer will run, log the plan (rank zero), write ``csv`` / ``png``, and with
    ``strict=True`` stop the run on a warning-level finding (without it, warn).

    ``plans`` holds the :class:`~lrplan.integrations._plan.RunPlan` of each scheduler config.
    """

    _info: Callable[[str], None]
    _warn: Callable[[str], None]

    def __init__(
        self,
        csv: str | Path | None = None,
        png: str | Path | None = None,
        strict: bool = False,
    ) -> None:
        super().__init__()
        self.csv = csv
        self.png = png
        self.strict = strict
        self.plans: list[RunPlan] = []

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        configs = trainer.lr_scheduler_configs
        if trainer.lightning_module.automatic_optimization:
            self.plans = [plan_config(trainer, config) for config in configs]
            self.plans += shared_optimizers(configs)
        else:
            self.plans = [
                unplanned(
                    "manual optimization",
                    "the LightningModule steps its schedulers itself (automatic_optimization"
                    " is off), so lrplan does not know when",
                )
            ]
        for index, plan in enumerate(self.plans):
            for line in plan.lines:
                type(self)._info(line)
            if trainer.is_global_zero:
                for path in write_plan(plan, self.csv, self.png, index):
                    type(self)._info(f"lrplan: wrote {path}")
        enforce(self.plans, self.strict, type(self)._warn)


def shared_optimizers(configs: list[Any]) -> list[RunPlan]:
    """A note when several scheduler configs step one optimizer: each is planned alone, while
    the run applies them one after the other."""
    by_optimizer: dict[int, list[str]] = {}
    for config in configs:
        optimizer = getattr(unwrapped(config.scheduler), "optimizer", None)
        by_optimizer.setdefault(id(optimizer), []).append(type(config.scheduler).__name__)
    return [
        unplanned(
            " and ".join(names),
            "they step the same optimizer; lrplan plans each alone, while the run applies them"
            " one after the other (a ChainedScheduler or SequentialLR in one config is planned"
            " as the run applies it)",
        )
        for names in by_optimizer.values()
        if len(names) > 1
    ]


def plan_config(trainer: Any, config: Any) -> RunPlan:
    """The plan of one ``LRSchedulerConfig`` over the rest of the run."""
    name = type(config.scheduler).__name__
    if config.reduce_on_plateau:
        return unplanned(
            name, f"it follows the metric {config.monitor!r}, which lrplan cannot plan"
        )
    total_steps = trainer.estimated_stepping_batches
    batches = trainer.num_training_batches
    if not (math.isfinite(total_steps) and math.isfinite(batches)) or batches < 1:
        return unplanned(
            name,
            "the run has no planned end (max_epochs=-1 and max_steps=-1, or a data loader"
            " without a length)",
        )
    total_steps = int(total_steps)
    accumulate = max(1, int(trainer.accumulate_grad_batches))
    steps_per_epoch = math.ceil(batches / accumulate)
    epochs = math.ceil(total_steps / steps_per_epoch)
    frequency = max(1, int(config.frequency))
    every = f"every {frequency} {config.interval}s" if frequency > 1 else f"every {config.interval}"
    rest = remaining(trainer, steps_per_epoch, accumulate)
    if config.interval == "step":
        counted = Steps(batches, accumulate, frequency)
        # The first rate, then one per call of step() before the run's last optimizer step.
        done, last = rest if rest is not None else (trainer.global_step, total_steps - 1)
        calls = counted.calls(done, last) + 1
        return plan_run(
            config.scheduler,
            calls=calls,
            interval="step",
            steps_per_epoch=counted.in_epoch(steps_per_epoch),
            run_epochs=epochs,
            how=f"{every} over {epochs} epochs of {steps_per_epoch} optimizer steps",
            label=config.name or "",
        )
    # A per-epoch scheduler is stepped at the end of every frequency-th epoch: epoch e trains
    # at its row e // frequency.
    if rest is not None:
        done, last = rest
        # The epochs, from the current one, that make an optimizer step before the run ends.
        left = last + 1 - done
        first = steps_per_epoch - done
        trained = 0 if left <= 0 else 1 + max(0, math.ceil((left - first) / steps_per_epoch))
        epochs = trainer.current_epoch + trained
    calls = (epochs - 1) // frequency - trainer.current_epoch // frequency + 1
    return plan_run(
        config.scheduler,
        calls=calls,
        interval="epoch",
        steps_per_epoch=1,
        run_epochs=epochs,
        how=f"{every} over {epochs} epochs",
        label=config.name or "",
    )


def resumed_epochs(trainer: Any, steps_per_epoch: int, accumulate: int) -> tuple[int, int]:
    """The optimizer steps left in the epoch the run starts (or resumes) in, and how many of
    the later epochs Lightning's loops will run, after restoring a checkpoint's progress."""
    max_epochs = -1 if trainer.max_epochs is None else int(trainer.max_epochs)
    later = max_epochs - int(trainer.current_epoch) - 1
    loop = trainer.fit_loop.epoch_loop
    inside = getattr(loop, "restarted_on_train_batch_end", False)
    last = getattr(loop, "restarted_on_last", False)
    if not (inside or last):
        return steps_per_epoch, later
    ready = int(loop.batch_progress.current.ready)
    if ready < trainer.num_training_batches:
        return steps_per_epoch - ready // accumulate, later
    if inside:
        # Saved at the epoch's last batch: Lightning starts the next epoch afresh.
        return steps_per_epoch, later
    # Saved after the epoch's last batch (with max_steps set, Lightning always restarts this
    # way): Lightning runs one more batch and steps there; when the checkpoint was written
    # before the epoch counted as finished (in on_train_epoch_end), that epoch is counted
    # twice and one fewer later epoch runs (seen with Lightning 2.6).
    progress = trainer.fit_loop.epoch_progress.current
    counted_twice = int(progress.completed) < int(progress.processed)
    return 1, later - 1 if counted_twice else later


def remaining(trainer: Any, steps_per_epoch: int, accumulate: int) -> tuple[int, int] | None:
    """Where the rest of the run lies in its epochs' optimizer steps: ``(done, last)``, the
    steps already made in the epoch it starts (or resumes) in, and ``done`` plus the steps it
    makes from here less one. The steps from here are the rest of its epochs at today's loader
    length, or those to ``max_steps``, whichever ends first (``None`` when neither bounds it)."""
    first, later = resumed_epochs(trainer, steps_per_epoch, accumulate)
    bounds = []
    if trainer.max_steps not in (None, -1):
        bounds.append(int(trainer.max_steps) - int(trainer.global_step))
    if trainer.max_epochs not in (None, -1):
        bounds.append(max(0, later) * steps_per_epoch + first if later >= -1 else 0)
    if not bounds:
        return None
    done = steps_per_epoch - first
    return done, done + max(0, min(bounds)) - 1


class Steps:
    """Which optimizer steps of an epoch step a per-step scheduler, as Lightning decides:
    after the optimizer step at batch b (every ``accumulate`` batches, and at the epoch's last
    batch) when b is a multiple of ``frequency``."""

    def __init__(self, batches: int, accumulate: int, frequency: int) -> None:
        self.batches = int(batches)
        self.accumulate = accumulate
        self.frequency = frequency

    def in_epoch(self, steps: int, first: int = 1) -> int:
        """Scheduler calls among optimizer steps ``first`` to ``steps`` (1-based) of an epoch."""
        if self.frequency == 1:
            return max(0, steps - first + 1)
        return sum(
            1
            for step in range(first, steps + 1)
            if min(step * self.accumulate, self.batches) % self.frequency == 0
        )

    def calls(self, done: int, total: int) -> int:
        """Scheduler calls from optimizer step ``done`` to ``total`` of the run."""
        per_epoch = math.ceil(self.batches / self.accumulate)
        full = self.in_epoch(per_epoch)
        calls = 0
        step = done
        while step < total:
            in_epoch = step % per_epoch
            last = min(per_epoch, in_epoch + total - step)
            if in_epoch == 0 and last == per_epoch:
                epochs = (total - step) // per_epoch
                calls += full * epochs
                step += per_epoch * epochs
                continue
            calls += self.in_epoch(last, in_epoch + 1)
            step += last - in_epoch
        return calls
