"""SPECs, the candidates of ``lrplan compare``: a YAML config, ``key=value`` settings, or both.

``train.yaml``, ``lr=5e-4,warmup_epochs=5,label=gentle``, ``train.yaml,lr=5e-4``;
``scheduler=step,param.step_size=10`` for another scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.core.config import VALID, ConfigValueError, ScheduleConfig
from lrplan.core.registry import WARMUP_COS_KINDS
from lrplan.errors import LrplanError, worded
from lrplan.inputs.files import coerce, read_config_file
from lrplan.inputs.naming import KEYS
from lrplan.inputs.run import fill_by_code, length_from_config
from lrplan.inputs.settings import overridden_options, scheduler_of, unused_keys

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues


#: The keys an inline SPEC may set: the schedule keys, and a label for its column and legend.
#: Each is parsed by :func:`coerce`; a new key is one entry here and one branch there.
SPEC_KEYS: tuple[str, ...] = (*KEYS, "label", "scheduler")


#: A SPEC key ``param.NAME=VALUE`` passes a constructor argument, as ``--param`` does.
PARAM_PREFIX = "param."


#: A SPEC item without ``=`` that ends so is a YAML path, even when no such file exists.
YAML_SUFFIXES = (".yaml", ".yml")


_SPEC_FORM = "give a YAML config path, or key=value settings such as lr=5e-4,warmup_epochs=5"


def as_spec(name: str, value: str | None) -> str:
    """A parameter as a SPEC spells it (a :data:`~lrplan.errors.Naming`): ``min_lr``,
    ``min_lr=1e-06``, ``param.T_max=24``."""
    return name if value is None else f"{name}={value}"


def parse_spec(spec: str, where: str) -> tuple[Path | None, dict[str, Any]]:
    """Split a SPEC into its YAML file (or None) and its inline settings, coerced by key.

    A SPEC is the path of a YAML config, ``key=value`` settings separated by commas
    (``lr=5e-4,warmup_epochs=5,label=gentle``), or a path followed by settings that override
    the file (``train.yaml,lr=5e-4``). Spaces around keys and values are ignored, and so are
    empty items (a trailing comma). ``where`` starts every error message.

    Raises:
        LrplanError: for an empty SPEC, an item that is not ``key=value``, an unknown or
            repeated key, an empty value, or a value its key does not accept.
    """
    if Path(spec).is_file():
        return Path(spec), {}
    items = [item.strip() for item in split_items(spec)]
    items = [item for item in items if item]
    if not items:
        raise LrplanError(f"{where}: is empty; {_SPEC_FORM}")
    path: Path | None = None
    if "=" not in items[0]:
        first = items.pop(0)
        if not (Path(first).is_file() or first.lower().endswith(YAML_SUFFIXES)):
            raise LrplanError(f"{where}: {first!r} is neither a file nor key=value; {_SPEC_FORM}")
        path = Path(first)
    settings: dict[str, Any] = {}
    for item in items:
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise LrplanError(f"{where}: {item!r} is not key=value; {_SPEC_FORM}")
        if key.startswith(PARAM_PREFIX):
            _add_param(settings, key, value, where)
            continue
        if key not in SPEC_KEYS:
            import difflib

            close = difflib.get_close_matches(key.replace("-", "_"), SPEC_KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise LrplanError(
                f"{where}: unknown key {key!r}{hint}; valid keys: {', '.join(SPEC_KEYS)},"
                f" {PARAM_PREFIX}NAME"
            )
        if key in settings:
            raise LrplanError(f"{where}: {key} is given twice; give each key once")
        if not value:
            accepted = VALID.get(key, "some text, e.g. label=short warm-up")
            raise LrplanError(f"{where}: {key}= has no value; give {accepted}")
        settings[key] = coerce(key, value, where)
    return path, settings


def split_items(spec: str) -> list[str]:
    """``spec`` split at the commas outside brackets and quotes: ``param.m=[10,20]`` is one."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    for character in spec:
        if quote:
            if character == quote:
                quote = ""
        elif character in "'\"":
            quote = character
        elif character in "([{":
            depth += 1
        elif character in ")]}":
            depth = max(0, depth - 1)
        elif character == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(character)
    items.append("".join(current))
    return items


def _add_param(settings: dict[str, Any], key: str, value: str, where: str) -> None:
    """Parse ``param.NAME=VALUE`` into ``settings["params"]``."""
    from lrplan.inputs.params import PARAM_FORM, literal

    name = key.removeprefix(PARAM_PREFIX).strip()
    if not name.isidentifier():
        raise LrplanError(f"{where}: {key!r} does not name an argument; give param.NAME=VALUE")
    params = settings.setdefault("params", {})
    if name in params:
        raise LrplanError(f"{where}: {key} is given twice; give each key once")
    if not value:
        raise LrplanError(f"{where}: {key}= has no value; {PARAM_FORM}")
    params[name] = literal(value, f"{where}: {key}")


def spec_config(
    spec: str, position: int, shared: Mapping[str, Any] | None = None
) -> ScheduleConfig:
    """The schedule of the ``position``-th SPEC (from 1) of ``lrplan compare``.

    Defaults, then the SPEC's YAML file, then ``shared`` (options that apply to every SPEC;
    ``None`` values mean "not given"), then the SPEC's own settings. Its label is the SPEC's
    ``label=``, else the file's name without suffix for a bare path, else the SPEC as typed.

    Raises:
        LrplanError: one line starting ``SPEC <position> '<spec>':`` that names the key and
            what it accepts.
    """
    where = f"SPEC {position} {spec!r}"
    path, settings = parse_spec(spec, where)
    values: dict[str, Any] = {}
    found: ConfigValues | None = None
    inline = dict(settings)
    named: dict[str, Any] = {
        key: inline.pop(key) for key in ("scheduler", "params") if key in inline
    }
    if "params" in named:
        named["params"] = tuple(named["params"].items())
    given = {key: value for key, value in (shared or {}).items() if value is not None}
    given.update(inline)
    if path is not None and "scheduler" not in named:
        label = settings.get("label") or (path.stem if not settings else spec.strip())
        framework = _framework_config(path, where, given, named, label)
        if framework is not None:
            return framework
    if path is not None:
        values, found = read_config_file(
            path,
            where=where,
            skip=set(given),
            refuse="scheduler" not in named,
            options={*given, *named} - {"label"},
        )
    values.update(given)
    sources: dict[str, str] = {}
    chosen, _ = scheduler_of(
        found,
        f"{where}: {path}",
        named,
        (),
        sources,
        lambda name: f"scheduler={name} in the SPEC",
    )
    values.update(chosen)
    if found is not None:
        length_from_config(found, f"{where}: {path}", values, sources, chosen)
    if "label" not in values:
        values["label"] = path.stem if path is not None and not settings else spec.strip()
    if values.get("interval") == "step" and "steps_per_epoch" not in values:
        raise LrplanError(
            f"{where}: interval=step needs steps_per_epoch=N (or --steps-per-epoch N for"
            " every SPEC): the number of optimizer steps in one epoch"
        )
    if found is not None and found.named is not None and "scheduler" not in named:
        fill_by_code(found, values, sources)
    try:
        config = ScheduleConfig(**values)
    except ConfigValueError as error:
        problem, fix = worded(error.problem, as_spec), worded(error.fix, as_spec)
        raise LrplanError(f"{where}: {problem}; {fix}") from None
    except LrplanError as error:
        raise LrplanError(f"{where}: {error}") from None
    for key in unused_keys(config, inline):
        raise LrplanError(
            f"{where}: {key} does not apply to scheduler={config.scheduler}:"
            f" {config.class_name} has no {key}; drop it, and pass the scheduler's own"
            " arguments as param.NAME=VALUE ('lrplan schedulers' lists them)"
        )
    for key, argument in overridden_options(config, inline):
        raise LrplanError(
            f"{where}: {key}={inline[key]!r} and param.{argument}="
            f"{dict(config.params)[argument]!r} both set {config.class_name}'s {argument};"
            " give one of them"
        )
    if config.scheduler not in WARMUP_COS_KINDS:
        from lrplan.core.schedulers import check_arguments

        try:
            check_arguments(config, where)
        except LrplanError as error:
            raise LrplanError(error.message(as_spec)) from None
    return config


def _framework_config(
    path: Path,
    where: str,
    given: Mapping[str, Any],
    named: Mapping[str, Any],
    label: str,
) -> ScheduleConfig | None:
    """A SPEC's Hugging Face, timm or DeepSpeed config, planned the framework's way; None for
    a file of no such framework. ``lr``, ``epochs`` and ``steps_per_epoch`` apply as options
    do; a framework's own steps need ``steps_per_epoch`` (there is no dataset size in a SPEC)."""
    from lrplan.inputs.files import read_yaml_mapping
    from lrplan.inputs.frameworks import Run, apply_options, framework_of, read_framework

    place = f"{where}: {path}"
    document = read_yaml_mapping(path, where)
    if framework_of(document) is None:
        return None
    given = {key: value for key, value in given.items() if key != "label"}
    found = read_framework(
        document,
        place,
        Run(
            lr=given.get("lr"),
            epochs=given.get("epochs"),
            steps_per_epoch=given.get("steps_per_epoch"),
        ),
        folder=path.parent,
    )
    spelled = {key: key for key in ("min_lr", "warmup_epochs", "interval")}
    spelled["params"] = "the SPEC's param."
    params = dict(named.get("params") or ())
    found = apply_options(found, given, params, place, spelled)
    values = dict(found.values)
    values["label"] = label
    try:
        config = ScheduleConfig(**values)
    except ConfigValueError as error:
        problem, fix = worded(error.problem, as_spec), worded(error.fix, as_spec)
        raise LrplanError(f"{where}: {problem}; {fix}") from None
    from lrplan.core.schedulers import check_arguments

    try:
        check_arguments(config, place)
    except LrplanError as error:
        raise LrplanError(error.message(as_spec)) from None
    return config
