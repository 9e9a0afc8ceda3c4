"""``python -m made_helpers`` / ``made``: help, one-line errors, a train -> evaluate -> sample round trip,
and a run killed with SIGKILL that resumes to the same weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import (
    MADE_COMMAND,
    PROCESS_ENV,
    ROOT,
    TINY_RUN,
    cli,
    interrupted_during_import,
    made_process,
    one_line_error,
)

from made_helpers.core.train import TrainingDivergedError
from made_helpers.data import DataIntegrityError
from made_helpers.errors import UserInputError, UserTypeError
from made_helpers.experiments import cli as cli_module
from made_helpers.experiments import run_folder
from made_helpers.experiments.cli import main
from made_helpers.experiments.provenance import shown_path

TINY = ["--data", "fallback", "--limit", "300", "--hidden", "8", "--batch-size", "100", "--verbose", "2"]


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


def test_version_is_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"made {version('made-tutorial')}"
    r = made_process("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"made {version('made-tutorial')}", r.stderr


def _raising(error: BaseException):
    def raise_it(*args, **kwargs):
        raise error
    return raise_it


@pytest.mark.parametrize("error", [
    UserInputError("--model m: something the user can fix"),
    DataIntegrityError("data.npz: truncated; load it again"),
    TrainingDivergedError("the training loss became NaN at epoch 3"),
    FileNotFoundError("no model.keras in runs/x"),
], ids=lambda e: type(e).__name__)
def test_the_package_errors_are_one_line(monkeypatch, tmp_path, capsys, error):
    monkeypatch.setattr(run_folder, "resolve_model", _raising(error))
    assert main(["sample", "--model", "m", "--out", str(tmp_path / "s.png")]) == 1
    line = one_line_error(capsys.readouterr().err, str(error))
    assert line == f"made sample: error: {error}"


@pytest.mark.parametrize("error", [ValueError("not enough values to unpack"), TypeError("'NoneType' is not iterable"),
                                   KeyError("hidden_sizes")], ids=lambda e: type(e).__name__)
def test_a_bug_in_the_package_is_not_shown_as_a_user_error(monkeypatch, tmp_path, capsys, error):
    """A plain ValueError/TypeError inside the CLI is a bug: said so, with the way to its traceback."""
    monkeypatch.setattr(run_folder, "resolve_model", _raising(error))
    monkeypatch.delenv("MADE_DEBUG", raising=False)
    assert main(["sample", "--model", "m", "--out", str(tmp_path / "s.png")]) == 1
    line = one_line_error(capsys.readouterr().err, "internal error", type(error).__name__, "MADE_DEBUG=1")
    assert "not in your input" in line
    monkeypatch.setenv("MADE_DEBUG", "1")
    with pytest.raises(type(error)) as raised:
        main(["sample", "--model", "m", "--out", str(tmp_path / "s.png")])
    assert raised.value is error                           # the original exception, with its traceback


def test_the_checks_raise_the_package_errors():
    from made_helpers.checks import check_int, check_real_batch
    from made_helpers.core.evaluate import paired_difference

    with pytest.raises(UserInputError, match="k must be a positive integer, got 0"):
        check_int("k", 0, low=1)
    with pytest.raises(UserTypeError, match="k must be an integer, got float 1.5"):
        check_int("k", 1.5)
    with pytest.raises(UserInputError, match="got str '3'"):
        check_int("k", "3", type_error=ValueError)
    with pytest.raises(UserInputError, match="x must have width D=3"):
        check_real_batch(np.zeros((2, 4)), 3)
    with pytest.raises(UserInputError, match="same N >= 2 images"):
        paired_difference([1.0], [2.0])


def test_a_refusal_of_the_library_is_a_user_error_not_a_bug(monkeypatch, tmp_path, capsys):
    """``evaluate --ensemble conditionals`` of masks with orderings of their own: the model's refusal, in one line."""
    from made_helpers import MADE

    model = MADE(784, [8], num_masks=2, ordering="random", seed=0)
    monkeypatch.setattr(run_folder, "resolve_model", lambda path: (tmp_path / "model.keras", None))
    monkeypatch.setattr(run_folder, "load_model", lambda path: model)
    assert main(["evaluate", "--model", "m", "--data", "fallback", "--limit", "10", "--ensemble", "conditionals"]) == 1
    line = one_line_error(capsys.readouterr().err, "needs masks that share one ordering", "ensemble='mixture'")
    assert "internal error" not in line


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
    r = made_process("train", *TINY, "--epochs", "2", "--out", str(run))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "FALLBACK SUBSET" in r.stdout and "best valid NLL" in r.stdout
    for name in ("model.keras", "history.json", "checkpoint.npz", "train_summary.json"):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert history["epochs_run"] == 2 and history["data"]["train"]["source"] == "fallback"

    r = made_process("evaluate", "--model", run, "--split", "test", "--masks", "1", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "test NLL:" in r.stdout and "NOT comparable" in r.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert 0 < result["test_nll"] < 784 * np.log(2) + 1 and result["test_nll_se"] > 0
    assert result["data"]["source"] == "fallback" and result["comparable_with_paper"] is False
    assert result["training"]["best_epoch"] == history["best_epoch"]

    png = tmp_path / "samples.png"
    r = made_process("sample", "--model", str(run), "--n", "4", "--out", str(png))
    assert r.returncode == 0, r.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    r = made_process("evaluate", "--model", str(run), "--masks", "3")     # a 1-mask model
    assert r.returncode == 2 and "--masks 3 exceeds the model's 1 mask(s)" in last_line(r.stderr)


@pytest.mark.slow
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
    proc = subprocess.Popen([*MADE_COMMAND, "train", *flags, "--out", str(killed)],
                            cwd=ROOT, env=PROCESS_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


@pytest.mark.parametrize("ensemble, shown", [("mixture", "mixture of 2 mask(s)"),
                                             ("conditionals", "averaged conditionals of 2 mask(s)")])
def test_train_reports_how_the_validation_nll_combined_the_masks(tmp_path, capsys, ensemble, shown):
    """The closing line names the validation ensemble the run used, not always 'mixture'."""
    from conftest import TINY_RUN, cli

    run = [*TINY_RUN[:-2], "--verbose", "2", "--masks", "2", "--ordering", "random", "--mask-kind", "connectivity",
           "--valid-ensemble", ensemble]
    rc, out, err = cli(capsys, "train", *run, "--out", tmp_path / "run")
    assert rc == 0, err
    assert "best valid NLL" in out and shown in out, out


# ----------------------------------------------------------------------------- values, paths and sizes checked up front
def test_masks_that_cannot_fit_are_refused_up_front(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_module, "_available_memory", lambda: 64 * 2**20)      # a machine with 64 MiB free
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--ordering", "random", "--masks", "10000",
                       "--hidden", "8000", "8000", "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, "--masks 10000", "degree tables need 0.63 GiB", "0.06 GiB", "fewer masks")
    assert out == "" and list(tmp_path.iterdir()) == []
    # the help's maximum at the reproduction size fits: 10 000 x (784 + 8) int32 = 32 MB
    monkeypatch.setattr(cli_module, "_available_memory", lambda: 1 * 2**30)
    args = cli_module.build_parser().parse_args(["train", *TINY_RUN, "--ordering", "random", "--masks", "10000",
                                                 "--out", str(tmp_path / "run")])
    assert cli_module._check_train_flags(args) == tmp_path / "run" and list(tmp_path.iterdir()) == []


def test_huge_n_is_refused_up_front(finished_run, tmp_path, capsys):
    rc, _, err = cli(capsys, "sample", "--model", finished_run, "--n", "1000000000", "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "argument --n: must be <= 2500")
    rc, _, err = cli(capsys, "sample", "--model", finished_run, "--n", "2000", "--ncols", "1",
                     "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "2000 rows")
    assert list(tmp_path.iterdir()) == []


def test_a_grid_of_invisible_digits_is_refused(finished_run, tmp_path, capsys):
    rc, out, err = cli(capsys, "sample", "--model", finished_run, "--n", "2500", "--ncols", "2500",
                       "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "--ncols 2500 puts 2500 digits in a row", "at most 40 per row")
    assert out == "" and list(tmp_path.iterdir()) == []
    rc, out, err = cli(capsys, "sample", "--model", finished_run, "--n", "3", "--ncols", "2500",
                       "--out", tmp_path / "s.png")
    assert rc == 0 and (tmp_path / "s.png").is_file(), err          # 3 digits: a row of 3
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    assert "at most 40" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", *TINY_RUN, "--out", "{tmp}/r", "--learning-rate", "-1e-3"],
     "argument --learning-rate: must be a positive finite number, got -1e-3"),
    (["train", *TINY_RUN, "--out", "{tmp}/r", "--seed", "99999999999"], "argument --seed: must be <= 4294967295"),
    (["train", *TINY_RUN, "--out", "{tmp}/r", "--seed", "-1"], "argument --seed: must be >= 0"),
    (["train", *TINY_RUN, "--out", "{tmp}/afile"], "--out {tmp}/afile is an existing file, not a folder"),
    (["train", *TINY_RUN, "--out", "{tmp}/afile/run"], "afile is a file, not a folder"),
    (["evaluate", "--model", "{run}", "--json", "{tmp}"], "is a folder: name a .json file"),
    (["sample", "--model", "{run}", "--seed", str(2**32), "--out", "{tmp}/s.png"],
     "argument --seed: must be <= 4294967295"),
])
def test_values_and_paths_are_checked_up_front(finished_run, tmp_path, capsys, argv, message):
    (tmp_path / "afile").write_text("mine")
    argv = [a.format(tmp=tmp_path, run=finished_run) for a in argv]
    rc, out, err = cli(capsys, *argv)
    assert rc == 2
    one_line_error(err, message.format(tmp=tmp_path))
    assert out == ""                                       # nothing loaded, nothing trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert (tmp_path / "afile").read_text() == "mine"


def test_valid_ensemble_conditionals_across_orderings_is_refused_up_front(tmp_path, capsys):
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--masks", "2", "--ordering", "random", "--valid-ensemble",
                       "conditionals", "--out", tmp_path / "run")
    assert rc == 2                                                       # was: exit 1 after a full epoch
    one_line_error(err, "--valid-ensemble conditionals", "--mask-kind full (the default)",
                   "use --mask-kind connectivity, or --valid-ensemble mixture")
    assert out == "" and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- a real process: one line, no traceback
@pytest.mark.slow
def test_glu_in_a_real_process_is_one_line(tmp_path):
    r = made_process("train", *TINY_RUN, "--activation", "glu", "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--activation 'glu' mixes the units" in r.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_during_start_up_prints_one_line(tmp_path):
    start = time.perf_counter()                           # how long the command line's own import takes here
    subprocess.run([sys.executable, "-c", "import made_helpers.experiments.cli"], cwd=ROOT, env=PROCESS_ENV, check=True)
    ready = time.perf_counter() - start
    proc = subprocess.Popen([*MADE_COMMAND, "train", *TINY_RUN, "--out", str(tmp_path / "r")],
                            cwd=ROOT, env=PROCESS_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(0.5, 1.5 * ready))                     # then TensorFlow's import takes seconds more
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    # 130, or the process ends by SIGINT itself (returncode -2; a shell reports both as 130): CPython does that at exit
    # when an interrupt escaped code that an extension ran with PyRun_String during TensorFlow's import (seen once
    # in a fresh-clone run, with "internal error: ImportError: initialization failed" before signals.interruption).
    assert proc.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().splitlines()[-1].startswith("made train: interrupted")


@pytest.mark.parametrize("signum, raised", [("SIGINT", KeyboardInterrupt), ("SIGTERM", "Terminated")])
def test_a_signal_during_tensorflows_import_is_held_until_the_import_is_done(signum, raised):
    """TensorFlow's start-up printed a Ctrl-C that landed inside it and dropped it (the run went on, status 0)."""
    from made_helpers.experiments import signals

    raised = getattr(signals, raised) if isinstance(raised, str) else raised
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    finished = []
    with pytest.raises(raised):
        with signals.stoppable(), signals.deferred_interrupts():
            os.kill(os.getpid(), getattr(signal, signum))
            time.sleep(0.05)                                  # the handler has run: nothing was raised here
            finished.append(True)
    assert finished == [True] and (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_ctrl_c_inside_an_extensions_start_up_is_an_interruption_not_an_internal_error(capsys, monkeypatch):
    """A Ctrl-C while a compiled extension initialises reaches Python as ImportError("initialization failed")
    raised from the KeyboardInterrupt (pybind11); it printed "internal error ... a bug in made_helpers"."""
    from made_helpers.experiments import cli as cli_module

    monkeypatch.setattr(cli_module, "cmd_train", interrupted_during_import)
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--out", "unused")
    assert rc == 130 and out == ""
    assert err.strip() == "made train: interrupted; a train run continues with --resume"


# ----------------------------------------------------------------------------- paths in messages
def test_shown_path_is_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown_path(str(tmp_path / "a" / "b.npz")) == os.path.join("a", "b.npz")
    assert shown_path("a/b.npz") == os.path.join("a", "b.npz")
    outside = str(ROOT / "data" / "x.npz")
    assert shown_path(outside) == outside                    # outside the current folder: absolute
