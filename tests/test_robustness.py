"""lrplan never loses a user's work: atomic writes, Ctrl-C, odd targets and clear limits."""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lrplan.core import planner
from lrplan.core.config import MAX_ROWS

PRECIOUS = "a file the user already has\n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _failing_lrs(monkeypatch: pytest.MonkeyPatch, error: BaseException, after: int = 3) -> None:
    """Make the rows written by the exporters fail after ``after`` rows with ``error``."""
    columns = planner.Schedule.columns

    def failing(self, start=0, stop=None):  # type: ignore[no-untyped-def]
        epochs, steps, phases, lrs = columns(self, start, stop)

        def rates():  # type: ignore[no-untyped-def]
            for index, lr in enumerate(lrs):
                if index == after:
                    raise error
                yield lr

        return epochs, steps, phases, rates()

    monkeypatch.setattr(planner.Schedule, "columns", failing)


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left on device"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
    ids=["disk full", "ctrl-c"],
)
def test_a_failure_while_writing_the_csv_keeps_the_old_file(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int, says: str
) -> None:
    target = tmp_path / "lr.csv"
    target.write_text(PRECIOUS)
    _failing_lrs(monkeypatch, error)

    result = run("show", "--epochs", "10", "--csv", str(target))

    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == PRECIOUS
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OSError(errno.EIO, "Input/output error"), 2),
        (RuntimeError("agg"), 2),
        (KeyboardInterrupt(), 130),
    ],
    ids=["io error", "renderer error", "ctrl-c"],
)
def test_a_failure_while_saving_the_plot_keeps_the_old_file(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int
) -> None:
    from matplotlib.figure import Figure

    target = tmp_path / "lr.png"
    target.write_text(PRECIOUS)

    def half_a_png(self, fname, **kwargs):  # type: ignore[no-untyped-def]
        Path(fname).write_bytes(b"\x89PNG\r\n\x1a\n half of it")
        raise error

    monkeypatch.setattr(Figure, "savefig", half_a_png)

    result = run("show", "--epochs", "10", "--png", str(target))

    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--png" in result.stderr or code == 130
    assert target.read_text() == PRECIOUS
    assert list(tmp_path.iterdir()) == [target]


WRITER = """
import sys, time
from pathlib import Path
from lrplan.output.export import write_text

go, target, letter = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
while not go.exists():
    time.sleep(0.001)

def produce(stream):
    for _ in range(4000):
        stream.write(letter * 999 + "\\n")

write_text("--csv", target, produce)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_two_processes_writing_the_same_file_leave_one_complete_file(
    tmp_path: Path, attempt: int
) -> None:
    go, target = tmp_path / "go", tmp_path / "lr.csv"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(go), str(target), letter])
        for letter in "ab"
    ]
    go.touch()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    # All of one writer's 4 MB, never a mix or a cut: the last rename wins.
    text = target.read_text()
    assert text in (("a" * 999 + "\n") * 4000, ("b" * 999 + "\n") * 4000)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["go", "lr.csv"]


def test_a_fifo_is_written_in_place_not_replaced(run, tmp_path: Path) -> None:
    fifo = tmp_path / "lr.csv"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()

    result = run("show", "--epochs", "4", "--warmup-epochs", "1", "--csv", str(fifo))
    reader.join(timeout=60)

    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].splitlines()[0] == "epoch,phase,lr"
    assert len(received[0].splitlines()) == 5
    assert list(tmp_path.iterdir()) == [fifo]


def test_a_symbolic_link_is_written_through(run, tmp_path: Path) -> None:
    real = tmp_path / "runs" / "lr.csv"
    real.parent.mkdir()
    real.write_text(PRECIOUS)
    link = tmp_path / "latest.csv"
    link.symlink_to(real)

    result = run("show", "--epochs", "4", "--warmup-epochs", "1", "--csv", str(link))

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text().splitlines()[0] == "epoch,phase,lr"
    assert sorted(path.name for path in real.parent.iterdir()) == ["lr.csv"]


@pytest.mark.parametrize("option", ["--csv", "--png", "--config"])
def test_a_file_name_too_long_for_the_file_system_is_one_line(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    suffix = {"--csv": ".csv", "--png": ".png", "--config": ".yaml"}[option]

    result = run("show", option, "x" * 300 + suffix)

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "too long" in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "a" * 300 + ".csv", "lr=1e-3"],
        ["compare", "lr=1e-3", "a" * 300 + ".yaml"],
        ["diagnose", "a" * 300 + ".csv"],
    ],
    ids=["compare, first spec", "compare, second spec", "diagnose"],
)
def test_a_name_too_long_where_a_file_is_read_is_one_line(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    # A fuzz run found `compare` ending in a traceback here (OSError: File name too long).
    monkeypatch.chdir(tmp_path)

    result = run(*args)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "too long" in lines[0] and "aaaa" in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--epochs", str(MAX_ROWS + 1), "--warmup-epochs", "3"],
        ["--epochs", "20001", "--interval", "step", "--steps-per-epoch", "1000", "--json"],
        ["--epochs", str(10**30)],
    ],
    ids=["epochs", "steps", "huge"],
)
def test_a_schedule_too_long_to_plan_is_refused_with_the_limit(run, args: list[str]) -> None:
    result = run("show", *args)

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{MAX_ROWS:,}" in lines[0], result.stderr
    assert result.stdout == ""


# --- Ctrl-C on a real process, as a user presses it ------------------------------------------


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT does what it does for a command a user runs in a terminal.

    A process started in the background by a shell without job control (``pytest &``, a
    script's ``cmd &``) starts with SIGINT ignored, and so do its children: Python then
    installs no KeyboardInterrupt handler, and lrplan, rightly, goes on. The test ran that
    way now and then, and waited for the whole 20-million-step plan.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_when(args: list[str], folder: Path, shown: bytes) -> tuple[int, str]:
    """Run lrplan with stderr on a terminal; send SIGINT once ``shown`` appears there.

    Returns the exit code and everything written to the terminal, without ANSI codes.
    """
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lrplan", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    os.close(follower)
    seen = b""
    try:
        while shown not in seen:
            ready, _, _ = select.select([leader], [], [], 120)
            assert ready, f"lrplan never showed {shown!r}: {seen[-500:]!r}"
            seen += os.read(leader, 65536)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    return code, ANSI.sub("", seen.decode(errors="replace"))


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(
    ("args", "shown"),
    [
        # The bar appears before torch is loaded, and moves every 65,536 steps.
        (["--epochs", "20000", "--steps-per-epoch", "1000"], b"planning"),
        (["--epochs", "20000", "--steps-per-epoch", "1000"], b"65536/20000000"),
        (["--epochs", "300", "--steps-per-epoch", "1000"], b"writing lr.csv"),
    ],
    ids=["while loading torch", "while planning", "while writing"],
)
def test_ctrl_c_stops_a_long_schedule_and_leaves_no_partial_file(
    tmp_path: Path, args: list[str], shown: bytes
) -> None:
    target = tmp_path / "lr.csv"
    target.write_text(PRECIOUS)

    code, terminal = _interrupt_when(
        ["show", "--interval", "step", *args, "--csv", "lr.csv"], tmp_path, shown
    )

    assert code == 130, terminal
    assert "Traceback" not in terminal
    errors = [line for line in terminal.splitlines() if "lrplan: error:" in line]
    assert len(errors) == 1 and "interrupted" in errors[0], terminal
    assert target.read_text() == PRECIOUS
    assert list(tmp_path.iterdir()) == [target]


def test_ctrl_c_while_the_options_are_parsed_is_one_line_too() -> None:
    import typer
    from typer.testing import CliRunner

    from lrplan.cli.app import LrplanGroup

    toy = typer.Typer(cls=LrplanGroup, add_completion=False)

    def interrupt(value: str) -> str:
        raise KeyboardInterrupt

    @toy.command()
    def first(name: str = typer.Option("x", "--name", callback=interrupt)) -> None:
        """Never runs."""

    @toy.command()
    def second() -> None:
        """Never runs either."""

    result = CliRunner().invoke(toy, ["first", "--name", "y"])

    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == [
        "lrplan: error: interrupted; no partial file was left behind"
    ]


def test_ctrl_c_while_torch_loads_is_held_until_the_import_ends() -> None:
    from lrplan.optim._imports import interrupts_held

    finished = False
    with pytest.raises(KeyboardInterrupt), interrupts_held():
        os.kill(os.getpid(), signal.SIGINT)
        finished = True  # torch swallows what is raised here; so nothing is raised here
    assert finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_callers_own_sigint_handler_is_left_alone() -> None:
    from lrplan.optim._imports import interrupts_held

    seen: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: seen.append(number))
    try:
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
