"""The independent statement of the expected learning rates (never lrplan's own output)."""

from __future__ import annotations

import math


def formula_lr(k: int, lr: float, min_lr: float, warmup: int, total: int) -> float:
    """The design document's WarmupCosLR formula at scheduler step ``k``, stated independently."""
    if k < warmup:
        return lr * (k + 1) / warmup
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * (k - warmup) / (total - warmup)))
