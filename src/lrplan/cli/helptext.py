"""Help pages: usage, description and panels of options, drawn with rich's Table and Panel.

typer draws help with ``typer.rich_utils``, which imports rich's Markdown, markdown-it, pygments
and rich's traceback module at import time: about 40 ms, more than everything else
``lrplan --help`` does. This module draws the same layout from Click's public help records
(``Parameter.get_help_record``) with the parts of rich that lrplan loads anyway.

Help text is plain text: a ``[default: 1e-3]`` in a help string is shown as written, never
parsed as rich markup. Paragraphs are separated by blank lines; a paragraph starting with
``\\b`` (Click's convention) keeps its line breaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text
    from typer._click import Command, Context, Parameter

OPTIONS_PANEL = "Options"
ARGUMENTS_PANEL = "Arguments"
COMMANDS_PANEL = "Commands"

_NAME_STYLE = "bold cyan"
_METAVAR_STYLE = "bold yellow"
#: Below this width of the help column, rich lays the panel out (see _panel_lines).
_MIN_HELP_WIDTH = 20


def render_help(command: Command, context: Context) -> str:
    """The help page of ``command`` (a group or a command) as text for ``context``.

    The text carries ANSI styles only when stdout is a terminal without ``NO_COLOR``
    (the same rule as :func:`lrplan.output.console.make_console`); its width is the terminal's.
    """
    from rich.padding import Padding
    from rich.text import Text

    from lrplan.output.console import make_console

    console = make_console()
    with console.capture() as capture:
        console.print(Padding(Text(command.get_usage(context), style="bold"), 1))
        paragraphs = _paragraphs(command.help or "")
        if paragraphs:
            text = Text(paragraphs[0])
            for paragraph in paragraphs[1:]:
                text.append("\n\n" + paragraph, style="dim")
            console.print(Padding(text, (0, 1, 1, 1)))
        panels = _parameter_panels(command, context)
        commands = _command_rows(command, context)
        if commands:
            panels.append((COMMANDS_PANEL, commands))
        for title, rows in panels:
            lines = _panel_lines(console, title, rows)
            if lines is None:
                console.print(_panel(title, rows))
            for line in lines or ():
                console.print(line, soft_wrap=True)
        if command.epilog:
            console.print(Padding(Text("\n\n".join(_paragraphs(command.epilog))), 1))
    # rich pads each line to the width; no line of a help page ends in spaces.
    return "\n".join(line.rstrip(" ") for line in capture.get().rstrip("\n").split("\n"))


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each on one line unless it starts with ``\\b``."""
    import inspect

    text = inspect.cleandoc(text).partition("\f")[0]
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph.lstrip("\b\n"))
        elif paragraph.strip():
            paragraphs.append(" ".join(paragraph.split()))
    return paragraphs


def _parameter_panels(
    command: Command, context: Context
) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(title, rows) of each panel of parameters: arguments first, then options.

    A parameter goes to its ``rich_help_panel`` (a typer setting) or to the default panel of
    its kind; panels keep the order in which their first parameter is declared, except that
    the default panel of each kind comes first.
    """
    arguments: dict[str, list[tuple[str, str, str]]] = {ARGUMENTS_PANEL: []}
    options: dict[str, list[tuple[str, str, str]]] = {OPTIONS_PANEL: []}
    for param in command.get_params(context):
        if getattr(param, "hidden", False):
            continue
        is_argument = param.param_type_name == "argument"
        default_panel = ARGUMENTS_PANEL if is_argument else OPTIONS_PANEL
        panel = getattr(param, "rich_help_panel", None) or default_panel
        target = arguments if is_argument else options
        target.setdefault(panel, []).append(_parameter_row(param, context))
    return [(title, rows) for title, rows in [*arguments.items(), *options.items()] if rows]


def _parameter_row(param: Parameter, context: Context) -> tuple[str, str, str]:
    """(names, metavar or type, help) of one parameter, from Click's help record."""
    record = param.get_help_record(context)
    if record is None:
        return param.name or "", "", ""
    head, help_text = record
    if param.param_type_name == "argument":
        names, _, metavar = head.partition(" ")
    else:
        declared = [*param.opts, *param.secondary_opts]
        joined = ", ".join(declared)
        metavar = head[len(joined) :].strip() if head.startswith(joined) else ""
        # Click joins the names as declared; short names first reads better ("-h, --help").
        names = ", ".join(sorted(declared, key=lambda name: name.startswith("--")))
    if param.required and "required" not in help_text:
        help_text = f"{help_text} [required]"
    return names, metavar, " ".join(help_text.split())


def _command_rows(command: Command, context: Context) -> list[tuple[str, str, str]]:
    """(name, "", first paragraph of help) of each visible subcommand of a group."""
    list_commands = getattr(command, "list_commands", None)
    if list_commands is None:
        return []
    rows = []
    for name in list_commands(context):
        sub = command.get_command(context, name)  # type: ignore[attr-defined]
        if sub is None or sub.hidden:
            continue
        summary = _paragraphs(sub.short_help or sub.help or "")
        rows.append((name, "", summary[0] if summary else ""))
    return rows


def _panel_lines(
    console: Console, title: str, rows: list[tuple[str, str, str]]
) -> list[Text] | None:
    """The lines of :func:`_panel` as rich draws them, drawn here: a full-width rounded box,
    names and metavars unwrapped, the help wrapped in the rest.

    rich's Table and Panel take as long as the rest of ``lrplan --help`` (importing
    rich.table loads fractions and decimal, and the layout measures every cell twice).
    ``None`` where rich's own layout is needed: a terminal too narrow for the columns, or one
    that cannot show the box characters.
    """
    from rich.cells import cell_len
    from rich.text import Text

    if console.options.ascii_only or console.legacy_windows:
        return None
    with_metavar = any(metavar for _, metavar, _ in rows)
    names_width = max(cell_len(names) for names, _, _ in rows)
    metavar_width = max(cell_len(metavar) for _, metavar, _ in rows) + 2 if with_metavar else 0
    inner = console.width - 4  # the border and one space of padding on each side
    help_width = inner - names_width - 2 - metavar_width
    if help_width < _MIN_HELP_WIDTH:
        return None
    border = "dim"
    top = Text("╭─", style=border)
    top.append(f" {title} ".ljust(console.width - 4, "─") + "─╮", style=border)
    lines = [top]
    for names, metavar, help_text in rows:
        wrapped = Text(help_text).wrap(console, help_width, justify="left", overflow="ellipsis")
        for index, help_line in enumerate(wrapped or [Text("")]):
            line = Text("│ ", style=border)
            first = index == 0
            line.append((names if first else "").ljust(names_width + 2), style=_NAME_STYLE)
            if with_metavar:
                shown = (metavar if first else "").ljust(metavar_width)
                line.append(shown, style=_METAVAR_STYLE)
            line.append(help_line)
            line.pad_right(max(0, inner + 2 - line.cell_len))
            line.append(" │", style=border)
            lines.append(line)
    lines.append(Text(f"╰{'─' * (console.width - 2)}╯", style=border))
    return lines


def _panel(title: str, rows: list[tuple[str, str, str]]) -> RenderableType:
    from rich.box import ROUNDED
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(no_wrap=True, style=_NAME_STYLE)
    with_metavar = any(metavar for _, metavar, _ in rows)
    if with_metavar:
        table.add_column(no_wrap=True, style=_METAVAR_STYLE)
    table.add_column(ratio=1)
    for names, metavar, help_text in rows:
        cells: list[Any] = [Text(names)]
        if with_metavar:
            cells.append(Text(metavar))
        cells.append(Text(help_text))
        table.add_row(*cells)
    # A Text title: a str would be parsed as markup, which imports rich's emoji table.
    return Panel(table, title=Text(title), title_align="left", border_style="dim", box=ROUNDED)
