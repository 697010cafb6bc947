"""Re-run every command of the console blocks of README.md and of the documentation's pages
(docs/**/*.md), and paste its real output.

    python docs/refresh_readme.py          # rewrite the files in place
    python docs/refresh_readme.py --check  # exit 1 if any is out of date

Every ```` ```console ```` block is run, whole, as a shell runs it: its ``$ `` lines in order, in
one bash session, each followed by what the terminal shows (stdout and stderr as they come,
pipes and ``echo $?`` included). No block is skipped: a block that cannot be re-run the same
way every time (timings, say) is not a console block (the speed page's are ``text``).

The run is made the same on every machine: a scratch folder holding links to examples/,
docs/ and tests/ (the real training configs of tests/data/configs/) is the working folder;
the terminal is 100 columns, NO_COLOR and TERM=dumb; Python writes unbuffered, so stdout
and stderr interleave as they do on a terminal; and the paths of this checkout, of the
scratch folder and of the Python installation are written ``...``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
PROMPT = "$ "
#: Printed after each command with its exit status, to cut the session's output apart.
MARK = "@@lrplan-refresh-status"
COLUMNS = 100


def commands(body: str) -> list[str]:
    """The block's commands: its ``$ `` lines, in order."""
    return [line[len(PROMPT) :] for line in body.splitlines() if line.startswith(PROMPT)]


def blocks(text: str) -> Iterator[str]:
    """The bodies of a page's console blocks."""
    return (match.group(1) for match in BLOCK.finditer(text))


def environment() -> dict[str, str]:
    """The environment every block runs in: a plain 100-column terminal, this Python first on
    PATH, nothing of the caller's terminal or colours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "CLICOLOR_FORCE", "LINES", "PYTHONWARNINGS"}
    }
    env.update(
        COLUMNS=str(COLUMNS), NO_COLOR="1", TERM="dumb", PYTHONUNBUFFERED="1", LC_ALL="C.UTF-8"
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def session(body: str) -> str:
    """The bash script that runs the block's commands in order, each followed by a line with
    ``MARK`` and its exit status (which ``$?`` still holds for the next command)."""
    lines = []
    for command in commands(body):
        lines.append(command)
        lines.append(f'__status=$?; printf "\\n{MARK} %d\\n" "$__status"; (exit "$__status")')
    return "\n".join(lines) + "\n"


def normalised(text: str, folder: Path) -> str:
    """``text`` without what differs from machine to machine: the paths of the scratch folder,
    this checkout and the Python installation become ``...``; no line ends in spaces."""
    places = {str(folder), str(folder.resolve()), str(ROOT)}
    places |= {sysconfig.get_path(name) for name in ("purelib", "platlib", "stdlib")}
    places |= {sys.prefix, sys.base_prefix}
    for place in sorted(places, key=len, reverse=True):
        text = text.replace(place, "...")
    return "\n".join(line.rstrip() for line in text.splitlines())


def run_block(body: str, folder: Path) -> str:
    """The block with each command's output replaced by a fresh run's output."""
    wanted = commands(body)
    if not wanted:
        return body
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", session(body)],
        cwd=folder,
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    parts = re.split(rf"\n?{MARK} (\d+)\n", done.stdout)
    outputs = parts[0:-1:2]
    if len(outputs) != len(wanted):
        quoted = shlex.quote(wanted[len(outputs)] if len(outputs) < len(wanted) else "")
        raise RuntimeError(f"the block stopped before {quoted} ran:\n{done.stdout}")
    out = []
    for command, output in zip(wanted, outputs, strict=True):
        text = normalised(output, folder)
        out.append(f"{PROMPT}{command}\n{text}\n" if text.strip() else f"{PROMPT}{command}\n")
    return "".join(out)


def refreshed(readme: str) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # Links, so that commands read the examples and write the README's figures in place.
        for name in ("examples", "docs", "tests"):
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
