"""Atomic writes (made_helpers.atomic): a writer that fails or dies half-way leaves the previous file and no temporary
one, files get the permissions the umask gives, and stale temporary files of dead writers are removed."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import RUN_ARTEFACTS, TINY_RUN, cli

from made_helpers.atomic import atomic_write, remove_stale_temps


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = atomic_write(tmp_path / "f.json", b"old")

    def fail(f):
        f.write(b"new, half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.json"]
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert remove_stale_temps(tmp_path / "nothing") == []


def test_model_save_is_atomic(finished_run, tmp_path):
    """A writer that dies half-way (as with SIGKILL during model.save) leaves the previous file."""
    from made_helpers.experiments.run_folder import save_model

    target = tmp_path / "model.keras"
    shutil.copy(finished_run / "model.keras", target)
    before = target.read_bytes()

    class Dying:
        def save(self, path):
            Path(path).write_bytes(b"PK\x03\x04 half a zip")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_model(Dying(), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]      # no temp file left


@pytest.mark.slow
def test_results_and_checkpoints_respect_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", tmp_path / "run")
        assert rc == 0, err
        for name in RUN_ARTEFACTS:
            assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644, name
        os.umask(0o027)
        path = atomic_write(tmp_path / "a.json", b"{}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)


@pytest.mark.slow
def test_stale_checkpoint_temp_files_are_removed_on_the_next_start(run_copy, capsys):
    dead = 2**22 + 12345                                  # above the default pid_max: no such process
    stale = [run_copy / "checkpoint.npz.abc123.tmp",     # the old mkstemp name
             run_copy / f"checkpoint.npz.{dead}.0a1b2c3d.tmp.npz",
             run_copy / f"history.json.{dead}.0a1b2c3d.tmp.json",
             run_copy / f"model.keras.{dead}.0a1b2c3d.tmp.keras"]
    for p in stale:
        p.write_bytes(b"half")
    live = run_copy / f"checkpoint.npz.{os.getppid()}.0a1b2c3d.tmp.npz"   # a running writer's file
    live.write_bytes(b"busy")
    rc, _, err = cli(capsys, "train", *[f if f != "1" else "2" for f in TINY_RUN], "--out", run_copy, "--resume")
    assert rc == 0, err
    assert not any(p.exists() for p in stale) and live.exists()
    assert sorted(p.name for p in run_copy.iterdir()) == sorted([*RUN_ARTEFACTS, live.name])
