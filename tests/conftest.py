"""Shared fixtures: run the CLI in-process, and the formula the tests check lrplan against."""

from __future__ import annotations

import os
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI (``CI`` set, as .ci/run runs), a skipped test fails: CI installs every framework
    of requirements/dev.lock, so a skip there means a test that never ran."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be: {reason}"
