"""The ``lrplan resume CHECKPOINT --png`` figure: the rates already trained, the rates to
come, the checkpoint's own curve, and the resume point.

Every value drawn comes from the report; nothing here computes a learning rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lrplan.analysis.checkpoint_resume import CheckpointResume
from lrplan.output.plot import new_figure, row_points, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def save_checkpoint_plot(path: Path, report: CheckpointResume, *, option: str = "--png") -> None:
    """Draw :func:`checkpoint_figure` and write it to ``path`` (format by suffix, atomically)."""
    save_figure(path, checkpoint_figure(report), option=option)


def checkpoint_figure(report: CheckpointResume) -> Figure:
    """A matplotlib Figure of the rate against the epoch (or step)."""
    from matplotlib.ticker import ScalarFormatter

    config = report.config
    figure, axes = new_figure("constrained")
    unit = config.unit
    if report.original is not None:
        (line,) = axes.plot(
            *row_points(report.original.lrs),
            drawstyle="steps-post",
            color="0.55",
            alpha=0.45,
            lw=6,
            solid_capstyle="butt",
            label="the checkpoint's own settings",
        )
        line.set_gid("checkpoint-original")
    known = [(row, rate) for row, rate in enumerate(report.trained) if rate is not None]
    if known:
        # Each rate holds until the next row: the last one until the resume.
        steps = [*known, (report.at, known[-1][1])]
        (line,) = axes.plot(
            [row for row, _ in steps],
            [rate for _, rate in steps],
            drawstyle="steps-post",
            color="tab:blue",
            lw=1.8,
            label=f"trained ({report.trained_from})",
        )
        line.set_gid("checkpoint-trained")
    logged = [(row, lr) for row, lr in report.checkpoint.logged if row < report.at]
    if logged:
        (marks,) = axes.plot(
            [row for row, _ in logged],
            [lr for _, lr in logged],
            "o",
            color="tab:blue",
            ms=4,
            ls="none",
            label="logged by the run",
        )
        marks.set_gid("checkpoint-logged")
    (line,) = axes.plot(
        *row_points(report.resumed.lrs, start=report.at),
        drawstyle="steps-post",
        color="tab:orange",
        lw=2.2,
        label="to come, as the resumed run trains",
    )
    line.set_gid("checkpoint-resumed")
    axes.axvline(
        report.at, color="0.25", ls=":", lw=1.2, label=f"resumed at {report.where(report.at)}"
    )
    if report.jump_at is not None:
        (marker,) = axes.plot(
            [report.jump_at],
            [report.rate(report.jump_at)],
            "X",
            color="tab:red",
            ms=10,
            ls="none",
            label=f"the jump, at {report.where(report.jump_at)}",
        )
        marker.set_gid("checkpoint-jump")
    highest = max(
        [max(report.resumed.lrs)]
        + [rate for _, rate in known]
        + ([max(report.original.lrs)] if report.original is not None else [])
    )
    axes.set_ylim(0, highest * 1.08)
    axes.set_xlim(0, max(report.rows, len(report.original.lrs) if report.original else 0))
    axes.set_title(f"{report.checkpoint.kind}\n{report.checkpoint.path.name}", fontsize=11)
    axes.set_xlabel(unit)
    axes.set_ylabel("learning rate")
    formatter = ScalarFormatter(useMathText=True, useOffset=False)
    formatter.set_powerlimits((-2, 3))
    axes.yaxis.set_major_formatter(formatter)
    axes.grid(True, color="0.9", linewidth=0.8)
    axes.set_axisbelow(True)
    legend = axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=9, frameon=False
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    return figure
