"""Training configs of frameworks that build their own schedules: Hugging Face
TrainingArguments (and recipes of TRL, LLaMA-Factory, alignment-handbook, axolotl), timm's
train.py arguments (``args.yaml``, ``-c`` configs) and DeepSpeed's JSON config.

:func:`read_framework` recognizes the framework from the document's keys and returns the
schedule's settings with where each came from (:class:`FrameworkSettings`); the numbers the
framework computes itself (Trainer's steps, timm's run length) are computed by
:mod:`lrplan.core.frameworks`. Torch-free until the settings are turned into a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.errors import LrplanError

if TYPE_CHECKING:
    from lrplan.core.config import ScheduleConfig


@dataclass(frozen=True)
class Run:
    """What the command line says about the run, beyond the config: ``None`` is not given.
    ``lr`` and ``epochs`` override the config's rate and epochs (Trainer's ``learning_rate``
    and ``num_train_epochs``, timm's ``lr`` and ``epochs``)."""

    lr: float | None = None
    dataset_size: int | None = None
    batch_size: int | None = None
    accumulate: int | None = None
    devices: int | None = None
    steps_per_epoch: int | None = None
    epochs: int | None = None


@dataclass(frozen=True)
class FrameworkSettings:
    """A framework config's schedule: ScheduleConfig's keyword arguments (``values``) and where
    each came from (``sources``: ``lr``, ``epochs``, ``steps_per_epoch``, ``max_steps``,
    ``scheduler`` and ``param.NAME``, each a key path, an option, a computation or a
    default)."""

    framework: str
    values: dict[str, Any]
    sources: dict[str, str]

    def config(self) -> ScheduleConfig:
        from lrplan.core.config import ScheduleConfig

        return ScheduleConfig(**self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "sources": dict(self.sources)}


HF = "hf"
TIMM = "timm"
DEEPSPEED = "deepspeed"


def framework_of(document: Mapping[Any, Any]) -> str | None:
    """``hf``, ``timm`` or ``deepspeed`` when the document is such a config, else None.

    Hugging Face: ``lr_scheduler_type``; axolotl's ``lr_scheduler: cosine``; or
    ``learning_rate`` with TrainingArguments' own length or batch keys in a file that names no
    scheduler in another dialect (a class path, ``_target_``, ...); not a file that also
    holds a training loop's own arguments (:data:`lrplan.inputs.dialects.OWN_LOOP_KEYS`:
    ``with_tracking``, ``checkpointing_steps``, ...), which Trainer never reads: that file is
    a project's own argument class, refused by the recognise stage. timm: ``sched`` beside
    another of train.py's arguments. DeepSpeed: a ``scheduler`` block with a ``type`` and no
    class key."""
    from lrplan.inputs.dialects import HF_TYPES, find_scheduler, own_loop_keys
    from lrplan.inputs.frameworks.hf import AXOLOTL_OWN

    scheduler = document.get("scheduler")
    if (
        isinstance(scheduler, Mapping)
        and isinstance(scheduler.get("type"), str)
        and not any(key in scheduler for key in ("class_path", "_target_", "_component_"))
    ):
        return DEEPSPEED
    trainer = not own_loop_keys(document)
    if trainer and "lr_scheduler_type" in document:
        return HF
    named = document.get("lr_scheduler")
    if trainer and isinstance(named, str) and named.lower() in (*HF_TYPES, *AXOLOTL_OWN):
        return HF
    trainer_keys = ("per_device_train_batch_size", "num_train_epochs", "deepspeed")
    if (
        trainer
        and "learning_rate" in document
        and any(key in document for key in trainer_keys)
        and find_scheduler(document) is None
    ):
        return HF
    if timm_section(document) is not None:
        return TIMM
    return None


def is_axolotl(document: Mapping[Any, Any]) -> bool:
    """An axolotl config: axolotl's own spellings of TrainingArguments' keys, which axolotl
    reads with its own schema and passes on (not HfArgumentParser)."""
    from lrplan.inputs.frameworks.hf import AXOLOTL

    return "lr_scheduler_type" not in document and (
        "base_model" in document or any(key in document for key in AXOLOTL)
    )


def timm_section(document: Mapping[Any, Any]) -> tuple[Any, ...] | None:
    """Where timm's train.py arguments sit: ``()`` for the top level, ``(KEY, ...)`` for a
    section up to three levels down; None if nowhere (or in more than one section). They are
    ``sched`` (a name) beside another of train.py's arguments; in a section, beside an
    argument only train.py has (:data:`TIMM_ONLY`)."""
    from lrplan.inputs.frameworks.timm import DEFAULTS as TIMM_ARGUMENTS

    def holds(node: Any, keys: Any) -> bool:
        return (
            isinstance(node, Mapping)
            and isinstance(node.get("sched"), str)
            and any(key in node for key in keys if key != "sched")
        )

    if holds(document, TIMM_ARGUMENTS):
        return ()
    # In a section, an argument only train.py has too: a project's own scheduler section
    # (sched, min_lr, warmup_epochs) is not timm's.
    found: list[tuple[Any, ...]] = []

    def visit(node: Mapping[Any, Any], path: tuple[Any, ...]) -> None:
        for key, value in node.items():
            if holds(value, TIMM_ONLY):
                found.append((*path, key))
            elif isinstance(value, Mapping) and len(path) < 2:
                visit(value, (*path, key))

    visit(document, ())
    return found[0] if len(found) == 1 else None


def timm_arguments(
    document: Mapping[Any, Any], path: tuple[Any, ...]
) -> tuple[dict[Any, Any], dict[Any, str]]:
    """train.py's arguments as the project hands them to timm, and each one's key path.

    A section of the top level (``train:``) holds them as they are. Deeper (``training:
    lr_scheduler: {sched: ...}`` beside ``training: {epochs: ...}``), the project flattens
    its nested config into one namespace of leaf keys, as STMicroelectronics' model zoo does
    (``SimpleNamespace(**flatten_config(cfg))``): the arguments are the leaves of the top-level
    section holding ``sched``; of a key found twice, the one nearest the ``sched`` section."""
    section: Any = document
    for part in path:
        section = section[part]
    if len(path) <= 1:
        prefix = "".join(f"{part}." for part in path)
        return dict(section), {key: f"{prefix}{key}" for key in section}
    values: dict[Any, Any] = {}
    paths: dict[Any, str] = {}

    def take(node: Mapping[Any, Any], at: tuple[Any, ...], deep: bool) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                if deep:
                    take(value, (*at, key), deep)
            elif key not in values:
                values[key] = value
                paths[key] = ".".join(str(part) for part in (*at, key))

    # The sched section, then each section around it (nearest first), then the other leaves.
    for depth in range(len(path), 0, -1):
        node: Any = document
        for part in path[:depth]:
            node = node[part]
        take(node, path[:depth], deep=False)
    take(document[path[0]], path[:1], deep=True)
    return values, paths


#: Arguments of timm's train.py that other projects' scheduler sections do not use.
TIMM_ONLY = (
    "lr_base",
    "lr_base_size",
    "lr_base_scale",
    "warmup_lr",
    "cooldown_epochs",
    "lr_cycle_limit",
    "lr_cycle_mul",
    "lr_noise",
    "sched_on_updates",
    "decay_milestones",
    "patience_epochs",
)


def read_framework(
    document: Mapping[Any, Any],
    where: str,
    run: Run | None = None,
    *,
    folder: Path | None = None,
) -> FrameworkSettings:
    """The schedule a framework's config sets up, planned the framework's way.

    ``where`` starts every message (``--config args.yaml``); ``folder`` is where a path in
    the config (TrainingArguments' ``deepspeed``) is looked for first.

    Raises:
        LrplanError: for a document of no framework lrplan reads, bad values, and what the
            plan needs that neither the config nor ``run`` gives (one line, naming it).
    """
    kind = framework_of(document)
    run = run or Run()
    if kind == HF:
        from lrplan.inputs.frameworks.hf import read_training_arguments

        return read_training_arguments(document, where, run, folder=folder)
    if kind == TIMM:
        from lrplan.inputs.frameworks.timm import read_timm_args

        arguments, paths = timm_arguments(document, timm_section(document) or ())
        return read_timm_args(arguments, where, run, paths=paths)
    if kind == DEEPSPEED:
        from lrplan.inputs.frameworks.deepspeed import read_deepspeed

        return read_deepspeed(document, where, run)
    raise LrplanError(
        f"{where}: neither Hugging Face TrainingArguments (lr_scheduler_type), timm's arguments"
        " (sched) nor a DeepSpeed config (scheduler.type)"
    )


def number(value: Any, where: str, *, whole: bool = False, minimum: float | None = None) -> Any:
    """``value`` as a number (YAML may give ``1e-3`` as a string), or LrplanError."""
    import math
    import re

    if isinstance(value, str) and re.fullmatch(
        r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", value
    ):
        text = value.strip()
        value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and whole and isinstance(value, float) and value.is_integer():
        value = int(value)
    if ok and whole:
        ok = isinstance(value, int)
    if ok and isinstance(value, float) and not math.isfinite(value):
        ok = False
    if ok and minimum is not None and value < minimum:
        ok = False
    if not ok:
        kind = "a whole number" if whole else "a number"
        floor = f" of {minimum:g} or more" if minimum is not None else ""
        raise LrplanError(f"{where}: {value!r} is not valid; give {kind}{floor}")
    return value


def apply_options(
    found: FrameworkSettings,
    given: Mapping[str, Any],
    params: Mapping[str, Any] | None,
    where: str,
    naming: Mapping[str, str],
) -> FrameworkSettings:
    """``found`` with the command line's (or a SPEC's) ``params`` set over the framework's, and
    the interval's source. Options that a framework's schedule does not use (``min_lr``,
    ``warmup_epochs``, an ``interval`` other than its trainer's) are refused in one line;
    ``naming`` spells each as the reader writes it (``--min-lr``)."""
    for key in ("min_lr", "warmup_epochs", "interval"):
        if key == "interval" and given.get(key) == found.values.get("interval"):
            continue
        if key in given:
            raise LrplanError(
                f"{naming.get(key, key)} does not apply to {where}: its schedule is"
                f" {found.framework}'s own, built and stepped as it does; drop it, and give the"
                " framework's arguments in the config, or as the scheduler's params"
            )
    values = dict(found.values)
    sources = dict(found.sources)
    if params:
        values["params"] = {**values.get("params", {}), **dict(params)}
        for name in dict(params):
            sources[f"param.{name}"] = naming.get("params", "--param")
    per = "optimizer step" if values.get("interval") == "step" else "epoch"
    sources["interval"] = f"{found.framework} steps it per {per}"
    order = ["scheduler", *(key for key in sources if key.startswith("param.")), "lr", "epochs"]
    ordered = {key: sources[key] for key in order if key in sources}
    ordered.update({key: value for key, value in sources.items() if key not in ordered})
    return FrameworkSettings(found.framework, values, ordered)
