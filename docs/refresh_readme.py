"""Re-run every ``$ lrplan ...`` command in the console blocks of README.md and of the
documentation's pages (docs/**/*.md), and paste its real output.

    python docs/refresh_readme.py          # rewrite the files in place
    python docs/refresh_readme.py --check  # exit 1 if any is out of date

Commands run in a scratch folder holding links to examples/ and docs/, at 100 columns, with
NO_COLOR, so the output is what a user sees in a plain 100-column terminal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def run_block(body: str, folder: Path) -> str:
    """The block with each ``$ command``'s output replaced by a fresh run's output."""
    commands = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    if not commands or not all(command.startswith("lrplan") for command in commands):
        return body
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    out = []
    for command in commands:
        done = subprocess.run(
            command, shell=True, cwd=folder, env=env, capture_output=True, text=True
        )
        text = "\n".join(line.rstrip() for line in (done.stdout + done.stderr).splitlines())
        out.append(f"$ {command}\n{text}\n" if text else f"$ {command}\n")
    return "".join(out)


def refreshed(readme: str) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # Links, so that commands read the examples and write the README's figures in place.
        for name in ("examples", "docs"):
            (folder / name).symlink_to(ROOT / name)
        return BLOCK.sub(lambda m: f"```console\n{run_block(m.group(1), folder)}```", readme)


def pages() -> list[Path]:
    """README.md and every page of the documentation, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def main() -> int:
    stale = []
    for path in pages():
        current = path.read_text(encoding="utf-8")
        if "```console" not in current:
            continue
        fresh = refreshed(current)
        if fresh == current:
            continue
        stale.append(path.relative_to(ROOT))
        if "--check" not in sys.argv:
            path.write_text(fresh, encoding="utf-8")
    if stale and "--check" in sys.argv:
        names = ", ".join(str(name) for name in stale)
        print(f"{names}: out of date; run python docs/refresh_readme.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
