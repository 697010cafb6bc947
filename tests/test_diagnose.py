"""The check of the logged learning rate against the plan (the loss rules: test_diagnose_loss.py).

Logged learning rates come from the formula in tests/formula.py, never from lrplan.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lrplan.analysis.diagnose import check_lr
from lrplan.core.config import ScheduleConfig
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
