"""Wall-clock timing (notebook 06, benchmarks): best-of-n timing of a call, and sampling against one forward pass."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..checks import check_int


def time_call(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Best wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls (tracing)."""
    repeats, warmup = check_int("repeats", repeats, 1), check_int("warmup", warmup, 0)
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

    Returns ``n``, ``steps`` (D), ``sample_seconds``, ``seconds_per_sample``, ``seconds_per_step``,
    ``forward_seconds`` and ``ratio`` (sampling / forward).
    """
    import tensorflow as tf

    n = check_int("n", n, low=1, type_error=ValueError)
    D = int(model.input_dim)
    x = tf.constant(np.zeros((n, D), dtype=np.float32))
    forward = tf.function(lambda t: model(t))
    sample_s = time_call(lambda: model.sample(n, seed=seed), repeats=repeats)
    forward_s = time_call(lambda: forward(x).numpy(), repeats=repeats)
    return {"n": n, "steps": D, "sample_seconds": sample_s,
            "seconds_per_sample": sample_s / n, "seconds_per_step": sample_s / D,
            "forward_seconds": forward_s,
            "ratio": sample_s / forward_s if forward_s > 0 else float("nan")}
