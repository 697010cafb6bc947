"""Plan a live scheduler, the one a training run built, without touching it.

:func:`preview` copies the scheduler onto a stand-in optimizer (a copy of the live optimizer's
param groups, without their parameters) and replays the copy through
:func:`lrplan.core.planner.drive`, the loop every planned rate comes from. The live scheduler,
its optimizer and their state are left as they were.

The copy is a ``copy.deepcopy`` of the scheduler in which the live optimizer is replaced by the
stand-in: nested schedulers (``SequentialLR``, ``ChainedScheduler``) that point at the same
optimizer point at the stand-in too, and functions (a ``LambdaLR``'s lambdas, a
``functools.partial`` from a factory) are shared, not copied, as ``copy`` does for functions.

The result is a :class:`~lrplan.core.planner.Schedule` whose :class:`ScheduleConfig` describes
the live scheduler: its class (an import path, or the short name of a torch built-in), the
optimizer's base rate, and the constructor arguments its attributes hold (``T_max``,
``eta_min``, ...), read for display and for the fixes insights suggest. Importing this module is
torch-free; :func:`preview` imports torch.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrplan.core.config import Interval, ScheduleConfig
from lrplan.core.frameworks import wrap
from lrplan.core.planner import BEYOND_EPOCHS, Schedule, replay
from lrplan.core.registry import BUILTINS, RESERVED, WARMUP_COS_KINDS, is_import_path
from lrplan.core.values import freeze
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer

#: Attributes of a framework's wrapper that hold the scheduler it steps (accelerate's
#: ``AcceleratedScheduler.scheduler``).
_WRAPPED = ("scheduler",)

#: Attributes that hold the nested schedulers of a composition (``SequentialLR``,
#: ``ChainedScheduler``).
_NESTED = ("_schedulers",)

#: Schedulers whose length is usually a warm-up's, which ends before training on purpose.
_WARMUP_LENGTHS = ("LinearLR", "ConstantLR")


def preview(
    scheduler: Any,
    steps: int,
    *,
    interval: Interval = "step",
    steps_per_epoch: int = 1,
    beyond: int | None = None,
    label: str = "",
    progress: Callable[[int], None] | None = None,
) -> Schedule:
    """Plan ``scheduler`` for its next ``steps`` calls of ``step()``, leaving it untouched.

    Args:
        scheduler: a live scheduler (an ``LRScheduler``, a ``SequentialLR`` or
            ``ChainedScheduler``, a ``LambdaLR`` from a factory such as transformers'
            ``get_cosine_schedule_with_warmup``, or accelerate's wrapper of one; DeepSpeed's
            schedulers; timm's, stepped as timm's ``train.py`` steps them), in whatever state
            it is: a resumed scheduler is planned from where it stands (a timm scheduler,
            which keeps no count of its own, from its start).
        steps: how many times training will call ``scheduler.step()`` from now on.
        interval: what one call stands for: ``"step"`` (an optimizer step) or ``"epoch"``.
        steps_per_epoch: calls per epoch with ``interval="step"``, for the epoch column; when
            it does not divide ``steps`` every row is counted as its own epoch (1).
        beyond: how many calls to continue past ``steps`` (default as :func:`lrplan.plan`),
            for the insights about runs that go on longer.
        label: a name for the schedule in renderers and plots.

    Returns:
        The same :class:`~lrplan.core.planner.Schedule` as :func:`lrplan.plan`: rows are the
        rates in param group 0 while each of the ``steps`` epochs (or steps) trains.

    Raises:
        LrplanError: for a scheduler that cannot be copied (it holds something ``deepcopy``
            refuses), that raises when stepped within ``steps``, or sets a rate that is
            negative, not finite, or 0 throughout.
    """
    live = unwrapped(scheduler)
    config = describe_live(live, steps, interval, steps_per_epoch, label)
    optimizer = _live_optimizer(live)
    standin = _standin_for(optimizer)
    twin = _copy(live, optimizer, standin)
    if beyond is None:
        beyond = config.steps_per_epoch * min(max(config.epochs, 5), BEYOND_EPOCHS) + 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A timm scheduler is stepped as timm's train.py steps it (step_update, step(epoch)).
        driven = wrap(twin, config)
        return replay(config, standin, driven, beyond, progress, type(live).__name__, caught)


def unwrapped(scheduler: Any) -> Any:
    """The scheduler a framework's wrapper steps (accelerate's ``AcceleratedScheduler``)."""
    for attribute in _WRAPPED:
        inner = getattr(scheduler, attribute, None)
        if inner is not None and hasattr(inner, "optimizer") and hasattr(inner, "step"):
            return unwrapped(inner)
    return scheduler


def declared_length(scheduler: Any) -> tuple[str, int] | None:
    """The argument that sets ``scheduler``'s length and its value, if it has one lrplan knows:
    ``("T_max", 40)``, ``("total_steps", 40)``, ``("num_training_steps", 40)`` (a factory's
    ``LambdaLR``, read from its ``functools.partial``), ``("epochs", 40)`` (WarmupCosLR).

    The length counts calls of ``step()`` from the scheduler's start, ``last_epoch=0``.
    ``LinearLR`` and ``ConstantLR`` have none: their ``total_iters`` is usually a warm-up's.
    """
    live = unwrapped(scheduler)
    known = _builtin_of(type(live))
    length = known.length if known is not None else None
    if type(live).__name__ in _WARMUP_LENGTHS:
        return None
    if type(live).__name__ == "WarmupCosLR":
        length = "epochs"
    if length is not None:
        value = getattr(live, length, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return length, value
    for function in getattr(live, "lr_lambdas", ()) or ():
        if isinstance(function, functools.partial):
            value = function.keywords.get("num_training_steps")
            if isinstance(value, int) and not isinstance(value, bool):
                return "num_training_steps", value
    return None


#: Attributes where a scheduler keeps the peak it warms up to, as lists (one per group) or one.
_PEAK_ATTRIBUTES = ("max_lrs", "org_lrs", "warmup_max_lr", "max_lr", "base_lrs")


def _peak_attribute(live: Any) -> float | None:
    """The first positive peak a scheduler keeps in one of :data:`_PEAK_ATTRIBUTES`."""
    for name in _PEAK_ATTRIBUTES:
        value = getattr(live, name, None)
        first = value[0] if isinstance(value, (list, tuple)) and value else value
        number = _number(first)
        if number is not None and number > 0:
            return number
    return None


def describe_live(
    live: Any, steps: int, interval: Interval, steps_per_epoch: int, label: str = ""
) -> ScheduleConfig:
    """A ScheduleConfig that describes ``live`` planned for ``steps`` calls: its class, the
    optimizer's base rate, and its constructor arguments as its attributes hold them."""
    if not (isinstance(steps, int) and not isinstance(steps, bool)) or steps < 1:
        raise LrplanError(f"steps={steps!r}: give the number of scheduler steps, 1 or more")
    if interval == "epoch" or steps % max(steps_per_epoch, 1) != 0:
        steps_per_epoch = 1
    optimizer = _live_optimizer(live)
    group = optimizer.param_groups[0]
    lr = _number(group.get("initial_lr", group.get("lr")))
    if lr is None or not lr > 0:
        lr = _number(group.get("lr"))
    if lr is None or not lr > 0:
        # A scheduler that starts the group at 0 and keeps its peak itself (DeepSpeed's
        # WarmupLR's max_lrs, WarmupCosineLR's org_lrs), for the description only: the rates
        # come from the replay.
        lr = _peak_attribute(live)
    if lr is None or not lr > 0:
        raise LrplanError(
            f"{type(live).__name__}'s optimizer has no base learning rate above 0 in its"
            f" first param group (initial_lr={group.get('initial_lr')!r}); lrplan cannot plan it"
        )
    params = _arguments(live)
    floor_value = next(
        (_number(value) for key, value in params if key in ("eta_min", "min_lr")), None
    )
    min_lr = floor_value if floor_value is not None and 0 <= floor_value <= lr else 0.0
    return ScheduleConfig(
        lr=lr,
        min_lr=min_lr,
        warmup_epochs=0,
        epochs=steps // steps_per_epoch,
        interval=interval,
        steps_per_epoch=steps_per_epoch,
        label=label,
        scheduler=_scheduler_name(type(live), params),
        params=params,
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@functools.cache
def _builtins_by_target() -> dict[str, Any]:
    return {
        known.target: known for known in BUILTINS.values() if known.name not in WARMUP_COS_KINDS
    }


def _builtin_of(cls: type) -> Any:
    return _builtins_by_target().get(f"{cls.__module__}:{cls.__qualname__}")


def _scheduler_name(cls: type, params: tuple[tuple[str, Any], ...]) -> str:
    """A torch built-in's short name (``cosine``) when its attributes hold every argument the
    short name fills (so that the call lrplan shows is the real one), else the class's import
    path."""
    known = _builtin_of(cls)
    if known is not None and {argument for argument, _ in known.options} <= dict(params).keys():
        return str(known.name)
    for path in (f"{cls.__module__}:{cls.__qualname__}", f"{cls.__module__}:{cls.__name__}"):
        if is_import_path(path):
            return path
    return f"scheduler:{cls.__name__}"


def _arguments(live: Any) -> tuple[tuple[str, Any], ...]:
    """The constructor arguments ``live``'s attributes hold under the same names, as a
    ScheduleConfig keeps them; arguments it does not keep (or keeps as objects) are left out."""
    import inspect

    try:
        signature = inspect.signature(type(live))
    except (TypeError, ValueError):
        return ()
    found = []
    for parameter in list(signature.parameters.values())[1:]:
        name = parameter.name
        if name in RESERVED or name == "verbose" or not hasattr(live, name):
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        try:
            found.append((name, freeze(getattr(live, name), name)))
        except LrplanError:
            continue
    return tuple(found)


def _live_optimizer(live: Any) -> Any:
    optimizer = getattr(live, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "param_groups"):
        raise LrplanError(
            f"{type(live).__name__} has no optimizer attribute with param groups: lrplan"
            " previews schedulers that drive an optimizer (torch.optim.lr_scheduler.LRScheduler)"
        )
    return optimizer


def _standin_for(optimizer: Any) -> Optimizer:
    """A stand-in optimizer with copies of ``optimizer``'s param groups, without parameters."""
    from lrplan.core.standin import PlanningOptimizer

    groups = [
        copy.deepcopy({key: value for key, value in group.items() if key != "params"})
        for group in optimizer.param_groups
    ]
    standin = PlanningOptimizer(float(groups[0].get("lr", 0.0)), groups)
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        # The live optimizer's step() was patched by torch to tell its scheduler that it ran;
        # the stand-in's is too, so that the copy steps without torch's order warning.
        standin.step = _tracked_step(standin)  # type: ignore[method-assign]
    return standin


def _tracked_step(standin: Any) -> Callable[..., None]:
    def step(closure: Any = None) -> None:
        standin._opt_called = True

    step._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    return step


def _optimizers_of(live: Any) -> list[Any]:
    """The optimizers ``live`` and the schedulers nested in it point at."""
    found = [live.optimizer]
    for attribute in _NESTED:
        for nested in getattr(live, attribute, None) or ():
            if hasattr(nested, "optimizer"):
                found += _optimizers_of(nested)
    return found


def _copy(live: Any, optimizer: Any, standin: Any) -> Any:
    """``live`` deep-copied, with every reference to ``optimizer`` pointing at ``standin``."""
    optimizers = _optimizers_of(live)
    if any(other is not optimizer for other in optimizers):
        raise LrplanError(
            f"{type(live).__name__} holds schedulers of different optimizers; lrplan previews"
            " schedulers that share one optimizer"
        )
    memo: dict[int, Any] = {id(optimizer): standin}
    inner = getattr(optimizer, "optimizer", None)  # accelerate's AcceleratedOptimizer
    if inner is not None:
        memo[id(inner)] = standin
    try:
        twin = copy.deepcopy(live, memo)
    except Exception as error:  # anything deepcopy refuses: locks, generators, open files
        raise LrplanError(
            f"cannot preview {type(live).__name__}: copying it raised {type(error).__name__}:"
            f" {first_line(error)}; lrplan replays a copy so that the live scheduler is left"
            " untouched, and this one holds something that cannot be copied"
        ) from None
    if getattr(twin, "optimizer", None) is not standin:
        raise LrplanError(
            f"cannot preview {type(live).__name__}: its copy does not step the stand-in"
            " optimizer, so replaying it could change the live run"
        )
    return twin
