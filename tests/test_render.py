"""Renderers take result objects and print them; tested here directly, not through the CLI.

Expected rates come from the formula (tests/formula.py); the renderers must show what the
result objects hold, word parameters as options, and leave rows out by one rule.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from lrplan.analysis.compare import compare
from lrplan.analysis.insights import insights
from lrplan.analysis.resume import simulate_resume
from lrplan.analysis.summary import Insight, fmt_lr, summarize
from lrplan.analysis.tuning import remedy
from lrplan.core.config import ScheduleConfig
from lrplan.core.planner import plan
from lrplan.output.emit import print_comparison
from lrplan.output.render import insight_lines, print_schedule, schedule_table
from lrplan.output.render_resume import print_resume
from lrplan.output.rows import ELIDE_ABOVE, kept_rows
from tests.formula import formula_lr


def recorded(width: int = 100) -> Console:
    return Console(record=True, width=width, color_system=None, force_terminal=False)


@pytest.mark.parametrize(("warmup", "epochs"), [(0, 5), (3, 25), (2, 12)])
def test_print_schedule_shows_every_planned_rate_of_a_short_schedule(
    warmup: int, epochs: int
) -> None:
    config = ScheduleConfig(lr=1e-3, min_lr=1e-5, warmup_epochs=warmup, epochs=epochs)
    schedule = plan(config)
    summary = summarize(schedule)
    console = recorded()

    print_schedule(schedule, summary, insights(schedule, summary), console=console)

    text = console.export_text()
    assert text.startswith("WarmupCosLR per epoch:")
    for epoch in range(epochs):
        assert fmt_lr(formula_lr(epoch, 1e-3, 1e-5, warmup, epochs)) in text


def test_a_long_schedule_table_leaves_rows_out_by_the_shared_rule() -> None:
    schedule = plan(ScheduleConfig(epochs=100))
    console = recorded()

    console.print(schedule_table(schedule, summarize(schedule)))

    text = console.export_text()
    assert "⋮" in text
    assert "80 of 100 epochs not shown" in text
    assert fmt_lr(schedule.lrs[50]) not in text


@pytest.mark.parametrize(
    ("count", "around", "expected"),
    [
        (5, (), [0, 1, 2, 3, 4]),
        (ELIDE_ABOVE + 1, (), [0, 1, None, ELIDE_ABOVE - 1, ELIDE_ABOVE]),
        (100, (50,), [0, 1, None, 49, 50, 51, None, 98, 99]),
        (100, (1, 98), [0, 1, 2, None, 97, 98, 99]),
    ],
)
def test_kept_rows(count: int, around: tuple[int, ...], expected: list[int | None]) -> None:
    assert kept_rows(count, edge=2, around=around) == expected


def test_insight_lines_word_parameters_as_options() -> None:
    found = [Insight("x", "warning", "«min_lr» is high.", "Lower «min_lr» to 1e-06.")]
    console = recorded()

    console.print(insight_lines(found))

    text = " ".join(console.export_text().split())
    assert "--min-lr is high." in text and "fix: Lower --min-lr to 1e-06." in text
    assert found[0].message == "min_lr is high."  # the API's wording


def test_print_comparison_shows_the_remedy_and_both_candidates() -> None:
    found = remedy("plateau", ScheduleConfig())
    comparison = compare([found.base.replace(label="base"), found.tuned.replace(label="tuned")])
    console = recorded(120)

    print_comparison(console, comparison, "lrplan tune plateau: base and tuned", remedy=found)

    text = console.export_text()
    assert text.startswith("lrplan tune plateau: base and tuned  (stepped per epoch)")
    assert "base" in text and "tuned" in text
    assert "epochs" in text and "25 → 50" in text


def test_print_resume_marks_the_resume_and_names_every_way() -> None:
    report = simulate_resume(ScheduleConfig(epochs=25), 10)
    console = recorded(120)

    print_resume(console, report)

    text = console.export_text()
    assert "interrupted after epoch 9, resumed at epoch 10" in text
    for scenario in report.scenarios:
        assert f"{scenario.number} {scenario.title}" in text
    # The fresh scheduler's first resumed epoch restarts the warm-up: its own rate is shown.
    fresh = next(s for s in report.scenarios if s.departs_at == 10 and s.error is None)
    assert fmt_lr(fresh.lrs[10]) in text


def test_a_note_every_candidate_has_is_printed_once() -> None:
    from lrplan.output.render_compare import comparison_insights

    same = compare([ScheduleConfig(label="a"), ScheduleConfig(label="b")])
    console = recorded(120)

    console.print(comparison_insights(same))

    text = console.export_text()
    assert text.startswith("all 2 candidates\n")
    assert "numbers" not in text  # the same words for both: no caption
    assert text.count("held for 2 epochs") == 1
    assert "\na\n" not in text and "\nb\n" not in text  # nothing left of their own
