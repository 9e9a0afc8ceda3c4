"""A run folder kept safe: one writer at a time, and an ``--overwrite`` that can be undone.

``made train`` holds an ``fcntl.flock`` on ``DIR/.made-lock`` (which names the holder); the kernel drops
it however the holder exits. ``--overwrite`` moves the old run into ``DIR/.made-overwritten`` and deletes
it only once the new run has its first checkpoint; before that, it is put back.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CHECKPOINT_FILE", "HISTORY_FILE", "LOCK_FILE", "MODEL_FILE", "OVERWRITTEN", "RUN_ARTEFACTS", "RUN_SUMMARY",
           "RunFolderBusyError", "drop_aside", "lock_holder", "recover_overwrite", "restore_aside", "run_lock",
           "set_aside"]

CHECKPOINT_FILE = "checkpoint.npz"        # the files `made train` writes in its --out folder, written once here
HISTORY_FILE = "history.json"
MODEL_FILE = "model.keras"
RUN_SUMMARY = "train_summary.json"
RUN_ARTEFACTS = (CHECKPOINT_FILE, HISTORY_FILE, MODEL_FILE, RUN_SUMMARY)
LOCK_FILE = ".made-lock"
OVERWRITTEN = ".made-overwritten"


class RunFolderBusyError(OSError):
    """Another process holds the run folder's lock; ``holder`` says who (``"made train, pid 1234"``)."""

    def __init__(self, message: str, holder: str = "another process"):
        super().__init__(message)
        self.holder = holder


def _describe(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 200).decode(errors="replace").strip()
    return text or "another process"


def lock_holder(folder: str | os.PathLike) -> str | None:
    """Who holds the lock of run folder ``folder`` (e.g. ``"made train, pid 1234"``), or ``None``."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY)
    except OSError:                                   # no lock file (or no folder): nobody writes
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # closing fd releases it
        return None
    except BlockingIOError:
        return _describe(fd)
    finally:
        os.close(fd)


@contextmanager
def run_lock(folder: str | os.PathLike, holder: str = "made train") -> Iterator[Path]:
    """Hold ``folder``'s lock for the ``with`` block (the folder is created; removed again if left empty).

    Raises :class:`RunFolderBusyError` naming the holder when another process holds it.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _describe(fd)
            os.close(fd)
            raise RunFolderBusyError(f"{folder} is in use by {who}: wait for it to end, or choose another folder",
                                     who) from None
        try:                                          # the previous holder may have removed the file meanwhile
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{holder}, pid {os.getpid()}\n".encode())
        yield folder
    finally:
        try:
            path.unlink()                             # while still holding the lock (see the loop above)
        except FileNotFoundError:
            pass
        os.close(fd)                                  # releases the lock
        if created:
            try:
                folder.rmdir()                        # only if nothing else was written
            except OSError:
                pass


# --------------------------------------------------------------------------- an overwrite that can be undone
def set_aside(folder: Path, names: Sequence[str]) -> Path | None:
    """Move the files ``names`` of ``folder`` into ``folder/.made-overwritten``; returns it (None: none there)."""
    old = [name for name in names if (folder / name).exists()]
    if not old:
        return None
    aside = folder / OVERWRITTEN
    aside.mkdir()
    for name in old:
        os.replace(folder / name, aside / name)
    return aside


def drop_aside(aside: Path) -> None:
    """Delete the set-aside old run (the new run has its first checkpoint)."""
    if aside.exists():
        shutil.rmtree(aside)


def restore_aside(folder: Path, aside: Path, names: Sequence[str]) -> None:
    """Put the set-aside old run back; a file ``names`` of the new run with no old counterpart goes."""
    if not aside.exists():
        return
    for name in names:
        if (aside / name).exists():
            os.replace(aside / name, folder / name)
        else:
            (folder / name).unlink(missing_ok=True)
    aside.rmdir()


def recover_overwrite(folder: Path, names: Sequence[str], checkpoint: str) -> None:
    """After an overwriting run was killed: its set-aside old run goes back, unless the new run has ``checkpoint``."""
    aside = folder / OVERWRITTEN
    if not aside.is_dir():
        return
    if (folder / checkpoint).exists():
        drop_aside(aside)
    else:
        restore_aside(folder, aside, names)
        print(f"[made_helpers] restored the run in {folder} that an interrupted --overwrite had set aside",
              flush=True)
