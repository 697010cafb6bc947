"""Read a CSV log into a :class:`Table`, streaming: Lightning's metrics.csv, timm's summary.csv,
a TensorBoard or W&B CSV export, or any CSV with an epoch or step column and a loss column.

Only the columns that can be an epoch, a step, a loss or a learning rate are parsed, into
compact arrays, so a million-row log is read in one pass at csv.reader's pace.
"""

from __future__ import annotations

import csv
import gc
import re
from array import array
from pathlib import Path

from lrplan.errors import LrplanError
from lrplan.inputs.logs.columns import (
    EPOCH_COLUMNS,
    STEP_COLUMNS,
    find_column,
    guess_loss_column,
    guess_lr_columns,
    guess_validation_columns,
)
from lrplan.inputs.logs.model import Column, Table

#: Bytes read to tell a text file from a binary one.
SNIFF_BYTES = 8192

WHAT = (
    "give the metrics.csv a CSV logger wrote (PyTorch Lightning's CSVLogger, timm's"
    " summary.csv, a TensorBoard or W&B CSV export, or any CSV with an epoch or step column and"
    " a loss column)"
)

#: W&B's export names a column ``<run> - <metric>``, with ``__MIN`` and ``__MAX`` beside it.
_WANDB_COLUMN = re.compile(r"^(?P<run>.+?) - (?P<metric>.+)$")


def read_csv_table(path: Path, wanted: tuple[str | None, str | None]) -> Table:
    """``path`` as a :class:`Table`; ``wanted`` are the loss and lr columns the user named.

    Raises:
        LrplanError: one line naming ``path`` for a file that is binary, not UTF-8, empty,
            without rows, with a header that names a column twice, or with a row longer
            than its header.
    """
    from lrplan.inputs import limits

    try:
        limits.check_file(path, str(path), "a training log", limits.LOG_MAX_BYTES)
        with open(path, "rb") as stream:
            start = stream.read(SNIFF_BYTES)
        if b"\x00" in start:
            raise LrplanError(f"{path}: is binary, not a CSV text file; {WHAT}")
        with open(path, encoding="utf-8-sig", newline="") as stream:
            # A million rows make millions of short-lived lists, none in a cycle: the cyclic
            # garbage collector would scan them over and over, for half the read's time.
            collecting = gc.isenabled()
            gc.disable()
            try:
                return _read(path, stream, wanted)
            finally:
                if collecting:
                    gc.enable()
    except UnicodeDecodeError:
        raise LrplanError(f"{path}: is not UTF-8 text, so not a CSV file; {WHAT}") from None
    except OSError as error:
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None


def _read(path: Path, stream, wanted: tuple[str | None, str | None]) -> Table:  # type: ignore[no-untyped-def]
    first = ""
    consumed = 0
    for line in stream:
        consumed += 1
        if line.strip():
            first = line
            break
    if not first:
        raise LrplanError(f"{path}: is empty; {WHAT}")
    # Lightning writes commas; a CSV from elsewhere may use tabs or semicolons.
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    try:
        header = [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error as error:  # a header cell over csv's field limit (131,072 characters)
        raise LrplanError(
            f"{path}: line {consumed} is not a CSV header ({error}); {WHAT}"
        ) from None
    kind, names, metric = _layout(path, header)
    _check_header(path, names)

    position_names = {find_column(names, EPOCH_COLUMNS), find_column(names, STEP_COLUMNS)}
    parsed = set(guess_loss_column(names)) | set(guess_lr_columns(names)) | position_names
    parsed |= {name for name, _ in guess_validation_columns(names)}
    parsed |= {name for name in wanted if name is not None}
    if metric is not None:
        parsed.add(metric)
    parsed.discard(None)
    columns: dict[str, Column] = {name: Column() for name in names if name in parsed}
    indexed = [(index, name, columns[name]) for index, name in enumerate(names) if name in columns]

    reader = csv.reader(stream, delimiter=delimiter, strict=False)
    lines = array("q")
    width = len(names)
    row = 0
    chunk: list[list[str]] = []
    chunk_last: list[str] = []
    try:
        for cells in reader:
            if not any(cells) or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) > width:
                raise LrplanError(
                    f"{path}: line {consumed + reader.line_num} has {len(cells)} cells but the"
                    f" header {width}, so the columns do not line up; {WHAT}"
                )
            chunk.append(cells)
            chunk_last = cells
            lines.append(consumed + reader.line_num)
            if len(chunk) == CHUNK_ROWS:
                _parse(chunk, row, indexed, lines)
                row += len(chunk)
                chunk = []
        _parse(chunk, row, indexed, lines)
        row += len(chunk)
    except csv.Error as error:
        raise LrplanError(
            f"{path}: line {consumed + reader.line_num} is not CSV ({error}); {WHAT}"
        ) from None
    if not row:
        raise LrplanError(f"{path}: has a header but no rows; {WHAT}")
    notes = []
    repeats = max((column.repeats for column in columns.values()), default=0)
    if repeats:
        notes.append(
            f"the header row is written again {repeats} time{'s' if repeats != 1 else ''}"
            " mid-file (a resumed run appending to its log): those rows are skipped"
        )
    if any(column.lists for column in columns.values()):
        listed_names = [name for name, column in columns.items() if column.lists]
        notes.append(
            f"{', '.join(listed_names)} holds a list, one value per param group: the first"
            " group's value is read"
        )
    if len(chunk_last) < width:
        notes.append(
            f"the last row has {len(chunk_last)} of {width} cells: the file was cut off while"
            " written, and is read up to there"
        )
    table = Table(
        path=path,
        kind=kind,
        what=WHAT,
        header=[name for name in names if name],
        rows=row,
        columns=columns,
        epoch=find_column(names, EPOCH_COLUMNS),
        step=find_column(names, STEP_COLUMNS),
        lines=lines,
        notes=notes,
    )
    if metric is not None:
        table.metric = metric
    return table


#: Rows parsed at a time: column by column, with the conversion to floats at C speed.
CHUNK_ROWS = 8192


def _parse(
    chunk: list[list[str]], first_row: int, indexed: list[tuple[int, str, Column]], lines: array
) -> None:
    """Append the filled cells of ``chunk`` (rows from ``first_row`` on) to their columns.

    A cell that repeats its column's name is a header row written again (timm appends to
    its summary.csv when a run resumes): skipped, and counted. A cell holding a list (timm's
    lr with one value per param group, ``[3.5e-07, 3.5e-07]``) gives its first value."""
    full = all(len(row) > index for row in chunk for index, _, _ in indexed[-1:])
    for index, name, column in indexed:
        # A short row (a file cut off while written) has its last cells blank.
        if full:
            cells = [row[index] for row in chunk]
        else:
            cells = [row[index] if index < len(row) else "" for row in chunk]
        if all(cells):
            before = len(column.values)
            try:  # the usual case, at C speed: every cell a number (float() skips spaces)
                column.values.extend(map(float, cells))
                column.rows.extend(range(first_row, first_row + len(cells)))
                continue
            except ValueError:
                # extend() keeps what it appended before the cell that failed: drop it, and
                # read the chunk cell by cell.
                del column.values[before:]
        for offset, cell in enumerate(cells):
            if not cell or cell.isspace():
                continue
            try:
                value = float(cell)
            except ValueError:
                text = cell.strip()
                if text == name:
                    column.repeats += 1
                    continue
                first = _first_of_list(text)
                if first is not None:
                    column.lists += 1
                    column.rows.append(first_row + offset)
                    column.values.append(first)
                    continue
                if column.bad is None:
                    column.bad = (lines[first_row + offset], cell.strip())
                continue
            column.rows.append(first_row + offset)
            column.values.append(value)


def _first_of_list(text: str) -> float | None:
    """The first number of a list written as Python prints one (``[3.5e-07, 3.5e-07]``), or
    None for anything else."""
    if not (text.startswith(("[", "(")) and text.endswith(("]", ")"))):
        return None
    items = text[1:-1].split(",")
    try:
        numbers = [float(item) for item in items if item.strip()]
    except ValueError:
        return None
    return numbers[0] if numbers else None


def _layout(path: Path, header: list[str]) -> tuple[str, list[str], str | None]:
    """Which logger wrote the file, the column names as lrplan uses them, and for an export of
    one series the name of that series (TensorBoard: after ``-tag-`` in the file name)."""
    lowered = [name.lower() for name in header]
    if "step" in lowered and "value" in lowered and len(header) <= 3:
        stem = path.stem
        metric = stem.split("-tag-", 1)[1] if "-tag-" in stem else stem
        names = [metric if name.lower() == "value" else name for name in header]
        return "TensorBoard CSV export", names, metric
    wandb = [_WANDB_COLUMN.match(name) for name in header]
    if "step" in lowered and any(wandb):
        names = []
        for name, match in zip(header, wandb, strict=True):
            if match is None:
                names.append(name)
            elif match["metric"].endswith(("__MIN", "__MAX")):
                names.append("")  # the band around a smoothed line: not a series
            else:
                names.append(match["metric"] if match["metric"] not in names else name)
        return "W&B CSV export", names, None
    if "eval_top1" in lowered or (path.name == "summary.csv" and "epoch" in lowered):
        return "timm summary.csv", header, None
    if "epoch" in lowered and "step" in lowered:
        return "Lightning metrics.csv", header, None
    return "CSV", header, None


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            raise LrplanError(f"{path}: column {name!r} appears twice in the header; {WHAT}")
        seen.add(name)
