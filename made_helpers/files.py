"""The files the package reads and writes, checked before any work: a file to read must be a regular file
(a FIFO or a device would block the reader), a JSON record must parse, an output path must be writable.
Each check raises one ``UserInputError`` line that names the user's path and what to do.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import zipfile
from pathlib import Path

from .errors import UsageError, UserInputError

__all__ = ["MIN_FILE_SIZE_LIMIT", "check_file_size_limit", "check_new_path", "check_output", "check_writable",
           "not_regular", "read_json", "require_npz", "require_regular_file"]

MIN_FILE_SIZE_LIMIT = 64 * 2**20
"""The smallest file-size limit (``ulimit -f``) accepted: TensorFlow writes its compiled functions as files,
and a model, a checkpoint or a PNG grid takes megabytes."""


def not_regular(path: str | os.PathLike) -> str | None:
    """What ``path`` is when something other than a regular file is there (``"a folder"``, ``"a FIFO ..."``,
    ``"a symbolic link that points nowhere"``); ``None`` for a regular file or when nothing is there."""
    path = Path(path)
    if path.is_file() or not os.path.lexists(path):
        return None
    if path.is_dir():
        return "a folder"
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "a symbolic link that loops"
        except OSError:
            return "a symbolic link that points nowhere (or loops)"
        return "a symbolic link to something that is not a file"
    if path.is_fifo():
        return "a FIFO (named pipe), which would block the reader"
    if path.is_socket():
        return "a socket"
    return "a device or other special file"


def require_regular_file(path: str | os.PathLike, name: str | None = None, fix: str = "") -> Path:
    """``Path(path)`` if it is a regular file (checked before opening), else one-line ``UserInputError``
    naming ``name`` (e.g. ``"--compare x.json"``; default: the path) and ending in ``fix``."""
    path = Path(path)
    what = name or str(path)
    if not os.path.lexists(path):
        raise UserInputError(f"{what}: no such file{'; ' + fix if fix else ''}")
    problem = not_regular(path)
    if problem is not None:
        raise UserInputError(f"{what} is {problem}, not a regular file{'; ' + fix if fix else ''}")
    return path


def require_npz(path: str | os.PathLike, name: str | None = None, fix: str = "") -> Path:
    """``Path(path)`` if it is a regular file holding a ``.npz`` (zip) archive, else one-line ``UserInputError``
    naming ``name`` (default: the path): numpy would try any other file as a pickle and advise unsafe loading."""
    path = require_regular_file(path, name, fix)
    try:
        ok = zipfile.is_zipfile(path)
    except OSError as e:
        raise UserInputError(f"{name or path}: cannot be read ({e.strerror or e}){'; ' + fix if fix else ''}") from None
    if not ok:
        empty = "empty" if path.stat().st_size == 0 else "not an .npz archive"
        raise UserInputError(f"{name or path} is damaged ({empty}){'; ' + fix if fix else ''}")
    return path


def read_json(path: str | os.PathLike, name: str | None = None, fix: str = "", kind: type = dict):
    """The JSON value in the regular file ``path``, which must be a ``kind`` (``None``: any); else one line
    naming ``name`` (default: the path), what is wrong, and ``fix``."""
    path = require_regular_file(path, name, fix)
    what, tail = name or str(path), f"; {fix}" if fix else ""
    try:
        value = json.loads(path.read_bytes())
    except OSError as e:
        raise UserInputError(f"{what}: cannot be read ({e.strerror or e}){tail}") from None
    except ValueError as e:                                    # JSONDecodeError, UnicodeDecodeError
        raise UserInputError(f"{what} is damaged: not valid JSON ({str(e).splitlines()[0][:120]}){tail}") from None
    if kind is not None and not isinstance(value, kind):
        raise UserInputError(f"{what} is damaged: it holds a JSON {_json_type(value)}, not a JSON "
                             f"{_json_type(kind())}{tail}")
    return value


def _json_type(value) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def check_file_size_limit() -> None:
    """One line when the process's file-size limit (``ulimit -f``) is below :data:`MIN_FILE_SIZE_LIMIT`."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY and soft < MIN_FILE_SIZE_LIMIT:
        raise UserInputError(f"the file-size limit (ulimit -f) is {soft} bytes, too small for the files made_helpers "
                             f"writes (models, checkpoints, PNGs, TensorFlow's compiled functions): raise it, e.g. "
                             f"`ulimit -f unlimited`")


def check_writable(path: str | os.PathLike, name: str, folder_must_exist: bool = False) -> Path:
    """``Path(path)`` if a file can be written there (its folder exists, or can be made unless
    ``folder_must_exist``, and takes a new file); else one-line ``UserInputError`` naming ``name``
    (e.g. ``"--json out.json"``). Call it before the work."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise UserInputError(f"{name} is a symbolic link that points nowhere ({os.readlink(path)}): remove it or "
                             f"choose another path")
    if path.is_dir():
        raise UserInputError(f"{name} is a folder: name a file")
    check_file_size_limit()
    folder = path.parent
    if folder_must_exist and not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UserInputError(f"{name}: its folder {folder} {what}; create it first")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    if not existing.is_dir():
        what = "a file" if existing.is_file() else not_regular(existing)
        raise UserInputError(f"{name}: {existing} is {what}, not a folder")
    probe = existing / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.write-test"
    try:
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise UserInputError(f"{name}: cannot write in {existing} ({reason}): choose a writable place") from None
    return path


def check_new_path(flag: str, text: str) -> Path:
    """``Path(text)`` for a file or folder to create that the user named with ``flag``: not empty, no existing
    file among its parents, not a dangling link; else a one-line ``UsageError``."""
    if not text.strip():
        raise UsageError(f"{flag} is empty: name a path")
    path = Path(text)
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"{flag} {text}: {parent} is a file, not a folder")
    if path.is_symlink() and not path.exists():
        raise UsageError(f"{flag} {text} is a symbolic link that points nowhere ({os.readlink(path)}): remove it or "
                         f"choose another path")
    return path


def check_output(path: Path, flag: str, text: str) -> Path:
    """``path`` (an output the user named with ``flag text``) checked to be writable before any work
    (:func:`check_writable`; its refusal as a ``UsageError``)."""
    try:
        return check_writable(path, f"{flag} {text}")
    except UserInputError as e:
        raise UsageError(str(e)) from None
