"""Mutated copies of the real configs and logs in ``tests/data/`` (see ``tests/mutants.py``):
lrplan reads each in bounded time, ends with exit 0, 1 (``check``'s findings) or 2 and one line,
never a traceback, and leaves no file behind but a complete one.

CI runs 200 mutants (about 15 seconds). For a longer hunt raise the count and vary the seed::

    LRPLAN_FUZZ_EXAMPLES=2000 LRPLAN_FUZZ_SEED=7 pytest tests/test_fuzz_files.py

(``benchmarks/hostile_files.py`` runs such a campaign in child processes and measures their
time and memory too.)
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lrplan.cli import app
from tests.mutants import Mutant, command_for, mutants

#: Mutants per run, and their seed: a fixed seed in CI, so a failure repeats.
EXAMPLES = int(os.environ.get("LRPLAN_FUZZ_EXAMPLES") or 200)
SEED = int(os.environ.get("LRPLAN_FUZZ_SEED") or 22)
#: A read that takes longer than this is a hang (a real file takes seconds, on a busy machine).
SECONDS = 120


class Hang(Exception):
    pass


def _alarm(number: int, frame: object) -> None:
    raise Hang


def _check(mutant: Mutant, folder: Path) -> None:
    line = command_for(mutant, folder)
    before = {path.name for path in folder.iterdir()}
    shown = f"{mutant.source.name} ({'; '.join(mutant.changes)}): lrplan {' '.join(line)}"
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    try:
        result = CliRunner().invoke(app, line, env={"COLUMNS": "100", "NO_COLOR": "1"})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    shown += f"\n{result.output[-2000:]}"
    assert not isinstance(result.exception, Hang), f"hang: {shown}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    allowed = {0, 1, 2} if line[0] == "check" else {0, 2}
    assert result.exit_code in allowed, shown
    left = {path.name for path in folder.iterdir()} - before
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lrplan: error: "), shown
        assert len(lines[0]) < 2100, shown
        assert not left, shown
    else:
        assert left <= {"out.csv"}, shown


@pytest.mark.parametrize(
    "mutant", mutants(SEED, EXAMPLES), ids=lambda mutant: mutant.source.name[:40]
)
def test_a_mutated_real_file_ends_in_one_line_or_a_plan(mutant: Mutant, tmp_path: Path) -> None:
    from tests.mutants import place

    place(mutant, tmp_path).write_bytes(mutant.data)
    _check(mutant, tmp_path)
