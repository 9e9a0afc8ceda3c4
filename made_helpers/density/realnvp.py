"""Real NVP (Dinh, Sohl-Dickstein, Bengio 2017) as a flow of Gaussian MADEs with two degree groups.

A coupling layer keeps ``x_a`` and maps ``u_b = (x_b - mu(x_a)) exp(-alpha(x_a))`` (one pass to invert): a MAF layer
whose MADE's inputs have degree 1 (group a) or 2 (group b, :func:`masks.coupling_degrees`), ``mu_a = alpha_a = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import check_bool, derived_seed
from ..core import masks as mk
from ..core.density_base import eager_input
from .flow_step import FlowStep
from .flows import Flow
from .gaussian_made import LOG_SCALE_BOUND, GaussianMADE


@keras.saving.register_keras_serializable(package="made_helpers")
class Coupling(FlowStep, keras.layers.Layer):
    """One affine coupling layer ``(batch, D) -> (batch, D)``: its :class:`GaussianMADE` ``made`` gives ``mu`` and
    ``alpha``; ``flip`` False keeps the first ``D // 2`` inputs (degree 1), True the others."""

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

    def _invert(self, u: np.ndarray) -> np.ndarray:
        """``x`` ``(batch, D)`` float32 in one pass, unchecked (the outputs for group b read only ``u_a = x_a``)."""
        u = tf.constant(u, tf.float32)
        mean, log_scale = self.made._gaussian(u)
        return (self.keep * u + (1.0 - self.keep) * (u * tf.exp(log_scale) + mean)).numpy()

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "hidden_sizes": list(self.made.hidden_sizes),
                "flip": self.flip, "activation": self.made.activation_name, "seed": self.made.seed,
                "log_scale_bound": self.made.log_scale_bound}


@keras.saving.register_keras_serializable(package="made_helpers")
class RealNVP(Flow):
    """Real NVP: ``num_layers`` :class:`Coupling` layers (K >= 2 transforms every dimension) with alternating kept
    halves, a standard normal base and, with ``batch_norm``, a :class:`batch_norm.BatchNormFlow` after each."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_layers: int = 5, seed: int | None = None,
                 activation="relu", log_scale_bound: float = LOG_SCALE_BOUND, batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(input_dim, hidden_sizes, num_layers, seed, activation, log_scale_bound, batch_norm)
        self.couplings = [Coupling(self.input_dim, self.hidden_sizes, k % 2 == 1, activation,
                                   derived_seed(self.seed, k), log_scale_bound, name=f"coupling_{k}")
                          for k in range(self.num_layers)]
        self.finish()

    @property
    def _flow_layers(self) -> list:
        return self.couplings

    def get_config(self):
        return self.flow_config()
