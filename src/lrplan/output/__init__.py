"""Output: what a user sees. Text helpers, rich renderers, matplotlib plots, CSV and JSON
writers with one JSON envelope, atomic file writes. Renderers and writers never compute
learning rates: they show the result objects of :mod:`lrplan.analysis` and the core.
"""
