"""A reader that closes stdout early (`lrplan … --csv - --png F | head`) never costs the files:
the plot is written before anything streams to stdout, so its presence does not depend on how
fast the reader is (the docs' console blocks run such pipes and must come out the same)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    ["show", "--lr", "1e-3", "--epochs", "2000"],
    ["compare", "lr=1e-3,epochs=2000", "scheduler=cosine,param.T_max=2000,epochs=2000"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_the_plot_is_written_although_stdout_is_already_closed(
    command: list[str], tmp_path: Path
) -> None:
    png = tmp_path / "lr.png"
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before lrplan writes a byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lrplan", *command, "--csv", "-", "--png", str(png)],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    assert png.stat().st_size > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["show", "--lr", "1e-3", "--epochs", "200", "--all"],
        ["show", "--lr", "1e-3", "--epochs", "2000", "--csv", "-"],
        ["show", "--lr", "1e-3", "--epochs", "200", "--json"],
        ["check", "--lr", "1e-3", "--epochs", "200"],
        ["compare", "lr=1e-3,epochs=2000", "lr=2e-3,epochs=2000", "--csv", "-"],
        ["diagnose", "examples/logs/healthy.csv"],
    ],
    ids=lambda c: " ".join([c[0], c[-2] if c[-1] == "-" else c[-1]]),
)
def test_a_reader_gone_before_the_output_is_exit_141_and_nothing_on_stderr(
    command: list[str],
) -> None:
    # Exit code 1 (typer's and rich's answer) is check's code for findings; a command killed
    # by SIGPIPE has status 141 in a shell, and so has lrplan.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lrplan", *command],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141
    assert done.stderr == ""
