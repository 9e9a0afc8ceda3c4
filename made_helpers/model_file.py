"""A saved MADE (``.keras`` file) checked against itself: its masks and arrays against its config, its bytes
by digest (:func:`file_sha256`, recorded in results files). Keras itself loads an edited ``config.json``
without a word, giving another NLL on the same weights.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from .errors import UserInputError

__all__ = ["file_sha256", "stored_array_count", "check_model_file"]


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
    """One-line ``UserInputError`` unless the MADE ``model``, just loaded from ``path``, agrees with its file:
    as many stored arrays as variables (Keras ignores extra ones) and masks its config rebuilds."""

    path = Path(path)
    stored, expected = stored_array_count(path), len(model.weights)
    if stored != expected:
        raise UserInputError(f"{path}: the file stores {stored} arrays but its config (direct={model.direct}, "
                             f"hidden_sizes={model.hidden_sizes}) builds a model of {expected}: config.json was "
                             f"edited or the weights come from another model; use the file `made train` wrote")
    try:
        model.check_saved_masks()
    except ValueError as e:
        raise UserInputError(f"{path}: {e}") from None
