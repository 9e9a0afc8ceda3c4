"""Helpers for sampling and completion (notebook 06): observed-pixel masks and timing.

The sampling itself lives in ``MADE.sample`` / ``MADE.complete`` (D sequential steps).
Here: which pixels are given (``top_rows_observed``), images that show given vs filled-in
pixels (``completion_overlay``), and wall-clock timing (``time_call``, ``time_sampling``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .validation import check_int


def top_rows_observed(rows: int | None = None, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Bool ``(H*W,)``: True for the pixels of the first ``rows`` image rows (default: top half).

    In the natural (row-major) ordering these pixels come first, so a MADE with that
    ordering can complete the rest with one sequential step per missing pixel.
    """
    if len(image_shape) != 2 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (height, width) with positive sizes, got {image_shape!r}")
    height, width = (int(s) for s in image_shape)
    rows = height // 2 if rows is None else rows
    rows = check_int("rows", rows, 0, height, why=f" for images of height {height}")
    observed = np.zeros((height, width), dtype=bool)
    observed[:rows] = True
    return observed.ravel()


def is_prefix_of_ordering(observed, ordering) -> bool:
    """True iff every observed index comes before every unobserved one in ``ordering`` ``(D,)``."""
    observed = np.asarray(observed, dtype=bool)
    ordering = np.asarray(ordering)
    if observed.ndim != 1 or ordering.shape != observed.shape:
        raise ValueError(f"observed (D,) and ordering (D,) must have the same 1-D shape, "
                         f"got {observed.shape} and {ordering.shape}")
    in_order = observed[ordering]                      # observed flags in generation order
    k = int(in_order.sum())
    return bool(in_order[:k].all())


def completion_overlay(completed, observed, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """RGB images ``(n, H, W, 3)`` in [0, 1]: given pixels black/white, sampled ones in colour.

    ``completed``: ``(n, H*W)`` 0/1; ``observed``: bool ``(H*W,)`` or ``(n, H*W)``.
    Given pixels: ink black on white. Filled-in pixels: ink dark blue on pale blue.
    """
    x = np.asarray(completed, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != int(np.prod(image_shape)):
        raise ValueError(f"completed must have shape (n, {int(np.prod(image_shape))}), got {x.shape}")
    obs = np.broadcast_to(np.asarray(observed, dtype=bool), x.shape)
    given = np.stack([1 - x, 1 - x, 1 - x], axis=-1)                       # ink black
    filled = np.stack([0.85 - 0.75 * x, 0.9 - 0.7 * x, 1.0 - 0.4 * x], axis=-1)  # ink dark blue
    rgb = np.where(obs[..., None], given, filled)
    return rgb.reshape(len(x), *image_shape, 3).clip(0.0, 1.0)


def time_call(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls.

    The warm-up call absorbs one-off costs (tracing a ``tf.function``); the minimum is the
    least noisy estimate on a shared machine.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_sampling(model, n: int, repeats: int = 3, seed: int = 0) -> dict:
    """Time ``model.sample(n)`` (D sequential steps) against one compiled forward pass on ``n`` inputs.

    Both are compiled TensorFlow functions, timed as the best of ``repeats`` calls after a
    warm-up. Returns a dict: ``n``, ``steps`` (D), ``sample_seconds``, ``seconds_per_sample``,
    ``seconds_per_step`` (``sample_seconds / D``), ``forward_seconds`` (one full pass on ``n``
    inputs, what a likelihood evaluation costs) and ``ratio`` (sampling / forward time).
    """
    import tensorflow as tf

    n = check_int("n", n, low=1, type_error=ValueError)
    D = int(model.input_dim)
    x = tf.constant(np.zeros((int(n), D), dtype=np.float32))
    forward = tf.function(lambda t: model(t))
    sample_s = time_call(lambda: model.sample(int(n), seed=seed), repeats=repeats)
    forward_s = time_call(lambda: forward(x).numpy(), repeats=repeats)
    return {"n": int(n), "steps": D, "sample_seconds": sample_s,
            "seconds_per_sample": sample_s / int(n), "seconds_per_step": sample_s / D,
            "forward_seconds": forward_s,
            "ratio": sample_s / forward_s if forward_s > 0 else float("nan")}
