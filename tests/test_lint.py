"""`ruff check` over the whole repository (package, tests, benchmarks, scripts and notebooks).

The rules and their few exceptions, each with its reason, are in pyproject.toml ``[tool.ruff]``.
Run it yourself with ``.venv/bin/ruff check .`` (``--fix`` repairs import order and the like).
"""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_passes():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "No module named ruff" not in result.stderr, "ruff is missing: pip install -e \".[test]\""
    assert result.returncode == 0, f"ruff check . found problems:\n{result.stdout}{result.stderr}"
