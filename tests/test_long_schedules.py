"""Long schedules: rows by columns, exports written as they are made, progress reported."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc

import pytest

from lrplan.analysis.insights import insights
from lrplan.analysis.summary import summarize
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.output import export
from lrplan.output.progress import LONG_ROWS, progress_bar
from tests.formula import formula_lr

CONFIGS = [
    pytest.param(ScheduleConfig(), id="defaults"),
    pytest.param(ScheduleConfig(warmup_epochs=0, epochs=3), id="pure cosine"),
    pytest.param(
        ScheduleConfig(interval="step", steps_per_epoch=7, epochs=5, warmup_epochs=2),
        id="7 steps per epoch",
    ),
    pytest.param(
        ScheduleConfig(interval="step", steps_per_epoch=1, epochs=9, warmup_epochs=4),
        id="1 step per epoch",
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_columns_of_any_slice_are_the_rows(config: ScheduleConfig) -> None:
    schedule = plan(config)
    count = len(schedule)
    rows = [tuple(schedule.row(index)) for index in range(count)]
    assert [tuple(row) for row in schedule.rows()] == rows
    for start in range(count + 2):
        for stop in [start, start + 1, start + 3, count, count + 5]:
            columns = schedule.columns(start, stop)
            assert list(zip(*columns, strict=True)) == rows[start:stop], (start, stop)


def _rows_of_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("config", CONFIGS)
def test_csv_rows_are_the_formula(config: ScheduleConfig) -> None:
    schedule = plan(config)
    stream = io.StringIO()
    export.schedule_csv(schedule)(stream)

    rows = _rows_of_csv(stream.getvalue())
    step_mode = config.interval == "step"
    assert list(rows[0]) == (
        ["epoch", "step", "phase", "lr"] if step_mode else ["epoch", "phase", "lr"]
    )
    assert len(rows) == config.rows
    for index, row in enumerate(rows):
        assert int(row["epoch"]) == index // config.steps_per_epoch
        if step_mode:
            assert int(row["step"]) == index
        assert row["phase"] == ("warm-up" if index < config.warmup_rows else "cosine")
        expected = formula_lr(index, config.lr, config.min_lr, config.warmup_rows, config.rows)
        assert float(row["lr"]) == pytest.approx(expected, rel=1e-12)
        # repr() round-trips: the CSV holds the very float the scheduler produced.
        assert float(row["lr"]) == schedule.lrs[index]


@pytest.mark.parametrize("chunk", [1, 4, 1 << 16])
@pytest.mark.parametrize("config", CONFIGS)
def test_streamed_json_is_the_documents_json(
    monkeypatch: pytest.MonkeyPatch, config: ScheduleConfig, chunk: int
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", chunk)
    schedule = plan(config)
    summary = summarize(schedule)
    found = insights(schedule, summary)
    whole, streamed = io.StringIO(), io.StringIO()

    export.json_writer(export.schedule_document(schedule, summary, found))(whole)
    export.schedule_json(schedule, summary, found)(streamed)

    assert streamed.getvalue() == whole.getvalue()
    document = json.loads(streamed.getvalue())
    assert [row["lr"] for row in document["rows"]] == list(schedule.lrs)


LONG = ScheduleConfig(epochs=20, interval="step", steps_per_epoch=3000)


@pytest.fixture(scope="module")
def long_schedule():  # type: ignore[no-untyped-def]
    return plan(LONG)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Chunks of 8,192 rows, so that 60,000 rows make several."""
    from lrplan.core import planner

    monkeypatch.setattr(export, "CHUNK_ROWS", 1 << 13)
    monkeypatch.setattr(planner, "PROGRESS_EVERY", 1 << 13)
    return 1 << 13


def _peak_bytes(produce) -> int:  # type: ignore[no-untyped-def]
    class Discard(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    tracemalloc.start()
    try:
        produce(Discard())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_json_of_60000_rows_is_written_as_it_is_made(long_schedule, small_chunks) -> None:
    summary = summarize(long_schedule)
    found = insights(long_schedule, summary)
    # Built whole first, the document takes about 15 MB here (250 bytes a row); written a
    # chunk at a time, what one chunk takes.
    assert _peak_bytes(export.schedule_json(long_schedule, summary, found)) < 5_000_000


def test_progress_is_reported_up_to_every_row(long_schedule, small_chunks) -> None:
    planned: list[int] = []
    plan(LONG, beyond=0, progress=planned.append)
    written: list[int] = []
    export.schedule_csv(long_schedule, written.append)(io.StringIO())
    summary = summarize(long_schedule)
    dumped: list[int] = []
    export.schedule_json(long_schedule, summary, [], dumped.append)(io.StringIO())

    for reported in (planned, written, dumped):
        assert len(reported) >= 4
        assert reported == sorted(reported)
        assert reported[-1] == LONG.rows


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("colour", [{}, {"NO_COLOR": "1"}], ids=["in colour", "under NO_COLOR"])
def test_progress_bar_draws_on_a_terminal_and_is_removed_after(
    monkeypatch: pytest.MonkeyPatch, colour: dict[str, str]
) -> None:
    # A terminal's environment, whatever runs the tests: on TERM=dumb or TTY_INTERACTIVE=0
    # rich, rightly, draws no bar. NO_COLOR takes the colours away, not the bar.
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in colour.items():
        monkeypatch.setenv(name, value)
    stream = FakeTerminal()
    with progress_bar("planning", LONG_ROWS, stream) as advance:
        assert advance is not None
        advance(LONG_ROWS // 2)
        advance(LONG_ROWS)
    drawn = stream.getvalue()
    assert "planning" in drawn
    # transient: the last thing written erases the bar's line.
    assert drawn.rstrip("\n").endswith("\x1b[2K") or "\x1b[2K" in drawn.splitlines()[-1]
    if colour:  # and the bar has no colour (colours are SGR codes: ESC [ ... m)
        assert "\x1b[" in drawn and re.search(r"\x1b\[[0-9;]*m", drawn) is None


@pytest.mark.parametrize(
    ("stream", "total"),
    [(io.StringIO(), LONG_ROWS), (FakeTerminal(), LONG_ROWS - 1)],
    ids=["a pipe", "a short schedule"],
)
def test_no_progress_bar_for_pipes_or_short_schedules(stream: io.StringIO, total: int) -> None:
    with progress_bar("planning", total, stream) as advance:
        assert advance is None
    assert stream.getvalue() == ""
