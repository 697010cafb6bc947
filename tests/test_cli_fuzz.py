"""Random command lines and config files: lrplan never shows a traceback and never writes a
file it then calls an error.

The commands and their options are discovered from the typer app, so every command added
later is fuzzed too. Values come from a pool of what users mistype or paste: empty, huge,
negative, NaN, unicode and path-like strings.

CI runs a few hundred examples with hypothesis' default seed handling. For a longer hunt,
raise the count and vary the seed::

    LRPLAN_FUZZ_EXAMPLES=5000 pytest tests/test_cli_fuzz.py --hypothesis-seed=7

``LRPLAN_FUZZ_EXAMPLES`` sets the number of command lines (the config-file test runs
two-fifths as many); ``--hypothesis-seed`` is hypothesis' own pytest option.
"""

from __future__ import annotations

import enum
import os
import tempfile
from pathlib import Path

import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lrplan.cli import app

GROUP = typer.main.get_command(app)
COMMANDS = dict(sorted(GROUP.commands.items()))  # type: ignore[attr-defined]
HELP_OPTIONS = {"-h", "--help"}

#: Exit codes a command may end with: 0, 2 for a user error, 1 only for `check` with findings.
ALLOWED_EXIT = {name: {0, 2} | ({1} if name == "check" else set()) for name in COMMANDS}

NUMBERS = [
    *("", " ", "0", "1", "2", "3", "7", "25", "-1", "-0", "0.5", "2.5", "1e-3", "1e-5", "1e-2"),
    *("nan", "NaN", "inf", "-inf", "1e309", "1e-400", str(10**20), str(2**63), "0x10", "1_000"),
    *("١٢", "\N{MINUS SIGN}1", "1,5", "3.0", "1e3"),
]
PATHS = [
    *("-", ".", "..", "/", "~/x.csv", "C:\\temp\\x.csv", "NUL", "out.csv", "out.png", "out.svg"),
    *("out.pdf", "out.gif", "out.PNG", "out", "sub/out.csv", "sub", "no/such/folder/x.png"),
    *("a" * 300 + ".csv", "a" * 300 + ".png", "sub/" + "b" * 5000, "x.yaml", "train.yaml"),
    *("sub/", "out.csv/x"),
]
TEXT = [
    "é",
    "日本語",
    "☃",
    "\u200b",
    "%s",
    "{0}",
    "[bold]x[/bold]",
    "$HOME",
    "'",
    '"',
    "\\",
    "--lr",
]
VALUES = NUMBERS + PATHS + TEXT

#: Command lines per run: 250 unless raised from the environment for a longer hunt.
EXAMPLES = int(os.environ.get("LRPLAN_FUZZ_EXAMPLES") or 250)


def _typed_values(param: object) -> list[str]:
    """Values of the option's own kind: its choices, numbers, or paths (any value otherwise)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation] + TEXT
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return [str(choice) for choice in choices] + TEXT
    if annotation in (int, float):
        return NUMBERS
    if annotation in (str, Path):
        return PATHS
    return VALUES


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options = [
        param
        for param in COMMANDS[name].params
        if param.param_type_name == "option" and not set(param.opts) & HELP_OPTIONS
    ]
    arguments = [param for param in COMMANDS[name].params if param.param_type_name == "argument"]
    line = [name]
    # A value for each argument the command takes, and now and then one too many.
    extra = draw(st.sampled_from([0, 0, 0, 0, 1]))
    for _ in range(len(arguments) + extra):
        line.append(draw(st.sampled_from(VALUES)))
    for param in draw(st.lists(st.sampled_from(options), max_size=5)) if options else []:
        line.append(draw(st.sampled_from(param.opts)))
        if not getattr(param, "is_flag", False):
            # Mostly values of the option's kind, so that lines get past the parser.
            typed = st.sampled_from(_typed_values(param))
            value = st.one_of(typed, typed, st.sampled_from(VALUES))
            # Now and then the value is missing: the option is the last word.
            line.extend(draw(st.lists(value, max_size=1)))
    return name, line


def _files(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


def _check(name: str, line: list[str], folder: Path) -> None:
    before = _files(folder)
    result = CliRunner().invoke(app, line, env={"COLUMNS": "100", "NO_COLOR": "1"}, input="")
    shown = f"lrplan {' '.join(map(repr, line))}\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    assert result.exit_code in ALLOWED_EXIT.get(name, {0, 2}), shown
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lrplan: error: "), shown
        assert _files(folder) == before, shown


def _in_a_fresh_folder(check, *args) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "sub").mkdir()
        (folder / "train.yaml").write_text("lr: 1e-3\nepochs: 5\nwarmup_epochs: 1\n")
        here = Path.cwd()
        os.chdir(folder)
        try:
            check(*args, folder)
        finally:
            os.chdir(here)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_random_command_lines_end_cleanly(command: tuple[str, list[str]]) -> None:
    name, line = command
    _in_a_fresh_folder(_check, name, line)


YAML_PIECES = [
    *("lr: ", "min_lr: ", "warmup_epochs: ", "epochs: ", "interval: ", "steps_per_epoch: "),
    *("1e-3", "1.0e-3", "-1", "0", "25", ".nan", ".inf", "true", "null", "~", "[1, 2]", "{a: 1}"),
    *("step", "epoch", "'3'", "!!python/object/apply:os.system ['true']", "&a 1", "*a", "\t"),
    *("\n", "\n", ": ", "- ", "#", "---", "...", "é", "\ufeff", "\x00", "\udcff"),
]


def _check_config(text: str, folder: Path) -> None:
    path = folder / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    _check("show", ["show", "--config", str(path), "--csv", "out.csv"], folder)


@settings(max_examples=max(1, EXAMPLES * 2 // 5), deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=12).map("".join))
def test_random_config_files_end_cleanly(text: str) -> None:
    _in_a_fresh_folder(_check_config, text)
