"""Write a per-step metrics.csv as Lightning's CSVLogger lays it out, for the diagnose case.

One row per optimizer step (``epoch,lr-AdamW,step,train_loss_step``), the rate WarmupCosLR's
(the real class, stepped per step) and a loss that falls with noise. Usage:

    python benchmarks/make_metrics.py STEPS_PER_EPOCH EPOCHS OUT.csv
"""

import csv
import math
import random
import sys
import warnings

import torch

from lrplan import WarmupCosLR

steps_per_epoch, epochs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
scheduler = WarmupCosLR(
    optimizer,
    min_lr=1e-5,
    lr=1e-3,
    warmup_epochs=3 * steps_per_epoch,
    epochs=epochs * steps_per_epoch,
)
# No optimizer.step() here, only the rates: torch warns about the order once.
warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
noise = random.Random(0)
total = epochs * steps_per_epoch
with open(out, "w", newline="") as stream:
    writer = csv.writer(stream)
    writer.writerow(["epoch", "lr-AdamW", "step", "train_loss_step"])
    for step in range(total):
        loss = 0.1 + 2.0 * math.exp(-5 * step / total)
        noisy = loss * (1 + noise.uniform(-0.1, 0.1))
        writer.writerow(
            [step // steps_per_epoch, optimizer.param_groups[0]["lr"], step, f"{noisy:.6g}"]
        )
        scheduler.step()
