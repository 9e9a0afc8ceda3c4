"""A saved model checked against itself: its arrays against its config (its masks are checked as Keras loads
it), its bytes by digest (:func:`file_sha256`, recorded in results files: :func:`check_digest`). Keras itself
loads an edited ``config.json`` without a word, giving another NLL on the same weights.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from .errors import UserInputError

__all__ = ["check_digest", "check_model_file", "file_sha256", "stored_array_count"]


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_digest(path: str | os.PathLike, recorded, record: str | os.PathLike, what: str, fix: str,
                 data: bytes | None = None) -> None:
    """One-line ``UserInputError`` unless the SHA-256 of the file ``path`` (of ``data``, its bytes when already
    read) is ``recorded``, the digest the file ``record`` holds; ``what`` says what a mismatch means, ``fix`` what
    to do."""
    digest = hashlib.sha256(data).hexdigest() if data is not None else file_sha256(path)
    if digest != recorded:
        raise UserInputError(f"{path}: SHA-256 {digest[:16]}... is not the {str(recorded)[:16]}... recorded in "
                             f"{record}: {what} (replaced, edited or swapped); {fix}")


def stored_array_count(path: str | os.PathLike) -> int:
    """Number of arrays in the ``model.weights.h5`` of the ``.keras`` file ``path``."""
    import h5py

    with zipfile.ZipFile(path) as z:
        raw = z.read("model.weights.h5")
    with h5py.File(io.BytesIO(raw), "r") as f:
        names = []
        f.visit(names.append)                      # every group and dataset below the root
        return sum(isinstance(f[name], h5py.Dataset) for name in names)


def check_model_file(model, path: str | os.PathLike) -> None:
    """One-line ``UserInputError`` unless the model ``model``, just loaded from ``path``, stores as many arrays as
    it has variables (Keras ignores extra ones). Its masks were checked as Keras loaded it (``SavedMaskCheck``
    in :mod:`made_helpers.core.model`, which raises :class:`~made_helpers.errors.SavedMasksMismatch`)."""
    path = Path(path)
    stored, expected = stored_array_count(path), len(model.weights)
    if stored != expected:
        raise UserInputError(f"{path}: the file stores {stored} arrays but its config (direct={model.direct}, "
                             f"hidden_sizes={model.hidden_sizes}) builds a model of {expected}: config.json was "
                             f"edited or the weights come from another model; use the file `made train` wrote")
