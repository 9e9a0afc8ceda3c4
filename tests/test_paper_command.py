"""The MADE paper's MNIST command (scripts/paper_mnist_2x8000.sh) runs end to end at a small size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

SCRIPT = ROOT / "scripts" / "paper_mnist_2x8000.sh"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_usage_without_out_folder(tmp_path):
    proc = _run(cwd=tmp_path)
    assert proc.returncode == 2 and "usage:" in proc.stderr
    assert _run("--hidden", "16", cwd=tmp_path).returncode == 2


@pytest.mark.slow
def test_paper_command_small(tmp_path):
    """Paper settings, overridden only in size; a resumed run keeps the first result file."""
    out = tmp_path / "paper_small"
    small = ["--hidden", "16", "16", "--epochs", "1", "--limit", "200", "--data", "fallback", "--verbose", "0"]
    proc = _run(str(out), *small, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((out / "test_result.json").read_text())
    settings = result["training"]["settings"]
    assert result["model"]["hidden_sizes"] == [16, 16] and result["num_masks"] == 32
    assert result["model"]["mask_kind"] == "full" and result["model"]["ordering"] == "random"
    assert (settings["optimizer"], settings["learning_rate"], settings["init"]) == ("adagrad-paper", 0.01,
                                                                                   "orthogonal")
    assert (settings["patience"], settings["batch_size"], settings["seed"]) == (30, 100, 1234)
    assert settings["dropout"] == 0.0 and not settings["no_direct"] and settings["activation"] == "relu"
    assert result["ensemble"] == "mixture" and result["split"] == "test"

    longer = [("2" if prev == "--epochs" else a) for prev, a in zip([""] + small, small)]
    again = _run(str(out), "--resume", *longer, cwd=ROOT)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((out / "test_result.json").read_text()) == result      # the first result kept
    assert json.loads((out / "test_result.2.json").read_text())["training"]["epochs_run"] == 2
