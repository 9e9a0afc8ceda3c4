"""Issue 21, part A: the binary MADE and the command line, probed again. Each test runs the issue's
reproduction and checks the exit status, the one-line message, and that no file was lost or written
elsewhere.

Most checks call ``made_helpers.experiments.cli.main`` in-process; those about real concurrent processes start
``python -m made_helpers``. The numbers in the test names are the issue's item numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    MADE_COMMAND,
    PROCESS_ENV,
    ROOT,
    RUN_ARTEFACTS,
    TINY_RUN,
    made_process,
    one_line_error,
    rewrite_keras,
    snapshot,
)
from conftest import cli as cli_run

from made_helpers import MADE, data
from made_helpers.experiments import cli
from made_helpers.experiments.cli import main
from made_helpers.experiments.provenance import shown_path
from made_helpers.experiments.run_folder import LOCK_FILE, OVERWRITTEN, lock_holder, run_lock
from made_helpers.model_file import file_sha256

B = TINY_RUN
B_BINARIZED = ["--data", "binarized", *B[2:]]
ARTEFACTS = RUN_ARTEFACTS








def binarized_available() -> bool:
    try:
        data.data_search_dirs()
        return any((d / "binarized_mnist_test.npz").is_file() for d in data.data_search_dirs())
    except data.DataError:
        return False


needs_binarized = pytest.mark.skipif(not binarized_available(),
                                     reason="Larochelle's binarized MNIST is not here; set MADE_DATA_DIR")




@pytest.fixture(scope="module")
def other_run(tmp_path_factory) -> Path:
    """A second tiny run, another seed: another model of the same architecture."""
    run = tmp_path_factory.mktemp("runs") / "other"
    assert main(["train", *B, "--seed", "1", "--out", str(run)]) == 0
    return run




# ----------------------------------------------------------------------------- 1: memory of many masks
def test_1_mask_sets_keep_degrees_not_dxd_masks():
    """Before: every cached mask set held a 784 x 784 float32 direct mask (2.4 MB a mask, also with
    direct=False); 300 masks took 0.7 GB. Now the cache holds degrees only, and at most MASK_CACHE_SIZE."""
    from made_helpers.core.model import MASK_CACHE_SIZE

    model = MADE(784, [8], num_masks=300, ordering="random", direct=False, seed=0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(300):
            model.set_mask(k)
        model.degree_tables()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20 * 2**20, f"300 masks kept {grown / 2**20:.0f} MiB"          # was ~700 MiB
    assert len(model._mask_cache) <= MASK_CACHE_SIZE
    arrays = [a for ms in model._mask_cache.values() for a in ms.degrees]
    assert all(a.ndim == 1 for a in arrays) and "direct_mask" not in vars(next(iter(model._mask_cache.values())))
    assert sum(a.nbytes for a in arrays) <= MASK_CACHE_SIZE * (784 + 8) * 8
    # the masks are still the same ones, built when asked for
    ms = model.mask_set(299)
    np.testing.assert_array_equal(model.hidden_layers[0].mask.numpy(), ms.masks[0])


def test_1_masks_that_cannot_fit_are_refused_up_front(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_available_memory", lambda: 64 * 2**20)      # a machine with 64 MiB free
    rc, out, err = cli_run(capsys, "train", *B, "--ordering", "random", "--masks", "10000",
                           "--hidden", "8000", "8000", "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, "--masks 10000", "degree tables need 0.63 GiB", "0.06 GiB", "fewer masks")
    assert out == "" and list(tmp_path.iterdir()) == []
    # the help's maximum at the reproduction size fits: 10 000 x (784 + 8) int32 = 32 MB
    monkeypatch.setattr(cli, "_available_memory", lambda: 1 * 2**30)
    args = cli.build_parser().parse_args(["train", *B, "--ordering", "random", "--masks", "10000",
                                          "--out", str(tmp_path / "run")])
    assert cli._check_train_flags(args) == tmp_path / "run" and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- 2: one writer per run folder
def test_2_a_held_run_folder_refuses_train_resume_evaluate_and_sample(run_copy, tmp_path, capsys):
    before = snapshot(run_copy)
    with run_lock(run_copy):
        assert lock_holder(run_copy) == f"made train, pid {os.getpid()}"
        for flags in ([], ["--resume"], ["--overwrite"]):
            rc, out, err = cli_run(capsys, "train", *B, *flags, "--out", run_copy)
            assert rc == 1
            one_line_error(err, f"--out {run_copy} is in use by made train, pid {os.getpid()}")
        rc, _, err = cli_run(capsys, "evaluate", "--model", run_copy, "--limit", "10")
        assert rc == 1
        line = one_line_error(err, "is being written by made train, pid", "wait for it to end")
        assert "--resume" not in line                                  # no advice that starts a second writer
        rc, _, err = cli_run(capsys, "sample", "--model", run_copy / "model.keras", "--n", "2",
                             "--out", tmp_path / "s.png")
        assert rc == 1
        one_line_error(err, f"pid {os.getpid()}")
        before[LOCK_FILE] = (run_copy / LOCK_FILE).read_bytes()
        assert snapshot(run_copy) == before
    del before[LOCK_FILE]
    assert snapshot(run_copy) == before and lock_holder(run_copy) is None
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
def test_2_a_run_holds_its_lock_and_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    """The lock is taken before anything is written and released (its file removed) at the end; a run
    that fails before writing anything leaves no folder."""
    seen = {}
    from made_helpers.experiments import train_run

    real = train_run.load_split

    def spy(*a, **k):
        seen["holder"] = lock_holder(tmp_path / "run")
        return real(*a, **k)

    monkeypatch.setattr(train_run, "load_split", spy)
    rc, _, err = cli_run(capsys, "train", *B, "--out", tmp_path / "run")
    assert rc == 0, err
    assert seen["holder"] == f"made train, pid {os.getpid()}"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(ARTEFACTS)
    monkeypatch.setenv("MADE_DATA_DIR", str(tmp_path / "no-such-folder"))
    rc, _, err = cli_run(capsys, "train", *B_BINARIZED, "--out", tmp_path / "new")
    assert rc == 1 and "is not an existing folder" in err
    assert not (tmp_path / "new").exists()


@pytest.mark.slow
def test_2_two_real_train_processes_on_one_folder(tmp_path, capsys):
    """The reproduction: a second `made train` (and an evaluate) while a first one is running."""
    run = tmp_path / "run"
    flags = [*B[:-4], "--epochs", "100000", "--patience", "100000", "--verbose", "0"]
    proc = subprocess.Popen([*MADE_COMMAND, "train", *flags, "--out", str(run)],
                            cwd=ROOT, env=PROCESS_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while not (run / "history.json").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read()
        rc, _, err = cli_run(capsys, "train", *B, "--out", run)
        assert rc == 1
        one_line_error(err, f"is in use by made train, pid {proc.pid}")
        rc, _, err = cli_run(capsys, "train", *flags, "--out", run, "--resume")
        assert rc == 1
        one_line_error(err, f"pid {proc.pid}")
        rc, _, err = cli_run(capsys, "evaluate", "--model", run, "--limit", "10")
        assert rc == 1
        assert "--resume" not in one_line_error(err, f"pid {proc.pid}")
        assert not (run / "model.keras").exists()           # the first run is still the only writer
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert lock_holder(run) is None and not (run / LOCK_FILE).exists()
    rc, _, err = cli_run(capsys, "train", *B[:-4], "--epochs", "1", "--patience", "100000", "--verbose", "0",
                         "--out", run, "--resume")
    assert rc == 0, err


# ----------------------------------------------------------------------------- 3: --overwrite keeps the old run
def test_3_overwrite_interrupted_in_its_first_epoch_keeps_the_old_run(run_copy, capsys, monkeypatch):
    before = snapshot(run_copy)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("made_helpers.core.train.evaluate_nll", interrupt)       # Ctrl-C during epoch 1
    rc, _, err = cli_run(capsys, "train", *B, "--seed", "5", "--out", run_copy, "--overwrite")
    assert rc == 130 and "interrupted" in err
    assert snapshot(run_copy) == before                                     # was: an empty folder


@pytest.mark.slow
def test_3_overwrite_that_diverges_in_its_first_epoch_keeps_the_old_run(run_copy, capsys):
    before = snapshot(run_copy)
    rc, _, err = cli_run(capsys, "train", *B, "--weight-decay", "1e37", "--out", run_copy, "--overwrite")
    assert rc == 1
    one_line_error(err, "training stopped", "no checkpoint was written")
    assert snapshot(run_copy) == before


def test_3_a_killed_overwrite_is_undone_on_the_next_start(run_copy, capsys):
    """SIGKILL before the new run's first checkpoint: the old files wait in .made-overwritten; the next
    start puts them back (and then refuses, as for any existing run)."""
    before = snapshot(run_copy)
    aside = run_copy / OVERWRITTEN
    aside.mkdir()
    for name in ARTEFACTS:
        os.replace(run_copy / name, aside / name)
    rc, out, err = cli_run(capsys, "train", *B, "--out", run_copy)
    assert rc == 1
    one_line_error(err, "already holds a run")
    assert "restored the run" in out
    assert snapshot(run_copy) == before


@pytest.mark.slow
def test_3_overwrite_replaces_the_run_once_it_has_a_checkpoint(run_copy, capsys):
    old = (run_copy / "model.keras").read_bytes()
    rc, _, err = cli_run(capsys, "train", *B, "--seed", "5", "--out", run_copy, "--overwrite")
    assert rc == 0, err
    assert sorted(p.name for p in run_copy.iterdir()) == sorted(ARTEFACTS)    # nothing set aside is left
    assert (run_copy / "model.keras").read_bytes() != old
    assert json.loads((run_copy / "train_summary.json").read_text())["settings"]["seed"] == 5


# ----------------------------------------------------------------------------- 4: --json never overwrites what it reads
def test_4_evaluate_json_cannot_be_the_summary_it_reads(finished_run, tmp_path, capsys):
    shutil.copy(finished_run / "model.keras", tmp_path / "m.keras")
    shutil.copy(finished_run / "train_summary.json", tmp_path / "s.json")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / "s.json")
    os.link(tmp_path / "s.json", tmp_path / "hard.json")
    os.link(tmp_path / "m.keras", tmp_path / "m.json")
    before = snapshot(tmp_path)
    for target, message in [("s.json", "which this command reads"), ("sub/../s.json", "which this command reads"),
                            ("link.json", "which this command reads"), ("hard.json", "which this command reads"),
                            ("m.json", "is the model file itself"),
                            (f"{finished_run}/train_summary.json", "is a file of the run")]:
        rc, out, err = cli_run(capsys, "evaluate", "--model", tmp_path / "m.keras", "--summary", tmp_path / "s.json",
                               "--limit", "10", "--json", target if target.startswith("/") else tmp_path / target)
        assert rc == 2, (target, err)
        one_line_error(err, message)
        assert "NLL" not in out                                      # refused before any work
    assert snapshot(tmp_path) == before


# ----------------------------------------------------------------------------- 6: schedule flags
@pytest.mark.parametrize("flags, message", [
    (["--lr-schedule", "step", "--lr-milestones", "2", "2"], "--lr-milestones repeats 2"),
    (["--cosine-epochs", "5"], "--cosine-epochs belongs to --lr-schedule cosine (now --lr-schedule constant"),
    (["--lr-schedule", "step", "--lr-milestones", "3", "--lr-patience", "4"],
     "--lr-patience belongs to --lr-schedule plateau"),
    (["--lr-patience", "4"], "--lr-patience belongs to --lr-schedule plateau"),
    (["--lr-schedule", "cosine", "--lr-factor", "0.5"], "--lr-factor belongs to --lr-schedule step or plateau"),
    (["--learning-rate", "1e-300"], "--learning-rate 1e-300 is 0 in float32"),
    (["--learning-rate", "1e39"], "--learning-rate 1e+39 is inf in float32"),
])
def test_6_schedule_flags_that_would_be_ignored_or_wrong_are_refused(tmp_path, capsys, flags, message):
    rc, out, err = cli_run(capsys, "train", *B, *flags, "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, message)
    assert out == "" and list(tmp_path.iterdir()) == []


def test_6_the_library_refuses_them_too():
    from made_helpers.core.schedules import LearningRateSchedule
    from made_helpers.core.train import make_optimizer

    with pytest.raises(ValueError, match=r"^lr_milestones repeats epoch\(s\) \[2\]"):
        LearningRateSchedule("step", 1e-3, milestones=[2, 2])
    with pytest.raises(ValueError, match=r"^learning_rate 1e-300 is 0 in float32"):
        make_optimizer("adam", 1e-300)
    assert LearningRateSchedule("step", 1e-3, milestones=[2, 5]).rate(5) == pytest.approx(1e-5)


# ----------------------------------------------------------------------------- 7: element-wise activations only
@pytest.mark.parametrize("activation", ["softmax", "log_softmax", "sparsemax", "glu"])
def test_7_activations_that_mix_units_are_refused(tmp_path, capsys, activation):
    rc, out, err = cli_run(capsys, "train", *B, "--activation", activation, "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, f"--activation '{activation}' mixes the units of a layer", "relu, relu6", "tanh")
    assert out == "" and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=f"^activation '{activation}' mixes the units"):
        MADE(5, [8], activation=activation)


def test_7_element_wise_activations_keep_the_property():
    import keras

    from made_helpers.core import masks as mk

    for activation in ("gelu", "tanh", keras.activations.elu):
        model = MADE(5, [8], activation=activation, seed=0)
        assert model.get_config()["activation"] in ("gelu", "tanh", "elu")
        x = np.random.default_rng(0).integers(0, 2, (64, 5)).astype(np.float32)
        # output d must not change when an input at or after d (in the ordering) changes
        for d in range(5):
            flipped = x.copy()
            flipped[:, d:] = 1 - flipped[:, d:]
            np.testing.assert_allclose(model(x).numpy()[:, :d + 1], model(flipped).numpy()[:, :d + 1], atol=1e-6)
        assert mk.is_autoregressive(model.connectivity(), model.degrees[0])


# ----------------------------------------------------------------------------- 8: edited model files
@pytest.mark.parametrize("change, message", [
    ({"seed": 7}, "hidden_0 mask"),
    ({"ordering": "reversed"}, "order differ"),
    ({"hidden_degrees": "equal"}, "hidden_0 mask"),
    ({"direct": False}, "stores 10 arrays but its config"),
])
def test_8_an_edited_config_is_refused(finished_run, tmp_path, capsys, change, message):
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "edited.keras", **change)
    for argv in (["evaluate", "--model", bad, "--limit", "10"],
                 ["sample", "--model", bad, "--n", "2", "--out", tmp_path / "s.png"]):
        rc, out, err = cli_run(capsys, *argv)
        assert rc == 1
        one_line_error(err, "edited.keras", message, "config.json was edited")
        assert "NLL" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.keras"]


@pytest.mark.parametrize("change", [{"seed": 7}, {"ordering": "reversed"}, {"hidden_degrees": "equal"}])
def test_8_keras_load_model_refuses_an_edited_config(finished_run, tmp_path, change):
    """The library's own load (notebooks use keras.saving.load_model) runs the mask check too."""
    import keras

    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "edited.keras", **change)
    with pytest.raises(ValueError, match="the trained masks in the file are not those its config"):
        keras.saving.load_model(bad, compile=False)
    model = keras.saving.load_model(finished_run / "model.keras", compile=False)     # the unedited file loads
    assert model.mask_differences() == []


def test_8_weights_of_another_model_are_refused(finished_run, other_run, tmp_path, capsys):
    swapped = rewrite_keras(finished_run / "model.keras", tmp_path / "swapped.keras",
                            weights_from=other_run / "model.keras")
    rc, _, err = cli_run(capsys, "evaluate", "--model", swapped, "--limit", "10")
    assert rc == 1
    one_line_error(err, "swapped.keras: the trained masks in the file are not those its config",
                   "the weights come from another model")


def test_8_results_files_carry_the_model_digest(finished_run, tmp_path, capsys):
    """Edits that keep the masks (num_masks) change the file's bytes: the results file's digest catches them."""
    from made_helpers.experiments.results import check_model_digest, load_results

    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(finished_run / "model.keras", folder / "m.keras")
    rc, _, err = cli_run(capsys, "evaluate", "--model", folder / "m.keras", "--summary",
                         finished_run / "train_summary.json", "--limit", "10", "--json", folder / "m.json")
    assert rc == 0, err
    result = json.loads((folder / "m.json").read_text())
    assert result["model_sha256"] == file_sha256(folder / "m.keras")
    assert [r["file"] for r in load_results(folder)] == ["m.json"]
    assert check_model_digest(result, folder / "m.json") == folder / "m.keras"
    rewrite_keras(finished_run / "model.keras", folder / "m.keras", num_masks=4)     # loads, same masks
    with pytest.raises(ValueError, match=r"m\.keras: SHA-256 .* is not the .* recorded in .*m\.json"):
        load_results(folder)


# ----------------------------------------------------------------------------- 9: --summary of the loaded model
@pytest.mark.parametrize("kind, message", [
    ("other run", "describes another model than --model (seed: summary 1 vs model 0)"),
    ("old summary of another run", "describes another model than --model (seed: summary 1 vs model 0)"),
    ("results file", "is a results file (from made evaluate --json), not a training summary"),
    ("json list", "holds a JSON list, not an object"),
    ("keras file", "is a zip archive (a .keras model?), not a training summary"),
    ("not json", "is not JSON"),
    ("empty object", "has no settings or best_epoch"),
])
def test_9_summary_must_be_the_training_summary_of_the_model(finished_run, other_run, tmp_path, capsys,
                                                             kind, message):
    summary = tmp_path / ("s.keras" if kind == "keras file" else "s.json")
    if kind == "other run":
        shutil.copy(other_run / "train_summary.json", summary)
    elif kind == "old summary of another run":            # written before summaries recorded "model"
        old = json.loads((other_run / "train_summary.json").read_text())
        del old["model"]
        summary.write_text(json.dumps(old))
    elif kind == "results file":
        assert main(["evaluate", "--model", str(finished_run), "--limit", "10", "--json", str(summary)]) == 0
        capsys.readouterr()
    elif kind == "keras file":
        shutil.copy(finished_run / "model.keras", summary)
    else:
        summary.write_text({"json list": "[1, 2]", "not json": "{oops", "empty object": "{}"}[kind])
    before = snapshot(tmp_path)
    rc, out, err = cli_run(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary", summary,
                           "--limit", "10", "--json", tmp_path / "r.json")
    assert rc == 2
    one_line_error(err, f"--summary {summary}", message)
    assert "NLL" not in out and snapshot(tmp_path) == before


def test_9_an_old_summary_of_the_same_model_is_accepted(finished_run, tmp_path, capsys):
    old = json.loads((finished_run / "train_summary.json").read_text())
    del old["model"]
    (tmp_path / "s.json").write_text(json.dumps(old))
    rc, _, err = cli_run(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary",
                         tmp_path / "s.json", "--limit", "10", "--json", tmp_path / "r.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["training"]["best_epoch"] == 1


# ----------------------------------------------------------------------------- 10: only test NLLs are the paper's
@needs_binarized
def test_10_only_a_test_split_result_is_comparable_with_the_paper(finished_run, tmp_path, capsys):
    from made_helpers.experiments.results import paper_table

    for split in ("valid", "test"):
        rc, _, err = cli_run(capsys, "evaluate", "--model", finished_run, "--data", "binarized", "--split", split,
                             "--json", tmp_path / f"{split}.json")
        assert rc == 0, err
    valid, test = (json.loads((tmp_path / f"{s}.json").read_text()) for s in ("valid", "test"))
    assert valid["n_images"] == 10_000 and valid["comparable_with_paper"] is False
    assert test["comparable_with_paper"] is True
    # an older file that marked its valid split comparable is still not listed as a test NLL
    valid.update(comparable_with_paper=True, file="valid.json")
    test.update(file="test.json")
    table = paper_table([valid, test])
    assert "`test.json`" in table and "`valid.json`" not in table


# ----------------------------------------------------------------------------- 11, 12: completion and mask sets
@pytest.mark.parametrize("observed", [["False"] * 5, "0", 0.5, np.nan, -1, [0, 1, 2, 0, 0]])
def test_11_complete_and_complete_any_check_observed_alike(observed):
    from made_helpers.core.conditioning import complete_any

    model = MADE(5, [8], num_masks=2, ordering="random", seed=0)
    x = np.zeros((1, 5), np.float32)
    observed = np.full(5, observed) if np.ndim(observed) == 0 and not isinstance(observed, str) else observed
    messages = []
    for fill in (model.complete, lambda x, o: complete_any(model, x, o)):
        with pytest.raises(ValueError, match=r"^observed must be a boolean \(or 0/1\) array") as e:
            fill(x, observed)
        messages.append(str(e.value))
    assert messages[0] == messages[1]


def test_11_complete_still_accepts_bools_and_0_1():
    model = MADE(5, [8], seed=0)
    x = np.ones((2, 5), np.float32)
    for observed in ([1, 1, 0, 0, 0], np.array([True, True, False, False, False])):
        out = model.complete(x, observed, seed=0)
        np.testing.assert_array_equal(out[:, :2], 1.0)


def test_12_log_prob_with_num_masks_keeps_the_blocks_mask_set():
    from made_helpers.core.conditioning import conditioning_mask_set, using_mask_set
    from made_helpers.core.enumeration import sharpen_weights

    model = sharpen_weights(MADE(6, [24], num_masks=3, ordering="random", seed=5), scale=2.5)
    x = np.random.default_rng(0).integers(0, 2, (32, 6)).astype(np.float32)
    trained = model.log_prob(x)
    ms = conditioning_mask_set(model, np.array([0, 0, 1, 1, 0, 1], bool), mask=1)
    with using_mask_set(model, ms):
        inside = model.log_prob(x)
        assert not np.allclose(inside, trained)
        mixture = model.log_prob(x, num_masks=1)                     # switches masks, then puts the block's back
        np.testing.assert_allclose(mixture, trained, rtol=1e-5)
        np.testing.assert_array_equal(model.log_prob(x), inside)
        with using_mask_set(model, model.mask_set(2)):               # blocks nest
            model.log_prob(x, num_masks=2)
        np.testing.assert_array_equal(model.log_prob(x), inside)
    np.testing.assert_array_equal(model.log_prob(x), trained)


# ----------------------------------------------------------------------------- 14, 15: sample grid, book, glu
def test_14_a_grid_of_invisible_digits_is_refused(finished_run, tmp_path, capsys):
    rc, out, err = cli_run(capsys, "sample", "--model", finished_run, "--n", "2500", "--ncols", "2500",
                           "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "--ncols 2500 puts 2500 digits in a row", "at most 40 per row")
    assert out == "" and list(tmp_path.iterdir()) == []
    rc, out, err = cli_run(capsys, "sample", "--model", finished_run, "--n", "3", "--ncols", "2500",
                           "--out", tmp_path / "s.png")
    assert rc == 0 and (tmp_path / "s.png").is_file(), err          # 3 digits: a row of 3
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    assert "at most 40" in capsys.readouterr().out


@pytest.mark.slow
def test_15_book_with_a_file_named_build_says_so_in_one_line(tmp_path):
    (tmp_path / "build").write_text("mine")
    r = subprocess.run([sys.executable, str(ROOT / "book" / "build.py"), "--out", str(tmp_path / "build" / "book")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"book: {tmp_path / 'build'} is a file, not a folder, so "
                                             f"{tmp_path / 'build' / 'book'} cannot be made: move that file away "
                                             f"or choose another --out"]
    assert (tmp_path / "build").read_text() == "mine"


@pytest.mark.slow
def test_15_glu_in_a_real_process_is_one_line(tmp_path):
    r = made_process("train", *B, "--activation", "glu", "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--activation 'glu' mixes the units" in r.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- messages that left users stuck
@pytest.mark.slow
def test_weight_decay_that_diverges_is_named(tmp_path, capsys):
    rc, _, err = cli_run(capsys, "train", *B, "--weight-decay", "1e37", "--out", tmp_path / "run")
    assert rc == 1
    line = one_line_error(err, "Lower the weight decay (now 1e+37)", "weight_decay * sum W^2 is inf")
    assert "learning rate" not in line


@pytest.mark.slow
def test_weight_decay_is_not_blamed_for_a_learning_rate_divergence(tmp_path, capsys):
    rc, _, err = cli_run(capsys, "train", *B, "--learning-rate", "1e30", "--weight-decay", "1e-6",
                         "--out", tmp_path / "run")
    assert rc == 1
    one_line_error(err, "Lower the learning rate (now 1e+30)")


@pytest.mark.slow
def test_resume_of_a_cosine_run_whose_epochs_grew_names_the_flag(tmp_path, capsys):
    run = tmp_path / "run"
    rc, _, err = cli_run(capsys, "train", *B, "--lr-schedule", "cosine", "--out", run)
    assert rc == 0, err
    before = snapshot(run)
    b2 = [*B[:-4], "--epochs", "2", "--verbose", "0"]
    rc, _, err = cli_run(capsys, "train", *b2, "--lr-schedule", "cosine", "--out", run, "--resume")
    assert rc == 2
    one_line_error(err, "the run's cosine schedule is 1 epoch(s) long", "add --cosine-epochs 1")
    assert snapshot(run) == before
    rc, _, err = cli_run(capsys, "train", *b2, "--lr-schedule", "cosine", "--cosine-epochs", "1", "--out", run,
                         "--resume")
    assert rc == 0, err
    assert json.loads((run / "history.json").read_text())["epochs_run"] == 2


def test_valid_ensemble_conditionals_across_orderings_is_refused_up_front(tmp_path, capsys):
    rc, out, err = cli_run(capsys, "train", *B, "--masks", "2", "--ordering", "random", "--valid-ensemble",
                           "conditionals", "--out", tmp_path / "run")
    assert rc == 2                                                       # was: exit 1 after a full epoch
    one_line_error(err, "--valid-ensemble conditionals", "--mask-kind full (the default)",
                   "use --mask-kind connectivity, or --valid-ensemble mixture")
    assert out == "" and list(tmp_path.iterdir()) == []


def test_valid_ensemble_conditionals_across_orderings_is_refused_by_train_before_an_epoch(tmp_path):
    from made_helpers.core.train import train

    model = MADE(6, [8], num_masks=2, ordering="random", seed=0)
    x = np.random.default_rng(0).integers(0, 2, (20, 6)).astype(np.float32)
    epochs = []
    with pytest.raises(ValueError, match=r"^valid_ensemble='conditionals' over 2 masks needs masks that share"):
        train(model, x, x, epochs=1, verbose=0, valid_ensemble="conditionals", checkpoint_dir=tmp_path / "c",
              on_epoch_end=lambda e, h: epochs.append(e))
    assert epochs == [] and not (tmp_path / "c" / "checkpoint.npz").exists()


def _damage(ckpt: Path, how: str) -> None:
    if how == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[:5000])
        return
    with np.load(ckpt) as z:
        arrays = {k: z[k] for k in z.files}
    if how == "other version":
        state = json.loads(str(arrays["state"]))
        state["version"] = 99
        arrays["state"] = np.array(json.dumps(state))
    else:
        del arrays["model_3"]
    with open(ckpt, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.slow
@pytest.mark.parametrize("how, detail", [("truncated", "is damaged (not an .npz archive)"),
                                         ("other version", "checkpoint format version 99"),
                                         ("array missing", "the checkpoint is damaged: array model_3")])
def test_a_damaged_checkpoint_says_what_to_do(run_copy, capsys, how, detail):
    _damage(run_copy / "checkpoint.npz", how)
    before = snapshot(run_copy)
    rc, _, err = cli_run(capsys, "train", *B, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "checkpoint.npz", detail, "cannot be resumed", "--overwrite")
    assert snapshot(run_copy) == before
    rc, _, err = cli_run(capsys, "train", *B, "--out", run_copy, "--overwrite")       # the advice works
    assert rc == 0, err


@pytest.mark.parametrize("thing", ["loop", "folder", "dangling"])
def test_a_data_file_that_is_not_a_file_is_refused_naming_it(tmp_path, capsys, thing):
    folder = tmp_path / "data"
    folder.mkdir()
    name = folder / "binarized_mnist_train.npz"
    if thing == "loop":
        name.symlink_to(name.name)
    elif thing == "folder":
        name.mkdir()
    else:
        name.symlink_to(tmp_path / "gone.npz")
    (folder / "mnist_train.npz").symlink_to(ROOT / "no-such-file.npz")          # grey MNIST must not be used
    with pytest.raises(data.DataIntegrityError, match=r"binarized_mnist_train\.npz: is a (symbolic link|folder)"):
        data.load_binarized_mnist("train", data_dir=folder, cache_dir=tmp_path / "cache", download=False,
                                  verbose=False)
    rc, out, err = cli_run(capsys, "train", *B_BINARIZED, "--data-dir", folder, "--out", tmp_path / "run")
    assert rc == 1
    one_line_error(err, f"{name}: is a ", "not a data file")
    assert "GREY" not in out and not (tmp_path / "run").exists() and not (tmp_path / "cache").exists()


def test_shown_path_is_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown_path(str(tmp_path / "a" / "b.npz")) == os.path.join("a", "b.npz")
    assert shown_path("a/b.npz") == os.path.join("a", "b.npz")
    outside = str(ROOT / "data" / "x.npz")
    assert shown_path(outside) == outside                    # outside the current folder: absolute


@needs_binarized
def test_messages_show_the_data_path_from_the_current_folder(finished_run, tmp_path, monkeypatch, capsys):
    """Files keep the repository-relative path; messages give one that works from where the user is."""
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli_run(capsys, "evaluate", "--model", finished_run, "--data", "binarized", "--limit", "10",
                           "--json", "r.json")
    assert rc == 0, err
    result = json.loads((tmp_path / "r.json").read_text())
    stored = result["data"]["path"]
    assert not os.path.isabs(stored)                             # relative to the repository, as before
    actual = os.path.normpath(os.path.join(ROOT, stored))
    line = next(ln for ln in out.splitlines() if ln.startswith("test NLL"))
    assert f"from {actual}" in line and stored not in line.replace(actual, "")
    assert os.path.isfile(actual)
