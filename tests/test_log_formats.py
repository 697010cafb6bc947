"""The loggers' formats beyond Lightning's CSV: Hugging Face, TensorBoard, W&B, timm; run folders.

Real files from tests/data/logs where one exists; the W&B export is built with the header
W&B's "Export CSV" writes (no labelled real one was found).
"""

from __future__ import annotations

import builtins
import json
import shutil
from pathlib import Path

import pytest

from lrplan.analysis.diagnose import diagnose
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.logs import read_log
from tests.formula import formula_lr

DATA = Path(__file__).resolve().parent / "data" / "logs"


def test_a_hugging_face_trainer_state_is_read_per_step() -> None:
    path = DATA / "hf__DMalakhov1_PROJECT_LORA__trainer_state.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    training = [entry for entry in state["log_history"] if "loss" in entry]
    log = read_log(path)
    assert log.kind == "Hugging Face trainer_state.json"
    assert (log.unit, log.loss.name, log.lr and log.lr.name) == ("step", "loss", "learning_rate")
    assert log.positions == tuple(entry["step"] for entry in training)
    assert log.losses == tuple(entry["loss"] for entry in training)
    assert [(lr.step, lr.lr) for lr in log.lrs] == [
        (entry["step"], entry["learning_rate"]) for entry in training
    ]
    assert (log.planned_steps, log.planned_epochs) == (state["max_steps"], 3)
    assert log.steps_per_epoch == round(state["max_steps"] / 3)


def test_a_trainer_state_with_only_its_summary_cannot_be_judged() -> None:
    found = diagnose(read_log(DATA / "hf__aa-n_Qwen3_Lora__trainer_state.json"), None)
    assert found.symptom == "unjudgeable"
    assert found.reading.evidence[0].startswith("the loss has 1 step: too few")


def test_a_tensorboard_csv_export_is_named_after_its_tag(tmp_path: Path) -> None:
    source = DATA / "tb__Brunogomes97_Imdb__loss.csv"
    target = tmp_path / "run-version_0-tag-train_loss.csv"
    shutil.copy(source, target)
    log = read_log(target)
    assert log.kind == "TensorBoard CSV export"
    assert log.loss.name == "train_loss"
    assert log.unit == "step" and len(log) == 30
    rate = diagnose(read_log(DATA / "tb__Brunogomes97_Imdb__lr.csv"), None)
    assert rate.symptom == "unjudgeable"
    assert "is a learning rate, not a loss" in rate.reading.evidence[0]


def test_a_wandb_csv_export_drops_the_run_name_and_the_min_max_band(tmp_path: Path) -> None:
    header = (
        '"Step","cosmic-3 - train/loss","cosmic-3 - train/loss__MIN","cosmic-3 - train/loss__MAX",'
        '"cosmic-3 - train/lr","cosmic-3 - train/lr__MIN","cosmic-3 - train/lr__MAX"'
    )
    rows = [
        f"{step},{2 * 0.9**step},{2 * 0.9**step},{2 * 0.9**step},0.01,0.01,0.01"
        for step in range(0, 40)
    ]
    path = tmp_path / "wandb_export_2024-05-01T10_00_00.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    log = read_log(path)
    assert log.kind == "W&B CSV export"
    assert (log.loss.name, log.loss.others) == ("train/loss", ())
    assert log.lr is not None and log.lr.name == "train/lr"
    assert log.losses[:2] == pytest.approx([2.0, 1.8])


def test_a_timm_summary_is_read_per_epoch() -> None:
    log = read_log(DATA / "timm__GrantPerkins_CSWin-Transformer__20231001-191140.csv")
    assert (log.kind, log.unit, len(log)) == ("timm summary.csv", "epoch", 60)
    assert log.loss.name == "train_loss" and log.loss.others == ("eval_loss",)


def test_reading_event_files_without_tensorboard_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def without_tensorboard(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_tensorboard)
    with pytest.raises(LrplanError) as raised:
        read_log(DATA / "tensorboard" / "timm_grantperkins")
    message = str(raised.value)
    assert message.endswith(
        "is a TensorBoard event file; reading it needs the tensorboard package:"
        " pip install 'lrplan[tensorboard]'"
    )
    assert "\n" not in message


def test_a_cut_event_file_is_refused(tmp_path: Path) -> None:
    (source,) = (DATA / "tensorboard" / "timm_grantperkins").iterdir()
    cut = tmp_path / source.name
    cut.write_bytes(source.read_bytes()[:-7])
    with pytest.raises(LrplanError, match="is cut short or corrupt: its records end at byte"):
        read_log(cut)


# --- run folders --------------------------------------------------------------------------------


def test_a_run_folder_finds_its_log_below(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    shutil.copy(DATA / "lightning__LarryKwon_IE471__v0.csv", version / "metrics.csv")
    assert read_log(tmp_path).path == version / "metrics.csv"


def test_hugging_face_checkpoints_give_the_latest_trainer_state(tmp_path: Path) -> None:
    for number in (500, 1500, 1000):
        folder = tmp_path / f"checkpoint-{number}"
        folder.mkdir()
        shutil.copy(
            DATA / "hf__Liza2002B_ml2_homework__trainer_state.json", folder / "trainer_state.json"
        )
    assert read_log(tmp_path).path == tmp_path / "checkpoint-1500" / "trainer_state.json"


def test_a_folder_of_several_runs_asks_for_one(tmp_path: Path) -> None:
    for version in ("version_0", "version_1"):
        (tmp_path / version).mkdir()
        shutil.copy(DATA / "lightning__LarryKwon_IE471__v0.csv", tmp_path / version / "metrics.csv")
    with pytest.raises(LrplanError, match=r"holds 2 training logs \(.*version_0/metrics.csv"):
        read_log(tmp_path)


# --- step mode ----------------------------------------------------------------------------------


def test_in_step_mode_a_rows_logged_and_planned_rates_are_of_the_same_step(tmp_path: Path) -> None:
    # 2,000 logged steps, cut into 200 points of 10; the rate is logged at the 4th step of
    # each point, so the planned rate beside it must be the plan's rate of that step.
    config = ScheduleConfig(
        lr=0.1, min_lr=1e-4, warmup_epochs=2, epochs=20, interval="step", steps_per_epoch=100
    )
    lines = ["step,loss,lr"]
    for step in range(2000):
        rate = formula_lr(step, 0.1, 1e-4, 200, 2000)
        lines.append(f"{step},{1 / (1 + step)},{rate if step % 10 == 3 else ''}")
    path = tmp_path / "steps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = diagnose(read_log(path), config)
    assert found.log.steps_per_point == 10
    for row in found.rows:
        assert row.lr_step == row.position + 3
        assert row.logged_lr == pytest.approx(formula_lr(row.lr_step, 0.1, 1e-4, 200, 2000))
        assert row.planned_lr == pytest.approx(row.logged_lr, rel=1e-9)
    assert found.lr_check is not None and found.lr_check.departure is None
