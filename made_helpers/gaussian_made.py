"""Real-valued MADE: each conditional a Gaussian or a mixture of C Gaussians (notebook 07).

The binary MADE (:mod:`made_helpers.model`) outputs one logit per dimension. Here the output
layer gives, for every dimension ``d``, the parameters of ``p(x_d | x_<d)``:

* ``num_components=1``: a mean ``mu_d`` and a log-scale ``alpha_d`` (``sigma_d = exp(alpha_d)``);
* ``num_components=C > 1``: C mixing logits, C means and C log-scales.

The masks are the binary model's (:func:`masks.make_mask_set`); the output mask is repeated once
per parameter, so every parameter of dimension ``d`` sees only the inputs before ``d``.

Log-scales are soft-bounded, ``alpha = B * tanh(raw / B)`` with ``B = log_scale_bound`` (7 by
default: scales between ``e^-7 ~ 1e-3`` and ``e^7 ~ 1100``). Without a bound one unlucky step can
send ``exp(-alpha)`` to ``inf`` in float32; a soft bound (unlike ``clip``) keeps a gradient everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import masks as mk
from .layers import MaskedDense
from .model import _stateless_seed
from .sampling import is_prefix_of_ordering
from .validation import check_int, check_positive_float, check_seed

LOG_SCALE_BOUND = 7.0
OUTPUT_INIT_SCALE = 1e-2            # variance scale of the output layer's initial weights
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def batched_log_prob(model, x, batch_size: int) -> np.ndarray:
    """``model.log_prob_tensor`` over ``x`` ``(batch, D)`` in chunks, compiled once: ``(batch,)`` float64."""
    x = check_real_batch(x, model.input_dim)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    if model._log_prob_fn is None:
        model._log_prob_fn = tf.function(model.log_prob_tensor, reduce_retracing=True)
    return np.concatenate([model._log_prob_fn(tf.constant(x[i:i + batch_size])).numpy().astype(np.float64)
                           for i in range(0, len(x), batch_size)])


def check_real_batch(x, input_dim: int, name: str = "x") -> np.ndarray:
    """``x`` as float32 ``(batch, input_dim)``, or a one-line ``ValueError`` naming ``name``."""
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (batch, {input_dim}), got shape {arr.shape}")
    if arr.shape[1] != input_dim:
        raise ValueError(f"{name} must have width D={input_dim}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s); a density needs finite inputs")
    return arr


def normal_log_pdf(x, mean, log_scale):
    """``log N(x; mean, exp(log_scale)^2)`` elementwise (nats)."""
    z = (x - mean) * tf.exp(-log_scale)
    return -0.5 * tf.square(z) - log_scale - HALF_LOG_2PI


@keras.saving.register_keras_serializable(package="made_helpers")
class GaussianMADE(keras.Model):
    """MADE with real-valued conditionals: a Gaussian (``num_components=1``) or a mixture of C.

    ``model(x)`` maps ``(batch, D)`` to the raw outputs ``(batch, P * D)``, ``P = 2`` for one
    Gaussian and ``3 C`` for a mixture; :meth:`mixture_params` reshapes them.

    Args:
        input_dim: D (>= 2).
        hidden_sizes: hidden layer widths, e.g. ``[64, 64]``.
        num_components: C >= 1 Gaussians per conditional.
        ordering: ``"natural"``, ``"reversed"``, ``"random"`` or a permutation (generation order).
        hidden_degrees: ``"random"`` (the paper) or ``"equal"``.
        activation: hidden activation.
        seed: seed of the masks (``None`` draws one and stores it in the config).
        log_scale_bound: B > 0 of the soft bound ``alpha = B tanh(raw / B)``.
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_components: int = 1,
                 ordering: mk.Ordering = "natural", hidden_degrees: str = "random", activation="relu",
                 seed: int | None = None, log_scale_bound: float = LOG_SCALE_BOUND, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = mk.check_input_dim(input_dim)
        self.hidden_sizes = mk.check_hidden_sizes(hidden_sizes)
        self.num_components = check_int("num_components", num_components, low=1, type_error=ValueError,
                                        why=" (Gaussians per conditional)")
        self.ordering_spec = mk.check_ordering(ordering, self.input_dim)
        self.hidden_degrees = mk.check_hidden_degrees(hidden_degrees)
        self.activation_name = activation
        self.seed = int(np.random.SeedSequence().entropy % (2**31)) if seed is None else check_seed("seed", seed)
        self.log_scale_bound = check_positive_float("log_scale_bound", log_scale_bound)
        self.params_per_dim = 2 if self.num_components == 1 else 3 * self.num_components

        self.mask_set = mk.make_mask_set(self.input_dim, self.hidden_sizes, self.ordering_spec,
                                         self.hidden_degrees, self.seed, 0, "connectivity")
        self.hidden_layers = [MaskedDense(h, activation=activation, name=f"hidden_{i}")
                              for i, h in enumerate(self.hidden_sizes)]
        # one Gaussian: the output layer starts small, so mu ~ 0 and alpha ~ 0 and a stack of MADEs (MAF) starts
        # near the identity, where the first steps of a deep flow cannot overflow. A mixture keeps Keras' default
        # (Glorot): small equal starts leave the components nearly equal, and they separate only slowly.
        init = (keras.initializers.VarianceScaling(OUTPUT_INIT_SCALE, "fan_in", "truncated_normal")
                if self.num_components == 1 else "glorot_uniform")
        self.output_layer = MaskedDense(self.params_per_dim * self.input_dim, kernel_initializer=init,
                                        name="output")
        self.build((None, self.input_dim))
        for layer, m in zip(self.hidden_layers, self.mask_set.masks[:-1]):
            layer.set_mask(m)
        # output column p * D + d belongs to dimension d: the output mask repeated per parameter
        self.output_layer.set_mask(np.tile(self.mask_set.masks[-1], (1, self.params_per_dim)))
        self._order = tf.constant(self.ordering.astype(np.int32))
        self._fill_fn = None
        self._log_prob_fn = None

    def build(self, input_shape):
        fan_in = self.input_dim
        for layer in self.hidden_layers:
            layer.build((None, fan_in))
            fan_in = layer.units
        self.output_layer.build((None, fan_in))
        self.built = True

    @property
    def ordering(self) -> np.ndarray:
        """Generation order ``(D,)``: ``ordering[0]`` comes first."""
        return self.mask_set.ordering

    @property
    def degrees(self) -> list[np.ndarray]:
        """Degrees ``[input (D,), hidden_1, ...]``."""
        return self.mask_set.degrees

    # ---------------------------------------------------------------- forward
    def call(self, x):
        """Raw outputs ``(batch, P * D)`` for inputs ``(batch, D)``."""
        x = tf.convert_to_tensor(x, tf.float32)
        if x.shape.rank is not None and (x.shape.rank != 2 or (x.shape[-1] not in (None, self.input_dim))):
            raise ValueError(f"GaussianMADE expects inputs of shape (batch, {self.input_dim}), got {tuple(x.shape)}")
        h = x
        for layer in self.hidden_layers:
            h = layer(h)
        return self.output_layer(h)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.params_per_dim * self.input_dim)

    def _bound(self, raw):
        return self.log_scale_bound * tf.tanh(raw / self.log_scale_bound)

    def mixture_params(self, x):
        """``(logits, means, log_scales)``, each ``(batch, C, D)``; for C = 1 the logits are 0."""
        C, D = self.num_components, self.input_dim
        out = tf.reshape(self(x), (-1, self.params_per_dim, D))
        if C == 1:
            return tf.zeros_like(out[:, :1]), out[:, :1], self._bound(out[:, 1:2])
        return out[:, :C], out[:, C:2 * C], self._bound(out[:, 2 * C:])

    def gaussian_params(self, x):
        """``(mean, log_scale)``, each ``(batch, D)``; only for ``num_components=1``."""
        if self.num_components != 1:
            raise ValueError(f"gaussian_params needs num_components=1, this model has {self.num_components}")
        out = tf.reshape(self(x), (-1, 2, self.input_dim))
        return out[:, 0], self._bound(out[:, 1])

    def forward(self, x):
        """The MAF layer ``u = (x - mu(x)) exp(-alpha(x))``: ``(u (batch, D), log_det (batch,))``.

        ``log_det = log |det du/dx| = -sum_d alpha_d`` (the Jacobian is triangular).
        Only for ``num_components=1``.
        """
        x = tf.convert_to_tensor(x, tf.float32)
        mean, log_scale = self.gaussian_params(x)
        return (x - mean) * tf.exp(-log_scale), -tf.reduce_sum(log_scale, axis=1)

    # --------------------------------------------------------- likelihood
    def log_conditionals(self, x):
        """``(batch, D)``: ``log p(x_d | x_<d)`` in nats (a log-sum-exp over components)."""
        x = tf.convert_to_tensor(x, tf.float32)
        logits, means, log_scales = self.mixture_params(x)
        log_w = tf.nn.log_softmax(logits, axis=1)
        return tf.reduce_logsumexp(log_w + normal_log_pdf(x[:, None, :], means, log_scales), axis=1)

    def log_prob_tensor(self, x):
        """``log p(x)`` ``(batch,)`` as a tensor (differentiable; no input checks)."""
        return tf.reduce_sum(self.log_conditionals(x), axis=1)

    def log_prob(self, x, batch_size: int = 10_000) -> np.ndarray:
        """``log p(x)`` in nats, ``(batch,)`` float64, for finite real ``x`` ``(batch, D)``."""
        return batched_log_prob(self, x, batch_size)

    # ------------------------------------------------------------ sampling
    def _fill(self, x, observed, eps, gumbel):
        """D sequential passes in the model's order; entries with ``observed > 0`` are kept.

        ``x``, ``observed``, ``eps``: ``(n, D)``; ``gumbel``: ``(n, C, D)``. Unobserved ``x_d`` becomes
        ``mean_k + exp(log_scale_k) * eps_d`` of component ``k = argmax(logits + gumbel)`` (the
        Gumbel-max trick: ``k`` is drawn with the mixing weights). With C = 1 and ``eps = u`` this is
        the inverse of :meth:`forward`.
        """
        for i in tf.range(self.input_dim):
            idx = self._order[i]
            logits, means, log_scales = self.mixture_params(x)
            k = tf.argmax(logits[:, :, idx] + gumbel[:, :, idx], axis=1, output_type=tf.int32)[:, None]
            mean = tf.gather(means[:, :, idx], k, batch_dims=1)[:, 0]
            scale = tf.exp(tf.gather(log_scales[:, :, idx], k, batch_dims=1)[:, 0])
            value = tf.where(observed[:, idx] > 0, x[:, idx], mean + scale * eps[:, idx])
            onehot = tf.one_hot(idx, self.input_dim, dtype=x.dtype)
            x = x * (1.0 - onehot) + value[:, None] * onehot
        return x

    def _run_fill(self, x, observed, eps, gumbel) -> np.ndarray:
        if self._fill_fn is None:
            D, C = self.input_dim, self.num_components
            self._fill_fn = tf.function(self._fill, input_signature=[
                tf.TensorSpec([None, D], tf.float32), tf.TensorSpec([None, D], tf.float32),
                tf.TensorSpec([None, D], tf.float32), tf.TensorSpec([None, C, D], tf.float32)])
        return self._fill_fn(*(tf.constant(np.asarray(a, np.float32)) for a in (x, observed, eps, gumbel))).numpy()

    def _noise(self, n: int, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        s = tf.constant(_stateless_seed(seed), tf.int32)
        eps = tf.random.stateless_normal((n, self.input_dim), seed=s)
        u = tf.random.stateless_uniform((n, self.num_components, self.input_dim), seed=s + [0, 1],
                                        minval=1e-7, maxval=1.0)
        return eps.numpy(), (-tf.math.log(-tf.math.log(u))).numpy()

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples ``(n, D)`` float32, drawn with D sequential passes."""
        n = check_int("n", n, low=1, type_error=ValueError)
        zeros = np.zeros((n, self.input_dim), np.float32)
        return self._run_fill(zeros, zeros, *self._noise(n, seed))

    def inverse(self, u) -> np.ndarray:
        """``x`` with ``forward(x)[0] == u``, ``(batch, D)``: D sequential passes (C = 1 only)."""
        if self.num_components != 1:
            raise ValueError(f"inverse needs num_components=1, this model has {self.num_components}")
        u = check_real_batch(u, self.input_dim, "u")
        zeros = np.zeros_like(u)
        return self._run_fill(zeros, zeros, u, np.zeros((len(u), 1, self.input_dim), np.float32))

    def complete(self, x, observed, seed: int | None = None) -> np.ndarray:
        """Fill the unobserved entries of ``x`` ``(batch, D)`` (or ``(D,)``) by sampling.

        ``observed``: bool ``(D,)`` or ``(batch, D)``; the observed inputs must come first in the
        model's ordering (otherwise ``p(unobserved | observed)`` is not one pass and ``ValueError``).
        Unobserved entries of ``x`` may hold anything finite (they are overwritten).
        """
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        x = check_real_batch(x[None] if single else x, self.input_dim)
        obs = np.asarray(observed, dtype=bool)
        if obs.shape not in ((self.input_dim,), x.shape):
            raise ValueError(f"observed must have shape ({self.input_dim},) or {x.shape}, got {obs.shape}")
        obs = np.broadcast_to(obs, x.shape)
        for row, o in enumerate(obs):
            if not is_prefix_of_ordering(o, self.ordering):
                raise ValueError(f"observed row {row} is not a prefix of the model's ordering "
                                 f"(model.ordering): p(unobserved | observed) is not available from one pass")
        out = self._run_fill(x, obs.astype(np.float32), *self._noise(len(x), seed))
        return out[0] if single else out

    # -------------------------------------------------------- serialization
    def get_config(self):
        config = {key: value for key, value in super().get_config().items() if key in ("name", "trainable")}
        return {**config, "input_dim": self.input_dim, "hidden_sizes": list(self.hidden_sizes),
                "num_components": self.num_components, "ordering": self.ordering_spec,
                "hidden_degrees": self.hidden_degrees, "activation": self.activation_name, "seed": self.seed,
                "log_scale_bound": self.log_scale_bound}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
