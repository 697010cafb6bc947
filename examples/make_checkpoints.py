"""Write the small checkpoints of examples/checkpoints/ with the real trainers, on the CPU.

    python examples/make_checkpoints.py        # a few seconds
    lrplan resume examples/checkpoints/lightning/epoch=2-step=30.ckpt \\
        --scheduler cosine --param T_max=12 --lr 0.1 --epochs 12

- ``lightning/epoch=2-step=30.ckpt``: Lightning's ModelCheckpoint after epoch 2 of a run whose
  code builds ``SGD(lr=0.1)`` and ``CosineAnnealingLR(T_max=8)`` stepped per epoch, stopped
  after 3 epochs of 10 steps.
- ``hf/checkpoint-10/``: Hugging Face Trainer's checkpoint at step 10 of a run of 3 epochs of
  10 steps (40 samples, batches of 4), ``lr_scheduler_type="cosine"``, ``warmup_steps=3``,
  ``learning_rate=0.1``, logging every 5 steps. The model weights are a 4-input linear layer.
- ``plain/checkpoint.pt``: the design document's loop (AdamW, ``WarmupCosLR(lr=1e-3,
  min_lr=1e-5, warmup_epochs=3, epochs=25)``), ``torch.save`` of ``epoch``, ``model``,
  ``optimizer`` and ``scheduler`` after epoch 9.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

OUT = Path(__file__).resolve().parent / "checkpoints"


def lightning(out: Path) -> None:
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader, TensorDataset

    class Tiny(pl.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, index: int) -> torch.Tensor:
            inputs, targets = batch
            return torch.nn.functional.mse_loss(self.net(inputs), targets)

        def configure_optimizers(self) -> Any:
            optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler}}

    inputs = torch.randn(40, 4, generator=torch.Generator().manual_seed(0))
    data = DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=4)
    with tempfile.TemporaryDirectory() as scratch:
        trainer = pl.Trainer(
            max_epochs=3,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            accelerator="cpu",
            default_root_dir=scratch,
        )
        trainer.fit(Tiny(), data)
        (written,) = (Path(scratch) / "checkpoints").glob("*.ckpt")
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(written, out / written.name)


def hugging_face(out: Path) -> None:
    import transformers
    from torch.utils.data import Dataset

    class Numbers(Dataset[dict[str, torch.Tensor]]):
        def __len__(self) -> int:
            return 40

        def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
            inputs = torch.randn(4, generator=torch.Generator().manual_seed(index))
            return {"inputs": inputs, "labels": inputs.sum(0, keepdim=True)}

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def forward(self, inputs: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
            outputs = self.net(inputs)
            return {"loss": torch.nn.functional.mse_loss(outputs, labels), "logits": outputs}

    with tempfile.TemporaryDirectory() as scratch:
        arguments = transformers.TrainingArguments(
            output_dir=scratch,
            num_train_epochs=3,
            per_device_train_batch_size=4,
            learning_rate=0.1,
            lr_scheduler_type="cosine",
            warmup_steps=3,
            report_to="none",
            save_strategy="steps",
            save_steps=10,
            logging_steps=5,
            use_cpu=True,
            disable_tqdm=True,
        )
        transformers.Trainer(model=Tiny(), args=arguments, train_dataset=Numbers()).train()
        target = out / "checkpoint-10"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(scratch) / "checkpoint-10", target)


def plain(out: Path) -> None:
    from lrplan.optim import WarmupCosLR

    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = WarmupCosLR(optimizer, min_lr=1e-5, lr=1e-3, warmup_epochs=3, epochs=25)
    out.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    torch.save(
        {
            "epoch": 9,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        out / "checkpoint.pt",
    )


def main() -> None:
    warnings.simplefilter("ignore")
    lightning(OUT / "lightning")
    hugging_face(OUT / "hf")
    plain(OUT / "plain")
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(OUT.parent)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
