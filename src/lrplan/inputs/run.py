"""The run's length and stepping from a config: its length in epochs or steps, and the
optimizer steps of an epoch from the dataset size, batch size, accumulation and devices, computed
as Lightning and torchtune's recipes compute them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrplan.core.config import (
    ScheduleConfig,
    is_whole,
)
from lrplan.errors import PARAM, LrplanError
from lrplan.inputs.files import coerce
from lrplan.inputs.naming import DEFAULT

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues


#: Constructor arguments that count steps or epochs: a config giving one as -1 or a fraction
#: holds a placeholder its training code replaces, which lrplan cannot know.
STEP_COUNTS = frozenset(
    {
        "num_training_steps",
        "num_warmup_steps",
        "total_steps",
        "warmup_steps",
        "T_max",
        "T_0",
        "total_iters",
        "step_size",
    }
)


@dataclass(frozen=True)
class RunOptions:
    """What makes an epoch's optimizer steps: ``--dataset-size`` with the batch size on one
    device, the gradient accumulation and the number of devices (None: not given)."""

    dataset_size: int | None = None
    batch_size: int | None = None
    accumulate: int | None = None
    devices: int | None = None


def length_from_config(
    found: ConfigValues,
    where: str,
    values: dict[str, Any],
    sources: dict[str, str],
    chosen: Mapping[str, Any],
) -> None:
    """``epochs`` from the trainer's ``max_epochs`` when no schedule key or option sets it."""
    from lrplan.inputs.training_config import Unreadable

    if "epochs" in values or found.trainer_epochs is None:
        return
    if isinstance(found.trainer_epochs, Unreadable):
        raise LrplanError(f"{found.trainer_epochs.message} (or --epochs N)")
    epochs = coerce("epochs", found.trainer_epochs, f"{where}: {found.trainer_epochs_source}")
    if epochs > 0:  # Lightning's -1: no limit of epochs
        values["epochs"] = epochs
        sources["epochs"] = str(found.trainer_epochs_source)


def fill_by_code(found: ConfigValues, values: dict[str, Any], sources: dict[str, str]) -> None:
    """The arguments the training code fills (torchtune's num_training_steps: the planned
    length in optimizer steps), unless the file or ``--param`` gives them."""
    assert found.named is not None
    params = dict(values.get("params", ()))
    for name in found.named.filled_by_code:
        if name in params:
            continue
        epochs = values.get("epochs", ScheduleConfig.epochs)
        params[name] = epochs * values.get("steps_per_epoch", 1)
        sources[f"{PARAM}{name}"] = "epochs × steps per epoch (the recipe fills it)"
    values["params"] = tuple(params.items())


def steps_per_epoch(
    found: ConfigValues | None, run: RunOptions, rounding: str, where: str
) -> tuple[int, str]:
    """Optimizer steps in one epoch from ``--dataset-size`` and the batch size, accumulation
    and devices (options over the config's keys), and how it was computed.

    Each device gets ``ceil(dataset_size / devices)`` samples (a DistributedSampler pads) in
    ``ceil(samples / batch_size)`` batches; Lightning steps the optimizer
    ``ceil(batches / accumulate)`` times an epoch (a last partial accumulation steps too),
    torchtune's recipes ``batches // accumulate`` times.

    Raises LrplanError naming the options when nothing gives the dataset size or batch size.
    """

    from lrplan.inputs.training_config import Unreadable

    if run.dataset_size is None:
        raise LrplanError(
            "the scheduler steps once per optimizer step, and nothing gives the steps in one"
            " epoch: give --steps-per-epoch N, or --dataset-size N (with --batch-size,"
            " --accumulate and --devices where the config does not set them)"
        )
    given = {"batch_size": run.batch_size, "accumulate": run.accumulate, "devices": run.devices}
    option = {"batch_size": "--batch-size", "accumulate": "--accumulate", "devices": "--devices"}
    numbers: dict[str, int] = {}
    shown: list[str] = []
    for name in ("batch_size", "accumulate", "devices"):
        value = given[name]
        source = option[name]
        if value is None and found is not None and name in found.run:
            raw, path = found.run[name]
            if isinstance(raw, Unreadable):
                raise LrplanError(f"{raw.message} (or {option[name]} N)")
            value, source = raw, path
            if isinstance(value, str):
                try:
                    value = int(value)
                except ValueError:
                    value = None
            if not is_whole(value) or value < 1:
                if name == "batch_size":
                    raise LrplanError(
                        f"{where}: {path} = {raw!r} is not a batch size lrplan can use; give"
                        " --batch-size N"
                    )
                value, source = None, option[name]
        if value is None:
            if name == "batch_size":
                raise LrplanError(
                    f"--dataset-size needs the batch size on one device: give --batch-size N"
                    f" ({where} sets none lrplan knows)"
                )
            value, source = 1, DEFAULT
        numbers[name] = int(value)
        shown.append(f"{name}={value} ({source})")
    samples = math.ceil(run.dataset_size / numbers["devices"])
    batches = math.ceil(samples / numbers["batch_size"])
    if rounding == "torchtune":
        steps = batches // numbers["accumulate"]
        rule = "batches // accumulate, as torchtune's recipes"
    else:
        steps = math.ceil(batches / numbers["accumulate"])
        rule = "ceil(batches / accumulate), as Lightning"
    if steps < 1:
        raise LrplanError(
            f"--dataset-size {run.dataset_size} makes {batches} batches per device, fewer than"
            f" one optimizer step of {numbers['accumulate']} batches; check the sizes"
        )
    return steps, (
        f"--dataset-size {run.dataset_size}, {', '.join(shown)}: {batches} batches per device,"
        f" {rule}"
    )


def length_from_trainer_steps(
    found: ConfigValues,
    where: str,
    values: dict[str, Any],
    sources: dict[str, str],
    run: RunOptions,
    rounding: str,
    given: Mapping[str, Any],
) -> None:
    """The run's length from the trainer's ``max_steps``, as Lightning stops: after that many
    optimizer steps, or at ``max_epochs`` if that comes first.

    ``epochs`` becomes ``ceil(max_steps / steps per epoch)`` when nothing but the trainer's
    ``max_epochs`` set it and the steps end first; a per-step plan also stops at the step
    (``max_steps``). An ``--epochs`` option or a schedule's own ``epochs`` key wins. The steps
    per epoch come from ``--steps-per-epoch`` (per-step plans) or ``--dataset-size``; without
    them, one line says so.
    """
    from lrplan.inputs.training_config import Unreadable

    raw = found.trainer_steps
    if raw is None or "epochs" in given:
        return
    if "epochs" in values and sources.get("epochs") != found.trainer_epochs_source:
        return  # the schedule's own length, set in the config
    place = f"{where}: {found.trainer_steps_source}"
    if isinstance(raw, Unreadable):
        raise LrplanError(f"{raw.message} (or --epochs N)")
    steps = coerce("epochs", raw, place)
    if steps <= 0:  # Lightning's -1: no limit of steps
        return
    if values.get("interval") == "step":
        per_epoch = int(values["steps_per_epoch"])
    else:
        if run.dataset_size is None:
            raise LrplanError(
                f"{place} = {steps} ends the run after {steps:,} optimizer steps; to count the"
                " epochs it trains, give --dataset-size N (with --batch-size, --accumulate and"
                " --devices where the config does not set them), or --epochs N"
            )
        per_epoch, _ = steps_per_epoch(found, run, rounding, where)
    epochs = -(-steps // per_epoch)
    if "epochs" in values and values["epochs"] <= epochs:
        return  # max_epochs comes first
    values["epochs"] = epochs
    sources["epochs"] = f"{found.trainer_steps_source} ({steps:,} steps, {per_epoch:,} an epoch)"
    if values.get("interval") == "step" and steps < epochs * per_epoch:
        values["max_steps"] = steps
        sources["max_steps"] = str(found.trainer_steps_source)
