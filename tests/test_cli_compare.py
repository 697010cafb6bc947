"""`lrplan compare`: every number it prints matches the formula; exports; bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import threading
from pathlib import Path

import pytest

from tests.formula import formula_lr
from tests.test_cli import _imported_modules

ANSI = re.compile(r"\x1b\[")
RATE = r"[0-9]\.[0-9]{3}e[+-][0-9]{2}"


def lr_rows(out: str) -> dict[int, list[str]]:
    """``epoch -> cells`` of every data row of the side-by-side table(s) in ``out``."""
    rows: dict[int, list[str]] = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if line.startswith("│") and cells[0].isdigit() and not re.search(r"[a-z]{3}", line):
            rows.setdefault(int(cells[0]), []).extend(cells[1:])
    return rows


def metric_row(out: str, name: str) -> list[str]:
    """The cells of the metrics row called ``name``, across the tables it is split into."""
    found = []
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if line.startswith("│") and cells[0] == name:
            found.extend(cells[1:])
    assert found, f"no metrics row {name!r} in:\n{out}"
    return found


# --- values ---------------------------------------------------------------------------------

CANDIDATES = [
    # (SPEC, lr, min_lr, warmup, epochs)
    ("lr=1e-3", 1e-3, 1e-5, 3, 25),
    ("lr=5e-4,warmup_epochs=5,label=gentle", 5e-4, 1e-5, 5, 25),
    ("epochs=40,min_lr=0,label=long", 1e-3, 0.0, 3, 40),
    ("lr=0.1,warmup_epochs=0,epochs=7,label=pure cosine", 0.1, 1e-5, 0, 7),
]


@pytest.mark.parametrize(
    "chosen", [(0, 1), (1, 2), (0, 3), (2, 3, 0), (0, 1, 2, 3)], ids=lambda c: "+".join(map(str, c))
)
def test_csv_has_a_column_per_candidate_matching_the_formula(run, chosen) -> None:
    candidates = [CANDIDATES[index] for index in chosen]
    result = run("compare", *(c[0] for c in candidates), "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    labels = [c[0].split("label=")[-1] for c in candidates]
    assert rows[0] == ["epoch", *labels]
    longest = max(c[4] for c in candidates)
    assert [int(row[0]) for row in rows[1:]] == list(range(longest))
    for row in rows[1:]:
        epoch = int(row[0])
        for cell, (_, lr, min_lr, warmup, epochs) in zip(row[1:], candidates, strict=True):
            if epoch < epochs:
                expected = formula_lr(epoch, lr, min_lr, warmup, epochs)
                assert float(cell) == pytest.approx(expected, rel=1e-12)
            else:
                assert cell == ""  # a candidate that has ended leaves its cells empty


def test_table_shows_every_epoch_side_by_side_with_the_ratio(run) -> None:
    result = run("compare", "lr=1e-3,label=base", "lr=5e-4,warmup_epochs=5,label=gentle")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ANSI.search(out) is None
    rows = lr_rows(out)
    assert sorted(rows) == list(range(25))
    for epoch, (base, gentle, ratio) in rows.items():
        expected_base = formula_lr(epoch, 1e-3, 1e-5, 3, 25)
        expected_gentle = formula_lr(epoch, 5e-4, 1e-5, 5, 25)
        assert float(base) == pytest.approx(expected_base, rel=5e-4)
        assert float(gentle) == pytest.approx(expected_gentle, rel=5e-4)
        assert ratio.endswith("×")
        assert float(ratio[:-1]) == pytest.approx(expected_gentle / expected_base, rel=5e-3)
    assert rows[5][0] == "9.799e-04"  # the design document's epoch 5, corrected
    assert "ratio: gentle ÷ base" in out


def test_metrics_table_matches_the_formula(run) -> None:
    result = run("compare", "lr=1e-3,label=base", "epochs=50,min_lr=1e-6,label=long")
    assert result.exit_code == 0, result.output
    out = result.stdout
    base = [formula_lr(k, 1e-3, 1e-5, 3, 25) for k in range(25)]
    long = [formula_lr(k, 1e-3, 1e-6, 3, 50) for k in range(50)]
    assert metric_row(out, "peak lr") == ["1.000e-03", "1.000e-03"]
    assert metric_row(out, "peak epochs") == ["2–3", "2–3"]
    assert metric_row(out, "last trained lr") == [f"{base[-1]:.3e}", f"{long[-1]:.3e}"]
    assert metric_row(out, "mean lr") == [f"{sum(base) / 25:.3e}", f"{sum(long) / 50:.3e}"]
    assert metric_row(out, "area under curve") == [f"{sum(base):.3e}", f"{sum(long):.3e}"]
    near = [str(sum(lr >= 0.9e-3 for lr in lrs)) for lrs in (base, long)]
    low = [str(sum(lr < 0.1e-3 for lr in lrs)) for lrs in (base, long)]
    assert metric_row(out, "epochs ≥ 90% of peak") == near == ["6", "11"]
    assert metric_row(out, "epochs < 10% of peak") == low
    assert metric_row(out, "epochs") == ["25", "50"]


def test_long_comparisons_show_the_head_the_tail_and_where_each_ends(run) -> None:
    result = run("compare", "lr=1e-3,label=a", "epochs=50,label=b")
    assert result.exit_code == 0, result.output
    rows = lr_rows(result.stdout)
    assert sorted(rows) == [*range(10), 23, 24, 25, *range(40, 50)]
    assert rows[24][0] != "" and rows[25][0] == ""  # a ends after epoch 24
    assert "27 of 50 epochs not shown: --all shows every row" in result.stdout
    full = run("compare", "lr=1e-3,label=a", "epochs=50,label=b", "--all")
    assert sorted(lr_rows(full.stdout)) == list(range(50))


def test_insights_of_every_candidate_are_shown_and_shared_ones_once(run) -> None:
    result = run("compare", "label=base", "warmup_epochs=1,label=short warm-up")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    shared_part, short_part = flat.split(" all 2 candidates ")[1].split(" short warm-up warning ")
    # Both hold the peak for 2 epochs: said once, in the first candidate's numbers.
    assert shared_part.count("held for 2 epochs") == 1
    assert "in base's numbers; the others' differ only in theirs" in shared_part
    assert "there is no warm-up at all" not in shared_part
    assert "there is no warm-up at all" in short_part
    assert "held for 2 epochs" not in short_part


def test_the_candidates_are_described_above_the_table(run) -> None:
    result = run("compare", "lr=2e-3,label=fast", "min_lr=0,label=zero floor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Comparing 2 WarmupCosLR schedules")
    assert re.match(r"fast\s+lr=0.002 min_lr=1e-05 warmup=3 epochs=25", lines[1])
    assert re.match(r"zero floor\s+lr=0.001 min_lr=0 warmup=3 epochs=25", lines[2])


@pytest.mark.parametrize("columns", [60, 160])
def test_many_candidates_fit_the_terminal(run, monkeypatch, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    specs = [f"lr={k}e-4,label=candidate {k}" for k in range(1, 7)]
    result = run("compare", *specs)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= columns
    rows = lr_rows(out)
    # Every candidate's rate of every epoch is there, whatever the tables' split.
    for epoch, cells in rows.items():
        rates = [cell for cell in cells if re.fullmatch(RATE, cell)]
        assert [float(rate) for rate in rates] == pytest.approx(
            [formula_lr(epoch, k * 1e-4, 1e-5, 3, 25) for k in range(1, 7)], rel=5e-4
        )
    assert metric_row(out, "peak lr") == [f"{k}.000e-04" for k in range(1, 7)]
    headers = [line for line in out.splitlines() if line.startswith("┃")]
    together = [line for line in headers if "candidate 1" in line and "candidate 6" in line]
    # 160 columns hold all six side by side; 60 split them over several tables.
    assert len(together) == (2 if columns == 160 else 0)


def test_a_yaml_file_and_inline_settings_compare(run, tmp_path: Path) -> None:
    config = tmp_path / "train_pluto.yaml"
    config.write_text("lr: 1e-3\nwarmup_epochs: 3\nepochs: 25\nmin_lr: 1e-6\nbatch_size: 64\n")
    result = run("compare", str(config), f"{config},lr=5e-4,label=half", "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "train_pluto", "half"]
    for row in rows:
        k = int(row["epoch"])
        assert float(row["train_pluto"]) == pytest.approx(formula_lr(k, 1e-3, 1e-6, 3, 25))
        assert float(row["half"]) == pytest.approx(formula_lr(k, 5e-4, 1e-6, 3, 25))


def test_step_mode_applies_to_every_spec_and_aligns_on_the_step(run) -> None:
    result = run(
        "compare",
        "epochs=3,warmup_epochs=1,label=a",
        "epochs=2,warmup_epochs=0,label=b",
        "--interval",
        "step",
        "--steps-per-epoch",
        "4",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "step", "a", "b"]
    assert [(int(r["epoch"]), int(r["step"])) for r in rows] == [(k // 4, k) for k in range(12)]
    for k, row in enumerate(rows):
        assert float(row["a"]) == pytest.approx(formula_lr(k, 1e-3, 1e-5, 4, 12), rel=1e-12)
        if k < 8:
            assert float(row["b"]) == pytest.approx(formula_lr(k, 1e-3, 1e-5, 0, 8), rel=1e-12)
        else:
            assert row["b"] == ""


def test_step_mode_table_and_metrics_count_steps(run) -> None:
    result = run(
        "compare", "label=a", "lr=2e-3,label=b", "--interval", "step", "--steps-per-epoch", "10"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(stepped per step)" in out
    assert metric_row(out, "peak steps") == ["29–30", "29–30"]
    assert metric_row(out, "steps") == ["250", "250"]
    lrs = [formula_lr(k, 1e-3, 1e-5, 30, 250) for k in range(250)]
    assert metric_row(out, "area under curve")[0] == f"{sum(lrs) / 10:.3e}"


def test_json_is_one_document_with_every_candidate(run) -> None:
    result = run("compare", "epochs=4,warmup_epochs=1,label=a", "epochs=6,label=b", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 2
    assert document["command"] == "compare"
    assert document["unit"] == "epoch"
    assert document["ratio"] == "b ÷ a"
    assert [c["label"] for c in document["candidates"]] == ["a", "b"]
    assert document["candidates"][1]["config"]["epochs"] == 6
    assert document["candidates"][0]["metrics"]["peak_at"] == [0, 1]
    assert {i["code"] for i in document["candidates"][0]["insights"]} >= {"no-warmup"}
    rows = document["rows"]
    assert [row["epoch"] for row in rows] == list(range(6))
    for row in rows:
        a, b = row["lrs"]
        k = row["epoch"]
        assert b == pytest.approx(formula_lr(k, 1e-3, 1e-5, 3, 6), rel=1e-12)
        if k < 4:
            assert a == pytest.approx(formula_lr(k, 1e-3, 1e-5, 1, 4), rel=1e-12)
            assert row["ratio"] == pytest.approx(b / a, rel=1e-12)
        else:
            assert a is None and row["ratio"] is None


def test_csv_file_and_svg_are_written_with_the_labels(run, tmp_path: Path) -> None:
    table, figure = tmp_path / "lr.csv", tmp_path / "lr.svg"
    result = run(
        "compare",
        "label=baseline",
        "lr=5e-4,label=gentle",
        "--csv",
        str(table),
        "--png",
        str(figure),
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {table}" in result.stderr and f"wrote {figure}" in result.stderr
    assert table.read_text().splitlines()[0] == "epoch,baseline,gentle"
    text = figure.read_text()
    # matplotlib keeps each text as a comment beside its glyphs: the legend has the labels.
    assert "<!-- baseline -->" in text and "<!-- gentle -->" in text
    assert sorted(tmp_path.iterdir()) == sorted([table, figure])


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_png_option_writes_the_format_of_the_suffix(run, tmp_path: Path, suffix, magic) -> None:
    target = tmp_path / f"compare{suffix}"
    result = run("compare", "lr=1e-3", "lr=2e-3", "--png", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(magic)


def test_help_imports_neither_torch_nor_matplotlib() -> None:
    modules = _imported_modules("compare", "--help")
    assert "typer" in modules
    assert "torch" not in modules and "matplotlib" not in modules


# --- bad input ------------------------------------------------------------------------------

BAD = [
    ([], "compare needs two or more SPECs, got 0"),
    (["lr=1e-3"], "compare needs two or more SPECs, got 1"),
    (["lr=", "lr=1e-3"], "SPEC 1 'lr=': lr= has no value"),
    (["lr=1e-3", "foo=1"], "SPEC 2 'foo=1': unknown key 'foo'; valid keys: lr, min_lr,"),
    (["lr=1e-3", "lr=fast"], "SPEC 2 'lr=fast': lr='fast' is not valid"),
    (["lr=1e-3", "lr5e-4"], "SPEC 2 'lr5e-4': 'lr5e-4' is neither a file nor key=value"),
    (["lr=1e-3", "missing.yaml"], "SPEC 2 'missing.yaml': no such file"),
    (["lr=1e-3", "malformed.yaml"], "SPEC 2 'malformed.yaml': not valid YAML"),
    (["lr=1e-3", "lr=1e-6"], "SPEC 2 'lr=1e-6': min_lr=1e-05 must not exceed lr=1e-06"),
    (["lr=1e-3", "lr=1e-3"], "schedules 1 and 2 are both labelled 'lr=1e-3'"),
    (["a.yaml", "b/a.yaml"], "both labelled 'a'"),
    (["label=a", "interval=step,steps_per_epoch=5"], "is stepped per epoch but"),
    (["label=a", "label=b", "--steps-per-epoch", "5"], "has no effect with interval=epoch"),
    (["label=a", "label=b", "--interval", "step"], "interval=step needs steps_per_epoch=N"),
    (["label=a", "label=b", "--png", "out.gif"], "--png"),
    (["label=a", "label=b", "--csv", "no/such/out.csv"], "--csv"),
    (["label=a", "label=b", "--json", "--csv", "-"], "--json"),
    (["label=a", "label=b", "--lr", "1e-3"], "No such option: --lr"),
]


@pytest.mark.parametrize(("args", "expected"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    run, tmp_path: Path, monkeypatch, args: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "malformed.yaml").write_text("lr: [1e-3\n")
    (tmp_path / "a.yaml").write_text("lr: 1e-3\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a.yaml").write_text("lr: 2e-3\n")
    before = sorted(tmp_path.rglob("*"))
    # Asked for a CSV file too: a bad SPEC must stop the command before it writes anything.
    export = [] if "--csv" in args else ["--csv", "out.csv"]
    result = run("compare", *args, *export)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before


def test_all_refuses_a_table_too_long_for_a_terminal(run) -> None:
    result = run(
        "compare",
        "label=a",
        "label=b",
        "--interval",
        "step",
        "--steps-per-epoch",
        "1000",
        "--all",
    )
    assert result.exit_code == 2
    assert "--csv" in result.stderr and "25,000" in result.stderr


def test_a_pipe_as_csv_target_is_written_in_place_not_replaced(run, tmp_path: Path) -> None:
    # A device or pipe (/dev/null, a FIFO) must receive the CSV, not be renamed over: as
    # root, replacing /dev/null with a regular file breaks the machine.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    result = run("compare", "label=a", "lr=2e-3,label=b", "--csv", str(pipe))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    (text,) = received
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["epoch", "a", "b"]
    assert float(rows[-1][2]) == pytest.approx(formula_lr(24, 2e-3, 1e-5, 3, 25), rel=1e-12)
    assert list(tmp_path.iterdir()) == [pipe]
