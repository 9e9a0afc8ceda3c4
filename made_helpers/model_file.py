"""A saved MADE (``.keras`` file) checked against itself: its masks against its config, its bytes by digest.

A ``.keras`` file is a zip of ``config.json`` (the constructor's arguments) and ``model.weights.h5``
(every variable, the trained masks among them). Keras loads an edited ``config.json`` without a
word: another seed, ordering, hidden-degree rule or ``direct`` flag gives other masks, hence
another NLL, on the same weights. ``MADE.check_saved_masks`` (run by Keras as it loads the file)
compares the loaded mask variables with the masks the config rebuilds; :func:`check_model_file`
also compares the number of stored arrays with the model's variables.
Edits that leave the masks alone (``num_masks``, the activation) or weights swapped between two
models of the same config change the file's bytes: results files record :func:`file_sha256`.
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
    count = 0

    def visit(_name, obj) -> None:
        nonlocal count
        count += isinstance(obj, h5py.Dataset)

    with h5py.File(io.BytesIO(raw), "r") as f:
        f.visititems(visit)
    return count


def check_model_file(model, path: str | os.PathLike) -> None:
    """One-line ``UserInputError`` unless the MADE ``model``, just loaded from ``path``, agrees with its file.

    Checks that the file stores exactly the model's variables (a ``direct`` flag edited from
    true to false would silently drop the direct weights: Keras ignores stored arrays it has no
    variable for) and that its mask variables are the masks its config rebuilds
    (:meth:`MADE.check_saved_masks`, which Keras also runs while loading).
    """
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
