"""lrplan.output.plot: files of the right format, curves drawn from Schedule.lrs, atomic writes."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lrplan.core.config import ScheduleConfig, describe
from lrplan.core.planner import Schedule, plan
from lrplan.errors import LrplanError
from lrplan.output.plot import BUCKETS, PLOT_SUFFIXES, extreme_indices, plot_figure, save_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def default_schedule() -> Schedule:
    return plan(ScheduleConfig())


@pytest.fixture(scope="module")
def step_schedule() -> Schedule:
    return plan(ScheduleConfig(interval="step", steps_per_epoch=50, epochs=10, warmup_epochs=2))


def curve_line(figure: Figure, index: int = 0) -> Line2D:
    """The line of the ``index``-th curve (plot.py tags it with a gid)."""
    (axes,) = figure.axes
    (line,) = [line for line in axes.lines if line.get_gid() == f"lr-curve-{index}"]
    return line


def annotation_texts(figure: Figure) -> list[str]:
    (axes,) = figure.axes
    return [text.get_text() for text in axes.texts]


def legend_labels(figure: Figure) -> list[str]:
    (axes,) = figure.axes
    return [text.get_text() for text in axes.get_legend().get_texts()]


def warmup_spans(figure: Figure) -> list[tuple[float, float]]:
    """(start, end) in epochs of every patch labelled 'warm-up'."""
    (axes,) = figure.axes
    spans = []
    for patch in axes.patches:
        if patch.get_label() == "warm-up":
            # A Polygon before matplotlib 3.9, a Rectangle since: both give their corners so.
            corners = patch.get_patch_transform().transform(patch.get_path().vertices)
            spans.append((float(corners[:, 0].min()), float(corners[:, 0].max())))
    return spans


# --- files of the right format ---------------------------------------------------------------


def test_importing_plot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, lrplan.output.plot; print('matplotlib' in sys.modules, 'numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_png_is_a_png_of_10_by_5_5_inches_at_150_dpi(
    tmp_path: Path, default_schedule: Schedule
) -> None:
    import matplotlib.image

    path = tmp_path / "schedule.png"
    save_plot(path, [("", default_schedule)])
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert matplotlib.image.imread(path).shape == (825, 1500, 4)


def test_uppercase_suffix_picks_the_format(tmp_path: Path, default_schedule: Schedule) -> None:
    path = tmp_path / "schedule.PNG"
    save_plot(path, [("", default_schedule)])
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_svg_is_xml_with_the_title_and_the_warmup(
    tmp_path: Path, default_schedule: Schedule
) -> None:
    path = tmp_path / "schedule.svg"
    save_plot(path, [("", default_schedule)])
    text = path.read_text(encoding="utf-8")
    root = ElementTree.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # Glyphs are drawn as paths; matplotlib keeps each text as a comment beside them.
    assert f"<!-- {describe(default_schedule.config)} -->" in text
    assert "<!-- warm-up -->" in text


def test_pdf_is_a_pdf(tmp_path: Path, default_schedule: Schedule) -> None:
    path = tmp_path / "schedule.pdf"
    save_plot(path, [("", default_schedule)])
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("suffix", PLOT_SUFFIXES)
def test_the_file_is_readable_by_others_and_no_temporary_remains(
    tmp_path: Path, default_schedule: Schedule, suffix: str
) -> None:
    path = tmp_path / f"schedule{suffix}"
    save_plot(path, [("", default_schedule)])
    assert sorted(tmp_path.iterdir()) == [path]
    assert path.stat().st_size > 1000


# --- what is drawn ---------------------------------------------------------------------------


def test_epoch_mode_draws_every_epoch_flat_over_the_epoch(default_schedule: Schedule) -> None:
    line = curve_line(plot_figure([("", default_schedule)]))
    epochs = default_schedule.config.epochs
    assert line.get_drawstyle() == "steps-post"
    # One point per epoch, and one at the end closing the last epoch at its own rate.
    assert list(line.get_xdata()) == [*range(epochs), epochs]
    assert list(line.get_ydata()) == [*default_schedule.lrs, default_schedule.lrs[-1]]


def test_step_mode_x_is_the_epoch_as_a_fraction(step_schedule: Schedule) -> None:
    line = curve_line(plot_figure([("", step_schedule)]))
    rows = len(step_schedule)
    np.testing.assert_allclose(line.get_xdata(), [step / 50 for step in range(rows + 1)])
    assert list(line.get_ydata()) == [*step_schedule.lrs, step_schedule.lrs[-1]]


def test_long_schedule_draws_only_planned_rates_and_keeps_the_extremes() -> None:
    schedule = plan(ScheduleConfig(interval="step", steps_per_epoch=1000, epochs=20))
    lrs = list(schedule.lrs)
    line = curve_line(plot_figure([("", schedule)]))
    xs, ys = line.get_xdata(), line.get_ydata()
    assert len(xs) <= 2 * BUCKETS + 3 < len(lrs)
    rows = [round(x * 1000) for x in xs[:-1]]
    assert rows == sorted(set(rows))
    assert [lrs[row] for row in rows] == list(ys[:-1])
    assert {0, len(lrs) - 1, lrs.index(max(lrs)), lrs.index(min(lrs))} <= set(rows)


def test_single_curve_labels_say_what_the_schedule_does(default_schedule: Schedule) -> None:
    figure = plot_figure([("", default_schedule)])
    (axes,) = figure.axes
    config = default_schedule.config
    assert axes.get_title() == describe(config)
    assert axes.get_xlabel() == "epoch"
    assert axes.get_ylabel() == "learning rate"
    assert warmup_spans(figure) == [(0, 3)]
    texts = annotation_texts(figure)
    # WarmupCosLR holds the peak lr for epochs warmup_epochs - 1 and warmup_epochs.
    assert "peak 1.000e-03\nepochs 2 and 3" in texts
    (last,) = [text for text in texts if text.startswith("last trained")]
    assert last.startswith(f"last trained epoch 24\n{default_schedule.lrs[-1]:.3e} = ")
    (floor,) = [line for line in axes.lines if line.get_label().startswith("min_lr")]
    assert floor.get_linestyle() == "--"
    assert list(floor.get_ydata()) == [1e-5, 1e-5]
    assert "min_lr = 1.000e-05" in legend_labels(figure)


@pytest.mark.parametrize(
    ("label", "legend"),
    [
        ("", "learning rate"),
        ("lr=0.001 min_lr=1e-05 warmup=3 epochs=25", "learning rate"),
        ("baseline", "baseline"),
    ],
)
def test_single_curve_label_repeats_nothing_of_the_title(
    default_schedule: Schedule, label: str, legend: str
) -> None:
    figure = plot_figure([(label, default_schedule)])
    assert legend_labels(figure)[1] == legend


def test_single_curve_title_keeps_the_configuration(default_schedule: Schedule) -> None:
    figure = plot_figure([("", default_schedule)], title="baseline")
    (axes,) = figure.axes
    assert axes.get_title() == f"baseline\n{describe(default_schedule.config)}"


def test_step_mode_labels_name_steps_and_their_epochs(step_schedule: Schedule) -> None:
    figure = plot_figure([("", step_schedule)])
    (axes,) = figure.axes
    assert axes.get_xlabel() == "epoch (steps_per_epoch = 50 steps)"
    assert warmup_spans(figure) == [(0, 2)]
    texts = annotation_texts(figure)
    assert "peak 1.000e-03\nsteps 99 and 100 (in epochs 1 and 2)" in texts
    assert any(text.startswith("last trained step 499 (in epoch 9)\n") for text in texts)


def test_no_warmup_means_no_shading() -> None:
    figure = plot_figure([("", plan(ScheduleConfig(warmup_epochs=0)))])
    assert warmup_spans(figure) == []
    assert "warm-up" not in legend_labels(figure)
    assert "peak 1.000e-03\nepoch 0" in annotation_texts(figure)


def test_several_curves_each_get_a_colour_and_their_label(default_schedule: Schedule) -> None:
    other = plan(ScheduleConfig(lr=2e-3, label="from the label"))
    figure = plot_figure([("baseline", default_schedule), ("", other)])
    labels = legend_labels(figure)
    assert labels[:3] == ["warm-up", "baseline", "from the label"]
    assert curve_line(figure, 0).get_color() != curve_line(figure, 1).get_color()
    assert list(curve_line(figure, 1).get_ydata()[:-1]) == list(other.lrs)
    # Same warm-up and floor: one shaded span, one min_lr line.
    assert warmup_spans(figure) == [(0, 3)]
    assert "min_lr = 1.000e-05" in labels


def test_several_curves_with_different_warmups_are_not_shaded(
    default_schedule: Schedule,
) -> None:
    other = plan(ScheduleConfig(warmup_epochs=5, min_lr=1e-4))
    figure = plot_figure([("a", default_schedule), ("b", other)])
    assert warmup_spans(figure) == []
    (axes,) = figure.axes
    floors = sorted(line.get_ydata()[0] for line in axes.lines if line.get_linestyle() == "--")
    assert floors == [1e-5, 1e-4]


def test_user_text_with_dollars_is_not_parsed_as_math(
    tmp_path: Path, default_schedule: Schedule
) -> None:
    # Unescaped, matplotlib would fail to parse "$x^$" as mathtext while saving.
    label, title = "run $x^$", "cost $y_$"
    path = tmp_path / "dollars.png"
    save_plot(path, [(label, default_schedule)], title=title)
    assert path.read_bytes().startswith(PNG_MAGIC)
    figure = plot_figure([(label, default_schedule)], title=title)
    assert label in legend_labels(figure)


def test_no_curves_is_a_bug_of_the_caller() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plot_figure([])


# --- thinning long schedules -----------------------------------------------------------------


@given(
    st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), max_size=300),
    st.integers(min_value=1, max_value=40),
)
# A short last bucket whose low (0.6) is above the first row's: padding the bucket with a rate
# from outside it would report an extreme that is not the bucket's.
@example([0.0, 0.5, 0.7, 0.6, 0.9], 2)
def test_extreme_indices_keep_every_buckets_extremes(values: list[float], buckets: int) -> None:
    chosen = extreme_indices(values, buckets)
    assert list(chosen) == sorted(set(chosen))
    if len(values) <= 2 * buckets:
        assert list(chosen) == list(range(len(values)))
        return
    assert len(chosen) <= 2 * buckets + 2
    assert chosen[0] == 0 and chosen[-1] == len(values) - 1
    kept = [values[index] for index in chosen]
    assert max(values) in kept and min(values) in kept
    width = math.ceil(len(values) / buckets)
    for start in range(0, len(values), width):
        bucket = values[start : start + width]
        in_bucket = [values[index] for index in chosen if start <= index < start + width]
        assert max(bucket) in in_bucket
        assert min(bucket) in in_bucket


def test_extreme_indices_keep_a_single_spike_that_skipping_rows_would_lose() -> None:
    values = np.zeros(1_000_003)
    values[123_457] = 1.0
    values[987_651] = -1.0
    chosen = extreme_indices(values)
    assert {123_457, 987_651} <= set(chosen.tolist())
    assert len(chosen) <= 2 * BUCKETS + 2


def test_extreme_indices_of_a_short_schedule_are_every_row() -> None:
    assert extreme_indices([3.0, 1.0, 2.0]).tolist() == [0, 1, 2]
    assert extreme_indices([]).tolist() == []


# --- failures leave nothing behind -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [("schedule.jpg", "unknown file type '.jpg'"), ("schedule", "no file type")],
)
def test_unknown_suffix_is_refused_before_writing(
    tmp_path: Path, default_schedule: Schedule, name: str, problem: str
) -> None:
    path = tmp_path / name
    with pytest.raises(LrplanError) as raised:
        save_plot(path, [("", default_schedule)], option="--plot")
    message = str(raised.value)
    assert message.startswith(f"--plot {path}: {problem}")
    assert ".png, .svg, .pdf" in message
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_refused_and_not_created(
    tmp_path: Path, default_schedule: Schedule
) -> None:
    path = tmp_path / "missing" / "schedule.png"
    with pytest.raises(LrplanError, match="does not exist"):
        save_plot(path, [("", default_schedule)])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            RuntimeError("renderer broke\nsecond line"),
            "cannot save the plot (RuntimeError: renderer broke)",
        ),
        (ValueError(), "cannot save the plot (ValueError)"),
        (OSError(28, "No space left on device"), "cannot write there (No space left on device)"),
        (OSError("encoder error -2"), "cannot write there (encoder error -2)"),
    ],
)
def test_a_failure_while_saving_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
    default_schedule: Schedule,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    expected: str,
) -> None:
    path = tmp_path / "schedule.png"
    path.write_bytes(b"the previous plot")

    def failing_savefig(self: Figure, target: Path, **kwargs: object) -> None:
        Path(target).write_bytes(PNG_MAGIC + b"half a plot")
        raise error

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    with pytest.raises(LrplanError) as raised:
        save_plot(path, [("", default_schedule)])
    assert str(raised.value) == f"--png {path}: {expected}"
    assert path.read_bytes() == b"the previous plot"
    assert list(tmp_path.iterdir()) == [path]


def test_savefig_is_told_the_format(
    tmp_path: Path, default_schedule: Schedule, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    original = Figure.savefig

    def recording_savefig(self: Figure, target: Path, **kwargs: object) -> None:
        seen.append(kwargs.get("format"))
        original(self, target, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    save_plot(tmp_path / "schedule.Svg", [("", default_schedule)])
    assert seen == ["svg"]
