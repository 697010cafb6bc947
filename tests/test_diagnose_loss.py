"""The rules that name the symptom of a loss curve, on curves built with known figures.

Noise comes from a seeded generator; rates from the formula in tests/formula.py, never from
lrplan.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrplan.analysis.diagnose import (
    DIVERGE_RISE,
    MIN_POINTS,
    PLATEAU_FALL,
    TAIL_SHARE,
    diagnose,
    fit_tail,
    read_loss,
)
from lrplan.analysis.diagnose.loss import (
    HIGH_LR_SHARE,
    NOT_LEARNING_FALL,
    PLATEAU_SLOPE,
    RISE_ABOVE_START,
    SLOW_PROGRESS,
    RateThere,
)
from lrplan.core.config import ScheduleConfig
from lrplan.inputs.logs import ColumnChoice, LoggedLr, TrainingLog
from tests.formula import formula_lr


def log_of(
    losses: list[float],
    *,
    unit: str = "epoch",
    lrs: list[LoggedLr] | None = None,
    positions: list[int] | None = None,
    name: str = "loss",
) -> TrainingLog:
    return TrainingLog(
        path=Path("run.csv"),
        rows=len(losses),
        unit=unit,
        loss=ColumnChoice(name, True, ()),
        lr=ColumnChoice("lr", True, ()) if lrs is not None else None,
        positions=tuple(positions if positions is not None else range(len(losses))),
        losses=tuple(losses),
        lrs=tuple(lrs or ()),
        steps_per_epoch=None,
    )


def noisy(values: list[float], share: float, seed: int = 0) -> list[float]:
    """``values`` with multiplicative noise of about ``share`` (uniform, seeded)."""
    generator = random.Random(seed)
    return [value * (1 + generator.uniform(-share, share)) for value in values]


def decay(count: int, tau: float, start: float = 2.0, floor: float = 0.2) -> list[float]:
    """A loss falling like exp(-t/tau) from ``start`` towards ``floor``, t in points."""
    return [floor + (start - floor) * math.exp(-t / tau) for t in range(count)]


def test_the_rules_constants_are_the_documented_ones() -> None:
    assert (TAIL_SHARE, MIN_POINTS, DIVERGE_RISE, RISE_ABOVE_START) == (0.3, 6, 2.0, 0.1)
    assert (NOT_LEARNING_FALL, SLOW_PROGRESS, PLATEAU_FALL, PLATEAU_SLOPE) == (
        0.03,
        2 / 3,
        0.01,
        0.02,
    )
    assert HIGH_LR_SHARE == 0.5


# --- diverging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("at", [0, 3, 9])
def test_a_nan_or_inf_loss_is_diverging_at_its_point(bad: float, at: int) -> None:
    losses = [1.0 / (epoch + 1) for epoch in range(10)]
    losses[at] = bad
    reading = read_loss(log_of(losses))
    assert reading.symptom == "diverging"
    assert reading.nonfinite_at == at
    word = "NaN" if math.isnan(bad) else "infinite"
    assert reading.evidence[0].startswith(f"the loss became {word} at epoch {at}")
    if at:
        low = at - 1
        assert f"after falling to {losses[low]:.4g} at epoch {low}" in reading.evidence[0]
    else:
        assert "numerically broken from the start" in reading.evidence[0]


@given(
    st.lists(st.floats(0.01, 100.0), min_size=1, max_size=40),
    st.integers(0, 39),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
@settings(max_examples=60, deadline=None)
def test_any_curve_with_a_non_finite_loss_is_diverging(
    losses: list[float], at: int, bad: float
) -> None:
    position = min(at, len(losses))
    reading = read_loss(log_of([*losses[:position], bad, *losses[position:]]))
    assert reading.symptom == "diverging"
    assert reading.nonfinite_at == position


def test_one_spike_that_recovers_is_a_note_not_a_divergence() -> None:
    # The case: a loss from 139.9 to 0.0076 with one 5× blip on the way.
    losses = [139.9 * 0.75**t for t in range(40)]
    losses[12] *= 5
    reading = read_loss(log_of(losses))
    assert reading.symptom == "healthy"
    assert len(reading.notes) == 1
    assert reading.notes[0].startswith(f"a spike to {losses[12]:.4g} at epoch 12,")
    assert reading.notes[0].endswith("came back down: noise, not a divergence")


def test_a_flat_noisy_loss_with_one_blip_is_not_diverging() -> None:
    losses = noisy([1.0] * 30, 0.01)
    losses[10] = 2.0
    reading = read_loss(log_of(losses))
    assert reading.symptom == "not-learning"
    assert reading.notes and "a spike to 2 at epoch 10" in reading.notes[0]


def test_a_rise_that_lasts_is_diverging() -> None:
    # Falls to 0.3, then two points at 3× (a rolling median of 3 rises) above where it started
    # (0.8), then recovers: the whole fall undone, the guide's early divergence.
    losses = [1.0, 0.6, 0.4, 0.3, 0.3, 0.9, 0.9, 0.3, 0.25, 0.2, 0.18, 0.16]
    reading = read_loss(log_of(losses))
    assert reading.symptom == "diverging"
    assert reading.rise == pytest.approx(3.0)
    assert (reading.low_at, reading.rise_at) == (3, 5)
    assert reading.evidence[0].startswith(
        "the loss (a rolling median of 3, so not one spike) rose to 3.0× its lowest level so"
        " far: 0.3 at epoch 3, 0.9 at epoch 5 (the rule: 2× or more, by 10% of its start or more)"
    )


def test_a_rise_that_does_not_come_back_below_is_diverging() -> None:
    # The same bump, staying under the start but never coming back below 0.3.
    losses = [1.0, 0.6, 0.4, 0.3, 0.3, 0.7, 0.7, 0.5, 0.45, 0.4, 0.38, 0.36]
    assert read_loss(log_of(losses)).symptom == "diverging"


def test_a_rise_that_comes_back_below_its_previous_level_is_a_note() -> None:
    # A bump to 0.7 (2.3× the 0.3 reached, under the start of 0.8) that comes back below 0.3
    # and ends at 0.16: a transient.
    losses = [1.0, 0.6, 0.4, 0.3, 0.3, 0.7, 0.7, 0.3, 0.25, 0.2, 0.18, 0.16]
    reading = read_loss(log_of(losses))
    assert reading.symptom != "diverging"
    assert any(
        "rose to 2.3× its lowest level so far (0.3 at epoch 3 to 0.7 at epoch 5) and came back"
        " below it"
        in note
        and "a transient, not a divergence" in note
        for note in reading.notes
    )


def test_a_loss_that_rises_above_its_start_and_stays_is_diverging() -> None:
    # The first value is the lowest; then it jumps 30% up and stays (noisy).
    losses = [2.35, *noisy([3.0] * 19, 0.05, seed=3)]
    reading = read_loss(log_of(losses))
    assert reading.symptom == "diverging"
    assert "above where it started" in reading.evidence[0]


def test_a_loss_that_climbs_back_to_its_start_is_diverging() -> None:
    losses = [1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 0.9, 0.92, 0.95]
    reading = read_loss(log_of(losses))
    assert reading.symptom == "diverging"
    assert "then climbed back" in reading.evidence[0]


# --- not learning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "losses",
    [
        [0.0] * 20,
        [1.0 - 0.008 * t / 19 for t in range(20)],  # -0.8% over the whole run
        noisy([940.0] * 25, 0.05, seed=1),
    ],
    ids=["zero", "-0.8%", "noise"],
)
def test_a_loss_that_never_moves_is_not_learning_with_its_own_advice(losses) -> None:
    reading = read_loss(log_of(losses))
    assert reading.symptom == "not-learning"
    assert reading.evidence[0].startswith("the loss never moved")
    assert any("optimizer holds the model's parameters" in advice for advice in reading.advice)
    found = diagnose(log_of(losses), ScheduleConfig(lr=0.1, epochs=len(losses)))
    assert found.remedy is None


# --- slow, plateau, healthy ---------------------------------------------------------------------


@pytest.mark.parametrize(("tau", "symptom"), [(20.0, "slow"), (4.0, "healthy")])
def test_slow_is_a_fall_that_takes_much_of_the_run(tau: float, symptom: str) -> None:
    # 40 points; a floor far below so the loss still falls at the end.
    reading = read_loss(log_of(decay(40, tau, floor=0.0)))
    assert reading.symptom == symptom
    assert reading.progress is not None
    assert (reading.progress < SLOW_PROGRESS) is (symptom == "slow")
    if symptom == "slow":
        assert reading.evidence[0].endswith("(the rule: under 67%)")


def flat_tail(count: int = 30) -> list[float]:
    """Falls to 0.5 within a few points, then stays there with a little noise."""
    return noisy(decay(count, 2.0, start=2.0, floor=0.5), 0.003, seed=2)


def test_a_flat_tail_without_a_rate_is_a_plateau_that_says_what_it_cannot_tell() -> None:
    reading = read_loss(log_of(flat_tail()))
    assert reading.symptom == "plateau"
    assert reading.flat_from is not None
    assert "stopped improving" in reading.evidence[1]
    assert "cannot tell a run that converged" in reading.evidence[2]


@pytest.mark.parametrize(("share", "symptom"), [(0.9, "plateau"), (0.2, "healthy")])
def test_flat_while_the_rate_is_high_is_stuck_and_flat_once_annealed_is_converged(
    share: float, symptom: str
) -> None:
    def rate_at(index: int) -> RateThere:
        return RateThere(0.1 * share, 0.1, "logged")

    reading = read_loss(log_of(flat_tail()), rate_at)
    assert reading.symptom == symptom
    if symptom == "plateau":
        assert reading.evidence[2].endswith("stuck while the rate is still high")
    else:
        assert reading.evidence[2].endswith("converged as planned")


def test_a_loss_that_falls_with_the_cosine_is_healthy() -> None:
    # The synthetic run: the loss falls in proportion to the rate, converging as the
    # cosine anneals; the logged rate is WarmupCosLR's (the formula).
    rates = [formula_lr(epoch, 0.1, 1e-4, 0, 30) for epoch in range(30)]
    losses = [0.05 + 2.0 * rate for rate in rates]
    lrs = [LoggedLr(epoch, None, rate) for epoch, rate in enumerate(rates)]
    found = diagnose(
        log_of(losses, lrs=lrs), ScheduleConfig(lr=0.1, min_lr=1e-4, warmup_epochs=0, epochs=30)
    )
    assert found.symptom == "healthy", found.reading.evidence


def test_a_still_falling_tail_is_healthy() -> None:
    reading = read_loss(log_of(decay(30, 6.0, floor=0.0)))
    assert reading.symptom == "healthy"
    assert reading.evidence[1].endswith("still improving")


# --- unjudgeable --------------------------------------------------------------------------------


def test_too_few_points_cannot_be_judged() -> None:
    reading = read_loss(log_of([2.3, 1.6, 1.4]))
    assert reading.symptom == "unjudgeable"
    assert reading.evidence[0] == (
        "the loss has 3 epochs: too few to read a curve from (the rule: 6 or more)"
    )
    # Short, but NaN still counts.
    assert read_loss(log_of([1.0, math.nan])).symptom == "diverging"


def test_a_metric_that_changes_sign_is_no_loss_to_minimise() -> None:
    losses = [0.5, -0.2, 0.1, -1.0, 0.3, -0.5, 0.2, -0.1]
    reading = read_loss(log_of(losses, name="critic_loss"))
    assert reading.symptom == "unjudgeable"
    assert reading.evidence[0].startswith("critic_loss changes sign (from -1 to 0.5)")
    assert reading.notes == ("critic_loss changes sign: judged as no loss to minimise",)


def test_a_learning_rate_is_no_loss() -> None:
    reading = read_loss(log_of([0.1] * 8 + [0.02] * 8, name="run-x-tag-lr"))
    assert reading.symptom == "unjudgeable"
    assert "is a learning rate, not a loss" in reading.evidence[0]


def test_a_loss_noisier_than_itself_cannot_be_judged() -> None:
    losses = [130.0, 5e9, 140.0, 1.2e14, 135.0, 3e12, 150.0, 8e10, 128.0, 2e13]
    assert read_loss(log_of(losses)).symptom == "unjudgeable"


# --- the tail line ------------------------------------------------------------------------------


@given(st.floats(0.5, 50.0), st.floats(-0.02, 0.02), st.integers(5, 60))
@settings(max_examples=60, deadline=None)
def test_the_tail_line_of_points_on_a_line_is_that_line(
    level: float, slope: float, count: int
) -> None:
    losses = [level + slope * epoch for epoch in range(count)]
    size = max(3, math.ceil(count * TAIL_SHARE))
    assume(abs(losses[count - size]) > 1e-3)
    tail = fit_tail(log_of(losses))
    assert tail.first == count - size
    assert tail.start == pytest.approx(losses[tail.first], rel=1e-9, abs=1e-9)
    assert tail.end == pytest.approx(losses[-1], rel=1e-9, abs=1e-9)
    expected = (losses[-1] - losses[tail.first]) / abs(losses[tail.first])
    assert tail.change == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_log_of_steps_is_judged_per_step() -> None:
    losses = decay(40, 5.0, floor=0.0)
    reading = read_loss(log_of(losses, unit="step", positions=[step * 50 for step in range(40)]))
    assert reading.symptom == "healthy"
    assert reading.tail is not None and reading.tail.per_epoch is None
    assert "(steps 1400–1950)" in reading.evidence[1]
