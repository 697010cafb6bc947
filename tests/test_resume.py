"""analysis.resume: every way of resuming, checked against the formula and a real training loop."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrplan.analysis.resume import (
    FRESH,
    LAST_EPOCH,
    LOAD_ORDER,
    STATE_DICTS,
    check_resume_epoch,
    fresh_scheduler_error,
    resume_code,
    simulate_resume,
)
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.optim import WarmupCosLR
from tests.formula import formula_lr

CASES = [
    pytest.param(ScheduleConfig(), 6, id="design document, resumed at 6"),
    pytest.param(ScheduleConfig(), 1, id="resumed after the first epoch"),
    pytest.param(ScheduleConfig(), 24, id="resumed for the last epoch"),
    pytest.param(ScheduleConfig(), 2, id="resumed inside the warm-up"),
    pytest.param(ScheduleConfig(lr=0.1, min_lr=0.0, warmup_epochs=0, epochs=9), 4, id="cosine"),
    pytest.param(ScheduleConfig(lr=5e-4, min_lr=1e-6, warmup_epochs=1, epochs=12), 5, id="w1"),
    pytest.param(
        ScheduleConfig(warmup_epochs=2, epochs=6, interval="step", steps_per_epoch=5),
        3,
        id="step mode",
    ),
]


def expected(config: ScheduleConfig, row: int) -> float:
    """The formula at scheduler step ``row``, in the scheduler's unit."""
    return formula_lr(row, config.lr, config.min_lr, config.warmup_rows, config.rows)


@pytest.mark.parametrize(("config", "at"), CASES)
def test_every_way_against_the_formula(config: ScheduleConfig, at: int) -> None:
    report = simulate_resume(config, at)
    rows, at_row = config.rows, at * config.steps_per_epoch
    planned = [expected(config, row) for row in range(rows)]

    assert report.at_row == at_row
    assert list(report.uninterrupted.lrs) == pytest.approx(planned, rel=1e-12)

    # 1. Both state dicts: the same curve, bit for bit.
    state_dicts = report.scenario(STATE_DICTS)
    assert list(state_dicts.lrs) == list(report.uninterrupted.lrs)
    assert state_dicts.departs_at is None and state_dicts.identical
    assert state_dicts.error is None

    # 2. last_epoch on a fresh optimizer: torch's KeyError, and no training after it.
    last_epoch = report.scenario(LAST_EPOCH)
    assert last_epoch.error is not None
    assert last_epoch.error.startswith("KeyError: param 'initial_lr' is not specified")
    assert list(last_epoch.lrs) == pytest.approx(planned[:at_row], rel=1e-12)
    assert last_epoch.departs_at == at_row
    assert f"last_epoch={at_row - 1}" in last_epoch.title

    # 3. A fresh scheduler: the schedule from its start again, cut at the end of training.
    fresh = report.scenario(FRESH)
    restarted = [expected(config, row - at_row) for row in range(at_row, rows)]
    assert list(fresh.lrs) == pytest.approx(planned[:at_row] + restarted, rel=1e-12)
    assert fresh.departs_at == at_row

    # 4. Optimizer state loaded before the scheduler is built: one row at row 0's rate.
    load_order = report.scenario(LOAD_ORDER)
    assert load_order.lrs[at_row] == pytest.approx(expected(config, 0), rel=1e-12)
    assert list(load_order.lrs[at_row + 1 :]) == pytest.approx(planned[at_row + 1 :], rel=1e-12)
    assert load_order.departs_at == (None if planned[at_row] == planned[0] else at_row)
    assert report.warnings == ()


def test_explanations_carry_the_simulated_rates() -> None:
    report = simulate_resume(ScheduleConfig(), 6)

    fresh = report.scenario(FRESH).explanation
    assert "The warm-up starts again: epoch 6 trains at 3.333e-04" in fresh
    assert "instead of 9.553e-04" in fresh  # the formula at epoch 6
    assert "last epoch at 2.374e-04 instead of 1.504e-05" in fresh  # epochs 18 and 24
    load_order = report.scenario(LOAD_ORDER).explanation
    assert "epoch 6 trains at 3.333e-04 instead of 9.553e-04" in load_order
    assert "from epoch 7 on it is back on the curve" in load_order
    assert "initial_lr" in report.scenario(LAST_EPOCH).explanation


def real_sgd() -> tuple[torch.nn.Module, torch.optim.SGD]:
    model = torch.nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def train(model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, count: int):  # type: ignore[no-untyped-def]
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize(("config", "at"), CASES[:1] + CASES[-1:])
def test_the_simulation_matches_a_real_checkpoint_on_disk(
    config: ScheduleConfig, at: int, tmp_path: Path
) -> None:
    """A real SGD with momentum state, a checkpoint file, the ways as a user writes them."""
    kwargs = config.scheduler_kwargs()
    at_row = at * config.steps_per_epoch
    model, optimizer = real_sgd()
    scheduler = WarmupCosLR(optimizer, **kwargs)
    first = train(model, optimizer, scheduler, at_row)
    checkpoint_path = tmp_path / "checkpoint.pt"
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
        checkpoint_path,
    )
    checkpoint = torch.load(checkpoint_path)
    rest = config.rows - at_row

    model, optimizer = real_sgd()
    scheduler = WarmupCosLR(optimizer, **kwargs)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    both_loaded = first + train(model, optimizer, scheduler, rest)

    model, optimizer = real_sgd()
    with pytest.raises(KeyError, match="initial_lr") as raised:
        WarmupCosLR(optimizer, **kwargs, last_epoch=at_row - 1)

    model, optimizer = real_sgd()
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = WarmupCosLR(optimizer, **kwargs)
    scheduler.load_state_dict(checkpoint["scheduler"])
    loaded_first = first + train(model, optimizer, scheduler, rest)

    report = simulate_resume(config, at)
    assert list(report.scenario(STATE_DICTS).lrs) == both_loaded
    assert report.scenario(LAST_EPOCH).error == f"KeyError: {raised.value.args[0]}"
    assert list(report.scenario(LOAD_ORDER).lrs) == loaded_first


@pytest.mark.parametrize("interval", ["epoch", "step"])
def test_the_printed_code_resumes_exactly(interval: str, tmp_path: Path, monkeypatch) -> None:
    """Run the code lrplan prints, in a real loop with a real model, and compare the rates."""
    config = (
        ScheduleConfig(warmup_epochs=2, epochs=7)
        if interval == "epoch"
        else ScheduleConfig(warmup_epochs=2, epochs=5, interval="step", steps_per_epoch=3)
    )
    save_code, resume_part = resume_code(config).split("\n\n", 1)
    monkeypatch.chdir(tmp_path)
    trained: list[float] = []

    def train_one_epoch(model, optimizer):  # type: ignore[no-untyped-def]
        trained.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()

    def train_step(model, optimizer, batch):  # type: ignore[no-untyped-def]
        train_one_epoch(model, optimizer)

    at = 3
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    scheduler = WarmupCosLR(optimizer, **config.scheduler_kwargs())
    for epoch in range(at):  # noqa: B007 (the saving code reads the last epoch)
        for _ in range(config.steps_per_epoch if interval == "step" else 1):
            train_one_epoch(model, optimizer)
            if interval == "step":
                scheduler.step()
        if interval == "epoch":
            scheduler.step()
    namespace = {
        "torch": torch,
        "WarmupCosLR": WarmupCosLR,
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "epoch": epoch,
    }
    exec(save_code, namespace)
    assert (tmp_path / "checkpoint.pt").exists()

    fresh_model = torch.nn.Linear(2, 1)
    exec(
        resume_part,
        {
            "torch": torch,
            "WarmupCosLR": WarmupCosLR,
            "model": fresh_model,
            "train_one_epoch": train_one_epoch,
            "train_step": train_step,
            "loader": range(config.steps_per_epoch),
        },
    )

    assert trained == pytest.approx([expected(config, row) for row in range(config.rows)])


def test_load_state_dict_keeps_the_saved_schedule_as_the_note_says() -> None:
    """The note printed by resume: a changed config does not survive load_state_dict."""
    model, optimizer = real_sgd()
    saved = WarmupCosLR(optimizer, min_lr=1e-5, lr=1e-3, warmup_epochs=3, epochs=25)
    train(model, optimizer, saved, 6)

    model, optimizer = real_sgd()
    resumed = WarmupCosLR(optimizer, min_lr=1e-6, lr=5e-4, warmup_epochs=5, epochs=50)
    resumed.load_state_dict(saved.state_dict())

    assert (resumed.lr, resumed.min_lr, resumed.warmup_epochs, resumed.epochs) == (
        1e-3,
        1e-5,
        3,
        25,
    )


@pytest.mark.parametrize("at", [0, -1, 25, 26, 1000])
def test_at_outside_the_schedule_is_refused(at: int) -> None:
    with pytest.raises(LrplanError, match=r"invalid --at: .* from 1 to 24"):
        simulate_resume(ScheduleConfig(), at)


def test_at_of_a_one_epoch_schedule_has_nowhere_to_resume() -> None:
    with pytest.raises(LrplanError, match="no epoch to resume at"):
        check_resume_epoch(ScheduleConfig(warmup_epochs=0, epochs=1), 1)


def test_fresh_scheduler_error_is_torchs_message() -> None:
    config = ScheduleConfig()

    message = fresh_scheduler_error(config, 5)

    assert fresh_scheduler_error(config, -1) is None
    assert message is not None
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(KeyError) as raised:
        WarmupCosLR(optimizer, **config.scheduler_kwargs(), last_epoch=5)
    assert message == f"KeyError: {raised.value.args[0]}"


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-6, 1.0),
    floor=st.floats(0.0, 1.0),
    warmup=st.integers(0, 8),
    cosine=st.integers(1, 30),
    data=st.data(),
)
def test_properties_over_random_schedules(
    lr: float, floor: float, warmup: int, cosine: int, data: st.DataObject
) -> None:
    config = ScheduleConfig(lr=lr, min_lr=lr * floor, warmup_epochs=warmup, epochs=warmup + cosine)
    if config.epochs < 2:
        return
    at = data.draw(st.integers(1, config.epochs - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = simulate_resume(config, at)

    assert report.scenario(STATE_DICTS).lrs == tuple(report.uninterrupted.lrs)
    assert report.scenario(LAST_EPOCH).departs_at == at
    fresh = report.scenario(FRESH)
    assert list(fresh.lrs[at:]) == list(report.uninterrupted.lrs[: config.epochs - at])
    assert all(len(scenario.lrs) <= config.epochs for scenario in report.scenarios)
