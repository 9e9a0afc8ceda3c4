"""Dequantized MNIST in logit space, as in the MAF paper (Papamakarios et al., 2017, section 4.3).

Pixel values ``z`` in ``{0..255}`` are dequantized, ``y = (z + v) / 256`` with ``v ~ U(0, 1)``, so
``y`` is in ``[0, 1)`` and ``256 y`` in ``[0, 256)``; then ``x = logit(lam + (1 - 2 lam) y)`` with
``lam = 1e-6``. A density ``p_x`` over ``x`` gives densities over ``y`` and over ``256 y`` by the change
of variables:

    log p_y(y) = log p_x(x) + sum_d log |dx_d / dy_d|,
    dx/dy = (1 - 2 lam) / (s (1 - s)),  s = sigmoid(x),  i.e.
    log |dx/dy| = log(1 - 2 lam) + softplus(x) + softplus(-x);
    log p_[0,256)(256 y) = log p_y(y) - D log 256.
"""

from __future__ import annotations

import math

import numpy as np

LAMBDA_MNIST = 1e-6


def dequantize_to_logit(images, seed: int = 0, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``(N, D)`` float32 logit-space data from uint8 images ``(N, 28, 28)`` or ``(N, D)`` in 0..255."""
    z = np.asarray(images)
    if not np.issubdtype(z.dtype, np.integer) or z.min() < 0 or z.max() > 255:
        raise ValueError(f"images must be integers in 0..255, got dtype {z.dtype}")
    z = z.reshape(len(z), -1).astype(np.float64)
    y = (z + np.random.default_rng(seed).random(z.shape)) / 256.0
    s = lam + (1.0 - 2.0 * lam) * y
    return (np.log(s) - np.log1p(-s)).astype(np.float32)


def log_det_logit_to_unit(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``sum_d log |dx_d / dy_d|``, ``(N,)`` float64: add it to ``log p_x(x)`` to get ``log p_y(y)``."""
    x = np.asarray(x, dtype=np.float64)
    return np.sum(math.log(1.0 - 2.0 * lam) + np.logaddexp(0.0, x) + np.logaddexp(0.0, -x), axis=1)


def to_pixel_space(log_p_logit, x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``log p`` of the dequantized image in ``[0, 256)^D`` (nats), from ``log p_x(x)`` in logit space."""
    return np.asarray(log_p_logit, np.float64) + log_det_logit_to_unit(x, lam) - x.shape[1] * math.log(256.0)


def logit_to_pixels(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """Back to dequantized pixel values ``256 y`` in ``[0, 256)``: ``y = (sigmoid(x) - lam) / (1 - 2 lam)``."""
    s = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, np.float64)))          # sigmoid without overflow
    return 256.0 * np.clip((s - lam) / (1.0 - 2.0 * lam), 0.0, 1.0)


def bits_per_pixel(log_p_pixel, input_dim: int) -> np.ndarray:
    """``-log2 p / D``: the pixel-space log-density in bits per pixel (lower is better)."""
    return -np.asarray(log_p_pixel, np.float64) / (input_dim * math.log(2.0))
