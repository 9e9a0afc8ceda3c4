"""Negative log-likelihoods, one value per example ``(batch,)`` in nats, and the familiar losses they equal.

Bernoulli: ``sum_d softplus(l_d) - x_d l_d`` = binary cross-entropy from logits (finite for any logit).
Gaussian: ``sum_d (x_d - mu_d)^2 / (2 s^2) + 1/2 log(2 pi s^2)``, with ``s^2 = 1`` half the squared error + const.
L2 penalties, two conventions under one parameter name ``weight_decay``: :func:`l2_kernel_penalty` (``made train``)
and :func:`half_l2_penalty` (``fit_density``, the MAF authors').
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ..checks import FLOAT32_MAX
from ..errors import UserInputError

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def bernoulli_nll_terms(x, logits):
    """``-log p(x_d | logit_d)`` ``(batch, D)`` of 0/1 ``x`` under Bernoullis with ``p = sigmoid(logits)``:
    ``softplus(l) - x l``, the one form of the Bernoulli log-likelihood in the package."""
    x = ops.cast(x, logits.dtype if hasattr(logits, "dtype") else "float32")
    return ops.softplus(logits) - x * logits


def bernoulli_nll(x, logits):
    """``-log p(x)`` ``(batch,)`` of 0/1 ``x`` ``(batch, D)`` under Bernoullis with ``p = sigmoid(logits)``."""
    return ops.sum(bernoulli_nll_terms(x, logits), axis=-1)


def naive_bernoulli_nll(x, logits):
    """The *unstable* textbook ``-sum x log s + (1-x) log(1-s)``, for teaching: ``inf``/``nan`` at large logits."""
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        s = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float32)))
        return -np.sum(x * np.log(s) + (1 - x) * np.log(1 - s), axis=-1)


def gaussian_nll(x, mean, variance=1.0, log_variance=None):
    """``-log N(x; mean, variance)`` summed over the last axis, ``(batch,)`` nats.

    Give a fixed ``variance`` (broadcastable to ``x``) or a learned ``log_variance``.
    """
    x = ops.cast(x, "float32")
    mean = ops.cast(mean, "float32")
    if log_variance is not None:
        log_var = ops.cast(log_variance, "float32") + ops.zeros_like(x)
    else:
        var = np.asarray(variance)
        if var.dtype == bool or var.dtype.kind not in "iuf" or not np.all(np.isfinite(var) & (var > 0)) or \
                np.any(var > FLOAT32_MAX):
            raise UserInputError(f"variance must be positive finite numbers within float32's range, got {variance!r}")
        var = var.astype(np.float32)
        log_var = ops.log(ops.convert_to_tensor(var)) + ops.zeros_like(x)
    return -ops.sum(normal_log_pdf(x, mean, 0.5 * log_var), axis=-1)


def normal_log_pdf(x, mean, log_scale):
    """``log N(x; mean, exp(log_scale)^2)`` elementwise (nats): the one Gaussian log-density of the package."""
    z = (x - mean) * ops.exp(-log_scale)
    return -0.5 * ops.square(z) - log_scale - HALF_LOG_2PI


@keras.saving.register_keras_serializable(package="made_helpers")
class BernoulliNLL(keras.losses.Loss):
    """Keras loss: mean over the batch of :func:`bernoulli_nll`, ``y_pred`` are logits."""

    def __init__(self, name: str = "bernoulli_nll", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return bernoulli_nll(y_true, y_pred)


L2_KERNEL_CONVENTION = "weight_decay * sum of squared kernel weights, biases excluded (this project's MADE L2 term)"
HALF_L2_CONVENTION = "0.5 * weight_decay * sum of squared trainable weights (the MAF authors' L2 term)"


def l2_kernel_penalty(weight_decay, kernels):
    """``weight_decay * sum ||W||^2`` over ``kernels`` (a MADE's hidden, output and direct weight matrices; biases
    excluded): the L2 term of :meth:`MADE.compute_loss` and ``made train --weight-decay``, a float32 scalar.

    This project's convention, not the MADE authors': their code (mgermain/MADE, ``MADE/made.py`` and
    ``trainMADE.py``) minimises the mean NLL with no L2 term at all. Its gradient is ``2 * weight_decay * W``, twice
    that of :func:`half_l2_penalty` with the same ``weight_decay``.
    """
    return weight_decay * tf.add_n([tf.reduce_sum(tf.square(w)) for w in kernels])


def half_l2_penalty(weight_decay, variables):
    """``weight_decay / 2 * sum w^2`` over ``variables`` (every trainable variable: kernels, biases, batch-norm
    scales and shifts), a float32 scalar: the L2 term of ``fit_density`` and ``scripts/maf_mnist.py``.

    The MAF authors' convention (gpapamak/maf: ``ml/loss_functions.py`` ``WeightDecay`` is
    ``(wdecay / 2.0) * sum([tt.sum(w**2) for w in ws])``, which ``experiments.py`` adds to the training loss over
    ``model.parms``, all parameters, with ``weight_decay_rate = 1.0e-6``); its gradient is ``weight_decay * w``.
    """
    return 0.5 * weight_decay * tf.add_n([tf.reduce_sum(tf.square(v)) for v in variables])
