"""``lrplan compare``: two or more schedules side by side."""

from __future__ import annotations

from typing import Annotated

import typer

from lrplan.cli.options import IntervalOption, StepsPerEpochOption, with_outputs
from lrplan.errors import LrplanError
from lrplan.output.emit import Outputs


@with_outputs()
def compare(
    specs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SPEC",
            help="A schedule: a YAML config (the keys of show --config), or key=value"
            " settings over the defaults, e.g. lr=5e-4,warmup_epochs=5,label=gentle"
            " (keys: lr, min_lr, warmup_epochs, epochs, interval, steps_per_epoch, label,"
            " scheduler, and param.NAME for a constructor argument as --param passes it:"
            " scheduler=step,param.step_size=10); a YAML path may be followed by settings:"
            " train.yaml,lr=5e-4.",
            show_default=False,
        ),
    ] = None,
    interval: IntervalOption = None,
    steps_per_epoch: StepsPerEpochOption = None,
    *,
    outputs: Outputs,
) -> None:
    """Compare two or more schedules side by side: the rate of every epoch, key metrics, insights.

    --interval and --steps-per-epoch apply to every SPEC; a SPEC's own settings win over
    them. Schedules are aligned on the epoch (on the step when all are stepped per step
    with the same --steps-per-epoch; mixing is refused); one that ends early is left blank.

    Example: lrplan compare lr=1e-3 lr=5e-4,warmup_epochs=5,label=gentle --png compare.png
    """
    from lrplan.inputs.spec import spec_config

    given = specs or []
    if len(given) < 2:
        raise LrplanError(
            f"compare needs two or more SPECs, got {len(given)}; give YAML configs or"
            " key=value settings, e.g. lrplan compare lr=1e-3 lr=5e-4,warmup_epochs=5"
        )
    outputs.check()
    shared = {
        "interval": interval.value if interval is not None else None,
        "steps_per_epoch": steps_per_epoch,
    }
    configs = [spec_config(spec, position, shared) for position, spec in enumerate(given, 1)]
    classes = {config.class_name for config in configs}
    kind = f"{classes.pop()} " if len(classes) == 1 else ""
    title = f"Comparing {len(configs)} {kind}schedules"

    from lrplan.analysis.compare import compare as line_up
    from lrplan.output.emit import check_comparison, print_comparison, write_comparison

    check_comparison(configs, outputs)
    comparison = line_up(configs)
    write_comparison(comparison, outputs, command="compare", title=title)
    if outputs.terminal:
        from lrplan.output.console import make_console

        print_comparison(make_console(), comparison, title, show_all=outputs.show_all)
