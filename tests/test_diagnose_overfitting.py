"""Overfitting, the log's resolution and noise, and logs as they come (issue 20).

Curves are built with known figures (seeded noise); the expected best point and worsening are
computed here from those figures, never by running lrplan.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from lrplan.analysis.diagnose import diagnose, read_loss
from lrplan.analysis.diagnose.validation import (
    badness,
    resolution,
)
from lrplan.core.config import ScheduleConfig
from lrplan.inputs.logs import ColumnChoice, LoggedLr, TrainingLog, read_log
from lrplan.inputs.logs.model import Validation


def log_with(
    losses: list[float],
    validation: list[float] | None,
    *,
    higher_better: bool = False,
    name: str = "val_loss",
    kind: str = "Lightning metrics.csv",
    lrs: list[LoggedLr] | None = None,
) -> TrainingLog:
    positions = tuple(range(len(losses)))
    found = None
    if validation is not None:
        found = Validation(
            ColumnChoice(name, True, ()),
            positions[: len(validation)],
            tuple(validation),
            higher_better,
        )
    return TrainingLog(
        path=Path("run.csv"),
        rows=len(losses),
        unit="epoch",
        loss=ColumnChoice("train_loss", True, ()),
        lr=ColumnChoice("lr", True, ()) if lrs is not None else None,
        positions=positions,
        losses=tuple(losses),
        lrs=tuple(lrs or ()),
        steps_per_epoch=None,
        kind=kind,
        validation=found,
    )


def falling(count: int, start: float = 2.0, floor: float = 0.05, tau: float = 4.0) -> list[float]:
    return [floor + (start - floor) * math.exp(-t / tau) for t in range(count)]


def u_shaped(count: int, best_at: int, best: float, rise: float, seed: int = 0) -> list[float]:
    """Falls to ``best`` at ``best_at``, then climbs linearly by ``rise`` × best to the end,
    with ±1% noise."""
    generator = random.Random(seed)
    values = []
    for t in range(count):
        if t <= best_at:
            level = best * (1 + 0.8 * (best_at - t) / max(best_at, 1))
        else:
            level = best * (1 + rise * (t - best_at) / (count - 1 - best_at))
        values.append(level * (1 + generator.uniform(-0.01, 0.01)))
    values[best_at] = best
    return values


@pytest.mark.parametrize(
    ("count", "best_at", "rise"), [(20, 4, 0.6), (12, 3, 0.3), (30, 10, 1.4), (8, 2, 0.5)]
)
def test_a_validation_loss_that_climbs_while_training_falls_is_overfitting(
    count: int, best_at: int, rise: float
) -> None:
    validation = u_shaped(count, best_at, 0.3, rise)
    reading = read_loss(log_with(falling(count), validation))
    assert reading.symptom == "overfitting"
    overfit = reading.overfit
    assert overfit is not None
    assert overfit.best_at == best_at
    assert overfit.best == pytest.approx(0.3, rel=0.02)
    # The end (the median of the last 20%) is at least a third of the way up the rise built
    # in (0.3 to 1.4 of the best).
    assert overfit.worse >= rise / 3
    assert "was best at" in reading.evidence[0] and f"epoch {best_at}" in reading.evidence[0]


def test_a_validation_loss_that_keeps_falling_is_no_overfitting() -> None:
    reading = read_loss(log_with(falling(20), falling(20, start=1.0, floor=0.2)))
    assert reading.symptom != "overfitting"
    assert reading.overfit is None


def test_a_validation_loss_that_wobbles_within_its_noise_is_no_overfitting() -> None:
    generator = random.Random(3)
    validation = [0.3 * (1 + generator.uniform(-0.06, 0.06)) for _ in range(20)]
    reading = read_loss(log_with(falling(20), validation))
    assert reading.symptom != "overfitting"


def test_a_rise_that_the_training_loss_shares_is_not_overfitting() -> None:
    # Both curves climb at the end: the training loss rising is the run's own trouble.
    train = falling(20)[:14] + [0.2 * (1.3**k) for k in range(1, 7)]
    reading = read_loss(log_with(train, u_shaped(20, 10, 0.3, 0.8)))
    assert reading.symptom != "overfitting"


def test_an_accuracy_that_falls_from_its_best_is_overfitting_judged_by_its_error() -> None:
    # 0.92 best at epoch 5, 0.86 at the end: its error goes from 0.08 to 0.14, 75% worse.
    accuracy = [0.6, 0.75, 0.84, 0.89, 0.91, 0.92, 0.91, 0.9, 0.89, 0.88, 0.87, 0.86, 0.86, 0.86]
    reading = read_loss(log_with(falling(14), accuracy, higher_better=True, name="val_acc"))
    assert reading.symptom == "overfitting"
    assert reading.overfit is not None and reading.overfit.higher_better
    assert reading.overfit.best_at == 5
    assert badness([0.5, 0.9], True) == pytest.approx([0.5, 0.1])
    assert badness([50.0, 90.0], True) == pytest.approx([50.0, 10.0])
    assert badness([2.0, 300.0], True) is None


@pytest.mark.parametrize(
    ("values", "step"),
    [([0.1234, 0.0001, 0.5], 1e-4), ([1.5, 2.25], 1e-2), ([3.0, 4.0], 1.0), ([1 / 3], 0.0)],
)
def test_the_resolution_is_one_rounding_step_of_the_values_as_logged(
    values: list[float], step: float
) -> None:
    assert resolution(values) == pytest.approx(step)


def test_a_rise_of_one_rounding_step_near_zero_is_no_divergence() -> None:
    # Hugging Face rounds loss to 4 decimals: 0.0001 -> 0.0002 is one rounding step, not 2×.
    losses = [0.9, 0.3, 0.05, 0.01, 0.002, 0.0005] + [0.0001] * 8 + [0.0002] * 6
    reading = read_loss(log_with(losses, None))
    assert reading.symptom != "diverging"


def test_a_loss_flat_at_its_lowest_after_a_steep_fall_is_converged_not_slow() -> None:
    # Falls from 2 to 0.00114 over two thirds of the run, then flat for the last third.
    fall = [2.0 * (0.00114 / 2.0) ** (t / 19) for t in range(20)]
    losses = fall + [0.00114] * 10
    reading = read_loss(log_with(losses, None))
    assert reading.symptom == "healthy"
    assert any("converged" in line for line in reading.evidence)


def test_a_loss_still_falling_steeply_at_a_settled_rate_is_unfinished_not_healthy() -> None:
    # Falls 6.4% per epoch to the end; the rate sat at its floor over the last third.
    losses = [2.0 * 0.936**t for t in range(30)]
    rates = [1e-3 * (0.5 + 0.5 * math.cos(math.pi * min(t, 20) / 20)) + 1e-5 for t in range(30)]
    lrs = [LoggedLr(epoch, epoch * 10, rate) for epoch, rate in enumerate(rates)]
    found = diagnose(log_with(losses, None, lrs=lrs), None)
    assert found.symptom == "slow"
    assert any("unfinished" in line for line in found.reading.evidence)


def test_overfitting_remedy_ends_the_plan_at_the_best_epoch_in_the_run_s_framework() -> None:
    count, best_at = 20, 6
    config = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=2, epochs=count)
    found = diagnose(log_with(falling(count), u_shaped(count, best_at, 0.3, 0.6)), config)
    assert found.symptom == "overfitting"
    assert found.remedy is not None
    assert found.remedy.tuned.epochs == best_at + 1
    assert found.remedy.alternatives == ("or keep epochs 20 and lower the peak: lr 0.001 → 0.0005",)
    assert found.framework_lines[0].startswith("Lightning: Trainer(max_epochs=7)")
    assert "EarlyStopping(monitor='val_loss', mode='min')" in found.framework_lines[1]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "Hugging Face trainer_state.json",
            "Hugging Face Trainer: TrainingArguments("
            "learning_rate=0.001, num_train_epochs=7, warmup_ratio=0.286",
        ),
        (
            "timm summary.csv",
            "timm train.py: --sched cosine --lr 0.001 --min-lr 1e-05 --warmup-epochs 2 --epochs 7",
        ),
        ("CSV", None),
    ],
)
def test_the_remedy_names_the_keys_of_the_run_s_framework(kind: str, expected: str | None) -> None:
    config = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=2, epochs=20)
    found = diagnose(log_with(falling(20), u_shaped(20, 6, 0.3, 0.6), kind=kind), config)
    lines = found.framework_lines
    if expected is None:
        assert len(lines) == 1 and lines[0].startswith("not the schedule")
    else:
        assert lines[0].startswith(expected)


def test_a_departure_from_the_plan_is_part_of_the_verdict() -> None:
    # A plan of 10 epochs at 1e-3 constant after no warm-up; the run logged 5e-4 from epoch 4.
    config = ScheduleConfig(lr=1e-3, min_lr=1e-3, warmup_epochs=0, epochs=10)
    lrs = [LoggedLr(epoch, None, 1e-3 if epoch < 4 else 5e-4) for epoch in range(10)]
    found = diagnose(log_with(falling(10), None, lrs=lrs), config)
    assert found.departure == "lr departs from the plan at epoch 4"
    assert found.verdict == f"{found.symptom}, lr departs from the plan at epoch 4"
    assert found.to_dict()["verdict"] == found.verdict


# --- logs as they come ------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_resumed_timm_summary_with_its_header_again_mid_file_is_read(tmp_path: Path) -> None:
    header = "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr"
    rows = [
        f"{e},{2.0 - 0.1 * e:.3f},{1.5 - 0.05 * e:.3f},{50 + e},{80 + e},0.001" for e in range(6)
    ]
    more = [
        f"{e},{2.0 - 0.1 * e:.3f},{1.5 - 0.05 * e:.3f},{50 + e},{80 + e},0.0005"
        for e in range(6, 10)
    ]
    path = write(tmp_path, "summary.csv", "\n".join([header, *rows, header, *more]) + "\n")
    log = read_log(path)
    assert log.positions == tuple(range(10))
    assert log.losses == pytest.approx([2.0 - 0.1 * e for e in range(10)])
    assert any("header row is written again 1 time" in note for note in log.notes)
    assert log.validation is not None and log.validation.column.name == "eval_loss"


def test_timm_train_lr_and_per_group_lr_lists_are_learning_rates(tmp_path: Path) -> None:
    header = "epoch,train_loss,eval_loss,train_lr"
    rows = [
        f'{e},{1.0 / (e + 1):.4f},{0.9 / (e + 1):.4f},"[{1e-3 / (e + 1)}, {2e-3 / (e + 1)}]"'
        for e in range(8)
    ]
    path = write(tmp_path, "summary.csv", "\n".join([header, *rows]) + "\n")
    log = read_log(path)
    assert log.lr is not None and log.lr.name == "train_lr"
    assert [logged.lr for logged in log.lrs] == pytest.approx([1e-3 / (e + 1) for e in range(8)])
    assert any("one value per param group" in note for note in log.notes)


def test_steps_that_go_back_after_a_resume_are_replaced_by_the_later_rows(tmp_path: Path) -> None:
    # Steps 0..9, then a resume from step 6 that logs 6..12 again with other values.
    first = [f"{s},{1.0 - 0.05 * s:.3f}" for s in range(10)]
    again = [f"{s},{0.5 - 0.01 * s:.3f}" for s in range(6, 13)]
    path = write(tmp_path, "run.csv", "\n".join(["step,train_loss", *first, *again]) + "\n")
    log = read_log(path)
    assert log.positions == tuple(range(13))
    expected = [1.0 - 0.05 * s for s in range(6)] + [0.5 - 0.01 * s for s in range(6, 13)]
    assert log.losses == pytest.approx(expected)
    assert any("goes back to step 6" in note for note in log.notes)


def test_eval_entries_interleaved_with_training_ones_make_the_validation_curve(
    tmp_path: Path,
) -> None:
    history = []
    for step in range(10, 210, 10):
        history.append(
            {"loss": round(2.0 * 0.9 ** (step / 10), 4), "learning_rate": 1e-4, "step": step}
        )
        if step % 40 == 0:
            history.append({"eval_loss": 0.5 + 0.01 * step / 40, "step": step})
    path = write(tmp_path, "trainer_state.json", json.dumps({"log_history": history}))
    log = read_log(path)
    assert log.loss.name == "loss"
    assert log.validation is not None
    assert log.validation.positions == (40, 80, 120, 160, 200)
    assert log.validation.values == pytest.approx([0.51, 0.52, 0.53, 0.54, 0.55])


def test_the_rows_carry_the_validation_curve_beside_the_loss() -> None:
    count, best_at = 12, 3
    validation = u_shaped(count, best_at, 0.3, 0.5)
    found = diagnose(log_with(falling(count), validation), None)
    assert [row.validation for row in found.rows] == pytest.approx(validation)
    assert "val_loss best" in found.rows[best_at].marks


def test_a_log_that_goes_back_many_times_keeps_the_latest_row_of_each_step(
    tmp_path: Path,
) -> None:
    # Ten resumes, each going back 5 steps from where the run before it stopped: every step
    # keeps the value its latest run logged (the value says which run: 100 × run + step).
    lines = ["step,train_loss"]
    latest: dict[int, float] = {}
    stop = 20
    for run_index in range(10):
        start = 0 if run_index == 0 else stop - 5
        stop = start + 20
        for step in range(start, stop):
            value = 100 * (run_index + 1) + step
            lines.append(f"{step},{value}")
            latest[step] = value
    path = write(tmp_path, "run.csv", "\n".join(lines) + "\n")
    log = read_log(path)
    assert log.positions == tuple(sorted(latest))
    assert log.losses == pytest.approx([latest[step] for step in sorted(latest)])
    assert any("(9 times in all)" in note for note in log.notes)
