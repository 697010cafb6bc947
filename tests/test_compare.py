"""analysis.compare: candidates aligned on the epoch (or step), and metrics checked against the
formula, never against lrplan's own output."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrplan.analysis.compare import check_candidates, compare, metrics
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.errors import LrplanError
from tests.formula import formula_lr


def expected_lrs(config: ScheduleConfig) -> list[float]:
    """The formula at every trained scheduler step, lengths converted to the scheduler's unit."""
    per_epoch = config.steps_per_epoch
    return [
        formula_lr(k, config.lr, config.min_lr, config.warmup_epochs * per_epoch, config.rows)
        for k in range(config.rows)
    ]


def expected_metrics(config: ScheduleConfig) -> dict[str, object]:
    """The metrics as the issue defines them, computed from the formula."""
    lrs = expected_lrs(config)
    peak = max(lrs)
    return {
        "peak_lr": peak,
        "last_trained_lr": lrs[-1],
        "mean_lr": sum(lrs) / len(lrs),
        # The sum of the rate over the epochs trained (per step: over steps, per epoch).
        "area": sum(lrs) / config.steps_per_epoch,
        # On-threshold rates (9/10 of a 10-epoch warm-up) count; a relative 1e-9 says so.
        "near_peak": sum(1 for lr in lrs if lr >= 0.9 * peak * (1 - 1e-9)),
        "low": sum(1 for lr in lrs if lr < 0.1 * peak * (1 - 1e-9)),
        "epochs": config.epochs,
    }


CONFIGS = [
    pytest.param(ScheduleConfig(), id="design document"),
    pytest.param(ScheduleConfig(lr=5e-4, warmup_epochs=5), id="diverging remedy"),
    pytest.param(ScheduleConfig(min_lr=1e-6, epochs=50), id="plateau remedy"),
    pytest.param(ScheduleConfig(lr=0.1, min_lr=0.0, warmup_epochs=0, epochs=7), id="pure cosine"),
    pytest.param(ScheduleConfig(lr=3e-4, min_lr=3e-4, warmup_epochs=2, epochs=5), id="flat"),
    pytest.param(ScheduleConfig(warmup_epochs=10, epochs=90), id="warm-up of 10"),
    pytest.param(
        ScheduleConfig(warmup_epochs=2, epochs=6, interval="step", steps_per_epoch=7),
        id="per step",
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_metrics_match_the_formula(config: ScheduleConfig) -> None:
    expected = expected_metrics(config)
    found = metrics(plan(config))

    for key in ("peak_lr", "last_trained_lr", "mean_lr", "area"):
        assert getattr(found, key) == pytest.approx(expected[key], rel=1e-12), key
    for key in ("near_peak", "low", "epochs"):
        assert getattr(found, key) == expected[key], key
    assert found.rows == config.rows
    assert found.unit == config.unit


def test_metrics_of_the_design_documents_example() -> None:
    found = metrics(plan(ScheduleConfig()))

    assert found.peak_at == (2, 3)
    assert found.last_trained_lr == pytest.approx(1.504e-5, rel=1e-3)
    # Epochs 2-7 run at 92.1 % of the peak or more; 8 at 87.9 %.
    assert found.near_peak == 6
    # Epochs 21-24 run below 10 % (8.9 %, 5.5 %, 3.0 %, 1.5 %); epoch 20 at 13.1 %.
    assert found.low == 4


def test_a_rate_of_exactly_90_percent_counts_as_near_the_peak() -> None:
    # A 10-epoch warm-up: epoch 8 runs at lr * 9 / 10, exactly 90 % of the peak.
    found = metrics(plan(ScheduleConfig(warmup_epochs=10, epochs=12)))
    # Epochs 8 (90 %), 9 and 10 (the peak) and 11 (cosine, 50 % + ...) -- per the formula:
    expected = [k for k in range(12) if formula_lr(k, 1e-3, 1e-5, 10, 12) >= 0.9e-3 * (1 - 1e-9)]
    assert 8 in expected
    assert found.near_peak == len(expected)


@given(
    lr=st.floats(1e-6, 1.0),
    floor_share=st.floats(0.0, 1.0),
    warmup=st.integers(0, 12),
    extra=st.integers(1, 30),
)
@settings(max_examples=40, deadline=None)
def test_metrics_match_the_formula_for_any_schedule(
    lr: float, floor_share: float, warmup: int, extra: int
) -> None:
    config = ScheduleConfig(
        lr=lr, min_lr=lr * floor_share, warmup_epochs=warmup, epochs=warmup + extra
    )
    lrs = expected_lrs(config)
    peak = max(lrs)
    found = metrics(plan(config))

    assert found.area == pytest.approx(math.fsum(lrs), rel=1e-12)
    assert found.mean_lr == pytest.approx(math.fsum(lrs) / len(lrs), rel=1e-12)
    # A rate within a rounding of a threshold could go either way; such cases are checked
    # by test_a_rate_of_exactly_90_percent_counts_as_near_the_peak.
    assume(
        not any(math.isclose(lr, share * peak, rel_tol=1e-9) for lr in lrs for share in (0.9, 0.1))
    )
    assert found.near_peak == sum(1 for lr in lrs if lr >= 0.9 * peak)
    assert found.low == sum(1 for lr in lrs if lr < 0.1 * peak)


def test_candidates_of_different_lengths_align_on_the_epoch() -> None:
    short = ScheduleConfig(epochs=5, warmup_epochs=1, label="short")
    long = ScheduleConfig(epochs=8, warmup_epochs=2, lr=2e-3, label="long")
    comparison = compare([short, long])

    assert comparison.labels == ("short", "long")
    assert len(comparison) == 8
    assert comparison.ends() == (4, 7)
    rows = list(comparison.rows())
    assert [row.epoch for row in rows] == list(range(8))
    assert all(row.step is None for row in rows)
    for row in rows:
        first, second = row.lrs
        assert second == pytest.approx(formula_lr(row.epoch, 2e-3, 1e-5, 2, 8), rel=1e-12)
        if row.epoch < 5:
            assert first == pytest.approx(formula_lr(row.epoch, 1e-3, 1e-5, 1, 5), rel=1e-12)
            assert row.ratio == pytest.approx(second / first, rel=1e-12)
        else:
            assert first is None
            assert row.ratio is None
    assert comparison.ratio_label == "long ÷ short"


def test_three_candidates_have_no_ratio() -> None:
    comparison = compare(
        [ScheduleConfig(label="a"), ScheduleConfig(lr=2e-3, label="b"), ScheduleConfig(label="c")]
    )
    assert not comparison.has_ratio
    assert comparison.ratio_label is None
    assert all(row.ratio is None for row in comparison.rows())


def test_step_mode_aligns_on_the_step() -> None:
    a = ScheduleConfig(epochs=3, warmup_epochs=1, interval="step", steps_per_epoch=4, label="a")
    b = ScheduleConfig(epochs=2, warmup_epochs=0, interval="step", steps_per_epoch=4, label="b")
    comparison = compare([a, b])

    assert comparison.unit == "step" and comparison.per_epoch == 4
    rows = list(comparison.rows())
    assert [(row.epoch, row.step) for row in rows] == [(k // 4, k) for k in range(12)]
    for k, row in enumerate(rows):
        assert row.lrs[0] == pytest.approx(formula_lr(k, 1e-3, 1e-5, 4, 12), rel=1e-12)
        if k < 8:
            assert row.lrs[1] == pytest.approx(formula_lr(k, 1e-3, 1e-5, 0, 8), rel=1e-12)
        else:
            assert row.lrs[1] is None


def test_each_candidate_carries_the_insights_of_show() -> None:
    comparison = compare([ScheduleConfig(label="a"), ScheduleConfig(warmup_epochs=1, label="b")])
    codes = [{insight.code for insight in c.insights} for c in comparison.candidates]
    assert {"peak-held", "floor-not-reached", "rises-past-end"} <= codes[0]
    assert "no-warmup" in codes[1] and "no-warmup" not in codes[0]


@pytest.mark.parametrize(
    ("configs", "expected"),
    [
        ([], "two or more schedules, got 0"),
        ([ScheduleConfig(label="a")], "two or more schedules, got 1"),
        (
            [ScheduleConfig(label="a"), ScheduleConfig(lr=2e-3, label="a")],
            "schedules 1 and 2 are both labelled 'a'",
        ),
        (
            [ScheduleConfig(), ScheduleConfig()],
            "both labelled 'lr=0.001 min_lr=1e-05 warmup=3 epochs=25'",
        ),
        (
            [
                ScheduleConfig(label="a"),
                ScheduleConfig(label="b", interval="step", steps_per_epoch=10),
            ],
            "'a' is stepped per epoch but 'b' per step (10 steps per epoch)",
        ),
        (
            [
                ScheduleConfig(label="a", interval="step", steps_per_epoch=5),
                ScheduleConfig(label="b", interval="step", steps_per_epoch=10),
            ],
            "per step (5 steps per epoch) but 'b' per step (10 steps per epoch)",
        ),
    ],
)
def test_what_cannot_be_compared_is_refused(configs: list[ScheduleConfig], expected: str) -> None:
    with pytest.raises(LrplanError) as raised:
        check_candidates(configs)
    assert expected in str(raised.value)
