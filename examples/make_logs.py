"""Train a tiny model with WarmupCosLR; write the metrics.csv Lightning's CSVLogger would write.

A linear regression on synthetic data (16 features, a random linear target plus label noise),
trained with AdamW on the CPU in about a second per run. Each PRESET is a schedule that really
diverges, crawls, plateaus or trains well, or a training loop with a classic bug in how it
steps the scheduler; ``lrplan diagnose`` names what it sees in the log:

    python examples/make_logs.py                     # every preset into examples/logs/
    python examples/make_logs.py healthy --epochs 8 --out /tmp/logs
    lrplan diagnose examples/logs/plateau.csv --config examples/logs/plateau.yaml

For every preset it writes ``NAME.csv``, laid out as Lightning's ``CSVLogger`` lays out
``metrics.csv`` for a module that logs ``self.log("train_loss", loss, on_step=True,
on_epoch=True)`` and ``self.log("val_loss", ...)``, trained with
``LearningRateMonitor(logging_interval="epoch")`` and the default ``log_every_n_steps=50``:
the columns sorted by name (``epoch, lr-AdamW, step, train_loss_epoch, train_loss_step,
val_loss``), one row per logging call with the cells it did not log left blank, ``step``
counting optimizer steps, and the learning-rate rows without an epoch (that callback writes
to the logger directly, which adds none). It also writes ``NAME.yaml``: the schedule the run
was planned with, for ``--config``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from lrplan import WarmupCosLR

LOGS = Path(__file__).resolve().parent / "logs"

#: Optimizer steps in one epoch and samples in one batch: one pass over the training set.
STEPS_PER_EPOCH = 128
BATCH_SIZE = 128
#: Lightning's default: the step loss is logged after every 50th optimizer step.
LOG_EVERY_N_STEPS = 50
#: Inputs of the synthetic task, the standard deviation of its label noise (the lowest loss
#: any model reaches is its square, 0.09), and the samples held out for validation.
FEATURES = 16
NOISE = 0.3
VAL_SIZE = 2048


@dataclass(frozen=True)
class Preset:
    """A schedule (the config the run is planned with) and how the loop steps the scheduler."""

    description: str
    lr: float
    min_lr: float = 1e-5
    warmup_epochs: int = 3
    epochs: int = 25
    #: "epoch": once per epoch, as planned. "step": after every optimizer step, although
    #: warmup_epochs and epochs count epochs (a step/epoch mix-up). "resume": stopped after
    #: epoch resume_at - 1 and resumed with a new scheduler whose state was not loaded.
    stepping: str = "epoch"
    resume_at: int = 12


PRESETS = {
    "healthy": Preset("trains well: a fast fall, then the cosine anneals the loss further", 0.1),
    "slow": Preset("crawls: the tuning guide's slow example, warm-up 5 and lr 1e-4", 1e-4, 1e-5, 5),
    "plateau": Preset("plateaus: a floor so high that the rate never anneals", 0.1, 0.08),
    "diverging": Preset("diverges: the peak is far too high and the loss blows up", 3.0),
    "resumed": Preset(
        "trains well, but resumes at epoch 12 with a new scheduler: the warm-up restarts",
        0.1,
        stepping="resume",
    ),
    "step-interval": Preset(
        "steps the scheduler after every batch, with its lengths counted in epochs",
        0.1,
        stepping="step",
    ),
}


class MetricsCsv:
    """Rows as Lightning's CSVLogger keeps them: one dict per logging call, ``step`` added."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float | int]] = []

    def log(self, metrics: dict[str, float | int], step: int) -> None:
        self.rows.append({**metrics, "step": step})

    def save(self, path: Path) -> None:
        # CSVLogger sorts the columns by name and leaves the cells a call did not log blank.
        columns = sorted(set().union(*self.rows))
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.rows)


def make_data(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training and validation inputs and targets: a random linear map plus label noise."""
    generator = torch.Generator().manual_seed(seed)
    count = STEPS_PER_EPOCH * BATCH_SIZE + VAL_SIZE
    inputs = torch.randn(count, FEATURES, generator=generator)
    weights = torch.randn(FEATURES, 1, generator=generator)
    targets = inputs @ weights + NOISE * torch.randn(count, 1, generator=generator)
    cut = STEPS_PER_EPOCH * BATCH_SIZE
    return inputs[:cut], targets[:cut], inputs[cut:], targets[cut:]


def train(preset: Preset, epochs: int | None = None, seed: int = 0) -> MetricsCsv:
    """Train one run of ``preset`` (for ``epochs`` if given, else the preset's) and log it."""
    torch.manual_seed(seed)
    inputs, targets, val_inputs, val_targets = make_data(seed)
    model = torch.nn.Linear(FEATURES, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=preset.lr, weight_decay=1e-4)

    def new_scheduler() -> WarmupCosLR:
        # Counted in epochs, as the config says, whatever the loop then does with it.
        return WarmupCosLR(
            optimizer,
            min_lr=preset.min_lr,
            lr=preset.lr,
            warmup_epochs=preset.warmup_epochs,
            epochs=preset.epochs,
        )

    scheduler = new_scheduler()
    log = MetricsCsv()
    shuffle = torch.Generator().manual_seed(seed + 1)
    step = 0
    for epoch in range(epochs or preset.epochs):
        if preset.stepping == "resume" and epoch == preset.resume_at:
            # The bug: the model and the optimizer come back from the checkpoint, but the
            # scheduler is built anew and its state dict is never loaded.
            scheduler = new_scheduler()
        # LearningRateMonitor, at the start of the epoch: the rate this epoch trains with.
        log.log({"lr-AdamW": optimizer.param_groups[0]["lr"]}, step)
        total = 0.0
        for batch in torch.randperm(len(inputs), generator=shuffle).split(BATCH_SIZE):
            loss = torch.nn.functional.mse_loss(model(inputs[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if preset.stepping == "step":
                scheduler.step()
            total += loss.item()
            if (step + 1) % LOG_EVERY_N_STEPS == 0:
                log.log({"train_loss_step": loss.item(), "epoch": epoch}, step)
            step += 1
        if preset.stepping != "step":
            scheduler.step()
        with torch.no_grad():
            val_loss = torch.nn.functional.mse_loss(model(val_inputs), val_targets).item()
        # Validation, then the epoch's mean training loss, both at the epoch's last step.
        log.log({"val_loss": val_loss, "epoch": epoch}, step - 1)
        log.log({"train_loss_epoch": total / STEPS_PER_EPOCH, "epoch": epoch}, step - 1)
    return log


def write_config(preset: Preset, path: Path) -> None:
    """The schedule the run was planned with, as a YAML config for ``--config``."""
    path.write_text(
        f"# {preset.description}\n"
        f"lr: {preset.lr!r}\n"
        f"min_lr: {preset.min_lr!r}\n"
        f"warmup_epochs: {preset.warmup_epochs}\n"
        f"epochs: {preset.epochs}\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "presets", nargs="*", metavar="PRESET", help=f"any of {', '.join(PRESETS)} (all)"
    )
    parser.add_argument("--epochs", type=int, help="train this many epochs instead")
    parser.add_argument("--out", type=Path, default=LOGS, help="the folder to write to")
    args = parser.parse_args(argv)
    unknown = [name for name in args.presets if name not in PRESETS]
    if unknown:
        parser.error(f"unknown preset {unknown[0]!r}; give any of {', '.join(PRESETS)}")
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs {args.epochs} must be 1 or more")
    if not args.out.is_dir():
        parser.error(f"--out {args.out}: no such folder")

    # A model this small trains fastest on one thread; more only add overhead.
    torch.set_num_threads(1)
    for name in args.presets or PRESETS:
        preset = PRESETS[name]
        train(preset, args.epochs).save(args.out / f"{name}.csv")
        write_config(preset, args.out / f"{name}.yaml")
        print(f"{args.out / name}.csv: {preset.description}", file=sys.stderr)


if __name__ == "__main__":
    main()
