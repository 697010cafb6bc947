"""Stage 1 of reading a config: the file, parsed by its format's own parser.

The read path of a config is four stages, each a module, followed top to bottom:

1. **parse** (this module): ``.json`` with :mod:`json`, as DeepSpeed and Hugging Face read it
   (duplicate keys refused, as DeepSpeed's ``dict_raise_error_on_duplicate_keys`` does);
   anything else as YAML with ``yaml.safe_load``'s semantics (merge keys ``<<:`` and anchors
   flattened) but refusing a mapping that gives the same key twice.
2. **type** (:mod:`lrplan.inputs.typed`): values converted as the framework's own parser
   converts them.
3. **recognise** (:mod:`lrplan.inputs.frameworks`, :mod:`lrplan.inputs.dialects`,
   :mod:`lrplan.inputs.training_config`): which framework or dialect, which scheduler.
4. **settings with sources** (:mod:`lrplan.inputs.settings`).

The YAML loader is one class (:func:`yaml_loader`) so that bounds on what a file may hold
can be added to it in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError

#: The tag of a YAML merge key (``<<: *anchor``).
MERGE_TAG = "tag:yaml.org,2002:merge"


def is_json(path: Path) -> bool:
    """A file its framework reads with :mod:`json` (DeepSpeed's config, HF's ``.json`` args)."""
    return path.suffix.lower() == ".json"


@lru_cache(maxsize=1)
def yaml_loader() -> type[Any]:
    """``yaml.SafeLoader`` refusing duplicate keys, with merge keys and ``!!python/tuple``.

    PyYAML keeps the last of duplicate keys silently, while Hydra and OmegaConf refuse them:
    a planner that quietly picked one of two ``lr`` values would plan the wrong run. A key a
    merge (``<<: *base``) brings in and the mapping sets again is an override, as YAML means
    it, not a duplicate.
    """
    import yaml

    from lrplan.inputs.limits import BoundedComposer

    # BoundedComposer first: depth, alias expansion and recursive aliases are bounded while
    # the node graph is composed, before anything is built from it (docs/limits.md).
    class UniqueKeyLoader(BoundedComposer, yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == MERGE_TAG:
                        continue
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
    return UniqueKeyLoader


def parse_yaml(text: str) -> Any:
    """The YAML document of ``text`` (safe: builds no Python objects); yaml.YAMLError if bad."""
    import yaml

    return yaml.load(text, Loader=yaml_loader())  # a SafeLoader subclass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"found duplicate key {key!r}")
        document[key] = value
    return document


def parse_json(text: str) -> Any:
    """The JSON document of ``text``, as DeepSpeed reads it (duplicate keys refused)."""
    import json

    return json.loads(text, object_pairs_hook=_unique_pairs)


def read_text(path: Path, where: str) -> str:
    """The text of ``path``, a regular file within the configs' size cap
    (:mod:`lrplan.inputs.limits`); LrplanError (one line) for a missing, unreadable, special
    or oversized file."""
    from lrplan.inputs import limits

    try:
        return limits.read_text(path, where, "a YAML config", limits.CONFIG_MAX_BYTES)
    except FileNotFoundError:
        raise LrplanError(f"{where}: no such file; give the path of a YAML config") from None
    except IsADirectoryError:
        raise LrplanError(f"{where}: is a folder; give the path of a YAML config") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise LrplanError(f"{where}: cannot be read ({reason})") from None


def parse_document(text: str, where: str, *, json_format: bool = False) -> Any:
    """``text`` parsed as JSON (``json_format``) or YAML; LrplanError (one line) if malformed
    or nested too deeply for the parser."""
    from lrplan.inputs import limits
    from lrplan.inputs.limits import TOO_DEEP

    try:
        document = _parse_document(text, where, json_format=json_format)
    except RecursionError:
        raise LrplanError(f"{where}: {TOO_DEEP}") from None
    except limits.TooComplex as error:
        raise LrplanError(f"{where}: {error}") from None
    if json_format:  # YAML's depth is bounded while it is composed
        limits.check_depth(document, where)
    return document


def _parse_document(text: str, where: str, *, json_format: bool) -> Any:
    import json

    import yaml

    if json_format:
        try:
            return parse_json(text)
        except json.JSONDecodeError as error:
            raise LrplanError(
                f"{where}: not valid JSON at line {error.lineno} ({error.msg})"
            ) from None
        except ValueError as error:
            raise LrplanError(f"{where}: not valid JSON ({error})") from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        template = _jinja(text, mark.line if mark is not None else None)
        raise LrplanError(f"{where}: not valid YAML{at} ({problem}){template}") from None
    except ValueError as error:  # an int of more digits than Python converts (4,300)
        from lrplan.errors import shortened

        raise LrplanError(f"{where}: not valid YAML ({shortened(str(error), 120)})") from None


#: A Jinja expression or statement: ``{{ gpus }}``, ``{% if ... %}``.
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def _jinja(text: str, line: int | None) -> str:
    """What to say of a file YAML refuses that holds Jinja markup (the failing line's first,
    else the file's first): a template its project renders before loading it."""
    lines = text.splitlines()
    candidates = ([lines[line]] if line is not None and line < len(lines) else []) + lines
    for candidate in candidates:
        found = _JINJA.search(candidate)
        if found is not None:
            return (
                f"; it holds {found[0]}, as a Jinja template does, which its project renders"
                " before loading: give lrplan the rendered file (render the template with the"
                " values the project fills in)"
            )
    return ""


def read_mapping(path: Path, where: str) -> Mapping[Any, Any]:
    """The document of the config file ``path``, which must be a mapping (empty file: ``{}``).

    Raises LrplanError (one line, starting with ``where``) for a missing, unreadable or
    malformed file, and for a document that is not a mapping.
    """
    document = parse_document(read_text(path, where), where, json_format=is_json(path))
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise LrplanError(
            f"{where}: holds a {type(document).__name__}, not a mapping of keys"
            f" such as lr: 1e-3 and epochs: 25"
        )
    return document
