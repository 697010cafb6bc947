"""timm's schedules: timm's own ``create_scheduler_v2`` and scheduler classes, stepped as timm's
``train.py`` steps them.

timm's schedulers are not ``LRScheduler``s. ``train.py`` (huggingface/pytorch-image-models at
aa4b5850) builds one with ``create_scheduler_v2(optimizer, **scheduler_kwargs(args),
updates_per_epoch=...)``, trains for the ``num_epochs`` it returns (``epochs`` +
``cooldown_epochs``, + ``warmup_epochs`` with ``warmup_prefix``), calls
``lr_scheduler.step_update(num_updates)`` after every optimizer update and
``lr_scheduler.step(epoch + 1)`` after every epoch. :class:`TrainLoop` makes those calls; a
scheduler built with ``t_in_epochs=True`` (``step_on_epochs``, timm's default) changes the rate
only at ``step``, one with ``t_in_epochs=False`` (``sched_on_updates``) only at
``step_update``.

Importing timm: ``timm/__init__.py`` imports timm's models, which import torchvision; where no
torchvision matches torch (a CPU build of torch), ``import timm`` fails although
``timm.scheduler`` needs only torch. :func:`import_timm_module` therefore imports
``timm.scheduler`` (timm's installed files, unchanged) under a bare ``timm`` package that does
not run ``timm/__init__.py``, then removes that bare package from ``sys.modules``, so that a
later ``import timm`` in the same process runs timm's own ``__init__``.

A schedule ``timm:<sched>`` takes as params ``create_scheduler_v2``'s keyword arguments
(``num_epochs`` defaults to the planned epochs; ``updates_per_epoch`` is the planned steps per
epoch; ``step_on_epochs=False`` needs ``interval=step``).
"""

from __future__ import annotations

import functools
import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lrplan.core.values import thaw
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig


EXTRA = "pip install 'lrplan[timm]'"


#: ``create_scheduler_v2``'s schedules whose rate follows a metric (lrplan cannot plan them).
_METRIC_SCHEDULES = ("plateau",)


def import_timm_module(name: str = "timm.scheduler") -> ModuleType:
    """timm's module ``name`` (under ``timm.scheduler``), without running ``timm/__init__.py``.

    Uses timm as already imported when it is; otherwise finds timm's installed package
    (without importing it) and imports ``name`` from its files under a bare ``timm`` package.

    Raises:
        LrplanError: when timm is not installed, or its scheduler code does not import.
    """
    if name == "timm":
        name = "timm.scheduler"
    if not name.startswith("timm.scheduler"):
        raise LrplanError(
            f"lrplan imports only timm's schedulers (timm.scheduler), not {name}; name a class of"
            " timm.scheduler, e.g. timm.scheduler:CosineLRScheduler"
        )
    _scheduler_package()
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise LrplanError(f"importing {name} raised ImportError: {first_line(error)}") from None


@functools.cache
def _scheduler_package() -> ModuleType:
    import importlib.util

    loaded = sys.modules.get("timm")
    if loaded is not None and hasattr(loaded, "__path__"):
        return importlib.import_module("timm.scheduler")
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise LrplanError(
            f"timm's schedules are planned with timm, which is not installed; {EXTRA}"
        )
    bare = ModuleType("timm")
    bare.__path__ = list(spec.submodule_search_locations)
    bare.__package__ = "timm"
    sys.modules["timm"] = bare
    try:
        return importlib.import_module("timm.scheduler")
    except ImportError as error:
        raise LrplanError(
            f"timm's scheduler code does not import ({first_line(error)}); {EXTRA}"
        ) from None
    finally:
        # Only timm.scheduler and its modules stay; `import timm` later runs timm's __init__.
        if sys.modules.get("timm") is bare:
            del sys.modules["timm"]


def is_timm_scheduler(cls: type) -> bool:
    """True for a subclass of ``timm.scheduler.scheduler.Scheduler``."""
    base = import_timm_module("timm.scheduler.scheduler").Scheduler
    return issubclass(cls, base)


def sched_of(config: ScheduleConfig) -> str:
    """The ``sched``: ``cosine`` for ``timm:cosine``."""
    return config.scheduler.partition(":")[2]


def arguments(config: ScheduleConfig) -> dict[str, Any]:
    """``create_scheduler_v2``'s keyword arguments after the optimizer."""
    kwargs: dict[str, Any] = {"sched": sched_of(config), "num_epochs": config.epochs}
    kwargs.update({key: thaw(value) for key, value in config.params})
    kwargs["updates_per_epoch"] = config.steps_per_epoch if config.interval == "step" else 0
    return kwargs


def call_text(config: ScheduleConfig) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in arguments(config).items())
    return f"create_scheduler_v2(optimizer, {shown})"


def create(config: ScheduleConfig, optimizer: Optimizer, where: str = "") -> tuple[Any, int]:
    """``create_scheduler_v2(optimizer, ...)``: timm's scheduler (None for ``sched='none'``)
    and the epochs train.py trains.

    Raises:
        LrplanError: for a schedule that follows a metric, ``step_on_epochs=False`` planned per
            epoch, and what create_scheduler_v2 refuses.
    """
    prefix = f"{where}: " if where else ""
    kwargs = arguments(config)
    if kwargs["sched"] in _METRIC_SCHEDULES:
        raise LrplanError(
            f"{prefix}«scheduler={config.scheduler}»: timm's plateau schedule follows an eval"
            " metric measured in training, which lrplan cannot plan; choose another sched"
        )
    if not kwargs.get("step_on_epochs", True) and config.interval != "step":
        raise LrplanError(
            f"{prefix}«scheduler={config.scheduler}» with step_on_epochs=False"
            " (sched_on_updates) steps per update: give «interval=step» and «steps_per_epoch»"
        )
    create_scheduler_v2 = import_timm_module().create_scheduler_v2
    try:
        scheduler, epochs = create_scheduler_v2(optimizer, **kwargs)
    except Exception as error:  # timm's own code: any exception is a bad argument
        raise LrplanError(
            f"{prefix}{call_text(config)} raised {type(error).__name__}: {first_line(error)}"
        ) from None
    return scheduler, int(epochs)


def run_epochs(config: ScheduleConfig) -> int:
    """The epochs train.py trains for ``config``'s arguments: create_scheduler_v2's answer."""
    from lrplan.core.standin import PlanningOptimizer

    return create(config, PlanningOptimizer(config.lr))[1]


def check(config: ScheduleConfig, where: str = "") -> None:
    """Create the schedule once; LrplanError for what would fail, and for a planned length
    other than the run train.py trains."""
    from lrplan.core.standin import PlanningOptimizer

    _, epochs = create(config, PlanningOptimizer(config.lr), where)
    _check_length(config, epochs, where)


def _check_length(config: ScheduleConfig, epochs: int, where: str) -> None:
    if epochs != config.epochs:
        prefix = f"{where}: " if where else ""
        raise LrplanError(
            f"{prefix}timm's {call_text(config)} returns a run of {epochs} epochs (its epochs"
            f" with cooldown_epochs, and warmup_epochs when warmup_prefix), which train.py"
            f" trains, not «epochs={config.epochs}»: plan «epochs={epochs}» with"
            f" «param.num_epochs={arguments(config)['num_epochs']}»"
        )


def build(config: ScheduleConfig, optimizer: Optimizer) -> TrainLoop:
    """timm's scheduler on ``optimizer``, inside :class:`TrainLoop`."""
    scheduler, epochs = create(config, optimizer)
    _check_length(config, epochs, "")
    return TrainLoop.around(scheduler, config)


class TrainLoop:
    """A timm scheduler stepped as timm's ``train.py`` steps it; one ``step()`` is one row.

    Per update (``interval="step"``): ``step_update(num_updates)`` after each update, and
    ``step(epoch + 1)`` after the last update of each epoch. Per epoch: ``step(epoch + 1)``
    (``step_update`` changes nothing for a scheduler with ``t_in_epochs=True``, and a
    scheduler with ``t_in_epochs=False`` is refused per epoch). ``scheduler=None``
    (``sched='none'``) leaves the rate alone.
    """

    def __init__(self, scheduler: Any, updates_per_epoch: int, per_update: bool) -> None:
        self.scheduler = scheduler
        self.updates_per_epoch = updates_per_epoch
        self.per_update = per_update
        self.num_updates = 0
        self.epoch = 0

    @classmethod
    def around(cls, scheduler: Any, config: ScheduleConfig) -> TrainLoop:
        per_update = config.interval == "step"
        if scheduler is not None and not per_update and not scheduler.t_in_epochs:
            raise LrplanError(
                f"{type(scheduler).__name__} with t_in_epochs=False is stepped per update"
                " (step_update): give «interval=step» and «steps_per_epoch»"
            )
        return cls(scheduler, config.steps_per_epoch, per_update)

    def step(self) -> None:
        if self.scheduler is None:
            return
        if self.per_update:
            self.num_updates += 1
            self.scheduler.step_update(num_updates=self.num_updates)
            if self.num_updates % self.updates_per_epoch:
                return
        self.epoch += 1
        self.scheduler.step(self.epoch)
