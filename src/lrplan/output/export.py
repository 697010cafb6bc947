"""CSV and JSON writers, and the atomic file write every output of lrplan goes through.

Every command module imports this one (through :mod:`lrplan.output.emit`) when ``lrplan``
starts, ``lrplan --help`` included: ``csv``, ``json`` and ``tempfile`` are imported where
they are used, not here.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lrplan.errors import LrplanError
from lrplan.inputs.naming import as_options
from lrplan.output import STDOUT

if TYPE_CHECKING:
    from lrplan.analysis.compare import Comparison
    from lrplan.analysis.summary import Insight, Summary
    from lrplan.core.config import ScheduleConfig
    from lrplan.core.planner import Schedule

#: Bumped when a field of ``--json`` output changes meaning or disappears. 2: every command's
#: document is made by :func:`envelope` (``command`` everywhere, ``lrplan_version`` in
#: ``schedulers``), and diagnose's ``scheduler`` is the plan's class.
SCHEMA_VERSION = 2

#: Rows written (and progress reported) at a time by the CSV and JSON writers.
CHUNK_ROWS = 1 << 16


def check_output_path(option: str, path: Path, suffixes: tuple[str, ...] = ()) -> None:
    """Fail early, before any work, if ``path`` cannot be written as asked.

    Checks that the folder exists and is a folder, that the path is not a folder, and (with
    ``suffixes``) that the suffix is one of them. A path that is a device or a FIFO
    (``/dev/null``, ``/dev/stdout``) only needs to be writable itself.
    """
    if suffixes and path.suffix.lower() not in suffixes:
        kind = f"unknown file type {path.suffix!r}" if path.suffix else "no file type"
        raise LrplanError(f"{option} {path}: {kind}; end the name with {', '.join(suffixes)}")
    try:
        if is_special_file(path):
            if not os.access(path, os.W_OK):
                raise LrplanError(f"{option} {path}: is not writable")
            return
        target = _through_links(path)
        folder = target.parent if str(target.parent) else Path(".")
        # The nearest part of the path that exists: a file there (file.csv/x.csv) is no
        # folder, and no folder can be created below it.
        existing = next((part for part in (folder, *folder.parents) if part.exists()), folder)
        if existing.exists() and not existing.is_dir():
            raise LrplanError(
                f"{option} {path}: {str(existing)!r} is a file, not a folder; give a path in a"
                " folder"
            )
        if not folder.exists():
            raise LrplanError(
                f"{option} {path}: folder {str(folder)!r} does not exist; create it first"
            )
        if target.is_dir():
            raise LrplanError(f"{option} {path}: is a folder; give a file name")
        if not os.access(folder, os.W_OK):
            raise LrplanError(
                f"{option} {path}: folder {str(folder)!r} is not writable;"
                " choose one you can write to"
            )
    except (OSError, ValueError) as error:
        # A name too long for the file system, a loop of links, a NUL in the name.
        reason = getattr(error, "strerror", None) or str(error)
        raise LrplanError(f"{option} {path}: cannot write there ({reason})") from None


def is_special_file(path: Path) -> bool:
    """Whether ``path`` exists (through links) as neither a regular file nor a folder.

    FIFOs, terminals and devices such as ``/dev/null`` and ``/dev/stdout``: renaming a
    temporary file onto one would replace it with a regular file (for root, ``/dev/null``
    of the whole machine), so they are written in place.
    """
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _through_links(path: Path) -> Path:
    """The file a symbolic link at ``path`` points to (``path`` itself if not a link).

    Writing through the link replaces the file it points to and keeps the link, as
    writing with a plain ``open()`` would.
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextlib.contextmanager
def atomic_path(option: str, path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    On any failure (or Ctrl-C) the temporary file is removed and ``path`` is left as it was.
    The temporary name keeps the suffix, so writers that pick a format by suffix still work.
    Two processes writing the same path leave one complete file: the last to finish.

    A symbolic link is written through (its target is replaced, the link kept); a device
    or FIFO (:func:`is_special_file`) is yielded itself and written in place.
    """
    if is_special_file(path):
        try:
            yield path
        except OSError as error:
            raise LrplanError(
                f"{option} {path}: cannot write there ({error.strerror or error})"
            ) from None
        return
    target = _through_links(path)
    folder = target.parent if str(target.parent) else Path(".")
    import tempfile

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


def csv_writer(
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    progress: Callable[[int], None] | None = None,
) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text` that writes ``columns`` then ``rows`` as CSV.

    Floats are written with ``repr`` (full precision, reads back to the same number).
    ``progress``, if given, is called with the number of rows written so far, now and then.
    """

    import csv

    def produce(stream: IO[str]) -> None:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        remaining = iter(rows)
        done = 0
        while chunk := list(itertools.islice(remaining, CHUNK_ROWS)):
            writer.writerows(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done)

    return produce


def envelope(command: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--json`` document of every command: ``schema_version``, ``lrplan_version`` and
    ``command`` first, then ``payload``."""
    from lrplan._version import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "lrplan_version": __version__,
        "command": command,
        **payload,
    }


def json_writer(document: dict[str, Any]) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text` that writes ``document`` as indented JSON."""
    import json

    def produce(stream: IO[str]) -> None:
        json.dump(document, stream, indent=2, allow_nan=False)
        stream.write("\n")

    return produce


def schedule_columns(schedule: Schedule) -> list[str]:
    """The CSV columns of a schedule: epoch, step (in step mode), phase, lr."""
    step_mode = schedule.config.interval == "step"
    return ["epoch", *(["step"] if step_mode else []), "phase", "lr"]


def schedule_csv(
    schedule: Schedule, progress: Callable[[int], None] | None = None
) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text`: every row of ``schedule`` as CSV.

    The rows come from :meth:`Schedule.columns`, so a million rows take about a second.
    """
    epochs, steps, phases, lrs = schedule.columns()
    if schedule.config.interval == "step":
        rows: Iterable[Sequence[Any]] = zip(epochs, steps, phases, lrs, strict=True)
    else:
        rows = zip(epochs, phases, lrs, strict=True)
    return csv_writer(schedule_columns(schedule), rows, progress)


def schedule_document(
    schedule: Schedule, summary: Summary, found: Sequence[Insight], command: str = "show"
) -> dict[str, Any]:
    """The ``--json`` document of one schedule."""
    return {
        **_document_head(schedule, summary, found, command),
        "rows": [
            {
                "epoch": row.epoch,
                **({"step": row.step} if schedule.config.interval == "step" else {}),
                "phase": row.phase,
                "lr": row.lr,
            }
            for row in schedule.rows()
        ],
    }


def _document_head(
    schedule: Schedule, summary: Summary, found: Sequence[Insight], command: str
) -> dict[str, Any]:
    """Every key of :func:`schedule_document` but ``rows``."""
    return envelope(
        command,
        {
            **config_fields(schedule.config),
            "summary": summary.to_dict(),
            "insights": [insight.to_dict(as_options) for insight in found],
        },
    )


def config_fields(config: ScheduleConfig) -> dict[str, Any]:
    """What every document says of a planned configuration: its class, the constructor call
    and the settings."""
    from lrplan.core.schedulers import call_text

    return {
        "scheduler": config.class_name,
        "constructor": call_text(config),
        "config": config.to_dict(),
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

    step_mode = comparison.step_mode
    has_ratio = comparison.has_ratio
    classes = {candidate.config.class_name for candidate in comparison.candidates}
    return envelope(
        command,
        {
            # The class every candidate shares; null when they differ (see each candidate's).
            "scheduler": classes.pop() if len(classes) == 1 else None,
            **extra,
            "unit": comparison.unit,
            "steps_per_epoch": comparison.per_epoch,
            "ratio": comparison.ratio_label,
            "candidates": [
                {
                    "label": candidate.label,
                    **config_fields(candidate.config),
                    "summary": candidate.summary.to_dict(),
                    "metrics": candidate.metrics.to_dict(),
                    "insights": [insight.to_dict(as_options) for insight in candidate.insights],
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
        },
    )


def schedule_json(
    schedule: Schedule,
    summary: Summary,
    found: Sequence[Insight],
    progress: Callable[[int], None] | None = None,
    command: str = "show",
    *,
    sources: Mapping[str, str] | None = None,
) -> Callable[[IO[str]], None]:
    """A producer for :func:`write_text`: :func:`schedule_document` written as it is made.

    The text is exactly ``json_writer(schedule_document(...))``'s, but the rows are written
    a chunk at a time instead of being built as one list of dicts first (about 300 bytes a
    row, 6 GB for the longest schedule lrplan plans). ``progress``, if given, is called with
    the number of rows written so far, now and then. ``sources`` (where each value of the
    plan came from, when a config was read) is written as ``"sources"``.
    """
    import json

    extra = {"sources": dict(sources)} if sources is not None else {}
    head = json.dumps(
        {**_document_head(schedule, summary, found, command), **extra, "rows": []},
        indent=2,
        allow_nan=False,
    )
    # The document ends with the empty rows list: '  "rows": []\n}'.
    before, empty, after = head.rpartition("[]")
    assert empty and after == "\n}", "rows must be the last key of the document"
    # One row as json.dumps(indent=2) writes it at this depth; %r of a float is its JSON.
    template = (
        '    {\n      "epoch": %d,\n      "step": %d,\n      "phase": "%s",\n      "lr": %r\n    }'
        if schedule.config.interval == "step"
        else '    {\n      "epoch": %d,\n      "phase": "%s",\n      "lr": %r\n    }'
    )

    def produce(stream: IO[str]) -> None:
        stream.write(before)
        count = len(schedule)
        if count == 0:
            stream.write("[]\n}\n")
            return
        stream.write("[\n")
        for start in range(0, count, CHUNK_ROWS):
            epochs, steps, phases, lrs = schedule.columns(start, start + CHUNK_ROWS)
            values = (
                zip(epochs, steps, phases, lrs, strict=True)
                if schedule.config.interval == "step"
                else zip(epochs, phases, lrs, strict=True)
            )
            if start:
                stream.write(",\n")
            stream.write(",\n".join([template % row for row in values]))
            if progress is not None:
                progress(min(count, start + CHUNK_ROWS))
        stream.write("\n  ]\n}\n")

    return produce
