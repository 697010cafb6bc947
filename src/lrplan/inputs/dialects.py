"""The scheduler a training config names, in the dialects real projects write it, or why not.

* Lightning CLI: ``lr_scheduler`` / ``scheduler`` with ``class_path`` and ``init_args``, at the
  top level or nested (``model.init_args.lr_scheduler_init``).
* Hydra: ``_target_`` (also with ``_partial_: true``), in a scheduler section or as the whole
  document of a scheduler group file.
* torchtune: ``_component_``; the recipe steps the scheduler once per optimizer step and fills
  ``num_training_steps`` itself.
* A name with a kwargs mapping: ``lr_scheduler: MultiStepLR`` and ``lr_scheduler_kwargs`` (or
  ``_params``), or prefixed keys (``lr_scheduler_name``, ``lr_scheduler_T_0``, ...); or the
  name and its kwargs side by side in a scheduler section, TorchDrug's ``scheduler: {class:
  StepLR, step_size: 50}`` (``core.Configurable.load_config_dict`` builds ``class`` with the
  other keys as keyword arguments).

:func:`refusal` recognizes what lrplan cannot plan (fairseq, NeMo, Composer, Ultralytics,
detectron2, LAVIS's ``run.lr_sched``, and for now Hugging Face TrainingArguments, timm's args
and DeepSpeed) and says so in one line. Torch-free: this works on the parsed document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

LIGHTNING = "Lightning CLI class_path"
HYDRA = "Hydra _target_"
TORCHTUNE = "torchtune _component_"
NAME_KWARGS = "name + kwargs"

#: The key naming the class in each dialect (TorchDrug's ``class``: a name with its kwargs
#: beside it, read only in a section under a scheduler's key).
CLASS_KEYS = {
    "class_path": LIGHTNING,
    "_target_": HYDRA,
    "_component_": TORCHTUNE,
    "class": NAME_KWARGS,
}

#: Keys of a scheduler's section that are not constructor arguments.
NOT_ARGUMENTS = frozenset({"_partial_", "_recursive_", "_convert_", "_args_", "dict_kwargs"})

#: Constructor arguments the training code fills itself in the torchtune recipes.
TORCHTUNE_FILLED = ("num_training_steps",)

#: Torch's scheduler classes by name, for a name given without a module.
TORCH_SCHEDULERS = "torch.optim.lr_scheduler"

#: What Hugging Face's ``lr_scheduler_type`` accepts (transformers' SchedulerType).
HF_TYPES = frozenset(
    {
        "linear",
        "cosine",
        "cosine_with_restarts",
        "polynomial",
        "constant",
        "constant_with_warmup",
        "inverse_sqrt",
        "reduce_lr_on_plateau",
        "cosine_with_min_lr",
        "cosine_warmup_with_min_lr",
        "warmup_stable_decay",
    }
)

#: Keys of a training loop's own arguments that TrainingArguments spells otherwise (its
#: counterpart beside each): the arguments of Hugging Face's Accelerate example scripts
#: (``run_clm_no_trainer.py``) and the loops built from them (open-instruct's finetune.py).
#: Trainer never reads them, so a file holding one beside ``lr_scheduler_type`` belongs to a
#: project's own argument class, whose code builds and counts the schedule its own way.
OWN_LOOP_KEYS = {
    "with_tracking": "report_to",
    "checkpointing_steps": "save_steps",
    "max_train_steps": "max_steps",
    "num_warmup_steps": "warmup_steps",
}


def own_loop_keys(document: Mapping[Any, Any]) -> list[str]:
    """The keys of :data:`OWN_LOOP_KEYS` the document holds at its top level."""
    return [key for key in OWN_LOOP_KEYS if key in document]


#: Why a framework's config is refused here: lrplan plans it from the whole file
#: (:mod:`lrplan.inputs.frameworks`), not from a section of it.
NOT_YET = (
    "lrplan plans it from a whole file of the framework's own arguments, not from a section of it"
)

Path_ = tuple[Any, ...]

#: A key that holds the learning-rate scheduler: ``scheduler``, ``sched``, or one naming both
#: lr and a schedule (``lr_scheduler``, ``lr_scheduler_init``); not ``data_augmentation_scheduler``.
_SCHEDULER_KEY = re.compile(r"^(schedulers?|sched)$|lr.*sched|sched.*lr", re.IGNORECASE)
_SCHEDULER_NAME = re.compile(r"(LR|Scheduler|[Ss]chedule\w*|Annealing\w*)$")


@dataclass(frozen=True)
class NamedScheduler:
    """A scheduler a config names, with its arguments as written (raw, not resolved).

    ``name`` is a dotted path or ``module:attribute`` (a bare torch class name is made
    ``torch.optim.lr_scheduler.NAME``); ``source`` the key path that names it; ``arguments``
    maps each argument to the key path that holds it.
    """

    name: str
    source: str
    dialect: str
    arguments: dict[str, Path_] = field(default_factory=dict)
    interval: Path_ | None = None
    #: The arguments the training code fills (torchtune's num_training_steps).
    filled_by_code: tuple[str, ...] = ()


def dotted(path: Path_) -> str:
    return ".".join(str(part) for part in path) if path else "(top level)"


def _walk(node: Any, path: Path_ = (), depth: int = 6) -> Iterator[tuple[Path_, Mapping[Any, Any]]]:
    """Every mapping in ``node`` with its path, the top level first."""
    if not isinstance(node, Mapping) or len(path) > depth:
        return
    yield path, node
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _walk(value, (*path, key), depth)


def _class_key(node: Mapping[Any, Any]) -> str | None:
    for key in CLASS_KEYS:
        if isinstance(node.get(key), str):
            return key
    return None


def _looks_like_scheduler(name: str) -> bool:
    attribute = name.replace(":", ".").rpartition(".")[2]
    return "lr_scheduler" in name or bool(_SCHEDULER_NAME.search(attribute))


def _arguments(node: Mapping[Any, Any], path: Path_, class_key: str) -> dict[str, Path_]:
    if class_key == "class_path":
        init = node.get("init_args")
        if not isinstance(init, Mapping):
            return {}
        return {str(key): (*path, "init_args", key) for key in init}
    return {
        str(key): (*path, key)
        for key, value in node.items()
        if key != class_key
        and key not in NOT_ARGUMENTS
        and isinstance(key, str)
        # A group file's other top-level sections (a --set trainer.max_epochs=...) are not
        # its scheduler's arguments.
        and not (not path and isinstance(value, Mapping))
    }


def _interval(document: Mapping[Any, Any], path: Path_) -> Path_ | None:
    """Lightning's ``interval`` beside the scheduler: in its parent, or a sibling section."""
    parent_path = path[:-1]
    parent = document
    for part in parent_path:
        parent = parent[part]
    if not path:
        return None
    if "interval" in parent and not isinstance(parent["interval"], Mapping):
        return (*parent_path, "interval")
    for key, value in parent.items():
        if (
            isinstance(value, Mapping)
            and key != path[-1]
            and "interval" in value
            and not isinstance(value["interval"], Mapping)
        ):
            return (*parent_path, key, "interval")
    return None


def is_warmup_cos(name: str) -> bool:
    """True for a WarmupCosLR class (PLUTO's copy, lrplan's own): lrplan plans the one it ships."""
    return name.replace(":", ".").rpartition(".")[2] == "WarmupCosLR"


def find_scheduler(document: Mapping[Any, Any]) -> NamedScheduler | None:
    """The scheduler the config names in one of the dialects, or None."""
    found: list[NamedScheduler] = []
    for path, node in _walk(document):
        class_key = _class_key(node)
        if class_key is None:
            continue
        name = node[class_key]
        under_scheduler_key = bool(path) and bool(_SCHEDULER_KEY.search(str(path[-1])))
        top_level = not path and _looks_like_scheduler(name) and class_key != "class"
        if not under_scheduler_key and not top_level:
            continue
        dialect = CLASS_KEYS[class_key]
        if class_key == "class" and "." not in name and ":" not in name:
            # TorchDrug registers torch's schedulers under their class names.
            name = f"{TORCH_SCHEDULERS}.{name}"
        elif class_key == "class_path" and _is_torch_scheduler(name):
            # jsonargparse (LightningCLI) resolves a bare class name among the loaded
            # subclasses of the LR scheduler types (resolve_class_path_by_name): torch's own.
            name = f"{TORCH_SCHEDULERS}.{name}"
        found.append(
            NamedScheduler(
                name,
                dotted((*path, class_key)),
                dialect,
                _arguments(node, path, class_key),
                _interval(document, path),
                TORCHTUNE_FILLED if class_key == "_component_" else (),
            )
        )
    if found:
        return found[0]
    return _name_kwargs(document)


def _name_kwargs(document: Mapping[Any, Any]) -> NamedScheduler | None:
    """``lr_scheduler: NAME`` with ``lr_scheduler_params`` (``_kwargs``), or prefixed keys, in
    any section (rl4co's ``model: {lr_scheduler: MultiStepLR, lr_scheduler_kwargs: ...}``),
    the top level first; ``lr_scheduler_interval`` beside it is its interval."""
    for path, node in _walk(document):
        found = _name_kwargs_in(node, path)
        if found is not None:
            return found
    return None


def _name_kwargs_in(node: Mapping[Any, Any], path: Path_) -> NamedScheduler | None:
    for key in ("lr_scheduler", "lr_scheduler_name", "scheduler_name"):
        name = node.get(key)
        if not isinstance(name, str) or not _is_class_name(name):
            continue
        stem = key.removesuffix("_name")
        arguments: dict[str, Path_] = {}
        for suffix in ("_params", "_kwargs", "_args"):
            section = node.get(stem + suffix)
            if isinstance(section, Mapping):
                arguments = {str(arg): (*path, stem + suffix, arg) for arg in section}
                break
        interval = None
        if key.endswith("_name"):
            prefix = stem + "_"
            arguments.update(
                {
                    str(other).removeprefix(prefix): (*path, other)
                    for other in node
                    if isinstance(other, str) and other.startswith(prefix) and other != key
                }
            )
        elif isinstance(node.get(f"{stem}_interval"), str):
            interval = (*path, f"{stem}_interval")
        full = name if "." in name or ":" in name else f"{TORCH_SCHEDULERS}.{name}"
        return NamedScheduler(full, dotted((*path, key)), NAME_KWARGS, arguments, interval)
    return None


def _is_torch_scheduler(name: str) -> bool:
    """``name`` is a bare class name (no module) of one of torch's LR schedulers: the classes
    jsonargparse finds a bare ``class_path`` among for LightningCLI's lr_scheduler types
    (subclasses of ``LRScheduler`` and ``ReduceLROnPlateau``)."""
    if not name.isidentifier():
        return False
    try:
        from lrplan.optim._imports import import_torch

        import_torch()
        from torch.optim import lr_scheduler
    except ImportError:
        return False
    found = getattr(lr_scheduler, name, None)
    bases = (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)
    return (
        isinstance(found, type)
        and issubclass(found, bases)
        and found.__module__ == lr_scheduler.__name__
    )


def _is_class_name(name: str) -> bool:
    """A scheduler's class (``MultiStepLR``) or import path, not a registry key (``cosine``)."""
    attribute = name.replace(":", ".").rpartition(".")[2]
    return (bool(attribute) and attribute[0].isupper()) or "." in name or ":" in name


#: A key naming a scheduler section's entry in the project's own registry of names (S4's and
#: Safari's ``_name_: cosine``, looked up in their ``src/utils/registry.py``), not an argument.
REGISTRY_NAME_KEYS = ("_name_",)


#: LightningCLI's subcommand whose section of a config holds the training run's settings
#: (``python main.py fit --config cfg.yaml`` also reads a file whose top level is ``fit:``).
CLI_SUBCOMMANDS = ("fit",)


def _scheduler_sections(document: Mapping[Any, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """The ``lr_scheduler`` / ``scheduler`` sections a config may hold, each with its key path:
    at the top level, or under LightningCLI's ``fit`` subcommand."""
    bases: list[tuple[tuple[str, ...], Mapping[Any, Any]]] = [((), document)]
    for command in CLI_SUBCOMMANDS:
        node = document.get(command)
        if isinstance(node, Mapping):
            bases.append(((command,), node))
    return [
        ((*base, key), section.get(key))
        for base, section in bases
        for key in ("lr_scheduler", "scheduler")
    ]


def classless_section(document: Mapping[Any, Any]) -> tuple[str, dict[str, Path_]] | None:
    """A ``lr_scheduler`` section of arguments without a class (Lightning CLI's
    ``add_lr_scheduler_args`` fixes the class in code), at the top level or under ``fit``: its
    key and arguments (not a registry name, :data:`REGISTRY_NAME_KEYS`, which the class named
    on the command line replaces)."""
    for path, node in _scheduler_sections(document):
        if isinstance(node, Mapping) and node and _class_key(node) is None:
            key = ".".join(path)
            if "init_args" in node and isinstance(node["init_args"], Mapping):
                return f"{key}.init_args", {
                    str(arg): (*path, "init_args", arg) for arg in node["init_args"]
                }
            return key, {
                str(arg): (*path, arg)
                for arg in node
                if isinstance(arg, str) and arg not in REGISTRY_NAME_KEYS
            }
    return None


def refusal(document: Mapping[Any, Any], keys_of_warmup_cos: frozenset[str]) -> str | None:
    """Why lrplan cannot plan the scheduler this config sets up, in one line; None if it can.

    ``keys_of_warmup_cos`` are the keys a ``scheduler`` section may hold for WarmupCosLR.
    """
    for check in _CHECKS:
        reason = check(document, keys_of_warmup_cos)
        if reason is not None:
            return reason
    return None


def _fairseq(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    section = document.get("lr_scheduler")
    if isinstance(section, Mapping) and isinstance(section.get("_name"), str):
        return (
            f"lr_scheduler._name: {section['_name']} is fairseq's own scheduler (registered by"
            " name in fairseq, not a torch scheduler class), which lrplan cannot plan"
        )
    return None


def _nemo(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    for path, node in _walk(document):
        if path and path[-1] == "optim" and isinstance(node.get("sched"), Mapping):
            name = node["sched"].get("name", "?")
            return (
                f"{dotted((*path, 'sched', 'name'))}: {name} is a scheduler of NeMo's own"
                " registry (optim.sched), which lrplan cannot plan"
            )
    return None


def _composer(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    for key in ("scheduler", "schedulers"):
        node = document.get(key)
        items = node if isinstance(node, list) else [node]
        for item in items:
            if (
                isinstance(item, Mapping)
                and isinstance(item.get("name"), str)
                and _class_key(item) is None
            ):
                return (
                    f"{key}.name: {item['name']} is a Composer scheduler (its lengths are"
                    " Composer Time strings such as 100ba), which lrplan cannot plan"
                )
    return None


def _ultralytics(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    if "lr0" in document and "lrf" in document:
        return (
            "lr0 and lrf set Ultralytics' own schedule (its trainer's LambdaLR and warm-up"
            " logic), which lrplan cannot plan"
        )
    return None


def _detectron2(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    solver = document.get("SOLVER")
    if isinstance(solver, Mapping):
        return (
            "SOLVER sets detectron2's own schedule (SOLVER.LR_SCHEDULER_NAME, default"
            " WarmupMultiStepLR), which lrplan cannot plan"
        )
    return None


def _own_training_loop(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    key, kind = "lr_scheduler_type", document.get("lr_scheduler_type")
    named = document.get("lr_scheduler")
    if kind is None and isinstance(named, str) and named.lower() in HF_TYPES:
        key, kind = "lr_scheduler", named
    keys = own_loop_keys(document)
    if kind is None or not keys:
        return None
    beside = ", ".join(f"{key} (TrainingArguments: {OWN_LOOP_KEYS[key]})" for key in keys)
    name = f"hf:{kind}" if isinstance(kind, str) and kind in HF_TYPES else "NAME"
    return (
        f"{key}: {kind} sits beside {beside}: a training loop's own arguments"
        " (as Accelerate scripts write them), not Trainer's, so that loop's code decides how"
        " its steps and warm-up are counted, which lrplan cannot read from the file; plan it"
        f" with --scheduler {name} --param num_warmup_steps=N --interval step"
        " --steps-per-epoch N --epochs N"
    )


def _huggingface(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    kind = document.get("lr_scheduler_type")
    key = "lr_scheduler_type"
    named = document.get("lr_scheduler")
    if kind is None and isinstance(named, str) and named.lower() in HF_TYPES:
        kind, key = named, "lr_scheduler"
    if kind is None:
        return None
    return f"{key}: {kind} is a Hugging Face Trainer schedule (TrainingArguments), and {NOT_YET}"


def _timm(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    if isinstance(document.get("sched"), str):
        return f"sched: {document['sched']} is a timm scheduler (timm's train args), and {NOT_YET}"
    return None


def _deepspeed(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    node = document.get("scheduler")
    if isinstance(node, Mapping) and isinstance(node.get("type"), str) and _class_key(node) is None:
        return f"scheduler.type: {node['type']} is a DeepSpeed scheduler block, and {NOT_YET}"
    return None


def _lavis(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    run = document.get("run")
    if isinstance(run, Mapping) and isinstance(run.get("lr_sched"), str):
        return (
            f"run.lr_sched: {run['lr_sched']} is a scheduler of LAVIS's registry (BLIP-2,"
            " MiniGPT-4: stepped with step(cur_epoch, cur_step)), which lrplan cannot plan"
        )
    return None


def _hydra_override(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    defaults = document.get("defaults")
    if not isinstance(defaults, list):
        return None
    for item in defaults:
        if not isinstance(item, Mapping):
            continue
        for key, value in item.items():
            group = str(key).removeprefix("override").strip().lstrip("/")
            if _SCHEDULER_KEY.search(group) and value is not None and isinstance(value, str):
                return (
                    f"defaults: {key}: {value} picks the scheduler from Hydra's {group} group,"
                    " a file lrplan cannot see; give the composed config Hydra saves as"
                    " .hydra/config.yaml, or name the class with --scheduler"
                )
    return None


def _registry_name(document: Mapping[Any, Any], _: frozenset[str]) -> str | None:
    for key in ("scheduler", "lr_scheduler"):
        node = document.get(key)
        if not isinstance(node, Mapping) or _class_key(node) is not None:
            continue
        for name_key in REGISTRY_NAME_KEYS:
            if isinstance(node.get(name_key), str):
                others = [str(arg) for arg in node if arg not in REGISTRY_NAME_KEYS]
                shown = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
                return (
                    f"{key}.{name_key}: {node[name_key]} names an entry of the project's own"
                    f" registry of schedulers (as S4's src/utils/registry.py), which lrplan"
                    f" cannot read; name the class it stands for with --scheduler (then"
                    f" {name_key} is dropped"
                    + (f" and {shown} are its arguments)" if others else ")")
                )
    return None


def _foreign_section(document: Mapping[Any, Any], keys_of_warmup_cos: frozenset[str]) -> str | None:
    for path, node in _scheduler_sections(document):
        key = ".".join(path)
        if not isinstance(node, Mapping) or _class_key(node) is not None:
            continue
        if "init_args" in node:
            continue
        foreign = [str(name) for name in node if str(name) not in keys_of_warmup_cos]
        if foreign:
            shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
            return (
                f"{key} holds {shown}, which are not WarmupCosLR's keys, and names no class"
                f" (no class_path, _target_ or _component_); name the class with --scheduler"
                " (its arguments are then read from this section)"
            )
    return None


_CHECKS: tuple[Callable[[Mapping[Any, Any], frozenset[str]], str | None], ...] = (
    _fairseq,
    _nemo,
    _composer,
    _ultralytics,
    _detectron2,
    _own_training_loop,
    _huggingface,
    _timm,
    _deepspeed,
    _lavis,
    _hydra_override,
    _registry_name,
    _foreign_section,
)
