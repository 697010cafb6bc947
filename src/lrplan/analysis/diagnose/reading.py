"""What the loss rules produce: the reading of a curve, its tail line, and the advice given
when there is no remedy to tune (:mod:`lrplan.analysis.diagnose.loss` applies the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrplan.analysis.diagnose.validation import Overfit
from lrplan.inputs.logs import TrainingLog


@dataclass(frozen=True)
class RateThere:
    """The learning rate at a point of the curve, its peak, and where it comes from."""

    rate: float
    peak: float
    source: str  # "logged" or "planned"


@dataclass(frozen=True)
class Trend:
    """A Theil–Sen line through the loss over the points ``first`` to ``last`` (indices).

    ``change`` is the line's rise from its start to its end relative to its start (negative:
    the loss falls); ``per_epoch`` the same per epoch, for a log with epochs.
    """

    first: int
    last: int
    start: float
    end: float
    change: float
    per_epoch: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_index": self.first,
            "last_index": self.last,
            "fitted_start": self.start,
            "fitted_end": self.end,
            "change": self.change,
            "change_per_epoch": self.per_epoch,
        }


@dataclass(frozen=True)
class LossReading:
    """The symptom the loss curve shows, why (one sentence per figure), and the figures.

    Indices point into the log's positions. ``rise`` is the tail's level over the lowest level
    before it (at ``low_at``); ``rise_at`` where the sustained rise starts. ``halfway_at`` is
    where the smoothed loss first fell halfway from its start to its end, ``halfway_share`` how
    far into the run that is (0 to 1); ``progress`` the share of its fall the loss had made on
    average over the run. ``flat_from`` is where a flat tail starts. ``notes`` are things
    seen that are no symptom (a spike that recovered, a metric that changes sign); ``advice``
    what to do when there is no remedy to tune (not learning, unjudgeable).
    """

    symptom: str
    evidence: tuple[str, ...]
    nonfinite_at: int | None = None
    rise: float | None = None
    rise_at: int | None = None
    low_at: int | None = None
    halfway_at: int | None = None
    halfway_share: float | None = None
    progress: float | None = None
    tail: Trend | None = None
    flat_from: int | None = None
    noise: float | None = None
    notes: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    smoothed: tuple[float, ...] = ()
    overfit: Overfit | None = None
    #: The validation column slow, plateau or healthy was read from: the indices then point
    #: into the validation curve's points. None: into the loss's.
    judged_on: str | None = None

    def curve(self, log: TrainingLog) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """The positions and values of the curve this reading's indices point into."""
        if self.judged_on is not None and log.validation is not None:
            return log.validation.positions, log.validation.values
        return log.positions, log.losses

    def to_dict(self, log: TrainingLog) -> dict[str, Any]:
        positions = self.curve(log)[0]

        def at(index: int | None) -> int | None:
            return None if index is None else positions[index]

        return {
            "symptom": self.symptom,
            "curve": self.judged_on or log.loss.name,
            "curve_is_validation": self.judged_on is not None,
            "evidence": list(self.evidence),
            "notes": list(self.notes),
            "advice": list(self.advice),
            f"nonfinite_at_{log.unit}": at(self.nonfinite_at),
            "rise": self.rise,
            f"rise_at_{log.unit}": at(self.rise_at),
            f"low_at_{log.unit}": at(self.low_at),
            f"halfway_at_{log.unit}": at(self.halfway_at),
            "halfway_share": self.halfway_share,
            "progress": self.progress,
            f"flat_from_{log.unit}": at(self.flat_from),
            "noise": self.noise,
            "tail": self.tail.to_dict() if self.tail is not None else None,
            "overfit": self.overfit.to_dict() if self.overfit is not None else None,
        }


NOT_LEARNING_ADVICE = (
    "Check the wiring before the schedule: the optimizer holds the model's parameters"
    " (built after the model is moved to its device), the loss is computed from the model's"
    " output without a .detach() or torch.no_grad() in between, optimizer.step() and"
    " zero_grad() are called, and the labels match the inputs (a loss at ln(classes) is"
    " chance).",
    "Then look at the rate: a learning rate of 0, or one so small that nothing moves (try 10×"
    " for a few epochs, or a learning-rate range test), and a floor (min_lr) above it.",
)
UNJUDGEABLE_ADVICE = (
    "Give --loss-column NAME for a loss that is minimised and logged over the run, or log the"
    " training loss more often (Lightning: self.log(..., on_step=True); Hugging Face:"
    " logging_steps).",
)
