"""`lrplan show`: every number it prints matches the formula; exports; bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.formula import formula_lr

ANSI = re.compile(r"\x1b\[")

CONFIGS = [
    # lr, min_lr, warmup, epochs
    (1e-3, 1e-5, 3, 25),
    (5e-4, 0.0, 0, 10),
    (0.1, 1e-4, 1, 7),
    (3e-4, 3e-4, 2, 5),
    (2.5e-3, 1e-6, 10, 90),
]


def _args(lr: float, min_lr: float, warmup: int, epochs: int) -> list[str]:
    return [
        "--lr",
        repr(lr),
        "--min-lr",
        repr(min_lr),
        "--warmup-epochs",
        str(warmup),
        "--epochs",
        str(epochs),
    ]


@pytest.mark.parametrize(("lr", "min_lr", "warmup", "epochs"), CONFIGS)
def test_csv_to_stdout_matches_the_formula(run, lr, min_lr, warmup, epochs) -> None:
    result = run("show", *_args(lr, min_lr, warmup, epochs), "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(row["epoch"]) for row in rows] == list(range(epochs))
    for row in rows:
        k = int(row["epoch"])
        assert float(row["lr"]) == pytest.approx(
            formula_lr(k, lr, min_lr, warmup, epochs), rel=1e-12
        )
        assert row["phase"] == ("warm-up" if k < warmup else "cosine")


def test_step_mode_csv_has_a_row_per_step(run) -> None:
    result = run(
        "show",
        "--epochs",
        "6",
        "--warmup-epochs",
        "2",
        "--interval",
        "step",
        "--steps-per-epoch",
        "7",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "step", "phase", "lr"]
    assert len(rows) == 42
    for row in rows:
        step = int(row["step"])
        assert int(row["epoch"]) == step // 7
        expected = formula_lr(step, 1e-3, 1e-5, 14, 42)
        assert float(row["lr"]) == pytest.approx(expected, rel=1e-12)


def test_table_shows_the_design_documents_example(run) -> None:
    result = run("show", "--lr", "1e-3", "--epochs", "25")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ANSI.search(out) is None
    table_rows = {
        int(match.group(1)): (match.group(2), float(match.group(3)))
        for match in re.finditer(r"│\s+(\d+) │ (warm-up|cosine)\s+│\s+([0-9.e+-]+) │", out)
    }
    assert sorted(table_rows) == list(range(25))
    for epoch, (_phase, shown) in table_rows.items():
        assert shown == pytest.approx(formula_lr(epoch, 1e-3, 1e-5, 3, 25), rel=5e-4)
    assert table_rows[5][1] == pytest.approx(9.799e-4)
    assert table_rows[24][1] == pytest.approx(1.504e-5)
    assert "1.000e-03 at epochs 2 and 3" in out
    assert "1.504e-05 at epoch 24" in out
    flat = " ".join(out.split())
    assert "held for 2 epochs" in flat
    assert "min_lr is reached only at epoch 25" in flat
    assert "build WarmupCosLR with epochs=24 while training 25 epochs" in flat
    assert "rises again" in flat


def test_long_schedule_is_elided_and_all_shows_every_row(run) -> None:
    short = run("show", "--epochs", "200")
    full = run("show", "--epochs", "200", "--all")
    epochs_in = lambda text: set(map(int, re.findall(r"│\s+(\d+) │ (?:warm-up|cosine)", text)))  # noqa: E731
    assert epochs_in(short.stdout) == set(range(10)) | set(range(190, 200))
    assert "180 of 200 epochs not shown" in short.stdout
    assert epochs_in(full.stdout) == set(range(200))


def test_all_refuses_a_table_too_long_for_a_terminal(run) -> None:
    result = run(
        "show", "--epochs", "100", "--interval", "step", "--steps-per-epoch", "1000", "--all"
    )
    assert result.exit_code == 2
    assert "--csv" in result.stderr and "100,000" in result.stderr


def test_plot_draws_a_chart(run) -> None:
    result = run("show", "--epochs", "30", "--plot")
    assert result.exit_code == 0
    chart_lines = [
        line
        for line in result.stdout.splitlines()
        if line.strip().startswith(("│", "┤")) or "┤" in line
    ]
    assert len(chart_lines) >= 8
    assert "epoch 0" in result.stdout and "epoch 29" in result.stdout


def test_no_color_and_pipes_have_no_ansi(run, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = run("show", "--plot")
    assert result.exit_code == 0
    assert ANSI.search(result.output) is None


def test_json_is_one_document_with_schema(run) -> None:
    result = run("show", "--epochs", "12", "--warmup-epochs", "2", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 2
    assert document["config"]["epochs"] == 12 and document["config"]["lr"] == 1e-3
    assert [row["epoch"] for row in document["rows"]] == list(range(12))
    for row in document["rows"]:
        assert row["lr"] == pytest.approx(formula_lr(row["epoch"], 1e-3, 1e-5, 2, 12), rel=1e-12)
    summary = document["summary"]
    assert summary["peak_at"] == [1, 2]
    assert summary["last_trained_lr"] == pytest.approx(formula_lr(11, 1e-3, 1e-5, 2, 12))
    assert {insight["code"] for insight in document["insights"]} >= {
        "peak-held",
        "floor-not-reached",
        "rises-past-end",
    }
    keys = {"code", "level", "message", "fix", "changes"}
    assert all(set(i) == keys for i in document["insights"])


def test_csv_file_reads_back_to_the_same_numbers(run, tmp_path: Path) -> None:
    target = tmp_path / "lr.csv"
    result = run(
        "show", "--epochs", "9", "--warmup-epochs", "2", "--min-lr", "0", "--csv", str(target)
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    # repr() in the CSV reads back to the very float the scheduler produced.
    assert [float(r["lr"]) for r in rows] == pytest.approx(
        [formula_lr(k, 1e-3, 0.0, 2, 9) for k in range(9)], rel=1e-15
    )
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_png_option_writes_the_format_of_the_suffix(run, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"lr{suffix}"
    result = run("show", "--png", str(target))
    assert result.exit_code == 0, result.output
    head = target.read_bytes()[:8]
    magic = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[suffix]
    assert head.startswith(magic)
    assert list(tmp_path.iterdir()) == [target]


def test_config_file_and_override(run, tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text(
        "warm_up_lr_scheduler: warmup_cos\nlr: 1e-3\nwarmup_epochs: 3\nepochs: 25\n"
        "min_lr: 1e-6\nbatch_size: 64\n"
    )
    from_file = json.loads(run("show", "--config", str(config), "--json").stdout)
    assert from_file["config"] | {"label": ""} == {
        "lr": 1e-3,
        "min_lr": 1e-6,
        "warmup_epochs": 3,
        "epochs": 25,
        "interval": "epoch",
        "steps_per_epoch": 1,
        "label": "",
        "scheduler": "warmup_cos",
        "params": {},
    }
    overridden = json.loads(run("show", "--config", str(config), "--epochs", "10", "--json").stdout)
    assert overridden["config"]["epochs"] == 10
    assert overridden["config"]["min_lr"] == 1e-6
    assert len(overridden["rows"]) == 10


BAD_VALUES = [
    (["--lr", "-1"], "--lr"),
    (["--lr", "0"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--lr", "inf"], "--lr"),
    (["--min-lr", "-1e-5"], "--min-lr"),
    (["--min-lr", "1e-2"], "--min-lr"),
    (["--min-lr", "nan"], "--min-lr"),
    (["--warmup-epochs", "-1"], "--warmup-epochs"),
    (["--warmup-epochs", "25"], "--epochs"),
    (["--warmup-epochs", "30"], "--epochs"),
    (["--epochs", "0"], "--epochs"),
    (["--interval", "step"], "--steps-per-epoch"),
    (["--interval", "step", "--steps-per-epoch", "0"], "--steps-per-epoch"),
    (["--steps-per-epoch", "10"], "--interval"),
    (["--png", "out.gif"], "--png"),
    (["--png", "no/such/folder/out.png"], "--png"),
    (["--csv", "no/such/folder/out.csv"], "--csv"),
    (["--json", "--csv", "-"], "--json"),
]


@pytest.mark.parametrize(("args", "option"), BAD_VALUES)
def test_bad_values_are_one_line_exit_2_and_write_nothing(
    run, tmp_path: Path, monkeypatch, args: list[str], option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("show", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert option in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


BAD_CONFIGS = {
    "missing": None,
    "malformed": "lr: [1e-3\n",
    "list": "- lr: 1e-3\n",
    "scalar": "just text\n",
    "python-tag": "lr: !!python/object/apply:os.system ['echo hacked']\n",
    "bad-value": "lr: fast\n",
    "bool-value": "epochs: true\n",
    "binary": b"\xff\xfe\x00garbage",
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_files_are_one_line_exit_2(run, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    content = BAD_CONFIGS[name]
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / "out.csv"
    result = run("show", "--config", str(path), "--csv", str(out))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--config" in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_config_that_is_a_folder(run, tmp_path: Path) -> None:
    result = run("show", "--config", str(tmp_path))
    assert result.exit_code == 2
    assert "folder" in result.stderr


def test_a_config_giving_a_key_twice_is_refused(run, tmp_path: Path) -> None:
    config = tmp_path / "dup.yaml"
    config.write_text("lr: 1e-3\nepochs: 10\nlr: 2e-3\n")
    result = run("show", "--config", str(config))
    assert result.exit_code == 2
    assert "duplicate key 'lr'" in result.stderr and "line 3" in result.stderr


@pytest.mark.parametrize("label", ["epoch", "step", "ratio"])
def test_compare_refuses_labels_that_name_a_column(run, label: str) -> None:
    result = run("compare", f"lr=1e-3,label={label}", "lr=5e-4", "--csv", "-")
    assert result.exit_code == 2
    assert f"labelled {label!r}" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["show", "check"])
@pytest.mark.parametrize(
    ("scheduler", "extra"), [("cosine", []), ("cosine_restarts", ["--param", "T_0=4"])]
)
def test_an_option_a_param_would_override_is_refused(run, command, scheduler, extra) -> None:
    """--min-lr fills eta_min; --param eta_min gives it too: the option would be dropped in
    silence, so both are named in one line (as --lr with --set lr), nothing planned."""
    args = ["--scheduler", scheduler, "--min-lr", "1e-5", "--param", "eta_min=0.0001", *extra]

    result = run(command, *args)

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "lrplan: error: --min-lr 1e-05 and --param eta_min=0.0001 both set"
        f" {'CosineAnnealingLR' if scheduler == 'cosine' else 'CosineAnnealingWarmRestarts'}'s"
        " eta_min; give one of them"
    )
    # Either one alone plans, with the floor it gives.
    for alone in (["--min-lr", "1e-4"], ["--param", "eta_min=1e-4"]):
        kept = run("show", "--scheduler", scheduler, *extra, *alone, "--epochs", "4", "--json")
        assert kept.exit_code == 0, kept.output
        assert "eta_min=0.0001" in json.loads(kept.stdout)["constructor"]


def test_an_option_and_a_files_argument_for_it_are_refused(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 0.1\nepochs: 10\nscheduler: cosine\nscheduler_params: {eta_min: 0.01}\n")

    result = run("show", "--config", str(path), "--min-lr", "1e-5")

    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "--min-lr 1e-05 and scheduler_params.eta_min = 0.01 in --config" in line
    assert line.endswith("drop --min-lr, or give --param eta_min=VALUE in its place to override"
                         " the file's")  # fmt: skip
    fixed = run("show", "--config", str(path), "--param", "eta_min=1e-5", "--json")
    assert json.loads(fixed.stdout)["config"]["params"] == {"eta_min": 1e-5}


def test_a_spec_giving_min_lr_and_eta_min_is_refused(run) -> None:
    result = run("compare", "scheduler=cosine,min_lr=1e-5,param.eta_min=0.1", "scheduler=cosine")

    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "min_lr=1e-05 and param.eta_min=0.1 both set CosineAnnealingLR's eta_min; give one of them"
    )
