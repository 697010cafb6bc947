"""The floor of the long-schedule case: the loop a user writes instead of running lrplan.

Import torch, build an optimizer and the warm-up + cosine scheduler, step the scheduler once
per optimizer step and write each learning rate with csv.writer. Usage:

    python benchmarks/floor_loop.py STEPS_PER_EPOCH EPOCHS OUT.csv

It is the quickest such loop: it never calls ``optimizer.step()``, which a training loop
would (and which torch warns about once). Calling it too, as lrplan's planner does with its
stand-in optimizer, makes this loop about three times slower: ``SGD.step()`` costs 10-20 µs
even without gradients.
"""

import csv
import sys

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
with open(out, "w", newline="") as stream:
    writer = csv.writer(stream)
    writer.writerow(["step", "lr"])
    for step in range(epochs * steps_per_epoch):
        writer.writerow([step, optimizer.param_groups[0]["lr"]])
        scheduler.step()
