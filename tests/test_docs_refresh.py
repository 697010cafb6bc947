"""docs/refresh_readme.py re-runs every console block of the README and the docs, whole, as a
shell runs it, and the same way on every machine (CI runs its --check)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from lrplan._version import __version__

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("refresh_readme", ROOT / "docs/refresh_readme.py")
assert _spec is not None and _spec.loader is not None
refresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh)

PAGES = [path.relative_to(ROOT).as_posix() for path in refresh.pages()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("examples", "docs", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def outputs(block: str) -> list[tuple[str, str]]:
    """Each command of a refreshed block and the lines printed under it, in order."""
    found: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], ""))
        else:
            assert found, f"output before any command: {line!r}"
            found[-1] = (found[-1][0], found[-1][1] + line + "\n")
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_console_block_of_a_page_is_refreshed_whole(page: str) -> None:
    # The refresh runs every $ line of every console block; a block whose first line is not a
    # command, or that has none, would keep output no run produced.
    for body in refresh.blocks((ROOT / page).read_text(encoding="utf-8")):
        assert body.startswith("$ "), f"{page}: a console block starts without a command"
        assert refresh.commands(body), page
        assert refresh.session(body).count(refresh.MARK) == len(refresh.commands(body))


def test_the_check_page_mixes_lrplan_with_echo_and_is_refreshed() -> None:
    # The block that was skipped before: lrplan check, then echo $? for its exit code.
    text = (ROOT / "docs/commands/check.md").read_text(encoding="utf-8")
    mixed = [body for body in refresh.blocks(text) if "$ echo $?" in body]
    assert mixed
    assert all(refresh.commands(body)[0].startswith("lrplan check") for body in mixed)


def test_a_block_mixing_lrplan_exit_codes_and_pipes_runs_as_a_shell_runs_it(
    folder: Path,
) -> None:
    # Stale output under every command: each must be replaced by what a shell shows.
    stale = "\n".join(
        [
            "$ lrplan --version | tr a-z A-Z",
            "STALE",
            "$ lrplan show --lr -1",
            "STALE",
            "$ echo $?",
            "STALE",
            "$ lrplan show --lr -1 2>/dev/null | head -n 1",
            "STALE",
            "$ echo $?",
            "STALE",
            "$ pwd",
            "STALE",
            "",
        ]
    )
    fresh = outputs(refresh.run_block(stale, folder))
    assert [command for command, _ in fresh] == refresh.commands(stale)
    printed = [output for _, output in fresh]
    assert "STALE" not in "".join(printed)
    assert printed[0] == f"LRPLAN {__version__}\n"
    # Bad input: one line on stderr and exit code 2, which the next command's $? holds.
    assert len(printed[1].splitlines()) == 1 and "--lr" in printed[1]
    assert printed[2] == "2\n"
    # A pipeline's status is its last command's; 2>/dev/null hides the error line.
    assert printed[3:5] == ["", "0\n"]
    # The scratch folder's path differs on every run: it is written "...".
    assert printed[5] == "...\n"


def test_output_is_the_same_on_every_machine(folder: Path) -> None:
    body = (
        "$ echo $COLUMNS $NO_COLOR $TERM\n"
        f"$ echo {ROOT}/src {folder}/docs\n"
        "$ printf 'padded   \\nline\\n'\n"
    )
    fresh = outputs(refresh.run_block(body, folder))
    expected = ["100 1 dumb\n", ".../src .../docs\n", "padded\nline\n"]
    assert [output for _, output in fresh] == expected


def test_stdout_and_stderr_interleave_as_on_a_terminal(folder: Path) -> None:
    script = "import sys; print('out 1'); print('err', file=sys.stderr); print('out 2')"
    body = f'$ python -c "{script}"\n'
    ((_, output),) = outputs(refresh.run_block(body, folder))
    assert output == "out 1\nerr\nout 2\n"


def test_no_console_block_shows_what_varies_from_run_to_run() -> None:
    # Timings, dates and absolute paths are not refreshed the same twice.
    varying = re.compile(r"\d+\.\d+ s\b|\b20\d\d-\d\d-\d\d\b|/tmp/|/home/|site-packages")
    for page in PAGES:
        for body in refresh.blocks((ROOT / page).read_text(encoding="utf-8")):
            assert not varying.search(body), f"{page}: {varying.search(body)}"
