"""What a planned Schedule means: the insights a user wants before launching, each with a fix.

WarmupCosLR's insights know its formula; any other scheduler's are read from the shape of its
planned rates (:mod:`lrplan.analysis.shape`). Everything here reads the planned learning
rates; nothing recomputes them.
"""

from __future__ import annotations

from lrplan.analysis.summary import (
    FLOOR_SLACK,
    Insight,
    Summary,
    fmt_lr,
    span,
    summarize,
)
from lrplan.core.planner import Schedule
from lrplan.core.registry import WARMUP_COS


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
                "Lower «min_lr» (e.g. to lr / 100) for a cosine decay, or keep it if a constant"
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
                " length; if that is too long at the full rate, lower «lr».",
            )
        )

    if config.warmup_rows == 1:
        found.append(
            Insight(
                "no-warmup",
                "warning",
                "warmup_epochs=1 warms up in one epoch that already runs at the full lr:"
                " there is no warm-up at all.",
                "Use «warmup_epochs=2» or more for a real ramp, or 0 to say plainly that"
                " there is none.",
                (("warmup_epochs", 2),),
            )
        )
    elif config.warmup_epochs == 0 and not constant:
        found.append(
            Insight(
                "pure-cosine",
                "note",
                "warmup_epochs=0: no warm-up, the first "
                f"{unit} starts at the peak {fmt_lr(summary.peak_lr)} (a pure cosine).",
                "Add «warmup_epochs=3» or so if early training is unstable at the peak.",
                (("warmup_epochs", 3),),
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
                f" «min_lr» to at most {fmt_lr(warmup[0])}, the first {unit}'s rate.",
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
                "With «interval=step» WarmupCosLR counts optimizer steps: build it with"
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
