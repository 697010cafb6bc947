"""Building the scheduler a ScheduleConfig names: its class, its arguments, the call.

WarmupCosLR, a torch built-in from :mod:`lrplan.core.registry`, or by import path any
``LRScheduler`` subclass or factory function that returns a scheduler (``transformers``'
``get_cosine_schedule_with_warmup``). Importing one runs its module's code, so
:mod:`lrplan.inputs` decides which modules may be imported. :func:`build` and
:func:`check_arguments` import torch (and the named class) when called; everything else here
is torch-free.
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING, Any

from lrplan.core.registry import (
    KEY_OF_ATTRIBUTE,
    WARMUP_COS,
    WARMUP_COS_KINDS,
    WARMUP_COS_TORCH,
    builtin,
    class_name_of,
    framework_of,
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

    A setting that was not given (``min_lr=None``) fills nothing, so the argument keeps the
    constructor's own default.
    """
    known = builtin(config.scheduler)
    kwargs: dict[str, Any] = {}
    if known is not None:
        for argument, attr in known.options:
            value = getattr(config, attr)
            if value is not None:
                kwargs[argument] = value
        kwargs.update(known.defaults)
    kwargs.update({key: thaw(value) for key, value in config.params})
    return kwargs


def call_text(config: ScheduleConfig) -> str:
    """The constructor call lrplan makes, e.g. ``CosineAnnealingLR(optimizer, T_max=25,
    eta_min=1e-05)``; SequentialLR(...) for the torch composition."""
    if config.scheduler == WARMUP_COS_TORCH:
        return "SequentialLR(optimizer, [LinearLR(...), CosineAnnealingLR(...)], milestones=...)"
    if framework_of(config.scheduler):
        from lrplan.core import frameworks

        return frameworks.call_text(config)
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


def filled_argument(config: ScheduleConfig, key: str) -> str | None:
    """The constructor argument a built-in fills from the setting ``key`` (``eta_min`` from
    ``min_lr`` for ``cosine``), or None."""
    known = builtin(config.scheduler)
    if known is None:
        return None
    for argument, attribute in known.options:
        if KEY_OF_ATTRIBUTE[attribute] == key:
            return argument
    return None


def constructor_default(config: ScheduleConfig, argument: str) -> tuple[bool, Any]:
    """``(True, default)`` when ``config``'s scheduler has a default for ``argument``: the
    value that applies when lrplan passes nothing. Imports the scheduler's class."""
    import inspect

    if config.scheduler in WARMUP_COS_KINDS or framework_of(config.scheduler):
        return False, None
    try:
        parameters = inspect.signature(_load(config.scheduler, "")).parameters
    except (TypeError, ValueError):  # a callable without a signature Python can read
        return False, None
    parameter = parameters.get(argument)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return False, None
    return True, parameter.default


def length_argument(config: ScheduleConfig) -> str | None:
    """The argument that sets the scheduler's length (``T_max``), if lrplan knows it."""
    known = builtin(config.scheduler)
    return known.length if known is not None else None


def check_arguments(config: ScheduleConfig, where: str = "", *, named_at: bool = False) -> None:
    """Import ``config``'s class and check the arguments against its constructor.

    ``where`` starts every message (e.g. ``SPEC 2 'scheduler=step'``); arguments are named
    in marks (``«param.step_size=VALUE»``), for each reader to word. With ``named_at``,
    ``where`` is the place that names the scheduler (a config's key path), and the messages
    name it by that place rather than as the ``scheduler`` parameter.

    Raises:
        LrplanError: for a module that does not import, a name that is not an LRScheduler
            subclass, a scheduler that steps with a metric, and a missing or unknown
            constructor argument (with the constructor's signature).
    """
    if config.scheduler in WARMUP_COS_KINDS:
        return
    if framework_of(config.scheduler):
        from lrplan.core import frameworks

        frameworks.check(config, where)
        return
    target = _load(config.scheduler, where, named_at)
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
    from lrplan.core import frameworks

    if framework_of(config.scheduler):
        if last_epoch is not None:
            raise LrplanError(
                f"«scheduler={config.scheduler}» is planned from the start only; lrplan cannot"
                " resume a framework's schedule"
            )
        return frameworks.build(config, optimizer)
    target = _load(config.scheduler, "")
    _check_signature(config, target, "")
    kwargs = constructor_kwargs(config)
    if last_epoch is not None:
        kwargs["last_epoch"] = last_epoch
    if not wrap:
        return frameworks.wrap(_checked_result(config, target(optimizer, **kwargs)), config)
    try:
        result = target(optimizer, **kwargs)
    except Exception as error:  # the scheduler's own code: any exception is a bad argument
        raise LrplanError(
            f"{call_text(config)} raised {type(error).__name__}: {first_line(error)}"
            + _argument_fix(first_line(error), target, kwargs)
        ) from None
    return frameworks.wrap(_checked_result(config, result), config)


def _argument_fix(message: str, target: Any, given: dict[str, Any]) -> str:
    """The lrplan options a constructor's own error asks for: each argument of its signature
    that the message names and the call did not pass, as ``--param NAME=VALUE``."""
    import inspect
    import re

    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return ""
    words = set(re.findall(r"[A-Za-z_]\w*", message))
    missing = [
        name
        for name in parameters
        if name in words and name not in given and name not in ("optimizer", "last_epoch")
    ]
    if not missing:
        return ""
    options = " or ".join(f"--param {name}=VALUE" for name in missing)
    return f"; give what it asks for with {options}"


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _load(name: str, where: str, named_at: bool = False) -> Any:
    """The callable ``name`` stands for: a built-in's target, or an imported scheduler class
    or factory function."""
    known = builtin(name)
    if known is not None:
        return _import(known.target)
    if named_at:
        label = f"{where} = {name}"
    else:
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
    import os
    import sys

    module_name, _, attribute = name.partition(":")
    # As `python -m` does: the user's own training code in the working folder is importable.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    from lrplan.core import frameworks

    try:
        found: Any = frameworks.import_module(module_name)
    except LrplanError as error:
        raise LrplanError(f"{label}: {error}") from None
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

    if frameworks.accepts(found):
        return found
    if isinstance(found, type) and issubclass(found, LRScheduler):
        return found
    if is_factory(found):
        return found
    kind = "class" if isinstance(found, type) else type(found).__name__
    raise LrplanError(
        f"{label}: {attribute} is a {kind}, neither a subclass of"
        " torch.optim.lr_scheduler.LRScheduler nor a function that returns one; name a"
        " scheduler class or factory function"
    )


def is_factory(target: Any) -> bool:
    """True for a function (not a class) that may build a scheduler from an optimizer."""
    import inspect

    return inspect.isfunction(target) or inspect.ismethod(target) or inspect.isbuiltin(target)


def _checked_result(config: ScheduleConfig, result: Any) -> Any:
    """A factory's result, which must be a scheduler (an ``LRScheduler``), or a timm or
    DeepSpeed scheduler (:func:`lrplan.core.frameworks.accepts`)."""
    from torch.optim.lr_scheduler import LRScheduler

    from lrplan.core import frameworks

    if frameworks.accepts(type(result)):
        return result
    if not isinstance(result, LRScheduler):
        raise LrplanError(
            f"{call_text(config)} returned a {type(result).__name__}, not a"
            " torch.optim.lr_scheduler.LRScheduler; name a function that returns a scheduler"
        )
    needs = _step_needs(type(result))
    if needs:
        raise LrplanError(_steps_with_text(type(result).__name__, needs, ""))
    return result


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

    from lrplan.core import frameworks

    prefix = _prefix(where)
    # timm's schedulers step with the epoch, given by its training loop (frameworks.timm).
    if isinstance(target, type) and not frameworks.accepts(target):
        needs = _step_needs(target)
        if needs:
            raise LrplanError(_steps_with_text(target.__name__, needs, prefix))
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


def _step_needs(scheduler_class: type) -> list[str]:
    """The arguments ``step`` requires (ReduceLROnPlateau's ``metrics``); empty for most."""
    import inspect

    step = inspect.signature(scheduler_class.step)  # type: ignore[attr-defined]
    return [
        p.name
        for p in list(step.parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _steps_with_text(name: str, needs: list[str], prefix: str) -> str:
    return (
        f"{prefix}{name} steps with {', '.join(needs)} (step({', '.join(needs)})): it follows"
        " a value measured in training, which lrplan cannot plan; choose a scheduler that"
        " steps without one"
    )
