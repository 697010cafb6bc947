"""The ``lrplan resume --png`` figure: every way of resuming over the uninterrupted run.

Overlaid as :func:`lrplan.output.plot.save_plot` would draw them, the ways that stay on the curve
would hide it and each other. Here the uninterrupted run is a wide pale band; the way that
matches it is a dashed line inside the band; the others are drawn from the resume on, where
they leave it; a way that fails at the resume is a cross where training stops.

Every value drawn comes from the report's rates; nothing here computes a learning rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.analysis.resume import ResumeReport, Scenario
from lrplan.output.plot import (
    _curve_points,
    _shade_warmup,
    new_figure,
    save_figure,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The colour of each way, by number; the uninterrupted run is grey.
COLOURS = {1: "tab:blue", 2: "tab:red", 3: "tab:orange", 4: "tab:purple"}


def save_resume_plot(path: Path, report: ResumeReport, *, option: str = "--png") -> None:
    """Draw :func:`resume_figure` and write it to ``path`` (format by suffix, atomically)."""
    save_figure(path, resume_figure(report), option=option)


def resume_figure(report: ResumeReport) -> Figure:
    """A matplotlib Figure (Agg canvas) of the rate against the epoch, one line per way."""
    config = report.config
    per_epoch = config.steps_per_epoch
    figure, axes = new_figure("constrained")
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    _shade_warmup(axes, config.warmup_epochs)

    epochs, rates = _curve_points(report.uninterrupted)
    (line,) = axes.plot(
        epochs,
        rates,
        drawstyle="steps-post",
        color="0.55",
        alpha=0.45,
        lw=7,
        solid_capstyle="butt",
        label="uninterrupted run",
    )
    line.set_gid("resume-uninterrupted")
    axes.axvline(report.at, color="0.25", ls=":", lw=1.2, label=f"resumed at epoch {report.at}")

    # Ways that leave the curve at the same rate overlap there: each later one is drawn
    # thinner on top of the one before, so both colours show.
    departing = 0
    for scenario in report.scenarios:
        width = max(1.4, 3.0 - 1.4 * departing)
        _draw_scenario(axes, report, scenario, per_epoch, width)
        departing += not scenario.identical and scenario.error is None

    peak = max(max(scenario.lrs) for scenario in report.scenarios)
    axes.set_ylim(0, max(peak, max(report.uninterrupted.lrs)) * 1.08)
    axes.set_xlim(0, config.epochs)
    axes.set_title(f"{config.name}\ninterrupted after epoch {report.at - 1}", fontsize=12)
    axes.set_xlabel("epoch" if per_epoch == 1 else f"epoch (steps_per_epoch = {per_epoch} steps)")
    axes.set_ylabel("learning rate")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    formatter = ScalarFormatter(useMathText=True, useOffset=False)
    formatter.set_powerlimits((-2, 3))
    axes.yaxis.set_major_formatter(formatter)
    axes.grid(True, color="0.9", linewidth=0.8)
    axes.set_axisbelow(True)
    # Below the axes: inside, it would cover a curve wherever it went.
    legend = axes.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=2,
        fontsize=9,
        frameon=False,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    return figure


def legend_label(report: ResumeReport, scenario: Scenario) -> str:
    """``1 state dicts saved and loaded: identical``, ``3 ...: departs at epoch 10``."""
    if scenario.departs_at is None:
        verdict = "identical"
    elif scenario.error is not None and scenario.departs_at == len(scenario.lrs):
        error = scenario.error.split(":", 1)[0]
        verdict = f"{error}, no training from {report.where(scenario.departs_at)}"
    else:
        verdict = f"departs at {report.where(scenario.departs_at)}"
    return f"{scenario.number} {scenario.title}: {verdict}"


def _draw_scenario(
    axes: Any, report: ResumeReport, scenario: Scenario, per_epoch: int, width: float
) -> None:
    colour = COLOURS.get(scenario.number, f"C{scenario.number}")
    label = legend_label(report, scenario)
    gid = f"resume-{scenario.key}"
    schedule = report.schedule_of(scenario)
    if scenario.error is not None and len(scenario.lrs) == report.at_row:
        # Training stops at the resume: a cross on the last rate that trained.
        (marker,) = axes.plot(
            [report.at],
            [scenario.lrs[-1]],
            "X",
            color=colour,
            ms=11,
            mec="white",
            mew=1,
            zorder=5,
            ls="none",
            label=label,
        )
        marker.set_gid(gid)
        return
    epochs, rates = _curve_points(schedule)
    if scenario.identical:
        (line,) = axes.plot(
            epochs, rates, drawstyle="steps-post", color=colour, lw=1.4, ls="--", label=label
        )
    else:
        # From the row before the resume on: before it, every way is the interrupted run.
        start = (report.at_row - 1) / per_epoch
        keep = epochs >= start
        (line,) = axes.plot(
            epochs[keep],
            rates[keep],
            drawstyle="steps-post",
            color=colour,
            lw=width,
            label=label,
            zorder=3,
        )
    line.set_gid(gid)
