"""The console every command prints through: plain text to pipes and under NO_COLOR.

A module of its own, light to import, so that help pages and error lines do not load the
renderers of tables and charts.
"""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console


def make_console(file: IO[str] | None = None) -> Console:
    """A console that writes plain text (no ANSI escapes) to pipes and under NO_COLOR."""
    stream = file or sys.stdout
    plain = bool(os.environ.get("NO_COLOR")) or not stream.isatty()
    return Console(
        file=stream,
        color_system=None if plain else "auto",
        no_color=plain,
        highlight=False,
        emoji=False,
        force_terminal=False if plain else None,
    )
