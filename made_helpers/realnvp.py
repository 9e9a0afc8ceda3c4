"""Real NVP (Dinh, Sohl-Dickstein, Bengio 2017) as a flow of Gaussian MADEs with two degree groups.

A coupling layer keeps one group of inputs ``x_a`` and transforms the other,

    u_a = x_a,     u_b = (x_b - mu(x_a)) * exp(-alpha(x_a)),     log|det du/dx| = -sum alpha(x_a),

so its inverse ``x_b = u_b exp(alpha(u_a)) + mu(u_a)`` takes one pass, where MAF's takes D. The
networks ``mu`` and ``alpha`` are a :class:`gaussian_made.GaussianMADE` whose inputs have degree 1 (group
a) or 2 (group b) (:func:`masks.coupling_degrees`): its masks let the outputs of group b see group a only.
The outputs of group a see no input at all (they are biases), and the coupling fixes them at
``mu = alpha = 0``: the MAF paper's remark that a coupling layer is a MAF layer with ``mu_a = alpha_a = 0``
and ``mu_b, alpha_b`` depending on ``x_a`` only. Layers alternate the groups (first half kept, then
second half kept, ...); ``batch_norm=True`` adds a :class:`batch_norm.BatchNormFlow` after every layer,
as in the paper. ``mu`` and ``alpha`` share the MADE's hidden layers (the authors' code used two
networks), and ``alpha`` is soft-bounded, ``B tanh(raw / B)``, as in every Gaussian MADE.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import masks as mk
from .checks import check_bool, check_real_batch
from .flows import Flow
from .gaussian_made import LOG_SCALE_BOUND, GaussianMADE, eager_input


@keras.saving.register_keras_serializable(package="made_helpers")
class Coupling(keras.layers.Layer):
    """One affine coupling layer ``(batch, D) -> (batch, D)``; ``made`` computes ``mu`` and ``alpha``.

    Args:
        input_dim: D (>= 2).
        hidden_sizes: hidden widths of the MADE.
        flip: False keeps the first ``D // 2`` inputs (degree 1), True the others.
        activation, seed, log_scale_bound: passed to the :class:`GaussianMADE`.
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], flip: bool = False, activation="relu",
                 seed: int = 0, log_scale_bound: float = LOG_SCALE_BOUND, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = mk.check_input_dim(input_dim)
        self.flip = check_bool("flip", flip)
        degrees = mk.coupling_degrees(self.input_dim, self.flip)
        self.made = GaussianMADE(self.input_dim, hidden_sizes, 1, "natural", "equal", activation, seed,
                                 log_scale_bound, input_degrees=degrees, name=f"{self.name}_made")
        self.keep = tf.constant((degrees == 1).astype(np.float32))       # (D,) 1 for the kept group
        self.built = True

    def _forward(self, x, training: bool = False):
        """``(u (batch, D), log_det (batch,))`` of a float32 tensor, unchecked."""
        mean, log_scale = self.made._gaussian(x)
        u = self.keep * x + (1.0 - self.keep) * (x - mean) * tf.exp(-log_scale)
        return u, -tf.reduce_sum((1.0 - self.keep) * log_scale, axis=1)

    def forward(self, x):
        """``(u, log_det)`` for finite ``x`` ``(batch, D)``; see the module docstring."""
        return self._forward(eager_input(x, self.input_dim))

    def call(self, x):
        return self._forward(tf.convert_to_tensor(x, tf.float32))[0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def _invert(self, u: np.ndarray) -> np.ndarray:
        """``x`` ``(batch, D)`` float32 in one pass, unchecked: the kept group is ``u_a``, and the MADE's outputs
        for group b read only group a, so it may be given ``u`` itself."""
        u = tf.constant(u, tf.float32)
        mean, log_scale = self.made._gaussian(u)
        return (self.keep * u + (1.0 - self.keep) * (u * tf.exp(log_scale) + mean)).numpy()

    def inverse(self, u) -> np.ndarray:
        """``x`` with ``forward(x)[0] == u``, ``(batch, D)`` float32 (may overflow to inf for extreme ``u``)."""
        return self._invert(check_real_batch(u, self.input_dim, "u"))

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "hidden_sizes": list(self.made.hidden_sizes),
                "flip": self.flip, "activation": self.made.activation_name, "seed": self.made.seed,
                "log_scale_bound": self.made.log_scale_bound}


@keras.saving.register_keras_serializable(package="made_helpers")
class RealNVP(Flow):
    """Real NVP: ``num_layers`` coupling layers with alternating kept halves and a standard normal base.

    Args:
        input_dim: D (>= 2).
        hidden_sizes: hidden widths of every coupling's MADE, e.g. ``[64, 64]``.
        num_layers: K >= 1 coupling layers (K >= 2 to transform every dimension).
        seed: seed of the layers' MADEs (``None`` draws one and stores it in the config); with two degree
            groups every hidden unit has degree 1, so the seed does not change the masks.
        activation, log_scale_bound: passed to every MADE.
        batch_norm: a :class:`batch_norm.BatchNormFlow` after every coupling layer (the paper's), default off.
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_layers: int = 5, seed: int | None = None,
                 activation="relu", log_scale_bound: float = LOG_SCALE_BOUND, batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(input_dim, hidden_sizes, num_layers, seed, activation, log_scale_bound, batch_norm)
        self.couplings = [Coupling(self.input_dim, self.hidden_sizes, k % 2 == 1, activation,
                                   mk.derived_seed(self.seed, k), log_scale_bound, name=f"coupling_{k}")
                          for k in range(self.num_layers)]
        self.finish()

    @property
    def _flow_layers(self) -> list:
        return self.couplings

    def get_config(self):
        return self.flow_config()
