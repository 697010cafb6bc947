"""The framework drivers against the frameworks' own classes, stepped by hand as their trainers
step them: Hugging Face Trainer (once per optimizer step), timm's train.py (step_update after
every update, step(epoch + 1) after every epoch), the DeepSpeed engine (once per optimizer
step). Every planned rate must match to 1e-12 relative."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lrplan import LrplanError, ScheduleConfig, plan
from lrplan.core.frameworks import hf
from lrplan.core.frameworks.timm import import_timm_module

REL = 1e-12


def sgd(lr: float) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def assert_rates(planned: Any, expected: list[float]) -> None:
    assert len(planned) == len(expected)
    for index, (got, want) in enumerate(zip(planned, expected, strict=True)):
        assert got == pytest.approx(want, rel=REL, abs=1e-300), index


# --- Hugging Face -------------------------------------------------------------------------

#: Every lr_scheduler_type transformers' get_scheduler accepts that steps without a metric,
#: with the lr_scheduler_kwargs it needs.
HF_TYPES: dict[str, dict[str, Any]] = {
    "linear": {},
    "cosine": {},
    "cosine_with_restarts": {"num_cycles": 3},
    "polynomial": {"lr_end": 1e-6, "power": 2.0},
    "constant": {},
    "constant_with_warmup": {},
    "inverse_sqrt": {"timescale": 7},
    "cosine_with_min_lr": {"min_lr_rate": 0.1},
    "cosine_warmup_with_min_lr": {"min_lr": 1e-6},
    "warmup_stable_decay": {"num_decay_steps": 12, "min_lr_ratio": 0.05},
}

METRIC_TYPES = ("reduce_lr_on_plateau", "greedy")


def test_every_type_is_covered() -> None:
    assert set(hf.scheduler_types()) == set(HF_TYPES) | set(METRIC_TYPES)


def trainer_rates(
    kind: str, lr: float, warmup: int, total: int, kwargs: dict[str, Any]
) -> list[float]:
    """The rate of each optimizer step as Trainer's loop sees it: step, then scheduler.step()."""
    from transformers import get_scheduler

    optimizer = sgd(lr)
    scheduler = get_scheduler(
        kind,
        optimizer,
        num_warmup_steps=warmup,
        num_training_steps=total,
        scheduler_specific_kwargs=kwargs or None,
    )
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("kind", sorted(HF_TYPES))
@pytest.mark.parametrize(("steps_per_epoch", "max_steps"), [(20, None), (17, 60)])
def test_hf_types_plan_as_trainer_steps_them(
    kind: str, steps_per_epoch: int, max_steps: int | None
) -> None:
    config = ScheduleConfig(
        lr=3e-4,
        epochs=4,
        interval="step",
        steps_per_epoch=steps_per_epoch,
        max_steps=max_steps,
        scheduler=f"hf:{kind}",
        params={"num_warmup_steps": 9, **HF_TYPES[kind]},
    )
    total = max_steps or 4 * steps_per_epoch
    assert_rates(plan(config).lrs, trainer_rates(kind, 3e-4, 9, total, HF_TYPES[kind]))


@pytest.mark.parametrize("kind", METRIC_TYPES)
def test_hf_metric_types_are_refused_in_one_line(kind: str) -> None:
    config = ScheduleConfig(lr=1e-3, epochs=5, scheduler=f"hf:{kind}")
    with pytest.raises(LrplanError, match=r"measured in training, which lrplan cannot plan") as e:
        plan(config)
    assert "\n" not in str(e.value)


def test_hf_unknown_type_lists_the_types() -> None:
    config = ScheduleConfig(lr=1e-3, epochs=5, scheduler="hf:cosine_annealing")
    with pytest.raises(LrplanError, match=r"'cosine_annealing' is not an lr_scheduler_type .*"):
        plan(config)


def test_hf_bad_kwargs_say_the_call() -> None:
    config = ScheduleConfig(
        lr=1e-3, epochs=5, scheduler="hf:cosine", params={"num_cycle": 2, "num_warmup_steps": 1}
    )
    with pytest.raises(LrplanError, match=r"get_scheduler\('cosine', optimizer, .*TypeError"):
        plan(config)


def batches_per_process(dataset_size: int, batch: int, devices: int, drop_last: bool) -> int:
    """len(train_dataloader) on process 0, from accelerate's own batch sharding."""
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler, SequentialSampler

    sampler = BatchSampler(SequentialSampler(range(dataset_size)), batch, drop_last)
    return len(BatchSamplerShard(sampler, devices, 0, split_batches=False, even_batches=True))


CASES = [
    # dataset, batch, accumulation, devices, epochs, max_steps, drop_last
    (1000, 8, 1, 1, 3.0, -1, False),
    (1001, 8, 4, 1, 3.0, -1, False),
    (207_865, 16, 1, 8, 1, -1, False),
    (2000, 1, 8, 1, 3.0, -1, False),
    (999, 7, 3, 3, 2.5, -1, False),
    (999, 7, 3, 3, 0.25, -1, True),
    (50, 4, 16, 2, 3.0, -1, False),
    (1000, 8, 2, 1, 3.0, 100, False),
    (1000, 8, 2, 1, 3.0, 63, True),
]


@pytest.mark.parametrize(
    ("dataset", "batch", "accumulate", "devices", "epochs", "max_steps", "drop_last"), CASES
)
def test_trainer_steps_match_trainers_own_arithmetic(
    dataset: int,
    batch: int,
    accumulate: int,
    devices: int,
    epochs: float,
    max_steps: int,
    drop_last: bool,
) -> None:
    from transformers import Trainer

    length = batches_per_process(dataset, batch, devices, drop_last)
    args = SimpleNamespace(
        max_steps=max_steps, num_train_epochs=epochs, gradient_accumulation_steps=accumulate
    )
    trainer = SimpleNamespace(
        get_total_train_batch_size=lambda args: batch * accumulate * devices,
        get_sp_size=lambda: 1,
        num_examples=lambda loader: dataset,
    )
    loader = _Sized(length)
    theirs = Trainer.set_initial_training_values(trainer, args, loader)  # type: ignore[arg-type]
    ours = hf.trainer_steps(
        dataset_size=dataset,
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=accumulate,
        devices=devices,
        num_train_epochs=epochs,
        max_steps=max_steps,
        dataloader_drop_last=drop_last,
    )
    assert ours.batches_per_device == length
    # (num_train_epochs, num_update_steps_per_epoch, ..., max_steps)
    assert (ours.epochs, ours.steps_per_epoch, ours.max_steps) == (
        theirs[0],
        theirs[1],
        theirs[6],
    )


class _Sized:
    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length


@pytest.mark.parametrize("warmup", [0, 0.0, 0.03, 0.1, 0.5, 0.999, 1, 1.0, 25, 25.0, 100])
@pytest.mark.parametrize("total", [1, 7, 100, 12_993])
def test_warmup_steps_match_training_arguments(warmup: float, total: int) -> None:
    from transformers import TrainingArguments

    theirs = TrainingArguments.get_warmup_steps(SimpleNamespace(warmup_steps=warmup), total)  # type: ignore[arg-type]
    assert hf.warmup_steps(warmup, total) == theirs


def test_trainer_steps_refuse_an_empty_run() -> None:
    with pytest.raises(LrplanError, match="no full batch"):
        hf.trainer_steps(dataset_size=3, per_device_train_batch_size=4, dataloader_drop_last=True)


# --- timm ---------------------------------------------------------------------------------


def train_py_rates(
    lr: float, updates_per_epoch: int, per_update: bool, **kwargs: Any
) -> tuple[list[float], int]:
    """timm's train.py: create_scheduler_v2, then for every epoch of the returned run, after
    every update step_update(num_updates), after the epoch step(epoch + 1). One rate per
    update (per_update) or per epoch."""
    scheduler_module = import_timm_module()
    optimizer = sgd(lr)
    scheduler, num_epochs = scheduler_module.create_scheduler_v2(
        optimizer, updates_per_epoch=updates_per_epoch, **kwargs
    )
    rates = []
    num_updates = 0
    for epoch in range(num_epochs):
        if not per_update:
            rates.append(optimizer.param_groups[0]["lr"])
        for _ in range(updates_per_epoch):
            if per_update:
                rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            num_updates += 1
            if scheduler is not None:
                scheduler.step_update(num_updates=num_updates)
        if scheduler is not None:
            scheduler.step(epoch + 1)
    return rates, num_epochs


TIMM_CASES: list[dict[str, Any]] = [
    {"sched": "cosine", "num_epochs": 30, "warmup_epochs": 5, "warmup_lr": 1e-5, "min_lr": 1e-6},
    {"sched": "cosine", "num_epochs": 30, "warmup_epochs": 5, "cooldown_epochs": 10},
    {"sched": "cosine", "num_epochs": 20, "warmup_epochs": 3, "warmup_prefix": True},
    {"sched": "cosine", "num_epochs": 10, "cycle_limit": 3, "cycle_mul": 2.0, "cycle_decay": 0.5},
    {"sched": "cosine", "num_epochs": 30, "warmup_epochs": 2, "step_on_epochs": False},
    {"sched": "tanh", "num_epochs": 25, "warmup_epochs": 2},
    {"sched": "step", "num_epochs": 25, "decay_epochs": 7, "decay_rate": 0.5},
    {"sched": "multistep", "num_epochs": 25, "decay_milestones": [10, 20], "warmup_epochs": 1},
    {"sched": "poly", "num_epochs": 25, "decay_rate": 2.0, "warmup_epochs": 2},
    {"sched": "wsd", "num_epochs": 25, "warmup_epochs": 2, "decay_epochs": 0.3},
    {"sched": "rsqrt", "num_epochs": 25, "warmup_epochs": 2},
    {"sched": "constant", "num_epochs": 12, "warmup_epochs": 2},
    {"sched": "none", "num_epochs": 12},
    {"sched": "cosine", "num_epochs": 20, "noise": [0.4, 0.9], "noise_seed": 7},
    {"sched": "wsd", "num_epochs": 20, "warmup_epochs": 2, "step_on_epochs": False},
]


@pytest.mark.parametrize(
    ("case", "per_update"),
    [(case, True) for case in TIMM_CASES]
    # A schedule stepped per update (step_on_epochs=False) is refused per epoch (below).
    + [(case, False) for case in TIMM_CASES if case.get("step_on_epochs", True)],
    ids=lambda value: "-".join(map(str, value.values())) if isinstance(value, dict) else None,
)
def test_timm_plans_as_train_py_steps(case: dict[str, Any], per_update: bool) -> None:
    updates = 6 if per_update else 1
    expected, num_epochs = train_py_rates(0.1, updates, per_update, **case)
    params = {key: value for key, value in case.items() if key != "sched"}
    config = ScheduleConfig(
        lr=0.1,
        epochs=num_epochs,
        interval="step" if per_update else "epoch",
        steps_per_epoch=updates,
        scheduler=f"timm:{case['sched']}",
        params=params,
    )
    assert_rates(plan(config).lrs, expected)


def test_timm_per_update_schedule_is_refused_per_epoch() -> None:
    config = ScheduleConfig(
        lr=0.1, epochs=10, scheduler="timm:cosine", params={"step_on_epochs": False}
    )
    with pytest.raises(LrplanError, match=r"steps per update: give interval=step"):
        plan(config)


def test_timm_length_other_than_the_run_is_refused_with_the_run() -> None:
    config = ScheduleConfig(
        lr=0.1, epochs=30, scheduler="timm:cosine", params={"cooldown_epochs": 10}
    )
    with pytest.raises(
        LrplanError, match=r"returns a run of 40 epochs .* plan epochs=40 with num_epochs=30"
    ):
        plan(config)


def test_timm_plateau_is_refused() -> None:
    with pytest.raises(LrplanError, match=r"follows an eval metric"):
        plan(ScheduleConfig(lr=0.1, epochs=10, scheduler="timm:plateau"))


def test_timm_class_by_import_path_is_stepped_as_train_py_steps_it() -> None:
    cosine = import_timm_module().CosineLRScheduler
    for updates in (1, 5):
        optimizer = sgd(0.05)
        t_initial = 12 * updates
        scheduler = cosine(
            optimizer, t_initial=t_initial, warmup_t=2, warmup_lr_init=1e-4, t_in_epochs=False
        )
        expected = []
        for epoch in range(12):
            for update in range(updates):
                expected.append(optimizer.param_groups[0]["lr"])
                scheduler.step_update(num_updates=epoch * updates + update + 1)
            scheduler.step(epoch + 1)
        config = ScheduleConfig(
            lr=0.05,
            epochs=12,
            interval="step",
            steps_per_epoch=updates,
            scheduler="timm.scheduler:CosineLRScheduler",
            params={
                "t_initial": t_initial,
                "warmup_t": 2,
                "warmup_lr_init": 1e-4,
                "t_in_epochs": False,
            },
        )
        assert_rates(plan(config).lrs, expected)


def test_timm_is_imported_without_timm_init() -> None:
    import sys

    module = import_timm_module()
    assert module.__name__ == "timm.scheduler"
    # The bare package used to import it is gone: `import timm` would run timm's __init__.
    assert "timm" not in sys.modules or hasattr(sys.modules["timm"], "create_model")


# --- DeepSpeed ----------------------------------------------------------------------------

DS_CASES: list[tuple[str, dict[str, Any]]] = [
    ("WarmupLR", {"warmup_min_lr": 0, "warmup_max_lr": 1e-3, "warmup_num_steps": 50}),
    ("WarmupLR", {"warmup_num_steps": 30, "warmup_type": "linear"}),
    (
        "WarmupDecayLR",
        {
            "warmup_min_lr": 1e-5,
            "warmup_max_lr": 3e-4,
            "warmup_num_steps": 20,
            "total_num_steps": 120,
        },
    ),
    ("WarmupCosineLR", {"warmup_num_steps": 25, "cos_min_ratio": 0.01, "total_num_steps": 120}),
    (
        "OneCycle",
        {
            "cycle_min_lr": 1e-4,
            "cycle_max_lr": 1e-3,
            "cycle_first_step_size": 30,
            "decay_step_size": 10,
            "decay_lr_rate": 0.1,
            "cycle_momentum": False,
        },
    ),
]


@pytest.mark.parametrize(("kind", "params"), DS_CASES, ids=[kind for kind, _ in DS_CASES])
def test_deepspeed_plans_as_its_engine_steps(kind: str, params: dict[str, Any]) -> None:
    from lrplan.core.frameworks.deepspeed import lr_schedules

    optimizer = sgd(2e-4)
    scheduler = getattr(lr_schedules(), kind)(optimizer, **params)
    expected = []
    for _ in range(120):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    config = ScheduleConfig(
        lr=2e-4,
        epochs=4,
        interval="step",
        steps_per_epoch=30,
        scheduler=f"deepspeed:{kind}",
        params=params,
    )
    assert_rates(plan(config).lrs, expected)


def test_deepspeed_total_defaults_to_the_planned_steps() -> None:
    from lrplan.core.schedulers import call_text

    config = ScheduleConfig(
        lr=1e-3,
        epochs=3,
        interval="step",
        steps_per_epoch=10,
        scheduler="deepspeed:WarmupDecayLR",
        params={"warmup_num_steps": 5},
    )
    assert call_text(config) == "WarmupDecayLR(optimizer, warmup_num_steps=5, total_num_steps=30)"
    lrs = plan(config).lrs
    # Row i trains after i steps (last_batch_iteration i - 1): the warm-up ends at row 6, at
    # warmup_max_lr's default 1e-3 whatever the optimizer's lr; then linear to 0 at step 30.
    assert lrs[6] == pytest.approx(1e-3)
    assert lrs[29] == pytest.approx(1e-3 * 2 / 25)


def test_deepspeed_unknown_type() -> None:
    with pytest.raises(LrplanError, match=r"'WarmupCos' is not a DeepSpeed scheduler type"):
        plan(ScheduleConfig(lr=1e-3, epochs=3, scheduler="deepspeed:WarmupCos"))


def test_max_steps_must_end_in_the_last_epoch() -> None:
    with pytest.raises(LrplanError, match=r"max_steps=50 does not end in epoch 2"):
        ScheduleConfig(
            lr=1e-3, epochs=2, warmup_epochs=1, interval="step", steps_per_epoch=20, max_steps=50
        )
    config = ScheduleConfig(
        lr=1e-3, epochs=3, warmup_epochs=1, interval="step", steps_per_epoch=20, max_steps=50
    )
    assert len(plan(config)) == config.rows == 50
