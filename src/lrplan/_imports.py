"""Importing torch and matplotlib with the cyclic garbage collector paused.

Importing torch creates a few hundred thousand objects; while it runs, the collector keeps
scanning the growing heap for cycles that are not there. Pausing it for the import saves
about 0.25 s of the 1.3 s that ``import torch`` takes on a 2-core machine, and as much again
for matplotlib after torch (measured with ``python benchmarks/bench.py`` and
``python -X importtime``). The collector is switched back on afterwards, so nothing changes
for the code that runs after the import (the caller's training loop included).

The ``lrplan`` command, a short-lived process, also sets :data:`freeze_after_import`: the
objects the import created are then moved out of the collector's sight with
``gc.freeze()``. Otherwise the first collection after the import scans all of them, about
0.1 s with torch and matplotlib loaded, and finds nothing to free.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Set by :func:`lrplan.cli.main` only: freezing is right for a command that exits soon,
#: not for a training process that imports lrplan.
freeze_after_import = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block, if it was running."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze_after_import:
            gc.freeze()
        gc.enable()


def import_torch() -> None:
    """Import torch (and torch.optim) with the collector paused; a no-op once imported."""
    with gc_paused():
        import torch.optim  # noqa: F401
