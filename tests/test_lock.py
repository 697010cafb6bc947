"""The tests' toolchain is locked, and CI runs exactly the README's commands (issue 18).

The README's test command installs requirements/dev.lock with --no-deps after the quick start
installed the CPU build of torch; .ci/run runs both commands verbatim. A lock that let torch,
torchvision or a CUDA package in would replace that torch; a dev requirement missing from the
lock, or pinned outside its range, would leave CI testing something else than pyproject says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8")
PINS = {
    re.sub(r"[-_.]+", "-", name).lower(): version
    for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", LOCK, flags=re.M)
}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dev_requirements() -> list[Requirement]:
    """The dev extra, with lrplan's own extras it names expanded, and lrplan's dependencies."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    found = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    todo = ["dev"]
    while todo:
        for text in extras[todo.pop()]:
            requirement = Requirement(text)
            if requirement.name == "lrplan":
                todo += sorted(requirement.extras)
            else:
                found.append(requirement)
    return found


@pytest.mark.parametrize("name", ["torch", "torchvision", "triton"])
def test_the_lock_leaves_torch_to_the_quick_start(name: str) -> None:
    assert name not in PINS


def test_the_lock_holds_no_cuda_package() -> None:
    assert [name for name in PINS if name.startswith("nvidia-")] == []


@pytest.mark.parametrize(
    "requirement", [r for r in dev_requirements() if r.name != "torch"], ids=str
)
def test_every_dev_requirement_is_pinned_within_its_range(requirement: Requirement) -> None:
    pinned = PINS.get(normal(requirement.name))
    assert pinned is not None, f"{requirement.name} is not in requirements/dev.lock"
    assert requirement.specifier.contains(pinned, prereleases=True)


def test_the_refresh_command_is_written_next_to_the_lock() -> None:
    command = re.search(r"^#\s+(pip-compile .+)$", LOCK, flags=re.M)
    assert command is not None
    notes = (ROOT / "requirements" / "README.md").read_text(encoding="utf-8")
    assert command.group(1) in notes


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_the_quick_start_is_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "lrplan show --lr 1e-3 --epochs 25" in commands[0]
    assert "requirements/dev.lock" in commands[1] and "python -m pytest" in commands[1]


@pytest.mark.parametrize("command", quick_start_commands())
def test_ci_runs_the_readme_commands_verbatim(command: str) -> None:
    lines = [line.strip() for line in CI.splitlines()]
    assert command.strip() in lines
