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
) -> tuple[dict[str, Any], ConfigValues]:
    """The coerced schedule keys of a config file, and all that was read (sources, optimizer).

    ``path=None`` reads ``sets`` alone, as if applied to an empty file. ``where`` starts
    every error message (default: ``--config PATH``). Keys in ``skip`` (given by an option,
    which overrides the file) are left out unread, whatever the file holds there. With
    ``refuse``, a file that sets up a schedule lrplan cannot plan is refused first.
    """
    from lrplan.inputs.training_config import Unreadable, read_config

    if path is None:
        where = "--set"
        document: Mapping[Any, Any] = {}
    else:
        where = where or f"--config {path}"
        document = _read_yaml_mapping(path, where)
    found = read_config(document, where, KEYS, config_key=config_key, sets=sets)
    if refuse and found.refusal is not None:
        raise LrplanError(refusal_text(where, found.refusal))
    values = {}
    for key, value in found.values.items():
        if key in skip:
            continue
        if isinstance(value, Unreadable):
            raise LrplanError(value.message)
        source = found.sources[key]
        values[key] = coerce(
            key, value, f"--set {key}" if source == "--set" else f"{where}: {source}"
        )
    return values, found


def safe_load_unique(text: str) -> Any:
    """``yaml.safe_load``, refusing a mapping that gives the same key twice.

    PyYAML keeps the last of duplicate keys silently, while Hydra and OmegaConf refuse them;
    a planner that quietly picked one of two ``lr`` values would plan the wrong run.
    """
    import yaml

    from lrplan.inputs.limits import BoundedComposer

    class UniqueKeyLoader(BoundedComposer, yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeLoader reports it itself
                    break
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"found duplicate key {key!r}", key_node.start_mark
                    )
            return super().construct_mapping(node, deep)

    def plain_tuple(loader: Any, node: Any) -> Any:
        # nequip and others dump tuples as !!python/tuple: read one as the list it holds.
        return loader.construct_sequence(node, deep=True)

    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:python/tuple", plain_tuple)
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: builds no objects


def read_yaml_mapping(path: Path, where: str) -> Mapping[Any, Any]:
    """The YAML (or JSON) document of ``path``, which must be a mapping; LrplanError if not."""
    return _read_yaml_mapping(path, where)


def _read_yaml_mapping(path: Path, where: str) -> Mapping[Any, Any]:
    """The YAML document of ``path``, which must be a mapping (an empty file is ``{}``)."""
    import yaml

    from lrplan.inputs import limits

    try:
        text = limits.read_text(path, where, "a YAML config", limits.CONFIG_MAX_BYTES)
    except FileNotFoundError:
        raise LrplanError(f"{where}: no such file; give the path of a YAML config") from None
    except IsADirectoryError:
        raise LrplanError(f"{where}: is a folder; give the path of a YAML config") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise LrplanError(f"{where}: cannot be read ({reason})") from None
    try:
        document = safe_load_unique(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise LrplanError(f"{where}: not valid YAML{at} ({problem})") from None
    except limits.TooComplex as error:
        raise LrplanError(f"{where}: {error}") from None
    except ValueError as error:  # an int of more digits than Python converts (4,300)
        raise LrplanError(
            f"{where}: not valid YAML ({limits.shortened(str(error), 120)})"
        ) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise LrplanError(
            f"{where}: holds a {type(document).__name__}, not a mapping of keys"
            f" such as lr: 1e-3 and epochs: 25"
        )
    return document


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
