"""Building the scheduler a ScheduleConfig names: its class, its arguments, the call.

WarmupCosLR, a torch built-in from :mod:`lrplan.core.registry`, or any ``LRScheduler``
subclass by import path (importing it runs the user's code, so :mod:`lrplan.inputs` lets
only the command line name one). :func:`build` and :func:`check_arguments` import torch
(and the named class) when called; everything else here is torch-free.
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING, Any

from lrplan.core.registry import (
    WARMUP_COS,
    WARMUP_COS_KINDS,
    WARMUP_COS_TORCH,
    builtin,
    class_name_of,
    keys_used,
)
from lrplan.core.values import thaw
from lrplan.errors import LrplanError, first_line

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from lrplan.core.config import ScheduleConfig


def class_name(config: ScheduleConfig) -> str:
    """The class the schedule is planned with, as a user knows it: ``CosineAnnealingLR``."""
    return class_name_of(config.scheduler)


def uses(config: ScheduleConfig) -> frozenset[str]:
    """The schedule keys that shape ``config``'s scheduler: lr and epochs always."""
    return keys_used(config.scheduler)


def constructor_kwargs(config: ScheduleConfig) -> dict[str, Any]:
    """The keyword arguments after the optimizer: the settings a built-in fills, lrplan's
    defaults, then the config's params (sequences passed as lists).
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

    For an import path, a ``min_lr`` or ``eta_min`` argument among its params.
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


def check_arguments(config: ScheduleConfig, where: str = "") -> None:
    """Import ``config``'s class and check the arguments against its constructor.

    ``where`` starts every message (e.g. ``SPEC 2 'scheduler=step'``); arguments are named
    in marks (``«param.step_size=VALUE»``), for each reader to word.

    Raises:
        LrplanError: for a module that does not import, a name that is not an LRScheduler
            subclass, a scheduler that steps with a metric, and a missing or unknown
            constructor argument (with the constructor's signature).
    """
    if config.scheduler in WARMUP_COS_KINDS:
        return
    target = _load(config.scheduler, where)
    _check_signature(config, target, where)


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
    _check_signature(config, target, "")
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


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _load(name: str, where: str) -> Any:
    """The callable ``name`` stands for: a built-in's target, or an imported LRScheduler class."""
    known = builtin(name)
    if known is not None:
        return _import(known.target)
    label = f"{where}: «scheduler={name}»" if where else f"«scheduler={name}»"
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


def _check_signature(config: ScheduleConfig, target: Any, where: str) -> None:
    import inspect

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
        give = " ".join(f"«param.{name}=VALUE»" for name in missing)
        raise LrplanError(
            f"{prefix}{class_name(config)} needs {', '.join(missing)}: give {give}; its"
            f" signature: {shown}"
        )
