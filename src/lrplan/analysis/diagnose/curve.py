"""Robust statistics of a noisy loss curve: a rolling median, the noise, a Theil–Sen line.

Medians rather than means, so that one spike moves none of them: a loss logged per batch
jumps by a factor of two and back all the time, and a rule built on the raw values would
call every such run diverging.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence

#: The rolling median's window: 3 points for a short curve, up to 9 for one of 80 or more.
MIN_WINDOW = 3
MAX_WINDOW = 9
#: Scales a median absolute deviation to a standard deviation for normal noise.
MAD_TO_SIGMA = 1.4826


def window(count: int) -> int:
    """The odd window of the rolling median for a curve of ``count`` points."""
    return max(MIN_WINDOW, min(MAX_WINDOW, 2 * (count // 20) + 1))


def rolling_median(values: Sequence[float], size: int) -> list[float]:
    """The median of each point and its neighbours, ``size // 2`` on each side (fewer at the
    ends)."""
    half = size // 2
    return [
        statistics.median(values[max(0, index - half) : index + half + 1])
        for index in range(len(values))
    ]


def noise(values: Sequence[float]) -> float:
    """The noise of a curve: a standard deviation from the median absolute difference of
    neighbouring points (divided by √2, two noisy points per difference). Neighbours differ
    little through a trend, and the median lets a few spikes pass."""
    if len(values) < 2:
        return 0.0
    differences = [abs(b - a) for a, b in itertools.pairwise(values)]
    return MAD_TO_SIGMA * statistics.median(differences) / math.sqrt(2)


def affine_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """How well a straight line in ``xs`` explains ``ys``: (R², the slope's sign)."""
    # Both are scale-free: scaled to at most 1, a loss of 1e300 squares without overflow.
    x_scale = max(map(abs, xs), default=0.0) or 1.0
    y_scale = max(map(abs, ys), default=0.0) or 1.0
    if not (math.isfinite(x_scale) and math.isfinite(y_scale)):
        return 0.0, 0.0
    xs = [x / x_scale for x in xs]
    ys = [y / y_scale for y in ys]
    x_mean, y_mean = statistics.fmean(xs), statistics.fmean(ys)
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    syy = math.fsum((y - y_mean) ** 2 for y in ys)
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True))
    if not sxx or not syy:
        return 0.0, 0.0
    return sxy * sxy / (sxx * syy), math.copysign(1.0, sxy)


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """The Theil–Sen line through the points: the median of the pairwise slopes, and the
    median intercept. Up to 29 % of the points can be wild without moving it."""
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median(y - slope * x for x, y in zip(xs, ys, strict=True))
    return slope, intercept


def relative(change: float, reference: float) -> float:
    """``change`` as a share of ``reference`` (of 1 when the reference is 0)."""
    return change / (abs(reference) or 1.0)


def finite(values: Sequence[float]) -> bool:
    return all(math.isfinite(value) for value in values)
