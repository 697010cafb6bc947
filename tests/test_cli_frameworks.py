"""The framework schedules on the command line: show, compare and JSON, and the one-line
errors (a missing extra, a metric-driven schedule)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lrplan import LrplanError, ScheduleConfig, plan


def test_show_plans_hugging_face_cosine(run) -> None:
    result = run(
        "show",
        "--scheduler",
        "hf:cosine",
        "--param",
        "num_warmup_steps=150",
        "--lr",
        "2e-5",
        "--epochs",
        "3",
        "--interval",
        "step",
        "--steps-per-epoch",
        "500",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 1500
    assert rows[0].endswith(",0.0") and rows[150].endswith(",2e-05")


def test_deepspeed_json_is_json(run) -> None:
    """Importing deepspeed prints on stdout; lrplan keeps that out of --json."""
    result = run(
        "show",
        "--scheduler",
        "deepspeed:WarmupLR",
        "--param",
        "warmup_num_steps=100",
        "--lr",
        "3e-4",
        "--epochs",
        "2",
        "--interval",
        "step",
        "--steps-per-epoch",
        "100",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["command"] == "show"
    codes = [insight["code"] for insight in document["insights"]]
    assert "deepspeed-log-warmup" in codes


def test_compare_names_framework_schedules(run) -> None:
    result = run(
        "compare",
        "lr=0.1,min_lr=0,warmup_epochs=3,epochs=25,label=ours",
        "scheduler=hf:cosine,lr=0.1,epochs=25,param.num_warmup_steps=3,label=hf",
        "scheduler=timm:cosine,lr=0.1,epochs=25,param.num_epochs=22,param.warmup_epochs=3,"
        "param.warmup_lr=0,param.warmup_prefix=True,label=timm",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "epoch,ours,hf,timm"
    # Hugging Face's and timm's (warmup_prefix) start at 0, one epoch behind WarmupCosLR.
    hf = [float(line.split(",")[2]) for line in lines[1:]]
    timm = [float(line.split(",")[3]) for line in lines[1:]]
    assert hf[0] == timm[0] == 0.0
    assert hf == pytest.approx(timm, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--scheduler", "hf:reduce_lr_on_plateau"],
            "Trainer steps ReduceLROnPlateau with metrics measured in training",
        ),
        (["--scheduler", "timm:plateau"], "timm's plateau schedule follows an eval metric"),
        (["--scheduler", "deepspeed:Warmup"], "'Warmup' is not a DeepSpeed scheduler type"),
        (["--scheduler", "hf:cosin"], "'cosin' is not an lr_scheduler_type of transformers"),
    ],
)
def test_refusals_are_one_line(run, args: list[str], expected: str) -> None:
    result = run("show", *args, "--epochs", "10")
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_framework_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers.optimization", None)
    with pytest.raises(LrplanError, match=r"pip install 'lrplan\[hf\]'$"):
        plan(ScheduleConfig(lr=1e-3, epochs=5, scheduler="hf:linear"))


@pytest.mark.parametrize(
    "args",
    [
        ["--scheduler", "hf:cosine"],
        ["--scheduler", "timm.scheduler:CosineLRScheduler", "--param", "t_initial=10"],
    ],
)
def test_resume_refuses_framework_schedules(run, args: list[str]) -> None:
    result = run("resume", "--at", "5", "--epochs", "10", *args)
    assert result.exit_code == 2
    assert "is resumed by" in result.stderr and result.stderr.count("\n") == 1


CONFIGS = __import__("pathlib").Path(__file__).parent / "data" / "configs"


def llamafactory_for_transformers_5(tmp_path: Path) -> Path:
    """LLaMA-Factory's recipe with its transformers 4 warmup_ratio renamed warmup_steps, as
    lrplan's refusal of the key under transformers 5 says to."""
    text = (CONFIGS / "llamafactory__llama3_lora_sft.yaml").read_text()
    path = tmp_path / "llama3_lora_sft.yaml"
    path.write_text(text.replace("warmup_ratio:", "warmup_steps:"))
    return path


def test_a_spec_plans_a_framework_config(run, tmp_path) -> None:
    """A compare SPEC naming TrainingArguments plans Trainer's schedule; steps per epoch from the
    SPEC (a SPEC has no dataset size)."""
    path = llamafactory_for_transformers_5(tmp_path)
    result = run(
        "compare",
        f"{path},steps_per_epoch=137,label=file",
        "scheduler=hf:cosine,lr=1e-4,epochs=3,param.num_warmup_steps=42,label=by-hand",
        "--interval",
        "step",
        "--steps-per-epoch",
        "137",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "epoch,step,file,by-hand" and len(lines) == 1 + 411
    assert all(line.split(",")[2] == line.split(",")[3] for line in lines[1:])


def test_show_a_training_arguments_file_with_its_deepspeed_config(run, tmp_path) -> None:
    (tmp_path / "ds.json").write_text(
        (CONFIGS / "transformers__ds_config_zero2_auto.json").read_text()
    )
    config = tmp_path / "args.yaml"
    config.write_text(
        "learning_rate: 3.0e-5\nnum_train_epochs: 2\nper_device_train_batch_size: 4\n"
        "warmup_steps: 0.1\ndeepspeed: ds.json\n"
    )
    result = run("show", "--config", str(config), "--dataset-size", "400", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["config"]["scheduler"] == "deepspeed:WarmupLR"
    assert document["config"]["params"] == {
        "warmup_min_lr": 0,
        "warmup_max_lr": 3e-5,
        "warmup_num_steps": 20,
    }
    assert document["sources"]["param.warmup_num_steps"].startswith("auto: max(1, warmup_steps")
    codes = [insight["code"] for insight in document["insights"]]
    assert "deepspeed-log-warmup" in codes


def test_options_that_a_framework_config_does_not_use_are_refused(run, tmp_path) -> None:
    path = llamafactory_for_transformers_5(tmp_path)
    result = run("show", "--config", str(path), "--dataset-size", "100", "--min-lr", "1e-6")
    assert result.exit_code == 2
    assert "--min-lr does not apply to --config" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr_scheduler_type: cosine\nlearning_rate: fast\nmax_steps: 10\n", "'fast' is not valid"),
        ("lr_scheduler_type: cosine\nwarmup_steps: -1\nmax_steps: 10\n", "-1 is not valid"),
        ("lr_scheduler_type: cosine\nmax_steps: 2.5\n", "2.5 is not valid"),
        ("lr_scheduler_type: cosine\nlr_scheduler_kwargs: '{oops'\nmax_steps: 9\n", "not a JSON"),
        ("sched: cosine\nepochs: -3\n", "-3 is not valid"),
        (
            '{"optimizer": {"params": {"lr": 0.001}},'
            ' "scheduler": {"type": "WarmupDecayLR", "params": {"total_num_steps": 0}}}',
            "0 is not valid",
        ),
        ('{"scheduler": {"type": "WarmupCosineLR", "params": {}}}', "no optimizer.params.lr"),
    ],
)
def test_bad_values_in_framework_configs_are_one_line(
    run, tmp_path, text: str, expected: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = run("show", "--config", str(path))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
