"""Callbacks that plan the schedule of a real training run before its first step.

``lrplan.integrations.lightning.LRPlanCallback`` (Lightning; ``pytorch_lightning`` too) and
``lrplan.integrations.hf.LRPlanCallback`` (transformers' Trainer) preview the run's own
scheduler with :func:`lrplan.preview`, over the steps or epochs the trainer will run, and log the
plan, its summary and insights. Importing this package is light; each module imports its
framework.
"""

from __future__ import annotations


class PlanWarning(UserWarning):
    """A warning-level finding about a run's schedule (``strict=False``)."""


def missing_framework(module: str, package: str, install: str) -> ImportError:
    """The one-line ImportError of an integration whose framework is not installed;
    ``install`` is what to give ``pip install``."""
    return ImportError(
        f"lrplan.integrations.{module} needs {package}, which is not installed:"
        f" pip install {install}"
    )
