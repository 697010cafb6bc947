"""lrplan never loses a user's work: atomic writes, Ctrl-C, odd targets and clear limits."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def _sigint(handler: Any) -> Iterator[None]:
    """SIGINT handled by ``handler`` in this process inside the block (children inherit it)."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


#: How pytest itself may have been started: from a terminal (Python's KeyboardInterrupt
#: handler) or in the background by a shell without job control (SIGINT ignored).
STARTS = {"foreground": signal.default_int_handler, "background": signal.SIG_IGN}


def _terminal_env(**extra: str) -> dict[str, str]:
    """This environment as a terminal's: rich's switches that turn a bar off are unset.

    A test run from a script may have ``TERM=dumb`` (or none) or ``TTY_INTERACTIVE=0``,
    on which rich, rightly, draws no bar. ``NO_COLOR`` is kept: the bar draws under it.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("TTY_INTERACTIVE", "TTY_COMPATIBLE")
    }
    return {**env, "TERM": "xterm-256color", "COLUMNS": "100", **extra}


def _interrupt_when(
    args: list[str],
    folder: Path,
    shown: bytes,
    env: dict[str, str] | None = None,
    started: str = "foreground",
    as_in_a_terminal: bool = True,
) -> tuple[int, str]:
    """Run lrplan with stderr on a terminal; send SIGINT once ``shown`` appears there.

    ``started`` is how this pytest was started: its SIGINT handling is what the child
    inherits (ignored, when started in the background). ``as_in_a_terminal`` restores the
    default in the child, as a shell does for a command typed at its prompt. Returns the
    exit code and everything written to the terminal, without ANSI codes.
    """
    import pty

    leader, follower = pty.openpty()
    with _sigint(STARTS[started]):
        process = subprocess.Popen(
            [sys.executable, "-m", "lrplan", *args],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=env or _terminal_env(),
            preexec_fn=_ctrl_c_as_in_a_terminal if as_in_a_terminal else None,
        )
    os.close(follower)

    def read() -> bytes:
        """What the terminal shows next; b"" once lrplan has ended and closed it.

        Read all along: a terminal nobody reads fills up, and lrplan's next write waits.
        """
        ready, _, _ = select.select([leader], [], [], 120)
        assert ready, f"lrplan went quiet for 120 s: {seen[-500:]!r}"
        try:
            return os.read(leader, 65536)
        except OSError:  # EIO on Linux: the other end closed with the process
            return b""

    seen = b""
    try:
        while shown not in seen:
            chunk = read()
            assert chunk, (
                f"lrplan ended (exit {process.wait()}) before showing {shown!r}: {seen[-500:]!r}"
            )
            seen += chunk
        process.send_signal(signal.SIGINT)
        while chunk := read():
            seen += chunk
        code = process.wait(timeout=120)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    return code, ANSI.sub("", seen.decode(errors="replace"))


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(
    ("args", "shown", "started", "colour"),
    [
        # The bar appears before torch is loaded, and moves every 65,536 steps.
        (["--epochs", "20000", "--steps-per-epoch", "1000"], b"planning", "foreground", {}),
        (["--epochs", "20000", "--steps-per-epoch", "1000"], b"65536/20000000", "foreground", {}),
        (["--epochs", "300", "--steps-per-epoch", "1000"], b"writing lr.csv", "foreground", {}),
        # pytest started as `pytest &`: the child inherits SIGINT ignored.
        (["--epochs", "20000", "--steps-per-epoch", "1000"], b"65536/20000000", "background", {}),
        # NO_COLOR takes the colours away, not the bar.
        (
            ["--epochs", "20000", "--steps-per-epoch", "1000"],
            b"65536/20000000",
            "foreground",
            {"NO_COLOR": "1"},
        ),
    ],
    ids=[
        "while loading torch",
        "while planning",
        "while writing",
        "pytest started in the background",
        "under NO_COLOR",
    ],
)
def test_ctrl_c_stops_a_long_schedule_and_leaves_no_partial_file(
    tmp_path: Path, args: list[str], shown: bytes, started: str, colour: dict[str, str]
) -> None:
    target = tmp_path / "lr.csv"
    target.write_text(PRECIOUS)

    code, terminal = _interrupt_when(
        ["show", "--interval", "step", *args, "--csv", "lr.csv"],
        tmp_path,
        shown,
        env=_terminal_env(**colour),
        started=started,
    )

    assert code == 130, terminal
    assert "Traceback" not in terminal
    errors = [line for line in terminal.splitlines() if "lrplan: error:" in line]
    assert len(errors) == 1 and "interrupted" in errors[0], terminal
    assert target.read_text() == PRECIOUS
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_lrplan_started_with_ctrl_c_ignored_goes_on(tmp_path: Path) -> None:
    # A command started in the background (`lrplan ... &` in a script) inherits SIGINT
    # ignored, so that a Ctrl-C meant for the foreground leaves it be; lrplan keeps that.
    args = ["show", "--interval", "step", "--epochs", "250", "--steps-per-epoch", "1000"]

    code, terminal = _interrupt_when(
        args, tmp_path, b"planning", started="background", as_in_a_terminal=False
    )

    assert code == 0, terminal
    assert "interrupted" not in terminal and "Traceback" not in terminal


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


def test_a_bug_is_never_taken_for_a_result_or_a_failed_check() -> None:
    import typer
    from typer.testing import CliRunner

    from lrplan.cli.app import CRASHED, LrplanGroup

    toy = typer.Typer(cls=LrplanGroup, add_completion=False)

    @toy.command()
    def first() -> None:
        """Fails as a bug does."""
        print(f"{None:.3e}")

    @toy.command()
    def second() -> None:
        """Never runs."""

    result = CliRunner().invoke(toy, ["first"])

    # Neither 0 (a result), 1 (a failed check), 2 (a user's mistake) nor 130 (Ctrl-C).
    assert result.exit_code == CRASHED == 70
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("lrplan: error: internal error (TypeError")
    assert "unsupported format string passed to NoneType.__format__" in lines[0]
    assert "LRPLAN_DEBUG=1 shows the traceback" in lines[0]


@pytest.mark.parametrize("started", list(STARTS))
def test_ctrl_c_while_torch_loads_is_held_until_the_import_ends(started: str) -> None:
    from lrplan.optim._imports import interrupts_held

    # As in a command run from a terminal, whichever way pytest itself was started (in the
    # background, it inherits SIGINT ignored, and lrplan rightly holds nothing then).
    finished = False
    with _sigint(STARTS[started]), _sigint(signal.default_int_handler):
        with pytest.raises(KeyboardInterrupt), interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            finished = True  # torch swallows what is raised here; so nothing is raised here
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert finished


def test_ctrl_c_ignored_is_left_ignored_while_torch_loads() -> None:
    from lrplan.optim._imports import interrupts_held

    with _sigint(signal.SIG_IGN):
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


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


# --- found by tests/test_cli_fuzz.py -----------------------------------------------------------

DEEP = "[" * 5000 + "]" * 5000
HF_ARGS = "learning_rate: 1e-3\nnum_train_epochs: 2\n"  # transformers' TrainingArguments


@pytest.mark.parametrize(
    ("files", "args", "named"),
    [
        ({"deep.json": f'{{"lr": 0.001, "x": {DEEP}}}'}, ["show", "--config", "deep.json"], ""),
        ({"deep.yaml": f"lr: 1e-3\nx: {DEEP}\n"}, ["show", "--config", "deep.yaml"], ""),
        ({"deep.yaml": f"lr: 1e-3\nx: {DEEP}\n"}, ["compare", "deep.yaml", "lr=1e-3"], ""),
        (
            {"trainer_state.json": f'{{"log_history": {DEEP}}}'},
            ["diagnose", "trainer_state.json"],
            "",
        ),
        (
            {"hf.yaml": f"{HF_ARGS}lr_scheduler_kwargs: '{DEEP}'\n"},
            ["show", "--config", "hf.yaml", "--steps-per-epoch", "3"],
            "lr_scheduler_kwargs: ",
        ),
        (
            {
                "hf.yaml": f"{HF_ARGS}deepspeed: ds.json\n",
                "ds.json": f'{{"scheduler": {DEEP}}}',
            },
            ["show", "--config", "hf.yaml", "--steps-per-epoch", "3"],
            "deepspeed: ds.json: ",
        ),
    ],
    ids=["json config", "yaml config", "compare SPEC", "trainer_state.json", "hf kwargs", "ds"],
)
def test_a_file_nested_thousands_deep_is_one_line(
    run, tmp_path: Path, monkeypatch, files: dict[str, str], args: list[str], named: str
) -> None:
    # Python's parsers raise RecursionError on it; that was a traceback.
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    result = run(*args)

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{named}nests more than 100 levels of" in lines[0]
    assert result.stdout == ""
