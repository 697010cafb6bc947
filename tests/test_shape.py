"""Phases and insights of schedulers other than WarmupCosLR, read from the planned shape.

Each case names the shape by its parameters (a step every 10 epochs, a restart every 8, ...)
and checks that lrplan describes exactly that; the rates quoted are stated independently.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from lrplan.analysis.insights import insights
from lrplan.analysis.summary import Insight, fmt_lr, summarize
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.core.rates import DECAY, HOLD, RESTART, RISE, shape_phase


def found(**settings: Any) -> dict[str, Insight]:
    schedule = plan(ScheduleConfig(**settings))
    return {insight.code: insight for insight in insights(schedule)}


def flat(insight: Insight) -> str:
    return " ".join(f"{insight.message} fix: {insight.fix}".split())


def flat_cli(insight: Insight) -> str:
    """The insight as the command line words it: parameters as options."""
    from lrplan.inputs.naming import as_options

    message, fix = insight.worded(as_options)
    return " ".join(f"{message} fix: {fix}".split())


@pytest.mark.parametrize(
    ("lrs", "expected"),
    [
        ([3, 2, 1], [DECAY, DECAY, DECAY]),
        ([1, 2, 3, 2], [RISE, RISE, RISE, DECAY]),
        ([2, 2, 1, 1, 1], [HOLD, HOLD, DECAY, HOLD, HOLD]),
        ([3, 2, 1, 3, 2, 1], [DECAY, DECAY, DECAY, RESTART, DECAY, DECAY]),
        ([3, 1, 2, 3], [DECAY, DECAY, RISE, RISE]),  # a gradual rise is not a restart
        ([5], [HOLD]),
    ],
)
def test_the_phase_of_a_row_is_how_its_rate_moved(lrs: list[float], expected: list[str]) -> None:
    assert [shape_phase(lrs, index) for index in range(len(lrs))] == expected


def test_phases_of_planned_built_ins() -> None:
    step = plan(ScheduleConfig(scheduler="step", params={"step_size": 10}, epochs=25))
    assert [row.phase for row in step.rows()] == (
        [HOLD] * 10 + [DECAY] + [HOLD] * 9 + [DECAY] + [HOLD] * 4
    )
    restarts = plan(ScheduleConfig(scheduler="cosine_restarts", params={"T_0": 8}, epochs=20))
    phases = [row.phase for row in restarts.rows()]
    assert [index for index, phase in enumerate(phases) if phase == RESTART] == [8, 16]
    onecycle = plan(ScheduleConfig(scheduler="onecycle", epochs=20))
    phases = [row.phase for row in onecycle.rows()]
    peak = phases.index(DECAY) - 1
    assert set(phases[: peak + 1]) == {RISE} and set(phases[peak + 1 :]) == {DECAY}
    assert onecycle.lrs[peak] == max(onecycle.lrs)


def test_warmup_cos_keeps_its_own_phases_and_insights() -> None:
    schedule = plan(ScheduleConfig())
    assert {row.phase for row in schedule.rows()} == {"warm-up", "cosine"}
    codes = [insight.code for insight in insights(schedule)]
    assert codes == ["peak-held", "floor-not-reached", "rises-past-end"]


def test_a_cosine_ends_above_its_floor_and_rises_past_the_end() -> None:
    codes = found(scheduler="cosine", lr=1e-3, min_lr=1e-5, epochs=25)

    assert list(codes) == ["starts-at-peak", "floor-not-reached", "rises-past-end"]
    last = 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * 24 / 25))
    text = flat(codes["floor-not-reached"])
    assert f"The last trained epoch (24) runs at {fmt_lr(last)}" in text
    assert "eta_min is reached only at epoch 25, which is never trained" in text
    assert "build CosineAnnealingLR with T_max=24 while training 25 epochs" in text
    assert "with --param T_max=24 while" in flat_cli(codes["floor-not-reached"])
    # Five epochs past the end (a fifth of 25), the cosine has climbed back.
    climbed = 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * 30 / 25))
    assert f"epoch 30 would run at {fmt_lr(climbed)}" in flat(codes["rises-past-end"])


def test_a_cosine_shorter_than_training_rises_again_as_a_warning() -> None:
    codes = found(scheduler="cosine", params={"T_max": 10}, lr=1e-3, min_lr=0.0, epochs=25)

    rise = codes["rises-again"]
    assert rise.level == "warning"
    assert flat(rise).startswith(
        "After falling to 0 at epoch 10, the rate rises again, to 1.000e-03 at epoch 20."
    )
    assert "make T_max=25 (the epochs trained)" in rise.fix
    # It reached its floor during training, so "ends above the floor" would mislead.
    assert "floor-not-reached" not in codes


def test_step_plateaus_are_named_with_their_rates() -> None:
    codes = found(scheduler="step", params={"step_size": 10, "gamma": 0.5}, lr=0.1, epochs=25)

    assert flat(codes["holds"]).startswith(
        "The rate holds still for several epochs at a time: 1.000e-01 for epochs 0–9,"
        " 5.000e-02 for epochs 10–19 and 2.500e-02 for epochs 20–24."
    )
    assert codes["holds"].level == "note"
    assert "rises-again" not in codes and "restarts" not in codes


def test_short_holds_are_not_plateaus_and_many_are_counted() -> None:
    assert "holds" not in found(scheduler="step", params={"step_size": 2}, epochs=9)
    many = found(scheduler="step", params={"step_size": 3, "gamma": 0.9}, epochs=21)
    assert "and 3 more plateaus." in flat(many["holds"])


def test_restarts_say_where_and_how_to_end_at_a_cycle_bottom() -> None:
    codes = found(scheduler="cosine_restarts", params={"T_0": 10}, epochs=25, min_lr=1e-5)

    text = flat(codes["restarts"])
    bottom = 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * 9 / 10))
    assert text.startswith(
        f"The rate restarts 2 times, jumping back up at epochs 10, 20 (at epoch 10 from"
        f" {fmt_lr(bottom)} to 1.000e-03). Training ends partway down a cycle"
    )
    assert "train epochs=30" in text
    assert "train --epochs 30" in flat_cli(codes["restarts"])
    assert codes["restarts"].changes == (("epochs", 30),)
    # Warm restarts never stay at eta_min: no "ends above its floor".
    assert "floor-not-reached" not in codes


def test_training_that_ends_at_a_cycle_bottom_says_so() -> None:
    codes = found(scheduler="cosine_restarts", params={"T_0": 5}, epochs=20)

    assert "Training ends at the bottom of a cycle (epoch 19)." in flat(codes["restarts"])
    assert "restarts 3 times" in codes["restarts"].message


def test_onecycle_refuses_to_run_past_its_length() -> None:
    codes = found(scheduler="onecycle", epochs=10)

    text = flat(codes["stops-past-end"])
    assert text.startswith("OneCycleLR cannot run past its length: if training goes on past")
    assert "raises ValueError: Tried to step 11 times." in text
    assert "rises-past-end" not in codes
    assert "starts-at-peak" not in codes  # it warms up


def test_a_decay_that_settles_after_training_ends_above_its_floor() -> None:
    codes = found(scheduler="linear", params={"start_factor": 1.0, "end_factor": 0.1}, epochs=10)

    text = flat(codes["floor-not-reached"])
    # LinearLR at k = 9 of total_iters = 10: 1 - 0.9 * 9 / 10 = 0.19 of lr; 0.1 from k = 10.
    assert text.startswith(
        f"The last trained epoch (9) runs at {fmt_lr(1e-3 * 0.19)}; after training the rate"
        f" goes on falling to {fmt_lr(1e-4)} at epoch 10, which is never trained."
    )
    assert "build LinearLR with total_iters=9 while" in text
    assert "--param total_iters=9" in flat_cli(codes["floor-not-reached"])


def test_a_decay_to_zero_needs_no_fix() -> None:
    codes = found(scheduler="polynomial", epochs=10)

    assert "falling to 0 at epoch 10" in codes["floor-not-reached"].message
    assert codes["floor-not-reached"].fix.startswith("Nothing to fix")


def test_an_exponential_decay_has_no_floor_to_miss() -> None:
    codes = found(scheduler="exponential", params={"gamma": 0.9}, epochs=10)

    assert list(codes) == ["starts-at-peak"]


def test_a_constant_rate_is_one_note() -> None:
    codes = found(scheduler="constant", lr=3e-4, epochs=12)

    assert list(codes) == ["constant"]
    assert codes["constant"].message == "The rate is 3.000e-04 for all 12 epochs: it never changes."


def test_step_mode_names_the_call_with_step_counts() -> None:
    codes = found(scheduler="cosine", epochs=4, interval="step", steps_per_epoch=50)

    assert "CosineAnnealingLR(optimizer, T_max=200)" in flat(codes["interval-step-units"])


def test_the_summary_measures_against_the_declared_floor() -> None:
    cosine = summarize(plan(ScheduleConfig(scheduler="cosine", min_lr=2e-5)))
    assert cosine.min_lr == 2e-5
    assert cosine.last_over_min == pytest.approx(cosine.last_trained_lr / 2e-5, rel=1e-12)

    step = summarize(plan(ScheduleConfig(scheduler="step", params={"step_size": 5})))
    assert step.min_lr == 0.0
    assert step.last_over_min is None


def test_the_plot_marks_every_restart_peak_and_the_declared_floor() -> None:
    from lrplan.output.plot import plot_figure

    schedule = plan(
        ScheduleConfig(scheduler="cosine_restarts", params={"T_0": 8}, epochs=20, min_lr=1e-5)
    )
    axes = plot_figure([("", schedule)]).axes[0]

    markers = [line for line in axes.get_lines() if line.get_marker() == "^"]
    assert list(markers[0].get_xdata()) == [0, 8, 16]
    assert "eta_min = 1.000e-05" in [text.get_text() for text in axes.get_legend().get_texts()]
    # No warm-up setting: nothing is shaded as one.
    assert "warm-up" not in [text.get_text() for text in axes.get_legend().get_texts()]
