"""A Lightning trainer's ``max_steps``: the run stops after that many optimizer steps, or at
``max_epochs`` if that comes first. Rates checked against torch's class stepped by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lrplan.core.planner import plan
from lrplan.errors import LrplanError
from lrplan.inputs.run import RunOptions
from lrplan.inputs.settings import resolve_settings

CONFIG = """\
trainer:
  max_epochs: {max_epochs}
  max_steps: {max_steps}
optimizer:
  class_path: torch.optim.AdamW
  init_args: {{lr: 0.001}}
lr_scheduler:
  class_path: torch.optim.lr_scheduler.CosineAnnealingLR
  init_args: {{T_max: 1000}}
{interval}"""


def write(tmp_path: Path, max_epochs: int, max_steps: int, per_step: bool) -> Path:
    path = tmp_path / "train.yaml"
    interval = "  interval: step\n" if per_step else ""
    path.write_text(CONFIG.format(max_epochs=max_epochs, max_steps=max_steps, interval=interval))
    return path


def by_hand(count: int) -> list[float]:
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.001)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=1000)
    rates = []
    for _ in range(count):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(("per_epoch", "epochs"), [(300, 4), (250, 4), (1000, 1), (7, 143)])
def test_a_per_step_plan_stops_at_max_steps(tmp_path: Path, per_epoch: int, epochs: int) -> None:
    config = write(tmp_path, max_epochs=1000, max_steps=1000, per_step=True)

    settings = resolve_settings(config, {"steps_per_epoch": per_epoch})

    assert settings.config.epochs == epochs
    assert settings.sources["epochs"].startswith("trainer.max_steps")
    schedule = plan(settings.config)
    assert len(schedule.lrs) == 1000
    assert list(schedule.lrs) == pytest.approx(by_hand(1000), rel=1e-12, abs=0)


def test_max_epochs_first_keeps_max_epochs(tmp_path: Path) -> None:
    config = write(tmp_path, max_epochs=2, max_steps=1000, per_step=True)

    settings = resolve_settings(config, {"steps_per_epoch": 300})

    assert settings.config.epochs == 2 and settings.config.rows == 600
    assert settings.sources["epochs"] == "trainer.max_epochs"


def test_a_per_epoch_plan_counts_the_epochs_from_the_dataset(tmp_path: Path) -> None:
    config = write(tmp_path, max_epochs=100, max_steps=1000, per_step=False)

    settings = resolve_settings(config, {}, run=RunOptions(dataset_size=3000, batch_size=10))

    # 300 optimizer steps an epoch: the 1,000th falls in the 4th epoch.
    assert settings.config.epochs == 4 and settings.config.interval == "epoch"


def test_without_the_steps_of_an_epoch_it_says_what_to_give(tmp_path: Path) -> None:
    config = write(tmp_path, max_epochs=100, max_steps=1000, per_step=False)

    with pytest.raises(LrplanError) as raised:
        resolve_settings(config, {})

    message = str(raised.value)
    assert "trainer.max_steps = 1000 ends the run after 1,000 optimizer steps" in message
    assert "--dataset-size N" in message and "--epochs N" in message


def test_an_epochs_option_wins_and_minus_one_means_no_limit(tmp_path: Path) -> None:
    config = write(tmp_path, max_epochs=5, max_steps=1000, per_step=False)
    assert resolve_settings(config, {"epochs": 3}).config.epochs == 3

    unlimited = write(tmp_path, max_epochs=5, max_steps=-1, per_step=False)
    assert resolve_settings(unlimited, {}).config.epochs == 5
