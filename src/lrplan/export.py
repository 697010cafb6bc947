"""CSV and JSON writers, and the atomic file write every output of lrplan goes through."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lrplan.errors import LrplanError

if TYPE_CHECKING:
    from lrplan.compare import Comparison
    from lrplan.insights import Insight, Summary
    from lrplan.planner import Schedule

#: Bumped when a field of ``--json`` output changes meaning or disappears.
SCHEMA_VERSION = 1

STDOUT = "-"


def check_output_path(option: str, path: Path, suffixes: tuple[str, ...] = ()) -> None:
    """Fail early, before any work, if ``path`` cannot be written as asked.

    Checks that the folder exists and is a folder, that the path is not a folder, and (with
    ``suffixes``) that the suffix is one of them.
    """
    if suffixes and path.suffix.lower() not in suffixes:
        kind = f"unknown file type {path.suffix!r}" if path.suffix else "no file type"
        raise LrplanError(f"{option} {path}: {kind}; end the name with {', '.join(suffixes)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise LrplanError(
            f"{option} {path}: folder {str(folder)!r} does not exist; create it first"
        )
    if not folder.is_dir():
        raise LrplanError(f"{option} {path}: {str(folder)!r} is not a folder")
    if path.is_dir():
        raise LrplanError(f"{option} {path}: is a folder; give a file name")
    if path.exists() and not path.is_file():
        # A device or a pipe (/dev/null, a FIFO) is written in place, not in its folder.
        if not os.access(path, os.W_OK):
            raise LrplanError(f"{option} {path}: is not writable")
        return
    if not os.access(folder, os.W_OK):
        raise LrplanError(
            f"{option} {path}: folder {str(folder)!r} is not writable; choose one you can write to"
        )


@contextlib.contextmanager
def atomic_path(option: str, path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    On any failure (or Ctrl-C) the temporary file is removed and ``path`` is left as it was.
    The temporary name keeps the suffix, so writers that pick a format by suffix still work.
    A symlink is written through (the file it points to is replaced, the link stays), and a
    path that is not a regular file (``/dev/null``, a FIFO) is written in place, since a
    rename would replace the device itself.
    """
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        try:
            yield target
        except OSError as error:
            raise LrplanError(
                f"{option} {path}: cannot write there ({error.strerror or error})"
            ) from None
        return
    folder = target.parent
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=folder
        )
    except OSError as error:
        raise LrplanError(
            f"{option} {path}: cannot write there ({error.strerror or error})"
        ) from None
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        os.chmod(temporary_path, _mode_for(target))
        os.replace(temporary_path, target)
    except OSError as error:
        raise LrplanError(
            f"{option} {path}: cannot write there ({error.strerror or error})"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary_path.unlink()


def _mode_for(target: Path) -> int:
    """The permissions ``target`` has now, or those a plain ``open()`` would give a new file.

    mkstemp creates its file 0600; this keeps an overwritten file's mode as it was.
    """
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text(option: str, target: str | Path, produce: Callable[[IO[str]], None]) -> None:
    """Write text to ``target`` atomically, or to stdout when ``target`` is ``-``."""
    if str(target) == STDOUT:
        produce(sys.stdout)
        sys.stdout.flush()
        return
    path = Path(target)
    with (
        atomic_path(option, path) as temporary,
        open(temporary, "w", encoding="utf-8", newline="") as stream,
    ):
        produce(stream)


def csv_writer(columns: list[str], rows: Iterator[list[Any]]) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text` that writes ``columns`` then ``rows`` as CSV.

    Floats are written with ``repr`` (full precision, reads back to the same number).
    """

    def produce(stream: IO[str]) -> None:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        buffer = io.StringIO()
        buffered = csv.writer(buffer, lineterminator="\n")
        for count, row in enumerate(rows, 1):
            buffered.writerow(row)
            if count % 8192 == 0:
                stream.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        stream.write(buffer.getvalue())

    return produce


def json_writer(document: dict[str, Any]) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text` that writes ``document`` as indented JSON."""

    def produce(stream: IO[str]) -> None:
        json.dump(document, stream, indent=2, allow_nan=False)
        stream.write("\n")

    return produce


def schedule_columns(schedule: Schedule) -> list[str]:
    """The CSV columns of a schedule: epoch, step (in step mode), phase, lr."""
    step_mode = schedule.config.interval == "step"
    return ["epoch", *(["step"] if step_mode else []), "phase", "lr"]


def schedule_csv(schedule: Schedule) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text`: every row of ``schedule`` as CSV."""
    step_mode = schedule.config.interval == "step"

    def rows() -> Iterator[list[Any]]:
        for row in schedule.rows():
            if step_mode:
                yield [row.epoch, row.step, row.phase, row.lr]
            else:
                yield [row.epoch, row.phase, row.lr]

    return csv_writer(schedule_columns(schedule), rows())


def schedule_document(
    schedule: Schedule, summary: Summary, found: Sequence[Insight]
) -> dict[str, Any]:
    """The ``--json`` document of one schedule."""
    from lrplan import __version__
    from lrplan.schedulers import call_text

    step_mode = schedule.config.interval == "step"
    return {
        "schema_version": SCHEMA_VERSION,
        "lrplan_version": __version__,
        "scheduler": schedule.config.class_name,
        "constructor": call_text(schedule.config),
        "config": schedule.config.to_dict(),
        "summary": summary.to_dict(),
        "insights": [insight.to_dict() for insight in found],
        "rows": [
            {
                "epoch": row.epoch,
                **({"step": row.step} if step_mode else {}),
                "phase": row.phase,
                "lr": row.lr,
            }
            for row in schedule.rows()
        ],
    }


def comparison_columns(comparison: Comparison) -> list[str]:
    """The CSV columns of a comparison: epoch, step (in step mode), then each label."""
    return ["epoch", *(["step"] if comparison.step_mode else []), *comparison.labels]


def comparison_csv(comparison: Comparison) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text`: every row of a comparison as CSV, a candidate that
    has ended leaving its cells empty."""
    step_mode = comparison.step_mode

    def rows() -> Iterator[list[Any]]:
        for row in comparison.rows():
            position = [row.epoch, row.step] if step_mode else [row.epoch]
            yield [*position, *("" if lr is None else lr for lr in row.lrs)]

    return csv_writer(comparison_columns(comparison), rows())


def comparison_document(
    comparison: Comparison, command: str = "compare", **extra: Any
) -> dict[str, Any]:
    """The ``--json`` document of ``lrplan compare`` (and ``tune``, which adds ``extra``).

    ``rows[i].lrs`` holds one rate per candidate in the order of ``candidates``, null once a
    candidate has ended; ``rows[i].ratio`` (two candidates only) is the second ÷ the first.
    """
    from lrplan import __version__
    from lrplan.schedulers import call_text

    step_mode = comparison.step_mode
    has_ratio = comparison.has_ratio
    classes = {candidate.config.class_name for candidate in comparison.candidates}
    return {
        "schema_version": SCHEMA_VERSION,
        "lrplan_version": __version__,
        "command": command,
        # The class every candidate shares; null when they differ (see each candidate's).
        "scheduler": classes.pop() if len(classes) == 1 else None,
        **extra,
        "unit": comparison.unit,
        "steps_per_epoch": comparison.per_epoch,
        "ratio": comparison.ratio_label,
        "candidates": [
            {
                "label": candidate.label,
                "scheduler": candidate.config.class_name,
                "constructor": call_text(candidate.config),
                "config": candidate.config.to_dict(),
                "summary": candidate.summary.to_dict(),
                "metrics": candidate.metrics.to_dict(),
                "insights": [insight.to_dict() for insight in candidate.insights],
            }
            for candidate in comparison.candidates
        ],
        "rows": [
            {
                "epoch": row.epoch,
                **({"step": row.step} if step_mode else {}),
                "lrs": list(row.lrs),
                **({"ratio": row.ratio} if has_ratio else {}),
            }
            for row in comparison.rows()
        ],
    }
