"""The run's plan when none is given: read from the learning rate the log holds.

lrplan's defaults are never the run's plan. With a logged rate, the plan is the WarmupCosLR
whose values the run shows: its peak (``lr``), where the peak is first reached (the warm-up),
its floor (the lowest rate after the peak, ``min_lr``) and the run's length (the planned
length the file gives, else the log's own). The real scheduler is then planned with these
values and compared with the logged rate, to say whether the run's schedule has WarmupCosLR's
shape at all. Without a logged rate only the length is known, and nothing is tuned from
values the run never showed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrplan.analysis.diagnose.lr_check import planned_rates
from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.logs import TrainingLog

#: A logged rate within this share of the inferred WarmupCosLR's follows its shape (the floor
#: and the end are estimates, so looser than the check against a given plan).
SHAPE_TOLERANCE = 0.03
#: The share of logged rates that must follow it for the shape to be WarmupCosLR's.
SHAPE_SHARE = 0.9
#: Rates within this share of each other are one value, when counting a step decay's steps.
SAME_VALUE = 0.01
#: A schedule with at most this many distinct values after its peak is a step decay.
STEP_DECAY_VALUES = 8


@dataclass(frozen=True)
class InferredPlan:
    """What the log says of the run's plan.

    ``config`` is the WarmupCosLR with the run's values (None without a logged rate);
    ``facts`` the sentences that say where each value comes from; ``shape`` names the logged
    schedule's shape; ``follows`` whether it is WarmupCosLR's. ``length`` and ``unit`` are the
    run's length, known with or without a rate.
    """

    config: ScheduleConfig | None
    facts: tuple[str, ...]
    shape: str | None
    follows: bool | None
    length: int
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "inferred": True,
            "facts": list(self.facts),
            "shape": self.shape,
            "follows_warmup_cos": self.follows,
            "length": self.length,
            "unit": self.unit,
        }


def infer_plan(log: TrainingLog) -> InferredPlan:
    """The run's plan as far as ``log`` shows it. See the module's docstring."""
    per_epoch = _per_epoch(log)
    if not log.lrs:
        rates: list[tuple[int, float]] = []
        unit = log.unit
    elif per_epoch:
        rates = sorted(per_epoch.items())
        unit = "epoch"
    else:
        rates = sorted(
            {logged.step: logged.lr for logged in log.lrs if logged.step is not None}.items()
        )
        unit = "step"
    length = _length(log, unit, rates)
    if not rates:
        return InferredPlan(
            None,
            (
                f"no plan given and no learning rate logged: the run's length, {length}"
                f" {log.unit}s, is the log's own; its rates are unknown (give --config or"
                " --lr for the remedy's numbers)",
            ),
            None,
            None,
            length,
            unit,
        )
    peak_at, peak = max(rates, key=lambda pair: (pair[1], -pair[0]))
    first_row = rates[0][0]
    after = [rate for row, rate in rates if row >= peak_at]
    # Logs round; four figures keep the remedy's numbers readable.
    peak, floor = _figures(peak), min(_figures(min(after)), _figures(peak))
    warmup_rows = peak_at + 1 if rates[0][1] < peak * (1 - SAME_VALUE) else 0
    steps = log.steps_per_epoch if unit == "step" else None
    last_row, last_rate = rates[-1]
    floor = _fitted_floor(peak, floor, warmup_rows, length, steps, last_row, last_rate)
    config = _config(peak, floor, warmup_rows, length, steps)
    facts = [
        f"no plan given: inferred from the logged rate ({log.lr.name if log.lr else 'lr'}):"
        f" peak {peak:.3e} at {unit} {peak_at}, floor (min_lr) {floor:.3e},"
        f" warm-up {warmup_rows} {unit}s, length {length} {unit}s",
    ]
    if first_row > 0:
        facts.append(f"the logged rate starts at {unit} {first_row}")
    if warmup_rows > 0 and peak_at == last_row and warmup_rows >= length:
        facts.append(
            f"the logged rate rises until its last {unit} ({last_row}): the warm-up never"
            f" finished, so the run never trained at its peak or decayed (a warm-up as long as"
            f" the run, or counted in other units than the run's {unit}s)"
        )
    shape = _shape([rate for _, rate in rates], peak_at_index=_index_of(rates, peak_at))
    follows = None
    if config is not None:
        planned = planned_rates(config, max(config.rows, rates[-1][0] + 1))
        matching = sum(
            1
            for row, rate in rates
            if row < len(planned)
            and math.isclose(rate, planned[row], rel_tol=SHAPE_TOLERANCE, abs_tol=1e-12)
        )
        follows = matching >= SHAPE_SHARE * len(rates)
        if follows:
            facts.append(
                f"its shape is WarmupCosLR's: {matching} of {len(rates)} logged rates within"
                f" {SHAPE_TOLERANCE * 100:g}% of the real scheduler's with these values"
            )
        else:
            facts.append(
                f"its shape is not WarmupCosLR's ({shape}): only {matching} of {len(rates)}"
                f" logged rates lie within {SHAPE_TOLERANCE * 100:g}% of a WarmupCosLR with"
                " its peak, warm-up, floor and length; a remedy tunes such a WarmupCosLR"
            )
    else:
        facts.append(f"its shape: {shape}; no WarmupCosLR has these values")
    return InferredPlan(config, tuple(facts), shape, follows, length, unit)


def _per_epoch(log: TrainingLog) -> dict[int, float]:
    """The rate of each epoch, when the log has epochs and the rate never changes within one
    (a scheduler stepped per epoch); empty otherwise."""
    found: dict[int, float] = {}
    for logged in log.lrs:
        if logged.epoch is None:
            return {}
        seen = found.setdefault(logged.epoch, logged.lr)
        if not math.isclose(seen, logged.lr, rel_tol=SAME_VALUE):
            return {}
    return found


def _length(log: TrainingLog, unit: str, rates: list[tuple[int, float]]) -> int:
    """The run's length in ``unit``: the file's planned length, else the log's own."""
    if unit == "epoch":
        if log.planned_epochs:
            return math.ceil(log.planned_epochs)
        last = max([row for row, _ in rates] + ([log.positions[-1]] if log.unit == "epoch" else []))
        return last + 1
    if log.planned_steps:
        return log.planned_steps
    if log.unit == "epoch" and log.steps_per_epoch:
        return (log.positions[-1] + 1) * log.steps_per_epoch
    last_step = max([row for row, _ in rates] + [log.positions[-1] + log.steps_per_point - 1])
    return last_step + 1


def _fitted_floor(
    peak: float,
    lowest: float,
    warmup_rows: int,
    length: int,
    steps: int | None,
    last_row: int,
    last_rate: float,
) -> float:
    """The ``min_lr`` whose real WarmupCosLR gives the last logged rate at its row.

    A cosine's last trained rate lies above its floor, so the lowest logged rate is not the
    floor. WarmupCosLR's rate at a row is ``min_lr + (lr - min_lr) × c`` for a ``c`` that
    does not depend on ``min_lr``: one plan with ``min_lr=0`` gives ``c`` at the last row,
    and the floor that gives the logged rate follows. ``lowest`` when that fails (a row past
    the plan, a floor out of range)."""
    bare = _config(peak, 0.0, warmup_rows, length, steps)
    if bare is None or last_row >= bare.rows:
        return lowest
    share = planned_rates(bare, last_row + 1)[last_row] / peak
    if share >= 1:
        return lowest
    fitted = (last_rate - peak * share) / (1 - share)
    return _figures(fitted) if 0 <= fitted <= lowest * (1 + SAME_VALUE) else lowest


def _config(
    peak: float, floor: float, warmup_rows: int, length: int, steps: int | None
) -> ScheduleConfig | None:
    """The WarmupCosLR with these values, per epoch; per step with ``steps`` per epoch (its
    warm-up and length rounded to whole epochs, as WarmupCosLR counts them)."""
    try:
        if steps:
            epochs = max(1, round(length / steps))
            warmup = min(round(warmup_rows / steps), epochs - 1)
            return ScheduleConfig(
                lr=peak,
                min_lr=floor,
                warmup_epochs=warmup,
                epochs=epochs,
                interval="step",
                steps_per_epoch=steps,
            )
        return ScheduleConfig(
            lr=peak, min_lr=floor, warmup_epochs=min(warmup_rows, length - 1), epochs=length
        )
    except LrplanError:
        return None


def _figures(value: float) -> float:
    return float(f"{value:.4g}")


def _index_of(rates: list[tuple[int, float]], row: int) -> int:
    return next(index for index, (at, _) in enumerate(rates) if at == row)


def _shape(rates: list[float], peak_at_index: int) -> str:
    """The logged schedule's shape in a few words: constant, a step decay, a linear or cosine
    decay, with a warm-up or one-cycle rise before it."""
    peak, low = max(rates), min(rates)
    if peak <= low * (1 + SAME_VALUE):
        return "constant"
    rise = "a warm-up, then " if peak_at_index > 0 else ""
    if peak_at_index == len(rates) - 1:
        return "a rise to its last logged value"
    after = rates[peak_at_index:]
    distinct: list[float] = []
    for rate in after:
        if not any(math.isclose(rate, seen, rel_tol=SAME_VALUE) for seen in distinct):
            distinct.append(rate)
    if len(after) > STEP_DECAY_VALUES and len(distinct) <= STEP_DECAY_VALUES:
        return f"{rise}a step decay ({len(distinct)} values)"
    if len(after) < 5:
        return f"{rise}a decay"
    floor = min(after)
    quarter = after[len(after) // 4]
    share = (quarter - floor) / (after[0] - floor) if after[0] > floor else 1.0
    # At a quarter of the decay a linear one keeps 75% of its span, a cosine 85%.
    kind = (
        "a cosine decay" if share >= 0.8 else "a linear decay" if share >= 0.65 else "a fast decay"
    )
    return f"{rise}{kind}"
