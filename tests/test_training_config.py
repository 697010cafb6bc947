"""--config in real training configs: nested sections, --config-key, --set, Hydra interpolations."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from lrplan.errors import LrplanError
from lrplan.inputs.settings import build_config, load_settings
from tests.formula import formula_lr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HYDRA = EXAMPLES / "hydra_training.yaml"


def write(tmp_path: Path, text: str, name: str = "train.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    """The single stderr line of a failed run, after checking how it failed."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error:")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[0]


# --- where the keys are found ------------------------------------------------------------------

LAYOUTS = {
    "top level": "lr: 2e-3\nmin_lr: 1e-6\nwarmup_epochs: 4\nepochs: 30\n",
    "optimizer and scheduler sections": (
        "optimizer:\n  name: adamw\n  lr: 2e-3\n"
        "scheduler:\n  min_lr: 1e-6\n  warmup_epochs: 4\n  epochs: 30\n"
    ),
    "lr_scheduler, epochs at the top": (
        "epochs: 30\nlr_scheduler:\n  lr: 2e-3\n  min_lr: 1e-6\n  warmup_epochs: 4\n"
    ),
    "optim": "optim:\n  lr: 2e-3\n  min_lr: 1e-6\n  warmup_epochs: 4\n  epochs: 30\n",
    "training with nested optimizer": (
        "training:\n  epochs: 30\n  optimizer:\n    lr: 2e-3\n"
        "  lr_scheduler:\n    min_lr: 1e-6\n    warmup_epochs: 4\n"
    ),
    "Lightning CLI init_args": (
        "optimizer:\n  class_path: torch.optim.AdamW\n  init_args:\n    lr: 2e-3\n"
        "lr_scheduler:\n  class_path: lrplan.WarmupCosLR\n  init_args:\n"
        "    min_lr: 1e-6\n    warmup_epochs: 4\n    epochs: 30\n"
    ),
    "a section deeper in the model": (
        "model:\n  encoder: {layers: 6}\n  optim:\n    lr: 2e-3\n    min_lr: 1e-6\n"
        "    warmup_epochs: 4\n    epochs: 30\n"
    ),
    "the same value twice": "lr: 2e-3\nmin_lr: 1e-6\nwarmup_epochs: 4\nepochs: 30\n"
    "optimizer:\n  lr: 0.002\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_schedule_keys_are_found_in_common_layouts(tmp_path: Path, layout: str) -> None:
    config = build_config(write(tmp_path, LAYOUTS[layout]))

    assert (config.lr, config.min_lr, config.warmup_epochs, config.epochs) == (2e-3, 1e-6, 4, 30)


def test_sources_say_where_each_value_was_read(tmp_path: Path) -> None:
    path = write(tmp_path, LAYOUTS["Lightning CLI init_args"])

    _, found = load_settings(path)

    assert found is not None
    assert found.sources == {
        "lr": "optimizer.init_args.lr",
        "min_lr": "lr_scheduler.init_args.min_lr",
        "warmup_epochs": "lr_scheduler.init_args.warmup_epochs",
        "epochs": "lr_scheduler.init_args.epochs",
    }
    assert (found.optimizer, found.optimizer_source) == (
        "torch.optim.AdamW",
        "optimizer.class_path",
    )


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("optimizer: adamw\nlr: 1e-3\n", "adamw"),
        ("opt: lamb\nlr: 1e-3\n", "lamb"),  # timm's configs
        ("optimizer:\n  _target_: torch.optim.SGD\n  lr: 0.1\n", "torch.optim.SGD"),
        ("optim:\n  type: Adam\n  lr: 1e-3\n", "Adam"),
        ("lr: 1e-3\n", None),
    ],
)
def test_the_optimizer_is_read_from_the_config(tmp_path: Path, text: str, name: str) -> None:
    _, found = load_settings(write(tmp_path, f"{text}warmup_epochs: 2\n"))

    assert found is not None and found.optimizer == name


def test_config_key_names_the_section_and_the_top_level_fills_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "epochs: 40\nlr: 9e-3\n"
        "model:\n  optim:\n    lr: 2e-3\n    warmup_epochs: 4\n"
        "other:\n  optim:\n    lr: 5e-1\n",
    )

    config, found = load_settings(path, config_key="model.optim")

    # The named section wins over the top level; epochs comes from the top level.
    assert (config.lr, config.warmup_epochs, config.epochs) == (2e-3, 4, 40)
    assert found is not None
    assert found.sources["lr"] == "model.optim.lr"
    assert found.sources["epochs"] == "epochs"


def test_values_in_two_sections_that_disagree_are_refused(run, tmp_path: Path) -> None:
    path = write(tmp_path, "lr: 1e-3\noptimizer:\n  lr: 5e-4\nepochs: 25\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "lr is 1e-3 at lr but 5e-4 at optimizer.lr" in line
    assert "--config-key optimizer" in line


def test_a_config_with_no_schedule_key_is_refused(run, tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  hidden: 128\nbatch_size: 64\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "none of lr, min_lr" in line and "--config-key" in line


def test_an_uncomposed_hydra_config_gets_a_hint(run, tmp_path: Path) -> None:
    path = write(tmp_path, "defaults:\n  - optimizer: adam\n  - _self_\nbatch_size: 64\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert ".hydra/config.yaml" in line


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("lr_sched", "no key 'lr_sched' at the top level"),
        ("lr_scheduler.init", "no key 'init' under lr_scheduler"),
        ("lr_scheduler.min_lr", "lr_scheduler.min_lr"),
        ("a..b", "dotted path"),
    ],
)
def test_a_bad_config_key_is_one_line(run, tmp_path: Path, key: str, expected: str) -> None:
    out = tmp_path / "out.csv"

    line = one_line_error(
        run("show", "--config", str(HYDRA), "--config-key", key, "--csv", str(out))
    )

    assert "--config-key" in line and expected in line
    assert not out.exists()


def test_config_key_needs_a_config(run) -> None:
    line = one_line_error(run("show", "--config-key", "optim"))

    assert "--config-key needs --config" in line


# --- Hydra interpolations ----------------------------------------------------------------------


def test_the_hydra_example_resolves_its_interpolations() -> None:
    config, found = load_settings(HYDRA)

    assert (config.lr, config.min_lr, config.warmup_epochs, config.epochs) == (1e-3, 1e-6, 3, 25)
    assert found is not None
    # The literal values are reported, not the ${...} that refer to them.
    assert found.sources == {
        "lr": "lr",
        "min_lr": "lr_scheduler.min_lr",
        "warmup_epochs": "warmup_epochs",
        "epochs": "epochs",
    }
    assert found.optimizer == "torch.optim.AdamW"


def test_set_changes_a_value_before_interpolations_follow_it(run) -> None:
    # lr_scheduler.epochs is ${epochs}: a Hydra override of epochs moves both.
    result = run("show", "--config", str(HYDRA), "--set", "epochs=50", "--csv", "-")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 50
    for row in rows:
        expected = formula_lr(int(row["epoch"]), 1e-3, 1e-6, 3, 50)
        assert float(row["lr"]) == pytest.approx(expected, rel=1e-12)


def test_set_with_a_dotted_path_and_an_interpolation(tmp_path: Path) -> None:
    path = write(tmp_path, "base_lr: 1e-3\nscheduler:\n  lr: ${base_lr}\n  epochs: 20\n")

    config = build_config(path, sets=["base_lr=4e-3", "scheduler.min_lr=2e-5"])

    assert (config.lr, config.min_lr, config.epochs) == (4e-3, 2e-5, 20)


def test_an_unresolvable_interpolation_is_one_line(run, tmp_path: Path) -> None:
    path = write(tmp_path, "epochs: 25\nscheduler:\n  epochs: ${max_epoch}\n  lr: 1e-3\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "cannot resolve scheduler.epochs = '${max_epoch}'" in line
    assert "--set scheduler.epochs=" in line


def test_a_mandatory_value_that_is_missing_is_one_line(run, tmp_path: Path) -> None:
    path = write(tmp_path, "epochs: ???\nscheduler:\n  epochs: ${epochs}\n  lr: 1e-3\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "scheduler.epochs" in line and "Missing mandatory value" in line


def test_interpolations_without_omegaconf_name_the_extra(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "omegaconf", None)  # import omegaconf -> ImportError
    monkeypatch.setitem(sys.modules, "omegaconf.errors", None)

    line = one_line_error(run("show", "--config", str(HYDRA)))

    assert "pip install 'lrplan[hydra]'" in line
    assert "optimizer.lr = '${lr}' is an interpolation" in line


def test_plain_configs_need_no_omegaconf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "omegaconf", None)

    config = build_config(EXAMPLES / "train_pluto.yaml", sets=["epochs=30"])

    assert (config.lr, config.epochs) == (1e-3, 30)


# --- --set -------------------------------------------------------------------------------------


def test_set_of_a_bare_key_overrides_it_wherever_the_file_has_it(tmp_path: Path) -> None:
    path = write(tmp_path, "optimizer:\n  lr: 1e-3\nscheduler:\n  epochs: 25\n  min_lr: 0\n")

    config, found = load_settings(path, sets=["lr=5e-4", "epochs=40"])

    assert (config.lr, config.epochs) == (5e-4, 40)
    assert found is not None and found.sources["lr"] == "--set"


def test_set_without_a_config_sets_values(tmp_path: Path) -> None:
    config = build_config(None, sets=["lr=5e-4", "warmup_epochs=0"])

    assert (config.lr, config.warmup_epochs, config.epochs) == (5e-4, 0, 25)


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["lr"], "give KEY=VALUE"),
        (["=1"], "give KEY=VALUE"),
        (["lr_scheduler.minlr=1e-6"], "no key lr_scheduler.minlr"),
        (["lr_scheduler.min_lr.x=1"], "lr_scheduler.min_lr is a str"),
        (["lr=[1e-3"], "not valid YAML"),
        (["epochs=many"], "--set epochs"),
    ],
)
def test_bad_set_is_one_line(run, sets: list[str], expected: str) -> None:
    args = [arg for text in sets for arg in ("--set", text)]

    line = one_line_error(run("show", "--config", str(HYDRA), *args))

    assert "--set" in line and expected in line


def test_set_and_the_option_for_the_same_key_are_refused(run) -> None:
    line = one_line_error(run("show", "--config", str(HYDRA), "--set", "lr=5e-4", "--lr", "1e-3"))

    assert "--lr and --set lr" in line


def test_options_override_the_nested_config(tmp_path: Path) -> None:
    config = build_config(HYDRA, {"warmup_epochs": 5, "lr": None})

    assert (config.lr, config.warmup_epochs, config.min_lr) == (1e-3, 5, 1e-6)


def test_bad_values_in_a_section_name_their_path(run, tmp_path: Path) -> None:
    path = write(tmp_path, "lr_scheduler:\n  lr: fast\n  epochs: 25\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "lr_scheduler.lr" in line and "'fast'" in line


def test_the_callers_document_is_not_changed(tmp_path: Path) -> None:
    from lrplan.inputs.training_config import read_config

    document = {"scheduler": {"epochs": 25, "lr": 1e-3}}

    read_config(document, "test", ("lr", "epochs"), sets=["scheduler.epochs=50"])

    assert document == {"scheduler": {"epochs": 25, "lr": 1e-3}}


def test_formula_check_of_a_nested_config_in_show(run, tmp_path: Path) -> None:
    path = write(tmp_path, LAYOUTS["Lightning CLI init_args"])

    result = run("show", "--config", str(path), "--csv", "-")

    assert result.exit_code == 0, result.output
    rates = [float(row["lr"]) for row in csv.DictReader(io.StringIO(result.stdout))]
    assert rates == pytest.approx([formula_lr(k, 2e-3, 1e-6, 4, 30) for k in range(30)], rel=1e-12)


def test_load_settings_rejects_config_key_alone() -> None:
    with pytest.raises(LrplanError, match="--config-key needs --config"):
        load_settings(None, config_key="optim")


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("optimization: {lr: 1e-3, epochs: 30, final_lr: 1e-6}\n", "optimization"),
        ("train:\n  optimizer_cfg: {lr: 1e-3, epochs: 30}\n", "train.optimizer_cfg"),
    ],
)  # fmt: skip
def test_the_section_holding_the_lr_gives_the_length_beside_it(tmp_path: Path, text, place) -> None:
    """I-JEPA's optimization section: lr and epochs side by side, read with their keys."""
    from lrplan.inputs.files import read_config_file

    values, found = read_config_file(write(tmp_path, text))

    assert values["epochs"] == 30
    assert found.sources == {"lr": f"{place}.lr", "epochs": f"{place}.epochs"}


@pytest.mark.parametrize(
    ("text", "name", "arguments"),
    [
        # TorchDrug: core.Configurable.load_config_dict builds 'class' with the other keys.
        ("scheduler: {class: StepLR, step_size: 5, gamma: 0.5}\n",
         "torch.optim.lr_scheduler.StepLR", {"step_size": ("scheduler", "step_size"),
                                             "gamma": ("scheduler", "gamma")}),
        ("engine:\n  lr_scheduler: {class: torch.optim.lr_scheduler.ExponentialLR, gamma: 0.9}\n",
         "torch.optim.lr_scheduler.ExponentialLR",
         {"gamma": ("engine", "lr_scheduler", "gamma")}),
        # A class outside a scheduler's section is another component (a dataset, a model).
        ("dataset: {class: StepLR}\nmodel: {class: GearNet}\n", None, None),
        ("class: ExponentialLR\ngamma: 0.9\n", None, None),
    ],
)  # fmt: skip
def test_a_class_key_names_a_scheduler_only_in_its_section(text, name, arguments) -> None:
    import yaml

    from lrplan.inputs.dialects import NAME_KWARGS, find_scheduler

    found = find_scheduler(yaml.safe_load(text))

    if name is None:
        assert found is None
        return
    assert found is not None
    assert (found.name, found.dialect, found.arguments) == (name, NAME_KWARGS, arguments)
