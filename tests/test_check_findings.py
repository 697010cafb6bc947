"""lrplan.analysis.findings.findings: the levels and thresholds of what `lrplan check` reports."""

from __future__ import annotations

import pytest

from lrplan.analysis.findings import (
    OPTIMIZER_LR_RANGES,
    STEP_LIKE_EPOCHS,
    STEP_LIKE_WARMUP_EPOCHS,
    findings,
    optimizer_key,
    sort_findings,
)
from lrplan.analysis.insights import insights
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from tests.formula import formula_lr


def codes(config: ScheduleConfig, **kwargs: object) -> dict[str, str]:
    """code -> level of every finding about ``config``."""
    return {finding.code: finding.level for finding in findings(plan(config), **kwargs)}  # type: ignore[arg-type]


def test_the_design_documents_schedule_has_notes_only() -> None:
    found = codes(ScheduleConfig())

    assert found == {"peak-held": "note", "floor-not-reached": "note", "rises-past-end": "note"}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"warmup_epochs": 0, "epochs": 7, "lr": 0.1, "min_lr": 0.0},
        {"warmup_epochs": 5, "epochs": 20},
        {"interval": "step", "steps_per_epoch": 100},
    ],
)
def test_check_reports_every_insight_of_show(settings: dict[str, object]) -> None:
    schedule = plan(ScheduleConfig(**settings))  # type: ignore[arg-type]

    shown = insights(schedule)
    checked = findings(schedule)

    assert checked[: len(shown)] == shown


@pytest.mark.parametrize(
    ("warmup_epochs", "epochs", "warned"),
    [(3, 25, False), (5, 20, False), (6, 20, True), (10, 20, True), (2, 5, True)],
)
def test_a_warmup_over_a_quarter_of_training_is_a_warning(
    warmup_epochs: int, epochs: int, warned: bool
) -> None:
    found = findings(plan(ScheduleConfig(warmup_epochs=warmup_epochs, epochs=epochs)))

    share = [finding for finding in found if finding.code == "warmup-share"]
    assert bool(share) == warned
    if warned:
        assert share[0].level == "warning"
        assert f"{warmup_epochs} of {epochs} epochs" in share[0].message


@pytest.mark.parametrize(
    ("settings", "warned"),
    [
        ({"epochs": STEP_LIKE_EPOCHS - 1, "warmup_epochs": 40}, False),
        ({"epochs": STEP_LIKE_EPOCHS, "warmup_epochs": 40}, True),
        ({"epochs": 100_000, "warmup_epochs": 2000}, True),
        ({"epochs": 1600, "warmup_epochs": STEP_LIKE_WARMUP_EPOCHS}, True),
        (
            {"epochs": 5000, "warmup_epochs": 100, "interval": "step", "steps_per_epoch": 2},
            True,
        ),
        ({"epochs": 100, "warmup_epochs": 5, "interval": "step", "steps_per_epoch": 500}, False),
    ],
)
def test_values_that_look_like_step_counts_are_a_warning(
    settings: dict[str, object], warned: bool
) -> None:
    found = codes(ScheduleConfig(**settings))  # type: ignore[arg-type]

    assert (found.get("looks-like-steps") == "warning") == warned


def test_step_mode_notes_the_units_the_scheduler_counts() -> None:
    schedule = plan(ScheduleConfig(interval="step", steps_per_epoch=500))

    (note,) = [finding for finding in findings(schedule) if finding.code == "interval-step-units"]

    assert note.level == "note"
    assert "warmup_epochs=1500 and epochs=12500" in note.message
    assert "not the epoch counts 3 and 25" in note.message


def test_a_warmup_below_the_floor_is_a_note_with_the_planned_rates() -> None:
    config = ScheduleConfig(lr=1e-3, min_lr=5e-4, warmup_epochs=4, epochs=20)

    (note,) = [f for f in findings(plan(config)) if f.code == "warmup-below-floor"]

    # Epoch 0 trains at 2.5e-4 and epoch 1 at 5e-4 (not below): only epoch 0 is under.
    assert formula_lr(0, 1e-3, 5e-4, 4, 20) < 5e-4 <= formula_lr(1, 1e-3, 5e-4, 4, 20)
    assert note.level == "note"
    assert "epoch 0 trains at 2.500e-04" in note.message
    assert "at most 2.500e-04" in note.fix


@pytest.mark.parametrize(
    ("name", "lr", "level"),
    [
        ("adamw", 1e-3, None),
        ("torch.optim.AdamW", 0.5, "warning"),
        ("Adam", 1e-8, "warning"),
        ("SGD", 0.1, None),
        ("torch.optim.SGD", 1e-5, "warning"),
        ("SGD", 10.0, "warning"),
        ("lion", 3e-4, None),
        ("Lion", 3e-3, "warning"),
        ("bitsandbytes.optim.PagedAdamW8bit", 2e-5, None),
        ("sophia", 1e-3, "note"),
    ],
)
def test_the_peak_is_checked_against_the_optimizer(name: str, lr: float, level: str) -> None:
    config = ScheduleConfig(lr=lr, min_lr=0.0)

    found = codes(config, optimizer=name, optimizer_source="optimizer._target_")

    key = "optimizer-unknown" if level == "note" else "lr-unusual-for-optimizer"
    assert found.get(key) == level


def test_the_optimizer_warning_says_the_range_and_where_the_name_came_from() -> None:
    found = findings(plan(ScheduleConfig(lr=0.5)), optimizer="AdamW", optimizer_source="opt")

    (warning,) = [f for f in found if f.code == "lr-unusual-for-optimizer"]
    assert "5.000e-01 is unusually high for AdamW (opt)" in warning.message
    assert "between 1e-06 and 0.01" in warning.message


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("AdamW", "adamw"),
        ("torch.optim.AdamW", "adamw"),
        ("adam_w", "adamw"),
        ("FusedAdam", "adam"),
        ("PagedAdamW8bit", "adamw"),
        ("SGD", "sgd"),
        ("RMSprop", "rmsprop"),
        ("timm.optim.Lamb", "lamb"),
    ],
)
def test_optimizer_names_as_configs_write_them(written: str, key: str) -> None:
    assert optimizer_key(written) == key
    assert key in OPTIMIZER_LR_RANGES


def test_a_last_epoch_in_the_config_is_an_error_with_torchs_message() -> None:
    found = findings(
        plan(ScheduleConfig()),
        last_epoch=5,
        last_epoch_source="lr_scheduler.last_epoch",
        last_epoch_error="KeyError: param 'initial_lr' is not specified in param_groups[0]",
    )

    (error,) = [f for f in found if f.code == "config-last-epoch"]
    assert error.level == "error"
    assert "last_epoch=5 (lr_scheduler.last_epoch)" in error.message
    assert "KeyError: param 'initial_lr'" in error.message
    assert "lrplan resume --at 6" in error.fix


def test_defaults_used_for_missing_keys_are_a_note() -> None:
    found = findings(plan(ScheduleConfig()), defaulted={"min_lr": 1e-5})

    (note,) = [f for f in found if f.code == "config-defaults"]
    assert note.level == "note"
    assert "does not set min_lr" in note.message and "min_lr=1e-05" in note.message


def test_findings_sort_errors_then_warnings_then_notes() -> None:
    found = findings(
        plan(ScheduleConfig(warmup_epochs=10, epochs=20, lr=0.5)),
        optimizer="adam",
        last_epoch=3,
        last_epoch_error="KeyError: x",
    )

    levels = [finding.level for finding in sort_findings(found)]

    assert levels == sorted(levels, key=["error", "warning", "note"].index)
    assert levels[0] == "error" and levels[-1] == "note"
