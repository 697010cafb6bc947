"""Hugging Face Trainer's schedules: transformers' own ``get_scheduler``, stepped as Trainer
steps it, over the steps Trainer computes.

Follows transformers 5.24 (:data:`RELEASE`): ``Trainer.create_scheduler`` calls
``get_scheduler(args.lr_scheduler_type, optimizer, num_warmup_steps=args.get_warmup_steps(
max_steps), num_training_steps=max_steps, scheduler_specific_kwargs=args.lr_scheduler_kwargs)``
and the training loop calls ``lr_scheduler.step()`` once after every optimizer step. The step
arithmetic is ``Trainer.set_initial_training_values`` (:func:`trainer_steps`); the warm-up is
``TrainingArguments.get_warmup_steps`` (:func:`warmup_steps`). Both are restated here because
importing ``transformers.trainer`` costs seconds; the tests check them against transformers'
own code.

A schedule ``hf:<lr_scheduler_type>`` takes as params ``num_warmup_steps`` (default 0, as
``warmup_steps`` defaults to 0), optionally ``num_training_steps`` (default: the planned
optimizer steps) and the ``lr_scheduler_kwargs`` (``num_cycles=0.5``, ``min_lr_rate=0.1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrplan.core.values import thaw
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig


#: The transformers release whose Trainer arithmetic and get_scheduler lrplan follows.
RELEASE = "5.24"


#: The extra that installs what this driver needs.
EXTRA = "pip install 'lrplan[hf]'"


@dataclass(frozen=True)
class TrainerSteps:
    """How many optimizer steps a Trainer run takes, as ``Trainer.set_initial_training_values``
    computes them.

    ``batches_per_device`` is ``len(train_dataloader)`` on each process; ``steps_per_epoch`` is
    ``num_update_steps_per_epoch``; ``max_steps`` the optimizer steps of the run (the
    scheduler's ``num_training_steps``); ``epochs`` the epochs the loop starts
    (``num_train_epochs``, rounded up).
    """

    batches_per_device: int
    steps_per_epoch: int
    max_steps: int
    epochs: int

    @property
    def ends_inside_last_epoch(self) -> bool:
        """True when training stops before the last epoch's last step."""
        return self.max_steps < self.epochs * self.steps_per_epoch

    def to_dict(self) -> dict[str, int]:
        return {
            "batches_per_device": self.batches_per_device,
            "steps_per_epoch": self.steps_per_epoch,
            "max_steps": self.max_steps,
            "epochs": self.epochs,
        }


def trainer_steps(
    *,
    dataset_size: int,
    per_device_train_batch_size: int = 8,
    gradient_accumulation_steps: int = 1,
    devices: int = 1,
    num_train_epochs: float = 3.0,
    max_steps: int = -1,
    dataloader_drop_last: bool = False,
) -> TrainerSteps:
    """The optimizer steps of a Trainer run over ``dataset_size`` samples (defaults are
    TrainingArguments').

    The train dataloader batches the dataset by ``per_device_train_batch_size`` and accelerate
    shards the batches over the ``devices`` processes, padding so that each gets as many
    (``BatchSamplerShard`` with ``even_batches=True``): ``ceil(ceil(N / batch) / devices)``
    batches per process, or ``floor(floor(N / batch) / devices)`` with
    ``dataloader_drop_last``. Then, as ``Trainer.set_initial_training_values``:
    ``steps_per_epoch = max(ceil(batches / gradient_accumulation_steps), 1)``; ``max_steps``
    if above 0, else ``ceil(num_train_epochs * steps_per_epoch)``; the loop runs
    ``ceil(max_steps / steps_per_epoch)`` epochs (``ceil(num_train_epochs)`` when counted in
    epochs).

    Raises:
        LrplanError: for values Trainer refuses, and a dataset that makes no batch.
    """
    for name, value in (
        ("dataset_size", dataset_size),
        ("per_device_train_batch_size", per_device_train_batch_size),
        ("gradient_accumulation_steps", gradient_accumulation_steps),
        ("devices", devices),
    ):
        if not _whole(value) or value < 1:
            raise LrplanError(f"«{name}={value!r}» is not valid; give a whole number of 1 or more")
    if not _whole(max_steps):
        raise LrplanError(f"«max_steps={max_steps!r}» is not valid; give a whole number")
    number = isinstance(num_train_epochs, (int, float)) and not isinstance(num_train_epochs, bool)
    if max_steps <= 0 and not (number and math.isfinite(num_train_epochs) and num_train_epochs > 0):
        raise LrplanError(
            f"«num_train_epochs={num_train_epochs!r}» is not valid; give a number above 0, or"
            " «max_steps»"
        )
    if dataloader_drop_last:
        batches = dataset_size // per_device_train_batch_size // devices
    else:
        batched = -(-dataset_size // per_device_train_batch_size)  # rounded up
        batches = -(-batched // devices)
    if batches == 0:
        raise LrplanError(
            f"«dataset_size={dataset_size}» makes no full batch of"
            f" {per_device_train_batch_size} on each of {devices} devices with"
            " dataloader_drop_last, so Trainer has no step to take"
        )
    steps_per_epoch = max(
        batches // gradient_accumulation_steps + int(batches % gradient_accumulation_steps > 0), 1
    )
    return run_steps(steps_per_epoch, num_train_epochs, max_steps, batches)


def run_steps(
    steps_per_epoch: int, num_train_epochs: float = 3.0, max_steps: int = -1, batches: int = 0
) -> TrainerSteps:
    """The run's length from its optimizer steps per epoch, as Trainer computes it:
    ``max_steps`` if above 0 (over ``ceil(max_steps / steps_per_epoch)`` epochs), else
    ``ceil(num_train_epochs * steps_per_epoch)`` steps over ``ceil(num_train_epochs)`` epochs.
    ``batches`` is the batches per device, if known."""
    if max_steps > 0:
        total = max_steps
        epochs = max_steps // steps_per_epoch + int(max_steps % steps_per_epoch > 0)
    else:
        total = math.ceil(num_train_epochs * steps_per_epoch)
        epochs = math.ceil(num_train_epochs)
    return TrainerSteps(batches, steps_per_epoch, total, epochs)


def warmup_steps(warmup: float, num_training_steps: int) -> int:
    """``TrainingArguments.get_warmup_steps``: ``warmup`` steps if 1 or more, else that
    fraction of ``num_training_steps``, rounded up.

    Releases before 5 had ``warmup_ratio`` beside an int ``warmup_steps`` (the ratio used when
    ``warmup_steps`` is 0), read as the same fraction: ``ceil(num_training_steps * ratio)``.
    """
    if warmup >= 1:
        return int(warmup)
    return math.ceil(num_training_steps * warmup)


def type_of(config: ScheduleConfig) -> str:
    """The ``lr_scheduler_type``: ``cosine`` for ``hf:cosine``."""
    return config.scheduler.partition(":")[2]


def arguments(config: ScheduleConfig) -> tuple[int, int, dict[str, Any]]:
    """``num_warmup_steps``, ``num_training_steps`` and ``scheduler_specific_kwargs``."""
    params = {key: thaw(value) for key, value in config.params}
    warmup = params.pop("num_warmup_steps", 0)
    total = params.pop("num_training_steps", config.rows)
    return warmup, total, params


def call_text(config: ScheduleConfig) -> str:
    warmup, total, kwargs = arguments(config)
    extra = f", scheduler_specific_kwargs={kwargs!r}" if kwargs else ""
    return (
        f"get_scheduler({type_of(config)!r}, optimizer, num_warmup_steps={warmup},"
        f" num_training_steps={total}{extra})"
    )


def _get_scheduler(config: ScheduleConfig) -> Any:
    try:
        from transformers.optimization import get_scheduler
    except ImportError as error:
        raise LrplanError(
            f"«scheduler={config.scheduler}» is planned with Hugging Face transformers, which"
            f" does not import ({first_line(error)}); {EXTRA}"
        ) from None
    return get_scheduler


def scheduler_types() -> list[str]:
    """Every ``lr_scheduler_type`` the installed transformers accepts."""
    from transformers.trainer_utils import SchedulerType

    return [kind.value for kind in SchedulerType]


def check(config: ScheduleConfig, where: str = "") -> None:
    """Build the schedule once on a stand-in optimizer: LrplanError for what would fail."""
    from lrplan.core.standin import PlanningOptimizer

    _build(config, PlanningOptimizer(config.lr), where)


def build(config: ScheduleConfig, optimizer: Optimizer) -> Any:
    """``get_scheduler(...)`` on ``optimizer``; Trainer steps it once per optimizer step, so it
    is driven as it is (rows are optimizer steps)."""
    return _build(config, optimizer, "")


def _build(config: ScheduleConfig, optimizer: Optimizer, where: str) -> Any:
    import inspect

    get_scheduler = _get_scheduler(config)
    prefix = f"{where}: " if where else ""
    kind = type_of(config)
    known = scheduler_types()
    if kind not in known:
        raise LrplanError(
            f"{prefix}«scheduler={config.scheduler}»: {kind!r} is not an lr_scheduler_type of"
            f" transformers {_version()}; give one of {', '.join(known)}"
        )
    warmup, total, kwargs = arguments(config)
    try:
        scheduler = get_scheduler(
            kind,
            optimizer,
            num_warmup_steps=warmup,
            num_training_steps=total,
            scheduler_specific_kwargs=kwargs or None,
        )
    except Exception as error:  # transformers' own code: any exception is a bad argument
        raise LrplanError(
            f"{prefix}{call_text(config)} raised {type(error).__name__}: {first_line(error)}"
        ) from None
    step = inspect.signature(type(scheduler).step)
    needs = [
        p.name
        for p in list(step.parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if needs:
        raise LrplanError(
            f"{prefix}«scheduler={config.scheduler}»: Trainer steps {type(scheduler).__name__}"
            f" with {', '.join(needs)} measured in training, which lrplan cannot plan; choose"
            " another lr_scheduler_type"
        )
    return scheduler


def _version() -> str:
    import transformers

    return str(transformers.__version__)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
