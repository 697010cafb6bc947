"""`lrplan equivalent`: the torch composition it prints reproduces WarmupCosLR.

The printed code is taken from the command's output and run here with a real SGD; its rates
are checked against the design document's formula (tests/formula.py), never against lrplan.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import torch

from lrplan.analysis.equivalent import equivalence
from lrplan.core.composition import composition_code
from lrplan.core.config import ScheduleConfig
from tests.formula import formula_lr

CONFIGS = [
    # lr, min_lr, warmup_epochs, epochs
    (1e-3, 1e-5, 3, 25),
    (1e-3, 1e-5, 0, 25),
    (1e-3, 1e-5, 1, 25),
    (0.1, 0.0, 2, 3),
    (0.1, 0.0, 0, 1),
    (5e-4, 5e-4, 4, 9),
    (2e-3, 1e-6, 10, 90),
]


def printed_code(out: str) -> str:
    """The code block of ``lrplan equivalent``'s output: from its first comment line to the
    line that builds ``scheduler``."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("# optimizer"))
    stop = next(index for index, line in enumerate(lines) if line.startswith("scheduler = "))
    return "\n".join(lines[start : stop + 1]) + "\n"


def run_code(code: str, lr: float, count: int) -> list[float]:
    """Run ``code`` as a user would paste it: with a real SGD built with lr = the peak."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    namespace: dict[str, object] = {"optimizer": optimizer}
    exec(code, namespace)
    scheduler = namespace["scheduler"]
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return lrs


@pytest.mark.parametrize(("lr", "min_lr", "warmup", "epochs"), CONFIGS)
def test_the_printed_code_reproduces_the_formula(run, lr, min_lr, warmup, epochs) -> None:
    result = run(
        "equivalent",
        *("--lr", repr(lr), "--min-lr", repr(min_lr)),
        *("--warmup-epochs", str(warmup), "--epochs", str(epochs)),
    )

    assert result.exit_code == 0, result.output
    code = printed_code(result.stdout)
    expected = [formula_lr(k, lr, min_lr, warmup, epochs) for k in range(epochs)]
    assert run_code(code, lr, epochs) == pytest.approx(expected, rel=1e-9, abs=0)
    flat = " ".join(result.stdout.split())
    assert f" {epochs} trained epochs" in flat
    assert "the same schedule" in flat and "they differ" not in flat


def test_the_edge_cases_of_the_warm_up() -> None:
    none = composition_code(ScheduleConfig(warmup_epochs=0, epochs=25))
    assert "scheduler = CosineAnnealingLR(optimizer, T_max=25, eta_min=1e-05)" in none
    assert "LinearLR" not in none and "SequentialLR" not in none

    one = composition_code(ScheduleConfig(warmup_epochs=1, epochs=25))
    assert "LinearLR(optimizer, start_factor=1.0, end_factor=1.0, total_iters=1)" in one
    assert "CosineAnnealingLR(optimizer, T_max=24, eta_min=1e-05)" in one
    assert "milestones=[1]" in one

    three = composition_code(ScheduleConfig(warmup_epochs=3, epochs=25))
    assert "LinearLR(optimizer, start_factor=1 / 3, end_factor=1.0, total_iters=2)" in three
    assert "CosineAnnealingLR(optimizer, T_max=22, eta_min=1e-05)" in three


def test_step_mode_counts_steps() -> None:
    config = ScheduleConfig(warmup_epochs=2, epochs=5, interval="step", steps_per_epoch=10)
    code = composition_code(config)

    assert "total_iters=19" in code and "T_max=30" in code and "milestones=[20]" in code
    assert "# Lengths in optimizer steps" in code
    expected = [formula_lr(k, 1e-3, 1e-5, 20, 50) for k in range(50)]
    assert run_code(code, 1e-3, 50) == pytest.approx(expected, rel=1e-9, abs=0)


@pytest.mark.parametrize(("lr", "min_lr", "warmup", "epochs"), CONFIGS)
def test_the_largest_difference_is_rounding(lr, min_lr, warmup, epochs) -> None:
    found = equivalence(ScheduleConfig(lr=lr, min_lr=min_lr, warmup_epochs=warmup, epochs=epochs))

    assert found.max_relative_difference < 1e-12
    assert found.same
    worst = max(abs(b - a) / a for a, b in zip(found.warmup_cos.lrs, found.torch.lrs, strict=True))
    assert found.max_relative_difference == worst


def test_the_alternatives_are_described_with_the_configs_lengths(run) -> None:
    result = run("equivalent", "--warmup-epochs", "4", "--epochs", "30")

    flat = " ".join(result.stdout.split())
    assert (
        "Hugging Face get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=4,"
        " num_training_steps=30)"
    ) in flat
    assert "It starts at 0: its epoch 0 trains at a learning rate of 0" in flat
    assert "decays to 0 (at epoch 30), not to min_lr=1e-05" in flat
    assert "timm CosineLRScheduler(optimizer, t_initial=30, lr_min=1e-05, warmup_t=4)" in flat
    assert "starts from warmup_lr_init (0 unless set), not from lr / 4" in flat


def test_code_is_never_wrapped_in_a_narrow_terminal(run, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")

    result = run("equivalent", "--warmup-epochs", "12", "--epochs", "100")

    line = "warmup = LinearLR(optimizer, start_factor=1 / 12, end_factor=1.0, total_iters=11)"
    assert line in result.stdout.splitlines()
    # The report below the code wraps to the terminal.
    report = result.stdout.split("\nsame ", 1)[1].splitlines()
    assert len(report) > 5 and max(len(text) for text in report) <= 60


def test_compare_shows_both_side_by_side(run) -> None:
    result = run("equivalent", "--epochs", "8", "--warmup-epochs", "2", "--compare")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "WarmupCosLR and torch's composition  (stepped per epoch)" in out
    header = next(line for line in out.splitlines() if "┃ epoch" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "epoch",
        "WarmupCosLR",
        "SequentialLR",
        "ratio",
    ]
    ratios = [line.split("│")[4].strip() for line in out.splitlines() if line.startswith("│     ")]
    assert ratios[:8] == ["1.00×"] * 8
    assert "peak epochs" in out and "area under curve" in out


def test_json_csv_and_png(run, tmp_path) -> None:
    target = tmp_path / "both.csv"
    image = tmp_path / "both.png"

    result = run("equivalent", "--epochs", "6", "--csv", str(target), "--png", str(image), "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["command"] == "equivalent"
    assert [c["label"] for c in document["candidates"]] == ["WarmupCosLR", "SequentialLR"]
    assert [c["scheduler"] for c in document["candidates"]] == ["WarmupCosLR", "SequentialLR"]
    details = document["equivalent"]
    assert details["code"] == composition_code(ScheduleConfig(epochs=6))
    assert details["max_relative_difference"] < 1e-12 and details["same"] is True
    assert [a["name"].split()[0] for a in details["alternatives"]] == ["Hugging", "timm"]
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    expected = [formula_lr(k, 1e-3, 1e-5, 3, 6) for k in range(6)]
    assert [float(row["WarmupCosLR"]) for row in rows] == pytest.approx(expected, rel=1e-12)
    assert [float(row["SequentialLR"]) for row in rows] == pytest.approx(expected, rel=1e-9)
    assert image.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--all"], "--all shows every row of --compare's tables; add --compare"),
        (["--warmup-epochs", "25"], "invalid --warmup-epochs"),
        (["--lr", "0"], "invalid --lr"),
        (["--json", "--csv", "-"], "--json and --csv - both want stdout"),
    ],
)
def test_bad_input_is_one_line(run, args: list[str], expected: str) -> None:
    result = run("equivalent", *args)

    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert result.stdout == ""


def test_a_config_naming_another_scheduler_is_refused(run, tmp_path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("epochs: 20\nscheduler: step\nscheduler_params: {step_size: 3}\n")

    result = run("equivalent", "--config", str(path))

    assert result.exit_code == 2
    assert "lrplan equivalent composes WarmupCosLR (scheduler warmup_cos)" in result.stderr


def test_the_two_identical_curves_are_both_visible_in_the_plot() -> None:
    from lrplan.analysis.equivalent import torch_config
    from lrplan.core.planner import plan
    from lrplan.output.plot import plot_figure

    config = ScheduleConfig(epochs=10)
    figure = plot_figure([("a", plan(config)), ("b", plan(torch_config(config)))])

    lines = {line.get_gid(): line for line in figure.axes[0].get_lines() if line.get_gid()}
    assert lines["lr-curve-0"].get_linestyle() == "-"
    assert lines["lr-curve-1"].get_linestyle() == "--"  # dashed over the first


def test_the_alternatives_are_measured_with_their_own_classes() -> None:
    """The differences equivalent states come from transformers' and timm's own code."""
    from transformers import get_cosine_schedule_with_warmup

    from lrplan.core.frameworks.timm import import_timm_module

    config = ScheduleConfig(lr=0.1, min_lr=0.0, warmup_epochs=3, epochs=25)
    hugging_face, timm = equivalence(config).measured
    assert hugging_face is not None and timm is not None
    assert hugging_face.library.startswith("transformers ")
    assert timm.library.startswith("timm ")

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = get_cosine_schedule_with_warmup(optimizer, 3, 25)
    expected = []
    for _ in range(25):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert list(hugging_face.lrs) == pytest.approx(expected, rel=1e-12)
    assert (hugging_face.lrs[0], hugging_face.peak_at, hugging_face.peak_rows) == (0.0, 3, 1)

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    cosine = import_timm_module().CosineLRScheduler(optimizer, t_initial=25, lr_min=0.0, warmup_t=3)
    expected = []
    for epoch in range(25):
        expected.append(optimizer.param_groups[0]["lr"])
        cosine.step(epoch + 1)
    assert list(timm.lrs) == pytest.approx(expected, rel=1e-12)
    # warmup_prefix=False: already below lr when the warm-up ends, never at the peak.
    assert timm.peak < 0.1 and timm.lrs[0] == 0.0


def test_json_says_what_was_measured(run) -> None:
    result = run("equivalent", "--epochs", "6", "--json")
    details = json.loads(result.stdout)["equivalent"]
    measured = [alternative["measured"] for alternative in details["alternatives"]]
    assert measured[0]["first_lr"] == 0.0 and measured[0]["library"].startswith("transformers")
    assert measured[1]["library"].startswith("timm")
