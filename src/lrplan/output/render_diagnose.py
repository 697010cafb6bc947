"""What ``lrplan diagnose`` prints: the log read, the symptom and its evidence, the rate check,
and the loss and rates of every epoch. Nothing here computes a learning rate."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.diagnose import (
    CAUSES,
    DIVERGING,
    HEALTHY,
    NOT_LEARNING,
    OVERFITTING,
    PLATEAU,
    SLOW,
    TUNABLE,
    UNJUDGEABLE,
    Diagnosis,
    follows_plan,
)
from lrplan.analysis.summary import fmt_lr
from lrplan.core.config import describe
from lrplan.output.render import EDGE_ROWS
from lrplan.output.rows import kept_rows

SYMPTOM_STYLE = {
    DIVERGING: "bold red",
    NOT_LEARNING: "bold red",
    SLOW: "bold yellow",
    PLATEAU: "bold yellow",
    OVERFITTING: "bold yellow",
    HEALTHY: "bold green",
    UNJUDGEABLE: "bold",
}

if TYPE_CHECKING:
    from lrplan.analysis.compare import Comparison


def diagnosis_view(diagnosis: Diagnosis, source: str, show_all: bool = False) -> Group:
    """The heading, the summary grid and the per-epoch table. ``source`` says where the
    plan came from (``--config train.yaml``, ``options``, ``lrplan's defaults``)."""
    log = diagnosis.log
    heading = Text(f"lrplan diagnose {log.path}", style="bold")
    return Group(
        heading,
        summary_grid(diagnosis, source),
        Text(),
        rows_table(diagnosis, show_all),
    )


def summary_grid(diagnosis: Diagnosis, source: str) -> Table:
    log = diagnosis.log
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()

    length = f"{len(log)} {'point' if log.steps_per_point > 1 else log.unit}"
    length += "s" if len(log) != 1 else ""
    if log.steps_per_point > 1:
        length += f" (each the mean of {log.steps_per_point} logged steps)"
    if log.steps_per_epoch:
        length += f", epochs of {log.steps_per_epoch} optimizer steps"
    grid.add_row("log", f"{log.kind}: {length}, {log.rows:,} rows")
    for note in log.notes:
        grid.add_row("", Text(note, style="dim"))
    grid.add_row("loss", _column_text(log.loss.name, log.loss.guessed, log.loss.others, "loss"))
    if log.lr is not None:
        grid.add_row("lr", _column_text(log.lr.name, log.lr.guessed, log.lr.others, "lr"))
    else:
        grid.add_row("lr", Text("no learning-rate column", style="dim"))
    inferred = diagnosis.inferred
    if inferred is None:
        assert diagnosis.config is not None
        grid.add_row("plan", f"{describe(diagnosis.config)} ({source})")
    else:
        grid.add_row("plan", "\n".join(inferred.facts))
        if diagnosis.config is not None:
            grid.add_row("", Text(f"as WarmupCosLR: {describe(diagnosis.config)}", style="dim"))
    grid.add_row("", "")

    symptom = diagnosis.symptom
    verdict = Text(symptom, style=SYMPTOM_STYLE[symptom])
    if diagnosis.departure is not None:
        verdict.append(f", {diagnosis.departure}", style="bold yellow")
    grid.add_row("symptom", verdict)
    grid.add_row("evidence", "\n".join(diagnosis.reading.evidence))
    for note in diagnosis.reading.notes:
        grid.add_row("note", note)

    check = diagnosis.lr_check
    if check is None:
        if diagnosis.lr_note:
            grid.add_row("lr check", Text(diagnosis.lr_note, style="dim"))
    elif check.departure is None:
        grid.add_row("lr check", Text(check.explanation, style="green"))
    else:
        point = check.departure
        grid.add_row(
            "lr check",
            Text(
                f"departs from the plan at {check.where(point)}: logged"
                f" {fmt_lr(point.logged.lr)}, planned {fmt_lr(point.planned)}",
                style="yellow",
            ),
        )
        cause = Text(CAUSES[check.cause or "unknown"], style="bold")
        cause.append(f"\n{check.explanation}", style="")
        grid.add_row("likely cause", cause)
    if check is not None and log.lr_every > 1:
        grid.add_row(
            "",
            Text(
                f"(every {log.lr_every}th of the {log.lr.name if log.lr else 'lr'} values"
                " checked, the log being long)",
                style="dim",
            ),
        )
    if check is not None and check.past_end:
        assert diagnosis.config is not None
        unit = check.unit
        grid.add_row(
            "note",
            f"{check.past_end} logged {unit}{'s' if check.past_end != 1 else ''} lie past the"
            f" plan's {diagnosis.config.rows} {unit}s: there the cosine rises again",
        )
    return grid


def _column_text(name: str, guessed: bool, others: tuple[str, ...], option: str) -> Text:
    text = Text(name)
    if guessed:
        also = f"; also {', '.join(others)}" if others else ""
        text.append(f" (guessed{also}: --{option}-column NAME picks one)", style="dim")
    return text


def shown_rows(count: int, marked: set[int], show_all: bool) -> list[int | None]:
    """The rows of the table, ``None`` where rows are left out: all of a short log, else the
    first and last rows and those around a marked one."""
    return kept_rows(count, edge=EDGE_ROWS, around=sorted(marked), show_all=show_all)


def rows_table(diagnosis: Diagnosis, show_all: bool = False) -> Group:
    """One row per epoch (or run of logged steps): the loss, the logged and the planned rate,
    and what happened there. A logged rate that departs from the plan is yellow."""
    log = diagnosis.log
    table = Table(header_style="bold")
    table.add_column(log.unit, justify="right", no_wrap=True)
    table.add_column("loss", justify="right", no_wrap=True)
    has_logged = log.lr is not None
    rows = diagnosis.rows
    # In a log read per step, a point is a run of steps: say at which step its rate was logged,
    # the step whose planned rate stands beside it.
    has_step = log.unit == "step" and any(
        row.lr_step is not None and row.lr_step != row.position for row in rows
    )
    has_planned = diagnosis.inferred is None
    if log.validation is not None:
        table.add_column(log.validation.column.name, justify="right", no_wrap=True)
    if has_logged:
        if has_step:
            table.add_column("lr at step", justify="right", no_wrap=True)
        table.add_column("logged lr", justify="right", no_wrap=True)
    if has_planned:
        table.add_column("planned lr", justify="right", no_wrap=True)
    table.add_column("", no_wrap=False)
    marked = {index for index, row in enumerate(rows) if row.marks}
    shown = shown_rows(len(rows), marked, show_all)
    for index in shown:
        if index is None:
            table.add_row(*["⋮"] * (len(table.columns) - 1), "", style="dim")
            continue
        row = rows[index]
        loss = Text(f"{row.loss:.4g}", style="" if math.isfinite(row.loss) else "bold red")
        logged = Text("" if row.logged_lr is None else fmt_lr(row.logged_lr))
        logged_lr, planned_lr = row.logged_lr, row.planned_lr
        if (
            logged_lr is not None
            and planned_lr is not None
            and not follows_plan(logged_lr, planned_lr)
        ):
            logged.stylize("yellow")
        cells: list[str | Text] = []
        if log.validation is not None:
            cells.append("" if row.validation is None else f"{row.validation:.4g}")
        if has_logged:
            if has_step:
                cells.append("" if row.lr_step is None else str(row.lr_step))
            cells.append(logged)
        if has_planned:
            cells.append("" if row.planned_lr is None else fmt_lr(row.planned_lr))
        table.add_row(str(row.position), loss, *cells, Text(", ".join(row.marks)))
    parts: list[Table | Text] = [table]
    hidden = len(rows) - sum(1 for index in shown if index is not None)
    if hidden:
        parts.append(
            Text(f"{hidden:,} of {len(rows):,} {log.unit}s not shown: --all shows every row")
        )
    return Group(*parts)


def print_diagnosis(
    console: Console,
    found: Diagnosis,
    comparison: Comparison | None,
    source: str,
    show_all: bool = False,
) -> None:
    """What ``lrplan diagnose`` prints: the diagnosis, then the plan beside the guide's remedy
    (``comparison``, None for a healthy run)."""
    from lrplan.output.emit import print_comparison

    console.print(diagnosis_view(found, source, show_all))
    console.print()
    symptom = found.symptom
    if found.reading.advice and found.departure is not None:
        console.print(
            f"{found.departure}: the run did not train with the planned rate; see the likely"
            " cause above.",
            style="yellow",
            soft_wrap=True,
        )
    if found.reading.advice:
        style = "bold" if symptom == UNJUDGEABLE else "bold red"
        console.print(f"{symptom}: nothing to tune with lrplan tune; instead", style=style)
        bullets = Table.grid(padding=(0, 1))
        bullets.add_column(no_wrap=True)
        bullets.add_column()
        for advice in found.reading.advice:
            bullets.add_row("-", advice)
        console.print(bullets)
        return
    if symptom in TUNABLE and found.remedy is None:
        from lrplan.analysis.tuning import find_symptom

        guide = find_symptom(symptom)
        console.print(f"lrplan tune {symptom}: the guide's remedy", style="bold")
        remedy = Table.grid(padding=(0, 2))
        remedy.add_column(no_wrap=True)
        remedy.add_column()
        remedy.add_row("rule", guide.rule)
        for change in found.length_changes:
            remedy.add_row("", f"for this run: {change} (the log's own length)")
        remedy.add_row("why", guide.reason)
        for line in found.framework_lines:
            remedy.add_row("also", line)
        console.print(remedy)
        console.print(
            "The run logged no learning rate and no plan was given, so there are no values to"
            " tune: give --config (or --lr, --epochs, ...) to see the tuned schedule.",
            style="yellow",
        )
        return
    if comparison is None or found.remedy is None:
        if found.departure is not None:
            console.print(
                f"{symptom} loss, but {found.departure}: the run did not train with the planned"
                " rate; fix that first (the likely cause is above).",
                style="yellow",
                soft_wrap=True,
            )
            return
        console.print(
            "healthy: nothing to tune (lrplan tune is for diverging, slow, plateau and"
            " overfitting).",
            style="green",
            soft_wrap=True,
        )
        return
    if found.inferred is not None and found.inferred.follows is False:
        console.print(
            "The run's schedule is not WarmupCosLR's: the remedy below tunes a WarmupCosLR with"
            " the run's peak, warm-up, floor and length.",
            style="yellow",
        )
        console.print()
    if found.lr_check is not None and found.lr_check.departure is not None:
        console.print(
            "The run did not train with the planned rate: fix that first. The remedy below"
            " tunes the plan, as if the run had followed it.",
            style="yellow",
        )
        console.print()
    title = f"lrplan tune {found.symptom}: the plan and the guide's remedy"
    print_comparison(console, comparison, title, show_all=show_all, remedy=found.remedy)
    for alternative in found.remedy.alternatives:
        console.print(alternative)
    if found.framework_lines:
        # "Lightning: Trainer(...); ..." — the framework, then its keys wrapped beside it.
        keys = Table.grid(padding=(0, 1))
        keys.add_column(no_wrap=True)
        keys.add_column()
        for line in found.framework_lines:
            framework, _, edit = line.partition(": ")
            keys.add_row(f"{framework}:" if edit else line, edit)
        console.print(keys)
