"""What ``lrplan resume`` prints: the rates around the resume, each way's verdict, the code."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.resume import ResumeReport, Scenario, load_overrides_note, resume_code
from lrplan.analysis.summary import fmt_lr
from lrplan.output.render import heading
from lrplan.output.rows import kept_rows

#: Rows shown at the start and the end of an elided table, and before and after the resume.
EDGE_ROWS = 3
BEFORE_RESUME = 3
AFTER_RESUME = 6

SAME = "="


def shown_rows(count: int, at_row: int) -> list[int | None]:
    """The rows of the table, ``None`` where rows are left out."""
    return kept_rows(
        count, edge=EDGE_ROWS, around=(at_row,), before=BEFORE_RESUME, after=AFTER_RESUME - 1
    )


def _cell(scenario: Scenario, reference: Sequence[float], index: int, at_row: int) -> Text:
    if index < at_row:
        return Text("")
    if index >= len(scenario.lrs):
        if index == len(scenario.lrs) and scenario.error is not None:
            return Text(scenario.error.split(":", 1)[0], style="bold red")
        return Text("")
    if scenario.departs_at is None or scenario.lrs[index] == reference[index]:
        return Text(SAME, style="dim")
    return Text(fmt_lr(scenario.lrs[index]), style="yellow")


def comparison_table(report: ResumeReport) -> Table:
    """One row per epoch (or step): the uninterrupted rate, and each way's where it differs.

    Rows before the resume are the interrupted run's, the same for every way; after it, a
    way's cell is ``=`` where it trains at the uninterrupted rate, else its own rate.
    """
    config = report.config
    reference = list(report.uninterrupted.lrs)
    at_row = report.at_row
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    # In step mode the step alone: an epoch column too would not fit 60 columns.
    table.add_column(config.unit, justify="right")
    table.add_column("uninterrupted", justify="right")
    for scenario in report.scenarios:
        table.add_column(str(scenario.number), justify="right")
    rows = shown_rows(len(reference), at_row)
    for position, index in enumerate(rows):
        if index is None:
            table.add_row(*["⋮"] * len(table.columns), style="dim")
            continue
        if index == at_row and position > 0:
            table.add_section()
        table.add_row(
            str(index),
            fmt_lr(reference[index]),
            *(_cell(scenario, reference, index, at_row) for scenario in report.scenarios),
        )
    table.caption = f"{SAME} the uninterrupted rate" + (
        ", ⋮ rows left out" if len(rows) < len(reference) else ""
    )
    return table


def scenario_lines(report: ResumeReport) -> Table:
    """Each way, numbered as in the table: its title, where it departs, and why."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column()
    for scenario in report.scenarios:
        if scenario.departs_at is None:
            verdict = Text("identical to the uninterrupted run", style="green")
        elif scenario.error is not None and scenario.departs_at == len(scenario.lrs):
            verdict = Text(f"fails at {report.where(scenario.departs_at)}", style="bold red")
        else:
            verdict = Text(f"departs at {report.where(scenario.departs_at)}", style="yellow")
        text = Text(f"{scenario.title}: ", style="bold")
        text.append(verdict)
        if scenario.error is not None:
            text.append(f"\n{scenario.error.splitlines()[0]}", style="red")
        text.append(f"\n{scenario.explanation}")
        grid.add_row(Text(str(scenario.number), style="bold"), text)
    return grid


def resume_view(report: ResumeReport) -> Group:
    """The whole report, for ``console.print``."""
    config = report.config
    unit = config.unit
    interrupted = f"interrupted after epoch {report.at - 1}, resumed at epoch {report.at}" + (
        f" (step {report.at_row})" if unit == "step" else ""
    )
    parts: list[object] = [
        heading(config),
        Text(interrupted),
        comparison_table(report),
        Text(),
        scenario_lines(report),
        Text(),
        Text(f"note: {load_overrides_note(config)}", style="cyan"),
    ]
    for message in report.warnings:
        parts.append(Text(f"torch warned: {message.splitlines()[0]}", style="yellow"))
    parts += [Text(), Text("Save and resume so (the first way):", style="bold")]
    return Group(*parts)  # type: ignore[arg-type]


def print_resume(console: Console, report: ResumeReport) -> None:
    """Print :func:`resume_view`, then the code, which is never wrapped or cut to the
    terminal's width: wrapped, it would stop being Python."""
    console.print(resume_view(report))
    console.print(resume_code(report.config).rstrip("\n"), soft_wrap=True, markup=False)
