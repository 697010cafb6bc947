"""Errors name the parameter as each reader spells it: Python callers, the CLI, a SPEC."""

from __future__ import annotations

import pytest

from lrplan import ScheduleConfig
from lrplan.core.config import ConfigValueError
from lrplan.errors import LrplanError, ParameterError, as_arguments, worded
from lrplan.inputs.naming import as_options
from lrplan.inputs.spec import as_spec, spec_config


@pytest.mark.parametrize(
    ("naming", "expected"),
    [
        (as_arguments, "lower min_lr, set epochs=50 or T_max=24"),
        (as_options, "lower --min-lr, set --epochs 50 or --param T_max=24"),
        (as_spec, "lower min_lr, set epochs=50 or param.T_max=24"),
    ],
)
def test_marks_are_worded_for_each_reader(naming, expected: str) -> None:
    text = "lower «min_lr», set «epochs=50» or «param.T_max=24»"
    assert worded(text, naming) == expected


@pytest.mark.parametrize(
    ("settings", "parameter"),
    [
        ({"lr": -1.0}, "lr"),
        ({"min_lr": 1.0, "lr": 1e-3}, "min_lr"),
        ({"warmup_epochs": 5, "epochs": 5}, "warmup_epochs"),
        ({"epochs": 0}, "epochs"),
        ({"interval": "epoch", "steps_per_epoch": 10}, "steps_per_epoch"),
        ({"scheduler": "cosine", "params": {"last_epoch": 3}}, "params"),
    ],
)
def test_the_api_names_the_parameter_and_no_option(settings: dict, parameter: str) -> None:
    with pytest.raises(ParameterError) as caught:
        ScheduleConfig(**settings)

    error = caught.value
    assert error.parameter == parameter
    assert str(error).startswith(f"invalid {parameter}: ")
    assert "--" not in str(error)
    # The CLI words the same error with its option.
    assert error.message(as_options).startswith(f"invalid {as_options(parameter, None)}: ")


def test_a_fix_naming_other_parameters_is_worded_per_reader() -> None:
    with pytest.raises(ConfigValueError) as caught:
        ScheduleConfig(warmup_epochs=5, epochs=5)

    assert "lower warmup_epochs below epochs, or raise epochs" in str(caught.value)
    cli = caught.value.message(as_options)
    assert "lower --warmup-epochs below --epochs, or raise --epochs" in cli


def test_a_spec_words_constructor_arguments_as_it_writes_them() -> None:
    with pytest.raises(LrplanError) as caught:
        spec_config("scheduler=cosine,param.last_epoch=3", 1)

    message = str(caught.value)
    assert message.startswith("SPEC 1 'scheduler=cosine,param.last_epoch=3': ")
    assert "param.last_epoch is not an argument to give" in message
    assert "--param" not in message


def test_an_insight_speaks_arguments_to_python_and_options_to_the_cli() -> None:
    from lrplan import insights, plan

    (no_warmup,) = [
        i for i in insights(plan(ScheduleConfig(warmup_epochs=1))) if i.code == "no-warmup"
    ]

    assert no_warmup.fix.startswith("Use warmup_epochs=2 or more for a real ramp")
    assert no_warmup.changes == (("warmup_epochs", 2),)
    _, cli_fix = no_warmup.worded(as_options)
    assert cli_fix.startswith("Use --warmup-epochs 2 or more for a real ramp")
    assert no_warmup.to_dict(as_options)["changes"] == [{"parameter": "warmup_epochs", "value": 2}]


def test_a_plain_lrplan_error_with_marks_is_worded_too() -> None:
    error = LrplanError("give «interval=step» «steps_per_epoch=N»")

    assert str(error) == "give interval=step steps_per_epoch=N"
    assert error.message(as_options) == "give --interval step --steps-per-epoch N"
