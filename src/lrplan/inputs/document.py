"""Walking a training config's document: key paths, and values that cannot be read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Path_ = tuple[Any, ...]
#: How deep the search for sections goes, counting from the top level.
MAX_DEPTH = 6


@dataclass(frozen=True)
class Unreadable:
    """A value lrplan could not read (an interpolation it cannot resolve, two values that
    disagree): ``message`` is the one-line error, raised only if nothing overrides it."""

    message: str


def find_key(node: Any, key: str, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of every ``key`` in ``node``'s nested mappings, shallowest first per branch."""
    if not isinstance(node, Mapping) or len(path) >= MAX_DEPTH:
        return
    if key in node:
        yield (*path, key)
    for name, value in node.items():
        yield from find_key(value, key, (*path, name))


def value_at(document: Any, path: Path_) -> Any:
    node = document
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def has_path(document: Any, path: Path_) -> bool:
    node = document
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def lookup_key(mapping: Mapping[Any, Any], text: str) -> Any:
    """The key of ``mapping`` spelled ``text`` (YAML keys may be numbers: ``0`` for ``"0"``)."""
    if text in mapping:
        return text
    for key in mapping:
        if str(key) == text:
            return key
    return text
