"""The README a newcomer reads in five minutes: short, every link resolves, every command shown
with a real example (docs/refresh_readme.py --check, run by CI, proves the examples real)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from lrplan.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) <= 250


# Links into the web are not followed: the tests reach no network.
@pytest.mark.parametrize(
    "target",
    sorted(t for t in set(LINK.findall(README)) if not t.startswith(("http://", "https://"))),
)
def test_every_link_of_the_readme_resolves(target: str) -> None:
    path, _, anchor = target.partition("#")
    file = ROOT / path if path else ROOT / "README.md"
    assert file.exists(), target
    if anchor:
        headings = re.findall(r"(?m)^#+ (.+)$", file.read_text(encoding="utf-8"))
        slugs = {re.sub(r"[^\w\- ]", "", h.lower()).strip().replace(" ", "-") for h in headings}
        assert anchor in slugs, target


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_a_real_example_in_the_readme(command: str) -> None:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.S)
    runs = [block for block in blocks if f"$ lrplan {command}" in block]
    assert runs, f"no console block runs lrplan {command}"
    # Output pasted under the command: at least one line that is not a command.
    assert any(
        any(line and not line.startswith("$ ") for line in block.splitlines()) for block in runs
    )


def test_every_page_of_the_site_exists() -> None:
    nav = re.findall(r":\s*([\w/\-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    assert len(nav) >= 15
    for page in nav:
        assert (ROOT / "docs" / page).exists(), page
