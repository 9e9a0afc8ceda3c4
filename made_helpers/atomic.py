"""The package's one atomic file write: temporary file in the same folder, fsync, ``os.replace``.

New files get ``0o666 & ~umask`` (not ``mkstemp``'s ``0o600``). Temporary files are
``<name>.<pid>.<token>.tmp<suffix>`` (Keras infers the format from the suffix); :func:`remove_stale_temps`
deletes those a killed writer left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import UserInputError

__all__ = ["atomic_write", "check_output_path", "remove_stale_temps", "write_json"]


def check_output_path(path: str | os.PathLike, name: str = "path") -> Path:
    """``Path(path)`` if a file can be written there (its folder exists and is writable, it is not a folder),
    else a one-line :class:`UserInputError` naming ``name`` and the path as given; call it before the work."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UserInputError(f"{name} {str(path)!r}: its folder {str(folder)!r} {what}; create it first")
    if path.is_dir():
        raise UserInputError(f"{name} {str(path)!r} is a folder: name a file in it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserInputError(f"{name} {str(path)!r}: its folder {str(folder)!r} is not writable")
    return path


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object] | bytes) -> Path:
    """Write ``path`` (its folder must exist) atomically; returns ``Path(path)``.

    ``write``: the bytes, or ``f(binary_file)`` that writes them (or writes to ``f.name``, as Keras needs).
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        f = open(tmp, "xb")
    except OSError as error:              # name the file asked for, not the temporary one
        raise type(error)(error.errno, f"cannot write {path}: {error.strerror}") from None
    try:
        with f:
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
    with contextlib.suppress(OSError):     # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
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
    except OSError:                        # PermissionError: alive, another user's
        pass
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Delete ``<name>.*.tmp[<suffix>]`` beside ``path`` whose writer (the pid in the name) is gone; returns them."""
    path = Path(path)
    removed = set()
    for pattern in (f"{path.name}.*.tmp", f"{path.name}.*.tmp{path.suffix}"):
        for tmp in path.parent.glob(pattern):          # nothing when the folder is missing
            pid = tmp.name[len(path.name) + 1:].split(".")[0]
            if not (pid.isdigit() and _pid_alive(int(pid))):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    removed.add(tmp)
    return sorted(removed)
