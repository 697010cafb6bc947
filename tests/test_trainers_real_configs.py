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
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from tests.hf_tiny import SAMPLES, Numbers, Tiny, rate_recorder

pytestmark = pytest.mark.filterwarnings("ignore")  # the trainers' own CPU and deprecation noise

CONFIGS = Path(__file__).parent / "data" / "configs"


def planned(run: Any, path: Path, *args: str) -> list[float]:
    result = run("show", "--config", str(path), *args, "--json")
    assert result.exit_code == 0, result.output
    return [row["lr"] for row in json.loads(result.stdout)["rows"]]


# --- Hugging Face Trainer ---------------------------------------------------------------------


def test_hugging_face_trainer_on_open_r1s_recipe(run, tmp_path: Path) -> None:
    """open-r1's OlympicCoder SFT recipe (cosine_with_min_lr, min_lr_rate 0.1, 10 epochs,
    batch 2, accumulation 8), read by HfArgumentParser as the Trainer reads it."""
    transformers = pytest.importorskip("transformers")
    text = (CONFIGS / "openr1__olympiccoder_7b_sft.yaml").read_text()
    # The one change to the file, for both sides alike: transformers 5 has no warmup_ratio
    # (HfArgumentParser refuses it); lrplan's own error says to rename it warmup_steps, which
    # transformers 5 reads as the same share of the run when below 1.
    assert "\nwarmup_ratio: 0.03" in text
    path = tmp_path / "olympiccoder_7b_sft.yaml"
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
    # The model's and dataset's keys belong to TRL's other dataclasses, not TrainingArguments.
    (training_arguments,) = parser.parse_dict(arguments, allow_extra_keys=True)

    record = rate_recorder()
    torch.manual_seed(0)
    transformers.Trainer(
        model=Tiny(), args=training_arguments, train_dataset=Numbers(), callbacks=[record]
    ).train()

    # 40 samples / batch 2 = 20 batches, / accumulation 8 = 3 optimizer steps, 10 epochs.
    assert len(record.lrs) == 30
    expected = pytest.approx(record.lrs, rel=1e-12, abs=1e-18)
    assert planned(run, path, "--dataset-size", str(SAMPLES)) == expected
