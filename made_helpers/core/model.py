"""The MADE model: masked dense layers, K masks, exact log-likelihood, sampling."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import (
    check_finite_weights,
    check_int,
    check_nonnegative_float,
    check_real_batch,
    check_seed,
    stateless_seed,
)
from ..errors import SavedMasksMismatch, UserInputError
from . import masks as mk
from .density_base import MaskedModel, compiled, in_compiled_chunks
from .losses import bernoulli_nll, bernoulli_nll_terms, l2_kernel_penalty

ENSEMBLES = ("mixture", "conditionals")
MASK_CACHE_SIZE = 256
"""Mask sets (degrees only) a model keeps; others are rebuilt from the seed when needed."""


@keras.saving.register_keras_serializable(package="made_helpers")
class MADE(MaskedModel):
    """Masked Autoencoder for Distribution Estimation (Germain et al., 2015).

    ``model(x)`` maps binary inputs ``(batch, D)`` to logits ``(batch, D)``; ``sigmoid(logit_j)`` is
    ``p(x_j = 1 | inputs before j)`` in the current mask's ordering. ``num_masks``: K masks, mask ``k``
    rebuilt from ``seed`` (``None``: drawn, kept in the config) and ``k``; ``ordering``: ``"natural"``,
    ``"reversed"``, ``"random"`` or a permutation of ``0..D-1``; ``hidden_degrees``: ``"random"`` or
    ``"equal"``; ``direct``: the direct input->output connection; ``mask_kind``: :func:`masks.check_mask_kind`;
    ``activation``: element-wise (:func:`layers.check_activation`); ``dropout``: on hidden outputs in training.
    """

    BINARY = True

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], num_masks: int = 1,
                 ordering: mk.Ordering = "natural", hidden_degrees: str = "random",
                 direct: bool = True, activation="relu", seed: int | None = None, dropout: float = 0.0,
                 kernel_initializer="glorot_uniform", mask_kind: str | None = None, **kwargs):
        init = kernel_initializer if isinstance(kernel_initializer, str) else \
            keras.initializers.serialize(keras.initializers.get(kernel_initializer))
        super().__init__(input_dim, hidden_sizes, ordering, hidden_degrees, activation, seed, direct=bool(direct),
                         dropout=dropout, kernel_initializer=init, **kwargs)
        self.kernel_initializer = init
        self.num_masks = check_int("num_masks", num_masks, low=1, type_error=ValueError)
        self.direct = bool(direct)
        self.dropout = float(dropout)
        self.mask_kind = mk.check_mask_kind(mask_kind, self.ordering_spec)
        self._mask_cache: OrderedDict[int, mk.MaskSet] = OrderedDict()
        self.build((None, self.input_dim))
        self._degree_tables = None
        self.set_mask(0)

    # ------------------------------------------------------------------ masks
    def mask_set(self, k: int) -> mk.MaskSet:
        """Degrees of mask ``k`` (:func:`masks.make_mask_set`); the last :data:`MASK_CACHE_SIZE` are cached."""
        if k in self._mask_cache:
            self._mask_cache.move_to_end(k)
            return self._mask_cache[k]
        ms = mk.make_mask_set(self.input_dim, self.hidden_sizes, self.ordering_spec,
                              self.hidden_degrees, self.seed, k, self.mask_kind)
        self._mask_cache[k] = ms
        if len(self._mask_cache) > MASK_CACHE_SIZE:
            self._mask_cache.popitem(last=False)
        return ms

    def build(self, input_shape):
        super().build(input_shape)
        self.mask_index = self.add_weight(name="mask_index", shape=(), dtype="int32",
                                          initializer="zeros", trainable=False)
        self.order = self.add_weight(name="order", shape=(self.input_dim,), dtype="int32",
                                     initializer="zeros", trainable=False)

    def set_mask(self, k: int) -> None:
        """Use mask ``k`` (0..num_masks-1): assigns every layer's mask variable."""
        k = check_int("mask index", k)
        if not 0 <= k < self.num_masks:
            raise ValueError(f"mask index {k} out of range: this model has num_masks={self.num_masks} "
                             f"(valid: 0..{self.num_masks - 1})")
        self.assign_mask_set(self.mask_set(int(k)))
        self.mask_index.assign(int(k))

    def assign_mask_set(self, mask_set: mk.MaskSet) -> None:
        """Compute with ``mask_set``'s masks and ordering (``mask_index`` is left as it is). The masks are built
        from the degrees by TensorFlow (as :meth:`select_mask` does), with no numpy copy of a 0/1 matrix."""
        widths = [len(d) for d in mask_set.degrees]
        if widths != [self.input_dim, *self.hidden_sizes]:
            raise ValueError(f"mask set of layer widths {widths} does not fit this model "
                             f"({[self.input_dim, *self.hidden_sizes]})")
        degrees = [tf.constant(np.asarray(d, dtype=np.int32)) for d in mask_set.degrees]
        for layer, allowed in zip(self.masked_layers, mk.connection_tables(degrees, self.direct)):
            layer.mask.assign(tf.cast(allowed, layer.mask.dtype))
        self.order.assign(mask_set.ordering.astype(np.int32))

    def mask_state(self) -> tuple:
        """The masks in force now (layer masks as tensor snapshots, order, mask index; also one of
        :meth:`assign_mask_set`): reading them copies nothing, and a later assignment leaves the snapshot as it is."""
        return [tf.identity(layer.mask) for layer in self.masked_layers], self.order.numpy(), self.current_mask

    def restore_mask_state(self, state: tuple) -> None:
        """Put back the masks of :meth:`mask_state`."""
        masks, order, k = state
        for layer, m in zip(self.masked_layers, masks):
            layer.mask.assign(m)
        self.order.assign(order)
        self.mask_index.assign(k)

    def expected_masks(self) -> list[np.ndarray]:
        """The masks of mask :attr:`current_mask` rebuilt from the config, in the order of :attr:`masked_layers`."""
        return mk.make_masks(self.degrees, self.direct)

    def mask_differences(self) -> list[str]:
        """What differs from mask :attr:`current_mask` rebuilt from the config, e.g. ``["order"]``; empty if none."""
        out = [f"{layer.name} mask ({int(np.count_nonzero(saved != m))} of {m.size} entries)"
               for layer, saved, m in self.differing_masks()]
        return out + ([] if np.array_equal(self.order.numpy(), self.ordering) else ["order"])

    def check_saved_masks(self) -> None:
        """A one-line ``ValueError`` unless the mask variables are those the config rebuilds (run as Keras loads
        a model: an edited ``config.json`` would give another NLL on the same weights)."""
        differ = self.mask_differences()
        if differ:
            order = self.ordering_spec if isinstance(self.ordering_spec, str) else "a permutation"
            raise SavedMasksMismatch(f"the trained masks in the file are not those its config (ordering={order!r}, "
                             f"seed={self.seed}, hidden_degrees={self.hidden_degrees!r}, "
                             f"mask_kind={self.mask_kind!r}, mask {self.current_mask}) rebuilds: "
                             f"{', '.join(differ)} differ; config.json was edited or the weights come from "
                             f"another model")

    def check_shared_ordering(self, num_masks: int, what: str = "ensemble='conditionals'") -> None:
        """``UserInputError`` unless masks ``0..num_masks-1`` all use one ordering (needed by ``what``)."""
        k = mk.first_other_ordering(self.mask_set(k).ordering for k in range(num_masks))
        if k is not None:
            raise UserInputError(f"{what} needs masks that share one ordering, but masks 0 and {k} order "
                                 f"the inputs differently (averaging their conditionals is not a "
                                 f"distribution); use ensemble='mixture'")

    def next_mask(self) -> int:
        """Move to the next mask (cycling through the K masks) and return its index."""
        k = (self.current_mask + 1) % self.num_masks
        self.set_mask(k)
        return k

    @property
    def current_mask(self) -> int:
        return int(self.mask_index.numpy())

    @property
    def degrees(self) -> list[np.ndarray]:
        """Degrees of the current mask: ``[input (D,), hidden_1, ...]``."""
        return self.mask_set(self.current_mask).degrees

    @property
    def masks(self) -> list[np.ndarray]:
        """Masks of the current mask set, ``(fan_in, fan_out)`` each (hidden..., output)."""
        return self.mask_set(self.current_mask).masks

    @property
    def ordering(self) -> np.ndarray:
        """Generation order of the current mask, ``(D,)``: ``ordering[0]`` comes first."""
        return mk.ordering_from_degrees(self.degrees[0])

    def connectivity(self) -> np.ndarray:
        """``(D, D)`` bool for the current mask: ``[i, j]`` iff output j may see input i."""
        ms = self.mask_set(self.current_mask)
        return mk.connectivity(ms.masks, ms.direct_mask if self.direct else None)

    # --------------------------------------------------------- likelihood
    def logits(self, x) -> np.ndarray:
        """Logits ``(batch, D)`` float32 of ``x`` ``(batch, D)`` under the current masks: ``model(x)`` from a
        compiled pass (traced once per model; a mask switch needs no retracing)."""
        forward = compiled(self, "call", reduce_retracing=True)
        return tf.cast(forward(tf.constant(np.asarray(x, dtype=np.float32))), tf.float32).numpy()

    def _log_conditionals_current(self, x):
        """``(batch, D)``: ``log p(x_d | x_<d)`` of each observed value under the current mask."""
        return -bernoulli_nll_terms(x, tf.cast(self(x), tf.float32))

    def log_prob(self, x, num_masks: int | None = None, batch_size: int = 10_000,
                 ensemble: str = "mixture") -> np.ndarray:
        """``log p(x)`` in nats, ``(batch,)``, for binary ``x`` ``(batch, D)``, under the current mask
        (``num_masks=None``, as everywhere in the package) or masks ``0..num_masks-1``: ``"mixture"``,
        ``1/K sum_k p_k(x)``, or ``"conditionals"``, ``prod_d 1/K sum_k p_k(x_d | x_<d)`` (masks sharing one ordering
        only)."""
        x = check_real_batch(x, self.input_dim, binary=True)
        batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
        check_finite_weights(self, "log_prob")
        if ensemble not in ENSEMBLES:
            raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {ensemble!r}")

        def conditionals():                     # (N, D) float64 under the current mask
            return in_compiled_chunks(self, "_log_conditionals_current", x, batch_size)

        if num_masks is None:
            return conditionals().sum(axis=1).astype(np.float32)
        num_masks = check_int("num_masks", num_masks, 1, self.num_masks, type_error=ValueError)
        if ensemble == "conditionals":
            self.check_shared_ordering(num_masks)
        keep = self.mask_state()                # also a mask set put on by conditioning.using_mask_set
        # running log-sum-exp over masks: per image (mixture) or per image and pixel (conditionals)
        acc = np.full((len(x),) if ensemble == "mixture" else x.shape, -np.inf)
        try:
            for k in range(num_masks):
                self.set_mask(k)
                c = conditionals()
                acc = np.logaddexp(acc, c.sum(axis=1) if ensemble == "mixture" else c)
        finally:
            self.restore_mask_state(keep)
        acc -= math.log(num_masks)
        return (acc if ensemble == "mixture" else acc.sum(axis=1)).astype(np.float32)

    # ------------------------------------------------------- in-graph masks
    def degree_tables(self) -> list[tf.Tensor]:
        """Degrees of every mask stacked for in-graph selection: ``[(K, D), (K, H1), ...]`` int32."""
        if self._degree_tables is None:
            tables = [np.empty((self.num_masks, width), np.int32)          # filled mask by mask: no second copy
                      for width in (self.input_dim, *self.hidden_sizes)]
            for k in range(self.num_masks):
                for table, d in zip(tables, mk.make_mask_set(self.input_dim, self.hidden_sizes, self.ordering_spec,
                                                             self.hidden_degrees, self.seed, k,
                                                             self.mask_kind).degrees):
                    table[k] = d
            with tf.init_scope():        # eager constants, also when first called inside a tf.function
                self._degree_tables = [tf.constant(table) for table in tables]
        return self._degree_tables

    def select_mask(self, k) -> None:
        """:meth:`set_mask` for an int32 scalar tensor ``k``, inside a compiled function too."""
        degrees = [tf.gather(table, k) for table in self.degree_tables()]
        for layer, allowed in zip(self.masked_layers, mk.connection_tables(degrees, self.direct)):
            layer.mask.assign(tf.cast(allowed, layer.mask.dtype))
        self.mask_index.assign(tf.cast(k, tf.int32))
        self.order.assign(tf.cast(tf.argsort(degrees[0], stable=True), tf.int32))

    # ------------------------------------------------------------ training: compile / fit
    def compile(self, optimizer="adam", *, weight_decay: float = 0.0, resample_masks: bool = True,
                mask_seed: int = 0, in_graph_masks: bool = True, jit_compile: bool = True, **kwargs) -> None:
        """Keras' ``compile`` with the loss (:meth:`compute_loss`) and the metric ``nll`` built in.

        ``resample_masks``: each minibatch under mask :meth:`training_mask`, switched in the step or, with
        ``in_graph_masks=False``, by a host callback. No XLA with dropout (10x slower random numbers on CPU).
        """
        weight_decay = check_nonnegative_float("weight_decay", weight_decay)
        with np.errstate(over="ignore"):          # a decay beyond float32 is inf: the run diverges and says why
            self.weight_decay = np.float32(weight_decay)
        self.mask_seed = check_seed("mask_seed", mask_seed, type_error=ValueError)
        self.train_masks = bool(resample_masks) and self.num_masks > 1
        self.in_graph_masks = bool(in_graph_masks)
        nll = keras.metrics.MeanMetricWrapper(lambda x, logits: bernoulli_nll(x, tf.cast(logits, tf.float32)),
                                              name="nll")
        super().compile(optimizer=optimizer, metrics=[nll], jit_compile=bool(jit_compile) and not self.dropout,
                        **kwargs)

    def training_mask(self, step) -> tf.Tensor:
        """The mask of training step ``step`` (int32 scalar): a stateless draw from ``(mask_seed, step)``."""
        seed = tf.random.experimental.stateless_fold_in(tf.constant(stateless_seed(self.mask_seed), tf.int32),
                                                        tf.cast(step, tf.int64))
        return tf.random.stateless_uniform([], seed, minval=0, maxval=self.num_masks, dtype=tf.int32)

    def train_step(self, data):
        """Keras' step on a minibatch ``(x, x)``, ``x (batch, D)``, after switching to its mask."""
        if self.train_masks and self.in_graph_masks:
            self.select_mask(self.training_mask(self.optimizer.iterations))
        return super().train_step(data)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Mean Bernoulli NLL of ``x`` (nats per image, float32) plus :func:`l2_kernel_penalty` of the kernels."""
        nll = tf.reduce_mean(bernoulli_nll(x, tf.cast(y_pred, tf.float32)))
        kernels = [layer.kernel for layer in self.masked_layers]
        return nll + l2_kernel_penalty(self.weight_decay, kernels) if self.weight_decay else nll

    # ------------------------------------------------------------ sampling
    def noise_signature(self) -> list[tf.TensorSpec]:
        return [tf.TensorSpec([2], tf.int32)]

    def fill_noise(self, n: int, seed: int | None) -> tuple:
        """The stateless seed ``(2,)`` of the uniforms that :meth:`_fill` draws."""
        return (stateless_seed(seed),)

    def _fill(self, x, observed, seed):
        """D passes in the current order drawing the unobserved (``observed == 0``) entries of ``x`` ``(n, D)``
        one at a time; each pass updates the first hidden pre-activation by a rank-1 term."""
        n = tf.shape(x)[0]
        uniforms = tf.random.stateless_uniform(tf.stack([self.input_dim, n]), seed=seed)
        first, rest = self.hidden_layers[0], self.hidden_layers[1:]
        w_first = first.kernel * first.mask                               # (D, H1)
        pre_first = tf.matmul(x, w_first) + first.bias                    # (n, H1)
        w_out = self.output_layer.kernel * self.output_layer.mask         # (H_L, D)
        w_direct = (self.direct_layer.kernel * self.direct_layer.mask
                    if self.direct_layer is not None else None)           # (D, D)
        for i in tf.range(self.input_dim):
            idx = self.order[i]
            h = first.activation(pre_first)
            for layer in rest:
                h = tf.cast(layer(h), x.dtype)           # float32 also under a mixed-precision policy
            logit = tf.linalg.matvec(h, tf.gather(w_out, idx, axis=1)) + tf.gather(self.output_layer.bias, idx)
            if w_direct is not None:
                logit = logit + tf.linalg.matvec(x, tf.gather(w_direct, idx, axis=1))
            drawn = tf.cast(uniforms[i] < tf.sigmoid(logit), x.dtype)
            kept = tf.gather(x, idx, axis=1)
            value = tf.where(tf.gather(observed, idx, axis=1) > 0, kept, drawn)
            pre_first = pre_first + (value - kept)[:, None] * tf.gather(w_first, idx)[None, :]
            onehot = tf.one_hot(idx, self.input_dim, dtype=x.dtype)
            x = x * (1.0 - onehot) + value[:, None] * onehot
        return x

    # -------------------------------------------------------- serialization
    def own_config(self) -> dict:
        return {"num_masks": self.num_masks, "direct": self.direct, "dropout": self.dropout,
                "kernel_initializer": self.kernel_initializer, "mask_kind": self.mask_kind}

