"""WarmupCosLR: linear warm-up to a peak, then cosine decay to a floor."""

from __future__ import annotations

import math
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrplan.optim.checks import check_warmup_cos_args


class WarmupCosLR(LRScheduler):
    r"""Linear warm-up for ``warmup_epochs``, then cosine decay from ``lr`` to ``min_lr``.

    At ``last_epoch = k`` every param group gets, times its ``lr_scale`` (1.0 if absent):

    * warm-up, ``k < warmup_epochs``: ``lr * (k + 1) / warmup_epochs``
    * cosine, otherwise: ``min_lr + (lr - min_lr) / 2 * (1 + cos(pi * (k - warmup_epochs)
      / (epochs - warmup_epochs)))``

    Consequences worth knowing: the peak is held for two epochs (``warmup_epochs - 1`` and
    ``warmup_epochs``); ``min_lr`` is reached at ``k == epochs``, one past the last trained
    epoch; past ``epochs`` the cosine rises again. ``warmup_epochs = 0`` is a pure cosine.

    Step it once per epoch, after that epoch's ``optimizer.step()`` calls, or once per
    optimizer step with ``warmup_epochs`` and ``epochs`` given in steps.

    The signature is the original one. ``verbose`` is accepted for compatibility and ignored:
    PyTorch 2.7 removed it from ``LRScheduler``.

    Raises:
        ValueError: unless ``0 <= min_lr <= lr`` are finite, ``lr > 0``, and ``warmup_epochs``
            and ``epochs`` are integers with ``0 <= warmup_epochs < epochs``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        min_lr: float,
        lr: float,
        warmup_epochs: int,
        epochs: int,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        check_warmup_cos_args(min_lr, lr, warmup_epochs, epochs)
        self.min_lr = min_lr
        self.lr = lr
        self.warmup_epochs = warmup_epochs
        self.epochs = epochs
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rate of each param group at ``self.last_epoch``."""
        epoch = self.last_epoch
        if epoch < self.warmup_epochs:
            lr = self.lr * (epoch + 1) / self.warmup_epochs
        else:
            progress = (epoch - self.warmup_epochs) / (self.epochs - self.warmup_epochs)
            lr = self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress))
        return [lr * group.get("lr_scale", 1.0) for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as torch's schedulers do."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
