"""Find the schedule settings inside a real training config: nested sections, Hydra interpolations.

A training config rarely holds ``lr`` and ``epochs`` at its top level alone. This module looks
for them at the top level and in the sections real configs put them in (``optimizer``,
``lr_scheduler``, ...), or in the one section ``--config-key`` names; applies ``--set`` overrides;
and resolves ``${...}`` interpolations with OmegaConf when a value it reads has one. OmegaConf is
an optional extra (``pip install 'lrplan[hydra]'``) and is imported only then.

Everything here works on the document ``yaml.safe_load`` gave, and is torch-free.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrplan.errors import LrplanError, first_line
from lrplan.inputs.dialects import (
    NamedScheduler,
    classless_section,
    find_scheduler,
    is_warmup_cos,
    refusal,
)

#: Sections searched for the schedule keys when no ``--config-key`` is given, at any depth.
SECTION_NAMES = ("optim", "optimizer", "scheduler", "lr_scheduler", "training")
#: Sub-sections of a found section that hold a class's arguments (Lightning CLI's
#: ``init_args``, nuPlan's and others' ``params``), searched too.
ARGUMENT_SECTIONS = ("init_args", "params")
#: How deep the search for sections goes, counting from the top level.
MAX_DEPTH = 6
#: The key of a trainer's length (Lightning's Trainer, and the configs built on it).
TRAINER_EPOCHS_KEY = "max_epochs"

#: Top-level keys naming the scheduler lrplan plans (``--scheduler``) and its arguments.
SCHEDULER_KEY = "scheduler"
SCHEDULER_PARAMS_KEY = "scheduler_params"

#: Keys whose value names the optimizer, at the top level or in a found section.
OPTIMIZER_KEYS = ("optimizer", "optim", "opt", "optimizer_name")
#: Keys of an ``optimizer`` (or ``optim``) section that name its class.
OPTIMIZER_CLASS_KEYS = ("_target_", "class_path", "name", "type")

HYDRA_EXTRA = "pip install 'lrplan[hydra]'"

_INTERPOLATION = re.compile(r"\$\{")

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Unreadable:
    """A value lrplan could not read (an interpolation it cannot resolve, two values that
    disagree): ``message`` is the one-line error, raised only if nothing overrides it."""

    message: str


#: Keys whose value is the batch size on one device, the gradient accumulation and the number
#: of devices, by the dotted path a config holds them at (searched in this order).
RUN_KEYS = {
    "batch_size": (
        "batch_size",
        "per_device_train_batch_size",
        "micro_batch_size",
        "train_batch_size",
        "data.batch_size",
        "data.init_args.batch_size",
        "data.init_args.train_batch_size",
        "datamodule.batch_size",
        "dataloader.batch_size",
    ),
    "accumulate": (
        "gradient_accumulation_steps",
        "trainer.accumulate_grad_batches",
        "accumulate_grad_batches",
        "update_freq",
    ),
    "devices": ("trainer.devices", "devices", "world_size", "distributed_world_size"),
}


@dataclass(frozen=True)
class ConfigValues:
    """What lrplan read from a config file.

    ``values`` holds the schedule keys found (raw: resolved but not yet coerced), ``sources``
    where each came from (a dotted path in the file, or ``--set``).
    """

    values: dict[str, Any]
    sources: dict[str, str]
    optimizer: str | None = None
    optimizer_source: str | None = None
    last_epoch: Any = None
    last_epoch_source: str | None = None
    #: A top-level ``scheduler: NAME`` (a string; a section of that name is not a name) and
    #: ``scheduler_params: {...}``, resolved but not validated: lrplan.core.config does that.
    scheduler: Any = None
    scheduler_params: dict[str, Any] | None = None
    #: The trainer's ``max_epochs`` (Lightning), wherever the file has one, and its path.
    trainer_epochs: Any = None
    trainer_epochs_source: str | None = None
    #: The scheduler a dialect names (:mod:`lrplan.inputs.dialects`), its arguments read
    #: (values resolved, or :class:`Unreadable`) with their key paths, and its interval.
    named: NamedScheduler | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    argument_sources: dict[str, str] = field(default_factory=dict)
    interval: Any = None
    interval_source: str | None = None
    #: Why lrplan cannot plan the schedule the file sets up (one line), or None.
    refusal: str | None = None
    #: Batch size, accumulation and devices the file gives: name -> (value, key path).
    run: dict[str, tuple[Any, str]] = field(default_factory=dict)


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
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise LrplanError(f"--set {text}: the value {raw!r} is not valid YAML") from None
    return [part.strip() for part in parts], value


def read_config(
    document: Mapping[Any, Any],
    where: str,
    keys: Sequence[str],
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
) -> ConfigValues:
    """Read ``keys`` (the schedule keys), the optimizer's name and ``last_epoch`` from ``document``.

    * ``sets`` (``--set PATH=VALUE``) change the document first, as a Hydra override does, so
      an interpolation that refers to a changed value follows it. A bare schedule key
      (``--set lr=5e-4``) overrides that key wherever the file has it.
    * With ``config_key`` (a dotted path), the keys are read from that section; a key it
      lacks comes from the top level.
    * Without, from the top level and every section named in :data:`SECTION_NAMES` (and its
      :data:`ARGUMENT_SECTIONS`); a key found in several places must have one value there.

    Raises LrplanError (one line, naming ``where`` and the path) for a ``config_key`` that is
    not in the file, conflicting values, an interpolation that cannot be resolved, and an
    interpolation when OmegaConf is not installed.
    """
    document, created = _edit(dict(document), keys, sets)
    overrides = _bare_overrides(keys, sets)
    if config_key is not None:
        candidates = [_section_path(document, config_key, where), ()]
    else:
        candidates = [(), *_sections(document)]

    resolver = _Resolver(document, where)
    read: list[Path_] = []  # every place a value is read from, to check --set against
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in keys:
        if key in overrides:
            values[key], sources[key] = overrides[key], "--set"
            continue
        places = [(*path, key) for path in candidates if _has(document, (*path, key))]
        if config_key is not None:
            places = places[:1]  # the named section first, then the top level
        if places:
            read += places
            try:
                values[key], sources[key] = _agree(resolver, key, places, where)
            except LrplanError as error:
                values[key], sources[key] = Unreadable(str(error)), dotted(places[0])
    if "lr" not in values and config_key is None and "learning_rate" in document:
        values["lr"], sources["lr"] = _read(resolver, ("learning_rate",)), "learning_rate"
        read.append(("learning_rate",))
    if "lr" not in values:
        place = _optimizer_lr(document)
        if place is not None:
            read.append(place)
            values["lr"], sources["lr"] = _read(resolver, place), dotted(place)

    # The optimizer is named in its own section, wherever the schedule's keys are.
    everywhere = [*candidates, *(path for path in _sections(document) if path not in candidates)]
    optimizer_places = [
        (*path, key)
        for path in everywhere
        for key in OPTIMIZER_KEYS
        if isinstance(_get(document, (*path, key)), str)
    ] + [
        (*path, key)
        for path in everywhere
        if path and path[-1] in ("optimizer", "optim")
        for key in OPTIMIZER_CLASS_KEYS
        if isinstance(_get(document, (*path, key)), str)
    ]
    optimizer = optimizer_source = None
    if optimizer_places:
        read.append(optimizer_places[0])
        optimizer = str(resolver.value(optimizer_places[0]))
        optimizer_source = dotted(optimizer_places[0])
    last_epoch_places = [
        (*path, "last_epoch") for path in candidates if _has(document, (*path, "last_epoch"))
    ]
    last_epoch = last_epoch_source = None
    if last_epoch_places:
        read.append(last_epoch_places[0])
        last_epoch = resolver.value(last_epoch_places[0])
        last_epoch_source = dotted(last_epoch_places[0])

    scheduler = scheduler_params = None
    if isinstance(document.get(SCHEDULER_KEY), str):
        read.append((SCHEDULER_KEY,))
        scheduler = resolver.value((SCHEDULER_KEY,))
    if SCHEDULER_PARAMS_KEY in document and not isinstance(document[SCHEDULER_PARAMS_KEY], Mapping):
        kind = type(document[SCHEDULER_PARAMS_KEY]).__name__
        raise LrplanError(
            f"{where}: {SCHEDULER_PARAMS_KEY} holds a {kind}, not a mapping of constructor"
            " arguments such as step_size: 10"
        )
    if isinstance(document.get(SCHEDULER_PARAMS_KEY), Mapping):
        scheduler_params = {}
        for name in document[SCHEDULER_PARAMS_KEY]:
            read.append((SCHEDULER_PARAMS_KEY, name))
            scheduler_params[str(name)] = resolver.value((SCHEDULER_PARAMS_KEY, name))

    named = find_scheduler(document) if config_key is None else _named_in(document, config_key)
    arguments: dict[str, Any] = {}
    argument_sources: dict[str, str] = {}
    interval = interval_source = None
    why_not = None
    if named is not None and not is_warmup_cos(named.name):
        for name, place in named.arguments.items():
            read.append(place)
            arguments[name], argument_sources[name] = _read(resolver, place), dotted(place)
        if named.interval is not None:
            read.append(named.interval)
            interval, interval_source = _read(resolver, named.interval), dotted(named.interval)
    elif scheduler is None:
        why_not = refusal(document, frozenset({*keys, "last_epoch", "name"}))
        classless = classless_section(document)
        if classless is not None:
            for name, place in classless[1].items():
                read.append(place)
                arguments[name], argument_sources[name] = _read(resolver, place), dotted(place)
    run: dict[str, tuple[Any, str]] = {}
    for what, paths in RUN_KEYS.items():
        for text in paths:
            place = tuple(text.split("."))
            value = _get(document, place)
            if value is not None and not isinstance(value, Mapping):
                read.append(place)
                run[what] = (_read(resolver, place), text)
                break
    trainer_epochs = trainer_epochs_source = None
    trainer_place = next(_find_key(document, TRAINER_EPOCHS_KEY), None)
    if trainer_place is not None:
        read.append(trainer_place)
        trainer_epochs = _read(resolver, trainer_place)
        trainer_epochs_source = dotted(trainer_place)
    for text, path in created:
        if path not in read:
            lrplan_reads = ", ".join(f"{key} from {source}" for key, source in sources.items())
            raise LrplanError(
                f"--set {text}: {where} has no key {dotted(path)} and lrplan reads nothing"
                f" there (it reads {lrplan_reads or 'no schedule key'}); check the spelling"
                " of the path"
            )
    if not values and scheduler is None and named is None and why_not is None:
        searched = (
            f"in {config_key} or at the top level"
            if config_key is not None
            else f"at the top level or in a section named {', '.join(SECTION_NAMES)}"
        )
        hint = (
            "; it has a Hydra defaults list: give the composed config Hydra saves as"
            " .hydra/config.yaml in the run's output folder"
            if "defaults" in document
            else ""
        )
        raise LrplanError(
            f"{where}: none of {', '.join(keys)} found {searched}{hint};"
            " name the section that holds them with --config-key PATH"
        )
    return ConfigValues(
        values,
        sources,
        optimizer,
        optimizer_source,
        last_epoch,
        last_epoch_source,
        scheduler,
        scheduler_params,
        trainer_epochs,
        trainer_epochs_source,
        named,
        arguments,
        argument_sources,
        interval,
        interval_source,
        why_not,
        run,
    )


def _read(resolver: _Resolver, place: Path_) -> Any:
    """The value at ``place``, or :class:`Unreadable` if it cannot be resolved."""
    try:
        return resolver.value(place)
    except LrplanError as error:
        return Unreadable(str(error))


def _optimizer_lr(document: Mapping[Any, Any]) -> Path_ | None:
    """The ``lr`` of an optimizer section anywhere (``model.init_args.optimizer_init``):
    a section whose key names an optimizer and that names its class."""
    stack: list[tuple[Path_, Any]] = [((), document)]
    while stack:
        path, node = stack.pop(0)
        if not isinstance(node, Mapping) or len(path) >= MAX_DEPTH:
            continue
        if path and "optim" in str(path[-1]).lower():
            for place in ((*path, "lr"), (*path, "init_args", "lr")):
                if _has(document, place):
                    return place
        stack += [((*path, key), value) for key, value in node.items()]
    return None


def _named_in(document: Mapping[Any, Any], config_key: str) -> NamedScheduler | None:
    """The scheduler named in the section ``config_key`` names (paths from the top level)."""
    section = _get(document, tuple(config_key.split(".")))
    if not isinstance(section, Mapping):
        return None
    named = find_scheduler({"scheduler": section})
    if named is None:
        return None
    prefix = tuple(config_key.split("."))

    def moved(path: Path_) -> Path_:
        return (*prefix, *path[1:])

    return NamedScheduler(
        named.name,
        dotted(moved(tuple(named.source.split(".")))),
        named.dialect,
        {name: moved(path) for name, path in named.arguments.items()},
        moved(named.interval) if named.interval is not None else None,
        named.filled_by_code,
    )


def _find_key(node: Any, key: str, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of every ``key`` in ``node``'s nested mappings, shallowest first per branch."""
    if not isinstance(node, Mapping) or len(path) >= MAX_DEPTH:
        return
    if key in node:
        yield (*path, key)
    for name, value in node.items():
        yield from _find_key(value, key, (*path, name))


# --- the document ------------------------------------------------------------------------------


def _get(document: Any, path: Path_) -> Any:
    node = document
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _has(document: Any, path: Path_) -> bool:
    node = document
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _lookup_key(mapping: Mapping[Any, Any], text: str) -> Any:
    """The key of ``mapping`` spelled ``text`` (YAML keys may be numbers: ``0`` for ``"0"``)."""
    if text in mapping:
        return text
    for key in mapping:
        if str(key) == text:
            return key
    return text


def _section_path(document: Mapping[Any, Any], config_key: str, where: str) -> Path_:
    parts = [part.strip() for part in config_key.split(".")]
    if any(not part for part in parts):
        raise LrplanError(
            f"--config-key {config_key!r}: give a dotted path of keys such as lr_scheduler"
            " or model.optim"
        )
    path: Path_ = ()
    node: Any = document
    for part in parts:
        key = _lookup_key(node, part)
        if key not in node:
            inside = f"under {dotted(path)}" if path else "at the top level"
            keys = ", ".join(str(name) for name in node) or "none"
            raise LrplanError(
                f"--config-key {config_key}: {where} has no key {part!r} {inside}"
                f" (keys there: {_clip(keys)}); give the dotted path of the section that holds"
                " lr and epochs"
            )
        path += (key,)
        node = node[key]
        if not isinstance(node, Mapping):
            raise LrplanError(
                f"--config-key {config_key}: {dotted(path)} in {where} is a"
                f" {type(node).__name__}, not a section of keys; give the path of a section"
            )
    return path


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sections(document: Mapping[Any, Any]) -> Iterator[Path_]:
    """Paths of the sections named in :data:`SECTION_NAMES` (and their argument sections)."""

    def walk(node: Mapping[Any, Any], path: Path_, in_section: bool) -> Iterator[Path_]:
        if len(path) >= MAX_DEPTH:
            return
        for key, value in node.items():
            if not isinstance(value, Mapping):
                continue
            is_section = key in SECTION_NAMES or (in_section and key in ARGUMENT_SECTIONS)
            if is_section:
                yield (*path, key)
            yield from walk(value, (*path, key), is_section)

    yield from walk(document, (), False)


def with_sets(document: Mapping[Any, Any], sets: Sequence[str]) -> dict[Any, Any]:
    """``document`` with every ``--set PATH=VALUE`` applied (copied on write)."""
    return _edit(dict(document), (), sets)[0]


def _edit(
    document: dict[Any, Any], keys: Sequence[str], sets: Sequence[str]
) -> tuple[dict[Any, Any], list[tuple[str, Path_]]]:
    """The document with every ``--set`` but bare schedule keys applied, and the paths created.

    The document is copied on write: the caller's is left as it was.
    """
    created: list[tuple[str, Path_]] = []
    for text in sets:
        parts, value = parse_set(text)
        if len(parts) == 1 and parts[0] in keys:
            continue  # a bare schedule key: see _bare_overrides
        node = document
        path: Path_ = ()
        for index, part in enumerate(parts[:-1]):
            key = _lookup_key(node, part)
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
        key = _lookup_key(node, parts[-1])
        if key not in node:
            created.append((text, (*path, key)))
        node[key] = value
    return document, created


def _bare_overrides(keys: Sequence[str], sets: Sequence[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for text in sets:
        parts, value = parse_set(text)
        if len(parts) == 1 and parts[0] in keys:
            overrides[parts[0]] = value
    return overrides


def _agree(resolver: _Resolver, key: str, places: list[Path_], where: str) -> tuple[Any, str]:
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


# --- interpolations ----------------------------------------------------------------------------


class _Resolver:
    """Values at paths of the document, with ``${...}`` resolved by OmegaConf when needed."""

    def __init__(self, document: Mapping[Any, Any], where: str) -> None:
        self.document = document
        self.where = where
        self._config: Any = None

    def interpolated(self, path: Path_) -> bool:
        value = _get(self.document, path)
        return isinstance(value, str) and _INTERPOLATION.search(value) is not None

    def value(self, path: Path_) -> Any:
        raw = _get(self.document, path)
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
