"""What ``lrplan resume CHECKPOINT`` prints: the checkpoint, what changed, the rates around
the resume, the findings."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.checkpoint_resume import CheckpointResume, show_value
from lrplan.analysis.summary import fmt_lr
from lrplan.core.schedulers import call_text
from lrplan.output.render import insight_lines
from lrplan.output.rows import kept_rows

EDGE_ROWS = 2
BEFORE_RESUME = 3
AFTER_RESUME = 4


def changes_table(report: CheckpointResume) -> Table | Text:
    """Each setting that changed: the checkpoint's value, the one given now, and the one the
    resumed run uses."""
    if not report.changes:
        return Text("Nothing changed: the settings given now are the checkpoint's.", style="green")
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name in ("changed", "checkpoint", "now", "resumed run uses"):
        table.add_column(name, justify="left" if name == "changed" else "right")
    for change in report.changes:
        used = Text(show_value(change.resumed))
        if change.kept:
            used.append(" (checkpoint's)", style="yellow")
        table.add_row(change.name, show_value(change.checkpoint), show_value(change.now), used)
    return table


def rates_table(report: CheckpointResume, show_all: bool = False) -> Table:
    """The rates before and after the resume, with the checkpoint's own curve beside them."""
    unit = report.config.unit
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column(unit, justify="right")
    table.add_column("", justify="left")
    table.add_column("lr", justify="right")
    table.add_column("checkpoint's curve", justify="right")
    rows = kept_rows(
        report.rows,
        edge=EDGE_ROWS,
        around=(report.at,),
        before=BEFORE_RESUME,
        after=AFTER_RESUME,
        show_all=show_all,
    )
    logged = {row for row, _ in report.checkpoint.logged}
    for position, row in enumerate(rows):
        if row is None:
            table.add_row(*["⋮"] * 4, style="dim")
            continue
        if row == report.at and position > 0:
            table.add_section()
        rate = report.rate(row)
        original = report.original_rate(row)
        if row < report.at:
            where = "trained, logged" if row in logged else "trained"
        else:
            where = "resumed" if row > report.at else "resumed ▸"
        cell = Text("?" if rate is None else fmt_lr(rate))
        if (
            row >= report.at
            and original is not None
            and rate is not None
            and abs(rate - original) > 1e-12 * max(abs(rate), abs(original))
        ):
            cell.stylize("yellow")
        table.add_row(
            str(row),
            Text(where, style="dim" if row < report.at else ""),
            cell,
            Text("" if original is None else fmt_lr(original), style="dim"),
        )
    return table


def checkpoint_view(report: CheckpointResume, show_all: bool = False) -> Group:
    """The whole report, for ``console.print``."""
    checkpoint, config = report.checkpoint, report.config
    unit = config.unit
    title = Text(f"{checkpoint.kind}: {checkpoint.path}", style="bold")
    done = f"trained {report.at:,} {unit}s" + (
        f" (epoch {checkpoint.trained_epochs})"
        if unit == "step" and checkpoint.trained_epochs is not None
        else ""
    )
    lines: list[object] = [
        title,
        Text(
            f"{done}; resumes at {report.where(report.at)} with {call_text(config)},"
            f" optimizer and scheduler state loaded, to {unit} {report.rows - 1}",
            style="dim",
        ),
        Text(f"rates before the resume: {report.trained_from}", style="dim"),
    ]
    for note in report.notes:
        lines.append(Text(f"note: {note}", style="cyan"))
    before = report.before
    lines += [
        Text(),
        Text("What changed", style="bold"),
        changes_table(report),
        Text(
            f"last trained rate {'?' if before is None else fmt_lr(before)},"
            f" first resumed rate {fmt_lr(report.resumed.lrs[0])}"
            + (f", then {fmt_lr(report.resumed.lrs[1])}" if len(report.resumed.lrs) > 1 else "")
        ),
        rates_table(report, show_all),
        insight_lines(list(report.findings)),
    ]
    return Group(*lines)  # type: ignore[arg-type]
