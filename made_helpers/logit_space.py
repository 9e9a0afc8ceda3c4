"""Dequantized MNIST in logit space, as in the MAF paper (Papamakarios et al., 2017, section 4.3).

Pixel values ``z`` in ``{0..255}`` are dequantized, ``y = (z + v) / 256`` with ``v ~ U(0, 1)``, so
``y`` is in ``[0, 1)`` and ``256 y`` in ``[0, 256)``; then ``x = logit(lam + (1 - 2 lam) y)`` with
``lam = 1e-6``. A density ``p_x`` over ``x`` gives densities over ``y`` and over ``256 y`` by the change
of variables:

    log p_y(y) = log p_x(x) + sum_d log |dx_d / dy_d|,
    dx/dy = (1 - 2 lam) / (s (1 - s)),  s = sigmoid(x),  i.e.
    log |dx/dy| = log(1 - 2 lam) + softplus(x) + softplus(-x);
    log p_[0,256)(256 y) = log p_y(y) - D log 256.

Every function checks its arguments and names the one that is wrong in a one-line error; lists are
converted to arrays.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import check_int, check_positive_float, check_real_array, check_real_batch, check_seed

LAMBDA_MNIST = 1e-6


def _check_lam(lam) -> float:
    lam = check_positive_float("lam", lam)
    if lam >= 0.5:
        raise ValueError(f"lam must be below 0.5 (it maps y in [0, 1) to [lam, 1 - lam)), got {lam!r}")
    return lam


def _log_densities(name: str, value) -> np.ndarray:
    """Log-densities as float64: NaN and ``+inf`` are refused, ``-inf`` (zero density) passes."""
    arr = check_real_array(name, value).astype(np.float64)
    bad = np.isnan(arr) | (arr == np.inf)
    if np.any(bad):
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or +inf value(s); a log-density is finite or -inf")
    return arr


def dequantize_to_logit(images, seed: int = 0, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``(N, D)`` float32 logit-space data from integer images ``(N, 28, 28)`` or ``(N, D)`` in 0..255."""
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    lam = _check_lam(lam)
    try:
        z = np.asarray(images)
    except ValueError:
        raise TypeError("images must be an array of integers in 0..255, got ragged rows") from None
    if z.dtype.kind not in "iu":
        hint = " (floats in [0, 1]? use np.round(255 * images).astype(np.uint8))" if z.dtype.kind == "f" else ""
        raise ValueError(f"images must be integers in 0..255 (e.g. uint8), got dtype {z.dtype}{hint}")
    if z.ndim < 2:
        raise ValueError(f"images must have shape (N, 28, 28) or (N, D), got shape {z.shape}"
                         + (" (one image? pass images[None])" if z.ndim == 1 else ""))
    if z.size == 0:
        raise ValueError(f"images is empty (shape {z.shape})")
    if z.min() < 0 or z.max() > 255:
        raise ValueError(f"images must be integers in 0..255, got values from {z.min()} to {z.max()}")
    z = z.reshape(len(z), -1).astype(np.float64)
    y = (z + np.random.default_rng(seed).random(z.shape)) / 256.0
    s = lam + (1.0 - 2.0 * lam) * y
    return (np.log(s) - np.log1p(-s)).astype(np.float32)


def log_det_logit_to_unit(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``sum_d log |dx_d / dy_d|``, ``(N,)`` float64 for ``x`` ``(N, D)``: add it to ``log p_x(x)`` to get
    ``log p_y(y)``."""
    lam = _check_lam(lam)
    x = check_real_batch(x, None, "x", np.float64)
    return np.sum(math.log(1.0 - 2.0 * lam) + np.logaddexp(0.0, x) + np.logaddexp(0.0, -x), axis=1)


def to_pixel_space(log_p_logit, x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``log p`` ``(N,)`` of the dequantized image in ``[0, 256)^D`` (nats), from ``log p_x(x)`` ``(N,)`` in logit
    space and ``x`` ``(N, D)``."""
    log_p = _log_densities("log_p_logit", log_p_logit)
    x = check_real_batch(x, None, "x", np.float64)
    if log_p.shape != (len(x),):
        raise ValueError(f"log_p_logit must have shape ({len(x)},), one value per row of x, got shape {log_p.shape}")
    return log_p + log_det_logit_to_unit(x, lam) - x.shape[1] * math.log(256.0)


def logit_to_pixels(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """Back to dequantized pixel values ``256 y`` in ``[0, 256)``: ``y = (sigmoid(x) - lam) / (1 - 2 lam)``.

    Elementwise, any shape; ``+-inf`` maps to 256 and 0, NaN is refused.
    """
    lam = _check_lam(lam)
    x = check_real_array("x", x).astype(np.float64)
    if np.any(np.isnan(x)):
        raise ValueError(f"x contains {int(np.isnan(x).sum())} NaN value(s)")
    s = 0.5 * (1.0 + np.tanh(0.5 * x))          # sigmoid without overflow
    return 256.0 * np.clip((s - lam) / (1.0 - 2.0 * lam), 0.0, 1.0)


def bits_per_pixel(log_p_pixel, input_dim: int) -> np.ndarray:
    """``-log2 p / D``: the pixel-space log-density (a number or an array) in bits per pixel (lower is better)."""
    input_dim = check_int("input_dim", input_dim, low=1, type_error=ValueError)
    return -_log_densities("log_p_pixel", log_p_pixel) / (input_dim * math.log(2.0))
