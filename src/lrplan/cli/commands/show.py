"""``lrplan show``: one schedule, every epoch (or step), its summary and insights."""

from __future__ import annotations

from lrplan.cli.options import ScheduleOptions, with_outputs, with_schedule
from lrplan.output.emit import Outputs


@with_outputs(plot=True)
@with_schedule()
def show(schedule: ScheduleOptions, outputs: Outputs) -> None:
    """Show the learning rate of every epoch (or step), a summary, and what to watch out for.

    Example: lrplan show --lr 1e-3 --min-lr 1e-5 --warmup-epochs 3 --epochs 25 --png lr.png
    """
    outputs.check()
    resolved = schedule.resolve()
    settings = resolved.config
    outputs.check_rows(settings.rows)

    from lrplan.analysis.insights import insights
    from lrplan.analysis.summary import summarize
    from lrplan.core.planner import plan
    from lrplan.output.progress import progress_bar

    with progress_bar("planning", settings.rows) as progress:
        planned = plan(settings, progress=progress)
    summary = summarize(planned)
    from lrplan.analysis.framework_warnings import framework_warnings
    from lrplan.analysis.length import scheduler_length_findings
    from lrplan.analysis.overridden import overridden_findings

    first = [
        *scheduler_length_findings(planned, resolved.sources if schedule.config else None),
        *overridden_findings(
            planned, resolved.sources if schedule.config else None, resolved.found
        ),
        *framework_warnings(planned),
    ]
    found = [*first, *insights(planned, summary)]
    sources = resolved.sources if schedule.config is not None or schedule.sets else None

    from lrplan.output.export import STDOUT, schedule_csv, schedule_json, write_text

    # The plot first: a reader that closes stdout early (`--csv - | head`) never costs the file.
    if outputs.png is not None:
        from lrplan.output.emit import wrote
        from lrplan.output.plot import save_plot

        save_plot(outputs.png, [(settings.name, planned)], summaries=[summary])
        wrote(outputs.png)
    if outputs.csv is not None:
        from lrplan.output.emit import wrote

        with progress_bar(f"writing {outputs.csv}", settings.rows) as progress:
            write_text("--csv", outputs.csv, schedule_csv(planned, progress))
        if outputs.csv != STDOUT:
            wrote(outputs.csv)
    if outputs.json:
        with progress_bar("writing JSON", settings.rows) as progress:
            write_text(
                "--json", STDOUT, schedule_json(planned, summary, found, progress, sources=sources)
            )
    if not outputs.terminal:
        return

    from lrplan.output.render import print_schedule

    source = f" (from {schedule.config})" if schedule.config is not None else ""
    print_schedule(
        planned,
        summary,
        found[len(first) :],
        source,
        first=first,
        show_all=outputs.show_all,
        plot=outputs.plot,
        sources=sources,
    )
