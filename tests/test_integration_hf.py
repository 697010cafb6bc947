"""The Hugging Face callback with the real Trainer: a tiny torch model and Dataset on CPU, no
network, a few dozen steps. The expected rates are the ones the run really trains with,
recorded by a TrainerCallback before every optimizer step."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

transformers = pytest.importorskip("transformers")

from lrplan import LrplanError  # noqa: E402
from lrplan.integrations import PlanWarning  # noqa: E402
from lrplan.integrations.hf import LRPlanCallback  # noqa: E402
from tests.hf_tiny import Numbers, Tiny, rate_recorder  # noqa: E402

# The Trainer and accelerate warn about running on CPU and their own deprecations; PlanWarning
# is checked where it matters.
pytestmark = pytest.mark.filterwarnings("ignore")


def train(
    tmp_path: Path,
    callbacks: list[Any],
    *,
    optimizers: tuple[Any, Any] = (None, None),
    **arguments: Any,
) -> Any:
    settings: dict[str, Any] = {
        "output_dir": str(tmp_path / "run"),
        "num_train_epochs": 3,
        "per_device_train_batch_size": 4,
        "learning_rate": 0.1,
        "report_to": "none",
        "save_strategy": "no",
        "logging_strategy": "no",
        "use_cpu": True,
        "disable_tqdm": True,
        **arguments,
    }
    trainer = transformers.Trainer(
        model=Tiny(),
        args=transformers.TrainingArguments(**settings),
        train_dataset=Numbers(),
        callbacks=callbacks,
        optimizers=optimizers,
    )
    trainer.train()
    return trainer


@pytest.mark.parametrize(
    "arguments",
    [
        {"lr_scheduler_type": "cosine", "warmup_steps": 4},
        {"lr_scheduler_type": "linear", "warmup_steps": 2},
        {"lr_scheduler_type": "cosine_with_restarts", "lr_scheduler_kwargs": {"num_cycles": 2}},
        {"lr_scheduler_type": "cosine", "gradient_accumulation_steps": 3},
        {"lr_scheduler_type": "linear", "max_steps": 25},
    ],
    ids=["cosine", "linear", "restarts", "accumulation", "max_steps"],
)
def test_the_planned_rates_are_the_rates_of_every_optimizer_step(
    tmp_path: Path, arguments: dict[str, Any]
) -> None:
    callback, recorder = LRPlanCallback(log=lambda line: None), rate_recorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = train(tmp_path, [callback, recorder], **arguments)

    planned = callback.plans[0].schedule
    assert planned is not None
    assert len(recorder.lrs) == trainer.state.max_steps
    assert list(planned.lrs) == recorder.lrs
    warned = [str(w.message) for w in caught if issubclass(w.category, PlanWarning)]
    assert warned == []


def cosine_optimizers(model: torch.nn.Module, t_max: int) -> tuple[Any, Any]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max)


def train_with_t_max(tmp_path: Path, callbacks: list[Any], t_max: int) -> Any:
    model = Tiny()
    trainer = transformers.Trainer(
        model=model,
        args=transformers.TrainingArguments(
            output_dir=str(tmp_path / "run"),
            num_train_epochs=3,
            per_device_train_batch_size=4,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            use_cpu=True,
            disable_tqdm=True,
        ),
        train_dataset=Numbers(),
        callbacks=callbacks,
        optimizers=cosine_optimizers(model, t_max),
    )
    trainer.train()
    return trainer


def test_strict_stops_a_mis_set_t_max_before_the_first_step(tmp_path: Path) -> None:
    recorder = rate_recorder()

    with pytest.raises(LrplanError) as raised:
        train_with_t_max(
            tmp_path, [LRPlanCallback(strict=True, log=lambda line: None), recorder], 3
        )

    assert recorder.lrs == []
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("lrplan stopped the run before its first step:")
    assert "T_max=3, the number of epochs the run trains" in message


def test_without_strict_a_mis_set_t_max_only_warns(tmp_path: Path) -> None:
    recorder = rate_recorder()

    with pytest.warns(PlanWarning, match="T_max=20, but the run steps it 30 times"):
        train_with_t_max(tmp_path, [LRPlanCallback(log=lambda line: None), recorder], 20)

    assert len(recorder.lrs) == 30


def test_a_factory_schedule_shorter_than_the_run_is_found(tmp_path: Path) -> None:
    model = Tiny()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 2, num_training_steps=20)
    callback = LRPlanCallback(log=lambda line: None)

    with pytest.warns(PlanWarning, match="num_training_steps=20, but the run steps it 30 times"):
        transformers.Trainer(
            model=model,
            args=transformers.TrainingArguments(
                output_dir=str(tmp_path / "run"),
                num_train_epochs=3,
                per_device_train_batch_size=4,
                report_to="none",
                save_strategy="no",
                use_cpu=True,
                disable_tqdm=True,
            ),
            train_dataset=Numbers(),
            callbacks=[callback],
            optimizers=(optimizer, scheduler),
        ).train()


def test_the_plan_is_logged_and_written(tmp_path: Path) -> None:
    lines: list[str] = []
    callback = LRPlanCallback(csv=tmp_path / "lr.csv", png=tmp_path / "lr.svg", log=lines.append)

    train(tmp_path, [callback], lr_scheduler_type="cosine", warmup_steps=3)

    assert lines[0].startswith(
        "lrplan: LambdaLR(get_cosine_schedule_with_warmup: num_warmup_steps=3,"
        " num_training_steps=30, num_cycles=0.5), stepped every optimizer step over"
        " max_steps=30: 30 rates planned"
    )
    assert lines[-1] == f"lrplan: wrote {tmp_path / 'lr.svg'}"
    rows = (tmp_path / "lr.csv").read_text().splitlines()
    assert rows[0] == "epoch,step,phase,lr"
    assert len(rows) == 31
    assert rows[11].startswith("1,10,")
    assert (tmp_path / "lr.svg").read_text().lstrip().startswith("<?xml")


def test_a_resumed_run_is_planned_from_the_restored_state_to_the_end(tmp_path: Path) -> None:
    train(tmp_path, [], lr_scheduler_type="cosine", save_strategy="steps", save_steps=10)
    checkpoint = tmp_path / "run" / "checkpoint-10"
    assert checkpoint.is_dir()

    callback, recorder = LRPlanCallback(strict=True, log=lambda line: None), rate_recorder()
    trainer = transformers.Trainer(
        model=Tiny(),
        args=transformers.TrainingArguments(
            output_dir=str(tmp_path / "run"),
            num_train_epochs=3,
            per_device_train_batch_size=4,
            learning_rate=0.1,
            lr_scheduler_type="cosine",
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            use_cpu=True,
            disable_tqdm=True,
        ),
        train_dataset=Numbers(),
        callbacks=[callback, recorder],
    )
    trainer.train(resume_from_checkpoint=str(checkpoint))

    planned = callback.plans[0].schedule
    assert planned is not None
    assert len(recorder.lrs) == 20
    assert list(planned.lrs) == recorder.lrs
    assert (
        "20 rates planned to the end of the run, resumed at its step 10"
        in (callback.plans[0].lines[0])
    )
