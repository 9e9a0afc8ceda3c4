"""Real-valued MADE: each conditional ``p(x_d | x_<d)`` a Gaussian or a mixture of C Gaussians (notebook 07).

Log-scales are soft-bounded, ``alpha = B tanh(raw / B)``, so that ``exp(-alpha)`` stays finite in float32 and keeps a
gradient. Eager calls check their inputs and refuse results that overflowed float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import FLOAT32_MAX, check_int, check_positive_float, check_real_batch, stateless_seed
from ..core import masks as mk
from ..core.density_base import MaskedModel, eager_input, refuse_nonfinite
from ..core.losses import normal_log_pdf

LOG_SCALE_BOUND = 7.0
LOG_FLOAT32_MAX = math.log(FLOAT32_MAX)      # ~88.72: exp(B) must stay finite in float32
OUTPUT_INIT_SCALE = 1e-2            # variance scale of the output layer's initial weights
MIXTURE_BIAS_INITS = ("zeros", "normal")
"""How a mixture's output biases start (``mixture_bias_init``). ``"zeros"``: every component of a conditional starts
the same, so those of the first conditional, which sees no input, get the same updates and stay one Gaussian
(notebook 07); ``"normal"``: :class:`MixtureBiasNormal`, the MAF authors' random start."""


def check_mixture_bias_init(mixture_bias_init: str, num_components: int) -> str:
    """``mixture_bias_init`` if it is one of :data:`MIXTURE_BIAS_INITS` and fits ``num_components`` (a random start
    needs a mixture), else a one-line ``ValueError``."""
    if mixture_bias_init not in MIXTURE_BIAS_INITS:
        raise ValueError(f"mixture_bias_init must be one of {MIXTURE_BIAS_INITS}, got {mixture_bias_init!r}")
    if mixture_bias_init != "zeros" and num_components == 1:
        raise ValueError(f"mixture_bias_init={mixture_bias_init!r} needs a mixture (num_components > 1); one "
                         "Gaussian per conditional starts its biases at zero")
    return mixture_bias_init


@keras.saving.register_keras_serializable(package="made_helpers")
class MixtureBiasNormal(keras.initializers.RandomNormal):
    """The MAF authors' start of a mixture MADE's output biases (gpapamak/maf, ``ml/models/mades.py``): mixture
    logits, means and log-precisions each ~ N(0, 1), so log-scales (minus half a log-precision) ~ N(0, 1/4). Shape
    ``(3 C D,)``, column ``p * D + d`` holding parameter ``p`` of dimension ``d`` (``C`` logits, ``C`` means, ``C``
    log-scales)."""

    def __init__(self, num_components: int, seed=None):
        super().__init__(mean=0.0, stddev=1.0, seed=seed)
        self.num_components = check_int("num_components", num_components, low=2, type_error=ValueError)

    def __call__(self, shape, dtype=None):
        C = self.num_components
        if len(shape) != 1 or shape[0] % (3 * C):
            raise ValueError(f"MixtureBiasNormal({C}) makes biases of shape (3 * {C} * D,), got shape {tuple(shape)}")
        scale = np.repeat(np.array([1.0, 1.0, 0.5], np.float32), C * (shape[0] // (3 * C)))
        return super().__call__(shape, dtype) * scale

    def get_config(self):
        return {**super().get_config(), "num_components": self.num_components}

    @classmethod
    def from_config(cls, config):
        return cls(config["num_components"], config.get("seed"))


@keras.saving.register_keras_serializable(package="made_helpers")
class GaussianMADE(MaskedModel):
    """MADE whose conditionals are C = ``num_components`` Gaussians: ``model(x)`` gives raw outputs ``(batch, P * D)``,
    ``P = 2`` if C = 1 else ``3 C``. MADE's arguments, plus ``log_scale_bound`` B and ``input_degrees`` (``None`` or
    ``(D,)`` in ``1..D``, only with ``ordering="natural"``; inputs of equal degree do not see each other) and, for a
    mixture, ``mixture_bias_init`` (one of :data:`MIXTURE_BIAS_INITS`)."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_components: int = 1,
                 ordering: mk.Ordering = "natural", hidden_degrees: str = "random", activation="relu",
                 seed: int | None = None, log_scale_bound: float = LOG_SCALE_BOUND,
                 input_degrees: Sequence[int] | None = None, mixture_bias_init: str = "zeros", **kwargs):
        num_components = check_int("num_components", num_components, low=1, type_error=ValueError,
                                   why=" (Gaussians per conditional)")
        mixture_bias_init = check_mixture_bias_init(mixture_bias_init, num_components)
        params_per_dim = 2 if num_components == 1 else 3 * num_components
        # one Gaussian starts near the identity (a deep MAF then cannot overflow); mixture components need Glorot
        init = (keras.initializers.VarianceScaling(OUTPUT_INIT_SCALE, "fan_in", "truncated_normal")
                if num_components == 1 else "glorot_uniform")
        bias_init = MixtureBiasNormal(num_components) if mixture_bias_init == "normal" else "zeros"
        super().__init__(input_dim, hidden_sizes, ordering, hidden_degrees, activation, seed,
                         output_units=params_per_dim * mk.check_input_dim(input_dim), output_initializer=init,
                         output_bias_initializer=bias_init, **kwargs)
        self.num_components, self.params_per_dim = num_components, params_per_dim
        self.mixture_bias_init = mixture_bias_init
        self.input_degrees = None if input_degrees is None else mk.check_input_degrees(input_degrees,
                                                                                       self.input_dim).tolist()
        if self.input_degrees is not None and self.ordering_spec != "natural":
            raise ValueError(f"input_degrees replaces ordering: give one of them, got ordering={ordering!r} too")
        self.log_scale_bound = check_positive_float("log_scale_bound", log_scale_bound)
        if self.log_scale_bound >= LOG_FLOAT32_MAX:
            raise ValueError(f"log_scale_bound must be below {LOG_FLOAT32_MAX:.2f} (so that exp(bound) is finite "
                             f"in float32), got {log_scale_bound!r}")
        self.mask_set = mk.make_mask_set(self.input_dim, self.hidden_sizes, self.ordering_spec,
                                         self.hidden_degrees, self.seed, 0, "connectivity", self.input_degrees)
        self.build((None, self.input_dim))
        for layer, m in zip(self.masked_layers, self.expected_masks()):
            layer.set_mask(m)
        self._order = tf.constant(self.ordering.astype(np.int32))
        self.mask_source = "the config"          # a MAF names its own config here

    def expected_masks(self) -> list[np.ndarray]:
        """The config's masks: the hidden layers', then the output mask tiled per parameter (column ``p * D + d``)."""
        masks = self.mask_set.masks
        return [*masks[:-1], np.tile(masks[-1], (1, self.params_per_dim))]

    def check_saved_masks(self) -> None:
        """A one-line ``ValueError`` naming the first loaded mask that differs from the config's, and how."""
        for layer, saved, mask in self.differing_masks()[:1]:
            role = "first" if layer is self.hidden_layers[0] else "output" if layer is self.output_layer else "hidden"
            spec = self.ordering_spec
            order = f"{spec!r} -> {mk.short_list(self.ordering)}" if isinstance(spec, str) else mk.short_list(spec)
            if self.input_degrees is not None:
                order = f"from input_degrees {mk.short_list(self.input_degrees)}"
            raise ValueError(
                f"{self.name}/{layer.name}: the saved mask is not the one rebuilt from {self.mask_source} (ordering "
                f"{order}, hidden_degrees={self.hidden_degrees!r}, seed={self.seed}): "
                f"{mk.mask_mismatch(saved, mask, self.ordering, role)}; the config or the weights were edited, "
                f"or come from different models")

    @property
    def ordering(self) -> np.ndarray:
        """Generation order ``(D,)``: ``ordering[0]`` comes first."""
        return self.mask_set.ordering

    @property
    def degrees(self) -> list[np.ndarray]:
        """Degrees ``[input (D,), hidden_1, ...]``."""
        return self.mask_set.degrees

    def _bound(self, raw):
        return self.log_scale_bound * tf.tanh(raw / self.log_scale_bound)

    def _mixture(self, x):
        C, D = self.num_components, self.input_dim
        out = tf.reshape(self(x), (-1, self.params_per_dim, D))
        if C == 1:
            return tf.zeros_like(out[:, :1]), out[:, :1], self._bound(out[:, 1:2])
        return out[:, :C], out[:, C:2 * C], self._bound(out[:, 2 * C:])

    def _single_gaussian_only(self, what: str) -> None:
        if self.num_components != 1:
            raise ValueError(f"{what} needs num_components=1, this model has {self.num_components}")

    def _gaussian(self, x):
        out = tf.reshape(self(x), (-1, 2, self.input_dim))
        return out[:, 0], self._bound(out[:, 1])

    def mixture_params(self, x):
        """``(logits, means, log_scales)``, each ``(batch, C, D)``; for C = 1 the logits are 0."""
        return self._mixture(eager_input(x, self.input_dim))

    def gaussian_params(self, x):
        """``(mean, log_scale)``, each ``(batch, D)``; only for ``num_components=1``."""
        self._single_gaussian_only("gaussian_params")
        return self._gaussian(eager_input(x, self.input_dim))

    def _forward(self, x, training: bool = False):
        """:meth:`forward` of a float32 tensor, unchecked (``training`` is unused: a flow passes it to every layer)."""
        mean, log_scale = self._gaussian(x)
        return (x - mean) * tf.exp(-log_scale), -tf.reduce_sum(log_scale, axis=1)

    def forward(self, x):
        """The MAF layer ``u = (x - mu(x)) exp(-alpha(x))``: ``(u (batch, D), log_det (batch,))`` (C = 1 only)."""
        self._single_gaussian_only("forward")
        return self._forward(eager_input(x, self.input_dim))

    def _log_conditionals(self, x):
        logits, means, log_scales = self._mixture(x)
        log_w = tf.nn.log_softmax(logits, axis=1)
        return tf.reduce_logsumexp(log_w + normal_log_pdf(x[:, None, :], means, log_scales), axis=1)

    def log_conditionals(self, x):
        """``(batch, D)``: ``log p(x_d | x_<d)`` in nats (a log-sum-exp over components)."""
        return self._log_conditionals(eager_input(x, self.input_dim))

    def log_prob_tensor(self, x):
        """``log p(x)`` ``(batch,)`` as a tensor (differentiable; no input checks)."""
        return tf.reduce_sum(self._log_conditionals(tf.convert_to_tensor(x, tf.float32)), axis=1)

    def _fill(self, x, observed, eps, gumbel):
        """D passes in the model's order: unobserved ``x_d`` ``(n, D)`` becomes ``mean_k + exp(log_scale_k) eps_d``,
        ``k = argmax(logits + gumbel)`` (``gumbel`` ``(n, C, D)``); with C = 1 and ``eps = u`` it inverts forward."""
        for i in tf.range(self.input_dim):
            idx = self._order[i]
            logits, means, log_scales = self._mixture(x)
            k = tf.argmax(logits[:, :, idx] + gumbel[:, :, idx], axis=1, output_type=tf.int32)[:, None]
            mean = tf.gather(means[:, :, idx], k, batch_dims=1)[:, 0]
            scale = tf.exp(tf.gather(log_scales[:, :, idx], k, batch_dims=1)[:, 0])
            value = tf.where(observed[:, idx] > 0, x[:, idx], mean + scale * eps[:, idx])
            onehot = tf.one_hot(idx, self.input_dim, dtype=x.dtype)
            x = x * (1.0 - onehot) + value[:, None] * onehot
        return x

    def noise_signature(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([None, self.input_dim], tf.float32),
                tf.TensorSpec([None, self.num_components, self.input_dim], tf.float32)]

    def fill_noise(self, n: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """``(eps (n, D), gumbel (n, C, D))`` of :meth:`_fill`, drawn from ``seed``."""
        s = tf.constant(stateless_seed(seed), tf.int32)
        eps = tf.random.stateless_normal((n, self.input_dim), seed=s)
        u = tf.random.stateless_uniform((n, self.num_components, self.input_dim), seed=s + [0, 1],
                                        minval=1e-7, maxval=1.0)
        return eps.numpy(), (-tf.math.log(-tf.math.log(u))).numpy()

    def _invert(self, u: np.ndarray) -> np.ndarray:
        """:meth:`inverse` of checked float32 ``u``, unchecked output (may hold inf or NaN)."""
        zeros = np.zeros_like(u)
        return self.run_fill(zeros, zeros, u, np.zeros((len(u), 1, self.input_dim), np.float32))

    def inverse(self, u) -> np.ndarray:
        """``x`` ``(batch, D)`` with ``forward(x)[0] == u`` in D passes (C = 1 only); refuses rows that overflow."""
        self._single_gaussian_only("inverse")
        u = check_real_batch(u, self.input_dim, "u")
        x = self._invert(u)
        refuse_nonfinite(self, ~np.isfinite(x), "inverse", "rows of u", u)
        return x

    def own_config(self) -> dict:
        return {"num_components": self.num_components, "log_scale_bound": self.log_scale_bound,
                "input_degrees": self.input_degrees, "mixture_bias_init": self.mixture_bias_init}
