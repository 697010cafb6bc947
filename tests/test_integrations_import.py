"""Importing an integration without its framework says in one line which extra to install;
importing lrplan.integrations itself is light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

CASES = [
    ("lrplan.integrations.lightning", "lightning.pytorch", "pip install 'lrplan[lightning]'"),
    ("lrplan.integrations.pytorch_lightning", "pytorch_lightning", "pip install pytorch-lightning"),
    ("lrplan.integrations.hf", "transformers", "pip install 'lrplan[hf]'"),
]


@pytest.mark.parametrize(("module", "framework", "install"), CASES)
def test_without_its_framework_an_integration_names_the_extra_in_one_line(
    monkeypatch: pytest.MonkeyPatch, module: str, framework: str, install: str
) -> None:
    monkeypatch.delitem(sys.modules, module, raising=False)
    # None in sys.modules makes `import framework` raise ImportError, as when not installed.
    monkeypatch.setitem(sys.modules, framework, None)

    with pytest.raises(ImportError) as raised:
        importlib.import_module(module)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{module} needs ")
    assert message.endswith(install)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_importing_lrplan_integrations_imports_no_framework() -> None:
    code = (
        "import sys, lrplan.integrations\n"
        "heavy = [m for m in ('torch', 'lightning', 'transformers', 'matplotlib')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
