"""Hugging Face TrainingArguments in YAML or JSON (TRL, LLaMA-Factory, alignment-handbook,
axolotl recipes): the schedule Trainer builds, over the steps Trainer computes.

TrainingArguments' defaults (transformers 5.24) fill what the file leaves out: ``learning_rate``
5e-5, ``lr_scheduler_type`` linear, ``warmup_steps`` 0, ``num_train_epochs`` 3,
``max_steps`` -1, ``per_device_train_batch_size`` 8, ``gradient_accumulation_steps`` 1.
axolotl's spellings are read as the TrainingArguments axolotl passes them to
(``num_epochs``, ``micro_batch_size``, ``lr_scheduler``). A ``deepspeed`` key naming a JSON
config with a ``scheduler`` block hands the schedule to DeepSpeed, with its ``"auto"`` values
filled as transformers' DeepSpeed integration fills them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError
from lrplan.inputs.frameworks import FrameworkSettings, Run, number
from lrplan.inputs.limits import TOO_DEEP

#: TrainingArguments' defaults (transformers 5.24).
DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "lr_scheduler_type": "linear",
    "warmup_steps": 0,
    "warmup_ratio": 0.0,
    "num_train_epochs": 3.0,
    "max_steps": -1,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "dataloader_drop_last": False,
}

#: axolotl's names for TrainingArguments' keys.
AXOLOTL = {
    "num_epochs": "num_train_epochs",
    "micro_batch_size": "per_device_train_batch_size",
    "lr_scheduler": "lr_scheduler_type",
}

#: Schedules axolotl builds itself rather than through get_scheduler.
AXOLOTL_OWN = ("one_cycle", "log_sweep", "rex")


class _Keys:
    """Values from the document (or TrainingArguments' defaults), with where each came from."""

    def __init__(
        self, document: Mapping[Any, Any], where: str, options: Mapping[str, tuple[Any, str]]
    ) -> None:
        self.document = document
        self.where = where
        self.options = options

    def get(self, key: str) -> tuple[Any, str]:
        if key in self.options:
            return self.options[key]
        for spelled, meant in AXOLOTL.items():
            if meant == key and key not in self.document and spelled in self.document:
                return self.document[spelled], spelled
        if key in self.document and self.document[key] is not None:
            return self.document[key], key
        return DEFAULTS[key], f"default (TrainingArguments {key}={DEFAULTS[key]!r})"


def read_training_arguments(
    document: Mapping[Any, Any], where: str, run: Run, *, folder: Path | None = None
) -> FrameworkSettings:
    """The schedule Trainer plans for these TrainingArguments; see the module docstring.

    Steps per epoch come from ``run.steps_per_epoch``, or from ``run.dataset_size`` with the
    batch size, gradient accumulation and ``run.devices`` as Trainer computes them
    (:func:`lrplan.core.frameworks.hf.trainer_steps`); with neither, a run given by
    ``max_steps`` is planned as one epoch of ``max_steps`` steps.
    """
    from lrplan.core.frameworks.hf import run_steps, trainer_steps, warmup_steps

    options: dict[str, tuple[Any, str]] = {}
    if run.lr is not None:
        options["learning_rate"] = (run.lr, "--lr")
    if run.epochs is not None:
        options["num_train_epochs"] = (run.epochs, "--epochs")
    keys = _Keys(document, where, options)
    sources: dict[str, str] = {}

    kind, kind_source = keys.get("lr_scheduler_type")
    if not isinstance(kind, str):
        raise LrplanError(f"{where}: {kind_source}: {kind!r} is not an lr_scheduler_type")
    if kind_source == "lr_scheduler" and kind in AXOLOTL_OWN:
        raise LrplanError(
            f"{where}: lr_scheduler: {kind} is axolotl's own schedule (not transformers'"
            " get_scheduler), which lrplan cannot plan"
        )
    if kind_source == "lr_scheduler" and any(
        key in document for key in ("cosine_min_lr_ratio", "cosine_constant_lr_ratio")
    ):
        raise LrplanError(
            f"{where}: cosine_min_lr_ratio makes axolotl build its own cosine schedule (not"
            " transformers' get_scheduler), which lrplan cannot plan"
        )
    sources["scheduler"] = kind_source

    lr_value, lr_source = keys.get("learning_rate")
    lr = number(lr_value, f"{where}: {lr_source}", minimum=0)
    sources["lr"] = lr_source

    steps_value, max_source = keys.get("max_steps")
    max_steps = number(steps_value, f"{where}: {max_source}", whole=True)
    epochs_value, epochs_source = keys.get("num_train_epochs")
    epochs_value = number(epochs_value, f"{where}: {epochs_source}", minimum=0)
    batch_value, batch_source = keys.get("per_device_train_batch_size")
    accumulate_value, accumulate_source = keys.get("gradient_accumulation_steps")
    drop_last = bool(keys.get("dataloader_drop_last")[0])
    if run.batch_size is not None:
        batch_value, batch_source = run.batch_size, "--batch-size"
    if run.accumulate is not None:
        accumulate_value, accumulate_source = run.accumulate, "--accumulate"
    batch = number(batch_value, f"{where}: {batch_source}", whole=True, minimum=1)
    accumulate = number(accumulate_value, f"{where}: {accumulate_source}", whole=True, minimum=1)
    devices = run.devices if run.devices is not None else 1
    devices_source = "--devices" if run.devices is not None else "default (1 device)"

    if run.steps_per_epoch is not None:
        steps = run_steps(run.steps_per_epoch, epochs_value, max_steps)
        sources["steps_per_epoch"] = "--steps-per-epoch"
    elif run.dataset_size is not None:
        if document.get("sample_packing") is True:
            raise LrplanError(
                f"{where}: sample_packing: true packs samples into sequences, so the dataset's"
                " size does not give the steps per epoch; give --steps-per-epoch N (axolotl"
                " logs total_num_steps when it starts)"
            )
        steps = trainer_steps(
            dataset_size=run.dataset_size,
            per_device_train_batch_size=batch,
            gradient_accumulation_steps=accumulate,
            devices=devices,
            num_train_epochs=epochs_value,
            max_steps=max_steps,
            dataloader_drop_last=drop_last,
        )
        rounding = "rounded down" if drop_last else "rounded up"
        sources["steps_per_epoch"] = (
            f"--dataset-size {run.dataset_size} / ({batch_source} {batch} × {devices_source}"
            f" {devices}), {rounding} = {steps.batches_per_device} batches per device /"
            f" {accumulate_source} {accumulate}, rounded up (Trainer)"
        )
    elif max_steps > 0:
        steps = run_steps(max_steps, epochs_value, max_steps)
        sources["steps_per_epoch"] = "unknown: one epoch of max_steps steps is shown"
    else:
        raise LrplanError(
            f"{where}: Trainer counts the schedule in optimizer steps, from the dataset's size:"
            " give --dataset-size N (with --devices N), or --steps-per-epoch N"
        )
    if max_steps > 0:
        sources["max_steps"] = max_source
        sources["epochs"] = f"ceil({max_source} {max_steps} / steps per epoch)"
    else:
        sources["max_steps"] = (
            f"ceil({epochs_source} {epochs_value:g} × {steps.steps_per_epoch} steps per epoch)"
        )
        sources["epochs"] = f"{epochs_source}, rounded up"

    total = steps.max_steps
    warmup_value, warmup_source = keys.get("warmup_steps")
    warmup_value = number(warmup_value, f"{where}: {warmup_source}", minimum=0)
    ratio_value, ratio_source = keys.get("warmup_ratio")
    ratio_value = number(ratio_value, f"{where}: {ratio_source}", minimum=0)
    if warmup_value > 0:
        warmup = warmup_steps(warmup_value, total)
        shown = f"ceil({total} × {warmup_value:g})" if warmup_value < 1 else f"{warmup_value:g}"
        sources["param.num_warmup_steps"] = f"{warmup_source} ({shown})"
    elif ratio_value > 0:
        if ratio_value >= 1:
            raise LrplanError(f"{where}: warmup_ratio: {ratio_value!r} is not below 1")
        warmup = warmup_steps(ratio_value, total)
        # Releases before 5 read warmup_ratio; 5 reads the same ratio as warmup_steps.
        sources["param.num_warmup_steps"] = f"{ratio_source}: ceil({total} × {ratio_value:g})"
    else:
        warmup = 0
        sources["param.num_warmup_steps"] = warmup_source

    kwargs = _scheduler_kwargs(document, where)
    for key in kwargs:
        sources[f"param.{key}"] = f"lr_scheduler_kwargs.{key}"

    deepspeed = document.get("deepspeed")
    if isinstance(deepspeed, (str, Mapping)):
        ds_document, ds_where = _deepspeed_config(deepspeed, where, folder)
        if isinstance(ds_document.get("scheduler"), Mapping):
            from lrplan.inputs.frameworks.deepspeed import from_trainer

            return from_trainer(
                ds_document,
                ds_where,
                learning_rate=(lr, lr_source),
                total=total,
                warmup=warmup,
                steps=steps,
                sources=sources,
            )

    values: dict[str, Any] = {
        "lr": lr,
        "epochs": steps.epochs,
        "interval": "step",
        "steps_per_epoch": steps.steps_per_epoch,
        "scheduler": f"hf:{kind}",
        "params": {"num_warmup_steps": warmup, **kwargs},
    }
    if steps.ends_inside_last_epoch:
        values["max_steps"] = total
    return FrameworkSettings("Hugging Face Trainer", values, sources)


def _scheduler_kwargs(document: Mapping[Any, Any], where: str) -> dict[str, Any]:
    raw = document.get("lr_scheduler_kwargs")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise LrplanError(
                f"{where}: lr_scheduler_kwargs: {raw!r} is not a JSON object ({error.msg})"
            ) from None
        except RecursionError:
            raise LrplanError(f"{where}: lr_scheduler_kwargs: {TOO_DEEP}") from None
    if not isinstance(raw, Mapping):
        raise LrplanError(f"{where}: lr_scheduler_kwargs: {raw!r} is not a mapping")
    return {str(key): value for key, value in raw.items()}


def _deepspeed_config(
    value: str | Mapping[Any, Any], where: str, folder: Path | None
) -> tuple[Mapping[Any, Any], str]:
    """TrainingArguments' ``deepspeed``: a JSON file's path (beside the config, or from the
    working folder, as the training process resolves it) or the config itself."""
    if isinstance(value, Mapping):
        return value, f"{where}: deepspeed"
    candidates = [Path(value)]
    if folder is not None and not Path(value).is_absolute():
        candidates.insert(0, folder / value)
    for path in candidates:
        if path.is_file():
            from lrplan.inputs import limits

            said = f"{where}: deepspeed: {path}"
            try:
                text = limits.read_text(path, said, "a JSON config", limits.CONFIG_MAX_BYTES)
                document = limits.parse_json(text, said)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                raise LrplanError(
                    f"{where}: deepspeed: {path} is not a JSON config ({error})"
                ) from None
            if not isinstance(document, Mapping):
                raise LrplanError(f"{where}: deepspeed: {path} is not a JSON object")
            return document, f"{where}: deepspeed {path}"
    raise LrplanError(
        f"{where}: deepspeed: {value} is not a file (looked beside the config and in the"
        " working folder); its scheduler block would replace lr_scheduler_type"
    )
