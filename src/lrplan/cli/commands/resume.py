"""``lrplan resume``: resuming at epoch K the right way and the wrong ways."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lrplan.cli.options import ScheduleOptions, parse_whole, with_outputs, with_schedule
from lrplan.errors import LrplanError
from lrplan.output.emit import Outputs


@with_outputs(show_all=False, csv=False)
@with_schedule()
def resume(
    schedule: ScheduleOptions,
    outputs: Outputs,
    checkpoint: Annotated[
        Path | None,
        typer.Argument(
            metavar="CHECKPOINT",
            help="A real run's checkpoint: a Lightning .ckpt, a Hugging Face checkpoint-N"
            " folder, or a torch.save file with 'scheduler' and 'optimizer' state dicts."
            " Plans the rest of the run with the settings given now.",
            show_default=False,
        ),
    ] = None,
    at: Annotated[
        int | None,
        typer.Option(
            "--at",
            metavar="K",
            parser=parse_whole,
            help="The epoch training resumes at, after a stop at the end of epoch K-1"
            " (1 to epochs-1).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resume a run at epoch K the right way and the wrong ways, with the real scheduler.

    Interrupts the run after epoch K-1, saves the optimizer and the scheduler with torch.save,
    and resumes: (1) loading both state dicts, (2) a fresh scheduler with last_epoch=K-1,
    (3) a fresh scheduler without state, (4) the optimizer's state loaded before the
    scheduler is built. Shows where each departs from the uninterrupted run, and the code
    that saves and resumes correctly.

    With CHECKPOINT instead of --at: rebuilds the scheduler from the settings given now
    (--config, or the options), loads the checkpoint's optimizer and scheduler state as the
    trainer does, and plans the rest of the run: what changed since the checkpoint, the rate
    just before and after the resume, and a warning when it jumps.

    Example: lrplan resume --at 10 --lr 1e-3 --warmup-epochs 3 --epochs 25 --png resume.png

    Example: lrplan resume epoch=2-step=30.ckpt --scheduler cosine --param T_max=12 --lr 0.1
    --epochs 12
    """
    outputs.check()
    if checkpoint is not None:
        if at is not None:
            raise LrplanError(
                "give CHECKPOINT (a real run's checkpoint) or --at K (a simulated"
                " interruption), not both"
            )
        _resume_checkpoint(checkpoint, schedule, outputs)
        return
    if at is None:
        raise LrplanError(
            "give CHECKPOINT (a real run's checkpoint) or --at K (the epoch a simulated"
            " interruption resumes at)"
        )
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


def _resume_checkpoint(path: Path, schedule: ScheduleOptions, outputs: Outputs) -> None:
    if not schedule.any_given():
        raise LrplanError(
            f"{path}: give the settings the run resumes with (--config FILE, or --scheduler,"
            " --lr, --epochs, --interval, --steps-per-epoch): the checkpoint holds the"
            " scheduler's state, not how the resumed run builds it"
        )
    settings = schedule.settings()

    from lrplan.analysis.checkpoint_resume import resume_checkpoint
    from lrplan.inputs.checkpoints import read_checkpoint

    report = resume_checkpoint(read_checkpoint(path), settings, batch_size=schedule.batch_size)
    if outputs.png is not None:
        from lrplan.output.emit import wrote
        from lrplan.output.plot_checkpoint import save_checkpoint_plot

        save_checkpoint_plot(outputs.png, report)
        wrote(outputs.png)
    if outputs.json:
        from lrplan.inputs.naming import as_options
        from lrplan.output.export import STDOUT, config_fields, envelope, json_writer, write_text

        data = report.to_dict()
        data["findings"] = [finding.to_dict(as_options) for finding in report.findings]
        document = envelope("resume", {**config_fields(settings), **data})
        write_text("--json", STDOUT, json_writer(document))
        return

    from lrplan.output.console import make_console
    from lrplan.output.render_checkpoint import checkpoint_view

    make_console().print(checkpoint_view(report))
