"""``lrplan resume``: resuming at epoch K the right way and the wrong ways."""

from __future__ import annotations

from typing import Annotated

import typer

from lrplan.cli.options import ScheduleOptions, parse_whole, with_outputs, with_schedule
from lrplan.output.emit import Outputs


@with_outputs(show_all=False, csv=False)
@with_schedule()
def resume(
    at: Annotated[
        int,
        typer.Option(
            "--at",
            metavar="K",
            parser=parse_whole,
            help="The epoch training resumes at, after a stop at the end of epoch K-1"
            " (1 to epochs-1).",
            show_default=False,
        ),
    ],
    schedule: ScheduleOptions,
    outputs: Outputs,
) -> None:
    """Resume a run at epoch K the right way and the wrong ways, with the real scheduler.

    Interrupts the run after epoch K-1, saves the optimizer and the scheduler with torch.save,
    and resumes: (1) loading both state dicts, (2) a fresh scheduler with last_epoch=K-1,
    (3) a fresh scheduler without state, (4) the optimizer's state loaded before the
    scheduler is built. Shows where each departs from the uninterrupted run, and the code
    that saves and resumes correctly.

    Example: lrplan resume --at 10 --lr 1e-3 --warmup-epochs 3 --epochs 25 --png resume.png
    """
    outputs.check()
    settings = schedule.settings()

    from lrplan.analysis.resume import check_resume_epoch, simulate_resume

    check_resume_epoch(settings, at)
    report = simulate_resume(settings, at)

    if outputs.png is not None:
        from lrplan.output.emit import wrote
        from lrplan.output.plot_resume import save_resume_plot

        save_resume_plot(outputs.png, report)
        wrote(outputs.png)
    if outputs.json:
        from lrplan.output.export import STDOUT, config_fields, envelope, json_writer, write_text

        document = envelope("resume", {**config_fields(settings), **report.to_dict()})
        write_text("--json", STDOUT, json_writer(document))
        return

    from lrplan.output.console import make_console
    from lrplan.output.render_resume import print_resume

    print_resume(make_console(), report)
