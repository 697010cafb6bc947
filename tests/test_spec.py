"""SPECs of `lrplan compare`: inline key=value settings, YAML files, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrplan.core.config import ScheduleConfig
from lrplan.errors import LrplanError
from lrplan.inputs.spec import SPEC_KEYS, parse_spec, spec_config

DEFAULTS = ScheduleConfig()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("lr=5e-4", {"lr": 5e-4, "label": "lr=5e-4"}),
        (
            "lr=5e-4,warmup_epochs=5",
            {"lr": 5e-4, "warmup_epochs": 5, "label": "lr=5e-4,warmup_epochs=5"},
        ),
        ("lr=5e-4,label=gentle", {"lr": 5e-4, "label": "gentle"}),
        (
            " lr = 2e-3 , epochs = 40 ,",
            {"lr": 2e-3, "epochs": 40, "label": "lr = 2e-3 , epochs = 40 ,"},
        ),
        ("min_lr=0,warmup_epochs=0,epochs=7", {"min_lr": 0.0, "warmup_epochs": 0, "epochs": 7}),
        ("label=baseline", {"label": "baseline"}),
        ("label=a=b", {"label": "a=b"}),
        ("epochs=30.0", {"epochs": 30}),
        (
            "interval=step,steps_per_epoch=4,label=steps",
            {"interval": "step", "steps_per_epoch": 4, "label": "steps"},
        ),
        ("interval=STEP,steps_per_epoch=4,label=s", {"interval": "step", "steps_per_epoch": 4}),
    ],
)
def test_inline_settings_apply_over_the_defaults(spec: str, expected: dict[str, object]) -> None:
    config = spec_config(spec, 1)
    for key in ("lr", "min_lr", "warmup_epochs", "epochs", "interval", "steps_per_epoch"):
        assert getattr(config, key) == expected.get(key, getattr(DEFAULTS, key)), key
    if "label" in expected:
        assert config.label == expected["label"]


def test_a_yaml_file_is_a_spec_labelled_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "long_run.yaml"
    path.write_text("lr: 2e-3\nepochs: 40\nbatch_size: 64\n")

    config = spec_config(str(path), 1)

    assert (config.lr, config.epochs, config.warmup_epochs, config.min_lr) == (2e-3, 40, 3, 1e-5)
    assert config.label == "long_run"


def test_a_yaml_file_followed_by_settings_is_overridden_by_them(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 2e-3\nepochs: 40\n")
    spec = f"{path},lr=5e-4"

    config = spec_config(spec, 1)

    assert (config.lr, config.epochs) == (5e-4, 40)
    assert config.label == spec

    labelled = spec_config(f"{path},lr=5e-4,label=low", 1)
    assert labelled.label == "low"


def test_shared_options_apply_over_the_file_and_under_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("interval: epoch\nepochs: 10\n")
    shared = {"interval": "step", "steps_per_epoch": 5, "lr": None}

    from_file = spec_config(str(path), 1, shared)
    assert (from_file.interval, from_file.steps_per_epoch, from_file.epochs) == ("step", 5, 10)

    inline = spec_config(f"{path},steps_per_epoch=7", 2, shared)
    assert inline.steps_per_epoch == 7


def test_parse_spec_returns_the_file_and_the_coerced_settings(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_text("lr: 1e-3\n")
    assert parse_spec(str(path), "SPEC 1") == (path, {})
    assert parse_spec(f"{path}, epochs=12", "SPEC 1") == (path, {"epochs": 12})
    assert parse_spec("lr=1e-3,epochs=12", "SPEC 1") == (None, {"lr": 1e-3, "epochs": 12})


BAD_SPECS = [
    # spec, what the one line must say (besides "SPEC <n> '<spec>'")
    ("", ["is empty", "key=value"]),
    (" , ", ["is empty"]),
    ("lr=", ["lr= has no value", "a finite number above 0"]),
    ("label=", ["label= has no value"]),
    ("lr=5e-4,epochs=", ["epochs= has no value", "whole number"]),
    ("lr5e-4", ["'lr5e-4' is neither a file nor key=value", "lr=5e-4,warmup_epochs=5"]),
    ("lr=5e-4,fast", ["'fast' is not key=value"]),
    ("=5", ["'=5' is not key=value"]),
    ("foo=1", ["unknown key 'foo'", "valid keys: " + ", ".join(SPEC_KEYS)]),
    ("min-lr=1e-6", ["unknown key 'min-lr' (did you mean min_lr?)", "valid keys"]),
    ("warmup=5", ["unknown key 'warmup' (did you mean warmup_epochs?)"]),
    ("lr=1e-3,lr=2e-3", ["lr is given twice"]),
    ("lr=fast", ["lr='fast' is not valid", "a finite number above 0"]),
    ("lr=nan", ["lr='nan' is not valid"]),
    ("lr=-1", ["lr=-1.0 must be greater than 0", "a finite number above 0"]),
    ("lr=0", ["lr=0.0 must be greater than 0"]),
    ("min_lr=1e-2", ["min_lr=0.01 must not exceed lr=0.001", "from 0 up to lr"]),
    ("epochs=2.5", ["epochs='2.5' is not valid", "whole number"]),
    ("warmup_epochs=-1", ["warmup_epochs=-1 must be 0 or greater"]),
    ("warmup_epochs=25", ["warmup_epochs=25 is not shorter than epochs=25"]),
    ("interval=hour", ["interval='hour' is not valid", "'epoch' or 'step'"]),
    ("interval=step", ["interval=step needs steps_per_epoch=N"]),
    ("interval=step,steps_per_epoch=0", ["steps_per_epoch=0 is not valid"]),
    ("steps_per_epoch=10", ["steps_per_epoch=10 has no effect with interval=epoch"]),
    ("missing.yaml", ["no such file"]),
    ("missing.yml,lr=1e-3", ["no such file"]),
]


@pytest.mark.parametrize(("spec", "expected"), BAD_SPECS)
def test_bad_specs_name_the_spec_and_what_is_accepted(
    spec: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LrplanError) as raised:
        spec_config(spec, 3)
    message = str(raised.value)
    assert message.startswith(f"SPEC 3 {spec!r}: ")
    assert "\n" not in message
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("lr: [1e-3\n", "not valid YAML"),
        ("- lr: 1e-3\n", "not a mapping"),
        ("lr: fast\n", "lr='fast' is not valid"),
        ("lr: 1e-3\nmin_lr: 1e-2\n", "min_lr=0.01 must not exceed lr=0.001"),
    ],
)
def test_bad_yaml_files_name_the_spec(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(LrplanError) as raised:
        spec_config(str(path), 2)
    message = str(raised.value)
    assert message.startswith(f"SPEC 2 {str(path)!r}: ")
    assert expected in message
    assert "--config" not in message


@given(
    lr=st.floats(1e-7, 10.0),
    floor_share=st.floats(0.0, 1.0),
    warmup=st.integers(0, 50),
    extra=st.integers(1, 200),
)
def test_any_valid_schedule_written_as_a_spec_reads_back_the_same(
    lr: float, floor_share: float, warmup: int, extra: int
) -> None:
    expected = ScheduleConfig(
        lr=lr, min_lr=lr * floor_share, warmup_epochs=warmup, epochs=warmup + extra, label="x"
    )
    spec = (
        f"lr={expected.lr!r},min_lr={expected.min_lr!r},warmup_epochs={warmup},"
        f"epochs={expected.epochs},label=x"
    )
    assert spec_config(spec, 1) == expected
