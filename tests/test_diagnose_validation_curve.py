"""Which curve decides what (issue 20, item 2): slow and plateau from the validation loss when
the log has one that can be judged, else from the training loss; diverging and not-learning
always from the training loss.

Curves are built with known figures; the noise thresholds expected here are computed from the
rule's statement (a standard deviation from the median absolute difference of neighbours,
1.4826 × median / √2), never by running lrplan.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from lrplan.analysis.diagnose import SLOW_PROGRESS, diagnose, read_loss
from lrplan.analysis.diagnose.loss import MIN_POINTS, NOISE_MULTIPLE, RateThere
from lrplan.inputs.logs import ColumnChoice, LoggedLr, TrainingLog
from lrplan.inputs.logs.model import Validation
from tests.formula import formula_lr


def log_with(
    losses: list[float],
    validation: list[float] | None,
    *,
    validation_positions: list[int] | None = None,
    positions: list[int] | None = None,
    unit: str = "epoch",
    higher_better: bool = False,
    name: str = "val_loss",
    lrs: list[LoggedLr] | None = None,
) -> TrainingLog:
    at = tuple(positions if positions is not None else range(len(losses)))
    found = None
    if validation is not None:
        where = validation_positions if validation_positions is not None else at[: len(validation)]
        found = Validation(
            ColumnChoice(name, True, ()), tuple(where), tuple(validation), higher_better
        )
    return TrainingLog(
        path=Path("run.csv"),
        rows=len(losses),
        unit=unit,
        loss=ColumnChoice("train_loss", True, ()),
        lr=ColumnChoice("lr", True, ()) if lrs is not None else None,
        positions=at,
        losses=tuple(losses),
        lrs=tuple(lrs or ()),
        steps_per_epoch=None,
        validation=found,
    )


def flat_after_a_fall(count: int) -> list[float]:
    """A training loss that falls within a few points to 0.5 and stays there: a plateau on its
    own (its last 30% sits at its lowest, its line flat)."""
    return [0.5 + 1.5 * math.exp(-t / 1.5) for t in range(count)]


def straight_fall(count: int, start: float, fall: float) -> list[float]:
    """A loss falling in a straight line by ``fall`` over ``count`` points, never levelling."""
    return [start - fall * t / (count - 1) for t in range(count)]


def alternating(values: list[float], swing: float) -> list[float]:
    """``values`` with ±``swing`` added at every other point: neighbours differ by 2 × swing
    (plus the trend), so the rule's noise is 1.4826 × 2 × swing / √2."""
    return [value + (swing if t % 2 == 0 else -swing) for t, value in enumerate(values)]


def noise_of_alternating(swing: float) -> float:
    return 1.4826 * 2 * swing / math.sqrt(2)


# --- the validation loss decides slow and plateau ----------------------------------------------


def test_a_flat_training_loss_with_a_validation_loss_still_falling_is_slow() -> None:
    # The training loss alone is a plateau; the held-out loss falls in a straight line to the
    # end, halfway only at about half the run: slow, read from the validation loss.
    training = flat_after_a_fall(40)
    assert read_loss(log_with(training, None)).symptom == "plateau"
    reading = read_loss(log_with(training, straight_fall(40, 1.4, 0.2)))
    assert reading.symptom == "slow"
    assert reading.judged_on == "val_loss"
    assert reading.progress is not None and reading.progress < SLOW_PROGRESS
    assert reading.evidence[0].startswith(
        "averaged over the run the validation loss (val_loss) had made"
    )
    assert reading.evidence[-1] == (
        "slow and plateau are read from the validation loss (val_loss, 40 points), the held-out"
        " curve; the training loss (train_loss) decided that the run neither diverges nor fails"
        " to learn"
    )


def test_a_falling_training_loss_with_a_flat_validation_loss_is_a_plateau() -> None:
    # The training loss alone still falls steadily (slow on its own); the validation loss was
    # at its level from its first point: it never fell, so it is not slow; it stopped improving.
    training = straight_fall(30, 2.0, 1.0)
    assert read_loss(log_with(training, None)).symptom == "slow"
    reading = read_loss(log_with(training, [0.8] * 30))
    assert reading.symptom == "plateau"
    assert reading.judged_on == "val_loss"
    assert reading.progress is None
    assert reading.evidence[0].startswith("the validation loss (val_loss) ends at 0.8")
    assert "no fall to be slow in" in reading.evidence[0]


@pytest.mark.parametrize(
    ("validation", "higher_better", "why"),
    [
        (
            [1.0, 0.9, 0.85, 0.8, 0.78],
            False,
            f"the validation loss (val_loss) has 5 points, too few to judge (the rule:"
            f" {MIN_POINTS} or more)",
        ),
        ([0.5 + 0.01 * t for t in range(30)], True, "the validation curve (val_loss) is a metric"),
        (
            [1.0, 0.9, math.nan, 0.8, 0.78, 0.77, 0.76],
            False,
            "the validation loss (val_loss) is not finite everywhere",
        ),
    ],
)
def test_without_a_usable_validation_loss_the_training_loss_decides_and_says_so(
    validation: list[float], higher_better: bool, why: str
) -> None:
    training = flat_after_a_fall(30)
    reading = read_loss(log_with(training, validation, higher_better=higher_better))
    assert reading.symptom == "plateau"
    assert reading.judged_on is None
    assert reading.evidence[0].startswith("averaged over the run the training loss (train_loss)")
    assert reading.evidence[-1].startswith(why)
    assert reading.evidence[-1].endswith(
        "so slow and plateau are read from the training loss (train_loss)"
    )


def test_a_log_without_validation_names_its_loss_column() -> None:
    reading = read_loss(log_with(flat_after_a_fall(30), None))
    assert reading.evidence[0].startswith("averaged over the run the loss (train_loss) had made")
    assert reading.judged_on is None


def test_the_training_loss_still_decides_diverging_and_not_learning() -> None:
    healthy_validation = [0.3 + 1.0 * math.exp(-t / 3) for t in range(30)]
    rising = [1.0 - 0.5 * t / 10 for t in range(10)] + [0.5 + 0.15 * t for t in range(20)]
    assert read_loss(log_with(rising, healthy_validation)).symptom == "diverging"
    never_moves = alternating([2.0] * 30, 0.01)
    assert read_loss(log_with(never_moves, healthy_validation)).symptom == "not-learning"


# --- the same noise rules on both curves -------------------------------------------------------


def rule_noise(values: list[float]) -> float:
    """The noise as the rule states it: 1.4826 × the median absolute difference of neighbours,
    divided by √2."""
    differences = sorted(abs(b - a) for a, b in itertools.pairwise(values))
    middle = len(differences) // 2
    median = (
        differences[middle]
        if len(differences) % 2
        else (differences[middle - 1] + differences[middle]) / 2
    )
    return 1.4826 * median / math.sqrt(2)


@pytest.mark.parametrize(("fall", "slow"), [(0.04, False), (0.4, True)])
def test_a_fall_within_three_times_the_noise_says_nothing_of_its_pace(
    fall: float, slow: bool
) -> None:
    swing = 0.01
    validation = alternating(straight_fall(40, 1.0, fall), swing)
    sigma = rule_noise(validation)
    # From its start (about 1) the straight fall is within 3× the noise, or far beyond it.
    assert (fall > NOISE_MULTIPLE * sigma) is slow
    reading = read_loss(log_with(flat_after_a_fall(40), validation))
    assert reading.judged_on == "val_loss"
    assert (reading.symptom == "slow") is slow
    if not slow:
        assert reading.progress is None
        assert reading.evidence[0].startswith(
            "the validation loss (val_loss) never fell beyond its noise"
        )
        # The start is the median of the first 3 points (a rolling median of 5 for 40 points).
        start = sorted(validation[:3])[1]
        assert (
            f"(the rule: {NOISE_MULTIPLE * sigma / start * 100:.1f}% or more)"
            in (reading.evidence[0])
        )
        assert reading.evidence[0].endswith("no fall to be slow in")


def test_a_dip_that_ends_within_the_noise_of_its_start_is_not_slow() -> None:
    # Down 12% by the middle, then back to 4% below the start: a real fall to its lowest, but
    # an end within 3× the noise of where it started.
    swing = 0.01
    level = [1.0 - 0.12 * min(t, 40 - t) / 20 for t in range(41)]
    level = [value if t <= 20 else max(value, 0.96) for t, value in enumerate(level)]
    validation = alternating(level, swing)
    sigma = rule_noise(validation)
    assert NOISE_MULTIPLE * sigma > 1.0 - 0.96
    reading = read_loss(log_with(flat_after_a_fall(41), validation))
    assert reading.symptom != "slow" and reading.progress is None
    assert f"within 3× its noise ±{sigma:.4g}" in reading.evidence[0]
    assert reading.evidence[0].endswith(
        "too little against its noise to say how fast it fell, so not slow"
    )


def test_a_tail_tilted_by_less_than_twice_the_noise_is_not_still_improving() -> None:
    # Flat at 0.1 with a swing of ±0.005 (noise 0.0105), and a tilt of 4% (0.004) over the
    # last 30%: beyond the 2% of the plateau rule, but within twice the noise.
    swing = 0.005
    assert 2 * noise_of_alternating(swing) > 0.004
    level = [0.1] * 28 + [0.1 - 0.004 * t / 11 for t in range(12)]
    reading = read_loss(log_with(flat_after_a_fall(40), alternating(level, swing)))
    assert reading.tail is not None and reading.tail.change <= -0.02
    assert reading.symptom == "plateau"
    assert "or within twice its noise" in reading.evidence[1]


def test_flat_from_the_warm_up_on_is_stuck_not_converged() -> None:
    # The validation loss is at its level from its first point, in the first epoch of a 3-epoch
    # warm-up (a third of the peak); the rate then rises to its peak with the loss still flat.
    rates = [formula_lr(epoch, 0.1, 1e-4, 3, 30) for epoch in range(30)]
    lrs = [LoggedLr(epoch, None, rate) for epoch, rate in enumerate(rates)]
    peak = max(rates)
    assert rates[0] < 0.5 * peak

    def rate_at(index: int) -> RateThere:
        return RateThere(rates[index], peak, "logged")

    reading = read_loss(log_with(flat_after_a_fall(30), [0.8] * 30, lrs=lrs), rate_at)
    assert reading.symptom == "plateau"
    assert reading.flat_from == 0
    highest = max(range(30), key=rates.__getitem__)
    assert (
        f"the learning rate rose to {peak:.3e} at epoch {highest} (logged) after it went flat"
        in reading.evidence[2]
    )


# --- the table, the JSON and the plot point at the validation curve -----------------------------


def hf_like(count: int = 60, every: int = 5) -> TrainingLog:
    """A training loss logged every 10 steps (flat after a fall) and a validation loss every
    ``every`` × 10 steps falling in a straight line: read per step, slow from the validation."""
    positions = [10 * (t + 1) for t in range(count)]
    validation_positions = positions[every - 1 :: every]
    validation = straight_fall(len(validation_positions), 1.4, 0.3)
    return log_with(
        flat_after_a_fall(count),
        validation,
        validation_positions=validation_positions,
        positions=positions,
        unit="step",
        name="eval_loss",
    )


def test_the_marks_fall_on_the_rows_that_hold_the_validation_points() -> None:
    log = hf_like()
    found = diagnose(log, None)
    assert found.symptom == "slow" and found.reading.judged_on == "eval_loss"
    assert log.validation is not None
    count = len(log.validation)
    tail_first = count - max(3, math.ceil(0.3 * count))
    step = log.validation.positions[tail_first]
    marked = [row.position for row in found.rows if "tail starts (eval_loss)" in row.marks]
    assert marked == [step]
    document = found.to_dict()["reading"]
    assert document["curve"] == "eval_loss" and document["curve_is_validation"] is True
    assert document["tail"]["first_index"] == tail_first
    halfway = document["halfway_at_step"]
    assert halfway in log.validation.positions


def test_the_plot_draws_the_tail_line_on_the_validation_curve(tmp_path: Path) -> None:
    from lrplan.output.plot_diagnose import save_diagnosis_plot

    found = diagnose(hf_like(), None)
    target = tmp_path / "diagnosis.svg"
    save_diagnosis_plot(target, found)
    text = target.read_text()
    assert 'id="diagnose-tail-fit"' in text and 'id="diagnose-validation"' in text
    assert "last 30% of eval_loss" in text


# --- a loss that falls orders of magnitude: its noise read on a log scale ----------------------


def log_scale_steps(values: list[float]) -> float:
    """The typical factor between neighbours, as the rule states it: exp of the noise of the
    logs (1.4826 × the median absolute difference of neighbouring logs / √2)."""
    logs = [math.log(value) for value in values]
    return math.exp(rule_noise(logs))


@pytest.mark.parametrize(("swing", "judged"), [(0.25, True), (0.35, False)])
def test_a_loss_falling_orders_of_magnitude_is_judged_on_a_log_scale(
    swing: float, judged: bool
) -> None:
    # 30 points about 0.1 (±swing), then 30 about 0.0003 (±20%): 2.5 orders of magnitude down,
    # so the noise (from the first half's jumps) exceeds the median level.
    high = [0.1 * (1 + swing if t % 2 else 1 - swing) for t in range(30)]
    low = [0.0003 * (1.2 if t % 2 else 0.8) for t in range(30)]
    losses = high + low
    ordered = sorted(losses)
    level = (ordered[29] + ordered[30]) / 2
    assert rule_noise(losses) > level
    factor = log_scale_steps(losses)
    assert (factor < 2) is judged
    reading = read_loss(log_with(losses, None))
    if judged:
        assert reading.symptom == "healthy"
    else:
        assert reading.symptom == "unjudgeable"
        assert f"steps of ×{factor:.3g} on a log scale" in reading.evidence[0]


def test_a_rise_that_comes_back_within_one_rounding_step_is_a_transient() -> None:
    # Logged with 4 decimals (as the Trainer writes its loss): down to 0.0003, a stretch up to
    # 0.06, back to 0.0003; back at the level it rose from, within one rounding step.
    losses = [0.5, 0.3, 0.1, 0.05, 0.01, 0.001] + [0.0003] * 10 + [0.06] * 5 + [0.0003] * 20
    reading = read_loss(log_with(losses, None))
    assert reading.symptom != "diverging"
    assert any("a transient, not a divergence" in note for note in reading.notes)
