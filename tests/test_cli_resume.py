"""`lrplan resume`: the table, JSON and plot carry the simulated rates; bad input is one line."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from lrplan.analysis.resume import simulate_resume
from lrplan.core.config import ScheduleConfig
from lrplan.output.plot_resume import resume_figure
from tests.formula import formula_lr

ANSI = re.compile(r"\x1b\[")
ROW = re.compile(r"^\s*(\d+)\s+(\d\.\d{3}e-\d\d)(.*)$")


def table_rows(out: str) -> dict[int, tuple[float, list[str]]]:
    """epoch -> (uninterrupted rate, the cells of the four ways) of the comparison table."""
    rows = {}
    for line in out.splitlines():
        match = ROW.match(line)
        if match:
            rows[int(match.group(1))] = (float(match.group(2)), match.group(3).split())
    return rows


def test_table_shows_each_way_against_the_formula(run) -> None:
    result = run("resume", "--at", "6")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ANSI.search(out) is None
    rows = table_rows(out)
    assert sorted(rows) == list(range(25))
    for epoch, (rate, cells) in rows.items():
        assert rate == pytest.approx(formula_lr(epoch, 1e-3, 1e-5, 3, 25), rel=5e-4)
        if epoch < 6:
            assert cells == []  # the interrupted run, the same for every way
    # Epoch 6: 1 on the curve, 2 raised, 3 and 4 at epoch 0's rate.
    assert rows[6][1] == ["=", "KeyError", "3.333e-04", "3.333e-04"]
    # Later: 1 and 4 on the curve, 3 the schedule again from its start.
    for epoch in range(7, 25):
        ones, threes, fours = rows[epoch][1]
        assert ones == "=" and fours == "="
        assert float(threes) == pytest.approx(formula_lr(epoch - 6, 1e-3, 1e-5, 3, 25), rel=5e-4)
    flat = " ".join(out.split())
    assert "state dicts saved and loaded: identical to the uninterrupted run" in flat
    assert "fresh scheduler with last_epoch=5: fails at epoch 6" in flat
    assert "KeyError: param 'initial_lr' is not specified in param_groups[0]" in flat
    assert "fresh scheduler, no state loaded: departs at epoch 6" in flat
    assert "The warm-up starts again" in flat
    assert "load_state_dict restores lr, min_lr, warmup_epochs and epochs" in flat


def test_the_correct_code_is_printed_with_the_configuration(run) -> None:
    result = run("resume", "--at", "3", "--lr", "5e-4", "--epochs", "12", "--warmup-epochs", "2")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert '"optimizer": optimizer.state_dict(),' in out
    assert '"scheduler": scheduler.state_dict(),' in out
    assert "optimizer, min_lr=1e-05, lr=0.0005, warmup_epochs=2, epochs=12" in out
    assert out.index("scheduler = WarmupCosLR(") < out.index("optimizer.load_state_dict(")
    assert out.index("optimizer.load_state_dict(") < out.index("scheduler.load_state_dict(")
    assert 'for epoch in range(checkpoint["epoch"] + 1, 12):' in out


def test_long_schedules_show_the_rows_around_the_resume(run) -> None:
    result = run("resume", "--at", "50", "--epochs", "100")

    assert result.exit_code == 0, result.output
    assert sorted(table_rows(result.stdout)) == [0, 1, 2, *range(47, 56), 97, 98, 99]
    assert "⋮ rows left out" in result.stdout


def test_step_mode_rows_are_steps(run) -> None:
    result = run(
        "resume",
        *("--at", "2", "--epochs", "4", "--warmup-epochs", "1"),
        *("--interval", "step", "--steps-per-epoch", "10"),
    )

    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    assert 20 in rows and rows[20][1][:2] == ["=", "KeyError"]
    assert rows[20][0] == pytest.approx(formula_lr(20, 1e-3, 1e-5, 10, 40), rel=5e-4)
    assert "resumed at epoch 2 (step 20)" in result.stdout
    assert "fresh scheduler with last_epoch=19: fails at step 20 (epoch 2)" in " ".join(
        result.stdout.split()
    )


@pytest.mark.parametrize("columns", ["60", "160"])
def test_nothing_is_cut_in_narrow_or_wide_terminals(run, monkeypatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = run("resume", "--at", "30", "--epochs", "60", "--interval", "step",
                 "--steps-per-epoch", "100")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    report, code = result.stdout.split("Save and resume so (the first way):")
    assert max(len(line) for line in report.splitlines()) <= int(columns)
    # The code to paste is never wrapped: it must stay valid Python at any width.
    ast.parse(code)


def test_json_has_every_way_and_its_rates(run) -> None:
    result = run("resume", "--at", "4", "--epochs", "10", "--warmup-epochs", "2", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 2
    assert document["at_epoch"] == 4 and document["unit"] == "epoch"
    planned = [formula_lr(k, 1e-3, 1e-5, 2, 10) for k in range(10)]
    assert document["uninterrupted"] == pytest.approx(planned, rel=1e-12)
    ways = {way["key"]: way for way in document["scenarios"]}
    assert [way["number"] for way in document["scenarios"]] == [1, 2, 3, 4]
    assert ways["state-dicts"]["identical"] and ways["state-dicts"]["departs_at_epoch"] is None
    assert ways["state-dicts"]["lrs"] == document["uninterrupted"]
    assert ways["last-epoch"]["error"].startswith("KeyError: param 'initial_lr'")
    assert ways["last-epoch"]["trained"] == 4 and ways["last-epoch"]["departs_at_epoch"] == 4
    assert ways["fresh"]["lrs"][4:] == pytest.approx(planned[:6], rel=1e-12)
    assert ways["load-order"]["lrs"][4] == pytest.approx(planned[0], rel=1e-12)
    assert "scheduler.load_state_dict" in document["code"]


def test_png_is_written_and_draws_each_way(run, tmp_path: Path) -> None:
    target = tmp_path / "resume.png"

    result = run("resume", "--at", "10", "--png", str(target))

    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == [target]
    assert f"wrote {target}" in result.stderr


def test_the_figure_draws_the_simulated_rates() -> None:
    report = simulate_resume(ScheduleConfig(), 10)

    figure = resume_figure(report)

    (axes,) = figure.axes
    lines = {line.get_gid(): line for line in axes.lines if line.get_gid()}
    reference = lines["resume-uninterrupted"]
    assert list(reference.get_ydata()[:-1]) == list(report.uninterrupted.lrs)
    # The way that matches is dashed over the whole run; the failing one is a cross.
    assert lines["resume-state-dicts"].get_linestyle() == "--"
    cross = lines["resume-last-epoch"]
    assert list(cross.get_xdata()) == [10]
    assert cross.get_ydata()[0] == pytest.approx(formula_lr(9, 1e-3, 1e-5, 3, 25), rel=1e-12)
    # The departing ways are drawn from the epoch before the resume on.
    fresh = lines["resume-fresh"]
    assert fresh.get_xdata()[0] == 9
    assert list(fresh.get_ydata()[1:-1]) == pytest.approx(
        [formula_lr(k - 10, 1e-3, 1e-5, 3, 25) for k in range(10, 25)], rel=1e-12
    )
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert "3 fresh scheduler, no state loaded: departs at epoch 10" in labels
    assert any("KeyError, no training from epoch 10" in label for label in labels)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--at", "0"], "--at"),
        (["--at", "-1"], "--at"),
        (["--at", "25"], "from 1 to 24"),
        (["--at", "3", "--epochs", "3", "--warmup-epochs", "0"], "from 1 to 2"),
        (["--at", "abc"], "--at"),
        ([], "--at"),
        (["--at", "5", "--png", "out.gif"], "--png"),
        (["--at", "5", "--json", "--lr", "-1"], "--lr"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    run, tmp_path: Path, monkeypatch, args: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("resume", *args, *(["--png", "out.png"] if "--png" not in args else []))

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_resume_reads_a_nested_config(run) -> None:
    config = Path(__file__).resolve().parent.parent / "examples" / "hydra_training.yaml"

    result = run("resume", "--at", "5", "--config", str(config), "--set", "epochs=10", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["config"]["epochs"] == 10 and document["config"]["min_lr"] == 1e-6
    assert document["uninterrupted"] == pytest.approx(
        [formula_lr(k, 1e-3, 1e-6, 3, 10) for k in range(10)], rel=1e-12
    )


def test_the_load_state_dict_note_uses_the_planned_epochs(run) -> None:
    result = run("resume", "--at", "5", "--epochs", "40")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "(say epochs 40 → 80)" in flat
    assert "scheduler.epochs = 80" in flat
