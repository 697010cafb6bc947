"""The rest of a real run, planned from its checkpoint before it restarts.

:func:`resume_checkpoint` rebuilds the scheduler from the settings given now, loads the
checkpoint's optimizer and scheduler state into it as the trainer does
(:func:`lrplan.core.restore.restore`), and plans the rows left with
:func:`lrplan.preview` — the path the callbacks take with the trainer's own restored
scheduler, so that both agree. The rows already trained are the checkpoint's own record where
it has one (Hugging Face's ``log_history``), else the plan of the settings the checkpoint was
trained with (read from its saved state). What changed between those settings and the ones
given now is listed with what the resumed run really uses; a jump of the rate at the resume
away from the checkpoint's own curve is a warning.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lrplan.analysis.check import CheckReport
from lrplan.analysis.run import length_findings
from lrplan.analysis.summary import Insight, fmt_lr
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import Schedule
from lrplan.core.registry import WARMUP_COS, framework_of
from lrplan.errors import LrplanError
from lrplan.inputs.checkpoints import HF, Checkpoint

#: A rate after the resume that differs from the checkpoint's own curve by more than this
#: fraction of the larger of the two is a jump.
JUMP_TOLERANCE = 0.01

_CHECKPOINT_VALUE = "the checkpoint's value"

#: The name of the peak rate among the changes.
PEAK = "peak lr"


@dataclass(frozen=True)
class Change:
    """A setting that differs between the checkpoint's run and the settings given now.

    ``resumed`` is the value the resumed run really uses (``load_state_dict`` restores some);
    ``restore`` the mark that gives the checkpoint's value back (``«epochs=3»``), or "".
    """

    name: str
    checkpoint: Any
    now: Any
    resumed: Any
    restore: str = ""

    @property
    def kept(self) -> bool:
        """True when the value given now is replaced by the checkpoint's on loading."""
        return self.resumed == self.checkpoint and self.now != self.checkpoint

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "checkpoint": _plain(self.checkpoint),
            "now": _plain(self.now),
            "resumed": _plain(self.resumed),
            "kept_from_checkpoint": self.kept,
        }


@dataclass(frozen=True)
class CheckpointResume:
    """A checkpoint, the settings the run resumes with, and the rates before and after.

    ``at`` is the first row (epoch or optimizer step) the resumed run trains; ``resumed`` its
    plan from there to the end (row ``at + i`` is ``resumed.lrs[i]``). ``trained`` holds the
    rate of every row before ``at`` where it is known (None where not), ``trained_from`` says
    where they come from. ``original`` is the plan of the checkpoint's own settings, or None
    when they could not be read from it.
    """

    checkpoint: Checkpoint
    config: ScheduleConfig
    at: int
    resumed: Schedule
    trained: tuple[float | None, ...]
    trained_from: str
    original: Schedule | None
    changes: tuple[Change, ...]
    findings: tuple[Insight, ...]
    notes: tuple[str, ...]
    #: The row where the rate leaves the checkpoint's own curve (a warning), or None.
    jump_at: int | None = None

    @property
    def before(self) -> float | None:
        """The rate of the last row trained before the checkpoint."""
        return self.trained[-1] if self.trained else None

    def rate(self, row: int) -> float | None:
        """The rate row ``row`` trains at over the whole run: trained, then resumed."""
        if row < self.at:
            return self.trained[row] if 0 <= row < len(self.trained) else None
        index = row - self.at
        return self.resumed.lrs[index] if index < len(self.resumed.lrs) else None

    def original_rate(self, row: int) -> float | None:
        """The rate the checkpoint's own settings set at ``row``, if known."""
        if self.original is None or not 0 <= row < len(self.original.lrs):
            return None
        return self.original.lrs[row]

    @property
    def jump(self) -> Insight | None:
        return next((found for found in self.findings if found.code == "resume-jump"), None)

    @property
    def rows(self) -> int:
        return self.at + len(self.resumed.lrs)

    def where(self, row: int) -> str:
        unit = self.config.unit
        if unit == "step" and self.config.steps_per_epoch > 1:
            return f"step {row} (epoch {row // self.config.steps_per_epoch})"
        return f"{unit} {row}"

    def to_dict(self) -> dict[str, Any]:
        unit = self.config.unit
        return {
            "checkpoint": self.checkpoint.to_dict(),
            "unit": unit,
            f"resume_at_{unit}": self.at,
            "rows": self.rows,
            "rate_before": self.before,
            "rate_after": self.resumed.lrs[0],
            "trained_from": self.trained_from,
            "trained": list(self.trained),
            "resumed": list(self.resumed.lrs),
            "original": list(self.original.lrs) if self.original is not None else None,
            "original_config": (
                self.original.config.to_dict() if self.original is not None else None
            ),
            "changes": [change.to_dict() for change in self.changes],
            "findings": [finding.to_dict() for finding in self.findings],
            "notes": list(self.notes),
            f"jump_at_{unit}": self.jump_at,
        }


def resume_checkpoint(
    checkpoint: Checkpoint, config: ScheduleConfig, *, batch_size: int | None = None
) -> CheckpointResume:
    """Plan the rest of ``checkpoint``'s run, resumed with ``config`` (the settings given now;
    ``batch_size`` the per-device batch size, if given, to compare with the checkpoint's).

    Raises:
        LrplanError: when the settings build another scheduler than the saved one, the run
            given now ends before the checkpoint, or the scheduler cannot be planned.
    """
    from lrplan.core.preview import declared_length, preview
    from lrplan.core.restore import restore, settings_of

    if checkpoint.kind == HF and config.interval != "step":
        raise LrplanError(
            f"{checkpoint.path}: Trainer steps its scheduler after every optimizer step"
            f" (global_step={checkpoint.global_step}); give «interval=step» and the steps per"
            " epoch («steps_per_epoch», or the dataset size, batch size and devices)"
        )
    at = _resume_row(checkpoint, config)
    left = _rows_left(checkpoint, config, at)
    if left < 1:
        raise LrplanError(
            f"the run given now trains {config.rows:,} {config.unit}s and the checkpoint has"
            f" trained {at:,}: nothing is left to resume; give «epochs» above"
            f" {_epochs_for(at, config) - 1}"
        )
    scheduler, fresh = restore(config, checkpoint.scheduler_state, checkpoint.optimizer_groups)
    resumed = preview(
        scheduler,
        left,
        interval=config.interval,
        steps_per_epoch=config.steps_per_epoch,
        beyond=0,
        label=config.label,
    )
    restored = scheduler.state_dict()
    notes: list[str] = [f"skipped: {text}" for text in checkpoint.skipped]
    changes = _changes(
        checkpoint, config, settings_of(fresh), settings_of(restored), fresh, restored, batch_size
    )
    changes += _length_change(checkpoint, config, scheduler)
    original, why_not = _original(checkpoint, config, at, changes)
    if why_not:
        notes.append(why_not)
    if original is not None and checkpoint.saved_lr is not None:
        expected = original.lrs[at]
        if not math.isclose(expected, checkpoint.saved_lr, rel_tol=1e-9, abs_tol=1e-15):
            notes.append(
                f"the plan of the checkpoint's settings sets {fmt_lr(expected)} at"
                f" {config.unit} {at}, where its optimizer saved {fmt_lr(checkpoint.saved_lr)}:"
                " its own curve is not shown, and a jump is not judged"
            )
            original = None
    trained, trained_from = _trained(checkpoint, at, original)
    findings: list[Insight] = []
    jump_at, jump = _jump(config, at, resumed, original, changes)
    if jump is not None:
        findings.append(jump)
    kept = [change for change in changes if change.kept]
    for change in kept:
        findings.append(_kept_finding(config, change))
    if not kept:
        length = declared_length(scheduler)
        done = getattr(scheduler, "last_epoch", 0)
        found = length_findings(
            resumed,
            length,
            total_calls=(done if isinstance(done, int) else 0) + left,
            run_epochs=config.epochs,
        )
        findings += found
    return CheckpointResume(
        checkpoint=checkpoint,
        config=config,
        at=at,
        resumed=resumed,
        trained=trained,
        trained_from=trained_from,
        original=original,
        changes=tuple(changes),
        findings=tuple(findings),
        notes=tuple(notes),
        jump_at=jump_at,
    )


def _resume_row(checkpoint: Checkpoint, config: ScheduleConfig) -> int:
    """The first row the resumed run trains: the epochs trained (per-epoch scheduler), or
    the optimizer steps taken (per-step), as the checkpoint counts them."""
    scheduler_calls = checkpoint.scheduler_state.get("last_epoch")
    if config.interval == "epoch":
        if checkpoint.trained_epochs is not None:
            return checkpoint.trained_epochs
    elif checkpoint.global_step is not None:
        return checkpoint.global_step
    if isinstance(scheduler_calls, int) and scheduler_calls >= 0:
        return scheduler_calls
    raise LrplanError(
        f"{checkpoint.path}: says neither how many {config.unit}s were trained nor how often"
        " its scheduler was stepped"
    )


def _rows_left(checkpoint: Checkpoint, config: ScheduleConfig, at: int) -> int:
    """The rows the resumed run trains. Trainer counts its run in optimizer steps
    (``max_steps`` for the steps per epoch now); Lightning and a plain loop train the epochs
    left, each of the steps per epoch now, after a checkpoint saved at an epoch's end."""
    at_epoch_end = (
        checkpoint.trained_epochs is not None
        and checkpoint.steps_per_epoch is not None
        and at == checkpoint.trained_epochs * checkpoint.steps_per_epoch
    )
    if config.interval == "step" and checkpoint.kind != HF and at_epoch_end:
        assert checkpoint.trained_epochs is not None
        return (config.epochs - checkpoint.trained_epochs) * config.steps_per_epoch
    return config.rows - at


def _epochs_for(rows: int, config: ScheduleConfig) -> int:
    return -(-rows // config.steps_per_epoch) + 1


def _changes(
    checkpoint: Checkpoint,
    config: ScheduleConfig,
    fresh: dict[str, Any],
    restored: dict[str, Any],
    fresh_state: dict[str, Any],
    restored_state: dict[str, Any],
    batch_size: int | None,
) -> list[Change]:
    saved = _settings(checkpoint.scheduler_state)
    changes = []
    for name, now in fresh.items():
        before = saved.get(name)
        if _same(before, now):
            continue
        changes.append(
            Change(name, before, now, restored.get(name), _restore_mark(config, name, before))
        )
    peak_saved, peak_now = checkpoint.initial_lr, _first(fresh_state.get("base_lrs"))
    if peak_saved is not None and peak_now is not None and not _same(peak_saved, peak_now):
        changes.append(
            Change(
                PEAK,
                peak_saved,
                peak_now,
                _first(restored_state.get("base_lrs")),
                f"«lr={peak_saved!r}»",
            )
        )
    if (
        config.interval == "step"
        and checkpoint.steps_per_epoch is not None
        and checkpoint.steps_per_epoch != config.steps_per_epoch
    ):
        changes.append(
            Change(
                "steps per epoch",
                checkpoint.steps_per_epoch,
                config.steps_per_epoch,
                config.steps_per_epoch,
                f"«steps_per_epoch={checkpoint.steps_per_epoch}»",
            )
        )
    if (
        batch_size is not None
        and checkpoint.train_batch_size is not None
        and batch_size != checkpoint.train_batch_size
    ):
        changes.append(
            Change(
                "batch size",
                checkpoint.train_batch_size,
                batch_size,
                batch_size,
                f"«batch_size={checkpoint.train_batch_size}»",
            )
        )
    return changes


def _length_change(checkpoint: Checkpoint, config: ScheduleConfig, scheduler: Any) -> list[Change]:
    """Hugging Face's run length: ``max_steps`` in trainer_state.json against the steps the
    run given now takes (its scheduler's lambdas, not saved, are the new ones)."""
    if checkpoint.kind != HF or checkpoint.max_steps is None:
        return []
    if checkpoint.max_steps == config.rows:
        return []
    per_epoch = checkpoint.steps_per_epoch or config.steps_per_epoch
    epochs = checkpoint.max_steps / per_epoch
    if epochs == config.epochs:
        restore = ""  # the same epochs: the steps per epoch changed, and say so themselves
    elif epochs == int(epochs):
        restore = f"«epochs={int(epochs)}» (Trainer's num_train_epochs={int(epochs)})"
    else:
        restore = f"max_steps={checkpoint.max_steps} (Trainer's)"
    return [Change("max_steps", checkpoint.max_steps, config.rows, config.rows, restore)]


def _restore_mark(config: ScheduleConfig, name: str, value: Any) -> str:
    if config.scheduler == WARMUP_COS and name in ("epochs", "warmup_epochs"):
        per_epoch = config.steps_per_epoch
        if isinstance(value, int) and value % per_epoch == 0:
            return f"«{name}={value // per_epoch}»"
        return ""
    if config.scheduler == WARMUP_COS and name in ("lr", "min_lr"):
        return f"«{name}={value!r}»"
    if "." in name or "[" in name:
        return ""
    return f"«param.{name}={_plain(value)!r}»"


def _original(
    checkpoint: Checkpoint, config: ScheduleConfig, at: int, changes: Sequence[Change]
) -> tuple[Schedule | None, str]:
    """The plan of the settings the checkpoint was trained with, over at least ``at + 2``
    rows; or None and why."""
    from lrplan.core.planner import plan
    from lrplan.core.schedulers import constructor_kwargs

    lr = checkpoint.initial_lr
    if lr is None:
        return None, "the checkpoint holds no initial_lr: its own curve is not shown"
    per_epoch = config.steps_per_epoch
    if checkpoint.steps_per_epoch is not None and config.interval == "step":
        per_epoch = checkpoint.steps_per_epoch
    epochs = max(config.epochs, -(-(at + 2) // per_epoch))
    values: dict[str, Any] = {"lr": lr, "steps_per_epoch": per_epoch, "max_steps": None}
    saved = _settings(checkpoint.scheduler_state)
    if config.scheduler == WARMUP_COS:
        for name in ("lr", "min_lr"):
            if name in saved:
                values[name] = saved[name]
        for name in ("warmup_epochs", "epochs"):
            value = saved.get(name)
            if not isinstance(value, int) or value % per_epoch:
                return None, (
                    f"the checkpoint's {name}={value!r} is not a whole number of epochs of"
                    f" {per_epoch} steps: its own curve is not shown"
                )
            values[name] = value // per_epoch
    else:
        params = dict(config.params)
        for name in constructor_kwargs(config):
            if name in saved and not isinstance(saved[name], dict):
                params[name] = _plain(saved[name])
        if framework_of(config.scheduler) == "hf" and checkpoint.max_steps is not None:
            params["num_training_steps"] = checkpoint.max_steps
            epochs = max(epochs, -(-checkpoint.max_steps // per_epoch))
        values["params"] = tuple(params.items())
        values["epochs"] = epochs
    if config.interval == "epoch":
        values["steps_per_epoch"] = 1
    length = None
    if framework_of(config.scheduler) == "hf":
        length = checkpoint.max_steps
    elif config.scheduler == WARMUP_COS:
        length = saved.get("epochs")
    try:
        original = config.replace(**values)
        if original.rows < at + 2:
            original = original.replace(epochs=epochs)
        planned = plan(original, beyond=0)
        if isinstance(length, int) and at + 2 <= length < len(planned.lrs):
            # The checkpoint's run ends there; planned further only to reach the resume.
            planned = dataclasses.replace(planned, lrs=planned.lrs[:length])
        return planned, ""
    except LrplanError as error:
        return None, f"the checkpoint's own curve could not be planned: {error}"


def _trained(
    checkpoint: Checkpoint, at: int, original: Schedule | None
) -> tuple[tuple[float | None, ...], str]:
    """The rate of every row before ``at``: logged where the run logged it, else planned."""
    rates: list[float | None] = list(original.lrs[:at]) if original is not None else [None] * at
    logged = [(row, lr) for row, lr in checkpoint.logged if 0 <= row < at]
    for row, lr in logged:
        rates[row] = lr
    if logged:
        source = "log_history" + (", the plan of its settings between" if original else "")
    elif original is not None:
        source = "the plan of the checkpoint's settings"
    else:
        source = "unknown"
    return tuple(rates), source


def _jump(
    config: ScheduleConfig,
    at: int,
    resumed: Schedule,
    original: Schedule | None,
    changes: Sequence[Change],
) -> tuple[int | None, Insight | None]:
    """The row where the first rows after the resume leave the checkpoint's own curve, and a
    warning that says so; (None, None) when they stay on it."""
    if original is None:
        return None, None
    unit = config.unit
    for offset in range(min(2, len(resumed.lrs))):
        row = at + offset
        if row >= len(original.lrs):
            break
        expected, got = original.lrs[row], resumed.lrs[offset]
        scale = max(abs(expected), abs(got))
        if scale == 0 or abs(got - expected) <= JUMP_TOLERANCE * scale:
            continue
        previous = resumed.lrs[offset - 1] if offset >= 1 else original.lrs[row - 1]
        before = f" after {fmt_lr(previous)} at {unit} {row - 1}" if row >= 1 else ""
        causes = [change for change in changes if not change.kept]
        said = [
            f"{change.name} changed {show_value(change.checkpoint)} → {show_value(change.now)}"
            for change in causes
        ]
        why = f", because {', '.join(said)}" if said else ""
        marks = " ".join(change.restore for change in causes if change.restore)
        fix = (
            f"Resume with {marks}, the checkpoint's, to continue its curve, or keep the jump if"
            " the new settings are what you intend."
            if marks
            else "Resume with the settings the checkpoint was trained with to continue its"
            " curve, or keep the jump if the change is what you intend."
        )
        return row, Insight(
            "resume-jump",
            "warning",
            f"The rate jumps at the resume: {unit} {row} trains at {fmt_lr(got)}{before},"
            f" where the checkpoint's own curve is at {fmt_lr(expected)}{why}.",
            fix,
        )
    return None, None


def _kept_finding(config: ScheduleConfig, change: Change) -> Insight:
    saved, now = show_value(change.checkpoint), show_value(change.now)
    if change.name == PEAK:
        what = f"the peak base_lrs={saved} (and each param group's initial_lr)"
        given = f"the lr={now}"
        fix = (
            f"Set scheduler.base_lrs and each param group's initial_lr to {now} after the"
            " checkpoint is loaded to change it"
        )
    else:
        what, given = f"{change.name}={saved}", f"the {change.name}={now}"
        fix = f"Set scheduler.{change.name} = {now} after the checkpoint is loaded to change it"
    return Insight(
        "resume-keeps-checkpoint",
        "warning",
        f"scheduler.load_state_dict restores {what} from the checkpoint over {given} given"
        " now: the resumed run follows the checkpoint's schedule, not the new one.",
        f"{fix}, or resume with {change.restore or _CHECKPOINT_VALUE} to keep the saved"
        " schedule knowingly.",
    )


def _settings(state: dict[str, Any]) -> dict[str, Any]:
    from lrplan.core.restore import settings_of

    return settings_of(state)


def _first(value: Any) -> float | None:
    if isinstance(value, (list, tuple)) and value:
        try:
            return float(value[0])
        except (TypeError, ValueError):
            return None
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0) or a == b
    return _plain(a) == _plain(b)


def show_value(value: Any) -> str:
    """A setting's value as the report shows it: rates in lrplan's format."""
    if isinstance(value, float):
        return fmt_lr(value) if abs(value) < 1 else f"{value:g}"
    return str(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def with_resume_findings(report: CheckReport, resumed: CheckpointResume) -> CheckReport:
    """``lrplan check``'s report with the findings of resuming from a checkpoint added."""
    findings = list(report.findings) + list(resumed.findings)
    counts = dict(report.counts)
    for finding in resumed.findings:
        counts[finding.level] = counts.get(finding.level, 0) + 1
    return dataclasses.replace(report, findings=findings, counts=counts)
