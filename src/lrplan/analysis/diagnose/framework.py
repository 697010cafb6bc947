"""Remedies in the run's own framework: the keys a user edits, named as the framework names them.

A log says which logger wrote it (:attr:`~lrplan.inputs.logs.TrainingLog.kind`); a Lightning
run is tuned in its ``configure_optimizers`` and ``Trainer``, a Hugging Face run in its
``TrainingArguments`` (``learning_rate``, ``num_train_epochs``, ``warmup_steps``,
``lr_scheduler_type``), a timm run with ``train.py``'s arguments. The values are the tuned
schedule's; nothing here computes a learning rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrplan.core.config import ScheduleConfig
from lrplan.inputs.logs import TrainingLog

if TYPE_CHECKING:
    from lrplan.analysis.tuning import Remedy

LIGHTNING = "Lightning"
HUGGING_FACE = "Hugging Face Trainer"
TIMM = "timm"
OTHER = "other"


def framework_of(log: TrainingLog) -> str:
    """The framework that wrote ``log``, from its format (TensorBoard and plain CSV: other)."""
    if log.kind.startswith("Lightning"):
        return LIGHTNING
    if log.kind.startswith("Hugging Face"):
        return HUGGING_FACE
    if log.kind.startswith("timm"):
        return TIMM
    return OTHER


def _g(value: float) -> str:
    return f"{value:g}"


def settings_line(
    log: TrainingLog,
    tuned: ScheduleConfig,
    shape: str | None = None,
    best_step: int | None = None,
) -> str | None:
    """The tuned schedule as the keys the run's framework reads, in one line; None for a log
    whose framework lrplan cannot tell. ``shape`` is the logged schedule's (inferred) shape:
    a Hugging Face run that decayed linearly keeps ``lr_scheduler_type='linear'``;
    ``best_step`` the step an overfitting run's validation curve was best at."""
    framework = framework_of(log)
    steps = tuned.steps_per_epoch if tuned.interval == "step" else log.steps_per_epoch
    if framework == HUGGING_FACE:
        parts = [f"learning_rate={_g(tuned.lr)}", f"num_train_epochs={tuned.epochs}"]
        if steps:
            parts.append(f"warmup_steps={tuned.warmup_epochs * steps}")
        else:
            parts.append(f"warmup_ratio={tuned.warmup_epochs / tuned.epochs:.3g}")
        if shape is not None and "linear" in shape:
            parts.append("lr_scheduler_type='linear'")
        elif tuned.min_lr > 0:
            parts.append(
                "lr_scheduler_type='cosine_with_min_lr',"
                f" lr_scheduler_kwargs={{'min_lr': {_g(tuned.min_lr)}}}"
            )
        else:
            parts.append("lr_scheduler_type='cosine'")
        line = f"{HUGGING_FACE}: TrainingArguments({', '.join(parts)})"
        if best_step is not None:
            line += f"; or max_steps={best_step} to end at the best step itself"
        return line
    if framework == TIMM:
        return (
            f"timm train.py: --sched cosine --lr {_g(tuned.lr)} --min-lr {_g(tuned.min_lr)}"
            f" --warmup-epochs {tuned.warmup_epochs} --epochs {tuned.epochs}"
        )
    if framework == LIGHTNING:
        interval = '"step"' if tuned.interval == "step" else '"epoch"'
        lengths = (
            f"warmup_epochs={tuned.warmup_epochs * tuned.steps_per_epoch},"
            f" epochs={tuned.epochs * tuned.steps_per_epoch}"
            if tuned.interval == "step"
            else f"warmup_epochs={tuned.warmup_epochs}, epochs={tuned.epochs}"
        )
        return (
            f"{LIGHTNING}: Trainer(max_epochs={tuned.epochs}); in configure_optimizers"
            f" WarmupCosLR(optimizer, lr={_g(tuned.lr)}, min_lr={_g(tuned.min_lr)}, {lengths})"
            f' with "interval": {interval}'
        )
    return None


def levers_line(log: TrainingLog, remedy: Remedy) -> str | None:
    """The non-schedule levers of a symptom (overfitting), with the run's framework's names."""
    if not remedy.symptom.levers:
        return None
    framework = framework_of(log)
    validation = log.validation.column.name if log.validation is not None else "val_loss"
    mode = "max" if log.validation is not None and log.validation.higher_better else "min"
    named = {
        LIGHTNING: f"EarlyStopping(monitor={validation!r}, mode={mode!r}) with"
        f" ModelCheckpoint(monitor={validation!r}, mode={mode!r}); weight_decay in the"
        " optimizer, dropout",
        HUGGING_FACE: f"load_best_model_at_end=True, metric_for_best_model={validation!r},"
        " EarlyStoppingCallback(early_stopping_patience=3); weight_decay",
        TIMM: "train.py keeps model_best.pth.tar by --eval-metric; --weight-decay, --drop,"
        " --drop-path, --smoothing, --aa, --mixup",
    }.get(framework)
    line = remedy.symptom.levers
    return f"{line} ({framework}: {named})" if named else line


def no_lr_hint(log: TrainingLog) -> str:
    """How to log the learning rate, in the run's framework (or --lr-column for a column
    lrplan did not recognise)."""
    framework = framework_of(log)
    if framework == LIGHTNING:
        return "Lightning: add LearningRateMonitor; or --lr-column NAME"
    if framework == HUGGING_FACE:
        return "the Trainer logs learning_rate with each loss; or --lr-column NAME"
    if framework == TIMM:
        return "timm: train.py writes lr to summary.csv beside the losses; or --lr-column NAME"
    return (
        "log it beside the loss, e.g. writer.add_scalar('lr', scheduler.get_last_lr()[0],"
        " step); or --lr-column NAME"
    )
