"""Shared fixtures: run the CLI in-process, and the formula the tests check lrplan against."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from lrplan.cli import app

Run = Callable[..., object]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Invoke ``lrplan ARGS`` in-process; returns the typer Result (stdout/stderr apart)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    runner = CliRunner()

    def invoke(*args: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), **kwargs)

    return invoke
