"""One definition of two ideas every layer shares: when two rates are the same rate, and the
phase a planned row is in.

WarmupCosLR's rows are in its formula's ``warm-up`` or ``cosine`` branch; any other
scheduler's rows take their phase from the planned shape (:func:`shape_phase`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: The phases of WarmupCosLR's rows: the branch of its formula.
WARMUP = "warm-up"
COSINE = "cosine"


#: The phases of a scheduler other than WarmupCosLR, read from the planned shape: the rate
#: went up (``rise``), stayed (``hold``), went down (``decay``), or jumped up after going
#: down and goes down again (``restart``). The first row takes the direction of the second.
RISE = "rise"
HOLD = "hold"
DECAY = "decay"
RESTART = "restart"


#: Two rates closer than this (relative) are the same rate, e.g. the held peak: a few ulps,
#: since ``min_lr + (lr - min_lr)`` may differ from ``lr`` in the last bit.
SAME_RATE = 1e-14


def same_rate(a: float, b: float, tolerance: float = SAME_RATE) -> bool:
    """True when two rates are the same up to the last bits of a float."""
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0)


def shape_phase(lrs: Sequence[float], index: int) -> str:
    """The phase of row ``index``: how its rate moved from the row before (see :data:`RISE`)."""
    lr = lrs[index]
    if index == 0:
        if len(lrs) == 1 or same_rate(lrs[1], lr):
            return HOLD
        return RISE if lrs[1] > lr else DECAY
    before = lrs[index - 1]
    if same_rate(lr, before):
        return HOLD
    if lr < before:
        return DECAY
    fell = index >= 2 and lrs[index - 2] > before and not same_rate(lrs[index - 2], before)
    falls = index + 1 < len(lrs) and lrs[index + 1] < lr and not same_rate(lrs[index + 1], lr)
    return RESTART if fell and falls else RISE
