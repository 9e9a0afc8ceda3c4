"""``fit_density``: Keras ``fit`` (Adam) on the mean NLL of a real-valued density, early stopping (notebook 07).

Any model with ``log_prob_tensor(x) -> (batch,)``; a flow's batch norm uses the batch's statistics in training steps
and, the MAF authors' way (gpapamak/maf, ``ml/trainers.py``, ``set_batch_norm_stats``), the mean and variance of its
inputs over the whole training set in every validation and after training (:func:`set_training_statistics`), so early
stopping chooses the epoch under the statistics the test uses.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import fitting
from ..checks import check_bool, check_finite_weights, check_int, check_nonnegative_float, check_real_batch, check_seed
from ..core.density_base import log_prob_chunks
from ..core.losses import HALF_L2_CONVENTION, half_l2_penalty
from ..core.train import NONFINITE_BEFORE_TRAINING, check_learning_rate
from ..errors import UserInputError
from ..fitting import weight_decay_cause


def _check_model(model) -> int:
    """``model.input_dim`` of a real-valued density (a ``log_prob_tensor`` method), else a one-line error."""
    if not (hasattr(model, "log_prob_tensor") and isinstance(getattr(model, "input_dim", None), int)
            and hasattr(model, "trainable_variables")):
        hint = "; train a binary MADE with made_helpers.core.train.train" if type(model).__name__ == "MADE" else ""
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
    plus :func:`~made_helpers.core.losses.half_l2_penalty` of the density's trainable weights (the MAF authors')."""

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
            loss += half_l2_penalty(self.weight_decay, self.density.trainable_variables)
        return loss


def xla_problem(trainer: keras.Model, x: np.ndarray) -> str | None:
    """Why XLA cannot compile a training step (loss and gradients) of ``trainer`` on rows ``x`` ``(batch, D)``, or
    None if it can; traced and lowered only, nothing runs (no weight or statistic changes)."""
    @tf.function(jit_compile=True)
    def step(xb):
        with tf.GradientTape() as tape:
            loss = trainer.compute_loss(y_pred=trainer(xb, training=True))
        return tape.gradient(loss, trainer.trainable_variables)

    try:
        step.experimental_get_compiler_ir(tf.constant(x))(stage="hlo")
    except (tf.errors.OpError, ValueError, TypeError, NotImplementedError) as e:      # cannot trace or lower
        return f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]}"
    return None


def compile_trainer(trainer: keras.Model, learning_rate: float, jit_compile: bool, x: np.ndarray,
                    verbose: bool = True) -> bool:
    """``trainer.compile`` with Adam, with XLA if ``jit_compile`` and :func:`xla_problem` finds none (else a one-line
    notice); builds the optimizer. Returns whether XLA is used."""
    problem = xla_problem(trainer, x) if jit_compile else None
    if problem and verbose:
        print(f"fit_density: XLA cannot compile this model's training step, training without it ({problem})")
    use_xla = jit_compile and problem is None
    trainer.compile(keras.optimizers.Adam(learning_rate), jit_compile=use_xla)
    trainer.optimizer.build(trainer.trainable_variables)
    return use_xla


def data_fingerprint(x: np.ndarray) -> str:
    """A short SHA-256 of float32 ``x`` ``(N, D)``: a resumed run must see the data its checkpoint saw."""
    return hashlib.sha256(np.ascontiguousarray(x, np.float32).tobytes()).hexdigest()[:16]


def fit_density(model, x_train, x_valid, epochs: int = 20, batch_size: int = 100, learning_rate: float = 1e-3,
                patience: int = 5, seed: int = 0, max_seconds: float | None = None, verbose: bool = True,
                weight_decay: float = 0.0, checkpoint: str | os.PathLike | None = None, resume: bool = False,
                jit_compile: bool = True) -> dict:
    """Train ``model`` on ``x_train`` ``(N, D)`` with Adam on ``-mean log p(x) + weight_decay / 2 * sum w**2`` (the
    MAF authors' L2 term over every trainable weight, :func:`~made_helpers.core.losses.half_l2_penalty`; ``train``'s
    ``weight_decay`` doubles it on the kernels only); stop after ``patience`` epochs without a better NLL of
    ``x_valid`` ``(M, D)``, ``epochs`` or ``max_seconds``, and keep the best epoch's weights
    (:func:`made_helpers.fitting.fit`). Batch norm: before every validation and at the end,
    :func:`set_training_statistics` from all of ``x_train``. A NaN/inf NLL raises ``TrainingDivergedError`` (its
    ``history``: the finished epochs).

    ``checkpoint``: a ``.npz`` file written after every epoch; ``resume=True`` continues the run in it exactly (the
    same weights and curves as a run never interrupted; ``max_seconds`` counts the seconds it had spent), and an
    existing one is refused without ``resume``. ``jit_compile``: the training step with XLA where the model allows it
    (:func:`compile_trainer`; else without, and a one-line notice).
    Returns the history of :func:`made_helpers.fitting.new_history` (``train_nll`` with the L2 term, ``valid_nll``,
    ``best_epoch`` (1-based), ``best_valid_nll``, ``seconds``, ``stop_reason``: patience|max_epochs|time, ...) with
    ``xla`` and ``weight_decay_convention``."""
    D = _check_model(model)
    x_train, x_valid = check_real_batch(x_train, D, "x_train"), check_real_batch(x_valid, D, "x_valid")
    check_finite_weights(model, "fit_density", fix=NONFINITE_BEFORE_TRAINING)   # else 'lower the learning rate'
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    learning_rate = check_learning_rate(learning_rate)
    weight_decay = check_nonnegative_float("weight_decay", weight_decay)
    if max_seconds is not None:
        max_seconds = check_nonnegative_float("max_seconds", max_seconds, allow_inf=True)
    if not isinstance(verbose, (bool, int, np.integer)) or verbose not in (0, 1):
        raise UserInputError(f"verbose must be True or False, got {verbose!r}")
    seed = check_seed("seed", seed, type_error=ValueError)
    resume, jit_compile = check_bool("resume", resume), check_bool("jit_compile", jit_compile)
    min_rows = _min_batch_rows(model, batch_size, len(x_train))
    trainer = DensityNLL(model, weight_decay)
    xla = compile_trainer(trainer, learning_rate, jit_compile, x_train[:min(batch_size, len(x_train))], verbose)
    config = {k: v for k, v in model.get_config().items() if k != "name"}
    settings = {"model": config, "model_class": type(model).__name__, "n_train": len(x_train),
                "n_valid": len(x_valid), "train_fingerprint": data_fingerprint(x_train),
                "valid_fingerprint": data_fingerprint(x_valid), "batch_size": batch_size,
                "learning_rate": learning_rate, "patience": patience, "seed": seed, "weight_decay": weight_decay}
    history = fitting.new_history(epochs, settings, xla=xla, weight_decay_convention=HALF_L2_CONVENTION)

    def valid_nll() -> float:
        return float(-log_prob_chunks(model, x_valid, 1000).mean())

    def advice(m) -> str:           # the model holds the last good weights: its NLL bounds a sane L2 term
        nll = valid_nll()
        cause = weight_decay and weight_decay_cause(
            float(half_l2_penalty(weight_decay, [w.numpy() for w in model.trainable_variables])),
            max(abs(nll), D) if np.isfinite(nll) else D, "weight_decay / 2 * sum w^2", "the validation NLL (or D)")
        fix = (f"Lower the weight decay (now {weight_decay:g}): {cause}" if cause else
               f"Lower the learning rate (now {learning_rate:g})")
        return f"{fix}, and start a new run."

    def epoch_line(h: dict) -> str:
        return (f"epoch {h['epochs_run']:3d}  train NLL {h['train_nll'][-1]:9.3f}  valid NLL {h['valid_nll'][-1]:9.3f}"
                f"  ({h['seconds']:5.1f} s)")

    again = "resume with the run's settings, or start it again (maf_mnist.py: --overwrite)"
    return fitting.fit(
        trainer, x_train, history, valid_nll, batch_size=batch_size, patience=patience, seed=seed, advice=advice,
        min_rows=min_rows, before_validation=lambda: set_training_statistics(model, x_train), max_seconds=max_seconds,
        checkpoint=None if checkpoint is None else Path(checkpoint), resume=resume,
        exists_error=lambda path: UserInputError(f"checkpoint {path} exists: pass resume=True (maf_mnist.py: "
                                                 f"--resume) to continue that run, or remove it to start again"),
        fix=again, settings_fix=f"; {again}", epoch_line=epoch_line if verbose else None, verbose=verbose)
