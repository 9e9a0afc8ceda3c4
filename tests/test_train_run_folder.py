"""A run folder stays truthful: an interrupted ``--overwrite`` (Ctrl-C or SIGTERM) puts the old run back and says
so, a run set aside by a hard kill is pointed to, and ``--resume`` cannot record fewer epochs than the run has run.
Issue 28 (A005, A006, N009). A finished run is replaced only with ``--overwrite`` (and the old one kept until the
new one has a checkpoint), resumed only with the same settings, and a run folder has one writer at a time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest
from conftest import (
    MADE_COMMAND,
    PROCESS_ENV,
    ROOT,
    RUN_ARTEFACTS,
    TINY_BINARIZED_RUN,
    TINY_RUN,
    cli,
    one_line_error,
    snapshot,
)

import made_helpers.core.train
from made_helpers.experiments.run_folder import LOCK_FILE, OVERWRITTEN, lock_holder, run_lock


@pytest.mark.parametrize("signum, rc", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_overwrite_restores_the_old_run_and_says_so(run_copy, capsys, monkeypatch, signum, rc):
    """A005: SIGTERM skipped the restore (the old run stayed hidden in .made-overwritten); A006: Ctrl-C restored it
    but said 'a train run continues with --resume', which would continue the old run."""
    before = snapshot(run_copy)

    def interrupted_training(*args, **kwargs):
        assert (run_copy / OVERWRITTEN).is_dir()          # the old run is aside: the signal comes in the first epoch
        os.kill(os.getpid(), signum)
        raise AssertionError("the signal did not interrupt")

    monkeypatch.setattr(made_helpers.core.train, "train", interrupted_training)
    code, _, err = cli(capsys, "train", *TINY_RUN, "--overwrite", "--out", run_copy)
    assert code == rc
    assert err.strip() == (f"made train: interrupted before the new run's first checkpoint: the previous run in "
                           f"{run_copy} is back in place, unchanged")
    assert snapshot(run_copy) == before
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL      # main() puts the handler back


def test_evaluate_points_to_a_run_set_aside_by_a_hard_kill(run_copy, capsys):
    """A005: after a SIGKILL in an --overwrite, evaluate said only 'no model.keras in ow2'."""
    (run_copy / OVERWRITTEN).mkdir()
    for name in RUN_ARTEFACTS:
        os.replace(run_copy / name, run_copy / OVERWRITTEN / name)
    rc, _, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "3")
    assert rc == 1
    one_line_error(err, f"no model.keras in {run_copy}", f"set the previous run aside in {run_copy / OVERWRITTEN}",
                   f"made train ... --out {run_copy}` puts it back")


def test_resume_with_fewer_epochs_than_run_is_refused(finished_run, tmp_path, capsys):
    """N009: --resume --epochs 1 on a longer run recorded 'max 1 epochs; best epoch 5 of 5', exit 0."""
    run = shutil.copytree(finished_run, tmp_path / "grow")
    epochs = TINY_RUN.index("--epochs") + 1
    assert cli(capsys, "train", *TINY_RUN[:epochs], "2", *TINY_RUN[epochs + 1:], "--resume", "--out", run)[0] == 0
    before = snapshot(run)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--resume", "--out", run)       # --epochs 1
    assert rc == 1
    one_line_error(err, "epochs=1 (CLI: --epochs) is below the 2 epoch(s) the run in", "has already run")
    assert snapshot(run) == before


def _interrupt_training(monkeypatch, signum=signal.SIGINT):
    """``made train``'s training gets ``signum`` as from Ctrl-C or ``kill -INT`` (after any checkpoint it resumed)."""
    def interrupted_training(*args, **kwargs):
        os.kill(os.getpid(), signum)
        raise AssertionError("the signal did not interrupt")

    monkeypatch.setattr(made_helpers.core.train, "train", interrupted_training)


def test_an_interrupted_run_says_which_epoch_its_checkpoint_holds(run_copy, tmp_path, capsys, monkeypatch):
    """Ctrl-C said only 'a train run continues with --resume': now the epoch the checkpoint keeps, or that a run
    interrupted in its first epoch has nothing to resume; the run folder is left as it was."""
    _interrupt_training(monkeypatch)
    before = snapshot(run_copy)
    epochs = TINY_RUN.index("--epochs") + 1
    code, _, err = cli(capsys, "train", *TINY_RUN[:epochs], "3", *TINY_RUN[epochs + 1:], "--resume", "--out", run_copy)
    assert code == 130
    assert err.strip() == (f"made train: interrupted; {run_copy / 'checkpoint.npz'} holds the run up to epoch 1: the "
                           f"same command with --resume continues it from there")
    assert snapshot(run_copy) == before
    code, _, err = cli(capsys, "train", *TINY_RUN, "--out", tmp_path / "new")
    assert code == 130
    assert err.strip() == (f"made train: interrupted before the first epoch ended: {tmp_path / 'new'} holds no "
                           f"checkpoint; run the command again to start")


def test_sigint_stops_training_even_when_started_with_sigint_ignored(tmp_path, capsys, monkeypatch):
    """`made train ... &` in a script (no job control) starts with SIGINT ignored: `kill -INT` (and Ctrl-C of the
    script) did nothing, the run went on to its last epoch. main() takes SIGINT back, and gives it back after."""
    _interrupt_training(monkeypatch)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code, _, err = cli(capsys, "train", *TINY_RUN, "--out", tmp_path / "run")
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130 and err.strip().startswith("made train: interrupted before the first epoch ended")


# ----------------------------------------------------------- an existing run is neither replaced nor resumed by mistake
@pytest.mark.slow
def test_finished_run_without_checkpoint_is_not_replaced(run_copy, capsys):
    (run_copy / "checkpoint.npz").unlink()
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy)
    assert rc == 1
    one_line_error(err, "already holds a run", "model.keras", "--resume", "--overwrite")
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "without checkpoint.npz, so it cannot be resumed")
    assert snapshot(run_copy) == before
    # an explicit --overwrite replaces the run
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--overwrite")
    assert rc == 0, err
    assert all((run_copy / name).is_file() for name in RUN_ARTEFACTS)


def test_resume_and_overwrite_exclude_each_other(run_copy, capsys):
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--resume", "--overwrite")
    assert rc == 2
    one_line_error(err, "give one of them")
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("flags, difference", [
    (["--hidden", "16"], "model.hidden_sizes: checkpoint [8] vs now [16]"),
    (["--optimizer", "adagrad"], "optimizer: checkpoint 'adam' vs now 'adagrad'"),
])
def test_resume_with_other_settings_prints_the_difference(run_copy, capsys, flags, difference):
    before = snapshot(run_copy)
    b = [f for f in TINY_RUN if f not in ("--hidden", "8")]
    rc, _, err = cli(capsys, "train", *b, *flags, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "cannot resume, the settings differ", difference)
    assert snapshot(run_copy) == before


@pytest.mark.slow
def test_resume_of_a_cosine_run_whose_epochs_grew_names_the_flag(tmp_path, capsys):
    run = tmp_path / "run"
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--lr-schedule", "cosine", "--out", run)
    assert rc == 0, err
    before = snapshot(run)
    b2 = [*TINY_RUN[:-4], "--epochs", "2", "--verbose", "0"]
    rc, _, err = cli(capsys, "train", *b2, "--lr-schedule", "cosine", "--out", run, "--resume")
    assert rc == 2
    one_line_error(err, "the run's cosine schedule is 1 epoch(s) long", "add --cosine-epochs 1")
    assert snapshot(run) == before
    rc, _, err = cli(capsys, "train", *b2, "--lr-schedule", "cosine", "--cosine-epochs", "1", "--out", run,
                     "--resume")
    assert rc == 0, err
    assert json.loads((run / "history.json").read_text())["epochs_run"] == 2


# ----------------------------------------------------------------------------- one writer per run folder
def test_a_held_run_folder_refuses_train_resume_evaluate_and_sample(run_copy, tmp_path, capsys):
    before = snapshot(run_copy)
    with run_lock(run_copy):
        assert lock_holder(run_copy) == f"made train, pid {os.getpid()}"
        for flags in ([], ["--resume"], ["--overwrite"]):
            rc, out, err = cli(capsys, "train", *TINY_RUN, *flags, "--out", run_copy)
            assert rc == 1
            one_line_error(err, f"--out {run_copy} is in use by made train, pid {os.getpid()}")
        rc, _, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10")
        assert rc == 1
        line = one_line_error(err, "is being written by made train, pid", "wait for it to end")
        assert "--resume" not in line                                  # no advice that starts a second writer
        rc, _, err = cli(capsys, "sample", "--model", run_copy / "model.keras", "--n", "2",
                         "--out", tmp_path / "s.png")
        assert rc == 1
        one_line_error(err, f"pid {os.getpid()}")
        before[LOCK_FILE] = (run_copy / LOCK_FILE).read_bytes()
        assert snapshot(run_copy) == before
    del before[LOCK_FILE]
    assert snapshot(run_copy) == before and lock_holder(run_copy) is None
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
def test_a_run_holds_its_lock_and_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    """The lock is taken before anything is written and released (its file removed) at the end; a run
    that fails before writing anything leaves no folder."""
    seen = {}
    from made_helpers.experiments import train_run

    real = train_run.load_split

    def spy(*a, **k):
        seen["holder"] = lock_holder(tmp_path / "run")
        return real(*a, **k)

    monkeypatch.setattr(train_run, "load_split", spy)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", tmp_path / "run")
    assert rc == 0, err
    assert seen["holder"] == f"made train, pid {os.getpid()}"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(RUN_ARTEFACTS)
    monkeypatch.setenv("MADE_DATA_DIR", str(tmp_path / "no-such-folder"))
    rc, _, err = cli(capsys, "train", *TINY_BINARIZED_RUN, "--out", tmp_path / "new")
    assert rc == 1 and "is not an existing folder" in err
    assert not (tmp_path / "new").exists()


@pytest.mark.slow
def test_two_real_train_processes_on_one_folder(tmp_path, capsys):
    """The reproduction: a second `made train` (and an evaluate) while a first one is running."""
    run = tmp_path / "run"
    flags = [*TINY_RUN[:-4], "--epochs", "100000", "--patience", "100000", "--verbose", "0"]
    proc = subprocess.Popen([*MADE_COMMAND, "train", *flags, "--out", str(run)],
                            cwd=ROOT, env=PROCESS_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while not (run / "history.json").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read()
        rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run)
        assert rc == 1
        one_line_error(err, f"is in use by made train, pid {proc.pid}")
        rc, _, err = cli(capsys, "train", *flags, "--out", run, "--resume")
        assert rc == 1
        one_line_error(err, f"pid {proc.pid}")
        rc, _, err = cli(capsys, "evaluate", "--model", run, "--limit", "10")
        assert rc == 1
        assert "--resume" not in one_line_error(err, f"pid {proc.pid}")
        assert not (run / "model.keras").exists()           # the first run is still the only writer
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert lock_holder(run) is None and not (run / LOCK_FILE).exists()
    rc, _, err = cli(capsys, "train", *TINY_RUN[:-4], "--epochs", "1", "--patience", "100000", "--verbose", "0",
                     "--out", run, "--resume")
    assert rc == 0, err


# ----------------------------------------------------- --overwrite keeps the old run until the new one has a checkpoint
def test_overwrite_interrupted_in_its_first_epoch_keeps_the_old_run(run_copy, capsys, monkeypatch):
    before = snapshot(run_copy)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("made_helpers.core.train.evaluate_nll", interrupt)       # Ctrl-C during epoch 1
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--seed", "5", "--out", run_copy, "--overwrite")
    assert rc == 130 and "interrupted" in err
    assert snapshot(run_copy) == before                                     # was: an empty folder


@pytest.mark.slow
def test_overwrite_that_diverges_in_its_first_epoch_keeps_the_old_run(run_copy, capsys):
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--weight-decay", "1e37", "--out", run_copy, "--overwrite")
    assert rc == 1
    one_line_error(err, "training stopped", "no checkpoint was written")
    assert snapshot(run_copy) == before


def test_a_killed_overwrite_is_undone_on_the_next_start(run_copy, capsys):
    """SIGKILL before the new run's first checkpoint: the old files wait in .made-overwritten; the next
    start puts them back (and then refuses, as for any existing run)."""
    before = snapshot(run_copy)
    aside = run_copy / OVERWRITTEN
    aside.mkdir()
    for name in RUN_ARTEFACTS:
        os.replace(run_copy / name, aside / name)
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy)
    assert rc == 1
    one_line_error(err, "already holds a run")
    assert "restored the run" in out
    assert snapshot(run_copy) == before


@pytest.mark.slow
def test_overwrite_replaces_the_run_once_it_has_a_checkpoint(run_copy, capsys):
    old = (run_copy / "model.keras").read_bytes()
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--seed", "5", "--out", run_copy, "--overwrite")
    assert rc == 0, err
    assert sorted(p.name for p in run_copy.iterdir()) == sorted(RUN_ARTEFACTS)    # nothing set aside is left
    assert (run_copy / "model.keras").read_bytes() != old
    assert json.loads((run_copy / "train_summary.json").read_text())["settings"]["seed"] == 5
