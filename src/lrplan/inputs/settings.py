"""Settings merged in order: ScheduleConfig's defaults, a YAML config file (after ``--set``),
then the command line's options.

``None`` for an option means "not given". The scheduler a config names in one of the
dialects of :mod:`lrplan.inputs.dialects` is planned with its arguments; importing it runs
its module's code, so a config may name only a well-known library's scheduler unless the
user allows the module (``--allow-import``). Every value the plan uses comes with where it
came from (:class:`Settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.core.config import (
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
from lrplan.inputs.files import coerce, read_config_file, read_yaml_mapping
from lrplan.inputs.naming import DEFAULT, OPTION_OF_KEY, as_options
from lrplan.inputs.params import merge_params
from lrplan.inputs.run import (
    STEP_COUNTS,
    RunOptions,
    fill_by_code,
    length_from_config,
    length_from_trainer_steps,
    steps_per_epoch,
)

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues


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


#: Where a value came from when nothing gave it.
@dataclass(frozen=True)
class Settings:
    """A planned configuration and where each value it uses came from.

    ``sources`` maps ``scheduler``, ``lr``, ``epochs``, ``interval``, ``steps_per_epoch``
    (and ``min_lr`` / ``warmup_epochs`` for WarmupCosLR, ``param.NAME`` for each constructor
    argument) to a config key path (``optimizer.init_args.lr``), an option (``--lr``),
    ``--set``, or ``default``.
    """

    config: ScheduleConfig
    found: ConfigValues | None = None
    sources: dict[str, str] = field(default_factory=dict)


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
            options={*given, *named},
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
    if default_scheduler and not (found is not None and found.scheduler_params):
        steps = (found.trainer_steps, found.trainer_steps_source) if found else (None, None)
        if _unreadable(steps[0]):
            steps = (None, None)
        raise LrplanError(no_scheduler(file_where, values, sources, steps))
    rounding = "torchtune" if found is not None and _torchtune(found) else "lightning"
    if values.get("interval") == "step" and "steps_per_epoch" not in values:
        steps, how = steps_per_epoch(found, run or RunOptions(), rounding, file_where)
        values["steps_per_epoch"] = steps
        sources["steps_per_epoch"] = how
    if found is not None:
        length_from_trainer_steps(
            found, file_where, values, sources, run or RunOptions(), rounding, given
        )
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
        # Name the scheduler as the user wrote it: the option, or the file's key.
        named_by = sources.get("scheduler", DEFAULT)
        scheduler = (
            f"--scheduler {settings.scheduler}"
            if named_by in ("--scheduler", DEFAULT)
            else f"{named_by} in {file_where}"
        )
        raise LrplanError(
            f"{OPTION_OF_KEY[key]} does not apply to {scheduler}:"
            f" {settings.class_name} has no {key}; drop it, and pass the scheduler's own"
            " arguments with --param NAME=VALUE ('lrplan schedulers' lists them)"
        )
    for key, argument in overridden_options(settings, given):
        # As --lr with --set lr: two values for one setting are refused, not one dropped.
        option = f"{OPTION_OF_KEY[key]} {given[key]!r}"
        value = dict(settings.params)[argument]
        source = sources.get(f"{PARAM}{argument}", "--param")
        if source == "--param":
            raise LrplanError(
                f"{option} and --param {argument}={value!r} both set {settings.class_name}'s"
                f" {argument}; give one of them"
            )
        raise LrplanError(
            f"{option} and {source} = {value!r} in {file_where} both set"
            f" {settings.class_name}'s {argument}; drop {OPTION_OF_KEY[key]}, or give --param"
            f" {argument}=VALUE in its place to override the file's"
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
    return Settings(settings, found, ordered)


def no_scheduler(
    where: str,
    values: Mapping[str, Any],
    sources: Mapping[str, str],
    trainer_steps: tuple[Any, str | None] = (None, None),
) -> str:
    """The one line refusing a config that names no scheduler and holds none of WarmupCosLR's
    own keys: what it gives (the rate and the length, epochs or the trainer's ``max_steps``
    (``trainer_steps``: its value and key), with their keys; the one it lacks named as
    lacking, with its option), and how to name the scheduler."""
    steps, steps_source = trainer_steps
    if "lr" in values and sources.get("lr") not in (None, DEFAULT):
        rate = f"lr = {values['lr']!r} at {sources['lr']}"
    else:
        rate = "no lr where lrplan looks (give it with --lr, or its section with --config-key)"
    lengths = []
    if "epochs" in values and sources.get("epochs") not in (None, DEFAULT):
        lengths.append(f"epochs = {values['epochs']!r} at {sources['epochs']}")
    if steps_source is not None and not (is_whole(steps) and steps <= 0):  # -1: no limit
        lengths.append(f"max_steps = {steps!r} at {steps_source}")
    gives = " and ".join([rate, *(lengths or ["no length (give it with --epochs)"])])
    return (
        f"{where} names no scheduler and none of WarmupCosLR's keys (warmup_epochs,"
        f" min_lr); it gives {gives}; name the scheduler the"
        " training code builds with --scheduler NAME and its arguments with --param NAME=VALUE"
        " ('lrplan schedulers' lists them; --scheduler constant for a rate the code keeps"
        " constant)"
    )


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
    from lrplan.inputs.overrides import with_sets

    where = f"--config {config_file}"
    document = with_sets(read_yaml_mapping(config_file, where), sets)
    if framework_of(document) is None:
        return None
    if sets:
        from lrplan.inputs.typed import typed_document

        document = typed_document(document, where)  # --set values are typed as the file's
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

    try:
        check_arguments(config, where)
    except LrplanError as error:
        # Quote what the file says (lr_scheduler_type: reduce_lr_on_plateau), not an option
        # the user never typed (--scheduler hf:reduce_lr_on_plateau).
        raise LrplanError(error.message(_as_written(found.sources, config.scheduler))) from None
    return Settings(config, None, found.sources)


def _as_written(sources: Mapping[str, str], scheduler: str) -> Callable[[str, str | None], str]:
    """A naming (:data:`lrplan.errors.Naming`) that spells the scheduler and its arguments as
    the framework's config writes them: its key and value, ``lr_scheduler_type: cosine``."""

    def written(source: str | None) -> str | None:
        if source is None or source.startswith(("default", "--", "auto", "ceil", "unknown")):
            return None
        return source.split(" (")[0].rpartition(": ")[2]

    def naming(name: str, value: str | None) -> str:
        key = written(sources.get(name))
        if name == "scheduler" and key is not None:
            return f"{key}: {scheduler.partition(':')[2] or scheduler}"
        if name.startswith(PARAM) and key is not None:
            return key if value is None else f"{key}: {value}"
        return as_options(name, value)

    return naming


def settings_default(key: str) -> Any:
    """ScheduleConfig's default for ``key``."""
    import dataclasses

    return {f.name: f.default for f in dataclasses.fields(ScheduleConfig)}[key]


def _unreadable(value: Any) -> bool:
    from lrplan.inputs.training_config import Unreadable

    return isinstance(value, Unreadable)


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
        # The file's own arguments are kept for the class it names, or for the class the
        # user names in place of a name lrplan cannot resolve (the refusal's fix).
        same = found is not None and (
            found.named is None or normal_name(found.named.name) in (named["scheduler"], None)
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
            raise LrplanError(
                f"{where}: {spec.source}: {problem}; give its import path in the file, or"
                f" name the class with {naming('package.module:Class')} (the file's"
                " arguments are kept)"
            )
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
        elif spec.source == LIGHTNING_CLI_SCHEDULER and "interval" not in sources:
            # LightningCLI.configure_optimizers returns [optimizer], [lr_scheduler]: Lightning
            # steps it once per epoch (the file's interval is not an assumption of lrplan's).
            chosen["interval"] = "epoch"
            sources["interval"] = f"{spec.source} (LightningCLI steps it once per epoch)"
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


#: Where LightningCLI's own ``lr_scheduler`` (its ``add_lr_scheduler_args``) names a class.
LIGHTNING_CLI_SCHEDULER = "lr_scheduler.class_path"


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


def overridden_options(config: ScheduleConfig, given: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The settings in ``given`` (``min_lr``, ``warmup_epochs``) whose only use is to fill a
    constructor argument that ``config``'s params also give (``eta_min`` for ``cosine``), with
    that argument: the param would win and the setting be dropped. ``lr`` and ``epochs`` are
    not among them: they still set the optimizer's rate and the plan's length."""
    from lrplan.core.schedulers import filled_argument

    params = dict(config.params)
    found = []
    for key in ("min_lr", "warmup_epochs"):
        argument = filled_argument(config, key) if key in given else None
        if argument is not None and argument in params:
            found.append((key, argument))
    return found


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
