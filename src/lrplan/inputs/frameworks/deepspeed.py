"""DeepSpeed's JSON config: the ``scheduler`` block, planned with DeepSpeed's own classes.

The engine steps the scheduler once per optimizer step. Its ``"auto"`` values are filled by
Hugging Face Trainer from TrainingArguments (transformers 5.24's
``HfTrainerDeepSpeedConfig``): ``warmup_min_lr`` 0, ``warmup_max_lr`` and the optimizer's
``lr`` the ``learning_rate``, ``warmup_num_steps`` ``max(1, get_warmup_steps(max_steps))``,
``total_num_steps`` ``max_steps``; a number given instead that differs makes Trainer refuse to
start, and lrplan too. A DeepSpeed config alone with ``"auto"`` values has no numbers to plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lrplan.errors import LrplanError
from lrplan.inputs.frameworks import FrameworkSettings, Run, number

if TYPE_CHECKING:
    from lrplan.core.frameworks.hf import TrainerSteps

AUTO = "auto"

#: The types whose length is their ``total_num_steps``.
WITH_TOTAL = ("WarmupDecayLR", "WarmupCosineLR")


#: The types that set the optimizer's rate themselves when built: the argument that gives it,
#: and its default (None: required).
WRITES_ITS_LR: dict[str, tuple[str, float | None]] = {
    "OneCycle": ("cycle_min_lr", None),
    "LRRangeTest": ("lr_range_test_min_lr", 1e-3),
}


def _block(document: Mapping[Any, Any], where: str) -> tuple[str, dict[str, Any]]:
    block = document["scheduler"]
    kind = block.get("type")
    params = block.get("params") or {}
    if not isinstance(kind, str) or not isinstance(params, Mapping):
        raise LrplanError(f"{where}: scheduler needs a type and a params mapping")
    return kind, {str(key): value for key, value in params.items()}


def _optimizer_lr(document: Mapping[Any, Any]) -> Any:
    optimizer = document.get("optimizer")
    if isinstance(optimizer, Mapping) and isinstance(optimizer.get("params"), Mapping):
        return optimizer["params"].get("lr")
    return None


def read_deepspeed(document: Mapping[Any, Any], where: str, run: Run) -> FrameworkSettings:
    """A DeepSpeed config on its own: every value a number; the run's length from
    ``total_num_steps`` (WarmupDecayLR, WarmupCosineLR) or ``run``'s epochs and steps per
    epoch (the training script sets them, not the JSON)."""
    kind, params = _block(document, where)
    autos = [key for key, value in params.items() if value == AUTO]
    optimizer_lr = _optimizer_lr(document)
    if optimizer_lr == AUTO and run.lr is None:
        autos.append("optimizer.params.lr")
    if autos:
        shown = ", ".join(f"scheduler.params.{key}" if "." not in key else key for key in autos)
        raise LrplanError(
            f'{where}: {shown} {"is" if len(autos) == 1 else "are"} "auto", filled by Hugging'
            " Face Trainer from TrainingArguments; plan the TrainingArguments config that names"
            " this file (deepspeed: FILE)"
        )
    sources: dict[str, str] = {"scheduler": "scheduler.type"}
    for key in params:
        sources[f"param.{key}"] = f"scheduler.params.{key}"
    if run.lr is not None:
        lr, sources["lr"] = run.lr, "--lr"
    elif kind in WRITES_ITS_LR and WRITES_ITS_LR[kind][0] in params:
        # OneCycle and LRRangeTest write their lower bound into the optimizer when built
        # (deepspeed.runtime.lr_schedules: update_lr), over the optimizer's own lr.
        key = WRITES_ITS_LR[kind][0]
        lr = number(params[key], f"{where}: scheduler.params.{key}", minimum=0)
        sources["lr"] = f"scheduler.params.{key} ({kind} sets the optimizer's lr to it)"
    elif kind in WRITES_ITS_LR and WRITES_ITS_LR[kind][1] is not None:
        key, lr = WRITES_ITS_LR[kind]
        sources["lr"] = f"{kind}'s {key} default (it sets the optimizer's lr to it)"
    elif optimizer_lr is not None:
        lr = number(optimizer_lr, f"{where}: optimizer.params.lr", minimum=0)
        sources["lr"] = "optimizer.params.lr"
    elif "warmup_max_lr" in params:
        lr = number(params["warmup_max_lr"], f"{where}: scheduler.params.warmup_max_lr")
        sources["lr"] = "scheduler.params.warmup_max_lr (no optimizer.params.lr)"
    elif kind == "WarmupDecayLR":
        # Its warmup_max_lr defaults to 0.001 whatever the optimizer's lr.
        lr = 0.001
        sources["lr"] = "WarmupDecayLR's warmup_max_lr default (no optimizer.params.lr)"
    else:
        raise LrplanError(
            f"{where}: no optimizer.params.lr, and {kind} starts from the optimizer's lr; give"
            " the optimizer block"
        )
    values: dict[str, Any] = {
        "lr": lr,
        "interval": "step",
        "scheduler": f"deepspeed:{kind}",
        "params": params,
    }
    total = params.get("total_num_steps") if kind in WITH_TOTAL else None
    if total is not None:
        total = number(total, f"{where}: scheduler.params.total_num_steps", whole=True, minimum=1)
        per_epoch = run.steps_per_epoch or total
        epochs = -(-total // per_epoch)
        values.update(steps_per_epoch=per_epoch, epochs=epochs)
        if total < epochs * per_epoch:
            values["max_steps"] = total
        sources["max_steps"] = "scheduler.params.total_num_steps"
        sources["steps_per_epoch"] = (
            "--steps-per-epoch"
            if run.steps_per_epoch
            else "unknown: one epoch of total_num_steps steps is shown"
        )
    elif run.epochs is not None and run.steps_per_epoch is not None:
        values.update(epochs=run.epochs, steps_per_epoch=run.steps_per_epoch)
        sources.update(epochs="--epochs", steps_per_epoch="--steps-per-epoch")
    else:
        raise LrplanError(
            f"{where}: {kind} has no length in the config (the training script sets it): give"
            " --epochs N and --steps-per-epoch N (optimizer steps)"
        )
    return FrameworkSettings("DeepSpeed", values, sources)


def from_trainer(
    document: Mapping[Any, Any],
    where: str,
    *,
    learning_rate: tuple[float, str],
    total: int,
    warmup: int,
    steps: TrainerSteps,
    sources: dict[str, str],
) -> FrameworkSettings:
    """The DeepSpeed schedule a Trainer run gets: the block's ``"auto"`` values filled from
    TrainingArguments, and numbers that disagree with them refused as Trainer refuses them."""
    kind, params = _block(document, where)
    lr, lr_source = learning_rate
    filled = {
        "warmup_min_lr": (0, "auto: 0 (Trainer)"),
        "warmup_max_lr": (lr, f"auto: {lr_source}"),
        "warmup_num_steps": (max(1, warmup), f"auto: max(1, {sources['param.num_warmup_steps']})"),
        "total_num_steps": (total, "auto: the run's optimizer steps"),
    }
    must_match = ("warmup_max_lr", "warmup_num_steps", "total_num_steps")
    out_sources = {key: value for key, value in sources.items() if not key.startswith("param.")}
    out_sources["scheduler"] = f"{where}: scheduler.type (it replaces lr_scheduler_type)"
    for key, value in params.items():
        if value == AUTO and key in filled:
            params[key], out_sources[f"param.{key}"] = filled[key]
        elif value == AUTO:
            raise LrplanError(
                f'{where}: scheduler.params.{key} is "auto", which Trainer does not fill'
            )
        else:
            out_sources[f"param.{key}"] = f"{where}: scheduler.params.{key}"
            if key in must_match and value != filled[key][0]:
                raise LrplanError(
                    f"{where}: scheduler.params.{key}={value!r} differs from what Trainer"
                    f" computes ({filled[key][0]!r}, {filled[key][1].removeprefix('auto: ')}),"
                    ' and Trainer refuses to start; set it to "auto"'
                )
    optimizer_lr = _optimizer_lr(document)
    if optimizer_lr not in (None, AUTO) and optimizer_lr != lr:
        raise LrplanError(
            f"{where}: optimizer.params.lr={optimizer_lr!r} differs from {lr_source} {lr!r}, and"
            ' Trainer refuses to start; set it to "auto"'
        )
    values: dict[str, Any] = {
        "lr": lr,
        "epochs": steps.epochs,
        "interval": "step",
        "steps_per_epoch": steps.steps_per_epoch,
        "scheduler": f"deepspeed:{kind}",
        "params": params,
    }
    if steps.ends_inside_last_epoch:
        values["max_steps"] = total
    return FrameworkSettings("Hugging Face Trainer with DeepSpeed", values, out_sources)
