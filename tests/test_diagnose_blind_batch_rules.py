"""The rules the blind batch of real logs showed wrong (issue 20, blind-2026-12-07).

Each test builds a curve with known figures that the rule before the fix misread; what is
expected follows from the rule's statement (docs/commands/diagnose.md), never from running
lrplan.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from lrplan.analysis.diagnose import read_loss
from lrplan.analysis.diagnose.validation import second_difference_noise
from lrplan.inputs.logs import ColumnChoice, TrainingLog, read_log
from lrplan.inputs.logs.columns import guess_validation_columns
from lrplan.inputs.logs.model import Validation


def log_with(
    losses: list[float], validation: list[float] | None, *, name: str = "val_loss"
) -> TrainingLog:
    positions = tuple(range(len(losses)))
    found = None
    if validation is not None:
        found = Validation(
            ColumnChoice(name, True, ()), positions[: len(validation)], tuple(validation), False
        )
    return TrainingLog(
        path=Path("run.csv"),
        rows=len(losses),
        unit="epoch",
        loss=ColumnChoice("train_loss", True, ()),
        lr=None,
        positions=positions,
        losses=tuple(losses),
        lrs=(),
        steps_per_epoch=None,
        validation=found,
    )


def falling(count: int, start: float = 2.0, floor: float = 0.05, tau: float = 4.0) -> list[float]:
    return [floor + (start - floor) * math.exp(-t / tau) for t in range(count)]


# --- 1. a validation loss before any validation metric -----------------------------------------


def test_a_validation_loss_comes_before_error_metrics_wherever_the_header_puts_it() -> None:
    # Lightning sorts its columns by name: the metrics come first in the header.
    header = ["epoch", "step", "train_loss", "val_MAE", "val_rmse", "val_epoch_perplexity"]
    header += ["val_acc", "val_loss"]
    ranked = guess_validation_columns(header)
    assert ranked[0] == ("val_loss", False)
    # Then the error metrics (lower is better), then the metric to maximise.
    assert {name for name, _ in ranked[1:4]} == {"val_MAE", "val_rmse", "val_epoch_perplexity"}
    assert not any(higher for _, higher in ranked[:4])
    assert ranked[-1] == ("val_acc", True)
    # Without a loss, an error metric is still a validation curve.
    assert guess_validation_columns(["epoch", "train_loss", "val_MAE"]) == [("val_MAE", False)]


def test_a_lightning_csv_with_metrics_first_is_judged_on_its_val_loss(tmp_path: Path) -> None:
    rows = ["epoch,step,train_loss,val_MAE,val_loss"]
    for epoch in range(12):
        rows.append(
            f"{epoch},{epoch * 10},{2.0 - 0.1 * epoch},{5 - 0.2 * epoch},{1.5 - 0.05 * epoch}"
        )
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    log = read_log(path)
    assert log.validation is not None
    assert log.validation.column.name == "val_loss"
    assert any("val_loss" in line for line in read_loss(log).evidence)


# --- 2. the validation noise is measured where the judgement is ----------------------------------


def steep_fall_then_rise() -> list[float]:
    """A validation loss falling steeply (×0.4 per epoch) to 1.0 at epoch 4, then rising
    steadily by 6% of its best per epoch, wobbling ±0.005 (exact, alternating)."""
    fall = [1.0 + 30.0 * 0.4**t - 30.0 * 0.4**4 for t in range(5)]
    rise = [1.0 + 0.06 * k + (0.005 if k % 2 else -0.005) for k in range(1, 6)]
    return fall + rise


def test_a_rise_after_a_steep_fall_is_judged_against_the_noise_after_the_best() -> None:
    validation = steep_fall_then_rise()
    # The bend of the fall makes the whole curve's second differences large; after the best
    # the curve is a straight rise with a wobble of ±0.005.
    assert second_difference_noise(validation) > 0.1
    assert second_difference_noise(validation[4:]) < 0.03
    reading = read_loss(log_with(falling(10), validation))
    assert reading.symptom == "overfitting"
    assert reading.overfit is not None
    assert reading.overfit.best_at == 4
    # Its end (the median of the last two, 1.245 and 1.295) is well over 10% above its best.
    assert reading.overfit.worse >= 0.1


# --- 3. overfitting needs a training loss that still falls -------------------------------------


def test_a_validation_loss_that_climbs_while_training_stays_flat_is_no_overfitting() -> None:
    # The training loss flat at 0.1 (±0.001) from epoch 2 on; the validation loss climbs 60%.
    train = [0.5, 0.2] + [0.1 + (0.001 if t % 2 else -0.001) for t in range(18)]
    validation = [1.0, 0.6, 0.5, 0.45] + [0.45 * (1 + 0.04 * k) for k in range(1, 17)]
    reading = read_loss(log_with(train, validation))
    assert reading.symptom != "overfitting"
    assert any("did not still fall" in note for note in reading.notes)
    # The same validation curve beside a training loss still falling is overfitting.
    assert read_loss(log_with(falling(20), validation)).symptom == "overfitting"


# --- 6. a rise judged against the scale of the run's loss; a flat noisy loss never moved --------


def fall_to_a_floor(wander: float) -> list[float]:
    """A loss falling from 0.16 to a floor of 0.002 by epoch 40, then, to epoch 200, wandering
    slowly ±``wander`` around it (a sine of period 60 epochs): its rolling median goes from
    0.002 - wander to 0.002 + wander and back."""
    fall = [0.002 + 0.158 * math.exp(-t / 6) for t in range(40)]
    floor = [0.002 + wander * math.sin(2 * math.pi * k / 60) for k in range(160)]
    return fall + floor


def test_a_loss_wandering_at_a_floor_near_zero_is_no_divergence() -> None:
    # 0.001 to 0.003: three times its lowest level, but 1.3% of where the loss started.
    reading = read_loss(log_with(fall_to_a_floor(0.001), None))
    assert reading.symptom != "diverging"


def test_a_loss_that_blows_up_from_its_floor_is_still_diverging() -> None:
    # From 0.002 to 0.05 and staying there: 25 times its floor and 31% of its start.
    losses = fall_to_a_floor(0.0)[:140] + [0.05] * 60
    assert read_loss(log_with(losses, None)).symptom == "diverging"


@pytest.mark.parametrize("seed", range(20))
def test_a_flat_noisy_loss_ending_at_its_start_never_moved(seed: int) -> None:
    # 50 steps of 2.3 ± 30% (uniform) and no trend: the lowest of its rolling median sits
    # 10-25% below its start by chance for some seeds, which is no fall to climb back from.
    generator = random.Random(seed)
    losses = [2.3 * (1 + generator.uniform(-0.3, 0.3)) for _ in range(50)]
    reading = read_loss(log_with(losses, None))
    assert reading.symptom != "diverging"


# --- 5. a tail below the best before it, but level: it stopped improving -------------------------


def test_a_validation_loss_flat_for_its_last_30_percent_is_a_plateau_however_low() -> None:
    # Falls from 40 towards 23 over 21 epochs, then drops to 22.1 at the tail's first epoch
    # and stays there for the last 30% (9 epochs), ±0.3 and tilting up by 0.02 per epoch: its
    # tail sits 3% below its best before, but a line through the tail does not fall.
    before = [23.0 + 17.0 * math.exp(-t / 4) for t in range(21)]
    tail = [22.1 + 0.02 * k + (0.3 if k % 2 else -0.3) for k in range(9)]
    reading = read_loss(log_with(falling(30), before + tail))
    assert reading.symptom == "plateau"
    assert any("stopped improving" in line for line in reading.evidence)
    # The same tail still falling (0.1 per epoch, 4% over the tail) is still improving.
    falling_tail = [22.1 - 0.1 * k + (0.3 if k % 2 else -0.3) for k in range(9)]
    assert read_loss(log_with(falling(30), before + falling_tail)).symptom == "healthy"


# --- 7. a long tail's line is judged against its own noise and against the best before it ------


def test_a_long_tail_falling_beyond_its_own_noise_is_still_improving() -> None:
    # 130 steps: a steep fall to 0.5 by step 10 with a wobble of ±0.05 that stays until step
    # 90 (the level drifting to 0.45), then the last 30% (39 points) falling in a line from
    # 0.43 to 0.39 (9%) with a wobble of ±0.01, as the noise shrinks with an annealing rate.
    # The tail's median sits above the lowest rolling level before it (0.405, the wobble's low
    # side), and the whole curve's point-to-point noise (±0.10) is over twice the tail line's
    # fall; the tail's own noise (±0.021), and the line's (±0.021 × √(12/39)), are under it.
    early = [0.5 + 0.7 * math.exp(-t / 2) for t in range(10)]
    early += [0.5 - 0.05 * k / 80 for k in range(81)]
    early = [v + (0.05 if t % 2 else -0.05) for t, v in enumerate(early)]
    tail = [0.43 - 0.04 * k / 38 + (0.01 if k % 2 else -0.01) for k in range(39)]
    reading = read_loss(log_with(early + tail, None))
    assert reading.symptom == "healthy"
    assert any("still improving" in line for line in reading.evidence)


def test_a_tail_winning_back_lost_ground_is_not_improving() -> None:
    # The validation loss falls to 0.30 by epoch 8, climbs to 0.36 by epoch 16, then falls
    # in a line to 0.33 over its last 30% (8 epochs): beyond its noise, but still 10% above
    # its best before. The training loss is flat from epoch 5 on, so no overfitting.
    validation = [0.30 + 0.5 * (8 - t) / 8 for t in range(9)]
    validation += [0.30 + 0.06 * k / 8 for k in range(1, 9)]
    validation += [0.36 - 0.03 * k / 7 + (0.0005 if k % 2 else -0.0005) for k in range(8)]
    train = [0.5 + 1.5 * math.exp(-t) for t in range(5)]
    train += [0.5 + (0.001 if t % 2 else -0.001) for t in range(20)]
    reading = read_loss(log_with(train, validation))
    assert reading.symptom == "plateau"


# --- 4. overfitting is a sustained rise beyond the noise, not a share of the best ----------------


def test_a_small_steady_rise_well_beyond_its_noise_while_training_falls_is_overfitting() -> None:
    # The validation loss falls to 0.50 at epoch 10, then climbs 0.003 per epoch (6% by epoch
    # 20) with a wobble of ±0.001: under 10% of its best, but 15 times its noise.
    validation = [0.5 + 0.5 * (10 - t) / 10 for t in range(11)]
    validation += [0.5 + 0.003 * k + (0.001 if k % 2 else -0.001) for k in range(1, 11)]
    reading = read_loss(log_with(falling(21), validation))
    assert reading.symptom == "overfitting"
    assert reading.overfit is not None and reading.overfit.best_at == 10


def test_one_bad_last_evaluation_is_no_sustained_rise() -> None:
    # Flat at 0.50 (±0.002) for ten epochs after its best, then one evaluation at 0.60.
    validation = [0.5 + 0.5 * (10 - t) / 10 for t in range(11)]
    validation += [0.5 + (0.002 if k % 2 else -0.002) for k in range(1, 10)] + [0.6]
    reading = read_loss(log_with(falling(21), validation))
    assert reading.symptom != "overfitting"
