"""The MADE model: masked dense layers, K masks, exact log-likelihood, sampling."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import masks as mk
from .layers import MaskedDense
from .losses import bernoulli_nll, check_binary


def _derived_seed(seed: int, k: int) -> int:
    """A reproducible seed for mask ``k`` of a model seeded with ``seed``."""
    return int(np.random.SeedSequence([int(seed), int(k)]).generate_state(1)[0])


@keras.saving.register_keras_serializable(package="made_helpers")
class MADE(keras.Model):
    """Masked Autoencoder for Distribution Estimation (Germain et al., 2015).

    ``model(x)`` maps binary inputs ``(batch, D)`` to logits ``(batch, D)``;
    ``sigmoid(logit_j)`` is ``p(x_j = 1 | inputs before j)`` in the current
    mask's ordering.

    Args:
        input_dim: D.
        hidden_sizes: hidden layer widths, e.g. ``[500]``.
        num_masks: K masks to train over (order- and connectivity-agnostic
            training); mask ``k`` is rebuilt from ``seed`` and ``k``.
        ordering: ``"natural"``, ``"reversed"``, ``"random"`` (a new ordering
            per mask) or a permutation of ``0..D-1`` (generation order).
        hidden_degrees: ``"random"`` (paper) or ``"equal"``.
        direct: add the masked direct input->output connection.
        activation: hidden activation (never applied to the output logits).
        seed: seed for the masks; ``None`` draws one and stores it in the config.
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_masks: int = 1,
                 ordering: mk.Ordering = "natural", hidden_degrees: str = "random",
                 direct: bool = True, activation="relu", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = mk.check_input_dim(input_dim)
        self.hidden_sizes = mk.check_hidden_sizes(hidden_sizes)
        if isinstance(num_masks, bool) or not isinstance(num_masks, (int, np.integer)) or num_masks < 1:
            raise ValueError(f"num_masks must be a positive integer, got {num_masks!r}")
        self.num_masks = int(num_masks)
        if isinstance(ordering, str):
            if ordering not in mk.ORDERINGS:
                raise ValueError(f"ordering must be one of {mk.ORDERINGS} or a permutation, got {ordering!r}")
            self.ordering_spec = ordering
        else:
            self.ordering_spec = mk.check_permutation(ordering, self.input_dim).tolist()
        if hidden_degrees not in mk.HIDDEN_DEGREE_SCHEMES:
            raise ValueError(f"hidden_degrees must be one of {mk.HIDDEN_DEGREE_SCHEMES}, got {hidden_degrees!r}")
        self.hidden_degrees = hidden_degrees
        self.direct = bool(direct)
        self.activation_name = activation
        self.seed = int(np.random.SeedSequence().entropy % (2**31)) if seed is None else int(seed)

        # every mask set, computed once in numpy: list over k of (degrees, masks, direct mask)
        self._mask_sets = [self._build_mask_set(k) for k in range(self.num_masks)]

        self.hidden_layers = [MaskedDense(h, activation=activation, name=f"hidden_{i}")
                              for i, h in enumerate(self.hidden_sizes)]
        self.output_layer = MaskedDense(self.input_dim, name="output")
        self.direct_layer = (MaskedDense(self.input_dim, use_bias=False, name="direct")
                             if self.direct else None)
        self.build((None, self.input_dim))
        self._sequential_fn = None
        self._log_prob_fn = None
        self.set_mask(0)

    # ------------------------------------------------------------------ masks
    def _build_mask_set(self, k: int):
        degrees = mk.make_degrees(self.input_dim, self.hidden_sizes, self.ordering_spec,
                                  self.hidden_degrees, seed=_derived_seed(self.seed, k))
        return degrees, mk.make_masks(degrees), mk.direct_mask(degrees[0])

    def build(self, input_shape):
        fan_in = self.input_dim
        for layer in self.hidden_layers:
            layer.build((None, fan_in))
            fan_in = layer.units
        self.output_layer.build((None, fan_in))
        if self.direct_layer is not None:
            self.direct_layer.build((None, self.input_dim))
        self.mask_index = self.add_weight(name="mask_index", shape=(), dtype="int32",
                                          initializer="zeros", trainable=False)
        self.order = self.add_weight(name="order", shape=(self.input_dim,), dtype="int32",
                                     initializer="zeros", trainable=False)
        self.built = True

    def set_mask(self, k: int) -> None:
        """Use mask ``k`` (0..num_masks-1): assigns every layer's mask variable."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"mask index must be an integer, got {k!r}")
        if not 0 <= k < self.num_masks:
            raise ValueError(f"mask index {k} out of range: this model has num_masks={self.num_masks} "
                             f"(valid: 0..{self.num_masks - 1})")
        degrees, masks, direct = self._mask_sets[k]
        for layer, m in zip([*self.hidden_layers, self.output_layer], masks):
            layer.set_mask(m)
        if self.direct_layer is not None:
            self.direct_layer.set_mask(direct)
        self.mask_index.assign(int(k))
        self.order.assign(mk.ordering_from_degrees(degrees[0]).astype(np.int32))

    def next_mask(self) -> int:
        """Move to the next mask (cycling) and return its index."""
        k = (self.current_mask + 1) % self.num_masks
        self.set_mask(k)
        return k

    @property
    def current_mask(self) -> int:
        return int(self.mask_index.numpy())

    @property
    def degrees(self) -> list[np.ndarray]:
        """Degrees of the current mask: ``[input (D,), hidden_1, ...]``."""
        return self._mask_sets[self.current_mask][0]

    @property
    def masks(self) -> list[np.ndarray]:
        """Masks of the current mask set, ``(fan_in, fan_out)`` each (hidden..., output)."""
        return self._mask_sets[self.current_mask][1]

    @property
    def ordering(self) -> np.ndarray:
        """Generation order of the current mask, ``(D,)``: ``ordering[0]`` comes first."""
        return mk.ordering_from_degrees(self.degrees[0])

    def connectivity(self) -> np.ndarray:
        """``(D, D)`` bool for the current mask: ``[i, j]`` iff output j may see input i."""
        _, masks, direct = self._mask_sets[self.current_mask]
        return mk.connectivity(masks, direct if self.direct else None)

    # ---------------------------------------------------------------- forward
    def _check_inputs(self, x):
        shape = x.shape
        if shape.rank is not None and shape.rank != 2:
            raise ValueError(f"MADE expects inputs of shape (batch, {self.input_dim}), "
                             f"got rank {shape.rank} with shape {tuple(shape)}")
        if shape.rank == 2 and shape[-1] is not None and shape[-1] != self.input_dim:
            raise ValueError(f"MADE expects inputs of width D={self.input_dim}, got shape {tuple(shape)}")

    def call(self, x):
        """Logits ``(batch, D)`` for inputs ``(batch, D)`` under the current mask."""
        x = tf.convert_to_tensor(x)
        self._check_inputs(x)
        x = tf.cast(x, self.compute_dtype)
        h = x
        for layer in self.hidden_layers:
            h = layer(h)
        logits = self.output_layer(h)
        if self.direct_layer is not None:
            logits = logits + self.direct_layer(x)
        return logits

    def compute_output_shape(self, input_shape):
        return input_shape

    # --------------------------------------------------------- likelihood
    def _as_batch(self, x, name: str = "x", binary: bool = True) -> np.ndarray:
        arr = np.asarray(x, dtype=np.float32)
        if arr.ndim != 2:
            raise ValueError(f"{name} must have shape (batch, {self.input_dim}), got shape {arr.shape}")
        if arr.shape[1] != self.input_dim:
            raise ValueError(f"{name} must have width D={self.input_dim}, got shape {arr.shape}")
        if binary:
            check_binary(arr, name)
        return arr

    def _log_prob_current(self, x):
        return -bernoulli_nll(x, self(x))

    def log_prob(self, x, num_masks: int | None = None, batch_size: int = 10_000) -> np.ndarray:
        """``log p(x)`` in nats, ``(batch,)``, for binary ``x`` ``(batch, D)``.

        ``num_masks=None`` uses the current mask. ``num_masks=K`` gives the
        mixture over masks ``0..K-1``: ``logsumexp_k log p_k(x) - log K``
        (an average of *probabilities*, never of logits).
        """
        x = self._as_batch(x)
        if self._log_prob_fn is None:
            self._log_prob_fn = tf.function(self._log_prob_current, reduce_retracing=True)

        def current() -> np.ndarray:
            return np.concatenate([self._log_prob_fn(tf.constant(x[i:i + batch_size])).numpy()
                                   for i in range(0, max(len(x), 1), batch_size)])[:len(x)]

        if num_masks is None:
            return current()
        if isinstance(num_masks, bool) or not isinstance(num_masks, (int, np.integer)) \
                or not 1 <= num_masks <= self.num_masks:
            raise ValueError(f"num_masks must be an integer in 1..{self.num_masks}, got {num_masks!r}")
        keep = self.current_mask
        try:
            per_mask = []
            for k in range(num_masks):
                self.set_mask(k)
                per_mask.append(current())
        finally:
            self.set_mask(keep)
        per_mask = np.stack(per_mask).astype(np.float64)         # (K, batch)
        top = per_mask.max(axis=0)
        return (top + np.log(np.exp(per_mask - top).sum(axis=0)) - math.log(num_masks)).astype(np.float32)

    # ------------------------------------------------------------ sampling
    def _sequential(self, x, observed, seed):
        """D passes in the current order; unobserved entries are drawn one at a time.

        ``x``, ``observed``: ``(n, D)`` float32; ``seed``: ``(2,)`` int32.

        Each pass computes only what the next variable needs, with the same
        masked weights as :meth:`call`: the first hidden layer's pre-activation
        is updated by a rank-1 term when one input changes (instead of a new
        ``(n, D) @ (D, H)`` product), and only the one output logit is formed.
        """
        n = tf.shape(x)[0]
        uniforms = tf.random.stateless_uniform(tf.stack([self.input_dim, n]), seed=seed)
        first, rest = self.hidden_layers[0], self.hidden_layers[1:]
        w_first = first.kernel * first.mask                               # (D, H1)
        pre_first = tf.matmul(x, w_first)                                 # (n, H1)
        if first.bias is not None:
            pre_first = pre_first + first.bias
        w_out = self.output_layer.kernel * self.output_layer.mask         # (H_L, D)
        w_direct = (self.direct_layer.kernel * self.direct_layer.mask
                    if self.direct_layer is not None else None)           # (D, D)
        for i in tf.range(self.input_dim):
            idx = self.order[i]
            h = first.activation(pre_first)
            for layer in rest:
                h = layer(h)
            logit = tf.linalg.matvec(h, tf.gather(w_out, idx, axis=1))      # (n,)
            if self.output_layer.bias is not None:
                logit = logit + tf.gather(self.output_layer.bias, idx)
            if w_direct is not None:
                logit = logit + tf.linalg.matvec(x, tf.gather(w_direct, idx, axis=1))
            drawn = tf.cast(uniforms[i] < tf.sigmoid(logit), x.dtype)
            kept = tf.gather(x, idx, axis=1)
            value = tf.where(tf.gather(observed, idx, axis=1) > 0, kept, drawn)
            pre_first = pre_first + (value - kept)[:, None] * tf.gather(w_first, idx)[None, :]
            onehot = tf.one_hot(idx, self.input_dim, dtype=x.dtype)
            x = x * (1.0 - onehot) + value[:, None] * onehot
        return x

    def _run_sequential(self, x: np.ndarray, observed: np.ndarray, seed: int | None) -> np.ndarray:
        if self._sequential_fn is None:
            self._sequential_fn = tf.function(
                self._sequential,
                input_signature=[tf.TensorSpec([None, self.input_dim], tf.float32),
                                 tf.TensorSpec([None, self.input_dim], tf.float32),
                                 tf.TensorSpec([2], tf.int32)])
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        seed_t = tf.constant([int(seed) % (2**31 - 1), 0], dtype=tf.int32)
        return self._sequential_fn(tf.constant(x), tf.constant(observed), seed_t).numpy()

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Draw ``n`` samples ``(n, D)`` float32 0/1 with D sequential passes (current mask)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        zeros = np.zeros((int(n), self.input_dim), dtype=np.float32)
        return self._run_sequential(zeros, zeros, seed)

    def complete(self, x, observed, seed: int | None = None) -> np.ndarray:
        """Fill the unobserved entries of ``x`` ``(batch, D)`` by sampling given the observed ones.

        ``observed``: bool ``(D,)`` or ``(batch, D)``. Every observed input must
        come before every unobserved one in the current ordering, otherwise the
        conditional is not available from one pass and ``ValueError`` is raised.
        """
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        x = self._as_batch(x[None] if single else x, "x", binary=True)
        obs = np.asarray(observed, dtype=bool)
        if obs.shape not in ((self.input_dim,), x.shape):
            raise ValueError(f"observed must have shape ({self.input_dim},) or {x.shape}, got {obs.shape}")
        obs = np.broadcast_to(obs, x.shape)
        position = self.degrees[0] - 1                               # (D,) place in the order
        for row, o in enumerate(obs):
            if o.all() or not o.any():
                continue
            last_observed = position[o].max()
            first_missing = position[~o].min()
            if last_observed > first_missing:
                i_obs = int(np.flatnonzero(o & (position == last_observed))[0])
                i_mis = int(np.flatnonzero(~o & (position == first_missing))[0])
                raise ValueError(
                    f"row {row}: observed input {i_obs} comes after unobserved input {i_mis} in the "
                    f"current ordering, so p(unobserved | observed) is not available from one pass; "
                    f"observe a prefix of the ordering (model.ordering) or use another ordering/mask")
        out = self._run_sequential(x, obs.astype(np.float32), seed)
        return out[0] if single else out

    # -------------------------------------------------------- serialization
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_dim": self.input_dim,
            "hidden_sizes": list(self.hidden_sizes),
            "num_masks": self.num_masks,
            "ordering": self.ordering_spec,
            "hidden_degrees": self.hidden_degrees,
            "direct": self.direct,
            "activation": self.activation_name,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def sharpen_weights(model: MADE, scale: float = 2.0, seed: int = 0) -> MADE:
    """Redraw every kernel ``N(0, scale^2 / fan_in)`` and bias ``N(0, (scale/2)^2)``; returns ``model``.

    A freshly initialised MADE is close to uniform; sharper random weights give
    a peaked distribution, which tests and exercise checks need to have power.
    """
    rng = np.random.default_rng(seed)
    layers = [*model.hidden_layers, model.output_layer]
    if model.direct_layer is not None:
        layers.append(model.direct_layer)
    for layer in layers:
        fan_in, units = layer.kernel.shape
        layer.kernel.assign(rng.normal(0, scale / np.sqrt(fan_in), (fan_in, units)).astype("float32"))
        if layer.bias is not None:
            layer.bias.assign(rng.normal(0, 0.5 * scale, units).astype("float32"))
    return model
