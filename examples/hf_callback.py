"""lrplan's callback for transformers' Trainer on a tiny torch model: the Trainer's own
scheduler, planned before training.

A linear model on a 48-sample Dataset, 3 epochs of 6 steps on a CPU, no network:

    python examples/hf_callback.py             # the Trainer's cosine schedule with warm-up
    python examples/hf_callback.py --mistake   # a schedule built for 12 of the run's 18 steps
    python examples/hf_callback.py --mistake --strict   # stops before the first step

The callback prints the plan on the main process when training begins, as the Trainer prints
its metrics, and --csv writes every step.
"""

from __future__ import annotations

import argparse
import tempfile

import torch
from torch.utils.data import Dataset
from transformers import (
    Trainer,
    TrainingArguments,
    get_cosine_schedule_with_warmup,
)

from lrplan import LrplanError
from lrplan.integrations.hf import LRPlanCallback


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mistake", action="store_true", help="a schedule shorter than the run")
    parser.add_argument("--strict", action="store_true", help="stop on a warning")
    parser.add_argument("--csv", help="write the planned rate of every step here")
    args = parser.parse_args(argv)

    model = Regression()
    optimizers = (None, None)
    if args.mistake:
        # Built for 12 steps, e.g. from a stale count of the data; the run has 18.
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        optimizers = (optimizer, get_cosine_schedule_with_warmup(optimizer, 2, 12))
    with tempfile.TemporaryDirectory() as output_dir:
        arguments = TrainingArguments(
            output_dir=output_dir,
            num_train_epochs=3,
            per_device_train_batch_size=8,
            learning_rate=1e-3,
            lr_scheduler_type="cosine",
            warmup_steps=2,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            use_cpu=True,
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=model,
            args=arguments,
            train_dataset=Numbers(),
            callbacks=[LRPlanCallback(csv=args.csv, strict=args.strict)],
            optimizers=optimizers,
        )
        try:
            trainer.train()
        except LrplanError as error:  # strict=True: one line, before the first step
            raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
