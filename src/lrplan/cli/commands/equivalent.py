"""``lrplan equivalent``: WarmupCosLR beside torch's built-ins composed to the same curve."""

from __future__ import annotations

from typing import Annotated

import typer

from lrplan.cli.options import ScheduleOptions, reflowed, with_outputs, with_schedule
from lrplan.errors import LrplanError
from lrplan.output.emit import Outputs


@with_outputs()
@with_schedule(scheduler=False)
@reflowed
def equivalent(
    schedule: ScheduleOptions,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare", help="Show both side by side with compare's tables and insights."
        ),
    ] = False,
    *,
    outputs: Outputs,
) -> None:
    """Print torch's built-in schedulers composed to a WarmupCosLR configuration, run both,
    and report their largest difference.

    The composition is SequentialLR(LinearLR, CosineAnnealingLR), or CosineAnnealingLR alone
    with --warmup-epochs 0; the printed code is the code lrplan runs. Also says how Hugging
    Face's and timm's warm-up + cosine schedulers differ in shape. --csv and --png write
    both schedules, --json one document with the code and the difference.

    Example: lrplan equivalent --lr 1e-3 --warmup-epochs 3 --epochs 25 --compare
    """
    if outputs.show_all and not compare:
        raise LrplanError("--all shows every row of --compare's tables; add --compare")
    outputs.check()
    settings = schedule.settings()
    schedule.warmup_cos_only(
        settings,
        "lrplan equivalent composes WarmupCosLR (scheduler warmup_cos) from torch's built-ins",
    )

    from lrplan.analysis.compare import compare as line_up
    from lrplan.analysis.equivalent import equivalence, torch_config
    from lrplan.output.emit import check_comparison, print_comparison, write_comparison

    configs = [
        settings.replace(label="WarmupCosLR"),
        torch_config(settings).replace(label="SequentialLR"),
    ]
    check_comparison(configs, outputs)
    comparison = line_up(configs)
    first, second = (candidate.schedule for candidate in comparison.candidates)
    found = equivalence(settings, first, second)
    title = "WarmupCosLR and torch's composition"
    write_comparison(
        comparison,
        outputs,
        command="equivalent",
        title=title,
        payload={"equivalent": found.to_dict()},
    )
    if not outputs.terminal:
        return

    from lrplan.output.render import make_console, print_equivalence

    console = make_console()
    print_equivalence(console, found)
    if compare:
        console.print()
        print_comparison(console, comparison, title, show_all=outputs.show_all)
