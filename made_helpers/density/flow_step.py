"""The base of the invertible layers and flows: :class:`FlowStep`."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..checks import check_real_batch


class FlowStep:
    """Mixin of the invertible layers and flows (before the Keras base): they give ``_forward(x, training) -> (u
    (batch, D), log_det (batch,))`` and ``_invert(u) -> x``."""

    def call(self, x, training: bool = False):
        """``u`` ``(batch, D)``; ``training=True``: batch norm uses (and records) the batch's statistics."""
        return self._forward(tf.convert_to_tensor(x, tf.float32), training)[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def inverse(self, u) -> np.ndarray:
        """``x`` with ``forward(x)[0] == u`` (evaluation mode), ``(batch, D)`` float32 (may overflow to inf)."""
        return self._invert(check_real_batch(u, self.input_dim, "u"))
