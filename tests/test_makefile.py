"""The Makefile's paths are relative to the repository root: run elsewhere, it says so in one line. Issue 28, B012."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

MAKE_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}
"""The environment of a user's own ``make``: under ``make test`` the outer make's variables would make the inner one
print "Entering directory" lines."""


def test_make_from_another_folder_names_the_repository(tmp_path):
    """B012: `make -f <repo>/Makefile install` elsewhere said 'No rule to make target pyproject.toml'."""
    r = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-n", "install"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60, env=MAKE_ENV)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"run make in the repository root ({ROOT})" in lines[0]
    assert f"make -C {ROOT} install" in lines[0] and "No rule" not in r.stderr


def test_make_in_the_repository_root_still_works():
    r = subprocess.run(["make", "-n", "install"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=MAKE_ENV)
    assert r.returncode == 0, r.stderr


def test_a_copy_of_the_makefile_elsewhere_names_the_repository(tmp_path):
    """B012, read as written (`cd other && make -f ./Makefile install` with the Makefile copied there): it said
    'No rule to make target pyproject.toml'."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    r = subprocess.run(["make", "-f", "./Makefile", "-n", "install"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, env=MAKE_ENV)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{tmp_path} holds no pyproject.toml" in lines[0] and "No rule" not in r.stderr
