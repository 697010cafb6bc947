"""Output: what a user sees. Text helpers, rich renderers, matplotlib plots, CSV and JSON
writers with one JSON envelope, atomic file writes. Renderers and writers never compute
learning rates: they show the result objects of :mod:`lrplan.analysis` and the core.
"""

#: The ``--csv`` (and ``--json``) target that means standard output. Here, not in
#: :mod:`lrplan.output.export`, so that :mod:`lrplan.output.emit`, which every command module
#: imports when ``lrplan`` starts, need not load the writers.
STDOUT = "-"
