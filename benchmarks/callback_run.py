"""What lrplan's callback adds to the start of a tiny training run, measured inside the run.

    python benchmarks/callback_run.py lightning     # prints "added 0.031 s"
    python benchmarks/callback_run.py hf

A tiny model trains 3 epochs of 8 steps on a CPU with the callback. lrplan and the framework
are imported first (a run imports both anyway); the figure is what the callback adds beyond
them: importing its modules, and its hook (``on_train_start``, ``on_train_begin``: preview,
summary, insights, logging), timed the first time it runs in the process, lazy imports and
all. Whole-process wall times differ by more than this from one run to the next on a busy
machine, so bench.py reads this figure rather than comparing two processes.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from typing import Any

import lrplan  # noqa: F401  (imported before the clock starts: the callback's cost is the rest)

#: Seconds the callback took: its import, then its hook.
spent: list[float] = []


def timed(hook: Any) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return hook(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return run


def lightning_run() -> None:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    start = time.perf_counter()
    from lrplan.integrations.lightning import LRPlanCallback

    spent.append(time.perf_counter() - start)

    class Timed(LRPlanCallback):
        on_train_start = timed(LRPlanCallback.on_train_start)

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

    inputs = torch.randn(64, 8)
    data = DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=8)
    pl.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[Timed()],
    ).fit(Regression(), data)


def hf_run() -> None:
    import torch
    from torch.utils.data import Dataset
    from transformers import Trainer, TrainingArguments

    start = time.perf_counter()
    from lrplan.integrations.hf import LRPlanCallback

    spent.append(time.perf_counter() - start)

    class Timed(LRPlanCallback):
        on_train_begin = timed(LRPlanCallback.on_train_begin)

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
        callback = Timed(log=io.StringIO().write)
        Trainer(
            model=Regression(), args=arguments, train_dataset=Numbers(), callbacks=[callback]
        ).train()


if __name__ == "__main__":
    {"lightning": lightning_run, "hf": hf_run}[sys.argv[1]]()
    if len(spent) != 2:
        raise SystemExit(f"the callback's hook ran {len(spent) - 1} times, not once")
    print(f"added {sum(spent):.3f} s")
