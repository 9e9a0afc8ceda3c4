"""Test-set evaluation: mean negative log-likelihood in nats with its standard error."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from ..checks import check_real_array
from ..errors import UserInputError


def in_chunks(fn, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``fn`` over the rows of ``x`` ``(N, D)``, ``batch_size`` at a time: one numpy array ``(N, ...)``."""
    return np.concatenate([np.asarray(fn(tf.constant(x[i:i + batch_size]))) for i in range(0, len(x), batch_size)])


def per_example_nll(model, x, num_masks: int | None = None, batch_size: int = 10_000,
                    ensemble: str = "mixture") -> np.ndarray:
    """``-log p(x)`` in nats, ``(N,)`` float64, for binary ``x`` ``(N, D)``: ``-MADE.log_prob``, under the current mask
    (``None``) or the ensemble of masks ``0..num_masks-1`` combined by ``ensemble``."""
    return -model.log_prob(x, num_masks=num_masks, batch_size=batch_size, ensemble=ensemble).astype(np.float64)


def evaluate_nll(model, x, num_masks: int | None = None, batch_size: int = 10_000,
                 ensemble: str = "mixture") -> tuple[float, float]:
    """``(mean NLL, standard error)`` in nats of :func:`per_example_nll` over the rows of ``x`` ``(N, D)``;
    the standard error is :func:`standard_error` (NaN for one image)."""
    nll = per_example_nll(model, x, num_masks=num_masks, batch_size=batch_size, ensemble=ensemble)
    return float(nll.mean()), standard_error(nll)


def standard_error(values) -> float:
    """The standard error of the mean of ``values`` ``(N,)``: ``std(ddof=1) / sqrt(N)``; NaN for N = 1 (one value
    says nothing about the spread: not a zero error bar)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan


def paired_difference(nll_a, nll_b) -> tuple[float, float]:
    """``(mean of a - b, its standard error)`` in nats for per-image NLLs ``(N,)`` of two models on the same
    images: :func:`standard_error` of ``a - b``, much smaller than either model's (the shared spread cancels)."""
    a = check_real_array("nll_a", nll_a).astype(np.float64)
    b = check_real_array("nll_b", nll_b).astype(np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 2:
        raise UserInputError(f"nll_a and nll_b must be per-image NLLs of the same N >= 2 images, got shapes "
                             f"{a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise UserInputError("nll_a and nll_b must be finite")
    diff = a - b
    return float(diff.mean()), standard_error(diff)
