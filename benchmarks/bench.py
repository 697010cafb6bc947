"""How fast lrplan is against what a user would run instead, and how much memory it takes.

Each case runs lrplan and its floor (the cheapest thing a user could run instead) alternately,
each run in a fresh process, and reports the median wall time of each, their ratio, the
highest peak resident memory (RSS) of each, and the goal:

    --help        lrplan --help                 python -c "import typer, rich.console"
    show          lrplan show --lr 1e-3         python -c "import torch"
                    --epochs 25
    show --png    lrplan show --epochs 25       floor_plot.py: import torch and pyplot, save a
                    --png a.png                   two-point line plot
    1M steps csv  lrplan show --epochs 1000     floor_loop.py: SGD + WarmupCosLR, the
                    --steps-per-epoch 1000        scheduler stepped a million times, each
                    --interval step --csv a.csv   rate written with csv.writer; and the
                                                  peak RSS no higher than the loop's
    1M steps png  the same schedule,            the "1M steps csv" lrplan run: at most 2 s more
                    --png a.png instead
    diagnose 1M   lrplan diagnose metrics.csv   floor_diagnose.py: lrplan show planning the
                    (1,000,000 rows, one per      same steps to a CSV, then reading the log
                    step) with the same plan      with csv.reader; at most 1.5×, and a peak RSS
                                                  at most the floor's + 2× the log's size
                  (make_metrics.py writes the log once, untimed, before the rounds)
    plan hf       lrplan show --scheduler       python -c "import transformers.optimization"
                    hf:cosine (3,000 steps)
    plan timm     lrplan show --scheduler       importing timm's scheduler code as lrplan does
                    timm:cosine (300 epochs)      (lrplan.core.frameworks.timm)

and what each callback adds to the start of a tiny training run beyond importing lrplan (and
the framework), measured inside the run by callback_run.py: at most 0.5 s.

    lightning callback   LRPlanCallback in a Lightning run (needs the lightning extra)
    hf callback          LRPlanCallback in a transformers Trainer run (needs the hf extra)

Run it from a clone with lrplan installed (``pip install -e .``)::

    python benchmarks/bench.py                # 5 to 10 minutes on 2 cores
    python benchmarks/bench.py --quick        # long cases at 100,000 steps; about a minute
    python benchmarks/bench.py --case show    # only the cases whose name starts with "show"
    python benchmarks/bench.py --case lightning --case hf   # the callbacks (needs the extras)

It exits with 1 if a goal is missed.

Children run without PYTHONDONTWRITEBYTECODE, so Python caches compiled modules as it does
after a normal install; one untimed run of every command warms the caches first. Peak memory
comes from ``os.wait4`` (Linux and macOS). Timings on a busy machine are noisy: the load
average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Command:
    """One command line to time, and what it measured."""

    label: str
    argv: list[str]
    outputs: tuple[str, ...] = ()
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float:
        return max(self.peak_kib) / 1024


@dataclass
class Case:
    """lrplan against its floor, with the goal for the ratio (or the extra seconds)."""

    name: str
    lrplan: Command
    floor: Command
    goal: float
    extra_seconds: bool = False  # the goal is lrplan - floor <= goal seconds, not a ratio
    memory_goal: float | None = None  # peak RSS of lrplan / floor at most this
    # peak RSS of lrplan at most the floor's plus this many times the size of this file
    memory_file: tuple[str, float] | None = None
    setup: list[str] | None = None  # run once, untimed, before the rounds
    file_mib: float = 0.0  # the size of memory_file, once setup wrote it
    rounds: int = 7
    rounds_quick: int = 3

    def verdict(self) -> tuple[str, str, bool]:
        if self.extra_seconds:
            extra = self.lrplan.median - self.floor.median
            ok = extra <= self.goal
            return f"{extra:+.2f} s", f"≤ +{self.goal:g} s", ok
        ratio = self.lrplan.median / self.floor.median
        ok = ratio <= self.goal
        if self.memory_goal is not None:
            ok = ok and self.lrplan.peak_mib <= self.memory_goal * self.floor.peak_mib
        goal = f"≤ {self.goal:g}×" + (" and RSS ≤ floor" if self.memory_goal else "")
        if self.memory_file is not None:
            _, multiple = self.memory_file
            allowed = self.floor.peak_mib + multiple * self.file_mib
            ok = ok and self.lrplan.peak_mib <= allowed
            goal += f" and RSS ≤ floor + {multiple:g}× {self.file_mib:.0f} MiB log"
        return f"{ratio:.2f}×", goal, ok


@dataclass
class Added:
    """What a callback adds to a run's start, as callback_run.py measures it inside the run."""

    name: str
    framework: str
    module: str
    goal: float = 0.5
    seconds: list[float] = field(default_factory=list)

    @property
    def installed(self) -> bool:
        import importlib.util

        return importlib.util.find_spec(self.module) is not None

    def run_once(self, folder: Path, env: dict[str, str]) -> None:
        argv = [sys.executable, str(HERE / "callback_run.py"), self.framework]
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
        last = done.stdout.strip().splitlines()[-1:] or [""]
        if done.returncode != 0 or not last[0].startswith("added "):
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
        self.seconds.append(float(last[0].split()[1]))


def added_cases() -> list[Added]:
    return [
        Added("lightning callback", "lightning", "lightning"),
        Added("hf callback", "hf", "transformers"),
    ]


def lrplan_argv() -> list[str]:
    """The installed ``lrplan`` script beside this Python, else ``python -m lrplan``."""
    script = Path(sys.executable).parent / "lrplan"
    if script.exists():
        return [str(script)]
    found = shutil.which("lrplan")
    return [found] if found else [sys.executable, "-m", "lrplan"]


def cases(quick: bool) -> list[Case]:
    python, lrplan = sys.executable, lrplan_argv()
    epochs = "100" if quick else "1000"
    steps = f"{int(epochs) * 1000:,}"
    long_schedule = ["show", "--epochs", epochs, "--steps-per-epoch", "1000", "--interval", "step"]
    long_csv = Command(f"lrplan, {steps} steps to CSV", [*lrplan, *long_schedule, "--csv", "a.csv"])
    # The diagnose case: the log's own plan, given as options; its floor plans it with show.
    plan = ["--lr", "1e-3", "--min-lr", "1e-5", "--warmup-epochs", "3", "--epochs", epochs]
    plan += ["--interval", "step", "--steps-per-epoch", "1000"]
    show = ["show", *plan]
    return [
        Case(
            "--help",
            Command("lrplan --help", [*lrplan, "--help"]),
            Command("import typer, rich.console", [python, "-c", "import typer, rich.console"]),
            goal=1.5,
            rounds=15,
            rounds_quick=9,
        ),
        Case(
            "show",
            Command("lrplan show", [*lrplan, "show", "--lr", "1e-3", "--epochs", "25"]),
            Command("import torch", [python, "-c", "import torch"]),
            goal=1.15,
        ),
        Case(
            "show --png",
            Command("lrplan show --png", [*lrplan, "show", "--epochs", "25", "--png", "a.png"]),
            Command("torch + pyplot, 2 points", [python, str(HERE / "floor_plot.py"), "b.png"]),
            goal=1.3,
        ),
        Case(
            f"{steps} steps csv",
            long_csv,
            Command(
                "hand-written loop",
                [python, str(HERE / "floor_loop.py"), "1000", epochs, "b.csv"],
            ),
            goal=1.0,
            memory_goal=1.0,
            rounds=5,
        ),
        Case(
            f"{steps} steps png",
            Command(f"lrplan, {steps} steps to PNG", [*lrplan, *long_schedule, "--png", "a.png"]),
            long_csv,
            goal=2.0,
            extra_seconds=True,
            rounds=5,
        ),
        Case(
            f"diagnose {steps} rows",
            Command(f"lrplan diagnose, {steps} rows", [*lrplan, "diagnose", "metrics.csv", *plan]),
            Command(
                "lrplan show + csv.reader",
                [python, str(HERE / "floor_diagnose.py"), "metrics.csv", "b.csv", *lrplan, *show],
            ),
            goal=1.5,
            memory_file=("metrics.csv", 2.0),
            setup=[python, str(HERE / "make_metrics.py"), "1000", epochs, "metrics.csv"],
            rounds=3,
        ),
        Case(
            "plan hf",
            Command(
                "lrplan show hf:cosine",
                [
                    *lrplan,
                    "show",
                    "--scheduler",
                    "hf:cosine",
                    "--param",
                    "num_warmup_steps=300",
                    "--lr",
                    "2e-5",
                    "--epochs",
                    "3",
                    "--interval",
                    "step",
                    "--steps-per-epoch",
                    "1000",
                ],
            ),
            Command(
                "import transformers.optimization",
                [python, "-c", "import transformers.optimization"],
            ),
            goal=1.15,
        ),
        Case(
            "plan timm",
            Command(
                "lrplan show timm:cosine",
                [
                    *lrplan,
                    "show",
                    "--scheduler",
                    "timm:cosine",
                    "--param",
                    "warmup_epochs=5",
                    "--lr",
                    "0.1",
                    "--epochs",
                    "300",
                ],
            ),
            Command(
                "import timm.scheduler as lrplan does",
                [
                    python,
                    "-c",
                    "from lrplan.core.frameworks.timm import import_timm_module;"
                    " import_timm_module()",
                ],
            ),
            goal=1.15,
        ),
    ]


def run_once(command: Command, folder: Path, env: dict[str, str]) -> None:
    """Run ``command`` in ``folder``; record its wall time and peak RSS."""
    for name in ("a.csv", "b.csv", "a.png", "b.png"):
        (folder / name).unlink(missing_ok=True)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            command.argv, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise SystemExit(f"{' '.join(command.argv)} failed ({process.returncode}):\n{message}")
    command.seconds.append(elapsed)
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    command.peak_kib.append(peak)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kib / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("lrplan", "torch", "typer", "matplotlib")
    )
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {cpu},"
        f" {os.cpu_count()} cores{memory}; Python {platform.python_version()}; {versions}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, long cases at 100,000 steps"
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds of every case (default: 15 short, 7 show, 5 long)"
    )
    parser.add_argument(
        "--case", action="append", help="run only the cases whose name starts with this"
    )
    options = parser.parse_args()

    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    all_cases = [
        case
        for case in cases(options.quick)
        if not options.case or any(case.name.startswith(name) for name in options.case)
    ]
    callbacks = [
        added
        for added in added_cases()
        if not options.case or any(added.name.startswith(name) for name in options.case)
    ]
    # Cases that share a command (the long CSV run) are measured in the same rounds.
    groups: dict[int, list[Command]] = {}
    for case in all_cases:
        rounds = options.rounds or (case.rounds_quick if options.quick else case.rounds)
        group = groups.setdefault(rounds, [])
        group += [command for command in (case.lrplan, case.floor) if command not in group]

    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="lrplan-bench-") as folder:
        for case in all_cases:
            if case.setup is not None:
                subprocess.run(case.setup, cwd=folder, env=env, check=True, capture_output=True)
            if case.memory_file is not None:
                case.file_mib = (Path(folder) / case.memory_file[0]).stat().st_size / 2**20
        for rounds, commands in groups.items():
            for command in commands:  # warm-up, untimed: page cache, compiled modules
                run_once(command, Path(folder), env)
                command.seconds.clear()
                command.peak_kib.clear()
            for round_number in range(1, rounds + 1):
                if sys.stderr.isatty():
                    labels = " / ".join(command.label for command in commands)
                    print(f"\r{round_number}/{rounds}: {labels}"[:79], end="", file=sys.stderr)
                # Alternate the commands, so that a slow spell of the machine hits all of them.
                for command in commands if round_number % 2 else commands[::-1]:
                    run_once(command, Path(folder), env)
        for added in callbacks:
            if not added.installed:
                continue
            rounds = options.rounds or (3 if options.quick else 5)
            for round_number in range(1, rounds + 1):
                if sys.stderr.isatty():
                    print(f"\r{round_number}/{rounds}: {added.name}"[:79], end="", file=sys.stderr)
                added.run_once(Path(folder), env)
    if sys.stderr.isatty():
        print("\r" + " " * 79 + "\r", end="", file=sys.stderr)
    print(f"load average after:  {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if all_cases:
        print("median wall time of every command, lrplan and its floor alternating\n")

    header = (
        "case",
        "runs",
        "lrplan",
        "floor",
        "lrplan/floor",
        "goal",
        "",
        "peak RSS lrplan/floor",
    )
    rows = []
    all_met = True
    for case in all_cases:
        measured, goal, ok = case.verdict()
        all_met = all_met and ok
        rows.append(
            (
                case.name,
                str(len(case.lrplan.seconds)),
                f"{case.lrplan.median:.3f} s",
                f"{case.floor.median:.3f} s",
                measured,
                goal,
                "met" if ok else "MISSED",
                f"{case.lrplan.peak_mib:.0f} / {case.floor.peak_mib:.0f} MiB (lrplan / floor)",
            )
        )
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows] if all_cases else []:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    if all_cases:
        print("\nfloors:")
        for case in all_cases:
            print(f"  {case.name}: {case.floor.label}")
    if callbacks:
        print("\nwhat each callback adds to a tiny run's start beyond importing lrplan, measured")
        print("inside the run (callback_run.py), median:\n")
        for added in callbacks:
            if not added.installed:
                print(f"  {added.name}: {added.module} is not installed, not measured")
                continue
            median = statistics.median(added.seconds)
            ok = median <= added.goal
            all_met = all_met and ok
            print(
                f"  {added.name}: {median:.3f} s in {len(added.seconds)} runs, goal"
                f" ≤ {added.goal:g} s, {'met' if ok else 'MISSED'}"
            )
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
