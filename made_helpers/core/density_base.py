"""What the density models share: compiled functions kept on the model and ``log p(x)`` in compiled chunks;
:class:`DensityModel` (every model; MADE has its own ``log_prob``): the checked ``log_prob``, overflow refused;
:class:`MaskedModel` (MADE and GaussianMADE): masked layers, the sequential fill loop compiled once for sampling
and completion, completion inputs."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ..checks import (
    FLOAT32_MAX,
    check_finite_weights,
    check_int,
    check_nonnegative_float,
    check_real_batch,
    draw_seed,
)
from ..errors import UserInputError
from . import masks as mk
from .evaluate import in_chunks
from .layers import MaskedDense, check_activation


def eager_input(x, input_dim: int, name: str = "x"):
    """``x`` as a float32 tensor, checked with :func:`check_real_batch` when called eagerly (not when traced)."""
    if tf.executing_eagerly() and not isinstance(x, keras.KerasTensor):
        x = check_real_batch(x, input_dim, name)
    return tf.convert_to_tensor(x, tf.float32)


def refuse_nonfinite(model, bad, task: str, rows_of: str, given: np.ndarray | None = None) -> None:
    """A one-line ``ValueError`` naming NaN/inf weights (:func:`check_finite_weights`, checked first: a ReLU turns a
    NaN layer into zeros) or the rows set in ``bad`` (``(batch,)`` or ``(batch, D)``)."""
    check_finite_weights(model, task)
    refuse_rows(bad, task, rows_of, given)


def refuse_rows(bad, task: str, rows_of: str, given: np.ndarray | None = None) -> None:
    """A one-line ``ValueError`` naming the rows set in ``bad`` (``(batch,)`` or ``(batch, D)``), if any."""
    bad = np.asarray(bad)
    rows = np.flatnonzero(bad if bad.ndim == 1 else bad.any(axis=1))
    if rows.size == 0:
        return
    listed = ("rows " if rows.size > 1 else "row ") + ", ".join(str(r) for r in rows[:5]) \
        + (", ..." if rows.size > 5 else "")
    largest = f"; largest |value| in them {float(np.abs(given[rows]).max()):.3g}" if given is not None else ""
    raise ValueError(f"{task} overflowed float32 (|value| > {FLOAT32_MAX:.3g}) for {rows.size} of {len(bad)} "
                     f"{rows_of} ({listed}){largest}: they are too far out for this model")


def compiled(model, method: str, **options):
    """``tf.function(model.<method>, **options)``, built on first use and kept on ``model`` under its own attribute
    ``_compiled_<method>`` (``options`` of the first use); ``model``: any object with that method."""
    attr = f"_compiled_{method.lstrip('_')}"
    fn = getattr(model, attr, None)
    if fn is None:
        fn = tf.function(getattr(model, method), **options)
        setattr(model, attr, fn)
    return fn


def in_compiled_chunks(model, method: str, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.<method>`` compiled, over the rows of checked ``x`` ``(N, D)``, ``batch_size`` at a time: float64."""
    return in_chunks(compiled(model, method, reduce_retracing=True), x, batch_size).astype(np.float64)


def log_prob_chunks(model, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.log_prob_tensor`` of checked ``x`` ``(batch, D)`` in compiled chunks: ``(batch,)`` float64, unchecked."""
    return in_compiled_chunks(model, "log_prob_tensor", x, batch_size)


class DensityModel:
    """Mixin (before the Keras base) of the density models: ``input_dim`` and ``log_prob_tensor(x)`` ``(batch,)``."""

    def log_prob(self, x, batch_size: int = 10_000) -> np.ndarray:
        """``log p(x)`` in nats, ``(batch,)`` float64, for finite real ``x`` ``(batch, D)``; ``-inf`` is returned,
        NaN or ``+inf`` refused (evaluation mode)."""
        x = check_real_batch(x, self.input_dim)
        batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
        out = log_prob_chunks(self, x, batch_size)
        refuse_nonfinite(self, np.isnan(out) | (out == np.inf), "log_prob", "rows of x", x)
        return out


class SavedMaskCheck(keras.layers.Layer):
    """A weightless layer that runs ``check()`` as Keras loads it, after the masked layers (names sort so)."""

    def __init__(self, check, **kwargs):
        super().__init__(**kwargs)
        self._check = check               # a bound method: not tracked by Keras
        self.built = True

    def call(self, x):
        return x

    def load_own_variables(self, store):
        self._check()


class MaskedModel(DensityModel, keras.Model):
    """What :class:`MADE` and :class:`gaussian_made.GaussianMADE` share: checked arguments, masked layers
    (``hidden_layers``, optional ``dropout_layers``, ``output_layer``, ``direct_layer``), forward pass, config,
    sampling and completion. A subclass sets the masks, adds :meth:`own_config`, defines ``check_saved_masks`` and
    the fill loop: ``_fill(x, observed, *noise)`` with :meth:`fill_noise` and :meth:`noise_signature`."""

    BINARY = False
    """True for 0/1 data (completion refuses other values)."""

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], ordering: mk.Ordering = "natural",
                 hidden_degrees: str = "random", activation="relu", seed: int | None = None, *,
                 output_units: int | None = None, direct: bool = False, dropout: float = 0.0,
                 kernel_initializer="glorot_uniform", output_initializer=None, output_bias_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        self.input_dim = mk.check_input_dim(input_dim)
        self.hidden_sizes = mk.check_hidden_sizes(hidden_sizes)
        self.ordering_spec = mk.check_ordering(ordering, self.input_dim)
        self.hidden_degrees = mk.check_hidden_degrees(hidden_degrees)
        self.activation_name = check_activation(activation)
        self.seed = draw_seed(seed)
        if check_nonnegative_float("dropout", dropout) >= 1:
            raise UserInputError(f"dropout must be a number in [0, 1), got {dropout!r}")
        # sub-layers share the model's dtype policy (e.g. "mixed_bfloat16": bf16 matmuls, float32 weights)
        dense = {"kernel_initializer": kernel_initializer, "dtype": self.dtype_policy}
        self.hidden_layers = [MaskedDense(h, activation=self.activation_name, name=f"hidden_{i}", **dense)
                              for i, h in enumerate(self.hidden_sizes)]
        self.dropout_layers = [keras.layers.Dropout(dropout, name=f"dropout_{i}", dtype=self.dtype_policy)
                               for i in range(len(self.hidden_sizes))] if dropout > 0 else []
        self.output_layer = MaskedDense(output_units or self.input_dim, name="output",
                                        bias_initializer=output_bias_initializer,
                                        **{**dense, "kernel_initializer": output_initializer or kernel_initializer})
        self.direct_layer = MaskedDense(self.input_dim, use_bias=False, name="direct", **dense) if direct else None
        # the last layer: Keras loads it after the masks, and it refuses masks the config does not rebuild
        self.saved_mask_check = SavedMaskCheck(self.check_saved_masks, name="saved_mask_check")

    @property
    def masked_layers(self) -> list:
        """Every :class:`MaskedDense` of the model: hidden layers, output, then direct (if any)."""
        return [*self.hidden_layers, self.output_layer, *([self.direct_layer] if self.direct_layer else [])]

    def build(self, input_shape):
        fan_in = self.input_dim
        for layer in [*self.hidden_layers, self.output_layer]:
            layer.build((None, fan_in))
            fan_in = layer.units
        if self.direct_layer is not None:
            self.direct_layer.build((None, self.input_dim))
        self.built = True

    def call(self, x, training=None):
        """Outputs ``(batch, output_units)`` for inputs ``(batch, D)`` under the current masks."""
        x = tf.convert_to_tensor(x)
        rank, expects = x.shape.rank, f"{type(self).__name__} expects inputs of"
        if rank is not None and rank != 2:
            raise ValueError(f"{expects} shape (batch, {self.input_dim}), got rank {rank} with shape {tuple(x.shape)}")
        if rank == 2 and x.shape[-1] not in (None, self.input_dim):
            raise ValueError(f"{expects} width D={self.input_dim}, got shape {tuple(x.shape)}")
        x = h = tf.cast(x, self.compute_dtype)
        for i, layer in enumerate(self.hidden_layers):
            h = layer(h)
            if self.dropout_layers:
                h = self.dropout_layers[i](h, training=training)
        out = self.output_layer(h)
        return out if self.direct_layer is None else out + self.direct_layer(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_layer.units)

    # ------------------------------------------------------------ sampling and completion
    def check_observed(self, observed, x_shape: tuple | None = None) -> np.ndarray:
        """``observed`` (bools, or numbers each exactly 0 or 1) as bool ``(D,)`` or ``(batch, D)``, else ``ValueError``.

        With ``x_shape`` (the batch being completed) a 2-D set must have exactly that shape.
        """
        obs = np.asarray(observed)
        numeric = np.issubdtype(obs.dtype, np.number)
        if obs.dtype != bool and not (numeric and np.all((obs == 0) | (obs == 1))):
            got = "other values" if numeric else f"dtype {obs.dtype}"
            raise ValueError(f"observed must be a boolean (or 0/1) array: True where the value is given, got {got}")
        obs = obs.astype(bool, copy=False)
        D = self.input_dim
        wide = f"{tuple(x_shape)}" if x_shape is not None else f"(batch, {D})"
        if obs.ndim not in (1, 2) or obs.shape[-1] != D or (
                obs.ndim == 2 and x_shape is not None and obs.shape != tuple(x_shape)):
            raise ValueError(f"observed must have shape ({D},) or {wide}, got {obs.shape}")
        return obs

    def completion_batch(self, x, observed) -> tuple[np.ndarray, np.ndarray, bool]:
        """``(x (batch, D) float32, observed bool (D,) or (batch, D), single)`` checked (``single``: ``x`` was one
        row ``(D,)``, now ``(1, D)``)."""
        try:
            single = np.ndim(x) == 1
        except ValueError:                       # ragged rows: check_real_batch names them
            single = False
        x = check_real_batch([x] if single else x, self.input_dim, binary=self.BINARY)
        return x, self.check_observed(observed, x.shape), single

    def completion_inputs(self, x, observed) -> tuple[np.ndarray, np.ndarray, bool]:
        """:meth:`completion_batch` with ``observed`` broadcast to ``(batch, D)``; ``ValueError`` unless it is a prefix
        of the ordering in every row."""
        x, obs, single = self.completion_batch(x, observed)
        obs = np.broadcast_to(obs, x.shape)
        for row, o in enumerate(obs):
            if not mk.is_prefix_of_ordering(o, self.ordering):
                position = self.degrees[0] - 1                           # (D,) place in the order
                i_obs = int(np.flatnonzero(o & (position == position[o].max()))[0])
                i_mis = int(np.flatnonzero(~o & (position == position[~o].min()))[0])
                raise ValueError(
                    f"observed row {row} is not a prefix of the model's ordering: observed input {i_obs} comes after "
                    f"unobserved input {i_mis}, so p(unobserved | observed) is not available from one pass; observe a "
                    f"prefix of the ordering (model.ordering) or use another ordering/mask")
        return x, obs, single

    def run_fill(self, x, observed, *noise) -> np.ndarray:
        """The fill loop ``_fill`` (compiled once, for any batch size) on arrays: ``(n, D)`` float32."""
        rows = tf.TensorSpec([None, self.input_dim], tf.float32)
        signature = [rows, rows, *self.noise_signature()]
        fn = compiled(self, "_fill", input_signature=signature)
        return fn(*(tf.constant(np.asarray(a, spec.dtype.as_numpy_dtype))
                    for a, spec in zip((x, observed, *noise), signature))).numpy()

    def fill(self, x: np.ndarray, observed: np.ndarray, seed: int | None, task: str = "complete",
             rows_of: str = "rows of x", given: np.ndarray | None = None) -> np.ndarray:
        """``x`` ``(n, D)`` float32 with the entries where ``observed`` ``(n, D)`` is 0 drawn in D sequential passes
        under the masks in force; NaN/inf weights or output rows are refused naming ``task``."""
        check_finite_weights(self, task)
        out = self.run_fill(x, observed, *self.fill_noise(len(x), seed))
        refuse_rows(~np.isfinite(out), task, rows_of, given)
        return out

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples ``(n, D)`` float32 drawn in D sequential passes; ``seed``: ``0..SEED_MAX`` or ``None``."""
        n = check_int("n", n, low=1, type_error=ValueError)
        zeros = np.zeros((n, self.input_dim), np.float32)
        return self.fill(zeros, zeros, seed, "sample", "samples")

    def complete(self, x, observed, seed: int | None = None) -> np.ndarray:
        """Sample the entries of ``x`` ``(batch, D)`` or ``(D,)`` not ``observed`` (bool ``(D,)`` or ``(batch, D)``, a
        prefix of the ordering, else ``ValueError``)."""
        x, obs, single = self.completion_inputs(x, observed)
        out = self.fill(x, obs.astype(np.float32), seed, "complete", "rows of x", x)
        return out[0] if single else out

    # ------------------------------------------------------------ masks and config
    def differing_masks(self) -> list[tuple]:
        """``(layer, saved, expected)`` for every masked layer whose mask is not ``expected_masks()``'s."""
        pairs = [(layer, layer.mask.numpy(), m) for layer, m in zip(self.masked_layers, self.expected_masks())]
        return [(layer, saved, m) for layer, saved, m in pairs if not np.array_equal(saved, m)]

    def own_config(self) -> dict:
        """The config entries of the subclass's own arguments."""
        return {}

    def get_config(self):
        base = {key: value for key, value in super().get_config().items() if key in ("name", "trainable", "dtype")}
        return {**base, "input_dim": self.input_dim, "hidden_sizes": list(self.hidden_sizes),
                "ordering": self.ordering_spec, "hidden_degrees": self.hidden_degrees,
                "activation": self.activation_name, "seed": self.seed, **self.own_config()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
