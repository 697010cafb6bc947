"""Which column holds the loss, the learning rate, the epoch and the step: guesses by name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Column names (compared in lower case) that hold the epoch, and the step, of a row.
EPOCH_COLUMNS = ("epoch",)
STEP_COLUMNS = ("step", "global_step", "trainer/global_step", "iteration", "iter", "_step")
#: Words in a loss column's name that say it is not the training loss, or that it holds one
#: value per epoch or per step.
VALIDATION_WORDS = ("val", "valid", "validation", "test", "eval")
TRAINING_WORDS = ("train", "training")
#: Words a loss's name may hold without naming a component of it: ``train_loss_epoch``,
#: ``total_loss``, ``mean_loss`` are the whole loss; ``kl_loss`` or ``loss_0`` are a part.
WHOLE_WORDS = frozenset(
    {"loss", "losses", "epoch", "step", "total", "mean", "avg", "overall", "all", "sum"}
    | set(VALIDATION_WORDS)
    | set(TRAINING_WORDS)
)


def words(name: str) -> set[str]:
    """The words of a column name, in lower case: ``train/loss_epoch`` → train, loss, epoch."""
    text = name.lower()
    for separator in "/-.: ()[]":
        text = text.replace(separator, "_")
    return {word for word in text.split("_") if word}


def guess_loss_column(columns: Sequence[str]) -> list[str]:
    """The columns that may hold the loss, best first.

    A column is a candidate when its name holds ``loss``. The training loss comes before a
    loss that says nothing, which comes before a validation or test loss; among those, one
    logged per epoch (``..._epoch``) before one that says nothing before one per step
    (``..._step``); and the whole loss before its components: a name that says ``total``,
    then the one with the fewest words that name a part (``train_loss`` before
    ``train_kl_loss`` or ``train_loss_0``). A component never comes before a whole training
    or unnamed loss: the Trainer's ``loss`` before ``train/ploss_0``. So Lightning's
    ``train_loss_epoch`` first, then ``train_loss``, ``loss``, ``train_loss_step``,
    ``train_kl_loss``, ``val_loss``. Ties keep the column order.
    """
    candidates = [name for name in columns if "loss" in name.lower()]

    def rank(name: str) -> tuple[bool, bool, int, int, int, int]:
        found = words(name)
        if found & set(VALIDATION_WORDS):
            kind = 2
        elif found & set(TRAINING_WORDS):
            kind = 0
        else:
            kind = 1
        if "epoch" in found:
            level = 0
        elif "step" in found:
            level = 2
        else:
            level = 1
        total = 0 if "total" in found else 1
        parts = len(found - WHOLE_WORDS)
        return kind == 2, parts > 0, kind, level, total, parts

    return sorted(candidates, key=rank)


def guess_lr_columns(columns: Sequence[str]) -> list[str]:
    """The columns that may hold the learning rate, best first.

    ``lr``, ``learning_rate``, and names starting ``lr-`` (Lightning's LearningRateMonitor:
    ``lr-AdamW``, ``lr-AdamW/pg1`` for each param group), ``lr_`` or ``lr/``, or ending
    ``/lr``; not the ``-momentum`` and ``-weight_decay`` columns that monitor also writes,
    nor an ``lr_scale``.
    The first param group comes first; otherwise the order of the columns.
    """
    found = []
    for name in columns:
        lowered = name.lower()
        # The monitor's other columns, and WarmupCosLR's per-group multiplier.
        if lowered.endswith(("momentum", "weight_decay", "scale")):
            continue
        if is_lr_name(lowered):
            found.append(name)
    return sorted(found, key=lambda name: 0 if "/pg" not in name.lower() else 1)


#: Words that may stand beside ``lr`` in the name of the rate a run trained with
#: (``train_lr``, ``current_lr``), unlike ``min_lr`` or ``base_lr``, which are settings.
RATE_WORDS = frozenset({"train", "training", "current", "cur"})


def is_lr_name(name: str) -> bool:
    """Whether a column or metric name names a learning rate (``lr-AdamW``, ``train/lr``,
    timm's ``train_lr``)."""
    lowered = name.lower()
    return (
        lowered in ("lr", "learning_rate", "learning-rate")
        or lowered.startswith(("lr-", "lr_", "lr/", "learning_rate"))
        or lowered.endswith(("/lr", "/learning_rate", ".lr"))
        or (lowered.endswith("_lr") and words(lowered) - RATE_WORDS == {"lr"})
    )


#: Words in a validation column's name that say which way is better: a loss or an error falls,
#: an accuracy (or a score) rises. A validation column with neither is not read.
LOSS_WORDS = frozenset({"loss", "nll"})
LOWER_BETTER = LOSS_WORDS | {
    "mae",
    "mse",
    "rmse",
    "perplexity",
    "ppl",
    "error",
    "err",
    "wer",
    "cer",
}
HIGHER_BETTER = frozenset(
    {"acc", "accuracy", "top1", "top5", "acc1", "acc5", "f1", "auc", "auroc", "map", "iou"}
    | {"miou", "dice", "bleu", "rouge", "rougel", "precision", "recall", "r2", "score"}
)
#: Validation words that name a held-out set seen during training (not a final ``test``).
HELD_OUT_WORDS = ("val", "valid", "validation", "eval", "dev")


def guess_validation_columns(columns: Sequence[str]) -> list[tuple[str, bool]]:
    """The columns that may hold the validation curve, best first, each with whether higher
    is better: a validation or eval loss (its name says ``loss`` or ``nll``: the quantity the
    run minimises), then a validation error metric (``val_MAE``, ``val_rmse``,
    ``val_perplexity``), then a validation metric to maximise (``val_acc``, ``eval_top1``,
    ``eval_f1``); within each, the whole before a component, per epoch before per step, then
    the column order. A loss wins over any metric wherever the header puts it (Lightning sorts
    its columns by name, so ``val_MAE`` comes before ``val_loss``)."""
    ranked: list[tuple[tuple[int, int, int, int], str, bool]] = []
    for index, name in enumerate(columns):
        found = words(name)
        if not found & set(HELD_OUT_WORDS) or found & {"lr", "learning"}:
            continue
        level = 0 if "epoch" in found else 2 if "step" in found else 1
        parts = len(found - WHOLE_WORDS - LOWER_BETTER - HIGHER_BETTER - {"dev"})
        if found & LOSS_WORDS:
            ranked.append(((0, parts, level, index), name, False))
        elif found & LOWER_BETTER:
            ranked.append(((1, parts, level, index), name, False))
        elif found & HIGHER_BETTER:
            ranked.append(((2, parts, level, index), name, True))
    return [(name, higher) for _, name, higher in sorted(ranked)]


def names_lr(metric: str) -> bool:
    """Whether a metric's name (an exported series, named after its tag or file) says it is a
    learning rate rather than a loss: ``lr``, ``learning_rate``, ``run-x-tag-lr-AdamW``."""
    found = words(metric)
    return "loss" not in found and bool(found & {"lr", "learning", "learningrate"})


def find_column(header: Sequence[str], names: Sequence[str]) -> str | None:
    """The first column of ``header`` whose lower-case name is one of ``names``, in the order
    of ``names``."""
    lowered = {name.lower(): name for name in reversed(header)}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def listed(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


def choices(candidates: Sequence[str], header: Sequence[str]) -> str:
    if candidates:
        return f"give one of {listed(candidates)}"
    return f"give one of its columns: {listed(header)}"
