"""``lrplan``: the app with every command registered, and the console script's entry point."""

from __future__ import annotations

from lrplan.cli.app import app
from lrplan.cli.commands.check import check
from lrplan.cli.commands.compare import compare
from lrplan.cli.commands.diagnose import diagnose
from lrplan.cli.commands.equivalent import equivalent
from lrplan.cli.commands.resume import resume
from lrplan.cli.commands.schedulers import schedulers
from lrplan.cli.commands.show import show
from lrplan.cli.commands.tune import tune

# The order of ``lrplan --help``.
for command in (show, resume, check, compare, tune, schedulers, equivalent, diagnose):
    app.command()(command)


def main() -> None:
    """Entry point of the ``lrplan`` console script."""
    from lrplan.optim import _imports

    _imports.freeze_after_import = True  # a short-lived process: see lrplan.optim._imports
    app()
