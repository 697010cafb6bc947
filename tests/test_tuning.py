"""analysis.tuning: the design document's tuning guide, exactly, and the same change elsewhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrplan.analysis.tuning import GUIDE_SYMPTOMS, SYMPTOMS, clean, remedy
from lrplan.core.config import MAX_ROWS, ScheduleConfig
from lrplan.errors import LrplanError


def test_the_guide_has_its_three_symptoms_in_its_order_then_overfitting() -> None:
    assert list(SYMPTOMS) == ["diverging", "slow", "plateau", "overfitting"]
    assert GUIDE_SYMPTOMS == ("diverging", "slow", "plateau")
    for name, symptom in SYMPTOMS.items():
        assert symptom.name == name
        assert symptom.description and symptom.rule and symptom.reason


# --- the guide's own examples, exactly (seed README, the tuning guide table) ------------------


def test_diverging_turns_warmup_3_lr_1e3_into_warmup_5_lr_5e4() -> None:
    found = remedy("diverging", ScheduleConfig(warmup_epochs=3, lr=1e-3))
    assert (found.tuned.warmup_epochs, found.tuned.lr) == (5, 5e-4)
    assert (found.tuned.min_lr, found.tuned.epochs) == (1e-5, 25)
    assert found.changes == ("lr 0.001 → 0.0005", "warmup_epochs 3 → 5")
    assert found.adjustments == ()


def test_slow_turns_warmup_5_lr_1e4_into_warmup_2_lr_1e3_keeping_min_lr() -> None:
    found = remedy("slow", ScheduleConfig(warmup_epochs=5, lr=1e-4, min_lr=1e-5))
    assert (found.tuned.warmup_epochs, found.tuned.lr, found.tuned.min_lr) == (2, 1e-3, 1e-5)
    assert found.tuned.epochs == 25
    assert found.changes == ("lr 0.0001 → 0.001", "warmup_epochs 5 → 2")


def test_plateau_turns_min_lr_1e5_epochs_25_into_1e6_and_50() -> None:
    found = remedy("plateau", ScheduleConfig(min_lr=1e-5, epochs=25))
    # Exactly 1e-06: 1e-5 * 0.1 is 1.0000000000000002e-06 in floating point.
    assert found.tuned.min_lr == 1e-6
    assert repr(found.tuned.min_lr) == "1e-06"
    assert (found.tuned.epochs, found.tuned.lr, found.tuned.warmup_epochs) == (50, 1e-3, 3)
    assert found.changes == ("epochs 25 → 50", "min_lr 1e-05 → 1e-06")


# --- the same relative change for other settings ---------------------------------------------

# The warm-up rules, stated as tables: diverging × 5/3 rounded, at least 2; slow × 2/5
# rounded, with 1 becoming 2.
DIVERGING_WARMUP = {0: 2, 1: 2, 2: 3, 3: 5, 4: 7, 5: 8, 6: 10, 9: 15, 10: 17, 30: 50}
SLOW_WARMUP = {0: 0, 1: 0, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 3, 10: 4, 12: 5, 50: 20}


@pytest.mark.parametrize(("base", "tuned"), sorted(DIVERGING_WARMUP.items()))
def test_diverging_lengthens_the_warmup_by_5_3(base: int, tuned: int) -> None:
    found = remedy("diverging", ScheduleConfig(warmup_epochs=base, epochs=100))
    assert found.tuned.warmup_epochs == tuned
    assert found.adjustments == ()


@pytest.mark.parametrize(("base", "tuned"), sorted(SLOW_WARMUP.items()))
def test_slow_shortens_the_warmup_by_2_5(base: int, tuned: int) -> None:
    found = remedy("slow", ScheduleConfig(warmup_epochs=base, epochs=100))
    assert found.tuned.warmup_epochs == tuned


@pytest.mark.parametrize(
    ("lr", "halved", "tenfold"),
    [
        (1e-3, 5e-4, 1e-2),
        (3e-4, 1.5e-4, 3e-3),
        (7e-5, 3.5e-5, 7e-4),
        (0.1, 0.05, 1.0),
        (2.5e-3, 1.25e-3, 2.5e-2),
        (1.1e-4, 5.5e-5, 1.1e-3),
    ],
)
def test_learning_rates_change_by_the_guides_factor_and_stay_clean(
    lr: float, halved: float, tenfold: float
) -> None:
    base = ScheduleConfig(lr=lr, min_lr=0.0)
    assert remedy("diverging", base).tuned.lr == halved
    assert remedy("slow", base).tuned.lr == tenfold


@pytest.mark.parametrize(
    ("min_lr", "tenth"), [(1e-5, 1e-6), (3e-5, 3e-6), (7e-6, 7e-7), (1.1e-4, 1.1e-5), (0.0, 0.0)]
)
def test_plateau_lowers_the_floor_tenfold_and_doubles_training(min_lr: float, tenth: float) -> None:
    found = remedy("plateau", ScheduleConfig(min_lr=min_lr, epochs=33, warmup_epochs=4))
    assert found.tuned.min_lr == tenth
    assert repr(found.tuned.min_lr) == repr(tenth)
    assert (found.tuned.epochs, found.tuned.warmup_epochs) == (66, 4)


def test_clean_rounds_away_floating_point_noise_only() -> None:
    assert clean(1e-5 * 0.1) == 1e-6
    assert clean(0.1 + 0.2) == 0.3
    assert clean(1.2345678901234e-4) == 1.23456789012e-4


# --- adjustments ---------------------------------------------------------------------------


def test_a_warmup_that_would_reach_the_end_of_training_is_cut_and_says_so() -> None:
    found = remedy("diverging", ScheduleConfig(warmup_epochs=3, epochs=5))
    assert found.tuned.warmup_epochs == 4
    assert found.adjustments == ("warmup_epochs 5 → 4: the warm-up must be shorter than epochs=5",)
    assert found.changes == ("lr 0.001 → 0.0005", "warmup_epochs 3 → 4")


@pytest.mark.parametrize(("warmup", "epochs"), [(3, 4), (0, 2), (1, 2), (0, 1)])
def test_a_warmup_that_cannot_grow_stays_and_says_so(warmup: int, epochs: int) -> None:
    found = remedy("diverging", ScheduleConfig(warmup_epochs=warmup, epochs=epochs))
    assert found.tuned.warmup_epochs == warmup
    (adjustment,) = found.adjustments
    assert adjustment.startswith(f"warmup_epochs stays {warmup}: the rule asks for")
    assert f"shorter than epochs={epochs}" in adjustment


def test_a_floor_above_the_halved_peak_is_halved_too_and_says_so() -> None:
    found = remedy("diverging", ScheduleConfig(lr=1e-5, min_lr=1e-5))
    assert (found.tuned.lr, found.tuned.min_lr) == (5e-6, 5e-6)
    assert found.adjustments == (
        "min_lr 1e-05 → 5e-06: halved with lr, so that the floor does not exceed the new"
        " peak 5e-06",
    )


def test_a_floor_of_zero_cannot_go_lower_and_says_so() -> None:
    found = remedy("plateau", ScheduleConfig(min_lr=0.0))
    assert found.tuned.min_lr == 0.0
    assert found.changes == ("epochs 25 → 50",)
    assert found.adjustments == ("min_lr is already 0 and stays 0: the floor cannot go lower",)


def test_step_mode_keeps_its_steps_and_changes_lengths_in_epochs() -> None:
    base = ScheduleConfig(interval="step", steps_per_epoch=100, warmup_epochs=3)
    found = remedy("diverging", base)
    assert (found.tuned.interval, found.tuned.steps_per_epoch) == ("step", 100)
    assert (found.tuned.warmup_epochs, found.tuned.warmup_rows) == (5, 500)


def test_the_label_of_the_base_is_kept() -> None:
    assert remedy("slow", ScheduleConfig(label="mine")).tuned.label == "mine"


def test_an_unknown_symptom_names_the_known_ones() -> None:
    with pytest.raises(LrplanError, match=r"unknown symptom 'divergent'; give one of"):
        remedy("divergent", ScheduleConfig())
    with pytest.raises(LrplanError, match="diverging, slow, plateau"):
        remedy("", ScheduleConfig())


def test_a_tuned_schedule_too_long_to_plan_is_one_error() -> None:
    base = ScheduleConfig(epochs=100, interval="step", steps_per_epoch=MAX_ROWS // 100)
    with pytest.raises(LrplanError, match=r"^tune plateau: the tuned schedule is not valid"):
        remedy("plateau", base)


@given(
    symptom=st.sampled_from(sorted(SYMPTOMS)),
    lr=st.floats(1e-8, 10.0),
    floor_share=st.floats(0.0, 1.0),
    warmup=st.integers(0, 60),
    extra=st.integers(1, 300),
)
def test_every_valid_base_gets_a_valid_tuned_schedule_with_clean_rates(
    symptom: str, lr: float, floor_share: float, warmup: int, extra: int
) -> None:
    base = ScheduleConfig(
        lr=clean(lr), min_lr=clean(lr * floor_share), warmup_epochs=warmup, epochs=warmup + extra
    )
    found = remedy(symptom, base)
    tuned = found.tuned
    assert 0 <= tuned.warmup_epochs < tuned.epochs
    assert 0 <= tuned.min_lr <= tuned.lr
    for value in (tuned.lr, tuned.min_lr):
        assert float(f"{value:.12g}") == value
    factor = {"diverging": 0.5, "slow": 10.0, "plateau": 1.0, "overfitting": 1.0}[symptom]
    assert tuned.lr == pytest.approx(base.lr * factor, rel=1e-11)
    if symptom == "plateau":
        assert tuned.epochs == 2 * base.epochs
        assert tuned.min_lr == pytest.approx(base.min_lr * 0.1, rel=1e-11)
    elif symptom == "overfitting":
        assert tuned.epochs == max(2, round(base.epochs * 2 / 3))
        assert tuned.min_lr == base.min_lr
    else:
        assert tuned.epochs == base.epochs
    # Whatever the rule had to give way on is said.
    if symptom == "diverging" and max(2, (base.warmup_epochs * 5 + 1) // 3) >= base.epochs:
        assert any("shorter than epochs" in text for text in found.adjustments)


# --- overfitting: the schedule ends at the best epoch --------------------------------------


@pytest.mark.parametrize(
    ("epochs", "warmup", "best", "tuned_epochs", "tuned_warmup"),
    [
        (25, 3, 8, 8, 3),  # ends at the best epoch, the warm-up kept
        (25, 3, 3, 3, 2),  # the best came in the warm-up: the warm-up is cut
        (25, 3, 25, 25, 3),  # best at the end: the length stays
        (30, 0, 1, 1, 0),
        (100, 5, None, 67, 5),  # without a log: two thirds of the run
        (2, 1, None, 2, 1),
    ],
)
def test_overfitting_ends_the_schedule_at_the_best_epoch(
    epochs: int, warmup: int, best: int | None, tuned_epochs: int, tuned_warmup: int
) -> None:
    base = ScheduleConfig(lr=3e-4, min_lr=1e-6, warmup_epochs=warmup, epochs=epochs)
    found = remedy("overfitting", base, best_epochs=best)
    assert (found.tuned.epochs, found.tuned.warmup_epochs) == (tuned_epochs, tuned_warmup)
    assert (found.tuned.lr, found.tuned.min_lr) == (3e-4, 1e-6)
    assert found.alternatives == (
        f"or keep epochs {epochs} and lower the peak: lr 0.0003 → 0.00015",
    )
    assert "early stopping" in found.symptom.levers
    if tuned_warmup != warmup:
        assert any("shorter than epochs" in text for text in found.adjustments)


def test_overfitting_halves_a_floor_above_the_lowered_peak_in_its_alternative() -> None:
    found = remedy("overfitting", ScheduleConfig(lr=1e-3, min_lr=8e-4, epochs=10))
    assert found.alternatives == (
        "or keep epochs 10 and lower the peak: lr 0.001 → 0.0005, min_lr 0.0008 → 0.0004",
    )
