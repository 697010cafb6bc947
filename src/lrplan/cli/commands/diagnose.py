"""``lrplan diagnose``: a training log's symptom, its learning rate against the plan, the remedy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lrplan.cli.options import ScheduleOptions, reflowed, with_outputs, with_schedule
from lrplan.output.emit import Outputs


@with_outputs(csv=False)
@with_schedule(scheduler=False)
@reflowed
def diagnose(
    log: Annotated[
        Path,
        typer.Argument(
            metavar="LOG",
            help="A training log: Lightning's metrics.csv, Hugging Face's trainer_state.json,"
            " timm's summary.csv, TensorBoard event files (pip install 'lrplan[tensorboard]'),"
            " a TensorBoard or W&B CSV export, or any CSV with an epoch or step column and a"
            " loss column; or the run folder that holds one.",
            show_default=False,
        ),
    ],
    loss_column: Annotated[
        str | None,
        typer.Option(
            "--loss-column",
            metavar="NAME",
            help="The column of the loss. Default: guessed, the training loss per epoch"
            " first (train_loss_epoch, train_loss, loss, train_loss_step, then val_loss).",
            show_default=False,
            rich_help_panel="Log",
        ),
    ] = None,
    lr_column: Annotated[
        str | None,
        typer.Option(
            "--lr-column",
            metavar="NAME",
            help="The column of the logged learning rate. Default: guessed (lr-AdamW, lr,"
            " learning_rate, ...).",
            show_default=False,
            rich_help_panel="Log",
        ),
    ] = None,
    *,
    schedule: ScheduleOptions,
    outputs: Outputs,
) -> None:
    """Read a training log, name its symptom with the evidence, and check its learning rate.

    Names one of diverging, not-learning, overfitting (from the validation curve against the
    training loss), slow, plateau or healthy (or says it cannot judge the loss), checks the
    logged learning rate against the plan (the options or --config, as in show) and names the
    likely cause where they part, and for a symptom shows lrplan tune's tuned schedule beside
    the plan, with the keys of the run's framework. Without a plan, the plan is read
    from the logged rate. The rules are in the README (lrplan diagnose).

    Example: lrplan diagnose examples/logs/plateau.csv --config examples/logs/plateau.yaml
    """
    outputs.check()
    settings = None
    if schedule.any_given():
        settings = schedule.settings()
        schedule.warmup_cos_only(
            settings, "diagnose checks logs against WarmupCosLR plans and tunes them with its guide"
        )
    from lrplan.analysis.diagnose import diagnose as read_diagnosis
    from lrplan.inputs.logs import read_log

    found = read_diagnosis(read_log(log, loss_column=loss_column, lr_column=lr_column), settings)
    comparison = None
    if found.remedy is not None:
        from lrplan.analysis.compare import compare as line_up
        from lrplan.output.emit import check_comparison

        configs = [
            found.remedy.base.replace(label="current"),
            found.remedy.tuned.replace(label="tuned"),
        ]
        check_comparison(configs, Outputs(show_all=outputs.show_all, json=outputs.json))
        comparison = line_up(configs)

    if outputs.png is not None:
        from lrplan.output.emit import wrote
        from lrplan.output.plot_diagnose import save_diagnosis_plot

        save_diagnosis_plot(outputs.png, found)
        wrote(outputs.png)
    if outputs.json:
        from lrplan.output.export import (
            STDOUT,
            comparison_document,
            config_fields,
            envelope,
            json_writer,
            write_text,
        )

        tune = None
        if comparison is not None and found.remedy is not None:
            tune = comparison_document(comparison, "tune", tune=found.remedy.to_dict())
        planned = config_fields(found.config) if found.config is not None else {"config": None}
        document = envelope("diagnose", {**planned, **found.to_dict(), "tune": tune})
        write_text("--json", STDOUT, json_writer(document))
        return

    from lrplan.output.console import make_console
    from lrplan.output.render_diagnose import print_diagnosis

    source = schedule.source() if settings is not None else "inferred from the log"
    print_diagnosis(make_console(), found, comparison, source, outputs.show_all)
