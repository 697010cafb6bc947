"""Check the learning rate a log holds against the plan, and name the likely cause where they part.

:func:`check_lr` compares the logged rates with the planned schedule, finds the first epoch (or
step) where they part, and names the likely cause by replaying the usual mistakes with the real
scheduler (:func:`lrplan.core.planner.plan`, :func:`lrplan.analysis.resume.simulate_resume`); a
cause is named only when its replay matches every logged rate. Every rate here comes from the
log or from the real scheduler; nothing recomputes the formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lrplan.analysis.summary import fmt_lr
from lrplan.core.config import MAX_ROWS, ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.logs import LoggedLr, TrainingLog

#: A logged learning rate within this relative distance of the planned one follows the plan
#: (logs round; a real departure differs by far more).
LR_TOLERANCE = 0.01

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
        return follows_plan(self.logged.lr, self.planned)


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


def follows_plan(logged: float, planned: float) -> bool:
    """True when a logged rate is the planned one, within :data:`LR_TOLERANCE`: logs round,
    so this is far looser than :func:`lrplan.core.rates.same_rate`, the planner's own."""
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


#: The last plan made, by config: the rate check and the table of a long log ask for the same
#: million steps, and planning them twice would double diagnose's time.
_LAST_PLAN: dict[ScheduleConfig, list[float]] = {}


def planned_rates(config: ScheduleConfig, rows: int) -> list[float]:
    """The real scheduler's rates for ``rows`` rows: training, then on past the end (the
    training rows for ``rows=0``)."""
    from lrplan.core.planner import plan

    if rows > MAX_ROWS:
        # A log's one corrupt step (1415817737579346) would have lrplan plan for days.
        raise LrplanError(
            f"the log reaches {config.unit} {rows - 1:,}: checking it against the plan means"
            f" planning that far, more than lrplan plans at once ({MAX_ROWS:,} rows); look"
            f" for a corrupt {config.unit} value in the log"
        )
    wanted = max(rows, config.rows)
    known = _LAST_PLAN.get(config)
    if known is None or len(known) < wanted:
        schedule = plan(config, beyond=max(0, rows - config.rows))
        known = [*schedule.lrs, *schedule.beyond]
        _LAST_PLAN.clear()
        _LAST_PLAN[config] = known
    return known[: rows or config.rows]


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
        if expected is None or not follows_plan(point.logged.lr, expected):
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
    if not follows_plan(peak, config.lr) and config.min_lr <= peak:
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
    reached = min(epoch for epoch, logged in by_epoch.items() if follows_plan(logged.lr, peak))
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
