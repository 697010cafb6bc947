"""The core: what a schedule is and how lrplan plans it.

The scheduler registry, :class:`~lrplan.core.config.ScheduleConfig`, building a scheduler
from a configuration, the stand-in optimizer and the planner that steps the real scheduler.
It imports :mod:`lrplan.optim` and :mod:`lrplan.errors` only; it never words a message as a
command-line option (it names the parameter) and never imports rich or matplotlib.
"""
