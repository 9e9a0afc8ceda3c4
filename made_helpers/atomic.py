"""The package's one atomic file write: temporary file in the same folder, fsync, ``os.replace``.

New files get ``0o666 & ~umask`` (not ``mkstemp``'s ``0o600``). Temporary files are
``<name>.<pid>.<token>.tmp<suffix>`` (Keras infers the format from the suffix); :func:`remove_stale_temps`
deletes those a killed writer left behind. A failed write names ``path``, not the temporary file.
:func:`json_text` is the package's one JSON writer: strict JSON (NaN and infinity are refused, not written as the
non-standard tokens ``NaN``/``Infinity``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "finite_or_null", "json_text", "remove_stale_temps", "write_json"]


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
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno is None:                # not the file system's: e.g. a download's URLError ('cannot write' misled)
            raise
        raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from e
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


def json_text(obj, what: str = "the record", indent: int | None = None) -> str:
    """``obj`` as strict JSON text; a ``ValueError`` naming ``what`` when it holds NaN or infinity."""
    try:
        return json.dumps(obj, indent=indent, allow_nan=False)
    except ValueError:
        raise ValueError(f"{what} holds NaN or infinity, which strict JSON cannot store; it was not written") from None


def finite_or_null(values):
    """A number, or a list of numbers, with each NaN or infinity as ``None`` (JSON ``null``): how a record stores a
    curve that left the finite numbers (a diverged run), since strict JSON has no NaN."""
    if isinstance(values, (list, tuple)):
        return [finite_or_null(v) for v in values]
    return None if values is None or not math.isfinite(values) else float(values)


def write_json(path: str | os.PathLike, obj) -> Path:
    """``obj`` as indented strict JSON (:func:`json_text`) at ``path``, written with :func:`atomic_write`."""
    return atomic_write(path, json_text(obj, str(path), indent=1).encode())


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
