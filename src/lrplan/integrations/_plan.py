"""What every callback does with a run's scheduler: preview it over the run, find what is
wrong, log it, write it, and stop the run under ``strict=True``.

Framework-free: each callback passes the numbers its trainer knows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrplan.analysis.insights import insights
from lrplan.analysis.run import blocking, length_findings
from lrplan.analysis.summary import Insight, Summary, summarize
from lrplan.core.config import Interval
from lrplan.core.planner import Schedule
from lrplan.core.preview import declared_length, describe_live, preview, unwrapped
from lrplan.core.schedulers import call_text
from lrplan.errors import LrplanError
from lrplan.output.report import plan_lines

#: Insights about the scheduler lrplan builds from settings; the live scheduler is the training
#: code's own, so they say nothing here.
_BUILT: tuple[str, ...] = ("interval-step-units",)


@dataclass(frozen=True)
class RunPlan:
    """The plan of one scheduler of a run: the schedule (None when it could not be planned),
    its summary, what lrplan found, and the lines it logged."""

    name: str
    schedule: Schedule | None
    summary: Summary | None
    found: tuple[Insight, ...]
    lines: tuple[str, ...]


def plan_run(
    scheduler: Any,
    *,
    calls: int,
    interval: Interval,
    steps_per_epoch: int,
    run_epochs: int | None,
    how: str,
    label: str = "",
) -> RunPlan:
    """Preview ``scheduler`` for the ``calls`` rates the run will train with from now on (the
    current one, then one per call of ``step()`` before the run's last optimizer step).

    ``how`` says how the trainer steps it (``every step``), for the first line logged.
    """
    live = unwrapped(scheduler)
    name = scheduler_text(live)
    done = getattr(live, "last_epoch", 0)
    start = f", resumed at its step {done}" if isinstance(done, int) and done > 0 else ""
    title = f"lrplan: {name}, stepped {how}: {calls:,} rates planned to the end of the run{start}"
    total = (done if isinstance(done, int) and done > 0 else 0) + calls
    length = declared_length(live)
    try:
        schedule = preview(
            live, calls, interval=interval, steps_per_epoch=steps_per_epoch, label=label
        )
    except LrplanError as error:
        fix = (
            f"Build it with «{length[0]}={total}» (the calls of step() this run makes)."
            if length is not None
            else "Check its arguments against the length of the run."
        )
        failed = Insight(
            "not-planned",
            "warning",
            f"{type(live).__name__} cannot be planned for this run: {str(error).rstrip('.')}.",
            fix,
        )
        return RunPlan(
            name, None, None, (failed,), (title, f"  warning: {failed.message} {failed.fix}")
        )
    summary = summarize(schedule)
    # What the run's own numbers say first: the most direct cause, and what strict stops on.
    found = length_findings(
        schedule, length, total_calls=total, run_epochs=run_epochs, maker=factory_name(live)
    )
    # A wrong length is the cause of a rise again: say it once, with the run's numbers.
    dropped: tuple[str, ...] = _BUILT + (("rises-again",) if found else ())
    if total > calls:  # resumed: the warm-up, if any, is behind it
        dropped += ("starts-at-peak",)
    found += [insight for insight in insights(schedule, summary) if insight.code not in dropped]
    return RunPlan(
        name, schedule, summary, tuple(found), tuple(plan_lines(title, schedule, summary, found))
    )


def unplanned(title: str, reason: str) -> RunPlan:
    """A scheduler lrplan does not plan (it follows a metric, or the run has no end)."""
    found = (Insight("not-planned", "note", reason, "Nothing to fix; lrplan cannot plan it."),)
    return RunPlan(title, None, None, found, (f"lrplan: {title}: {reason}",))


def scheduler_text(live: Any) -> str:
    """How the log names the scheduler: its call as lrplan describes it, or the factory a
    ``LambdaLR`` was made by (transformers' schedules)."""
    factory = factory_name(live)
    if factory is not None:
        keywords = live.lr_lambdas[0].keywords.items()
        arguments = ", ".join(f"{key}={value!r}" for key, value in keywords)
        return f"{type(live).__name__}({factory}: {arguments})"
    try:
        return call_text(describe_live(live, 1, "step", 1))
    except LrplanError:
        return type(live).__name__


def factory_name(live: Any) -> str | None:
    """The function a ``LambdaLR`` was made by, from its ``functools.partial`` (transformers'
    ``get_cosine_schedule_with_warmup``), or None."""
    lambdas = getattr(live, "lr_lambdas", None) or ()
    if not (lambdas and isinstance(lambdas[0], functools.partial)):
        return None
    name = getattr(lambdas[0].func, "__name__", "")
    return name.strip("_").removesuffix("_lr_lambda") or None


def write_plan(
    plan: RunPlan, csv: str | Path | None, png: str | Path | None, index: int
) -> list[Path]:
    """Write the plan's CSV (``lrplan show --csv``'s columns) and plot; the scheduler at
    ``index`` > 0 of a run gets ``NAME-index.SUFFIX``. Returns the paths written."""
    if plan.schedule is None:
        return []
    from lrplan.output.export import schedule_csv, write_text

    written = []
    if csv is not None:
        path = numbered(Path(csv), index)
        write_text("csv", path, schedule_csv(plan.schedule))
        written.append(path)
    if png is not None:
        from lrplan.output.plot import save_plot

        path = numbered(Path(png), index)
        summaries = [plan.summary] if plan.summary is not None else None
        save_plot(path, [(plan.name, plan.schedule)], option="png", summaries=summaries)
        written.append(path)
    return written


def numbered(path: Path, index: int) -> Path:
    return path if index == 0 else path.with_name(f"{path.stem}-{index}{path.suffix}")


def enforce(plans: Sequence[RunPlan], strict: bool, warn: Callable[[str], None]) -> None:
    """Raise the first warning-level finding with ``strict``, else warn each."""
    for plan in plans:
        for insight in blocking(list(plan.found)):
            if strict:
                raise LrplanError(
                    f"lrplan stopped the run before its first step: {insight.message} {insight.fix}"
                )
            warn(f"lrplan: {insight.message} {insight.fix}")
