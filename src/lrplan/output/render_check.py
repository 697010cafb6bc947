"""What ``lrplan check`` prints: the settings and where each came from, findings, a verdict."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.check import PASSED, CheckReport
from lrplan.analysis.summary import fmt_lr
from lrplan.core.registry import WARMUP_COS
from lrplan.core.schedulers import uses
from lrplan.core.values import show_value
from lrplan.output.render import heading, insight_lines


def settings_grid(report: CheckReport) -> Table:
    """Each setting, its value, and where it came from (a path in the file, an option, ...)."""
    config = report.schedule.config
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_column(style="dim")
    used = uses(config)
    shown: list[str] = [key for key in ("lr", "min_lr", "warmup_epochs", "epochs") if key in used]
    if config.scheduler != WARMUP_COS or report.sources.get("scheduler") != "default":
        grid.add_row("scheduler", config.scheduler, report.sources.get("scheduler", "default"))
    for name, value in config.params:
        grid.add_row(f"  {name}", show_value(value), report.sources.get(f"param.{name}", ""))
    if config.interval == "step" or report.sources.get("interval") not in (None, "default"):
        shown += ["interval", "steps_per_epoch"]
    for key in shown:
        value = getattr(config, key)
        if value is None:  # min_lr not given: the scheduler keeps its own default (eta_min)
            continue
        text = fmt_lr(value) if key in ("lr", "min_lr") else str(value)
        grid.add_row(key, text, report.sources.get(key, "default"))
    if report.optimizer is not None:
        grid.add_row("optimizer", report.optimizer, report.optimizer_source or "")
    return grid


def check_view(report: CheckReport) -> Group:
    """The whole report, for ``console.print``."""
    config = report.schedule.config
    title = heading(config)
    source = Text(
        f"settings, from {report.config_file}:" if report.config_file else "settings:",
        style="dim",
    )
    verdict = Text(
        report.verdict(), style="bold green" if report.exit_code == PASSED else "bold red"
    )
    return Group(
        title,
        source,
        settings_grid(report),
        Text(),
        insight_lines(report.findings),
        Text(),
        verdict,
    )
