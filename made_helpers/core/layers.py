"""``MaskedDense``: a dense layer whose weights are multiplied by a 0/1 mask."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ..checks import check_int
from ..errors import UserInputError

ELEMENTWISE_ACTIVATIONS = (
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish", "sigmoid",
    "hard_sigmoid", "hard_silu", "hard_swish", "log_sigmoid", "tanh", "hard_tanh", "tanh_shrink", "softplus",
    "softsign", "squareplus", "sparse_plus", "sparse_sigmoid", "soft_shrink", "hard_shrink", "exponential",
    "linear")
"""Keras activations that act on each unit alone: the only ones a masked layer may use (a mixing one
would let a hidden unit see inputs its mask cuts)."""
MIXING_ACTIVATIONS = ("softmax", "log_softmax", "sparsemax", "glu")


def check_activation(activation, param: str = "activation") -> str:
    """The name of ``activation`` (a name, or Keras's own function) if it is an element-wise Keras activation, else
    ``ValueError`` naming ``param``. Another function is refused even if its ``__name__`` is an accepted name: the
    model stores and saves the name, so it would compute with Keras's function instead."""
    accepted = [name for name in ELEMENTWISE_ACTIVATIONS if hasattr(keras.activations, name)]
    name = activation
    if callable(activation) and not isinstance(activation, str):
        known = [n for n in (*accepted, *MIXING_ACTIVATIONS) if hasattr(keras.activations, n)]
        name = next((n for n in known if getattr(keras.activations, n) is activation), None)
        if name is None:
            own = getattr(activation, "__name__", type(activation).__name__)
            raise UserInputError(f"{param} {own!r} is a function that is not one of keras.activations: a model "
                                 f"stores its activation by name, so pass a name (e.g. 'relu') or the Keras function "
                                 f"itself; accepted (element-wise): {', '.join(accepted)}")
    if not isinstance(name, str) or name not in accepted:
        why = ("mixes the units of a layer, which breaks the autoregressive property" if name in MIXING_ACTIVATIONS
               else "is not a Keras activation, or not an element-wise one")
        raise UserInputError(f"{param} {name!r} {why}; accepted (element-wise): {', '.join(accepted)}")
    return name


@keras.saving.register_keras_serializable(package="made_helpers")
class MaskedDense(keras.layers.Layer):
    """``y = activation(x @ (W * M) + b)``, ``(batch, fan_in)`` to ``(batch, units)``; the 0/1 mask ``M`` is a
    non-trainable variable ``(fan_in, units)``: :meth:`set_mask` needs no retracing, and it is saved."""

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, low=1, type_error=ValueError)
        self.activation = keras.activations.get(None if activation is None else check_activation(activation))
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(fan_in, self.units),
                                      initializer=self.kernel_initializer, trainable=True)
        self.bias = (self.add_weight(name="bias", shape=(self.units,),
                                     initializer=self.bias_initializer, trainable=True)
                     if self.use_bias else None)
        self.mask = self.add_weight(name="mask", shape=(fan_in, self.units),
                                    initializer="ones", trainable=False)

    def set_mask(self, mask: np.ndarray) -> None:
        """Assign a new 0/1 mask of shape ``(fan_in, units)``."""
        mask = np.asarray(mask, dtype="float32")
        if tuple(mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"{self.name}: mask shape {mask.shape} != expected {tuple(self.mask.shape)}")
        self.mask.assign(mask)

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel * self.mask)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y) if self.activation is not None else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}
