"""Insights for any scheduler, read from the shape of its planned rates.

WarmupCosLR's insights (:func:`lrplan.analysis.insights.insights`) know its formula's branches. Any
other scheduler, a torch built-in or the user's own class, is described by what its planned
rates do: stay constant, start at the peak, hold a value for several epochs, restart, rise
again after falling, end above the floor they are heading for, rise or refuse to step when
training runs past its end. Nothing here recomputes a learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrplan.analysis.summary import FLOOR_SLACK, Insight, Summary, fmt_lr, span
from lrplan.analysis.words import count
from lrplan.core.planner import Schedule
from lrplan.core.rates import DECAY, RESTART, RISE, SAME_RATE, same_rate, shape_phase
from lrplan.core.registry import framework_of
from lrplan.core.schedulers import floor, length_argument

#: A plateau worth describing lasts at least this many epochs.
HOLD_EPOCHS = 3
#: Plateaus named one by one; more are counted.
PLATEAUS_NAMED = 4
#: Epochs past the end of training the overrun insight looks at, at most: a fifth of training
#: up to this many, as for WarmupCosLR.
OVERRUN_EPOCHS = 5


def shape_insights(schedule: Schedule, summary: Summary) -> list[Insight]:
    """Everything a user should know before launching, each with a fix, for any scheduler."""
    lrs = schedule.lrs
    found: list[Insight] = []
    if all(same_rate(lr, lrs[0]) for lr in lrs):
        found.append(_constant(schedule))
    else:
        found += _starts_at_peak(schedule, summary)
        found += _holds(schedule)
        found += _restarts(schedule)
        found += _rises_again(schedule)
    found += _ends_above_floor(schedule, summary)
    from lrplan.analysis.framework_insights import framework_insights, trainer_stops_it

    # Trainer and timm's train.py stop at the schedule's length.
    if not trainer_stops_it(schedule):
        found += _past_the_end(schedule)
    # A framework's trainer or engine steps its schedule itself.
    if not framework_of(schedule.config.scheduler):
        found += _counted_in_steps(schedule)
    found += framework_insights(schedule)
    name = schedule.config.class_name
    for message in schedule.warnings:
        found.append(
            Insight(
                "torch-warning",
                "warning",
                f"{name} warned while planning: {message.splitlines()[0]}",
                f"Check {name}'s arguments; if the warning is about how lrplan steps it,"
                " report it to lrplan.",
            )
        )
    return found


def _constant(schedule: Schedule) -> Insight:
    config = schedule.config
    return Insight(
        "constant",
        "note",
        f"The rate is {fmt_lr(schedule.lrs[0])} for all {len(schedule.lrs):,} {config.unit}s:"
        " it never changes.",
        "Keep it if a constant rate is what you want; for a decay choose a decaying scheduler"
        " («scheduler=cosine», or the default warmup_cos).",
    )


def _starts_at_peak(schedule: Schedule, summary: Summary) -> list[Insight]:
    lrs = schedule.lrs
    if not same_rate(lrs[0], summary.peak_lr):
        return []
    unit = schedule.config.unit
    return [
        Insight(
            "starts-at-peak",
            "note",
            f"{unit.capitalize()} 0 already runs at the peak {fmt_lr(summary.peak_lr)}:"
            " there is no warm-up.",
            "If early training is unstable at the peak, warm up first: --scheduler"
            " warmup_cos, or a LinearLR before this scheduler in a SequentialLR (lrplan"
            " equivalent prints one).",
        )
    ]


def plateaus(schedule: Schedule) -> list[tuple[int, int]]:
    """The ``(first, last)`` rows of every run of one rate lasting :data:`HOLD_EPOCHS` epochs
    or more."""
    lrs = schedule.lrs
    least = HOLD_EPOCHS * schedule.per_epoch
    runs: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(lrs) + 1):
        if index == len(lrs) or not same_rate(lrs[index], lrs[start]):
            if index - start >= least:
                runs.append((start, index - 1))
            start = index
    return runs


def _holds(schedule: Schedule) -> list[Insight]:
    runs = plateaus(schedule)
    if not runs:
        return []
    unit = schedule.config.unit
    named = [
        f"{fmt_lr(schedule.lrs[first])} for {unit}s {first}–{last}"
        for first, last in runs[:PLATEAUS_NAMED]
    ]
    if len(runs) > PLATEAUS_NAMED:
        named.append(f"{len(runs) - PLATEAUS_NAMED} more plateaus")
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" and {named[-1]}"
    return [
        Insight(
            "holds",
            "note",
            f"The rate holds still for several {unit}s at a time: {listed}.",
            "By design for a step schedule, or a warm-up that ends at a constant rate. If the"
            " loss stalls partway through a plateau, step sooner (a smaller step_size, earlier"
            " milestones) or compare with a smooth decay: scheduler=cosine in lrplan compare.",
        )
    ]


def _restarts(schedule: Schedule) -> list[Insight]:
    lrs = schedule.lrs
    unit = schedule.config.unit
    rows = len(lrs)
    at = tuple(index for index in range(rows) if shape_phase(lrs, index) == RESTART)
    if not at:
        return []
    first = at[0]
    cycle_end = _next_restart(schedule)
    changes: tuple[tuple[str, Any], ...] = ()
    if cycle_end == rows:
        ending = f"Training ends at the bottom of a cycle ({unit} {rows - 1})."
        fix = "By design of warm restarts. Plan with the epochs you will really train."
    else:
        ending = f"Training ends partway down a cycle, at {fmt_lr(lrs[-1])}."
        fix = "Each restart sends the loss up for a while; that is the point of warm restarts."
        if cycle_end is not None and cycle_end % schedule.per_epoch == 0:
            changes = (("epochs", cycle_end // schedule.per_epoch),)
            fix += (
                f" To end training at the bottom of a cycle, train"
                f" «epochs={cycle_end // schedule.per_epoch}»."
            )
    times = "once" if len(at) == 1 else f"{len(at)} times"
    return [
        Insight(
            "restarts",
            "note",
            f"The rate restarts {times}, jumping back up at {span(unit, at)} (at {unit}"
            f" {first} from {fmt_lr(lrs[first - 1])} to {fmt_lr(lrs[first])}). {ending}",
            fix,
            changes,
        )
    ]


def _next_restart(schedule: Schedule) -> int | None:
    """The first row from the end of training on where the rate restarts, if planned."""
    combined = [*schedule.lrs, *schedule.beyond]
    for index in range(len(schedule.lrs), len(combined)):
        if shape_phase(combined, index) == RESTART:
            return index
    return None


def _rises_again(schedule: Schedule) -> list[Insight]:
    lrs = schedule.lrs
    unit = schedule.config.unit
    fell = False
    for index in range(len(lrs)):
        phase = shape_phase(lrs, index)
        if phase in (DECAY, RESTART):
            fell = True
        elif phase == RISE and fell and index > 0:
            top = index
            while top + 1 < len(lrs) and shape_phase(lrs, top + 1) == RISE:
                top += 1
            length = length_argument(schedule.config)
            rows = len(lrs)
            if length is not None:
                fix = (
                    f"If that is not what you want, make {length}={rows} (the {unit}s"
                    f" trained), as lrplan does unless «param.{length}» is given. A cyclic"
                    " schedule rises by design."
                )
            else:
                fix = (
                    f"If that is not what you want, make the scheduler's length"
                    f" {count(rows, unit, grouped=False)} (the {unit}s trained). A cyclic"
                    " schedule rises by design."
                )
            return [
                Insight(
                    "rises-again",
                    "warning",
                    f"After falling to {fmt_lr(lrs[index - 1])} at {unit} {index - 1}, the"
                    f" rate rises again, to {fmt_lr(lrs[top])} at {unit} {top}.",
                    fix,
                )
            ]
    return []


def _ends_above_floor(schedule: Schedule, summary: Summary) -> list[Insight]:
    config = schedule.config
    unit = config.unit
    last = summary.last_trained_lr
    rows = len(schedule.lrs)
    declared = floor(config)
    if declared is not None:
        name, value = declared
        reaches = value * (1 + FLOOR_SLACK)
        if last <= reaches or min(schedule.lrs) <= reaches or _restarts(schedule):
            # At the floor, past it during training (then rising), or never meant to stay
            # there (warm restarts): the rises-again and restarts insights say more.
            return []
        reached = next(
            (
                rows + offset
                for offset, lr in enumerate(schedule.beyond)
                if lr <= value * (1 + FLOOR_SLACK)
            ),
            None,
        )
        where = (
            f"{name} is reached only at {unit} {reached}, which is never trained"
            if reached is not None
            else f"training never runs at {name}"
        )
        times = f", {last / value:.2f}× {name} {fmt_lr(value)}" if value > 0 else ""
        message = f"The last trained {unit} ({rows - 1}) runs at {fmt_lr(last)}{times}; {where}."
        return [Insight("floor-not-reached", "note", message, _floor_fix(schedule, value))]
    settled = _settles_after(schedule)
    if settled is None:
        return []
    at, value = settled
    return [
        Insight(
            "floor-not-reached",
            "note",
            f"The last trained {unit} ({rows - 1}) runs at {fmt_lr(last)}; after training the"
            f" rate goes on falling to {fmt_lr(value)} at {unit} {at}, which is never trained.",
            _floor_fix(schedule, value),
        )
    ]


def _settles_after(schedule: Schedule) -> tuple[int, float] | None:
    """Where the rate bottoms out after training: the lowest rate past the end, if it is
    below the last trained one and the rate then rises or holds to the end of the plan."""
    beyond = schedule.beyond
    last = schedule.lrs[-1]
    if len(beyond) < 2:
        return None
    low = min(range(len(beyond)), key=lambda index: beyond[index])
    if beyond[low] >= last * (1 - FLOOR_SLACK) or low == len(beyond) - 1:
        return None
    if any(beyond[index] < beyond[low] for index in range(low + 1, len(beyond))):
        return None
    return len(schedule.lrs) + low, beyond[low]


def _floor_fix(schedule: Schedule, floor_value: float) -> str:
    config = schedule.config
    unit = config.unit
    rows = len(schedule.lrs)
    if floor_value == 0:
        return "Nothing to fix: training at a rate of 0 would teach the model nothing."
    length = length_argument(config)
    if length is not None:
        return (
            f"To train the last {unit} at the floor, build {config.class_name} with"
            f" «param.{length}={rows - 1}» while training {count(rows, unit, grouped=False)};"
            f" or accept it: the floor is the value at the end."
        )
    return (
        f"To train the last {unit} at the floor, make the scheduler's length"
        f" {count(rows - 1, unit, grouped=False)}"
        f" while training {rows}; or accept it: the floor is the value at the end."
    )


def _past_the_end(schedule: Schedule) -> list[Insight]:
    config = schedule.config
    unit = config.unit
    rows = len(schedule.lrs)
    trainer = (
        f"a trainer whose max_epochs exceeds epochs={config.epochs}"
        if unit == "epoch"
        else f"a trainer that runs more than {rows:,} steps"
    )
    found: list[Insight] = []
    epochs = min(OVERRUN_EPOCHS, max(1, config.epochs // 5))
    window = schedule.beyond[: config.steps_per_epoch * epochs + 1]
    rise = _first_rise(schedule.lrs[-1], window)
    if rise is not None and schedule.stopped is None:
        top = max(range(rise, len(window)), key=lambda index: window[index])
        low = min([schedule.lrs[-1], *window[:rise]])
        found.append(
            Insight(
                "rises-past-end",
                "note",
                f"If training runs past {unit} {rows - 1} ({trainer}), the rate rises again:"
                f" {unit} {rows + top} would run at {fmt_lr(window[top])}, up from"
                f" {fmt_lr(low)}.",
                f"Stop training at epochs={config.epochs} (set the trainer's max_epochs to the"
                " same value), or plan with the epochs you will really train.",
            )
        )
    if schedule.stopped is not None:
        after = rows + len(schedule.beyond) - 1
        found.append(
            Insight(
                "stops-past-end",
                "note",
                f"{config.class_name} cannot run past its length: if training goes on past"
                f" {unit} {rows - 1} ({trainer}), its step() after {unit} {after} raises"
                f" {schedule.stopped.rstrip('.')}.",
                "Stop the trainer at exactly the planned length (max_epochs, or max_steps),"
                " or build the scheduler with the length you will really train.",
            )
        )
    return found


def _first_rise(last: float, window: Sequence[float]) -> int | None:
    low = last
    for index, lr in enumerate(window):
        if lr > low * (1 + SAME_RATE):
            return index
        low = min(low, lr)
    return None


def _counted_in_steps(schedule: Schedule) -> list[Insight]:
    from lrplan.core.schedulers import call_text

    config = schedule.config
    if config.interval != "step" or config.steps_per_epoch == 1:
        return []
    return [
        Insight(
            "interval-step-units",
            "note",
            f"With «interval=step» the scheduler counts optimizer steps: lrplan builds it as"
            f" {call_text(config)}, every length in steps.",
            "Build it with the same step counts in the training code and call"
            ' scheduler.step() after every optimizer.step() (Lightning\'s "interval": "step").',
        )
    ]
