"""A tiny training run (3 epochs of 8 steps on a CPU) with or without lrplan's callback.

    python benchmarks/callback_run.py lightning plan     # with LRPlanCallback
    python benchmarks/callback_run.py lightning floor    # the same run without it
    python benchmarks/callback_run.py hf plan | floor    # the same with transformers' Trainer

Both import lrplan first, so that the difference is what the callback adds to a run's start
beyond importing lrplan: planning, insights and logging (bench.py's "callback" cases).
"""

from __future__ import annotations

import sys
import tempfile
from typing import Any

import lrplan  # noqa: F401  (both runs import it; the callback's cost is the rest)


def lightning_run(with_plan: bool) -> None:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    class Regression(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def training_step(self, batch: Any, index: int) -> torch.Tensor:
            inputs, targets = batch
            return torch.nn.functional.mse_loss(self.net(inputs), targets)

        def configure_optimizers(self) -> Any:
            optimizer = torch.optim.AdamW(self.parameters(), lr=1e-3)
            total = self.trainer.estimated_stepping_batches
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }

    callbacks = []
    if with_plan:
        from lrplan.integrations.lightning import LRPlanCallback

        callbacks.append(LRPlanCallback())
    inputs = torch.randn(64, 8)
    data = DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=8)
    pl.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    ).fit(Regression(), data)


def hf_run(with_plan: bool) -> None:
    import torch
    from torch.utils.data import Dataset
    from transformers import Trainer, TrainingArguments

    class Numbers(Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return 48

        def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
            inputs = torch.randn(8, generator=torch.Generator().manual_seed(index))
            return {"inputs": inputs, "labels": inputs.sum(0, keepdim=True)}

    class Regression(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(8, 1)

        def forward(self, inputs: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
            outputs = self.net(inputs)
            return {"loss": torch.nn.functional.mse_loss(outputs, labels), "logits": outputs}

    callbacks = []
    if with_plan:
        from lrplan.integrations.hf import LRPlanCallback

        callbacks.append(LRPlanCallback())
    with tempfile.TemporaryDirectory() as output_dir:
        arguments = TrainingArguments(
            output_dir=output_dir,
            num_train_epochs=3,
            per_device_train_batch_size=8,
            lr_scheduler_type="cosine",
            warmup_steps=2,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            use_cpu=True,
            disable_tqdm=True,
        )
        Trainer(
            model=Regression(), args=arguments, train_dataset=Numbers(), callbacks=callbacks
        ).train()


if __name__ == "__main__":
    framework, mode = sys.argv[1], sys.argv[2]
    {"lightning": lightning_run, "hf": hf_run}[framework](mode == "plan")
