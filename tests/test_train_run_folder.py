"""A run folder stays truthful: an interrupted ``--overwrite`` (Ctrl-C or SIGTERM) puts the old run back and says
so, a run set aside by a hard kill is pointed to, and ``--resume`` cannot record fewer epochs than the run has run.
Issue 28 (A005, A006, N009)."""

from __future__ import annotations

import os
import shutil
import signal

import pytest
from conftest import RUN_ARTEFACTS, TINY_RUN, cli, one_line_error, snapshot

import made_helpers.core.train
from made_helpers.experiments.run_folder import OVERWRITTEN


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
