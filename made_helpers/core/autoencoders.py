"""Plain (unmasked, not autoregressive) autoencoders for notebooks 01 and 03, and masking noise to denoise."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ..checks import check_float, check_int, check_real_batch, check_seed
from . import masks as mk
from .evaluate import in_chunks
from .losses import bernoulli_nll


def build_autoencoder(input_dim: int = 784, hidden_sizes: Sequence[int] = (256,), code_dim: int = 32,
                      activation: str = "relu", code_activation: str | None = "relu",
                      name: str = "autoencoder") -> keras.Model:
    """An MLP autoencoder ``D -> hidden_sizes -> code_dim -> reversed(hidden_sizes) -> D``, ``(batch, D)`` to
    linear outputs ``(batch, D)`` (Gaussian means or Bernoulli logits).

    Sub-models ``"encoder"`` ``(batch, D) -> (batch, code_dim)`` and ``"decoder"``; ``code_activation=None`` is a
    linear code.
    """
    D = check_int("input_dim", input_dim, low=1)
    sizes = mk.check_hidden_sizes(() if hidden_sizes is None else hidden_sizes, allow_empty=True)
    code = check_int("code_dim", code_dim, low=1)

    x_in = keras.Input((D,), name="x")
    h = x_in
    for i, width in enumerate(sizes):
        h = keras.layers.Dense(width, activation=activation, name=f"enc_{i}")(h)
    z = keras.layers.Dense(code, activation=code_activation, name="code")(h)
    encoder = keras.Model(x_in, z, name="encoder")

    z_in = keras.Input((code,), name="z")
    h = z_in
    for i, width in enumerate(reversed(sizes)):
        h = keras.layers.Dense(width, activation=activation, name=f"dec_{i}")(h)
    out = keras.layers.Dense(D, name="output")(h)
    decoder = keras.Model(z_in, out, name="decoder")

    x = keras.Input((D,), name="x")
    return keras.Model(x, decoder(encoder(x)), name=name)


def masking_noise(x, drop_prob: float, seed: int = 0) -> np.ndarray:
    """Set each entry of ``x`` ``(batch, D)`` to 0 with probability ``drop_prob`` (float32 copy)."""
    drop_prob = check_float("drop_prob", drop_prob, 0.0, 1.0, high_open=True)
    x = np.asarray(x, dtype=np.float32)
    keep = np.random.default_rng(check_seed("seed", seed, type_error=ValueError)).random(x.shape) >= drop_prob
    return x * keep


def reconstruction_log_prob(model, x, batch_size: int = 4096) -> np.ndarray:
    """``sum_d log Bernoulli(x_d; sigmoid(model(x)_d))`` ``(batch,)`` of binary ``x`` ``(batch, D)``.

    A log-probability only for a MADE: an ordinary autoencoder's output ``d`` has seen ``x_d``.
    """
    x = check_real_batch(x, None, binary=True)
    return in_chunks(lambda chunk: -bernoulli_nll(chunk, model(chunk)), x, batch_size)
