"""The ``lrplan`` command: the Typer app, its one error boundary, and one module per command.

Importing this package must stay light (no torch, no matplotlib): ``lrplan --help`` imports it.
"""

from lrplan.cli.main import app, main

__all__ = ["app", "main"]
