"""Rich tables, the summary, insights and the terminal chart. Nothing here computes rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.summary import Insight, Summary, fmt_lr, span
from lrplan.core.config import ScheduleConfig, describe
from lrplan.core.planner import Schedule
from lrplan.core.registry import WARMUP_COS
from lrplan.inputs.naming import as_options
from lrplan.output.console import (
    make_console as make_console,  # re-exported: commands print through it
)
from lrplan.output.rows import kept_rows

if TYPE_CHECKING:
    from lrplan.analysis.equivalent import Equivalence, Measured
    from lrplan.analysis.tuning import Symptom


#: Rows shown at each end of an elided schedule or comparison (see lrplan.output.rows).
EDGE_ROWS = 10


#: ``--all`` renders at most this many rows in the terminal; longer ones belong in a CSV.
ALL_ROWS_LIMIT = 10_000


_EIGHTHS = " ▏▎▍▌▋▊▉█"


_LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def bar(fraction: float, width: int = 20) -> str:
    """A horizontal bar of ``width`` cells filled to ``fraction`` (0 to 1), in eighths."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def shown_rows(schedule: Schedule, show_all: bool = False) -> tuple[list[int | None], str]:
    """Which rows the table shows (``None`` marks an elision) and a caption saying what is hidden.

    In step mode the table shows the first step of each epoch and the last step, unless
    ``show_all``; long lists show their head and tail.
    """
    count = len(schedule)
    if show_all:
        return list(range(count)), ""
    per_epoch = schedule.per_epoch
    candidates = list(range(0, count, per_epoch))
    if candidates[-1] != count - 1:
        candidates.append(count - 1)
    caption = ""
    if per_epoch > 1:
        caption = f"the first step of each epoch and the last step, of {count:,} steps"
    kept = kept_rows(len(candidates), edge=EDGE_ROWS)
    candidates_shown = [None if at is None else candidates[at] for at in kept]
    if None in kept:
        hidden = len(candidates) - 2 * EDGE_ROWS
        if per_epoch > 1:
            caption = f"the first step of the first and last {EDGE_ROWS} epochs, of {count:,} steps"
        else:
            caption = f"{hidden:,} of {count:,} epochs not shown"
    if caption:
        more = "--all shows every row" if count <= ALL_ROWS_LIMIT else "--csv PATH has every row"
        caption = f"{caption}: {more}"
    return candidates_shown, caption


def schedule_table(
    schedule: Schedule, summary: Summary, show_all: bool = False, width: int = 80
) -> Table:
    """One row per epoch (or step): position, phase, learning rate, % of peak and a bar.

    Long schedules show their first and last rows with the elision marked. The bar takes
    what is left of ``width`` once the numbers fit, and is left out in narrow terminals.
    """
    step_mode = schedule.config.interval == "step"
    table = Table(header_style="bold")
    table.add_column("epoch", justify="right", no_wrap=True)
    if step_mode:
        table.add_column("step", justify="right", no_wrap=True)
    table.add_column("phase", no_wrap=True)
    table.add_column("learning rate", justify="right", no_wrap=True)
    table.add_column("% of peak", justify="right", no_wrap=True)
    # Borders and padding of the columns above, and their widest cells.
    numbers_width = 49 + (len(f"{len(schedule):,}") + 3 if step_mode else 0)
    bar_width = min(20, width - numbers_width - 3)
    if bar_width >= 5:
        table.add_column("", no_wrap=True, overflow="crop")

    shown, table.caption = shown_rows(schedule, show_all)
    peak_set = set(summary.peak_at)
    for index in shown:
        if index is None:
            table.add_row(*["⋮"] * len(table.columns), style="dim")
            continue
        row = schedule.row(index)
        fraction = row.lr / summary.peak_lr
        style = "bold" if index in peak_set else ""
        cells = [str(row.epoch)] + ([str(row.step)] if step_mode else [])
        cells += [row.phase, fmt_lr(row.lr), f"{fraction * 100:.1f}%"]
        if bar_width >= 5:
            table.add_row(*cells, Text(bar(fraction, bar_width), style="green"), style=style)
        else:
            table.add_row(*cells, style=style)
    return table


def summary_grid(schedule: Schedule, summary: Summary) -> Table:
    """Peak and where it is held, last trained rate against min_lr, mean, length."""
    unit = summary.unit
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("peak lr", f"{fmt_lr(summary.peak_lr)} at {span(unit, summary.peak_at)}")
    floor_name = floor_label(schedule.config)
    against = (
        f"{summary.last_over_min:.2f}× {floor_name} {fmt_lr(summary.min_lr)}"
        if summary.last_over_min is not None
        else f"{floor_name} {fmt_lr(summary.min_lr)}"
    )
    last = f"{fmt_lr(summary.last_trained_lr)} at {unit} {summary.last_trained_at}"
    grid.add_row("last trained lr", f"{last} ({against})" if floor_name else last)
    grid.add_row("mean lr", fmt_lr(summary.mean_lr))
    length = f"{summary.rows:,} {unit}{'s' if summary.rows != 1 else ''}"
    if unit == "step":
        length += f" ({schedule.config.epochs} epochs × {schedule.config.steps_per_epoch} steps)"
    grid.add_row("length", length)
    return grid


def floor_label(config: ScheduleConfig) -> str:
    """What the schedule's floor is called: ``min_lr``, ``eta_min``; empty without one."""
    from lrplan.core.schedulers import floor

    if config.scheduler == WARMUP_COS:
        return "min_lr"
    declared = floor(config)
    return declared[0] if declared is not None else ""


def heading(
    config: ScheduleConfig, source: str = "", sources: Mapping[str, str] | None = None
) -> Group:
    """``show``'s first line: the class, the unit and the settings; for a scheduler other
    than WarmupCosLR also the constructor call lrplan makes and the optimizer's lr; with
    ``sources``, a line saying where each value came from."""
    from lrplan.core.schedulers import call_text

    title = Text(f"{config.class_name} per {config.unit}: {config.name}{source}", style="bold")
    lines = [title]
    if config.scheduler != WARMUP_COS:
        lines.append(Text(f"{call_text(config)}, optimizer lr={config.lr:g}", style="dim"))
    if sources:
        lines.append(Text(f"from: {provenance(sources)}", style="dim"))
    return Group(*lines)


def provenance(sources: Mapping[str, str]) -> str:
    """``scheduler ← lr_scheduler.class_path, lr ← optimizer.init_args.lr, ...``: where each
    value of the plan came from (``default``: lrplan's own)."""
    return ", ".join(f"{name.removeprefix('param.')} ← {where}" for name, where in sources.items())


def insight_lines(found: Sequence[Insight]) -> Table | Text:
    """Each insight as 'level  message', its fix below the message, with a hanging indent."""
    if not found:
        return Text("No insights: nothing to watch out for.", style="dim")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for insight in found:
        said, fix = insight.worded(as_options)
        message = Text(said)
        message.append(f"\nfix: {fix}", style="dim")
        grid.add_row(Text(insight.level, style=_LEVEL_STYLE[insight.level]), message)
    return grid


def chart(schedule: Schedule, width: int, height: int = 10) -> Text:
    """The schedule as a column chart: one text column per bucket of rows, its tallest rate.

    The y axis runs from 0 to the peak; eighth blocks give sub-line resolution.
    """
    label_width = 10
    columns = max(10, width - label_width - 2)
    lrs = schedule.lrs
    count = len(lrs)
    peak = max(lrs)
    heights: list[float] = []
    for column in range(columns):
        start = column * count // columns
        stop = max(start + 1, (column + 1) * count // columns)
        tallest = max(lrs[start:stop])
        heights.append(tallest / peak * height if peak > 0 else 0.0)
    text = Text()
    for line in range(height, 0, -1):
        if line == height:
            label = fmt_lr(peak)
        elif line == 1:
            label = "0"
        else:
            label = ""
        text.append(f"{label:>{label_width}} ┤" if label else f"{'':>{label_width}} │")
        for value in heights:
            cell = value - (line - 1)
            if cell >= 1:
                text.append("█", style="green")
            elif cell > 0:
                text.append("▁▂▃▄▅▆▇█"[min(7, int(cell * 8))], style="green")
            else:
                text.append(" ")
        text.append("\n")
    text.append(f"{'':>{label_width}} └" + "─" * len(heights) + "\n")
    unit = schedule.config.unit
    first, last = schedule.epoch_of(0), schedule.epoch_of(count - 1)
    left, right = f"epoch {first}", f"epoch {last}"
    if unit == "step":
        left, right = f"step 0 (epoch {first})", f"step {count - 1} (epoch {last})"
    gap = max(1, len(heights) - len(left) - len(right))
    text.append(f"{'':>{label_width}}  {left}{' ' * gap}{right}")
    return text


def symptoms_grid(symptoms: Iterable[Symptom]) -> Table:
    """One line per symptom of the tuning guide: its name and what the user sees."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for symptom in symptoms:
        grid.add_row(symptom.name, symptom.description)
    return grid


def schedulers_grid(rows: Sequence[dict[str, object]]) -> Table:
    """One entry per short name: its class and what it plans, the --param arguments it needs,
    what lrplan fills from the options, and a command to try."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for row in rows:
        text = Text()
        text.append(str(row["class"]), style="bold")
        text.append(f"  {row['description']}")
        required = list(row["required"])  # type: ignore[call-overload]
        if required:
            needs = " ".join(f"--param {name}=..." for name in required)
            text.append(f"\nneeds: {needs}", style="yellow")
        filled = list(row["from_options"])  # type: ignore[call-overload]
        if filled:
            text.append(f"\nlrplan sets: {', '.join(filled)}", style="dim")
        text.append(f"\ntry: {row['example']}", style="dim")
        grid.add_row(str(row["name"]), text)
        grid.add_row("", "")
    grid.add_row(
        "MODULE:CLASS",
        Text(
            "Any LRScheduler subclass importable here (your training code included), its"
            " constructor arguments after the optimizer as --param KEY=VALUE; --lr is the"
            " optimizer's lr, --epochs the planned length. Try: lrplan show --scheduler"
            " torch.optim.lr_scheduler:CyclicLR --param base_lr=1e-4 --param max_lr=1e-3"
            " --param step_size_up=5"
        ),
    )
    return grid


def print_equivalence(console: Console, found: Equivalence) -> None:
    """``lrplan equivalent``'s report: the code (never wrapped, so it pastes as printed), how
    far the two schedules are apart, and how the common alternatives differ in shape."""
    config = found.config
    unit = config.unit
    console.print(
        f"torch's built-ins composed to WarmupCosLR {describe(config)}  (stepped per {unit})",
        style="bold",
        soft_wrap=True,
    )
    console.print()
    console.print(Text(found.code.rstrip("\n")), soft_wrap=True)
    console.print()
    rows = len(found.warmup_cos)
    ours, theirs = found.warmup_cos.lrs[found.at], found.torch.lrs[found.at]
    verdict = (
        (
            "the same schedule"
            if found.max_relative_difference == 0
            else "the same schedule, up to rounding"
        )
        if found.same
        else "they differ: please report it to lrplan with this command"
    )
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if found.max_relative_difference == 0:
        difference = f"Every one of the {rows:,} trained {unit}s has the same rate in both"
    else:
        difference = (
            f"The largest relative difference over the {rows:,} trained {unit}s is"
            f" {found.max_relative_difference:.1e}, at {unit} {found.at} ({fmt_lr(ours)} and"
            f" {fmt_lr(theirs)})"
        )
    grid.add_row(
        Text("same" if found.same else "differs", style="green" if found.same else "bold red"),
        f"{difference}: {verdict}.",
    )
    from lrplan.analysis.equivalent import ALTERNATIVES, alternatives

    measured = found.measured or (None,) * len(ALTERNATIVES)
    for position, ((name, shape), planned, (library, extra)) in enumerate(
        zip(alternatives(config), measured, ALTERNATIVES, strict=True)
    ):
        text = Text(name, style="bold")
        text.append(f"\n{shape}")
        if planned is not None:
            text.append(f"\n{measured_text(planned, found.warmup_cos, unit)}", style="cyan")
        elif found.measured:
            text.append(
                f"\n(not measured: {library} is not installed; pip install 'lrplan[{extra}]')",
                style="dim",
            )
        grid.add_row("elsewhere" if position == 0 else "", text)
    console.print(grid)


def measured_text(planned: Measured, ours: Schedule, unit: str) -> str:
    """What planning an alternative with its own code showed, beside WarmupCosLR."""
    peak_rows = sum(1 for lr in ours.lrs if lr >= max(ours.lrs) * (1 - 1e-12))
    plural = "s" if planned.peak_rows != 1 else ""
    return (
        f"Planned with {planned.library}: {unit} 0 trains at {fmt_lr(planned.lrs[0])}"
        f" (WarmupCosLR: {fmt_lr(ours.lrs[0])}); its peak {fmt_lr(planned.peak)} comes at"
        f" {unit} {planned.peak_at} for {planned.peak_rows} {unit}{plural} (WarmupCosLR:"
        f" {fmt_lr(max(ours.lrs))} for {peak_rows}); the last trained {unit} at"
        f" {fmt_lr(planned.lrs[-1])} (WarmupCosLR: {fmt_lr(ours.lrs[-1])}); the largest"
        f" relative difference is {planned.max_relative_difference:.0%}, at {unit}"
        f" {planned.at}."
    )


def print_schedule(
    schedule: Schedule,
    summary: Summary,
    found: Sequence[Insight],
    source: str = "",
    *,
    show_all: bool = False,
    plot: bool = False,
    console: Console | None = None,
    sources: Mapping[str, str] | None = None,
    first: Sequence[Insight] = (),
) -> None:
    """What ``lrplan show`` prints: the heading (with ``sources``, where each value came
    from), the warnings ``first`` (what makes the table another run than the file's), the
    table (with ``plot``, the chart), the summary and the insights."""
    console = console or make_console()
    console.print(heading(schedule.config, source, sources))
    if first:
        console.print(insight_lines(first))
    console.print(schedule_table(schedule, summary, show_all=show_all, width=console.width))
    if plot:
        # Drawn to the terminal's width: never wrapped (nor narrowed to prose's width).
        console.print(chart(schedule, width=console.width), soft_wrap=True)
    console.print(summary_grid(schedule, summary))
    console.print()
    console.print(insight_lines(found))
