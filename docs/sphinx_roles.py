"""A Griffe extension for the API reference: the Sphinx roles of lrplan's docstrings as links.

lrplan's docstrings name other objects the Sphinx way (:class:`Schedule`, :meth:`row`,
:func:`~lrplan.plan`), which mkdocstrings-python would print as written. Once Griffe has
loaded the package (mkdocs.yml lists this file under the handler's ``extensions``), every
role becomes a cross-reference mkdocs-autorefs resolves after the site is rendered: the
name, resolved in the scope of the object whose docstring it is, linked to where the
reference documents it; or, for an object the site does not document, the name in code.
The docstrings themselves keep the roles that ``help()`` and editors show.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import griffe

#: ``:role:`name``` and ``:role:`~dotted.name``` (the tilde shows the last part only).
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|const|mod|exc|obj):`(~?)([\w.]+)(\(\))?`")


def target(obj: griffe.Object, name: str) -> str | None:
    """The full path ``name`` stands for in ``obj``'s docstring, or None if unknown."""
    if name.split(".")[0] == "lrplan":
        return name
    first, _, rest = name.partition(".")
    try:
        resolved = obj.resolve(first)
    except (griffe.NameResolutionError, ValueError, KeyError, AttributeError):
        return None
    return f"{resolved}.{rest}" if rest else resolved


def link(obj: griffe.Object, match: re.Match[str]) -> str:
    """The role ``match`` as an optional autorefs cross-reference (plain code if unresolved)."""
    tilde, name, call = match.groups()
    title = escape((name.rsplit(".", 1)[-1] if tilde else name) + (call or ""))
    path = target(obj, name)
    if path is None:
        return f"`{title}`"
    return f'<autoref identifier="{escape(path)}" optional><code>{title}</code></autoref>'


class SphinxRoles(griffe.Extension):
    """Rewrites the roles of every docstring of the package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        pending: list[griffe.Object] = [pkg]
        while pending:
            obj = pending.pop()
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(lambda m, o=obj: link(o, m), obj.docstring.value)
            pending.extend(member for member in obj.members.values() if not member.is_alias)  # type: ignore[misc]
