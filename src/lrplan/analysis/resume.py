"""Resume an interrupted run three ways (and one more), with the real scheduler, as training does.

A run is interrupted after epoch ``at - 1``: its optimizer and scheduler are saved with
``torch.save`` and read back with ``torch.load``, exactly the checkpoint a training script
writes. Then training resumes at epoch ``at``, in each of these ways:

1. ``state-dicts``: build the optimizer and the scheduler as in a fresh run, then load both
   state dicts (the design document's checkpoint example). The right way.
2. ``last-epoch``: a fresh optimizer and ``WarmupCosLR(..., last_epoch=at - 1)``, the
   design document's "set last_epoch" remark. torch raises ``KeyError`` (no ``initial_lr``).
3. ``fresh``: a fresh optimizer and scheduler, no state loaded: the warm-up starts again.
4. ``load-order``: the optimizer's state loaded *before* the scheduler is built, then the
   scheduler's state: the constructor overwrites the restored rate for one epoch.

Every rate here is read from the optimizer's param group while an epoch (or step) trains, as
:mod:`lrplan.core.planner` does; nothing recomputes the formula. Importing this module imports
torch only when :func:`simulate_resume` runs.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lrplan.analysis.summary import fmt_lr
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import Schedule, plan
from lrplan.core.rates import same_rate
from lrplan.core.registry import WARMUP_COS, WARMUP_COS_TORCH
from lrplan.errors import LrplanError, first_line

STATE_DICTS = "state-dicts"
LAST_EPOCH = "last-epoch"
FRESH = "fresh"
LOAD_ORDER = "load-order"

TITLES = {
    STATE_DICTS: "state dicts saved and loaded",
    LAST_EPOCH: "fresh scheduler with last_epoch={last_epoch}",
    FRESH: "fresh scheduler, no state loaded",
    LOAD_ORDER: "optimizer state loaded before the scheduler is built",
}


@dataclass(frozen=True)
class Scenario:
    """One way of resuming, and the learning rates training gets with it.

    ``lrs`` holds the rate of every row (epoch, or step) that trains: rows before the resume
    come from the interrupted run, the rest from the resumed one. When resuming raised,
    ``lrs`` stops at the resume and ``error`` holds torch's message.
    """

    key: str
    number: int
    title: str
    lrs: Sequence[float]
    departs_at: int | None
    error: str | None
    explanation: str

    @property
    def identical(self) -> bool:
        """True when every row trains at the uninterrupted run's rate."""
        return self.departs_at is None


@dataclass(frozen=True)
class ResumeReport:
    """The uninterrupted run and every way of resuming it at epoch ``at``."""

    config: ScheduleConfig
    at: int
    uninterrupted: Schedule
    scenarios: tuple[Scenario, ...]
    warnings: tuple[str, ...] = ()

    @property
    def at_row(self) -> int:
        """The first row of the resumed run: ``at`` in epochs, ``at × steps_per_epoch`` steps."""
        return self.at * self.config.steps_per_epoch

    def where(self, row: int) -> str:
        """``epoch 10``, or ``step 15000 (epoch 30)`` in step mode."""
        if self.config.interval == "step":
            return f"step {row} (epoch {row // self.config.steps_per_epoch})"
        return f"epoch {row}"

    def scenario(self, key: str) -> Scenario:
        (found,) = (scenario for scenario in self.scenarios if scenario.key == key)
        return found

    def schedule_of(self, scenario: Scenario) -> Schedule:
        """The rows ``scenario`` trains, as a Schedule (for plotting)."""
        return Schedule(self.config, scenario.lrs)

    def to_dict(self) -> dict[str, Any]:
        unit = self.config.unit
        return {
            "at_epoch": self.at,
            f"at_{unit}": self.at_row,
            "unit": unit,
            "uninterrupted": list(self.uninterrupted.lrs),
            "scenarios": [
                {
                    "key": scenario.key,
                    "number": scenario.number,
                    "title": scenario.title,
                    "identical": scenario.identical,
                    f"departs_at_{unit}": scenario.departs_at,
                    "departs_at_epoch": (
                        None
                        if scenario.departs_at is None
                        else scenario.departs_at // self.config.steps_per_epoch
                    ),
                    "error": scenario.error,
                    "explanation": scenario.explanation,
                    "trained": len(scenario.lrs),
                    "lrs": list(scenario.lrs),
                }
                for scenario in self.scenarios
            ],
            "code": resume_code(self.config),
            "warnings": list(self.warnings),
        }


def check_resume_epoch(config: ScheduleConfig, at: object) -> int:
    """``at`` if training can resume there (1 to ``epochs - 1``), else LrplanError naming --at."""
    last = config.epochs - 1
    if isinstance(at, bool) or not isinstance(at, int) or not 1 <= at <= last:
        if last < 1:
            raise LrplanError(
                f"invalid --at: a schedule of epochs={config.epochs} has no epoch to resume"
                " at; give --epochs 2 or more"
            )
        raise LrplanError(
            f"invalid --at: {at!r} is outside the schedule; give the epoch training resumes"
            f" at, from 1 to {last} (epochs - 1)"
        )
    return at


def simulate_resume(config: ScheduleConfig, at: int) -> ResumeReport:
    """Interrupt ``config``'s run after epoch ``at - 1`` and resume it every way; compare.

    Raises LrplanError unless ``1 <= at <= config.epochs - 1``.
    """
    check_resume_epoch(config, at)
    if config.scheduler == WARMUP_COS:
        return _simulate(config, at)
    _refuse_framework(config)
    try:
        return _simulate(config, at)
    except LrplanError:
        raise
    except Exception as error:  # the scheduler's own code, saved and loaded as training does
        raise LrplanError(
            f"{config.class_name} raised {type(error).__name__} while lrplan saved, loaded or"
            f" stepped it to resume at epoch {at}: {first_line(error)}"
        ) from None


def _refuse_framework(config: ScheduleConfig) -> None:
    """A framework's schedule is saved and resumed by its own trainer, not as an LRScheduler."""
    from lrplan.core.registry import framework_of

    framework = framework_of(config.scheduler)
    module = config.scheduler.partition(":")[0]
    if framework is None and module.split(".")[0] in ("timm", "deepspeed"):
        framework = module.split(".")[0]
    if framework is not None:
        raise LrplanError(
            f"lrplan resume shows how a torch LRScheduler is saved and resumed;"
            f" «scheduler={config.scheduler}» is resumed by {framework}'s own trainer from its"
            " checkpoint, which lrplan does not simulate: plan it with lrplan show"
        )


def _simulate(config: ScheduleConfig, at: int) -> ResumeReport:
    import torch

    from lrplan.core.planner import drive, planning_optimizer
    from lrplan.core.schedulers import build

    def make(opt: Any, last_epoch: int | None = None) -> Any:
        return build(config, opt, last_epoch, wrap=False)

    rows = config.rows
    at_row = at * config.steps_per_epoch
    uninterrupted = plan(config, beyond=0)

    def optimizer() -> Any:
        return planning_optimizer(config.lr)

    def train(opt: Any, scheduler: Any, count: int) -> list[float]:
        return list(drive(opt, scheduler, count, None))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first_optimizer = optimizer()
        first_scheduler = make(first_optimizer)
        first = train(first_optimizer, first_scheduler, at_row)
        checkpoint = _round_trip(
            torch,
            {
                "optimizer": _optimizer_state(first_optimizer),
                "scheduler": first_scheduler.state_dict(),
            },
        )

        # 1. Build both as in a fresh run, then load both states.
        resumed = optimizer()
        scheduler = make(resumed)
        _load_optimizer_state(resumed, checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        state_dicts = first + train(resumed, scheduler, rows - at_row)

        # 2. A fresh optimizer and a scheduler told where it is: torch wants initial_lr.
        error: str | None = None
        resumed = optimizer()
        try:
            scheduler = make(resumed, last_epoch=at_row - 1)
        except Exception as raised:  # torch's KeyError; a user's class may raise another
            error = f"{type(raised).__name__}: {first_line(raised)}"
            if isinstance(raised, KeyError):
                error = f"KeyError: {raised.args[0] if raised.args else raised}"
            last_epoch = first
        else:
            last_epoch = first + train(resumed, scheduler, rows - at_row)

        # 3. A fresh optimizer and scheduler, nothing loaded.
        resumed = optimizer()
        scheduler = make(resumed)
        fresh = first + train(resumed, scheduler, rows - at_row)

        # 4. The optimizer's state loaded first; the scheduler built on it, then loaded.
        resumed = optimizer()
        _load_optimizer_state(resumed, checkpoint["optimizer"])
        scheduler = make(resumed)
        scheduler.load_state_dict(checkpoint["scheduler"])
        load_order = first + train(resumed, scheduler, rows - at_row)
    messages = tuple(dict.fromkeys(str(warning.message) for warning in caught))

    reference = list(uninterrupted.lrs)
    curves = {
        STATE_DICTS: state_dicts,
        LAST_EPOCH: last_epoch,
        FRESH: fresh,
        LOAD_ORDER: load_order,
    }
    scenarios = []
    for number, (key, lrs) in enumerate(curves.items(), 1):
        departs = departs_at(reference, lrs)
        scenarios.append(
            Scenario(
                key=key,
                number=number,
                title=TITLES[key].format(last_epoch=at_row - 1),
                lrs=tuple(lrs),
                departs_at=departs,
                error=error if key == LAST_EPOCH else None,
                explanation=_explain(key, config, at_row, reference, lrs, departs, error),
            )
        )
    return ResumeReport(config, at, uninterrupted, tuple(scenarios), messages)


def departs_at(reference: Sequence[float], lrs: Sequence[float]) -> int | None:
    """The first row where ``lrs`` differs from ``reference`` or stops; None if it never does."""
    for index, (expected, got) in enumerate(zip(reference, lrs, strict=False)):
        if not same_rate(expected, got):
            return index
    return None if len(lrs) >= len(reference) else len(lrs)


def _optimizer_state(optimizer: Any) -> dict[str, Any]:
    """``optimizer.state_dict()``: torch's own code, without its wrapper that imports dynamo.

    torch wraps ``Optimizer.state_dict`` and ``load_state_dict`` in ``_disable_dynamo``, which
    imports ``torch._dynamo`` (a second or more) only to keep the compiler out; the planner's
    stand-in optimizer skips ``Optimizer.__init__`` for the same reason. The wrapped function
    is the one a training loop runs.
    """
    from torch.optim import Optimizer

    method = getattr(Optimizer.state_dict, "__wrapped__", Optimizer.state_dict)
    state: dict[str, Any] = method(optimizer)
    return state


def _load_optimizer_state(optimizer: Any, state: dict[str, Any]) -> None:
    """``optimizer.load_state_dict(state)``, unwrapped as in :func:`_optimizer_state`."""
    from torch.optim import Optimizer

    method = getattr(Optimizer.load_state_dict, "__wrapped__", Optimizer.load_state_dict)
    method(optimizer, state)


def _round_trip(torch: Any, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """``checkpoint`` written with ``torch.save`` and read back with ``torch.load``."""
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    loaded: dict[str, Any] = torch.load(buffer)
    return loaded


def _explain(
    key: str,
    config: ScheduleConfig,
    at_row: int,
    reference: Sequence[float],
    lrs: Sequence[float],
    departs: int | None,
    error: str | None,
) -> str:
    """One sentence on what happened, with the rates it happened at."""
    unit = config.unit
    where = f"{unit} {at_row}"
    got = expected = ""
    if departs is not None and departs < len(lrs):
        got, expected = fmt_lr(lrs[departs]), fmt_lr(reference[departs])
    if key == STATE_DICTS:
        if departs is None:
            return (
                "The optimizer's state dict restores each param group's lr and initial_lr,"
                " the scheduler's restores last_epoch: every epoch trains at its planned rate."
            )
        return f"Departs at {unit} {departs}: {got} instead of {expected}."
    if key == LAST_EPOCH:
        if error is not None:
            return (
                f"Training stops before {where}: a scheduler built with last_epoch >= 0"
                " reads each param group's initial_lr, which only a scheduler built with"
                " last_epoch=-1 (or a loaded optimizer state dict) puts there, and a fresh"
                " optimizer has none."
            )
        if departs is None:
            return "This torch builds it without initial_lr, and the run stays on the curve."
        return f"Departs at {unit} {departs}: {got} instead of {expected}."
    if key == FRESH:
        if departs is None:
            return "Identical to the uninterrupted run."
        warmup_cos = config.scheduler == WARMUP_COS
        again = "The warm-up starts again" if warmup_cos else "The schedule starts again"
        cut = "cosine" if warmup_cos else "schedule"
        return (
            f"{again}: {unit} {departs} trains at {got} ({unit} 0's rate)"
            f" instead of {expected}, and the last {unit} at {fmt_lr(lrs[-1])} instead of"
            f" {fmt_lr(reference[-1])}, because the restarted {cut} is cut short."
        )
    # LOAD_ORDER
    if departs is None:
        return "Identical to the uninterrupted run."
    back = next(
        (
            index
            for index in range(departs + 1, len(lrs))
            if same_rate(lrs[index], reference[index])
        ),
        None,
    )
    after = (
        f"; from {unit} {back} on it is back on the curve"
        if back is not None and back == departs + 1
        else ""
    )
    return (
        f"Building the scheduler after loading the optimizer's state overwrites the restored"
        f" rate with {unit} 0's: {unit} {departs} trains at {got} instead of {expected}"
        f"{after}. Build the scheduler first, then load both."
    )


#: What ``scheduler.load_state_dict`` also does, worth knowing on every resume.
def load_overrides_note(config: ScheduleConfig) -> str:
    """What ``scheduler.load_state_dict`` also restores, for ``config``'s scheduler."""
    if config.scheduler == WARMUP_COS:
        longer = config.epochs * 2
        return (
            "scheduler.load_state_dict restores lr, min_lr, warmup_epochs and epochs from the"
            f" checkpoint too: a run resumed with a changed config (say epochs {config.epochs}"
            f" → {longer}) silently keeps the saved schedule. To change it, set the attributes"
            f" after loading (scheduler.epochs = {longer}) and plan the new curve with"
            " lrplan show."
        )
    return (
        f"scheduler.load_state_dict restores {config.class_name}'s attributes (its arguments"
        " too) from the checkpoint: a run resumed with changed arguments silently keeps the"
        " saved schedule. To change it, set the attributes after loading and plan the new"
        " curve with lrplan show."
    )


def resume_code(config: ScheduleConfig) -> str:
    """The short, correct code for saving and restoring, with ``config``'s values.

    Two blocks separated by a blank line: saving (at the end of an epoch), and resuming.
    """
    kwargs = config.scheduler_kwargs()
    arguments = ", ".join(f"{name}={value!r}" for name, value in kwargs.items())
    build = f"scheduler = WarmupCosLR({{unit_note}}\n    optimizer, {arguments}\n)\n"
    if config.scheduler == WARMUP_COS_TORCH:
        from lrplan.core.composition import composition_code

        code = composition_code(config)
        build = "".join(f"{line}\n" for line in code.splitlines() if line and line[0] != "#")
    elif config.scheduler != WARMUP_COS:
        from lrplan.core.schedulers import call_text

        build = f"scheduler = {call_text(config)}{{unit_note}}\n"
    if config.interval == "step":
        unit_note = (
            "  # warm-up and length in optimizer steps"
            if config.scheduler == WARMUP_COS
            else "  # lengths in optimizer steps"
        )
        loop = (
            f'for epoch in range(checkpoint["epoch"] + 1, {config.epochs}):\n'
            "    for batch in loader:\n"
            "        train_step(model, optimizer, batch)  # calls optimizer.step()\n"
            "        scheduler.step()  # after every optimizer step\n"
        )
    else:
        unit_note = ""
        loop = (
            f'for epoch in range(checkpoint["epoch"] + 1, {config.epochs}):\n'
            "    train_one_epoch(model, optimizer)  # calls optimizer.step()\n"
            "    scheduler.step()  # once per epoch, after the optimizer\n"
        )
    return (
        "# Save at the end of an epoch, after scheduler.step():\n"
        "torch.save(\n"
        "    {\n"
        '        "epoch": epoch,\n'
        '        "model": model.state_dict(),\n'
        '        "optimizer": optimizer.state_dict(),\n'
        '        "scheduler": scheduler.state_dict(),\n'
        "    },\n"
        '    "checkpoint.pt",\n'
        ")\n"
        "\n"
        "# Resume: build the optimizer and the scheduler as for a fresh run, then load both.\n"
        "# (use your own optimizer here, built as for a fresh run)\n"
        f"optimizer = torch.optim.AdamW(model.parameters(), lr={config.lr!r})\n"
        f"{build.replace('{unit_note}', unit_note)}"
        'checkpoint = torch.load("checkpoint.pt")\n'
        'model.load_state_dict(checkpoint["model"])\n'
        'optimizer.load_state_dict(checkpoint["optimizer"])\n'
        'scheduler.load_state_dict(checkpoint["scheduler"])\n'
        f"{loop}"
    )


def fresh_scheduler_error(config: ScheduleConfig, last_epoch: int) -> str | None:
    """What torch raises when the scheduler is built with ``last_epoch`` on a fresh optimizer.

    ``"KeyError: param 'initial_lr' is not specified ..."`` (all lines of torch's message),
    or None when it builds (``last_epoch = -1``, or a torch that does not check).
    """
    from lrplan.core.planner import planning_optimizer
    from lrplan.core.schedulers import build

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(config, planning_optimizer(config.lr), last_epoch, wrap=False)
    except KeyError as raised:
        return f"KeyError: {raised.args[0] if raised.args else raised}"
    except Exception as raised:  # a user's class may refuse last_epoch otherwise
        return f"{type(raised).__name__}: {first_line(raised)}"
    return None
