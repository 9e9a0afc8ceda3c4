"""``fit_density``: minibatch Adam on the mean NLL of a real-valued density, early stopping (notebook 07).

Works for any model with ``log_prob_tensor(x) -> (batch,)`` (:class:`gaussian_made.GaussianMADE`,
:class:`flows.MAF`). Kept apart from :mod:`made_helpers.train`, which trains the binary MADE.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from .gaussian_made import check_real_batch
from .validation import check_int, check_positive_float, check_seed


def fit_density(model, x_train, x_valid, epochs: int = 20, batch_size: int = 100, learning_rate: float = 1e-3,
                patience: int = 5, seed: int = 0, max_seconds: float | None = None, verbose: bool = True) -> dict:
    """Train ``model`` on ``x_train`` ``(N, D)``; keep the weights of the best validation epoch.

    Each epoch shuffles the training rows (numpy ``seed``) and takes one compiled Adam step per
    minibatch on ``-mean log p(x)``. After each epoch the mean validation NLL (nats) is measured;
    training stops after ``patience`` epochs without improvement, after ``epochs`` epochs, or once
    ``max_seconds`` have passed, and the best epoch's weights are restored.

    Returns ``{"train_nll": [...], "valid_nll": [...], "best_epoch": int (1-based), "best_valid_nll":
    float, "seconds": float, "stopped": "patience" | "epochs" | "time"}``.
    """
    D = model.input_dim
    x_train, x_valid = check_real_batch(x_train, D, "x_train"), check_real_batch(x_valid, D, "x_valid")
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    rng = np.random.default_rng(check_seed("seed", seed, type_error=ValueError))
    optimizer = keras.optimizers.Adam(learning_rate)
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def step(xb):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(model.log_prob_tensor(xb))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    history = {"train_nll": [], "valid_nll": [], "best_epoch": 0, "best_valid_nll": float("inf")}
    best_weights, start, stopped = None, time.perf_counter(), "epochs"
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        losses = [float(step(tf.constant(x_train[order[i:i + batch_size]])))
                  for i in range(0, len(x_train), batch_size)]
        valid = float(-model.log_prob(x_valid, batch_size=1000).mean())
        history["train_nll"].append(float(np.mean(losses)))
        history["valid_nll"].append(valid)
        if valid < history["best_valid_nll"]:
            history["best_valid_nll"], history["best_epoch"] = valid, epoch
            best_weights = [v.numpy() for v in model.weights]
        if verbose:
            print(f"epoch {epoch:3d}  train NLL {np.mean(losses):9.3f}  valid NLL {valid:9.3f}  "
                  f"({time.perf_counter() - start:5.1f} s)")
        if epoch - history["best_epoch"] >= patience:
            stopped = "patience"
            break
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            stopped = "time"
            break
    if best_weights is not None:
        for v, w in zip(model.weights, best_weights):
            v.assign(w)
    history["seconds"], history["stopped"] = time.perf_counter() - start, stopped
    return history
