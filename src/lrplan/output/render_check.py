"""What ``lrplan check`` prints: the settings and where each came from, findings, a verdict."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lrplan.analysis.check import PASSED, CheckReport
from lrplan.analysis.summary import fmt_lr
from lrplan.core.registry import WARMUP_COS
from lrplan.core.schedulers import class_name, constructor_default, filled_argument, uses
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
    params = dict(config.params)
    for key in shown:
        value = getattr(config, key)
        source = report.sources.get(key, "default")
        argument = filled_argument(config, key)
        if argument is not None and argument in params:
            # --param T_max=8 wins over the T_max lrplan fills from epochs; lr and epochs
            # still set the optimizer's rate and the plan's length.
            unused = "" if key in ("lr", "epochs") else "unused: "
            source = f"{source}; {unused}{argument} is given as a param"
        elif value is None and argument is not None:
            # Not given: the constructor's own default applies (eta_min=0.0).
            has_default, value = constructor_default(config, argument)
            if not has_default:
                continue
            source = f"{class_name(config)}'s default {argument}"
        if value is None:  # nothing applies: steps_per_epoch of a per-epoch plan
            continue
        text = fmt_lr(value) if key in ("lr", "min_lr") and _is_number(value) else str(value)
        grid.add_row(key, text, source)
    if report.optimizer is not None:
        grid.add_row("optimizer", report.optimizer, report.optimizer_source or "")
    return grid


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
