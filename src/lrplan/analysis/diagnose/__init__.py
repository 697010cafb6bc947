"""Read a training log like someone who tunes schedules: name the symptom, check the rate.

:mod:`~lrplan.analysis.diagnose.loss` names the symptom of the loss curve with rules that hold
on noisy real logs; :mod:`~lrplan.analysis.diagnose.lr_check` checks the logged rate against a
given plan and names the likely cause where they part; :mod:`~lrplan.analysis.diagnose.plan`
reads the run's plan from its logged rate when none is given. :func:`diagnose` puts them
together, with the tuning guide's remedy for a symptom it has one for.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrplan.analysis.diagnose.framework import levers_line, no_lr_hint, settings_line
from lrplan.analysis.diagnose.loss import (
    DIVERGE_RISE,
    DIVERGING,
    HEALTHY,
    HIGH_LR_SHARE,
    MIN_POINTS,
    NOT_LEARNING,
    OVERFITTING,
    PLATEAU,
    PLATEAU_FALL,
    PLATEAU_SLOPE,
    SLOW,
    SLOW_PROGRESS,
    SYMPTOM_NAMES,
    TAIL_SHARE,
    TUNABLE,
    UNJUDGEABLE,
    LossReading,
    RateThere,
    Trend,
    fit_tail,
    read_loss,
)
from lrplan.analysis.diagnose.lr_check import (
    CAUSES,
    LR_TOLERANCE,
    LrCheck,
    LrPoint,
    check_lr,
    follows_plan,
    planned_rates,
)
from lrplan.analysis.diagnose.plan import InferredPlan, infer_plan
from lrplan.core.config import ScheduleConfig
from lrplan.inputs.logs import LoggedLr, TrainingLog

if TYPE_CHECKING:
    from lrplan.analysis.tuning import Remedy

__all__ = [
    "CAUSES",
    "DIVERGE_RISE",
    "DIVERGING",
    "HEALTHY",
    "LR_TOLERANCE",
    "MIN_POINTS",
    "NOT_LEARNING",
    "OVERFITTING",
    "PLATEAU",
    "PLATEAU_FALL",
    "SLOW",
    "SYMPTOM_NAMES",
    "TAIL_SHARE",
    "TUNABLE",
    "UNJUDGEABLE",
    "Diagnosis",
    "InferredPlan",
    "LogRow",
    "LossReading",
    "LrCheck",
    "LrPoint",
    "Trend",
    "check_lr",
    "diagnose",
    "fit_tail",
    "follows_plan",
    "infer_plan",
    "read_loss",
]


@dataclass(frozen=True)
class LogRow:
    """One point of the log for the table: its loss, the rate logged there (at ``lr_step``,
    the step it was logged at, in a log read per step) and the planned rate of that same
    epoch or step."""

    position: int
    loss: float
    logged_lr: float | None
    planned_lr: float | None
    marks: tuple[str, ...] = ()
    lr_step: int | None = None
    #: The validation value logged there (the last one in a run of steps), if any.
    validation: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    """A log read: the symptom, the learning-rate check, and the guide's remedy if any.

    ``config`` is the plan: the one given, else the one inferred from the logged rate
    (``inferred`` says so), else None (no plan given, no rate logged). ``length_changes``
    are then the remedy's changes of the run's length, the one value the log gives.
    """

    log: TrainingLog
    config: ScheduleConfig | None
    reading: LossReading
    lr_check: LrCheck | None
    lr_note: str | None
    remedy: Remedy | None
    rows: tuple[LogRow, ...] = field(default=())
    inferred: InferredPlan | None = None
    length_changes: tuple[str, ...] = ()
    #: The tuned schedule as the keys of the run's framework, and the non-schedule levers.
    framework_lines: tuple[str, ...] = ()

    @property
    def symptom(self) -> str:
        return self.reading.symptom

    @property
    def departure(self) -> str | None:
        """Where the logged rate departs from the given plan, in a few words; None when it
        follows it (or no plan was given)."""
        check = self.lr_check
        if check is None or check.departure is None:
            return None
        return f"lr departs from the plan at {check.where(check.departure)}"

    @property
    def verdict(self) -> str:
        """The symptom, and the departure of the logged rate from the plan when there is one:
        a run that did not train with its plan is never just "healthy"."""
        departure = self.departure
        return self.symptom if departure is None else f"{self.symptom}, {departure}"

    def to_dict(self) -> dict[str, Any]:
        unit = self.log.unit
        return {
            "symptom": self.symptom,
            "verdict": self.verdict,
            "evidence": list(self.reading.evidence),
            "notes": list(self.reading.notes),
            "advice": list(self.reading.advice),
            "log": self.log.to_dict(),
            "plan": self.inferred.to_dict() if self.inferred is not None else {"inferred": False},
            "reading": self.reading.to_dict(self.log),
            "lr_check": self.lr_check.to_dict() if self.lr_check is not None else None,
            "lr_note": self.lr_note,
            "length_changes": list(self.length_changes),
            "framework": list(self.framework_lines),
            "rules": {
                "tail_share": TAIL_SHARE,
                "min_points": MIN_POINTS,
                "diverge_rise": DIVERGE_RISE,
                "slow_progress": SLOW_PROGRESS,
                "plateau_fall": PLATEAU_FALL,
                "plateau_slope": PLATEAU_SLOPE,
                "high_lr_share": HIGH_LR_SHARE,
                "lr_tolerance": LR_TOLERANCE,
            },
            "rows": [
                {
                    unit: row.position,
                    "loss": row.loss if math.isfinite(row.loss) else str(row.loss),
                    "logged_lr": row.logged_lr,
                    "lr_step": row.lr_step,
                    "planned_lr": row.planned_lr,
                    "validation": (
                        row.validation
                        if row.validation is None or math.isfinite(row.validation)
                        else str(row.validation)  # JSON has no NaN: "nan", as for the loss
                    ),
                    "marks": list(row.marks),
                }
                for row in self.rows
            ],
        }


def diagnose(log: TrainingLog, config: ScheduleConfig | None) -> Diagnosis:
    """Read ``log``'s loss, check its learning rate against ``config``'s plan, and look up
    the tuning guide's remedy for the symptom (none for healthy, not learning, unjudgeable).

    With ``config`` None (no plan given) the plan is inferred from the logged rate
    (:func:`~lrplan.analysis.diagnose.plan.infer_plan`), and the remedy tunes the run's own
    values; there is then no plan to check the rate against.
    """
    from lrplan.analysis.tuning import remedy

    inferred = None
    if config is None:
        inferred = infer_plan(log)
        config = inferred.config
        lr_check = None
        lr_note: str | None = (
            "no plan given, so the logged rate is the plan: give --config (or --lr, --epochs,"
            " ...) to check the run against the plan it was meant to follow"
        )
        if log.lr is None:
            lr_note = (
                "the log has no learning-rate column, so the rate the run used is unknown"
                f" ({no_lr_hint(log)})"
            )
    else:
        checked = check_lr(log, config)
        lr_check = checked if isinstance(checked, LrCheck) else None
        lr_note = checked if isinstance(checked, str) else None
        if log.lr is None:
            lr_note = (
                "the log has no learning-rate column, so the rate the run used cannot be"
                f" checked against the plan ({no_lr_hint(log)})"
            )
    rows = _rows(log, config if inferred is None else None)
    reading = read_loss(log, _rate_at(log, rows, config if inferred is None else None))
    rows = _marked(rows, reading, lr_check, log)
    found = None
    length_changes: tuple[str, ...] = ()
    best = _best_epochs(log, reading, config)
    if reading.symptom in TUNABLE and config is not None:
        found = remedy(reading.symptom, config, best_epochs=best)
    elif reading.symptom in TUNABLE and inferred is not None and inferred.unit == "epoch":
        length_changes = _length_changes(reading.symptom, inferred.length, best)
    framework_lines: list[str] = []
    if found is not None:
        best_step = (
            reading.overfit.best_at if reading.overfit is not None and log.unit == "step" else None
        )
        shape = inferred.shape if inferred is not None else None
        line = settings_line(log, found.tuned, shape, best_step)
        if line is not None:
            framework_lines.append(line)
    if reading.symptom == OVERFITTING:
        from lrplan.analysis.tuning import find_symptom

        levers = levers_line(log, found) if found is not None else None
        framework_lines.append(levers or find_symptom(OVERFITTING).levers)
    return Diagnosis(
        log,
        config,
        reading,
        lr_check,
        lr_note,
        found,
        rows,
        inferred,
        length_changes,
        tuple(framework_lines),
    )


def _best_epochs(
    log: TrainingLog, reading: LossReading, config: ScheduleConfig | None
) -> int | None:
    """The epochs up to and with the one the validation curve was best at (overfitting): the
    length of a run that ends there. None for another symptom, or a log in steps whose
    epochs are unknown."""
    overfit = reading.overfit
    if overfit is None:
        return None
    if log.unit == "epoch":
        return overfit.best_at + 1
    per_epoch = None
    if config is not None and config.interval == "step":
        per_epoch = config.steps_per_epoch
    per_epoch = per_epoch or log.steps_per_epoch
    if not per_epoch:
        return None
    return max(1, math.ceil(overfit.best_at / per_epoch))


def _length_changes(symptom: str, epochs: int, best: int | None = None) -> tuple[str, ...]:
    """What the guide's remedy does to the run's own length, when that is all that is known:
    its changes of ``epochs`` (a plateau's doubling, an overfitting run's end at its best
    epoch), applied to the log's epochs."""
    from lrplan.analysis.tuning import remedy
    from lrplan.errors import LrplanError

    try:
        # Only the length is the run's; the other values are placeholders, never shown.
        found = remedy(
            symptom,
            ScheduleConfig(lr=1.0, min_lr=0.0, warmup_epochs=0, epochs=epochs),
            best_epochs=best,
        )
    except LrplanError:
        return ()
    return tuple(change for change in found.changes if change.startswith("epochs "))


def _rate_at(log: TrainingLog, rows: tuple[LogRow, ...], config: ScheduleConfig | None) -> Any:
    """``rate_at(index)`` for the loss rules: the logged rate there (the last one logged at
    or before that point) against the largest logged; else the planned rate against the
    plan's peak; None when neither is known."""
    logged = [row.logged_lr for row in rows]
    peak_logged = max((rate for rate in logged if rate is not None), default=None)

    def rate_at(index: int) -> RateThere | None:
        if peak_logged is not None:
            rate = next((logged[i] for i in range(index, -1, -1) if logged[i] is not None), None)
            if rate is None:
                rate = next(rate for rate in logged if rate is not None)
            return RateThere(rate, peak_logged, "logged")
        if config is not None and rows[index].planned_lr is not None:
            planned = rows[index].planned_lr
            assert planned is not None
            return RateThere(planned, config.lr, "planned")
        return None

    return rate_at


def _rows(log: TrainingLog, config: ScheduleConfig | None) -> tuple[LogRow, ...]:
    """One row per point of the loss curve, with the rate logged there and the planned rate
    of the same epoch or step (none without a given plan)."""
    firsts = log.first_lr_by_epoch()
    step_lrs = sorted(
        (logged for logged in log.lrs if logged.step is not None),
        key=lambda logged: logged.step or 0,
    )
    steps = [logged.step or 0 for logged in step_lrs]
    found: list[tuple[int, float, LoggedLr | None]] = []
    for index, position in enumerate(log.positions):
        logged: LoggedLr | None
        if log.unit == "epoch":
            logged = firsts.get(position)
        else:
            following = log.positions[index + 1] if index + 1 < len(log.positions) else math.inf
            at = bisect.bisect_left(steps, position)
            inside = at < len(steps) and steps[at] < following
            logged = step_lrs[at] if inside else None
        found.append((position, log.losses[index], logged))

    planned: list[float] = []
    if config is not None:
        rows_needed = [_plan_row(log, config, position, logged) for position, _, logged in found]
        last = max((row for row in rows_needed if row is not None), default=None)
        if last is not None:
            planned = planned_rates(config, last + 1)
    else:
        rows_needed = [None] * len(found)
    validation = _validation_at(log)
    rows = []
    for index, ((position, loss, logged), row) in enumerate(zip(found, rows_needed, strict=True)):
        planned_lr = planned[row] if row is not None and row < len(planned) else None
        rows.append(
            LogRow(
                position,
                loss,
                logged.lr if logged is not None else None,
                planned_lr,
                lr_step=logged.step if logged is not None and log.unit == "step" else None,
                validation=validation[index],
            )
        )
    return tuple(rows)


def _validation_at(log: TrainingLog) -> list[float | None]:
    """The validation value of each point of the loss curve: the last one logged from its
    position up to the next point's (None where none was)."""
    found: list[float | None] = [None] * len(log.positions)
    validation = log.validation
    if validation is None:
        return found
    for position, value in zip(validation.positions, validation.values, strict=True):
        index = bisect.bisect_right(log.positions, position) - 1
        if index >= 0:
            found[index] = value
    return found


def _plan_row(
    log: TrainingLog, config: ScheduleConfig, position: int, logged: LoggedLr | None
) -> int | None:
    """The plan's row (epoch, or step) for a point: where its logged rate was logged, so that
    the logged and planned rates of a row are those of the same epoch or step."""
    if log.unit == "epoch":
        return position * (config.steps_per_epoch if config.interval == "step" else 1)
    step = logged.step if logged is not None else position
    if config.interval == "step":
        return step
    epoch = logged.epoch if logged is not None else None
    if epoch is None and log.steps_per_epoch:
        epoch = (step or 0) // log.steps_per_epoch
    return epoch


def _row_of(log: TrainingLog, reading: LossReading) -> Any:
    """``on_row(index)``: the row of the table (a point of the loss) that holds point ``index``
    of the curve the reading's indices point into (the validation curve's last point at or
    after the row's position, as in :func:`_validation_at`)."""
    if reading.judged_on is None:
        return lambda index: index
    positions = reading.curve(log)[0]

    def on_row(index: int) -> int:
        return max(0, bisect.bisect_right(log.positions, positions[index]) - 1)

    return on_row


def _marked(
    rows: tuple[LogRow, ...], reading: LossReading, lr_check: LrCheck | None, log: TrainingLog
) -> tuple[LogRow, ...]:
    marks: dict[int, list[str]] = {}

    def mark(index: int | None, text: str) -> None:
        if index is not None:
            marks.setdefault(index, []).append(text)

    if reading.nonfinite_at is not None:
        bad = log.losses[reading.nonfinite_at]
        mark(reading.nonfinite_at, "loss NaN" if math.isnan(bad) else "loss inf")
    if reading.overfit is not None:
        overfit = reading.overfit
        if overfit.best_at in log.positions:
            mark(log.positions.index(overfit.best_at), f"{overfit.column} best")
    if reading.symptom == DIVERGING and reading.rise is not None:
        mark(reading.low_at, "lowest level")
        mark(reading.rise_at, "risen from here")
    # Slow, plateau and healthy may be read from the validation curve: its points are marked
    # on the row that holds them, and the mark names the curve.
    on_row = _row_of(log, reading)
    named = "" if reading.judged_on is None else f" ({reading.judged_on})"
    if reading.halfway_at is not None and reading.symptom in (SLOW, HEALTHY, PLATEAU):
        mark(on_row(reading.halfway_at), f"halfway{named}")
    if reading.tail is not None and reading.symptom in (PLATEAU, HEALTHY, SLOW):
        mark(on_row(reading.tail.first), f"tail starts{named}")
    if reading.flat_from is not None:
        mark(on_row(reading.flat_from), f"flat from here{named}")
    departure = lr_check.departure if lr_check is not None else None
    epoch = departure.logged.epoch if departure is not None else None
    if epoch is not None and log.unit == "epoch" and epoch in log.positions:
        mark(log.positions.index(epoch), "lr departs")
    elif departure is not None and log.unit == "step" and departure.logged.step is not None:
        step = departure.logged.step
        index = max((i for i, p in enumerate(log.positions) if p <= step), default=None)
        mark(index, "lr departs")
    return tuple(
        LogRow(
            row.position,
            row.loss,
            row.logged_lr,
            row.planned_lr,
            tuple(marks.get(index, ())),
            row.lr_step,
            row.validation,
        )
        for index, row in enumerate(rows)
    )
