"""Where a command's result goes: the files it was asked for, then the terminal.

:class:`Outputs` is what the user asked for (``--csv``, ``--png``, ``--json``, ``--all``,
``--plot``), checked before any work is done. :func:`write_comparison` and
:func:`print_comparison` are the one output path of every command that lines schedules up
(compare, tune, equivalent, diagnose).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrplan.errors import LrplanError
from lrplan.output import STDOUT

if TYPE_CHECKING:
    from rich.console import Console

    from lrplan.analysis.compare import Comparison
    from lrplan.analysis.tuning import Remedy
    from lrplan.core.config import ScheduleConfig


@dataclass(frozen=True)
class Outputs:
    """The outputs a command was asked for. ``csv`` is a path or ``-`` (stdout)."""

    csv: str | None = None
    png: Path | None = None
    json: bool = False
    show_all: bool = False
    plot: bool = False

    @property
    def terminal(self) -> bool:
        """Whether the terminal gets the tables: not when stdout carries JSON or CSV."""
        return not self.json and self.csv != STDOUT

    @property
    def exported(self) -> bool:
        """Whether every row goes to a file or stdout (``--csv`` or ``--json``)."""
        return self.csv is not None or self.json

    def check(self) -> None:
        """Refuse impossible requests, and paths that cannot be written, before any work."""
        import os

        from lrplan.output.export import check_output_path

        if self.json and self.csv == STDOUT:
            raise LrplanError("--json and --csv - both want stdout; write the CSV to a file")
        if self.plot and not self.terminal:
            raise LrplanError(
                "--plot draws in the terminal, but --json or --csv - has stdout; drop one of them"
            )
        if (
            self.csv not in (None, STDOUT)
            and self.png is not None
            and os.path.realpath(self.csv) == os.path.realpath(self.png)
        ):
            raise LrplanError(f"--csv and --png both name {self.png}; give them different files")
        if self.csv is not None and self.csv != STDOUT:
            check_output_path("--csv", Path(self.csv))
        if self.png is not None:
            from lrplan.output.plot import PLOT_SUFFIXES

            check_output_path("--png", self.png, PLOT_SUFFIXES)

    def check_rows(self, rows: int, what: str = "this schedule", *, files: bool = False) -> None:
        """Refuse ``--all`` for a table too long to read in a terminal; with ``files``, not
        when every row goes to ``--csv`` or ``--json`` anyway."""
        from lrplan.output.render import ALL_ROWS_LIMIT

        if files and self.exported:
            return
        if self.show_all and self.terminal and rows > ALL_ROWS_LIMIT:
            raise LrplanError(
                f"--all shows at most {ALL_ROWS_LIMIT:,} rows in the terminal and {what}"
                f" has {rows:,}; use --csv PATH (or --csv -) for every row"
            )


def wrote(path: Path | str) -> None:
    """Tell the user (on stderr, so stdout stays clean) that a file was written."""
    from lrplan.output.console import make_console

    make_console(sys.stderr).print(f"wrote {path}", style="dim", soft_wrap=True, markup=False)


def check_comparison(configs: Iterable[ScheduleConfig], outputs: Outputs) -> None:
    """Refuse candidates that cannot be lined up, and ``--all`` for too long a table."""
    from lrplan.analysis.compare import check_candidates

    configs = list(configs)
    check_candidates(configs)
    outputs.check_rows(max(config.rows for config in configs), "this comparison", files=True)


def write_comparison(
    comparison: Comparison,
    outputs: Outputs,
    *,
    command: str,
    title: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Write the files ``outputs`` asks for: ``--png`` (the curves, titled ``title``),
    ``--csv`` (every row) and ``--json`` (the comparison, then ``payload``, in ``command``'s
    envelope)."""
    from lrplan.output.export import comparison_csv, comparison_document, json_writer, write_text

    # The plot first: a reader that closes stdout early (`--csv - | head`) never costs the file.
    if outputs.png is not None:
        from lrplan.output.plot import save_plot

        curves = [(candidate.label, candidate.schedule) for candidate in comparison.candidates]
        summaries = [candidate.summary for candidate in comparison.candidates]
        save_plot(outputs.png, curves, title=title, summaries=summaries)
        wrote(outputs.png)
    if outputs.csv is not None:
        write_text("--csv", outputs.csv, comparison_csv(comparison))
        if outputs.csv != STDOUT:
            wrote(outputs.csv)
    if outputs.json:
        document = comparison_document(comparison, command, **(payload or {}))
        write_text("--json", STDOUT, json_writer(document))


def print_comparison(
    console: Console,
    comparison: Comparison,
    title: str,
    *,
    show_all: bool = False,
    remedy: Remedy | None = None,
) -> None:
    """The terminal view of a comparison: the title, ``remedy``'s change (tune), the
    candidates, the side-by-side rates, the metrics and the insights."""
    from lrplan.output.render_compare import (
        candidates_grid,
        comparison_insights,
        comparison_table,
        metrics_table,
        remedy_grid,
    )

    console.print(f"{title}  (stepped per {comparison.unit})", style="bold", soft_wrap=True)
    if remedy is not None:
        console.print(remedy_grid(remedy))
        console.print()
    console.print(candidates_grid(comparison))
    console.print(comparison_table(comparison, show_all=show_all, width=console.width))
    console.print(metrics_table(comparison, width=console.width))
    console.print()
    console.print(comparison_insights(comparison))
