"""Reading training logs: Lightning's CSVLogger layout, column guesses, one loss per epoch."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from lrplan.errors import LrplanError
from lrplan.inputs.logs import MAX_STEP_POINTS, guess_loss_column, guess_lr_columns, read_log


def lightning_csv(
    step_losses: list[list[float]],
    lrs: list[float],
    val_losses: list[float],
    log_every: int = 2,
) -> str:
    """What CSVLogger writes for a module logging train_loss (step and epoch) and val_loss,
    with LearningRateMonitor(logging_interval="epoch"): columns sorted, one row per call."""
    rows: list[dict[str, object]] = []
    step = 0
    for epoch, losses in enumerate(step_losses):
        rows.append({"lr-AdamW": lrs[epoch], "step": step})
        for loss in losses:
            if (step + 1) % log_every == 0:
                rows.append({"train_loss_step": loss, "epoch": epoch, "step": step})
            step += 1
        rows.append({"val_loss": val_losses[epoch], "epoch": epoch, "step": step - 1})
        mean = sum(losses) / len(losses)
        rows.append({"train_loss_epoch": mean, "epoch": epoch, "step": step - 1})
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=sorted(set().union(*rows)), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue()


def write(tmp_path: Path, text: str, name: str = "metrics.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


STEP_LOSSES = [[4.0, 3.0, 2.0, 3.0], [1.0, 1.5, 0.5, 1.0], [0.5, 0.25, 0.75, 0.5]]
LRS = [1e-3 / 3, 2e-3 / 3, 1e-3]
VAL = [2.5, 1.2, 0.6]


def test_lightning_layout_gives_one_loss_per_epoch_and_every_logged_rate(tmp_path: Path) -> None:
    path = write(tmp_path, lightning_csv(STEP_LOSSES, LRS, VAL))
    assert path.read_text().splitlines()[0] == (
        "epoch,lr-AdamW,step,train_loss_epoch,train_loss_step,val_loss"
    )

    log = read_log(path)

    assert log.unit == "epoch"
    assert log.loss.name == "train_loss_epoch" and log.loss.guessed
    assert log.loss.others == ("train_loss_step", "val_loss")
    assert log.lr is not None and log.lr.name == "lr-AdamW" and log.lr.guessed
    assert log.positions == (0, 1, 2)
    assert log.losses == pytest.approx([3.0, 1.0, 0.5])
    # The rate rows carry no epoch: each belongs to the epoch it starts.
    assert [(lr.epoch, lr.step, lr.lr) for lr in log.lrs] == [
        (0, 0, LRS[0]),
        (1, 4, LRS[1]),
        (2, 8, LRS[2]),
    ]
    assert log.steps_per_epoch == 4
    assert log.rows == 3 * (1 + 2 + 2)


def test_a_chosen_step_column_is_averaged_per_epoch(tmp_path: Path) -> None:
    step_losses = [[4.0 / (epoch + 1), 3.0 / (epoch + 1)] for epoch in range(10)]
    lrs = [1e-3] * 10
    path = write(tmp_path, lightning_csv(step_losses, lrs, [1.0] * 10, log_every=1))
    log = read_log(path, loss_column="train_loss_step")
    assert not log.loss.guessed
    assert log.unit == "epoch" and log.notes == ()
    assert log.losses == pytest.approx([sum(losses) / 2 for losses in step_losses])
    val = read_log(path, loss_column="val_loss")
    assert val.losses == pytest.approx([1.0] * 10)


def test_a_loss_logged_per_step_in_few_epochs_is_read_per_step(tmp_path: Path) -> None:
    # 3 epochs, but 12 logged steps: three epoch means would hide the curve.
    path = write(tmp_path, lightning_csv(STEP_LOSSES, LRS, VAL, log_every=1))
    log = read_log(path, loss_column="train_loss_step")
    assert log.unit == "step"
    assert log.positions == tuple(range(12))
    assert log.losses == pytest.approx([loss for losses in STEP_LOSSES for loss in losses])
    assert log.notes == (
        "read per logged step: train_loss_step was logged at 12 steps over 3 epochs",
    )
    # The rates keep their epochs, for a plan stepped per epoch.
    assert [(lr.epoch, lr.step) for lr in log.lrs] == [(0, 0), (1, 4), (2, 8)]


def test_a_nan_anywhere_in_a_point_makes_that_point_nan(tmp_path: Path) -> None:
    step_losses = [[4.0, 3.0]] * 10
    step_losses = [*step_losses[:1], [1.0, math.nan], [math.inf, 0.5], *step_losses[3:]]
    path = write(tmp_path, lightning_csv(step_losses, [1e-3] * 10, [1.0] * 10, log_every=1))
    log = read_log(path, loss_column="train_loss_step")
    assert log.losses[0] == 3.5
    assert math.isnan(log.losses[1])
    assert log.losses[2] == math.inf
    # Lightning writes a NaN as "nan": the epoch column reads it too.
    assert "nan" in path.read_text()
    only_nan = read_log(write(tmp_path, "epoch,loss\n0,nan\n1,NaN\n", "nan.csv"))
    assert all(math.isnan(loss) for loss in only_nan.losses)


def test_a_folder_holding_metrics_csv_is_read(tmp_path: Path) -> None:
    write(tmp_path, lightning_csv(STEP_LOSSES, LRS, VAL))
    assert read_log(tmp_path).path == tmp_path / "metrics.csv"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_plain_csv_with_any_common_delimiter(tmp_path: Path, delimiter: str) -> None:
    lines = ["Epoch,Loss,LR"] + [f"{e},{1 / (e + 1)},{0.1 * (e + 1)}" for e in range(4)]
    path = write(tmp_path, "\n".join(lines).replace(",", delimiter) + "\n", "log.csv")
    log = read_log(path)
    assert (log.loss.name, log.lr.name if log.lr else None) == ("Loss", "LR")
    assert log.losses == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    assert [lr.lr for lr in log.lrs] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert log.steps_per_epoch is None


def test_a_log_without_epochs_is_read_per_step_and_bucketed(tmp_path: Path) -> None:
    count = MAX_STEP_POINTS * 3 + 1
    lines = ["global_step,loss"] + [f"{step},{step}" for step in range(count)]
    log = read_log(write(tmp_path, "\n".join(lines) + "\n", "steps.csv"))
    assert log.unit == "step"
    assert log.steps_per_point == 4
    assert log.positions[:3] == (0, 4, 8)
    assert log.losses[:2] == pytest.approx([1.5, 5.5])  # means of 0–3 and 4–7
    assert log.losses[-1] == count - 1  # the last bucket holds one step
    assert log.lr is None and log.lrs == ()


def test_a_short_last_row_is_padded_as_a_file_cut_off_while_written(tmp_path: Path) -> None:
    text = "epoch,train_loss,lr\n0,1.0,0.1\n1,0.5,0.2\n2,0.25"
    log = read_log(write(tmp_path, text))
    assert log.losses == (1.0, 0.5, 0.25)
    assert [lr.epoch for lr in log.lrs] == [0, 1]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["epoch", "step", "train_loss_step", "val_loss", "train_loss_epoch"],
            ["train_loss_epoch", "train_loss_step", "val_loss"],
        ),
        (["epoch", "val_loss", "loss"], ["loss", "val_loss"]),
        (
            ["epoch", "train/loss", "valid/loss", "test_loss"],
            ["train/loss", "valid/loss", "test_loss"],
        ),
        (["epoch", "loss_step", "loss_epoch"], ["loss_epoch", "loss_step"]),
        (["epoch", "accuracy"], []),
        # A training loss's components come after the Trainer's whole `loss` (HF logs both).
        (
            ["step", "train/ploss_0", "train/kl_loss", "loss", "eval_loss"],
            ["loss", "train/kl_loss", "train/ploss_0", "eval_loss"],
        ),
        (
            ["epoch", "train_kl_loss", "train_loss", "loss_0"],
            ["train_loss", "train_kl_loss", "loss_0"],
        ),
    ],
)
def test_the_loss_guess_prefers_the_training_loss_per_epoch(
    columns: list[str], expected: list[str]
) -> None:
    assert guess_loss_column(columns) == expected


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["epoch", "lr-AdamW", "lr-AdamW-momentum", "step"], ["lr-AdamW"]),
        (["lr-SGD/pg2", "lr-SGD/pg1", "loss"], ["lr-SGD/pg2", "lr-SGD/pg1"]),
        (["lr-AdamW/pg1", "lr-Adam"], ["lr-Adam", "lr-AdamW/pg1"]),
        (["learning_rate", "lr_scale", "lr-SGD-weight_decay", "epoch"], ["learning_rate"]),
        (["optim/lr", "lr"], ["optim/lr", "lr"]),
        (["epoch", "loss", "flr"], []),
    ],
)
def test_the_lr_guess_finds_lightnings_monitor_columns(
    columns: list[str], expected: list[str]
) -> None:
    assert guess_lr_columns(columns) == expected


BAD = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00", "is binary, not a CSV text file"),
    ("latin-1", "epoch,loss\n0,1.0 \xe9\n".encode("latin-1"), "is not UTF-8 text"),
    ("empty", b"\n\n", "is empty"),
    ("header only", b"epoch,train_loss\n", "has a header but no rows"),
    ("no position", b"loss,lr\n1.0,0.1\n", "no epoch or step column (columns: loss, lr)"),
    ("no loss", b"epoch,accuracy\n0,0.5\n", "no loss column (columns: epoch, accuracy)"),
    ("empty loss", b"epoch,loss,val_loss\n0,,\n", "an empty loss column"),
    ("long row", b"epoch,loss\n0,1.0\n1,0.5,7\n", "line 3 has 3 cells but the header 2"),
    ("text value", b"epoch,loss\n0,tensor(0.5)\n", "line 2: loss 'tensor(0.5)' is not a number"),
    ("half epoch", b"epoch,loss\n0.5,1.0\n", "line 2: epoch '0.5' is not a whole number"),
    ("twice", b"epoch,loss,loss\n0,1,2\n", "column 'loss' appears twice"),
    ("negative lr", b"epoch,loss,lr\n0,1,-0.1\n", "line 2: lr '-0.1' is not a learning rate"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_logs_raise_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / "metrics.csv"
    path.write_bytes(content)
    with pytest.raises(LrplanError) as raised:
        read_log(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_files_and_folders_say_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(LrplanError, match=r"no such file; give a training log, or the run folder"):
        read_log(tmp_path / "missing.csv")
    with pytest.raises(
        LrplanError, match=r"is a folder without a training log: no metrics\.csv \(Lightning"
    ):
        read_log(tmp_path)
    config = tmp_path / "train.yaml"
    config.write_text("lr: 1e-3\n")
    with pytest.raises(LrplanError, match="is a YAML file, not a training log; give the log's"):
        read_log(config)


def test_unknown_chosen_columns_list_the_candidates(tmp_path: Path) -> None:
    path = write(tmp_path, lightning_csv(STEP_LOSSES, LRS, VAL))
    with pytest.raises(LrplanError) as raised:
        read_log(path, loss_column="train_los")
    assert str(raised.value) == (
        f"invalid --loss-column: {path} has no column 'train_los'; give one of"
        " train_loss_epoch, train_loss_step, val_loss"
    )
    with pytest.raises(LrplanError, match=r"invalid --lr-column: .* give one of lr-AdamW"):
        read_log(path, lr_column="lr")


def test_a_log_written_by_lightnings_csvlogger() -> None:
    """Lightning 2.6.6's own metrics.csv (see tests/test_examples.py for how it was made)."""
    from tests.formula import formula_lr

    log = read_log(Path(__file__).parent / "data" / "lightning_metrics.csv")
    assert (log.unit, len(log), log.steps_per_epoch, log.rows) == ("epoch", 12, 32, 43)
    assert log.loss.name == "train_loss_epoch"
    assert [(lr.epoch, lr.step) for lr in log.lrs] == [(e, 32 * e) for e in range(12)]
    assert [lr.lr for lr in log.lrs] == pytest.approx(
        [formula_lr(e, 0.1, 1e-5, 3, 12) for e in range(12)], rel=1e-12
    )
    assert log.losses[0] == pytest.approx(17.923532485961914)
