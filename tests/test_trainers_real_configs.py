"""The real trainers train on REAL projects' config files (``tests/data/configs``, sources in
its ``MANIFEST.yaml``), and the rate of every optimizer step equals the rate ``lrplan show
--config`` plans from the same file (1e-12).

Only the size of the run is shrunk, and only by overrides lrplan is given the same way
(``--dataset-size``, ``--steps-per-epoch``, ``--set``, the trainer's own CLI overrides mirrored).
Keys a tiny CPU run cannot honour (bf16, GPUs, model and data paths, hub pushes, loggers) are
overridden for the trainer alone, each with the reason it cannot change the schedule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from tests.deepspeed_engine import engine_rates
from tests.hf_tiny import SAMPLES, Numbers, Tiny, rate_recorder

pytestmark = pytest.mark.filterwarnings("ignore")  # the trainers' own CPU and deprecation noise

CONFIGS = Path(__file__).parent / "data" / "configs"


def planned(run: Any, path: Path, *args: str) -> list[float]:
    result = run("show", "--config", str(path), *args, "--json")
    assert result.exit_code == 0, result.output
    return [row["lr"] for row in json.loads(result.stdout)["rows"]]


# --- Hugging Face Trainer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        # open-r1's OlympicCoder SFT: cosine_with_min_lr (min_lr_rate 0.1), warm-up 0.03, 10
        # epochs, batch 2, accumulation 8: 40 samples are 20 batches, 3 optimizer steps (the
        # last takes the 4 left over) an epoch, 30 in all.
        ("openr1__olympiccoder_7b_sft.yaml", 30),
        # LLaMA-Factory's LoRA SFT example: cosine, warm-up 0.1, 3 epochs, batch 1,
        # accumulation 8: 40 batches, 5 optimizer steps an epoch, 15 in all.
        ("llamafactory__llama3_lora_sft.yaml", 15),
    ],
)
def test_hugging_face_trainer_on_real_recipes(run, tmp_path: Path, name: str, steps: int) -> None:
    """Real SFT recipes, read by HfArgumentParser as the Trainer reads them (the model's and
    dataset's keys belong to the projects' other dataclasses, not TrainingArguments)."""
    transformers = pytest.importorskip("transformers")
    text = (CONFIGS / name).read_text()
    # The one change to the file, for both sides alike: transformers 5 has no warmup_ratio
    # (HfArgumentParser refuses it); lrplan's own error says to rename it warmup_steps, which
    # transformers 5 reads as the same share of the run when below 1.
    assert "\nwarmup_ratio: 0." in text
    path = tmp_path / name
    path.write_text(text.replace("\nwarmup_ratio:", "\nwarmup_steps:"))

    arguments = yaml.safe_load(path.read_text())
    # For the trainer alone, none of which can change the schedule: bf16 and gradient
    # checkpointing are a CPU run's precision and memory (the scheduler never sees either);
    # reporting, saving, logging and hub pushes only write things out; the output directory
    # is where they would go; use_cpu picks the device.
    arguments.update(
        bf16=False,
        gradient_checkpointing=False,
        push_to_hub=False,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        output_dir=str(tmp_path / "run"),
        use_cpu=True,
        disable_tqdm=True,
    )
    parser = transformers.HfArgumentParser(transformers.TrainingArguments)
    (training_arguments,) = parser.parse_dict(arguments, allow_extra_keys=True)

    record = rate_recorder()
    torch.manual_seed(0)
    transformers.Trainer(
        model=Tiny(), args=training_arguments, train_dataset=Numbers(), callbacks=[record]
    ).train()

    assert len(record.lrs) == steps
    assert len(set(record.lrs)) > 3  # the run saw the schedule move
    expected = pytest.approx(record.lrs, rel=1e-12, abs=1e-18)
    assert planned(run, path, "--dataset-size", str(SAMPLES)) == expected


# --- DeepSpeed engine -------------------------------------------------------------------------

#: Real DeepSpeed JSON files, the engine's overrides (see the test), lrplan's options, steps.
DEEPSPEED_FILES = {
    # DeepSpeedExamples' CIFAR WarmupLR (log warm-up over 1000 steps, then held): 1100 steps.
    "dsexamples__cifar_ds_config_warmuplr.json": (
        {"bf16": {"enabled": False}},
        ["--epochs", "11", "--steps-per-epoch", "100"],
        1100,
    ),
    # DeepSpeedExamples' QANet OneCycle (stairs of 10 steps up over 1000, down over 100, then
    # decayed every 1000): 1300 steps see all three phases.
    "dsexamples__qanet_bsz512_1cycle.json": (
        {"train_micro_batch_size_per_gpu": 512},
        ["--epochs", "13", "--steps-per-epoch", "100"],
        1300,
    ),
}


def test_deepspeed_engine_on_deepspeed_examples_files(run, tmp_path: Path) -> None:
    """DeepSpeedExamples' own JSON files through ``deepspeed.initialize`` (in a subprocess, on
    CPU with gloo), the file's optimizer and scheduler blocks as the engine builds them.

    For the engine alone, none of which can change the schedule: the Adam block gets
    ``torch_adam: true`` (torch's Adam, not the fused CUDA kernel: the same param_groups
    and lr); CIFAR's bf16 block is replaced by ``{"enabled": false}`` (a CPU run's precision,
    which the scheduler never sees; the file's block also holds fp16's loss-scale keys, which
    DeepSpeed 0.19's bf16 config refuses as extra inputs);
    QANet's micro batch becomes the whole batch of 512, so one process takes one optimizer step
    per engine step instead of accumulating 16 (the scheduler steps once per optimizer step
    either way, and lrplan's --steps-per-epoch counts optimizer steps)."""
    pytest.importorskip("deepspeed")
    for name, (override, _, _) in DEEPSPEED_FILES.items():
        config = json.loads((CONFIGS / name).read_text())
        engine_config = {**config, **override}  # whole top-level blocks replaced
        engine_config["optimizer"]["params"]["torch_adam"] = True
        (tmp_path / name).write_text(json.dumps(engine_config))
    found = engine_rates(
        {tmp_path / name: steps for name, (_, _, steps) in DEEPSPEED_FILES.items()}, tmp_path
    )
    for name, (_, options, steps) in DEEPSPEED_FILES.items():
        lrs = found[tmp_path / name]
        assert len(lrs) == steps
        assert len(set(lrs)) > 3  # the run saw the schedule move
        # lrplan reads the real file itself.
        expected = pytest.approx(lrs, rel=1e-12, abs=1e-18)
        assert planned(run, CONFIGS / name, *options) == expected


# --- LightningCLI (jsonargparse) ----------------------------------------------------------------

#: Where the Lightning module below records the rate of every optimizer step.
RECORDED: list[float] = []


def lightning_classes() -> tuple[Any, Any]:
    """A tiny module and datamodule taking the arguments torch-uncertainty's file gives its
    segmentation routine and MUAD datamodule (the model's own sections kept as plain dicts:
    the tiny linear model stands in for the U-Net)."""
    pl = pytest.importorskip("lightning.pytorch")

    class TinySegmentation(pl.LightningModule):
        def __init__(
            self, model: dict | None = None, num_classes: int = 0, loss: dict | None = None
        ) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, batch_index: int) -> torch.Tensor:
            return self.net(batch[0]).pow(2).mean()

        def on_before_optimizer_step(self, optimizer: Any) -> None:
            RECORDED.append(optimizer.param_groups[0]["lr"])

    class TinyMUAD(pl.LightningDataModule):
        def __init__(
            self,
            root: str = "",
            batch_size: int = 1,
            crop_size: int = 0,
            eval_size: list[int] | None = None,
        ) -> None:
            super().__init__()
            self.batch_size = batch_size

        def train_dataloader(self) -> Any:
            data = torch.utils.data.TensorDataset(torch.randn(SAMPLES, 4))
            return torch.utils.data.DataLoader(data, batch_size=self.batch_size)

    return TinySegmentation, TinyMUAD


def test_lightning_cli_on_torch_uncertaintys_config(run, tmp_path: Path) -> None:
    """torch-uncertainty's MUAD U-Net config (Adam 1e-3, StepLR(step_size=40, gamma=0.1),
    100 epochs) through LightningCLI, which steps the scheduler once per epoch; the file's
    batch size 32 makes 40 samples 2 optimizer steps an epoch. The whole run, unshrunk.

    For the trainer alone, none of which can change the schedule: the GPU accelerator and
    bf16-mixed precision become CPU and 32-bit (device and precision; the scheduler never sees
    them); the TensorBoard logger and torch-uncertainty's checkpoint and lr-monitor callbacks
    are dropped (they only write out or read the rate; the checkpoint class is not installed
    here), from a copy of the file since jsonargparse resolves every class_path while reading
    it. ``eval_after_fit`` is torch-uncertainty's own CLI argument, added to the parser as its
    CLI adds it (it runs a test after fit). (Needs jsonargparse, LightningCLI's parser.)"""
    pytest.importorskip("jsonargparse")
    from lightning.pytorch.cli import LightningCLI

    real = CONFIGS / "tu__muad_unet_standard_steplr.yaml"
    config = yaml.safe_load(real.read_text())
    del config["trainer"]["logger"], config["trainer"]["callbacks"]
    path = tmp_path / "standard.yaml"
    path.write_text(yaml.safe_dump(config))

    class TorchUncertaintyCLI(LightningCLI):
        def add_arguments_to_parser(self, parser: Any) -> None:
            parser.add_argument("--eval_after_fit", action="store_true")

    module, datamodule = lightning_classes()
    RECORDED.clear()
    TorchUncertaintyCLI(
        module,
        datamodule,
        args=[
            "fit",
            "--config",
            str(path),
            "--trainer.accelerator=cpu",
            "--trainer.precision=32-true",
            "--trainer.logger=false",
            "--trainer.enable_checkpointing=false",
            "--trainer.enable_progress_bar=false",
            "--trainer.enable_model_summary=false",
        ],
        save_config_callback=None,
    )

    assert len(RECORDED) == 200
    assert sorted(set(RECORDED)) == pytest.approx([1e-5, 1e-4, 1e-3], rel=1e-12)
    per_epoch = planned(run, real)  # lrplan reads the real file itself
    expected = pytest.approx(RECORDED, rel=1e-12, abs=1e-18)
    assert [per_epoch[step // 2] for step in range(200)] == expected


# --- Hydra ----------------------------------------------------------------------------------------


def test_hydra_instantiate_on_quadras_scheduler_group(run, tmp_path: Path) -> None:
    """quadra's ``scheduler/warmrestart.yaml`` group file (CosineAnnealingWarmRestarts with
    ``T_0: ${trainer.max_epochs}``), composed by Hydra as a group option and instantiated as
    quadra's task does (``instantiate(config.scheduler, optimizer=optimizer)``), stepped once
    per epoch (quadra's ``lr_scheduler_interval="epoch"``).

    The run's length is the one value given from outside, the same way on both sides: Hydra's
    override ``+trainer.max_epochs=12`` and lrplan's ``--set trainer.max_epochs=12`` (in quadra
    the trainer group sets it). The lr comes from quadra's optimizer group (adam.yaml, lr
    0.001), not this file: ``--lr 1e-3`` to lrplan, ``Adam(lr=1e-3)`` to the scheduler.
    Nothing is overridden. (Needs hydra-core.)"""
    pytest.importorskip("hydra")
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    group = tmp_path / "configs" / "scheduler"
    group.mkdir(parents=True)
    real = CONFIGS / "quadra__scheduler_warmrestart.yaml"
    (group / "warmrestart.yaml").write_bytes(real.read_bytes())
    with initialize_config_dir(config_dir=str(group.parent), version_base=None):
        config = compose(overrides=["+scheduler=warmrestart", "+trainer.max_epochs=12"])

    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([parameter], lr=1e-3)
    scheduler = instantiate(config.scheduler, optimizer=optimizer)
    lrs = []
    for _ in range(config.trainer.max_epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()

    assert type(scheduler).__name__ == "CosineAnnealingWarmRestarts"
    options = ["--set", "trainer.max_epochs=12", "--lr", "1e-3"]
    assert planned(run, real, *options) == pytest.approx(lrs, rel=1e-12, abs=1e-18)
