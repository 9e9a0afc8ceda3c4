"""``python -m made_helpers`` / ``made``: help, one-line errors, a train -> evaluate -> sample round trip,
and a run killed with SIGKILL that resumes to the same weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from made_helpers.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--data", "fallback", "--limit", "300", "--hidden", "8", "--batch-size", "100", "--verbose", "2"]


def run_cli(*args, timeout=240):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    return subprocess.run([sys.executable, "-m", "made_helpers", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.mark.parametrize("command, flags", [
    ([], ["train", "evaluate", "sample"]),
    (["train"], ["--data {binarized,fallback}", "--limit N", "--resume", "--hidden", "--masks K", "--patience",
                 "--optimizer {adam,adagrad,adagrad-paper}", "--dropout P", "--weight-decay L2",
                 "--lr-schedule", "--mask-kind", "--init", "--bf16", "--learning-rate", "--out DIR", "--seed"]),
    (["evaluate"], ["--model PATH", "--split", "--masks K", "--json FILE"]),
    (["sample"], ["--model PATH", "--n N", "--out FILE.png", "--seed"]),
])
def test_help_explains_each_flag(command, flags, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in flags:
        assert flag in out


@pytest.mark.parametrize("argv, message", [
    (["train", "--out", "x", "--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
    (["train", "--out", "x", "--data", "cifar"], "argument --data: invalid choice: 'cifar'"),
    (["train", "--out", "x", "--learning-rate", "-1"], "argument --learning-rate: must be a positive finite number"),
    (["train", "--out", "x", "--limit", "ten"], "argument --limit: expected an integer, got 'ten'"),
    (["train", "--out", "x", "--bogus"], "unrecognized arguments: --bogus"),
    (["train"], "the following arguments are required: --out"),
    (["evaluate", "--model", "m", "--split", "validation"], "argument --split: invalid choice"),
    (["fit"], "argument {train,evaluate,sample}: invalid choice: 'fit'"),
])
def test_invalid_flags_give_one_line_and_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "error:" in err


def test_inconsistent_values_exit_2(capsys, tmp_path):
    assert main(["train", "--out", str(tmp_path), "--masks", "2", "--valid-masks", "3"]) == 2
    assert "--valid-masks 3 exceeds --masks 2" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path), "--activation", "relux"]) == 2
    assert "--activation 'relux' is not a Keras activation" in capsys.readouterr().err


def test_missing_data_is_a_clear_error(monkeypatch, tmp_path, capsys):
    for var, folder in (("MADE_DATA_DIR", "local"), ("MADE_CACHE_DIR", "cache")):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv(var, str(tmp_path / folder))
    monkeypatch.setenv("MADE_OFFLINE", "1")
    assert main(["train", "--data", "binarized", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "binarized MNIST (train) is missing" in err and str(tmp_path / "local") in err
    assert "MADE_DATA_DIR" in err and "--data fallback" in err


@pytest.mark.slow
def test_round_trip_train_evaluate_sample(tmp_path):
    run = tmp_path / "run"
    r = run_cli("train", *TINY, "--epochs", "2", "--out", str(run))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "FALLBACK SUBSET" in r.stdout and "best valid NLL" in r.stdout
    for name in ("model.keras", "history.json", "checkpoint.npz", "train_summary.json"):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert history["epochs_run"] == 2 and history["data"]["train"]["source"] == "fallback"

    r = run_cli("evaluate", "--model", str(run), "--split", "test", "--masks", "1", "--json", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "test NLL:" in r.stdout and "NOT comparable" in r.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert 0 < result["test_nll"] < 784 * np.log(2) + 1 and result["test_nll_se"] > 0
    assert result["data"]["source"] == "fallback" and result["comparable_with_paper"] is False
    assert result["training"]["best_epoch"] == history["best_epoch"]

    png = tmp_path / "samples.png"
    r = run_cli("sample", "--model", str(run), "--n", "4", "--out", str(png))
    assert r.returncode == 0, r.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    r = run_cli("evaluate", "--model", str(run), "--masks", "3")     # a 1-mask model
    assert r.returncode == 2 and "--masks 3 exceeds the model's 1 mask(s)" in last_line(r.stderr)


def test_existing_run_needs_resume_and_resume_continues(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", *TINY, "--epochs", "1", "--out", run]) == 0
    assert main(["train", *TINY, "--epochs", "1", "--out", run]) == 1
    assert "already holds a run" in capsys.readouterr().err
    assert main(["train", *TINY, "--epochs", "2", "--out", run, "--resume"]) == 0
    summary = json.loads((tmp_path / "run" / "train_summary.json").read_text())
    assert summary["epochs_run"] == 2 and len(summary["invocations"]) == 2


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_same_weights(tmp_path):
    """A real kill (SIGKILL) mid-run, then --resume: the same model as one uninterrupted run."""
    flags = [*TINY, "--epochs", "40", "--patience", "40", "--masks", "2", "--ordering", "random", "--seed", "3"]
    killed = tmp_path / "killed"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "made_helpers", "train", *flags, "--out", str(killed)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while not (killed / "history.json").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    epochs_at_kill = json.loads((killed / "history.json").read_text())["epochs_run"]
    assert 1 <= epochs_at_kill < 40 and not (killed / "model.keras").exists()

    assert main(["train", *flags, "--out", str(killed), "--resume"]) == 0
    assert main(["train", *flags, "--out", str(tmp_path / "whole")]) == 0
    h_res = json.loads((killed / "history.json").read_text())
    h_whole = json.loads((tmp_path / "whole" / "history.json").read_text())
    assert h_res["resumed_at_epochs"] == [epochs_at_kill]
    assert h_res["valid_nll"] == h_whole["valid_nll"]
    a = keras.saving.load_model(killed / "model.keras", compile=False)
    b = keras.saving.load_model(tmp_path / "whole" / "model.keras", compile=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
