"""Training :class:`~made_helpers.MADE` the Keras way: :func:`train` compiles the model and fits it with the
package's fitting core (:func:`made_helpers.fitting.fit`: minibatches, early stopping on the validation NLL, divergence,
``checkpoint.npz`` for an exact resume), adding what is a MADE's own: the optimizer, mask resampling, the learning-rate
schedule, the validation NLL over masks and ``history.json`` in a run folder.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from .. import fitting
from ..checks import (
    check_finite_weights,
    check_int,
    check_nonnegative_float,
    check_positive_float,
    check_real_batch,
    check_seed,
    nonfinite_weights,
)
from ..errors import UserInputError
from ..fitting import TrainingDivergedError, weight_decay_cause
from .evaluate import evaluate_nll
from .losses import L2_KERNEL_CONVENTION, l2_kernel_penalty
from .model import ENSEMBLES
from .schedules import LR_FACTOR_DEFAULT, LR_PATIENCE_DEFAULT, LearningRateSchedule

CHECKPOINT_FILE, HISTORY_FILE = "checkpoint.npz", "history.json"   # the trainer's files in its checkpoint_dir
__all__ = ["CHECKPOINT_FILE", "DEFAULT_LEARNING_RATES", "HISTORY_FILE", "TrainingDivergedError", "check_learning_rate",
           "make_optimizer", "read_checkpoint_state", "train"]

DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adagrad": 1e-2, "adagrad-paper": 1e-2}


# --------------------------------------------------------------------------- arguments and data
def check_learning_rate(learning_rate, name: str = "learning_rate") -> float:
    """``learning_rate`` as a float if it is positive and a normal float32 (the optimizer's precision)."""
    lr = check_positive_float(name, learning_rate, float32=False)        # the float32 range: below, with advice
    low, high = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)
    if not low <= lr <= high:
        with np.errstate(over="ignore", under="ignore"):
            as_float32 = float(np.float32(lr))
        raise UserInputError(f"{name} {lr:g} is {as_float32:g} in float32, the optimizer's precision: "
                         f"give a value in {low:.3g}..{high:.3g} (typical: 1e-4 to 1e-2)")
    return lr


def make_optimizer(name: str = "adam", learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """``"adam"``, ``"adagrad"`` or ``"adagrad-paper"`` (the MADE authors' AdaGrad: no initial accumulator,
    eps 1e-6) with ``learning_rate`` (default 1e-3 / 1e-2 / 1e-2)."""
    if name not in DEFAULT_LEARNING_RATES:
        raise UserInputError(f"optimizer must be one of {tuple(DEFAULT_LEARNING_RATES)}, got {name!r}")
    lr = check_learning_rate(DEFAULT_LEARNING_RATES[name] if learning_rate is None else learning_rate)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "adagrad-paper":
        return keras.optimizers.Adagrad(learning_rate=lr, initial_accumulator_value=0.0, epsilon=1e-6)
    return keras.optimizers.Adagrad(learning_rate=lr)


def _fingerprint(x: np.ndarray) -> str:
    return hashlib.sha256(np.packbits(x.astype(np.uint8), axis=1).tobytes()).hexdigest()[:16]


NONFINITE_BEFORE_TRAINING = ("it held them before training began, so training cannot repair it: build a new model "
                             "(or load a sound one)")

_NOT_RESUMABLE = ("so the run cannot be resumed: start it again (CLI: the same `made train` command with "
                  "--overwrite, which replaces the run) or choose another folder")


def read_checkpoint_state(path: str | os.PathLike) -> dict:
    """The ``state`` record of a run folder's checkpoint (settings, history ...); one-line ``ValueError`` if
    unreadable."""
    return fitting.read_checkpoint_state(path, _NOT_RESUMABLE)


def _dropout_states(model) -> list:
    """Variables outside ``model.weights`` that a resumed run needs: the dropout layers' seed states."""
    return [layer.seed_generator.state for layer in getattr(model, "dropout_layers", [])]


def _weight_decay_cause(model, weight_decay: float) -> str | None:
    """:func:`weight_decay_cause` of a MADE's L2 term against a uniform model's ``D log 2`` nats."""
    kernels = [layer.kernel.numpy() for layer in model.masked_layers]
    return weight_decay and weight_decay_cause(float(l2_kernel_penalty(weight_decay, kernels)),
                                               model.input_dim * math.log(2.0), "weight_decay * sum W^2",
                                               "a uniform model")


# --------------------------------------------------------------------------- the run
def train(model, x_train, x_valid, epochs: int = 100, batch_size: int = 100, optimizer: str = "adam",
          learning_rate: float | None = None, patience: int = 30, resample_masks: bool = True,
          valid_masks: int | None = None, checkpoint_dir: str | os.PathLike | None = None,
          resume: bool = False, seed: int = 0, verbose: int = 1,
          on_epoch_end: Callable[[int, dict], None] | None = None, data: dict | None = None,
          jit_compile: bool = True, valid_batch_size: int = 10_000, weight_decay: float = 0.0,
          lr_schedule: str = "constant", lr_milestones=(), lr_factor: float = LR_FACTOR_DEFAULT,
          lr_patience: int = LR_PATIENCE_DEFAULT,
          cosine_epochs: int | None = None, in_graph_masks: bool = True,
          valid_ensemble: str = "mixture", max_seconds: float | None = None) -> dict:
    """Train ``model`` on binary ``x_train`` ``(N, D)`` with early stopping on ``x_valid`` ``(M, D)``: ``model.fit``
    through :func:`made_helpers.fitting.fit`.

    ``weight_decay``: the L2 term ``weight_decay * sum ||W||^2`` over the kernels, biases excluded
    (:func:`~made_helpers.core.losses.l2_kernel_penalty`; ``fit_density``'s ``weight_decay`` is half that per weight).
    ``resample_masks``, ``in_graph_masks``, ``jit_compile``: :meth:`MADE.compile`;
    ``valid_masks`` (``None``: all), ``valid_ensemble``: :meth:`MADE.log_prob`; ``checkpoint_dir``: folder of
    ``checkpoint.npz`` and ``history.json`` (``resume`` continues its run); ``verbose``: 0, 1 (progress bar)
    or 2 (a line per epoch); ``lr_*``, ``cosine_epochs`` (default ``epochs``): :class:`LearningRateSchedule`;
    ``max_seconds``: stop after the epoch that ends past it (those before a resume count).
    Returns the history dict (:func:`made_helpers.fitting.new_history`: per-epoch ``train_nll``, ``valid_nll``, ...
    ``best_epoch``, ``stop_reason``; and ``valid_masks``, ``data``, ``weight_decay_convention``).
    """
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    check_seed("seed", seed, type_error=ValueError)
    if verbose not in (0, 1, 2):
        raise UserInputError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if valid_ensemble not in ENSEMBLES:
        raise UserInputError(f"valid_ensemble must be one of {ENSEMBLES}, got {valid_ensemble!r}")
    if max_seconds is not None:
        max_seconds = check_nonnegative_float("max_seconds", max_seconds, allow_inf=True)
    x_train = check_real_batch(x_train, model.input_dim, "x_train", binary=True)
    x_valid = check_real_batch(x_valid, model.input_dim, "x_valid", binary=True)
    check_finite_weights(model, "train", fix=NONFINITE_BEFORE_TRAINING)     # else 'lower the learning rate'
    k_valid = model.num_masks if valid_masks is None else valid_masks
    k_valid = check_int("valid_masks", k_valid, 1, model.num_masks, type_error=ValueError)
    if valid_ensemble == "conditionals":      # refused now, not after a whole epoch
        model.check_shared_ordering(int(k_valid), what=f"valid_ensemble='conditionals' over {k_valid} masks")
    opt = make_optimizer(optimizer, learning_rate)
    model.compile(opt, weight_decay=weight_decay, resample_masks=resample_masks, mask_seed=seed,
                  in_graph_masks=in_graph_masks, jit_compile=jit_compile)
    opt.build(model.trainable_variables)
    schedule = LearningRateSchedule(lr_schedule, float(opt.learning_rate.numpy()), lr_milestones, lr_factor,
                                    lr_patience, epochs if cosine_epochs is None else cosine_epochs)
    settings = {"model": model.get_config(), "n_train": len(x_train), "n_valid": len(x_valid),
                "train_fingerprint": _fingerprint(x_train), "valid_fingerprint": _fingerprint(x_valid),
                "batch_size": batch_size, "optimizer": optimizer, "learning_rate": schedule.lr, "patience": patience,
                "resample_masks": model.train_masks, "valid_masks": int(k_valid), "seed": int(seed),
                "weight_decay": float(weight_decay), "valid_ensemble": valid_ensemble, **schedule.settings()}
    settings["model"].pop("name", None)
    history = fitting.new_history(epochs, settings, valid_masks=int(k_valid), data=data,
                                  weight_decay_convention=L2_KERNEL_CONVENTION)
    start_mask = model.current_mask
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)

    def valid_nll() -> float:                  # a mixture over masks, image by image: not Keras' validation_data
        if nonfinite_weights(model):                           # a diverged model: StopOnDivergence says so
            return math.nan
        with np.errstate(over="ignore", invalid="ignore"):
            return evaluate_nll(model, x_valid, num_masks=int(k_valid), batch_size=valid_batch_size,
                                ensemble=valid_ensemble)[0]

    def advice(m) -> str:
        ckpt = None if folder is None else folder / CHECKPOINT_FILE
        kept = (f"the last good checkpoint {ckpt} (after epoch {history['epochs_run']}) is kept"
                if ckpt is not None and ckpt.exists() else "no checkpoint was written")
        m.set_mask(start_mask)
        cause = _weight_decay_cause(m, weight_decay)
        fix = (f"Lower the weight decay (now {weight_decay:g}): {cause}" if cause else
               f"Lower the learning rate (now {float(m.optimizer.learning_rate.numpy()):g})")
        return f"{kept}. {fix}, and start a new run."

    def check_resumed(saved: dict) -> None:
        if saved["epochs_run"] > epochs:
            raise UserInputError(f"epochs={epochs} (CLI: --epochs) is below the {saved['epochs_run']} epoch(s) the "
                                 f"run in {folder} has already run: resume it with at least {saved['epochs_run']} "
                                 f"(a run's epochs can only grow)")

    def epoch_line(h: dict) -> str:
        return (f"epoch {h['epochs_run']}/{h['max_epochs']}: train NLL {h['train_nll'][-1]:.3f}, valid NLL "
                f"{h['valid_nll'][-1]:.3f} nats (lr {h['learning_rate'][-1]:.3g}, {h['epoch_seconds'][-1]:.1f} s)"
                f"{'  *best*' if h['best_epoch'] == h['epochs_run'] else ''}")

    lr_callback = schedule.callback()
    plateau = lr_callback if isinstance(lr_callback, keras.callbacks.ReduceLROnPlateau) else None
    callbacks = [*filter(None, [lr_callback])]
    if model.train_masks and not model.in_graph_masks:          # the host-side twin of the in-graph switch
        callbacks.append(keras.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: model.set_mask(
            int(model.training_mask(model.optimizer.iterations)))))
    fitting.fit(model, x_train, history, valid_nll, batch_size=batch_size, patience=patience, seed=seed,
                advice=advice, train_nll_key="nll", before_validation=lambda: model.set_mask(start_mask),
                max_seconds=max_seconds, checkpoint=None if folder is None else folder / CHECKPOINT_FILE,
                history_file=None if folder is None else folder / HISTORY_FILE, resume=resume,
                exists_error=lambda ckpt: FileExistsError(f"{ckpt} exists: pass resume=True (CLI: --resume) to "
                                                          f"continue that run, or choose another checkpoint folder"),
                fix=_NOT_RESUMABLE, settings_fix=" (resume with the run's settings, or choose another --out)",
                check_resumed=check_resumed, state_variables=_dropout_states(model), callbacks=callbacks,
                counters={"plateau": plateau}, on_epoch_end=on_epoch_end,
                epoch_line=epoch_line if verbose == 2 else None, verbose=bool(verbose), progress_bar=verbose == 1)
    if verbose:
        reason = {"patience": f"no improvement for {patience} epochs", "max_epochs": "reached the maximum epochs",
                  "time": f"the time budget of {max_seconds:g} s ran out" if max_seconds is not None else ""}
        print(f"stopped after epoch {history['epochs_run']} ({reason.get(history['stop_reason'], 'done')}); "
              f"restored the best epoch {history['best_epoch']}: valid NLL {history['best_valid_nll']:.3f} nats",
              flush=True)
    return history
