"""The console every command prints through: plain text to pipes and under NO_COLOR.

A module of its own, light to import, so that help pages and error lines do not load the
renderers of tables and charts.

Two rules hold for everything printed through it:

- Prose (notes, fixes, warnings, descriptions: text and borderless grids) wraps at
  :data:`PROSE_WIDTH` columns at most, so it stays readable in a wide terminal; bordered
  tables still take the terminal's whole width. Text that must not wrap (code, the chart)
  is printed with ``soft_wrap=True``: it is neither wrapped nor narrowed.
- Plain output (a pipe, a file, NO_COLOR) has no spaces at the end of its lines: rich pads
  every line of a grid to its width, which a terminal hides and a file keeps.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING

from rich.console import Console, Group, RenderHook

if TYPE_CHECKING:
    from rich.console import ConsoleRenderable

#: The widest a line of prose is drawn, in columns (tables use the terminal's whole width).
PROSE_WIDTH = 100


def make_console(file: IO[str] | None = None) -> Console:
    """A console that writes plain text (no ANSI escapes, no trailing spaces) to pipes, no
    colour under NO_COLOR, and draws prose at most :data:`PROSE_WIDTH` columns wide.

    NO_COLOR takes the colours away and nothing else (https://no-color.org): a terminal
    stays a terminal, so a progress bar still draws, moves and is erased. Taken for a pipe,
    the bar drew nothing until the very end, and then in one piece.
    """
    stream = file or sys.stdout
    piped = not stream.isatty()
    plain = piped or bool(os.environ.get("NO_COLOR"))
    console = _Console(
        file=_TrimmedLines(stream) if piped else stream,
        color_system=None if plain else "auto",
        no_color=plain,
        highlight=False,
        emoji=False,
        force_terminal=False if piped else None,
    )
    console.push_render_hook(_ProseWidth())
    return console


#: The exit code when the reader of stdout goes away before lrplan finished writing to it (as
#: ``| head`` does): a shell's status for a command killed by SIGPIPE (128 + 13), never the 1
#: with which ``check`` reports findings.
CLOSED_PIPE = 141


def stdout_closed() -> None:
    """Stop quietly: the reader of stdout is gone. Stdout is pointed at the null device first,
    so that Python's own flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by an object without a descriptor
        pass
    finally:
        os.close(devnull)
    raise SystemExit(CLOSED_PIPE)


class _Console(Console):
    """Rich's console, ending with :data:`CLOSED_PIPE` when the reader of stdout is gone
    (rich's own answer is exit code 1, ``check``'s code for findings)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        stdout_closed()


def prose(renderable: ConsoleRenderable) -> ConsoleRenderable:
    """``renderable`` drawn at most :data:`PROSE_WIDTH` columns wide, if it is prose: text
    that may wrap, a borderless grid, padding around prose; a group, part by part. Bordered
    tables, text that must not wrap and anything else are returned as they are."""
    from rich.constrain import Constrain
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    if isinstance(renderable, Group):
        return Group(*(prose(part) for part in renderable.renderables))  # type: ignore[arg-type]
    if isinstance(renderable, Table) and renderable.box is None:
        return Constrain(renderable, PROSE_WIDTH)
    if isinstance(renderable, Text) and not renderable.no_wrap:
        return Constrain(renderable, PROSE_WIDTH)
    if isinstance(renderable, Padding) and isinstance(renderable.renderable, Text | Table):
        return Constrain(renderable, PROSE_WIDTH + renderable.left + renderable.right)
    return renderable


class _ProseWidth(RenderHook):
    """Applies :func:`prose` to everything ``Console.print`` is given."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [prose(renderable) for renderable in renderables]


class _TrimmedLines:
    """A text stream that passes everything on to ``stream`` except spaces at the end of a
    line. Spaces at the end of a write are held back until the next write shows whether a
    line ends after them."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._spaces = ""

    def write(self, text: str) -> int:
        if not text:
            return 0
        written = len(text)
        text = self._spaces + text
        body = text.rstrip(" ")
        self._spaces = text[len(body) :]
        lines = body.split("\n")
        self.stream.write("\n".join(line.rstrip(" ") for line in lines))
        return written

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"
