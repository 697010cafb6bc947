"""``${...}`` interpolations resolved with OmegaConf (the optional ``lrplan[hydra]``) when a
value lrplan reads has one, and values read at several places that must agree."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lrplan.errors import LrplanError, first_line
from lrplan.inputs.document import Path_, Unreadable, value_at
from lrplan.inputs.overrides import dotted

HYDRA_EXTRA = "pip install 'lrplan[hydra]'"


_INTERPOLATION = re.compile(r"\$\{")


def read_value(resolver: Resolver, place: Path_) -> Any:
    """The value at ``place``, or :class:`Unreadable` if it cannot be resolved."""
    try:
        return resolver.value(place)
    except LrplanError as error:
        return Unreadable(str(error))


def agreed(resolver: Resolver, key: str, places: list[Path_], where: str) -> tuple[Any, str]:
    """The one value ``key`` has at all ``places``, and where it came from."""
    values = [(resolver.value(place), place) for place in places]
    first, first_place = values[0]
    for value, place in values[1:]:
        if not _equal(first, value):
            raise LrplanError(
                f"{where}: {key} is {_show(first)} at {dotted(first_place)} but {_show(value)} at"
                f" {dotted(place)}; name the section lrplan should read with --config-key"
                f" {dotted(place[:-1]) if place[:-1] else dotted(first_place[:-1])}"
                f" (or override it with --set {key}=VALUE)"
            )
    # Report the place that holds the value itself rather than an interpolation of it.
    literal = [place for place in places if not resolver.interpolated(place)]
    return first, dotted((literal or places)[0])


def _show(value: Any) -> str:
    return str(value) if isinstance(value, (str, int, float)) else repr(value)


def _equal(a: Any, b: Any) -> bool:
    if a == b:
        return True
    try:
        return float(str(a)) == float(str(b))
    except ValueError:
        return False


class Resolver:
    """Values at paths of the document, with ``${...}`` resolved by OmegaConf when needed."""

    def __init__(self, document: Mapping[Any, Any], where: str) -> None:
        self.document = document
        self.where = where
        self._config: Any = None

    def interpolated(self, path: Path_) -> bool:
        value = value_at(self.document, path)
        return isinstance(value, str) and _INTERPOLATION.search(value) is not None

    def value(self, path: Path_) -> Any:
        raw = value_at(self.document, path)
        if not self.interpolated(path):
            return raw
        config = self._omegaconf(path, raw)
        from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

        try:
            node = config
            for part in path:
                node = node[part]
        except MissingMandatoryValue:
            raise LrplanError(
                f"{self.where}: {dotted(path)} = {raw!r} refers to a value that is not set"
                f" (???); give it with --set {dotted(path)}=VALUE"
            ) from None
        except OmegaConfBaseException as error:
            reason = first_line(error)
            raise LrplanError(
                f"{self.where}: cannot resolve {dotted(path)} = {raw!r} ({reason}); fix the"
                f" interpolation or give the value with --set {dotted(path)}=VALUE"
            ) from None
        if not isinstance(node, (str, int, float, bool)) and node is not None:
            from omegaconf import OmegaConf

            node = OmegaConf.to_container(node, resolve=False)
        return node

    def _omegaconf(self, path: Path_, raw: str) -> Any:
        if self._config is not None:
            return self._config
        try:
            from omegaconf import OmegaConf
            from omegaconf.errors import OmegaConfBaseException
        except ImportError:
            raise LrplanError(
                f"{self.where}: {dotted(path)} = {raw!r} is an interpolation, and resolving it"
                f" needs OmegaConf: {HYDRA_EXTRA}"
            ) from None
        try:
            # allow_objects: safe_load gives dates and other values OmegaConf would refuse.
            self._config = OmegaConf.create(dict(self.document), flags={"allow_objects": True})
        except OmegaConfBaseException as error:
            raise LrplanError(
                f"{self.where}: OmegaConf cannot read it ({first_line(error)})"
            ) from None
        return self._config
