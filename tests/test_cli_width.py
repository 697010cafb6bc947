"""What every command prints, at any terminal width: prose (notes, fixes, warnings,
descriptions) no wider than lrplan.output.console.PROSE_WIDTH in a wide terminal, within the
terminal in a narrow one, and no line of piped output ending in a space."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.table import Table
from typer.testing import CliRunner

from lrplan.cli import app
from lrplan.output.console import PROSE_WIDTH, _TrimmedLines, make_console

ROOT = Path(__file__).resolve().parent.parent

#: One run of each command, chosen for long prose: notes with fixes, warnings, the guide's
#: reasons, a diagnosis, the schedulers' descriptions, help pages, an error.
COMMANDS = [
    ["show", "--lr", "1e-3", "--warmup-epochs", "2", "--epochs", "6"],
    ["show", "--config", "tests/data/configs/tu__muad_unet_standard_steplr.yaml"],
    ["check", "--config", "examples/hydra_training.yaml", "--set", "lr=3e-2", "--set",
     "warmup_epochs=8"],
    ["compare", "lr=1e-3,label=base", "lr=5e-4,warmup_epochs=5,label=gentle"],
    ["tune"],
    ["tune", "diverging", "--warmup-epochs", "3", "--epochs", "25"],
    ["resume", "--at", "4", "--epochs", "8"],
    ["equivalent", "--warmup-epochs", "2", "--epochs", "6"],
    ["diagnose", "examples/logs/plateau.csv", "--config", "examples/logs/plateau.yaml"],
    ["diagnose", "tests/data/logs/lightning__DanyaSH759_MLOps_homework__v0.csv"],
    ["schedulers"],
    ["--help"],
    ["show", "--help"],
    ["show", "--lr", "-1"],
]  # fmt: skip
IDS = [" ".join(command)[:60] for command in COMMANDS]
#: Commands that also print Python code, which never wraps (it pastes as printed).
PRINTS_CODE = {"resume", "equivalent"}
#: A line of a bordered table (or of the help's option panels), which may use the whole width.
TABLE_LINE = re.compile(r"[│┃┌└├╭╰━─]")


def run(args: list[str], columns: int) -> tuple[str, str]:
    """stdout and stderr of ``lrplan ARGS`` in a terminal of ``columns``, piped (CliRunner)."""
    env = {"COLUMNS": str(columns), "NO_COLOR": None, "LINES": "50"}
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return result.stdout, result.stderr


@pytest.fixture(autouse=True)
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_prose_is_capped_at_a_readable_width_in_a_wide_terminal(args: list[str]) -> None:
    stdout, stderr = run(args, columns=200)
    # The first line is the command's title, printed whole; below it, prose wraps at
    # PROSE_WIDTH and only tables may use the terminal's 200 columns.
    prose = [line for line in stdout.splitlines()[1:] if not TABLE_LINE.search(line)]
    prose += stderr.splitlines()[1:]
    too_wide = [line for line in prose if len(line) > PROSE_WIDTH]
    assert not too_wide, "\n".join(too_wide)


def test_the_cap_leaves_the_chart_the_whole_width() -> None:
    stdout, _ = run([*COMMANDS[1], "--plot"], columns=200)
    lines = stdout.splitlines()
    chart = [line for line in lines if "┤" in line or line.lstrip().startswith("│█")]
    # Its rows end where the bars end (no trailing spaces); the lowest runs the whole width.
    assert len(chart) == 10 and max(len(line) for line in chart) == 200
    # And prose does use the readable width: the long notes fill lines beyond 90 columns.
    notes = [line for line in lines if line.startswith(("note ", "     fix: "))]
    assert 90 < max(len(line) for line in notes) <= PROSE_WIDTH


@pytest.mark.parametrize(
    "args",
    # Not those printing code: it is printed whole, however narrow the terminal.
    [
        pytest.param(args, id=name)
        for args, name in zip(COMMANDS, IDS, strict=True)
        if not PRINTS_CODE & set(args)
    ],
)
def test_prose_wraps_within_a_narrow_terminal(args: list[str]) -> None:
    stdout, stderr = run(args, columns=60)
    lines = stdout.splitlines()[1:] + stderr.splitlines()[1:]
    # Titles are printed whole (the terminal wraps them); everything else fits.
    too_wide = [line for line in lines if len(line) > 60 and "(stepped per" not in line]
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("columns", [60, 100, 200])
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_no_line_of_piped_output_ends_in_a_space(args: list[str], columns: int) -> None:
    stdout, stderr = run(args, columns=columns)
    assert stdout.strip() or stderr.strip()
    for stream in (stdout, stderr):
        assert not [line for line in stream.splitlines() if line.endswith(" ")]


def test_no_trailing_spaces_through_a_real_pipe() -> None:
    # The installed entry point's stdout is a pipe here, as in `lrplan ... | cat -A`.
    done = subprocess.run(
        [sys.executable, "-m", "lrplan", "check", "--config", "examples/train_pluto.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "", "PYTHONPATH": str(ROOT / "src")},
    )
    lines = done.stdout.splitlines()
    assert len(lines) > 10
    assert not [line for line in lines if line != line.rstrip()]
    assert max(len(line) for line in lines if not TABLE_LINE.search(line)) <= PROSE_WIDTH


def test_trailing_spaces_are_dropped_across_writes_and_kept_inside_lines() -> None:
    sink = io.StringIO()
    stream = _TrimmedLines(sink)
    for chunk in ["a  b   ", "  ", "\nc ", "d\n", "   \n", "e  "]:
        stream.write(chunk)
    assert sink.getvalue() == "a  b\nc d\n\ne"


def test_a_grid_wraps_at_the_prose_width_and_a_bordered_table_does_not() -> None:
    sink = io.StringIO()
    console = make_console(sink)
    console.width = 200
    grid = Table.grid()
    grid.add_column()
    grid.add_row("word " * 60)
    table = Table()
    table.add_column("x")
    table.add_row("word " * 60)
    console.print(grid)
    console.print(table)
    lines = sink.getvalue().splitlines()
    assert max(len(line) for line in lines if not TABLE_LINE.search(line)) <= PROSE_WIDTH
    assert max(len(line) for line in lines) == 200
