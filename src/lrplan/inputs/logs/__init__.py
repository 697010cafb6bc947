"""Read a training log into one loss curve and the learning rates it logged.

The loggers people use: PyTorch Lightning's CSVLogger (``metrics.csv``), timm's
``summary.csv``, TensorBoard and W&B CSV exports (``Step``, ``Value``), Hugging Face
Trainer's ``trainer_state.json``, and TensorBoard event files (with the ``tensorboard``
extra). A run folder is searched for one of them. Each reader gives a :class:`Table`,
reduced to a :class:`TrainingLog` by :mod:`lrplan.inputs.logs.reduce`.

Torch-free, and cheap: ``lrplan diagnose`` reads the log before planning anything.
"""

from __future__ import annotations

import re
from pathlib import Path

from lrplan.errors import LrplanError
from lrplan.inputs.logs.columns import guess_loss_column, guess_lr_columns, names_lr
from lrplan.inputs.logs.model import ColumnChoice, LoggedLr, Table, TrainingLog
from lrplan.inputs.logs.reduce import MAX_STEP_POINTS, reduce_table

__all__ = [
    "MAX_STEP_POINTS",
    "METRICS_FILE",
    "ColumnChoice",
    "LoggedLr",
    "TrainingLog",
    "find_log",
    "guess_loss_column",
    "guess_lr_columns",
    "names_lr",
    "read_log",
]

#: The name Lightning's CSVLogger gives its file, looked for first in a folder.
METRICS_FILE = "metrics.csv"
TRAINER_STATE = "trainer_state.json"
TIMM_SUMMARY = "summary.csv"
#: The files a run folder is searched for, in this order of preference.
LOG_FILES = (METRICS_FILE, TRAINER_STATE, TIMM_SUMMARY)
#: The suffixes of files read as CSV (a log with no suffix too).
CSV_SUFFIXES = ("", ".csv", ".tsv", ".txt", ".log")
#: How deep below a folder its logs are looked for (lightning_logs/version_0/metrics.csv).
SEARCH_DEPTH = 3
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")
_FOUND = (
    "metrics.csv (Lightning's CSVLogger), trainer_state.json (Hugging Face), summary.csv"
    " (timm) or events.out.tfevents.* (TensorBoard)"
)


def read_log(
    path: Path, *, loss_column: str | None = None, lr_column: str | None = None
) -> TrainingLog:
    """Read ``path`` (a log file, or a run folder holding one) into a TrainingLog.

    The position is the epoch, else the step. Without ``loss_column`` the loss is guessed
    with :func:`guess_loss_column`, without ``lr_column`` the learning rate with
    :func:`guess_lr_columns` (a log may have none).

    Raises:
        LrplanError: one line naming ``path`` and what was expected: a folder without a log,
            a file missing, binary, of an unknown format, empty, cut short or corrupt,
            without an epoch or step and a loss, or with a value that is not a number.
    """
    return reduce_table(read_table(path, (loss_column, lr_column)), loss_column, lr_column)


def read_table(path: Path, wanted: tuple[str | None, str | None] = (None, None)) -> Table:
    """The :class:`Table` of the log at ``path``, by the reader its format needs."""
    files = find_log(path)
    first = files[0]
    from lrplan.inputs.logs import tensorboard

    if tensorboard.is_event_file(first):
        return tensorboard.read_event_files(files)
    if first.suffix.lower() == ".json":
        from lrplan.inputs.logs.trainer_state import read_trainer_state

        return read_trainer_state(first)
    from lrplan.inputs.logs.csv_table import read_csv_table

    if first.suffix.lower() not in CSV_SUFFIXES:
        raise LrplanError(
            f"{first}: is not a format lrplan reads ({first.suffix} file): give a training"
            f" log: {_FOUND}, a TensorBoard or W&B CSV export, or any CSV with an epoch or step"
            " column and a loss column"
        )
    return read_csv_table(first, wanted)


def find_log(path: Path) -> list[Path]:
    """The file(s) to read for ``path``: the file itself, or the log a run folder holds.

    A folder is searched, itself first and then up to :data:`SEARCH_DEPTH` levels below, for
    :data:`LOG_FILES` and TensorBoard event files; of Hugging Face checkpoints the latest is
    taken (it holds the whole history). The event files of one folder are read together.
    """
    try:
        return _find(path)
    except OSError as error:  # a name too long for the file system, a loop of links
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None


def _find(path: Path) -> list[Path]:
    if path.is_dir():
        return _in_folder(path)
    if not path.exists():
        raise LrplanError(f"{path}: no such file; give a training log, or the run folder")
    if path.suffix.lower() in (".yaml", ".yml"):
        raise LrplanError(
            f"{path}: is a YAML file, not a training log; give the log's CSV here, and the"
            " training config with --config"
        )
    return [path]


def _in_folder(folder: Path) -> list[Path]:
    levels: list[list[Path]] = [[folder]]
    for _ in range(SEARCH_DEPTH):
        below = sorted(
            child
            for parent in levels[-1]
            for child in parent.iterdir()
            if child.is_dir() and not child.name.startswith(".")
        )
        levels.append(below)
    for level in levels:
        found = [log for place in level for log in _logs_in(place)]
        checkpoints = [log for log in found if _checkpoint_number(log) is not None]
        if checkpoints and len(checkpoints) == len(found):
            found = [max(checkpoints, key=lambda log: _checkpoint_number(log) or 0)]
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(str(log[0].parent if len(log) > 1 else log[0]) for log in found[:6])
            raise LrplanError(
                f"{folder}: holds {len(found)} training logs ({shown}); give one of them"
            )
    raise LrplanError(
        f"{folder}: is a folder without a training log: no {_FOUND} in it or"
        f" {SEARCH_DEPTH} levels below"
    )


def _logs_in(place: Path) -> list[list[Path]]:
    """The logs directly in ``place``: one log file by preference, else its event files."""
    for name in LOG_FILES:
        if (place / name).is_file():
            return [[place / name]]
    from lrplan.inputs.logs.tensorboard import EVENT_FILE_MARK

    events = sorted(
        child for child in place.iterdir() if EVENT_FILE_MARK in child.name and child.is_file()
    )
    return [events] if events else []


def _checkpoint_number(log: list[Path]) -> int | None:
    match = _CHECKPOINT.match(log[0].parent.name)
    return int(match[1]) if match else None
