"""What a planned Schedule means: a summary and the insights a user wants before launching.

Everything here reads the planned learning rates; nothing recomputes them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lrplan.core.planner import Schedule
from lrplan.core.schedulers import WARMUP_COS, WARMUP_COS_KINDS, floor, uses

Level = Literal["error", "warning", "note"]

#: Two rates closer than this (relative) count as the same rate, e.g. the held peak: a few
#: ulps, since ``min_lr + (lr - min_lr)`` may differ from ``lr`` in the last bit.
SAME_RATE = 1e-14
#: The last trained rate is "above the floor" when it exceeds min_lr by more than this share.
FLOOR_SLACK = 0.01


@dataclass(frozen=True)
class Insight:
    """One thing worth knowing about a schedule, with a concrete fix."""

    code: str
    level: Level
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    """Key figures of a schedule. Positions are epochs (``unit="epoch"``) or steps."""

    unit: str
    rows: int
    peak_lr: float
    peak_at: tuple[int, ...]
    last_trained_lr: float
    last_trained_at: int
    min_lr: float
    mean_lr: float
    last_over_min: float | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["peak_at"] = list(self.peak_at)
        return data


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SAME_RATE, abs_tol=0.0)


def summarize(schedule: Schedule) -> Summary:
    """Peak and where it is held, last trained rate against ``min_lr``, and the mean."""
    lrs = schedule.lrs
    peak = max(lrs)
    peak_at = tuple(index for index, lr in enumerate(lrs) if _same(lr, peak))
    last = lrs[-1]
    min_lr = _floor_of(schedule)
    return Summary(
        unit=schedule.config.unit,
        rows=len(lrs),
        peak_lr=peak,
        peak_at=peak_at,
        last_trained_lr=last,
        last_trained_at=len(lrs) - 1,
        min_lr=min_lr,
        mean_lr=math.fsum(lrs) / len(lrs),
        # None where the ratio means nothing: a floor of 0, or one so small it overflows.
        last_over_min=last / min_lr if min_lr > 0 and math.isfinite(last / min_lr) else None,
    )


def _floor_of(schedule: Schedule) -> float:
    """min_lr for WarmupCosLR; for another scheduler the floor it is built with (eta_min,
    or a min_lr it is given), else 0."""
    if schedule.config.scheduler == WARMUP_COS:
        return schedule.config.min_lr
    declared = floor(schedule.config)
    return declared[1] if declared is not None else 0.0


def fmt_lr(value: float) -> str:
    """A learning rate as users write them: 4 significant digits, e.g. ``9.799e-04``."""
    return f"{value:.4g}" if value == 0 else f"{value:.3e}"


def span(unit: str, positions: tuple[int, ...]) -> str:
    if len(positions) == 1:
        return f"{unit} {positions[0]}"
    if positions == tuple(range(positions[0], positions[-1] + 1)):
        if len(positions) == 2:
            return f"{unit}s {positions[0]} and {positions[1]}"
        return f"{unit}s {positions[0]}–{positions[-1]}"
    return f"{unit}s " + ", ".join(str(p) for p in positions)


def insights(schedule: Schedule, summary: Summary | None = None) -> list[Insight]:
    """Everything a user should know before launching, each with a fix.

    WarmupCosLR's insights know its formula; any other scheduler's are read from the shape
    of its planned rates (:mod:`lrplan.analysis.shape`).
    """
    summary = summary or summarize(schedule)
    if schedule.config.scheduler != WARMUP_COS:
        from lrplan.analysis.shape import shape_insights

        return shape_insights(schedule, summary)
    config = schedule.config
    unit = config.unit
    found: list[Insight] = []

    constant = config.min_lr == config.lr
    if constant:
        found.append(
            Insight(
                "constant",
                "warning",
                f"min_lr equals lr ({fmt_lr(config.lr)}): after the warm-up the learning rate"
                " never decays.",
                "Lower --min-lr (e.g. to lr / 100) for a cosine decay, or keep it if a constant"
                " rate is what you want.",
            )
        )

    if len(summary.peak_at) > 1 and unit == "epoch" and not constant:
        held = len(summary.peak_at)
        found.append(
            Insight(
                "peak-held",
                "note",
                f"The peak {fmt_lr(summary.peak_lr)} is held for {held} {unit}s"
                f" ({span(unit, summary.peak_at)}): the warm-up's last {unit} already reaches"
                f" lr and the cosine starts from it.",
                f"WarmupCosLR always holds the peak for {held} {unit}s, whatever the warm-up"
                " length; if that is too long at the full rate, lower --lr.",
            )
        )

    if config.warmup_rows == 1:
        found.append(
            Insight(
                "no-warmup",
                "warning",
                "warmup_epochs=1 warms up in one epoch that already runs at the full lr:"
                " there is no warm-up at all.",
                "Use --warmup-epochs 2 or more for a real ramp, or 0 to say plainly that"
                " there is none.",
            )
        )
    elif config.warmup_epochs == 0 and not constant:
        found.append(
            Insight(
                "pure-cosine",
                "note",
                "warmup_epochs=0: no warm-up, the first "
                f"{unit} starts at the peak {fmt_lr(summary.peak_lr)} (a pure cosine).",
                "Add --warmup-epochs 3 or so if early training is unstable at the peak.",
            )
        )

    floor = config.min_lr
    if summary.last_trained_lr > floor * (1 + FLOOR_SLACK):
        ratio = (
            f"{summary.last_over_min:.2f}× min_lr {fmt_lr(floor)}"
            if summary.last_over_min is not None
            else f"above min_lr {fmt_lr(floor)}"
        )
        scheduler_length = config.rows - 1
        if scheduler_length <= config.warmup_rows:
            fix = (
                f"No WarmupCosLR setting trains a {unit} at min_lr with a"
                f" {config.warmup_rows}-{unit} warm-up in {config.rows} {unit}s; train longer,"
                " or accept it: the floor is the value at the end."
            )
        elif unit == "epoch":
            fix = (
                f"To train the last epoch at min_lr, build WarmupCosLR with epochs="
                f"{scheduler_length} while training {config.epochs} epochs; or accept it:"
                " the floor is the value at the end, not during the last epoch."
            )
        else:
            fix = (
                f"To train the last step at min_lr, build WarmupCosLR with epochs="
                f"{scheduler_length} steps while training {config.rows} steps."
            )
        found.append(
            Insight(
                "floor-not-reached",
                "note",
                f"The last trained {unit} ({summary.last_trained_at}) runs at"
                f" {fmt_lr(summary.last_trained_lr)}, {ratio}; min_lr is reached only at"
                f" {unit} {config.rows},"
                " which is never trained.",
                fix,
            )
        )

    # Only a rise that shows in the four digits lrplan prints is worth a note.
    if len(schedule.beyond) > 1 and fmt_lr(schedule.beyond[-1]) != fmt_lr(schedule.beyond[0]):
        over = len(schedule.beyond) - 1
        rise_at = config.rows + over
        found.append(
            Insight(
                "rises-past-end",
                "note",
                f"If training runs past {unit} {config.rows - 1} (a trainer whose max_epochs"
                f" exceeds epochs={config.epochs}), the cosine rises again: {unit}"
                f" {rise_at} would run at {fmt_lr(schedule.beyond[-1])}"
                f" instead of staying at {fmt_lr(floor)}.",
                f"Stop training at epochs={config.epochs} (set the trainer's max_epochs to"
                " the same value), or plan with the epochs you will really train.",
            )
        )

    found += _warmup_below_floor(schedule)
    found += _step_units(schedule)

    for message in schedule.warnings:
        found.append(
            Insight(
                "torch-warning",
                "warning",
                f"torch warned while planning: {message.splitlines()[0]}",
                "Report this to lrplan: the planner steps the optimizer before the scheduler.",
            )
        )
    return found


# --- lrplan check: show's insights and the findings only check reports --------------------------

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
                f"Add them to the config, name the section that holds them with --config-key,"
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
            f"Warm up for about a tenth of training (--warmup-epochs {suggestion}), or train"
            " longer."
            if suggestion >= 2
            else f"With {config.epochs} epochs, use --warmup-epochs 0 (a pure cosine) or"
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
                " --interval epoch the scheduler steps once per epoch: this plans"
                f" {config.epochs:,} epochs.",
                "If they count optimizer steps, the scheduler must step per optimizer step"
                ' (Lightning\'s "interval": "step"): plan it with --interval step'
                " --steps-per-epoch N and epochs in epochs. If they are epochs, ignore this.",
            )
        )
    elif step_like:
        in_epochs = max(1, config.epochs // config.steps_per_epoch)
        found.append(
            Insight(
                "looks-like-steps",
                "warning",
                f"{' and '.join(step_like)} look like optimizer-step counts, but lrplan's"
                " --epochs and --warmup-epochs count epochs even with --interval step:"
                f" × {config.steps_per_epoch} steps per epoch this plans {config.rows:,}"
                " optimizer steps.",
                f"Give them in epochs: e.g. --epochs {in_epochs} if {config.epochs:,} is the"
                " run's step count.",
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
                "Nothing to fix. --optimizer NAME checks lr against a known optimizer's range.",
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
        fix = (
            f"Check the exponent, and lower --lr to {high:g} or less; if you scaled lr for a"
            " large batch on purpose, a longer warm-up helps (the tuning guide's fix for"
            " diverging training)."
        )
    else:
        message = (
            f"The peak lr {fmt_lr(lr)} is unusually low for {named}: its peaks usually lie"
            f" between {low:g} and {high:g}, and training this low is slow."
        )
        fix = f"Check the exponent, and raise --lr to {low:g} or more."
    return [Insight("lr-unusual-for-optimizer", "warning", message, fix)]


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


def _warmup_below_floor(schedule: Schedule) -> list[Insight]:
    config = schedule.config
    unit = config.unit
    found: list[Insight] = []
    warmup = schedule.lrs[: config.warmup_rows]
    below = [index for index, lr in enumerate(warmup) if lr < config.min_lr]
    if below:
        found.append(
            Insight(
                "warmup-below-floor",
                "note",
                f"The warm-up starts below min_lr: {span(unit, tuple(below))}"
                f" {'trains' if len(below) == 1 else 'train'} at"
                f" {fmt_lr(warmup[below[0]])}"
                f"{' and up' if len(below) > 1 else ''}, under the floor"
                f" {fmt_lr(config.min_lr)}; min_lr bounds only the cosine.",
                f"By design of WarmupCosLR. For a floor that holds from the start, lower"
                f" --min-lr to at most {fmt_lr(warmup[0])}, the first {unit}'s rate.",
            )
        )
    return found


def _step_units(schedule: Schedule) -> list[Insight]:
    config = schedule.config
    found: list[Insight] = []
    if config.interval == "step" and config.steps_per_epoch > 1:
        found.append(
            Insight(
                "interval-step-units",
                "note",
                "With --interval step WarmupCosLR counts optimizer steps: build it with"
                f" warmup_epochs={config.warmup_rows} and epochs={config.rows}"
                f" (steps), not the epoch counts {config.warmup_epochs} and {config.epochs}."
                f" Given those, it would end its warm-up after {config.warmup_epochs} steps"
                f" and its cosine after {config.epochs}, then rise again.",
                f"Multiply by the steps per epoch in the training code:"
                f" warmup_epochs={config.warmup_epochs} * {config.steps_per_epoch},"
                f" epochs={config.epochs} * {config.steps_per_epoch}.",
            )
        )
    return found


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
