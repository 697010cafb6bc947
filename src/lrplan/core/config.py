"""ScheduleConfig: the settings of one planned schedule, from defaults, a YAML file and options.

Everything here is torch-free so that validation costs nothing on the CLI's start-up path.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lrplan.core.schedulers import (
    RESERVED,
    WARMUP_COS,
    WARMUP_COS_KINDS,
    check_name,
    class_name,
    freeze,
    is_import_path,
    merge_params,
    name_problem,
    normal_name,
    show_value,
    thaw,
    uses,
)
from lrplan.errors import LrplanError
from lrplan.optim.checks import ScheduleArgumentError, check_warmup_cos_args

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues

Interval = Literal["epoch", "step"]
INTERVALS: tuple[Interval, ...] = ("epoch", "step")

#: The most rows lrplan plans in one schedule; each row holds one float (8 bytes).
MAX_ROWS = 20_000_000
#: The largest peak learning rate lrplan plans; far above any real one, and small enough that
#: sums over a schedule cannot overflow.
MAX_LR = 1e6

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

_VALID = {
    "lr": "a finite number above 0, e.g. 1e-3",
    "min_lr": "a finite number from 0 up to lr, e.g. 1e-5",
    "warmup_epochs": "a whole number from 0 up to epochs - 1, e.g. 3",
    "epochs": "a whole number greater than warmup_epochs, e.g. 25",
    "interval": "'epoch' or 'step'",
    "steps_per_epoch": "a whole number of 1 or more, e.g. 500",
    "scheduler": "a short name such as cosine ('lrplan schedulers' lists them) or an import"
    " path package.module:ClassName",
    "params": "constructor arguments such as --param step_size=10",
}
#: The options of the settings that are not schedule keys of a config file.
_OPTION_OF_SETTING = {"scheduler": "--scheduler", "params": "--param"}


@dataclass(frozen=True)
class ScheduleConfig:
    """One schedule as a user describes it: lengths in epochs.

    With ``interval="step"`` the scheduler is stepped once per optimizer step, and the
    warm-up and total length are converted to steps with ``steps_per_epoch``.

    ``scheduler`` is ``warmup_cos`` (WarmupCosLR), another short name of
    :data:`lrplan.core.schedulers.BUILTINS`, or an import path ``package.module:ClassName``;
    ``params`` its constructor arguments after the optimizer, as ``(name, value)`` pairs
    (lists are stored as tuples, so that the config stays hashable). ``lr`` is the
    optimizer's base rate and ``epochs`` the planned length for every scheduler; ``min_lr``
    and ``warmup_epochs`` matter only to schedulers that use them
    (:func:`lrplan.core.schedulers.uses`).
    """

    lr: float = 1e-3
    min_lr: float = 1e-5
    warmup_epochs: int = 3
    epochs: int = 25
    interval: Interval = "epoch"
    steps_per_epoch: int = 1
    label: str = ""
    scheduler: str = WARMUP_COS
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        self._check_scheduler()
        warmup_cos = self.scheduler in WARMUP_COS_KINDS
        if (
            warmup_cos
            and _is_whole(self.warmup_epochs)
            and _is_whole(self.epochs)
            and self.warmup_epochs >= 0
            and 0 < self.epochs <= self.warmup_epochs
        ):
            raise ConfigValueError(
                "warmup_epochs",
                f"warmup_epochs={self.warmup_epochs} is not shorter than epochs={self.epochs}",
                "lower --warmup-epochs below --epochs, or raise --epochs",
            )
        try:
            if warmup_cos:
                check_warmup_cos_args(self.min_lr, self.lr, self.warmup_epochs, self.epochs)
            else:
                # The same checks of lr and epochs; min_lr only where the scheduler uses it.
                floor = self.min_lr if "min_lr" in uses(self) else 0.0
                check_warmup_cos_args(floor, self.lr, 0, self.epochs)
        except ScheduleArgumentError as error:
            raise ConfigValueError(error.param, str(error)) from None
        if self.lr > MAX_LR:
            raise ConfigValueError("lr", f"lr={self.lr!r} is above {MAX_LR:g}")
        # -0.0 is a valid floor but reads oddly everywhere it is shown.
        object.__setattr__(self, "min_lr", self.min_lr + 0.0)
        if self.interval not in INTERVALS:
            raise ConfigValueError("interval", f"interval={self.interval!r} is not an interval")
        if not _is_whole(self.steps_per_epoch) or self.steps_per_epoch < 1:
            raise ConfigValueError(
                "steps_per_epoch", f"steps_per_epoch={self.steps_per_epoch!r} is not valid"
            )
        if self.interval == "epoch" and self.steps_per_epoch != 1:
            raise ConfigValueError(
                "steps_per_epoch",
                f"steps_per_epoch={self.steps_per_epoch} has no effect with interval=epoch",
                "add --interval step (interval=step) to step the scheduler once per optimizer"
                " step, or drop it",
            )
        if self.rows > MAX_ROWS:
            if self.interval == "step":
                raise LrplanError(
                    f"--epochs {self.epochs} × --steps-per-epoch {self.steps_per_epoch} is"
                    f" {self.rows:,} steps, more than lrplan plans at once ({MAX_ROWS:,});"
                    " plan with --interval epoch, or fewer steps per epoch"
                )
            raise ConfigValueError("epochs", f"epochs={self.epochs:,} is more than {MAX_ROWS:,}")

    def _check_scheduler(self) -> None:
        """The scheduler's name (normalized) and its params (frozen), or ConfigValueError."""
        name = normal_name(self.scheduler)
        if name is None:
            raise ConfigValueError("scheduler", *name_problem(self.scheduler))
        object.__setattr__(self, "scheduler", name)
        pairs = self.params.items() if isinstance(self.params, Mapping) else self.params
        params: dict[str, Any] = {}
        for pair in pairs:
            key, value = pair
            if not isinstance(key, str) or not key.isidentifier():
                raise ConfigValueError("params", f"{key!r} is not an argument name")
            if key in params:
                raise ConfigValueError("params", f"{key} is given twice", "give each once")
            if key in RESERVED:
                raise ConfigValueError(
                    "params", f"{key} is not a --param: {RESERVED[key]}", "drop it"
                )
            try:
                params[key] = freeze(value, f"{key}={value!r}")
            except LrplanError as error:
                raise ConfigValueError("params", str(error)) from None
        if params and name in WARMUP_COS_KINDS:
            raise ConfigValueError(
                "params",
                f"{name} takes no constructor arguments ({', '.join(params)} given)",
                "set its arguments with --lr, --min-lr, --warmup-epochs and --epochs",
            )
        object.__setattr__(self, "params", tuple(params.items()))

    @property
    def rows(self) -> int:
        """How many times the scheduler is stepped in training: epochs, or steps."""
        return self.epochs * self.steps_per_epoch

    @property
    def warmup_rows(self) -> int:
        """The warm-up length in the scheduler's unit (epochs, or steps)."""
        return self.warmup_epochs * self.steps_per_epoch

    @property
    def unit(self) -> str:
        """'epoch' or 'step': what one scheduler step stands for."""
        return self.interval

    @property
    def name(self) -> str:
        """The label, or a short description of the settings."""
        return self.label or describe(self)

    @property
    def class_name(self) -> str:
        """The scheduler's class, e.g. ``WarmupCosLR`` or ``CosineAnnealingLR``."""
        return class_name(self)

    def scheduler_kwargs(self) -> dict[str, Any]:
        """The WarmupCosLR arguments after the optimizer, in the scheduler's unit."""
        return {
            "min_lr": self.min_lr,
            "lr": self.lr,
            "warmup_epochs": self.warmup_rows,
            "epochs": self.rows,
        }

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values, for JSON and for display.

        ``params`` is a mapping; a scheduler other than WarmupCosLR leaves out the keys it
        does not use (``min_lr``, ``warmup_epochs``).
        """
        data = dataclasses.asdict(self)
        data["params"] = {key: thaw(value) for key, value in self.params}
        used = uses(self)
        for key in ("min_lr", "warmup_epochs"):
            if key not in used:
                del data[key]
        return data

    def replace(self, **changes: Any) -> ScheduleConfig:
        """A copy with ``changes`` applied and validated."""
        return dataclasses.replace(self, **changes)


def describe(config: ScheduleConfig) -> str:
    """A compact one-line description, e.g. ``lr=0.001 min_lr=1e-05 warmup=3 epochs=25``.

    Another scheduler than WarmupCosLR starts with its name and ends with its params:
    ``step lr=0.001 epochs=25 step_size=10``.
    """
    if config.scheduler != WARMUP_COS:
        return _describe_other(config)
    text = (
        f"lr={config.lr:g} min_lr={config.min_lr:g}"
        f" warmup={config.warmup_epochs} epochs={config.epochs}"
    )
    if config.interval == "step":
        text += f" steps/epoch={config.steps_per_epoch}"
    return text


def _describe_other(config: ScheduleConfig) -> str:
    used = uses(config)
    parts = [config.scheduler, f"lr={config.lr:g}"]
    if "min_lr" in used:
        parts.append(f"min_lr={config.min_lr:g}")
    if "warmup_epochs" in used:
        parts.append(f"warmup={config.warmup_epochs}")
    parts.append(f"epochs={config.epochs}")
    parts += [f"{key}={show_value(value)}" for key, value in config.params]
    if config.interval == "step":
        parts.append(f"steps/epoch={config.steps_per_epoch}")
    return " ".join(parts)


class ConfigValueError(LrplanError):
    """A setting has a bad value; ``key`` names it, so the message can name where it came from."""

    def __init__(self, key: str, problem: str, fix: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.fix = fix or f"give {_VALID[key]}"
        super().__init__(self.describe(OPTION_OF_KEY.get(key) or _OPTION_OF_SETTING[key]))

    def describe(self, where: str) -> str:
        """The one-line message, naming the setting as ``where`` (an option or a file key)."""
        return f"invalid {where}: {self.problem}; {self.fix}"


def invalid(key: str, problem: str) -> LrplanError:
    """The error for a bad value of ``key``, naming its option and what is valid."""
    return ConfigValueError(key, problem)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
            raise LrplanError(f"{where}: {key}={value!r} is not valid; give {_VALID[key]}")
        return number
    if key in ("warmup_epochs", "epochs", "steps_per_epoch"):
        whole: int | None = None
        if _is_whole(value):
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
            raise LrplanError(f"{where}: {key}={value!r} is not valid; give {_VALID[key]}")
        return whole
    if key == "interval":
        text = str(value).strip().lower()
        if text not in INTERVALS:
            raise LrplanError(f"{where}: interval={value!r} is not valid; give {_VALID[key]}")
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
    chosen = _scheduler_settings(
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
            raise LrplanError(error.describe(f"scheduler_params in {file_where}")) from None
        if found is not None and error.key in found.sources and error.key not in given:
            source = found.sources[error.key]
            where = (
                f"--set {error.key}" if source == "--set" else f"{source} in --config {config_file}"
            )
            raise LrplanError(error.describe(where)) from None
        raise
    for key in _unused(settings, given):
        raise LrplanError(
            f"{OPTION_OF_KEY[key]} does not apply to --scheduler {settings.scheduler}:"
            f" {settings.class_name} has no {key}; drop it, and pass the scheduler's own"
            " arguments with --param NAME=VALUE ('lrplan schedulers' lists them)"
        )
    if settings.scheduler not in WARMUP_COS_KINDS:
        from lrplan.core.schedulers import check_arguments

        check_arguments(settings)
    return settings, found


def _unused(config: ScheduleConfig, given: Mapping[str, Any]) -> list[str]:
    """The keys in ``given`` that ``config``'s scheduler does not use."""
    used = uses(config)
    return [key for key in ("min_lr", "warmup_epochs") if key in given and key not in used]


def _scheduler_settings(
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


# --- SPECs: the candidates of ``lrplan compare`` ----------------------------------------------

#: The keys an inline SPEC may set: the schedule keys, and a label for its column and legend.
#: Each is parsed by :func:`coerce`; a new key is one entry here and one branch there.
SPEC_KEYS: tuple[str, ...] = (*KEYS, "label", "scheduler")
#: A SPEC key ``param.NAME=VALUE`` passes a constructor argument, as ``--param`` does.
PARAM_PREFIX = "param."

#: A SPEC item without ``=`` that ends so is a YAML path, even when no such file exists.
YAML_SUFFIXES = (".yaml", ".yml")

_SPEC_FORM = "give a YAML config path, or key=value settings such as lr=5e-4,warmup_epochs=5"


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
            accepted = _VALID.get(key, "some text, e.g. label=short warm-up")
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
    from lrplan.core.schedulers import PARAM_FORM, literal

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
    if path is not None:
        values, found = read_config_file(path, where=where)
    values.update({key: value for key, value in (shared or {}).items() if value is not None})
    inline = dict(settings)
    named: dict[str, Any] = {
        key: inline.pop(key) for key in ("scheduler", "params") if key in inline
    }
    if "params" in named:
        named["params"] = tuple(named["params"].items())
    values.update(inline)
    chosen = _scheduler_settings(
        found,
        f"{where}: {path}",
        named,
        lambda name: f"scheduler={name} in the SPEC",
        "scheduler_params",
    )
    values.update(chosen)
    if "label" not in values:
        values["label"] = path.stem if path is not None and not settings else spec.strip()
    if values.get("interval") == "step" and "steps_per_epoch" not in values:
        raise LrplanError(
            f"{where}: interval=step needs steps_per_epoch=N (or --steps-per-epoch N for"
            " every SPEC): the number of optimizer steps in one epoch"
        )
    try:
        config = ScheduleConfig(**values)
    except ConfigValueError as error:
        fix = error.fix.replace("--param ", PARAM_PREFIX)
        raise LrplanError(f"{where}: {error.problem}; {fix}") from None
    except LrplanError as error:
        raise LrplanError(f"{where}: {error}") from None
    for key in _unused(config, inline):
        raise LrplanError(
            f"{where}: {key} does not apply to scheduler={config.scheduler}:"
            f" {config.class_name} has no {key}; drop it, and pass the scheduler's own"
            " arguments as param.NAME=VALUE ('lrplan schedulers' lists them)"
        )
    if config.scheduler not in WARMUP_COS_KINDS:
        from lrplan.core.schedulers import check_arguments

        check_arguments(config, where, PARAM_PREFIX)
    return config
