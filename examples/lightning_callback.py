"""lrplan's Lightning callback on a tiny model: the run's own scheduler, planned before training.

A linear model on random data, 3 epochs of 8 steps on a CPU, in a few seconds:

    python examples/lightning_callback.py             # T_max set to the run's optimizer steps
    python examples/lightning_callback.py --mistake   # T_max set to the epochs: a warning
    python examples/lightning_callback.py --mistake --strict   # stops before the first step

The callback logs the plan (the scheduler, how the trainer steps it, its rates, summary and
insights) through Lightning's logging at the start of training, and --csv writes every step.
"""

from __future__ import annotations

import argparse
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from lrplan import LrplanError
from lrplan.integrations.lightning import LRPlanCallback


class Regression(pl.LightningModule):
    def __init__(self, mistake: bool) -> None:
        super().__init__()
        self.net = torch.nn.Linear(8, 1)
        self.mistake = mistake

    def training_step(self, batch: Any, index: int) -> torch.Tensor:
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self.net(inputs), targets)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.AdamW(self.parameters(), lr=1e-3)
        # The classic slip: T_max counted in epochs for a scheduler stepped every step.
        t_max = self.trainer.max_epochs if self.mistake else self.trainer.estimated_stepping_batches
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=1e-5)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistake", action="store_true", help="set T_max to the epochs")
    parser.add_argument("--strict", action="store_true", help="stop on a warning")
    parser.add_argument("--csv", help="write the planned rate of every step here")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    inputs = torch.randn(64, 8)
    data = DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=8)
    trainer = pl.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[LRPlanCallback(csv=args.csv, strict=args.strict)],
    )
    try:
        trainer.fit(Regression(args.mistake), data)
    except LrplanError as error:  # strict=True: one line, before the first step
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
