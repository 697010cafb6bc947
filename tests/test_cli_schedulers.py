"""`--scheduler` and `--param` on the command line, in config files and in compare SPECs;
`lrplan schedulers`; bad input. Planned rates are checked against torch's own classes."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch.optim import lr_scheduler as S

from tests.formula import formula_lr
from tests.test_cli import _imported_modules

ANSI = re.compile(r"\x1b\[")


def torch_rates(make, lr: float, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The rate of ``count`` epochs with a real SGD and the scheduler ``make(optimizer)``."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = make(optimizer)
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def csv_rates(text: str, column: str = "lr") -> list[float]:
    return [float(row[column]) for row in csv.DictReader(io.StringIO(text))]


def one_line_error(result, expected: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert expected in lines[0], lines[0]
    assert result.stdout == ""
    return lines[0]


# --- show --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "make"),
    [
        (
            ["--scheduler", "cosine", "--min-lr", "1e-6"],
            lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=1e-6),
        ),
        (
            ["--scheduler", "step", "--param", "step_size=6", "--param", "gamma=0.3"],
            lambda o: S.StepLR(o, step_size=6, gamma=0.3),
        ),
        (
            ["--scheduler", "multistep", "--param", "milestones=[4, 15]"],
            lambda o: S.MultiStepLR(o, milestones=[4, 15]),
        ),
        (
            ["--scheduler", "onecycle", "--param", "pct_start=0.2"],
            lambda o: S.OneCycleLR(o, max_lr=2e-3, total_steps=20, pct_start=0.2),
        ),
        (
            [
                *("--scheduler", "torch.optim.lr_scheduler:CyclicLR"),
                *("--param", "base_lr=1e-4", "--param", "max_lr=2e-3", "--param", "step_size_up=3"),
            ],
            lambda o: S.CyclicLR(o, base_lr=1e-4, max_lr=2e-3, step_size_up=3),
        ),
    ],
    ids=["cosine", "step", "multistep", "onecycle", "import path"],
)
def test_show_csv_is_the_real_scheduler(run, args: list[str], make) -> None:  # type: ignore[no-untyped-def]
    result = run("show", "--lr", "2e-3", "--epochs", "20", *args, "--csv", "-")

    assert result.exit_code == 0, result.output
    assert csv_rates(result.stdout) == torch_rates(make, 2e-3, 20)


def test_show_names_the_class_and_the_call(run) -> None:
    result = run("show", "--scheduler", "step", "--param", "step_size=10", "--epochs", "12")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ANSI.search(out) is None
    lines = out.splitlines()
    assert lines[0] == "StepLR per epoch: step lr=0.001 epochs=12 step_size=10"
    assert lines[1] == "StepLR(optimizer, step_size=10), optimizer lr=0.001"
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[2].strip() for row in rows] == ["hold"] * 10 + ["decay", "hold"]
    assert "1.000e-04" in rows[10]
    assert "The rate holds still for several epochs" in " ".join(out.split())


def test_show_json_carries_the_scheduler(run) -> None:
    result = run("show", "--scheduler", "cosine", "--epochs", "6", "--json")

    document = json.loads(result.stdout)
    assert document["scheduler"] == "CosineAnnealingLR"
    # Neither the user nor a config sets eta_min: torch's default (0) stays.
    assert document["constructor"] == "CosineAnnealingLR(optimizer, T_max=6)"
    assert document["config"] == {
        "lr": 1e-3,
        "epochs": 6,
        "interval": "epoch",
        "steps_per_epoch": 1,
        "label": "",
        "scheduler": "cosine",
        "params": {},
    }
    expected = torch_rates(lambda o: S.CosineAnnealingLR(o, T_max=6), 1e-3, 6)
    assert [row["lr"] for row in document["rows"]] == expected
    assert {row["phase"] for row in document["rows"]} == {"decay"}
    assert [i["code"] for i in document["insights"]][:1] == ["starts-at-peak"]


def test_min_lr_fills_a_torch_floor_only_when_given(run) -> None:
    result = run("show", "--scheduler", "cosine", "--param", "T_max=10", "--json")
    assert json.loads(result.stdout)["constructor"] == "CosineAnnealingLR(optimizer, T_max=10)"

    result = run("show", "--scheduler", "cosine", "--min-lr", "1e-6", "--epochs", "6", "--json")

    document = json.loads(result.stdout)
    assert document["constructor"] == "CosineAnnealingLR(optimizer, T_max=6, eta_min=1e-06)"
    expected = torch_rates(lambda o: S.CosineAnnealingLR(o, T_max=6, eta_min=1e-6), 1e-3, 6)
    assert [row["lr"] for row in document["rows"]] == expected


def test_the_default_scheduler_is_unchanged(run) -> None:
    plain = run("show", "--epochs", "8", "--csv", "-").stdout
    named = run("show", "--epochs", "8", "--scheduler", "warmup_cos", "--csv", "-").stdout

    assert plain == named
    assert csv_rates(plain) == pytest.approx(
        [formula_lr(k, 1e-3, 1e-5, 3, 8) for k in range(8)], rel=1e-12
    )


def test_show_png_of_another_scheduler(run, tmp_path: Path) -> None:
    target = tmp_path / "step.png"

    result = run("show", "--scheduler", "step", "--param", "step_size=5", "--png", str(target))

    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# --- config files and the security rule ----------------------------------------------------------


def test_a_config_file_names_a_short_name_and_its_params(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(
        "lr: 1e-2\nepochs: 12\nscheduler: step\nscheduler_params:\n  step_size: 4\n  gamma: 5e-1\n"
    )

    result = run("show", "--config", str(path), "--csv", "-")

    assert result.exit_code == 0, result.output
    assert csv_rates(result.stdout) == torch_rates(lambda o: S.StepLR(o, 4, 0.5), 1e-2, 12)
    # --param sets one argument over the file's; --scheduler replaces the file's choice.
    result = run("show", "--config", str(path), "--param", "gamma=0.1", "--csv", "-")
    assert csv_rates(result.stdout) == torch_rates(lambda o: S.StepLR(o, 4, 0.1), 1e-2, 12)
    result = run("show", "--config", str(path), "--scheduler", "cosine", "--csv", "-")
    expected = torch_rates(lambda o: S.CosineAnnealingLR(o, T_max=12), 1e-2, 12)
    assert csv_rates(result.stdout) == expected


SPY_MODULE = """
    import pathlib

    pathlib.Path("imported.txt").write_text("the module ran")

    from torch.optim.lr_scheduler import StepLR as Spy
"""


@pytest.fixture
def spy_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module in the working folder that leaves a file behind when it is imported."""
    (tmp_path / "spy_sched.py").write_text(textwrap.dedent(SPY_MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "spy_sched", raising=False)
    return tmp_path / "imported.txt"


def test_a_config_file_alone_never_imports_a_class(run, tmp_path: Path, spy_module: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 1e-3\nepochs: 10\nscheduler: spy_sched:Spy\n")

    result = run("show", "--config", str(path), "--csv", "out.csv")

    line = one_line_error(result, f"--config {path}: scheduler names spy_sched:Spy;")
    assert line.endswith("pass --allow-import spy_sched")
    assert not spy_module.exists()  # its code never ran
    assert not (tmp_path / "out.csv").exists()
    # Named on the command line, the same class is planned.
    result = run("show", "--config", str(path), "--scheduler", "spy_sched:Spy", "--param",
                 "step_size=3", "--csv", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert spy_module.read_text() == "the module ran"
    assert csv_rates(result.stdout) == torch_rates(lambda o: S.StepLR(o, 3), 1e-3, 10)


def test_a_compare_spec_file_alone_never_imports_a_class(
    run, tmp_path: Path, spy_module: Path
) -> None:
    path = tmp_path / "spy.yaml"
    path.write_text("epochs: 10\nscheduler: spy_sched.Spy\n")

    result = run("compare", str(path), "lr=1e-3")

    line = one_line_error(result, f"SPEC 1 '{path}': {path}: scheduler names spy_sched:Spy;")
    assert line.endswith("pass --allow-import spy_sched")
    assert not spy_module.exists()
    result = run("compare", f"{path},scheduler=spy_sched:Spy,param.step_size=4", "lr=1e-3",
                 "--csv", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert spy_module.exists()


# --- compare SPECs ------------------------------------------------------------------------------


def test_compare_specs_name_schedulers_and_params(run) -> None:
    result = run(
        "compare",
        "scheduler=cosine,label=cos",
        "scheduler=multistep,param.milestones=[5,15],param.gamma=0.5,label=steps",
        "lr=1e-3,label=default",
        "--csv",
        "-",
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["epoch", "cos", "steps", "default"]
    cos = torch_rates(lambda o: S.CosineAnnealingLR(o, T_max=25), 1e-3, 25)
    steps = torch_rates(lambda o: S.MultiStepLR(o, [5, 15], 0.5), 1e-3, 25)
    assert [float(row["cos"]) for row in rows] == cos
    assert [float(row["steps"]) for row in rows] == steps
    assert [float(row["default"]) for row in rows] == pytest.approx(
        [formula_lr(k, 1e-3, 1e-5, 3, 25) for k in range(25)], rel=1e-12
    )


def test_compare_tables_name_each_scheduler(run) -> None:
    result = run("compare", "scheduler=cosine,label=cos", "lr=1e-3,label=wc", "--json")
    document = json.loads(result.stdout)
    assert document["scheduler"] is None
    assert [c["scheduler"] for c in document["candidates"]] == ["CosineAnnealingLR", "WarmupCosLR"]

    result = run("compare", "scheduler=cosine,label=cos", "lr=1e-3,label=wc")
    lines = result.stdout.splitlines()
    assert lines[0] == "Comparing 2 schedules  (stepped per epoch)"
    assert " ".join(lines[1].split()) == "cos cosine lr=0.001 epochs=25"
    assert " ".join(lines[2].split()) == "wc warmup_cos lr=0.001 min_lr=1e-05 warmup=3 epochs=25"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("scheduler=cosin", "SPEC 2 'scheduler=cosin': unknown scheduler 'cosin' (did you mean"),
        ("scheduler=step", "SPEC 2 'scheduler=step': StepLR needs step_size: give param.step_size"),
        ("scheduler=step,param.step_size=[1", "param.step_size: '[1' is not a Python literal"),
        ("scheduler=step,param.stepsize=2", "StepLR takes no argument 'stepsize' (did you mean"),
        ("scheduler=step,param.step_size=2,min_lr=0", "min_lr does not apply to scheduler=step"),
        ("param.gamma=0.5", "warmup_cos takes no constructor arguments (gamma given)"),
        ("scheduler=step,param.x=1,param.x=2", "param.x is given twice"),
    ],
)
def test_bad_scheduler_specs_are_one_line(run, spec: str, expected: str) -> None:
    one_line_error(run("compare", "lr=1e-3", spec), expected)


# --- check, resume, tune --------------------------------------------------------------------------


def test_check_reports_the_shape_of_another_scheduler(run) -> None:
    result = run("check", "--scheduler", "cosine", "--param", "T_max=10", "--json")

    assert result.exit_code == 1, result.output  # rising again is a warning
    document = json.loads(result.stdout)
    assert document["scheduler"] == "CosineAnnealingLR"
    assert document["sources"]["scheduler"] == "--scheduler"
    # T_max=10 over lrplan's default 25 epochs: the cosine ends 15 epochs early, and rises.
    codes = [finding["code"] for finding in document["findings"]]
    assert codes[:2] == ["length-shorter-than-run", "rises-again"]
    assert "T_max=10, but the run steps it 25 times" in document["findings"][0]["message"]
    # CosineAnnealingLR's eta_min keeps torch's default; it has no warm-up setting.
    assert "min_lr" not in document["sources"]
    assert "warmup_epochs" not in document["sources"]
    assert "warmup_epochs" not in document["config"]


def test_check_of_a_config_naming_a_scheduler(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 1e-3\nepochs: 20\nscheduler: step\nscheduler_params: {step_size: 5}\n")

    result = run("check", "--config", str(path))

    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[0] == "StepLR per epoch: step lr=0.001 epochs=20 step_size=5"
    assert "scheduler step scheduler" in lines
    assert "step_size 5 scheduler_params.step_size" in lines
    # Only the keys StepLR uses are checked for defaults: lr and epochs are in the file.
    assert "does not set" not in result.stdout


def test_resume_with_another_scheduler(run) -> None:
    result = run("resume", "--at", "4", "--scheduler", "step", "--param", "step_size=3",
                 "--epochs", "9", "--json")  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    expected = torch_rates(lambda o: S.StepLR(o, 3), 1e-3, 9)
    assert document["uninterrupted"] == expected
    ways = {way["key"]: way for way in document["scenarios"]}
    assert ways["state-dicts"]["identical"] is True
    assert ways["last-epoch"]["error"].startswith("KeyError: param 'initial_lr'")
    assert ways["fresh"]["lrs"] == expected[:4] + expected[:5]
    assert "scheduler = StepLR(optimizer, step_size=3)\n" in document["code"]


def test_tune_refuses_a_config_naming_another_scheduler(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("epochs: 20\nscheduler: cosine\n")

    one_line_error(
        run("tune", "slow", "--config", str(path)), "names scheduler cosine, but the tuning guide"
    )


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--scheduler", "cosin"], "--scheduler: unknown scheduler 'cosin' (did you mean cosine?)"),
        (["--scheduler", "not a name"], "unknown scheduler 'not a name'"),
        (["--scheduler", "nosuchmodule_xyz:Cls"], "--scheduler nosuchmodule_xyz:Cls: no module"),
        (["--scheduler", "torch.optim:SGD"], "SGD is a class, neither a subclass of"),
        (["--scheduler", "step"], "StepLR needs step_size: give --param step_size=VALUE; its"),
        (["--scheduler", "step", "--param", "size=3"], "StepLR takes no argument 'size'"),
        (["--scheduler", "step", "--param", "step_size"], "--param 'step_size': give KEY=VALUE"),
        (["--scheduler", "step", "--param", "step_size=[3"], "'[3' is not a Python literal"),
        (["--scheduler", "step", "--param", "step_size=3", "--param", "step_size=4"], "twice"),
        (
            ["--scheduler", "cosine", "--param", "last_epoch=3"],
            "--param last_epoch is not an argument",
        ),
        (
            ["--scheduler", "cosine", "--param", "optimizer=3"],
            "--param optimizer is not an argument",
        ),
        (["--param", "gamma=0.5"], "warmup_cos takes no constructor arguments (gamma given)"),
        (["--scheduler", "step", "--param", "step_size=3", "--min-lr", "0"], "--min-lr does not"),
        (["--scheduler", "cosine", "--warmup-epochs", "2"], "--warmup-epochs does not apply to"),
        (["--scheduler", "cosine_restarts", "--param", "T_0=0"], "Expected positive integer T_0"),
        (["--scheduler", "torch.optim.lr_scheduler:ReduceLROnPlateau"], "steps with metrics"),
        (["--scheduler", "constant", "--param", "factor=0"], "raised ZeroDivisionError when"),
        (["--scheduler", "cosine", "--epochs", "0"], "--epochs"),
    ],
)
def test_bad_scheduler_input_is_one_line_and_writes_nothing(
    run, tmp_path: Path, args: list[str], expected: str
) -> None:
    target = tmp_path / "out.csv"

    result = run("show", *args, "--csv", str(target), "--png", str(tmp_path / "out.png"))

    one_line_error(result, expected)
    assert list(tmp_path.iterdir()) == []


def test_the_constructor_signature_is_in_the_message(run) -> None:
    line = one_line_error(run("show", "--scheduler", "multistep"), "MultiStepLR needs milestones")
    assert line.endswith(
        "its signature: MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)"
    )


# --- lrplan schedulers ----------------------------------------------------------------------------


def test_schedulers_lists_every_short_name_with_its_required_params(run) -> None:
    result = run("schedulers")

    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    for name, cls, needs in [
        ("warmup_cos", "WarmupCosLR", ""),
        ("cosine", "CosineAnnealingLR", ""),
        ("cosine_restarts", "CosineAnnealingWarmRestarts", "needs: --param T_0=..."),
        ("onecycle", "OneCycleLR", ""),
        ("linear", "LinearLR", ""),
        ("step", "StepLR", "needs: --param step_size=..."),
        ("multistep", "MultiStepLR", "needs: --param milestones=..."),
        ("exponential", "ExponentialLR", "needs: --param gamma=..."),
        ("polynomial", "PolynomialLR", ""),
        ("constant", "ConstantLR", ""),
    ]:
        assert f"{name} {cls}" in out
        assert needs in out
    assert "lrplan sets: T_max ← --epochs, eta_min ← --min-lr" in out
    assert "try: lrplan show --scheduler multistep --param 'milestones=[10,20]'" in out


def test_every_example_the_listing_gives_runs(run) -> None:
    import shlex

    document = json.loads(run("schedulers", "--json").stdout)
    assert [row["name"] for row in document["schedulers"]][:3] == [
        "warmup_cos",
        "warmup_cos_torch",
        "cosine",
    ]
    for row in document["schedulers"]:
        args = shlex.split(row["example"])[1:]
        result = run(*args, "--epochs", "12", "--csv", "-")
        assert result.exit_code == 0, (row["example"], result.output)
        assert len(result.stdout.splitlines()) == 13


def test_the_listing_and_help_import_no_torch() -> None:
    for args in (["schedulers"], ["schedulers", "--help"], ["equivalent", "--help"]):
        modules = _imported_modules(*args)
        assert "typer" in modules
        assert "torch" not in modules, args


def test_the_step_example_documents_commands_that_run(run, monkeypatch) -> None:
    import shlex

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    text = (root / "examples" / "train_step.yaml").read_text(encoding="utf-8")
    commands = [line.strip("# ").split(maxsplit=1)[1] for line in text.splitlines()
                if line.startswith("#   lrplan ")]  # fmt: skip
    assert commands == [
        "show --config examples/train_step.yaml",
        "compare examples/train_step.yaml examples/train_step.yaml,scheduler=cosine",
    ]
    for command in commands:
        result = run(*shlex.split(command), "--csv", "-")
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        column = "lr" if command.startswith("show") else "train_step"
        rates = [float(row[column]) for row in rows]
        assert rates == torch_rates(lambda o: S.StepLR(o, step_size=10, gamma=0.1), 0.1, 30)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("scheduler: warmup_cosine\n", "scheduler: unknown scheduler 'warmup_cosine' (did you"),
        ("scheduler: step\nscheduler_params: [10]\n", "scheduler_params holds a list, not a"),
        ("scheduler: step\nscheduler_params: {step_size: 2, x: {a: 1}}\n", "a dict is not a"),
        ("scheduler_params: {gamma: 0.5}\n", "invalid scheduler_params in --config"),
        ("scheduler: step\n", "StepLR needs step_size: give --param step_size=VALUE"),
    ],
)
def test_bad_scheduler_settings_in_a_config_file_are_one_line(
    run, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(f"lr: 1e-3\nepochs: 10\n{content}")

    one_line_error(run("show", "--config", str(path)), expected)


def test_a_section_called_scheduler_is_not_a_name(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("scheduler:\n  lr: 2e-3\n  epochs: 8\n  warmup_epochs: 2\n")

    result = run("show", "--config", str(path), "--csv", "-")

    assert result.exit_code == 0, result.output
    assert csv_rates(result.stdout) == pytest.approx(
        [formula_lr(k, 2e-3, 1e-5, 2, 8) for k in range(8)], rel=1e-12
    )
