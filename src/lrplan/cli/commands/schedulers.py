"""``lrplan schedulers``: what ``--scheduler NAME`` plans."""

from __future__ import annotations

from lrplan.cli.options import JsonOption, reflowed


@reflowed
def schedulers(json_out: JsonOption = False) -> None:
    """List the schedulers --scheduler NAME plans, their required --param arguments, and
    what lrplan fills from the options.

    Any other LRScheduler subclass is planned by its import path: --scheduler
    package.module:ClassName, with its constructor arguments as --param KEY=VALUE. In a
    compare SPEC: scheduler=NAME and param.KEY=VALUE.

    Example: lrplan schedulers
    """
    from lrplan.core.schedulers import listing

    rows = listing()
    if json_out:
        from lrplan.output.export import STDOUT, envelope, json_writer, write_text

        write_text("--json", STDOUT, json_writer(envelope("schedulers", {"schedulers": rows})))
        return
    from lrplan.output.render import make_console, schedulers_grid

    console = make_console()
    console.print("lrplan schedulers: what --scheduler NAME plans", style="bold")
    console.print(schedulers_grid(rows))
