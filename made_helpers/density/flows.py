"""Masked Autoregressive Flow (Papamakarios, Pavlakou, Murray, 2017): K stacked Gaussian MADEs.

Layer ``k`` maps ``x`` to ``u = (x - mu_k(x)) exp(-alpha_k(x))``, ``log|det| = -sum_d alpha_k``; the last ``u_K`` is
``N(0, I)`` or a mixture-of-Gaussians MADE ("MAF MoG"), and ``log p(x) = log p(u_K) + sum_k log|det|``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import (
    check_bool,
    check_int,
    check_positive_float,
    check_real_batch,
    check_seed,
    derived_seed,
    draw_seed,
    stateless_seed,
)
from ..core import masks as mk
from ..core.density_base import DensityModel, eager_input, refuse_nonfinite
from ..core.evaluate import in_chunks
from ..core.losses import HALF_LOG_2PI, normal_log_pdf
from .batch_norm import BatchNormFlow
from .flow_step import FlowStep
from .gaussian_made import LOG_SCALE_BOUND, GaussianMADE, check_mixture_bias_init

PERMUTATIONS = ("reverse", "random")


def layer_orderings(input_dim: int, num_layers: int, permutation: str = "reverse", seed: int = 0) -> list[list[int]]:
    """The generation order ``(D,)`` of each MADE: ``"reverse"`` natural, reversed, ...; ``"random"`` natural,
    then a permutation per layer drawn from ``seed``."""
    if not isinstance(permutation, str) or permutation not in PERMUTATIONS:
        raise ValueError(f"permutation must be one of {PERMUTATIONS}, got {permutation!r}")
    input_dim = mk.check_input_dim(input_dim)
    num_layers = check_int("num_layers", num_layers, low=1, type_error=ValueError)
    seed = check_seed("seed", seed, type_error=ValueError)
    natural = list(range(input_dim))
    if permutation == "reverse":
        return [natural if k % 2 == 0 else natural[::-1] for k in range(num_layers)]
    return [natural] + [np.random.default_rng(derived_seed(seed, 1000 + k)).permutation(input_dim).tolist()
                        for k in range(1, num_layers)]


class Flow(FlowStep, DensityModel, keras.Model):
    """What :class:`MAF` and ``RealNVP`` share. A subclass calls :meth:`set_arguments`, builds its :class:`FlowStep`
    layers, returns them from a private ``_flow_layers`` property (Keras saves them under the subclass's attribute)
    and calls :meth:`finish`."""

    def set_arguments(self, input_dim: int, hidden_sizes: Sequence[int], num_layers: int, seed: int | None,
                      activation, log_scale_bound: float, batch_norm: bool) -> None:
        """Check and keep the arguments every flow takes (:meth:`flow_config` returns them)."""
        self.input_dim = mk.check_input_dim(input_dim)
        self.hidden_sizes = mk.check_hidden_sizes(hidden_sizes)
        self.num_layers = check_int("num_layers", num_layers, low=1, type_error=ValueError)
        self.seed = draw_seed(seed)
        self.activation_name = activation
        self.log_scale_bound = check_positive_float("log_scale_bound", log_scale_bound)
        self.batch_norm = check_bool("batch_norm", batch_norm)

    def finish(self, top: GaussianMADE | None = None) -> None:
        """Add ``batch_norms`` (if ``batch_norm``) and ``top`` (``None``: ``u_K ~ N(0, I)``), and build."""
        self.batch_norms = [BatchNormFlow(self.input_dim, name=f"batch_norm_{k}")
                            for k in range(len(self._flow_layers))] if self.batch_norm else []
        self.top = top
        self.build((None, self.input_dim))

    @property
    def steps(self) -> list:
        """Every invertible layer in order, x to u_K: ``[layer_0, batch_norm_0, layer_1, ...]``."""
        if not self.batch_norms:
            return list(self._flow_layers)
        return [step for pair in zip(self._flow_layers, self.batch_norms) for step in pair]

    def build(self, input_shape):
        self.built = True

    def _forward(self, u, training: bool = False):
        log_det = tf.zeros(tf.shape(u)[:1])
        for step in self.steps:
            u, ld = step._forward(u, training)
            log_det = log_det + ld
        return u, log_det

    def forward(self, x, training: bool = False):
        """``(u_K (batch, D), log_det (batch,))``: the sum of every layer's ``log |det du/dx|``."""
        return self._forward(eager_input(x, self.input_dim), check_bool("training", training))

    def log_prob_tensor(self, x, training: bool = False):
        """``log p(x)`` ``(batch,)`` as a differentiable tensor (no input checks)."""
        u, log_det = self._forward(tf.convert_to_tensor(x, tf.float32), training)
        if self.top is not None:
            return self.top.log_prob_tensor(u) + log_det
        return tf.reduce_sum(normal_log_pdf(u, 0.0, 0.0), axis=-1) + log_det      # log N(u; 0, I)

    def _invert(self, u: np.ndarray, task: str, rows_of: str, given: np.ndarray | None = None) -> np.ndarray:
        """Each layer inverted, last to first; a non-finite row is refused naming the layer."""
        x = u
        for step in reversed(self.steps):
            x = step._invert(x)
            refuse_nonfinite(self, ~np.isfinite(x), f"{task} (in layer {step.name})", rows_of, given)
        return x

    def inverse(self, u) -> np.ndarray:
        """``x`` with ``forward(x)[0] == u`` (evaluation mode); a row that overflows is refused naming the layer."""
        u = check_real_batch(u, self.input_dim, "u")
        return self._invert(u, "inverse", "rows of u", u)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples ``(n, D)`` float32: ``u_K`` from the base density (``N(0, I)`` or ``top``), then inverted."""
        n = check_int("n", n, low=1, type_error=ValueError)
        if self.top is not None:
            return self._invert(self.top.sample(n, seed), "sample", "samples")
        u = tf.random.stateless_normal((n, self.input_dim), seed=tf.constant(stateless_seed(seed), tf.int32))
        return self._invert(u.numpy(), "sample", "samples")

    def set_batch_norm_statistics(self, x, batch_size: int = 10_000) -> None:
        """Give every batch-norm layer the mean and variance of its inputs over ``x`` ``(N, D)``."""
        u = check_real_batch(x, self.input_dim)
        batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
        for step in self.steps if self.batch_norms else []:
            if isinstance(step, BatchNormFlow):
                step.set_statistics(u)
            u = in_chunks(lambda chunk, step=step: step._forward(chunk)[0], u, batch_size)

    def flow_config(self) -> dict:
        """The config entries of Keras (name, trainable) and of :meth:`set_arguments`; a subclass adds its own."""
        keras_config = {key: value for key, value in super().get_config().items() if key in ("name", "trainable")}
        return {**keras_config, "input_dim": self.input_dim, "hidden_sizes": list(self.hidden_sizes),
                "num_layers": self.num_layers, "seed": self.seed, "activation": self.activation_name,
                "log_scale_bound": self.log_scale_bound, "batch_norm": self.batch_norm}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="made_helpers")
class MAF(Flow):
    """A MAF of ``num_layers`` Gaussian MADEs in orderings from ``permutation`` and ``seed`` (``None``: drawn);
    ``num_components`` C > 1 models ``u_K`` with a C-Gaussian MADE ("MAF MoG")."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_layers: int = 5, seed: int | None = None,
                 permutation: str = "reverse", hidden_degrees: str = "random", activation="relu",
                 log_scale_bound: float = LOG_SCALE_BOUND, batch_norm: bool = False, num_components: int = 1,
                 mixture_bias_init: str = "zeros", **kwargs):
        super().__init__(**kwargs)
        self.set_arguments(input_dim, hidden_sizes, num_layers, seed, activation, log_scale_bound, batch_norm)
        self.permutation, self.hidden_degrees = permutation, hidden_degrees
        self.num_components = check_int("num_components", num_components, low=1, type_error=ValueError,
                                        why=" (Gaussians per conditional of the top MADE)")
        K = self.num_layers
        orders = layer_orderings(self.input_dim, K + 1, permutation, self.seed)

        self.mixture_bias_init = check_mixture_bias_init(mixture_bias_init, self.num_components)

        def made(k: int, C: int = 1) -> GaussianMADE:
            model = GaussianMADE(self.input_dim, self.hidden_sizes, C, orders[k], hidden_degrees, activation,
                                 seed=derived_seed(self.seed, k), log_scale_bound=log_scale_bound,
                                 mixture_bias_init=mixture_bias_init if C > 1 else "zeros", name=f"made_{k}")
            model.mask_source = f"the MAF {self.name}'s config (permutation={permutation!r}, seed={self.seed})"
            return model

        self.mades = [made(k) for k in range(K)]
        self.finish(made(K, self.num_components) if self.num_components > 1 else None)

    @property
    def _flow_layers(self) -> list:
        return self.mades

    def get_config(self):
        return {**self.flow_config(), "permutation": self.permutation, "hidden_degrees": self.hidden_degrees,
                "num_components": self.num_components, "mixture_bias_init": self.mixture_bias_init}


def gaussian_log_prob_baseline(x_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """``log N(x; m, S + 1e-6 I)`` ``(M,)`` nats of each row of ``x_test`` ``(M, D)``, ``m`` and ``S`` fitted to
    ``x_train`` ``(N >= 2, D)``: the MAF paper's "Gaussian" baseline."""
    x_train = check_real_batch(x_train, None, "x_train")
    x_test = check_real_batch(x_test, x_train.shape[1], "x_test")
    if len(x_train) < 2:
        raise ValueError(f"x_train needs at least 2 rows to estimate a covariance, got shape {x_train.shape}")
    m = x_train.mean(axis=0, dtype=np.float64)
    S = np.cov(x_train.astype(np.float64), rowvar=False) + 1e-6 * np.eye(x_train.shape[1])
    L = np.linalg.cholesky(S)
    z = np.linalg.solve(L, (x_test.astype(np.float64) - m).T)
    D = x_train.shape[1]
    return -0.5 * np.sum(z**2, axis=0) - np.log(np.diag(L)).sum() - D * HALF_LOG_2PI
