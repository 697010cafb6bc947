"""Plot planned schedules to PNG, SVG or PDF: one curve for ``lrplan show``, several overlaid.

matplotlib (and numpy) are imported inside the functions that draw, so importing this module
costs nothing on the CLI's start-up path. Figures are drawn on the Agg canvas directly, never
through pyplot, so no GUI backend is touched and nothing global is left behind.

Every value drawn comes from ``Schedule.lrs`` (and the figures of
:func:`lrplan.insights.summarize`, which reads them); nothing here computes a learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.config import describe
from lrplan.errors import LrplanError
from lrplan.export import atomic_path, check_output_path
from lrplan.insights import Summary, fmt_lr, summarize

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lrplan.planner import Schedule

#: The file types :func:`save_plot` writes; the suffix of the path picks one.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")

#: Figure size in inches, and the resolution of PNG output (1500 × 825 pixels).
FIGURE_SIZE = (10.0, 5.5)
PNG_DPI = 150

#: Long schedules are cut into this many buckets before drawing, about one per pixel column
#: of the axes at PNG_DPI, keeping each bucket's lowest and highest rate.
BUCKETS = 2000

#: An epoch-mode schedule with at most this many rows gets a dot on every epoch.
DOT_ROWS = 200

#: How much room above the peak the axes keep for its annotation, as a share of the peak.
HEADROOM = 0.25


def save_plot(
    path: Path,
    curves: Sequence[tuple[str, Schedule]],
    *,
    option: str = "--png",
    title: str | None = None,
) -> None:
    """Draw ``curves`` with :func:`plot_figure` and write the figure to ``path``.

    The suffix of ``path`` picks the format (one of :data:`PLOT_SUFFIXES`, any case). The
    file is written to a temporary file beside ``path`` and renamed onto it, so on any
    failure ``path`` is left as it was and no temporary file remains.

    Raises:
        LrplanError: one line naming ``option`` and ``path``, for an unknown suffix, a
            missing or unwritable folder, or a failure of matplotlib or the file system
            while writing.
    """
    check_output_path(option, path, PLOT_SUFFIXES)
    figure = plot_figure(curves, title=title)
    file_format = path.suffix.lower().removeprefix(".")
    try:
        with atomic_path(option, path) as temporary:
            # The temporary name ends with ".tmp.png"; say the format instead of relying on it.
            figure.savefig(temporary, format=file_format, dpi=PNG_DPI)
    except (ValueError, RuntimeError, OverflowError, MemoryError) as error:
        # What matplotlib raises when it cannot render or encode; atomic_path turns OSError
        # into LrplanError itself.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = f"{type(error).__name__}: {reason}" if reason else type(error).__name__
        raise LrplanError(f"{option} {path}: cannot save the plot ({detail})") from None


def plot_figure(curves: Sequence[tuple[str, Schedule]], *, title: str | None = None) -> Figure:
    """A matplotlib Figure (on the Agg canvas) of the learning rate against the epoch.

    ``curves`` holds ``(label, schedule)`` pairs; an empty label means ``config.name``.

    One curve: the x axis is the epoch (fractional in step mode), the title says the
    configuration (after ``title`` if given), the warm-up is shaded, the peak and the last
    trained epoch (or step) are marked with their rates, and ``min_lr`` is a dashed line.

    Several curves: overlaid, one colour each, named in the legend, with their peaks (▲)
    and last trained rates (●) marked; the warm-up is shaded only if all share it.

    Long schedules are thinned with :func:`extreme_indices`, which keeps every extreme.

    Raises:
        ValueError: if ``curves`` is empty (a bug in the caller, not a user mistake).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    if not curves:
        raise ValueError("plot_figure needs at least one (label, schedule) pair")
    figure = Figure(figsize=FIGURE_SIZE, dpi=PNG_DPI, layout="tight")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    summaries = [summarize(schedule) for _, schedule in curves]
    schedules = [schedule for _, schedule in curves]

    if len(curves) == 1:
        label, schedule = curves[0]
        heading = describe(schedule.config)
        if title:
            heading = f"{title}\n{heading}"
        _draw_single(axes, label or "learning rate", schedule, summaries[0])
    else:
        heading = title or f"{len(curves)} schedules"
        _draw_several(axes, curves, summaries)

    axes.set_title(heading, fontsize=12, parse_math=False)
    axes.set_xlabel(_x_label(schedules))
    axes.set_ylabel("learning rate")
    axes.set_xlim(0, max(schedule.config.epochs for schedule in schedules))
    top = max(summary.peak_lr for summary in summaries)
    axes.set_ylim(0, top * (1 + HEADROOM))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    formatter = ScalarFormatter(useMathText=True, useOffset=False)
    formatter.set_powerlimits((-2, 3))
    axes.yaxis.set_major_formatter(formatter)
    axes.grid(True, color="0.9", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure


def extreme_indices(lrs: Sequence[float] | np.ndarray, buckets: int = BUCKETS) -> np.ndarray:
    """The rows to draw of ``lrs``: all of them, or every bucket's extremes when there are many.

    With at most ``2 * buckets`` rows, every row (``arange(len(lrs))``). Otherwise the rows
    are cut into consecutive buckets of ``ceil(len(lrs) / buckets)`` rows (the last may be
    shorter), and the result holds, for every bucket, the row of its lowest and of its highest
    rate (the first such row), plus the first and last row. The result is sorted without
    repeats, so the drawn line visits the extremes in the order they occur; at a pixel per
    bucket this draws the same picture as every row, where skipping rows could miss a spike.
    """
    import numpy as np

    values = np.asarray(lrs, dtype=float)
    count = len(values)
    if buckets < 1:
        raise ValueError(f"{buckets=} must be 1 or more")
    if count <= 2 * buckets:
        return np.arange(count)
    width = -(-count // buckets)
    used = -(-count // width)
    # Pad the last bucket with copies of the last rate: an extreme found in the padding
    # has the same value as the last row, which belongs to that bucket, so it maps there.
    padded = np.full(used * width, values[-1])
    padded[:count] = values
    grid = padded.reshape(used, width)
    starts = np.arange(used) * width
    chosen = np.concatenate(
        (starts + grid.argmin(axis=1), starts + grid.argmax(axis=1), (0, count - 1))
    )
    return np.unique(np.minimum(chosen, count - 1))


def _curve_points(schedule: Schedule) -> tuple[np.ndarray, np.ndarray]:
    """x (epochs, fractional in step mode) and y (rates) of the line, thinned if long.

    Row ``i`` trains over ``[i, i + 1)`` scheduler steps. The line is drawn with
    ``drawstyle="steps-post"``, so each rate holds flat until the next row's: the optimizer
    really uses one rate for a whole epoch (or step), and a straight line between epochs
    would show rates no epoch trains at. One last point at ``epochs`` closes the last row.
    """
    import numpy as np

    lrs = np.asarray(schedule.lrs, dtype=float)
    rows = extreme_indices(lrs)
    per_epoch = schedule.per_epoch
    epochs = np.append(rows, len(lrs)) / per_epoch
    rates = np.append(lrs[rows], lrs[-1])
    return epochs, rates


def _x_label(schedules: Sequence[Schedule]) -> str:
    per_epoch = {schedule.per_epoch for schedule in schedules if schedule.config.unit == "step"}
    if len(per_epoch) == 1:
        (steps,) = per_epoch
        return f"epoch (steps_per_epoch = {steps} steps)"
    return "epoch"


def _held_text(unit: str, positions: tuple[int, ...], per_epoch: int) -> str:
    """Where a rate is held, e.g. ``epochs 2 and 3`` or ``steps 99 and 100 (epoch 1.98–2)``."""
    first, last = positions[0], positions[-1]
    if len(positions) == 1:
        text = f"{unit} {first}"
    elif len(positions) == 2:
        text = f"{unit}s {first} and {last}"
    elif last - first + 1 == len(positions):
        text = f"{unit}s {first}–{last}"
    else:
        text = f"{len(positions)} {unit}s from {first} to {last}"
    if unit == "step":
        span = f"{first / per_epoch:.4g}"
        if last != first:
            span += f"–{last / per_epoch:.4g}"
        text += f" (epoch {span})"
    return text


def _last_text(summary: Summary, per_epoch: int) -> str:
    at = summary.last_trained_at
    where = f"{summary.unit} {at}"
    if summary.unit == "step":
        where += f" (epoch {at / per_epoch:.4g})"
    text = f"last trained {where}\n{fmt_lr(summary.last_trained_lr)}"
    if summary.last_over_min is not None:
        text += f" = {summary.last_over_min:.2f}× min_lr"
    return text


def _shade_warmup(axes: Axes, warmup_epochs: int) -> None:
    if warmup_epochs > 0:
        axes.axvspan(0, warmup_epochs, color="tab:orange", alpha=0.12, label="warm-up", lw=0)


def _draw_single(axes: Axes, label: str, schedule: Schedule, summary: Summary) -> None:
    config = schedule.config
    per_epoch = schedule.per_epoch
    epochs, rates = _curve_points(schedule)
    _shade_warmup(axes, config.warmup_epochs)
    (line,) = axes.plot(
        epochs, rates, drawstyle="steps-post", color="tab:blue", lw=1.8, label=label
    )
    line.set_gid("lr-curve-0")
    if config.unit == "epoch" and len(schedule) <= DOT_ROWS:
        # A dot where each epoch starts: the rate the optimizer uses for that whole epoch.
        axes.plot(epochs[:-1], rates[:-1], "o", color="tab:blue", ms=3.5, zorder=3)
    axes.axhline(
        config.min_lr,
        color="0.35",
        ls="--",
        lw=1.1,
        label=f"min_lr = {fmt_lr(config.min_lr)}",
    )

    # Annotations lean towards the emptier side: right of an early peak, left of a late one.
    late_peak = summary.peak_at[0] >= len(schedule) / 2
    peak_rows = sorted({summary.peak_at[0], summary.peak_at[-1]})
    peak_x = [row / per_epoch for row in peak_rows]
    axes.plot(peak_x, [summary.peak_lr] * len(peak_x), "^", color="tab:red", ms=8, zorder=4)
    axes.annotate(
        f"peak {fmt_lr(summary.peak_lr)}\n"
        f"{_held_text(summary.unit, summary.peak_at, per_epoch)}",
        xy=(peak_x[0], summary.peak_lr),
        xytext=(-14 if late_peak else 14, 8),
        textcoords="offset points",
        ha="right" if late_peak else "left",
        va="bottom",
        fontsize=9.5,
        color="tab:red",
        bbox=_TEXT_BOX,
    )

    last_x = summary.last_trained_at / per_epoch
    axes.plot([last_x], [summary.last_trained_lr], "o", color="tab:purple", ms=7, zorder=4)
    axes.annotate(
        _last_text(summary, per_epoch),
        xy=(last_x, summary.last_trained_lr),
        xytext=(-16, 40),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9.5,
        color="tab:purple",
        bbox=_TEXT_BOX,
        arrowprops={"arrowstyle": "->", "color": "tab:purple", "lw": 1},
    )
    _legend(axes, "upper left" if late_peak else "upper right")


def _draw_several(
    axes: Axes, curves: Sequence[tuple[str, Schedule]], summaries: Sequence[Summary]
) -> None:
    from matplotlib.lines import Line2D

    warmups = {schedule.config.warmup_epochs for _, schedule in curves}
    if len(warmups) == 1:
        _shade_warmup(axes, warmups.pop())
    floors = {schedule.config.min_lr for _, schedule in curves}
    colours = [f"C{index % 10}" for index in range(len(curves))]
    for index, ((label, schedule), summary, colour) in enumerate(
        zip(curves, summaries, colours, strict=True)
    ):
        per_epoch = schedule.per_epoch
        epochs, rates = _curve_points(schedule)
        (line,) = axes.plot(
            epochs,
            rates,
            drawstyle="steps-post",
            color=colour,
            lw=1.6,
            label=label or schedule.config.name,
        )
        line.set_gid(f"lr-curve-{index}")
        axes.plot(
            [summary.peak_at[0] / per_epoch],
            [summary.peak_lr],
            "^",
            color=colour,
            ms=7,
            zorder=4,
        )
        axes.plot(
            [summary.last_trained_at / per_epoch],
            [summary.last_trained_lr],
            "o",
            color=colour,
            ms=6,
            zorder=4,
        )
        if len(floors) > 1:
            axes.axhline(schedule.config.min_lr, color=colour, ls="--", lw=0.9, alpha=0.8)
    extra = [
        Line2D([], [], marker="^", ls="none", color="0.4", label="peak"),
        Line2D([], [], marker="o", ls="none", color="0.4", label="last trained rate"),
    ]
    if len(floors) == 1:
        (floor,) = floors
        axes.axhline(floor, color="0.35", ls="--", lw=1.1, label=f"min_lr = {fmt_lr(floor)}")
    else:
        extra.append(Line2D([], [], ls="--", color="0.4", label="min_lr (each colour)"))
    _legend(axes, "upper right", extra)


#: A light box behind annotation text, so a curve or grid line under it never hides it.
_TEXT_BOX: dict[str, Any] = {"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85}


def _legend(axes: Axes, location: str, extra: Sequence[Any] = ()) -> None:
    handles, _ = axes.get_legend_handles_labels()
    legend = axes.legend(handles=[*handles, *extra], loc=location, fontsize=9, framealpha=0.9)
    # Labels are user text: "$5 run" is a label, not mathtext to parse (or fail on).
    for text in legend.get_texts():
        text.set_parse_math(False)
