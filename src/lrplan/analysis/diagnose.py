"""Read a training log like someone who tunes schedules: name the symptom, check the rate.

:func:`read_loss` applies the rules below to the loss curve of a :class:`TrainingLog` and
names one of ``diverging``, ``slow``, ``plateau`` or ``healthy``, the first whose rule holds:

1. ``diverging``: the loss became NaN or infinite, or rose to :data:`DIVERGE_RISE` times
   its lowest value so far, or ended above where it started after having fallen.
2. ``slow``: the loss never fell, or took until :data:`SLOW_HALFWAY_SHARE` of the run or
   later to fall halfway from its first value to its last.
3. ``plateau``: over the last :data:`TAIL_SHARE` of the run, the loss fell less than
   :data:`PLATEAU_FALL` (a least-squares line through those points, from its start to its
   end, relative to its start), or rose.
4. ``healthy``: none of these.

:func:`check_lr` compares the learning rates a log holds with the planned schedule, finds
the first epoch (or step) where they part, and names the likely cause by replaying the usual
mistakes with the real scheduler (:func:`lrplan.core.planner.plan`, :func:`lrplan.analysis.resume.
simulate_resume`); a cause is named only when its replay matches every logged rate.

Every learning rate here comes from the logs or from the real scheduler; nothing recomputes
the formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrplan.analysis.summary import fmt_lr
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.logs import LoggedLr, TrainingLog

if TYPE_CHECKING:
    from lrplan.analysis.tuning import Remedy

HEALTHY = "healthy"
#: Every name :func:`read_loss` gives, in the order its rules are tried.
SYMPTOM_NAMES = ("diverging", "slow", "plateau", HEALTHY)

#: The share of the run, at its end, whose trend tells a plateau from a healthy run.
TAIL_SHARE = 0.3
#: The fewest points (epochs) a loss curve needs before slow, plateau and healthy can be
#: told apart; NaN and a rise count as diverging in a log of any length.
MIN_POINTS = 5
#: A loss this many times its lowest value so far has diverged, even if it comes back.
DIVERGE_RISE = 2.0
#: A loss that needs this share of the run or more to fall halfway is slow.
SLOW_HALFWAY_SHARE = 0.25
#: Over the tail, a loss that falls less than this share of its level has stopped improving.
PLATEAU_FALL = 0.02
#: A logged learning rate within this relative distance of the planned one follows the plan
#: (logs round; a real departure differs by far more).
LR_TOLERANCE = 0.01


# --- the loss -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A least-squares line through the loss over the points ``first`` to ``last`` (indices).

    ``change`` is the line's rise from its start to its end relative to its start (negative:
    the loss falls); ``per_epoch`` the same per epoch, for a log with epochs.
    """

    first: int
    last: int
    start: float
    end: float
    change: float
    per_epoch: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_index": self.first,
            "last_index": self.last,
            "fitted_start": self.start,
            "fitted_end": self.end,
            "change": self.change,
            "change_per_epoch": self.per_epoch,
        }


@dataclass(frozen=True)
class LossReading:
    """The symptom the loss curve shows, why (one sentence per figure), and the figures.

    Indices point into the log's positions. ``rise`` is the largest ratio of a loss to the
    lowest loss before it, reached at ``rise_at`` over the low at ``low_at``; ``halfway_at``
    is where the loss first fell halfway from its first value to its last, ``halfway_share``
    how far into the run that is (0 to 1).
    """

    symptom: str
    evidence: tuple[str, ...]
    nonfinite_at: int | None = None
    rise: float | None = None
    rise_at: int | None = None
    low_at: int | None = None
    halfway_at: int | None = None
    halfway_share: float | None = None
    tail: Trend | None = None

    def to_dict(self, log: TrainingLog) -> dict[str, Any]:
        def at(index: int | None) -> int | None:
            return None if index is None else log.positions[index]

        return {
            "symptom": self.symptom,
            "evidence": list(self.evidence),
            f"nonfinite_at_{log.unit}": at(self.nonfinite_at),
            "rise": self.rise,
            f"rise_at_{log.unit}": at(self.rise_at),
            f"low_at_{log.unit}": at(self.low_at),
            f"halfway_at_{log.unit}": at(self.halfway_at),
            "halfway_share": self.halfway_share,
            "tail": self.tail.to_dict() if self.tail is not None else None,
        }


def read_loss(log: TrainingLog, lr_at: Callable[[int], str | None] | None = None) -> LossReading:
    """Name the symptom of ``log``'s loss curve with the rules of this module.

    ``lr_at(index)`` may describe the learning rate at a point (for the plateau's evidence).

    Raises:
        LrplanError: for a curve too short to judge (fewer than :data:`MIN_POINTS` points)
            that shows no divergence.
    """
    losses = log.losses
    where = log.where

    nonfinite_at = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), None)
    # Before a NaN, only the finite losses: NaN compares with nothing.
    rise, rise_at, low_at = _largest_rise(losses[:nonfinite_at])
    risen = rise is not None and rise >= DIVERGE_RISE
    rise_text = ""
    if risen:
        assert rise_at is not None and low_at is not None
        rise_text = (
            f"the loss rose to {rise:.1f}× its lowest value so far: {_loss(losses[low_at])}"
            f" at {where(low_at)}, {_loss(losses[rise_at])} at {where(rise_at)}"
            f" (the rule: {DIVERGE_RISE:g}× or more)"
        )
    if nonfinite_at is not None:
        bad = losses[nonfinite_at]
        evidence = [
            f"the loss became {'NaN' if math.isnan(bad) else 'infinite'} at {where(nonfinite_at)}"
        ]
        if nonfinite_at:
            low = min(range(nonfinite_at), key=lambda i: losses[i])
            evidence[0] += f", after falling to {_loss(losses[low])} at {where(low)}"
        if risen:
            evidence.append(f"before that, {rise_text}")
        return LossReading(
            "diverging",
            tuple(evidence),
            nonfinite_at=nonfinite_at,
            rise=rise,
            rise_at=rise_at,
            low_at=low_at,
        )
    if risen:
        return LossReading(
            "diverging", (rise_text, _ending(log)), rise=rise, rise_at=rise_at, low_at=low_at
        )

    if len(losses) < MIN_POINTS:
        count = f"{len(losses)} {log.unit}{'s' if len(losses) != 1 else ''}"
        raise LrplanError(
            f"{log.path}: the loss has {count}; diagnose needs {MIN_POINTS} or more to tell"
            " slow, plateau and healthy apart"
        )
    tail = fit_tail(log)
    first, last = losses[0], losses[-1]
    end = len(losses) - 1

    def named(symptom: str, *evidence: str, halfway_at: int | None = None) -> LossReading:
        share = None
        if halfway_at is not None:
            span = log.positions[-1] - log.positions[0]
            share = (log.positions[halfway_at] - log.positions[0]) / span
        return LossReading(
            symptom,
            evidence,
            rise=rise,
            rise_at=rise_at,
            low_at=low_at,
            halfway_at=halfway_at,
            halfway_share=share,
            tail=tail,
        )

    if last >= first:
        lowest = min(range(len(losses)), key=lambda i: losses[i])
        if losses[lowest] < first * (1 - PLATEAU_FALL):
            return named(
                "diverging",
                f"the loss fell to {_loss(losses[lowest])} at {where(lowest)}, then climbed"
                f" back to {_loss(last)} at {where(end)}, above the {_loss(first)} it"
                " started at",
            )
        return named(
            "slow",
            f"the loss never fell: {_loss(first)} at {where(0)}, {_loss(last)} at {where(end)}",
        )

    halfway_at = next(i for i, loss in enumerate(losses) if loss <= first - (first - last) / 2)
    reading = named(HEALTHY, halfway_at=halfway_at)
    share = reading.halfway_share
    assert share is not None
    halfway = (
        f"halfway from {_loss(first)} to {_loss(last)} by {where(halfway_at)},"
        f" {share * 100:.0f}% into the run"
    )
    tail_text = _tail_text(log, tail)

    if share >= SLOW_HALFWAY_SHARE:
        return named(
            "slow",
            f"the loss took until {where(halfway_at)}, {share * 100:.0f}% into the run, to"
            f" fall halfway from {_loss(first)} to {_loss(last)}"
            f" (the rule: {SLOW_HALFWAY_SHARE * 100:.0f}% or later)",
            tail_text,
            halfway_at=halfway_at,
        )
    if tail.change > -PLATEAU_FALL:
        evidence = [
            f"{tail_text}: it stopped improving (the rule: a fall under {PLATEAU_FALL * 100:g}%)"
        ]
        described = lr_at(tail.first) if lr_at is not None else None
        if described:
            evidence.append(f"while the learning rate was still {described}")
        evidence.append(f"it had fallen {halfway}")
        return named("plateau", *evidence, halfway_at=halfway_at)
    return named(
        HEALTHY,
        f"the loss fell {halfway}",
        f"{tail_text}: still improving as the rate anneals",
        _no_rise(rise),
        halfway_at=halfway_at,
    )


def fit_tail(log: TrainingLog) -> Trend:
    """The least-squares line through the loss over the last :data:`TAIL_SHARE` of the points
    (at least two)."""
    count = len(log.losses)
    size = max(2, math.ceil(count * TAIL_SHARE))
    first = count - size
    xs = [float(position) for position in log.positions[first:]]
    ys = list(log.losses[first:])
    x_mean = math.fsum(xs) / size
    y_mean = math.fsum(ys) / size
    spread = math.fsum((x - x_mean) ** 2 for x in xs)
    slope = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / spread
    start = y_mean + slope * (xs[0] - x_mean)
    end = y_mean + slope * (xs[-1] - x_mean)
    # Relative to the line's start; a line starting at 0 is measured against its end.
    change = (end - start) / (abs(start) or abs(end) or 1.0)
    per_epoch = None
    if log.unit == "epoch":
        per_epoch = change / (xs[-1] - xs[0])
    return Trend(first, count - 1, start, end, change, per_epoch)


def _largest_rise(losses: Sequence[float]) -> tuple[float | None, int | None, int | None]:
    """The largest ``losses[i] / min(losses[:i])``, its ``i`` and the low's index.

    Only for a positive loss: a ratio to a loss of 0 or below says nothing.
    """
    best: tuple[float | None, int | None, int | None] = (None, None, None)
    low_at = 0
    for index in range(1, len(losses)):
        low = losses[low_at]
        if low > 0:
            ratio = losses[index] / low
            if best[0] is None or ratio > best[0]:
                best = (ratio, index, low_at)
        if losses[index] < low:
            low_at = index
    return best


def _tail_text(log: TrainingLog, tail: Trend) -> str:
    share = f"{TAIL_SHARE * 100:g}%"
    span = f"{log.unit}s {log.positions[tail.first]}–{log.positions[tail.last]}"
    text = f"over the last {share} of the run ({span}) the loss "
    if tail.change < 0:
        text += f"fell {-tail.change * 100:.1f}%"
    else:
        text += f"changed {_signed(tail.change)}"
    if tail.per_epoch is not None:
        text += f" ({_signed(tail.per_epoch)} per epoch)"
    return text


def _signed(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def _ending(log: TrainingLog) -> str:
    last = len(log.losses) - 1
    return f"at {log.where(last)}, its last, the loss was {_loss(log.losses[last])}"


def _no_rise(rise: float | None) -> str:
    if rise is None or rise <= 1:
        return "it never rose above its lowest value so far"
    return f"it never rose above {rise:.2f}× its lowest value so far"


def _loss(value: float) -> str:
    return f"{value:.4g}"


# --- the learning rate --------------------------------------------------------------------------

STEP_INTERVAL = "step-interval"
EPOCH_INTERVAL = "epoch-interval"
PLAN_INTERVAL = "plan-interval"
NOT_STEPPED = "not-stepped"
RESUME_FRESH = "resume-fresh"
RESUME_LOAD_ORDER = "resume-load-order"
WARMUP = "warmup"
PEAK = "peak"
LENGTH = "epochs"
UNKNOWN = "unknown"

#: What each cause is called in one line.
CAUSES = {
    STEP_INTERVAL: "a step/epoch interval mix-up: stepped every optimizer step, counted in epochs",
    EPOCH_INTERVAL: "a step/epoch interval mix-up: stepped once per epoch, counted in steps",
    PLAN_INTERVAL: "a plan stepped otherwise than the run: the run is right, the plan is not",
    NOT_STEPPED: "a scheduler that is never stepped",
    RESUME_FRESH: "a resume that restarted the warm-up (a new scheduler, its state not loaded)",
    RESUME_LOAD_ORDER: "a resume that built the scheduler after loading the optimizer's state",
    WARMUP: "a different warm-up length",
    PEAK: "a different peak lr",
    LENGTH: "a different length (epochs)",
    UNKNOWN: "none of the usual mistakes",
}


@dataclass(frozen=True)
class LrPoint:
    """A logged learning rate and the planned one at the same epoch (or step)."""

    logged: LoggedLr
    row: int
    planned: float

    @property
    def matches(self) -> bool:
        return same_rate(self.logged.lr, self.planned)


@dataclass(frozen=True)
class LrCheck:
    """The logged learning rates against the plan: where they part, and the likely cause.

    ``unit`` is the plan's (epoch or step); ``departs`` indexes ``points`` (None: every
    logged rate follows the plan). ``cause`` is a key of :data:`CAUSES` when they part.
    """

    unit: str
    points: tuple[LrPoint, ...]
    departs: int | None
    cause: str | None
    explanation: str
    past_end: int = 0
    steps_per_epoch: int | None = None

    @property
    def departure(self) -> LrPoint | None:
        return None if self.departs is None else self.points[self.departs]

    def where(self, point: LrPoint) -> str:
        """``epoch 12``, or ``step 1536 (epoch 12)`` for a plan stepped per step."""
        if self.unit == "step":
            epoch = point.logged.epoch
            return f"step {point.row}" + (f" (epoch {epoch})" if epoch is not None else "")
        return f"epoch {point.row}"

    def to_dict(self) -> dict[str, Any]:
        departure = self.departure
        return {
            "unit": self.unit,
            "compared": len(self.points),
            "follows_plan": departure is None,
            "departs_at_epoch": departure.logged.epoch if departure is not None else None,
            "departs_at_step": departure.logged.step if departure is not None else None,
            f"departs_at_{self.unit}": departure.row if departure is not None else None,
            "logged": departure.logged.lr if departure is not None else None,
            "planned": departure.planned if departure is not None else None,
            "cause": self.cause,
            "cause_title": CAUSES.get(self.cause or ""),
            "explanation": self.explanation,
            "past_end": self.past_end,
            "tolerance": LR_TOLERANCE,
        }


def same_rate(logged: float, planned: float) -> bool:
    """True when a logged rate is the planned one, within :data:`LR_TOLERANCE`."""
    return math.isclose(logged, planned, rel_tol=LR_TOLERANCE, abs_tol=1e-12)


def plan_rows(log: TrainingLog, config: ScheduleConfig) -> Callable[[LoggedLr], int | None]:
    """Where a logged rate sits in the plan: its epoch, or in a plan stepped per step its
    step (the first step of its epoch when it has none); None where that cannot be said."""
    per_epoch = config.steps_per_epoch

    def row(logged: LoggedLr) -> int | None:
        if config.interval == "epoch":
            return logged.epoch
        if logged.step is not None:
            return logged.step
        return None if logged.epoch is None else logged.epoch * per_epoch

    return row


def planned_rates(config: ScheduleConfig, rows: int) -> list[float]:
    """The real scheduler's rates for ``rows`` rows: training, then on past the end."""
    from lrplan.core.planner import plan

    schedule = plan(config, beyond=max(0, rows - config.rows))
    return [*schedule.lrs, *schedule.beyond][:rows] if rows else list(schedule.lrs)


def check_lr(log: TrainingLog, config: ScheduleConfig) -> LrCheck | str:
    """The logged learning rates against ``config``'s plan, or why they cannot be compared."""
    if log.lr is None:
        return (
            "the log has no learning-rate column, so the rate the run used cannot be"
            " checked against the plan (Lightning: add LearningRateMonitor; or --lr-column NAME)"
        )
    if not log.lrs:
        return f"the column {log.lr.name} has no values, so the rate cannot be checked"
    row_of = plan_rows(log, config)
    placed = [(logged, row_of(logged)) for logged in log.lrs]
    if all(row is None for _, row in placed):
        return (
            "the log has no epoch column: give --interval step --steps-per-epoch N to check"
            " the logged rate step by step"
        )
    placed_rows = [(logged, row) for logged, row in placed if row is not None]
    # One rate per row: the first logged there, the rate that row started with.
    seen: set[int] = set()
    firsts = []
    for logged, row in placed_rows:
        if row not in seen:
            seen.add(row)
            firsts.append((logged, row))
    last_row = max(row for _, row in firsts)
    planned = planned_rates(config, last_row + 1)
    points = tuple(LrPoint(logged, row, planned[row]) for logged, row in firsts)
    past_end = sum(1 for point in points if point.row >= config.rows)
    departs = next((i for i, point in enumerate(points) if not point.matches), None)
    steps_per_epoch = log.steps_per_epoch
    if departs is None:
        unit = config.unit
        explanation = (
            f"the logged rate follows the plan: {len(points)} of {len(points)}"
            f" {unit}{'s' if len(points) != 1 else ''} within {LR_TOLERANCE * 100:g}%"
        )
        return LrCheck(unit, points, None, None, explanation, past_end, steps_per_epoch)
    cause, explanation = _find_cause(log, config, points, departs)
    return LrCheck(config.unit, points, departs, cause, explanation, past_end, steps_per_epoch)


Predictor = Callable[[LrPoint], float | None]


def _find_cause(
    log: TrainingLog, config: ScheduleConfig, points: Sequence[LrPoint], departs: int
) -> tuple[str, str]:
    """The first usual mistake whose replay with the real scheduler gives every logged rate."""
    departure = points[departs]
    unit = config.unit
    where = f"{unit} {departure.row}"
    steps = log.steps_per_epoch
    for key, predictor, fix in _suspects(log, config, departure):
        if _all_match(points, predictor):
            return key, fix
    got, expected = fmt_lr(departure.logged.lr), fmt_lr(departure.planned)
    return UNKNOWN, (
        f"the logged rate departs at {where} ({got} instead of {expected}) and matches none"
        " of the usual mistakes lrplan replays (a scheduler never stepped, a step/epoch"
        " mix-up, a resume, another warm-up, peak or length): compare the run's WarmupCosLR"
        f" arguments (lr, min_lr, warmup_epochs, epochs{', steps' if steps else ''}) with the"
        " plan"
    )


def _all_match(points: Sequence[LrPoint], predictor: Predictor) -> bool:
    for point in points:
        expected = predictor(point)
        if expected is None or not same_rate(point.logged.lr, expected):
            return False
    return True


def _suspects(
    log: TrainingLog, config: ScheduleConfig, departure: LrPoint
) -> list[tuple[str, Predictor, str]]:
    """The usual mistakes, each as a replay (a rate for every logged point) and its fix.

    Built lazily in a list of closures that plan only when called; cheap ones first.
    """
    suspects: list[tuple[str, Predictor, str]] = []
    steps = log.steps_per_epoch
    logged_steps = [logged.step for logged in log.lrs if logged.step is not None]
    unit = config.unit

    first_rate = planned_rates(config, 1)[0]
    suspects.append(
        (
            NOT_STEPPED,
            lambda point: first_rate,
            f"the logged rate never moves from the first {unit}'s {fmt_lr(first_rate)}:"
            " scheduler.step() is never called. Call it once per epoch, after that epoch's"
            " optimizer steps (with Lightning, return the scheduler from configure_optimizers)",
        )
    )
    if config.interval == "epoch" and logged_steps:
        # Stepped after every optimizer step, with warmup_epochs and epochs in epochs.
        most = max(logged_steps)
        rates = _lazy(lambda: planned_rates(config, most + 1))

        def per_step(point: LrPoint) -> float | None:
            step = point.logged.step
            return None if step is None else rates()[step]

        total = f"{config.epochs} steps" if steps is None else _steps_text(config, steps)
        suspects.append(
            (
                STEP_INTERVAL,
                per_step,
                f"the scheduler is stepped after every optimizer step, but its warmup_epochs"
                f"={config.warmup_epochs} and epochs={config.epochs} count epochs: the whole"
                f" schedule runs in {total} and then the cosine rises again. Step it once per"
                ' epoch (Lightning: "interval": "epoch"), or build it in steps'
                + (
                    f" (warmup_epochs={config.warmup_epochs * steps},"
                    f" epochs={config.epochs * steps}; plan it with --interval step"
                    f" --steps-per-epoch {steps})"
                    if steps
                    else ""
                ),
            )
        )
    counted_in_steps = _counted_in_steps(config, steps)
    if counted_in_steps is not None:
        step_rates = _lazy(lambda: planned_rates(counted_in_steps, log_epochs(log) + 1))

        def per_epoch(point: LrPoint) -> float | None:
            epoch = point.logged.epoch
            return None if epoch is None else step_rates()[epoch]

        suspects.append(
            (
                EPOCH_INTERVAL,
                per_epoch,
                "the scheduler is stepped once per epoch, but its warmup_epochs="
                f"{counted_in_steps.warmup_rows} and epochs={counted_in_steps.rows} count"
                f" optimizer steps: the warm-up alone would take {counted_in_steps.warmup_rows}"
                ' epochs. Step it after every optimizer step (Lightning: "interval": "step")',
            )
        )

    other_stepping = _other_stepping(config, steps)
    if other_stepping is not None:
        # The run is right and the plan is stepped the other way (or the other way round).
        per_row = _lazy(
            lambda: planned_rates(other_stepping, _last_logged_row(log, other_stepping) + 1)
        )

        def stepped_as_run(point: LrPoint) -> float | None:
            row = point.logged.epoch if other_stepping.interval == "epoch" else point.logged.step
            return None if row is None else per_row()[row]

        if other_stepping.interval == "epoch":
            fix = (
                f"the run steps its scheduler once per epoch, with warmup_epochs="
                f"{config.warmup_epochs} and epochs={config.epochs} in epochs, while the plan"
                " is stepped per optimizer step: plan it with --interval epoch (and no"
                " --steps-per-epoch)"
            )
        else:
            fix = (
                f"the run steps its scheduler after every optimizer step, with its lengths in"
                f" steps (warmup_epochs={other_stepping.warmup_rows},"
                f" epochs={other_stepping.rows}), while the plan is stepped per epoch: plan it"
                f" with --interval step --steps-per-epoch {other_stepping.steps_per_epoch}"
            )
        suspects.append((PLAN_INTERVAL, stepped_as_run, fix))

    resume_at = departure.logged.epoch
    if (
        resume_at is not None
        and 1 <= resume_at < config.epochs
        and (unit == "epoch" or departure.row == resume_at * config.steps_per_epoch)
    ):
        from lrplan.analysis.resume import FRESH, LOAD_ORDER

        report = _lazy(lambda: _resume(config, resume_at))

        def resumed(key: str) -> Predictor:
            def predict(point: LrPoint) -> float | None:
                lrs = report().scenario(key).lrs
                return lrs[point.row] if point.row < len(lrs) else None

            return predict

        suspects.append(
            (
                RESUME_FRESH,
                resumed(FRESH),
                f"the run resumed at epoch {resume_at} with a new scheduler whose state dict"
                " was not loaded, so the warm-up started again. Save and load"
                " scheduler.state_dict() with the optimizer's (lrplan resume --at"
                f" {resume_at} shows how)",
            )
        )
        suspects.append(
            (
                RESUME_LOAD_ORDER,
                resumed(LOAD_ORDER),
                f"the run resumed at epoch {resume_at} and built the scheduler after loading"
                " the optimizer's state, which overwrites the restored rate for one epoch."
                f" Build the scheduler first, then load both (lrplan resume --at {resume_at})",
            )
        )

    for warmup in _warmup_guesses(log, config):
        suspects.append(
            (
                WARMUP,
                _replay(config.replace(warmup_epochs=warmup)),
                f"the run warms up for {warmup} epochs, the plan for {config.warmup_epochs}:"
                f" the logged rate is WarmupCosLR's with warmup_epochs={warmup}. Give the plan"
                f" the run's warm-up (--warmup-epochs {warmup}), or fix the run's config",
            )
        )
    peak = max(logged.lr for logged in log.lrs)
    if not same_rate(peak, config.lr) and config.min_lr <= peak:
        suspects.append(
            (
                PEAK,
                _replay(config.replace(lr=peak)),
                f"the run peaks at lr={peak:g}, the plan at {config.lr:g}: the logged rate is"
                f" WarmupCosLR's with lr={peak:g}. Give the plan the run's peak (--lr {peak:g}),"
                " or fix the run's config",
            )
        )
    trained = log_epochs(log) + 1
    if trained != config.epochs and trained > config.warmup_epochs:
        suspects.append(
            (
                LENGTH,
                _replay(config.replace(epochs=trained)),
                f"the run's scheduler runs for {trained} epochs, the plan for {config.epochs}:"
                f" the logged rate is WarmupCosLR's with epochs={trained}. Give the plan the"
                f" run's length (--epochs {trained}), or fix the run's config",
            )
        )
    return suspects


def log_epochs(log: TrainingLog) -> int:
    """The last epoch the log reaches (-1 without epochs)."""
    epochs = [logged.epoch for logged in log.lrs if logged.epoch is not None]
    if log.unit == "epoch":
        epochs += list(log.positions)
    return max(epochs, default=-1)


def _counted_in_steps(config: ScheduleConfig, steps: int | None) -> ScheduleConfig | None:
    """The schedule counted in optimizer steps that a per-epoch loop would walk one row per
    epoch: the plan itself when it is per step, else the plan converted with ``steps``."""
    if config.interval == "step":
        return config if config.steps_per_epoch > 1 else None
    if steps is None or steps < 2:
        return None
    try:
        return config.replace(interval="step", steps_per_epoch=steps)
    except LrplanError:
        return None


def _other_stepping(config: ScheduleConfig, steps: int | None) -> ScheduleConfig | None:
    """The plan stepped the other way: per epoch for a plan per step, and per step (with the
    log's steps per epoch) for a plan per epoch; None when the log does not say its steps."""
    try:
        if config.interval == "step":
            return config.replace(interval="epoch", steps_per_epoch=1)
        if steps is not None and steps > 1:
            return config.replace(interval="step", steps_per_epoch=steps)
    except LrplanError:
        return None
    return None


def _last_logged_row(log: TrainingLog, config: ScheduleConfig) -> int:
    """The last epoch (plan per epoch) or step (plan per step) a logged rate was logged at."""
    rows = [logged.epoch if config.interval == "epoch" else logged.step for logged in log.lrs]
    return max((row for row in rows if row is not None), default=0)


def _steps_text(config: ScheduleConfig, steps: int) -> str:
    if config.epochs < steps:
        return f"{config.epochs} optimizer steps, inside the first epoch of {steps}"
    return f"{config.epochs} optimizer steps ({config.epochs / steps:.3g} epochs of {steps})"


def _times(ratio: float) -> str:
    """``1.07×``, ``12.5×``, ``1,222×``: a ratio as one reads it."""
    return f"{ratio:.3g}×" if ratio < 100 else f"{ratio:,.0f}×"


def _replay(config: ScheduleConfig) -> Predictor:
    """The rate ``config``'s real scheduler gives at each logged point's row (planned once,
    as far as the points reach, when first asked)."""
    rates: list[float] = []

    def predict(point: LrPoint) -> float | None:
        if len(rates) <= point.row:
            rates[:] = planned_rates(config, max(point.row + 1, config.rows))
        return rates[point.row]

    return predict


def _warmup_guesses(log: TrainingLog, config: ScheduleConfig) -> list[int]:
    """Warm-up lengths (epochs) the logged rate suggests: where it first reaches its peak."""
    by_epoch = log.first_lr_by_epoch()
    if not by_epoch:
        return []
    peak = max(logged.lr for logged in by_epoch.values())
    reached = min(epoch for epoch, logged in by_epoch.items() if same_rate(logged.lr, peak))
    # WarmupCosLR reaches the peak in the warm-up's last epoch, warmup_epochs - 1.
    guesses = [reached + 1] if reached > 0 else [0, 1]
    return [
        warmup
        for warmup in guesses
        if warmup != config.warmup_epochs and 0 <= warmup < config.epochs
    ]


def _resume(config: ScheduleConfig, at: int) -> Any:
    from lrplan.analysis.resume import simulate_resume

    return simulate_resume(config, at)


def _lazy(produce: Callable[[], Any]) -> Callable[[], Any]:
    """``produce()``, computed at the first call and remembered."""
    box: list[Any] = []

    def get() -> Any:
        if not box:
            box.append(produce())
        return box[0]

    return get


# --- the whole diagnosis ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One point of the log for the table: its loss, and the logged and planned rates."""

    position: int
    loss: float
    logged_lr: float | None
    planned_lr: float | None
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """A log read: the symptom, the learning-rate check, and the guide's remedy if any."""

    log: TrainingLog
    config: ScheduleConfig
    reading: LossReading
    lr_check: LrCheck | None
    lr_note: str | None
    remedy: Remedy | None
    rows: tuple[Row, ...] = field(default=())

    @property
    def symptom(self) -> str:
        return self.reading.symptom

    def to_dict(self) -> dict[str, Any]:
        unit = self.log.unit
        return {
            "symptom": self.symptom,
            "evidence": list(self.reading.evidence),
            "log": self.log.to_dict(),
            "reading": self.reading.to_dict(self.log),
            "lr_check": self.lr_check.to_dict() if self.lr_check is not None else None,
            "lr_note": self.lr_note,
            "rules": {
                "tail_share": TAIL_SHARE,
                "min_points": MIN_POINTS,
                "diverge_rise": DIVERGE_RISE,
                "slow_halfway_share": SLOW_HALFWAY_SHARE,
                "plateau_fall": PLATEAU_FALL,
                "lr_tolerance": LR_TOLERANCE,
            },
            "rows": [
                {
                    unit: row.position,
                    "loss": row.loss if math.isfinite(row.loss) else str(row.loss),
                    "logged_lr": row.logged_lr,
                    "planned_lr": row.planned_lr,
                    "marks": list(row.marks),
                }
                for row in self.rows
            ],
        }


def diagnose(log: TrainingLog, config: ScheduleConfig) -> Diagnosis:
    """Read ``log``'s loss, check its learning rate against ``config``'s plan, and look up
    the tuning guide's remedy for the symptom (none for ``healthy``)."""
    from lrplan.analysis.tuning import remedy

    checked = check_lr(log, config)
    lr_check = checked if isinstance(checked, LrCheck) else None
    lr_note = checked if isinstance(checked, str) else None
    rows = _rows(log, config, lr_check)
    logged = {row.position: row.logged_lr for row in rows}
    planned = {row.position: row.planned_lr for row in rows}

    def lr_at(index: int) -> str | None:
        position = log.positions[index]
        rate = logged.get(position)
        source = "logged"
        if rate is None:
            rate, source = planned.get(position), "planned"
        if rate is None:
            return None
        text = f"{fmt_lr(rate)} at {log.unit} {position} ({source}), {rate / config.lr * 100:.0f}%"
        text += " of the planned peak"
        if config.min_lr > 0:
            text += f" and {_times(rate / config.min_lr)} min_lr"
        return text

    reading = read_loss(log, lr_at)
    rows = _marked(rows, reading, lr_check, log)
    found = remedy(reading.symptom, config) if reading.symptom != HEALTHY else None
    return Diagnosis(log, config, reading, lr_check, lr_note, found, rows)


def _rows(log: TrainingLog, config: ScheduleConfig, lr_check: LrCheck | None) -> tuple[Row, ...]:
    """One row per point of the loss curve, with the logged and planned rates there."""
    firsts = log.first_lr_by_epoch()
    planned: list[float] = []
    if log.unit == "epoch" or config.interval == "step":
        last = log.positions[-1]
        needed = (last + 1) * (config.steps_per_epoch if log.unit == "epoch" else 1)
        planned = planned_rates(config, needed)
    rows = []
    step_lrs = sorted(
        ((logged.step, logged.lr) for logged in log.lrs if logged.step is not None),
        key=lambda pair: pair[0],
    )
    for index, position in enumerate(log.positions):
        if log.unit == "epoch":
            found = firsts.get(position)
            logged_lr = found.lr if found is not None else None
            row = position * (config.steps_per_epoch if config.interval == "step" else 1)
            planned_lr = planned[row] if row < len(planned) else None
        else:
            following = log.positions[index + 1] if index + 1 < len(log.positions) else math.inf
            inside = [lr for step, lr in step_lrs if position <= step < following]
            logged_lr = inside[0] if inside else None
            planned_lr = planned[position] if position < len(planned) else None
        rows.append(Row(position, log.losses[index], logged_lr, planned_lr))
    return tuple(rows)


def _marked(
    rows: tuple[Row, ...], reading: LossReading, lr_check: LrCheck | None, log: TrainingLog
) -> tuple[Row, ...]:
    marks: dict[int, list[str]] = {}

    def mark(index: int | None, text: str) -> None:
        if index is not None:
            marks.setdefault(index, []).append(text)

    if reading.nonfinite_at is not None:
        mark(
            reading.nonfinite_at,
            "loss NaN" if math.isnan(log.losses[reading.nonfinite_at]) else "loss inf",
        )
    if reading.rise is not None and reading.rise >= DIVERGE_RISE:
        mark(reading.low_at, "lowest so far")
        mark(reading.rise_at, f"{reading.rise:.1f}× that")
    if reading.halfway_at is not None and reading.symptom in ("slow", HEALTHY, "plateau"):
        mark(reading.halfway_at, "halfway")
    if reading.tail is not None and reading.symptom in ("plateau", HEALTHY, "slow"):
        mark(reading.tail.first, "tail starts")
    departure = lr_check.departure if lr_check is not None else None
    epoch = departure.logged.epoch if departure is not None else None
    if epoch is not None and log.unit == "epoch" and epoch in log.positions:
        mark(log.positions.index(epoch), "lr departs")
    return tuple(
        Row(row.position, row.loss, row.logged_lr, row.planned_lr, tuple(marks.get(index, ())))
        for index, row in enumerate(rows)
    )
