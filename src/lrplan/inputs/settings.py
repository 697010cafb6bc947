"""Settings merged in order: ScheduleConfig's defaults, a YAML config file (after ``--set``),
then the command line's options; and the command line's names for every setting.

``None`` for an option means "not given". The scheduler a config names in one of the
dialects of :mod:`lrplan.inputs.dialects` is planned with its arguments; importing it runs
its module's code, so a config may name only a well-known library's scheduler unless the
user allows the module (``--allow-import``). Every value the plan uses comes with where it
came from (:class:`Settings`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
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
    # Every other option is the parameter's name in the command line's spelling.
    option = (
        OPTION_OF_KEY.get(name) or _OPTION_OF_SETTING.get(name) or "--" + name.replace("_", "-")
    )
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


#: Packages whose schedulers a config may name without an opt-in: importing them runs only
#: code the user installed as a library. Any other module needs ``--allow-import``.
WELL_KNOWN_MODULES = (
    "torch",
    "transformers",
    "timm",
    "torchtune",
    "lightning",
    "pytorch_lightning",
    "deepspeed",
)

#: Constructor arguments that count steps or epochs: a config giving one as -1 or a fraction
#: holds a placeholder its training code replaces, which lrplan cannot know.
STEP_COUNTS = frozenset(
    {
        "num_training_steps",
        "num_warmup_steps",
        "total_steps",
        "warmup_steps",
        "T_max",
        "T_0",
        "total_iters",
        "step_size",
    }
)

#: Where a value came from when nothing gave it.
DEFAULT = "default"


@dataclass(frozen=True)
class RunOptions:
    """What makes an epoch's optimizer steps: ``--dataset-size`` with the batch size on one
    device, the gradient accumulation and the number of devices (None: not given)."""

    dataset_size: int | None = None
    batch_size: int | None = None
    accumulate: int | None = None
    devices: int | None = None


@dataclass(frozen=True)
class Settings:
    """A planned configuration and where each value it uses came from.

    ``sources`` maps ``scheduler``, ``lr``, ``epochs``, ``interval``, ``steps_per_epoch``
    (and ``min_lr`` / ``warmup_epochs`` for WarmupCosLR, ``param.NAME`` for each constructor
    argument) to a config key path (``optimizer.init_args.lr``), an option (``--lr``),
    ``--set``, or ``default``. ``default_scheduler`` is True when a config was given that
    names no scheduler and none of WarmupCosLR's own keys: lrplan planned its default.
    """

    config: ScheduleConfig
    found: ConfigValues | None = None
    sources: dict[str, str] = field(default_factory=dict)
    default_scheduler: bool = False


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
    allow_import: Sequence[str] = (),
    run: RunOptions | None = None,
) -> tuple[ScheduleConfig, ConfigValues | None]:
    """:func:`build_config`, and what was read from the file (``None`` without file or sets)."""
    settings = resolve_settings(
        config_file,
        overrides,
        config_key=config_key,
        sets=sets,
        allow_import=allow_import,
        run=run,
    )
    return settings.config, settings.found


def resolve_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    config_key: str | None = None,
    sets: Sequence[str] = (),
    allow_import: Sequence[str] = (),
    run: RunOptions | None = None,
) -> Settings:
    """Defaults, the config file (after ``sets``), then ``overrides`` (options), with sources.

    The scheduler is the one ``--scheduler`` names, else the one the file names in a dialect
    (:mod:`lrplan.inputs.dialects`) with its arguments, else lrplan's WarmupCosLR. A file
    that sets up a schedule lrplan cannot plan is refused in one line. ``None`` values in
    ``overrides`` mean "not given"; a given value overrides the file's, even one lrplan
    cannot read there.
    """
    if config_key is not None and config_file is None:
        raise LrplanError("--config-key needs --config FILE: the config whose section it names")
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    named: dict[str, Any] = {key: given.pop(key) for key in ("scheduler", "params") if key in given}
    values: dict[str, Any] = {}
    found: ConfigValues | None = None
    file_where = f"--config {config_file}" if config_file is not None else "--set"
    sources: dict[str, str] = {key: OPTION_OF_KEY[key] for key in given if key in OPTION_OF_KEY}
    if config_file is not None and config_key is None and "scheduler" not in named:
        framework = _framework_settings(config_file, sets, given, named, run or RunOptions())
        if framework is not None:
            return framework
    if config_file is not None or sets:
        values, found = read_config_file(
            config_file,
            config_key=config_key,
            sets=sets,
            skip=set(given),
            refuse="scheduler" not in named,
        )
        for key, source in found.sources.items():
            if source == "--set" and key in given:
                raise LrplanError(
                    f"{OPTION_OF_KEY[key]} and --set {key}=... both set {key}; give one of them"
                )
        sources.update({key: found.sources[key] for key in values})
    values.update(given)
    chosen, default_scheduler = scheduler_of(found, file_where, named, allow_import, sources)
    default_scheduler = default_scheduler and config_file is not None
    values.update(chosen)
    if found is not None:
        length_from_config(found, file_where, values, sources, chosen)
    if values.get("interval") == "step" and "steps_per_epoch" not in values:
        rounding = "torchtune" if found is not None and _torchtune(found) else "lightning"
        steps, how = steps_per_epoch(found, run or RunOptions(), rounding, file_where)
        values["steps_per_epoch"] = steps
        sources["steps_per_epoch"] = how
    if found is not None and found.named is not None and "scheduler" not in named:
        fill_by_code(found, values, sources)
    for key in ("lr", "epochs", "interval", "steps_per_epoch", "min_lr", "warmup_epochs"):
        sources.setdefault(key, DEFAULT)
    try:
        settings = ScheduleConfig(**values)
    except ConfigValueError as error:
        if error.key == "params" and "params" not in named and "params" in chosen:
            raise LrplanError(
                error.message(as_options, f"scheduler_params in {file_where}")
            ) from None
        if error.key == "warmup_epochs" and sources.get("warmup_epochs") == DEFAULT:
            raise LrplanError(
                "invalid warmup_epochs: lrplan's default"
                f" warmup_epochs={settings_default('warmup_epochs')} is not shorter than"
                f" epochs={values.get('epochs')} ({sources.get('epochs')});"
                " give --warmup-epochs N (0: no warm-up)"
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

        if "scheduler" not in named and found is not None and found.named is not None:
            check_arguments(settings, f"{file_where}: {found.named.source}", named_at=True)
        else:
            check_arguments(settings)
    used = keys_used(settings.scheduler)
    for key in ("min_lr", "warmup_epochs"):
        if key not in used or (key == "min_lr" and settings.min_lr is None):
            sources.pop(key, None)
    if settings.interval == "epoch":
        sources.pop("steps_per_epoch", None)
    order = ["scheduler", *(key for key in sources if key.startswith(PARAM)), "lr", "epochs"]
    ordered = {key: sources[key] for key in order if key in sources}
    ordered.update({key: value for key, value in sources.items() if key not in ordered})
    return Settings(settings, found, ordered, default_scheduler)


def _framework_settings(
    config_file: Path,
    sets: Sequence[str],
    given: Mapping[str, Any],
    named: Mapping[str, Any],
    run: RunOptions,
) -> Settings | None:
    """The settings of a Hugging Face, timm or DeepSpeed config, planned the framework's way
    (:mod:`lrplan.inputs.frameworks`); None for a config of no such framework."""
    from lrplan.inputs.frameworks import Run, apply_options, framework_of, read_framework
    from lrplan.inputs.training_config import with_sets

    where = f"--config {config_file}"
    document = with_sets(_read_yaml_mapping(config_file, where), sets)
    if framework_of(document) is None:
        return None
    found = read_framework(
        document,
        where,
        Run(
            lr=given.get("lr"),
            epochs=given.get("epochs"),
            steps_per_epoch=given.get("steps_per_epoch"),
            dataset_size=run.dataset_size,
            batch_size=run.batch_size,
            accumulate=run.accumulate,
            devices=run.devices,
        ),
        folder=config_file.parent,
    )
    found = apply_options(found, given, dict(named.get("params") or ()), where, OPTION_OF_KEY)
    try:
        config = ScheduleConfig(**found.values)
    except ConfigValueError as error:
        raise LrplanError(error.message(as_options, f"{error.key} from {where}")) from None
    from lrplan.core.schedulers import check_arguments

    check_arguments(config, where)
    return Settings(config, None, found.sources)


def settings_default(key: str) -> Any:
    """ScheduleConfig's default for ``key``."""
    import dataclasses

    return {f.name: f.default for f in dataclasses.fields(ScheduleConfig)}[key]


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


def _torchtune(found: ConfigValues) -> bool:
    from lrplan.inputs.dialects import TORCHTUNE

    return found.named is not None and found.named.dialect == TORCHTUNE


def scheduler_of(
    found: ConfigValues | None,
    where: str,
    named: Mapping[str, Any],
    allow_import: Sequence[str],
    sources: dict[str, str],
    naming: Callable[[str], str] = lambda name: f"--scheduler {name}",
) -> tuple[dict[str, Any], bool]:
    """The ``scheduler``, ``params`` (and ``interval``) to plan, and whether the scheduler is
    lrplan's default though a config was given; ``sources`` gets where each came from.
    ``naming(name)`` says how the user names a scheduler (``--scheduler NAME``)."""
    from lrplan.inputs.dialects import TORCHTUNE, is_warmup_cos

    cli_params = named.get("params") or ()
    if "scheduler" in named:
        sources["scheduler"] = "--scheduler"
        chosen = scheduler_settings(found, where, named, naming, "scheduler_params")
        same = found is not None and (
            found.named is None or normal_name(found.named.name) == named["scheduler"]
        )
        if found is not None and found.arguments and same and found.scheduler is None:
            params = _arguments(found, where, cli_params, sources)
            chosen["params"] = params
        for key, _ in chosen.get("params", ()):
            sources.setdefault(f"{PARAM}{key}", "--param")
        return chosen, False
    if found is not None and found.named is not None and is_warmup_cos(found.named.name):
        # A copy of WarmupCosLR (PLUTO's, lrplan's own): its arguments are the schedule keys
        # read above, and lrplan plans it with the WarmupCosLR it ships, importing nothing.
        sources["scheduler"] = found.named.source
        return {}, False
    if found is not None and found.named is not None:
        spec = found.named
        name = normal_name(spec.name)
        if name is None:
            problem, _ = name_problem(spec.name)
            raise LrplanError(f"{where}: {spec.source}: {problem}")
        check_import(name, f"{where}: {spec.source}", allow_import)
        sources["scheduler"] = spec.source
        chosen = {"scheduler": name, "params": _arguments(found, where, cli_params, sources)}
        if spec.dialect == TORCHTUNE:
            # The torchtune recipes step the scheduler once per optimizer step.
            chosen["interval"] = "step"
            sources["interval"] = f"{spec.source} (torchtune recipes step per optimizer step)"
        elif found.interval is not None and sources.get("interval") in (None, DEFAULT):
            chosen["interval"] = coerce(
                "interval", found.interval, f"{where}: {found.interval_source}"
            )
            sources["interval"] = str(found.interval_source)
        return chosen, False
    chosen = scheduler_settings(found, where, named, naming, "scheduler_params", allow_import)
    if "scheduler" in chosen:
        sources["scheduler"] = "scheduler"
        for key, _ in chosen.get("params", ()):
            sources.setdefault(f"{PARAM}{key}", f"scheduler_params.{key}")
        for key, _ in cli_params:
            sources[f"{PARAM}{key}"] = "--param"
        return chosen, False
    sources["scheduler"] = DEFAULT
    own_keys = found is not None and any(key in found.values for key in ("warmup_epochs", "min_lr"))
    return chosen, found is not None and not own_keys


def _arguments(
    found: ConfigValues, where: str, cli_params: Any, sources: dict[str, str]
) -> tuple[tuple[str, Any], ...]:
    """The file's constructor arguments (unreadable ones refused unless ``--param`` gives
    them), with ``--param`` set over them."""
    from lrplan.inputs.training_config import Unreadable

    overridden = dict(cli_params)
    params: dict[str, Any] = {}
    for key, value in found.arguments.items():
        if key in overridden:
            params[key] = overridden.pop(key)
            sources[f"{PARAM}{key}"] = "--param"
            continue
        if key == "last_epoch" and value == -1:
            continue  # torch's own default: a fresh run
        if isinstance(value, Unreadable):
            raise LrplanError(f"{value.message} (or --param {key}=VALUE)")
        source = found.argument_sources[key]
        if key in STEP_COUNTS and not (is_whole(value) and value >= 0):
            raise LrplanError(
                f"{where}: {source} = {value!r} is not a number of steps: the training code"
                f" must fill it in (a placeholder or a fraction); give --param {key}=N"
            )
        params[key] = freeze(value, f"{where}: {source}", numeric_strings=True)
        sources[f"{PARAM}{key}"] = source
    for key, value in overridden.items():
        params[key] = value
        sources[f"{PARAM}{key}"] = "--param"
    return tuple(params.items())


def length_from_config(
    found: ConfigValues,
    where: str,
    values: dict[str, Any],
    sources: dict[str, str],
    chosen: Mapping[str, Any],
) -> None:
    """``epochs`` from the trainer's ``max_epochs`` when no schedule key or option sets it."""
    from lrplan.inputs.training_config import Unreadable

    if "epochs" in values or found.trainer_epochs is None:
        return
    if isinstance(found.trainer_epochs, Unreadable):
        raise LrplanError(f"{found.trainer_epochs.message} (or --epochs N)")
    epochs = coerce("epochs", found.trainer_epochs, f"{where}: {found.trainer_epochs_source}")
    if epochs > 0:  # Lightning's -1: no limit of epochs
        values["epochs"] = epochs
        sources["epochs"] = str(found.trainer_epochs_source)


def fill_by_code(found: ConfigValues, values: dict[str, Any], sources: dict[str, str]) -> None:
    """The arguments the training code fills (torchtune's num_training_steps: the planned
    length in optimizer steps), unless the file or ``--param`` gives them."""
    assert found.named is not None
    params = dict(values.get("params", ()))
    for name in found.named.filled_by_code:
        if name in params:
            continue
        epochs = values.get("epochs", ScheduleConfig.epochs)
        params[name] = epochs * values.get("steps_per_epoch", 1)
        sources[f"{PARAM}{name}"] = "epochs × steps per epoch (the recipe fills it)"
    values["params"] = tuple(params.items())


def steps_per_epoch(
    found: ConfigValues | None, run: RunOptions, rounding: str, where: str
) -> tuple[int, str]:
    """Optimizer steps in one epoch from ``--dataset-size`` and the batch size, accumulation
    and devices (options over the config's keys), and how it was computed.

    Each device gets ``ceil(dataset_size / devices)`` samples (a DistributedSampler pads) in
    ``ceil(samples / batch_size)`` batches; Lightning steps the optimizer
    ``ceil(batches / accumulate)`` times an epoch (a last partial accumulation steps too),
    torchtune's recipes ``batches // accumulate`` times.

    Raises LrplanError naming the options when nothing gives the dataset size or batch size.
    """
    import math

    from lrplan.inputs.training_config import Unreadable

    if run.dataset_size is None:
        raise LrplanError(
            "the scheduler steps once per optimizer step, and nothing gives the steps in one"
            " epoch: give --steps-per-epoch N, or --dataset-size N (with --batch-size,"
            " --accumulate and --devices where the config does not set them)"
        )
    given = {"batch_size": run.batch_size, "accumulate": run.accumulate, "devices": run.devices}
    option = {"batch_size": "--batch-size", "accumulate": "--accumulate", "devices": "--devices"}
    numbers: dict[str, int] = {}
    shown: list[str] = []
    for name in ("batch_size", "accumulate", "devices"):
        value = given[name]
        source = option[name]
        if value is None and found is not None and name in found.run:
            raw, path = found.run[name]
            if isinstance(raw, Unreadable):
                raise LrplanError(f"{raw.message} (or {option[name]} N)")
            value, source = raw, path
            if isinstance(value, str):
                try:
                    value = int(value)
                except ValueError:
                    value = None
            if not is_whole(value) or value < 1:
                if name == "batch_size":
                    raise LrplanError(
                        f"{where}: {path} = {raw!r} is not a batch size lrplan can use; give"
                        " --batch-size N"
                    )
                value, source = None, option[name]
        if value is None:
            if name == "batch_size":
                raise LrplanError(
                    f"--dataset-size needs the batch size on one device: give --batch-size N"
                    f" ({where} sets none lrplan knows)"
                )
            value, source = 1, DEFAULT
        numbers[name] = int(value)
        shown.append(f"{name}={value} ({source})")
    samples = math.ceil(run.dataset_size / numbers["devices"])
    batches = math.ceil(samples / numbers["batch_size"])
    if rounding == "torchtune":
        steps = batches // numbers["accumulate"]
        rule = "batches // accumulate, as torchtune's recipes"
    else:
        steps = math.ceil(batches / numbers["accumulate"])
        rule = "ceil(batches / accumulate), as Lightning"
    if steps < 1:
        raise LrplanError(
            f"--dataset-size {run.dataset_size} makes {batches} batches per device, fewer than"
            f" one optimizer step of {numbers['accumulate']} batches; check the sizes"
        )
    return steps, (
        f"--dataset-size {run.dataset_size}, {', '.join(shown)}: {batches} batches per device,"
        f" {rule}"
    )


def check_import(name: str, where: str, allow_import: Sequence[str]) -> None:
    """Refuse to import a module a config names, unless it is a well-known library's or the
    user allowed it (``--allow-import MODULE``): importing runs the module's code."""
    module = name.partition(":")[0]
    top = module.split(".")[0]
    allowed = {*WELL_KNOWN_MODULES, *allow_import}
    if top in allowed or module in allowed or any(module.startswith(f"{a}.") for a in allowed):
        return
    raise LrplanError(
        f"{where} names {name}; lrplan imports a module a config names (which runs its code)"
        f" only when you allow it: pass --allow-import {top}"
    )


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
    allow_import: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``scheduler`` and ``params`` for a ScheduleConfig: the command line's over a file's.

    ``named`` holds the ``scheduler`` and ``params`` the command line gives (a key absent:
    not given). The file's ``scheduler_params`` apply unless the command line names another
    scheduler; the command line's params are set over them. Importing a class runs its
    module's code, so a config file may name one only in a well-known library's module or
    one ``allow_import`` names (:func:`check_import`). ``naming(name)``
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
            check_import(file_name, f"{where}: scheduler", allow_import)
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
