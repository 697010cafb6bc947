"""Rules no other test pinned: three bugs planted in the source (issue 22) survived the whole
suite. Each test states the rule independently of lrplan (the framework's formula, the
README's threshold) at values where the planted change gives another answer.

- Lightning's ``interval`` in a sibling section of the scheduler's (``scheduler_config``)
  was ignored: the schedule was planned per epoch.
- timm's ``updates_per_epoch`` was rounded down: train.py rounds ``len(loader) /
  grad_accum_steps`` up.
- diagnose's divergence threshold was raised from 2× or more to more than 3×.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from lrplan.analysis.diagnose import read_loss
from lrplan.inputs.dialects import find_scheduler
from lrplan.inputs.frameworks import Run, read_framework
from tests.test_diagnose_loss import log_of

# --- Lightning: interval beside the scheduler, in a sibling section ---------------------------

#: A Hydra model config as lightning-hydra-template style projects write it: the scheduler in
#: one section, the dict configure_optimizers returns it in (interval, frequency) beside it.
SIBLING = """\
model:
  optimizer:
    _target_: torch.optim.SGD
    lr: 0.1
  scheduler:
    _target_: torch.optim.lr_scheduler.StepLR
    step_size: 3
    gamma: 0.5
  scheduler_config:
    interval: {interval}
    frequency: 1
trainer:
  max_epochs: 2
"""


def test_interval_in_a_sibling_section_is_found() -> None:
    import yaml

    document = yaml.safe_load(SIBLING.format(interval="step"))
    found = find_scheduler(document)
    assert found is not None
    assert found.interval == ("model", "scheduler_config", "interval")


@pytest.mark.parametrize(("interval", "rows"), [("step", 10), ("epoch", 2)])
def test_interval_in_a_sibling_section_sets_how_the_plan_steps(
    run, tmp_path: Path, interval: str, rows: int
) -> None:
    (tmp_path / "model.yaml").write_text(SIBLING.format(interval=interval))
    steps = ["--steps-per-epoch", "5"] if interval == "step" else []
    result = run("show", "--config", str(tmp_path / "model.yaml"), *steps, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["config"]["interval"] == interval
    # Lightning calls scheduler.step() once per optimizer step (interval: step) or per epoch.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    expected = []
    for _ in range(rows):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert [row["lr"] for row in document["rows"]] == pytest.approx(expected, rel=1e-15)


# --- timm: updates per epoch rounded up -----------------------------------------------------


@pytest.mark.parametrize(
    ("dataset_size", "devices", "batch_size", "grad_accum_steps"),
    [(1000, 1, 32, 3), (10_000, 2, 64, 4), (999, 1, 10, 7), (10_000, 2, 64, 2)],
)
def test_timm_updates_per_epoch_round_up_as_train_py(
    dataset_size: int, devices: int, batch_size: int, grad_accum_steps: int
) -> None:
    # timm train.py: the loader drops its last partial batch (per device with a distributed
    # sampler that pads the dataset to a multiple of the devices), then
    # updates_per_epoch = (len(loader_train) + grad_accum_steps - 1) // grad_accum_steps.
    per_device = math.ceil(dataset_size / devices)
    batches = per_device // batch_size
    expected = (batches + grad_accum_steps - 1) // grad_accum_steps
    document = {
        "sched": "cosine",
        "epochs": 10,
        "sched_on_updates": True,
        "lr": 0.1,
        "batch_size": batch_size,
        "grad_accum_steps": grad_accum_steps,
    }
    found = read_framework(document, "args.yaml", Run(dataset_size=dataset_size, devices=devices))
    config = found.config()
    assert config.interval == "step"
    assert config.steps_per_epoch == expected


# --- diagnose: a tail 2× the lowest level or more has diverged --------------------------------


def _curve(tail_over_low: float) -> list[float]:
    """A loss falling tenfold to a level and held there, then a tail (the last 30 %) at
    ``tail_over_low`` times that level: 20 points, no noise. The level has seven decimals, so
    the log's resolution (one rounding step of the values as logged) is far below the rise."""
    level = 0.1234567
    return [level * x for x in (10, 8, 6, 4, 2, *[1.0] * 9, *[tail_over_low] * 6)]


@pytest.mark.parametrize("rise", [2.0, 2.5, 3.0])
def test_a_tail_twice_the_lowest_level_or_more_is_diverging(rise: float) -> None:
    # The README's rule: the tail sits 2× or more above the lowest level reached before it.
    reading = read_loss(log_of(_curve(rise)))
    assert reading.symptom == "diverging"
    assert reading.rise == pytest.approx(rise)


def test_a_tail_under_twice_the_lowest_level_is_not_diverging() -> None:
    reading = read_loss(log_of(_curve(1.9)))
    assert reading.symptom != "diverging"
