"""What ``lrplan check`` reports beyond show's insights: the warm-up's share, counts that look
like steps, the optimizer's usual range, a ``last_epoch`` set in a config, a trainer's length
unlike the schedule's, and defaults used where the config is silent.
"""

from __future__ import annotations

from typing import Any

from lrplan.analysis.insights import insights
from lrplan.analysis.summary import (
    Insight,
    Summary,
    fmt_lr,
    summarize,
)
from lrplan.core.planner import Schedule
from lrplan.core.registry import WARMUP_COS_KINDS
from lrplan.core.schedulers import uses

#: Findings sorted for ``lrplan check``: errors first, then warnings, then notes.
LEVEL_ORDER: dict[str, int] = {"error": 0, "warning": 1, "note": 2}


#: A warm-up longer than this share of training is a warning.
WARMUP_SHARE_WARNING = 0.25


#: ``epochs`` (or ``warmup_epochs``) at or above these look like optimizer-step counts: a few
#: hundred epochs is a long run (MAE pre-trains 1600 with a 40-epoch warm-up); 10,000 or
#: 100,000 are the step counts of typical runs.
STEP_LIKE_EPOCHS = 2000


STEP_LIKE_WARMUP_EPOCHS = 200


#: The peak learning rates usual for each optimizer, ``(low, high)``: lrplan warns outside
#: them. Wide on purpose: a rate outside is rare enough to be worth a look before the run.
OPTIMIZER_LR_RANGES: dict[str, tuple[float, float]] = {
    "adam": (1e-6, 1e-2),
    "adamw": (1e-6, 1e-2),
    "adamax": (1e-6, 1e-2),
    "nadam": (1e-6, 1e-2),
    "radam": (1e-6, 1e-2),
    "lamb": (1e-5, 5e-2),
    "lion": (1e-7, 1e-3),
    "sgd": (1e-4, 2.0),
    "rmsprop": (1e-5, 1e-1),
    "adagrad": (1e-4, 1.0),
    "adadelta": (1e-2, 10.0),
}


_OPTIMIZER_ALIASES = {"adamweightdecay": "adamw", "sgdw": "sgd", "momentum": "sgd"}


def optimizer_key(name: str) -> str:
    """The key of :data:`OPTIMIZER_LR_RANGES` for a name as configs write it.

    ``torch.optim.AdamW``, ``AdamW``, ``adam_w``, ``FusedAdam``, ``PagedAdamW8bit`` and
    ``bnb.optim.AdamW8bit`` all name an Adam-family optimizer.
    """
    text = name.strip().rsplit(".", 1)[-1].lower()
    text = "".join(character for character in text if character.isalnum())
    for prefix in ("fused", "paged"):
        text = text.removeprefix(prefix)
    for suffix in ("8bit", "32bit"):
        text = text.removesuffix(suffix)
    return _OPTIMIZER_ALIASES.get(text, text)


def sort_findings(found: list[Insight]) -> list[Insight]:
    """Errors, then warnings, then notes; the order within a level is kept."""
    return sorted(found, key=lambda insight: LEVEL_ORDER[insight.level])


def findings(
    schedule: Schedule,
    summary: Summary | None = None,
    *,
    optimizer: str | None = None,
    optimizer_source: str | None = None,
    last_epoch: int | None = None,
    last_epoch_source: str | None = None,
    last_epoch_error: str | None = None,
    defaulted: dict[str, Any] | None = None,
    trainer_epochs: int | None = None,
    trainer_epochs_source: str | None = None,
) -> list[Insight]:
    """What ``lrplan check`` reports: :func:`insights`, then the findings only it adds.

    Args:
        optimizer: the optimizer the config names, as written (``torch.optim.AdamW``).
        last_epoch: a ``last_epoch`` the config sets, and ``last_epoch_error`` what torch
            raised when WarmupCosLR was built with it on a fresh optimizer (None: nothing).
        defaulted: schedule keys the config file lacks, with the defaults used for them.
        trainer_epochs: the trainer's ``max_epochs`` the config sets (at
            ``trainer_epochs_source``), to hold against the schedule's ``epochs``.
    """
    summary = summary or summarize(schedule)
    found = insights(schedule, summary)
    if trainer_epochs is not None:
        found += _trainer_findings(schedule, trainer_epochs, trainer_epochs_source)
    if schedule.config.scheduler in WARMUP_COS_KINDS:
        found += _warmup_findings(schedule)
    found += _unit_findings(schedule)
    if optimizer is not None:
        found += _optimizer_findings(schedule, optimizer, optimizer_source)
    if last_epoch is not None and last_epoch >= 0:
        found += _last_epoch_findings(schedule, last_epoch, last_epoch_source, last_epoch_error)
    if defaulted:
        used = ", ".join(f"{key}={value!r}" for key, value in defaulted.items())
        options = " ".join(f"--{key.replace('_', '-')} N" for key in defaulted)
        found.append(
            Insight(
                "config-defaults",
                "note",
                f"The config does not set {', '.join(defaulted)}; lrplan planned with its"
                f" defaults {used}, which may not be what the training code uses.",
                f"Add them to the config, name the section that holds them with «config_key»,"
                f" or give them: {options}.",
            )
        )
    return found


def _warmup_findings(schedule: Schedule) -> list[Insight]:
    config = schedule.config
    found: list[Insight] = []
    share = config.warmup_epochs / config.epochs
    if share > WARMUP_SHARE_WARNING:
        suggestion = round(config.epochs / 10)
        fix = (
            f"Warm up for about a tenth of training («warmup_epochs={suggestion}»), or train"
            " longer."
            if suggestion >= 2
            else f"With {config.epochs} epochs, use «warmup_epochs=0» (a pure cosine) or"
            " train longer."
        )
        found.append(
            Insight(
                "warmup-share",
                "warning",
                f"The warm-up takes {config.warmup_epochs} of {config.epochs} epochs"
                f" ({share:.0%} of training): the cosine has only"
                f" {config.epochs - config.warmup_epochs} epochs to decay from the peak.",
                fix,
                (("warmup_epochs", suggestion if suggestion >= 2 else 0),),
            )
        )
    return found


def _unit_findings(schedule: Schedule) -> list[Insight]:
    config = schedule.config
    found: list[Insight] = []
    step_like = [
        f"{key}={value}"
        for key, value, limit in (
            ("epochs", config.epochs, STEP_LIKE_EPOCHS),
            ("warmup_epochs", config.warmup_epochs, STEP_LIKE_WARMUP_EPOCHS),
        )
        if value >= limit and key in uses(config)
    ]
    if step_like and config.interval == "epoch":
        found.append(
            Insight(
                "looks-like-steps",
                "warning",
                f"{' and '.join(step_like)} look like optimizer-step counts, but with"
                " «interval=epoch» the scheduler steps once per epoch: this plans"
                f" {config.epochs:,} epochs.",
                "If they count optimizer steps, the scheduler must step per optimizer step"
                ' (Lightning\'s "interval": "step"): plan it with «interval=step»'
                " «steps_per_epoch=N» and epochs in epochs. If they are epochs, ignore this.",
            )
        )
    elif step_like:
        in_epochs = max(1, config.epochs // config.steps_per_epoch)
        found.append(
            Insight(
                "looks-like-steps",
                "warning",
                f"{' and '.join(step_like)} look like optimizer-step counts, but lrplan's"
                " «epochs» and «warmup_epochs» count epochs even with «interval=step»:"
                f" × {config.steps_per_epoch} steps per epoch this plans {config.rows:,}"
                " optimizer steps.",
                f"Give them in epochs: e.g. «epochs={in_epochs}» if {config.epochs:,} is the"
                " run's step count.",
                (("epochs", in_epochs),),
            )
        )
    return found


def _optimizer_findings(schedule: Schedule, optimizer: str, source: str | None) -> list[Insight]:
    lr = schedule.config.lr
    named = f"{optimizer} ({source})" if source else optimizer
    key = optimizer_key(optimizer)
    if key not in OPTIMIZER_LR_RANGES:
        return [
            Insight(
                "optimizer-unknown",
                "note",
                f"The optimizer is {named}; lrplan knows the usual peak rates of"
                f" {', '.join(OPTIMIZER_LR_RANGES)} only, so it did not check lr against it.",
                "Nothing to fix. «optimizer=NAME» checks lr against a known optimizer's range.",
            )
        ]
    low, high = OPTIMIZER_LR_RANGES[key]
    if low <= lr <= high:
        return []
    if lr > high:
        message = (
            f"The peak lr {fmt_lr(lr)} is unusually high for {named}: its peaks usually lie"
            f" between {low:g} and {high:g}."
        )
        suggested = high
        fix = (
            f"Check the exponent, and lower «lr» to {high:g} or less; if you scaled lr for a"
            " large batch on purpose, a longer warm-up helps (the tuning guide's fix for"
            " diverging training)."
        )
    else:
        message = (
            f"The peak lr {fmt_lr(lr)} is unusually low for {named}: its peaks usually lie"
            f" between {low:g} and {high:g}, and training this low is slow."
        )
        suggested = low
        fix = f"Check the exponent, and raise «lr» to {low:g} or more."
    return [Insight("lr-unusual-for-optimizer", "warning", message, fix, (("lr", suggested),))]


def _last_epoch_findings(
    schedule: Schedule, last_epoch: int, source: str | None, error: str | None
) -> list[Insight]:
    where = f" ({source})" if source else ""
    resume_at = f"lrplan resume --at {min(last_epoch + 1, schedule.config.epochs - 1)}"
    name = schedule.config.class_name
    if error is not None:
        return [
            Insight(
                "config-last-epoch",
                "error",
                f"The config sets last_epoch={last_epoch}{where}: {name} built with it"
                f" on a fresh optimizer raises {error.splitlines()[0]}",
                "Drop last_epoch from the config. To resume, build the scheduler as for a"
                " fresh run and load the optimizer's and the scheduler's state dicts"
                f" ({resume_at} shows the ways and the code).",
            )
        ]
    return [
        Insight(
            "config-last-epoch",
            "warning",
            f"The config sets last_epoch={last_epoch}{where}: a scheduler built with it"
            f" starts at {schedule.config.unit} {last_epoch + 1}'s rate, whatever the"
            " optimizer's state.",
            f"Drop last_epoch and load the scheduler's state dict to resume ({resume_at}).",
        )
    ]


def _trainer_findings(schedule: Schedule, trainer_epochs: int, source: str | None) -> list[Insight]:
    """The trainer's ``max_epochs`` against the schedule's ``epochs``, in the planned rates."""
    config = schedule.config
    if trainer_epochs == config.epochs:
        return []
    where = f" ({source})" if source else ""
    if trainer_epochs < config.epochs:
        last = schedule.lrs[max(trainer_epochs, 1) * config.steps_per_epoch - 1]
        return [
            Insight(
                "trainer-stops-early",
                "warning",
                f"The trainer stops after max_epochs={trainer_epochs}{where}, but the schedule"
                f" runs epochs={config.epochs}: training ends at {fmt_lr(last)}, before the"
                " cosine has decayed.",
                f"Set epochs={trainer_epochs} for the scheduler, or max_epochs={config.epochs}"
                " for the trainer.",
            )
        ]
    over = (trainer_epochs - config.epochs) * config.steps_per_epoch
    from lrplan.core.planner import plan

    after = plan(config, beyond=over).beyond
    return [
        Insight(
            "trainer-runs-past-schedule",
            "warning",
            f"The trainer runs max_epochs={trainer_epochs}{where}, but the schedule ends at"
            f" epochs={config.epochs}: for the last {trainer_epochs - config.epochs} epochs the"
            f" rate leaves the floor again, up to {fmt_lr(max(after))}.",
            f"Set epochs={trainer_epochs} for the scheduler, or max_epochs={config.epochs}"
            " for the trainer.",
        )
    ]
