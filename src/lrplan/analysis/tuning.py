"""The design document's tuning guide as presets: a symptom in, a tuned schedule out.

The guide gives one example for each of its three symptoms (warm-up 3 and lr 1e-3 become
warm-up 5 and lr 5e-4 when training diverges, ...). :func:`remedy` applies the same relative
change to any schedule, so the guide's examples come out exactly and other settings change in
the same proportion.
``overfitting``, the commonest failure of real runs, joins them: the schedule ends where the
validation curve was best, its decay compressed to get there.

Torch-free: ``lrplan tune`` and ``lrplan diagnose`` call it before planning anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError

#: Significant digits a tuned learning rate is rounded to, so that 1e-5 × 0.1 is 1e-06 and
#: not 1.0000000000000002e-06. Far below any precision a learning rate is chosen with.
CLEAN_DIGITS = 12


@dataclass(frozen=True)
class Symptom:
    """One row of the tuning guide: what the user sees, the rule, and why it helps."""

    name: str
    description: str
    rule: str
    reason: str
    #: What else helps, outside the schedule, in one line ("" when nothing needs saying).
    levers: str = ""


@dataclass(frozen=True)
class Remedy:
    """The guide's answer to a symptom for one base schedule.

    ``tuned`` is ``base`` with the remedy applied (label kept); ``changes`` lists what changed
    as ``key old → new``; ``adjustments`` says where the rule had to give way so that the
    tuned schedule stays valid (empty when the rule applied as it stands).
    """

    symptom: Symptom
    base: ScheduleConfig
    tuned: ScheduleConfig
    changes: tuple[str, ...]
    adjustments: tuple[str, ...]
    #: Another way to the same end, with this schedule's numbers (overfitting: a lower peak).
    alternatives: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """Why the change helps, in the words of someone who watches the training run."""
        return self.symptom.reason

    def to_dict(self) -> dict[str, object]:
        return {
            "symptom": self.symptom.name,
            "description": self.symptom.description,
            "rule": self.symptom.rule,
            "reason": self.reason,
            "changes": list(self.changes),
            "adjustments": list(self.adjustments),
            "alternatives": list(self.alternatives),
            "levers": self.symptom.levers,
        }


#: The tuning guide (パラメータ調整ガイド): every symptom lrplan knows, in the guide's order.
SYMPTOMS: dict[str, Symptom] = {
    symptom.name: symptom
    for symptom in (
        Symptom(
            "diverging",
            "training diverges early: the loss spikes or turns NaN in the first epochs",
            "lr × 0.5; warmup_epochs × 5/3, rounded, at least 2 (guide: warm-up 3 → 5,"
            " lr 1e-3 → 5e-4)",
            "The model gets the full learning rate before its weights have settled, so the"
            " first big steps throw it off. A longer warm-up climbs to the peak more gently,"
            " and a lower peak keeps every step smaller.",
        ),
        Symptom(
            "slow",
            "training is slow: the loss falls, but far too slowly",
            "lr × 10; warmup_epochs × 2/5, rounded, 1 becoming 2; min_lr kept (guide:"
            " warm-up 5 → 2, lr 1e-4 → 1e-3)",
            "The steps are too small, and the long warm-up keeps them small for even longer."
            " A higher peak makes every step bigger and a shorter warm-up reaches it sooner;"
            " min_lr stays where it was, so the end of training still settles down.",
        ),
        Symptom(
            "plateau",
            "accuracy plateaus: it stops improving long before training ends",
            "epochs × 2; min_lr × 0.1; lr and warmup_epochs kept (guide: epochs 25 → 50,"
            " min_lr 1e-5 → 1e-6)",
            "Training ends before the model has had time at small learning rates to fine-tune."
            " Twice the epochs stretch the cosine into a longer, slower descent, and a lower"
            " floor lets the last epochs take finer steps.",
        ),
        Symptom(
            "overfitting",
            "overfitting: the validation loss worsens while the training loss falls",
            "epochs → the epoch the validation loss was best at, plus one (diagnose reads it"
            " from the log; without one, epochs × 2/3, rounded, at least 2), the cosine"
            " compressed to end there; warmup_epochs kept, cut to epochs - 1 if longer; lr and"
            " min_lr kept (or, keeping the length, lr × 0.5)",
            "Past its best epoch the model learns the training set rather than the task. A"
            " schedule that ends there has annealed to its floor by the time validation was"
            " best, so the last fine steps fall where they help; a lower peak memorises more"
            " slowly.",
            "not the schedule: early stopping at the best epoch (keep that checkpoint), more"
            " regularisation (weight decay, dropout, augmentation, label smoothing), or more"
            " data",
        ),
    )
}
#: The guide's own three, whose examples :func:`remedy` reproduces exactly.
GUIDE_SYMPTOMS = ("diverging", "slow", "plateau")


def clean(value: float) -> float:
    """``value`` rounded to :data:`CLEAN_DIGITS` significant digits: 1e-06, not 1.0…02e-06."""
    return float(f"{value:.{CLEAN_DIGITS}g}")


def remedy(symptom: str, config: ScheduleConfig, *, best_epochs: int | None = None) -> Remedy:
    """Apply the tuning guide's remedy for ``symptom`` to ``config``.

    The rules (lengths in epochs, also in step mode):

    * ``diverging``: ``lr × 0.5``; ``warmup_epochs × 5/3`` rounded, at least 2 (a 1-epoch
      warm-up of WarmupCosLR already runs at the full lr). If ``min_lr`` would exceed the new
      peak, it is halved too.
    * ``slow``: ``lr × 10``; ``warmup_epochs × 2/5`` rounded, and a result of 1 becomes 2;
      ``min_lr`` kept.
    * ``plateau``: ``epochs × 2``; ``min_lr × 0.1``; ``lr`` and ``warmup_epochs`` kept.
    * ``overfitting``: ``epochs`` → ``best_epochs`` (the epochs up to and with the one the
      validation curve was best at, read by diagnose), else ``epochs × 2/3`` rounded, at
      least 2; ``warmup_epochs`` cut to ``epochs - 1`` if it would not be shorter. The
      alternative, keeping the length: ``lr × 0.5`` (in :attr:`Remedy.alternatives`).

    A warm-up that would no longer be shorter than training is cut to ``epochs - 1``; every
    such adjustment is listed in :attr:`Remedy.adjustments`. Learning rates are rounded with
    :func:`clean`.

    Raises:
        LrplanError: for an unknown symptom (naming the known ones), or if the tuned
            schedule is still invalid (more rows than lrplan plans at once).
    """
    found = find_symptom(symptom)
    alternatives: tuple[str, ...] = ()
    if found.name == "overfitting":
        changes, adjustments = _overfitting(config, best_epochs)
        half = clean(config.lr * 0.5)
        alternatives = (
            f"or keep epochs {config.epochs} and lower the peak: lr {_show(config.lr)} →"
            f" {_show(half)}"
            + (
                f", min_lr {_show(config.min_lr)} → {_show(clean(config.min_lr * 0.5))}"
                if config.min_lr > half
                else ""
            ),
        )
    else:
        changes, adjustments = _RULES[found.name](config)
    try:
        tuned = config.replace(**changes)
    except LrplanError as error:
        raise LrplanError(f"tune {symptom}: the tuned schedule is not valid: {error}") from None
    described = tuple(
        f"{key} {_show(getattr(config, key))} → {_show(value)}"
        for key, value in changes.items()
        if value != getattr(config, key)
    )
    return Remedy(found, config, tuned, described, tuple(adjustments), alternatives)


def find_symptom(name: str) -> Symptom:
    """The guide's row for ``name``.

    Raises:
        LrplanError: for an unknown name, listing the known ones.
    """
    if name not in SYMPTOMS:
        raise LrplanError(
            f"unknown symptom {name!r}; give one of {', '.join(SYMPTOMS)}"
            " ('lrplan tune' lists them)"
        )
    return SYMPTOMS[name]


Changes = dict[str, float | int]


def _diverging(config: ScheduleConfig) -> tuple[Changes, list[str]]:
    adjustments: list[str] = []
    lr = clean(config.lr * 0.5)
    min_lr = config.min_lr
    if min_lr > lr:
        min_lr = clean(min_lr * 0.5)
        adjustments.append(
            f"min_lr {_show(config.min_lr)} → {_show(min_lr)}: halved with lr, so that the"
            f" floor does not exceed the new peak {_show(lr)}"
        )
    warmup = max(2, round(config.warmup_epochs * 5 / 3))
    warmup = _shorter_than_training(config, warmup, adjustments)
    return {"lr": lr, "min_lr": min_lr, "warmup_epochs": warmup}, adjustments


def _slow(config: ScheduleConfig) -> tuple[Changes, list[str]]:
    warmup = round(config.warmup_epochs * 2 / 5)
    if warmup == 1:
        warmup = 2
    return {"lr": clean(config.lr * 10), "warmup_epochs": warmup}, []


def _plateau(config: ScheduleConfig) -> tuple[Changes, list[str]]:
    adjustments = []
    if config.min_lr == 0:
        adjustments.append("min_lr is already 0 and stays 0: the floor cannot go lower")
    return {"epochs": config.epochs * 2, "min_lr": clean(config.min_lr * 0.1)}, adjustments


def _overfitting(config: ScheduleConfig, best_epochs: int | None) -> tuple[Changes, list[str]]:
    adjustments: list[str] = []
    if best_epochs is None:
        epochs = max(2, round(config.epochs * 2 / 3))
    else:
        epochs = max(1, best_epochs)
        if epochs >= config.epochs:
            adjustments.append(
                f"the best epoch is the run's last ({best_epochs} of {config.epochs}): the"
                " length stays; lower the peak instead"
            )
            epochs = config.epochs
    warmup = config.warmup_epochs
    if warmup >= epochs:
        warmup = max(0, epochs - 1)
        adjustments.append(
            f"warmup_epochs {config.warmup_epochs} → {warmup}: the warm-up must be shorter than"
            f" epochs={epochs} (the validation curve was best during the warm-up, so a lower"
            " peak helps too)"
        )
    return {"epochs": epochs, "warmup_epochs": warmup}, adjustments


def _shorter_than_training(config: ScheduleConfig, warmup: int, adjustments: list[str]) -> int:
    """``warmup`` if it is shorter than training, else the longest warm-up that is.

    The longest is ``epochs - 1``, unless that is no longer than the base warm-up or is 1 (a
    1-epoch warm-up is none at all): then the base warm-up stays. Said in ``adjustments``.
    """
    if warmup < config.epochs:
        return warmup
    longest = config.epochs - 1
    if longest > max(config.warmup_epochs, 1):
        adjustments.append(
            f"warmup_epochs {warmup} → {longest}: the warm-up must be shorter than"
            f" epochs={config.epochs}"
        )
        return longest
    adjustments.append(
        f"warmup_epochs stays {config.warmup_epochs}: the rule asks for {warmup}, but the"
        f" warm-up must be shorter than epochs={config.epochs}"
    )
    return config.warmup_epochs


def _show(value: float | int | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_RULES: dict[str, Callable[[ScheduleConfig], tuple[Changes, list[str]]]] = {
    "diverging": _diverging,
    "slow": _slow,
    "plateau": _plateau,
}
