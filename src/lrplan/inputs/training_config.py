"""Find the schedule settings inside a real training config: nested sections, Hydra interpolations.

A training config rarely holds ``lr`` and ``epochs`` at its top level alone. This module looks
for them at the top level and in the sections real configs put them in (``optimizer``,
``lr_scheduler``, ...), or in the one section ``--config-key`` names; applies ``--set`` overrides;
and resolves ``${...}`` interpolations with OmegaConf when a value it reads has one. OmegaConf is
an optional extra (``pip install 'lrplan[hydra]'``) and is imported only then.

Everything here works on the document ``yaml.safe_load`` gave, and is torch-free.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrplan.errors import LrplanError
from lrplan.inputs.dialects import (
    NamedScheduler,
    classless_section,
    find_scheduler,
    is_warmup_cos,
    refusal,
)
from lrplan.inputs.document import (
    MAX_DEPTH,
    Path_,
    Unreadable,
    find_key,
    has_path,
    lookup_key,
    value_at,
)
from lrplan.inputs.interpolation import Resolver, agreed, read_value
from lrplan.inputs.overrides import bare_overrides, dotted, edited

#: Sections searched for the schedule keys when no ``--config-key`` is given, at any depth.
SECTION_NAMES = ("optim", "optimizer", "scheduler", "lr_scheduler", "training")


#: Sub-sections of a found section that hold a class's arguments (Lightning CLI's
#: ``init_args``, nuPlan's and others' ``params``), searched too.
ARGUMENT_SECTIONS = ("init_args", "params")


#: The key of a trainer's length (Lightning's Trainer, and the configs built on it).
TRAINER_EPOCHS_KEY = "max_epochs"
#: Where a trainer section sets its length in optimizer steps (Lightning's ``max_steps``).
TRAINER_STEPS_PATHS = (
    "trainer.max_steps",
    "trainer.params.max_steps",
    "lightning.trainer.max_steps",
)


#: Top-level keys naming the scheduler lrplan plans (``--scheduler``) and its arguments.
SCHEDULER_KEY = "scheduler"


SCHEDULER_PARAMS_KEY = "scheduler_params"


#: Keys whose value names the optimizer, at the top level or in a found section.
OPTIMIZER_KEYS = ("optimizer", "optim", "opt", "optimizer_name")


#: Keys of an ``optimizer`` (or ``optim``) section that name its class.
OPTIMIZER_CLASS_KEYS = ("_target_", "class_path", "class", "name", "type")


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
    #: The trainer's ``max_steps`` (Lightning: optimizer steps; -1 for no limit), and its path.
    trainer_steps: Any = None
    trainer_steps_source: str | None = None


def read_config(
    document: Mapping[Any, Any],
    where: str,
    keys: Sequence[str],
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
    options: Collection[str] = (),
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
    interpolation when OmegaConf is not installed; and a file that holds nothing lrplan reads
    (no schedule key, scheduler or trainer length) when no option (``options``: the keys
    the command line gives, ``scheduler`` among them) says what to plan.
    """
    document, created = edited(dict(document), keys, sets)
    overrides = bare_overrides(keys, sets)
    if config_key is not None:
        candidates = [_section_path(document, config_key, where), ()]
    else:
        candidates = [(), *_sections(document)]

    resolver = Resolver(document, where)
    read: list[Path_] = []  # every place a value is read from, to check --set against
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in keys:
        if key in overrides:
            values[key], sources[key] = overrides[key], "--set"
            continue
        places = [(*path, key) for path in candidates if has_path(document, (*path, key))]
        if config_key is not None:
            places = places[:1]  # the named section first, then the top level
        if places:
            read += places
            try:
                values[key], sources[key] = agreed(resolver, key, places, where)
            except LrplanError as error:
                values[key], sources[key] = Unreadable(str(error)), dotted(places[0])
    if "lr" not in values and config_key is None and "learning_rate" in document:
        values["lr"], sources["lr"] = read_value(resolver, ("learning_rate",)), "learning_rate"
        read.append(("learning_rate",))
    if "lr" not in values:
        place = _optimizer_lr(document)
        if place is not None:
            read.append(place)
            values["lr"], sources["lr"] = read_value(resolver, place), dotted(place)
            # The section that holds the rate (I-JEPA's optimization) holds the run's other
            # schedule keys beside it: its epochs.
            for key in keys:
                beside = (*place[:-1], key)
                if key not in values and key not in overrides and has_path(document, beside):
                    read.append(beside)
                    values[key], sources[key] = read_value(resolver, beside), dotted(beside)

    # The optimizer is named in its own section, wherever the schedule's keys are.
    everywhere = [*candidates, *(path for path in _sections(document) if path not in candidates)]
    optimizer_places = [
        (*path, key)
        for path in everywhere
        for key in OPTIMIZER_KEYS
        if isinstance(value_at(document, (*path, key)), str)
    ] + [
        (*path, key)
        for path in everywhere
        if path and path[-1] in ("optimizer", "optim")
        for key in OPTIMIZER_CLASS_KEYS
        if isinstance(value_at(document, (*path, key)), str)
    ]
    optimizer = optimizer_source = None
    if optimizer_places:
        read.append(optimizer_places[0])
        optimizer = str(resolver.value(optimizer_places[0]))
        optimizer_source = dotted(optimizer_places[0])
    last_epoch_places = [
        (*path, "last_epoch") for path in candidates if has_path(document, (*path, "last_epoch"))
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
            arguments[name], argument_sources[name] = read_value(resolver, place), dotted(place)
        if named.interval is not None:
            read.append(named.interval)
            interval, interval_source = read_value(resolver, named.interval), dotted(named.interval)
    elif scheduler is None:
        why_not = refusal(document, frozenset({*keys, "last_epoch", "name"}))
        classless = classless_section(document)
        if classless is not None:
            for name, place in classless[1].items():
                read.append(place)
                arguments[name], argument_sources[name] = read_value(resolver, place), dotted(place)
    run: dict[str, tuple[Any, str]] = {}
    for what, paths in RUN_KEYS.items():
        for text in paths:
            place = tuple(text.split("."))
            value = value_at(document, place)
            if value is not None and not isinstance(value, Mapping):
                read.append(place)
                run[what] = (read_value(resolver, place), text)
                break
    trainer_epochs = trainer_epochs_source = None
    trainer_place = next(find_key(document, TRAINER_EPOCHS_KEY), None)
    if trainer_place is not None:
        read.append(trainer_place)
        trainer_epochs = read_value(resolver, trainer_place)
        trainer_epochs_source = dotted(trainer_place)
    trainer_steps = trainer_steps_source = None
    for text in TRAINER_STEPS_PATHS:
        place = tuple(text.split("."))
        if value_at(document, place) is not None:
            read.append(place)
            trainer_steps, trainer_steps_source = read_value(resolver, place), text
            break
    for text, path in created:
        if path not in read:
            lrplan_reads = ", ".join(f"{key} from {source}" for key, source in sources.items())
            raise LrplanError(
                f"--set {text}: {where} has no key {dotted(path)} and lrplan reads nothing"
                f" there (it reads {lrplan_reads or 'no schedule key'}); check the spelling"
                " of the path"
            )
    nothing = not values and scheduler is None and named is None and why_not is None
    if nothing and trainer_epochs is None and trainer_steps is None and not options:
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
        trainer_steps=trainer_steps,
        trainer_steps_source=trainer_steps_source,
    )


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
                if has_path(document, place):
                    return place
        stack += [((*path, key), value) for key, value in node.items()]
    return None


def _named_in(document: Mapping[Any, Any], config_key: str) -> NamedScheduler | None:
    """The scheduler named in the section ``config_key`` names (paths from the top level)."""
    section = value_at(document, tuple(config_key.split(".")))
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
        key = lookup_key(node, part)
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
