"""plan(): the stand-in optimizer gives exactly what a real training loop gives."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.core.rates import COSINE, WARMUP
from lrplan.optim import WarmupCosLR
from tests.formula import formula_lr

CONFIGS = [
    pytest.param({}, id="defaults"),
    pytest.param({"lr": 0.1, "min_lr": 0.0, "warmup_epochs": 0, "epochs": 7}, id="pure cosine"),
    pytest.param({"lr": 5e-4, "min_lr": 5e-4, "warmup_epochs": 5, "epochs": 6}, id="flat"),
    pytest.param({"lr": 1e-3, "min_lr": 1e-6, "warmup_epochs": 1, "epochs": 50}, id="warmup 1"),
    pytest.param(
        {"interval": "step", "steps_per_epoch": 4}, id="defaults, 4 steps per epoch"
    ),
    pytest.param(
        {"lr": 3e-4, "min_lr": 0.0, "warmup_epochs": 2, "epochs": 5, "interval": "step",
         "steps_per_epoch": 7},
        id="2 of 5 epochs warm-up, 7 steps per epoch",
    ),
    pytest.param(
        {"warmup_epochs": 0, "epochs": 3, "interval": "step", "steps_per_epoch": 10},
        id="pure cosine in steps",
    ),
]  # fmt: skip


def real_training_loop(config: ScheduleConfig, count: int) -> list[float]:
    """The rate in effect for ``count`` scheduler steps, with a real SGD and WarmupCosLR.

    The scheduler's lengths are in its unit: epochs, or optimizer steps in step mode.
    """
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler = WarmupCosLR(
        optimizer,
        min_lr=config.min_lr,
        lr=config.lr,
        warmup_epochs=config.warmup_epochs * config.steps_per_epoch,
        epochs=config.epochs * config.steps_per_epoch,
    )
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize("settings", CONFIGS)
def test_plan_equals_a_real_training_loop(settings: dict[str, object]) -> None:
    config = ScheduleConfig(**settings)  # type: ignore[arg-type]
    steps_per_epoch = config.steps_per_epoch
    rows = config.epochs * steps_per_epoch
    beyond = 2 * steps_per_epoch + 1

    schedule = plan(config, beyond=beyond)

    real = real_training_loop(config, rows + beyond)
    assert list(schedule.lrs) == real[:rows]
    assert list(schedule.beyond) == real[rows:]
    assert schedule.warnings == ()
    # And both are the design document's formula, in the scheduler's unit.
    warmup_rows = config.warmup_epochs * steps_per_epoch
    expected = [
        formula_lr(k, config.lr, config.min_lr, warmup_rows, rows) for k in range(rows + beyond)
    ]
    assert real == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("settings", CONFIGS)
def test_rows_carry_epoch_step_and_phase(settings: dict[str, object]) -> None:
    config = ScheduleConfig(**settings)  # type: ignore[arg-type]
    steps_per_epoch = config.steps_per_epoch
    warmup_rows = config.warmup_epochs * steps_per_epoch

    schedule = plan(config)

    rows = list(schedule.rows())
    assert len(rows) == len(schedule) == config.epochs * steps_per_epoch
    for index, row in enumerate(rows):
        assert row.epoch == index // steps_per_epoch
        assert row.step == (index if config.interval == "step" else None)
        assert row.phase == (WARMUP if index < warmup_rows else COSINE)
        assert row.lr == schedule.lrs[index]
    assert rows[-1].epoch == config.epochs - 1


def test_default_beyond_continues_the_real_scheduler() -> None:
    config = ScheduleConfig()

    schedule = plan(config)

    assert len(schedule.beyond) >= 1
    real = real_training_loop(config, config.epochs + len(schedule.beyond))
    assert list(schedule.beyond) == real[config.epochs :]
    # The first row past training is min_lr; the cosine rises again after it.
    assert schedule.beyond[0] == pytest.approx(config.min_lr, rel=1e-12)
    assert all(later > earlier for earlier, later in itertools.pairwise(schedule.beyond))


def test_step_mode_is_the_epoch_schedule_in_steps() -> None:
    # Design-doc numbers in steps: warm-up 3 epochs x 100 steps, 25 epochs x 100 steps.
    schedule = plan(ScheduleConfig(interval="step", steps_per_epoch=100), beyond=0)

    assert len(schedule) == 2500
    assert schedule.lrs[0] == pytest.approx(1e-3 / 300, rel=1e-12)
    assert schedule.lrs[299] == pytest.approx(1e-3, rel=1e-12)
    assert schedule.lrs[300] == pytest.approx(1e-3, rel=1e-12)
    assert schedule.lrs[2499] == pytest.approx(
        # cos(pi * 2199 / 2200) = -cos(pi / 2200)
        1e-5 + 0.5 * (1e-3 - 1e-5) * (1 - math.cos(math.pi / 2200)),
        rel=1e-9,
    )
    assert schedule.row(2499).epoch == 24
