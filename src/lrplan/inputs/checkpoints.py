"""Read a training checkpoint for ``lrplan resume CHECKPOINT``: the scheduler's and the
optimizer's saved state, and how far the run had trained.

Three kinds are recognised:

- a Lightning ``.ckpt`` (``torch.save`` of a dict with ``lr_schedulers``, ``optimizer_states``,
  ``epoch``, ``global_step`` and the fit loop's progress under ``loops``);
- a Hugging Face Trainer ``checkpoint-N/`` folder: ``trainer_state.json`` (``global_step``,
  ``max_steps``, ``log_history``), ``scheduler.pt`` and ``optimizer.pt``;
- a plain ``torch.save`` dict with ``scheduler`` and ``optimizer`` state dicts and the
  ``epoch`` it was saved at, as in the design document's checkpoint example (saved after
  epoch E's ``scheduler.step()``, resumed at E + 1).

A checkpoint is data, never code: every file is read with ``torch.load(weights_only=True,
map_location="cpu")``, memory-mapped where torch can (``mmap=True``), so model weights and
the optimizer's moment tensors are never read into memory; only the param groups' numbers and
the scheduler's state are kept. A file that needs arbitrary objects unpickled is refused;
Hugging Face's ``training_args.bin`` (a pickled ``TrainingArguments``) is never opened, and
the report says which option gives what it holds.
"""

from __future__ import annotations

import json
import math
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplan.errors import LrplanError, first_line

LIGHTNING = "Lightning checkpoint"
HF = "Hugging Face Trainer checkpoint"
PLAIN = "torch.save checkpoint"

#: What to give instead of a file that is not a checkpoint lrplan reads.
WHAT = (
    "give a Lightning .ckpt, a Hugging Face checkpoint-N folder, or a torch.save file with"
    " 'scheduler' and 'optimizer' state dicts"
)

#: Keys of a plain checkpoint that hold the scheduler's state, in the order they are looked for.
_SCHEDULER_KEYS = ("scheduler", "lr_scheduler", "scheduler_state_dict", "lr_scheduler_state_dict")
_OPTIMIZER_KEYS = ("optimizer", "optimizer_state_dict", "optim")

_UNSAFE = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint says about the run's schedule.

    ``scheduler_state`` is the first scheduler's ``state_dict()``; ``optimizer_groups`` its
    optimizer's param groups without their parameters (``lr``, ``initial_lr``, ...).
    ``trained_epochs`` are the epochs whose training had finished, ``global_step`` the
    optimizer steps taken; ``steps_per_epoch`` the optimizer steps of one of the run's epochs,
    where the checkpoint says. ``logged`` holds the rates the run logged, as ``(row, lr)``
    with ``row`` the 0-based optimizer step that trained at ``lr``. ``skipped`` says, one
    sentence each, what was not read and why.
    """

    path: Path
    kind: str
    scheduler_state: dict[str, Any]
    optimizer_groups: tuple[dict[str, Any], ...]
    trained_epochs: int | None = None
    global_step: int | None = None
    steps_per_epoch: int | None = None
    max_steps: int | None = None
    num_train_epochs: float | None = None
    train_batch_size: int | None = None
    logged: tuple[tuple[int, float], ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def saved_lr(self) -> float | None:
        """The rate in param group 0 when the checkpoint was written: the rate the next
        epoch (or step) trains at once the optimizer's state is loaded."""
        return _number(self.optimizer_groups[0].get("lr")) if self.optimizer_groups else None

    @property
    def initial_lr(self) -> float | None:
        """Param group 0's ``initial_lr`` (the peak the scheduler was built with), else the
        scheduler's ``base_lrs[0]``."""
        if self.optimizer_groups:
            value = _number(self.optimizer_groups[0].get("initial_lr"))
            if value is not None:
                return value
        base = self.scheduler_state.get("base_lrs")
        return _number(base[0]) if isinstance(base, (list, tuple)) and base else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "trained_epochs": self.trained_epochs,
            "global_step": self.global_step,
            "steps_per_epoch": self.steps_per_epoch,
            "max_steps": self.max_steps,
            "num_train_epochs": self.num_train_epochs,
            "train_batch_size": self.train_batch_size,
            "saved_lr": self.saved_lr,
            "initial_lr": self.initial_lr,
            "scheduler_state": _plain(self.scheduler_state),
            "skipped": list(self.skipped),
        }


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint at ``path``: a file (Lightning, or a plain ``torch.save`` dict) or a
    Hugging Face ``checkpoint-N`` folder.

    Raises:
        LrplanError: one line for a path that does not exist, a file cut short, a file that
            is not a checkpoint (or holds no scheduler state), and one whose unpickling would
            run code.
    """
    if not path.exists():
        raise LrplanError(f"{path}: no such file or folder; {WHAT}")
    if path.is_dir():
        return _read_hf(path)
    loaded = load_file(path)
    if isinstance(loaded, Inert):
        raise _code_needed(path, [loaded.qualified], "")
    if not isinstance(loaded, dict):
        raise LrplanError(
            f"{path}: holds a {type(loaded).__name__}, not a dict of saved states; {WHAT}"
        )
    if "lr_schedulers" in loaded or "optimizer_states" in loaded:
        return _lightning(path, loaded)
    return _plain_dict(path, loaded)


def load_file(path: Path) -> Any:
    """``torch.load(path, weights_only=True, map_location="cpu", mmap=True)``, the mmap
    dropped for a file in torch's legacy format; every failure one LrplanError line."""
    from lrplan.optim._imports import import_torch

    import_torch()
    import torch

    try:
        if path.stat().st_size == 0:
            raise LrplanError(f"{path}: is empty; {WHAT}")
        with path.open("rb") as stream:
            start = stream.read(4)
        zipped = start == b"PK\x03\x04"
        if not zipped and not start.startswith(b"\x80"):
            # Neither torch's zip format nor its legacy pickle (which opens with a protocol).
            raise LrplanError(f"{path}: is not a file torch.save wrote; {WHAT}")
        try:
            return torch.load(path, weights_only=True, map_location="cpu", mmap=zipped)
        except pickle.UnpicklingError as error:
            if not (zipped and _UNSAFE.search(str(error))):
                raise
            first = error
        # Objects pickled by reference to code (a Lightning module's hyper_parameters holding
        # a Hydra DictConfig or a functools.partial): read again with an inert stand-in for
        # each, so that the states lrplan needs can be read without running any of that code.
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        stand_ins = [(_inert_class(name), name) for name in names]
        try:
            with torch.serialization.safe_globals(stand_ins):
                return torch.load(path, weights_only=True, map_location="cpu", mmap=True)
        except Exception:  # an object no stand-in can take the place of
            raise first from None
    except LrplanError:
        raise
    except OSError as error:
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None
    except Exception as error:  # torch's unpickler and zip reader: every failure is the file's
        raise LrplanError(f"{path}: {_why_not(error)}") from None


class Inert:
    """Stands in for an object a checkpoint pickled by reference to code (a class or function
    lrplan never imports or calls): built from nothing, it keeps nothing."""

    #: The ``module.name`` the pickle refers to.
    qualified = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Inert:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def _inert_class(name: str) -> type[Inert]:
    return type(f"Inert[{name}]", (Inert,), {"qualified": name})


def pickled_objects(value: Any) -> list[str]:
    """The ``module.name`` of every stand-in in ``value`` (dicts, lists and tuples walked)."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Inert):
            found.append(item.qualified)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return sorted(set(found))


def _code_needed(path: Path, names: list[str], where: str) -> LrplanError:
    return LrplanError(
        f"{path}: {where}holds a pickled {', '.join(names)}, which only running its code can"
        " rebuild; lrplan reads checkpoints as data (torch.load(weights_only=True)) and does"
        " not unpickle it: save the scheduler's and the optimizer's state_dict() instead of"
        " the objects"
    )


def _not_needed(loaded: dict[str, Any], used: tuple[str, ...]) -> list[str]:
    """One note per entry of ``loaded`` other than ``used`` that held pickled objects."""
    notes = []
    for key, value in loaded.items():
        if key in used:
            continue
        names = pickled_objects(value)
        if names:
            notes.append(
                f"{key}: pickled {', '.join(names)}, not rebuilt (lrplan never runs a"
                " checkpoint's code) and not needed for rates"
            )
    return notes


def _why_not(error: Exception) -> str:
    """Why torch could not load a file, in words a user acts on."""
    text = str(error)
    unsafe = _UNSAFE.search(text)
    if unsafe is not None:
        return (
            f"holds a pickled {unsafe[1]}, which only running its code can rebuild; lrplan"
            " reads checkpoints as data (torch.load(weights_only=True)) and does not unpickle"
            " it: save the scheduler's and the optimizer's state_dict() instead of the objects"
        )
    if "central directory" in text or "failed reading zip archive" in text:
        return f"is cut short or damaged (torch cannot read it as a zip archive); {WHAT}"
    if isinstance(error, EOFError) or "Ran out of input" in text:
        return f"is cut short (torch ran out of input); {WHAT}"
    if "Weights only load failed" in text or "invalid load key" in text:
        return f"is not a file torch.save wrote; {WHAT}"
    return f"cannot be loaded as a checkpoint ({type(error).__name__}: {first_line(error)}); {WHAT}"


def _lightning(path: Path, loaded: dict[str, Any]) -> Checkpoint:
    schedulers = loaded.get("lr_schedulers") or []
    optimizers = loaded.get("optimizer_states") or []
    if not schedulers:
        raise LrplanError(
            f"{path}: is a Lightning checkpoint without lr_schedulers: the run had no"
            " scheduler to resume (or it was saved with save_weights_only=True)"
        )
    if not optimizers:
        raise LrplanError(
            f"{path}: is a Lightning checkpoint without optimizer_states (saved with"
            " save_weights_only=True?): the rate a resumed run starts at is not in it"
        )
    skipped = _not_needed(loaded, ("lr_schedulers", "optimizer_states"))
    if len(schedulers) > 1:
        skipped.append(
            f"lr_schedulers[1:] ({len(schedulers) - 1} more): lrplan plans the first scheduler"
        )
    loops = _get(loaded, "loops", "fit_loop") or {}
    processed = _get(loops, "epoch_progress", "current", "processed")
    trained_epochs = _whole(processed) if processed is not None else _whole(loaded.get("epoch"))
    return Checkpoint(
        path=path,
        kind=LIGHTNING,
        scheduler_state=_state(path, schedulers[0], "lr_schedulers[0]"),
        optimizer_groups=_groups(path, optimizers[0], "optimizer_states[0]"),
        trained_epochs=trained_epochs,
        global_step=_whole(loaded.get("global_step")),
        steps_per_epoch=_lightning_steps_per_epoch(loops, trained_epochs),
        skipped=tuple(skipped),
    )


def _lightning_steps_per_epoch(loops: dict[str, Any], trained_epochs: int | None) -> int | None:
    """Optimizer steps per epoch from the fit loop's progress: the last epoch's count when it
    ended, else the steps before the current epoch over the epochs they took."""
    steps = _get(loops, "epoch_loop.automatic_optimization.optim_progress", "optimizer", "step")
    total = _whole(_get(steps, "total", "completed"))
    current = _whole(_get(steps, "current", "completed"))
    if total is None or current is None:
        return None
    if _get(loops, "epoch_loop.batch_progress", "is_last_batch") is True and current > 0:
        return current
    if trained_epochs and total - current > 0 and (total - current) % trained_epochs == 0:
        return (total - current) // trained_epochs
    return None


def _plain_dict(path: Path, loaded: dict[str, Any]) -> Checkpoint:
    scheduler_key = next((key for key in _SCHEDULER_KEYS if key in loaded), None)
    optimizer_key = next((key for key in _OPTIMIZER_KEYS if key in loaded), None)
    if scheduler_key is None:
        keys = ", ".join(sorted(str(key) for key in loaded)[:8]) or "none"
        raise LrplanError(f"{path}: holds no scheduler state (its keys: {keys}); {WHAT}")
    scheduler_state = _state(path, loaded[scheduler_key], repr(scheduler_key))
    if optimizer_key is None:
        raise LrplanError(
            f"{path}: has the scheduler's state but no 'optimizer' state dict: the rate a"
            " resumed run starts at is the optimizer's; save optimizer.state_dict() too"
        )
    skipped = _not_needed(loaded, (scheduler_key, optimizer_key))
    epoch = _whole(loaded.get("epoch"))
    step = next(
        (_whole(loaded[key]) for key in ("global_step", "step") if key in loaded),
        None,
    )
    return Checkpoint(
        path=path,
        kind=PLAIN,
        scheduler_state=scheduler_state,
        optimizer_groups=_groups(path, loaded[optimizer_key], repr(optimizer_key)),
        # Saved at the end of epoch E, after scheduler.step(): training resumes at E + 1.
        trained_epochs=epoch + 1 if epoch is not None else None,
        global_step=step,
        skipped=tuple(skipped),
    )


def _read_hf(folder: Path) -> Checkpoint:
    state_file = folder / "trainer_state.json"
    scheduler_file = folder / "scheduler.pt"
    optimizer_file = folder / "optimizer.pt"
    if not state_file.is_file():
        inside = sorted(
            (child for child in folder.glob("checkpoint-*") if child.is_dir()),
            key=lambda child: _whole_text(child.name.partition("-")[2]),
        )
        if inside:
            raise LrplanError(
                f"{folder}: is an output folder; give one of its checkpoints, e.g."
                f" {inside[-1]} (the latest, which resume_from_checkpoint=True picks)"
            )
        raise LrplanError(f"{folder}: is a folder without trainer_state.json; {WHAT}")
    for needed in (scheduler_file, optimizer_file):
        if not needed.is_file():
            raise LrplanError(
                f"{folder}: has no {needed.name}, so Trainer resumes it without the saved"
                f" {needed.stem} state; lrplan plans checkpoints written with both"
            )
    state = _trainer_state(state_file)
    optimizer = load_file(optimizer_file)
    scheduler = load_file(scheduler_file)
    global_step = _whole(state.get("global_step"))
    epoch = _number(state.get("epoch"))
    per_epoch = None
    if global_step and epoch and epoch > 0:
        ratio = global_step / epoch
        if abs(ratio - round(ratio)) < 1e-6 * max(1.0, ratio):
            per_epoch = round(ratio)
    logged = tuple(
        # Trainer logs the rate an optimizer step trained at after counting it: the entry at
        # step N is row N - 1's.
        (int(entry["step"]) - 1, float(entry["learning_rate"]))
        for entry in state.get("log_history") or ()
        if isinstance(entry, dict)
        and _whole(entry.get("step"))
        and _number(entry.get("learning_rate")) is not None
    )
    skipped = []
    if (folder / "training_args.bin").exists():
        skipped.append(
            "training_args.bin (a pickled TrainingArguments, which only running its code can"
            " rebuild): its lr_scheduler_type, warmup_steps and learning_rate come from the"
            " settings given now (--config, --scheduler hf:TYPE --param num_warmup_steps=N,"
            " --lr)"
        )
    skipped.append("model weights and the optimizer's moment tensors: not needed for rates")
    return Checkpoint(
        path=folder,
        kind=HF,
        scheduler_state=_state(scheduler_file, scheduler, "scheduler.pt"),
        optimizer_groups=_groups(optimizer_file, optimizer, "optimizer.pt"),
        trained_epochs=math.floor(epoch) if epoch is not None else None,
        global_step=global_step,
        steps_per_epoch=per_epoch,
        max_steps=_whole(state.get("max_steps")),
        num_train_epochs=_number(state.get("num_train_epochs")),
        train_batch_size=_whole(state.get("train_batch_size")),
        logged=logged,
        skipped=tuple(skipped),
    )


def _trainer_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LrplanError(
            f"{path}: is not JSON, or is cut short ({first_line(error)}); give the"
            " trainer_state.json Trainer wrote"
        ) from None
    except OSError as error:
        raise LrplanError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not isinstance(state, dict) or _whole(state.get("global_step")) is None:
        raise LrplanError(f"{path}: has no global_step; give the trainer_state.json Trainer wrote")
    return state


def _state(path: Path, value: Any, where: str) -> dict[str, Any]:
    names = pickled_objects([value])
    if names:
        raise _code_needed(path, names, f"{where} ")
    if not isinstance(value, dict) or not isinstance(value.get("last_epoch"), int):
        raise LrplanError(
            f"{path}: {where} is not an LRScheduler's state_dict() (it has no last_epoch);"
            " lrplan resumes torch LRSchedulers"
        )
    return value


def _groups(path: Path, value: Any, where: str) -> tuple[dict[str, Any], ...]:
    names = pickled_objects([value.get("param_groups") if isinstance(value, dict) else value])
    if names:
        raise _code_needed(path, names, f"{where} ")
    groups = value.get("param_groups") if isinstance(value, dict) else None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        raise LrplanError(
            f"{path}: {where} is not an optimizer's state_dict() (it has no param_groups)"
        )
    # Only the groups' numbers: the moment tensors (optimizer state) are dropped unread.
    return tuple({key: item for key, item in group.items() if key != "params"} for group in groups)


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if hasattr(value, "item") and getattr(value, "numel", lambda: 0)() == 1:
        return _whole(value.item())
    return None


def _whole_text(text: str) -> int:
    return int(text) if text.isdigit() else -1


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: tensors as numbers or lists, tuples as lists."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return repr(value)
