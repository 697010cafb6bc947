"""Drive the real scheduler against a stand-in optimizer, as a training loop does.

The scheduler is WarmupCosLR, a torch built-in or the class ``--scheduler`` names (see
:mod:`lrplan.core.schedulers`); all are driven by the same loop.

The numbers lrplan shows all come from here: the learning rate in the optimizer's param group
while each epoch (or step) trains, read before ``optimizer.step()`` and followed by
``scheduler.step()``, exactly the order a training loop uses.
"""

from __future__ import annotations

import itertools
import math
import warnings
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from lrplan.core.config import ScheduleConfig
from lrplan.core.rates import COSINE, WARMUP, shape_phase
from lrplan.core.registry import WARMUP_COS
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer


#: Epochs planned past the end of training for schedulers other than WarmupCosLR, at most:
#: enough to see where the rate settles after training (see lrplan.analysis.shape).
BEYOND_EPOCHS = 50


#: How often (in scheduler steps) the planner reports progress.
PROGRESS_EVERY = 1 << 16


class Row(NamedTuple):
    """One epoch (or step) of training and the learning rate in effect during it."""

    epoch: int
    step: int | None
    phase: str
    lr: float


@dataclass(frozen=True)
class Schedule:
    """The planned learning rates of one configuration.

    ``lrs[i]`` is the rate in effect during the i-th epoch (``interval="epoch"``) or optimizer
    step (``interval="step"``). ``beyond`` continues the same scheduler past the end of
    training, for the insight about runs that go on past ``epochs``.
    """

    config: ScheduleConfig
    lrs: Sequence[float]
    beyond: Sequence[float] = ()
    warnings: tuple[str, ...] = field(default=())
    #: What the scheduler raised when stepped past ``beyond`` rows after training (OneCycleLR
    #: refuses to step past total_steps), or None.
    stopped: str | None = None

    def __len__(self) -> int:
        return len(self.lrs)

    @property
    def per_epoch(self) -> int:
        """Scheduler steps per epoch: 1 in epoch mode, ``steps_per_epoch`` in step mode."""
        return self.config.steps_per_epoch

    def epoch_of(self, index: int) -> int:
        """The epoch that row ``index`` belongs to."""
        return index // self.per_epoch

    def phase_of(self, index: int) -> str:
        """'warm-up' or 'cosine': the branch of the formula WarmupCosLR took for the row.

        Other schedulers: 'rise', 'hold', 'decay' or 'restart', from the planned rates.
        """
        if self.config.scheduler != WARMUP_COS:
            return shape_phase(self.lrs, index)
        return WARMUP if index < self.config.warmup_rows else COSINE

    def row(self, index: int) -> Row:
        step = index if self.config.interval == "step" else None
        return Row(self.epoch_of(index), step, self.phase_of(index), self.lrs[index])

    def rows(self) -> Iterator[Row]:
        """Every trained epoch (or step), in order: ``row(0)``, ``row(1)``, ..."""
        return itertools.starmap(Row, zip(*self.columns(), strict=True))

    def columns(
        self, start: int = 0, stop: int | None = None
    ) -> tuple[Iterable[int], Iterable[int | None], Iterable[str], Iterable[float]]:
        """Iterables of the epoch, step, phase and lr of rows ``start`` to ``stop``.

        The values of :meth:`row`, built by itertools rather than one call per row, so that
        exporting a million rows costs what writing them costs.
        """
        count = len(self.lrs)
        stop = count if stop is None else min(stop, count)
        start = min(start, stop)
        warmup_rows = self.config.warmup_rows
        epochs = itertools.chain.from_iterable(self._epoch_runs(start, stop))
        steps: Iterable[int | None] = (
            range(start, stop)
            if self.config.interval == "step"
            else itertools.repeat(None, stop - start)
        )
        phases: Iterable[str]
        if self.config.scheduler != WARMUP_COS:
            phases = (shape_phase(self.lrs, index) for index in range(start, stop))
        else:
            warmup_shown = max(0, min(stop, warmup_rows) - start)
            phases = itertools.chain(
                itertools.repeat(WARMUP, warmup_shown),
                itertools.repeat(COSINE, stop - start - warmup_shown),
            )
        lrs = self.lrs[start:stop] if (start, stop) != (0, count) else self.lrs
        return epochs, steps, phases, lrs

    def _epoch_runs(self, start: int, stop: int) -> Iterator[Iterator[int]]:
        """The epoch of rows ``start`` to ``stop``, as one ``repeat`` per epoch."""
        per_epoch = self.per_epoch
        epoch, position = start // per_epoch, start
        while position < stop:
            end = min(stop, (epoch + 1) * per_epoch)
            yield itertools.repeat(epoch, end - position)
            position, epoch = end, epoch + 1


def planning_optimizer(
    lr: float, param_groups: Sequence[dict[str, Any]] | None = None
) -> Optimizer:
    """A ``torch.optim.Optimizer`` with SGD's param-group keys and a no-op ``step``.

    It skips ``Optimizer.__init__``, which imports ``torch._dynamo`` (about a second) and needs
    real parameters; a scheduler reads and writes only ``param_groups`` and wraps ``step``.
    """
    from lrplan.core.standin import PlanningOptimizer

    return PlanningOptimizer(lr, param_groups)


def plan(
    config: ScheduleConfig,
    *,
    beyond: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Schedule:
    """Plan ``config`` with its real scheduler: :class:`~lrplan.WarmupCosLR` by default.

    Args:
        config: the schedule to plan.
        beyond: how many scheduler steps to continue past the end of training (default:
            up to five epochs' worth; for other schedulers as many as training has, up to
            :data:`BEYOND_EPOCHS` epochs), so that callers can show what an overrun would do.
        progress: called with the number of rows planned so far, now and then.

    Raises:
        LrplanError: for a scheduler other than WarmupCosLR that cannot be built, raises
            while training, or sets a rate that is negative, not finite, or 0 throughout.
    """
    if config.scheduler != WARMUP_COS:
        return _plan_other(config, beyond, progress)
    from lrplan.optim import WarmupCosLR

    if beyond is None:
        beyond = config.steps_per_epoch * min(5, max(1, config.epochs // 5)) + 1
    optimizer = planning_optimizer(config.lr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = WarmupCosLR(optimizer, **config.scheduler_kwargs())
        trained = drive(optimizer, scheduler, config.rows, progress)
        after = drive(optimizer, scheduler, beyond, None)
    messages = tuple(dict.fromkeys(str(warning.message) for warning in caught))
    return Schedule(config, trained, after, messages)


def _plan_other(
    config: ScheduleConfig, beyond: int | None, progress: Callable[[int], None] | None
) -> Schedule:
    """:func:`plan` for a scheduler other than WarmupCosLR, driven by the same loop."""
    from lrplan.core.schedulers import build, call_text

    if beyond is None:
        beyond = config.steps_per_epoch * min(max(config.epochs, 5), BEYOND_EPOCHS) + 1
    optimizer = planning_optimizer(config.lr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = build(config, optimizer)
        return replay(config, optimizer, scheduler, beyond, progress, call_text(config), caught)


def replay(
    config: ScheduleConfig,
    optimizer: Optimizer,
    scheduler: Any,
    beyond: int,
    progress: Callable[[int], None] | None,
    name: str,
    caught: list[warnings.WarningMessage] | None,
) -> Schedule:
    """Drive a built scheduler over ``config.rows`` rows and up to ``beyond`` past the end,
    and make the Schedule: the one path of :func:`plan` for other schedulers and of
    :func:`lrplan.preview`. ``name`` words the scheduler in errors; ``caught`` holds the
    warnings recorded while it was built and stepped (the caller's ``catch_warnings``).

    Raises:
        LrplanError: when the scheduler raises while training steps it, or its rates are
            negative, not finite, or 0 throughout.
    """
    try:
        trained = drive(optimizer, scheduler, config.rows, progress)
    except Exception as error:  # the scheduler's code: any exception is the user's to fix
        at = getattr(scheduler, "last_epoch", None)
        raise LrplanError(
            f"{name} raised {type(error).__name__} when stepped"
            f"{f' at last_epoch={at}' if at is not None else ''}: {first_line(error)}"
        ) from None
    check_rates(config, trained)
    after, stopped = drive_past_end(optimizer, scheduler, beyond)
    messages = tuple(dict.fromkeys(str(warning.message) for warning in caught or ()))
    return Schedule(config, trained, after, messages, stopped)


def check_rates(config: ScheduleConfig, lrs: array[float]) -> None:
    """Refuse rates nothing can train with: negative, not finite, or 0 for every row."""
    from lrplan.core.schedulers import call_text

    total = sum(lrs)
    if not math.isfinite(total) or min(lrs) < 0:
        for index, lr in enumerate(lrs):
            if not (math.isfinite(lr) and lr >= 0):
                raise LrplanError(
                    f"{call_text(config)} sets the learning rate {lr!r} at {config.unit}"
                    f" {index}; a rate must be a finite number of 0 or more: check its"
                    " arguments"
                )
    if max(lrs) <= 0:
        raise LrplanError(
            f"{call_text(config)} keeps the learning rate at 0 for all {len(lrs):,}"
            f" {config.unit}s, so nothing would train: check its arguments"
        )


def drive_past_end(
    optimizer: Optimizer, scheduler: Any, count: int
) -> tuple[array[float], str | None]:
    """:func:`drive` past the end of training, up to the first exception or non-finite rate.

    Returns the rates and what the scheduler raised (``ValueError: Tried to step ...``).
    """
    lrs = array("d")
    group = optimizer.param_groups[0]
    for _ in range(count):
        lr = float(group["lr"])
        if not math.isfinite(lr):
            break
        lrs.append(lr)
        optimizer.step()
        try:
            scheduler.step()
        except Exception as error:  # stepping past the end is the scheduler's to refuse
            return lrs, f"{type(error).__name__}: {first_line(error)}"
    return lrs, None


def drive(
    optimizer: Optimizer,
    scheduler: Any,
    count: int,
    progress: Callable[[int], None] | None = None,
) -> array[float]:
    """Step ``scheduler`` as a training loop does, ``count`` times: record param group 0's
    rate (the one in effect while that epoch or step trains), then ``optimizer.step()``,
    then ``scheduler.step()``. The one loop every planned rate comes from."""
    lrs = array("d")
    group = optimizer.param_groups[0]
    record = lrs.append
    optimizer_step = optimizer.step
    scheduler_step = scheduler.step
    done = 0
    while done < count:
        chunk = min(PROGRESS_EVERY, count - done)
        for _ in itertools.repeat(None, chunk):
            record(float(group["lr"]))
            optimizer_step()
            scheduler_step()
        done += chunk
        if progress is not None:
            progress(done)
    return lrs
