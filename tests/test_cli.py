"""The CLI as a whole: help for every command, one-line errors, and a fast start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from lrplan.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_commands_are_registered() -> None:
    assert "show" in COMMANDS
    assert {"resume", "check"} <= set(COMMANDS)


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run, command: str, flag: str) -> None:
    result = run(command, flag)
    assert result.exit_code == 0, result.output
    assert f"lrplan {command}" in result.stdout
    # Every command's docstring ends with a runnable example.
    assert f"Example: lrplan {command}" in " ".join(result.stdout.split())


def test_no_arguments_prints_help(run) -> None:
    result = run()
    assert result.exit_code == 0
    assert "show" in result.stdout and "Usage" in result.stdout


def test_version(run) -> None:
    from lrplan import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"lrplan {__version__}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "--lr", "abc"], "--lr"),
        (["show", "--epochs", "2.5"], "--epochs"),
        (["show", "--bogus"], "--bogus"),
        (["show", "--interval", "hour"], "--interval"),
        (["nosuchcommand"], "nosuchcommand"),
        (["show", "--lr"], "--lr"),
        (["resume"], "give CHECKPOINT (a real run's checkpoint) or --at K"),
    ],
)
def test_parser_errors_are_one_line_exit_2(run, args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error:")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def _imported_modules(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from lrplan.cli import main\n"
        f"sys.argv = ['lrplan', *{list(args)!r}]\n"
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
    return set(done.stderr.split())


def test_the_command_modules_import_nothing_heavy_at_start_up() -> None:
    # Every command module is imported when lrplan starts, --help included: what a command
    # needs beyond typer and rich.console is imported inside it.
    code = "import sys, lrplan.cli; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(done.stdout.split())
    assert "lrplan.cli.commands.show" in modules
    heavy = {"torch", "numpy", "matplotlib", "yaml", "rich.table", "json", "csv", "tempfile"}
    assert not modules & heavy
    # Nor the API's modules: importing lrplan (which the command does first) loads no config.
    assert not {name for name in modules if name.startswith(("lrplan.core", "lrplan.inputs"))}


@pytest.mark.parametrize(
    "args", [["--help"], ["show", "--help"], ["resume", "--help"], ["check", "--help"], []]
)
def test_help_imports_neither_torch_nor_matplotlib(args: list[str]) -> None:
    modules = _imported_modules(*args)
    assert "typer" in modules  # the probe really ran the CLI
    assert "torch" not in modules
    assert "matplotlib" not in modules


def test_show_without_export_imports_no_matplotlib() -> None:
    modules = _imported_modules("show", "--epochs", "5", "--warmup-epochs", "1")
    assert "torch" in modules
    assert "matplotlib" not in modules


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrplan",
            "show",
            "--epochs",
            "4",
            "--warmup-epochs",
            "1",
            "--csv",
            "-",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "epoch,phase,lr"
    assert len(done.stdout.splitlines()) == 5


ENVELOPE_COMMANDS = [
    ("show", ["show", "--epochs", "6", "--json"]),
    ("resume", ["resume", "--at", "3", "--epochs", "6", "--json"]),
    ("check", ["check", "--epochs", "6", "--json"]),
    ("compare", ["compare", "lr=1e-3", "lr=5e-4", "--json"]),
    ("tune", ["tune", "plateau", "--json"]),
    ("schedulers", ["schedulers", "--json"]),
    ("equivalent", ["equivalent", "--epochs", "6", "--json"]),
    ("diagnose", ["diagnose", "examples/logs/plateau.csv", "--json"]),
]


@pytest.mark.parametrize(
    ("command", "args"), ENVELOPE_COMMANDS, ids=[c for c, _ in ENVELOPE_COMMANDS]
)
def test_every_json_document_opens_with_one_envelope(command: str, args: list[str]) -> None:
    from lrplan import __version__
    from lrplan.output.export import SCHEMA_VERSION

    result = CliRunner().invoke(app, args)

    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    assert list(document)[:3] == ["schema_version", "lrplan_version", "command"]
    assert document["schema_version"] == SCHEMA_VERSION == 2
    assert document["lrplan_version"] == __version__
    assert document["command"] == command


def test_diagnose_json_names_the_plans_class_not_a_constant() -> None:
    result = CliRunner().invoke(
        app,
        [
            "diagnose",
            "examples/logs/plateau.csv",
            "--config",
            "examples/logs/plateau.yaml",
            "--json",
        ],
    )

    document = json.loads(result.stdout)
    assert document["scheduler"] == "WarmupCosLR"
    assert document["constructor"].startswith("WarmupCosLR(optimizer")
