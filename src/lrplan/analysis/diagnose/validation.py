"""Overfitting: the validation curve turns worse while the training loss keeps falling.

Read from the log's validation curve (a validation or eval loss, or a validation metric whose
direction its name says) against the training loss, with the same robustness as the loss
rules: a rolling median for a long curve, a noise measured from the curve itself, and the
resolution the values were logged with, so that one bad evaluation or one rounding step
decides nothing. The rule (:func:`read_overfitting`):

* the validation curve has :data:`MIN_VALIDATION_POINTS` points or more, at least two of them
  after its best one;
* a sustained rise: its level at the end (the median of its last points after the best) is
  worse than its best by more than :data:`VALIDATION_NOISE_MULTIPLE` times its noise and by
  more than one rounding step of the values as logged, and a Theil–Sen line from the best
  point to the end climbs by more than that many times the noise of such a line (the noise ×
  √(12/n) for n points), so one bad last evaluation is no trend. The noise is measured where
  the judgement is: from the second differences of the curve from its best point to its end
  (widened back to its last :data:`NOISE_POINTS` points when fewer follow the best), not over
  the steep fall before it, whose bend is shape, not noise. No share of the best is asked
  for: a rise of 3 % beyond a noise of 0.5 % is a turn;
* and over the same span the training loss still fell: its level at the end is below its
  level at the best point by more than :data:`PLATEAU_FALL` of it (less is flat, as the
  plateau rule reads a curve), its point-to-point noise over that span, and one rounding
  step. A training loss that stopped falling while the validation curve turned
  worse is a validation curve that stopped improving (read by the plateau rule), and one
  that rose too is diverging, not overfitting.

A metric to maximise is judged by its distance to its ceiling (1, or 100 for a percentage):
an accuracy from 0.912 to 0.871 is an error from 0.088 to 0.129, 47 % worse.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lrplan.analysis.diagnose.curve import noise, rolling_median, theil_sen
from lrplan.inputs.logs import TrainingLog

#: The fewest points of a validation curve to judge it.
MIN_VALIDATION_POINTS = 4
#: A validation curve worse than its best, at the end, by more than this many times its noise
#: (and a line from its best point climbing as far beyond the line's noise) overfits.
VALIDATION_NOISE_MULTIPLE = 2.0
#: The fewest points the validation noise is measured on: those from the best point to the
#: end, or the last this many when fewer follow the best.
NOISE_POINTS = 6
#: A curve less than this share below its earlier level is flat (the plateau rule's
#: ``PLATEAU_FALL``): a training loss must fall more than this to be still falling.
PLATEAU_FALL = 0.01
#: The most points a line from the best point is fitted through (every k-th of more).
MAX_LINE_POINTS = 400
#: Decimal places tried when reading the resolution values were logged with.
MAX_DECIMALS = 10


@dataclass(frozen=True)
class Overfit:
    """What the overfitting rule saw: the best validation point and how far it moved since.

    ``best_at`` and ``last_at`` are positions (epochs or steps); ``best`` and ``end`` the
    validation values as logged (``end`` the median of the last points); ``worse`` the
    relative worsening (of the loss, or of the metric's distance to its ceiling);
    ``train_at_best`` and ``train_end`` the training loss (a rolling median) there.
    """

    column: str
    higher_better: bool
    best_at: int
    best: float
    last_at: int
    end: float
    worse: float
    noise: float
    train_at_best: float
    train_end: float
    evaluations: int
    after_best: int
    #: The single lowest (or highest, for a metric) value logged, where the rolling median
    #: puts the best elsewhere: one lucky evaluation the rule does not rest on.
    lowest_at: int | None = None
    lowest: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "higher_better": self.higher_better,
            "best_at": self.best_at,
            "best": self.best,
            "last_at": self.last_at,
            "end": self.end,
            "worse": self.worse,
            "noise": self.noise,
            "train_at_best": self.train_at_best,
            "train_end": self.train_end,
            "evaluations": self.evaluations,
            "after_best": self.after_best,
            "single_best_at": self.lowest_at,
            "single_best": self.lowest,
        }


def resolution(values: Sequence[float]) -> float:
    """One rounding step of ``values`` as logged: 1e-4 for a loss written with 4 decimals
    (Hugging Face rounds its ``loss`` so), 0 for values written in full."""
    places = 0
    for value in values:
        if not math.isfinite(value):
            continue
        found = next(
            (
                digits
                for digits in range(MAX_DECIMALS + 1)
                if math.isclose(round(value, digits), value, rel_tol=1e-12, abs_tol=1e-15)
            ),
            None,
        )
        if found is None:
            return 0.0
        places = max(places, found)
    return 10.0**-places


def second_difference_noise(values: Sequence[float]) -> float:
    """The noise of a short curve from its second differences, which a straight trend does not
    move (a standard deviation for normal noise: the median absolute one × 1.4826 / √6)."""
    if len(values) < 3:
        return 0.0
    seconds = [
        abs(values[i + 1] - 2 * values[i] + values[i - 1]) for i in range(1, len(values) - 1)
    ]
    return 1.4826 * statistics.median(seconds) / math.sqrt(6)


def badness(values: Sequence[float], higher_better: bool) -> list[float] | None:
    """The validation values as something to minimise: a loss as it is, a metric as its
    distance to its ceiling (1, or 100 for a percentage); None for a metric without one."""
    if not higher_better:
        return list(values)
    if all(0 <= value <= 1 for value in values):
        return [1 - value for value in values]
    if all(0 <= value <= 100 for value in values):
        return [100 - value for value in values]
    return None


def read_overfitting(
    log: TrainingLog, train_smoothed: Sequence[float], notes: list[str] | None = None
) -> Overfit | None:
    """The overfitting the log shows by the rule of this module, or None. A validation curve
    that turned worse beside a training loss that did not still fall is no overfitting; a
    sentence saying so is added to ``notes`` when given."""
    validation = log.validation
    if validation is None or len(validation) < MIN_VALIDATION_POINTS:
        return None
    values = [value for value in validation.values]
    if not all(math.isfinite(value) for value in values):
        return None
    bad = badness(values, validation.higher_better)
    if bad is None:
        return None
    count = len(bad)
    smoothed = rolling_median(bad, 3) if count >= 7 else bad
    smoothed_best = min(range(count), key=smoothed.__getitem__)
    # The best point as logged: the lowest raw value beside the lowest of the rolling median.
    near = range(max(0, smoothed_best - 1), min(count, smoothed_best + 2))
    best_index = min(near, key=bad.__getitem__) if smoothed is not bad else smoothed_best
    after = count - 1 - best_index
    if after < 2:
        return None
    tail = max(1, min(after, math.ceil(0.2 * count)))
    end = statistics.median(bad[-tail:])
    best = smoothed[smoothed_best]
    sigma = second_difference_noise(bad[max(0, min(best_index, count - NOISE_POINTS)) :])
    step = resolution(values)
    worse = end - best
    if worse <= VALIDATION_NOISE_MULTIPLE * sigma or worse <= step:
        return None
    # A sustained rise: a robust line from the best point to the end climbs beyond what the
    # noise tilts a line through that many points by (its rise is known to the noise ×
    # √(12/n)), so one bad last evaluation is not a trend.
    xs = [float(at) for at in validation.positions[best_index:]]
    # Every k-th point of a long stretch: the line's pairs grow with the square of its points.
    every = math.ceil(len(xs) / MAX_LINE_POINTS)
    fitted = xs[::every]
    slope, _ = theil_sen(fitted, bad[best_index:][::every])
    climbed = slope * (xs[-1] - xs[0])
    if climbed <= VALIDATION_NOISE_MULTIPLE * sigma * math.sqrt(12 / len(fitted)):
        return None
    train_at = _train_index(log, validation.positions[best_index])
    train_at_best = train_smoothed[train_at]
    train_end = statistics.median(train_smoothed[-max(1, math.ceil(0.1 * len(train_smoothed))) :])
    # The training loss must still fall over the span: by more than the plateau rule's share
    # (a curve less than that below its earlier level is flat), its noise there, and one
    # rounding step.
    train_noise = noise(log.losses[train_at:])
    still = max(PLATEAU_FALL * abs(train_at_best), train_noise, resolution(log.losses))
    if train_at_best - train_end <= still:
        if notes is not None:
            what = "metric" if validation.higher_better else "loss"
            notes.append(
                f"the validation {what} ({validation.column.name}) turned worse after"
                f" {log.unit} {validation.positions[best_index]}, but the training loss did not"
                f" still fall meanwhile (from {train_at_best:.4g} to {train_end:.4g}: not down"
                f" by more than {PLATEAU_FALL * 100:g}%, its noise and a rounding step): the"
                " validation curve stopped improving, which is not overfitting"
            )
        return None
    best_value = values[best_index]
    end_value = _as_logged(validation.higher_better, end, values)
    single = min(range(count), key=bad.__getitem__)
    lowest_at = validation.positions[single] if single != best_index else None
    lowest = values[single] if single != best_index else None
    return Overfit(
        column=validation.column.name,
        higher_better=validation.higher_better,
        best_at=validation.positions[best_index],
        best=best_value,
        last_at=validation.positions[-1],
        end=end_value,
        worse=worse / abs(best) if best else math.inf,
        noise=sigma,
        train_at_best=train_at_best,
        train_end=train_end,
        evaluations=count,
        after_best=after,
        lowest_at=lowest_at,
        lowest=lowest,
    )


def _as_logged(higher_better: bool, level: float, values: Sequence[float]) -> float:
    """A level of the badness scale back on the scale the values were logged on."""
    if not higher_better:
        return level
    ceiling = 1.0 if all(0 <= value <= 1 for value in values) else 100.0
    return ceiling - level


def _train_index(log: TrainingLog, position: int) -> int:
    """The index of the training loss's last point at or before ``position``."""
    index = 0
    for at, logged in enumerate(log.positions):
        if logged <= position:
            index = at
        else:
            break
    return index


def overfitting_evidence(log: TrainingLog, found: Overfit) -> tuple[str, ...]:
    """The sentences that say why the run overfits, with its numbers."""
    unit = log.unit
    what = "metric" if found.higher_better else "loss"
    direction = "fell" if found.higher_better else "rose"
    scale = (
        f" (its distance to the ceiling, {found.worse * 100:.0f}% worse)"
        if found.higher_better
        else f", {found.worse * 100:.0f}% above its best"
    )
    single = ""
    if found.lowest_at is not None and found.lowest is not None:
        single = (
            f" (a rolling median of 3; its single best value, {found.lowest:.4g} at {unit}"
            f" {found.lowest_at}, stands alone between worse ones)"
        )
    return (
        f"the validation {what} ({found.column}) was best at {found.best:.4g} at {unit}"
        f" {found.best_at}{single} and {direction} to {found.end:.4g} by {unit} {found.last_at}"
        f"{scale}, over the {found.after_best} evaluation{'s' if found.after_best != 1 else ''}"
        f" since (the rule: a sustained rise, worse than its best by more than"
        f" {VALIDATION_NOISE_MULTIPLE:g}× its noise since the best ±{found.noise:.2g} and one"
        " rounding step, a robust line from the best point climbing beyond its noise too)",
        f"meanwhile the training loss fell from {found.train_at_best:.4g} to"
        f" {found.train_end:.4g}, beyond its noise: the model fits the training data better"
        " and the held-out data worse, overfitting",
    )
