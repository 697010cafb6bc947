"""Read TensorBoard event files (``events.out.tfevents.*``) into a Table.

Reading needs the ``tensorboard`` package (``pip install 'lrplan[tensorboard]'``); it is
imported here only. The records are read with TensorBoard's own loader and every byte of the
file is accounted for, so a file that is cut short or corrupt is refused rather than read in
part. Each scalar tag becomes a column, one row per step; a tag named ``epoch`` (Lightning's
TensorBoardLogger writes one) is the epoch column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lrplan.errors import LrplanError
from lrplan.inputs.logs.model import Column, Table

WHAT = "give an events.out.tfevents.* file TensorBoard's SummaryWriter wrote, or its folder"
EVENT_FILE_MARK = "tfevents"
#: Bytes a TFRecord adds around its data: the length (8) and two checksums (4 each).
RECORD_OVERHEAD = 16
#: The column that holds each row's step.
STEP = "step"


def is_event_file(path: Path) -> bool:
    return EVENT_FILE_MARK in path.name


def read_event_files(paths: Sequence[Path]) -> Table:
    """The scalars of ``paths`` (one run's event files, read in order) as one Table.

    Raises:
        LrplanError: one line when tensorboard is not installed, or a file is empty, cut
            short or corrupt, or holds no scalar.
    """
    first = paths[0]
    try:
        from google.protobuf.message import DecodeError
        from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
        from tensorboard.compat.proto import event_pb2
    except ImportError:
        raise LrplanError(
            f"{first}: is a TensorBoard event file; reading it needs the tensorboard package:"
            " pip install 'lrplan[tensorboard]'"
        ) from None
    from lrplan.inputs import limits

    by_tag: dict[str, dict[int, float]] = {}
    for path in paths:
        try:
            info = path.stat()
            limits.check_regular(
                info.st_mode, info.st_size, str(path), "a training log", limits.LOG_MAX_BYTES
            )
            size = info.st_size
        except OSError as error:
            raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None
        if not size:
            raise LrplanError(f"{path}: is empty; {WHAT}")
        read = 0
        try:
            for record in RawEventFileLoader(str(path)).Load():
                read += len(record) + RECORD_OVERHEAD
                event = event_pb2.Event.FromString(record)
                _scalars(event, by_tag)
        except DecodeError:
            raise LrplanError(f"{path}: is corrupt: a record is not an event; {WHAT}") from None
        if read != size:
            raise LrplanError(
                f"{path}: is cut short or corrupt: its records end at byte {read} of {size}; {WHAT}"
            )
    if not by_tag:
        raise LrplanError(f"{first}: holds no scalar (no add_scalar was logged); {WHAT}")

    steps = sorted({step for values in by_tag.values() for step in values})
    row_of = {step: row for row, step in enumerate(steps)}
    columns: dict[str, Column] = {STEP: Column()}
    for row, step in enumerate(steps):
        columns[STEP].rows.append(row)
        columns[STEP].values.append(float(step))
    for tag, values in by_tag.items():
        column = Column()
        for step in sorted(values):
            column.rows.append(row_of[step])
            column.values.append(values[step])
        columns[tag] = column
    epoch = next((tag for tag in by_tag if tag.lower() == "epoch"), None)
    return Table(
        path=first,
        kind="TensorBoard event file",
        what=WHAT,
        header=[STEP, *by_tag],
        rows=len(steps),
        columns=columns,
        epoch=epoch,
        step=STEP,
        record="step row",
    )


def _scalars(event: object, by_tag: dict[str, dict[int, float]]) -> None:
    """Add the scalars of one event to ``by_tag`` (the last value logged at a step wins)."""
    summary = getattr(event, "summary", None)
    if summary is None:
        return
    step = int(event.step)  # type: ignore[attr-defined]
    for value in summary.value:
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            number = float(value.simple_value)
        elif kind == "tensor" and value.metadata.plugin_data.plugin_name == "scalars":
            from tensorboard.util import tensor_util

            number = float(tensor_util.make_ndarray(value.tensor).item())
        else:
            continue
        by_tag.setdefault(value.tag, {})[step] = number
