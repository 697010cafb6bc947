"""``lrplan schedulers``: what ``--scheduler NAME`` plans."""

from __future__ import annotations

import shlex
from typing import Any

from lrplan.cli.options import JsonOption, reflowed


@reflowed
def schedulers(json_out: JsonOption = False) -> None:
    """List the schedulers --scheduler NAME plans, their required --param arguments, and
    what lrplan fills from the options.

    Any other LRScheduler subclass is planned by its import path: --scheduler
    package.module:ClassName, with its constructor arguments as --param KEY=VALUE. In a
    compare SPEC: scheduler=NAME and param.KEY=VALUE.

    A framework's own schedule is planned with its code: hf:TYPE (a Hugging Face
    lr_scheduler_type, e.g. hf:cosine --param num_warmup_steps=100), timm:SCHED (timm's
    sched, e.g. timm:cosine --param warmup_epochs=5) and deepspeed:TYPE (e.g.
    deepspeed:WarmupLR --param warmup_num_steps=1000).

    Example: lrplan schedulers
    """
    rows = listing()
    if json_out:
        from lrplan.output.export import STDOUT, envelope, json_writer, write_text

        write_text("--json", STDOUT, json_writer(envelope("schedulers", {"schedulers": rows})))
        return
    from lrplan.output.render import make_console, schedulers_grid

    console = make_console()
    console.print("lrplan schedulers: what --scheduler NAME plans", style="bold")
    console.print(schedulers_grid(rows))


#: What a ScheduleConfig attribute stands for on the command line.
OPTION_OF_ATTRIBUTE = {
    "lr": "--lr",
    "min_lr": "--min-lr",
    "warmup_rows": "--warmup-epochs",
    "rows": "--epochs",
}


def listing() -> list[dict[str, Any]]:
    """Every short name for ``lrplan schedulers``: class, required arguments, what the
    options fill, lrplan's own defaults, the description and an example."""
    # Here, not at the top: every command module is imported when lrplan starts (--help too).
    from lrplan.core.registry import BUILTINS

    rows = []
    for known in BUILTINS.values():
        filled = [f"{argument} ← {OPTION_OF_ATTRIBUTE[a]}" for argument, a in known.options]
        filled += [f"{argument}={value!r}" for argument, value in known.defaults]
        params = " ".join(f"--param {shlex.quote(item)}" for item in known.example.split())
        example = f"lrplan show --scheduler {known.name}" + (f" {params}" if params else "")
        rows.append(
            {
                "name": known.name,
                "class": known.class_name,
                "required": list(known.required),
                "from_options": filled,
                "description": known.description,
                "example": example,
            }
        )
    return rows
