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
    """A console that writes plain text (no ANSI escapes) to pipes and no colour under NO_COLOR.

    NO_COLOR takes the colours away and nothing else (https://no-color.org): a terminal
    stays a terminal, so a progress bar still draws, moves and is erased. Taken for a pipe,
    the bar drew nothing until the very end, and then in one piece.
    """
    stream = file or sys.stdout
    piped = not stream.isatty()
    plain = piped or bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream,
        color_system=None if plain else "auto",
        no_color=plain,
        highlight=False,
        emoji=False,
        force_terminal=False if piped else None,
    )
