"""``lrplan tune``: the tuning guide's remedy for a symptom, beside the base schedule."""

from __future__ import annotations

from typing import Annotated

import typer

from lrplan.cli.options import ScheduleOptions, reflowed, with_outputs, with_schedule
from lrplan.errors import LrplanError
from lrplan.output.emit import Outputs


@with_outputs()
@with_schedule(scheduler=False)
@reflowed
def tune(
    symptom: Annotated[
        str | None,
        typer.Argument(
            metavar="SYMPTOM",
            help="diverging, slow, plateau or overfitting; leave it out to list them.",
            show_default=False,
        ),
    ] = None,
    *,
    schedule: ScheduleOptions,
    outputs: Outputs,
) -> None:
    """Apply the tuning guide's remedy for a SYMPTOM and compare base and tuned side by side.

    The base schedule comes from the options (or --config), as in show. The guide's rules,
    lengths in epochs, learning rates rounded to 12 significant digits:

    diverging: lr × 0.5; warmup_epochs × 5/3, rounded, at least 2 (3 → 5, 1e-3 → 5e-4).

    slow: lr × 10; warmup_epochs × 2/5, rounded, 1 becoming 2; min_lr kept (5 → 2, 1e-4 → 1e-3).

    plateau: epochs × 2; min_lr × 0.1 (25 → 50, 1e-5 → 1e-6).

    overfitting: epochs × 2/3, rounded, at least 2 (25 → 17), the cosine compressed to end
    there; or, keeping the length, lr × 0.5. lrplan diagnose ends it at the epoch the
    validation loss was best at instead.

    A warm-up that would not be shorter than training is cut to epochs - 1, and min_lr is
    halved with lr if it would exceed the new peak; the output says so.

    Example: lrplan tune diverging --lr 1e-3 --warmup-epochs 3 --epochs 25
    """
    from lrplan.analysis.tuning import SYMPTOMS, find_symptom, remedy

    if symptom is None:
        if schedule.any_given() or outputs != Outputs():
            raise LrplanError(
                f"tune needs a SYMPTOM: one of {', '.join(SYMPTOMS)}"
                " ('lrplan tune' alone lists them)"
            )
        from lrplan.output.render import make_console, symptoms_grid

        console = make_console()
        console.print("lrplan tune SYMPTOM: the tuning guide's remedies", style="bold")
        console.print(symptoms_grid(SYMPTOMS.values()))
        return
    find_symptom(symptom)  # an unknown one is refused before anything else
    outputs.check()
    base = schedule.settings()
    schedule.warmup_cos_only(
        base, "the tuning guide is WarmupCosLR's; compare it with alternatives in lrplan compare"
    )
    found = remedy(symptom, base)
    configs = [found.base.replace(label="base"), found.tuned.replace(label="tuned")]
    title = f"lrplan tune {symptom}: base and tuned"

    from lrplan.analysis.compare import compare as line_up
    from lrplan.output.emit import check_comparison, print_comparison, write_comparison

    check_comparison(configs, outputs)
    comparison = line_up(configs)
    write_comparison(
        comparison, outputs, command="tune", title=title, payload={"tune": found.to_dict()}
    )
    if outputs.terminal:
        from lrplan.output.console import make_console

        console = make_console()
        print_comparison(console, comparison, title, show_all=outputs.show_all, remedy=found)
        for line in (*found.alternatives, found.symptom.levers):
            if line:
                console.print(line, soft_wrap=True)
