"""Inputs: settings merged from defaults, config files, ``--set`` and options; training-config
dialects; training-log readers. Everything here turns what a user has into core objects
(:class:`~lrplan.core.config.ScheduleConfig`, :class:`~lrplan.inputs.logs.TrainingLog`).
It imports :mod:`lrplan.core` and nothing above it.
"""
