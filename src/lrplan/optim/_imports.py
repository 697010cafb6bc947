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
import signal
import threading
from collections.abc import Iterator

#: Set by :func:`lrplan.cli.app.main` only: freezing is right for a command that exits soon,
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


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends, then raise KeyboardInterrupt.

    While ``torch._C`` initialises, it imports numpy from C++ and clears any exception that
    import raises: a Ctrl-C pressed at that moment is swallowed, and the command runs on
    (without numpy support in torch). Holding the signal makes it count, a moment later.
    Only Python's own handler is replaced, and only in the main thread; a handler the
    caller installed is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: pressed.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


def import_torch() -> None:
    """Import torch (and torch.optim) with the collector paused and Ctrl-C held.

    A no-op once torch is imported.
    """
    with interrupts_held(), gc_paused():
        import torch.optim  # noqa: F401
