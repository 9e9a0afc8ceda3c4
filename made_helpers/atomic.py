"""The package's one atomic file write: temporary file in the same folder, fsync, ``os.replace``.

A reader (or a process killed half-way) sees either the old file or the whole new one, never a
half-written file. New files get the usual permissions, ``0o666 & ~umask`` (``tempfile.mkstemp``
would give ``0o600``). Temporary files are named ``<name>.<pid>.<token>.tmp<suffix>`` (the suffix
keeps writers that infer the format from the name, such as Keras, working);
:func:`remove_stale_temps` deletes those a killed process left behind.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "remove_stale_temps", "temp_name", "write_json"]


def temp_name(path: Path) -> Path:
    """A fresh temporary path beside ``path``: ``<name>.<pid>.<token>.tmp<suffix>``."""
    return path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object] | bytes) -> Path:
    """Write ``path`` atomically; ``write`` is the bytes or ``f(binary_file)`` that writes them.

    The callback may also write by name to ``f.name`` (the temporary path, which ends with the
    target's suffix), as ``keras`` needs. The folder must exist. Returns ``Path(path)``.
    """
    path = Path(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "xb") as f:        # a new file, mode 0o666 & ~umask; f.name is the temp path
            if isinstance(write, (bytes, bytearray)):
                f.write(write)
            else:
                write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:                                   # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path


def write_json(path: str | os.PathLike, obj) -> Path:
    """``obj`` as indented JSON at ``path``, written with :func:`atomic_write`."""
    return atomic_write(path, json.dumps(obj, indent=1).encode())


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False                       # our own leftovers are stale too (we are not writing)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Delete temporary files of ``path`` left by killed writers; returns the removed paths.

    Matches ``<name>.*.tmp`` and ``<name>.*.tmp<suffix>`` beside ``path``; a file whose
    writer (the pid in its name) is still running is kept.
    """
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    for pattern in (f"{path.name}.*.tmp", f"{path.name}.*.tmp{path.suffix}"):
        for tmp in path.parent.glob(pattern):
            middle = tmp.name[len(path.name) + 1:].split(".")
            if middle and middle[0].isdigit() and _pid_alive(int(middle[0])):
                continue
            try:
                tmp.unlink()
                removed.append(tmp)
            except FileNotFoundError:
                pass
    return sorted(set(removed))
