"""Counts in findings' sentences, spelled as English spells them: ``1 epoch``, ``2 epochs``."""

from __future__ import annotations


def count(number: int, unit: str, *, grouped: bool = True) -> str:
    """``number`` with ``unit``, plural unless it is one (``grouped``: thousands separated)."""
    shown = f"{number:,}" if grouped else str(number)
    return f"{shown} {unit}" if number == 1 else f"{shown} {unit}s"
