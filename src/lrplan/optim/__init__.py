"""The schedulers lrplan plans and ships.

``WarmupCosLR`` is loaded on first use, so that importing ``lrplan.optim.checks`` (which the
CLI does to validate options) does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrplan.optim.warmup_cos_lr import WarmupCosLR

__all__ = ["WarmupCosLR"]


def __getattr__(name: str) -> Any:
    if name == "WarmupCosLR":
        from lrplan.optim._imports import import_torch

        import_torch()
        from lrplan.optim.warmup_cos_lr import WarmupCosLR

        return WarmupCosLR
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
