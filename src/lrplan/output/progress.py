"""A progress bar on stderr for long schedules, and nothing for short ones or pipes."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO

#: Schedules with at least this many rows get a bar: planning them takes about a second.
LONG_ROWS = 250_000


@contextlib.contextmanager
def progress_bar(
    description: str, total: int, stream: IO[str] | None = None
) -> Iterator[Callable[[int], None] | None]:
    """Yield a callback that moves a bar on ``stream`` (stderr) to ``done`` of ``total``.

    Yields ``None`` instead, and draws nothing, when ``total`` is below :data:`LONG_ROWS` or
    the stream is not a terminal (a pipe, a file, a CI log): callers pass the result on as
    the ``progress`` argument of :func:`lrplan.plan`, :func:`lrplan.output.export.schedule_csv` or
    :func:`lrplan.output.export.schedule_json`. The bar is removed when the block ends, also on
    Ctrl-C, so it never mixes with the output.
    """
    stream = stream or sys.stderr
    if total < LONG_ROWS or not stream.isatty():
        yield None
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from lrplan.output.render import make_console

    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=make_console(stream),
        transient=True,
    )
    task = bar.add_task(description, total=total)

    def advance(done: int) -> None:
        bar.update(task, completed=done)

    with bar:
        yield advance
