"""Reduce a :class:`Table` to the :class:`TrainingLog` diagnose reads: choose the loss and the
learning-rate columns, place every value at its epoch or step, and average each point.

Lightning's CSVLogger leaves blank the cells a logging call did not log, and its
LearningRateMonitor rows carry no epoch: a blank epoch is filled from the rows around it.
"""

from __future__ import annotations

import itertools
import math
import operator
import statistics
from array import array
from collections.abc import Iterator

from lrplan.core.config import MAX_LR
from lrplan.errors import LrplanError
from lrplan.inputs.limits import MAX_POSITION
from lrplan.inputs.logs.columns import (
    HELD_OUT_WORDS,
    choices,
    guess_loss_column,
    guess_lr_columns,
    guess_validation_columns,
    listed,
    words,
)
from lrplan.inputs.logs.model import (
    Column,
    ColumnChoice,
    LoggedLr,
    Table,
    TrainingLog,
    Validation,
)

#: A log read per logged step is cut into at most this many runs of steps, each one point of
#: the loss curve (its mean): single steps are too noisy to read a trend from.
MAX_STEP_POINTS = 200
#: A loss logged in fewer epochs than this, but at twice as many steps or more, is read per
#: step: a handful of epoch means hides the curve the steps show.
FEW_EPOCHS = 10
#: A log with more logged learning rates than this keeps every k-th (and says so), so that a
#: million-step log is checked against its plan in bounded memory.
MAX_LR_POINTS = 20_000
#: A guessed loss column with fewer values than this comes after one with more.
CURVE_VALUES = 2
_BLANK = -1


def reduce_table(table: Table, loss_column: str | None, lr_column: str | None) -> TrainingLog:
    """The loss curve and logged rates of ``table``. See :class:`TrainingLog`.

    Raises:
        LrplanError: one line naming the file, for a log without an epoch or step column or a
            loss column, with a value that is not a number, or without any loss value.
    """
    path, what = table.path, table.what
    if table.epoch is None and table.step is None:
        raise LrplanError(
            f"{path}: no epoch or step column (columns: {listed(table.header)}); {what}"
        )
    loss = _choose_loss(table, loss_column)
    lr = _choose_lr(table, lr_column)
    epochs = _positions(table, table.epoch)
    steps = _positions(table, table.step)
    has_epochs = epochs is not None and any(value != _BLANK for value in epochs)
    has_steps = steps is not None and any(value != _BLANK for value in steps)
    if has_epochs:
        assert epochs is not None
        _fill(epochs)
    elif not has_steps:
        named = table.epoch or table.step
        raise LrplanError(f"{path}: column {named!r} has no values; {what}")

    losses = table.columns[loss.name].checked(path, loss.name, what)
    notes = list(table.notes)
    unit = "epoch" if has_epochs else "step"
    where = epochs if has_epochs else steps
    assert where is not None
    epochs_logged = len({where[row] for row in losses.rows}) if has_epochs else None
    if has_epochs and has_steps:
        assert steps is not None
        epoch_count = epochs_logged or 0
        step_count = len({steps[row] for row in losses.rows if steps[row] != _BLANK})
        if epoch_count < FEW_EPOCHS and step_count >= 2 * max(epoch_count, 1):
            unit, where = "step", steps
            notes.append(
                f"read per logged step: {loss.name} was logged at {step_count} steps over"
                f" {epoch_count} epoch{'s' if epoch_count != 1 else ''}"
            )
    if _BLANK in where:
        for row in losses.rows:
            if where[row] == _BLANK:
                raise LrplanError(
                    f"{path}: {table.line_of(row)}: a {loss.name} value without {unit}; {what}"
                )
    placed = [where[row] for row in losses.rows]
    resumes = _resumes(losses, placed)
    if resumes:
        losses = _without_superseded(losses, where, resumes)
        placed = [where[row] for row in losses.rows]
        notes.append(_resumed_note(table, resumes, unit))
    positions, means = _means(losses, where, placed)
    if not positions:
        raise LrplanError(f"{path}: column {loss.name} has no values; give --loss-column NAME")
    steps_per_point = 1
    if unit == "step" and len(positions) > MAX_STEP_POINTS:
        steps_per_point = math.ceil(len(positions) / MAX_STEP_POINTS)
        means = [
            _mean(means[start : start + steps_per_point])
            for start in range(0, len(means), steps_per_point)
        ]
        positions = positions[::steps_per_point]

    lrs, lr_every = _logged_lrs(table, lr, epochs if has_epochs else None, steps, (where, resumes))
    validation = _validation(table, loss, where, resumes, steps_per_point)
    steps_per_epoch = None
    if has_epochs and steps is not None:
        assert epochs is not None
        steps_per_epoch = _steps_per_epoch(epochs, steps)
    if steps_per_epoch is None and table.planned_steps and table.planned_epochs:
        steps_per_epoch = max(1, round(table.planned_steps / table.planned_epochs))
    return TrainingLog(
        path=path,
        rows=table.rows,
        unit=unit,
        loss=loss,
        lr=lr,
        positions=tuple(positions),
        losses=tuple(means),
        lrs=tuple(lrs),
        steps_per_epoch=steps_per_epoch,
        steps_per_point=steps_per_point,
        kind=table.kind,
        notes=tuple(notes),
        lr_every=lr_every,
        planned_steps=table.planned_steps,
        planned_epochs=table.planned_epochs,
        epochs_logged=epochs_logged,
        validation=validation,
    )


def _resumes(column: Column, placed: list[int]) -> list[tuple[int, int]]:
    """Where the log goes back: (the row, the epoch or step it goes back to) for each value
    of ``column`` placed before the one logged ahead of it. A run resumed from an earlier
    checkpoint appends to its log and redoes those epochs or steps."""
    if all(map(operator.le, placed, itertools.islice(placed, 1, None))):
        return []
    return [
        (column.rows[index], placed[index])
        for index in range(1, len(placed))
        if placed[index] < placed[index - 1]
    ]


def _without_superseded(column: Column, where: array, resumes: list[tuple[int, int]]) -> Column:
    """``column`` without the values a resumed run logged again: a row before a resume whose
    epoch or step the resumed run reached again is replaced by the later one.

    A row is dropped when its position is at or past the lowest position any later resume
    went back to: one pass over the rows, with those lowest positions ready per resume.
    """
    kept = Column(bad=column.bad, repeats=column.repeats, lists=column.lists)
    ordered = sorted(resumes)
    # lowest[i]: the lowest position the resumes from the i-th on went back to.
    lowest = [0] * len(ordered)
    floor = math.inf
    for index in range(len(ordered) - 1, -1, -1):
        floor = min(floor, ordered[index][1])
        lowest[index] = floor
    next_resume = 0
    for row, value in zip(column.rows, column.values, strict=True):
        while next_resume < len(ordered) and ordered[next_resume][0] <= row:
            next_resume += 1
        if next_resume < len(ordered) and where[row] >= lowest[next_resume]:
            continue
        kept.rows.append(row)
        kept.values.append(value)
    return kept


def _resumed_note(table: Table, resumes: list[tuple[int, int]], unit: str) -> str:
    row, back = resumes[0]
    more = f" ({len(resumes)} times in all)" if len(resumes) > 1 else ""
    return (
        f"the log goes back to {unit} {back} at {table.line_of(row)}{more}: a resumed run;"
        f" from there on its later rows replace the earlier ones of the same {unit}s"
    )


def _validation(
    table: Table,
    loss: ColumnChoice,
    where: array,
    resumes: list[tuple[int, int]],
    steps_per_point: int,
) -> Validation | None:
    """The validation curve beside a training loss: the first column of
    :func:`guess_validation_columns` with two or more values at known positions; None when
    the loss read is itself a validation loss, or the log has none."""
    if words(loss.name) & set(HELD_OUT_WORDS) or words(loss.name) & {"test"}:
        return None
    candidates = [
        (name, higher)
        for name, higher in guess_validation_columns(table.header)
        if name != loss.name and name in table.columns
    ]
    for name, higher in candidates:
        column = table.columns[name]
        if column.bad is not None:
            continue
        column = Column(
            array("q", (row for row in column.rows if where[row] != _BLANK)),
            array(
                "d",
                (
                    v
                    for row, v in zip(column.rows, column.values, strict=True)
                    if where[row] != _BLANK
                ),
            ),
        )
        if resumes:
            column = _without_superseded(column, where, resumes)
        if len({where[row] for row in column.rows}) < 2:
            continue
        positions, means = _means(column, where)
        if steps_per_point > 1 and len(positions) > MAX_STEP_POINTS:
            every = math.ceil(len(positions) / MAX_STEP_POINTS)
            means = [_mean(means[i : i + every]) for i in range(0, len(means), every)]
            positions = positions[::every]
        others = tuple(other for other, _ in candidates if other != name)
        return Validation(ColumnChoice(name, True, others), tuple(positions), tuple(means), higher)
    return None


def _choose_loss(table: Table, chosen: str | None) -> ColumnChoice:
    path, header = table.path, table.header
    candidates = guess_loss_column(header)
    if table.metric is not None and table.metric not in candidates:
        candidates.insert(0, table.metric)
    if chosen is not None:
        if chosen not in header:
            raise LrplanError(
                f"invalid --loss-column: {path} has no column {chosen!r};"
                f" {choices(candidates, header)}"
            )
        return ColumnChoice(chosen, False, tuple(name for name in candidates if name != chosen))
    # A loss column the logger declared but never filled is no guess at all, and one
    # filled once (a loss logged at the end only) is a worse guess than a curve.
    counts = {name: _filled_cells(table, name) for name in candidates}
    filled = [name for name in candidates if counts[name]]
    filled.sort(key=lambda name: counts[name] < CURVE_VALUES)
    if not filled:
        what = "an empty loss column" if candidates else "no loss column"
        raise LrplanError(
            f"{path}: {what} (columns: {listed(header)}); give --loss-column NAME, the"
            " column of the training loss"
        )
    return ColumnChoice(filled[0], True, tuple(name for name in candidates if name != filled[0]))


def _filled_cells(table: Table, name: str) -> int:
    """How many cells of a column are filled, a cell that is not a number included."""
    column = table.columns.get(name, Column())
    return len(column) + (column.bad is not None)


def _choose_lr(table: Table, chosen: str | None) -> ColumnChoice | None:
    path, header = table.path, table.header
    candidates = guess_lr_columns(header)
    if chosen is not None:
        if chosen not in header:
            raise LrplanError(
                f"invalid --lr-column: {path} has no column {chosen!r};"
                f" {choices(candidates, header)}"
            )
        return ColumnChoice(chosen, False, tuple(name for name in candidates if name != chosen))
    if not candidates:
        return None
    return ColumnChoice(candidates[0], True, tuple(candidates[1:]))


def _positions(table: Table, name: str | None) -> array | None:
    """Each row's value of column ``name`` as a whole number, ``_BLANK`` where blank."""
    if name is None:
        return None
    column = table.columns[name].checked(table.path, name, table.what)
    values = column.values
    if values and not (min(values) >= 0 and all(map(float.is_integer, values))):
        index = next(i for i, value in enumerate(values) if not _whole(value))
        raise LrplanError(
            f"{table.path}: {table.line_of(column.rows[index])}: {name} '{values[index]:g}' is"
            f" not a whole number; {table.what}"
        )
    if values and max(values) > MAX_POSITION:
        index = next(i for i, value in enumerate(values) if value > MAX_POSITION)
        raise LrplanError(
            f"{table.path}: {table.line_of(column.rows[index])}: {name} '{values[index]:g}' is"
            f" out of range: an epoch or step is a whole number up to 2**53; {table.what}"
        )
    if len(column) == table.rows:  # every row filled: the rows are 0, 1, 2, ...
        return array("q", map(int, values))
    found = array("q", [_BLANK]) * table.rows
    for row, value in zip(column.rows, values, strict=True):
        found[row] = int(value)
    return found


def _whole(value: float) -> bool:
    return value >= 0 and value.is_integer()


def _fill(epochs: array) -> None:
    """Blank epochs filled in: from the next row that has one, else from the one before.

    LearningRateMonitor logs at the start of an epoch, before any row of that epoch, and
    writes no epoch; the next row with an epoch is that epoch's.
    """
    if _BLANK not in epochs:
        return
    following = _BLANK
    for index in range(len(epochs) - 1, -1, -1):
        if epochs[index] == _BLANK:
            epochs[index] = following
        else:
            following = epochs[index]
    previous = _BLANK
    for index, epoch in enumerate(epochs):
        if epoch == _BLANK:
            epochs[index] = previous
        else:
            previous = epoch


def _means(
    column: Column, where: array, placed: list[int] | None = None
) -> tuple[list[int], list[float]]:
    """The positions that hold a value, in order, and the mean value at each (``placed``:
    each value's position, when already known)."""
    if placed is None:
        placed = [where[row] for row in column.rows]
    values = column.values
    if all(map(operator.lt, placed, itertools.islice(placed, 1, None))):
        return placed, list(values)  # one value per position, in order: a log of steps
    pairs: Iterator[tuple[int, float]] = zip(placed, values, strict=True)
    if not all(map(operator.le, placed, itertools.islice(placed, 1, None))):
        order = sorted(range(len(placed)), key=placed.__getitem__)
        pairs = ((placed[index], values[index]) for index in order)
    positions: list[int] = []
    means: list[float] = []
    for position, group in itertools.groupby(pairs, key=operator.itemgetter(0)):
        positions.append(position)
        means.append(_mean([value for _, value in group]))
    return positions, means


def _mean(values: list[float]) -> float:
    """The mean, or the first non-finite value: a NaN anywhere makes the whole point NaN."""
    for value in values:
        if not math.isfinite(value):
            return value
    return math.fsum(values) / len(values)


def _logged_lrs(
    table: Table,
    lr: ColumnChoice | None,
    epochs: array | None,
    steps: array | None,
    resumed: tuple[array, list[tuple[int, int]]],
) -> tuple[list[LoggedLr], int]:
    if lr is None:
        return [], 1
    column = table.columns[lr.name].checked(table.path, lr.name, table.what)
    where, resumes = resumed
    if resumes:
        column = _without_superseded(column, where, resumes)
    every = max(1, math.ceil(len(column) / MAX_LR_POINTS))
    values = column.values
    # Above MAX_LR (1e6) no value is a learning rate: lrplan plans none so high either.
    if not all(0 <= value <= MAX_LR for value in values):
        index = next(i for i, v in enumerate(values) if not 0 <= v <= MAX_LR)
        raise LrplanError(
            f"{table.path}: {table.line_of(column.rows[index])}: {lr.name} '{values[index]:g}'"
            " is not a learning rate; give --lr-column the column of the logged learning rate"
        )
    found = []
    for row, value in zip(column.rows[::every], values[::every], strict=True):
        epoch = epochs[row] if epochs is not None else _BLANK
        step = steps[row] if steps is not None else _BLANK
        found.append(
            LoggedLr(None if epoch == _BLANK else epoch, None if step == _BLANK else step, value)
        )
    return found, every


def _steps_per_epoch(epochs: array, steps: array) -> int | None:
    """The optimizer steps of one epoch: how far the last step logged in an epoch moves from
    one epoch to the next (the most common such distance); None without steps."""
    # The last row of an epoch holds its last step (steps grow through a log).
    last = dict(zip(epochs, steps, strict=True))
    last.pop(_BLANK, None)
    last = {epoch: step for epoch, step in last.items() if step != _BLANK}
    ordered = sorted(last)
    gaps = [
        last[following] - last[epoch]
        for epoch, following in itertools.pairwise(ordered)
        if following == epoch + 1 and last[following] > last[epoch]
    ]
    if not gaps:
        return None
    return statistics.mode(gaps)
