"""Training :class:`~made_helpers.MADE` the Keras way: :func:`train` compiles the model and fits it on
:func:`minibatches` with callbacks (validation NLL, :class:`StopOnDivergence`, early stopping,
:class:`LearningRateSchedule`, :class:`RunRecord`: ``history.json`` and a checkpoint for an exact resume).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from ..atomic import atomic_write, json_text, remove_stale_temps, write_json
from ..checks import (
    check_finite_weights,
    check_int,
    check_positive_float,
    check_real_batch,
    check_seed,
    nonfinite_weights,
)
from ..errors import MadeError, UserInputError
from ..files import require_npz
from .evaluate import evaluate_nll
from .model import ENSEMBLES
from .schedules import LR_FACTOR_DEFAULT, LR_PATIENCE_DEFAULT, LearningRateSchedule

CHECKPOINT_FILE, HISTORY_FILE = "checkpoint.npz", "history.json"   # the trainer's files in its checkpoint_dir
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adagrad": 1e-2, "adagrad-paper": 1e-2}
_CHECKPOINT_VERSION = 2        # 2: Keras fit (early-stopping and plateau state); 1 was the hand-written loop's


class TrainingDivergedError(MadeError, FloatingPointError):
    """The training loss became NaN or infinite."""


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


def minibatches(x: np.ndarray, batch_size: int, seed: int, first_epoch: int = 0, min_rows: int = 1):
    """``(batches, steps)``: endless pairs ``(x_b, x_b)`` of ``(<= batch_size, D)`` for ``fit(steps_per_epoch=steps)``;
    epoch ``e`` in the order ``default_rng([seed, e]).permutation(N)``, a last batch under ``min_rows`` dropped."""
    starts = range(0, len(x) - (min_rows - 1), batch_size)

    def batches():
        for epoch in itertools.count(first_epoch):
            order = np.random.default_rng([seed, epoch]).permutation(len(x))
            for i in starts:
                xb = x[np.sort(order[i:i + batch_size])]
                yield xb, xb
    return batches(), len(starts)


# --------------------------------------------------------------------------- callbacks
class StopOnDivergence(keras.callbacks.Callback):
    """Raises :class:`TrainingDivergedError` at the first NaN/inf training ``loss`` or ``val_nll``, after
    restoring the best weights so far (or the initial ones); ``advice(model)`` ends the message."""

    def __init__(self, early_stopping, advice: Callable[[keras.Model], str], steps: int):
        super().__init__()
        self.early_stopping, self.advice, self.steps = early_stopping, advice, steps

    def on_train_begin(self, logs=None):
        self.initial, self.epoch = self.model.get_weights(), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        value = float(logs["loss"])
        if not math.isfinite(value):
            self._stop(f"training loss became {value} in epoch {self.epoch}, step {batch + 1}/{self.steps}")

    def on_epoch_end(self, epoch, logs=None):
        if not math.isfinite(logs["val_nll"]):
            self._stop(f"validation NLL became {logs['val_nll']} in epoch {epoch + 1}")

    def _stop(self, what: str):
        es = self.early_stopping
        best = es.best_weights is not None
        self.model.set_weights(es.best_weights if best else self.initial)
        kept = (f"the model holds the weights of epoch {es.best_epoch + 1}, the best so far" if best
                else "the model holds its initial weights")
        raise TrainingDivergedError(f"training stopped: the {what}; {kept}. {self.advice(self.model)}")


class RunRecord(keras.callbacks.Callback):
    """The run's history dict, written to ``history.json``, and ``checkpoint.npz`` after every epoch: what an
    exact resume needs (unlike ``BackupAndRestore``: counters, best weights, dropout RNG state, settings)."""

    def __init__(self, history: dict, folder: Path | None, early_stopping, plateau, verbose: int):
        super().__init__()
        self.history, self.folder, self.verbose = history, folder, verbose
        self.counters = {"early_stopping": early_stopping, "plateau": plateau}
        self.resumed = None

    def on_train_begin(self, logs=None):
        if self.resumed is not None:                     # after the callbacks' own on_train_begin resets
            for key, callback in self.counters.items():
                if callback is not None:
                    vars(callback).update(self.resumed[key])
            self.counters["early_stopping"].best_weights = self.resumed["best_weights"] or None

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()
        self.history["learning_rate"].append(float(self.model.optimizer.learning_rate.numpy()))

    def on_epoch_end(self, epoch, logs=None):
        h, es = self.history, self.counters["early_stopping"]
        h["train_nll"].append(float(logs["nll"]))
        h["valid_nll"].append(float(logs["val_nll"]))
        h["epoch_seconds"].append(time.perf_counter() - self.t0)
        h.update(epochs_run=epoch + 1, best_epoch=es.best_epoch + 1, best_valid_nll=float(es.best))
        if self.model.stop_training or epoch + 1 >= h["max_epochs"]:
            h["stop_reason"] = "patience" if self.model.stop_training else "max_epochs"
        if self.verbose == 2:
            print(f"epoch {epoch + 1}/{h['max_epochs']}: train NLL {h['train_nll'][-1]:.3f}, valid NLL "
                  f"{h['valid_nll'][-1]:.3f} nats (lr {h['learning_rate'][-1]:.3g}, {h['epoch_seconds'][-1]:.1f} s)"
                  f"{'  *best*' if es.best_epoch == epoch else ''}", flush=True)
        if self.folder is not None:
            self.save()

    def save(self) -> None:
        model, opt = self.model, self.model.optimizer
        state = {"version": _CHECKPOINT_VERSION, "settings": self.history["settings"], "history": self.history,
                 "done": bool(model.stop_training)}
        for key, cb in self.counters.items():
            state[key] = cb and {k: (float if k == "best" else int)(getattr(cb, k))
                                 for k in ("wait", "best", "best_epoch", "cooldown_counter") if hasattr(cb, k)}
        arrays = {"state": np.array(json_text(state, f"the checkpoint state of {self.folder}"))}
        for prefix, values in (("model", model.get_weights()), ("opt", opt.variables), ("rngstate", _rng(model)),
                               ("best", self.counters["early_stopping"].best_weights or [])):
            arrays.update({f"{prefix}_{i}": np.asarray(v) for i, v in enumerate(values)})
        atomic_write(self.folder / CHECKPOINT_FILE, lambda f: np.savez(f, **arrays))
        write_json(self.folder / HISTORY_FILE, self.history)


# --------------------------------------------------------------------------- checkpoints
def _rng(model) -> list:
    """Variables outside ``model.weights`` that a resumed run needs: the dropout layers' seed states."""
    return [layer.seed_generator.state for layer in getattr(model, "dropout_layers", [])]


@contextlib.contextmanager
def _open_checkpoint(path: Path):
    """``(arrays, state)`` of checkpoint ``path`` (a regular file: a FIFO would block); an error reading it is one
    ``ValueError``."""
    require_npz(path, f"{path}: the checkpoint", _NOT_RESUMABLE)
    try:
        with np.load(path, allow_pickle=False) as z:
            state = json.loads(str(z["state"]))
            if not isinstance(state, dict):
                raise UserInputError(f"{path}: the checkpoint's state record is damaged, {_NOT_RESUMABLE}")
            if state.get("version") != _CHECKPOINT_VERSION:
                raise UserInputError(f"{path}: checkpoint format version {state.get('version')!r}, this made_helpers "
                                 f"reads version {_CHECKPOINT_VERSION}, {_NOT_RESUMABLE}")
            if not isinstance(state.get("history"), dict):
                raise UserInputError(f"{path}: the checkpoint's state record is damaged, {_NOT_RESUMABLE}")
            yield z, state
    except Exception as e:
        if isinstance(e, ValueError) and str(e).startswith(str(path)):
            raise                                   # already says which checkpoint and what to do
        raise UserInputError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e}), {_NOT_RESUMABLE}") from e


NONFINITE_BEFORE_TRAINING = ("it held them before training began, so training cannot repair it: build a new model "
                             "(or load a sound one)")

_NOT_RESUMABLE = ("so the run cannot be resumed: start it again (CLI: the same `made train` command with "
                  "--overwrite, which replaces the run) or choose another folder")


def read_checkpoint_state(path: str | os.PathLike) -> dict:
    """The ``state`` record of a checkpoint (settings, history ...); one-line ``ValueError`` if unreadable."""
    with _open_checkpoint(Path(path)) as (_, state):
        return state


def _load_checkpoint(path: Path, model, settings: dict) -> dict:
    """Restore model, optimizer and dropout variables (settings checked first); the state, with ``best_weights``."""
    with _open_checkpoint(path) as (z, state):
        diff = _settings_diff(state.get("settings", {}), settings)
        if diff:
            raise UserInputError(f"{path}: cannot resume, the settings differ: " + "; ".join(diff)
                             + " (resume with the run's settings, or choose another --out)")
        model_w = stored_arrays(z, path, "model", model.weights)
        variables = [*model.optimizer.variables, *_rng(model)]
        values = (stored_arrays(z, path, "opt", model.optimizer.variables)
                  + stored_arrays(z, path, "rngstate", _rng(model)))
        state["best_weights"] = stored_arrays(z, path, "best", model.weights) if "best_0" in z.files else []
    model.set_weights(model_w)
    for var, value in zip(variables, values):
        var.assign(value)
    return state


def stored_arrays(z, path: Path, prefix: str, variables, fix: str = _NOT_RESUMABLE) -> list[np.ndarray]:
    """The arrays ``prefix_0, prefix_1, ...`` of checkpoint ``z`` (an open ``.npz`` read from ``path``) for
    ``variables``: each there, of the variable's shape, and finite (a NaN layer would train or be saved silently);
    else one ``UserInputError`` line naming the array and layer, ending in ``fix``."""
    arrays = []
    for i, var in enumerate(variables):
        key, name = f"{prefix}_{i}", getattr(var, "path", None) or getattr(var, "name", "")
        if key not in z.files:
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) is missing, "
                                 f"{fix}")
        value = z[key]
        if tuple(value.shape) != tuple(var.shape):
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) has shape {value.shape}, "
                                 f"the model's is {tuple(var.shape)}, {fix}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) holds "
                                 f"{int(np.sum(~np.isfinite(value)))} NaN or inf value(s), {fix}")
        arrays.append(value)
    return arrays


def _settings_diff(saved: dict, now: dict, prefix: str = "") -> list[str]:
    """``"key: checkpoint A vs now B"`` for every differing setting (nested dicts key by key)."""
    out = []
    for k in sorted(set(saved) | set(now)):
        a, b = saved.get(k), now.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _settings_diff(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: checkpoint {a!r} vs now {b!r}")
    return out


def weight_decay_cause(factor: float, weights, bound: float, formula: str, bound_what: str) -> str | None:
    """Why an L2 term ``factor * sum w**2`` over ``weights`` (arrays) likely caused a divergence: it is not finite
    in float32, or over ``bound`` nats (``bound_what`` says what that is); else None (blame the learning rate)."""
    if not factor:
        return None
    l2 = float(sum(np.sum(np.square(np.asarray(w), dtype=np.float64)) for w in weights))
    with np.errstate(over="ignore", invalid="ignore"):
        term = float(np.float32(factor) * np.float32(l2))
    if math.isfinite(term) and term <= bound:
        return None
    return (f"its L2 term {formula} is {term:.3g} in float32 at the last good weights"
            + ("" if not math.isfinite(term) else f", more than the {bound:.0f} nats of {bound_what}"))


def _weight_decay_cause(model, weight_decay: float) -> str | None:
    """:func:`weight_decay_cause` of a MADE's kernels against a uniform model's ``D log 2`` nats."""
    return weight_decay_cause(weight_decay, [layer.kernel.numpy() for layer in model.masked_layers],
                              model.input_dim * math.log(2.0), "weight_decay * sum W^2", "a uniform model")


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
          valid_ensemble: str = "mixture") -> dict:
    """Train ``model`` on binary ``x_train`` ``(N, D)`` with early stopping on ``x_valid`` ``(M, D)``: ``model.fit``.

    ``resample_masks``, ``weight_decay``, ``in_graph_masks``, ``jit_compile``: :meth:`MADE.compile`;
    ``valid_masks`` (``None``: all), ``valid_ensemble``: :meth:`MADE.log_prob`; ``checkpoint_dir``: folder of
    ``checkpoint.npz`` and ``history.json`` (``resume`` continues its run); ``verbose``: 0, 1 (progress bar)
    or 2 (a line per epoch); ``lr_*``, ``cosine_epochs`` (default ``epochs``): :class:`LearningRateSchedule`.
    Returns the history dict (per-epoch ``train_nll``, ``valid_nll``, ... ``best_epoch``, ``stop_reason``).
    """
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    check_seed("seed", seed, type_error=ValueError)
    if verbose not in (0, 1, 2):
        raise UserInputError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if valid_ensemble not in ENSEMBLES:
        raise UserInputError(f"valid_ensemble must be one of {ENSEMBLES}, got {valid_ensemble!r}")
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
    history = {"train_nll": [], "valid_nll": [], "learning_rate": [], "epoch_seconds": [], "best_epoch": 0,
               "best_valid_nll": None, "epochs_run": 0, "stop_reason": None, "max_epochs": epochs,
               "valid_masks": int(k_valid), "settings": settings, "data": data, "resumed_at_epochs": []}

    start_mask = model.current_mask
    early_stopping = keras.callbacks.EarlyStopping("val_nll", patience=patience, mode="min",
                                                   restore_best_weights=True)
    lr_callback = schedule.callback()
    plateau = lr_callback if isinstance(lr_callback, keras.callbacks.ReduceLROnPlateau) else None
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    record = RunRecord(history, folder, early_stopping, plateau, verbose)
    done = folder is not None and _open_run_folder(folder, resume, model, settings, history, record, data, verbose)

    def add_valid_nll(epoch, logs):            # a mixture over masks, image by image: not Keras' validation_data
        model.set_mask(start_mask)
        if nonfinite_weights(model):                           # a diverged model: StopOnDivergence says so
            logs["val_nll"] = math.nan
            return
        with np.errstate(over="ignore", invalid="ignore"):
            logs["val_nll"] = evaluate_nll(model, x_valid, num_masks=int(k_valid), batch_size=valid_batch_size,
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

    batches, steps = minibatches(x_train, batch_size, seed, first_epoch=history["epochs_run"])
    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=add_valid_nll),
                 StopOnDivergence(early_stopping, advice, steps), early_stopping, *filter(None, [lr_callback]), record]
    if model.train_masks and not model.in_graph_masks:          # the host-side twin of the in-graph switch
        callbacks.insert(0, keras.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: model.set_mask(
            int(model.training_mask(model.optimizer.iterations)))))
    if on_epoch_end is not None:
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: on_epoch_end(e + 1, history)))
    if not done and history["epochs_run"] < epochs:
        model.fit(batches, epochs=epochs, initial_epoch=history["epochs_run"], steps_per_epoch=steps,
                  shuffle=False, callbacks=callbacks, verbose=1 if verbose == 1 else 0)
    elif record.resumed and record.resumed["best_weights"]:
        model.set_weights(record.resumed["best_weights"])
    model.set_mask(start_mask)
    if verbose:
        reason = {"patience": f"no improvement for {patience} epochs", "max_epochs": "reached the maximum epochs"}
        print(f"stopped after epoch {history['epochs_run']} ({reason.get(history['stop_reason'], 'done')}); "
              f"restored the best epoch {history['best_epoch']}: valid NLL {history['best_valid_nll']:.3f} nats",
              flush=True)
    if folder is not None:
        write_json(folder / HISTORY_FILE, history)
    return history


def _open_run_folder(folder: Path, resume: bool, model, settings: dict, history: dict, record: RunRecord,
                     data, verbose: int) -> bool:
    """Create ``folder``, or resume the run in it into ``model``, ``history`` and ``record``; returns "done"."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (CHECKPOINT_FILE, HISTORY_FILE):      # temp files of a writer killed mid-write
        remove_stale_temps(folder / name)
    ckpt = folder / CHECKPOINT_FILE
    if not ckpt.exists():
        if resume and verbose:
            print(f"no checkpoint in {folder} yet: starting a new run", flush=True)
        return False
    if not resume:
        raise FileExistsError(f"{ckpt} exists: pass resume=True (CLI: --resume) to continue that run, "
                              f"or choose another checkpoint folder")
    state = _load_checkpoint(ckpt, model, settings)
    saved = state["history"]
    kept = ("train_nll", "valid_nll", "epoch_seconds", "learning_rate", "best_epoch", "best_valid_nll", "epochs_run",
            "stop_reason", "resumed_at_epochs")
    missing = [k for k in (*kept, "max_epochs") if k not in saved] + [k for k in ("done",) if k not in state]
    if missing:
        raise UserInputError(f"{ckpt}: the checkpoint is damaged: its record lacks {', '.join(missing)}, "
                             f"{_NOT_RESUMABLE}")
    if saved["epochs_run"] > history["max_epochs"]:
        raise UserInputError(f"epochs={history['max_epochs']} (CLI: --epochs) is below the {saved['epochs_run']} "
                             f"epoch(s) the run in {folder} has already run: resume it with at least "
                             f"{saved['epochs_run']} (a run's epochs can only grow)")
    history.update({k: saved[k] for k in kept})
    if data is None:
        history["data"] = saved.get("data")
    history["resumed_at_epochs"].append(history["epochs_run"])
    if state["done"]:
        history["max_epochs"] = saved["max_epochs"]
    record.resumed = state
    if verbose:
        print(f"resumed from {ckpt} after epoch {history['epochs_run']}"
              + (" (that run had finished)" if state["done"] else ""), flush=True)
    return state["done"]
