"""The Lightning callback with the real Trainer: tiny model, CPU, a few dozen steps.

The expected rates are the ones the run really trains with, recorded before every optimizer
step together with the scheduler's own count of its calls.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

pl = pytest.importorskip("lightning.pytorch")

from lrplan import LrplanError  # noqa: E402
from lrplan.integrations import PlanWarning  # noqa: E402
from lrplan.integrations._lightning import Steps  # noqa: E402
from lrplan.integrations.lightning import LRPlanCallback  # noqa: E402

# Lightning warns about the tiny data loaders and its own deprecations; PlanWarning is checked
# where it matters, with pytest.warns or a record of every warning.
pytestmark = pytest.mark.filterwarnings("ignore")

BATCHES = 10


class Tiny(pl.LightningModule):
    def __init__(self, make_scheduler: Any, interval: str = "step", frequency: int = 1) -> None:
        super().__init__()
        self.net = torch.nn.Linear(4, 1)
        self.make_scheduler = make_scheduler
        self.interval = interval
        self.frequency = frequency

    def training_step(self, batch: Any, index: int) -> torch.Tensor:
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self.net(inputs), targets)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = self.make_scheduler(optimizer, self.trainer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {
                "scheduler": scheduler,
                "interval": self.interval,
                "frequency": self.frequency,
            },
        }


class Recorder(pl.Callback):
    """The rate of every optimizer step, and how many times the scheduler had been stepped."""

    def __init__(self) -> None:
        self.lrs: list[float] = []
        self.calls: list[int] = []

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.lrs.append(optimizer.param_groups[0]["lr"])
        self.calls.append(trainer.lr_scheduler_configs[0].scheduler.last_epoch)


def data(batches: int = BATCHES) -> DataLoader[Any]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(batches * 4, 4, generator=generator)
    return DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=4)


def fit(
    model: Tiny,
    callbacks: list[Any],
    *,
    max_epochs: int = 3,
    accumulate: int = 1,
    root: Path | None = None,
    ckpt_path: str | None = None,
) -> Any:
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        accumulate_grad_batches=accumulate,
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=root,
    )
    trainer.fit(model, data(), ckpt_path=ckpt_path)
    return trainer


def cosine_over_run(optimizer: Any, trainer: Any) -> Any:
    return torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=trainer.estimated_stepping_batches, eta_min=1e-3
    )


def warmup_then_cosine(optimizer: Any, trainer: Any) -> Any:
    total = trainer.estimated_stepping_batches
    return torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - 4),
        ],
        milestones=[4],
    )


def run_exactly(model: Tiny, **options: Any) -> tuple[LRPlanCallback, Recorder]:
    callback, recorder = LRPlanCallback(strict=True), Recorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, [callback, recorder], **options)
    assert not [warning for warning in caught if issubclass(warning.category, PlanWarning)]
    return callback, recorder


@pytest.mark.parametrize(
    ("make", "accumulate", "frequency"),
    [
        (cosine_over_run, 1, 1),
        (warmup_then_cosine, 1, 1),
        (cosine_over_run, 3, 1),
        (lambda o, t: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5), 1, 3),
    ],
)
def test_the_planned_rates_are_the_rates_of_every_optimizer_step(
    make: Any, accumulate: int, frequency: int
) -> None:
    callback, recorder = run_exactly(Tiny(make, "step", frequency), accumulate=accumulate)

    planned = callback.plans[0].schedule
    assert planned is not None
    assert recorder.lrs == [planned.lrs[calls] for calls in recorder.calls]
    assert len(planned.lrs) == recorder.calls[-1] + 1
    if frequency == 1:
        assert list(planned.lrs) == recorder.lrs


@pytest.mark.parametrize(("frequency", "rows"), [(1, 5), (2, 3)])
def test_an_epoch_scheduler_is_planned_per_epoch(frequency: int, rows: int) -> None:
    def make(optimizer: Any, trainer: Any) -> Any:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=rows)

    callback, recorder = run_exactly(Tiny(make, "epoch", frequency), max_epochs=5)

    planned = callback.plans[0].schedule
    assert planned is not None and planned.config.unit == "epoch"
    # Lightning steps it after every frequency-th epoch: epoch e trains at row e // frequency.
    epochs = [step // BATCHES for step in range(5 * BATCHES)]
    assert recorder.lrs == [planned.lrs[epoch // frequency] for epoch in epochs]
    assert len(planned.lrs) == rows


def test_a_resumed_run_is_planned_from_the_restored_state_to_the_end(tmp_path: Path) -> None:
    model = Tiny(lambda o, t: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40))
    first = fit(model, [], max_epochs=1, root=tmp_path)
    checkpoint = tmp_path / "one-epoch.ckpt"
    first.save_checkpoint(checkpoint)

    callback, recorder = LRPlanCallback(strict=True), Recorder()
    resumed = Tiny(lambda o, t: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40))
    fit(resumed, [callback, recorder], max_epochs=4, root=tmp_path, ckpt_path=str(checkpoint))

    planned = callback.plans[0].schedule
    assert planned is not None
    assert len(recorder.lrs) == 30
    assert list(planned.lrs) == recorder.lrs
    assert (
        "30 rates planned to the end of the run, resumed at its step 10"
        in callback.plans[0].lines[0]
    )


class SaveAt(pl.Callback):
    """Save a checkpoint where a real run's ModelCheckpoint would: inside the batch loop (every
    n steps) or at the end of the first epoch."""

    def __init__(self, path: Path, step: int | None) -> None:
        self.path, self.step = path, step

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        if self.step is not None and trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.step is None and trainer.current_epoch == 0:
            trainer.save_checkpoint(self.path)


class EpochRecorder(Recorder):
    """The rate of each epoch's first optimizer step, by epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        super().on_before_optimizer_step(trainer, pl_module, optimizer)
        self.epochs.append(trainer.current_epoch)

    def per_epoch(self) -> list[float]:
        first = {epoch: lr for epoch, lr in reversed(list(zip(self.epochs, self.lrs, strict=True)))}
        return [first[epoch] for epoch in sorted(first)]


@pytest.mark.parametrize(
    ("saved_at", "batches", "limits", "accumulate", "interval"),
    [
        # An epoch-end checkpoint resumed with fewer, then more, batches per epoch.
        (None, 5, {"max_epochs": 4}, 1, "step"),
        (None, 20, {"max_epochs": 4}, 3, "step"),
        # Saved inside an epoch: the rest of that epoch, then whole epochs.
        (15, 10, {"max_epochs": 4}, 1, "step"),
        (5, 10, {"max_epochs": 4}, 3, "step"),
        (15, 20, {"max_epochs": 4}, 1, "step"),
        (15, 5, {"max_epochs": 4}, 3, "step"),
        # With max_steps Lightning restarts an epoch-end checkpoint by running one more batch
        # of the saved epoch, which then counts twice.
        (None, 10, {"max_epochs": 4, "max_steps": 22}, 3, "step"),
        (None, 5, {"max_epochs": 4, "max_steps": 22}, 1, "step"),
        (None, 5, {"max_epochs": -1, "max_steps": 33}, 3, "step"),
        # A per-epoch scheduler: which epochs train decides its rows.
        (None, 5, {"max_epochs": 4, "max_steps": 22}, 1, "epoch"),
        (15, 5, {"max_epochs": -1, "max_steps": 33}, 3, "epoch"),
        (None, 20, {"max_epochs": -1, "max_steps": 33}, 1, "epoch"),
    ],
)
def test_a_resumed_run_whose_epochs_changed_length_is_planned_as_lightning_runs_it(
    tmp_path: Path,
    saved_at: int | None,
    batches: int,
    limits: dict[str, int],
    accumulate: int,
    interval: str,
) -> None:
    def make(optimizer: Any, trainer: Any) -> Any:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)

    checkpoint = tmp_path / "saved.ckpt"
    trainer_options: dict[str, Any] = {
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "accelerator": "cpu",
        "default_root_dir": tmp_path,
        "accumulate_grad_batches": accumulate,
    }
    first = pl.Trainer(callbacks=[SaveAt(checkpoint, saved_at)], max_epochs=4, **trainer_options)
    first.fit(Tiny(make, interval), data())

    callback, recorder = LRPlanCallback(), EpochRecorder()
    resumed = pl.Trainer(callbacks=[callback, recorder], **limits, **trainer_options)
    resumed.fit(Tiny(make, interval), data(batches), ckpt_path=str(checkpoint))

    planned = callback.plans[0].schedule
    assert planned is not None and recorder.lrs
    expected = recorder.lrs if interval == "step" else recorder.per_epoch()
    assert list(planned.lrs) == expected


def mis_set(optimizer: Any, trainer: Any) -> Any:
    # T_max counts the epochs, but the scheduler is stepped every optimizer step.
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=trainer.max_epochs)


def test_strict_stops_a_mis_set_t_max_before_the_first_step() -> None:
    recorder = Recorder()

    with pytest.raises(LrplanError) as raised:
        fit(Tiny(mis_set), [LRPlanCallback(strict=True), recorder])

    assert recorder.lrs == []
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("lrplan stopped the run before its first step:")
    assert "T_max" in message


def test_without_strict_a_mis_set_t_max_only_warns() -> None:
    recorder = Recorder()

    with pytest.warns(PlanWarning, match="T_max=3, the number of epochs the run trains"):
        fit(Tiny(mis_set), [LRPlanCallback(), recorder])

    assert len(recorder.lrs) == 3 * BATCHES


def test_a_t_max_shorter_than_the_run_is_a_warning() -> None:
    def short(optimizer: Any, trainer: Any) -> Any:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)

    with pytest.warns(PlanWarning, match="T_max=20, but the run steps it 30 times"):
        fit(Tiny(short), [LRPlanCallback()])


def test_a_scheduler_that_would_fail_mid_run_stops_a_strict_run_before_it_starts() -> None:
    def one_cycle(optimizer: Any, trainer: Any) -> Any:
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=20)

    recorder = Recorder()
    with pytest.raises(LrplanError) as raised:
        fit(Tiny(one_cycle), [LRPlanCallback(strict=True), recorder])

    assert recorder.lrs == []
    assert str(raised.value).startswith(
        "lrplan stopped the run before its first step: OneCycleLR cannot be planned for this"
        " run: OneCycleLR raised ValueError when stepped at last_epoch=21"
    )
    assert str(raised.value).endswith(
        "Build it with total_steps=30 (the calls of step() this run makes)."
    )


def test_a_resumed_plan_says_nothing_of_a_warm_up() -> None:
    def resumed(optimizer: Any, trainer: Any) -> Any:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=40)
        for _ in range(10):
            optimizer.step()
            scheduler.step()
        return scheduler

    callback = LRPlanCallback(strict=True)
    fit(Tiny(resumed), [callback])

    # T_max=40 is the 10 steps before and the 30 of this run: no length finding either.
    codes = [insight.code for insight in callback.plans[0].found]
    assert codes == ["floor-not-reached", "rises-past-end"]


class TwoSchedulers(Tiny):
    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        return [optimizer], [
            torch.optim.lr_scheduler.StepLR(optimizer, step_size=2),
            torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9),
        ]


def test_two_schedulers_of_one_optimizer_are_each_planned_and_written_with_a_note(
    tmp_path: Path,
) -> None:
    callback = LRPlanCallback(csv=tmp_path / "lr.csv")

    fit(TwoSchedulers(cosine_over_run), [callback])

    assert [plan.name for plan in callback.plans][:2] == [
        "StepLR(optimizer, step_size=2, gamma=0.1)",
        "ExponentialLR(optimizer, gamma=0.9)",
    ]
    assert (
        callback.plans[2]
        .lines[0]
        .startswith("lrplan: StepLR and ExponentialLR: they step the same optimizer")
    )
    assert (tmp_path / "lr.csv").is_file() and (tmp_path / "lr-1.csv").is_file()


def test_csv_and_png_write_the_plan(tmp_path: Path) -> None:
    callback = LRPlanCallback(csv=tmp_path / "lr.csv", png=tmp_path / "lr.png", strict=True)

    fit(Tiny(cosine_over_run), [callback])

    lines = (tmp_path / "lr.csv").read_text().splitlines()
    assert lines[0] == "epoch,step,phase,lr"
    assert len(lines) == 1 + 3 * BATCHES
    assert lines[BATCHES + 1].startswith("1,10,")
    assert (tmp_path / "lr.png").read_bytes().startswith(b"\x89PNG")


def test_the_plan_names_the_scheduler_and_how_the_trainer_steps_it() -> None:
    callback = LRPlanCallback()

    fit(Tiny(cosine_over_run, "step", 1), [callback])

    first = callback.plans[0].lines[0]
    assert first.startswith("lrplan: CosineAnnealingLR(optimizer, T_max=30, eta_min=0.001)")
    assert "stepped every step over 3 epochs of 10 optimizer steps: 30 rates planned" in first


@pytest.mark.parametrize(
    ("batches", "accumulate", "frequency", "expected"),
    [(10, 1, 1, 10), (10, 3, 1, 4), (10, 1, 3, 3), (10, 2, 4, 2), (10, 3, 2, 2)],
)
def test_lightning_steps_a_scheduler_at_batches_that_are_multiples_of_its_frequency(
    batches: int, accumulate: int, frequency: int, expected: int
) -> None:
    # Optimizer steps at batches accumulate, 2 * accumulate, ... and the last batch.
    optimizer_batches = sorted({*range(accumulate, batches + 1, accumulate), batches})
    assert expected == sum(1 for batch in optimizer_batches if batch % frequency == 0)
    steps = Steps(batches, accumulate, frequency)
    per_epoch = len(optimizer_batches)
    assert steps.in_epoch(per_epoch) == expected
    assert steps.calls(0, 3 * per_epoch) == 3 * expected
    assert steps.calls(2, 3 * per_epoch) == 3 * expected - steps.in_epoch(2)


def test_the_pytorch_lightning_callback_plans_a_pytorch_lightning_run() -> None:
    legacy = pytest.importorskip("pytorch_lightning")
    from lrplan.integrations.pytorch_lightning import LRPlanCallback as LegacyCallback

    class Legacy(legacy.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, index: int) -> torch.Tensor:
            inputs, targets = batch
            return torch.nn.functional.mse_loss(self.net(inputs), targets)

        def configure_optimizers(self) -> Any:
            optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
            return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)]

    class Recording(legacy.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.lrs: list[float] = []

        def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
            self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])

    callback, recorder = LegacyCallback(strict=True), Recording()
    legacy.Trainer(
        max_epochs=5,
        callbacks=[callback, recorder],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    ).fit(Legacy(), data())

    planned = callback.plans[0].schedule
    assert planned is not None and planned.config.unit == "epoch"
    assert recorder.lrs == [planned.lrs[step // BATCHES] for step in range(5 * BATCHES)]
