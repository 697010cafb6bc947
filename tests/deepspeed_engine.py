"""The real DeepSpeed engine on CPU, for the tests that compare its rates with lrplan's plan.

:func:`engine_rates` trains a one-weight model through ``deepspeed.initialize`` in a
subprocess (the engine initialises torch.distributed, which stays for the process), with gloo
and one rank, and returns the optimizer's rate before every optimizer step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ENGINE = textwrap.dedent(
    """
    import importlib, json, os, sys
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[1], RANK="0",
                      WORLD_SIZE="1", LOCAL_RANK="0")
    import torch, deepspeed
    # One process: no shared-memory collective to build (DeepSpeed compiles it with g++ on a
    # machine's first run, minutes); the engine and its scheduler are untouched. (The module
    # by name: deepspeed.comm's own "torch" attribute is torch itself.)
    importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
    deepspeed.init_distributed(dist_backend="gloo")
    found = {}
    for config, steps in zip(sys.argv[2::2], sys.argv[3::2]):
        model = torch.nn.Linear(2, 1)
        with open(config) as file:
            own = "optimizer" in json.load(file)
        if own:  # the file's own optimizer block
            engine, optimizer, _, _ = deepspeed.initialize(
                model=model, model_parameters=model.parameters(), config=config)
        else:  # none: the client's SGD(lr=0.5), as a training script passes it
            client = torch.optim.SGD(model.parameters(), lr=0.5)
            engine, optimizer, _, _ = deepspeed.initialize(
                model=model, optimizer=client, config=config)
        lrs = []
        for _ in range(int(steps)):
            lrs.append(optimizer.param_groups[0]["lr"])
            for _ in range(engine.gradient_accumulation_steps()):
                engine.backward(engine(torch.ones(1, 2)).sum())
                engine.step()
        found[config] = lrs
    print("RATES " + json.dumps(found))
    """
)


def engine_rates(configs: dict[Path, int], cwd: Path) -> dict[Path, list[float]]:
    """The rate of every optimizer step of each DeepSpeed config file, trained that many
    optimizer steps; the test fails with the engine's stderr if it did not train."""
    pytest.importorskip("deepspeed")
    args = [str(20000 + os.getpid() % 20000)]
    for path, steps in configs.items():
        args += [str(path), str(steps)]
    done = subprocess.run(
        [sys.executable, "-c", ENGINE, *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RATES ")]
    if not lines:
        pytest.fail(f"the DeepSpeed engine did not train on CPU here:\n{done.stderr[-2000:]}")
    found = json.loads(lines[-1].removeprefix("RATES "))
    return {path: found[str(path)] for path in configs}
