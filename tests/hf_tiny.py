"""The tiny Hugging Face Trainer run that the trainer tests share: 40 samples of 4 numbers, a
linear model returning its loss as Trainer expects, and a callback recording the rate of every
optimizer step (the rate the real run trained with, to compare lrplan's plan against)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

SAMPLES = 40


class Numbers(Dataset[dict[str, torch.Tensor]]):
    """``SAMPLES`` inputs of 4 seeded random numbers; the label is their sum."""

    def __len__(self) -> int:
        return SAMPLES

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        inputs = torch.randn(4, generator=torch.Generator().manual_seed(index))
        return {"inputs": inputs, "labels": inputs.sum(0, keepdim=True)}


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(4, 1)

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        outputs = self.net(inputs)
        return {"loss": torch.nn.functional.mse_loss(outputs, labels), "logits": outputs}


def rate_recorder() -> Any:
    """A ``TrainerCallback`` whose ``lrs`` is the rate of every optimizer step."""
    import transformers

    class Recorder(transformers.TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.lrs: list[float] = []

        def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.lrs.append(kw["optimizer"].param_groups[0]["lr"])

    return Recorder()
