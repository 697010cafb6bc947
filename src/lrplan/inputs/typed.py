"""Stage 2 of reading a config: values typed as the framework's own parser types them.

A value is converted once, here, between parsing (:mod:`lrplan.inputs.parse`) and recognising
the dialect, from the type of what will receive it, not from the key's name:

* Hugging Face TrainingArguments: by the installed transformers' ``HfArgumentParser
  (TrainingArguments)``, each field's argparse type (``learning_rate: 1e-5``, a string to
  YAML 1.1, becomes the float the command line would give). A key the schedule depends on
  that the installed TrainingArguments does not have (transformers 5 has no ``warmup_ratio``)
  is refused in one line: HfArgumentParser refuses the file, and a Trainer that ignores it
  runs another schedule than the key says.
* timm's train.py arguments (top level or one section): train.py's argparse types
  (:data:`TIMM_TYPES`), applied as ``parser.set_defaults(**cfg); parser.parse_args()`` does:
  a string default is converted with the argument's type, anything else kept.
* A scheduler class named by ``class_path`` (Lightning CLI, jsonargparse) or ``_target_``
  (Hydra) in ``torch.optim.lr_scheduler`` (or a transformers schedule function): each
  argument converted to its parameter's type in the signature (annotation, else its
  default's type), as jsonargparse does.

Everything else is left as parsed. The document given is not changed: a copy is returned.
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Callable, Mapping
from typing import Any

from lrplan.errors import LrplanError

#: train.py's argparse ``type`` for the arguments that shape the schedule
#: (huggingface/pytorch-image-models train.py: ``--lr`` ... ``--seed``).
TIMM_TYPES: dict[str, Callable[[str], Any]] = {
    "lr": float,
    "lr_base": float,
    "lr_base_size": int,
    "lr_base_scale": str,
    "lr_noise": float,
    "lr_noise_pct": float,
    "lr_noise_std": float,
    "lr_cycle_mul": float,
    "lr_cycle_decay": float,
    "lr_cycle_limit": int,
    "lr_k_decay": float,
    "warmup_lr": float,
    "min_lr": float,
    "epochs": int,
    "epoch_repeats": float,
    "decay_milestones": int,
    "decay_epochs": float,
    "warmup_epochs": int,
    "cooldown_epochs": int,
    "patience_epochs": int,
    "decay_rate": float,
    "batch_size": int,
    "grad_accum_steps": int,
    "seed": int,
    "momentum": float,
    "weight_decay": float,
}

#: TrainingArguments' keys that shape the schedule lrplan plans from a Hugging Face config.
HF_SCHEDULE_KEYS = (
    "learning_rate",
    "lr_scheduler_type",
    "lr_scheduler_kwargs",
    "warmup_steps",
    "warmup_ratio",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "dataloader_drop_last",
)

#: What the schedule keys the installed transformers lacks meant in earlier releases, and
#: what replaces them.
HF_REPLACED = {
    "warmup_ratio": (
        "transformers 4 read it as the warm-up's share of the run; rename it warmup_steps"
        " (transformers 5 reads a warmup_steps below 1 as that share)"
    ),
}


def typed_document(document: Mapping[Any, Any], where: str) -> Mapping[Any, Any]:
    """``document`` with its values typed as its framework's parser types them (see the module
    docstring). Raises LrplanError (one line) for a value the parser refuses, and for a
    schedule key the installed transformers' TrainingArguments does not have."""
    from lrplan.inputs.frameworks import HF, TIMM, framework_of, is_axolotl, timm_section

    kind = framework_of(document)
    if kind == HF and not is_axolotl(document):
        return training_arguments_typed(document, where)
    if kind == TIMM:
        path = timm_section(document) or ()
        if len(path) > 1:
            # Flattened by the project (frameworks.timm_arguments): every leaf of the section.
            return _replaced(document, path[:1], _timm_tree(document[path[0]], where, path[:1]))
        return _replaced(document, path, timm_typed(_at(document, path), where, path))
    return classes_typed(document, where)


def _at(document: Mapping[Any, Any], path: tuple[Any, ...]) -> Mapping[Any, Any]:
    node = document
    for part in path:
        node = node[part]
    return node


def _replaced(document: Mapping[Any, Any], path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(document)
    copy[path[0]] = _replaced(document[path[0]], path[1:], value)
    return copy


def _refused(where: str, key: str, value: Any, parser: str, error: Exception) -> LrplanError:
    reason = str(error).strip() or type(error).__name__
    return LrplanError(f"{where}: {key}: {value!r} is not valid for {parser} ({reason})")


def is_placeholder(value: str) -> bool:
    """A ``${...}`` interpolation or OmegaConf's ``???``: typed once resolved, not here."""
    return "${" in value or value.strip() == "???"


def argparse_default(convert: Callable[[str], Any], value: Any) -> Any:
    """``value`` as argparse makes a default from a config: a string converted with the
    argument's ``type``, any other value kept as it is."""
    if not isinstance(value, str) or is_placeholder(value):
        return value
    converted = convert(value)
    return converted.value if isinstance(converted, enum.Enum) else converted


def timm_typed(args: Mapping[Any, Any], where: str, path: tuple[Any, ...] = ()) -> dict[Any, Any]:
    """timm's train.py arguments typed as ``parser.set_defaults(**cfg)`` then ``parse_args``
    types them (:data:`TIMM_TYPES`)."""
    typed = dict(args)
    for key, convert in TIMM_TYPES.items():
        if key in typed:
            try:
                typed[key] = argparse_default(convert, typed[key])
            except (ValueError, TypeError) as error:
                name = ".".join(str(part) for part in (*path, key))
                raise _refused(where, name, typed[key], "timm's train.py", error) from None
    return typed


def _timm_tree(node: Mapping[Any, Any], where: str, path: tuple[Any, ...]) -> dict[Any, Any]:
    typed = timm_typed(node, where, path)
    for key, value in typed.items():
        if isinstance(value, Mapping):
            typed[key] = _timm_tree(value, where, (*path, key))
    return typed


def training_arguments_typed(document: Mapping[Any, Any], where: str) -> Mapping[Any, Any]:
    """TrainingArguments' values typed by the installed transformers' HfArgumentParser (the
    document unchanged if transformers is not installed)."""
    from lrplan.optim._imports import import_torch

    try:
        import_torch()
        import transformers
        from transformers import HfArgumentParser, TrainingArguments
    except ImportError:
        return document
    parser = HfArgumentParser(TrainingArguments)
    actions = {action.dest: action for action in parser._actions}
    version = f"transformers {transformers.__version__}"
    for key in HF_SCHEDULE_KEYS:
        if key in document and key not in actions:
            meant = HF_REPLACED.get(key, "lrplan cannot say what it means")
            raise LrplanError(
                f"{where}: {key} is not an argument of TrainingArguments in the installed"
                f" {version} (HfArgumentParser refuses the file, and a Trainer that ignores"
                f" it trains without it); {meant}"
            )
    typed = dict(document)
    for key, action in actions.items():
        if key not in typed or action.type is None or typed[key] is None:
            continue
        try:
            typed[key] = argparse_default(action.type, typed[key])
        except (ValueError, TypeError, argparse.ArgumentTypeError) as error:
            parser_name = f"{version}'s TrainingArguments"
            raise _refused(where, key, typed[key], parser_name, error) from None
    return typed


#: The modules whose scheduler classes (and factory functions) are typed by their signature:
#: torch's, and transformers' ``get_*_schedule*`` functions a Hydra ``_target_`` may name.
TYPED_MODULES = ("torch.optim.lr_scheduler.", "transformers.")


def classes_typed(document: Mapping[Any, Any], where: str) -> Mapping[Any, Any]:
    """The arguments of every torch scheduler (or transformers schedule function) named by
    ``class_path`` (in ``init_args``) or ``_target_`` typed by its signature, as jsonargparse
    types them; other values kept. Imports torch only when the document names such a class."""

    def walk(node: Any, path: tuple[Any, ...]) -> Any:
        if not isinstance(node, Mapping) or len(path) > 8:
            return node
        copy = {key: walk(value, (*path, key)) for key, value in node.items()}
        name = copy.get("class_path") or copy.get("_target_")
        if isinstance(name, str) and name.startswith(TYPED_MODULES):
            if "class_path" in copy and isinstance(copy.get("init_args"), Mapping):
                init = (*path, "init_args")
                copy["init_args"] = _by_signature(name, copy["init_args"], where, init)
            elif "_target_" in copy:
                copy = _by_signature(name, copy, where, path)
        return copy

    return walk(document, ())


def _by_signature(
    name: str, arguments: Mapping[Any, Any], where: str, path: tuple[Any, ...]
) -> dict[Any, Any]:
    import importlib
    import inspect

    from lrplan.optim._imports import import_torch

    import_torch()
    module, _, attribute = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), attribute)
        parameters = inspect.signature(cls).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return dict(arguments)  # the recognise stage says what is wrong with the name
    typed = dict(arguments)
    for key, value in arguments.items():
        parameter = parameters.get(str(key))
        if parameter is None or not isinstance(value, str) or is_placeholder(value):
            continue
        kind = _scalar_type(parameter)
        if kind is None:
            continue
        try:
            typed[key] = kind(value.strip())
        except ValueError as error:
            place = ".".join(str(part) for part in (*path, key))
            raise _refused(where, place, value, f"{name}'s {key}", error) from None
    return typed


def _scalar_type(parameter: Any) -> type | None:
    """``float`` or ``int`` when the parameter takes a number only (its annotation, else its
    default's type); None when a string could be what it wants."""
    annotation = parameter.annotation
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if text in ("float", "int"):
        return float if text == "float" else int
    default = parameter.default
    if isinstance(default, bool) or annotation is not parameter.empty:
        return None
    if isinstance(default, float):
        return float
    if isinstance(default, int):
        return int
    return None
