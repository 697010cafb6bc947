"""Settings merged in order: ScheduleConfig's defaults, a YAML config file (after ``--set``),
then the command line's options; and the command line's names for every setting.

``None`` for an option means "not given". A file may name only lrplan's short scheduler
names: importing a class by path runs its module's code, which a config file alone must
never do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.core.config import (
    INTERVALS,
    VALID,
    ConfigValueError,
    ScheduleConfig,
    is_whole,
)
from lrplan.core.registry import (
    WARMUP_COS_KINDS,
    is_import_path,
    keys_used,
    name_problem,
    normal_name,
)
from lrplan.core.values import freeze
from lrplan.errors import PARAM, LrplanError
from lrplan.inputs.params import check_name, merge_params

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues


#: The keys a config file or an override may set, with the option that sets each on the CLI.
OPTION_OF_KEY = {
    "lr": "--lr",
    "min_lr": "--min-lr",
    "warmup_epochs": "--warmup-epochs",
    "epochs": "--epochs",
    "interval": "--interval",
    "steps_per_epoch": "--steps-per-epoch",
}


KEYS = tuple(OPTION_OF_KEY)


#: The options of the settings that are not schedule keys of a config file.
_OPTION_OF_SETTING = {"scheduler": "--scheduler", "params": "--param"}


def as_options(name: str, value: str | None) -> str:
    """A parameter as the command line spells it (a :data:`~lrplan.errors.Naming`):
    ``--min-lr``, ``--min-lr 1e-06``, ``--param T_max=24``."""
    if name.startswith(PARAM):
        argument = name.removeprefix(PARAM)
        return f"--param {argument}" if value is None else f"--param {argument}={value}"
    option = OPTION_OF_KEY.get(name) or _OPTION_OF_SETTING.get(name) or name
    return option if value is None else f"{option} {value}"


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
            number = float(value)
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
) -> tuple[dict[str, Any], ConfigValues]:
    """The coerced schedule keys of a config file, and all that was read (sources, optimizer).

    ``path=None`` reads ``sets`` alone, as if applied to an empty file. ``where`` starts
    every error message (default: ``--config PATH``).
    """
    from lrplan.inputs.training_config import read_config

    if path is None:
        where = "--set"
        document: Mapping[Any, Any] = {}
    else:
        where = where or f"--config {path}"
        document = _read_yaml_mapping(path, where)
    found = read_config(document, where, KEYS, config_key=config_key, sets=sets)
    values = {}
    for key, value in found.values.items():
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

    class UniqueKeyLoader(yaml.SafeLoader):
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

    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: builds no objects


def _read_yaml_mapping(path: Path, where: str) -> Mapping[Any, Any]:
    """The YAML document of ``path``, which must be a mapping (an empty file is ``{}``)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
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
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise LrplanError(
            f"{where}: holds a {type(document).__name__}, not a mapping of keys"
            f" such as lr: 1e-3 and epochs: 25"
        )
    return document


def build_config(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
) -> ScheduleConfig:
    """Defaults, then the config file's keys (after ``sets``), then ``overrides`` (options).

    ``None`` values in ``overrides`` mean "not given" and leave the file's value in place.
    ``config_key`` names the file's section to read; see :func:`read_config_file`.
    """
    return load_settings(config_file, overrides, config_key=config_key, sets=sets)[0]


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
) -> tuple[ScheduleConfig, ConfigValues | None]:
    """:func:`build_config`, and what was read from the file (``None`` without file or sets)."""
    if config_key is not None and config_file is None:
        raise LrplanError("--config-key needs --config FILE: the config whose section it names")
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    named: dict[str, Any] = {key: given.pop(key) for key in ("scheduler", "params") if key in given}
    values: dict[str, Any] = {}
    found: ConfigValues | None = None
    if config_file is not None or sets:
        values, found = read_config_file(config_file, config_key=config_key, sets=sets)
        for key, source in found.sources.items():
            if source == "--set" and key in given:
                raise LrplanError(
                    f"{OPTION_OF_KEY[key]} and --set {key}=... both set {key}; give one of them"
                )
    values.update(given)
    file_where = f"--config {config_file}" if config_file is not None else "--set"
    chosen = scheduler_settings(
        found, file_where, named, lambda name: f"--scheduler {name}", "scheduler_params"
    )
    values.update(chosen)
    if values.get("interval") == "step" and "steps_per_epoch" not in values:
        raise LrplanError(
            "--interval step needs --steps-per-epoch N: the number of optimizer steps in one epoch"
        )
    try:
        settings = ScheduleConfig(**values)
    except ConfigValueError as error:
        if error.key == "params" and "params" not in named and "params" in chosen:
            raise LrplanError(
                error.message(as_options, f"scheduler_params in {file_where}")
            ) from None
        if found is not None and error.key in found.sources and error.key not in given:
            source = found.sources[error.key]
            where = (
                f"--set {error.key}" if source == "--set" else f"{source} in --config {config_file}"
            )
            raise LrplanError(error.message(as_options, where)) from None
        raise
    for key in unused_keys(settings, given):
        raise LrplanError(
            f"{OPTION_OF_KEY[key]} does not apply to --scheduler {settings.scheduler}:"
            f" {settings.class_name} has no {key}; drop it, and pass the scheduler's own"
            " arguments with --param NAME=VALUE ('lrplan schedulers' lists them)"
        )
    if settings.scheduler not in WARMUP_COS_KINDS:
        from lrplan.core.schedulers import check_arguments

        check_arguments(settings)
    return settings, found


def unused_keys(config: ScheduleConfig, given: Mapping[str, Any]) -> list[str]:
    """The keys in ``given`` that ``config``'s scheduler does not use."""
    used = keys_used(config.scheduler)
    return [key for key in ("min_lr", "warmup_epochs") if key in given and key not in used]


def scheduler_settings(
    found: ConfigValues | None,
    where: str,
    named: Mapping[str, Any],
    naming: Callable[[str], str],
    params_key: str,
) -> dict[str, Any]:
    """The ``scheduler`` and ``params`` for a ScheduleConfig: the command line's over a file's.

    ``named`` holds the ``scheduler`` and ``params`` the command line gives (a key absent:
    not given). The file's ``scheduler_params`` apply unless the command line names another
    scheduler; the command line's params are set over them. A file that names an import path
    is refused unless the command line names the scheduler: importing a class runs its
    module's code, and a config file's contents alone must never do that. ``naming(name)``
    says how to name it on the command line; ``where`` starts error messages.
    """
    chosen: dict[str, Any] = {}
    in_file = found.scheduler if found is not None else None
    file_name = normal_name(in_file) if in_file is not None else None
    wanted = named.get("scheduler")
    if wanted is None and in_file is not None:
        if file_name is None:
            problem, _ = name_problem(in_file)
            raise LrplanError(
                f"{where}: scheduler: {problem}; give one of lrplan's short names ('lrplan"
                f" schedulers' lists them), or name a class with {naming('package.module:Class')}"
            )
        if is_import_path(file_name):
            raise LrplanError(
                f"{where}: scheduler {file_name} is an import path; lrplan imports a class"
                " (which runs its module's code) only when it is named on the command line,"
                f" never from a config file alone: pass {naming(file_name)}"
            )
        chosen["scheduler"] = file_name
    params: tuple[tuple[str, Any], ...] = ()
    file_params = found.scheduler_params if found is not None else None
    if file_params and (wanted is None or wanted == file_name):
        params = tuple(
            (name, freeze(value, f"{where}: {params_key}.{name}", numeric_strings=True))
            for name, value in file_params.items()
        )
    if named.get("params"):
        params = merge_params(params, named["params"])
    if params:
        chosen["params"] = params
    if wanted is not None:
        chosen["scheduler"] = wanted
    return chosen
