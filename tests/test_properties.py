"""Properties of what lrplan plans and exports, over random valid configurations.

The scheduler class on its own is covered by tests/test_warmup_cos_lr.py; here the subject is
the planner and the files a user gets from ``lrplan show``, in epoch and in step mode.
"""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.optim import WarmupCosLR
from tests.formula import formula_lr


@st.composite
def configs(draw: st.DrawFn) -> ScheduleConfig:
    lr = draw(st.floats(min_value=1e-7, max_value=5.0))
    floor = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
    warmup_epochs = draw(st.integers(0, 12))
    epochs = warmup_epochs + draw(st.integers(1, 40))
    step_mode = draw(st.booleans())
    steps_per_epoch = draw(st.integers(1, 6)) if step_mode else 1
    return ScheduleConfig(
        lr=lr,
        min_lr=lr * floor,
        warmup_epochs=warmup_epochs,
        epochs=epochs,
        interval="step" if step_mode else "epoch",
        steps_per_epoch=steps_per_epoch,
    )


@settings(max_examples=200, deadline=None)
@given(configs())
def test_planned_rates_keep_the_shape_of_the_schedule(config: ScheduleConfig) -> None:
    schedule = plan(config)
    lrs = list(schedule.lrs)
    warmup_rows = config.warmup_rows
    warmup, cosine = lrs[:warmup_rows], lrs[warmup_rows:]
    slack = 1e-12 * config.lr

    assert len(lrs) == config.rows
    # Every rate lies between min_lr and lr, except the warm-up's first rows, which start at
    # lr / warmup and may be below min_lr (the formula allows it: see the design document).
    assert all(config.min_lr - slack <= lr <= config.lr + slack for lr in cosine)
    assert all(config.lr / warmup_rows - slack <= lr <= config.lr + slack for lr in warmup)
    # The warm-up rises; the cosine never rises before epochs.
    assert all(later > earlier for earlier, later in itertools.pairwise(warmup))
    assert all(later <= earlier + slack for earlier, later in itertools.pairwise(cosine))
    # The peak is lr, and min_lr comes right after training.
    assert max(lrs) == pytest.approx(config.lr, rel=1e-12)
    assert schedule.beyond[0] == pytest.approx(config.min_lr, rel=1e-12, abs=slack)
    assert lrs == pytest.approx(
        [
            formula_lr(k, config.lr, config.min_lr, warmup_rows, config.rows)
            for k in range(len(lrs))
        ],
        rel=1e-12,
    )


def _training(config: ScheduleConfig) -> tuple[torch.optim.SGD, WarmupCosLR]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler = WarmupCosLR(optimizer, **config.scheduler_kwargs())
    return optimizer, scheduler


def _train(optimizer: torch.optim.SGD, scheduler: WarmupCosLR, count: int) -> list[float]:
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@settings(max_examples=60, deadline=None)
@given(config=configs(), data=st.data())
def test_a_checkpoint_at_any_step_resumes_the_planned_schedule(
    config: ScheduleConfig, data: st.DataObject
) -> None:
    resume_at = data.draw(st.integers(0, config.rows), label="resume_at")
    optimizer, scheduler = _training(config)
    before = _train(optimizer, scheduler, resume_at)
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=False)

    optimizer, scheduler = _training(config)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    after = _train(optimizer, scheduler, config.rows - resume_at)

    assert before + after == list(plan(config).lrs)


def _options(config: ScheduleConfig) -> list[str]:
    options = [
        *("--lr", repr(config.lr), "--min-lr", repr(config.min_lr)),
        *("--warmup-epochs", str(config.warmup_epochs), "--epochs", str(config.epochs)),
    ]
    if config.interval == "step":
        options += ["--interval", "step", "--steps-per-epoch", str(config.steps_per_epoch)]
    return options


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(configs())
def test_csv_and_json_read_back_to_the_planned_numbers(run, config: ScheduleConfig) -> None:
    planned = list(plan(config).lrs)

    as_csv = run("show", *_options(config), "--csv", "-")
    as_json = run("show", *_options(config), "--json")

    assert as_csv.exit_code == 0 and as_json.exit_code == 0, as_csv.output + as_json.output
    csv_rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    json_rows = json.loads(as_json.stdout)["rows"]
    assert [float(row["lr"]) for row in csv_rows] == planned
    assert [row["lr"] for row in json_rows] == planned
    expected_epochs = [index // config.steps_per_epoch for index in range(config.rows)]
    assert [int(row["epoch"]) for row in csv_rows] == expected_epochs
    assert [row["epoch"] for row in json_rows] == expected_epochs


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["1e-3", "25", "step", "epoch", " 3 ", "nan", "-1"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            key: ANY_VALUE
            for key in ("lr", "min_lr", "warmup_epochs", "epochs", "interval", "steps_per_epoch")
        },
    )
)
def test_any_settings_make_a_valid_config_or_one_lrplan_error(settings_: dict[str, object]) -> None:
    from lrplan.core.config import MAX_ROWS
    from lrplan.errors import LrplanError, ParameterError
    from lrplan.inputs.naming import as_options
    from lrplan.inputs.settings import build_config

    try:
        config = build_config(None, settings_)
    except ParameterError as error:
        # The API names the parameter as Python spells it; the CLI words it as its option.
        message = str(error)
        assert message.startswith(f"invalid {error.parameter}:") and "\n" not in message
        # No option's name; the value given may hold "--" itself (lr='--').
        given = repr(settings_.get(error.parameter))
        assert "--" not in message.replace(given, "")
        assert error.message(as_options).startswith(f"invalid {as_options(error.parameter, None)}:")
        return
    except LrplanError as error:
        message = str(error)
        assert message and "\n" not in message
        assert "--" in message  # it names the option to fix
        return
    # Whatever was accepted is a schedule the scheduler can run.
    assert 0 <= config.min_lr <= config.lr and config.lr > 0
    assert 0 <= config.warmup_epochs < config.epochs
    assert config.interval in ("epoch", "step") and config.steps_per_epoch >= 1
    assert config.rows <= MAX_ROWS
