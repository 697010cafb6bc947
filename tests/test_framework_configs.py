"""Framework configs from public projects (tests/data/configs, sources in issue 11's
MANIFEST.yaml) read as their frameworks read them, planned and checked against the framework's
own code stepped by hand; and the one-line refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from lrplan import LrplanError
from lrplan.core.planner import plan
from lrplan.inputs.frameworks import Run, framework_of, read_framework

CONFIGS = Path(__file__).parent / "data" / "configs"


def load(name: str) -> dict[str, Any]:
    text = (CONFIGS / name).read_text()
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def trainer(kind: str, lr: float, warmup: int, total: int) -> list[float]:
    """transformers' get_scheduler stepped as Trainer steps it: once per optimizer step."""
    from transformers import get_scheduler

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = get_scheduler(kind, optimizer, num_warmup_steps=warmup, num_training_steps=total)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


# (file, run, lr, steps per epoch, optimizer steps, warm-up steps), from the manifest:
# steps per epoch = ceil(ceil(N / per_device_batch) / devices / accumulation), max_steps =
# ceil(num_train_epochs × steps per epoch), warm-up ceil(warmup_ratio × max_steps).
HF_CASES = [
    (
        "alignment_handbook__zephyr_sft_full.yaml",
        Run(dataset_size=207_865, devices=8),
        2e-5,
        math.ceil(math.ceil(207_865 / 16) / 8),
        1624,
        math.ceil(0.1 * 1624),
    ),
    (
        "llamafactory__llama3_lora_sft.yaml",
        Run(dataset_size=1091),
        1e-4,
        math.ceil(1091 / 8),
        3 * 137,
        math.ceil(0.1 * 411),
    ),
    ("axolotl__llama3_lora_8b.yml", Run(steps_per_epoch=250), 2e-4, 250, 1000, 100),
]


@pytest.mark.parametrize(("name", "run", "lr", "per_epoch", "total", "warmup"), HF_CASES)
def test_hugging_face_recipes_plan_as_trainer(
    name: str, run: Run, lr: float, per_epoch: int, total: int, warmup: int
) -> None:
    document = load(name)
    assert framework_of(document) == "hf"
    found = read_framework(document, f"--config {name}", run)
    config = found.config()
    assert config.scheduler == "hf:cosine"
    assert config.lr == lr and config.steps_per_epoch == per_epoch and config.rows == total
    assert dict(config.params) == {"num_warmup_steps": warmup}
    assert "warmup_ratio" in found.sources["param.num_warmup_steps"]
    expected = trainer("cosine", lr, warmup, total)
    assert list(plan(config).lrs) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_hugging_face_needs_the_dataset_size_in_one_line() -> None:
    with pytest.raises(LrplanError, match=r"give --dataset-size N .* or --steps-per-epoch N$"):
        read_framework(load("llamafactory__llama3_lora_sft.yaml"), "--config x", Run())


def test_axolotl_sample_packing_needs_the_steps() -> None:
    document = load("axolotl__llama3_lora_8b.yml")
    with pytest.raises(LrplanError, match=r"sample_packing: true .* give --steps-per-epoch N"):
        read_framework(document, "--config x", Run(dataset_size=10_000))


@pytest.mark.parametrize(
    ("document", "run", "expected"),
    [
        # max_steps stops inside an epoch; warm-up as a fraction (transformers 5).
        (
            {"lr_scheduler_type": "linear", "max_steps": 250, "warmup_steps": 0.05},
            Run(dataset_size=1000),
            {"steps_per_epoch": 125, "epochs": 2, "rows": 250, "warmup": 13},
        ),
        (
            {"lr_scheduler_type": "cosine", "num_train_epochs": 2.5, "warmup_steps": 10},
            Run(dataset_size=1000, devices=2, accumulate=2),
            {"steps_per_epoch": 32, "epochs": 3, "rows": 80, "warmup": 10},
        ),
        # Only max_steps: one epoch of max_steps steps.
        (
            {"lr_scheduler_type": "constant_with_warmup", "max_steps": 90, "warmup_steps": 9},
            Run(),
            {"steps_per_epoch": 90, "epochs": 1, "rows": 90, "warmup": 9},
        ),
    ],
)
def test_training_arguments_steps(
    document: dict[str, Any], run: Run, expected: dict[str, int]
) -> None:
    config = read_framework(document, "--config x", run).config()
    assert config.steps_per_epoch == expected["steps_per_epoch"]
    assert config.epochs == expected["epochs"] and config.rows == expected["rows"]
    assert dict(config.params)["num_warmup_steps"] == expected["warmup"]


def test_lr_scheduler_kwargs_reach_get_scheduler() -> None:
    document = {
        "lr_scheduler_type": "cosine_with_min_lr",
        "lr_scheduler_kwargs": '{"min_lr_rate": 0.1}',
        "learning_rate": "3e-4",
        "max_steps": 40,
    }
    found = read_framework(document, "--config x", Run())
    config = found.config()
    assert dict(config.params) == {"num_warmup_steps": 0, "min_lr_rate": 0.1}
    assert found.sources["param.min_lr_rate"] == "lr_scheduler_kwargs.min_lr_rate"
    assert min(plan(config).lrs) == pytest.approx(3e-5, rel=0.02)  # 10% of lr at the end


def test_reduce_lr_on_plateau_is_refused_in_one_line() -> None:
    config = read_framework(
        {"lr_scheduler_type": "reduce_lr_on_plateau", "max_steps": 10}, "--config x", Run()
    ).config()
    with pytest.raises(LrplanError, match=r"measured in training, which lrplan cannot plan"):
        plan(config)


# --- DeepSpeed ----------------------------------------------------------------------------


def test_deepspeed_examples_warmuplr_plans_with_deepspeed() -> None:
    from lrplan.core.frameworks.deepspeed import lr_schedules

    name = "dsexamples__cifar_ds_config_warmuplr.json"
    found = read_framework(load(name), name, Run(epochs=2, steps_per_epoch=3125))
    config = found.config()
    assert config.scheduler == "deepspeed:WarmupLR"
    assert dict(config.params) == {
        "warmup_min_lr": 0,
        "warmup_max_lr": 0.001,
        "warmup_num_steps": 1000,
    }
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.001)
    scheduler = lr_schedules().WarmupLR(optimizer, 0, 0.001, 1000)
    expected = []
    for _ in range(6250):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    schedule = plan(config)
    assert list(schedule.lrs) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    # warmup_type defaults to log: half way long before half the warm-up.
    from lrplan.analysis.insights import insights

    codes = [insight.code for insight in insights(schedule)]
    assert "deepspeed-log-warmup" in codes


def test_deepspeed_without_a_length_says_which_options() -> None:
    name = "dsexamples__cifar_ds_config_warmuplr.json"
    with pytest.raises(LrplanError, match=r"give --epochs N and --steps-per-epoch N"):
        read_framework(load(name), name, Run())


def test_deepspeed_auto_alone_is_refused() -> None:
    name = "transformers__ds_config_zero2_auto.json"
    with pytest.raises(LrplanError, match=r'are "auto", filled by Hugging Face Trainer'):
        read_framework(load(name), name, Run())


def test_deepspeed_auto_values_are_filled_from_training_arguments(tmp_path: Path) -> None:
    ds = tmp_path / "ds.json"
    ds.write_text((CONFIGS / "transformers__ds_config_zero2_auto.json").read_text())
    document = {
        "learning_rate": 3e-5,
        "lr_scheduler_type": "cosine",  # replaced by the DeepSpeed block
        "warmup_steps": 0.1,
        "num_train_epochs": 2,
        "per_device_train_batch_size": 4,
        "deepspeed": "ds.json",
    }
    found = read_framework(document, "--config args.yaml", Run(dataset_size=400), folder=tmp_path)
    config = found.config()
    assert config.scheduler == "deepspeed:WarmupLR" and config.lr == 3e-5
    # 100 batches per epoch, 200 steps, warm-up ceil(0.1 × 200) = 20 (transformers' fill).
    assert dict(config.params) == {
        "warmup_min_lr": 0,
        "warmup_max_lr": 3e-5,
        "warmup_num_steps": 20,
    }
    assert config.rows == 200
    assert found.sources["param.warmup_max_lr"] == "auto: learning_rate"


def test_deepspeed_number_that_trainer_would_refuse(tmp_path: Path) -> None:
    (tmp_path / "ds.json").write_text(
        json.dumps({"scheduler": {"type": "WarmupLR", "params": {"warmup_max_lr": 1e-3}}})
    )
    document = {"learning_rate": 3e-5, "max_steps": 50, "deepspeed": "ds.json"}
    with pytest.raises(LrplanError, match=r"warmup_max_lr=0.001 differs .* Trainer refuses"):
        read_framework(document, "--config x", Run(), folder=tmp_path)


def test_deepspeed_warmup_max_lr_over_the_optimizer_lr_is_a_warning() -> None:
    from lrplan.analysis.insights import insights

    document = {
        "optimizer": {"type": "AdamW", "params": {"lr": 3e-4}},
        "scheduler": {
            "type": "WarmupDecayLR",
            "params": {"warmup_num_steps": 10, "total_num_steps": 100},
        },
    }
    schedule = plan(read_framework(document, "ds.json", Run()).config())
    assert max(schedule.lrs) == pytest.approx(1e-3)  # WarmupDecayLR's default, not 3e-4
    found = {insight.code: insight for insight in insights(schedule)}
    assert "warmup_max_lr=0.001 (its default), not at the optimizer's lr=0.0003" in (
        found["deepspeed-warmup-max-lr"].message
    )


# --- timm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["fastervit__faster_vit_0_224_1k_timm_args.yaml", "mambavision__tiny_1k_timm_args.yaml"],
)
def test_nvlabs_timm_args_are_refused_with_the_reason(name: str) -> None:
    document = load(name)
    assert framework_of(document) == "timm"
    with pytest.raises(LrplanError, match=r"NVlabs' own create_scheduler") as error:
        read_framework(document, name, Run())
    assert "\n" not in str(error.value)


def train_py(args: dict[str, Any], updates: int) -> tuple[list[float], int]:
    """timm's train.py: create_scheduler(args) (scheduler_kwargs + create_scheduler_v2), then
    step_update after every update and step(epoch + 1) after every epoch."""
    from types import SimpleNamespace

    from lrplan.core.frameworks.timm import import_timm_module

    module = import_timm_module()
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args["lr"])
    scheduler, epochs = module.create_scheduler(SimpleNamespace(**args), optimizer, updates)
    rates, count = [], 0
    for epoch in range(epochs):
        for _ in range(updates):
            rates.append(optimizer.param_groups[0]["lr"])
            count += 1
            scheduler.step_update(num_updates=count)
        scheduler.step(epoch + 1)
    return rates, epochs


def test_timm_args_plan_as_train_py() -> None:
    document = {
        "sched": "cosine",
        "epochs": 20,
        "warmup_epochs": 3,
        "warmup_lr": 1e-5,
        "min_lr": 1e-6,
        "cooldown_epochs": 2,
        "warmup_prefix": True,
        "sched_on_updates": True,
        "lr": None,
        "lr_base": 0.1,
        "lr_base_size": 256,
        "batch_size": 64,
        "grad_accum_steps": 2,
        "opt": "sgd",
    }
    found = read_framework(document, "args.yaml", Run(dataset_size=10_000, devices=2))
    config = found.config()
    # 5000 samples per device // 64 = 78 batches; ceil(78 / 2) = 39 updates per epoch.
    assert config.steps_per_epoch == 39 and config.interval == "step"
    # lr_base × (64 × 2 devices × 2) / 256, linear for SGD.
    assert config.lr == pytest.approx(0.1)
    assert config.epochs == 20 + 3 + 2
    args = {
        **document,
        "lr": config.lr,
        "decay_epochs": 90,
        "decay_milestones": [90, 180, 270],
        "lr_cycle_decay": 0.5,
    }
    expected, epochs = train_py(args, 39)
    assert epochs == config.epochs
    assert list(plan(config).lrs) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_timm_lr_scales_by_sqrt_for_lamb_and_plans_per_epoch() -> None:
    document = {"sched": "step", "epochs": 30, "decay_epochs": 10, "opt": "lamb", "batch_size": 64}
    found = read_framework(document, "args.yaml", Run())
    config = found.config()
    assert config.interval == "epoch"
    assert config.lr == pytest.approx(0.1 * (64 / 256) ** 0.5)
    assert "sqrt" in found.sources["lr"]
    assert config.epochs == 30


def test_timm_sched_on_updates_needs_the_updates() -> None:
    with pytest.raises(LrplanError, match=r"give --dataset-size N .* --steps-per-epoch N"):
        read_framework({"sched": "cosine", "sched_on_updates": True}, "args.yaml", Run())


def test_options_override_the_configs_rate_and_epochs() -> None:
    hf = read_framework(
        load("llamafactory__llama3_lora_sft.yaml"),
        "x",
        Run(lr=5e-5, epochs=1, dataset_size=1091),
    )
    assert hf.config().lr == 5e-5 and hf.sources["lr"] == "--lr"
    assert hf.config().rows == 137 and "--epochs" in hf.sources["max_steps"]
    timm = read_framework({"sched": "cosine", "epochs": 30, "lr": 0.5}, "x", Run(lr=0.1, epochs=10))
    assert (timm.config().lr, timm.config().epochs) == (0.1, 10)
    assert timm.sources["lr"] == "--lr"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"learning_rate": 1e-3, "max_steps": 10, "lr_scheduler_type": "linear"}, "hf"),
        ({"learning_rate": 1e-3, "num_train_epochs": 3}, "hf"),
        ({"lr_scheduler": "cosine", "num_epochs": 4}, "hf"),
        # A Lightning config with a learning_rate key names its own scheduler: not Trainer's.
        (
            {
                "learning_rate": 1e-3,
                "num_train_epochs": 3,
                "lr_scheduler": {"class_path": "torch.optim.lr_scheduler.StepLR"},
            },
            None,
        ),
        ({"sched": "cosine", "epochs": 10}, "timm"),
        ({"sched": "cosine"}, None),
        ({"scheduler": {"type": "WarmupLR", "params": {}}}, "deepspeed"),
        ({"scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "type": "x"}}, None),
    ],
)
def test_which_framework_a_config_belongs_to(
    document: dict[str, Any], expected: str | None
) -> None:
    assert framework_of(document) == expected
