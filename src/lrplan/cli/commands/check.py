"""``lrplan check``: every finding with its level, and an exit code for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lrplan.cli.options import SCHEDULE_PANEL, JsonOption, ScheduleOptions, with_schedule


@with_schedule()
def check(
    schedule: ScheduleOptions,
    optimizer: Annotated[
        str | None,
        typer.Option(
            "--optimizer",
            metavar="NAME",
            help="The optimizer (adamw, sgd, ...), to check the peak lr against its usual"
            " range. [default: the one the config names]",
            show_default=False,
            rich_help_panel=SCHEDULE_PANEL,
        ),
    ] = None,
    resume_from: Annotated[
        Path | None,
        typer.Option(
            "--resume-from",
            metavar="CHECKPOINT",
            help="A checkpoint the run resumes from: fails when the rate jumps at the resume"
            " or the saved state overrides the settings given now (see lrplan resume"
            " CHECKPOINT).",
            show_default=False,
            rich_help_panel=SCHEDULE_PANEL,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Check a schedule (or a training config) for mistakes; exit code 1 on a warning or error.

    Prints every finding with its level (error, warning, note) and a fix. Exit code 0 when
    nothing is a warning or an error, 1 when something is, 2 for invalid input: a guard for
    a training config in CI.

    Example: lrplan check --config examples/train_pluto.yaml
    """
    resolved = schedule.resolve()
    settings, found = resolved.config, resolved.found

    from lrplan.analysis.check import run_check

    report = run_check(
        settings,
        found,
        given=schedule.given(),
        config_file=str(schedule.config) if schedule.config is not None else None,
        optimizer=optimizer,
        sources=resolved.sources if schedule.config is not None else None,
    )
    if resume_from is not None:
        from lrplan.analysis.checkpoint_resume import resume_checkpoint, with_resume_findings
        from lrplan.inputs.checkpoints import read_checkpoint

        resumed = resume_checkpoint(
            read_checkpoint(resume_from), settings, batch_size=schedule.batch_size
        )
        report = with_resume_findings(report, resumed)
    if json_out:
        from lrplan.inputs.naming import as_options
        from lrplan.output.export import STDOUT, config_fields, envelope, json_writer, write_text

        document = envelope("check", {**config_fields(settings), **report.to_dict(as_options)})
        write_text("--json", STDOUT, json_writer(document))
    else:
        from lrplan.output.console import make_console
        from lrplan.output.render_check import check_view

        make_console().print(check_view(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)
