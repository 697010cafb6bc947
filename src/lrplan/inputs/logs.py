"""Read a training log: the metrics.csv of PyTorch Lightning's CSVLogger, or any CSV like it.

A log is read with the csv module into one loss per epoch (or per logged step, for a log
without an epoch column) and every learning rate it logged, with the step and epoch it was
logged at. Lightning's CSVLogger writes one row per logging call and leaves the cells that
call did not log blank; its LearningRateMonitor rows have no epoch at all. Both are handled
here, so the rest of lrplan sees one value per epoch.

Torch-free, and so cheap that ``lrplan diagnose`` reads the log before planning anything.
"""

from __future__ import annotations

import csv
import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError

#: The name Lightning's CSVLogger gives its file, looked for when LOG is a folder.
METRICS_FILE = "metrics.csv"
#: Column names (compared in lower case) that hold the epoch, and the step, of a row.
EPOCH_COLUMNS = ("epoch",)
STEP_COLUMNS = ("step", "global_step", "trainer/global_step", "iteration", "iter")
#: Words in a loss column's name that say it is not the training loss, or that it holds one
#: value per epoch or per step.
VALIDATION_WORDS = ("val", "valid", "validation", "test", "eval")
TRAINING_WORDS = ("train", "training")
#: A log without an epoch column is cut into at most this many runs of logged steps, each
#: one point of the loss curve (its mean): single steps are too noisy to read a trend from.
MAX_STEP_POINTS = 200
#: Bytes read to tell a text file from a binary one.
SNIFF_BYTES = 8192

_WHAT = "give the metrics.csv a CSV logger wrote (PyTorch Lightning's CSVLogger, or any CSV"
_WHAT += " with an epoch or step column and a loss column)"


@dataclass(frozen=True)
class LoggedLr:
    """One learning rate the log holds, with where it was logged (None: not said)."""

    epoch: int | None
    step: int | None
    lr: float


@dataclass(frozen=True)
class ColumnChoice:
    """The column used for a quantity, whether lrplan guessed it, and the others it could be."""

    name: str
    guessed: bool
    others: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "guessed": self.guessed, "others": list(self.others)}


@dataclass(frozen=True)
class TrainingLog:
    """A training log reduced to a loss curve and the learning rates it logged.

    ``positions[i]`` is an epoch (``unit="epoch"``), or the first logged step of a run of
    steps (``unit="step"``, a log without epochs); ``losses[i]`` is the mean loss logged
    there, NaN or infinite if any value there was. ``lrs`` holds every logged learning
    rate in file order, its epoch filled in from the rows around it where the row had none.
    ``steps_per_epoch`` is read from the step column of a log with epochs, if it has one.
    """

    path: Path
    rows: int
    unit: str
    loss: ColumnChoice
    lr: ColumnChoice | None
    positions: tuple[int, ...]
    losses: tuple[float, ...]
    lrs: tuple[LoggedLr, ...]
    steps_per_epoch: int | None
    steps_per_point: int = 1

    def __len__(self) -> int:
        return len(self.positions)

    def where(self, index: int) -> str:
        """``epoch 4``, or ``step 1200`` for a log without epochs."""
        return f"{self.unit} {self.positions[index]}"

    def first_lr_by_epoch(self) -> dict[int, LoggedLr]:
        """The first learning rate logged in each epoch: the rate that epoch started with."""
        found: dict[int, LoggedLr] = {}
        for logged in self.lrs:
            if logged.epoch is not None and logged.epoch not in found:
                found[logged.epoch] = logged
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "rows": self.rows,
            "unit": self.unit,
            "points": len(self.positions),
            "loss_column": self.loss.to_dict(),
            "lr_column": self.lr.to_dict() if self.lr is not None else None,
            "steps_per_epoch": self.steps_per_epoch,
            "steps_per_point": self.steps_per_point,
        }


def read_log(
    path: Path, *, loss_column: str | None = None, lr_column: str | None = None
) -> TrainingLog:
    """Read ``path`` (a CSV file, or a folder holding ``metrics.csv``) into a TrainingLog.

    The position is the ``epoch`` column, else a step column (``step``, ``global_step``, ...).
    Without ``loss_column`` the loss is guessed with :func:`guess_loss_column`, without
    ``lr_column`` the learning rate with :func:`guess_lr_columns` (a log may have none).

    Raises:
        LrplanError: one line naming ``path`` and what was expected, for a file that is
            missing, binary, not UTF-8, empty, without rows, without an epoch or step
            column or a loss column, with a row longer than its header, with a value
            that is not a number, or whose loss is never finite.
    """
    path = _metrics_file(path)
    header, records = _read_table(path)
    lowered = [name.lower() for name in header]

    epoch_index = _find(lowered, EPOCH_COLUMNS)
    step_index = _find(lowered, STEP_COLUMNS)
    if epoch_index is None and step_index is None:
        raise LrplanError(f"{path}: no epoch or step column (columns: {_listed(header)}); {_WHAT}")
    loss = _choose_loss(path, header, records, loss_column)
    lr = _choose_lr(path, header, lr_column)
    loss_index = header.index(loss.name)
    lr_index = header.index(lr.name) if lr is not None else None

    epochs = _whole_numbers(path, header, records, epoch_index)
    steps = _whole_numbers(path, header, records, step_index)
    if any(epoch is not None for epoch in epochs):
        epochs = _filled(epochs)
        unit, where = "epoch", epochs
    elif any(step is not None for step in steps):
        unit, where = "step", steps
    else:
        named = [header[index] for index in (epoch_index, step_index) if index is not None]
        raise LrplanError(f"{path}: column {named[0]!r} has no values; {_WHAT}")

    values: dict[int, list[float]] = {}
    for record, position in zip(records, where, strict=True):
        value = _number(path, header, record, loss_index)
        if value is None:
            continue
        if position is None:
            raise LrplanError(
                f"{path}: line {record.line}: a {loss.name} value without {unit}; {_WHAT}"
            )
        values.setdefault(position, []).append(value)
    _check_loss(path, loss.name, values)

    positions = sorted(values)
    losses = [_mean(values[position]) for position in positions]
    steps_per_point = 1
    if unit == "step" and len(positions) > MAX_STEP_POINTS:
        steps_per_point = math.ceil(len(positions) / MAX_STEP_POINTS)
        positions = positions[::steps_per_point]
        losses = [
            _mean(losses[start : start + steps_per_point])
            for start in range(0, len(losses), steps_per_point)
        ]

    lrs: list[LoggedLr] = []
    if lr_index is not None:
        for record, epoch, step in zip(records, epochs, steps, strict=True):
            value = _number(path, header, record, lr_index)
            if value is None:
                continue
            if not math.isfinite(value) or value < 0:
                raise LrplanError(
                    f"{path}: line {record.line}: {header[lr_index]}"
                    f" {record.cells[lr_index].strip()!r} is not a learning rate; give"
                    " --lr-column the column of the logged learning rate"
                )
            lrs.append(LoggedLr(epoch if unit == "epoch" else None, step, value))

    return TrainingLog(
        path=path,
        rows=len(records),
        unit=unit,
        loss=loss,
        lr=lr,
        positions=tuple(positions),
        losses=tuple(losses),
        lrs=tuple(lrs),
        steps_per_epoch=_steps_per_epoch(epochs, steps) if unit == "epoch" else None,
        steps_per_point=steps_per_point,
    )


# --- columns ----------------------------------------------------------------------------------


def guess_loss_column(columns: Sequence[str]) -> list[str]:
    """The columns that may hold the loss, best first.

    A column is a candidate when its name holds ``loss``. The training loss comes before a
    loss that says nothing, which comes before a validation or test loss; among those, one
    logged per epoch (``..._epoch``) before one that says nothing before one per step
    (``..._step``): Lightning's ``train_loss_epoch`` first, then ``train_loss``, ``loss``,
    ``train_loss_step``, ``val_loss``. Ties keep the order of the columns.
    """
    candidates = [name for name in columns if "loss" in name.lower()]

    def rank(name: str) -> tuple[int, int]:
        words = _words(name)
        if words & set(VALIDATION_WORDS):
            kind = 2
        elif words & set(TRAINING_WORDS):
            kind = 0
        else:
            kind = 1
        if "epoch" in words:
            level = 0
        elif "step" in words:
            level = 2
        else:
            level = 1
        return kind, level

    return sorted(candidates, key=rank)


def guess_lr_columns(columns: Sequence[str]) -> list[str]:
    """The columns that may hold the learning rate, best first.

    ``lr``, ``learning_rate``, and names starting ``lr-`` (Lightning's LearningRateMonitor:
    ``lr-AdamW``, ``lr-AdamW/pg1`` for each param group), ``lr_`` or ``lr/``, or ending
    ``/lr``; not the ``-momentum`` and ``-weight_decay`` columns that monitor also writes,
    nor an ``lr_scale``.
    The first param group comes first; otherwise the order of the columns.
    """
    found = []
    for name in columns:
        lowered = name.lower()
        # The monitor's other columns, and WarmupCosLR's per-group multiplier.
        if lowered.endswith(("momentum", "weight_decay", "scale")):
            continue
        if (
            lowered in ("lr", "learning_rate", "learning-rate")
            or lowered.startswith(("lr-", "lr_", "lr/", "learning_rate"))
            or lowered.endswith(("/lr", "/learning_rate", ".lr"))
        ):
            found.append(name)
    return sorted(found, key=lambda name: 0 if "/pg" not in name.lower() else 1)


def _words(name: str) -> set[str]:
    text = name.lower()
    for separator in "/-.: ":
        text = text.replace(separator, "_")
    return {word for word in text.split("_") if word}


def _choose_loss(
    path: Path, header: list[str], records: list[_Record], chosen: str | None
) -> ColumnChoice:
    candidates = guess_loss_column(header)
    if chosen is not None:
        if chosen not in header:
            raise LrplanError(
                f"invalid --loss-column: {path} has no column {chosen!r};"
                f" {_choices(candidates, header)}"
            )
        return ColumnChoice(chosen, False, tuple(name for name in candidates if name != chosen))
    # A loss column the logger declared but never filled is no guess at all.
    filled = [name for name in candidates if _has_value(records, header.index(name))]
    if not filled:
        what = "an empty loss column" if candidates else "no loss column"
        raise LrplanError(
            f"{path}: {what} (columns: {_listed(header)}); give --loss-column NAME, the"
            " column of the training loss"
        )
    return ColumnChoice(filled[0], True, tuple(name for name in candidates if name != filled[0]))


def _choose_lr(path: Path, header: list[str], chosen: str | None) -> ColumnChoice | None:
    candidates = guess_lr_columns(header)
    if chosen is not None:
        if chosen not in header:
            raise LrplanError(
                f"invalid --lr-column: {path} has no column {chosen!r};"
                f" {_choices(candidates, header)}"
            )
        return ColumnChoice(chosen, False, tuple(name for name in candidates if name != chosen))
    if not candidates:
        return None
    return ColumnChoice(candidates[0], True, tuple(candidates[1:]))


def _choices(candidates: Sequence[str], header: Sequence[str]) -> str:
    if candidates:
        return f"give one of {_listed(candidates)}"
    return f"give one of its columns: {_listed(header)}"


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


def _find(lowered: list[str], names: Sequence[str]) -> int | None:
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int
    cells: list[str]


def _metrics_file(path: Path) -> Path:
    try:
        return _find_metrics_file(path)
    except OSError as error:  # a name too long for the file system, a loop of links
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None


def _find_metrics_file(path: Path) -> Path:
    if path.is_dir():
        inside = path / METRICS_FILE
        if inside.is_file():
            return inside
        raise LrplanError(f"{path}: is a folder without {METRICS_FILE}; {_WHAT}")
    if not path.exists():
        raise LrplanError(f"{path}: no such file; {_WHAT}")
    if path.suffix.lower() in (".yaml", ".yml"):
        raise LrplanError(
            f"{path}: is a YAML file, not a training log; give the log's CSV here, and the"
            " training config with --config"
        )
    return path


def _read_table(path: Path) -> tuple[list[str], list[_Record]]:
    """The header (names stripped) and the non-blank rows, padded to the header's length."""
    try:
        with open(path, "rb") as stream:
            start = stream.read(SNIFF_BYTES)
        if b"\x00" in start:
            raise LrplanError(f"{path}: is binary, not a CSV text file; {_WHAT}")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LrplanError(f"{path}: is not UTF-8 text, so not a CSV file; {_WHAT}") from None
    except OSError as error:
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise LrplanError(f"{path}: is empty; {_WHAT}")

    first = next(line for line in lines if line.strip())
    # Lightning writes commas; a CSV from elsewhere may use tabs or semicolons.
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    header: list[str] | None = None
    records: list[_Record] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                _check_header(path, header)
                continue
            if len(cells) > len(header):
                raise LrplanError(
                    f"{path}: line {reader.line_num} has {len(cells)} cells but the header"
                    f" {len(header)}, so the columns do not line up; {_WHAT}"
                )
            # A short row (a file cut off while written) has its last cells blank.
            records.append(_Record(reader.line_num, cells + [""] * (len(header) - len(cells))))
    except csv.Error as error:
        raise LrplanError(f"{path}: line {reader.line_num} is not CSV ({error}); {_WHAT}") from None
    assert header is not None
    if not records:
        raise LrplanError(f"{path}: has a header but no rows; {_WHAT}")
    return header, records


def _check_header(path: Path, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            raise LrplanError(f"{path}: column {name!r} appears twice in the header; {_WHAT}")
        seen.add(name)


def _number(path: Path, header: list[str], record: _Record, index: int) -> float | None:
    """The cell as a float; None when blank. NaN and inf are read as such."""
    cell = record.cells[index].strip()
    if not cell:
        return None
    try:
        return float(cell)
    except ValueError:
        raise LrplanError(
            f"{path}: line {record.line}: {header[index]} {cell!r} is not a number; {_WHAT}"
        ) from None


def _has_value(records: list[_Record], index: int) -> bool:
    return any(record.cells[index].strip() for record in records)


def _whole_numbers(
    path: Path, header: list[str], records: list[_Record], index: int | None
) -> list[int | None]:
    """Each row's value of column ``index`` as a whole number, None where blank."""
    if index is None:
        return [None] * len(records)
    found: list[int | None] = []
    for record in records:
        value = _number(path, header, record, index)
        if value is not None and not (math.isfinite(value) and value.is_integer() and value >= 0):
            raise LrplanError(
                f"{path}: line {record.line}: {header[index]} {record.cells[index].strip()!r}"
                f" is not a whole number; {_WHAT}"
            )
        found.append(None if value is None else int(value))
    return found


def _filled(epochs: list[int | None]) -> list[int | None]:
    """Blank epochs filled in: from the next row that has one, else from the one before.

    LearningRateMonitor logs at the start of an epoch, before any row of that epoch, and
    writes no epoch; the next row with an epoch is that epoch's.
    """
    filled = list(epochs)
    following: int | None = None
    for index in range(len(filled) - 1, -1, -1):
        if filled[index] is None:
            filled[index] = following
        else:
            following = filled[index]
    previous: int | None = None
    for index, epoch in enumerate(filled):
        if epoch is None:
            filled[index] = previous
        else:
            previous = epoch
    return filled


def _check_loss(path: Path, name: str, values: dict[int, list[float]]) -> None:
    if not values:
        raise LrplanError(f"{path}: column {name} has no values; give --loss-column NAME")
    if not any(math.isfinite(value) for found in values.values() for value in found):
        raise LrplanError(
            f"{path}: column {name} holds only NaN or infinite values, so there is no loss"
            " curve to read; give --loss-column NAME for another column"
        )


def _mean(values: Sequence[float]) -> float:
    """The mean, or the first non-finite value: a NaN anywhere makes the whole point NaN."""
    for value in values:
        if not math.isfinite(value):
            return value
    return math.fsum(values) / len(values)


def _steps_per_epoch(epochs: list[int | None], steps: list[int | None]) -> int | None:
    """The optimizer steps of one epoch: how far the last step logged in an epoch moves from
    one epoch to the next (the most common such distance); None without steps."""
    last: dict[int, int] = {}
    for epoch, step in zip(epochs, steps, strict=True):
        if epoch is not None and step is not None:
            last[epoch] = max(step, last.get(epoch, step))
    ordered = sorted(last)
    gaps = [
        last[following] - last[epoch]
        for epoch, following in itertools.pairwise(ordered)
        if following == epoch + 1 and last[following] > last[epoch]
    ]
    if not gaps:
        return None
    return statistics.mode(gaps)
