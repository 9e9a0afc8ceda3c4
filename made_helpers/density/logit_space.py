"""Dequantized MNIST in logit space, as in the MAF paper (Papamakarios et al., 2017, section 4.3).

Pixels ``z`` in ``0..255`` become ``y = (z + v) / 256``, ``v ~ U(0, 1)``, then ``x = logit(lam + (1 - 2 lam) y)``.
Change of variables: ``log p_y(y) = log p_x(x) + sum_d [log(1 - 2 lam) + softplus(x_d) + softplus(-x_d)]`` and
``log p(256 y) = log p_y(y) - D log 256``. :func:`maf_mnist_splits` follows the authors' code (gpapamak/maf).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import (
    check_int,
    check_log_densities,
    check_positive_float,
    check_real_array,
    check_real_batch,
    check_seed,
)
from ..errors import UserInputError

LAMBDA_MNIST = 1e-6
MAF_NOISE_SEED = 42                  # the authors' RandomState(42)
MAF_TRAIN_ROWS = 50_000              # the rest of the 60 000 training images is the validation set


def _check_lam(lam) -> float:
    lam = check_positive_float("lam", lam)
    if lam >= 0.5:
        raise UserInputError(f"lam must be below 0.5 (it maps y in [0, 1) to [lam, 1 - lam)), got {lam!r}")
    return lam


def _integer_images(images, name: str = "images") -> np.ndarray:
    """``images`` ``(N, 28, 28)`` or ``(N, D)`` integers in 0..255 as ``(N, D)`` float64, else a one-line error."""
    try:
        z = np.asarray(images)
    except ValueError:
        raise TypeError(f"{name} must be an array of integers in 0..255, got ragged rows") from None
    if z.dtype.kind not in "iu":
        hint = " (floats in [0, 1]? use np.round(255 * images).astype(np.uint8))" if z.dtype.kind == "f" else ""
        raise ValueError(f"{name} must be integers in 0..255 (e.g. uint8), got dtype {z.dtype}{hint}")
    if z.ndim < 2:
        raise ValueError(f"{name} must have shape (N, 28, 28) or (N, D), got shape {z.shape}"
                         + (" (one image? pass images[None])" if z.ndim == 1 else ""))
    if z.size == 0:
        raise ValueError(f"{name} is empty (shape {z.shape})")
    if z.min() < 0 or z.max() > 255:
        raise ValueError(f"{name} must be integers in 0..255, got values from {z.min()} to {z.max()}")
    return z.reshape(len(z), -1).astype(np.float64)


def logit_transform(y: np.ndarray, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``logit(lam + (1 - 2 lam) y)`` elementwise, float32, for dequantized pixels ``y`` in ``[0, 1)`` (unchecked)."""
    lam = _check_lam(lam)
    s = lam + (1.0 - 2.0 * lam) * np.asarray(y, np.float64)
    return (np.log(s) - np.log1p(-s)).astype(np.float32)


def dequantize_to_logit(images, seed: int = 0, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``(N, D)`` float32 logit-space data from integer images ``(N, 28, 28)`` or ``(N, D)`` in 0..255."""
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    lam = _check_lam(lam)
    z = _integer_images(images)
    return logit_transform((z + np.random.default_rng(seed).random(z.shape)) / 256.0, lam)


def maf_mnist_splits(train_images, test_images, lam: float = LAMBDA_MNIST) -> dict[str, np.ndarray]:
    """The MAF paper's MNIST in logit space: ``{"train": (50000, D), "valid": (10000, D), "test": (M, D)}`` float32.

    ``train_images``: the 60 000 training images in order (the rows after 50 000 validate); the noise ``v / 256``
    comes from one ``RandomState(42)``, drawn for the training, then validation, then test rows.
    """
    lam = _check_lam(lam)
    z_train, z_test = _integer_images(train_images, "train_images"), _integer_images(test_images, "test_images")
    if len(z_train) <= MAF_TRAIN_ROWS:
        raise ValueError(f"train_images must hold more than {MAF_TRAIN_ROWS} rows (the first {MAF_TRAIN_ROWS} train, "
                         f"the rest validate), got {len(z_train)}")
    if z_test.shape[1] != z_train.shape[1]:
        raise ValueError(f"test_images must have {z_train.shape[1]} pixels per image like train_images, "
                         f"got {z_test.shape[1]}")
    rng = np.random.RandomState(MAF_NOISE_SEED)
    parts = {"train": z_train[:MAF_TRAIN_ROWS], "valid": z_train[MAF_TRAIN_ROWS:], "test": z_test}
    return {name: logit_transform(z / 256.0 + rng.rand(*z.shape) / 256.0, lam) for name, z in parts.items()}


def load_maf_mnist(data_dir=None, lam: float = LAMBDA_MNIST, verbose: bool = False) -> dict[str, np.ndarray]:
    """:func:`maf_mnist_splits` of grey MNIST read by :func:`made_helpers.data.load_mnist` (never the subset)."""
    from ..data import load_mnist

    train, _ = load_mnist("train", source="mnist", data_dir=data_dir, verbose=verbose)
    test, _ = load_mnist("test", source="mnist", data_dir=data_dir, verbose=verbose)
    return maf_mnist_splits(train, test, lam)


def log_det_logit_to_unit(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``sum_d log |dx_d / dy_d|`` ``(N,)`` float64 for ``x`` ``(N, D)``: ``log p_y(y) - log p_x(x)``."""
    lam = _check_lam(lam)
    x = check_real_batch(x, None, "x", np.float64)
    return np.sum(math.log(1.0 - 2.0 * lam) + np.logaddexp(0.0, x) + np.logaddexp(0.0, -x), axis=1)


def to_pixel_space(log_p_logit, x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """``log p`` ``(N,)`` nats of the image in ``[0, 256)^D`` from ``log p_x(x)`` ``(N,)`` and ``x`` ``(N, D)``."""
    log_p = check_log_densities("log_p_logit", log_p_logit)
    x = check_real_batch(x, None, "x", np.float64)
    if log_p.shape != (len(x),):
        raise ValueError(f"log_p_logit must have shape ({len(x)},), one value per row of x, got shape {log_p.shape}")
    return log_p + log_det_logit_to_unit(x, lam) - x.shape[1] * math.log(256.0)


def logit_to_pixels(x, lam: float = LAMBDA_MNIST) -> np.ndarray:
    """Dequantized pixel values ``256 y``, ``y = (sigmoid(x) - lam) / (1 - 2 lam)``, elementwise; NaN is refused."""
    lam = _check_lam(lam)
    x = check_real_array("x", x).astype(np.float64)
    if np.any(np.isnan(x)):
        raise ValueError(f"x contains {int(np.isnan(x).sum())} NaN value(s)")
    s = 0.5 * (1.0 + np.tanh(0.5 * x))          # sigmoid without overflow
    return 256.0 * np.clip((s - lam) / (1.0 - 2.0 * lam), 0.0, 1.0)


def bits_per_pixel(log_p_pixel, input_dim: int) -> np.ndarray:
    """``-log2 p / D``: the pixel-space log-density (a number or an array) in bits per pixel (lower is better)."""
    input_dim = check_int("input_dim", input_dim, low=1, type_error=ValueError)
    return -check_log_densities("log_p_pixel", log_p_pixel) / (input_dim * math.log(2.0))
