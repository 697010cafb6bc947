"""Reading a YAML config file: the file itself (safe, duplicate keys refused), the schedule keys
it holds, coerced to their types, and the one line refusing a config lrplan cannot plan."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.core.config import (
    INTERVALS,
    VALID,
    ConfigValueError,
    is_whole,
)
from lrplan.errors import LrplanError
from lrplan.inputs.naming import KEYS
from lrplan.inputs.params import check_name

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues


def invalid(key: str, problem: str) -> LrplanError:
    """The error for a bad value of ``key``, naming its option and what is valid."""
    return ConfigValueError(key, problem)


def coerce(key: str, value: object, where: str) -> Any:
    """Turn a value from a file or an inline spec into the type ``key`` holds.

    ``where`` says where the value came from, for the error message. YAML 1.1 reads
    ``1e-3`` as a string (it wants ``1.0e-3``), so numeric strings are accepted.
    """
    if key in ("lr", "min_lr"):
        if isinstance(value, bool):
            number = math.nan
        elif isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:  # a whole number beyond any float
                number = math.inf
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                number = math.nan
        if not math.isfinite(number):
            raise LrplanError(f"{where}: {key}={value!r} is not valid; give {VALID[key]}")
        return number
    if key in ("warmup_epochs", "epochs", "steps_per_epoch"):
        whole: int | None = None
        if is_whole(value):
            whole = int(value)  # type: ignore[call-overload]
        elif isinstance(value, float) and value.is_integer():
            whole = int(value)
        elif isinstance(value, str):
            try:
                parsed = float(value.strip())
            except ValueError:
                parsed = math.nan
            if math.isfinite(parsed) and parsed.is_integer():
                whole = int(parsed)
        if whole is None:
            raise LrplanError(f"{where}: {key}={value!r} is not valid; give {VALID[key]}")
        return whole
    if key == "interval":
        text = str(value).strip().lower()
        if text not in INTERVALS:
            raise LrplanError(f"{where}: interval={value!r} is not valid; give {VALID[key]}")
        return text
    if key == "label":
        return str(value)
    if key == "scheduler":
        return check_name(value, where)
    raise LrplanError(f"{where}: unknown key {key!r}; valid keys: {', '.join(KEYS)}")


def load_config_file(
    path: Path,
    where: str | None = None,
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
) -> dict[str, Any]:
    """Read the schedule keys from a YAML config file; other keys are ignored.

    The keys may sit at the top level or in nested sections (``optimizer``, ``lr_scheduler``,
    ...; or the one ``config_key`` names), with ``${...}`` interpolations resolved by OmegaConf
    and ``sets`` (``--set PATH=VALUE``) applied first: see :func:`read_config_file`.
    ``where`` starts every error message (default: ``--config PATH``).

    Raises LrplanError for a missing, unreadable, malformed or non-mapping file, and for a
    YAML tag that would construct Python objects (the file is read with ``yaml.safe_load``).
    """
    return read_config_file(path, where=where, config_key=config_key, sets=sets)[0]


def read_config_file(
    path: Path | None,
    *,
    where: str | None = None,
    config_key: str | None = None,
    sets: Sequence[str] = (),
    skip: Collection[str] = (),
    refuse: bool = False,
    options: Collection[str] = (),
) -> tuple[dict[str, Any], ConfigValues]:
    """The coerced schedule keys of a config file, and all that was read (sources, optimizer).

    ``path=None`` reads ``sets`` alone, as if applied to an empty file. ``where`` starts
    every error message (default: ``--config PATH``). Keys in ``skip`` (given by an option,
    which overrides the file) are left out unread, whatever the file holds there. With
    ``refuse``, a file that sets up a schedule lrplan cannot plan is refused first.
    ``options`` are the keys the command line gives (``scheduler`` among them): a file
    holding nothing lrplan reads is refused only when none is given.
    """
    from lrplan.inputs.training_config import Unreadable, read_config

    if path is None:
        where = "--set"
        document: Mapping[Any, Any] = {}
    else:
        where = where or f"--config {path}"
        document = read_yaml_mapping(path, where)
    found = read_config(document, where, KEYS, config_key=config_key, sets=sets, options=options)
    if refuse and found.refusal is not None:
        raise LrplanError(refusal_text(where, found.refusal))
    values = {}
    for key, value in found.values.items():
        if key in skip:
            continue
        if isinstance(value, Unreadable):
            raise LrplanError(value.message)
        source = found.sources[key]
        if value is None and source != "--set":
            raise LrplanError(
                f"{where}: {source} is null, a value the training code fills in; give it with"
                f" --set {source}=VALUE"
            )
        values[key] = coerce(
            key, value, f"--set {key}" if source == "--set" else f"{where}: {source}"
        )
    return values, found


def read_yaml_mapping(path: Path, where: str) -> Mapping[Any, Any]:
    """The document of ``path`` (JSON for ``.json``, else YAML), which must be a mapping,
    parsed and typed: :func:`lrplan.inputs.parse.read_mapping`, then
    :func:`lrplan.inputs.typed.typed_document`. LrplanError if not a mapping."""
    from lrplan.inputs.parse import read_mapping
    from lrplan.inputs.typed import typed_document

    return typed_document(read_mapping(path, where), where)


def refusal_text(where: str, reason: str) -> str:
    """The one line refusing a config lrplan cannot plan, with what would make it plannable."""
    if "--scheduler" in reason:
        return f"{where}: {reason}"
    if where.startswith("SPEC"):
        return (
            f"{where}: {reason}; to plan another schedule in its place, name it with"
            " scheduler=NAME and its arguments with param.KEY=VALUE in the SPEC"
        )
    return (
        f"{where}: {reason}; to plan another schedule in its place, name it with --scheduler"
        " and its arguments with --param"
    )
