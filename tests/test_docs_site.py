"""The documentation site as a reader sees it: `mkdocs build --strict` passes, the API
reference lists the public objects under their public names, and the docstrings' Sphinx
roles (:class:`Schedule`) are links or code, never printed as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(r":(?:class|meth|func|attr|data|const|mod|exc|obj):")
#: `from lrplan import ...` names the reference documents, by the path a reader imports.
PUBLIC = [
    "WarmupCosLR",
    "ScheduleConfig",
    "plan",
    "Schedule",
    "preview",
    "build_config",
    "summarize",
    "Summary",
    "insights",
    "Insight",
    "LrplanError",
    "ParameterError",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    return folder


def test_no_page_prints_a_sphinx_role(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 15
    for page in [*pages, site / "search" / "search_index.json"]:
        text = page.read_text(encoding="utf-8")
        assert not ROLE.search(text), f"{page.relative_to(site)}: {ROLE.search(text)}"


def test_the_reference_lists_public_objects_under_their_public_names(site: Path) -> None:
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    headings = set(re.findall(r'<h2 id="([\w.]+)" class="doc doc-heading"', html))
    assert {f"lrplan.{name}" for name in PUBLIC} <= headings
    # No public object is listed under the module that defines it.
    internal = {heading for heading in headings if heading.rsplit(".", 1)[-1] in PUBLIC}
    assert internal == {f"lrplan.{name}" for name in PUBLIC}


def test_the_roles_of_the_reference_are_links_to_what_it_documents(site: Path) -> None:
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    targets = set(re.findall(r'<a class="autorefs autorefs-internal"[^>]*href="#([\w.]+)"', html))
    # The docstrings name :class:`~lrplan.WarmupCosLR`, :func:`lrplan.plan` and, in
    # LrplanError's, :meth:`message`: each is a link to its entry on the page.
    assert {"lrplan.WarmupCosLR", "lrplan.plan", "lrplan.LrplanError.message"} <= targets
    for target in targets:
        assert f'id="{target}"' in html, target
