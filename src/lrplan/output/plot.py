"""Plot planned schedules to PNG, SVG or PDF: one curve for ``lrplan show``, several overlaid.

matplotlib (and numpy) are imported inside the functions that draw, so importing this module
costs nothing on the CLI's start-up path. Figures are drawn on the Agg canvas directly, never
through pyplot, so no GUI backend is touched and nothing global is left behind.

Every value drawn comes from ``Schedule.lrs`` (and the figures of
:func:`~lrplan.analysis.insights.summarize`, which reads them); nothing here computes a
learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lrplan.analysis.summary import Summary, fmt_lr, summarize
from lrplan.core.config import describe
from lrplan.errors import LrplanError, first_line
from lrplan.output.export import atomic_path, check_output_path

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lrplan.core.planner import Schedule

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

#: Peaks that are not side by side (a scheduler that restarts) are each marked, up to this many.
MARKED_PEAKS = 50

#: Room above the highest peak, as a share of it: for the peak's label (one curve), or
#: to keep the peak off the frame (several).
HEADROOM = 0.25
HEADROOM_SEVERAL = 0.1


def save_plot(
    path: Path,
    curves: Sequence[tuple[str, Schedule]],
    *,
    option: str = "--png",
    title: str | None = None,
    summaries: Sequence[Summary] | None = None,
) -> None:
    """Draw ``curves`` with :func:`plot_figure` and write the figure to ``path``.

    ``summaries`` (one per curve), when the caller has them, spare summarizing again.

    The suffix of ``path`` picks the format (one of :data:`PLOT_SUFFIXES`, any case). The
    file is written to a temporary file beside ``path`` and renamed onto it, so on any
    failure ``path`` is left as it was and no temporary file remains.

    Raises:
        LrplanError: one line naming ``option`` and ``path``, for an unknown suffix, a
            missing or unwritable folder, or a failure of matplotlib or the file system
            while writing.
    """
    check_output_path(option, path, PLOT_SUFFIXES)
    save_figure(path, plot_figure(curves, title=title, summaries=summaries), option=option)


def save_figure(path: Path, figure: Figure, *, option: str = "--png") -> None:
    """Write ``figure`` to ``path`` in the format of its suffix, atomically.

    What :func:`save_plot` does after drawing, for figures drawn elsewhere (``lrplan resume``).
    Raises LrplanError as :func:`save_plot` does.
    """
    check_output_path(option, path, PLOT_SUFFIXES)
    file_format = path.suffix.lower().removeprefix(".")
    with atomic_path(option, path) as temporary:
        try:
            # The temporary name ends with ".tmp.png"; say the format instead of relying on it.
            figure.savefig(temporary, format=file_format, dpi=PNG_DPI)
        except OSError as error:
            # Handled here rather than by atomic_path, whose message shows "(None)" for the
            # errno-less OSErrors that image encoders raise.
            reason = error.strerror or first_line(error, "")
            raise LrplanError(f"{option} {path}: cannot write there ({reason})") from None
        except (ValueError, RuntimeError, OverflowError) as error:
            # What matplotlib raises when it cannot render or encode a figure.
            reason = first_line(error, "")
            detail = f"{type(error).__name__}: {reason}" if reason else type(error).__name__
            raise LrplanError(f"{option} {path}: cannot save the plot ({detail})") from None


def new_figure(layout: Literal["tight", "constrained"]) -> tuple[Figure, Axes]:
    """A figure of lrplan's size on an Agg canvas (no display needed) and its one axes.

    matplotlib is imported with the garbage collector paused, as torch is: about 0.1 s less.
    """
    from lrplan.optim._imports import gc_paused

    with gc_paused():
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE, dpi=PNG_DPI, layout=layout)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def plot_figure(
    curves: Sequence[tuple[str, Schedule]],
    *,
    title: str | None = None,
    summaries: Sequence[Summary] | None = None,
) -> Figure:
    """A matplotlib Figure (on the Agg canvas) of the learning rate against the epoch.

    ``curves`` holds ``(label, schedule)`` pairs. With several curves an empty label means
    ``config.name``; a single curve is called "learning rate" in the legend unless its label
    says more than the title, which always holds :func:`lrplan.core.config.describe`.

    One curve: the x axis is the epoch (fractional in step mode), the title says the
    configuration (after ``title`` if given), the warm-up is shaded, the peak and the last
    trained epoch (or step) are marked with their rates, and ``min_lr`` is a dashed line.

    Several curves: overlaid, one colour each, named in the legend, with their peaks (▲)
    and last trained rates (○) marked; the warm-up is shaded only if all share it, and
    ``min_lr`` is one grey line if all share it, else one line per curve in its colour.

    Long schedules are thinned with :func:`extreme_indices`, which keeps every extreme.

    Raises:
        ValueError: if ``curves`` is empty (a bug in the caller, not a user mistake).
    """
    if not curves:
        raise ValueError("plot_figure needs at least one (label, schedule) pair")
    figure, axes = new_figure("tight")
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    if summaries is None:
        summaries = [summarize(schedule) for _, schedule in curves]
    schedules = [schedule for _, schedule in curves]
    headroom = HEADROOM if len(curves) == 1 else HEADROOM_SEVERAL
    y_top = max(summary.peak_lr for summary in summaries) * (1 + headroom)
    axes.set_ylim(0, y_top)

    if len(curves) == 1:
        label, schedule = curves[0]
        configuration = describe(schedule.config)
        heading = f"{title}\n{configuration}" if title else configuration
        # The title already says the configuration; a label that only repeats it is dropped.
        if not label or label == configuration:
            label = "learning rate"
        _draw_single(axes, label, schedule, summaries[0], y_top)
    else:
        heading = title or f"{len(curves)} schedules"
        _draw_several(axes, curves, summaries)

    axes.set_title(heading, fontsize=12, parse_math=False)
    axes.set_xlabel(_x_label(schedules))
    axes.set_ylabel("learning rate")
    axes.set_xlim(0, max(schedule.config.epochs for schedule in schedules))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(_times_ten_formatter(ScalarFormatter))
    axes.grid(True, color="0.9", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _times_ten_formatter(scalar_formatter: type[Any]) -> Any:
    """Tick labels such as ``1.0`` with the power of ten above the axis as ``×10⁻³``.

    The look of ``ScalarFormatter(useMathText=True)`` in plain text: the first use of
    mathtext builds its parser, about 0.25 s, a third of what drawing the whole plot costs.
    """

    class TimesTenFormatter(scalar_formatter):  # type: ignore[misc, valid-type]
        def get_offset(self) -> str:
            text = str(super().get_offset())  # plain "1e−3" without mathtext
            mantissa, e, exponent = text.partition("e")
            if mantissa != "1" or not e:
                return text
            return "×10" + exponent.replace("\N{MINUS SIGN}", "-").translate(_SUPERSCRIPT)

    formatter = TimesTenFormatter(useMathText=False, useOffset=False)
    formatter.set_powerlimits((-2, 3))
    return formatter


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
    rows, rates = row_points(schedule.lrs)
    return rows / schedule.per_epoch, rates


def row_points(lrs: Sequence[float], start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x (rows, from ``start``) and y (rates) of a ``steps-post`` line through ``lrs``,
    thinned if long, closed by one last point one row past the last (see :func:`_curve_points`)."""
    import numpy as np

    values = np.asarray(lrs, dtype=float)
    rows = extreme_indices(values)
    return np.append(rows, len(values)) + start, np.append(values[rows], values[-1])


def _x_label(schedules: Sequence[Schedule]) -> str:
    """``epoch``, saying the steps per epoch when every curve is planned in the same steps."""
    units = {(schedule.config.unit, schedule.per_epoch) for schedule in schedules}
    if len(units) == 1:
        ((unit, steps),) = units
        if unit == "step":
            return f"epoch (steps_per_epoch = {steps} steps)"
    return "epoch"


def _held_text(unit: str, positions: tuple[int, ...], per_epoch: int) -> str:
    """Where a rate is held, e.g. ``epochs 2 and 3`` or ``steps 99 and 100 (in epochs 1–2)``.

    Steps name the whole epoch they train in, not a rounded fraction: step 999999 of 10000
    per epoch is in epoch 99, where ``99.9999`` would print as ``100``.
    """
    first, last = positions[0], positions[-1]
    text = _span(unit, first, last, len(positions))
    if unit == "step":
        first_epoch, last_epoch = first // per_epoch, last // per_epoch
        text += f" (in {_span('epoch', first_epoch, last_epoch, last_epoch - first_epoch + 1)})"
    return text


def _span(unit: str, first: int, last: int, count: int) -> str:
    if count == 1:
        return f"{unit} {first}"
    if count == 2 and last == first + 1:
        return f"{unit}s {first} and {last}"
    if last - first + 1 == count:
        return f"{unit}s {first}–{last}"
    return f"{count} {unit}s from {first} to {last}"


def _last_text(summary: Summary, per_epoch: int, floor_name: str = "min_lr") -> str:
    where = _held_text(summary.unit, (summary.last_trained_at,), per_epoch)
    text = f"last trained {where}\n{fmt_lr(summary.last_trained_lr)}"
    if summary.last_over_min is not None and floor_name:
        text += f" = {summary.last_over_min:.2f}× {floor_name}"
    return text


def _warmup_of(schedule: Schedule) -> int | None:
    """The warm-up to shade, in epochs: WarmupCosLR's and its torch composition's; None for
    other schedulers, whose shape has no warm-up setting."""
    from lrplan.core.registry import WARMUP_COS_KINDS

    config = schedule.config
    return config.warmup_epochs if config.scheduler in WARMUP_COS_KINDS else None


def _floor_of(schedule: Schedule) -> tuple[str, float] | None:
    """The floor line to draw: ``("min_lr", 1e-5)``, ``("eta_min", ...)``, or None."""
    from lrplan.core.schedulers import floor

    return floor(schedule.config)


def _shade_warmup(axes: Axes, warmup_epochs: int) -> None:
    if warmup_epochs > 0:
        axes.axvspan(0, warmup_epochs, color="tab:orange", alpha=0.12, label="warm-up", lw=0)


def _draw_single(
    axes: Axes, label: str, schedule: Schedule, summary: Summary, y_top: float
) -> None:
    config = schedule.config
    per_epoch = schedule.per_epoch
    epochs, rates = _curve_points(schedule)
    _shade_warmup(axes, _warmup_of(schedule) or 0)
    (line,) = axes.plot(
        epochs, rates, drawstyle="steps-post", color="tab:blue", lw=1.8, label=label
    )
    line.set_gid("lr-curve-0")
    if config.unit == "epoch" and len(schedule) <= DOT_ROWS:
        # A dot where each epoch starts: the rate the optimizer uses for that whole epoch.
        axes.plot(epochs[:-1], rates[:-1], "o", color="tab:blue", ms=3.5, zorder=3)
    floor = _floor_of(schedule)
    if floor is not None:
        axes.axhline(
            floor[1],
            color="0.35",
            ls="--",
            lw=1.1,
            label=f"{floor[0]} = {fmt_lr(floor[1])}",
        )

    # Annotations lean towards the emptier side: right of an early peak, left of a late one.
    late_peak = summary.peak_at[0] >= len(schedule) / 2
    peak_rows = sorted({summary.peak_at[0], summary.peak_at[-1]})
    apart = summary.peak_at != tuple(range(peak_rows[0], peak_rows[-1] + 1))
    if apart and len(summary.peak_at) <= MARKED_PEAKS:
        peak_rows = list(summary.peak_at)  # peaks apart (warm restarts): mark each one
    peak_x = [row / per_epoch for row in peak_rows]
    axes.plot(
        peak_x,
        [summary.peak_lr] * len(peak_x),
        "^",
        color="tab:red",
        ms=8,
        zorder=4,
        clip_on=False,
    )
    axes.annotate(
        f"peak {fmt_lr(summary.peak_lr)}\n{_held_text(summary.unit, summary.peak_at, per_epoch)}",
        xy=(peak_x[0], summary.peak_lr),
        xytext=(-14 if late_peak else 14, 8),
        textcoords="offset points",
        ha="right" if late_peak else "left",
        va="bottom",
        fontsize=9.5,
        color="tab:red",
        bbox=_TEXT_BOX,
    )

    # The last trained rate is at the right edge, where the decay is steepest: its label goes
    # well to the left and below that rate, where the curve never is after the peak; when the
    # rate sits near the floor of the axes, just above it, where the decay has flattened.
    last_x = summary.last_trained_at / per_epoch
    axes.plot(
        [last_x], [summary.last_trained_lr], "o", color="tab:purple", ms=7, zorder=4, clip_on=False
    )
    last_height = summary.last_trained_lr / y_top
    text_x = max(0.3, last_x / config.epochs - 0.26)
    above = last_height < 0.2
    axes.annotate(
        _last_text(summary, per_epoch, floor[0] if floor is not None else ""),
        xy=(last_x, summary.last_trained_lr),
        xytext=(text_x, last_height + 0.035 if above else last_height - 0.06),
        textcoords="axes fraction",
        ha="right",
        va="bottom" if above else "top",
        fontsize=9.5,
        color="tab:purple",
        bbox=_TEXT_BOX,
        arrowprops={"arrowstyle": "->", "color": "tab:purple", "lw": 1, "shrinkA": 2},
    )
    _legend(axes, "upper left" if late_peak else "upper right")


def _draw_several(
    axes: Axes, curves: Sequence[tuple[str, Schedule]], summaries: Sequence[Summary]
) -> None:
    from matplotlib.lines import Line2D

    warmups = {_warmup_of(schedule) for _, schedule in curves}
    if len(warmups) == 1:
        _shade_warmup(axes, warmups.pop() or 0)
    floors = {_floor_of(schedule) for _, schedule in curves}
    colours = [f"C{index % 10}" for index in range(len(curves))]
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    for index, ((label, schedule), summary, colour) in enumerate(
        zip(curves, summaries, colours, strict=True)
    ):
        per_epoch = schedule.per_epoch
        epochs, rates = _curve_points(schedule)
        # A curve identical to one drawn before (lrplan equivalent's two) is dashed on top,
        # so that both stay visible.
        covers = any(_same_curve((epochs, rates), earlier) for earlier in drawn)
        drawn.append((epochs, rates))
        (line,) = axes.plot(
            epochs,
            rates,
            drawstyle="steps-post",
            color=colour,
            lw=1.6,
            ls=(0, (4, 3)) if covers else "-",
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
            clip_on=False,
        )
        axes.plot(
            [summary.last_trained_at / per_epoch],
            [summary.last_trained_lr],
            "o",
            color=colour,
            mfc="none",
            mew=1.5,
            ms=7,
            zorder=4,
            clip_on=False,
        )
        floor = _floor_of(schedule)
        if len(floors) > 1 and floor is not None:
            axes.axhline(floor[1], color=colour, ls="--", lw=0.9, alpha=0.8)
    extra = [
        Line2D([], [], marker="^", ls="none", color="0.4", label="peak"),
        Line2D([], [], marker="o", mfc="none", ls="none", color="0.4", label="last trained rate"),
    ]
    names = sorted({floor[0] for floor in floors if floor is not None})
    if len(floors) == 1 and names:
        ((name, value),) = floors  # type: ignore[misc]
        axes.axhline(value, color="0.35", ls="--", lw=1.1, label=f"{name} = {fmt_lr(value)}")
    elif names:
        label = f"{' / '.join(names)} (each colour)"
        extra.append(Line2D([], [], ls="--", color="0.4", label=label))
    _legend(axes, "upper right", extra)


def _same_curve(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    import numpy as np

    return a[0].shape == b[0].shape and bool(
        np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1], rtol=1e-9, atol=0.0)
    )


#: A light box behind annotation text, so a curve or grid line under it never hides it.
_TEXT_BOX: dict[str, Any] = {
    "boxstyle": "round,pad=0.25",
    "fc": "white",
    "ec": "none",
    "alpha": 0.85,
}


def _legend(
    axes: Axes, location: Literal["upper left", "upper right"], extra: Sequence[Any] = ()
) -> None:
    handles, _ = axes.get_legend_handles_labels()
    legend = axes.legend(handles=[*handles, *extra], loc=location, fontsize=9, framealpha=0.9)
    # Labels are user text: "$5 run" is a label, not mathtext to parse (or fail on).
    for text in legend.get_texts():
        text.set_parse_math(False)
