"""Planning torch's built-ins and the user's own classes: every planned rate equals the same
scheduler driven by a real training loop (torch.optim.SGD with momentum, or Adam).

The expected schedulers are built here with torch's classes and explicit arguments, never
through lrplan's registry, so the tests also check how lrplan maps --lr, --min-lr and
--epochs onto each constructor.
"""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.optim import lr_scheduler as torch_schedulers

from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.core.registry import BUILTINS
from lrplan.core.schedulers import call_text, check_arguments, constructor_kwargs
from lrplan.errors import LrplanError
from lrplan.inputs.params import literal, parse_param, parse_params
from tests.formula import formula_lr

Make = Callable[[torch.optim.Optimizer, int], Any]


def real_loop(make: Make, lr: float, rows: int, count: int, optimizer: str) -> list[float]:
    """The rate in effect for ``count`` scheduler steps of a real training loop.

    ``make(optimizer, rows)`` builds the scheduler; the optimizer has a real parameter with
    a gradient, momentum (SGD) or betas (Adam), as in training.
    """
    model = torch.nn.Linear(2, 1)
    real: torch.optim.Optimizer
    if optimizer == "sgd":
        real = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        real = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = make(real, rows)
    lrs = []
    for _ in range(count):
        lrs.append(real.param_groups[0]["lr"])
        real.zero_grad()
        model(torch.ones(3, 2)).pow(2).mean().backward()
        real.step()
        try:
            scheduler.step()
        except ValueError:  # OneCycleLR refuses to step past total_steps
            break
    return lrs


S = torch_schedulers
# (short name, --param settings, lr, min_lr, epochs, the same scheduler built with torch)
BUILT_INS: list[tuple[str, dict[str, Any], float, float, int, Make]] = [
    ("cosine", {}, 1e-3, 1e-5, 25, lambda o, n: S.CosineAnnealingLR(o, T_max=n, eta_min=1e-5)),
    (
        "cosine",
        {"T_max": 10},
        0.1,
        0.0,
        25,
        lambda o, n: S.CosineAnnealingLR(o, T_max=10, eta_min=0.0),
    ),
    (
        "cosine_restarts",
        {"T_0": 4, "T_mult": 2},
        3e-4,
        1e-6,
        30,
        lambda o, n: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=1e-6),
    ),
    ("onecycle", {}, 1e-3, 1e-5, 20, lambda o, n: S.OneCycleLR(o, max_lr=1e-3, total_steps=n)),
    (
        "onecycle",
        {"pct_start": 0.1, "anneal_strategy": "linear", "three_phase": True},
        2e-3,
        1e-5,
        17,
        lambda o, n: S.OneCycleLR(
            o, max_lr=2e-3, total_steps=n, pct_start=0.1, anneal_strategy="linear", three_phase=True
        ),
    ),
    ("linear", {}, 1e-3, 1e-5, 12, lambda o, n: S.LinearLR(o, total_iters=n)),
    (
        "linear",
        {"start_factor": 1.0, "end_factor": 0.01},
        5e-4,
        1e-5,
        12,
        lambda o, n: S.LinearLR(o, start_factor=1.0, end_factor=0.01, total_iters=n),
    ),
    ("step", {"step_size": 4, "gamma": 0.5}, 1e-2, 1e-5, 15, lambda o, n: S.StepLR(o, 4, 0.5)),
    ("multistep", {"milestones": [3, 7]}, 1e-3, 1e-5, 10, lambda o, n: S.MultiStepLR(o, [3, 7])),
    ("exponential", {"gamma": 0.8}, 1e-3, 1e-5, 14, lambda o, n: S.ExponentialLR(o, gamma=0.8)),
    (
        "polynomial",
        {"power": 2.0},
        1e-3,
        1e-5,
        9,
        lambda o, n: S.PolynomialLR(o, total_iters=n, power=2.0),
    ),
    ("constant", {}, 1e-3, 1e-5, 6, lambda o, n: S.ConstantLR(o, factor=1.0, total_iters=n)),
    (
        "constant",
        {"factor": 0.5, "total_iters": 2},
        1e-3,
        1e-5,
        6,
        lambda o, n: S.ConstantLR(o, factor=0.5, total_iters=2),
    ),
]


def config_of(
    name: str, params: dict[str, Any], lr: float, min_lr: float, epochs: int, **more: Any
) -> ScheduleConfig:
    uses_min_lr = name in ("cosine", "cosine_restarts")
    return ScheduleConfig(
        lr=lr,
        min_lr=min_lr if uses_min_lr else 1e-5,
        epochs=epochs,
        scheduler=name,
        params=params,
        **more,
    )


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize(
    ("name", "params", "lr", "min_lr", "epochs", "make"),
    BUILT_INS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(BUILT_INS)],
)
def test_each_built_in_plans_what_a_real_training_loop_gets(
    name: str,
    params: dict[str, Any],
    lr: float,
    min_lr: float,
    epochs: int,
    make: Make,
    optimizer: str,
) -> None:
    config = config_of(name, params, lr, min_lr, epochs)

    schedule = plan(config, beyond=epochs)

    real = real_loop(make, lr, epochs, 2 * epochs, optimizer)
    assert list(schedule.lrs) == real[:epochs]
    assert list(schedule.beyond) == real[epochs:]
    assert schedule.warnings == ()


@pytest.mark.parametrize("steps_per_epoch", [3, 7])
@pytest.mark.parametrize(
    ("name", "params", "make"),
    [
        ("cosine", {}, lambda o, n: S.CosineAnnealingLR(o, T_max=n)),
        ("onecycle", {}, lambda o, n: S.OneCycleLR(o, max_lr=1e-3, total_steps=n)),
        ("polynomial", {}, lambda o, n: S.PolynomialLR(o, total_iters=n)),
        ("step", {"step_size": 5}, lambda o, n: S.StepLR(o, step_size=5)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_step_mode_counts_the_length_in_optimizer_steps(
    name: str, params: dict[str, Any], make: Make, steps_per_epoch: int
) -> None:
    config = ScheduleConfig(
        scheduler=name, params=params, epochs=4, interval="step", steps_per_epoch=steps_per_epoch
    )

    schedule = plan(config, beyond=0)

    rows = 4 * steps_per_epoch
    assert list(schedule.lrs) == real_loop(make, 1e-3, rows, rows, "sgd")
    assert schedule.row(rows - 1).epoch == 3


def test_the_torch_composition_is_the_formula() -> None:
    for warmup, epochs in [(0, 1), (0, 9), (1, 2), (1, 12), (2, 3), (3, 25), (7, 30)]:
        for steps_per_epoch in (1, 3):
            interval = "step" if steps_per_epoch > 1 else "epoch"
            config = ScheduleConfig(
                lr=2e-3,
                min_lr=1e-6,
                warmup_epochs=warmup,
                epochs=epochs,
                interval=interval,
                steps_per_epoch=steps_per_epoch,
                scheduler="warmup_cos_torch",
            )

            schedule = plan(config, beyond=0)

            rows, warmup_rows = config.rows, config.warmup_rows
            expected = [formula_lr(k, 2e-3, 1e-6, warmup_rows, rows) for k in range(rows)]
            assert list(schedule.lrs) == pytest.approx(expected, rel=1e-9, abs=0)


def test_an_import_path_plans_the_class_it_names() -> None:
    by_path = ScheduleConfig(
        scheduler="torch.optim.lr_scheduler:OneCycleLR",
        params={"max_lr": 1e-3, "total_steps": 25},
    )
    by_name = ScheduleConfig(scheduler="onecycle")

    assert list(plan(by_path).lrs) == list(plan(by_name).lrs)
    assert by_path.class_name == "OneCycleLR"


def test_a_dotted_path_is_read_as_module_and_class() -> None:
    config = ScheduleConfig(scheduler="torch.optim.lr_scheduler.StepLR", params={"step_size": 2})

    assert config.scheduler == "torch.optim.lr_scheduler:StepLR"
    assert list(plan(config).lrs)[:5] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5], rel=1e-12)


# --- the user's own class, in the working folder ---------------------------------------------

USER_MODULE = """
    import math

    from torch.optim.lr_scheduler import LRScheduler


    class HalfCosine(LRScheduler):
        '''The peak for `hold` epochs, then a cosine to half the peak over `length`.'''

        def __init__(self, optimizer, hold, length, last_epoch=-1):
            self.hold = hold
            self.length = length
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            k = self.last_epoch
            if k < self.hold:
                return list(self.base_lrs)
            progress = min(1.0, (k - self.hold) / self.length)
            return [lr * (0.75 + 0.25 * math.cos(math.pi * progress)) for lr in self.base_lrs]


    class Broken(LRScheduler):
        def get_lr(self):
            if self.last_epoch >= 2:
                raise RuntimeError("the rate went missing")
            return list(self.base_lrs)


    class Negative(LRScheduler):
        def get_lr(self):
            return [-1e-3 if self.last_epoch == 3 else lr for lr in self.base_lrs]


    class NotANumber(LRScheduler):
        def get_lr(self):
            return [math.nan if self.last_epoch == 1 else lr for lr in self.base_lrs]


    class Zero(LRScheduler):
        def get_lr(self):
            return [0.0 for _ in self.base_lrs]


    class Withkwargs(LRScheduler):
        def __init__(self, optimizer, **options):
            self.scale = options.get("scale", 1.0)
            super().__init__(optimizer)

        def get_lr(self):
            return [lr * self.scale for lr in self.base_lrs]


    NOT_A_CLASS = 3


    class NotAScheduler:
        pass
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module ``mytraining.optim`` in the working folder, as a user's training code is."""
    package = tmp_path / "mytraining"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "optim.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    for name in ("mytraining", "mytraining.optim"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return "mytraining.optim"


def test_the_users_own_class_is_planned_from_the_working_folder(user_module: str) -> None:
    config = ScheduleConfig(
        lr=0.2, epochs=12, scheduler=f"{user_module}:HalfCosine", params={"hold": 3, "length": 6}
    )

    schedule = plan(config, beyond=4)

    def expected(k: int) -> float:  # the class's shape, stated independently
        if k < 3:
            return 0.2
        return 0.2 * (0.75 + 0.25 * math.cos(math.pi * min(1.0, (k - 3) / 6)))

    assert list(schedule.lrs) == pytest.approx([expected(k) for k in range(12)], rel=1e-12)
    assert list(schedule.beyond) == pytest.approx([expected(k) for k in range(12, 16)], rel=1e-12)
    assert config.class_name == "HalfCosine"


def test_a_class_taking_any_keyword_gets_the_params(user_module: str) -> None:
    config = ScheduleConfig(epochs=3, scheduler=f"{user_module}:Withkwargs", params={"scale": 0.5})

    assert list(plan(config).lrs) == pytest.approx([5e-4] * 3, rel=1e-12)


@pytest.mark.parametrize(
    ("scheduler", "params", "expected"),
    [
        ("nosuchpackage.optim:Cls", {}, "no module named 'nosuchpackage'"),
        ("{m}:Missing", {}, "has no attribute 'Missing'"),
        ("{m}:HalfCosin", {}, "(did you mean HalfCosine?)"),
        (
            "{m}:NOT_A_CLASS",
            {},
            "is a int, neither a subclass of torch.optim.lr_scheduler",
        ),
        ("{m}:NotAScheduler", {}, "is a class, neither a subclass"),
        ("{m}:HalfCosine", {"hold": 3}, "HalfCosine needs length: give length=VALUE"),
        ("{m}:HalfCosine", {"hold": 3, "length": 2, "lenght": 1}, "takes no argument 'lenght'"),
        ("torch.optim.lr_scheduler:ReduceLROnPlateau", {}, "ReduceLROnPlateau steps with metrics"),
    ],
)
def test_what_cannot_be_planned_is_one_line(
    user_module: str, scheduler: str, params: dict[str, Any], expected: str
) -> None:
    config = ScheduleConfig(scheduler=scheduler.format(m=user_module), params=params)

    with pytest.raises(LrplanError) as raised:
        check_arguments(config)

    message = str(raised.value)
    assert expected in message
    assert "\n" not in message
    with pytest.raises(LrplanError):
        plan(config)


def test_the_constructors_signature_is_shown(user_module: str) -> None:
    config = ScheduleConfig(scheduler="step")

    with pytest.raises(LrplanError) as raised:
        check_arguments(config)

    assert str(raised.value) == (
        "StepLR needs step_size: give step_size=VALUE; its signature:"
        " StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)"
    )
    from lrplan.inputs.naming import as_options

    assert raised.value.message(as_options).startswith(
        "StepLR needs step_size: give --param step_size=VALUE; its signature:"
    )


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("{m}:Broken", {}, "Broken(optimizer) raised RuntimeError when stepped at last_epoch="),
        ("{m}:Negative", {}, "sets the learning rate -0.001 at epoch 3"),
        ("{m}:NotANumber", {}, "sets the learning rate nan at epoch 1"),
        ("{m}:Zero", {}, "keeps the learning rate at 0 for all 25 epochs"),
        ("cosine_restarts", {"T_0": 0}, "raised ValueError: Expected positive integer T_0"),
        ("step", {"step_size": "ten"}, "StepLR(optimizer, step_size='ten') raised TypeError"),
    ],
)
def test_a_scheduler_that_fails_or_sets_unusable_rates_is_one_line(
    user_module: str, name: str, params: dict[str, Any], expected: str
) -> None:
    config = ScheduleConfig(scheduler=name.format(m=user_module), params=params)

    with pytest.raises(LrplanError) as raised:
        plan(config)

    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_onecycle_records_its_refusal_to_step_past_the_end() -> None:
    schedule = plan(ScheduleConfig(scheduler="onecycle", epochs=10))

    assert len(schedule.beyond) == 1
    assert schedule.stopped == (
        "ValueError: Tried to step 11 times. The specified number of total steps is 10"
    )


# --- arguments and their values -----------------------------------------------------------------


def test_the_options_fill_each_built_ins_arguments_and_params_override_them() -> None:
    config = ScheduleConfig(lr=0.1, min_lr=1e-4, epochs=30, scheduler="cosine")
    assert constructor_kwargs(config) == {"T_max": 30, "eta_min": 1e-4}
    assert call_text(config) == "CosineAnnealingLR(optimizer, T_max=30, eta_min=0.0001)"

    shorter = config.replace(params={"T_max": 10})
    assert constructor_kwargs(shorter) == {"T_max": 10, "eta_min": 1e-4}

    stepped = ScheduleConfig(epochs=3, interval="step", steps_per_epoch=100, scheduler="onecycle")
    assert constructor_kwargs(stepped) == {"max_lr": 1e-3, "total_steps": 300}


def test_every_built_in_has_a_real_class_and_the_required_arguments_it_says() -> None:
    import inspect

    for builtin in BUILTINS.values():
        module, _, name = builtin.target.partition(":")
        if module == "torch.optim.lr_scheduler":
            cls = getattr(torch_schedulers, name)
            assert cls.__name__ == builtin.class_name
            parameters = list(inspect.signature(cls).parameters.values())[1:]
            required = [p.name for p in parameters if p.default is p.empty]
            filled = {argument for argument, _ in builtin.options}
            assert sorted(set(required) - filled) == sorted(builtin.required), builtin.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step_size=10", ("step_size", 10)),
        ("gamma=0.5", ("gamma", 0.5)),
        ("eta_min=1e-6", ("eta_min", 1e-6)),
        ("milestones=[10, 20]", ("milestones", (10, 20))),
        ("milestones=(10,20)", ("milestones", (10, 20))),
        ("three_phase=True", ("three_phase", True)),
        ("three_phase=false", ("three_phase", False)),
        ("anneal_strategy=linear", ("anneal_strategy", "linear")),
        ("anneal_strategy='cos'", ("anneal_strategy", "cos")),
        ("max_lr=None", ("max_lr", None)),
        (" T_0 = 5 ", ("T_0", 5)),
        ("max_lr=[1e-3, 1e-4]", ("max_lr", (1e-3, 1e-4))),
    ],
)
def test_param_values_are_python_literals(text: str, expected: tuple[str, Any]) -> None:
    assert parse_param(text, "--param") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step_size", "give KEY=VALUE"),
        ("=10", "give KEY=VALUE"),
        ("step size=10", "'step size' is not an argument name"),
        ("gamma=", "gamma= has no value"),
        ("milestones=[10, 20", "'[10, 20' is not a Python literal"),
        ("gamma=1e-3.5", "is not a Python literal"),
        ("gamma=float('inf')", "is not a Python literal"),
        ("gamma=1e999", "inf is not a finite number"),
        ("x={1, 2}", "a set is not a value lrplan passes"),
        ("x={'a': 1}", "a dict is not a value lrplan passes"),
        ("x=b'1'", "a bytes is not a value lrplan passes"),
    ],
)
def test_a_param_that_does_not_parse_is_one_line_naming_it(text: str, expected: str) -> None:
    with pytest.raises(LrplanError) as raised:
        parse_param(text, "--param")

    assert str(raised.value).startswith(f"--param {text!r}")
    assert expected in str(raised.value)


def test_a_param_given_twice_is_refused() -> None:
    with pytest.raises(LrplanError, match=r"--param gamma=\.\.\. is given twice"):
        parse_params(["gamma=0.5", "step_size=3", "gamma=0.1"])


@given(
    st.recursive(
        st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.none(),
            st.text(alphabet="abcdefgh xyz_'\"", max_size=8),
        ),
        lambda children: st.lists(children, max_size=4),
        max_leaves=8,
    )
)
def test_any_literal_written_with_repr_reads_back(value: Any) -> None:
    def frozen(item: Any) -> Any:
        return tuple(frozen(x) for x in item) if isinstance(item, list) else item

    assert literal(repr(value), "--param x") == frozen(value)


def test_configs_with_params_are_hashable_and_equal_by_value() -> None:
    first = ScheduleConfig(scheduler="multistep", params={"milestones": [3, 7]})
    second = ScheduleConfig(scheduler="multistep", params=(("milestones", (3, 7)),))

    assert first == second
    assert hash(first) == hash(second)
    assert constructor_kwargs(first) == {"milestones": [3, 7]}  # the class gets a list
    assert first.to_dict()["params"] == {"milestones": [3, 7]}
