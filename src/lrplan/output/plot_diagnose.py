"""The ``lrplan diagnose --png`` figure: the loss and the learning rate on twin axes.

The loss (left axis, a log scale when it spans a wide range) with the symptom marked, and on
the right axis the planned rate (a step line, as the optimizer holds it for a whole epoch)
with the logged rate over it, and where the two part. Every value drawn comes from the log or
the diagnosis; nothing here computes a learning rate.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.analysis.diagnose import (
    CAUSES,
    DIVERGE_RISE,
    HEALTHY,
    PLATEAU_FALL,
    TAIL_SHARE,
    Diagnosis,
)
from lrplan.core.config import describe
from lrplan.output.plot import _TEXT_BOX, new_figure, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A loss whose largest finite value is this many times its smallest is drawn on a log scale,
#: so that a fall in the first epochs leaves room to see the rest.
LOG_SCALE_SPAN = 3

LOSS_COLOUR = "tab:blue"
PLANNED_COLOUR = "0.45"
LOGGED_COLOUR = "tab:orange"
SYMPTOM_COLOUR = {
    "diverging": "tab:red",
    "not-learning": "tab:red",
    "slow": "tab:olive",
    "plateau": "tab:red",
    "overfitting": "tab:red",
    "unjudgeable": "0.3",
}


def save_diagnosis_plot(path: Path, diagnosis: Diagnosis, *, option: str = "--png") -> None:
    """Draw :func:`diagnosis_figure` and write it to ``path`` (format by suffix, atomically)."""
    save_figure(path, diagnosis_figure(diagnosis), option=option)


def diagnosis_figure(diagnosis: Diagnosis) -> Figure:
    """A matplotlib Figure (Agg canvas): loss and learning rate against the epoch (or step)."""
    log = diagnosis.log
    reading = diagnosis.reading
    figure, loss_axes = new_figure("constrained")
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    lr_axes = loss_axes.twinx()
    # The loss in front of the rates: its axes drawn last, with a transparent background.
    loss_axes.set_zorder(lr_axes.get_zorder() + 1)
    loss_axes.patch.set_visible(False)

    # A per-epoch loss is the mean over the epoch: drawn at the epoch's middle.
    middle = 0.5 if log.unit == "epoch" else 0.0
    xs = [position + middle for position in log.positions]
    finite = [loss for loss in log.losses if math.isfinite(loss)]
    ys = [loss if math.isfinite(loss) else math.nan for loss in log.losses]
    (loss_line,) = loss_axes.plot(
        xs, ys, "o-", color=LOSS_COLOUR, ms=3.5, lw=1.6, label=f"loss ({log.loss.name})"
    )
    loss_line.set_gid("diagnose-loss")
    if finite and min(finite) > 0 and max(finite) / min(finite) >= LOG_SCALE_SPAN:
        from matplotlib.ticker import FuncFormatter

        loss_axes.set_yscale("log")
        # 0.2 and 0.3, not 2×10⁻¹ and 3×10⁻¹: a loss reads as a plain number.
        plain = FuncFormatter(lambda value, _: f"{value:g}")
        loss_axes.yaxis.set_major_formatter(plain)
        loss_axes.yaxis.set_minor_formatter(plain)

    _draw_rates(lr_axes, diagnosis)
    _mark_symptom(loss_axes, diagnosis, xs)

    colour = SYMPTOM_COLOUR.get(reading.symptom, "tab:green")
    title = f"lrplan diagnose: {diagnosis.verdict} ({log.path.name})"
    if diagnosis.inferred is not None:
        plan = "inferred from the logged rate" if diagnosis.config is not None else "none given"
    else:
        assert diagnosis.config is not None
        plan = describe(diagnosis.config)
    loss_axes.set_title(f"{title}\nplan: {plan}", fontsize=12, parse_math=False)
    healthy = reading.symptom == HEALTHY and diagnosis.departure is None
    loss_axes.title.set_color(
        "black" if healthy else colour if reading.symptom != HEALTHY else "tab:brown"
    )
    unit = log.unit
    loss_axes.set_xlabel(unit)
    loss_axes.set_ylabel(f"loss ({log.loss.name})", color=LOSS_COLOUR)
    lr_axes.set_ylabel("learning rate")
    loss_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    formatter = ScalarFormatter(useMathText=True, useOffset=False)
    formatter.set_powerlimits((-2, 3))
    lr_axes.yaxis.set_major_formatter(formatter)
    lr_axes.set_ylim(bottom=0)
    last = log.positions[-1] + (1 if unit == "epoch" else 0)
    loss_axes.set_xlim(log.positions[0], max(last, log.positions[0] + 1))
    loss_axes.grid(True, color="0.9", linewidth=0.8)

    handles = [*loss_axes.get_legend_handles_labels()[0], *lr_axes.get_legend_handles_labels()[0]]
    # Below the axes: a loss curve and a learning rate leave no corner free for sure.
    legend = figure.legend(
        handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize=9
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    return figure


def _draw_rates(axes: Any, diagnosis: Diagnosis) -> None:
    """The planned rate as a step line and the logged rates as dots, where the log has them."""
    log = diagnosis.log
    rows = diagnosis.rows
    planned = [(row.position, row.planned_lr) for row in rows if row.planned_lr is not None]
    if planned:
        xs = [position for position, _ in planned]
        ys = [rate for _, rate in planned]
        step = 1 if log.unit == "epoch" else (xs[-1] - xs[-2] if len(xs) > 1 else 1)
        (line,) = axes.plot(
            [*xs, xs[-1] + step],
            [*ys, ys[-1]],
            drawstyle="steps-post",
            color=PLANNED_COLOUR,
            lw=1.4,
            ls="--",
            label="planned lr",
        )
        line.set_gid("diagnose-planned-lr")
    logged = [(row.position, row.logged_lr) for row in rows if row.logged_lr is not None]
    if logged:
        (dots,) = axes.plot(
            [position for position, _ in logged],
            [rate for _, rate in logged],
            "D",
            color=LOGGED_COLOUR,
            ms=4,
            label="logged lr",
        )
        dots.set_gid("diagnose-logged-lr")
    check = diagnosis.lr_check
    departure = check.departure if check is not None else None
    if check is not None and departure is not None:
        epoch = departure.logged.epoch
        x = epoch if log.unit == "epoch" and epoch is not None else departure.logged.step
        if x is not None:
            # Said in the legend: a box beside the line would hide the rates around it.
            axes.axvline(
                x,
                color="tab:brown",
                ls=":",
                lw=1.6,
                label=textwrap.fill(
                    f"lr departs at {check.where(departure)}: {CAUSES[check.cause or 'unknown']}",
                    56,
                ),
            )


def _mark_symptom(axes: Any, diagnosis: Diagnosis, xs: list[float]) -> None:
    """What the verdict rests on: the NaN, the rise, the halfway point, the tail's line."""
    log = diagnosis.log
    reading = diagnosis.reading
    losses = log.losses
    colour = SYMPTOM_COLOUR.get(reading.symptom, "tab:green")
    if reading.nonfinite_at is not None:
        x = xs[reading.nonfinite_at]
        axes.axvline(x, color=colour, lw=1.6)
        bad = losses[reading.nonfinite_at]
        axes.annotate(
            f"loss {'NaN' if math.isnan(bad) else bad} at {log.where(reading.nonfinite_at)}",
            xy=(x, 0.5),
            xycoords=("data", "axes fraction"),
            xytext=(6, 0),
            textcoords="offset points",
            color=colour,
            fontsize=9.5,
            bbox=_TEXT_BOX,
        )
    if reading.rise is not None and reading.rise >= DIVERGE_RISE and reading.rise_at is not None:
        assert reading.low_at is not None and reading.rise is not None
        for index, text in (
            (reading.low_at, "lowest level"),
            (reading.rise_at, f"{reading.rise:.1f}× that"),
        ):
            axes.plot([xs[index]], [losses[index]], "o", ms=10, mfc="none", mew=2, color=colour)
            axes.annotate(
                text,
                xy=(xs[index], losses[index]),
                xytext=(10, 6),
                textcoords="offset points",
                color=colour,
                fontsize=9.5,
                bbox=_TEXT_BOX,
            )
    _draw_validation(axes, diagnosis, colour)
    # Slow, plateau and healthy may be read from the validation curve: marked on it.
    if reading.judged_on is not None:
        middle = 0.5 if log.unit == "epoch" else 0.0
        positions, losses = reading.curve(log)
        xs = [position + middle for position in positions]
    tail = reading.tail
    of = "" if reading.judged_on is None else f" of {reading.judged_on}"
    if tail is not None:
        start, end = xs[tail.first], xs[tail.last]
        shade = colour if reading.symptom == "plateau" else "tab:green"
        axes.axvspan(
            start,
            end,
            color=shade,
            alpha=0.08,
            lw=0,
            label=f"last {TAIL_SHARE * 100:g}%{of}: {tail.change * 100:+.1f}%",
        )
        (fit,) = axes.plot([start, end], [tail.start, tail.end], color="black", lw=1.2, ls="-.")
        fit.set_gid("diagnose-tail-fit")
        if reading.symptom == "plateau":
            axes.annotate(
                f"flat: under {PLATEAU_FALL * 100:g}% below the best before",
                xy=((start + end) / 2, tail.start),
                xytext=(0, 14),
                textcoords="offset points",
                ha="center",
                color=colour,
                fontsize=9.5,
                bbox=_TEXT_BOX,
            )
    if reading.halfway_at is not None and reading.halfway_share is not None:
        index = reading.halfway_at
        axes.plot([xs[index]], [losses[index]], "s", ms=8, mfc="none", mew=1.8, color="tab:purple")
        axes.annotate(
            f"halfway: {reading.halfway_share * 100:.0f}% into the run",
            xy=(xs[index], losses[index]),
            # Well above the point, with an arrow: the curve runs on from it at about its level.
            xytext=(18, 36),
            textcoords="offset points",
            color="tab:purple",
            fontsize=9.5,
            bbox=_TEXT_BOX,
            arrowprops={"arrowstyle": "->", "color": "tab:purple", "lw": 1, "shrinkB": 5},
        )


def _draw_validation(axes: Any, diagnosis: Diagnosis, colour: str) -> None:
    """The validation curve, on the loss axes when it is a loss (on its own axis when it is a
    metric), with its best point marked when the run overfits."""
    log = diagnosis.log
    validation = log.validation
    if validation is None:
        return
    middle = 0.5 if log.unit == "epoch" else 0.0
    xs = [position + middle for position in validation.positions]
    target = axes
    if validation.higher_better:
        target = axes.twinx()
        target.spines["right"].set_position(("axes", 1.12))
        target.set_ylabel(validation.column.name, color="tab:purple")
    (line,) = target.plot(
        xs,
        validation.values,
        "s--",
        color="tab:purple",
        ms=3,
        lw=1.2,
        label=f"validation ({validation.column.name})",
    )
    line.set_gid("diagnose-validation")
    overfit = diagnosis.reading.overfit
    if overfit is None:
        return
    x = overfit.best_at + middle
    target.plot([x], [overfit.best], "o", ms=11, mfc="none", mew=2, color=colour)
    target.annotate(
        f"best {overfit.best:.4g} at {log.unit} {overfit.best_at};"
        f" {overfit.worse * 100:.0f}% worse by the end",
        xy=(x, overfit.best),
        xytext=(10, -18),
        textcoords="offset points",
        color=colour,
        fontsize=9.5,
        bbox=_TEXT_BOX,
    )
