"""The test environment is the one the README's two commands promise (run by .ci/run).

The quick start installs the CPU build of torch; the test command installs
requirements/dev.lock with --no-deps. Nothing may have replaced that torch, pulled CUDA packages
or a torchvision in, or installed another version than the lock pins.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK_START_TORCH = "2.13.0"


def pinned() -> dict[str, str]:
    """Name → version of every `name==version` line in the lock."""
    lock = (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock, flags=re.M)
    return {normal(name): version for name, version in pins}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> int:
    installed = {normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = []
    torch = installed.get("torch", "missing")
    if torch.split("+")[0] != QUICK_START_TORCH or "+cpu" not in torch:
        problems.append(f"torch is {torch}, not the quick start's {QUICK_START_TORCH}+cpu")
    problems += [
        f"{name} {installed[name]} is installed"
        for name in sorted(installed)
        if name.startswith("nvidia-") or name in ("torchvision", "triton")
    ]
    problems += [
        f"{name} is {installed.get(name, 'missing')}, the lock pins {version}"
        for name, version in sorted(pinned().items())
        if installed.get(name) != version
    ]
    for problem in problems:
        print(f"check_env: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_env: torch {torch}, {len(pinned())} packages as the lock pins them")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
