"""The files in examples/ run as they are, and do what their comments say."""

from __future__ import annotations

import csv
import io
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from lrplan.inputs.settings import build_config
from tests.formula import formula_lr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EPOCH_LINE = re.compile(r"Epoch (\d+), LR: (\d+\.\d{6})")


def run_train_loop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "train_loop.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def epoch_lines(stdout: str) -> list[tuple[str, str]]:
    """(epoch, rate) of every "Epoch N, LR: X" line."""
    matches = map(EPOCH_LINE.fullmatch, stdout.splitlines())
    return [match.groups() for match in matches if match is not None]


def expected_lines(warmup_epochs: int, epochs: int) -> list[tuple[str, str]]:
    # The script's schedule: WarmupCosLR(min_lr=1e-5, lr=1e-3, ...), as the design document has.
    return [
        (str(epoch), f"{formula_lr(epoch, 1e-3, 1e-5, warmup_epochs, epochs):.6f}")
        for epoch in range(epochs)
    ]


def test_train_loop_with_the_design_documents_defaults() -> None:
    result = run_train_loop()

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "Epoch 0, LR: 0.000333",
        "Epoch 1, LR: 0.000667",
        "Epoch 2, LR: 0.001000",
        "Epoch 3, LR: 0.001000",  # the peak is held for two epochs
    ]
    assert lines[24] == "Epoch 24, LR: 0.000015"  # min_lr is reached only after training
    assert epoch_lines(result.stdout) == expected_lines(warmup_epochs=3, epochs=25)
    before, after = map(float, re.findall(r"\d+\.\d+", lines[-1]))
    assert after < before / 4, lines[-1]  # it does train


def test_train_loop_options_set_the_schedule() -> None:
    result = run_train_loop("--epochs", "6", "--warmup-epochs", "0")

    assert result.returncode == 0, result.stderr
    assert epoch_lines(result.stdout) == expected_lines(warmup_epochs=0, epochs=6)


def test_train_loop_rejects_a_schedule_without_cosine_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In-process (the subprocess runs above cover the script as a whole): it fails before
    # training, and a second torch start-up would only cost time.
    main = runpy.run_path(str(EXAMPLES / "train_loop.py"), run_name="train_loop")["main"]

    with pytest.raises(SystemExit) as exit_info:
        main(["--epochs", "3", "--warmup-epochs", "3"])

    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    # argparse's one-line error after the usage; the program name is sys.argv[0].
    assert captured.err.splitlines()[-1].endswith(
        ": error: epochs=3 must be greater than warmup_epochs=3"
    )


def test_pluto_config_loads_with_its_schedule_keys() -> None:
    config = build_config(EXAMPLES / "train_pluto.yaml")

    assert (config.lr, config.warmup_epochs, config.epochs, config.min_lr) == (1e-3, 3, 25, 1e-5)
    assert config.interval == "epoch"


def test_pluto_config_documents_how_to_use_it() -> None:
    text = (EXAMPLES / "train_pluto.yaml").read_text(encoding="utf-8")

    assert "lrplan show --config examples/train_pluto.yaml" in text
    # Keys of a real training config that are not schedule keys are there, and ignored.
    assert re.search(r"^weight_decay:", text, re.MULTILINE)
    assert re.search(r"^batch_size:", text, re.MULTILINE)


def test_hydra_example_documents_commands_that_run(run) -> None:
    text = (EXAMPLES / "hydra_training.yaml").read_text(encoding="utf-8")
    commands = re.findall(r"^#\s{2,}lrplan (.+)$", text, re.MULTILINE)

    assert commands == [
        "check --config examples/hydra_training.yaml",
        "show --config examples/hydra_training.yaml --set epochs=50",
    ]
    documents = []
    for command in commands:
        args = [
            str(EXAMPLES.parent / a) if a.startswith("examples/") else a for a in command.split()
        ]
        result = run(*args, "--json")
        assert result.exit_code == 0, result.output
        documents.append(json.loads(result.stdout))
    checked, shown = documents
    assert checked["passed"] is True
    assert (shown["config"]["epochs"], shown["config"]["min_lr"]) == (50, 1e-6)
    assert shown["rows"][49]["lr"] == pytest.approx(formula_lr(49, 1e-3, 1e-6, 3, 50), rel=1e-12)


# --- examples/make_logs.py and the logs it wrote ------------------------------------------------

LOG_COLUMNS = ["epoch", "lr-AdamW", "step", "train_loss_epoch", "train_loss_step", "val_loss"]


def test_make_logs_trains_and_writes_lightnings_layout(run, tmp_path: Path) -> None:
    # Fewer epochs than the shipped logs, to stay quick; the schedules are the presets'.
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "make_logs.py"),
            "diverging",
            "healthy",
            "--epochs",
            "6",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "diverging.csv",
        "diverging.yaml",
        "healthy.csv",
        "healthy.yaml",
    ]
    text = (tmp_path / "healthy.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(LOG_COLUMNS)
    # The monitor's row opens each epoch, without an epoch; the step loss every 50 steps.
    assert lines[1] == ",0.03333333333333333,0,,,"
    assert re.fullmatch(r"0,,49,,[0-9.e-]+,", lines[2])

    diverged = run(
        "diagnose",
        str(tmp_path / "diverging.csv"),
        "--config",
        str(tmp_path / "diverging.yaml"),
        "--json",
    )
    assert diverged.exit_code == 0, diverged.output
    document = json.loads(diverged.stdout)
    assert document["symptom"] == "diverging"
    assert document["lr_check"]["follows_plan"] is True
    assert document["lr_check"]["compared"] == 6
    assert [row["planned_lr"] for row in document["rows"]] == pytest.approx(
        [formula_lr(epoch, 3.0, 1e-5, 3, 25) for epoch in range(6)], rel=1e-12
    )


def test_make_logs_refuses_an_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(EXAMPLES / "make_logs.py"), run_name="make_logs")["main"]
    with pytest.raises(SystemExit) as exit_info:
        main(["healthier"])
    assert exit_info.value.code == 2
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line.endswith(
        "error: unknown preset 'healthier'; give any of healthy, slow, plateau, diverging,"
        " resumed, step-interval"
    )


@pytest.mark.parametrize(
    "name", ["healthy", "slow", "plateau", "diverging", "resumed", "step-interval"]
)
def test_the_shipped_logs_and_their_plans(name: str) -> None:
    with open(EXAMPLES / "logs" / f"{name}.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == LOG_COLUMNS
    assert len([row for row in rows if row["train_loss_epoch"]]) == 25
    assert all(row["epoch"] == "" for row in rows if row["lr-AdamW"])
    config = build_config(EXAMPLES / "logs" / f"{name}.yaml")
    first_lr = float(rows[0]["lr-AdamW"])
    assert first_lr == pytest.approx(
        formula_lr(0, config.lr, config.min_lr, config.warmup_epochs, config.epochs), rel=1e-12
    )


def test_make_logs_writes_the_rows_lightnings_csvlogger_writes() -> None:
    """tests/data/lightning_metrics.csv was written by Lightning 2.6.6's CSVLogger for a module
    logging train_loss (on_step and on_epoch) and val_loss, with LearningRateMonitor(
    logging_interval="epoch"), AdamW and WarmupCosLR(lr=0.1, min_lr=1e-5, warmup_epochs=3,
    epochs=12) stepped per epoch: 12 epochs of 32 steps. make_logs.py, set to the same run,
    fills the same cells of the same rows."""
    real = (Path(__file__).parent / "data" / "lightning_metrics.csv").read_text(encoding="utf-8")
    namespace = runpy.run_path(str(EXAMPLES / "make_logs.py"), run_name="make_logs")
    train = namespace["train"]
    train.__globals__["STEPS_PER_EPOCH"] = 32
    preset = namespace["Preset"]("as the Lightning run", 0.1, 1e-5, 3, 12)
    made = train(preset)

    def layout(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        # Which cells a row fills, with its epoch and step: the values differ, the rows not.
        return [
            (row["epoch"], row["step"], *sorted(k for k, v in row.items() if v not in ("", None)))
            for row in rows
        ]

    real_rows = list(csv.DictReader(io.StringIO(real)))
    made_rows = [
        {key: str(value) for key, value in row.items()} | {"epoch": str(row.get("epoch", ""))}
        for row in made.rows
    ]
    assert real.splitlines()[0] == ",".join(LOG_COLUMNS)
    assert layout(made_rows) == layout(real_rows)
    # And the learning rates are the same: the same scheduler, stepped the same way.
    assert [r["lr-AdamW"] for r in made_rows if "lr-AdamW" in r] == [
        r["lr-AdamW"] for r in real_rows if r["lr-AdamW"]
    ]


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "first", "warning"),
    [
        (
            "lightning_callback.py",
            "lrplan: CosineAnnealingLR(optimizer, T_max=3, eta_min=1e-05), stepped every step"
            " over 3 epochs of 8 optimizer steps: 24 rates planned to the end of the run",
            "CosineAnnealingLR has T_max=3, the number of epochs the run trains",
        ),
        (
            "hf_callback.py",
            "lrplan: LambdaLR(get_cosine_schedule_with_warmup: num_warmup_steps=2,"
            " num_training_steps=12, num_cycles=0.5), stepped every optimizer step over"
            " max_steps=18: 18 rates planned to the end of the run",
            "get_cosine_schedule_with_warmup has num_training_steps=12, but the run steps it"
            " 18 times",
        ),
    ],
)
def test_the_callback_examples_plan_the_run_and_stop_a_strict_mistake(
    name: str, first: str, warning: str
) -> None:
    # One run each (importing the frameworks takes seconds): the mistake, planned and stopped.
    stopped = run_example(name, "--mistake", "--strict")

    assert stopped.returncode == 1
    assert first in stopped.stdout + stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith("error: lrplan stopped the run before its first step: " + warning)
