"""A plain PyTorch training loop stepping WarmupCosLR once per epoch, as the design document does.

A tiny regression model on random data, so it runs in a couple of seconds on a CPU:

    python examples/train_loop.py
    python examples/train_loop.py --epochs 10 --warmup-epochs 2

It prints the learning rate each epoch trained with ("Epoch 0, LR: 0.000333"), the numbers
``lrplan show`` plans for the same settings.
"""

from __future__ import annotations

import argparse

import torch
from torch.optim import Adam

from lrplan import WarmupCosLR


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=25, help="total training epochs (25)")
    parser.add_argument("--warmup-epochs", type=int, default=3, help="epochs of linear warm-up (3)")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    inputs = torch.randn(256, 8)
    targets = inputs @ torch.randn(8, 1) + 0.1 * torch.randn(256, 1)
    batches = list(zip(inputs.split(8), targets.split(8), strict=True))

    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    criterion = torch.nn.MSELoss()
    optimizer = Adam(model.parameters(), lr=1e-3)
    loss_before = evaluate(model, criterion, inputs, targets)

    try:
        scheduler = WarmupCosLR(
            optimizer=optimizer,
            min_lr=1e-5,
            lr=1e-3,
            warmup_epochs=args.warmup_epochs,
            epochs=args.epochs,
        )
    except ValueError as error:  # e.g. --epochs not above --warmup-epochs
        parser.error(str(error))

    for epoch in range(args.epochs):
        # Read before scheduler.step(): afterwards the optimizer already holds the next
        # epoch's rate, which is what the design document's loop prints by mistake.
        epoch_lr = optimizer.param_groups[0]["lr"]
        for batch, target in batches:
            outputs = model(batch)
            loss = criterion(outputs, target)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        # Once per epoch, after that epoch's optimizer steps.
        scheduler.step()

        print(f"Epoch {epoch}, LR: {epoch_lr:.6f}")

    loss_after = evaluate(model, criterion, inputs, targets)
    print(f"Loss: {loss_before:.4f} before training, {loss_after:.4f} after")


def evaluate(
    model: torch.nn.Module, criterion: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> float:
    """The loss over the whole data set, without tracking gradients."""
    with torch.no_grad():
        return criterion(model(inputs), targets).item()


if __name__ == "__main__":
    main()
