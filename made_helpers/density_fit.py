"""``fit_density``: Keras ``fit`` (Adam) on the mean NLL of a real-valued density, early stopping (notebook 07).

Any model with ``log_prob_tensor(x) -> (batch,)``; a flow's batch norm uses the batch's statistics in training steps
and, the MAF authors' way (gpapamak/maf, ``ml/trainers.py``, ``set_batch_norm_stats``), the mean and variance of its
inputs over the whole training set in every validation and after training (:func:`set_training_statistics`), so early
stopping chooses the epoch under the statistics the test uses.
"""

from __future__ import annotations

import inspect
import time

import keras
import numpy as np
import tensorflow as tf

from .checks import check_int, check_nonnegative_float, check_real_batch, check_seed
from .errors import UserInputError
from .gaussian_made import log_prob_chunks
from .train import StopOnDivergence, TrainingDivergedError, check_learning_rate, minibatches


def _check_model(model) -> int:
    """``model.input_dim`` of a real-valued density (a ``log_prob_tensor`` method), else a one-line error."""
    if not (hasattr(model, "log_prob_tensor") and isinstance(getattr(model, "input_dim", None), int)
            and hasattr(model, "trainable_variables")):
        hint = "; train a binary MADE with made_helpers.train.train" if type(model).__name__ == "MADE" else ""
        raise TypeError(f"model must be a real-valued density such as GaussianMADE or MAF (with log_prob_tensor "
                        f"and input_dim), got {type(model).__name__}{hint}")
    return model.input_dim


def _min_batch_rows(model, batch_size: int, n_train: int) -> int:
    """2 for a model with batch normalisation (one row has no variance), else 1; refuses too few rows."""
    if not getattr(model, "batch_norms", None):
        return 1
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 for a model with batch normalisation, got {batch_size}")
    if n_train < 2:
        raise ValueError(f"x_train needs at least 2 rows for a model with batch normalisation, got {n_train}")
    return 2


def set_training_statistics(model, x_train: np.ndarray) -> None:
    """Give every batch-norm layer of ``model`` the mean and variance of its inputs over all of ``x_train`` ``(N, D)``
    (the authors' evaluation statistics; a model without batch norm is left as it is)."""
    if getattr(model, "batch_norms", None):
        model.set_batch_norm_statistics(x_train)


class DensityNLL(keras.Model):
    """``density`` for ``compile``/``fit``: the output is ``log p(x)`` ``(batch,)``, the loss its negative mean
    plus ``weight_decay / 2 * sum w**2`` over the density's trainable weights (the MAF authors' L2 term)."""

    def __init__(self, density, weight_decay: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.density, self.weight_decay = density, float(weight_decay)
        try:                                # flows take ``training`` (for batch norm), a GaussianMADE does not
            self.takes_training = "training" in inspect.signature(density.log_prob_tensor).parameters
        except (TypeError, ValueError):
            self.takes_training = False

    def call(self, x, training=None):
        return self.density.log_prob_tensor(x, **({"training": training} if self.takes_training else {}))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = -tf.reduce_mean(y_pred)
        if self.weight_decay:
            loss += 0.5 * self.weight_decay * tf.add_n([tf.reduce_sum(tf.square(v))
                                                        for v in self.density.trainable_variables])
        return loss


def fit_density(model, x_train, x_valid, epochs: int = 20, batch_size: int = 100, learning_rate: float = 1e-3,
                patience: int = 5, seed: int = 0, max_seconds: float | None = None, verbose: bool = True,
                weight_decay: float = 0.0) -> dict:
    """Train ``model`` on ``x_train`` ``(N, D)`` with Adam on ``-mean log p(x) + weight_decay / 2 * sum w**2``; stop
    after ``patience`` epochs without a better NLL of ``x_valid`` ``(M, D)``, ``epochs`` or ``max_seconds``, and keep
    the best epoch's weights. Batch norm: before every validation and at the end, :func:`set_training_statistics`
    from all of ``x_train``. A NaN/inf NLL raises ``TrainingDivergedError`` (its ``history``: the finished epochs).
    Returns ``{train_nll, valid_nll, best_epoch (1-based), best_valid_nll, seconds, stopped: patience|epochs|time}``."""
    D = _check_model(model)
    x_train, x_valid = check_real_batch(x_train, D, "x_train"), check_real_batch(x_valid, D, "x_valid")
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    learning_rate = check_learning_rate(learning_rate)
    weight_decay = check_nonnegative_float("weight_decay", weight_decay)
    if max_seconds is not None:
        max_seconds = check_nonnegative_float("max_seconds", max_seconds, allow_inf=True)
    if not isinstance(verbose, (bool, int, np.integer)) or verbose not in (0, 1):
        raise ValueError(f"verbose must be True or False, got {verbose!r}")
    seed = check_seed("seed", seed, type_error=ValueError)
    batches, steps = minibatches(x_train, batch_size, seed, min_rows=_min_batch_rows(model, batch_size, len(x_train)))
    trainer = DensityNLL(model, weight_decay)
    trainer.compile(keras.optimizers.Adam(learning_rate), jit_compile=False)
    early_stopping = keras.callbacks.EarlyStopping("val_nll", patience=patience, mode="min", restore_best_weights=True)
    start, timed_out = time.perf_counter(), []

    def end_of_epoch(epoch, logs):
        try:                                              # before EarlyStopping keeps the epoch's weights
            set_training_statistics(model, x_train)
        except UserInputError:                            # a layer's outputs overflowed: StopOnDivergence says so
            logs["val_nll"] = float("nan")
            return
        logs["val_nll"] = float(-log_prob_chunks(model, x_valid, 1000).mean())
        if max_seconds is not None and time.perf_counter() - start > max_seconds:     # Keras has no time budget
            trainer.stop_training = True
            timed_out.append(epoch)

    curves = {"train_nll": [], "valid_nll": []}

    def report(epoch, logs):
        curves["train_nll"].append(float(logs["loss"]))
        curves["valid_nll"].append(float(logs["val_nll"]))
        if verbose:
            print(f"epoch {epoch + 1:3d}  train NLL {logs['loss']:9.3f}  valid NLL {logs['val_nll']:9.3f}  "
                  f"({time.perf_counter() - start:5.1f} s)")

    def history(stopped: str) -> dict:
        best = early_stopping.best_weights is not None
        return {**curves, "best_epoch": early_stopping.best_epoch + 1 if best else 0,
                "best_valid_nll": float(early_stopping.best) if best else float("nan"),
                "seconds": time.perf_counter() - start, "stopped": stopped}

    advice = f"Lower the learning rate (now {learning_rate:g}) and start a new run."
    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=end_of_epoch),
                 StopOnDivergence(early_stopping, lambda m: advice, steps), early_stopping,
                 keras.callbacks.LambdaCallback(on_epoch_end=report)]
    try:
        trainer.fit(batches, epochs=epochs, steps_per_epoch=steps, shuffle=False, callbacks=callbacks, verbose=0)
    except TrainingDivergedError as error:
        error.history = history("diverged")            # the epochs that finished, for a caller that keeps them
        set_training_statistics(model, x_train)        # the kept weights, with the statistics the test uses
        raise
    set_training_statistics(model, x_train)            # the restored best epoch's: what its validation used
    return history("patience" if early_stopping.stopped_epoch else "time" if timed_out else "epochs")
