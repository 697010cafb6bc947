"""WarmupCosLR as a real torch scheduler, checked against the design document's formula and
against torch's own built-in schedulers composed to the same shape.

Every expected learning rate below comes from an independent statement (the formula written out
here, or torch's LinearLR + CosineAnnealingLR), never from lrplan's output.
"""

from __future__ import annotations

import io
import itertools
import math
import warnings
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR

from lrplan.optim import WarmupCosLR

# The design document's worked example.
DOC = {"min_lr": 1e-5, "lr": 1e-3, "warmup_epochs": 3, "epochs": 25}


def formula(k: int, lr: float, min_lr: float, warmup_epochs: int, epochs: int) -> float:
    """The design document's learning rate at ``last_epoch = k``, written out independently."""
    if k < warmup_epochs:
        return lr * (k + 1) / warmup_epochs
    progress = (k - warmup_epochs) / (epochs - warmup_epochs)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def sgd(lr: float = 0.1, momentum: float = 0.0) -> tuple[torch.nn.Module, torch.optim.SGD]:
    """A tiny model and a real SGD over its parameters."""
    model = torch.nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def train(optimizer: torch.optim.Optimizer, scheduler: LRScheduler, epochs: int) -> list[float]:
    """Step like a training loop; return param group 0's rate in effect during each epoch."""
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def train_with_gradients(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: LRScheduler, epochs: int
) -> list[float]:
    """Like :func:`train`, with a real backward pass so the optimizer has state (momentum)."""
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()
        scheduler.step()
    return lrs


# --- the formula, over many configurations --------------------------------------------------

RATES = [(1e-3, 1e-5), (1e-3, 0.0), (0.1, 0.1), (3e-4, 1e-6), (2.0, 0.5)]  # (lr, min_lr)
WARMUPS = [0, 1, 2, 3, 7]
EXTRA_EPOCHS = [1, 2, 18]  # epochs = warmup_epochs + extra; 1 is the shortest valid cosine
CONFIGS = [
    (lr, min_lr, warmup, warmup + extra)
    for (lr, min_lr), warmup, extra in itertools.product(RATES, WARMUPS, EXTRA_EPOCHS)
]
BEYOND = 5  # epochs run past the end of training: the formula holds there too


@pytest.mark.parametrize(("lr", "min_lr", "warmup_epochs", "epochs"), CONFIGS)
def test_training_loop_follows_the_formula(
    lr: float, min_lr: float, warmup_epochs: int, epochs: int
) -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, min_lr, lr, warmup_epochs, epochs)

    got = train(optimizer, scheduler, epochs + BEYOND)

    expected = [formula(k, lr, min_lr, warmup_epochs, epochs) for k in range(epochs + BEYOND)]
    assert got == pytest.approx(expected, rel=1e-12, abs=0)
    assert scheduler.get_last_lr() == pytest.approx(
        [formula(epochs + BEYOND, lr, min_lr, warmup_epochs, epochs)], rel=1e-12, abs=0
    )


def test_keyword_arguments_as_the_design_document_writes_them() -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer=optimizer, **DOC)

    got = train(optimizer, scheduler, DOC["epochs"])

    assert got == pytest.approx([formula(k, 1e-3, 1e-5, 3, 25) for k in range(25)], rel=1e-12)


def test_the_optimizers_own_lr_is_replaced_at_construction() -> None:
    _, optimizer = sgd(lr=0.5)

    WarmupCosLR(optimizer, **DOC)

    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 / 3, rel=1e-12)


# --- torch's built-in schedulers, composed to the same shape ----------------------------------


def builtin_equivalent(
    optimizer: torch.optim.Optimizer, min_lr: float, warmup_epochs: int, epochs: int
) -> LRScheduler:
    """torch's own schedulers composed to WarmupCosLR's shape (the optimizer's lr is the peak).

    * Warm-up: LinearLR's factor at step k is ``start + (1 - start) * k / total_iters``; with
      ``start = 1/W`` and ``total_iters = W - 1`` that is ``(k + 1) / W``, the design document's
      ramp, reaching 1 (the peak) at k = W - 1.
    * Cosine: SequentialLR restarts the second scheduler at 0 at the milestone W, so
      CosineAnnealingLR with ``T_max = epochs - W`` gives ``min_lr + (lr - min_lr)(1 + cos(pi
      (k - W) / (epochs - W))) / 2``: the peak again at k = W, ``min_lr`` at k = epochs.

    Edge cases:

    * ``warmup_epochs = 0``: no warm-up at all, so CosineAnnealingLR alone (``T_max = epochs``);
      SequentialLR cannot express a first scheduler that never runs.
    * ``warmup_epochs = 1``: the warm-up is the single epoch 0 at the peak (factor 1/1). The
      general form would give ``total_iters = 0``, a 0/0 in LinearLR's closed form, so
      ``total_iters = 1`` with ``start_factor = end_factor = 1``: a constant factor of 1.
    """
    if warmup_epochs == 0:
        return CosineAnnealingLR(optimizer, T_max=epochs, eta_min=min_lr)
    warmup = LinearLR(
        optimizer,
        start_factor=1 / warmup_epochs,
        end_factor=1.0,
        total_iters=max(warmup_epochs - 1, 1),
    )
    cosine = CosineAnnealingLR(optimizer, T_max=epochs - warmup_epochs, eta_min=min_lr)
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_epochs])


@pytest.mark.parametrize(("lr", "min_lr", "warmup_epochs", "epochs"), CONFIGS)
def test_matches_torch_builtins_composed_to_the_same_shape(
    lr: float, min_lr: float, warmup_epochs: int, epochs: int
) -> None:
    _, optimizer = sgd(lr=lr)
    with warnings.catch_warnings():
        # Older torch switches SequentialLR's schedulers with the deprecated
        # ``step(epoch)``, which warns; it is torch's internal call, not ours.
        warnings.filterwarnings(
            "ignore", message="The epoch parameter in `scheduler.step", category=UserWarning
        )
        builtin = builtin_equivalent(optimizer, min_lr, warmup_epochs, epochs)
        expected = train(optimizer, builtin, epochs)

    _, optimizer = sgd(lr=lr)
    got = train(optimizer, WarmupCosLR(optimizer, min_lr, lr, warmup_epochs, epochs), epochs)

    # torch's chainable forms multiply step by step, so they drift by a few ulps.
    assert got == pytest.approx(expected, rel=1e-9, abs=0)


# --- properties over random valid configurations -----------------------------------------------


@st.composite
def valid_configs(draw: st.DrawFn) -> tuple[float, float, int, int]:
    lr = draw(st.floats(min_value=1e-8, max_value=10.0))
    floor_fraction = draw(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
    warmup_epochs = draw(st.integers(0, 40))
    epochs = warmup_epochs + draw(st.integers(1, 120))
    return lr, lr * floor_fraction, warmup_epochs, epochs


@settings(max_examples=150, deadline=None)
@given(valid_configs())
def test_schedule_properties(config: tuple[float, float, int, int]) -> None:
    lr, min_lr, warmup_epochs, epochs = config
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, min_lr, lr, warmup_epochs, epochs)

    trained = train(optimizer, scheduler, epochs)
    at_epochs = optimizer.param_groups[0]["lr"]  # last_epoch == epochs, never trained

    tolerance = 1e-12 * lr
    warmup, cosine = trained[:warmup_epochs], trained[warmup_epochs:]
    # The cosine stays within [min_lr, lr]. The warm-up ramp starts at lr / warmup_epochs,
    # which is below min_lr when min_lr > lr / warmup_epochs: the formula allows it.
    assert all(min_lr - tolerance <= value <= lr + tolerance for value in cosine)
    assert all(lr / warmup_epochs - tolerance <= value <= lr + tolerance for value in warmup)
    assert all(later > earlier for earlier, later in itertools.pairwise(warmup))
    assert all(later <= earlier + tolerance for earlier, later in itertools.pairwise(cosine))
    assert max(trained) == pytest.approx(lr, rel=1e-12)
    assert cosine[0] == pytest.approx(lr, rel=1e-12)
    assert at_epochs == pytest.approx(min_lr, rel=1e-12, abs=tolerance)


def test_the_warm_up_can_start_below_min_lr() -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, min_lr=5e-4, lr=1e-3, warmup_epochs=3, epochs=10)

    first = train(optimizer, scheduler, 1)[0]

    assert first == pytest.approx(1e-3 / 3, rel=1e-12)
    assert first < 5e-4


# --- the design document's worked example ---------------------------------------------------


@pytest.fixture
def doc_schedule() -> list[float]:
    """The worked example's rates for epochs 0..29 (training ends after epoch 24)."""
    _, optimizer = sgd()
    return train(optimizer, WarmupCosLR(optimizer, **DOC), 30)


@pytest.mark.parametrize(
    ("epoch", "four_digits"),
    [(0, 3.333e-4), (1, 6.667e-4), (2, 1e-3), (3, 1e-3), (5, 9.799e-4), (24, 1.504e-5)],
)
def test_worked_example(doc_schedule: list[float], epoch: int, four_digits: float) -> None:
    assert float(f"{doc_schedule[epoch]:.4g}") == four_digits


def test_worked_example_holds_the_peak_for_two_epochs(doc_schedule: list[float]) -> None:
    assert doc_schedule[2] == pytest.approx(1e-3, rel=1e-12)
    assert doc_schedule[3] == pytest.approx(1e-3, rel=1e-12)
    assert doc_schedule[1] < doc_schedule[2]
    assert doc_schedule[4] < doc_schedule[3]


def test_worked_example_reaches_min_lr_only_after_training(doc_schedule: list[float]) -> None:
    assert doc_schedule[24] > 1.5e-5  # the last trained epoch
    assert doc_schedule[25] == pytest.approx(1e-5, rel=1e-12)
    # Past ``epochs`` the cosine rises again.
    assert doc_schedule[25] < doc_schedule[26] < doc_schedule[27] < doc_schedule[28]


# --- validation ------------------------------------------------------------------------------

INVALID = [
    pytest.param({"lr": -1e-3}, "lr", id="negative lr"),
    pytest.param({"lr": 0.0}, "lr", id="zero lr"),
    pytest.param({"lr": 0}, "lr", id="zero int lr"),
    pytest.param({"lr": math.nan}, "lr", id="nan lr"),
    pytest.param({"lr": math.inf}, "lr", id="inf lr"),
    pytest.param({"lr": True}, "lr", id="bool lr"),
    pytest.param({"lr": "1e-3"}, "lr", id="str lr"),
    pytest.param({"lr": 10**400}, "lr", id="int lr beyond a float"),
    pytest.param({"lr": 10**5000}, "lr", id="int lr beyond str conversion"),
    pytest.param({"min_lr": -1e-5}, "min_lr", id="negative min_lr"),
    pytest.param({"min_lr": math.nan}, "min_lr", id="nan min_lr"),
    pytest.param({"min_lr": -math.inf}, "min_lr", id="-inf min_lr"),
    pytest.param({"min_lr": math.inf}, "min_lr", id="inf min_lr"),
    pytest.param({"min_lr": False}, "min_lr", id="bool min_lr"),
    pytest.param({"min_lr": 2e-3}, "min_lr", id="min_lr above lr"),
    pytest.param({"min_lr": -(10**400)}, "min_lr", id="int min_lr beyond a float"),
    pytest.param({"warmup_epochs": -1}, "warmup_epochs", id="negative warmup"),
    pytest.param({"warmup_epochs": 2.5}, "warmup_epochs", id="fractional warmup"),
    pytest.param({"warmup_epochs": 3.0}, "warmup_epochs", id="float warmup"),
    pytest.param({"warmup_epochs": True}, "warmup_epochs", id="bool warmup"),
    pytest.param({"warmup_epochs": None}, "warmup_epochs", id="None warmup"),
    pytest.param({"epochs": 3}, "epochs", id="epochs equal to warmup"),
    pytest.param({"epochs": 2}, "epochs", id="epochs below warmup"),
    pytest.param({"epochs": 0, "warmup_epochs": 0}, "epochs", id="zero epochs"),
    pytest.param({"epochs": 25.0}, "epochs", id="float epochs"),
    pytest.param({"epochs": True, "warmup_epochs": 0}, "epochs", id="bool epochs"),
]


@pytest.mark.parametrize(("change", "param"), INVALID)
def test_invalid_arguments_raise_value_error_naming_the_parameter(
    change: dict[str, object], param: str
) -> None:
    _, optimizer = sgd()

    with pytest.raises(ValueError, match=rf"^{param}="):
        WarmupCosLR(optimizer, **{**DOC, **change})

    # Validation happens before torch touches the optimizer.
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert "initial_lr" not in optimizer.param_groups[0]


@pytest.mark.parametrize(
    ("min_lr", "lr", "warmup_epochs", "epochs"),
    [(0.0, 1e-3, 0, 1), (1e-3, 1e-3, 3, 4), (0, 1, 1, 2)],
    ids=["shortest pure cosine", "min_lr equal to lr", "int rates"],
)
def test_boundary_arguments_are_accepted(
    min_lr: float, lr: float, warmup_epochs: int, epochs: int
) -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, min_lr, lr, warmup_epochs, epochs)

    got = train(optimizer, scheduler, epochs + 1)

    expected = [formula(k, lr, min_lr, warmup_epochs, epochs) for k in range(epochs + 1)]
    assert got == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda opt: WarmupCosLR(opt, 1e-5, 1e-3, 3, 25, -1, True), id="positional"),
        pytest.param(lambda opt: WarmupCosLR(optimizer=opt, verbose=True, **DOC), id="keyword"),
    ],
)
def test_verbose_is_accepted_and_not_passed_to_torch(
    make: Callable[[torch.optim.Optimizer], WarmupCosLR],
) -> None:
    # torch >= 2.7 has no ``verbose``: passing it on would raise TypeError, and older torch
    # would emit a deprecation warning, which pytest turns into an error here.
    _, optimizer = sgd()
    scheduler = make(optimizer)

    got = train(optimizer, scheduler, 25)

    assert got == pytest.approx([formula(k, 1e-3, 1e-5, 3, 25) for k in range(25)], rel=1e-12)


# --- param groups ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scales",
    [
        [None, None],
        [1.0, 0.1],
        [0.5, None],
        [None, 0.25],
        [1.0, 0.5, 0.25],
        [None, 2.0, None],
    ],
    ids=str,
)
def test_each_param_group_gets_the_formula_times_its_lr_scale(scales: list[float | None]) -> None:
    """A group without ``lr_scale`` counts as 1.0; the group's own lr is replaced."""
    groups = []
    for index, scale in enumerate(scales):
        group: dict[str, object] = {"params": [torch.nn.Parameter(torch.zeros(1))]}
        group["lr"] = 0.1 * (index + 1)
        if scale is not None:
            group["lr_scale"] = scale
        groups.append(group)
    optimizer = torch.optim.SGD(groups)  # type: ignore[arg-type]
    scheduler = WarmupCosLR(optimizer, **DOC)

    per_group: list[list[float]] = [[] for _ in scales]
    for _ in range(DOC["epochs"]):
        for lrs, group in zip(per_group, optimizer.param_groups, strict=True):
            lrs.append(group["lr"])
        optimizer.step()
        scheduler.step()

    for lrs, scale in zip(per_group, scales, strict=True):
        factor = 1.0 if scale is None else scale
        expected = [factor * formula(k, 1e-3, 1e-5, 3, 25) for k in range(25)]
        assert lrs == pytest.approx(expected, rel=1e-12)


# --- checkpoints -----------------------------------------------------------------------------

CHECKPOINT = {"min_lr": 1e-5, "lr": 1e-3, "warmup_epochs": 3, "epochs": 12}
CHECKPOINT_RUN = CHECKPOINT["epochs"] + 3


def _save_and_load(checkpoint: dict[str, object]) -> dict[str, object]:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_state_dict_holds_the_schedule_but_not_the_optimizer() -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, **DOC)
    train(optimizer, scheduler, 4)

    state = scheduler.state_dict()

    assert "optimizer" not in state
    assert {key: state[key] for key in ("min_lr", "lr", "warmup_epochs", "epochs")} == DOC
    assert state["last_epoch"] == 4


@pytest.mark.parametrize("resume_at", range(CHECKPOINT_RUN))
def test_checkpoint_round_trip_continues_the_schedule(resume_at: int) -> None:
    torch.manual_seed(0)
    model, optimizer = sgd(momentum=0.9)
    scheduler = WarmupCosLR(optimizer, **CHECKPOINT)
    uninterrupted = train_with_gradients(model, optimizer, scheduler, CHECKPOINT_RUN)

    torch.manual_seed(0)
    model, optimizer = sgd(momentum=0.9)
    scheduler = WarmupCosLR(optimizer, **CHECKPOINT)
    before = train_with_gradients(model, optimizer, scheduler, resume_at)
    checkpoint = _save_and_load(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        }
    )

    # As torch documents: build the scheduler, then load the optimizer's state, then its own.
    model, optimizer = sgd(momentum=0.9)
    scheduler = WarmupCosLR(optimizer, **CHECKPOINT)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    after = train_with_gradients(model, optimizer, scheduler, CHECKPOINT_RUN - resume_at)

    assert before + after == uninterrupted
    assert uninterrupted == pytest.approx(
        [formula(k, 1e-3, 1e-5, 3, 12) for k in range(CHECKPOINT_RUN)], rel=1e-12
    )


# --- resuming traps --------------------------------------------------------------------------


@pytest.mark.parametrize("last_epoch", [0, 5, 10])
def test_last_epoch_on_a_fresh_optimizer_raises_key_error(last_epoch: int) -> None:
    # The design document's "resume by setting last_epoch" does not work: the optimizer's
    # state (which carries initial_lr) has to be loaded.
    _, optimizer = sgd()

    with pytest.raises(KeyError, match="initial_lr"):
        WarmupCosLR(optimizer, **DOC, last_epoch=last_epoch)


def test_scheduler_step_before_optimizer_step_warns() -> None:
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, **DOC)

    with pytest.warns(UserWarning, match=r"`lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()

    # The first value of the schedule is skipped.
    assert optimizer.param_groups[0]["lr"] == pytest.approx(formula(1, 1e-3, 1e-5, 3, 25))


def test_loading_the_optimizer_before_building_the_scheduler_resets_the_resumed_epoch() -> None:
    # torch's documented order matters: a scheduler built after optimizer.load_state_dict
    # overwrites the loaded lr with epoch 0's, for the first resumed epoch only.
    _, optimizer = sgd()
    scheduler = WarmupCosLR(optimizer, **DOC)
    train(optimizer, scheduler, 5)
    checkpoint = _save_and_load(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    )

    _, optimizer = sgd()
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = WarmupCosLR(optimizer, **DOC)
    scheduler.load_state_dict(checkpoint["scheduler"])
    resumed = train(optimizer, scheduler, 2)

    assert resumed[0] == pytest.approx(formula(0, 1e-3, 1e-5, 3, 25), rel=1e-12)
    assert resumed[1] == pytest.approx(formula(6, 1e-3, 1e-5, 3, 25), rel=1e-12)
