"""Batch normalisation as a flow layer (the MAF paper's, after Dinh et al. 2017)::

    u = (x - m) / sqrt(v + eps) * exp(log_gamma) + beta,    log |det du/dx| = sum_d (log_gamma_d - 0.5 log(v_d + eps))

``m``, ``v``: the batch's in training (running averages updated), the stored ones in evaluation (then invertible).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..checks import check_bool, check_int, check_nonnegative_float, check_positive_float, check_real_batch
from ..errors import UserInputError
from .flow_step import FlowStep

MOMENTUM = 0.9
EPSILON = 1e-5                      # the authors' value


def check_statistics_rows(x: np.ndarray, name: str = "x") -> np.ndarray:
    """``x`` ``(N, D)`` if it has the >= 2 rows a batch-norm mean and variance need, else a one-line error."""
    if len(x) < 2:
        raise UserInputError(f"{name} has {len(x)} row: batch-norm statistics need at least 2 rows (one row has no "
                             f"variance, and every layer would divide by sqrt(epsilon))")
    return x


@keras.saving.register_keras_serializable(package="made_helpers")
class BatchNormFlow(FlowStep, keras.layers.Layer):
    """Invertible batch normalisation of ``(batch, D)``: trainable ``log_gamma``, ``beta`` ``(D,)`` (start at 0),
    ``moving_mean``, ``moving_variance`` (start at 0, 1); ``momentum`` in ``[0, 1)``, ``epsilon`` > 0."""

    def __init__(self, input_dim: int, momentum: float = MOMENTUM, epsilon: float = EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, low=1, type_error=ValueError)
        self.momentum = check_nonnegative_float("momentum", momentum)
        if self.momentum >= 1.0:
            raise UserInputError(f"momentum must be below 1 (1 would never update the running averages), "
                                 f"got {momentum!r}")
        self.epsilon = check_positive_float("epsilon", epsilon)
        self.build((None, self.input_dim))

    def build(self, input_shape):
        D = self.input_dim
        self.log_gamma = self.add_weight(name="log_gamma", shape=(D,), initializer="zeros")
        self.beta = self.add_weight(name="beta", shape=(D,), initializer="zeros")
        self.moving_mean = self.add_weight(name="moving_mean", shape=(D,), initializer="zeros", trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=(D,), initializer="ones",
                                               trainable=False)
        self.built = True

    def _statistics(self, x, training: bool):
        if not training:
            return self.moving_mean, self.moving_variance
        m, v = tf.nn.moments(x, axes=[0])
        r = self.momentum
        self.moving_mean.assign(r * self.moving_mean + (1.0 - r) * tf.stop_gradient(m))
        self.moving_variance.assign(r * self.moving_variance + (1.0 - r) * tf.stop_gradient(v))
        return m, v

    def _forward(self, x, training: bool = False):
        """``(u (batch, D), log_det (batch,))`` of a float32 tensor, unchecked."""
        m, v = self._statistics(x, training)
        log_inv_std = -0.5 * tf.math.log(v + self.epsilon)
        u = (x - m) * tf.exp(log_inv_std + self.log_gamma) + self.beta
        return u, tf.reduce_sum(self.log_gamma + log_inv_std) * tf.ones(tf.shape(x)[:1])

    def forward(self, x, training: bool = False):
        """``(u (batch, D), log_det (batch,))`` for finite ``x`` ``(batch, D)`` (``training``: >= 2 rows)."""
        x, training = check_real_batch(x, self.input_dim), check_bool("training", training)
        if training:
            check_statistics_rows(x)
        return self._forward(tf.constant(x), training)

    def _invert(self, u: np.ndarray) -> np.ndarray:
        """``x`` ``(batch, D)`` float32 with the stored statistics, unchecked (may hold inf)."""
        scale = tf.exp(-self.log_gamma) * tf.sqrt(self.moving_variance + self.epsilon)
        return ((tf.constant(u, tf.float32) - self.beta) * scale + self.moving_mean).numpy()

    def set_statistics(self, x) -> None:
        """Store the mean and variance of ``x`` ``(N, D)`` (computed in float64) as the evaluation statistics."""
        x = check_statistics_rows(check_real_batch(x, self.input_dim, dtype=np.float64))
        self.moving_mean.assign(x.mean(axis=0).astype(np.float32))
        self.moving_variance.assign(x.var(axis=0).astype(np.float32))

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "momentum": self.momentum,
                "epsilon": self.epsilon}
