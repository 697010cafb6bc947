"""Which rows a long table shows: one rule for every table lrplan prints.

A table of :data:`ELIDE_ABOVE` rows or fewer shows them all; a longer one shows ``edge``
rows at each end and the rows around the places worth seeing (where a candidate ends, where
a run resumes, where a log departs from its plan), with ``None`` where rows are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Tables longer than this leave rows out unless ``--all`` is given.
ELIDE_ABOVE = 40


def kept_rows(
    count: int,
    *,
    edge: int,
    around: Iterable[int] = (),
    before: int = 1,
    after: int = 1,
    show_all: bool = False,
) -> list[int | None]:
    """The rows ``0..count-1`` to show, in order, ``None`` marking each run left out.

    All of them with ``show_all`` or for a short table; else the first and last ``edge``
    rows and, around each index of ``around``, ``before`` rows before it and ``after`` after.
    """
    if show_all or count <= ELIDE_ABOVE:
        return list(range(count))
    keep = set(range(min(edge, count))) | set(range(max(0, count - edge), count))
    for index in around:
        keep |= set(range(max(0, index - before), min(count, index + after + 1)))
    shown: list[int | None] = []
    for row in sorted(keep):
        if shown and shown[-1] is not None and row != shown[-1] + 1:
            shown.append(None)
        shown.append(row)
    return shown
