"""torch's composition of WarmupCosLR's curve (SequentialLR of LinearLR and CosineAnnealingLR).

:func:`composition_code` writes the ``SequentialLR(LinearLR, CosineAnnealingLR)`` that
reproduces a WarmupCosLR configuration, and :func:`composition` builds the scheduler by
running exactly that code, so the code lrplan prints is the code it planned. It is the
``warmup_cos_torch`` scheduler of :mod:`lrplan.core.registry`;
:func:`lrplan.analysis.equivalent.equivalence` plans both and reports their difference.

Why the composition matches (the test suite checks it against the formula independently):

* Warm-up: LinearLR's factor at step k is ``start + (1 - start) * k / total_iters``; with
  ``start = 1 / W`` and ``total_iters = W - 1`` it is ``(k + 1) / W``, WarmupCosLR's ramp,
  reaching 1 (the peak) at k = W - 1.
* Cosine: SequentialLR restarts the second scheduler at 0 at the milestone W, so
  CosineAnnealingLR with ``T_max = epochs - W`` runs WarmupCosLR's cosine: the peak again
  at k = W, ``min_lr`` at k = epochs.
* ``warmup_epochs = 0``: no warm-up, so CosineAnnealingLR alone with ``T_max = epochs``
  (SequentialLR cannot start with a scheduler that never runs).
* ``warmup_epochs = 1``: the single warm-up epoch runs at the peak. ``total_iters = W - 1``
  would be 0 (a 0/0 in LinearLR), so ``start_factor = end_factor = 1`` with
  ``total_iters = 1``: a constant factor of 1.

Importing this module is torch-free; :func:`composition` imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrplan.core.config import ScheduleConfig

if TYPE_CHECKING:
    from torch.optim import Optimizer


def composition_code(config: ScheduleConfig) -> str:
    """The Python code that builds torch's equivalent of ``config``'s WarmupCosLR.

    It expects ``optimizer`` built with ``lr=config.lr`` (the peak) and leaves the
    scheduler in ``scheduler``. Lengths are in the scheduler's unit (steps with
    ``--interval step``).
    """
    return _code(config.min_lr, config.lr, config.warmup_rows, config.rows, config.unit)


def _code(
    min_lr: float,
    lr: float,
    warmup: int,
    total: int,
    unit: str = "epoch",
    last_epoch: int | None = None,
) -> str:
    resumed = "" if last_epoch is None else f", last_epoch={last_epoch}"
    how = (
        "# Lengths in optimizer steps: call scheduler.step() after every optimizer.step()."
        if unit == "step"
        else "# Lengths in epochs: call scheduler.step() once per epoch."
    )
    lines = [f"# optimizer: built with lr={lr!r}, the peak.", how]
    if warmup == 0:
        lines += [
            "from torch.optim.lr_scheduler import CosineAnnealingLR",
            "",
            "# warmup_epochs=0: no warm-up, the cosine alone",
            f"scheduler = CosineAnnealingLR(optimizer, T_max={total}, eta_min={min_lr!r}{resumed})",
        ]
        return "\n".join(lines) + "\n"
    if warmup == 1:
        comment = "# a 1-epoch warm-up already runs at the peak: a constant factor of 1"
        start, total_iters = "1.0", 1
    else:
        comment = f"# factor (k + 1) / {warmup} for k = 0..{warmup - 1}: lr / {warmup} up to lr"
        start, total_iters = f"1 / {warmup}", warmup - 1
    lines += [
        "from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR",
        "",
        comment,
        f"warmup = LinearLR(optimizer, start_factor={start}, end_factor=1.0,"
        f" total_iters={total_iters}{resumed})",
        f"cosine = CosineAnnealingLR(optimizer, T_max={total - warmup}, eta_min={min_lr!r})",
        f"scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[{warmup}])",
    ]
    return "\n".join(lines) + "\n"


def composition(
    optimizer: Optimizer,
    min_lr: float,
    lr: float,
    warmup_epochs: int,
    epochs: int,
    last_epoch: int | None = None,
) -> Any:
    """torch's composition of WarmupCosLR(min_lr, lr, warmup_epochs, epochs) on ``optimizer``.

    Built by running :func:`_code`'s text, the very code ``lrplan equivalent`` prints; the
    text holds only numbers lrplan validated. ``optimizer``'s lr must be ``lr``.
    """
    namespace: dict[str, Any] = {"optimizer": optimizer}
    exec(_code(min_lr, lr, warmup_epochs, epochs, last_epoch=last_epoch), namespace)
    return namespace["scheduler"]
