"""The files in examples/ run as they are, and do what their comments say."""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from lrplan.config import build_config
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
