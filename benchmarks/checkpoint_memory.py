"""Peak memory of ``lrplan resume CHECKPOINT`` on a 1 GB checkpoint.

    python benchmarks/checkpoint_memory.py            # writes a 1 GB .ckpt to a temp folder
    python benchmarks/checkpoint_memory.py --gb 0.25

Writes a Lightning-style checkpoint (``state_dict`` of float32 tensors adding up to the size
asked, an SGD ``optimizer_states``, a ``CosineAnnealingLR`` in ``lr_schedulers``) to a
temporary folder, deletes it afterwards, and reports the peak resident memory (RSS) of three
fresh processes:

- ``floor``: the same ``lrplan resume`` on a copy of the checkpoint without its weights;
- ``lrplan``: ``lrplan resume`` on the 1 GB checkpoint (memory-mapped ``weights_only`` load);
- ``torch.load``: a plain ``torch.load(path, weights_only=True)`` of it, for comparison.

lrplan reads only the scheduler's and the optimizer's param groups, so its peak should stay
near the floor, far below the checkpoint's size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

RESUME = [
    "-m",
    "lrplan",
    "resume",
    "{path}",
    "--scheduler",
    "cosine",
    "--param",
    "T_max=8",
    "--lr",
    "0.1",
    "--epochs",
    "8",
]

# The peak is the process's VmHWM: ru_maxrss would carry the parent's peak across exec.
HIGH_WATER = (
    "print('PEAK', next(l.split()[1] for l in open('/proc/self/status')"
    " if l.startswith('VmHWM')), file=sys.stderr)"
)
PEAK = (
    "import runpy, sys; sys.argv = ['lrplan', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('lrplan', run_name='__main__')\n"
    "except SystemExit as stop:\n    assert not stop.code, stop.code\n" + HIGH_WATER
)
LOAD = "import sys, torch; torch.load(sys.argv[1], weights_only=True); " + HIGH_WATER


def write_checkpoint(path: Path, gigabytes: float) -> None:
    import torch

    tensor_floats = 16 * 1024 * 1024 // 4  # 16 MB tensors
    count = max(0, round(gigabytes * 1024 / 16))
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    torch.save(
        {
            "epoch": 3,
            "global_step": 30,
            "state_dict": {f"layer{i}.weight": torch.ones(tensor_floats) for i in range(count)},
            "optimizer_states": [optimizer.state_dict()],
            "lr_schedulers": [scheduler.state_dict()],
        },
        path,
    )


def peak_mb(arguments: list[str]) -> float:
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=False)
    peaks = [line for line in done.stderr.splitlines() if line.startswith("PEAK")]
    if not peaks:
        raise SystemExit(f"failed: {done.stderr.strip()}")
    line = peaks[0]
    return int(line.split()[1]) / 1024  # VmHWM is in kB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="checkpoint size in GB")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.write is not None:
        write_checkpoint(options.write, options.gb)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        big, small = Path(scratch) / "big.ckpt", Path(scratch) / "small.ckpt"
        # Written by a child process, so that this one never holds the tensors.
        for path, size in ((big, options.gb), (small, 0.0)):
            subprocess.run(
                [sys.executable, __file__, "--write", str(path), "--gb", str(size)], check=True
            )
        size = big.stat().st_size / 1024**2

        def resume(path: Path) -> list[str]:
            return ["-c", PEAK, *[part.format(path=path) for part in RESUME[2:]]]

        floor = peak_mb(resume(small))
        lrplan = peak_mb(resume(big))
        loaded = peak_mb(["-c", LOAD, str(big)])
    print(f"checkpoint          {size:8,.0f} MB")
    print(f"floor (no weights)  {floor:8,.0f} MB peak RSS")
    over = lrplan - floor
    print(f"lrplan resume       {lrplan:8,.0f} MB peak RSS  ({over:+,.0f} MB over the floor)")
    print(f"plain torch.load    {loaded:8,.0f} MB peak RSS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
