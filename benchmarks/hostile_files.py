"""The campaign of issue 22: thousands of mutated real files (``tests/mutants.py``) and the
special paths, each read by lrplan in a child process; counts tracebacks, crashes (exit 70),
hangs, peak memory and files left behind.

    python benchmarks/hostile_files.py --count 2000 --seed 1 --jobs 2

Each child is forked from a parent that has imported lrplan and torch already (a mutant costs
its own work, not an interpreter's start), runs ``lrplan`` in-process in a fresh folder with
the mutant in it, and is killed after ``--timeout`` seconds (a hang). Its address space is
capped at the parent's plus ``--memory`` MB, so a runaway read fails instead of swapping the
machine; its peak resident memory comes from ``wait4``. Not part of the tests: run it by hand.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mutants import Mutant, command_for, mutants, place  # noqa: E402


def _special_cases(folder: Path) -> list[tuple[str, list[str]]]:
    """The special paths: devices, a link to one, FIFOs, a folder; as config and as log."""
    fifo = folder / "pipe.yaml"
    os.mkfifo(fifo)
    log_fifo = folder / "metrics.csv"
    os.mkfifo(log_fifo)
    link = folder / "zero.yaml"
    link.symlink_to("/dev/zero")
    (folder / "dir.yaml").mkdir()
    cases = []
    for path in ("/dev/zero", "/dev/urandom", str(link), str(fifo), str(folder / "dir.yaml")):
        cases.append((f"--config {path}", ["show", "--config", path]))
        cases.append((f"check --config {path}", ["check", "--config", path]))
    for path in ("/dev/zero", "/dev/urandom", str(log_fifo), str(folder / "dir.yaml")):
        cases.append((f"diagnose {path}", ["diagnose", path]))
    return cases


def _child(line: list[str], folder: Path, memory_bytes: int) -> None:
    """In the forked child: run lrplan on ``line`` in ``folder``; never returns."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        os.chdir(folder)
        out = os.open(folder / ".stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(folder / ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from lrplan.cli import app

        try:
            app(args=line, prog_name="lrplan")
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    except BaseException:  # anything escaping lrplan's boundary: a traceback
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(99)


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 8 * 1024**3


class Outcome:
    def __init__(self, name: str, line: list[str]) -> None:
        self.name, self.line = name, line
        self.code: int | None = None
        self.hang = False
        self.peak_mb = 0.0
        self.seconds = 0.0
        self.stderr = ""
        self.left: list[str] = []


def _start(name, line, folder, memory):  # type: ignore[no-untyped-def]
    pid = os.fork()
    if pid == 0:
        _child(line, folder, memory)
    return pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--memory", type=int, default=2048, help="MB over the parent's")
    parser.add_argument("--show", type=int, default=10, help="failures printed")
    options = parser.parse_args()

    import torch  # noqa: F401  (the children inherit it loaded)

    import lrplan.cli.main  # noqa: F401
    from lrplan.cli import app

    # Warm every path once (imports done in the parent, not in each child).
    base = Path(tempfile.mkdtemp(prefix="lrplan-hostile-"))
    import contextlib
    import io

    for warm in mutants(options.seed, 3):
        place(warm, base).write_bytes(warm.source.read_bytes())
        quiet = io.StringIO()
        with (
            contextlib.redirect_stdout(quiet),
            contextlib.redirect_stderr(quiet),
            contextlib.suppress(SystemExit),
        ):
            app(args=command_for(warm, base), prog_name="lrplan")
    memory = _vm_bytes() + options.memory * 1024**2

    jobs: list[tuple[str, list[str], Path, Mutant | None]] = []
    special_folder = base / "special"
    special_folder.mkdir()
    for name, line in _special_cases(special_folder):
        folder = base / f"s{len(jobs)}"
        folder.mkdir()
        jobs.append((name, line, folder, None))
    for mutant in mutants(options.seed, options.count):
        folder = base / f"m{len(jobs)}"
        folder.mkdir()
        line = command_for(mutant, folder)
        place(mutant, folder).write_bytes(mutant.data)
        label = f"{mutant.source.name} ({'; '.join(mutant.changes)})"
        jobs.append((label, line, folder, mutant))

    outcomes: list[Outcome] = []
    running: dict[int, tuple[Outcome, Path, float, set[str]]] = {}
    pending = list(jobs)
    started_all = time.monotonic()
    while pending or running:
        while pending and len(running) < options.jobs:
            name, line, folder, _ = pending.pop(0)
            outcome = Outcome(name, line)
            before = {path.name for path in folder.iterdir()}
            pid = _start(name, line, folder, memory)
            running[pid] = (outcome, folder, time.monotonic(), before)
        time.sleep(0.002)
        for pid in list(running):
            outcome, folder, started, before = running[pid]
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done == 0:
                if time.monotonic() - started > options.timeout:
                    os.kill(pid, signal.SIGKILL)
                    _, status, usage = os.wait4(pid, 0)
                    outcome.hang = True
                else:
                    continue
            outcome.seconds = time.monotonic() - started
            outcome.peak_mb = usage.ru_maxrss / 1024
            outcome.code = os.waitstatus_to_exitcode(status)
            outcome.stderr = (folder / ".stderr").read_text(errors="replace")
            after = {path.name for path in folder.iterdir()} - before - {".stdout", ".stderr"}
            allowed = {"out.csv"} if outcome.code in (0, 1) else set()
            outcome.left = sorted(after - allowed)
            outcomes.append(outcome)
            del running[pid]
    elapsed = time.monotonic() - started_all
    shutil.rmtree(base, ignore_errors=True)

    tracebacks = [o for o in outcomes if "Traceback" in o.stderr or o.code == 99]
    crashes = [o for o in outcomes if o.code == 70]
    hangs = [o for o in outcomes if o.hang]
    left = [o for o in outcomes if o.left]
    many_lines = [
        o
        for o in outcomes
        if o.code == 2 and len([x for x in o.stderr.strip().splitlines() if x]) != 1
    ]
    long_lines = [o for o in outcomes if any(len(x) > 2100 for x in o.stderr.splitlines())]
    odd_codes = [o for o in outcomes if o.code not in (0, 1, 2, 70, 99) and not o.hang]
    codes = collections.Counter(o.code for o in outcomes)
    peak = max(outcomes, key=lambda o: o.peak_mb)
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"runs: {len(outcomes)} ({len(jobs) - options.count} special paths, seed {options.seed})")
    print(f"time: {elapsed:.0f} s with {options.jobs} jobs; slowest {slowest.seconds:.1f} s")
    for outcome in sorted(outcomes, key=lambda o: -o.seconds)[:3]:
        print(f"    {outcome.seconds:.1f} s, exit {outcome.code}: {outcome.name[:150]}")
    print(f"exit codes: {dict(sorted(codes.items(), key=lambda item: str(item[0])))}")
    print(f"tracebacks: {len(tracebacks)}; crashes (exit 70): {len(crashes)}; hangs: {len(hangs)}")
    print(f"error not one line: {len(many_lines)}; lines over 2,100 characters: {len(long_lines)}")
    print(f"other exit codes: {len(odd_codes)}; runs that left files: {len(left)}")
    print(f"peak memory: {peak.peak_mb:.0f} MB ({peak.name})")
    for title, found in (
        ("traceback", tracebacks),
        ("crash", crashes),
        ("hang", hangs),
        ("not one line", many_lines),
        ("long line", long_lines),
        ("odd exit", odd_codes),
        ("left files", left),
    ):
        for outcome in found[: options.show]:
            print(f"--- {title}: {outcome.name}: lrplan {' '.join(outcome.line)[:200]}")
            print("    " + outcome.stderr.strip()[-600:].replace("\n", "\n    "))
            if outcome.left:
                print(f"    left: {outcome.left}")


if __name__ == "__main__":
    main()
