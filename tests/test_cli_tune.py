"""`lrplan tune`: the guide's remedies through the CLI, checked against the formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.formula import formula_lr
from tests.test_cli import _imported_modules
from tests.test_cli_compare import lr_rows, metric_row


def test_tune_alone_lists_the_symptoms_one_line_each(run) -> None:
    result = run("tune")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "lrplan tune SYMPTOM: the tuning guide's remedies"
    assert [line.split()[0] for line in lines[1:]] == [
        "diverging",
        "slow",
        "plateau",
        "overfitting",
    ]
    assert "diverges early" in lines[1]
    assert "slow" in lines[2] and "plateaus" in lines[3]


def test_help_states_the_rules_and_imports_nothing_heavy(run) -> None:
    result = run("tune", "--help")
    flat = " ".join(result.stdout.split())
    assert "diverging: lr × 0.5; warmup_epochs × 5/3, rounded, at least 2" in flat
    assert "slow: lr × 10; warmup_epochs × 2/5, rounded, 1 becoming 2; min_lr kept" in flat
    assert "plateau: epochs × 2; min_lr × 0.1" in flat
    for args in (["tune", "--help"], ["tune"]):
        modules = _imported_modules(*args)
        assert "typer" in modules
        assert "torch" not in modules and "matplotlib" not in modules


# The guide's table: symptom, base options, expected tuned (lr, min_lr, warmup, epochs).
GUIDE = [
    ("diverging", ["--warmup-epochs", "3", "--lr", "1e-3"], (5e-4, 1e-5, 5, 25)),
    ("slow", ["--warmup-epochs", "5", "--lr", "1e-4"], (1e-3, 1e-5, 2, 25)),
    ("plateau", ["--min-lr", "1e-5", "--epochs", "25"], (1e-3, 1e-6, 3, 50)),
]


@pytest.mark.parametrize(("symptom", "options", "tuned"), GUIDE, ids=[g[0] for g in GUIDE])
def test_the_guides_examples_come_out_exactly(run, symptom, options, tuned) -> None:
    result = run("tune", symptom, *options, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    base, found = (candidate["config"] for candidate in document["candidates"])
    assert (found["lr"], found["min_lr"], found["warmup_epochs"], found["epochs"]) == tuned
    assert (base["label"], found["label"]) == ("base", "tuned")
    assert document["command"] == "tune"
    assert document["tune"]["symptom"] == symptom
    assert document["tune"]["adjustments"] == []
    # Every rate of both schedules is the formula's.
    for row in document["rows"]:
        k = row["epoch"]
        for lr, config in zip(row["lrs"], (base, found), strict=True):
            if k < config["epochs"]:
                expected = formula_lr(
                    k, config["lr"], config["min_lr"], config["warmup_epochs"], config["epochs"]
                )
                assert lr == pytest.approx(expected, rel=1e-12)
            else:
                assert lr is None


def test_the_terminal_shows_the_change_the_reason_and_both_schedules(run) -> None:
    result = run("tune", "diverging")
    assert result.exit_code == 0, result.output
    out = result.stdout
    flat = " ".join(out.split())
    assert out.startswith("lrplan tune diverging: base and tuned")
    assert "change lr 0.001 → 0.0005 warmup_epochs 3 → 5" in flat
    assert "A longer warm-up climbs to the peak more gently" in flat
    assert "rule lr × 0.5" in flat
    rows = lr_rows(out)
    assert sorted(rows) == list(range(25))
    for epoch, (base, tuned, ratio) in rows.items():
        expected_base = formula_lr(epoch, 1e-3, 1e-5, 3, 25)
        expected_tuned = formula_lr(epoch, 5e-4, 1e-5, 5, 25)
        assert float(base) == pytest.approx(expected_base, rel=5e-4)
        assert float(tuned) == pytest.approx(expected_tuned, rel=5e-4)
        assert float(ratio[:-1]) == pytest.approx(expected_tuned / expected_base, rel=5e-3)
    assert "ratio: tuned ÷ base" in out
    assert metric_row(out, "peak lr") == ["1.000e-03", "5.000e-04"]
    assert metric_row(out, "peak epochs") == ["2–3", "4–5"]
    assert "adjusted" not in out


def test_an_adjusted_remedy_says_so(run) -> None:
    result = run("tune", "diverging", "--warmup-epochs", "3", "--epochs", "5", "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "base", "tuned"]
    for row in rows:
        k = int(row["epoch"])
        assert float(row["tuned"]) == pytest.approx(formula_lr(k, 5e-4, 1e-5, 4, 5), rel=1e-12)

    shown = run("tune", "diverging", "--warmup-epochs", "3", "--epochs", "5")
    flat = " ".join(shown.stdout.split())
    assert "adjusted warmup_epochs 5 → 4: the warm-up must be shorter than epochs=5" in flat


def test_plateau_leaves_the_ended_base_blank(run) -> None:
    result = run("tune", "plateau", "--epochs", "10", "--warmup-epochs", "2", "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 20
    assert all(row["base"] == "" for row in rows[10:])
    for row in rows:
        k = int(row["epoch"])
        assert float(row["tuned"]) == pytest.approx(formula_lr(k, 1e-3, 1e-6, 2, 20), rel=1e-12)


def test_base_from_a_config_file_with_an_override(run, tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("lr: 2e-3\nwarmup_epochs: 6\nepochs: 30\nmin_lr: 1e-6\n")
    result = run("tune", "slow", "--config", str(config), "--epochs", "40", "--json")
    assert result.exit_code == 0, result.output
    base, tuned = (c["config"] for c in json.loads(result.stdout)["candidates"])
    assert (base["lr"], base["warmup_epochs"], base["epochs"]) == (2e-3, 6, 40)
    # lr × 10, warm-up 6 × 2/5 = 2.4 → 2, min_lr kept.
    assert (tuned["lr"], tuned["warmup_epochs"], tuned["min_lr"]) == (2e-2, 2, 1e-6)


def test_step_mode_tunes_in_epochs_and_plans_in_steps(run) -> None:
    result = run(
        "tune",
        "diverging",
        "--epochs",
        "6",
        "--interval",
        "step",
        "--steps-per-epoch",
        "3",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "step", "base", "tuned"]
    for row in rows:
        k = int(row["step"])
        # warm-up 3 → 5 epochs: 15 of 18 steps.
        assert float(row["tuned"]) == pytest.approx(formula_lr(k, 5e-4, 1e-5, 15, 18), rel=1e-12)


def test_png_overlays_base_and_tuned(run, tmp_path: Path) -> None:
    target = tmp_path / "tune.svg"
    result = run("tune", "plateau", "--png", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "<!-- base -->" in text and "<!-- tuned -->" in text
    assert "<!-- lrplan tune plateau: base and tuned -->" in text


BAD = [
    (["diverge"], "unknown symptom 'diverge'; give one of diverging, slow, plateau"),
    (["--lr", "1e-3"], "tune needs a SYMPTOM: one of diverging, slow, plateau"),
    (["--csv", "out.csv"], "tune needs a SYMPTOM"),
    (["slow", "--lr", "-1"], "invalid --lr"),
    (["slow", "--warmup-epochs", "25"], "invalid --warmup-epochs"),
    (["slow", "--config", "missing.yaml"], "--config missing.yaml: no such file"),
    (["slow", "--png", "out.gif"], "--png"),
    (["slow", "--json", "--csv", "-"], "--json"),
    (["slow", "plateau"], "unexpected extra argument(s) (plateau)"),
]


@pytest.mark.parametrize(("args", "expected"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    run, tmp_path: Path, monkeypatch, args: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    export = [] if "--csv" in args else ["--csv", "out.csv"]
    result = run("tune", *args, *export)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_tune_reads_a_nested_config_with_set(run) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    result = run(
        "tune", "plateau", "--config", str(examples / "hydra_training.yaml"),
        "--set", "epochs=30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    base, tuned = (candidate["config"] for candidate in document["candidates"])
    # hydra_training.yaml: min_lr 1e-6 in lr_scheduler, epochs interpolated from the top level.
    assert (base["epochs"], base["min_lr"]) == (30, 1e-6)
    assert (tuned["epochs"], tuned["min_lr"]) == (60, 1e-7)
