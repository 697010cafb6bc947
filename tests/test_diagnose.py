"""The rules that name a symptom, and the check of the logged learning rate against the plan.

Loss curves are built here with known figures (a rise of exactly 2×, a tail that falls exactly
1.9%); logged learning rates come from the formula in tests/formula.py, never from lrplan.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrplan.analysis.diagnose import (
    DIVERGE_RISE,
    MIN_POINTS,
    PLATEAU_FALL,
    SLOW_HALFWAY_SHARE,
    TAIL_SHARE,
    check_lr,
    diagnose,
    fit_tail,
    read_loss,
)
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.logs import ColumnChoice, LoggedLr, TrainingLog
from tests.formula import formula_lr


def log_of(
    losses: list[float],
    *,
    unit: str = "epoch",
    lrs: list[LoggedLr] | None = None,
    positions: list[int] | None = None,
    steps_per_epoch: int | None = None,
) -> TrainingLog:
    return TrainingLog(
        path=Path("run.csv"),
        rows=len(losses),
        unit=unit,
        loss=ColumnChoice("loss", True, ()),
        lr=ColumnChoice("lr", True, ()) if lrs is not None else None,
        positions=tuple(positions if positions is not None else range(len(losses))),
        losses=tuple(losses),
        lrs=tuple(lrs or ()),
        steps_per_epoch=steps_per_epoch,
    )


def test_the_rules_constants_are_the_documented_ones() -> None:
    assert (TAIL_SHARE, MIN_POINTS, DIVERGE_RISE) == (0.3, 5, 2.0)
    assert (SLOW_HALFWAY_SHARE, PLATEAU_FALL) == (0.25, 0.02)


# --- diverging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("at", [0, 3, 9])
def test_a_nan_or_inf_loss_is_diverging_at_its_epoch(bad: float, at: int) -> None:
    losses = [1.0 / (epoch + 1) for epoch in range(10)]
    losses[at] = bad
    reading = read_loss(log_of(losses))
    assert reading.symptom == "diverging"
    assert reading.nonfinite_at == at
    word = "NaN" if math.isnan(bad) else "infinite"
    assert reading.evidence[0].startswith(f"the loss became {word} at epoch {at}")
    if at:
        low = at - 1
        assert reading.evidence[0].endswith(f"after falling to {losses[low]:.4g} at epoch {low}")


@pytest.mark.parametrize(("ratio", "symptom"), [(2.0, "diverging"), (1.99, "healthy")])
def test_a_rise_to_twice_the_lowest_loss_so_far_is_diverging(ratio: float, symptom: str) -> None:
    # Falls to 0.4 at epoch 2, spikes at epoch 4, then falls steadily to well below.
    losses = [1.0, 0.5, 0.4, 0.4, 0.4 * ratio, 0.3, 0.2, 0.1, 0.05, 0.04]
    reading = read_loss(log_of(losses))
    assert reading.symptom == symptom
    assert reading.rise == pytest.approx(ratio)
    assert (reading.low_at, reading.rise_at) == (2, 4)
    if symptom == "diverging":
        assert reading.evidence[0] == (
            f"the loss rose to {ratio:.1f}× its lowest value so far: 0.4 at epoch 2,"
            f" {0.4 * ratio:.4g} at epoch 4 (the rule: 2× or more)"
        )
        assert reading.evidence[1] == "at epoch 9, its last, the loss was 0.04"


def test_a_loss_that_climbs_back_above_its_start_is_diverging() -> None:
    reading = read_loss(log_of([1.0, 0.7, 0.8, 0.9, 1.0, 1.05]))
    assert reading.symptom == "diverging"
    assert reading.evidence == (
        "the loss fell to 0.7 at epoch 1, then climbed back to 1.05 at epoch 5, above the"
        " 1 it started at",
    )


def test_a_rise_before_the_nan_is_said_too() -> None:
    reading = read_loss(log_of([2.0, 1.4, 0.98, 0.686, 5.0, math.nan, math.nan]))
    assert reading.symptom == "diverging"
    assert (reading.nonfinite_at, reading.low_at, reading.rise_at) == (5, 3, 4)
    assert reading.rise == pytest.approx(5.0 / 0.686)
    assert reading.evidence == (
        "the loss became NaN at epoch 5, after falling to 0.686 at epoch 3",
        "before that, the loss rose to 7.3× its lowest value so far: 0.686 at epoch 3, 5 at"
        " epoch 4 (the rule: 2× or more)",
    )


def test_a_short_log_is_judged_only_for_divergence() -> None:
    assert read_loss(log_of([1.0, math.nan])).symptom == "diverging"
    assert read_loss(log_of([1.0, 0.3, 0.9])).symptom == "diverging"
    with pytest.raises(LrplanError) as raised:
        read_loss(log_of([1.0, 0.5, 0.25, 0.2]))
    assert str(raised.value) == (
        "run.csv: the loss has 4 epochs; diagnose needs 5 or more to tell slow, plateau and"
        " healthy apart"
    )


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


# --- slow ---------------------------------------------------------------------------------------


def test_a_loss_that_never_falls_is_slow() -> None:
    reading = read_loss(log_of([2.0, 2.01, 1.99, 2.0, 2.0, 2.0]))
    assert reading.symptom == "slow"
    assert reading.evidence == ("the loss never fell: 2 at epoch 0, 2 at epoch 5",)


@pytest.mark.parametrize(("halfway", "slow"), [(4, False), (5, True), (12, True)])
def test_falling_halfway_at_a_quarter_of_the_run_or_later_is_slow(halfway: int, slow: bool) -> None:
    # 21 epochs (0–20): halfway at epoch 5 is 25% into the run. The loss halves there, then
    # keeps falling 5% per epoch (a healthy tail when not slow).
    losses = [1.0] * halfway + [0.55 * 0.95 ** (epoch - halfway) for epoch in range(halfway, 21)]
    losses[-1] = 0.1
    reading = read_loss(log_of(losses))
    assert reading.halfway_at == halfway
    assert reading.halfway_share == pytest.approx(halfway / 20)
    assert (reading.symptom == "slow") is slow
    if slow:
        assert reading.evidence[0] == (
            f"the loss took until epoch {halfway}, {halfway * 5}% into the run, to fall"
            " halfway from 1 to 0.1 (the rule: 25% or later)"
        )


# --- plateau and healthy ------------------------------------------------------------------------


def tail_curve(change: float, count: int = 20) -> list[float]:
    """Falls to 0.1 at epoch 1 and stays; the last 30% then move on a straight line that
    changes by ``change`` (relative) from the tail's first point to its last."""
    size = math.ceil(count * TAIL_SHARE)
    losses = [1.0] + [0.1] * (count - 1 - size)
    losses += [0.1 * (1 + change * j / (size - 1)) for j in range(size)]
    return losses


@pytest.mark.parametrize(
    ("change", "symptom"),
    [
        (0.0, "plateau"),
        (0.03, "plateau"),
        (-0.019, "plateau"),
        (-0.021, "healthy"),
        (-0.08, "healthy"),
    ],
)
def test_a_tail_falling_under_two_percent_is_a_plateau(change: float, symptom: str) -> None:
    lrs = [LoggedLr(epoch, epoch * 10, 0.05) for epoch in range(20)]
    reading = read_loss(log_of(tail_curve(change), lrs=lrs))
    assert reading.symptom == symptom
    assert reading.tail is not None
    assert reading.tail.change == pytest.approx(change, abs=1e-12)
    assert (reading.tail.first, reading.tail.last) == (14, 19)
    assert reading.tail.per_epoch == pytest.approx(change / 5, abs=1e-12)
    if symptom == "plateau":
        assert reading.evidence[0].startswith("over the last 30% of the run (epochs 14–19)")
        assert reading.evidence[0].endswith("it stopped improving (the rule: a fall under 2%)")
    else:
        assert reading.evidence[1].endswith("still improving as the rate anneals")


def test_the_plateau_says_how_high_the_rate_still_was() -> None:
    config = ScheduleConfig(lr=0.1, min_lr=0.001, warmup_epochs=2, epochs=20)
    lrs = [LoggedLr(epoch, None, formula_lr(epoch, 0.1, 0.001, 2, 20)) for epoch in range(20)]
    found = diagnose(log_of(tail_curve(0.0), lrs=lrs), config)
    assert found.symptom == "plateau"
    rate = formula_lr(14, 0.1, 0.001, 2, 20)
    assert found.reading.evidence[1] == (
        f"while the learning rate was still {rate:.3e} at epoch 14 (logged),"
        f" {rate / 0.1 * 100:.0f}% of the planned peak and {rate / 0.001:.3g}× min_lr"
    )
    high_floor = diagnose(log_of(tail_curve(0.0), lrs=lrs), config.replace(min_lr=1e-5))
    assert high_floor.reading.evidence[1].endswith(
        f"% of the planned peak and {rate / 1e-5:,.0f}× min_lr"
    )
    assert found.remedy is not None
    assert (found.remedy.tuned.epochs, found.remedy.tuned.min_lr) == (40, 1e-4)


@given(
    st.floats(0.5, 50.0),
    st.floats(-0.02, 0.02),
    st.integers(5, 60),
)
@settings(max_examples=80, deadline=None)
def test_the_tail_line_of_points_on_a_line_is_that_line(
    level: float, slope: float, count: int
) -> None:
    # Points on a line: the least-squares line passes through every one of them.
    losses = [level + slope * epoch for epoch in range(count)]
    size = max(2, math.ceil(count * TAIL_SHARE))
    # A change relative to a start of nearly 0 magnifies rounding beyond any tolerance.
    assume(abs(losses[count - size]) > 1e-3)
    tail = fit_tail(log_of(losses))
    assert tail.first == count - size
    assert tail.start == pytest.approx(losses[tail.first], rel=1e-9, abs=1e-9)
    assert tail.end == pytest.approx(losses[-1], rel=1e-9, abs=1e-9)
    # Relative to the size of the start, so that a fall is negative for any sign of loss.
    expected = (losses[-1] - losses[tail.first]) / abs(losses[tail.first])
    assert tail.change == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_log_of_steps_is_judged_per_step() -> None:
    losses = tail_curve(-0.1, 40)
    reading = read_loss(log_of(losses, unit="step", positions=[step * 50 for step in range(40)]))
    assert reading.symptom == "healthy"
    assert reading.tail is not None and reading.tail.per_epoch is None
    assert reading.evidence[1].startswith("over the last 30% of the run (steps 1400–1950)")


# --- the learning rate --------------------------------------------------------------------------

PLAN = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=3, epochs=25)


def logged(rates: list[float], steps_per_epoch: int | None = None) -> TrainingLog:
    """A log whose epoch e logged rates[e] at its first step, with a falling loss."""
    lrs = [
        LoggedLr(epoch, None if steps_per_epoch is None else epoch * steps_per_epoch, rate)
        for epoch, rate in enumerate(rates)
    ]
    losses = [1.0 / (epoch + 1) for epoch in range(len(rates))]
    return log_of(losses, lrs=lrs, steps_per_epoch=steps_per_epoch)


def formula_rates(epochs: int, lr=1e-3, min_lr=1e-5, warmup=3, total=25) -> list[float]:
    return [formula_lr(epoch, lr, min_lr, warmup, total) for epoch in range(epochs)]


def test_a_log_that_follows_the_plan() -> None:
    # Logs round: three significant digits are still the planned rate.
    rates = [float(f"{rate:.3g}") for rate in formula_rates(25)]
    check = check_lr(logged(rates), PLAN)
    assert not isinstance(check, str)
    assert check.departs is None and check.cause is None
    assert check.explanation == "the logged rate follows the plan: 25 of 25 epochs within 1%"
    assert [point.planned for point in check.points] == pytest.approx(formula_rates(25))


CAUSES = [
    # (what the run did, logged rates, first departing epoch, cause, words in the explanation)
    ("warm-up 5", formula_rates(25, warmup=5), 0, "warmup", "warmup_epochs=5"),
    ("peak 5e-4", formula_rates(25, lr=5e-4), 0, "peak", "--lr 0.0005"),
    # A longer cosine differs from epoch 4 on, but by more than the 1% tolerance from 6.
    ("30 epochs", formula_rates(30, total=30), 6, "epochs", "--epochs 30"),
    (
        "resumed fresh at 10",
        formula_rates(10) + formula_rates(15),
        10,
        "resume-fresh",
        "resumed at epoch 10 with a new scheduler",
    ),
    (
        "resumed, load order",
        formula_rates(10) + formula_rates(1) + formula_rates(25)[11:],
        10,
        "resume-load-order",
        "after loading the optimizer's state",
    ),
    ("never stepped", [1e-3 / 3] * 25, 1, "not-stepped", "scheduler.step() is never called"),
    ("nonsense", [1e-3 * (epoch % 3 + 1) for epoch in range(25)], 0, "unknown", "none of"),
]


@pytest.mark.parametrize(
    ("name", "rates", "epoch", "cause", "words"), CAUSES, ids=[c[0] for c in CAUSES]
)
def test_where_the_logged_rate_departs_and_why(
    name: str, rates: list[float], epoch: int, cause: str, words: str
) -> None:
    check = check_lr(logged(rates), PLAN)
    assert not isinstance(check, str)
    assert check.departure is not None
    assert check.departure.row == epoch
    planned = formula_rates(len(rates))
    assert all(math.isclose(rates[e], planned[e], rel_tol=0.01) for e in range(epoch))
    assert check.departure.logged.lr == rates[epoch]
    assert check.departure.planned == pytest.approx(formula_lr(epoch, 1e-3, 1e-5, 3, 25))
    assert check.cause == cause
    assert words in check.explanation


def test_a_scheduler_stepped_every_step_with_epoch_counts() -> None:
    # 8 optimizer steps per epoch: epoch e starts after 8e scheduler steps, and past step 25
    # the cosine rises again, as the real class does.
    rates = [formula_lr(8 * epoch, 1e-3, 1e-5, 3, 25) for epoch in range(25)]
    check = check_lr(logged(rates, steps_per_epoch=8), PLAN)
    assert not isinstance(check, str)
    assert check.departure is not None and check.departure.row == 1
    assert check.cause == "step-interval"
    assert "the whole schedule runs in 25 optimizer steps (3.12 epochs of 8)" in check.explanation
    assert "(warmup_epochs=24, epochs=200; plan it with --interval step" in check.explanation


def test_a_scheduler_counted_in_steps_but_stepped_every_epoch() -> None:
    plan = PLAN.replace(interval="step", steps_per_epoch=8)
    rates = [formula_lr(epoch, 1e-3, 1e-5, 24, 200) for epoch in range(25)]
    check = check_lr(logged(rates, steps_per_epoch=8), plan)
    assert not isinstance(check, str)
    assert check.unit == "step"
    assert check.departure is not None
    assert (check.departure.row, check.departure.logged.epoch) == (8, 1)
    assert check.departure.planned == pytest.approx(formula_lr(8, 1e-3, 1e-5, 24, 200))
    assert check.cause == "epoch-interval"
    assert check.where(check.departure) == "step 8 (epoch 1)"


def test_a_plan_stepped_otherwise_than_a_right_run() -> None:
    # The run steps per optimizer step with step counts (right); the plan is per epoch.
    rates = [formula_lr(8 * epoch, 1e-3, 1e-5, 24, 200) for epoch in range(25)]
    check = check_lr(logged(rates, steps_per_epoch=8), PLAN)
    assert not isinstance(check, str)
    assert check.departure is not None and check.departure.row == 0
    assert check.cause == "plan-interval"
    assert check.explanation.endswith("plan it with --interval step --steps-per-epoch 8")
    # The run steps per epoch with epoch counts (right); the plan is per step.
    per_step = PLAN.replace(interval="step", steps_per_epoch=8)
    check = check_lr(logged(formula_rates(25), steps_per_epoch=8), per_step)
    assert not isinstance(check, str)
    # Step 0 already: lr / 3 against lr / 24.
    assert check.departure is not None and check.departure.row == 0
    assert check.cause == "plan-interval"
    assert "plan it with --interval epoch" in check.explanation


def test_what_cannot_be_checked_is_said() -> None:
    assert "no learning-rate column" in check_lr(log_of([1.0] * 5), PLAN)
    steps_only = log_of([1.0] * 5, unit="step", lrs=[LoggedLr(None, 0, 1e-3)])
    assert "--interval step --steps-per-epoch N" in check_lr(steps_only, PLAN)
