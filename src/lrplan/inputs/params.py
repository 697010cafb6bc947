"""Scheduler names and constructor arguments as a user types them (``--param key=value``,
``param.key=value`` in a SPEC, a config's scheduler name), parsed into core values.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Mapping
from typing import Any

from lrplan.core.registry import name_problem, normal_name
from lrplan.core.values import freeze
from lrplan.errors import LrplanError


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
