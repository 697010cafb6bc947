"""Argument checks for WarmupCosLR, free of torch so the CLI can run them cheaply."""

from __future__ import annotations

import math
import sys
from numbers import Integral, Real

#: The largest finite float: a whole-number rate beyond it cannot be held by an optimizer.
_LARGEST_FLOAT = sys.float_info.max


class ScheduleArgumentError(ValueError):
    """A constructor argument of WarmupCosLR is invalid.

    ``param`` names the offending argument, so callers (the CLI, a config loader) can
    point at their own spelling of it.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def check_warmup_cos_args(
    min_lr: object, lr: object, warmup_epochs: object, epochs: object
) -> None:
    """Raise :class:`ScheduleArgumentError` unless the arguments describe a valid schedule.

    Valid means: finite ``0 <= min_lr <= lr`` with ``lr > 0``, integer ``warmup_epochs >= 0``
    and integer ``epochs > warmup_epochs`` (``epochs == warmup_epochs`` divides by zero in
    the cosine).
    """
    for name, value in (("lr", lr), ("min_lr", min_lr)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ScheduleArgumentError(name, f"{name}={value!r} must be a number")
        # A whole number is finite, but may be too large for the float a rate is held in.
        if isinstance(value, Integral) and abs(value) > _LARGEST_FLOAT:
            raise ScheduleArgumentError(
                name,
                f"{name}=(a whole number near 10**{int(abs(value).bit_length() * math.log10(2))})"
                f" is too large for a float rate (at most {_LARGEST_FLOAT:.3g})",
            )
        if not isinstance(value, Integral) and not math.isfinite(value):
            raise ScheduleArgumentError(name, f"{name}={value!r} must be finite")
    assert isinstance(lr, Real) and isinstance(min_lr, Real)
    if lr <= 0:
        raise ScheduleArgumentError("lr", f"lr={lr!r} must be greater than 0")
    if min_lr < 0:
        raise ScheduleArgumentError("min_lr", f"min_lr={min_lr!r} must be 0 or greater")
    if min_lr > lr:
        raise ScheduleArgumentError(
            "min_lr", f"min_lr={min_lr!r} must not exceed lr={lr!r} (the peak)"
        )
    for name, value in (("warmup_epochs", warmup_epochs), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ScheduleArgumentError(name, f"{name}={value!r} must be a whole number")
    assert isinstance(warmup_epochs, Integral) and isinstance(epochs, Integral)
    if warmup_epochs < 0:
        raise ScheduleArgumentError(
            "warmup_epochs", f"warmup_epochs={warmup_epochs!r} must be 0 or greater"
        )
    if epochs <= warmup_epochs:
        raise ScheduleArgumentError(
            "epochs",
            f"epochs={epochs!r} must be greater than warmup_epochs={warmup_epochs!r}",
        )
