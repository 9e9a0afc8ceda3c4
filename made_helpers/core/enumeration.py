"""Every binary vector of ``{0,1}^D`` in one row order, for exact checks (sums, conditionals) on small ``D``.

``bitorder`` as in :func:`numpy.unpackbits`: ``"big"`` (row ``r`` is ``r`` in binary, lexicographic order) or
``"little"`` (``x_d`` is bit ``d`` of ``r``).
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_positive_float, check_seed

__all__ = ["all_binary_vectors", "binary_index", "sharpen_weights", "MAX_DIM"]

MAX_DIM = 24    # 2**24 rows x 24 columns of float32 is 1.6 GB: enough for exact checks


def _bit_shifts(dim: int, bitorder: str) -> np.ndarray:
    if bitorder not in ("big", "little"):
        raise ValueError(f"bitorder must be 'big' or 'little', got {bitorder!r}")
    shifts = np.arange(dim, dtype=np.int64)
    return shifts[::-1] if bitorder == "big" else shifts


def all_binary_vectors(dim: int, bitorder: str = "big", dtype=np.float32) -> np.ndarray:
    """All ``2**dim`` vectors of ``{0,1}^dim``, ``(2**dim, dim)``: ``all_binary_vectors(2)`` is
    ``[[0, 0], [0, 1], [1, 0], [1, 1]]``; with ``bitorder="little"`` its row 1 is ``[1, 0]``."""
    dim = check_int("dim", dim, 0, MAX_DIM, type_error=ValueError)
    shifts = _bit_shifts(dim, bitorder)
    rows = np.arange(2 ** dim, dtype=np.int64)
    return ((rows[:, None] >> shifts[None, :]) & 1).astype(dtype)


def binary_index(x, bitorder: str = "big") -> np.ndarray:
    """The row of :func:`all_binary_vectors` equal to each row of 0/1 ``x`` ``(n, dim)``: ``(n,)`` int64
    (a scalar for one vector ``(dim,)``)."""
    a = np.asarray(x)
    single = a.ndim == 1
    a = np.atleast_2d(a)
    if a.ndim != 2 or not 0 <= a.shape[1] <= 62:
        raise ValueError(f"x must have shape (n, dim) with dim <= 62, got {np.shape(x)}")
    if not np.all((a == 0) | (a == 1)):
        raise ValueError("x must hold only 0 and 1")
    index = (a.astype(np.int64) << _bit_shifts(a.shape[1], bitorder)).sum(axis=1)
    return index[0] if single else index


def sharpen_weights(model, scale: float = 2.0, seed: int = 0):
    """Redraw every kernel ``N(0, scale^2 / fan_in)`` and bias ``N(0, (scale/2)^2)`` of a MADE; returns ``model``.

    The peaked distribution gives exact checks over all ``2**D`` vectors power (a new MADE is near uniform).
    """
    scale = check_positive_float("scale", scale)
    rng = np.random.default_rng(check_seed("seed", seed))
    for layer in model.masked_layers:
        fan_in, units = layer.kernel.shape
        layer.kernel.assign(rng.normal(0, scale / np.sqrt(fan_in), (fan_in, units)).astype("float32"))
        if layer.bias is not None:
            layer.bias.assign(rng.normal(0, 0.5 * scale, units).astype("float32"))
    return model
