"""Test-set evaluation: mean negative log-likelihood in nats with its standard error."""

from __future__ import annotations

import math

import numpy as np


def _check_num_masks(model, num_masks: int | None) -> int:
    if num_masks is None:
        return int(model.num_masks)
    if isinstance(num_masks, bool) or not isinstance(num_masks, (int, np.integer)) \
            or not 1 <= num_masks <= model.num_masks:
        raise ValueError(f"num_masks must be an integer in 1..{model.num_masks} (the model's masks), "
                         f"got {num_masks!r}")
    return int(num_masks)


def per_example_nll(model, x, num_masks: int | None = None, batch_size: int = 10_000) -> np.ndarray:
    """``-log p(x)`` in nats, ``(N,)`` float64, for binary ``x`` ``(N, D)``.

    ``num_masks=K`` uses the mixture over masks ``0..K-1``,
    ``p(x) = 1/K sum_k p_k(x)``; ``None`` means all the model's masks.
    """
    k = _check_num_masks(model, num_masks)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"x must have shape (N, {model.input_dim}) with N >= 1, got {x.shape}")
    return -model.log_prob(x, num_masks=k, batch_size=int(batch_size)).astype(np.float64)


def evaluate_nll(model, x, num_masks: int | None = None, batch_size: int = 10_000) -> tuple[float, float]:
    """``(mean NLL, standard error)`` in nats over the rows of ``x`` ``(N, D)``.

    The NLL of each example is that of the mixture over masks ``0..K-1``
    (``num_masks=K``; ``None``: all the model's masks). The standard error is
    ``std(ddof=1) / sqrt(N)`` over examples (0.0 when N = 1).
    """
    nll = per_example_nll(model, x, num_masks=num_masks, batch_size=batch_size)
    se = float(nll.std(ddof=1) / math.sqrt(len(nll))) if len(nll) > 1 else 0.0
    return float(nll.mean()), se
