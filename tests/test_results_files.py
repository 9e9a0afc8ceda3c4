"""The committed results files name their data by a repository-relative path, not a machine's absolute one."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = sorted((ROOT / "results").glob("*.json"))
ABSOLUTE = re.compile(r"(?<![\w.])(/[\w.-]+/[\w.-]+|[A-Za-z]:\\)")   # /a/b..., C:\


def _strings(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, str):
        yield obj


@pytest.mark.parametrize("path", RESULTS, ids=[p.name for p in RESULTS])
def test_no_absolute_paths(path):
    result = json.loads(path.read_text())
    absolute = [s for s in _strings(result) if ABSOLUTE.search(s)]
    assert not absolute, f"{path.name} holds absolute paths: {absolute[:3]}"
    assert result["data"]["sha256"] and not os.path.isabs(result["data"]["path"])
