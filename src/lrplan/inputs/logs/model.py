"""What a log reader produces: a sparse table of numbers, then a :class:`TrainingLog`.

Every reader (CSV, Hugging Face's trainer_state.json, TensorBoard event files) turns its file
into a :class:`Table`: the column names it found, and for the columns that may matter (the
epoch, the step, the losses, the learning rates) the rows that hold a value and the values, in
compact arrays so that a log of a million rows costs a few times its size in memory.
:mod:`lrplan.inputs.logs.reduce` reduces the table to the :class:`TrainingLog` diagnose reads.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError


@dataclass
class Column:
    """The filled cells of one column: ``rows[i]`` holds ``values[i]`` (blank rows left out).

    ``bad`` is the first cell that was not a number (its line and text), kept rather than
    raised so that only a column that is used can fail the read.
    """

    rows: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))
    bad: tuple[int, str] | None = None
    #: Cells that repeated the column's own name: a header row written again mid-file.
    repeats: int = 0
    #: Cells that held a list (one value per param group), read as their first value.
    lists: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def checked(self, path: Path, name: str, what: str) -> Column:
        """This column, or the one-line error for its first cell that is not a number."""
        if self.bad is not None:
            line, cell = self.bad
            raise LrplanError(f"{path}: line {line}: {name} {cell!r} is not a number; {what}")
        return self


@dataclass
class Table:
    """A log as the readers see it, before any column is chosen.

    ``header`` names every column; ``columns`` holds those parsed (a reader may skip the ones
    that cannot be an epoch, a step, a loss or a learning rate). ``epoch`` and ``step`` name
    the position columns, if any. ``line_of(row)`` gives a row's line in the file, for
    messages. ``kind`` says which logger wrote the file, in the user's words; ``what`` says
    what was expected, for messages. ``planned_steps`` is the run's planned length in
    optimizer steps when the file says it (Hugging Face's ``max_steps``), with
    ``planned_epochs`` (``num_train_epochs``). ``metric`` names the one series of an export
    that holds only one (a TensorBoard CSV export), the loss whatever its name.
    """

    path: Path
    kind: str
    what: str
    header: list[str]
    rows: int
    columns: dict[str, Column]
    epoch: str | None = None
    step: str | None = None
    lines: array | None = None
    planned_steps: int | None = None
    planned_epochs: float | None = None
    metric: str | None = None
    record: str = "record"
    notes: list[str] = field(default_factory=list)

    def line_of(self, row: int) -> str:
        if self.lines is not None and row < len(self.lines):
            return f"line {self.lines[row]}"
        return f"{self.record} {row + 1}"


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
class Validation:
    """The validation curve of a log: a validation (or eval) loss, or a validation metric whose
    direction is known, at the same epochs or steps as the training loss.

    ``positions`` and ``values`` are as logged (the mean at each position); ``higher_better``
    is True for a metric to maximise (accuracy, top-1, F1), False for a loss or an error.
    """

    column: ColumnChoice
    positions: tuple[int, ...]
    values: tuple[float, ...]
    higher_better: bool = False

    def __len__(self) -> int:
        return len(self.positions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column.to_dict(),
            "points": len(self.positions),
            "higher_better": self.higher_better,
        }


@dataclass(frozen=True)
class TrainingLog:
    """A training log reduced to a loss curve and the learning rates it logged.

    ``positions[i]`` is an epoch (``unit="epoch"``), or the first logged step of a run of
    steps (``unit="step"``: a log without epochs, or with too few epochs to read a curve
    from); ``losses[i]`` is the mean loss logged there, NaN or infinite if any value there
    was. ``lrs`` holds the logged learning rates in file order (every ``lr_every``-th of a
    very long log), its epoch filled in from the rows around it where the row had none.
    ``steps_per_epoch`` is read from the step column of a log with epochs, if it has one.
    ``kind`` names the logger; ``notes`` say how the log was read where it matters.
    ``planned_steps`` and ``planned_epochs`` are the run's planned length when the file
    says it.
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
    kind: str = "CSV"
    notes: tuple[str, ...] = ()
    lr_every: int = 1
    planned_steps: int | None = None
    planned_epochs: float | None = None
    epochs_logged: int | None = None
    validation: Validation | None = None

    def __len__(self) -> int:
        return len(self.positions)

    def where(self, index: int) -> str:
        """``epoch 4``, or ``step 1200`` for a log read per step."""
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
            "kind": self.kind,
            "rows": self.rows,
            "unit": self.unit,
            "points": len(self.positions),
            "loss_column": self.loss.to_dict(),
            "lr_column": self.lr.to_dict() if self.lr is not None else None,
            "steps_per_epoch": self.steps_per_epoch,
            "steps_per_point": self.steps_per_point,
            "lr_every": self.lr_every,
            "notes": list(self.notes),
            "validation": self.validation.to_dict() if self.validation is not None else None,
        }
