"""Heavy imports with the garbage collector paused, and the plot's plain-text power of ten."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.optim import _imports


def test_gc_paused_pauses_inside_and_restores_after() -> None:
    assert gc.isenabled()
    with _imports.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_paused_restores_even_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), _imports.gc_paused():
        raise RuntimeError("import failed")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with _imports.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_library_caller_keeps_a_running_collector_and_nothing_frozen() -> None:
    frozen = gc.get_freeze_count()

    plan(ScheduleConfig(epochs=4, warmup_epochs=1))

    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_the_lrplan_command_freezes_what_the_torch_import_created() -> None:
    code = (
        "import gc, sys\n"
        "from lrplan.cli import main\n"
        "sys.argv = ['lrplan', 'show', '--epochs', '4', '--warmup-epochs', '1', '--csv', '-']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count(), 'torch' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    enabled, frozen, torch_loaded = done.stderr.split()
    assert enabled == "True" and torch_loaded == "True"
    # torch alone creates a few hundred thousand objects.
    assert int(frozen) > 100_000
    assert done.stdout.splitlines()[0] == "epoch,phase,lr"


@pytest.mark.parametrize(
    ("lr", "offset", "power"),
    [(1e-3, "×10⁻³", -3), (5e-4, "×10⁻⁴", -4), (2.5e-5, "×10⁻⁵", -5), (0.1, "", 0), (3.0, "", 0)],
)
def test_the_y_axis_says_its_power_of_ten_without_mathtext(
    lr: float, offset: str, power: int
) -> None:
    from lrplan.output.plot import plot_figure

    schedule = plan(ScheduleConfig(lr=lr, min_lr=0.0, warmup_epochs=1, epochs=6))
    figure = plot_figure([("", schedule)])
    figure.canvas.draw()
    axes = figure.axes[0]
    assert axes.yaxis.get_offset_text().get_text() == offset
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert labels and not any("$" in label for label in labels)
    # The labels times the offset are the tick positions.
    scale = (
        10.0 ** -int(offset[3:].translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")))
        if offset
        else 1
    )
    for label, tick in zip(labels, axes.get_yticks(), strict=True):
        assert float(label.replace("\N{MINUS SIGN}", "-")) == pytest.approx(tick * scale)
