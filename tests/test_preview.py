"""lrplan.preview: a live scheduler planned on a copy, the live one left untouched.

The expected rates come from stepping the live scheduler itself afterwards, as training would.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.optim import lr_scheduler as torch_schedulers

import lrplan
from lrplan import LrplanError
from lrplan.analysis.insights import insights
from lrplan.core.preview import declared_length
from lrplan.output.export import schedule_csv, write_text


def make_optimizer(lr: float = 0.1) -> torch.optim.Optimizer:
    model = torch.nn.Linear(3, 2)
    return torch.optim.AdamW(
        [
            {"params": [model.weight], "lr": lr},
            {"params": [model.bias], "lr": lr / 10, "weight_decay": 0.0},
        ]
    )


def hf_cosine(optimizer: torch.optim.Optimizer) -> Any:
    from transformers import get_cosine_schedule_with_warmup

    return get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=4, num_training_steps=30)


SCHEDULERS: dict[str, Callable[[torch.optim.Optimizer], Any]] = {
    "cosine": lambda o: torch_schedulers.CosineAnnealingLR(o, T_max=30, eta_min=1e-4),
    "step": lambda o: torch_schedulers.StepLR(o, step_size=7, gamma=0.5),
    "onecycle": lambda o: torch_schedulers.OneCycleLR(o, max_lr=[0.1, 0.01], total_steps=31),
    "lambda": lambda o: torch_schedulers.LambdaLR(o, lambda step: 1 / (1 + step)),
    "sequential": lambda o: torch_schedulers.SequentialLR(
        o,
        [
            torch_schedulers.LinearLR(o, start_factor=0.1, total_iters=5),
            torch_schedulers.CosineAnnealingLR(o, T_max=25),
        ],
        milestones=[5],
    ),
    "chained": lambda o: torch_schedulers.ChainedScheduler(
        [torch_schedulers.ExponentialLR(o, 0.95), torch_schedulers.StepLR(o, 5, 0.5)]
    ),
    "warm_restarts": lambda o: torch_schedulers.CosineAnnealingWarmRestarts(o, T_0=8, T_mult=2),
    "hf_cosine": hf_cosine,
    "warmup_cos": lambda o: lrplan.WarmupCosLR(o, min_lr=1e-4, lr=0.1, warmup_epochs=3, epochs=30),
}


def state_of(scheduler: Any, optimizer: torch.optim.Optimizer) -> tuple[Any, Any]:
    """Everything stepping could change: the scheduler's state and the param groups."""
    groups = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
    return copy.deepcopy(scheduler.state_dict()), copy.deepcopy(groups)


@pytest.mark.parametrize("name", SCHEDULERS)
@pytest.mark.parametrize("already", [0, 6])
def test_preview_plans_the_next_steps_exactly_and_leaves_the_live_run_untouched(
    name: str, already: int
) -> None:
    optimizer = make_optimizer()
    scheduler = SCHEDULERS[name](optimizer)
    for _ in range(already):
        optimizer.step()
        scheduler.step()
    before = state_of(scheduler, optimizer)
    last_epoch = getattr(scheduler, "last_epoch", None)

    planned = lrplan.preview(scheduler, 30 - already)

    assert state_of(scheduler, optimizer) == before
    assert getattr(scheduler, "last_epoch", None) == last_epoch
    used = []
    for _ in range(30 - already):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert list(planned.lrs) == used
    assert isinstance(planned, lrplan.Schedule)
    assert planned.warnings == ()


def test_preview_leaves_a_live_scheduler_stepping_exactly_as_without_it() -> None:
    previewed, untouched = make_optimizer(), make_optimizer()
    schedulers = [SCHEDULERS["sequential"](previewed), SCHEDULERS["sequential"](untouched)]
    lrplan.preview(schedulers[0], 40)
    for _ in range(30):
        for optimizer, scheduler in zip((previewed, untouched), schedulers, strict=True):
            optimizer.step()
            scheduler.step()
        assert previewed.param_groups[1]["lr"] == untouched.param_groups[1]["lr"]


def test_a_preview_describes_the_live_scheduler() -> None:
    optimizer = make_optimizer(lr=0.05)
    scheduler = torch_schedulers.CosineAnnealingLR(optimizer, T_max=12, eta_min=1e-3)

    planned = lrplan.preview(scheduler, 24, steps_per_epoch=4, label="run")

    config = planned.config
    assert (config.lr, config.epochs, config.interval, config.steps_per_epoch) == (
        0.05,
        6,
        "step",
        4,
    )
    assert config.class_name == "CosineAnnealingLR"
    assert dict(config.params) == {"T_max": 12, "eta_min": 1e-3}
    assert config.name == "run"
    assert declared_length(scheduler) == ("T_max", 12)
    assert planned.epoch_of(5) == 1


def test_insights_and_exports_apply_to_a_preview(tmp_path: Any) -> None:
    optimizer = make_optimizer()
    scheduler = torch_schedulers.CosineAnnealingLR(optimizer, T_max=10)

    planned = lrplan.preview(scheduler, 16)

    codes = [insight.code for insight in insights(planned)]
    assert "rises-again" in codes
    target = tmp_path / "plan.csv"
    write_text("csv", target, schedule_csv(planned))
    lines = target.read_text().splitlines()
    assert lines[0] == "epoch,step,phase,lr"
    assert len(lines) == 17
    assert float(lines[11].split(",")[-1]) == planned.lrs[10]


def test_the_length_of_a_factory_built_lambda_is_its_num_training_steps() -> None:
    assert declared_length(hf_cosine(make_optimizer())) == ("num_training_steps", 30)
    assert declared_length(SCHEDULERS["lambda"](make_optimizer())) is None


def test_a_scheduler_that_cannot_be_copied_is_one_clear_error() -> None:
    class Locked(torch_schedulers.LambdaLR):
        def __init__(self, optimizer: torch.optim.Optimizer) -> None:
            self.lock = threading.Lock()
            super().__init__(optimizer, lambda step: 1.0)

    with pytest.raises(LrplanError, match=r"^cannot preview Locked: copying it raised TypeError"):
        lrplan.preview(Locked(make_optimizer()), 5)


def test_a_scheduler_that_refuses_to_step_within_the_steps_is_one_clear_error() -> None:
    scheduler = torch_schedulers.OneCycleLR(make_optimizer(), max_lr=0.1, total_steps=10)

    with pytest.raises(LrplanError, match=r"^OneCycleLR raised ValueError when stepped"):
        lrplan.preview(scheduler, 20)


@pytest.mark.parametrize("steps", [0, -3, 2.5, True])
def test_steps_must_be_a_whole_number_of_one_or_more(steps: Any) -> None:
    scheduler = torch_schedulers.StepLR(make_optimizer(), step_size=3)
    with pytest.raises(LrplanError, match="steps="):
        lrplan.preview(scheduler, steps)


def test_an_object_without_an_optimizer_is_refused() -> None:
    with pytest.raises(LrplanError, match="has no optimizer"):
        lrplan.preview(object(), 5)


def test_accelerates_wrapper_is_planned_through_the_scheduler_it_steps() -> None:
    from accelerate.scheduler import AcceleratedScheduler

    optimizer = make_optimizer()
    inner = torch_schedulers.CosineAnnealingLR(optimizer, T_max=12)
    wrapper = AcceleratedScheduler(inner, optimizer, step_with_optimizer=True)

    planned = lrplan.preview(wrapper, 12)

    assert inner.last_epoch == 0
    used = []
    for _ in range(12):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        inner.step()
    assert list(planned.lrs) == used
    assert declared_length(wrapper) == ("T_max", 12)


DEEPSPEED = {
    "WarmupLR": {"warmup_min_lr": 0.0, "warmup_max_lr": 0.01, "warmup_num_steps": 10},
    "WarmupDecayLR": {"total_num_steps": 30, "warmup_max_lr": 0.01, "warmup_num_steps": 10},
    "WarmupCosineLR": {"total_num_steps": 30, "warmup_num_steps": 10},
}


@pytest.mark.parametrize("name", sorted(DEEPSPEED))
def test_deepspeeds_schedulers_are_previewed_exactly(name: str) -> None:
    from deepspeed.runtime import lr_schedules

    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.01)
    scheduler = getattr(lr_schedules, name)(optimizer, **DEEPSPEED[name])
    state = copy.deepcopy(scheduler.state_dict())

    schedule = lrplan.preview(scheduler, 30, interval="step")

    assert scheduler.state_dict() == state  # the live one is untouched
    live = []
    for _ in range(30):
        live.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert list(schedule.lrs) == live
    assert schedule.config.lr == pytest.approx(0.01)  # the peak it keeps, for the description


@pytest.mark.parametrize(("per_update", "interval"), [(False, "epoch"), (True, "step")])
def test_timms_schedulers_are_previewed_as_train_py_steps_them(
    per_update: bool, interval: str
) -> None:
    from lrplan.core.frameworks.timm import import_timm_module

    scheduler_module = import_timm_module("timm.scheduler")
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.01)
    length = 40 if per_update else 10
    scheduler = scheduler_module.CosineLRScheduler(
        optimizer, t_initial=length, warmup_t=4, warmup_lr_init=1e-4, t_in_epochs=not per_update
    )

    schedule = lrplan.preview(scheduler, length, interval=interval, steps_per_epoch=10)

    live, updates = [], 0
    for epoch in range(length // 10 if per_update else length):
        for _ in range(10 if per_update else 1):
            live.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            updates += 1
            if per_update:
                scheduler.step_update(num_updates=updates)
        scheduler.step(epoch + 1)
    assert list(schedule.lrs) == live
