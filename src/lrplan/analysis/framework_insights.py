"""Insights about schedules that a framework builds and steps (``hf:``, ``timm:``,
``deepspeed:``): the traps of DeepSpeed's scheduler block, read from the planned rates."""

from __future__ import annotations

from lrplan.analysis.summary import Insight, fmt_lr
from lrplan.core.planner import Schedule
from lrplan.core.registry import framework_of
from lrplan.core.values import thaw

#: DeepSpeed's schedules with a warm-up whose curve ``warmup_type`` picks (default 'log').
_DEEPSPEED_WARMUPS = ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR")


def trainer_stops_it(schedule: Schedule) -> bool:
    """True when the framework's own trainer stops at the schedule's length (Hugging Face
    Trainer at max_steps, timm's train.py at the epochs create_scheduler_v2 returns)."""
    return framework_of(schedule.config.scheduler) in ("hf", "timm")


def framework_insights(schedule: Schedule) -> list[Insight]:
    """What is worth knowing about a framework's schedule beyond its shape."""
    config = schedule.config
    if framework_of(config.scheduler) != "deepspeed":
        return []
    kind = config.scheduler.partition(":")[2]
    params = {key: thaw(value) for key, value in config.params}
    found: list[Insight] = []
    if kind in _DEEPSPEED_WARMUPS and params.get("warmup_type", "log") == "log":
        found += _log_warmup(schedule, kind, params)
    if kind in ("WarmupLR", "WarmupDecayLR"):
        default = None if kind == "WarmupLR" else 0.001
        peak = params.get("warmup_max_lr", default)
        if peak is not None and peak != config.lr:
            given = "given" if "warmup_max_lr" in params else "its default"
            found.append(
                Insight(
                    "deepspeed-warmup-max-lr",
                    "warning",
                    f"{kind} peaks at warmup_max_lr={peak!r} ({given}), not at the optimizer's"
                    f" lr={config.lr!r}: DeepSpeed sets every rate from warmup_min_lr and"
                    " warmup_max_lr and ignores the optimizer's.",
                    f'Set «param.warmup_max_lr={config.lr!r}» (or "auto" under Hugging Face'
                    " Trainer, which fills in learning_rate).",
                    (("param.warmup_max_lr", config.lr),),
                )
            )
    return found


def _log_warmup(schedule: Schedule, kind: str, params: dict[str, object]) -> list[Insight]:
    warmup = params.get("warmup_num_steps", 1000)
    if not isinstance(warmup, int) or warmup < 2:
        return []
    lrs = schedule.lrs
    # Row i trains after i steps (DeepSpeed's last_batch_iteration i - 1): the warm-up is
    # over by row warmup + 1.
    window = lrs[: warmup + 2]
    high = max(window)
    end = next(i for i, lr in enumerate(window) if lr >= high * (1 - 1e-12))
    low = lrs[0]
    if high <= low:
        return []
    half = next(i for i, lr in enumerate(lrs) if lr >= low + 0.5 * (high - low))
    ninety = next(i for i, lr in enumerate(lrs) if lr >= low + 0.9 * (high - low))
    return [
        Insight(
            "deepspeed-log-warmup",
            "note",
            f"{kind} warms up on a log curve (warmup_type='log', DeepSpeed's default): the rate"
            f" is half way to its peak at step {half} and 90% of the way at step {ninety} of"
            f" its {warmup}-step warm-up, reaching {fmt_lr(high)} at step {end}; a linear"
            f" warm-up would be half way at step {warmup // 2 + 1}.",
            "Keep it if that fast start is what you want; for a linear ramp give"
            " «param.warmup_type=linear».",
            (("param.warmup_type", "linear"),),
        )
    ]
