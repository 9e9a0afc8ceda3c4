"""``fit_density``: minibatch Adam on the mean NLL of a real-valued density, early stopping (notebook 07).

Works for any model with ``log_prob_tensor(x) -> (batch,)`` (:class:`gaussian_made.GaussianMADE`,
:class:`flows.MAF`, :class:`realnvp.RealNVP`). A model whose ``log_prob_tensor`` takes ``training`` (the
flows) gets ``training=True`` in the training steps, so that batch-norm layers use the batch's statistics;
the validation NLL is measured in evaluation mode. Kept apart from :mod:`made_helpers.train`, which
trains the binary MADE; a NaN or infinite loss stops both with :class:`train.TrainingDivergedError`,
keeping the best weights so far.
"""

from __future__ import annotations

import inspect
import math
import time

import keras
import numpy as np
import tensorflow as tf

from .checks import check_int, check_nonnegative_float, check_real_batch, check_seed
from .gaussian_made import log_prob_chunks
from .train import TrainingDivergedError, check_learning_rate


def _check_model(model) -> int:
    """``model.input_dim`` of a real-valued density (a ``log_prob_tensor`` method), else a one-line error."""
    if not (hasattr(model, "log_prob_tensor") and isinstance(getattr(model, "input_dim", None), int)
            and hasattr(model, "trainable_variables")):
        hint = "; train a binary MADE with made_helpers.train.train" if type(model).__name__ == "MADE" else ""
        raise TypeError(f"model must be a real-valued density such as GaussianMADE or MAF (with log_prob_tensor "
                        f"and input_dim), got {type(model).__name__}{hint}")
    return model.input_dim


def _training_kwargs(model) -> dict:
    """``{"training": True}`` if ``model.log_prob_tensor`` takes ``training`` (Keras' convention), else ``{}``."""
    try:
        takes = "training" in inspect.signature(model.log_prob_tensor).parameters
    except (TypeError, ValueError):
        takes = False
    return {"training": True} if takes else {}


def _min_batch_rows(model, batch_size: int, n_train: int) -> int:
    """2 for a model with batch normalisation (one row has no variance), else 1; refuses too few rows."""
    if not getattr(model, "batch_norms", None):
        return 1
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 for a model with batch normalisation, got {batch_size}")
    if n_train < 2:
        raise ValueError(f"x_train needs at least 2 rows for a model with batch normalisation, got {n_train}")
    return 2


def fit_density(model, x_train, x_valid, epochs: int = 20, batch_size: int = 100, learning_rate: float = 1e-3,
                patience: int = 5, seed: int = 0, max_seconds: float | None = None, verbose: bool = True) -> dict:
    """Train ``model`` on ``x_train`` ``(N, D)``; keep the weights of the best validation epoch.

    Each epoch shuffles the training rows (numpy ``seed``) and takes one compiled Adam step per
    minibatch on ``-mean log p(x)``. After each epoch the mean validation NLL (nats) of ``x_valid``
    ``(M, D)`` is measured; training stops after ``patience`` epochs without improvement, after
    ``epochs`` epochs, or once ``max_seconds`` (>= 0, ``None``: no limit) have passed, and the best
    epoch's weights are restored (batch-norm running statistics included). With batch normalisation a
    last minibatch of one row is left out of its epoch. A NaN or infinite training or validation NLL raises
    :class:`~made_helpers.train.TrainingDivergedError`; the model then holds the best weights so far
    (the initial ones if no epoch finished).

    Returns ``{"train_nll": [...], "valid_nll": [...], "best_epoch": int (1-based), "best_valid_nll":
    float, "seconds": float, "stopped": "patience" | "epochs" | "time"}``.
    """
    D = _check_model(model)
    x_train, x_valid = check_real_batch(x_train, D, "x_train"), check_real_batch(x_valid, D, "x_valid")
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    learning_rate = check_learning_rate(learning_rate)
    if max_seconds is not None:
        max_seconds = check_nonnegative_float("max_seconds", max_seconds, allow_inf=True)
    if not isinstance(verbose, (bool, int, np.integer)) or verbose not in (0, 1):
        raise ValueError(f"verbose must be True or False, got {verbose!r}")
    rng = np.random.default_rng(check_seed("seed", seed, type_error=ValueError))
    train_kwargs, min_rows = _training_kwargs(model), _min_batch_rows(model, batch_size, len(x_train))
    optimizer = keras.optimizers.Adam(learning_rate)
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def step(xb):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(model.log_prob_tensor(xb, **train_kwargs))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    history = {"train_nll": [], "valid_nll": [], "best_epoch": 0, "best_valid_nll": float("inf")}
    best_weights, start, stopped = [v.numpy() for v in model.weights], time.perf_counter(), "epochs"
    starts = range(0, len(x_train) - (min_rows - 1), batch_size)
    steps = len(starts)

    def diverged(value: float, epoch: int, where: str):
        for v, w in zip(model.weights, best_weights):
            v.assign(w)
        kept = (f"the model holds the weights of epoch {history['best_epoch']}, the best so far"
                if history["best_epoch"] else "the model holds its initial weights")
        raise TrainingDivergedError(f"training stopped: the {where} became {value} in epoch {epoch}; {kept}. "
                                    f"Lower the learning rate (now {learning_rate:g}) and start a new run.")

    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        losses = []
        for s, i in enumerate(starts, start=1):
            losses.append(float(step(tf.constant(x_train[order[i:i + batch_size]]))))
            if not math.isfinite(losses[-1]):
                diverged(losses[-1], epoch, f"training loss (step {s}/{steps})")
        valid = float(-log_prob_chunks(model, x_valid, 1000).mean())
        if not math.isfinite(valid):
            diverged(valid, epoch, "validation NLL")
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
    for v, w in zip(model.weights, best_weights):
        v.assign(w)
    history["seconds"], history["stopped"] = time.perf_counter() - start, stopped
    return history
