"""``lrplan check``: every finding about a configuration, with a level, and an exit code for CI.

The findings are :func:`~lrplan.analysis.findings.findings` (``show``'s insights and those
only ``check`` adds) of the schedule the real scheduler plans. Exit code 0 when no finding
is an error or a warning, 1 when one is; invalid input never gets here (it is exit code 2).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrplan.analysis.findings import findings, sort_findings
from lrplan.analysis.summary import Insight, Summary, summarize
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import Schedule, plan
from lrplan.errors import LrplanError, Naming, as_arguments
from lrplan.inputs.files import coerce
from lrplan.inputs.naming import KEYS, OPTION_OF_KEY

if TYPE_CHECKING:
    from lrplan.inputs.training_config import ConfigValues

#: The keys a config should set; a file that lacks one gets a note saying the default used.
ESSENTIAL_KEYS = ("lr", "min_lr", "warmup_epochs", "epochs")

PASSED, FAILED = 0, 1


@dataclass(frozen=True)
class CheckReport:
    """The planned schedule, where its settings came from, and the findings about it."""

    schedule: Schedule
    summary: Summary
    findings: list[Insight]
    sources: dict[str, str]
    optimizer: str | None = None
    optimizer_source: str | None = None
    config_file: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 when a finding is an error or a warning, else 0."""
        return FAILED if self.counts.get("error") or self.counts.get("warning") else PASSED

    def verdict(self) -> str:
        """One line, e.g. ``check passed: no errors or warnings, 4 notes``."""
        parts = [
            f"{self.counts.get(level, 0)} {level}{'' if self.counts.get(level) == 1 else 's'}"
            for level in ("error", "warning", "note")
        ]
        if self.exit_code == PASSED:
            return f"check passed: no errors or warnings, {parts[2]}"
        return f"check failed: {', '.join(parts)} (exit code {self.exit_code})"

    def to_dict(self, naming: Naming = as_arguments) -> dict[str, Any]:
        return {
            "passed": self.exit_code == PASSED,
            "exit_code": self.exit_code,
            "counts": {level: self.counts.get(level, 0) for level in ("error", "warning", "note")},
            "config_file": self.config_file,
            "sources": self.sources,
            "optimizer": self.optimizer,
            "optimizer_source": self.optimizer_source,
            "findings": [finding.to_dict(naming) for finding in self.findings],
        }


def run_check(
    settings: ScheduleConfig,
    found: ConfigValues | None,
    *,
    given: dict[str, Any],
    config_file: str | None = None,
    optimizer: str | None = None,
    sources: dict[str, str] | None = None,
) -> CheckReport:
    """Plan ``settings`` and collect every finding.

    Args:
        settings: the configuration to check.
        found: what was read from the config file (None without one).
        given: the options given on the command line (None values: not given).
        config_file: the file's path, for the report.
        optimizer: ``--optimizer``; overrides the name the config gives.
        sources: where each value of the plan came from, as the inputs found it
            (:class:`lrplan.inputs.settings.Settings`); it completes the report's own.
    """
    provided = sources or {}
    schedule = plan(settings)
    summary = summarize(schedule)

    sources = {
        key: OPTION_OF_KEY[key] if given.get(key) is not None else "default"
        for key in settings.to_dict()
        if key in KEYS
    }
    file_names = found is not None and found.scheduler is not None
    sources["scheduler"] = (
        "--scheduler"
        if given.get("scheduler") is not None
        else ("scheduler" if file_names else "default")
    )
    optimizer_source = None
    last_epoch = last_epoch_source = None
    trainer_epochs = trainer_epochs_source = None
    if found is not None:
        sources.update({key: found.sources[key] for key in found.sources if given.get(key) is None})
        optimizer_source = found.optimizer_source
        if found.last_epoch is not None:
            last_epoch = _whole(
                found.last_epoch, f"--config {config_file}: {found.last_epoch_source}"
            )
            last_epoch_source = found.last_epoch_source
        if found.trainer_epochs is not None:
            trainer_epochs = _whole(
                found.trainer_epochs,
                f"--config {config_file}: {found.trainer_epochs_source}",
                "max_epochs",
            )
            trainer_epochs_source = found.trainer_epochs_source
            if trainer_epochs <= 0:  # Lightning's -1: no limit of epochs
                trainer_epochs = trainer_epochs_source = None
    sources.update({key: value for key, value in provided.items() if key in sources or "." in key})
    name = found.optimizer if found is not None else None
    if optimizer is not None and not optimizer.strip():
        raise LrplanError("invalid --optimizer: it is empty; give a name such as adamw or sgd")
    if optimizer is not None:
        name, optimizer_source = optimizer, "--optimizer"

    last_epoch_error = None
    if last_epoch is not None and last_epoch >= 0:
        from lrplan.analysis.resume import fresh_scheduler_error

        last_epoch_error = fresh_scheduler_error(settings, last_epoch)
    defaulted = (
        {
            key: getattr(settings, key)
            for key in ESSENTIAL_KEYS
            if sources.get(key, "unused") == "default"
        }
        if config_file is not None
        else {}
    )
    from lrplan.analysis.framework_warnings import framework_warnings
    from lrplan.analysis.length import scheduler_length_findings
    from lrplan.analysis.overridden import overridden_findings

    extra = [
        *scheduler_length_findings(schedule, sources=provided if config_file else None),
        *overridden_findings(schedule, sources if config_file else None, found),
        *framework_warnings(schedule),
    ]
    found_all = sort_findings(
        extra
        + findings(
            schedule,
            summary,
            optimizer=name,
            optimizer_source=optimizer_source,
            last_epoch=last_epoch,
            last_epoch_source=last_epoch_source,
            last_epoch_error=last_epoch_error,
            defaulted=defaulted,
            trainer_epochs=trainer_epochs,
            trainer_epochs_source=trainer_epochs_source,
        )
    )
    return CheckReport(
        schedule=schedule,
        summary=summary,
        findings=found_all,
        sources=sources,
        optimizer=name,
        optimizer_source=optimizer_source,
        config_file=config_file,
        counts=dict(Counter(finding.level for finding in found_all)),
    )


def _whole(value: object, where: str, name: str = "last_epoch") -> int:
    """``name``'s value as an int; LrplanError naming ``where`` if it is not a whole number."""
    try:
        whole: int = coerce("epochs", value, where)
    except LrplanError:
        raise LrplanError(
            f"{where}: {name}={value!r} is not valid; give a whole number (-1: "
            + ("a fresh run)" if name == "last_epoch" else "no limit)")
        ) from None
    return whole
