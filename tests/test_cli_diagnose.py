"""`lrplan diagnose`: the shipped logs named right, the rate checked, the outputs, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.formula import formula_lr
from tests.test_cli import _imported_modules

LOGS = Path(__file__).resolve().parent.parent / "examples" / "logs"


def diagnose_json(run, name: str, *args: str) -> dict:
    result = run(
        "diagnose",
        str(LOGS / f"{name}.csv"),
        "--config",
        str(LOGS / f"{name}.yaml"),
        *args,
        "--json",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def lightning_rows(name: str) -> list[dict[str, str]]:
    with open(LOGS / f"{name}.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("name", ["diverging", "slow", "plateau", "healthy"])
def test_each_shipped_log_is_named_for_what_its_run_did(run, name: str) -> None:
    document = diagnose_json(run, name)
    assert document["symptom"] == name
    assert document["command"] == "diagnose"
    assert document["log"]["loss_column"] == {
        "name": "train_loss_epoch",
        "guessed": True,
        "others": ["train_loss_step", "val_loss"],
    }
    # Each of these runs trained with its plan.
    assert document["lr_check"]["follows_plan"] is True
    assert document["lr_check"]["compared"] == 25

    terminal = run("diagnose", str(LOGS / f"{name}.csv"), "--config", str(LOGS / f"{name}.yaml"))
    assert terminal.exit_code == 0, terminal.output
    assert f"symptom   {name}" in terminal.stdout
    assert "\x1b[" not in terminal.stdout


def test_the_rows_hold_the_logged_loss_and_rates_and_the_formulas_plan(run) -> None:
    document = diagnose_json(run, "plateau")
    rows = document["rows"]
    assert [row["epoch"] for row in rows] == list(range(25))
    logged = lightning_rows("plateau")
    epoch_losses = [float(r["train_loss_epoch"]) for r in logged if r["train_loss_epoch"]]
    epoch_lrs = [float(r["lr-AdamW"]) for r in logged if r["lr-AdamW"]]
    for row, loss, lr in zip(rows, epoch_losses, epoch_lrs, strict=True):
        assert row["loss"] == loss
        assert row["logged_lr"] == lr
        assert row["planned_lr"] == pytest.approx(
            formula_lr(row["epoch"], 0.1, 0.08, 3, 25), rel=1e-12
        )


def test_a_symptom_brings_the_guides_remedy_as_tune_shows_it(run) -> None:
    document = diagnose_json(run, "plateau")
    tune = document["tune"]
    assert tune["command"] == "tune"
    assert tune["tune"]["symptom"] == "plateau"
    current, tuned = (candidate["config"] for candidate in tune["candidates"])
    assert (current["label"], tuned["label"]) == ("current", "tuned")
    assert (current["epochs"], current["min_lr"]) == (25, 0.08)
    # The guide's plateau rule: epochs × 2, min_lr × 0.1.
    assert (tuned["epochs"], tuned["min_lr"], tuned["lr"]) == (50, 0.008, 0.1)
    for row in tune["rows"]:
        assert row["lrs"][1] == pytest.approx(formula_lr(row["epoch"], 0.1, 0.008, 3, 50))

    shown = run(
        "diagnose", str(LOGS / "plateau.csv"), "--config", str(LOGS / "plateau.yaml")
    ).stdout
    flat = " ".join(shown.split())
    assert "lrplan tune plateau: the plan and the guide's remedy" in flat
    assert "change epochs 25 → 50 min_lr 0.08 → 0.008" in flat
    assert "ratio: tuned ÷ current" in flat


def test_healthy_has_nothing_to_tune(run) -> None:
    assert diagnose_json(run, "healthy")["tune"] is None
    shown = run("diagnose", str(LOGS / "healthy.csv"), "--config", str(LOGS / "healthy.yaml"))
    assert shown.stdout.rstrip().endswith(
        "healthy: nothing to tune (lrplan tune is for diverging, slow, plateau and overfitting)."
    )


DEPARTURES = [
    # (log, epoch the rate departs at, cause, logged and planned rates there)
    ("resumed", 12, "resume-fresh", 0.1 / 3, formula_lr(12, 0.1, 1e-5, 3, 25)),
    (
        "step-interval",
        1,
        "step-interval",
        formula_lr(128, 0.1, 1e-5, 3, 25),
        formula_lr(1, 0.1, 1e-5, 3, 25),
    ),
]


@pytest.mark.parametrize(
    ("name", "epoch", "cause", "logged", "planned"), DEPARTURES, ids=[d[0] for d in DEPARTURES]
)
def test_the_rate_of_a_buggy_loop_departs_with_its_cause(
    run, name: str, epoch: int, cause: str, logged: float, planned: float
) -> None:
    check = diagnose_json(run, name)["lr_check"]
    assert check["follows_plan"] is False
    assert check["departs_at_epoch"] == epoch
    assert check["departs_at_step"] == epoch * 128
    assert check["cause"] == cause
    assert check["logged"] == pytest.approx(logged, rel=1e-12)
    assert check["planned"] == pytest.approx(planned, rel=1e-12)

    shown = run("diagnose", str(LOGS / f"{name}.csv"), "--config", str(LOGS / f"{name}.yaml"))
    flat = " ".join(shown.stdout.split())
    assert f"lr check departs from the plan at epoch {epoch}:" in flat
    assert "likely cause" in flat


def test_without_a_plan_the_plan_is_read_from_the_logged_rate(run) -> None:
    result = run("diagnose", str(LOGS / "healthy.csv"))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    # Never lrplan's defaults: the run's own peak, warm-up and length.
    assert "lr=0.001" not in flat and "lrplan's defaults" not in flat
    assert (
        "plan no plan given: inferred from the logged rate (lr-AdamW): peak 1.000e-01 at"
        " epoch 2, floor (min_lr) 1.000e-05, warm-up 3 epochs, length 25 epochs"
    ) in flat
    assert "its shape is WarmupCosLR's: 25 of 25 logged rates" in flat
    assert "give --config (or --lr, --epochs, ...) to check the run against the plan" in flat
    document = json.loads(run("diagnose", str(LOGS / "healthy.csv"), "--json").stdout)
    assert document["plan"]["inferred"] is True
    assert document["config"]["lr"] == 0.1 and document["config"]["epochs"] == 25
    assert document["config"]["min_lr"] == 1e-5 and document["config"]["warmup_epochs"] == 3
    assert document["lr_check"] is None


@pytest.mark.parametrize("rises_to_the_end", [True, False])
def test_a_logged_rate_that_rises_to_the_end_says_the_warm_up_never_finished(
    run, tmp_path: Path, rises_to_the_end: bool
) -> None:
    # A Hugging Face run whose warm-up is longer than the run: the rate climbs linearly at
    # every logged step and never decays (warmup_steps counted against another length).
    steps = 400
    history = []
    for step in range(10, steps + 1, 10):
        warm = 1e-7 * step if rises_to_the_end else 1e-7 * min(step, 100) * (1 - step / 800)
        history.append({"step": step, "epoch": step / 40, "loss": 2.0 / (1 + step / 50),
                        "learning_rate": warm})  # fmt: skip
    state = {"global_step": steps, "max_steps": steps, "num_train_epochs": 10,
             "log_history": history}  # fmt: skip
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))

    result = run("diagnose", str(path))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    said = (
        "the logged rate rises until its last step (400): the warm-up never finished, so the"
        " run never trained at its peak or decayed"
    )
    assert (said in flat) is rises_to_the_end
    assert ("a rise to its last logged value" in flat) is rises_to_the_end


def test_without_a_plan_a_symptom_is_tuned_from_the_runs_values(run) -> None:
    # The diverging run peaks at lr=3: the remedy halves that, not lrplan's default 1e-3.
    document = json.loads(run("diagnose", str(LOGS / "diverging.csv"), "--json").stdout)
    assert document["symptom"] == "diverging"
    changes = document["tune"]["tune"]["changes"]
    assert "lr 3 → 1.5" in changes


def test_a_symptom_with_a_departed_rate_says_to_fix_the_rate_first(run) -> None:
    name = "step-interval"
    result = run("diagnose", str(LOGS / f"{name}.csv"), "--config", str(LOGS / f"{name}.yaml"))
    flat = " ".join(result.stdout.split())
    assert "The run did not train with the planned rate: fix that first." in flat
    assert "lrplan tune" in flat


def test_options_override_the_config_as_in_show(run) -> None:
    document = diagnose_json(run, "healthy", "--warmup-epochs", "5")
    assert document["config"]["warmup_epochs"] == 5
    assert document["lr_check"]["departs_at_epoch"] == 0
    assert document["lr_check"]["cause"] == "warmup"
    assert "warmup_epochs=3" in document["lr_check"]["explanation"]


def test_the_loss_column_can_be_chosen(run) -> None:
    document = diagnose_json(run, "diverging", "--loss-column", "val_loss")
    assert document["log"]["loss_column"]["name"] == "val_loss"
    assert document["log"]["loss_column"]["guessed"] is False
    vals = [float(r["val_loss"]) for r in lightning_rows("diverging") if r["val_loss"]]
    assert [row["loss"] for row in document["rows"]] == vals
    assert document["symptom"] == "diverging"


def test_a_log_of_steps_without_a_rate(run, tmp_path: Path) -> None:
    log = tmp_path / "steps.csv"
    losses = [2.0 * 0.97**step for step in range(60)]
    log.write_text("step,loss\n" + "".join(f"{i * 10},{v}\n" for i, v in enumerate(losses)))
    result = run("diagnose", str(log), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["log"]["unit"] == "step"
    assert document["lr_check"] is None
    assert "no learning-rate column" in document["lr_note"]
    # Falling 3% per logged step to the very end: it gets halfway late, so it is slow.
    halfway = next(i for i, v in enumerate(losses) if v <= (losses[0] + losses[-1]) / 2)
    assert document["symptom"] == "slow"
    assert document["reading"]["halfway_at_step"] == halfway * 10
    assert document["reading"]["halfway_share"] == pytest.approx(halfway / 59)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_png_draws_loss_and_rates_on_twin_axes(run, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"diagnosis{suffix}"
    result = run(
        "diagnose",
        str(LOGS / "resumed.csv"),
        "--config",
        str(LOGS / "resumed.yaml"),
        "--png",
        str(target),
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"wrote {target}"
    if suffix == ".png":
        assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        return
    text = target.read_text()
    for gid in ("diagnose-loss", "diagnose-planned-lr", "diagnose-logged-lr", "diagnose-tail-fit"):
        assert f'id="{gid}"' in text
    assert "lr departs at epoch 12" in text
    # The departure is part of the verdict in the title. (The symptom is a plateau: the
    # validation loss sits at its data's noise floor, 0.09, from the first epoch on.)
    assert "lrplan diagnose: plateau, lr departs from the plan at epoch 12 (resumed.csv)" in text


def test_help_names_the_options_and_imports_nothing_heavy(run) -> None:
    result = run("diagnose", "--help")
    flat = " ".join(result.stdout.split())
    for option in ("--loss-column", "--lr-column", "--config", "--png", "--json", "--all"):
        assert option in flat
    modules = _imported_modules("diagnose", "--help")
    assert "typer" in modules
    assert "torch" not in modules and "matplotlib" not in modules


BAD = [
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00", [], "is binary, not a CSV text file"),
    ("noloss.csv", b"epoch,accuracy\n0,0.5\n", [], "no loss column (columns: epoch, accuracy)"),
    ("norows.csv", b"epoch,step,train_loss\n", [], "has a header but no rows"),
    ("folder", None, [], "folder: is a folder without a training log"),
    ("run.json", b'{"epoch": 3}', [], "is JSON without a log_history list"),
    ("trainer_state.json", b'{"log_history": [{"loss": 1.0, "st', [], "is cut short"),
    ("empty.csv", b"", [], "empty.csv: is empty"),
    ("cut.csv", b"epoch,loss\n0,1.0\n1,0.5e", [], "line 3: loss '0.5e' is not a number"),
    ("events.out.tfevents.1.host", b"", [], "is empty"),
    (
        "events.out.tfevents.2.host",
        b"\x18\x00\x00\x00\x00\x00\x00\x00garbage!",
        [],
        "cut short or corrupt",
    ),
    ("missing.csv", None, [], "missing.csv: no such file"),
    ("ok.csv", b"epoch,loss\n0,1\n", ["--loss-column", "val"], "invalid --loss-column"),
    ("ok.csv", b"epoch,loss\n0,1\n", ["--lr", "fast"], "invalid --lr: 'fast' is not a number"),
    ("ok.csv", b"epoch,loss\n0,1\n", ["--png", "out.gif"], "--png out.gif: unknown file type"),
    (
        "ok.csv",
        b"epoch,loss\n0,1\n",
        ["--set", "scheduler=cosine"],
        "--set: names scheduler cosine, but diagnose checks logs against WarmupCosLR plans",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "args", "expected"), BAD, ids=[f"{b[0]} {b[3]}" for b in BAD]
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    run, tmp_path: Path, monkeypatch, name: str, content: bytes | None, args, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    if name == "folder":
        Path(name).mkdir()
        (Path(name) / "notes.txt").write_text("no log here")
    elif content is not None:
        Path(name).write_bytes(content)
    before = set(tmp_path.iterdir())
    png = [] if "--png" in args else ["--png", "out.png"]
    result = run("diagnose", name, *args, *png)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert set(tmp_path.iterdir()) == before


def test_a_missing_log_argument_is_a_usage_error(run) -> None:
    result = run("diagnose")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "lrplan: error: LOG is required (see 'root diagnose --help')"
    ]


def test_without_a_rate_or_a_plan_only_the_logs_length_is_tuned(run) -> None:
    log = Path(__file__).parent / "data" / "logs"
    # A PINN's loss, flat for its last 70 epochs, with no rate and no validation curve logged.
    name = "lightning__Macro1027_Simple-Pendulum-PINN__v0.csv"
    document = json.loads(run("diagnose", str(log / name), "--json").stdout)
    assert document["symptom"] == "plateau"
    assert document["config"] is None and document["tune"] is None
    assert document["length_changes"] == ["epochs 100 → 200"]
    flat = " ".join(run("diagnose", str(log / name)).stdout.split())
    assert "for this run: epochs 100 → 200 (the log's own length)" in flat
    assert "there are no values to tune" in flat


@pytest.mark.parametrize(
    ("content", "symptom"),
    [
        (b"epoch,train_loss\n0,nan\n1,nan\n", "diverging"),
        (b"epoch,loss\n0,1\n1,0.5\n", "unjudgeable"),
    ],
)
def test_a_nan_log_diverges_and_a_short_one_cannot_be_judged(
    run, tmp_path: Path, content: bytes, symptom: str
) -> None:
    path = tmp_path / "metrics.csv"
    path.write_bytes(content)
    result = run("diagnose", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["symptom"] == symptom
    shown = run("diagnose", str(path))
    assert f"symptom   {symptom}" in shown.stdout
