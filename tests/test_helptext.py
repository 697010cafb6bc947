"""Help pages drawn by lrplan.cli.helptext: every option with its help, and a fast start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Annotated

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from lrplan.cli import app
from lrplan.cli.app import LrplanGroup

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _flat(text: str) -> str:
    """The text without panel borders and line breaks, for phrase checks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_listed_with_its_help(run, command: str) -> None:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    flat = _flat(result.stdout)
    for param in click_command.params:
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            # An argument is shown by its metavar (SPEC, LOG.csv), not its Python name.
            assert (param.metavar or param.name.upper()) in flat, param.name
        else:
            for name in param.opts:
                assert name in flat, name
        if param.help:
            assert " ".join(param.help.split()) in flat, param.help


def test_defaults_written_in_brackets_are_shown_not_parsed_as_markup(run) -> None:
    # typer's rich help parsed "[default: 1e-3]" as a style tag and dropped it.
    flat = _flat(run("show", "--help").stdout)
    assert "reached when warm-up ends. [default: 1e-3]" in flat
    assert "Total training epochs. [default: 25]" in flat


def test_options_are_grouped_in_their_panels(run) -> None:
    out = run("show", "--help").stdout
    titles = re.findall(r"╭─ (\w+) ─", out)
    assert titles == ["Options", "Schedule", "Output"]
    schedule_panel = out.split("╭─ Schedule")[1].split("╰")[0]
    assert "--lr" in schedule_panel and "--csv" not in schedule_panel
    assert re.search(r"--lr\s+<float>\s+Peak learning rate", schedule_panel)


def test_group_help_lists_every_command(run) -> None:
    out = run("--help").stdout
    commands_panel = out.split("╭─ Commands")[1]
    for command in COMMANDS:
        assert re.search(rf"│ {command}\s", commands_panel), command
    assert "-h, --help" in out


def test_help_fits_a_narrow_terminal(run, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = run("show", "--help").stdout
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "Example: lrplan show --lr 1e-3" in _flat(out)


def _toy_app() -> typer.Typer:
    toy = typer.Typer(cls=LrplanGroup, add_completion=False)

    @toy.command(epilog="Exit codes: 0 when fine.")
    def first(
        source: Annotated[str, typer.Argument(help="Where to read from.")],
        count: Annotated[int, typer.Option("--count", help="How many.")] = 3,
        name: Annotated[str, typer.Option("--name", help="Who [x].")] = ...,  # type: ignore[assignment]
        secret: Annotated[bool, typer.Option("--secret", hidden=True)] = False,
    ) -> None:
        """Do the first thing.

        \b
        line one
        line two
        """

    @toy.command()
    def second() -> None:
        """Do the second thing."""

    return toy


def test_arguments_required_options_defaults_and_hidden_options() -> None:
    result = CliRunner().invoke(_toy_app(), ["first", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.findall(r"╭─ (\w+) ─", out) == ["Arguments", "Options"]
    assert re.search(r"│ source\s+<str>\s+Where to read from\. \[required\]", out)
    assert re.search(r"--count\s+<int>\s+How many\. \[default: 3\]", out)
    assert re.search(r"--name\s+<str>\s+Who \[x\]\. \[required\]", out)
    assert "--secret" not in out
    # A paragraph marked with \b keeps its line breaks; the epilog closes the page.
    assert re.search(r" line one *\n line two", out)
    assert out.rstrip().endswith("Exit codes: 0 when fine.")


def test_help_is_plain_text_when_piped(run, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" not in run("show", "--help").stdout


@pytest.mark.parametrize("args", [["--help"], ["show", "--help"]])
def test_help_loads_neither_typers_rich_help_nor_markdown(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from lrplan.cli import main\n"
        f"sys.argv = ['lrplan', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    modules = set(done.stderr.split())
    assert "Usage: lrplan" in done.stdout
    assert not modules & {"typer.rich_utils", "rich.markdown", "markdown_it", "pygments"}


@pytest.mark.parametrize("columns", [30, 45, 60, 80, 100, 140, 220])
@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_panels_drawn_by_hand_are_the_panels_rich_draws(
    monkeypatch: pytest.MonkeyPatch, command: str, columns: int
) -> None:
    from lrplan.cli import helptext

    monkeypatch.setenv("COLUMNS", str(columns))
    group = typer.main.get_command(app)
    context = typer.Context(group, info_name="lrplan")
    if command:
        sub = group.get_command(context, command)  # type: ignore[attr-defined]
        context, group = typer.Context(sub, info_name=command, parent=context), sub

    by_hand = helptext.render_help(group, context)
    monkeypatch.setattr(helptext, "_panel_lines", lambda console, title, rows: None)
    by_rich = helptext.render_help(group, context)

    assert by_hand == by_rich
