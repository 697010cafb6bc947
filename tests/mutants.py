"""Seeded mutants of the real configs and logs in ``tests/data/``, for the file fuzz test and
for ``benchmarks/hostile_files.py`` (the long campaign).

A mutant is a real file with one or two changes of the kinds that break readers: bytes
flipped, a span cut or doubled, the file cut short, lines swapped, a number replaced by one
out of range, or a hostile piece put in at a line's start (deep nesting, a recursive or
multiplying YAML alias, a huge number, a NUL, a very long line). The same seed gives the same
mutants on every machine.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


def _laughs(levels: int = 9) -> str:
    lines = ["l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + f"\nlr: *l{levels - 1}\n"


#: Pieces put in at the start of a line: each one broke a reader of lrplan once.
HOSTILE = [
    "lr: " + "[" * 1000 + "1" + "]" * 1000 + "\n",
    '"lr": ' + "[" * 3000 + "]" * 3000 + ",\n",
    "{" * 5000 + "\n",
    "rec: &r [*r]\n",
    "rec: &r {a: *r}\nlr: *r\n",
    _laughs(),
    "epochs: " + "9" * 5000 + "\n",
    "lr: 1e300\n",
    "epochs: 1e300\n",
    "epochs: 100000000000\n",
    "steps_per_epoch: 99999999999\n",
    "1e300,1e300,1e300,1e300\n",
    "9223372036854775808,1,1,1\n",
    "-1,-1,-1,-1\n",
    "nan,nan,inf,-inf\n",
    "x" * 200_000 + "\n",
    "\x00\x00\x00\n",
    "\ufeff\udcff\n",
    "<<: *missing\n",
    "!!python/object/apply:os.system ['true']\n",
    '"log_history": [' + '{"step": 1e300, "loss": 1},' * 3 + "{}],\n",
    '{"step": 18446744073709551616, "loss": 1e999, "learning_rate": -1},\n',
]
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
HUGE_NUMBERS = [
    b"1e300",
    b"-1e300",
    b"1e999",
    b"9" * 400,
    b"0",
    b"-1",
    b"nan",
    b"2.5",
    b"18446744073709551616",
]


@dataclass(frozen=True)
class Mutant:
    """A mutated copy of ``source``: its bytes, and the changes made, to repeat a failure."""

    source: Path
    data: bytes
    changes: tuple[str, ...]

    @property
    def is_config(self) -> bool:
        return self.source.parent.name == "configs"


def real_files() -> list[Path]:
    """The configs and logs under ``tests/data`` lrplan reads (not the notes beside them)."""
    configs = [
        path
        for path in sorted((DATA / "configs").iterdir())
        if path.suffix in CONFIG_SUFFIXES and path.name != "MANIFEST.yaml"
    ]
    logs = [
        path
        for path in sorted(DATA.rglob("*"))
        if path.is_file()
        and path.parent.name != "configs"
        and path.suffix not in (".md", ".py", ".yaml")
    ]
    return configs + logs


def _flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    changed = bytearray(data)
    count = rng.randint(1, 8)
    for _ in range(count):
        changed[rng.randrange(len(changed))] = rng.randrange(256)
    return bytes(changed), f"{count} bytes flipped"


def _cut(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 200))
    return data[:start] + data[end:], f"bytes {start}:{end} cut"


def _double(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 400))
    return data[:end] + data[start:end] + data[end:], f"bytes {start}:{end} doubled"


def _truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.randrange(len(data))
    return data[:at], f"cut short at byte {at}"


def _swap_lines(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    first, second = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[first], lines[second] = lines[second], lines[first]
    return b"\n".join(lines), f"lines {first + 1} and {second + 1} swapped"


def _number(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    found = list(NUMBER.finditer(data))
    if not found:
        return _flip(data, rng)
    match = rng.choice(found)
    number = rng.choice(HUGE_NUMBERS)
    changed = data[: match.start()] + number + data[match.end() :]
    return changed, f"{match[0]!r} at byte {match.start()} made {number[:20]!r}"


def _hostile(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    starts = [0, *(index + 1 for index, byte in enumerate(data) if byte == ord("\n"))]
    at = rng.choice(starts)
    piece = rng.choice(HOSTILE)
    encoded = piece.encode("utf-8", "surrogatepass")
    return data[:at] + encoded + data[at:], f"{piece[:30]!r} put in at byte {at}"


MUTATIONS = (_flip, _cut, _double, _truncate, _swap_lines, _number, _number, _hostile, _hostile)


def mutants(seed: int, count: int, files: list[Path] | None = None) -> list[Mutant]:
    """``count`` mutants of ``files`` (every real file in turn), the same for the same seed."""
    rng = random.Random(seed)
    files = files or real_files()
    made = []
    for index in range(count):
        source = files[index % len(files)]
        data = source.read_bytes()
        changes = []
        for _ in range(rng.choice((1, 1, 1, 2))):
            if not data:
                break
            data, change = rng.choice(MUTATIONS)(data, rng)
            changes.append(change)
        made.append(Mutant(source, data, tuple(changes)))
    return made


@functools.cache
def _plan_args() -> dict[str, list[str]]:
    """The options each real config plans with (``tests/data/configs/LRPLAN.yaml``: ``then``
    for a config refused alone, else ``args``), so that a mutant gets as far as its original."""
    import yaml

    entries = yaml.safe_load((DATA / "configs" / "LRPLAN.yaml").read_text())
    return {
        name: [str(arg) for arg in entry.get("then") or entry.get("args") or []]
        for name, entry in entries.items()
        if isinstance(entry, dict)
    }


def command_for(mutant: Mutant, folder: Path) -> list[str]:
    """The command line that reads ``mutant`` (written at :func:`place`): ``show`` with a
    ``--csv`` file (to check what is left behind) or ``check`` for a config, ``diagnose``
    for a log."""
    path = place(mutant, folder)
    if mutant.is_config:
        args = _plan_args().get(mutant.source.name, [])
        if len(mutant.data) % 3 == 0:
            return ["check", "--config", str(path), *args, "--json"]
        return ["show", "--config", str(path), *args, "--csv", str(folder / "out.csv")]
    return ["diagnose", str(path), "--json"]


def place(mutant: Mutant, folder: Path) -> Path:
    """Where in ``folder`` the mutant is written: under its own name, which picks its reader
    (``trainer_state.json``, ``events.out.tfevents.*``, ``metrics.csv``)."""
    name = mutant.source.name
    if "__" in name and mutant.source.suffix == ".json" and not mutant.is_config:
        name = "trainer_state.json"
    return folder / name
