"""The read path's rules found by the second batch of real configs (issue 19), each on
synthetic files so that no rule is tied to one file: timm arguments a project flattens from
nested sections, a registry's ``_name_``, a bare LightningCLI ``class_path``, a scheduler's
own constructor error, what a framework logs, plurals, Jinja templates, and a file's setting
overridden by its scheduler's argument.

Expected rates come from the real scheduler classes stepped by hand, never from lrplan.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from lrplan.analysis.words import count
from tests.test_read_path import one_line, rates, stepped

LR = torch.optim.lr_scheduler


def table_after(text: str, phrase: str) -> bool:
    """``phrase`` is printed before the table (its top border)."""
    flat = " ".join(text.split())
    return phrase in flat and flat.index(phrase) < flat.index("┏")


# --- timm's arguments, flattened by the project from nested sections ----------------------------

FLATTENED_TIMM = """\
model: {name: resnet18}
train:
  epochs: 6
  batch_size: 32
  evaluation: {epochs: 99}
  optimizer: {opt: sgd, momentum: 0.9}
  schedule:
    sched: cosine
    lr: null
    lr_base: 0.2
    lr_base_size: 128
    warmup_epochs: 2
    warmup_lr: 1e-4
    min_lr: 1e-5
"""


@pytest.mark.parametrize("devices", [1, 2])
def test_timm_arguments_nested_two_levels_are_gathered_as_flattened(
    run, tmp_path: Path, devices: int
) -> None:
    """sched sits in train.schedule, epochs and batch_size in train: the project flattens
    its sections into one namespace, as STMicroelectronics' model zoo does; of two epochs,
    the one nearest the sched section (train.epochs, not train.evaluation.epochs) is read.
    lr: null takes lr_base × global batch / lr_base_size, as train.py does."""
    from lrplan.core.frameworks.timm import import_timm_module

    # timm's own scheduler code (this venv's timm lacks torchvision, so timm/__init__ does
    # not import: lrplan's loader imports timm.scheduler alone).
    timm_scheduler = import_timm_module("timm.scheduler")
    path = tmp_path / "config.yaml"
    path.write_text(FLATTENED_TIMM)

    result = run("show", "--config", str(path), "--devices", str(devices), "--json")
    document = json.loads(result.stdout)

    lr = 0.2 * (32 * devices) / 128
    assert document["config"]["lr"] == pytest.approx(lr, rel=1e-15)
    assert document["sources"]["lr"].startswith("no lr: train.schedule.lr_base 0.2 × (train")
    assert document["sources"]["epochs"].startswith("create_scheduler_v2's run: train.epochs 6")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = timm_scheduler.CosineLRScheduler(
        optimizer, t_initial=6, lr_min=1e-5, warmup_t=2, warmup_lr_init=1e-4
    )
    expected = []
    for epoch in range(6):
        expected.append(optimizer.param_groups[0]["lr"])
        scheduler.step(epoch + 1)
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- a registry's _name_ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "name", "scheduler", "make"),
    [
        ("scheduler", "step", "StepLR", lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (
            "lr_scheduler",
            "multistep",
            "MultiStepLR",
            lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [3], 0.5),
        ),
    ],
)
def test_a_registry_name_is_said_and_dropped_when_the_class_is_named(
    run, tmp_path: Path, section: str, name: str, scheduler: str, make: Any
) -> None:
    path = tmp_path / "config.yaml"
    arguments = "step_size: 3" if scheduler == "StepLR" else "milestones: [3]"
    path.write_text(f"lr: 0.1\nepochs: 6\n{section}:\n  _name_: {name}\n  {arguments}\n"
                    "  gamma: 0.5\n")  # fmt: skip

    line = one_line(run("show", "--config", str(path)))
    assert f"{section}._name_: {name} names an entry of the project's own registry" in line
    assert "name the class it stands for with --scheduler" in line

    for extra in ([], ["--config-key", section]):
        result = run("show", "--config", str(path), "--scheduler",
                     f"torch.optim.lr_scheduler.{scheduler}", *extra, "--json")  # fmt: skip
        assert rates(result) == pytest.approx(stepped(make, 0.1, 6), rel=1e-12)


# --- a bare class_path, resolved among torch's schedulers as jsonargparse does -----------------


def lightning_cli(class_path: str, init_args: str) -> str:
    return (
        "trainer: {max_epochs: 8}\n"
        "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        f"lr_scheduler:\n  class_path: {class_path}\n  init_args: {init_args}\n"
    )


@pytest.mark.parametrize(
    ("class_path", "init_args", "make"),
    [
        ("StepLR", "{step_size: 2, gamma: 0.3}", lambda o: LR.StepLR(o, 2, 0.3)),
        ("ExponentialLR", "{gamma: 0.9}", lambda o: LR.ExponentialLR(o, 0.9)),
        ("CosineAnnealingLR", "{T_max: 8}", lambda o: LR.CosineAnnealingLR(o, 8)),
    ],
)  # fmt: skip
def test_a_bare_class_path_is_one_of_torchs_schedulers(
    run, tmp_path: Path, class_path: str, init_args: str, make: Any
) -> None:
    path = tmp_path / "cli.yaml"
    path.write_text(lightning_cli(class_path, init_args))

    result = run("show", "--config", str(path), "--json")

    assert rates(result) == pytest.approx(stepped(make, 0.1, 8), rel=1e-12)
    assert json.loads(result.stdout)["sources"]["scheduler"] == "lr_scheduler.class_path"


def test_a_bare_class_path_torch_lacks_names_its_fix_which_keeps_init_args(
    run, tmp_path: Path
) -> None:
    path = tmp_path / "cli.yaml"
    path.write_text(lightning_cli("MyCosineLR", "{T_max: 4, eta_min: 0.01}"))

    line = one_line(run("show", "--config", str(path)))
    assert "lr_scheduler.class_path: unknown scheduler 'MyCosineLR'" in line
    assert "name the class with --scheduler package.module:Class (the file's arguments" in line

    result = run("show", "--config", str(path), "--scheduler",
                 "torch.optim.lr_scheduler.CosineAnnealingLR", "--json")  # fmt: skip
    expected = stepped(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 4, 0.01), 0.1, 8)
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- a class-less scheduler section under LightningCLI's fit subcommand -----------------------

FIT_WRAPPED = """\
fit:
  trainer: {max_epochs: 6}
  model: {hidden: 8}
  optimizer:
    class_path: torch.optim.SGD
    init_args: {lr: 0.5}
  lr_scheduler: {step_size: 2, gamma: 0.3}
"""


@pytest.mark.parametrize("wrapped", [True, False], ids=["under fit", "top level"])
def test_a_classless_scheduler_section_is_refused_and_read_under_fit_as_at_the_top(
    run, tmp_path: Path, wrapped: bool
) -> None:
    # LightningCLI's add_lr_scheduler_args fixes the class in code; a config saved for the
    # fit subcommand nests every section under fit. Either way the section names no class, so
    # lrplan must not plan its own WarmupCosLR from the optimizer's lr (a wrong peak).
    text = FIT_WRAPPED
    if not wrapped:
        text = "\n".join(line[2:] for line in text.splitlines()[1:]) + "\n"
    path = tmp_path / "cli.yaml"
    path.write_text(text)
    key = "fit.lr_scheduler" if wrapped else "lr_scheduler"

    line = one_line(run("show", "--config", str(path)))
    assert line.endswith(
        f"{key} holds step_size, gamma, which are not WarmupCosLR's keys, and names no class"
        " (no class_path, _target_ or _component_); name the class with --scheduler (its"
        " arguments are then read from this section)"
    )

    result = run("show", "--config", str(path), "--scheduler", "torch.optim.lr_scheduler.StepLR",
                 "--json")  # fmt: skip
    assert rates(result) == pytest.approx(stepped(lambda o: LR.StepLR(o, 2, 0.3), 0.5, 6))


# --- a scheduler's own constructor error ends in the lrplan options it asks for ----------------


@pytest.mark.parametrize("given", ["total_steps", "steps_per_epoch"])
def test_a_constructors_own_error_names_the_params_it_asks_for(
    run, tmp_path: Path, given: str
) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text("_target_: torch.optim.lr_scheduler.OneCycleLR\nmax_lr: 0.01\nepochs: 4\n")

    line = one_line(run("show", "--config", str(path), "--lr", "0.01", "--epochs", "4"))
    assert "raised ValueError: You must define either total_steps OR" in line
    assert line.endswith(
        "give what it asks for with --param total_steps=VALUE or --param steps_per_epoch=VALUE"
    )

    result = run("show", "--config", str(path), "--lr", "0.01", "--epochs", "4",
                 "--param", f"{given}=4", "--json")  # fmt: skip
    extra = {given: 4}
    expected = stepped(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, epochs=4, **extra), 0.01, 4
    )
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- what a framework logs: lrplan's stderr holds lrplan's lines only --------------------------


def test_deepspeeds_logger_stays_off_lrplans_stderr(run, tmp_path: Path) -> None:
    """OneCycle on lrplan's stand-in optimizer (no momentum) makes DeepSpeed log that
    cycle_momentum is disabled: not a line of lrplan's."""
    pytest.importorskip("deepspeed.runtime.lr_schedules")
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps({"optimizer": {"type": "Adam", "params": {"lr": 1e-3}},
                                "scheduler": {"type": "OneCycle", "params": {
                                    "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3,
                                    "cycle_first_step_size": 5}}}))  # fmt: skip

    for command in ("show", "check"):
        result = run(command, "--config", str(path), "--epochs", "1", "--steps-per-epoch", "20")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"warmup_type": "cosine", "warmup_num_steps": 4}, "framework-warmup-type"),
        ({"warmup_num_steps": 30, "total_num_steps": 20}, "framework-warmup-longer-than-total"),
    ],
)
def test_what_deepspeed_warns_of_a_config_is_lrplans_warning(
    run, tmp_path: Path, params: dict[str, Any], code: str
) -> None:
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    path = tmp_path / "ds_config.json"
    kind = "WarmupDecayLR" if "total_num_steps" in params else "WarmupLR"
    full = {"warmup_max_lr": 1e-3, **params}
    path.write_text(json.dumps({"scheduler": {"type": kind, "params": full}}))
    args = ["--config", str(path), "--epochs", "1", "--steps-per-epoch", "20"]

    shown = run("show", *args)
    checked = run("check", *args, "--json")

    assert shown.exit_code == 0 and shown.stderr == ""
    assert table_after(shown.stdout, "warning DeepSpeed's")
    assert checked.exit_code == 1
    assert code in [finding["code"] for finding in json.loads(checked.stdout)["findings"]]
    # The plan is the run's: DeepSpeed's own class, built with the same arguments.
    expected = stepped(lambda o: getattr(lr_schedules, kind)(o, **full), 1e-3, 20)
    assert rates(run("show", *args, "--json")) == pytest.approx(expected, rel=1e-12)


# --- plurals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_max", "said"), [(9, "ends 1 epoch before"), (8, "ends 2 epochs before")]
)
def test_the_length_warning_counts_in_english(run, t_max: int, said: str) -> None:
    result = run("check", "--scheduler", "cosine", "--param", f"T_max={t_max}", "--epochs", "10")
    assert said in " ".join(result.stdout.split())


def test_count() -> None:
    assert [count(n, "epoch") for n in (0, 1, 2, 1500)] == [
        "0 epochs", "1 epoch", "2 epochs", "1,500 epochs"]  # fmt: skip
    assert count(1500, "step", grouped=False) == "1500 steps"


# --- a Jinja template ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "markup"),
    [
        ("lr: 0.1\nmodel_checkpoint: {{ ckpt }}\n", "{{ ckpt }}"),
        ("lr: 0.1\n{% if warm %}\nwarmup_epochs: 2\n{% endif %}\nepochs: [1\n", "{% if warm %}"),
    ],
)
def test_a_jinja_template_is_said_to_be_one(run, tmp_path: Path, text: str, markup: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)

    line = one_line(run("show", "--config", str(path)))

    assert "not valid YAML at line" in line
    assert f"it holds {markup}, as a Jinja template does" in line
    assert "give lrplan the rendered file" in line


def test_yaml_without_jinja_says_nothing_of_templates(run, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("lr: 0.1\nepochs: [1\n")
    line = one_line(run("show", "--config", str(path)))
    assert "not valid YAML" in line and "Jinja" not in line


# --- a file's setting overridden by its scheduler's argument -----------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("scheduler: cosine\nscheduler_params:\n  eta_min: 1e-3\n", "scheduler_params.eta_min"),
        (
            "lr_scheduler:\n  class_path: torch.optim.lr_scheduler.CosineAnnealingLR\n"
            "  init_args: {T_max: 10, eta_min: 1e-3}\n",
            "lr_scheduler.init_args.eta_min",
        ),
    ],
)
def test_a_min_lr_its_schedulers_eta_min_overrides_is_a_warning(
    run, tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"lr: 0.1\nepochs: 10\nmin_lr: 1e-5\n{text}")

    shown = run("show", "--config", str(path))
    checked = run("check", "--config", str(path), "--json")

    assert shown.exit_code == 0
    phrase = f"({where}): eta_min applies, and min_lr is not used."
    assert table_after(shown.stdout, phrase)
    assert re.search(r"min_lr 1\.000e-05 \(min_lr\)", " ".join(shown.stdout.split()))
    assert checked.exit_code == 1
    codes = [finding["code"] for finding in json.loads(checked.stdout)["findings"]]
    assert "setting-overridden" in codes
    expected = stepped(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 1e-3), 0.1, 10)
    assert rates(run("show", "--config", str(path), "--json")) == pytest.approx(expected, rel=1e-12)


def test_a_min_lr_alone_is_no_warning(run, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("lr: 0.1\nepochs: 10\nmin_lr: 1e-5\nscheduler: cosine\n")
    result = run("check", "--config", str(path), "--json")
    codes = [finding["code"] for finding in json.loads(result.stdout)["findings"]]
    assert "setting-overridden" not in codes
