"""The schedulers lrplan plans: WarmupCosLR, torch's built-ins by short name, any class by path.

``--scheduler`` picks one, ``--param key=value`` passes constructor arguments after the
optimizer. Each built-in says which of its arguments lrplan fills from the options (the
planned length from ``--epochs``, a floor from ``--min-lr``, ...); ``--param`` overrides them.
An import path ``package.module:ClassName`` names any ``LRScheduler`` subclass; importing it
runs the user's code, so :mod:`lrplan.core.config` lets only the command line name one.

Importing this module is torch-free: the CLI validates names and ``--param`` values with it
before anything heavy is loaded. :func:`build` and :func:`check_arguments` import torch (and
the named class) when called.
"""

from __future__ import annotations

import ast
import difflib
import functools
import keyword
import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrplan.errors import LrplanError

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig

WARMUP_COS = "warmup_cos"
WARMUP_COS_TORCH = "warmup_cos_torch"
#: The schedulers whose arguments are lrplan's own options (lr, min_lr, warmup, epochs) and
#: that take no ``--param``: WarmupCosLR and its torch composition.
WARMUP_COS_KINDS = (WARMUP_COS, WARMUP_COS_TORCH)

_TORCH = "torch.optim.lr_scheduler"

#: What a ScheduleConfig attribute stands for on the command line (for the listing).
OPTION_OF_ATTRIBUTE = {
    "lr": "--lr",
    "min_lr": "--min-lr",
    "warmup_rows": "--warmup-epochs",
    "rows": "--epochs",
}
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
            "lrplan.analysis.equivalent:composition",
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

_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")


def is_import_path(name: str) -> bool:
    """True for ``package.module:ClassName`` (or a dotted ``package.module.ClassName``)."""
    return bool(_IMPORT_PATH.match(name) or _DOTTED.match(name))


def builtin(name: str) -> Builtin | None:
    """The short name's entry, or None for an import path."""
    return BUILTINS.get(name)


def check_name(name: object, where: str) -> str:
    """``name`` as lrplan stores it: a short name, or an import path as ``module:Class``.

    Raises:
        LrplanError: naming ``where``, for an unknown short name (with the closest one and
            the list) or text that is neither a short name nor an import path.
    """
    normal = normal_name(name)
    if normal is None:
        problem, fix = name_problem(name)
        raise LrplanError(f"{where}: {problem}; {fix}")
    return normal


def normal_name(name: object) -> str | None:
    """A short name as it is, an import path as ``module:Class``; None if it is neither."""
    text = str(name).strip() if name is not None else ""
    if text in BUILTINS or _IMPORT_PATH.match(text):
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
        f"give one of {', '.join(BUILTINS)} ('lrplan schedulers' lists them), or an import"
        " path package.module:ClassName",
    )


def class_name(config: ScheduleConfig) -> str:
    """The class the schedule is planned with, as a user knows it: ``CosineAnnealingLR``."""
    known = builtin(config.scheduler)
    if known is not None:
        return known.class_name
    return config.scheduler.rpartition(":")[2].rpartition(".")[2]


def uses(config: ScheduleConfig) -> frozenset[str]:
    """The schedule keys that shape ``config``'s scheduler: lr and epochs always."""
    known = builtin(config.scheduler)
    return known.keys if known is not None else frozenset({"lr", "epochs"})


def constructor_kwargs(config: ScheduleConfig) -> dict[str, Any]:
    """The keyword arguments after the optimizer: options, lrplan's defaults, then --param.

    Sequences given as ``--param`` lists are passed as lists.
    """
    known = builtin(config.scheduler)
    kwargs: dict[str, Any] = {}
    if known is not None:
        kwargs.update({argument: getattr(config, attr) for argument, attr in known.options})
        kwargs.update(known.defaults)
    kwargs.update({key: thaw(value) for key, value in config.params})
    return kwargs


def call_text(config: ScheduleConfig) -> str:
    """The constructor call lrplan makes, e.g. ``CosineAnnealingLR(optimizer, T_max=25,
    eta_min=1e-05)``; SequentialLR(...) for the torch composition."""
    if config.scheduler == WARMUP_COS_TORCH:
        return "SequentialLR(optimizer, [LinearLR(...), CosineAnnealingLR(...)], milestones=...)"
    arguments = "".join(f", {key}={value!r}" for key, value in constructor_kwargs(config).items())
    return f"{class_name(config)}(optimizer{arguments})"


def floor(config: ScheduleConfig) -> tuple[str, float] | None:
    """The argument that sets the schedule's floor and its value, if the scheduler has one.

    For an import path, a ``min_lr`` or ``eta_min`` argument given with ``--param``.
    """
    kwargs = constructor_kwargs(config)
    known = builtin(config.scheduler)
    names = (known.floor,) if known is not None else ("min_lr", "eta_min")
    for name in names:
        value = kwargs.get(name) if name is not None else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return name, float(value)  # type: ignore[return-value]
    return None


def length_argument(config: ScheduleConfig) -> str | None:
    """The argument that sets the scheduler's length (``T_max``), if lrplan knows it."""
    known = builtin(config.scheduler)
    return known.length if known is not None else None


# --- --param values ------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_WORDS = {"true": True, "false": False, "none": None, "null": None}
PARAM_FORM = "give KEY=VALUE with a Python literal: step_size=10, gamma=0.5, milestones=[10,20]"


def parse_param(text: str, where: str) -> tuple[str, Any]:
    """``key=value`` of ``--param``: the value read as a Python literal.

    Numbers, ``True``/``False`` (also ``true``/``false``), ``None``, quoted strings and lists
    or tuples of them. A bare word such as ``cos`` is the string ``'cos'``.

    Raises:
        LrplanError: naming ``where``, for a missing ``=``, a key that is not a Python
            name, or a value that does not parse or is of another type.
    """
    key, equals, raw = (part.strip() for part in text.partition("="))
    if not equals or not key:
        raise LrplanError(f"{where} {text!r}: {PARAM_FORM}")
    if not key.isidentifier() or keyword.iskeyword(key):
        raise LrplanError(f"{where} {text!r}: {key!r} is not an argument name; {PARAM_FORM}")
    if not raw:
        raise LrplanError(f"{where} {text!r}: {key}= has no value; {PARAM_FORM}")
    return key, literal(raw, f"{where} {text!r}")


def literal(raw: str, where: str) -> Any:
    """``raw`` read as an argument value (see :func:`parse_param`), frozen (lists as tuples)."""
    text = raw.strip()
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    if text.isidentifier() and not keyword.iskeyword(text):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise LrplanError(
            f"{where}: {text!r} is not a Python literal; give a number (0.5), True or False,"
            " a string ('cos') or a list ([10, 20])"
        ) from None
    return freeze(value, where)


def freeze(value: Any, where: str, *, numeric_strings: bool = False) -> Any:
    """``value`` checked to be an argument lrplan can pass, with lists as tuples (hashable).

    With ``numeric_strings`` (values from YAML, which reads ``1e-3`` as a string), strings
    that read as numbers become numbers.

    Raises:
        LrplanError: for a value that is not a number, bool, None, string or sequence of them,
            and for a number that is not finite.
    """
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LrplanError(f"{where}: {value!r} is not a finite number")
        return value
    if isinstance(value, str):
        text = value.strip()
        if numeric_strings and _NUMBER.match(text):
            whole = "." not in text and "e" not in text.lower()
            return int(text) if whole else freeze(float(text), where)
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item, where, numeric_strings=numeric_strings) for item in value)
    raise LrplanError(
        f"{where}: a {type(value).__name__} is not a value lrplan passes (numbers, True,"
        " False, None, strings and lists of them)"
    )


def thaw(value: Any) -> Any:
    """A frozen value as the constructor gets it: tuples back to lists."""
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def show_value(value: Any) -> str:
    """A parameter value as a user writes it: ``10``, ``0.5``, ``[10, 20]``, ``'cos'``."""
    return repr(thaw(value))


# --- torch: loading, checking and building -----------------------------------------------


def check_arguments(config: ScheduleConfig, where: str = "", param_form: str = "--param") -> None:
    """Import ``config``'s class and check the arguments against its constructor.

    ``where`` starts every message (e.g. ``SPEC 2 'scheduler=step'``; empty on the command
    line); ``param_form`` is how the user writes an argument: ``--param`` on the command
    line, ``param.`` in a SPEC.

    Raises:
        LrplanError: for a module that does not import, a name that is not an LRScheduler
            subclass, a scheduler that steps with a metric, and a missing or unknown
            constructor argument (with the constructor's signature).
    """
    if config.scheduler in WARMUP_COS_KINDS:
        return
    target = _load(config.scheduler, where)
    _check_signature(config, target, where, param_form)


def build(
    config: ScheduleConfig,
    optimizer: Optimizer,
    last_epoch: int | None = None,
    *,
    wrap: bool = True,
) -> Any:
    """Construct ``config``'s scheduler on ``optimizer``, as training code would.

    Raises:
        LrplanError: for the problems :func:`check_arguments` finds, and (with ``wrap``) when
            the constructor refuses the arguments (its exception's type and message in one
            line). Without ``wrap`` the constructor's own exception propagates, as it would
            in training code (lrplan resume shows it).
    """
    if config.scheduler == WARMUP_COS:
        from lrplan.optim import WarmupCosLR

        extra: dict[str, Any] = {} if last_epoch is None else {"last_epoch": last_epoch}
        return WarmupCosLR(optimizer, **config.scheduler_kwargs(), **extra)
    target = _load(config.scheduler, "")
    _check_signature(config, target, "", "--param")
    kwargs = constructor_kwargs(config)
    if last_epoch is not None:
        kwargs["last_epoch"] = last_epoch
    if not wrap:
        return target(optimizer, **kwargs)
    try:
        return target(optimizer, **kwargs)
    except Exception as error:  # the scheduler's own code: any exception is a bad argument
        raise LrplanError(
            f"{call_text(config)} raised {type(error).__name__}: {first_line(error)}"
        ) from None


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (KeyError's quotes removed)."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _load(name: str, where: str) -> Any:
    """The callable ``name`` stands for: a built-in's target, or an imported LRScheduler class."""
    known = builtin(name)
    if known is not None:
        return _import(known.target)
    label = f"{where}: scheduler={name}" if where else f"--scheduler {name}"
    return _import_user_class(name, label)


@functools.cache
def _import(target: str) -> Any:
    import importlib

    module_name, _, attribute = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


def _import_user_class(name: str, label: str) -> Any:
    """Import ``module:Class`` from the user's environment (the working folder included)."""
    import importlib
    import os
    import sys

    module_name, _, attribute = name.partition(":")
    # As `python -m` does: the user's own training code in the working folder is importable.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        raise LrplanError(
            f"{label}: no module named {missing!r}; install it, or run lrplan from the folder"
            " that holds it"
        ) from None
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        raise LrplanError(
            f"{label}: importing {module_name} raised {type(error).__name__}: {first_line(error)}"
        ) from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            names = [n for n in dir(found) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise LrplanError(f"{label}: {module_name} has no attribute {part!r}{hint}")
        found = getattr(found, part)
    from torch.optim.lr_scheduler import LRScheduler

    if not (isinstance(found, type) and issubclass(found, LRScheduler)):
        kind = "class" if isinstance(found, type) else type(found).__name__
        raise LrplanError(
            f"{label}: {attribute} is a {kind}, not a subclass of"
            " torch.optim.lr_scheduler.LRScheduler; name a scheduler class"
        )
    return found


def signature_text(target: Any) -> str:
    """``StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)``: names and defaults."""
    import inspect

    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return f"{getattr(target, '__name__', target)}(...)"
    parts = []
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            parts.append(f"*{parameter.name}")
        elif parameter.kind is parameter.VAR_KEYWORD:
            parts.append(f"**{parameter.name}")
        elif parameter.default is parameter.empty:
            parts.append(parameter.name)
        else:
            parts.append(f"{parameter.name}={parameter.default!r}")
    return f"{getattr(target, '__name__', 'scheduler')}({', '.join(parts)})"


def _check_signature(config: ScheduleConfig, target: Any, where: str, param_form: str) -> None:
    import inspect

    def spelled(key: str) -> str:
        return (
            f"{param_form} {key}=VALUE"
            if param_form.startswith("-")
            else f"{param_form}{key}=VALUE"
        )

    prefix = _prefix(where)
    if isinstance(target, type):
        step = inspect.signature(target.step)  # type: ignore[attr-defined]
        needs = [
            p.name
            for p in list(step.parameters.values())[1:]
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if needs:
            raise LrplanError(
                f"{prefix}{target.__name__} steps with {', '.join(needs)}"
                f" (step({', '.join(needs)})): it follows a value measured in training,"
                " which lrplan cannot plan; choose a scheduler that steps without one"
            )
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    parameters = list(signature.parameters.values())[1:]  # after the optimizer
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    names = [p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    kwargs = constructor_kwargs(config)
    shown = signature_text(target)
    if not accepts_any:
        for key in kwargs:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise LrplanError(
                    f"{prefix}{class_name(config)} takes no argument {key!r}{hint};"
                    f" its signature: {shown}"
                )
    missing = [
        p.name
        for p in parameters
        if p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.name not in kwargs
    ]
    if missing:
        give = " ".join(spelled(name) for name in missing)
        raise LrplanError(
            f"{prefix}{class_name(config)} needs {', '.join(missing)}: give {give}; its"
            f" signature: {shown}"
        )


def listing() -> list[dict[str, Any]]:
    """Every short name for ``lrplan schedulers``: class, required arguments, what the
    options fill, lrplan's own defaults, the description and an example."""
    rows = []
    for known in BUILTINS.values():
        filled = [f"{argument} ← {OPTION_OF_ATTRIBUTE[a]}" for argument, a in known.options]
        filled += [f"{argument}={value!r}" for argument, value in known.defaults]
        params = " ".join(f"--param {shlex.quote(item)}" for item in known.example.split())
        example = f"lrplan show --scheduler {known.name}" + (f" {params}" if params else "")
        rows.append(
            {
                "name": known.name,
                "class": known.class_name,
                "required": list(known.required),
                "from_options": filled,
                "description": known.description,
                "example": example,
            }
        )
    return rows


def merge_params(
    base: tuple[tuple[str, Any], ...], extra: Mapping[str, Any] | tuple[tuple[str, Any], ...]
) -> tuple[tuple[str, Any], ...]:
    """``base`` with ``extra``'s keys set over it, in order of first appearance."""
    merged = dict(base)
    merged.update(dict(extra))
    return tuple(merged.items())


def parse_params(
    texts: list[str] | tuple[str, ...], where: str = "--param"
) -> tuple[tuple[str, Any], ...]:
    """Every ``--param KEY=VALUE`` parsed (:func:`parse_param`); a key given twice is refused."""
    params: dict[str, Any] = {}
    for text in texts:
        key, value = parse_param(text, where)
        if key in params:
            raise LrplanError(f"{where} {key}=... is given twice; give each argument once")
        params[key] = value
    return tuple(params.items())
