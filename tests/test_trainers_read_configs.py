"""The real trainers read the same config file lrplan reads, and train: the rate of every
optimizer step they take equals the rate ``lrplan show --config`` plans for that step (1e-12).

Each trainer reads the file its own way: Hugging Face TrainingArguments through
``HfArgumentParser``, DeepSpeed its JSON through ``deepspeed.initialize`` (in a subprocess, on
CPU with gloo), LightningCLI through jsonargparse, Hydra through ``instantiate``. Tiny models
on CPU, a few dozen steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.deepspeed_engine import engine_rates
from tests.hf_tiny import SAMPLES, Numbers, Tiny, rate_recorder

pytestmark = pytest.mark.filterwarnings("ignore")  # the trainers' own CPU and deprecation noise


def planned(run: Any, path: Path, *args: str) -> list[float]:
    result = run("show", "--config", str(path), *args, "--json")
    assert result.exit_code == 0, result.output
    return [row["lr"] for row in json.loads(result.stdout)["rows"]]


# --- Hugging Face Trainer ---------------------------------------------------------------------


TRAINING_ARGUMENTS = {
    "learning_rate": 1.0e-3,
    "lr_scheduler_type": "cosine",
    "warmup_steps": 0.2,
    "num_train_epochs": 3,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 2,
    "report_to": "none",
    "save_strategy": "no",
    "logging_strategy": "no",
    "use_cpu": True,
    "disable_tqdm": True,
}


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("sft.yaml", {}),
        ("sft.json", {}),
        ("polynomial.yaml", {"lr_scheduler_type": "polynomial", "warmup_steps": 2,
                             "lr_scheduler_kwargs": {"power": 2.0, "lr_end": 1.0e-5}}),
    ],
)  # fmt: skip
def test_hugging_face_trainer_from_the_file(
    run, tmp_path: Path, name: str, extra: dict[str, Any]
) -> None:
    transformers = pytest.importorskip("transformers")
    import yaml

    path = tmp_path / name
    arguments = {**TRAINING_ARGUMENTS, "output_dir": str(tmp_path / "run"), **extra}
    path.write_text(json.dumps(arguments) if name.endswith(".json") else yaml.safe_dump(arguments))
    parser = transformers.HfArgumentParser(transformers.TrainingArguments)
    read = parser.parse_json_file if name.endswith(".json") else parser.parse_yaml_file
    (training_arguments,) = read(str(path))

    record = rate_recorder()
    torch.manual_seed(0)
    transformers.Trainer(
        model=Tiny(), args=training_arguments, train_dataset=Numbers(), callbacks=[record]
    ).train()

    # 40 samples / batch 4 = 10 batches, / accumulation 2 = 5 steps an epoch, 3 epochs.
    assert len(record.lrs) == 15
    expected = pytest.approx(record.lrs, rel=1e-12)
    assert planned(run, path, "--dataset-size", str(SAMPLES)) == expected


# --- DeepSpeed engine -------------------------------------------------------------------------

DEEPSPEED_CONFIGS = {
    # No optimizer block: the client's SGD(lr=0.5); OneCycle writes cycle_min_lr into it.
    "one_cycle.json": (
        {
            "train_batch_size": 1,
            "scheduler": {
                "type": "OneCycle",
                "params": {
                    "cycle_first_step_size": 8,
                    "cycle_second_step_size": 6,
                    "cycle_min_lr": 1e-4,
                    "cycle_max_lr": 1e-3,
                    "decay_lr_rate": 0.01,
                    "decay_step_size": 3,
                    "cycle_momentum": False,
                },
            },
        },
        ["--epochs", "3", "--steps-per-epoch", "10"],
        30,
    ),
    # JSON numbers (1e-6 is a string to YAML 1.1); the run's length from total_num_steps.
    "warmup_decay.json": (
        {
            "train_batch_size": 1,
            "scheduler": {
                "type": "WarmupDecayLR",
                "params": {
                    "warmup_min_lr": 1e-6,
                    "warmup_max_lr": 2e-4,
                    "warmup_num_steps": 6,
                    "warmup_type": "linear",
                    "total_num_steps": 24,
                },
            },
        },
        [],
        24,
    ),
}


def test_deepspeed_engine_from_the_file(run, tmp_path: Path) -> None:
    pytest.importorskip("deepspeed")
    for name, (config, _, _) in DEEPSPEED_CONFIGS.items():
        (tmp_path / name).write_text(json.dumps(config))
    steps = {tmp_path / name: steps for name, (_, _, steps) in DEEPSPEED_CONFIGS.items()}
    found = engine_rates(steps, tmp_path)
    for name, (_, options, count) in DEEPSPEED_CONFIGS.items():
        lrs = found[tmp_path / name]
        assert len(lrs) == count
        assert planned(run, tmp_path / name, *options) == pytest.approx(lrs, rel=1e-12)


# --- LightningCLI (jsonargparse) and Hydra ------------------------------------------------------


#: Where the Lightning module below records the rate of every optimizer step.
RECORDED: list[float] = []


def lightning_module() -> Any:
    pl = pytest.importorskip("lightning.pytorch")

    class TinyModule(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, batch_index: int) -> torch.Tensor:
            return self.net(batch[0]).pow(2).mean()

        def on_before_optimizer_step(self, optimizer: Any) -> None:
            RECORDED.append(optimizer.param_groups[0]["lr"])

        def train_dataloader(self) -> Any:
            data = torch.utils.data.TensorDataset(torch.randn(SAMPLES, 4))
            return torch.utils.data.DataLoader(data, batch_size=8)

    return TinyModule


LIGHTNING_CLI_CONFIG = """\
trainer:
  max_epochs: 4
  accelerator: cpu
  logger: false
  enable_checkpointing: false
  enable_progress_bar: false
  enable_model_summary: false
optimizer:
  class_path: torch.optim.SGD
  init_args:
    lr: 1e-2
lr_scheduler:
  class_path: torch.optim.lr_scheduler.CosineAnnealingLR
  init_args:
    T_max: 4
    eta_min: 1e-4
"""


def test_lightning_cli_from_the_file(run, tmp_path: Path) -> None:
    """LightningCLI steps its lr_scheduler once per epoch; 40 samples in batches of 8 are 5
    optimizer steps an epoch. (Needs jsonargparse, LightningCLI's parser.)"""
    pytest.importorskip("jsonargparse")
    from lightning.pytorch.cli import LightningCLI

    path = tmp_path / "config.yaml"
    path.write_text(LIGHTNING_CLI_CONFIG)
    RECORDED.clear()
    LightningCLI(
        lightning_module(),
        args=["fit", "--config", str(path)],
        save_config_callback=None,
        seed_everything_default=0,
    )

    assert len(RECORDED) == 20
    per_epoch = planned(run, path)
    assert [per_epoch[step // 5] for step in range(20)] == pytest.approx(RECORDED, rel=1e-12)


HYDRA_CONFIG = """\
optimizer:
  _target_: torch.optim.AdamW
  _partial_: true
  lr: 3e-4
scheduler:
  _target_: torch.optim.lr_scheduler.StepLR
  _partial_: true
  step_size: 2
  gamma: 0.5
trainer:
  max_epochs: 7
"""


def test_hydra_instantiate_from_the_file(run, tmp_path: Path) -> None:
    """Hydra's instantiate builds the optimizer and scheduler the file names; the loop steps
    the scheduler once per epoch, as the file's trainer does by default. (Needs hydra-core.)"""
    pytest.importorskip("hydra")
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    path = tmp_path / "config.yaml"
    path.write_text(HYDRA_CONFIG)
    config = OmegaConf.load(path)
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = instantiate(config.optimizer)([parameter])
    scheduler = instantiate(config.scheduler)(optimizer)
    lrs = []
    for _ in range(config.trainer.max_epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()

    assert planned(run, path) == pytest.approx(lrs, rel=1e-12)
