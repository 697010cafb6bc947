"""Constructor-argument values as a ScheduleConfig holds them: checked, frozen and shown."""

from __future__ import annotations

import math
import re
from typing import Any

from lrplan.errors import LrplanError

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


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
