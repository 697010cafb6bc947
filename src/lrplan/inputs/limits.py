"""The bounds on what lrplan reads: which files, how big, how deep, how many aliases, which
numbers, and how much of a value a message quotes.

A config or a log is a file a user hands over, perhaps broken, perhaps hostile. Every reader
goes through these checks so that a bad file costs bounded time and memory and ends in one
line (an :class:`~lrplan.errors.LrplanError`, exit code 2), never a hang or a traceback:

- only a regular file is read (checked after links are followed, on the file descriptor that
  is read, so a FIFO never blocks and a device such as ``/dev/zero`` is never read);
- a config file may hold :data:`CONFIG_MAX_BYTES`, a log read whole (``trainer_state.json``)
  :data:`JSON_LOG_MAX_BYTES`, a streamed log (CSV, TensorBoard) :data:`LOG_MAX_BYTES`;
- a document nests at most :data:`MAX_DEPTH` levels, checked while YAML is composed and
  after JSON is parsed, before anything walks it recursively;
- YAML aliases expand to at most :data:`MAX_EXPANDED_NODES` nodes, and an alias inside its
  own anchor (``rec: &r [*r]``) is refused by name;
- an epoch or a step is a whole number up to :data:`MAX_POSITION`;
- a value quoted in a message is shortened to :data:`QUOTE_CHARS` characters (:func:`quoted`).

Torch-free and yaml-free at import: :class:`BoundedComposer` is a mixin for a
``yaml.SafeLoader`` subclass and imports nothing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError, shortened

#: A config file larger than this is refused: the largest real training configs are tens of
#: kilobytes (DeepSpeed and Hydra's included).
CONFIG_MAX_BYTES = 4 * 1024 * 1024
#: A log read whole into memory (Hugging Face's ``trainer_state.json``, parsed as one JSON
#: document); a million logged steps take about 250 MB.
JSON_LOG_MAX_BYTES = 512 * 1024 * 1024
#: A log streamed row by row (CSV, TensorBoard event files): memory does not grow with it.
LOG_MAX_BYTES = 64 * 1024 * 1024 * 1024
#: How deep a config or log document may nest (mappings and lists). Real configs nest fewer
#: than 15 levels; lrplan walks documents recursively, so the bound keeps far from Python's.
MAX_DEPTH = 100
#: How many nodes a YAML document may hold once every alias is expanded. A real config holds
#: a few thousand; nested aliases (9 levels of 9) expand to hundreds of millions.
MAX_EXPANDED_NODES = 200_000
#: The largest epoch or step a log may give: beyond 2**53 a float no longer holds every whole
#: number, and no training run logs that many steps.
MAX_POSITION = 2**53
#: A value quoted in a message is shortened to about this many characters.
QUOTE_CHARS = 60


class TooComplex(LrplanError):
    """A document beyond a bound, said without where it came from (the reader prefixes it)."""


def _size_text(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(mode: int, size: int, where: str, what: str, limit: int) -> None:
    """Refuse what ``os.stat`` (links followed) says is no regular file, or is over ``limit``.

    ``what`` says what to give instead (``a YAML config``, ``a training log``).
    """
    if not stat.S_ISREG(mode):
        raise LrplanError(f"{where}: is {_kind(mode)}, not a file; give {what}")
    if size > limit:
        raise LrplanError(
            f"{where}: is {_size_text(size)}, more than the {_size_text(limit)} lrplan reads"
            f" from {what}; is it the right file?"
        )


def check_file(path: Path, where: str, what: str, limit: int) -> None:
    """:func:`check_regular` on ``path`` (links followed); the OSError of a missing path is
    left to the caller, which words it."""
    info = os.stat(path)
    check_regular(info.st_mode, info.st_size, where, what, limit)


def read_bytes(path: Path, where: str, what: str, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes; LrplanError if not.

    Opened without blocking (a FIFO opens at once) and checked on the descriptor read, so a
    file swapped for a FIFO or a device between a check and the read is refused too. At most
    ``limit + 1`` bytes are read, whatever the file grows to meanwhile. OSError (a missing
    file, no permission) is left to the caller.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        check_regular(info.st_mode, info.st_size, where, what, limit)
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise LrplanError(
            f"{where}: is more than the {_size_text(limit)} lrplan reads from {what}; is it the"
            " right file?"
        )
    return data


def read_text(path: Path, where: str, what: str, limit: int, encoding: str = "utf-8") -> str:
    """:func:`read_bytes` decoded; UnicodeDecodeError is left to the caller."""
    return read_bytes(path, where, what, limit).decode(encoding)


def depth_of(document: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``document`` nests (a scalar 0, ``[1]`` 1), counted without recursion and
    only up to ``limit + 1``; a mapping or list that holds itself counts as too deep."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children = list(node.values())
        elif isinstance(node, (list, tuple)):
            children = list(node)
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend(
            (child, depth) for child in children if isinstance(child, (Mapping, list, tuple))
        )
    return deepest


#: Why a document nested too deeply is refused (where a parser's own limit or ours stops it).
TOO_DEEP = (
    f"nests more than {MAX_DEPTH} levels of mappings or lists; a config or log nests a few,"
    " so this file is not one lrplan reads"
)


def check_depth(document: Any, where: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` levels."""
    if depth_of(document) > MAX_DEPTH:
        raise LrplanError(f"{where}: {TOO_DEEP}")


def parse_json(text: str, where: str, *, walked: bool = True) -> Any:
    """``json.loads(text)`` with its depth bounded; JSONDecodeError is left to the caller.

    json's parser refuses about 1,000 levels itself (RecursionError, turned into one line
    here); a document lrplan walks recursively (``walked``: a config) is also checked for
    :data:`MAX_DEPTH`. A log's entries are read flat, and a million of them would take
    seconds to walk, so a log is parsed with ``walked=False``.
    """
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # an int of more digits than Python converts (4,300)
        raise LrplanError(
            f"{where}: is not JSON lrplan reads ({shortened(str(error), 120)})"
        ) from None
    except RecursionError:
        raise LrplanError(f"{where}: {TOO_DEEP}") from None
    if walked:
        check_depth(document, where)
    return document


class BoundedComposer:
    """A mixin for a ``yaml.SafeLoader`` subclass (put it first among the bases): the
    document's depth, its size with aliases expanded, and recursive aliases are bounded
    while PyYAML composes the node graph, before anything is constructed from it.

    Raises :class:`TooComplex` (an LrplanError without the file's name: the reader adds it).
    """

    def compose_document(self) -> Any:
        self._lrplan_depth = 0
        self._lrplan_open: dict[str, Any] = {}
        self._lrplan_sizes: dict[int, int] = {}
        self._lrplan_total = 0
        return super().compose_document()  # type: ignore[misc]

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[attr-defined]
        if type(event).__name__ == "AliasEvent":
            anchor = event.anchor
            if anchor in self._lrplan_open:
                raise TooComplex(
                    f"the YAML alias *{anchor} (line {event.start_mark.line + 1}) is inside"
                    f" its own anchor &{anchor}: a value that holds itself has no end; refer"
                    " to the anchor outside its own value"
                )
            node = super().compose_node(parent, index)  # type: ignore[misc]
            self._count(self._lrplan_sizes.get(id(node), 1), event)
            return node
        anchor = getattr(event, "anchor", None)
        self._lrplan_depth += 1
        if self._lrplan_depth > MAX_DEPTH:
            raise TooComplex(
                f"nests more than {MAX_DEPTH} levels of mappings or lists (line"
                f" {event.start_mark.line + 1}); a config nests a few, so this file is not"
                " one lrplan reads"
            )
        if anchor is not None:
            self._lrplan_open[anchor] = True
        before = self._lrplan_total
        try:
            node = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._lrplan_depth -= 1
            if anchor is not None:
                self._lrplan_open.pop(anchor, None)
        # The node and everything under it, each alias counted as the nodes it stands for.
        self._count(1, event)
        self._lrplan_sizes[id(node)] = self._lrplan_total - before
        return node

    def _count(self, nodes: int, event: Any) -> None:
        self._lrplan_total += nodes
        if self._lrplan_total > MAX_EXPANDED_NODES:
            raise TooComplex(
                f"its YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values (line"
                f" {event.start_mark.line + 1}): nested aliases that multiply (a billion"
                " laughs) are refused; write the values out, or anchor fewer levels"
            )


def quoted(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr(value)``, shortened to about ``limit`` characters with ``…`` in the middle."""
    if isinstance(value, str) and len(value) > 4 * limit:
        value = value[: 2 * limit] + value[-limit:]  # the middle is cut below anyway
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python converts to text
        text = f"<a number of about {value.bit_length() * 0.30103:.0f} digits>"  # type: ignore[union-attr]
    return shortened(text, limit)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with :class:`BoundedComposer`'s bounds (a ``--set`` value)."""
    import yaml

    class BoundedLoader(BoundedComposer, yaml.SafeLoader):
        pass

    return yaml.load(text, Loader=BoundedLoader)  # a SafeLoader: builds no objects
