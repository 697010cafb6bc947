"""Analysis: result objects in, result objects out.

The shared vocabulary (:class:`~lrplan.analysis.insights.Summary`,
:class:`~lrplan.analysis.insights.Insight`), insights read from a planned schedule, check,
compare, tune, resume, equivalent and diagnose. Nothing here prints, draws or writes files.
"""
