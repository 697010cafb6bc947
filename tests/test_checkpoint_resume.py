"""``lrplan resume CHECKPOINT`` against checkpoints the real trainers write, and the runs the
real trainers resume from them.

Each test trains a tiny model on CPU, lets the trainer write its checkpoint, resumes the run
with the trainer (the same settings, a longer run, another batch size), and records the rate
of every optimizer step of the resumed run. The expected rates are those recorded ones: lrplan
must plan exactly what the trainer then trains. The callbacks, run in the same resumed runs,
must agree with ``lrplan resume CHECKPOINT`` (one path: :func:`lrplan.preview`).
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from typer.testing import CliRunner

from lrplan import LrplanError, ScheduleConfig
from lrplan.analysis.checkpoint_resume import resume_checkpoint
from lrplan.cli import app
from lrplan.inputs.checkpoints import HF, LIGHTNING, PLAIN, read_checkpoint
from lrplan.optim import WarmupCosLR
from tests.hf_tiny import SAMPLES, Numbers, Tiny, rate_recorder

pytestmark = pytest.mark.filterwarnings("ignore")

runner = CliRunner()


# -- Hugging Face Trainer ---------------------------------------------------------------------

transformers = pytest.importorskip("transformers")

HF_LR = 0.1
HF_WARMUP = 3


def hf_train(
    output: Path, epochs: int, batch: int, resume: Path | None = None, callbacks: Any = ()
) -> list[float]:
    recorder = rate_recorder()
    arguments = transformers.TrainingArguments(
        output_dir=str(output),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch,
        learning_rate=HF_LR,
        lr_scheduler_type="cosine",
        warmup_steps=HF_WARMUP,
        report_to="none",
        save_strategy="steps",
        save_steps=10,
        logging_steps=5,
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=Tiny(),
        args=arguments,
        train_dataset=Numbers(),
        callbacks=[recorder, *callbacks],
    )
    trainer.train(resume_from_checkpoint=str(resume) if resume is not None else None)
    return recorder.lrs


@pytest.fixture(scope="module")
def hf_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """checkpoint-10 of a 3-epoch run of 10 steps per epoch, and the rates of that run."""
    output = tmp_path_factory.mktemp("hf") / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lrs = hf_train(output, epochs=3, batch=4)
    return output / "checkpoint-10", lrs


def hf_settings(epochs: int, batch: int) -> ScheduleConfig:
    """What the run resumed with ``epochs`` and ``batch`` builds: Trainer's cosine over
    ``epochs × ceil(40 / batch)`` steps."""
    return ScheduleConfig(
        lr=HF_LR,
        epochs=epochs,
        interval="step",
        steps_per_epoch=math.ceil(SAMPLES / batch),
        scheduler="hf:cosine",
        params=(("num_warmup_steps", HF_WARMUP),),
    )


@pytest.mark.parametrize(
    ("epochs", "batch", "jumps", "changed"),
    [
        (3, 4, False, set()),
        (5, 4, True, {"max_steps"}),
        (3, 8, True, {"max_steps", "steps per epoch", "batch size"}),
    ],
    ids=["same settings", "longer run", "larger batch"],
)
def test_hf_resume_plans_the_rates_the_resumed_trainer_trains(
    hf_checkpoint: tuple[Path, list[float]],
    tmp_path: Path,
    epochs: int,
    batch: int,
    jumps: bool,
    changed: set[str],
) -> None:
    from lrplan.integrations.hf import LRPlanCallback

    checkpoint, first_run = hf_checkpoint
    callback = LRPlanCallback(log=lambda line: None)
    trained = hf_train(tmp_path / "run", epochs, batch, resume=checkpoint, callbacks=[callback])

    report = resume_checkpoint(
        read_checkpoint(checkpoint), hf_settings(epochs, batch), batch_size=batch
    )

    assert report.checkpoint.kind == HF
    assert report.at == 10
    assert list(report.resumed.lrs) == pytest.approx(trained, rel=1e-12, abs=0)
    # The callback of the resumed run planned the same rates.
    planned = callback.plans[0].schedule
    assert planned is not None and list(planned.lrs) == list(report.resumed.lrs)
    # The rates before the resume are the first run's (logged at steps 5 and 10, planned between).
    assert list(report.trained) == pytest.approx(first_run[:10], rel=1e-12)
    assert report.trained_from.startswith("log_history")
    # The first resumed step trains at the rate the optimizer saved: the first run's step 10.
    assert report.resumed.lrs[0] == pytest.approx(first_run[10], rel=1e-12)
    assert {change.name for change in report.changes} == changed
    assert (report.jump is not None) is jumps
    if epochs != 3:
        assert report.jump is not None and "epochs=3" in report.jump.fix
    if batch != 4:
        assert report.jump is not None and "epochs=" not in report.jump.fix
        assert "steps_per_epoch=10 batch_size=4" in report.jump.fix
    assert any("training_args.bin" in note for note in report.notes)


# -- Lightning -------------------------------------------------------------------------------

pl = pytest.importorskip("lightning.pytorch")

BATCHES = 10


class LightningTiny(pl.LightningModule):  # type: ignore[misc]
    """SGD(lr=0.1) and CosineAnnealingLR(T_max) stepped per epoch, as the code builds them."""

    def __init__(self, t_max: int, interval: str = "epoch", lr: float = 0.1) -> None:
        super().__init__()
        self.net = torch.nn.Linear(4, 1)
        self.t_max = t_max
        self.interval = interval
        self.lr = lr

    def training_step(self, batch: Any, index: int) -> torch.Tensor:
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self.net(inputs), targets)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=self.lr)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.t_max)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.interval},
        }


class LightningRecorder(pl.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.lrs.append(optimizer.param_groups[0]["lr"])


def loader(batch: int = 4) -> DataLoader[Any]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(BATCHES * 4, 4, generator=generator)
    return DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=batch)


def lightning_fit(
    model: Any,
    root: Path,
    max_epochs: int,
    callbacks: Any = (),
    ckpt_path: Path | None = None,
    batch: int = 4,
) -> Any:
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=str(root),
        callbacks=list(callbacks),
    )
    trainer.fit(model, loader(batch), ckpt_path=str(ckpt_path) if ckpt_path else None)
    return trainer


@pytest.fixture(scope="module")
def lightning_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ModelCheckpoint's checkpoint after epoch 2 of a run built for 8 epochs (T_max=8),
    stopped after 3."""
    root = tmp_path_factory.mktemp("lightning")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lightning_fit(LightningTiny(t_max=8), root, max_epochs=3)
    (found,) = (root / "checkpoints").glob("*.ckpt")
    return found


def epoch_rates(per_step: list[float], per_epoch: int = BATCHES) -> list[float]:
    """One rate per epoch from the rates of every optimizer step (all equal in an epoch)."""
    epochs = [per_step[start : start + per_epoch] for start in range(0, len(per_step), per_epoch)]
    assert all(len(set(epoch)) == 1 for epoch in epochs)
    return [epoch[0] for epoch in epochs]


@pytest.mark.parametrize(
    ("max_epochs", "lr", "kept"),
    [(8, 0.1, None), (12, 0.1, ("T_max", 8, 12, 8)), (8, 0.2, ("peak lr", 0.1, 0.2, 0.1))],
    ids=["same settings", "longer run", "higher peak"],
)
def test_lightning_resume_plans_the_rates_the_resumed_trainer_trains(
    lightning_checkpoint: Path,
    tmp_path: Path,
    max_epochs: int,
    lr: float,
    kept: tuple[str, float, float, float] | None,
) -> None:
    from lrplan.integrations.lightning import LRPlanCallback

    recorder, callback = LightningRecorder(), LRPlanCallback()
    # The code builds CosineAnnealingLR(T_max=max_epochs) for the run it starts now.
    lightning_fit(
        LightningTiny(t_max=max_epochs, lr=lr),
        tmp_path,
        max_epochs,
        [recorder, callback],
        ckpt_path=lightning_checkpoint,
    )
    settings = ScheduleConfig(
        lr=lr, epochs=max_epochs, scheduler="cosine", params=(("T_max", max_epochs),)
    )

    report = resume_checkpoint(read_checkpoint(lightning_checkpoint), settings)

    assert report.checkpoint.kind == LIGHTNING
    assert report.at == 3
    assert list(report.resumed.lrs) == pytest.approx(epoch_rates(recorder.lrs), rel=1e-12)
    planned = callback.plans[0].schedule
    assert planned is not None and list(planned.lrs) == list(report.resumed.lrs)
    # Before the resume: the plan of the checkpoint's T_max=8 (torch's closed form).
    assert list(report.trained) == pytest.approx(
        [0.05 * (1 + math.cos(math.pi * epoch / 8)) for epoch in range(3)], rel=1e-12
    )
    # Every change is undone by load_state_dict: the run follows the checkpoint's curve.
    assert list(report.resumed.lrs) == pytest.approx(
        [0.05 * (1 + math.cos(math.pi * epoch / 8)) for epoch in range(3, max_epochs)],
        rel=1e-12,
        abs=1e-15,
    )
    if kept is None:
        assert report.changes == () and report.findings == ()
        return
    (change,) = report.changes
    assert (change.name, change.checkpoint, change.now, change.resumed) == kept
    assert [finding.code for finding in report.findings] == ["resume-keeps-checkpoint"]
    if max_epochs == 12:
        # T_max=8 restored: the rate reaches 0 at epoch 8 and climbs again.
        assert report.resumed.lrs[8 - 3] == pytest.approx(0, abs=1e-15)
        assert report.resumed.lrs[-1] > report.resumed.lrs[8 - 3]


def test_lightning_step_scheduler_with_a_larger_batch_keeps_the_saved_t_max(
    tmp_path: Path,
) -> None:
    """Per-step cosine for 4 epochs of 10 steps, stopped after 2; resumed with batches of 8
    (5 steps per epoch) and code that builds T_max=20: the saved T_max=40 is restored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lightning_fit(LightningTiny(t_max=40, interval="step"), tmp_path / "first", 2)
    (checkpoint,) = (tmp_path / "first" / "checkpoints").glob("*.ckpt")
    recorder = LightningRecorder()
    lightning_fit(
        LightningTiny(t_max=20, interval="step"),
        tmp_path / "resumed",
        4,
        [recorder],
        ckpt_path=checkpoint,
        batch=8,
    )
    settings = ScheduleConfig(
        lr=0.1,
        epochs=4,
        interval="step",
        steps_per_epoch=5,
        scheduler="cosine",
        params=(("T_max", 20),),
    )

    report = resume_checkpoint(read_checkpoint(checkpoint), settings)

    assert report.at == 20
    assert list(report.resumed.lrs) == pytest.approx(recorder.lrs, rel=1e-12)
    assert [
        (change.name, change.checkpoint, change.now, change.resumed) for change in report.changes
    ] == [("T_max", 40, 20, 40), ("steps per epoch", 10, 5, 5)]


# -- A plain torch.save dict: the design document's checkpoint example ------------------------


def plain_run(
    path: Path, *, epochs: int, stop_after: int | None = None, resume: Path | None = None
) -> list[float]:
    """The design document's loop: AdamW + WarmupCosLR(lr=1e-3, min_lr=1e-5, warmup 3), one
    scheduler.step() per epoch, a checkpoint after every epoch; the rate of every epoch."""
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = WarmupCosLR(optimizer, min_lr=1e-5, lr=1e-3, warmup_epochs=3, epochs=epochs)
    start = 0
    if resume is not None:
        checkpoint = torch.load(resume)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        start = checkpoint["epoch"] + 1
    lrs = []
    for epoch in range(start, epochs if stop_after is None else stop_after):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        torch.save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
            },
            path,
        )
    return lrs


def warmup_cos(epoch: int, epochs: int, lr: float = 1e-3, min_lr: float = 1e-5) -> float:
    """The design document's formula, warm-up 3."""
    if epoch < 3:
        return lr * (epoch + 1) / 3
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * (epoch - 3) / (epochs - 3)))


@pytest.mark.parametrize("epochs_now", [25, 40])
def test_plain_checkpoint_resumes_as_the_design_documents_loop(
    tmp_path: Path, epochs_now: int
) -> None:
    path = tmp_path / "checkpoint.pt"
    first = plain_run(path, epochs=25, stop_after=10)
    resumed = plain_run(tmp_path / "resumed.pt", epochs=epochs_now, resume=path)
    settings = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=3, epochs=epochs_now)

    report = resume_checkpoint(read_checkpoint(path), settings)

    assert report.checkpoint.kind == PLAIN
    assert report.at == 10
    assert list(report.trained) == pytest.approx(first, rel=1e-12)
    assert list(report.trained) == pytest.approx([warmup_cos(e, 25) for e in range(10)])
    assert list(report.resumed.lrs) == pytest.approx(resumed, rel=1e-12)
    if epochs_now == 25:
        assert report.changes == () and report.findings == ()
        assert list(report.resumed.lrs) == pytest.approx([warmup_cos(e, 25) for e in range(10, 25)])
    else:
        # WarmupCosLR.load_state_dict restores epochs=25: the longer run keeps the old curve.
        assert {change.name for change in report.changes} == {"epochs"}
        assert [finding.code for finding in report.findings] == ["resume-keeps-checkpoint"]


# -- The command line -------------------------------------------------------------------------

HF_OPTIONS = ["--scheduler", "hf:cosine", "--param", f"num_warmup_steps={HF_WARMUP}"]


def hf_cli(checkpoint: Path, epochs: int, *extra: str, command: str = "resume") -> Any:
    options = [*HF_OPTIONS, "--lr", "0.1", "--epochs", str(epochs), "--interval", "step"]
    options += ["--steps-per-epoch", "10"]
    if command == "resume":
        return runner.invoke(app, ["resume", str(checkpoint), *options, *extra])
    return runner.invoke(app, ["check", "--resume-from", str(checkpoint), *options, *extra])


def test_hf_resume_on_more_devices_plans_the_steps_the_trainer_takes(
    hf_checkpoint: tuple[Path, list[float]], tmp_path: Path
) -> None:
    """Two devices with batches of 4 take ceil(ceil(40 / 4) / 2) = 5 steps per epoch, as one
    device with batches of 8 does (Trainer's arithmetic, tested against transformers in
    test_trainer_steps.py); the scheduler sees only steps, so the real run resumed with
    batches of 8 on this CPU trains the rates a 2-device run would."""
    checkpoint, _ = hf_checkpoint
    trained = hf_train(tmp_path / "run", 3, 8, resume=checkpoint)
    options = [*HF_OPTIONS, "--lr", "0.1", "--epochs", "3", "--interval", "step"]
    options += ["--dataset-size", "40", "--batch-size", "4", "--devices", "2", "--json"]
    result = runner.invoke(app, ["resume", str(checkpoint), *options])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["resumed"] == trained
    changed = {change["name"]: change for change in document["changes"]}
    assert changed.keys() == {"max_steps", "steps per epoch"}
    assert (changed["steps per epoch"]["checkpoint"], changed["steps per epoch"]["now"]) == (10, 5)
    assert [finding["code"] for finding in document["findings"]] == ["resume-jump"]


def test_an_hf_checkpoint_needs_a_per_step_schedule(
    hf_checkpoint: tuple[Path, list[float]],
) -> None:
    result = runner.invoke(
        app, ["resume", str(hf_checkpoint[0]), *HF_OPTIONS, "--lr", "0.1", "--epochs", "3"]
    )
    assert result.exit_code == 2
    assert "give --interval step" in result.stderr


def test_resume_checkpoint_json_has_every_rate_at_full_precision(
    hf_checkpoint: tuple[Path, list[float]],
) -> None:
    checkpoint, first_run = hf_checkpoint
    result = hf_cli(checkpoint, 3, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["command"] == "resume"
    assert document["resume_at_step"] == 10
    assert document["trained"] + document["resumed"] == first_run
    assert document["checkpoint"]["kind"] == HF
    assert document["findings"] == []


def test_resume_checkpoint_prints_what_changed_and_the_jump(
    hf_checkpoint: tuple[Path, list[float]], tmp_path: Path
) -> None:
    checkpoint, _ = hf_checkpoint
    png = tmp_path / "resume.png"
    result = hf_cli(checkpoint, 5, "--png", str(png))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "max_steps 30 50 50" in text
    assert "The rate jumps at the resume" in text
    assert "--epochs 3" in text
    assert png.stat().st_size > 0


@pytest.mark.parametrize(("epochs", "code"), [(3, 0), (5, 1)])
def test_check_resume_from_fails_on_a_jump(
    hf_checkpoint: tuple[Path, list[float]], epochs: int, code: int
) -> None:
    result = hf_cli(hf_checkpoint[0], epochs, command="check")
    assert result.exit_code == code, result.output
    assert ("The rate jumps at the resume" in " ".join(result.stdout.split())) is bool(code)


def write_truncated(path: Path, source: Path) -> Path:
    path.write_bytes(source.read_bytes()[:2000])
    return path


def save_objects(path: Path) -> Path:
    """The scheduler and optimizer objects saved instead of their state_dict()s."""
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)
    torch.save({"epoch": 2, "scheduler": scheduler, "optimizer": optimizer}, path)
    return path


class Pickled:
    """An object torch.save pickles by reference to its class: loading it runs code."""


BAD = {
    "missing": (lambda tmp, ckpt: tmp / "nowhere.ckpt", "no such file"),
    "truncated": (lambda tmp, ckpt: write_truncated(tmp / "cut.ckpt", ckpt), "cut short"),
    "text": (
        lambda tmp, ckpt: (tmp / "notes.ckpt").write_text("epoch: 3\n") and tmp / "notes.ckpt",
        "not a file torch.save wrote",
    ),
    "empty": (
        lambda tmp, ckpt: (tmp / "empty.pt").write_bytes(b"") or tmp / "empty.pt",
        "is empty",
    ),
    "pickle needing code": (
        lambda tmp, ckpt: (
            torch.save({"scheduler": Pickled()}, tmp / "object.pt") or tmp / "object.pt"
        ),
        "holds a pickled tests.test_checkpoint_resume.Pickled",
    ),
    "scheduler object instead of its state": (
        lambda tmp, ckpt: save_objects(tmp / "objects.pt"),
        "holds a pickled torch.optim.lr_scheduler.CosineAnnealingLR",
    ),
    "no scheduler": (
        lambda tmp, ckpt: torch.save({"model": {}}, tmp / "weights.pt") or tmp / "weights.pt",
        "holds no scheduler state",
    ),
    "not a dict": (
        lambda tmp, ckpt: torch.save([1, 2], tmp / "list.pt") or tmp / "list.pt",
        "holds a list",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_bad_checkpoint_is_one_line_and_exit_2(
    case: str, tmp_path: Path, lightning_checkpoint: Path
) -> None:
    make, expected = BAD[case]
    path = make(tmp_path, lightning_checkpoint)
    result = runner.invoke(app, ["resume", str(path), "--scheduler", "cosine", "--lr", "0.1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


TRIPPED: list[str] = []


class Tripwire:
    """Unpickling one runs this class's code: its __setstate__ records that it ran."""

    def __init__(self) -> None:
        self.armed = True

    def __setstate__(self, state: dict[str, Any]) -> None:
        TRIPPED.append("unpickled")


def test_objects_pickled_beside_the_states_are_never_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    plain_run(path, epochs=25, stop_after=10)
    saved = torch.load(path)
    torch.save({**saved, "config": Tripwire()}, path)
    settings = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=3, epochs=25)

    report = resume_checkpoint(read_checkpoint(path), settings)

    assert TRIPPED == []
    assert list(report.resumed.lrs) == pytest.approx([warmup_cos(e, 25) for e in range(10, 25)])
    assert any("config: pickled tests.test_checkpoint_resume.Tripwire" in n for n in report.notes)
    # The tripwire works: a load that runs the checkpoint's code trips it.
    torch.load(path, weights_only=False)
    assert TRIPPED == ["unpickled"]


def test_a_lightning_checkpoint_with_hydra_hyper_parameters_is_read(tmp_path: Path) -> None:
    """lightning-hydra-template's modules save a DictConfig and a functools.partial of the
    optimizer with save_hyperparameters(): the checkpoint needs their code to unpickle."""
    omegaconf = pytest.importorskip("omegaconf")

    class Configured(LightningTiny):
        def __init__(self, cfg: Any, optimizer: Any) -> None:
            super().__init__(t_max=cfg.t_max)
            self.save_hyperparameters()

    module = Configured(
        omegaconf.OmegaConf.create({"t_max": 8}), functools.partial(torch.optim.SGD, lr=0.1)
    )
    trainer = lightning_fit(module, tmp_path, 3)
    trainer.save_checkpoint(tmp_path / "hydra.ckpt")
    settings = ScheduleConfig(lr=0.1, epochs=8, scheduler="cosine", params=(("T_max", 8),))

    report = resume_checkpoint(read_checkpoint(tmp_path / "hydra.ckpt"), settings)

    assert list(report.resumed.lrs) == pytest.approx(
        [0.05 * (1 + math.cos(math.pi * epoch / 8)) for epoch in range(3, 8)], rel=1e-12
    )
    (note,) = [note for note in report.notes if "hyper_parameters" in note]
    assert "functools.partial" in note and "omegaconf.dictconfig.DictConfig" in note


def test_hf_folders_lrplan_cannot_resume_are_refused(
    hf_checkpoint: tuple[Path, list[float]], tmp_path: Path
) -> None:
    checkpoint, _ = hf_checkpoint
    with pytest.raises(LrplanError, match="is an output folder; give one of its checkpoints"):
        read_checkpoint(checkpoint.parent)
    bare = tmp_path / "checkpoint-10"
    bare.mkdir()
    (bare / "trainer_state.json").write_text((checkpoint / "trainer_state.json").read_text())
    with pytest.raises(LrplanError, match=r"has no scheduler\.pt"):
        read_checkpoint(bare)
    # training_args.bin is a pickled TrainingArguments: refused, never unpickled.
    with pytest.raises(LrplanError, match="holds a pickled transformers"):
        read_checkpoint(checkpoint / "training_args.bin")


def test_settings_that_build_another_scheduler_are_refused(lightning_checkpoint: Path) -> None:
    settings = ScheduleConfig(lr=0.1, epochs=8)  # WarmupCosLR, not the saved CosineAnnealingLR
    with pytest.raises(LrplanError, match="is not the scheduler the checkpoint saved"):
        resume_checkpoint(read_checkpoint(lightning_checkpoint), settings)


def test_a_run_that_ends_before_the_checkpoint_is_refused(lightning_checkpoint: Path) -> None:
    settings = ScheduleConfig(lr=0.1, epochs=3, scheduler="cosine", params=(("T_max", 8),))
    with pytest.raises(LrplanError, match="nothing is left to resume"):
        resume_checkpoint(read_checkpoint(lightning_checkpoint), settings)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--at", "3"], "not both"),
        ([], "give the settings the run resumes with"),
    ],
)
def test_checkpoint_and_at_are_one_or_the_other(
    lightning_checkpoint: Path, arguments: list[str], expected: str
) -> None:
    result = runner.invoke(app, ["resume", str(lightning_checkpoint), *arguments])
    assert result.exit_code == 2 and expected in result.stderr


def test_resume_without_checkpoint_or_at_says_so() -> None:
    result = runner.invoke(app, ["resume", "--lr", "0.1"])
    assert result.exit_code == 2
    assert "give CHECKPOINT" in result.stderr
