"""What ``compare``, ``tune`` and ``equivalent --compare`` print: the candidates, their rates
side by side, the metrics, the insights (a shared one once), and tune's change. Nothing here
computes rates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.compare import LOW, NEAR_PEAK
from lrplan.analysis.summary import Insight, fmt_lr
from lrplan.core.config import describe
from lrplan.core.registry import WARMUP_COS
from lrplan.output.render import EDGE_ROWS, insight_lines
from lrplan.output.rows import kept_rows

if TYPE_CHECKING:
    from lrplan.analysis.compare import Comparison, Metrics
    from lrplan.analysis.tuning import Remedy


def candidates_grid(comparison: Comparison) -> Table:
    """Each candidate's label and its settings, one line each."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    mixed = len({candidate.config.scheduler for candidate in comparison.candidates}) > 1
    for candidate in comparison.candidates:
        text = describe(candidate.config)
        if mixed and candidate.config.scheduler == WARMUP_COS:
            text = f"{WARMUP_COS} {text}"  # the others' descriptions start with their name
        grid.add_row(candidate.label, text)
    return grid


def _compared_rows(comparison: Comparison, show_all: bool) -> list[int | None]:
    """The rows to show, None marking an elision: all, or the head, the tail, and the last
    rows of every candidate that ends early (where the curves part)."""
    return kept_rows(len(comparison), edge=EDGE_ROWS, around=comparison.ends(), show_all=show_all)


#: Width of a rate as :func:`fmt_lr` writes it (``9.799e-04``).
_LR_WIDTH = 9


#: What a column adds to a table's width besides its content: padding and a border.
_COLUMN_FRAME = 3


def _fitting_groups(labels: Sequence[str], width: int | None, fixed: int) -> list[list[int]]:
    """The candidates' indices cut into groups whose tables fit in ``width`` columns.

    ``fixed`` is the width of the columns every table repeats (epoch, or the metric names).
    One group of all when ``width`` is None or all fit; a candidate always gets a table.
    """
    everyone = list(range(len(labels)))
    if width is None:
        return [everyone]
    groups: list[list[int]] = [[]]
    used = 1 + fixed
    for index, label in enumerate(labels):
        need = max(_LR_WIDTH, len(label)) + _COLUMN_FRAME
        if groups[-1] and used + need > width:
            groups.append([])
            used = 1 + fixed
        groups[-1].append(index)
        used += need
    return groups


def comparison_table(
    comparison: Comparison, show_all: bool = False, width: int | None = None
) -> Group:
    """One row per epoch (or step), one learning-rate column per candidate, and for two
    candidates their ratio. A candidate that has ended leaves its cells blank; each
    candidate's peak is bold. Long comparisons show their head, tail and the candidates' ends.

    With ``width`` (the terminal's), candidates that do not fit go to further tables.
    """
    step_mode = comparison.step_mode
    shown = _compared_rows(comparison, show_all)
    rows = {index: comparison.row(index) for index in shown if index is not None}
    peaks = [set(candidate.summary.peak_at) for candidate in comparison.candidates]
    fixed = len("epoch") + _COLUMN_FRAME
    if step_mode:
        fixed += max(len("step"), len(str(len(comparison) - 1))) + _COLUMN_FRAME
    if comparison.has_ratio:
        fixed += len("0.500×") + _COLUMN_FRAME
    notes: list[str] = []
    hidden = len(comparison) - len(rows)
    if hidden:
        unit = comparison.unit
        notes.append(f"{hidden:,} of {len(comparison):,} {unit}s not shown: --all shows every row")
    if comparison.ratio_label is not None:
        notes.append(f"ratio: {comparison.ratio_label}")

    tables = []
    for group in _fitting_groups(comparison.labels, width, fixed):
        table = Table(header_style="bold")
        table.add_column("epoch", justify="right", no_wrap=True)
        if step_mode:
            table.add_column("step", justify="right", no_wrap=True)
        for index in group:
            table.add_column(comparison.labels[index], justify="right", no_wrap=True)
        if comparison.has_ratio:
            table.add_column("ratio", justify="right", no_wrap=True)
        for position in shown:
            if position is None:
                table.add_row(*["⋮"] * len(table.columns), style="dim")
                continue
            row = rows[position]
            cells: list[str | Text] = [str(row.epoch)]
            if step_mode:
                cells.append(str(row.step))
            for index in group:
                lr = row.lrs[index]
                bold = "bold" if position in peaks[index] else ""
                cells.append("" if lr is None else Text(fmt_lr(lr), style=bold))
            if comparison.has_ratio:
                cells.append("" if row.ratio is None else f"{row.ratio:#.3g}×")
            table.add_row(*cells)
        tables.append(table)
    # Below the tables rather than as captions, which wrap to the width of a narrow table.
    return Group(*tables, *(Text(note, style="dim") for note in notes))


def metrics_table(comparison: Comparison, width: int | None = None) -> Group:
    """One column per candidate: peak and where it is held, last trained and mean rates,
    the area under the curve, time near the peak and far below it, and the length.

    Values never wrap; the metric names may. With ``width`` (the terminal's), candidates
    that do not fit go to further tables.
    """
    unit = comparison.unit
    near = f"{round(NEAR_PEAK * 100)}%"
    low = f"{round(LOW * 100)}%"
    rows: list[tuple[str, Callable[[Metrics], str]]] = [
        ("peak lr", lambda m: fmt_lr(m.peak_lr)),
        (f"peak {unit}s", lambda m: _positions(m.peak_at)),
        ("last trained lr", lambda m: fmt_lr(m.last_trained_lr)),
        ("mean lr", lambda m: fmt_lr(m.mean_lr)),
        ("area under curve", lambda m: fmt_lr(m.area)),
        (f"{unit}s ≥ {near} of peak", lambda m: f"{m.near_peak:,}"),
        (f"{unit}s < {low} of peak", lambda m: f"{m.low:,}"),
        ("epochs", lambda m: str(m.epochs)),
    ]
    if unit == "step":
        rows.append(("steps", lambda m: f"{m.rows:,}"))
    # The names wrap to this width if they must ("last trained lr" stays on one line).
    name_width = len("last trained lr")
    tables = []
    for group in _fitting_groups(comparison.labels, width, name_width + _COLUMN_FRAME):
        table = Table(header_style="bold")
        table.add_column("", style="bold", min_width=name_width)
        for index in group:
            table.add_column(comparison.labels[index], justify="right", no_wrap=True)
        for name, cell in rows:
            figures = (cell(comparison.candidates[index].metrics) for index in group)
            table.add_row(name, *figures)
        tables.append(table)
    return Group(*tables)


def _positions(positions: tuple[int, ...]) -> str:
    """``3``, ``2–3`` for a run of consecutive positions, else ``2, 5``."""
    first, last = positions[0], positions[-1]
    if len(positions) == 1:
        return str(first)
    if positions == tuple(range(first, last + 1)):
        return f"{first}–{last}"
    return ", ".join(map(str, positions))


def comparison_insights(comparison: Comparison) -> Group:
    """Each candidate's insights, as ``lrplan show`` prints them, under its label.

    An insight every candidate has (the same code at the same level) is printed once, first,
    in the first candidate's words, saying that it holds for all of them; the candidates'
    own sections keep the rest.
    """
    candidates = comparison.candidates
    shared = _shared_codes([candidate.insights for candidate in candidates])
    parts: list[Text | Table] = []
    if len(candidates) > 1 and shared:
        first = candidates[0]
        alike = [insight for insight in first.insights if (insight.code, insight.level) in shared]
        same_words = all(
            [i.message for i in c.insights if (i.code, i.level) in shared]
            == [i.message for i in alike]
            for c in candidates
        )
        parts.append(Text(f"all {len(candidates)} candidates", style="bold underline"))
        if not same_words:
            parts.append(
                Text(f"in {first.label}'s numbers; the others' differ only in theirs", style="dim")
            )
        parts.append(insight_lines(alike))
    for candidate in candidates:
        own = [i for i in candidate.insights if (i.code, i.level) not in shared]
        if not own and shared:
            continue
        if parts:
            parts.append(Text())
        parts.append(Text(candidate.label, style="bold underline"))
        parts.append(insight_lines(own))
    return Group(*parts)


def _shared_codes(found: Sequence[Sequence[Insight]]) -> set[tuple[str, str]]:
    """The (code, level) pairs every list of insights has."""
    if len(found) < 2:
        return set()
    common = {(insight.code, insight.level) for insight in found[0]}
    for insights in found[1:]:
        common &= {(insight.code, insight.level) for insight in insights}
    return common


def remedy_grid(remedy: Remedy) -> Table:
    """The symptom, what the remedy changes (and any adjustment), why it helps, and its rule."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("symptom", remedy.symptom.description)
    grid.add_row("change", "\n".join(remedy.changes) or "nothing: the rule leaves it as it is")
    for adjustment in remedy.adjustments:
        grid.add_row(Text("adjusted", style="yellow"), adjustment)
    grid.add_row("why", remedy.reason)
    grid.add_row("rule", Text(remedy.symptom.rule, style="dim"))
    return grid
