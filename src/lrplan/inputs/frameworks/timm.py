"""timm's train.py arguments (a dumped ``args.yaml``, or a ``-c`` config): the schedule
``create_scheduler_v2`` builds, over the run it returns, stepped as train.py steps it.

The arguments pass through timm's own ``scheduler_kwargs(args)``, as train.py passes them;
what the file leaves out takes train.py's defaults (:data:`DEFAULTS`, from
huggingface/pytorch-image-models at aa4b5850). Also as train.py: with no ``lr`` the rate is
``lr_base × global batch / lr_base_size`` (square-rooted for Ada* and LAMB optimizers unless
``lr_base_scale`` says), the global batch being ``batch_size × devices × grad_accum_steps``;
``updates_per_epoch = ceil(len(loader) / grad_accum_steps)`` where the training loader drops
its last partial batch (``len(loader) = ceil(N / devices) // batch_size`` with a distributed
sampler, ``N // batch_size`` on one device).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from lrplan.errors import LrplanError
from lrplan.inputs.frameworks import FrameworkSettings, Run, number

#: train.py's defaults for the arguments that shape the schedule.
DEFAULTS: dict[str, Any] = {
    "sched": "cosine",
    "sched_on_updates": False,
    "lr": None,
    "lr_base": 0.1,
    "lr_base_size": 256,
    "lr_base_scale": "",
    "lr_noise": None,
    "lr_noise_pct": 0.67,
    "lr_noise_std": 1.0,
    "lr_cycle_mul": 1.0,
    "lr_cycle_decay": 0.5,
    "lr_cycle_limit": 1,
    "lr_k_decay": 1.0,
    "warmup_lr": 1e-5,
    "min_lr": 0,
    "epochs": 300,
    "decay_milestones": [90, 180, 270],
    "decay_epochs": 90,
    "warmup_epochs": 5,
    "warmup_prefix": False,
    "cooldown_epochs": 0,
    "patience_epochs": 10,
    "decay_rate": 0.1,
    "batch_size": 128,
    "grad_accum_steps": 1,
    "opt": "sgd",
    "seed": 42,
    "eval_metric": "top1",
}

#: Arguments of newer timm releases' scheduler_kwargs, read when the file has them.
NEWER = ("lr_decay_fn", "lr_stable_timescale")


def read_timm_args(
    document: Mapping[Any, Any],
    where: str,
    run: Run,
    *,
    prefix: str = "",
    paths: Mapping[Any, str] | None = None,
) -> FrameworkSettings:
    """The schedule train.py builds from these arguments; see the module docstring.

    Per update (``interval="step"``) when ``sched_on_updates`` or when the updates per epoch
    are known (``run.steps_per_epoch``, or ``run.dataset_size``); per epoch otherwise.
    ``prefix`` is the path of the section holding the arguments (``train.``), for sources;
    ``paths`` the key path of each argument where they were gathered from several sections.
    """
    paths = paths or {}

    def path_of(key: str) -> str:
        return paths.get(key, f"{prefix}{key}")

    from lrplan.core.config import ScheduleConfig
    from lrplan.core.frameworks.timm import import_timm_module, run_epochs

    nvlabs = [
        f"{path_of(key)}: {document[key]}" for key in ("lr_ep", "data_len") if key in document
    ]
    if nvlabs:
        size = path_of("data_len") if "data_len" in document else "the training set's size"
        # Only the keys the file holds are quoted: GCViT's has lr_ep, and data_len is an
        # option of its train.py that the file leaves at its default.
        raise LrplanError(
            f"{where}: {' and '.join(nvlabs)}: read by NVlabs' own create_scheduler (GCViT,"
            f" FasterViT, MambaVision), which counts the cosine in iterations of {size} //"
            " (batch_size × world size), not by timm's create_scheduler_v2; plan"
            " timm's class with --scheduler timm.scheduler:CosineLRScheduler --param"
            " t_initial=N --param t_in_epochs=false --interval step --steps-per-epoch N"
        )
    args: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        if key in document and document[key] is not None:
            args[key] = document[key]
            sources[key] = path_of(key)
        else:
            args[key] = default
            sources[key] = f"default (train.py --{key.replace('_', '-')} {default!r})"
    for key, value, option in (("lr", run.lr, "--lr"), ("epochs", run.epochs, "--epochs")):
        if value is not None:
            args[key], sources[key] = value, option
    for key in NEWER:
        if document.get(key) is not None:
            args[key] = document[key]
    for key in ("epochs", "warmup_epochs", "cooldown_epochs", "batch_size", "grad_accum_steps"):
        args[key] = number(args[key], f"{where}: {sources[key]}", whole=True, minimum=0)
    if run.batch_size is not None:
        args["batch_size"], sources["batch_size"] = run.batch_size, "--batch-size"
    if run.accumulate is not None:
        args["grad_accum_steps"], sources["grad_accum_steps"] = run.accumulate, "--accumulate"
    devices = run.devices or 1
    devices_source = "--devices" if run.devices else "default (1 device)"

    out: dict[str, str] = {"scheduler": sources["sched"]}
    lr, out["lr"] = _lr(args, sources, devices, devices_source, where)

    updates, out_updates = _updates_per_epoch(args, sources, run, devices, devices_source)
    kwargs = import_timm_module().scheduler_kwargs(SimpleNamespace(**args))
    sched = kwargs.pop("sched")
    if not isinstance(sched, str) or not sched.isidentifier():
        raise LrplanError(f"{where}: sched: {sched!r} is not a timm scheduler name")
    on_epochs = kwargs["step_on_epochs"]
    if not on_epochs and updates is None:
        raise LrplanError(
            f"{where}: sched_on_updates steps the schedule after every update: give"
            " --dataset-size N (with --devices N), or --steps-per-epoch N (updates)"
        )
    params = _without_defaults(kwargs)
    for key in params:
        out[f"param.{key}"] = _source_of(key, sources)
    values: dict[str, Any] = {
        "lr": lr,
        "epochs": args["epochs"] or 1,
        "interval": "step" if updates is not None else "epoch",
        "steps_per_epoch": updates or 1,
        "scheduler": f"timm:{sched}",
        "params": params,
    }
    if updates is not None:
        out["steps_per_epoch"] = out_updates
    values["epochs"] = run_epochs(ScheduleConfig(**values))
    out["epochs"] = (
        f"create_scheduler_v2's run: {sources['epochs']} {args['epochs']}"
        f" + {sources['cooldown_epochs']} {args['cooldown_epochs']}"
        + (" + warmup_epochs (warmup_prefix)" if args["warmup_prefix"] else "")
        + (" over its cycles" if args["lr_cycle_limit"] != 1 else "")
    )
    return FrameworkSettings("timm train.py", values, out)


def _lr(
    args: dict[str, Any], sources: dict[str, str], devices: int, devices_source: str, where: str
) -> tuple[float, str]:
    if args["lr"]:
        return number(args["lr"], f"{where}: {sources['lr']}", minimum=0), sources["lr"]
    batch = args["batch_size"] * devices * args["grad_accum_steps"]
    lr_base = number(args["lr_base"], f"{where}: {sources['lr_base']}", minimum=0)
    size = number(args["lr_base_size"], f"{where}: {sources['lr_base_size']}", minimum=1)
    scale = args["lr_base_scale"]
    if not scale:
        scale = (
            "sqrt"
            if any(name in str(args["opt"]).lower() for name in ("ada", "lamb"))
            else "linear"
        )
    ratio = batch / size
    if scale == "sqrt":
        ratio = ratio**0.5
    lr = lr_base * ratio
    said = (
        f"no lr: {sources['lr_base']} {lr_base:g} × ({sources['batch_size']}"
        f" {args['batch_size']} × {devices_source} {devices} × {sources['grad_accum_steps']}"
        f" {args['grad_accum_steps']}) / {sources['lr_base_size']} {size}"
        + (" (sqrt scaling)" if scale == "sqrt" else "")
    )
    return lr, said


def _updates_per_epoch(
    args: dict[str, Any], sources: dict[str, str], run: Run, devices: int, devices_source: str
) -> tuple[int | None, str]:
    if run.steps_per_epoch is not None:
        return run.steps_per_epoch, "--steps-per-epoch"
    if run.dataset_size is None:
        return None, ""
    per_device = math.ceil(run.dataset_size / devices) if devices > 1 else run.dataset_size
    batches = per_device // args["batch_size"]
    accumulate = args["grad_accum_steps"] or 1
    updates = -(-batches // accumulate)
    if updates < 1:
        raise LrplanError(
            f"--dataset-size {run.dataset_size} makes no full batch of {args['batch_size']}"
            f" per device, and timm's training loader drops the last partial batch"
        )
    said = (
        f"--dataset-size {run.dataset_size} / {devices_source} {devices} (rounded up) //"
        f" {sources['batch_size']} {args['batch_size']} = {batches} batches / "
        f"{sources['grad_accum_steps']} {accumulate}, rounded up (train.py)"
    )
    return updates, said


def _without_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without those equal to create_scheduler_v2's own defaults: the same call."""
    from lrplan.core.frameworks.timm import import_timm_module

    signature = inspect.signature(import_timm_module().create_scheduler_v2)
    kept = {}
    for key, value in kwargs.items():
        parameter = signature.parameters.get(key)
        default = parameter.default if parameter is not None else inspect.Parameter.empty
        if isinstance(default, tuple):
            default = list(default)
        if key == "num_epochs" or default is inspect.Parameter.empty or value != default:
            kept[key] = list(value) if isinstance(value, tuple) else value
    return kept


#: Which argument of train.py each create_scheduler_v2 argument comes from.
_ARGUMENT_OF = {
    "num_epochs": "epochs",
    "noise": "lr_noise",
    "noise_pct": "lr_noise_pct",
    "noise_std": "lr_noise_std",
    "noise_seed": "seed",
    "cycle_mul": "lr_cycle_mul",
    "cycle_decay": "lr_cycle_decay",
    "cycle_limit": "lr_cycle_limit",
    "k_decay": "lr_k_decay",
    "step_on_epochs": "sched_on_updates",
    "plateau_mode": "eval_metric",
}


def _source_of(key: str, sources: dict[str, str]) -> str:
    argument = _ARGUMENT_OF.get(key, key)
    return sources.get(argument, argument)
