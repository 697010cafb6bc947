"""Read Hugging Face Trainer's ``trainer_state.json`` (its ``log_history``) into a Table.

Each entry of ``log_history`` is one logging call: the training ones hold ``loss``,
``learning_rate``, ``grad_norm``, ``epoch`` (fractional) and ``step``; evaluation ones
``eval_loss``; the last one the run's summary (``train_loss``, ``train_runtime``). The step is
the position: the fractional epoch is no epoch number. ``max_steps`` and ``num_train_epochs``
are the planned length.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError
from lrplan.inputs.limits import MAX_POSITION
from lrplan.inputs.logs.model import Column, Table

WHAT = (
    "give the trainer_state.json a Hugging Face Trainer wrote (in its output_dir or a checkpoint)"
)
#: Keys of the summary entry the Trainer appends after training.
SUMMARY_KEYS = ("train_runtime", "train_samples_per_second")


def read_trainer_state(path: Path) -> Table:
    """``path``'s ``log_history`` as a Table whose step column is ``step``.

    The summary entry's ``train_loss`` (a mean over the run) is left out, unless it is the only
    loss the file holds.

    Raises:
        LrplanError: one line for a file that is not JSON (or cut short), has no
            ``log_history`` list, or whose entries are not objects.
    """
    from lrplan.inputs import limits

    try:
        text = limits.read_text(
            path, str(path), "a training log", limits.JSON_LOG_MAX_BYTES, "utf-8-sig"
        )
    except UnicodeDecodeError:
        raise LrplanError(f"{path}: is not UTF-8 text, so not a JSON file; {WHAT}") from None
    except OSError as error:
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not text.strip():
        raise LrplanError(f"{path}: is empty; {WHAT}")
    try:
        state = limits.parse_json(text, str(path), walked=False)
    except json.JSONDecodeError as error:
        raise LrplanError(
            f"{path}: is not JSON, or is cut short (line {error.lineno}: {error.msg}); {WHAT}"
        ) from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise LrplanError(f"{path}: is JSON without a log_history list; {WHAT}")
    if not all(isinstance(entry, dict) for entry in history):
        raise LrplanError(f"{path}: log_history holds an entry that is not an object; {WHAT}")
    if not history:
        raise LrplanError(f"{path}: log_history is empty: the run logged nothing; {WHAT}")

    entries = [entry for entry in history if not any(key in entry for key in SUMMARY_KEYS)]
    if not any("loss" in entry for entry in entries):
        entries = list(history)
    header: list[str] = []
    columns: dict[str, Column] = {}
    for row, entry in enumerate(entries):
        for key, value in entry.items():
            number = _number(value)
            if number is None:
                continue
            if key not in columns:
                header.append(key)
                columns[key] = Column()
            columns[key].rows.append(row)
            columns[key].values.append(number)
    table = Table(
        path=path,
        kind="Hugging Face trainer_state.json",
        what=WHAT,
        header=header,
        rows=len(entries),
        columns=columns,
        step="step" if "step" in columns else None,
        record="log_history entry",
        planned_steps=_whole(state.get("max_steps")),
        planned_epochs=_positive(state.get("num_train_epochs")),
    )
    if table.step is None:
        raise LrplanError(f"{path}: log_history has no step; {WHAT}")
    return table


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        # The Trainer writes NaN and infinity as the bare words JSON allows Python to read.
        return None
    try:
        return float(value)
    except OverflowError:  # a whole number beyond any float
        return math.inf if value > 0 else -math.inf


def _whole(value: Any) -> int | None:
    number = _number(value)
    if number is None or not 0 < number <= MAX_POSITION or not number.is_integer():
        return None
    return int(number)


def _positive(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 and math.isfinite(number) else None
