"""`lrplan check`: findings with levels and fixes, exit codes 0 / 1 / 2, JSON, real configs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.formula import formula_lr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ANSI = re.compile(r"\x1b\[")

#: The configuration block of the design document, as it is written there.
DESIGN_DOCUMENT_CONFIG = (
    "# config/training/train_pluto.yaml\n"
    "warm_up_lr_scheduler: warmup_cos  # the scheduler\n"
    "lr: 1e-3\n"
    "warmup_epochs: 3\n"
    "epochs: 25\n"
)


def finding_levels(out: str) -> list[tuple[str, str]]:
    """(level, first words of the message) of each finding in the terminal output."""
    found = re.findall(r"^(error|warning|note)\s+(\S+ \S+ \S+)", out, re.MULTILINE)
    return [(level, words) for level, words in found]


def test_the_design_documents_config_passes(run, tmp_path: Path) -> None:
    path = tmp_path / "train_pluto.yaml"
    path.write_text(DESIGN_DOCUMENT_CONFIG)

    result = run("check", "--config", str(path))

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ANSI.search(out) is None
    levels = {level for level, _ in finding_levels(out)}
    assert levels == {"note"}
    flat = " ".join(out.split())
    assert "held for 2 epochs" in flat
    assert "min_lr is reached only at epoch 25" in flat
    # The design document's config has no min_lr: the default is said, as a note.
    assert "The config does not set min_lr; lrplan planned with its defaults min_lr=1e-05" in flat
    assert flat.endswith("check passed: no errors or warnings, 4 notes")


@pytest.mark.parametrize("example", ["train_pluto.yaml", "hydra_training.yaml"])
def test_the_shipped_examples_pass(run, example: str) -> None:
    result = run("check", "--config", str(EXAMPLES / example))

    assert result.exit_code == 0, result.output
    assert "check passed" in result.stdout


def test_the_hydra_example_shows_where_each_setting_came_from(run) -> None:
    result = run("check", "--config", str(EXAMPLES / "hydra_training.yaml"))

    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "min_lr 1.000e-06 lr_scheduler.min_lr" in lines
    assert "lr 1.000e-03 lr" in lines
    assert "optimizer torch.optim.AdamW optimizer._target_" in lines


def test_a_warning_fails_the_check_with_exit_code_1(run) -> None:
    result = run("check", "--warmup-epochs", "10", "--epochs", "20")

    assert result.exit_code == 1, result.output
    assert finding_levels(result.stdout)[0] == ("warning", "The warm-up takes")
    assert "fix: Warm up for about a tenth of training (--warmup-epochs 2)" in result.stdout
    assert result.stdout.rstrip().endswith(
        "check failed: 0 errors, 1 warning, 3 notes (exit code 1)"
    )


def test_an_lr_unusual_for_the_configs_optimizer_fails(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(
        "optimizer:\n  _target_: torch.optim.AdamW\n  lr: 0.3\nepochs: 25\nwarmup_epochs: 2\n"
    )

    result = run("check", "--config", str(path))

    assert result.exit_code == 1, result.output
    flat = " ".join(result.stdout.split())
    assert "3.000e-01 is unusually high for torch.optim.AdamW (optimizer._target_)" in flat


def test_the_optimizer_option_overrides_the_config(run) -> None:
    config = str(EXAMPLES / "hydra_training.yaml")

    as_sgd = run("check", "--config", config, "--optimizer", "sgd", "--lr", "1e-5")
    as_adam = run("check", "--config", config, "--lr", "1e-5")

    assert as_sgd.exit_code == 1, as_sgd.output
    assert "unusually low for sgd (--optimizer)" in " ".join(as_sgd.stdout.split())
    assert as_adam.exit_code == 0, as_adam.output


def test_last_epoch_in_a_config_is_an_error(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 1e-3\nepochs: 25\nmin_lr: 1e-5\nlr_scheduler:\n  last_epoch: 5\n")

    result = run("check", "--config", str(path), "--json")

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    first = document["findings"][0]
    assert first["level"] == "error" and first["code"] == "config-last-epoch"
    assert "raises KeyError: param 'initial_lr' is not specified" in first["message"]
    assert document["counts"]["error"] == 1


def test_json_document(run) -> None:
    result = run("check", "--epochs", "100000", "--warmup-epochs", "2000", "--json")

    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 2
    assert document["passed"] is False and document["exit_code"] == 1
    assert document["counts"] == {
        "error": 0,
        "warning": 1,
        "note": 2,
    }  # no "rises again" note for a rise too small to show
    assert document["config"]["epochs"] == 100000
    assert document["sources"]["epochs"] == "--epochs"
    assert document["sources"]["lr"] == "default"
    assert document["findings"][0]["code"] == "looks-like-steps"
    assert all(
        set(f) == {"code", "level", "message", "fix", "changes"} for f in document["findings"]
    )


def test_json_of_a_passing_check(run) -> None:
    result = run("check", "--config", str(EXAMPLES / "train_pluto.yaml"), "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["passed"] is True and document["exit_code"] == 0
    assert document["config_file"].endswith("train_pluto.yaml")
    assert {f["level"] for f in document["findings"]} == {"note"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--lr", "-1"], "--lr"),
        (["--config", "missing.yaml"], "--config"),
        (["--config-key", "optim"], "--config-key"),
        (["--set", "lr"], "--set"),
        (["--warmup-epochs", "30"], "--epochs"),
    ],
)
def test_invalid_input_is_exit_code_2(run, args: list[str], expected: str) -> None:
    result = run("check", *args)

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("columns", ["60", "160"])
def test_check_fits_narrow_and_wide_terminals(run, monkeypatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)

    result = run("check", "--config", str(EXAMPLES / "hydra_training.yaml"), "--lr", "0.5")

    assert result.exit_code == 1
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= int(columns)


def test_a_last_epoch_that_is_not_a_number_is_exit_code_2(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr: 1e-3\nepochs: 25\nscheduler:\n  warmup_epochs: 2\n  last_epoch: soon\n")

    result = run("check", "--config", str(path))

    assert result.exit_code == 2, result.output
    assert "scheduler.last_epoch: last_epoch='soon' is not valid" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("max_epochs", "code", "exit_code"),
    [(25, None, 0), (-1, None, 0), (50, "trainer-runs-past-schedule", 1),
     (20, "trainer-stops-early", 1)],
)  # fmt: skip
def test_the_trainers_max_epochs_is_held_against_the_schedule(
    run, max_epochs: int, code: str | None, exit_code: int
) -> None:
    result = run(
        "check", "--config", str(EXAMPLES / "hydra_training.yaml"),
        "--set", f"lightning.trainer.params.max_epochs={max_epochs}", "--json",
    )  # fmt: skip
    assert result.exit_code == exit_code, result.output
    document = json.loads(result.stdout)
    trainer = [f for f in document["findings"] if f["code"].startswith("trainer-")]
    if code is None:
        assert trainer == []
        return
    (finding,) = trainer
    assert finding["code"] == code and finding["level"] == "warning"
    assert f"max_epochs={max_epochs}" in finding["message"]
    # The rate named comes from the real scheduler: the formula at the epoch it names.
    if code == "trainer-stops-early":
        expected = formula_lr(max_epochs - 1, 1e-3, 1e-6, 3, 25)
    else:
        expected = max(formula_lr(k, 1e-3, 1e-6, 3, 25) for k in range(25, max_epochs + 1))
    assert f"{expected:.3e}" in finding["message"]


def test_an_empty_optimizer_name_is_refused(run) -> None:
    result = run("check", "--optimizer", " ")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "lrplan: error: invalid --optimizer: it is empty; give a name such as adamw or sgd"
    ]


# --- any scheduler from the command line ------------------------------------------------------


def settings_rows(out: str) -> dict[str, tuple[str, str]]:
    """The settings table: each row's key (params indented) -> (value, where it came from)."""
    block = re.split(r"settings(?:, from .*)?:\n", out, maxsplit=1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines():
        key, value, *source = re.split(r"\s{2,}", line.strip())
        rows[key] = (value, source[0] if source else "")
    return rows


def _any_scheduler() -> list[list[str]]:
    from lrplan.core.registry import BUILTINS

    lines = []
    for name, known in BUILTINS.items():
        params = [word for pair in known.example.split() for word in ("--param", pair)]
        lines.append(["--scheduler", name, *params])
    return [
        *lines,
        ["--scheduler", "cosine", "--interval", "step", "--steps-per-epoch", "10"],
        ["--scheduler", "cosine_restarts", "--param", "T_0=5", "--min-lr", "1e-6"],
        ["--scheduler", "torch.optim.lr_scheduler:StepLR", "--param", "step_size=3"],
        ["--scheduler", "hf:cosine"],
        ["--scheduler", "hf:linear", "--interval", "step", "--steps-per-epoch", "10"],
        ["--scheduler", "timm:cosine"],
        ["--scheduler", "timm:step", "--param", "decay_epochs=5"],
        ["--scheduler", "deepspeed:WarmupLR"],
        ["--scheduler", "deepspeed:WarmupDecayLR"],
        ["--scheduler", "deepspeed:WarmupCosineLR"],
    ]


@pytest.mark.parametrize("args", _any_scheduler(), ids=" ".join)
def test_check_shows_the_settings_of_any_scheduler(run, args: list[str]) -> None:
    result = run("check", "--lr", "1e-3", "--epochs", "8", *args)

    assert result.exit_code in (0, 1), result.output
    # stderr: nothing of lrplan's (DeepSpeed logs that 8 steps are fewer than its warm-up).
    assert "Traceback" not in result.output and "lrplan" not in result.stderr
    rows = settings_rows(result.stdout)
    assert rows["scheduler"] == (args[1], "--scheduler")
    assert rows["lr"] == ("1.000e-03", "--lr")
    assert rows["epochs"][0] == "8"
    assert not any("None" in value or "None" in source for value, source in rows.values())


def test_check_of_a_torch_cosine_with_its_length_as_a_param(run) -> None:
    # The command line: min_lr was None in the settings table, a traceback followed.
    import inspect

    from torch.optim.lr_scheduler import CosineAnnealingLR

    eta_min = inspect.signature(CosineAnnealingLR).parameters["eta_min"].default

    result = run(
        "check", "--scheduler", "cosine", "--param", "T_max=8", "--lr", "1e-3", "--epochs", "8"
    )

    assert result.exit_code == 0, result.output
    rows = settings_rows(result.stdout)
    # No --min-lr: torch's own eta_min applies, and the table says whose default it is.
    assert rows["min_lr"] == (f"{eta_min:.4g}", "CosineAnnealingLR's default eta_min")
    assert rows["T_max"] == ("8", "")
    assert rows["epochs"] == ("8", "--epochs; T_max is given as a param")
    assert "CosineAnnealingLR(optimizer, T_max=8)" in result.stdout


def test_check_says_which_of_a_setting_and_a_param_applies(run, tmp_path: Path) -> None:
    """A file's min_lr beside its own eta_min (options that clash are refused instead:
    test_cli_show.py::test_an_option_a_param_would_override_is_refused)."""
    path = tmp_path / "train.yaml"
    path.write_text("min_lr: 1e-5\nscheduler: cosine\nscheduler_params: {eta_min: 0.1}\n")
    result = run("check", "--config", str(path), "--lr", "1e-3", "--epochs", "25")

    rows = settings_rows(result.stdout)
    assert rows["eta_min"] == ("0.1", "scheduler_params.eta_min")
    assert rows["min_lr"] == ("1.000e-05", "min_lr; unused: eta_min is given as a param")
    assert "CosineAnnealingLR(optimizer, T_max=25, eta_min=0.1)" in result.stdout
