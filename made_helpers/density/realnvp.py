"""Real NVP (Dinh, Sohl-Dickstein, Bengio 2017) as a flow of Gaussian MADEs with two degree groups.

A coupling layer keeps ``x_a`` and maps ``u_b = (x_b - mu(x_a)) exp(-alpha(x_a))`` (one pass to invert): a MAF layer
whose MADE's inputs have degree 1 (group a) or 2 (group b, :func:`masks.coupling_degrees`), ``mu_a = alpha_a = 0``.
Two ways to compute ``mu`` and ``alpha`` (``scale_activation``): ``None``, this package's, one Gaussian MADE gives
both from the same hidden units, ``alpha`` soft-bounded like a MAF layer's; a name (the MAF authors' Real NVP, with
``"tanh"``: gpapamak/maf ``ml/models/nvps.py``), two plain networks on ``x_a``, a translate net (``activation``
hidden units) for ``mu`` and a scale net (``scale_activation`` hidden units) for ``alpha``, both with linear,
unbounded outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import check_bool, derived_seed
from ..core import masks as mk
from ..core.density_base import eager_input
from ..core.layers import check_activation
from .flow_step import FlowStep
from .flows import Flow
from .gaussian_made import LOG_SCALE_BOUND, GaussianMADE


def coupling_net(input_width: int, output_width: int, hidden_sizes: Sequence[int], activation: str, seed: int,
                 name: str) -> keras.Sequential:
    """A plain network ``(batch, |a|) -> (batch, |b|)``: hidden ``activation`` layers, a linear output; weights
    ``N(0, 1 / (fan_in + 1))`` with the first layer's fan-in counted as ``input_width`` = D (the authors feed all D
    inputs, the transformed ones zeroed), biases 0, as in gpapamak/maf ``ml/models/neural_nets.py``."""
    widths = [*hidden_sizes, output_width]
    layers = [keras.layers.Dense(w, activation=activation if k < len(hidden_sizes) else None, name=f"dense_{k}",
                                 kernel_initializer=keras.initializers.RandomNormal(
                                     stddev=1.0 / np.sqrt((input_width if k == 0 else widths[k - 1]) + 1),
                                     seed=derived_seed(seed, k)))
              for k, w in enumerate(widths)]
    return keras.Sequential(layers, name=name)


@keras.saving.register_keras_serializable(package="made_helpers")
class Coupling(FlowStep, keras.layers.Layer):
    """One affine coupling layer ``(batch, D) -> (batch, D)``; ``flip`` False keeps the degree-1 inputs of
    :func:`masks.coupling_degrees` with ``split`` (:data:`masks.COUPLING_SPLITS`), True the others. With
    ``scale_activation=None`` its :class:`GaussianMADE` ``made`` gives ``mu`` and ``alpha``; with a name, its
    ``translate_net`` and ``scale_net`` (:func:`coupling_net`) do (see the module docstring)."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], flip: bool = False, activation="relu",
                 seed: int = 0, log_scale_bound: float = LOG_SCALE_BOUND, split: str = "halves",
                 scale_activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = mk.check_input_dim(input_dim)
        self.flip = check_bool("flip", flip)
        self.split = split
        degrees = mk.coupling_degrees(self.input_dim, self.flip, split)
        self.keep = tf.constant((degrees == 1).astype(np.float32))       # (D,) 1 for the kept group
        self.scale_activation = (None if scale_activation is None
                                 else check_activation(scale_activation, "scale_activation"))
        self.made = self.translate_net = self.scale_net = None
        if self.scale_activation is None:
            self.made = GaussianMADE(self.input_dim, hidden_sizes, 1, "natural", "equal", activation, seed,
                                     log_scale_bound, input_degrees=degrees, name=f"{self.name}_made")
        else:
            self._init_nets(degrees, mk.check_hidden_sizes(hidden_sizes), check_activation(activation), seed,
                            log_scale_bound)
        self.built = True

    def _init_nets(self, degrees: np.ndarray, hidden_sizes: list[int], activation: str, seed: int,
                   log_scale_bound: float) -> None:
        kept, moved = np.flatnonzero(degrees == 1), np.flatnonzero(degrees == 2)
        self.hidden_sizes, self.activation_name, self.seed = hidden_sizes, activation, seed
        self.log_scale_bound = log_scale_bound           # kept for the config; these nets' alpha is unbounded
        self._kept = tf.constant(kept.astype(np.int32))
        place = np.zeros(self.input_dim, np.int32)       # column of [0, net outputs...] each dimension reads
        place[moved] = np.arange(1, len(moved) + 1)
        self._place = tf.constant(place)
        D, b = self.input_dim, len(moved)
        self.translate_net = coupling_net(D, b, hidden_sizes, activation, derived_seed(seed, 0), f"{self.name}_t")
        self.scale_net = coupling_net(D, b, hidden_sizes, self.scale_activation, derived_seed(seed, 1),
                                      f"{self.name}_s")
        for net in (self.translate_net, self.scale_net):
            net.build((None, len(kept)))

    def _mean_log_scale(self, x):
        """``(mu, alpha)``, each ``(batch, D)``, 0 on the kept group."""
        if self.made is not None:
            return self.made._gaussian(x)
        x_a = tf.gather(x, self._kept, axis=1)                                   # (batch, |a|)
        return self._full_width(self.translate_net(x_a)), self._full_width(self.scale_net(x_a))

    def _full_width(self, out):
        """A net's output ``(batch, |b|)`` placed in its columns of ``(batch, D)``, 0 in the kept group's."""
        return tf.gather(tf.pad(out, [[0, 0], [1, 0]]), self._place, axis=1)

    def _forward(self, x, training: bool = False):
        """``(u (batch, D), log_det (batch,))`` of a float32 tensor, unchecked."""
        mean, log_scale = self._mean_log_scale(x)
        u = self.keep * x + (1.0 - self.keep) * (x - mean) * tf.exp(-log_scale)
        return u, -tf.reduce_sum((1.0 - self.keep) * log_scale, axis=1)

    def forward(self, x):
        """``(u, log_det)`` for finite ``x`` ``(batch, D)``; see the module docstring."""
        return self._forward(eager_input(x, self.input_dim))

    def _invert(self, u: np.ndarray) -> np.ndarray:
        """``x`` ``(batch, D)`` float32 in one pass, unchecked (the outputs for group b read only ``u_a = x_a``)."""
        u = tf.constant(u, tf.float32)
        mean, log_scale = self._mean_log_scale(u)
        return (self.keep * u + (1.0 - self.keep) * (u * tf.exp(log_scale) + mean)).numpy()

    def get_config(self):
        source = self.made if self.made is not None else self
        return {**super().get_config(), "input_dim": self.input_dim, "hidden_sizes": list(source.hidden_sizes),
                "flip": self.flip, "activation": source.activation_name, "seed": source.seed,
                "log_scale_bound": source.log_scale_bound, "split": self.split,
                "scale_activation": self.scale_activation}


@keras.saving.register_keras_serializable(package="made_helpers")
class RealNVP(Flow):
    """Real NVP: ``num_layers`` :class:`Coupling` layers (K >= 2 transforms every dimension), each keeping the
    group the previous one transformed (``split``: :data:`masks.COUPLING_SPLITS`), a standard normal base and, with
    ``batch_norm``, a :class:`batch_norm.BatchNormFlow` after each. ``scale_activation``: see the module docstring;
    the MAF authors' Real NVP is ``split="parity", scale_activation="tanh"``."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_layers: int = 5, seed: int | None = None,
                 activation="relu", log_scale_bound: float = LOG_SCALE_BOUND, batch_norm: bool = False,
                 split: str = "halves", scale_activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(input_dim, hidden_sizes, num_layers, seed, activation, log_scale_bound, batch_norm)
        self.couplings = [Coupling(self.input_dim, self.hidden_sizes, k % 2 == 1, activation,
                                   derived_seed(self.seed, k), log_scale_bound, split, scale_activation,
                                   name=f"coupling_{k}")
                          for k in range(self.num_layers)]
        self.split, self.scale_activation = self.couplings[0].split, self.couplings[0].scale_activation   # checked
        self.finish()

    @property
    def _flow_layers(self) -> list:
        return self.couplings

    def get_config(self):
        return {**self.flow_config(), "split": self.split, "scale_activation": self.scale_activation}
