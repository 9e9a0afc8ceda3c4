"""``fit_density``: Keras ``fit`` (Adam) on the mean NLL of a real-valued density, early stopping (notebook 07).

Any model with ``log_prob_tensor(x) -> (batch,)``; a flow's batch norm uses the batch's statistics in training steps
and, the MAF authors' way (gpapamak/maf, ``ml/trainers.py``, ``set_batch_norm_stats``), the mean and variance of its
inputs over the whole training set in every validation and after training (:func:`set_training_statistics`), so early
stopping chooses the epoch under the statistics the test uses.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..atomic import atomic_write, remove_stale_temps
from ..checks import check_bool, check_finite_weights, check_int, check_nonnegative_float, check_real_batch, check_seed
from ..core.density_base import log_prob_chunks
from ..core.train import (
    NONFINITE_BEFORE_TRAINING,
    StopOnDivergence,
    TrainingDivergedError,
    check_learning_rate,
    minibatches,
    stored_arrays,
    weight_decay_cause,
)
from ..core.train import _settings_diff as settings_diff
from ..errors import UserInputError
from ..files import require_npz


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


CHECKPOINT_VERSION = 1


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


class DensityCheckpoint(keras.callbacks.Callback):
    """``path`` (``.npz``, written atomically after every epoch): the density's weights, Adam's variables (step count
    and moments), early stopping's counters and best weights, the curves, the epochs run, the seconds spent and the
    settings; the shuffling needs no state (epoch ``e``'s order is drawn from ``[seed, e]``, :func:`minibatches`)."""

    def __init__(self, path: Path | None, run: dict, early_stopping, stopped_by, clock):
        super().__init__()
        self.path, self.run, self.early_stopping = path, run, early_stopping
        self.stopped_by, self.clock = stopped_by, clock
        self.resumed: dict | None = None

    def on_train_begin(self, logs=None):
        if self.resumed is not None:                    # after EarlyStopping's own on_train_begin reset
            restore_early_stopping(self.early_stopping, self.resumed)

    def on_epoch_end(self, epoch, logs=None):
        self.run["epochs_run"] = epoch + 1
        self.run["stopped"] = self.stopped_by(epoch)
        if self.path is not None:
            save_checkpoint(self.path, self.model, {**self.run, "seconds": self.clock()}, self.early_stopping)


def save_checkpoint(path: Path, trainer: keras.Model, run: dict, early_stopping) -> None:
    """Write the checkpoint of :class:`DensityCheckpoint` (``run``: settings, curves, epochs_run, seconds ...)."""
    es = early_stopping
    counters = {"wait": int(es.wait), "stopped_epoch": int(es.stopped_epoch), "best_epoch": int(es.best_epoch),
                "best": None if es.best is None else float(es.best)}
    state = {"version": CHECKPOINT_VERSION, **run, "early_stopping": counters}
    arrays = {"state": np.array(json.dumps(state))}
    for prefix, values in (("model", trainer.get_weights()), ("opt", trainer.optimizer.variables),
                           ("best", es.best_weights or [])):
        arrays.update({f"{prefix}_{i}": np.asarray(v) for i, v in enumerate(values)})
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path: Path, trainer: keras.Model, settings: dict) -> dict:
    """Restore the weights and Adam's variables of the run in checkpoint ``path`` into ``trainer``; its state, with
    ``best_weights``. A damaged checkpoint or other settings are one ``UserInputError`` naming ``path``."""
    again = "resume with the run's settings, or start it again (maf_mnist.py: --overwrite)"
    require_npz(path, f"{path}: the checkpoint", again)         # a FIFO would block np.load, other files unpickle
    try:
        with np.load(path, allow_pickle=False) as z:
            state = json.loads(str(z["state"]))
            if state.get("version") != CHECKPOINT_VERSION:
                raise UserInputError(f"{path}: checkpoint format version {state.get('version')!r}, this made_helpers "
                                     f"reads version {CHECKPOINT_VERSION}; {again}")
            diff = settings_diff(state.get("settings", {}), settings)
            if diff:
                raise UserInputError(f"{path}: cannot resume, the settings differ: {'; '.join(diff)}; {again}")
            weights = stored_arrays(z, path, "model", trainer.weights, again)       # present, shaped, finite
            optimizer = stored_arrays(z, path, "opt", trainer.optimizer.variables, again)
            state["best_weights"] = stored_arrays(z, path, "best", trainer.weights, again) if "best_0" in z.files \
                else None
    except UserInputError:
        raise
    except Exception as e:
        raise UserInputError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e}); {again}") from e
    trainer.set_weights(weights)
    for variable, value in zip(trainer.optimizer.variables, optimizer):
        variable.assign(value)
    return state


def restore_early_stopping(early_stopping, state: dict) -> None:
    """Give ``EarlyStopping`` the counters and best weights of a checkpoint's ``state``."""
    vars(early_stopping).update(state["early_stopping"])
    early_stopping.best_weights = state["best_weights"]


def fit_density(model, x_train, x_valid, epochs: int = 20, batch_size: int = 100, learning_rate: float = 1e-3,
                patience: int = 5, seed: int = 0, max_seconds: float | None = None, verbose: bool = True,
                weight_decay: float = 0.0, checkpoint: str | os.PathLike | None = None, resume: bool = False,
                jit_compile: bool = True) -> dict:
    """Train ``model`` on ``x_train`` ``(N, D)`` with Adam on ``-mean log p(x) + weight_decay / 2 * sum w**2``; stop
    after ``patience`` epochs without a better NLL of ``x_valid`` ``(M, D)``, ``epochs`` or ``max_seconds``, and keep
    the best epoch's weights. Batch norm: before every validation and at the end, :func:`set_training_statistics`
    from all of ``x_train``. A NaN/inf NLL raises ``TrainingDivergedError`` (its ``history``: the finished epochs).

    ``checkpoint``: a ``.npz`` file written after every epoch (:class:`DensityCheckpoint`); ``resume=True`` continues
    the run in it exactly (the same weights and curves as a run never interrupted; ``max_seconds`` counts the seconds
    it had spent), and an existing one is refused without ``resume``. ``jit_compile``: the training step with XLA
    where the model allows it (:func:`compile_trainer`; else without, and a one-line notice).
    Returns ``{train_nll, valid_nll, best_epoch (1-based), best_valid_nll, seconds, stopped: patience|epochs|time,
    resumed_at_epochs, xla}``."""
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
    early_stopping = keras.callbacks.EarlyStopping("val_nll", patience=patience, mode="min", restore_best_weights=True)
    config = {k: v for k, v in model.get_config().items() if k != "name"}
    run = {"settings": {"model": config, "model_class": type(model).__name__, "n_train": len(x_train),
                        "n_valid": len(x_valid), "train_fingerprint": data_fingerprint(x_train),
                        "valid_fingerprint": data_fingerprint(x_valid), "batch_size": batch_size,
                        "learning_rate": learning_rate, "patience": patience, "seed": seed,
                        "weight_decay": weight_decay},
           "curves": {"train_nll": [], "valid_nll": []}, "epochs_run": 0, "stopped": None, "resumed_at_epochs": []}
    saved = None
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        remove_stale_temps(checkpoint)                  # a writer killed mid-write
        if checkpoint.exists() and not resume:
            raise UserInputError(f"checkpoint {checkpoint} exists: pass resume=True (maf_mnist.py: --resume) to "
                                 f"continue that run, or remove it to start again")
        if checkpoint.exists():
            saved = load_checkpoint(checkpoint, trainer, run["settings"])
            run.update({k: saved[k] for k in ("curves", "epochs_run", "stopped", "resumed_at_epochs")})
            run["resumed_at_epochs"].append(run["epochs_run"])
            if verbose:
                print(f"resumed from {checkpoint} after epoch {run['epochs_run']} ({saved['seconds']:.1f} s spent)")
    curves, spent = run["curves"], 0.0 if saved is None else saved["seconds"]
    start, timed_out = time.perf_counter() - spent, []

    def clock() -> float:
        """Seconds of this run, those before a resume included."""
        return time.perf_counter() - start

    def over_budget() -> bool:                          # Keras has no time budget
        return max_seconds is not None and clock() > max_seconds

    def end_of_epoch(epoch, logs):
        try:                                              # before EarlyStopping keeps the epoch's weights
            set_training_statistics(model, x_train)
        except UserInputError:                            # a layer's outputs overflowed: StopOnDivergence says so
            logs["val_nll"] = float("nan")
            return
        logs["val_nll"] = float(-log_prob_chunks(model, x_valid, 1000).mean())
        if over_budget():
            trainer.stop_training = True
            timed_out.append(epoch)

    def report(epoch, logs):
        curves["train_nll"].append(float(logs["loss"]))
        curves["valid_nll"].append(float(logs["val_nll"]))
        if verbose:
            print(f"epoch {epoch + 1:3d}  train NLL {logs['loss']:9.3f}  valid NLL {logs['val_nll']:9.3f}  "
                  f"({clock():5.1f} s)", flush=True)

    def stopped_by(epoch: int) -> str | None:
        if early_stopping.stopped_epoch:
            return "patience"
        return "time" if timed_out else "epochs" if epoch + 1 >= epochs else None

    def history(stopped: str) -> dict:
        best = early_stopping.best_weights is not None
        return {**curves, "best_epoch": early_stopping.best_epoch + 1 if best else 0,
                "best_valid_nll": float(early_stopping.best) if best else float("nan"),
                "seconds": clock(), "stopped": stopped, "resumed_at_epochs": run["resumed_at_epochs"], "xla": xla}

    def advice(m) -> str:           # the model holds the last good weights: its NLL bounds a sane L2 term
        nll = float(-log_prob_chunks(model, x_valid, 1000).mean())
        cause = weight_decay_cause(weight_decay / 2, [w.numpy() for w in model.trainable_variables],
                                   max(abs(nll), D) if np.isfinite(nll) else D, "weight_decay / 2 * sum w^2",
                                   "the validation NLL (or D)")
        fix = (f"Lower the weight decay (now {weight_decay:g}): {cause}" if cause else
               f"Lower the learning rate (now {learning_rate:g})")
        return f"{fix}, and start a new run."

    batches, steps = minibatches(x_train, batch_size, seed, first_epoch=run["epochs_run"], min_rows=min_rows)
    record = DensityCheckpoint(checkpoint, run, early_stopping, stopped_by, clock)
    record.resumed = saved
    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=end_of_epoch),
                 StopOnDivergence(early_stopping, advice, steps), early_stopping,
                 keras.callbacks.LambdaCallback(on_epoch_end=report), record]
    done = saved is not None and (run["stopped"] == "patience" or run["epochs_run"] >= epochs or over_budget())
    if done:                    # a finished run resumed, or no time left (a new run has at least one epoch)
        if saved is not None:
            restore_early_stopping(early_stopping, saved)
            if saved["best_weights"] is not None:
                trainer.set_weights(saved["best_weights"])
        set_training_statistics(model, x_train)
        return history(run["stopped"] if run["stopped"] == "patience" or not over_budget() else "time")
    try:
        trainer.fit(batches, epochs=epochs, initial_epoch=run["epochs_run"], steps_per_epoch=steps, shuffle=False,
                    callbacks=callbacks, verbose=0)
    except TrainingDivergedError as error:
        error.history = history("diverged")            # the epochs that finished, for a caller that keeps them
        set_training_statistics(model, x_train)        # the kept weights, with the statistics the test uses
        raise
    set_training_statistics(model, x_train)            # the restored best epoch's: what its validation used
    return history(stopped_by(run["epochs_run"] - 1) or "epochs")
