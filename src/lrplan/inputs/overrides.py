"""``--set PATH=VALUE``: overrides applied to a config's document before it is read, as a
Hydra override is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lrplan.errors import LrplanError
from lrplan.inputs.document import Path_, lookup_key


def dotted(path: Path_) -> str:
    """``("optimizer", "lr")`` as ``optimizer.lr``; the top level is ``(top level)``."""
    return ".".join(str(part) for part in path) if path else "(top level)"


def parse_set(text: str) -> tuple[list[str], Any]:
    """Split ``--set optimizer.lr=5e-4`` into a path and a value read as YAML.

    Raises LrplanError for a missing ``=``, an empty key or a value that is not YAML.
    """
    import yaml

    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise LrplanError(
            f"--set {text}: give KEY=VALUE, e.g. --set lr=5e-4 or --set optimizer.lr=5e-4"
        )
    parts = key.split(".")
    if any(not part.strip() for part in parts):
        raise LrplanError(f"--set {text}: {key!r} is not a dotted key such as optimizer.lr")
    from lrplan.inputs.limits import safe_load

    try:
        value = safe_load(raw) if raw.strip() else ""
    except LrplanError as error:
        raise LrplanError(f"--set {key}: {error}") from None
    except (yaml.YAMLError, ValueError):
        raise LrplanError(f"--set {text}: the value {raw!r} is not valid YAML") from None
    return [part.strip() for part in parts], value


def with_sets(document: Mapping[Any, Any], sets: Sequence[str]) -> dict[Any, Any]:
    """``document`` with every ``--set PATH=VALUE`` applied (copied on write)."""
    return edited(dict(document), (), sets)[0]


def edited(
    document: dict[Any, Any], keys: Sequence[str], sets: Sequence[str]
) -> tuple[dict[Any, Any], list[tuple[str, Path_]]]:
    """The document with every ``--set`` but bare schedule keys applied, and the paths created.

    The document is copied on write: the caller's is left as it was.
    """
    created: list[tuple[str, Path_]] = []
    for text in sets:
        parts, value = parse_set(text)
        if len(parts) == 1 and parts[0] in keys:
            # A bare schedule key (see bare_overrides) also replaces the top-level key of that
            # name, which an interpolation or a group file's constructor may read too.
            key = lookup_key(document, parts[0])
            if key in document:
                document[key] = value
            continue
        node = document
        path: Path_ = ()
        for index, part in enumerate(parts[:-1]):
            key = lookup_key(node, part)
            child = node.get(key)
            if child is None:
                child = {}
            elif not isinstance(child, Mapping):
                raise LrplanError(
                    f"--set {text}: {'.'.join(parts[: index + 1])} is a"
                    f" {type(child).__name__}, not a section; give the path of a value"
                )
            node[key] = child = dict(child)
            node = child
            path += (key,)
        key = lookup_key(node, parts[-1])
        if key not in node:
            created.append((text, (*path, key)))
        node[key] = value
    return document, created


def bare_overrides(keys: Sequence[str], sets: Sequence[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for text in sets:
        parts, value = parse_set(text)
        if len(parts) == 1 and parts[0] in keys:
            overrides[parts[0]] = value
    return overrides
