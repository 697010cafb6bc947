"""Name the symptom a loss curve shows, with rules that hold on noisy real logs.

The curve is smoothed with a rolling median (:mod:`lrplan.analysis.diagnose.curve`), its noise
measured from the residuals, and its start, lowest and final levels taken from medians, so that
one spike or one lucky batch decides nothing. The first rule that holds names the symptom:

1. ``diverging``: a loss is NaN or infinite.
2. ``unjudgeable``: fewer than :data:`MIN_POINTS` points; a metric that changes sign or is a
   learning rate (not a loss to minimise); or noise larger than the loss itself.
3. ``diverging``: a sustained rise. Over the last :data:`TAIL_SHARE` of the run the loss (its
   median) sits :data:`DIVERGE_RISE` times or more above the lowest level it had reached, or
   the rolling median rose that far over its lowest level so far at any point (several
   points blew up together, even if they came back), each by :data:`DIVERGE_SCALE` of the
   start or more (the scale of the run's loss, not only a ratio to a floor near zero); or the
   tail sits :data:`RISE_ABOVE_START` or more above where the loss started, beyond
   :data:`NOISE_MULTIPLE` times its noise; or back at its start after a real fall. A spike
   that comes back down is a note, not a divergence.
4. ``not-learning``: the lowest level is less than :data:`NOT_LEARNING_FALL` below the start,
   or within :data:`NOISE_MULTIPLE` times the noise of it (up to :data:`NOT_LEARNING_MAX_FALL`
   for a loss that ended below its start; uncapped for one that ended at or above it, which
   kept no fall): the loss never moved.
5. ``overfitting``: the validation curve turned worse while the training loss fell
   (:mod:`lrplan.analysis.diagnose.validation`).

Rules 1 to 5 read the training loss. Slow, plateau and healthy are read from the validation
loss when the log has one that passes the training loss's own gates (:data:`MIN_POINTS`
points, finite, one sign, noise under its level), else from the training loss; the evidence
names the curve and its column. Either curve is read with its own noise and resolution:

6. ``slow``: averaged over the run, the curve had made less than :data:`SLOW_PROGRESS` of its
   fall from its start to its end (for a fall like ``exp(-t/τ)``: τ over a third of the run),
   a fall of more than :data:`NOISE_MULTIPLE` times its noise (a smaller one says nothing of
   its pace). Unless it fell with the rate (a straight line in the annealed rate explains
   :data:`TRACKS_RATE` of it): it sits at the level the rate allows, ``healthy``. Or a tail
   still falling :data:`UNFINISHED_FALL` at a rate that no longer anneals: unfinished.
7. ``plateau``: over the tail the curve sits less than :data:`PLATEAU_FALL` below the lowest
   level before the tail (or lower, but the line through the tail does not fall: it reached
   that level early in the tail and stopped), and a Theil–Sen line through the tail falls less than
   :data:`PLATEAU_SLOPE` (or within twice the noise): it stopped improving. Unless the rate
   had annealed below :data:`HIGH_LR_SHARE` of its peak by the time it went flat: that is a
   run that converged as planned, and ``healthy``.
8. ``healthy``: none of these.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lrplan.analysis.diagnose.curve import (
    affine_fit,
    noise,
    relative,
    rolling_median,
    theil_sen,
    window,
)
from lrplan.analysis.diagnose.reading import (
    NOT_LEARNING_ADVICE,
    UNJUDGEABLE_ADVICE,
    LossReading,
    RateThere,
    Trend,
)
from lrplan.analysis.diagnose.validation import (
    PLATEAU_FALL,
    overfitting_evidence,
    read_overfitting,
    resolution,
)
from lrplan.inputs.logs import TrainingLog, names_lr

DIVERGING = "diverging"
NOT_LEARNING = "not-learning"
SLOW = "slow"
PLATEAU = "plateau"
OVERFITTING = "overfitting"
HEALTHY = "healthy"
UNJUDGEABLE = "unjudgeable"
#: Every name :func:`read_loss` gives.
SYMPTOM_NAMES = (DIVERGING, NOT_LEARNING, OVERFITTING, SLOW, PLATEAU, HEALTHY, UNJUDGEABLE)
#: The symptoms the tuning guide has a remedy for.
TUNABLE = (DIVERGING, SLOW, PLATEAU, OVERFITTING)

#: The fewest finite points a curve needs to be judged (NaN counts in a log of any length):
#: with fewer, its last 30 % is one or two points.
MIN_POINTS = 6
#: The share of the run, at its end, whose level and trend are compared with the rest.
TAIL_SHARE = 0.3
#: A tail this many times the lowest level reached before it has diverged, and stayed so.
DIVERGE_RISE = 2.0
#: A tail this share or more above the start has risen and stayed up.
RISE_ABOVE_START = 0.1
#: A rise counts towards a divergence only when it is also this share of the level the loss
#: started at or more: the scale of the run's loss, so that a loss wandering at a floor near
#: zero (0.0012 to 0.0033 after a start at 0.16) is not read as blowing up by its ratio alone.
DIVERGE_SCALE = 0.1
#: A point this many times the lowest level so far, that the curve comes back from, is a spike.
SPIKE_RISE = 2.0
#: A loss whose lowest level is less than this share below its start never moved ...
NOT_LEARNING_FALL = 0.03
#: ... nor one that never fell further than this many times its noise, up to this share.
NOISE_MULTIPLE = 3.0
NOT_LEARNING_MAX_FALL = 0.1
#: A loss that made less than this share of its fall on average over the run is slow.
SLOW_PROGRESS = 2 / 3
#: A tail that sits less than this share below the best level before it (``PLATEAU_FALL``,
#: defined beside the overfitting rule, which asks a training loss to fall more than it) ...
#: ... and whose robust line falls less than this share has stopped improving.
PLATEAU_SLOPE = 0.02
#: A loss that a straight line in the (annealed) rate explains this well falls with the rate:
#: it sits at the level the rate allows, and is not slow however gradual its fall.
TRACKS_RATE = 0.98
#: A flat stretch that starts while the rate is at this share of its peak or more is stuck;
#: one that starts below it converged as the rate annealed.
HIGH_LR_SHARE = 0.5
#: A tail whose robust line moves less than this share of the whole fall is flat at its
#: lowest: the loss converged, whatever pace it fell at, and is not slow ...
FLAT_OF_FALL = 0.02
#: ... and after a fall of this share of its start or more it converged, not a plateau.
CONVERGED_FALL = 0.95
#: A tail whose robust line still falls this share or more ends unfinished: not healthy.
UNFINISHED_FALL = 0.15
#: ... when the rate over the tail changed less than this share (at its floor, or constant).
SETTLED_RATE = 0.1


def read_loss(
    log: TrainingLog, rate_at: Callable[[int], RateThere | None] | None = None
) -> LossReading:
    """Name the symptom of ``log``'s loss curve with the rules of this module.

    ``rate_at(index)`` gives the learning rate at a point, logged or planned, if known: it
    tells a run that converged as planned from one stuck while the rate is still high.
    """
    losses = log.losses
    where = log.where
    nonfinite_at = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), None)
    if nonfinite_at is not None:
        return _nonfinite(log, nonfinite_at)

    values = list(losses)
    count = len(values)
    name = log.loss.name
    if count < MIN_POINTS:
        points = f"{count} {log.unit}{'s' if count != 1 else ''}"
        return _unjudgeable(
            f"the loss has {points}: too few to read a curve from (the rule: {MIN_POINTS} or more)"
        )
    if names_lr(name):
        return _unjudgeable(
            f"{name} is a learning rate, not a loss: there is no loss to judge here"
        )
    if min(values) < 0 < max(values):
        low, high = min(values), max(values)
        return _unjudgeable(
            f"{name} changes sign (from {_loss(low)} to {_loss(high)}): a loss that crosses"
            " zero is not minimised towards a floor (a GAN critic's or a policy-gradient"
            " loss), so falling, slow and flat mean nothing for it",
            notes=(f"{name} changes sign: judged as no loss to minimise",),
        )

    levels = _levels(values)
    size, smoothed, sigma, step = levels.size, levels.smoothed, levels.sigma, levels.step
    start, end, tail_first = levels.start, levels.end, levels.tail_first
    log_factor = _log_scale_steps(values) if sigma > abs(levels.level) and sigma > 0 else 1.0
    if not log_factor < 2:
        on_log = f", steps of ×{log_factor:.3g} on a log scale" if math.isfinite(log_factor) else ""
        return _unjudgeable(
            f"the loss jumps by more than its own size from point to point (noise ±"
            f"{_loss(sigma)} around a typical level of {_loss(levels.level)}{on_log}): no"
            " curve to read"
        )
    low_at, lowest = levels.low_at, levels.lowest
    before_low_at, before = levels.before_low_at, levels.before
    tail = fit_tail(log)
    notes = _spikes(log, values, smoothed)
    common: dict[str, Any] = {
        "tail": tail,
        "noise": sigma,
        "notes": notes,
        "smoothed": tuple(smoothed),
        "low_at": low_at,
    }
    tail_span = (
        f"over the last {TAIL_SHARE * 100:g}% of the run ({log.unit}s"
        f" {log.positions[tail_first]}–{log.positions[-1]}) the loss sits at {_loss(end)}"
    )

    # 3. A sustained rise.
    scale = max(step, DIVERGE_SCALE * abs(start))
    if before > 0 and end >= DIVERGE_RISE * before and end - before > scale:
        rise = end / before
        return LossReading(
            DIVERGING,
            (
                f"{tail_span}, {rise:.1f}× the lowest level it had reached, {_loss(before)} at"
                f" {where(before_low_at)} (the rule: {DIVERGE_RISE:g}× or more, sustained, by"
                f" {DIVERGE_SCALE * 100:g}% of its start or more)",
            ),
            rise=rise,
            rise_at=tail_first,
            **{**common, "low_at": before_low_at},
        )
    # A rise of the rolling median, not of one point: a stretch of several points blew up.
    excursion = _excursion(smoothed, scale)
    # A bump that came back below the level it rose from, and never went above where the
    # loss started, is a transient; one that undid the whole fall (the guide's early
    # divergence at the warm-up's peak) stays a divergence however well it recovered.
    # Back within one rounding step of that level is back: 0.0003 after 0.0003 is not above it.
    came_back = excursion is not None and (
        end < smoothed[excursion[2]] or (step > 0 and end - smoothed[excursion[2]] <= step)
    )
    if excursion is not None and came_back and smoothed[excursion[1]] < start:
        ratio, peak_at, from_at = excursion
        common["notes"] = (
            *notes,
            f"the loss rose to {ratio:.1f}× its lowest level so far ({_loss(smoothed[from_at])}"
            f" at {where(from_at)} to {_loss(smoothed[peak_at])} at {where(peak_at)}) and came"
            f" back below it, ending at {_loss(end)}, never above its start ({_loss(start)}): a"
            " transient, not a divergence",
        )
        excursion = None
    if excursion is not None:
        ratio, peak_at, from_at = excursion
        return LossReading(
            DIVERGING,
            (
                f"the loss (a rolling median of {size}, so not one spike) rose to"
                f" {ratio:.1f}× its lowest level so far: {_loss(smoothed[from_at])} at"
                f" {where(from_at)}, {_loss(smoothed[peak_at])} at {where(peak_at)} (the rule:"
                f" {DIVERGE_RISE:g}× or more, by {DIVERGE_SCALE * 100:g}% of its start or more);"
                f" it ended at {_loss(end)}",
            ),
            rise=ratio,
            rise_at=peak_at,
            **{**common, "low_at": from_at},
        )
    fall = relative(start - lowest, start)
    # Beyond its noise too: the start is the median of a few points, which noise alone puts
    # a noise or more from the curve's level, as the not-learning rule allows for a fall.
    if relative(end - start, start) >= RISE_ABOVE_START and end - start > max(
        step, NOISE_MULTIPLE * sigma
    ):
        return LossReading(
            DIVERGING,
            (
                f"{tail_span}, {relative(end - start, start) * 100:.0f}% above where it"
                f" started ({_loss(start)}): it rose and stayed up (the rule:"
                f" {RISE_ABOVE_START * 100:g}% or more above the start, beyond"
                f" {NOISE_MULTIPLE:g}× its noise ±{_loss(sigma)})",
            ),
            rise=relative(end, start) if start > 0 else None,
            rise_at=tail_first,
            **common,
        )
    # The noise allowance is capped for a loss that kept a fall (a noisy per-batch loss that
    # fell 20% fell, whatever its noise); one that ended at or above its start kept none, and
    # its lowest level counts as a fall only beyond three times its noise, uncapped: the
    # lowest of a noisy flat curve's rolling median sits below its start by chance.
    by_noise = NOISE_MULTIPLE * sigma / abs(start or 1)
    capped = end < start
    moved = max(NOT_LEARNING_FALL, min(NOT_LEARNING_MAX_FALL, by_noise) if capped else by_noise)
    if fall >= moved and end >= start and start - lowest > step:
        return LossReading(
            DIVERGING,
            (
                f"the loss fell to {_loss(lowest)} at {where(low_at)}, {fall * 100:.0f}% below"
                f" its start ({_loss(start)}), then climbed back: {tail_span}, at or above"
                " where it started",
            ),
            rise=end / lowest if lowest > 0 else None,
            rise_at=tail_first,
            **common,
        )

    # 4. Never moved.
    if fall < moved or start - lowest <= step:
        noise_text = f"; its noise is ±{_loss(sigma)}" if sigma > 0 else ""
        return LossReading(
            NOT_LEARNING,
            (
                f"the loss never moved: it started at {_loss(start)} and its lowest level"
                f" (a rolling median of {size}) was {_loss(lowest)} at {where(low_at)},"
                f" {fall * 100:.1f}% lower{noise_text} (the rule: a fall under"
                f" {moved * 100:.1f}%, the larger of {NOT_LEARNING_FALL * 100:g}% and"
                f" {NOISE_MULTIPLE:g}× the noise"
                + (
                    f" up to {NOT_LEARNING_MAX_FALL * 100:g}%)"
                    if capped
                    else f", uncapped: it ended at {_loss(end)}, not below its start)"
                ),
            ),
            advice=NOT_LEARNING_ADVICE,
            **common,
        )

    # 5. Overfitting: the validation curve turned worse while the training loss fell.
    turned: list[str] = []
    overfit = read_overfitting(log, smoothed, turned)
    if turned:
        notes = (*notes, *turned)
        common["notes"] = notes
    if overfit is not None:
        return LossReading(
            OVERFITTING, overfitting_evidence(log, overfit), overfit=overfit, **common
        )

    # 6. to 8. Slow, plateau or healthy: from the validation loss when the log has one that
    # can be judged, else from the training loss.
    curve, curve_line = _judged_curve(log)
    if curve is None:
        noun = "the loss" if log.validation is None else "the training loss"
        lines = () if curve_line is None else (curve_line,)
        return _progress_verdict(
            log, levels, rate_at, noun=noun, lines=lines, common=common, judged_on=None
        )
    curve_levels = _levels(list(curve.losses))
    return _progress_verdict(
        curve,
        curve_levels,
        _rate_on(log, curve, rate_at),
        noun="the validation loss",
        lines=(curve_line,) if curve_line is not None else (),
        common={
            "tail": fit_tail(curve),
            "noise": curve_levels.sigma,
            "notes": notes,
            "smoothed": tuple(curve_levels.smoothed),
            "low_at": curve_levels.low_at,
        },
        judged_on=curve.loss.name,
    )


def _progress_verdict(
    log: TrainingLog,
    levels: _Levels,
    rate_at: Callable[[int], RateThere | None] | None,
    *,
    noun: str,
    lines: tuple[str, ...],
    common: dict[str, Any],
    judged_on: str | None,
) -> LossReading:
    """Slow, plateau or healthy (rules 6 to 8) for the curve ``log`` holds (the training loss,
    or the validation curve as a log of its own), its ``levels`` already measured. ``noun``
    names the curve in the evidence, with its column; ``lines`` end the evidence (which curve
    was read, and why)."""
    found = _progress_symptom(log, levels, rate_at, noun, {**common, "judged_on": judged_on})
    return replace(found, evidence=(*found.evidence, *lines))


def _progress_symptom(
    log: TrainingLog,
    levels: _Levels,
    rate_at: Callable[[int], RateThere | None] | None,
    noun: str,
    common: dict[str, Any],
) -> LossReading:
    where = log.where
    values, smoothed, sigma, step = levels.values, levels.smoothed, levels.sigma, levels.step
    head, start, end, tail_first = levels.head, levels.start, levels.end, levels.tail_first
    lowest, before = levels.lowest, levels.before
    count = len(values)
    tail: Trend = common["tail"]
    named = f"{noun} ({log.loss.name})"
    tail_span = (
        f"over the last {TAIL_SHARE * 100:g}% of the run ({log.unit}s"
        f" {log.positions[tail_first]}–{log.positions[-1]}) {noun} sits at {_loss(end)}"
    )
    fall = relative(start - lowest, start)
    # A curve whose lowest level is within its noise of its start made no fall to be slow in:
    # the training loss is never that far (it would be not learning), but a validation loss
    # can have reached its level before its first evaluation.
    moved = max(
        NOT_LEARNING_FALL, min(NOT_LEARNING_MAX_FALL, NOISE_MULTIPLE * sigma / abs(start or 1))
    )
    fell = fall >= moved and start - lowest > step
    # How fast a curve fell says something only when the fall stands out of its noise: a fall
    # within a few times the noise puts the share of it made at each point at the noise's
    # mercy (shares cut at 0 and 1 drift towards a half, which reads as slow).
    resolved = fell and start - end > max(NOISE_MULTIPLE * sigma, step)
    head_text = f"{_loss(start)} (the median of its first {len(head)} points)"
    if resolved:
        # 6. Slow: the share of its fall the curve had made, averaged over the run.
        progress: float | None = _progress(log, smoothed, start, end)
        halfway_at = next(
            (i for i, level in enumerate(smoothed) if level <= start - (start - end) / 2),
            count - 1,
        )
        span = (log.positions[-1] - log.positions[0]) or 1
        share = (log.positions[halfway_at] - log.positions[0]) / span
        common.update(halfway_at=halfway_at, halfway_share=share, progress=progress)
        assert progress is not None
        made = (
            f"averaged over the run {named} had made {progress * 100:.0f}% of its fall from"
            f" {head_text} to {_loss(end)}, halfway by {where(halfway_at)} ({share * 100:.0f}%"
            " into the run)"
        )
    else:
        progress = None
        noise_text = f"{NOISE_MULTIPLE:g}× its noise ±{_loss(sigma)}"
        if step > 0:
            noise_text += " and one rounding step"
        if end >= start:
            made = (
                f"{named} ends at {_loss(end)} (the median of its last {count - tail_first}"
                f" points), not below where it started, {head_text}: no fall to be slow in"
            )
        elif not fell:
            made = (
                f"{named} never fell beyond its noise: from {head_text} its lowest level was"
                f" {_loss(lowest)}, {fall * 100:.1f}% lower (the rule: {moved * 100:.1f}% or"
                " more): no fall to be slow in"
            )
        else:
            made = (
                f"{named} fell from {head_text} to {_loss(end)}, within {noise_text}: too"
                " little against its noise to say how fast it fell, so not slow"
            )
    follows = _follows_rate(smoothed, rate_at)
    slow = progress is not None and progress < SLOW_PROGRESS
    if slow and follows is not None:
        return LossReading(
            HEALTHY,
            (
                made,
                f"but it fell with the rate: a straight line in the learning rate explains"
                f" {follows * 100:.0f}% of the loss's variation (the rule: {TRACKS_RATE * 100:g}%"
                " or more, the rate annealed below half its peak): the loss sits at the level"
                " the rate allows, converging as the rate anneals",
            ),
            **common,
        )
    whole_fall = start - lowest
    flat_at_lowest = (
        whole_fall > 0
        and abs(tail.end - tail.start) <= max(FLAT_OF_FALL * whole_fall, step)
        and end - lowest <= max(FLAT_OF_FALL * whole_fall, 2 * sigma, step)
    )
    if flat_at_lowest and fall >= CONVERGED_FALL:
        return LossReading(
            HEALTHY,
            (
                made,
                f"{tail_span}, flat at its lowest after falling {fall * 100:.1f}% from"
                f" {_loss(start)}: {_tail_text(log, tail, short=True)}, under"
                f" {FLAT_OF_FALL * 100:g}% of the whole fall: converged (the rule: a fall of"
                f" {CONVERGED_FALL * 100:g}% or more, then flat)",
            ),
            **common,
        )
    if slow and not flat_at_lowest:
        return LossReading(
            SLOW,
            (f"{made} (the rule: under {SLOW_PROGRESS * 100:.0f}%)", _tail_text(log, tail)),
            **common,
        )

    # 6. Flat tail: stuck, or converged as planned.
    improvement = relative(before - end, before)
    improving = (
        f"{abs(improvement) * 100:.1f}% {'below' if improvement >= 0 else 'above'} the lowest"
        f" level before it ({_loss(before)})"
    )
    # The fall of a line through the tail's n points is known to the noise × √(12/n) (the
    # standard error of a least-squares line's rise over its span): a line through many noisy
    # points falls beyond the noise of one point well before it falls by twice that noise.
    # The noise is the tail's own when it has MIN_POINTS points or more: the steps of an early
    # steep fall are trend, not noise, and inflate the whole curve's.
    in_tail = tail.last - tail.first + 1
    tail_sigma = noise(values[tail.first :]) if in_tail >= MIN_POINTS else sigma
    line_noise = tail_sigma * math.sqrt(12 / max(1, in_tail))
    steep = tail.change <= -UNFINISHED_FALL and tail.start - tail.end > max(2 * line_noise, step)
    if steep and _rate_settled(rate_at, tail.first, count - 1):
        return LossReading(
            SLOW,
            (
                made,
                f"{tail_span}; {_tail_text(log, tail, short=True)}: still falling steeply when"
                f" the run ended, at a rate that no longer annealed (the rule:"
                f" {UNFINISHED_FALL * 100:g}% or more over the last {TAIL_SHARE * 100:g}%, the"
                f" rate within {SETTLED_RATE * 100:g}% of its last value), so the run is"
                " unfinished: too slow, or too short (a longer run, epochs × 2, lets it"
                " finish too)",
            ),
            **common,
        )
    # A change within the noise is no change: a line through a few noisy points tilts by
    # chance, so the tail's fall counts beyond twice the noise, as for an unfinished tail.
    # A line that falls but ends above the best level before the tail (beyond its own noise) is
    # winning back ground the curve lost, not improving on its best.
    sloping = (
        tail.change <= -PLATEAU_SLOPE
        and tail.start - tail.end > max(2 * line_noise, step)
        and tail.end - before <= max(2 * line_noise, step)
    )
    # A tail below the best level before it still improves only while its line falls: one
    # whose line is level or climbs reached that level early in the tail and stopped there.
    if (improvement >= PLATEAU_FALL and tail.change < 0) or sloping:
        return LossReading(
            HEALTHY,
            (
                made,
                f"{tail_span}, {improving}; {_tail_text(log, tail, short=True)}: still improving",
            ),
            **common,
        )
    flat_from = _flat_from(smoothed, end, sigma)
    flat = (
        f"{tail_span}, {improving}; {_tail_text(log, tail, short=True)}: it stopped improving"
        f" (the rule: under {PLATEAU_FALL * 100:g}% below, or a line that does not fall; and a"
        f" line falling under {PLATEAU_SLOPE * 100:g}%, or within twice its noise"
        f" ±{_loss(line_noise)}, or ending above the lowest level before it)"
    )
    there = rate_at(flat_from) if rate_at is not None else None
    common["flat_from"] = flat_from
    if there is None:
        return LossReading(
            PLATEAU,
            (
                made,
                flat,
                f"flat from {where(flat_from)} on; with no learning rate logged or planned,"
                " lrplan cannot tell a run that converged as its rate annealed from one stuck"
                " at a high rate (log the rate, or give the plan)",
            ),
            **common,
        )
    # The highest rate of the flat stretch decides: a curve flat from the warm-up on (a
    # validation loss at its level by its first evaluation) stayed flat while the rate rose
    # to its peak, which is no annealing.
    assert rate_at is not None  # a rate was found at flat_from
    highest_at = flat_from
    for index in range(flat_from + 1, count):
        later = rate_at(index)
        if later is not None and later.rate > there.rate:
            highest_at, there = index, later
    share_of_peak = there.rate / there.peak if there.peak > 0 else 1.0
    rate_text = (
        f"the learning rate was {there.rate:.3e} at {where(flat_from)} ({there.source}),"
        f" {share_of_peak * 100:.0f}% of its peak {there.peak:.3e}"
    )
    if highest_at != flat_from:
        rate_text = (
            f"the learning rate rose to {there.rate:.3e} at {where(highest_at)}"
            f" ({there.source}) after it went flat, {share_of_peak * 100:.0f}% of its peak"
            f" {there.peak:.3e}"
        )
    if share_of_peak < HIGH_LR_SHARE:
        return LossReading(
            HEALTHY,
            (
                made,
                flat,
                f"it went flat only as the rate annealed: {rate_text} (under"
                f" {HIGH_LR_SHARE * 100:g}%): converged as planned",
            ),
            **common,
        )
    return LossReading(
        PLATEAU,
        (
            made,
            flat,
            f"flat from {where(flat_from)} on, while {rate_text} ({HIGH_LR_SHARE * 100:g}% or"
            " more): stuck while the rate is still high",
        ),
        **common,
    )


@dataclass(frozen=True)
class _Levels:
    """The robust figures of one curve that the rules compare (indices into its points)."""

    values: list[float]
    #: The rolling median's window, and the curve through it.
    size: int
    smoothed: list[float]
    #: The point-to-point noise, and one rounding step of the values as logged.
    sigma: float
    step: float
    #: The first points, whose median is where the curve starts.
    head: list[float]
    start: float
    #: The tail (the last :data:`TAIL_SHARE`) starts here; ``end`` is its median.
    tail_first: int
    end: float
    #: The median of the whole curve: its typical level.
    level: float
    low_at: int
    lowest: float
    #: The lowest level before the tail.
    before_low_at: int
    before: float


def _levels(values: list[float]) -> _Levels:
    """The figures of a curve of :data:`MIN_POINTS` points or more, all medians: one spike or
    one lucky batch moves none of them."""
    count = len(values)
    size = window(count)
    smoothed = rolling_median(values, size)
    head = values[: max(2, size // 2 + 1)]
    tail_first = count - max(3, math.ceil(count * TAIL_SHARE))
    low_at = min(range(count), key=smoothed.__getitem__)
    before_low_at = min(range(tail_first), key=smoothed.__getitem__)
    return _Levels(
        values=values,
        size=size,
        smoothed=smoothed,
        sigma=noise(values),
        step=resolution(values),
        head=head,
        start=statistics.median(head),
        tail_first=tail_first,
        end=statistics.median(values[tail_first:]),
        level=statistics.median(values),
        low_at=low_at,
        lowest=smoothed[low_at],
        before_low_at=before_low_at,
        before=smoothed[before_low_at],
    )


def _log_scale_steps(values: list[float]) -> float:
    """The typical factor a positive curve moves by from point to point (its noise on a log
    scale, as a factor); infinite for a curve that reaches 0 or below. A loss falling two or
    three orders of magnitude to near zero has a noise larger than its median level, yet moves
    by less than its own size (a factor under 2) from point to point: it is read."""
    if min(values) <= 0:
        return math.inf
    return math.exp(noise([math.log(value) for value in values]))


def _judged_curve(log: TrainingLog) -> tuple[TrainingLog | None, str | None]:
    """The validation loss as a log of its own, when slow and plateau are read from it, with
    the sentence that says so; else None and why the training loss is read instead (None
    too when the log has no validation curve).

    The validation curve is judged by the training loss's rules, so it must pass the same
    gates: :data:`MIN_POINTS` points or more, all finite, no change of sign, noise no larger
    than its level. Only a loss is read so: a metric (an accuracy) saturates towards its
    ceiling, which the loss rules do not read."""
    validation = log.validation
    if validation is None:
        return None, None
    name = validation.column.name
    values = list(validation.values)
    count = len(values)
    instead = f"so slow and plateau are read from the training loss ({log.loss.name})"
    if validation.higher_better:
        return None, f"the validation curve ({name}) is a metric, not a loss: {instead}"
    if count < MIN_POINTS:
        points = f"{count} point{'s' if count != 1 else ''}"
        return None, (
            f"the validation loss ({name}) has {points}, too few to judge (the rule:"
            f" {MIN_POINTS} or more): {instead}"
        )
    if not all(math.isfinite(value) for value in values):
        return None, f"the validation loss ({name}) is not finite everywhere: {instead}"
    if min(values) < 0 < max(values):
        return None, f"the validation loss ({name}) changes sign: {instead}"
    sigma, level = noise(values), statistics.median(values)
    if sigma > abs(level) and sigma > 0:
        return None, (
            f"the validation loss ({name}) jumps by more than its own size from point to point"
            f" (noise ±{_loss(sigma)} around {_loss(level)}): {instead}"
        )
    curve = replace(
        log,
        rows=count,
        loss=validation.column,
        positions=validation.positions,
        losses=validation.values,
        lrs=(),
        validation=None,
    )
    return curve, (
        f"slow and plateau are read from the validation loss ({name}, {count} points), the"
        f" held-out curve; the training loss ({log.loss.name}) decided that the run neither"
        " diverges nor fails to learn"
    )


def _rate_on(
    log: TrainingLog, curve: TrainingLog, rate_at: Callable[[int], RateThere | None] | None
) -> Callable[[int], RateThere | None] | None:
    """``rate_at`` for the points of ``curve`` (the validation curve): the rate at the last
    point of the training loss at or before each."""
    if rate_at is None:
        return None

    def on_curve(index: int) -> RateThere | None:
        row = bisect.bisect_right(log.positions, curve.positions[index]) - 1
        return rate_at(max(0, row))

    return on_curve


def fit_tail(log: TrainingLog) -> Trend:
    """The Theil–Sen line through the loss over the last :data:`TAIL_SHARE` of the points
    (at least three, or all of a shorter curve), finite points only."""
    count = len(log.losses)
    size = min(count, max(3, math.ceil(count * TAIL_SHARE)))
    first = count - size
    pairs = [
        (float(position), loss)
        for position, loss in zip(log.positions[first:], log.losses[first:], strict=True)
        if math.isfinite(loss)
    ]
    xs = [x for x, _ in pairs] or [0.0]
    ys = [y for _, y in pairs] or [0.0]
    slope, intercept = theil_sen(xs, ys)
    start = intercept + slope * xs[0]
    end = intercept + slope * xs[-1]
    change = (end - start) / (abs(start) or abs(end) or 1.0)
    per_epoch = None
    if log.unit == "epoch" and xs[-1] > xs[0]:
        per_epoch = change / (xs[-1] - xs[0])
    return Trend(first, count - 1, start, end, change, per_epoch)


def _nonfinite(log: TrainingLog, at: int) -> LossReading:
    losses = log.losses
    bad = losses[at]
    text = f"the loss became {'NaN' if math.isnan(bad) else 'infinite'} at {log.where(at)}"
    finite = [i for i in range(at) if math.isfinite(losses[i])]
    if finite:
        low = min(finite, key=losses.__getitem__)
        text += f", after falling to {_loss(losses[low])} at {log.where(low)}"
    else:
        text += ", its first point: the run is numerically broken from the start"
    after = sum(1 for loss in losses[at:] if not math.isfinite(loss))
    if after > 1:
        text += f"; {after} of the {len(losses) - at} points from there on are not finite"
    return LossReading(DIVERGING, (text,), nonfinite_at=at)


def _unjudgeable(reason: str, notes: tuple[str, ...] = ()) -> LossReading:
    return LossReading(UNJUDGEABLE, (reason,), notes=notes, advice=UNJUDGEABLE_ADVICE)


def _progress(log: TrainingLog, smoothed: list[float], start: float, end: float) -> float:
    """The share of its fall from ``start`` to ``end`` the smoothed loss had made, averaged
    over the run (each stretch between points weighted by its length)."""
    fall = start - end
    if fall <= 0:
        return 1.0
    shares = [min(1.0, max(0.0, (start - level) / fall)) for level in smoothed]
    positions = log.positions
    span = positions[-1] - positions[0]
    if span <= 0:
        return 1.0
    total = math.fsum(
        (shares[i] + shares[i + 1]) / 2 * (positions[i + 1] - positions[i])
        for i in range(len(shares) - 1)
    )
    return total / span


def _follows_rate(
    smoothed: list[float], rate_at: Callable[[int], RateThere | None] | None
) -> float | None:
    """The R² of the smoothed loss against the rate, when the loss falls with it that closely
    (:data:`TRACKS_RATE`) and the rate annealed below :data:`HIGH_LR_SHARE` of its peak;
    None otherwise (or without a rate)."""
    if rate_at is None:
        return None
    there = [rate_at(index) for index in range(len(smoothed))]
    if any(point is None for point in there):
        return None
    rates = [point.rate for point in there if point is not None]
    last = there[-1]
    assert last is not None
    if last.peak <= 0 or last.rate >= HIGH_LR_SHARE * last.peak:
        return None
    r_squared, sign = affine_fit(rates, smoothed)
    return r_squared if sign > 0 and r_squared >= TRACKS_RATE else None


def _rate_settled(rate_at: Callable[[int], RateThere | None] | None, first: int, last: int) -> bool:
    """Whether the rate was known and no longer annealing over the tail (from ``first`` to
    ``last``): at its floor, or constant. A loss that falls while the rate anneals is
    converging as planned; one that still falls at a settled rate had more to learn."""
    if rate_at is None:
        return False
    there, end = rate_at(first), rate_at(last)
    if there is None or end is None or end.rate <= 0:
        return False
    return there.rate <= end.rate * (1 + SETTLED_RATE)


def _flat_from(smoothed: list[float], end: float, sigma: float) -> int:
    """Where the smoothed loss first came within the band around its final level (the larger of
    :data:`PLATEAU_FALL` of it and twice the noise) and the flat stretch began."""
    band = max(PLATEAU_FALL * abs(end), 2 * sigma)
    return next((i for i, level in enumerate(smoothed) if level <= end + band), len(smoothed) - 1)


def _excursion(smoothed: list[float], step: float = 0.0) -> tuple[float, int, int] | None:
    """The largest rise of the smoothed loss over its lowest level so far, when it reaches
    :data:`DIVERGE_RISE` and is more than ``step`` (one rounding step, or the share
    :data:`DIVERGE_SCALE` of the loss's start): (the ratio, where, the low's index); None
    otherwise."""
    if min(smoothed) <= 0:
        return None
    best: tuple[float, int, int] | None = None
    low_at = 0
    for index in range(1, len(smoothed)):
        ratio = smoothed[index] / smoothed[low_at]
        rose = smoothed[index] - smoothed[low_at] > step
        if ratio >= DIVERGE_RISE and rose and (best is None or ratio > best[0]):
            best = (ratio, index, low_at)
        if smoothed[index] < smoothed[low_at]:
            low_at = index
    return best


def _spikes(log: TrainingLog, values: list[float], smoothed: list[float]) -> tuple[str, ...]:
    """A note for the largest spike that came back down: a point :data:`SPIKE_RISE` times or
    more above the lowest level so far (a rolling median), with how many there were."""
    if min(values) <= 0:
        return ()
    found: list[tuple[float, int, int]] = []
    low_at = 0
    for index in range(1, len(values)):
        if smoothed[index - 1] < smoothed[low_at]:
            low_at = index - 1
        ratio = values[index] / smoothed[low_at]
        if ratio >= SPIKE_RISE and smoothed[index] < SPIKE_RISE * smoothed[low_at]:
            found.append((ratio, index, low_at))
    if not found:
        return ()
    ratio, index, low_at = max(found)
    text = (
        f"a spike to {_loss(values[index])} at {log.where(index)}, {ratio:.1f}× the level"
        f" so far ({_loss(smoothed[low_at])}), came back down: noise, not a divergence"
    )
    if len(found) > 1:
        text += f" ({len(found)} such spikes in all)"
    return (text,)


def _tail_text(log: TrainingLog, tail: Trend, short: bool = False) -> str:
    line = f"a robust line through it changes {tail.change * 100:+.1f}%"
    if tail.per_epoch is not None:
        line += f" ({tail.per_epoch * 100:+.2f}% per epoch)"
    if short:
        return line
    span = f"{log.unit}s {log.positions[tail.first]}–{log.positions[tail.last]}"
    return f"over the last {TAIL_SHARE * 100:g}% of the run ({span}) {line}"


def _loss(value: float) -> str:
    return f"{value:.4g}"
