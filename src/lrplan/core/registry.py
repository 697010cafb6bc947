"""The registry: every scheduler lrplan knows by a short name, and how names are written.

Declarative and light: it imports nothing of lrplan and nothing heavy, so validating a name
costs nothing on the CLI's start-up path. Each :class:`Builtin` says what lrplan calls
(``target``), which constructor arguments it fills from a ScheduleConfig's settings (the
planned length from ``epochs``, a floor from ``min_lr``, ...) and its own defaults. An import
path ``package.module:ClassName`` names any other ``LRScheduler`` subclass.

A new built-in scheduler is one :class:`Builtin` entry in :data:`BUILTINS`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

WARMUP_COS = "warmup_cos"


WARMUP_COS_TORCH = "warmup_cos_torch"


#: The schedulers whose arguments are lrplan's own options (lr, min_lr, warmup, epochs) and
#: that take no ``--param``: WarmupCosLR and its torch composition.
WARMUP_COS_KINDS = (WARMUP_COS, WARMUP_COS_TORCH)


_TORCH = "torch.optim.lr_scheduler"


#: The config key each attribute comes from.
KEY_OF_ATTRIBUTE = {
    "lr": "lr",
    "min_lr": "min_lr",
    "warmup_rows": "warmup_epochs",
    "rows": "epochs",
}


#: Constructor arguments lrplan passes itself, never through ``--param``.
RESERVED = {
    "optimizer": "lrplan passes its stand-in optimizer",
    "last_epoch": "lrplan plans from the start (lrplan resume shows resuming)",
}


@dataclass(frozen=True)
class Builtin:
    """A scheduler lrplan knows by a short name.

    ``target`` is what lrplan calls with the optimizer and the keyword arguments, as
    ``module:attribute``. ``options`` fill arguments from the ScheduleConfig: pairs of the
    argument and the config attribute (``rows`` is the planned length in the scheduler's
    unit, ``warmup_rows`` the warm-up). ``defaults`` are lrplan's own defaults where torch's
    do not plan what the short name says. ``length`` and ``floor`` name the arguments that
    are the schedule's length and its floor, for the fixes insights suggest.
    """

    name: str
    class_name: str
    target: str
    description: str
    required: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    defaults: tuple[tuple[str, Any], ...] = ()
    length: str | None = None
    floor: str | None = None
    example: str = ""

    @property
    def keys(self) -> frozenset[str]:
        """The config keys this scheduler uses, beyond lr and epochs (always used)."""
        return frozenset({"lr", "epochs"} | {KEY_OF_ATTRIBUTE[a] for _, a in self.options})

    @property
    def takes_params(self) -> bool:
        return self.name not in WARMUP_COS_KINDS


_WARMUP_COS_OPTIONS = (
    ("min_lr", "min_lr"),
    ("lr", "lr"),
    ("warmup_epochs", "warmup_rows"),
    ("epochs", "rows"),
)


#: Every short name, in the order ``lrplan schedulers`` lists them.
BUILTINS: dict[str, Builtin] = {
    builtin.name: builtin
    for builtin in (
        Builtin(
            WARMUP_COS,
            "WarmupCosLR",
            "lrplan.optim.warmup_cos_lr:WarmupCosLR",
            "linear warm-up to lr, then a cosine down to min_lr (the default)",
            options=_WARMUP_COS_OPTIONS,
            length="epochs",
            floor="min_lr",
        ),
        Builtin(
            WARMUP_COS_TORCH,
            "SequentialLR",
            "lrplan.core.composition:composition",
            "WarmupCosLR's curve from torch's LinearLR and CosineAnnealingLR in a"
            " SequentialLR (lrplan equivalent prints the code)",
            options=_WARMUP_COS_OPTIONS,
            floor="min_lr",
        ),
        Builtin(
            "cosine",
            "CosineAnnealingLR",
            f"{_TORCH}:CosineAnnealingLR",
            "a cosine from lr down to eta_min over T_max",
            options=(("T_max", "rows"), ("eta_min", "min_lr")),
            length="T_max",
            floor="eta_min",
        ),
        Builtin(
            "cosine_restarts",
            "CosineAnnealingWarmRestarts",
            f"{_TORCH}:CosineAnnealingWarmRestarts",
            "cosine cycles of T_0 epochs (each T_mult times longer than the last), each"
            " restarting at lr",
            required=("T_0",),
            options=(("eta_min", "min_lr"),),
            floor="eta_min",
            example="T_0=10",
        ),
        Builtin(
            "onecycle",
            "OneCycleLR",
            f"{_TORCH}:OneCycleLR",
            "up from max_lr / div_factor to max_lr over pct_start of the run, then down far"
            " below the start",
            options=(("max_lr", "lr"), ("total_steps", "rows")),
            length="total_steps",
        ),
        Builtin(
            "linear",
            "LinearLR",
            f"{_TORCH}:LinearLR",
            "lr times a factor going linearly from start_factor to end_factor over total_iters",
            options=(("total_iters", "rows"),),
            length="total_iters",
            example="start_factor=1.0 end_factor=0.01",
        ),
        Builtin(
            "step",
            "StepLR",
            f"{_TORCH}:StepLR",
            "the rate times gamma every step_size epochs",
            required=("step_size",),
            example="step_size=10 gamma=0.5",
        ),
        Builtin(
            "multistep",
            "MultiStepLR",
            f"{_TORCH}:MultiStepLR",
            "the rate times gamma at each milestone",
            required=("milestones",),
            example="milestones=[10,20]",
        ),
        Builtin(
            "exponential",
            "ExponentialLR",
            f"{_TORCH}:ExponentialLR",
            "the rate times gamma every epoch",
            required=("gamma",),
            example="gamma=0.9",
        ),
        Builtin(
            "polynomial",
            "PolynomialLR",
            f"{_TORCH}:PolynomialLR",
            "down to 0 over total_iters as (1 - t / total_iters) ** power",
            options=(("total_iters", "rows"),),
            length="total_iters",
            example="power=2.0",
        ),
        Builtin(
            "constant",
            "ConstantLR",
            f"{_TORCH}:ConstantLR",
            "lr times factor for total_iters epochs; lrplan's default factor 1.0 keeps lr"
            " for the whole run",
            options=(("total_iters", "rows"),),
            defaults=(("factor", 1.0),),
            length="total_iters",
        ),
    )
}


#: Frameworks whose own code builds and steps a schedule lrplan plans: a name ``hf:cosine``
#: (a Hugging Face ``lr_scheduler_type``), ``timm:cosine`` (a timm ``sched``) or
#: ``deepspeed:WarmupLR`` (a DeepSpeed scheduler ``type``); see :mod:`lrplan.core.frameworks`.
FRAMEWORKS = {
    "hf": "Hugging Face transformers' get_scheduler(lr_scheduler_type, ...), stepped per optimizer"
    " step as Trainer steps it",
    "timm": "timm's create_scheduler_v2(sched=..., ...), stepped as timm's train.py steps it",
    "deepspeed": "DeepSpeed's scheduler classes (the JSON config's scheduler.type), stepped per"
    " optimizer step as its engine steps them",
}


_FRAMEWORK_NAME = re.compile(r"^(hf|timm|deepspeed):([A-Za-z_][\w]*)$")


def framework_of(name: str) -> str | None:
    """``hf``, ``timm`` or ``deepspeed`` for a framework's schedule name such as ``hf:cosine``."""
    match = _FRAMEWORK_NAME.match(name)
    return match[1] if match else None


_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")


def is_import_path(name: str) -> bool:
    """True for ``package.module:ClassName`` (or a dotted ``package.module.ClassName``)."""
    return bool(_IMPORT_PATH.match(name) or _DOTTED.match(name))


def builtin(name: str) -> Builtin | None:
    """The short name's entry, or None for an import path."""
    return BUILTINS.get(name)


def normal_name(name: object) -> str | None:
    """A short name as it is, an import path as ``module:Class``; None if it is neither."""
    text = str(name).strip() if name is not None else ""
    if text in BUILTINS or _FRAMEWORK_NAME.match(text) or _IMPORT_PATH.match(text):
        return text
    if _DOTTED.match(text):
        module, _, attribute = text.rpartition(".")
        return f"{module}:{attribute}"
    return None


def name_problem(name: object) -> tuple[str, str]:
    """What is wrong with a name :func:`normal_name` refuses, and the fix."""
    text = str(name).strip() if name is not None else ""
    close = difflib.get_close_matches(text.lower(), BUILTINS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"unknown scheduler {text!r}{hint}",
        f"give one of {', '.join(BUILTINS)} ('lrplan schedulers' lists them), a framework's"
        " schedule (hf:cosine, timm:cosine, deepspeed:WarmupLR), or an import path"
        " package.module:ClassName",
    )


def class_name_of(name: str) -> str:
    """The class a scheduler name stands for, as a user knows it: ``CosineAnnealingLR``."""
    known = builtin(name)
    if known is not None:
        return known.class_name
    if framework_of(name):
        return name
    return name.rpartition(":")[2].rpartition(".")[2]


def keys_used(name: str) -> frozenset[str]:
    """The schedule settings that shape the named scheduler: lr and epochs always."""
    known = builtin(name)
    return known.keys if known is not None else frozenset({"lr", "epochs"})
