"""The fitting core of both trainers (:func:`made_helpers.core.train.train` for a binary MADE,
:func:`made_helpers.density.density_fit.fit_density` for a real-valued density): :func:`fit` runs Keras ``fit`` on
:func:`minibatches` with early stopping on the validation NLL (the best epoch's weights restored), an optional time
budget, :class:`StopOnDivergence`, one history schema (:func:`new_history`) and a checkpoint after every epoch for an
exact resume (:class:`FitRecord`; :data:`CHECKPOINT_VERSION`). Each trainer adds only what is its own: its model's
loss and optimizer, its validation NLL, callbacks such as a learning-rate schedule, the advice of a diverged run.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from .atomic import atomic_write, json_text, remove_stale_temps, write_json
from .errors import MadeError, UserInputError
from .files import require_npz

CHECKPOINT_VERSION = 2
"""The checkpoint format of both trainers: ``made train``'s since Keras fit (version 1 was its hand-written loop's);
a ``fit_density`` checkpoint of its former own format (also numbered 1) is refused with that version named."""

STOP_REASONS = ("patience", "max_epochs", "time", "diverged")
"""``history["stop_reason"]``: early stopping, the last epoch, the time budget (``max_seconds``), a NaN/inf NLL."""

_KEPT = ("train_nll", "valid_nll", "learning_rate", "epoch_seconds", "best_epoch", "best_valid_nll", "epochs_run",
         "stop_reason", "resumed_at_epochs")          # what a resumed run takes from its checkpoint's history


class TrainingDivergedError(MadeError, FloatingPointError):
    """The training loss became NaN or infinite (``history``: the finished epochs, ``stop_reason`` "diverged")."""


def new_history(max_epochs: int, settings: dict, **extra) -> dict:
    """The history both trainers return and checkpoint: per-epoch ``train_nll``, ``valid_nll``, ``learning_rate``,
    ``epoch_seconds``; ``epochs_run``, ``best_epoch`` (1-based, 0 before the first), ``best_valid_nll``,
    ``stop_reason`` (:data:`STOP_REASONS`, None while running), ``seconds`` (of training, those before a resume
    included), ``max_epochs``, ``resumed_at_epochs``, the ``settings`` a resume must match, and ``extra`` keys (one
    given as None takes its checkpoint's value on a resume)."""
    return {"train_nll": [], "valid_nll": [], "learning_rate": [], "epoch_seconds": [], "best_epoch": 0,
            "best_valid_nll": None, "epochs_run": 0, "stop_reason": None, "seconds": 0.0, "max_epochs": max_epochs,
            **extra, "settings": settings, "resumed_at_epochs": []}


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


def weight_decay_cause(term: float, bound: float, formula: str, bound_what: str) -> str | None:
    """Why an L2 term of value ``term`` (float32, at the last good weights; ``formula`` says which) likely caused a
    divergence: it is not finite, or over ``bound`` nats (``bound_what`` says what that is); else None (blame the
    learning rate). For the advice of :class:`StopOnDivergence`."""
    if math.isfinite(term) and term <= bound:
        return None
    return (f"its L2 term {formula} is {term:.3g} in float32 at the last good weights"
            + ("" if not math.isfinite(term) else f", more than the {bound:.0f} nats of {bound_what}"))


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


class FitRecord(keras.callbacks.Callback):
    """The run's :func:`new_history`, and after every epoch its checkpoint (:func:`save_checkpoint`: what an exact
    resume needs, unlike ``BackupAndRestore``: counters, best weights, ``state_variables`` such as dropout RNG states,
    settings) and ``history_file``; ``epoch_line(history)``: a line printed per epoch."""

    def __init__(self, history: dict, counters: dict, clock: Callable[[], float], train_nll_key: str,
                 checkpoint: Path | None, history_file: Path | None, state_variables: Sequence,
                 epoch_line: Callable[[dict], str] | None):
        super().__init__()
        self.history, self.counters, self.clock = history, counters, clock
        self.train_nll_key, self.checkpoint, self.history_file = train_nll_key, checkpoint, history_file
        self.state_variables, self.epoch_line = state_variables, epoch_line
        self.resumed: dict | None = None

    def on_train_begin(self, logs=None):
        if self.resumed is not None:                     # after the callbacks' own on_train_begin resets
            for key, callback in self.counters.items():
                if callback is not None and self.resumed.get(key):
                    vars(callback).update(self.resumed[key])
            self.counters["early_stopping"].best_weights = self.resumed["best_weights"] or None

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()
        self.history["learning_rate"].append(float(self.model.optimizer.learning_rate.numpy()))

    def on_epoch_end(self, epoch, logs=None):
        h, es = self.history, self.counters["early_stopping"]
        h["train_nll"].append(float(logs[self.train_nll_key]))
        h["valid_nll"].append(float(logs["val_nll"]))
        h["epoch_seconds"].append(time.perf_counter() - self.t0)
        h.update(epochs_run=epoch + 1, best_epoch=es.best_epoch + 1, best_valid_nll=float(es.best),
                 seconds=self.clock())
        h["stop_reason"] = ("patience" if es.stopped_epoch else "time" if self.model.stop_training    # the budget
                            else "max_epochs" if epoch + 1 >= h["max_epochs"] else None)
        if self.epoch_line is not None:
            print(self.epoch_line(h), flush=True)
        if self.checkpoint is not None:
            self.save()

    def save(self) -> None:
        model = self.model
        state = {"version": CHECKPOINT_VERSION, "settings": self.history["settings"], "history": self.history,
                 "done": self.history["stop_reason"] == "patience"}
        for key, cb in self.counters.items():
            state[key] = cb and {k: (float if k == "best" else int)(getattr(cb, k))
                                 for k in ("wait", "best", "best_epoch", "cooldown_counter") if hasattr(cb, k)}
        arrays = {"state": np.array(json_text(state, f"the checkpoint state of {self.checkpoint}"))}
        for prefix, values in (("model", model.get_weights()), ("opt", model.optimizer.variables),
                               ("rngstate", self.state_variables),
                               ("best", self.counters["early_stopping"].best_weights or [])):
            arrays.update({f"{prefix}_{i}": np.asarray(v) for i, v in enumerate(values)})
        save_checkpoint(self.checkpoint, state, arrays)
        if self.history_file is not None:
            write_json(self.history_file, self.history)


# --------------------------------------------------------------------------- checkpoints
def save_checkpoint(path: Path, state: dict, arrays: dict) -> None:
    """Write checkpoint ``path`` atomically: ``arrays`` (``state``: its JSON text, ``model_i``, ``opt_i``,
    ``rngstate_i``, ``best_i``); ``state`` is the record they came from."""
    atomic_write(path, lambda f: np.savez(f, **arrays))


@contextlib.contextmanager
def open_checkpoint(path: Path, fix: str):
    """``(arrays, state)`` of checkpoint ``path`` (a regular file: a FIFO would block); an error reading it is one
    ``UserInputError`` naming ``path`` and ending in ``fix``."""
    require_npz(path, f"{path}: the checkpoint", fix)
    try:
        with np.load(path, allow_pickle=False) as z:
            state = json.loads(str(z["state"]))
            if not isinstance(state, dict):
                raise UserInputError(f"{path}: the checkpoint's state record is damaged, {fix}")
            if state.get("version") != CHECKPOINT_VERSION:
                raise UserInputError(f"{path}: checkpoint format version {state.get('version')!r}, this made_helpers "
                                     f"reads version {CHECKPOINT_VERSION}, {fix}")
            if not isinstance(state.get("history"), dict):
                raise UserInputError(f"{path}: the checkpoint's state record is damaged, {fix}")
            yield z, state
    except Exception as e:
        if isinstance(e, ValueError) and str(e).startswith(str(path)):
            raise                                   # already says which checkpoint and what to do
        raise UserInputError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e}), {fix}") from e


def stored_arrays(z, path: Path, prefix: str, variables, fix: str) -> list[np.ndarray]:
    """The arrays ``prefix_0, prefix_1, ...`` of checkpoint ``z`` (an open ``.npz`` read from ``path``) for
    ``variables``: each there, of the variable's shape, and finite (a NaN layer would train or be saved silently);
    else one ``UserInputError`` line naming the array and layer, ending in ``fix``."""
    arrays = []
    for i, var in enumerate(variables):
        key, name = f"{prefix}_{i}", getattr(var, "path", None) or getattr(var, "name", "")
        if key not in z.files:
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) is missing, {fix}")
        value = z[key]
        if tuple(value.shape) != tuple(var.shape):
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) has shape {value.shape}, "
                                 f"the model's is {tuple(var.shape)}, {fix}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise UserInputError(f"{path}: the checkpoint is damaged: array {key} ({name}) holds "
                                 f"{int(np.sum(~np.isfinite(value)))} NaN or inf value(s), {fix}")
        arrays.append(value)
    return arrays


def settings_diff(saved: dict, now: dict, prefix: str = "") -> list[str]:
    """``"key: checkpoint A vs now B"`` for every differing setting (nested dicts key by key)."""
    out = []
    for k in sorted(set(saved) | set(now)):
        a, b = saved.get(k), now.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += settings_diff(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: checkpoint {a!r} vs now {b!r}")
    return out


def load_checkpoint(path: Path, model: keras.Model, settings: dict, state_variables: Sequence, fix: str,
                    settings_fix: str) -> dict:
    """Restore the weights, optimizer variables and ``state_variables`` of the run in checkpoint ``path`` into
    ``model`` (its settings compared with ``settings`` first: a difference is refused, ending in ``settings_fix``);
    its state, with ``best_weights`` (a list, empty before the first epoch). Nothing is loaded if anything is wrong."""
    with open_checkpoint(path, fix) as (z, state):
        diff = settings_diff(state.get("settings", {}), settings)
        if diff:
            raise UserInputError(f"{path}: cannot resume, the settings differ: {'; '.join(diff)}{settings_fix}")
        weights = stored_arrays(z, path, "model", model.weights, fix)
        values = (stored_arrays(z, path, "opt", model.optimizer.variables, fix)
                  + stored_arrays(z, path, "rngstate", state_variables, fix))
        state["best_weights"] = stored_arrays(z, path, "best", model.weights, fix) if "best_0" in z.files else []
    missing = [k for k in (*_KEPT, "max_epochs") if k not in state["history"]] + ["done"] * ("done" not in state)
    if missing:
        raise UserInputError(f"{path}: the checkpoint is damaged: its record lacks {', '.join(missing)}, {fix}")
    model.set_weights(weights)
    for var, value in zip([*model.optimizer.variables, *state_variables], values):
        var.assign(value)
    return state


def read_checkpoint_state(path, fix: str) -> dict:
    """The ``state`` record of a checkpoint (settings, history ...); one-line ``UserInputError`` if unreadable."""
    with open_checkpoint(Path(path), fix) as (_, state):
        return state


# --------------------------------------------------------------------------- the run
def fit(model: keras.Model, x_train: np.ndarray, history: dict, validate: Callable[[], float], *, batch_size: int,
        patience: int, seed: int, advice: Callable[[keras.Model], str], train_nll_key: str = "loss",
        min_rows: int = 1, before_validation: Callable[[], None] = lambda: None, max_seconds: float | None = None,
        checkpoint: Path | None = None, history_file: Path | None = None, resume: bool = False,
        exists_error: Callable[[Path], Exception] = FileExistsError, fix: str = "", settings_fix: str = "",
        check_resumed: Callable[[dict], None] | None = None, state_variables: Sequence = (),
        callbacks: Sequence[keras.callbacks.Callback] = (), counters: dict | None = None,
        on_epoch_end: Callable[[int, dict], None] | None = None, epoch_line: Callable[[dict], str] | None = None,
        verbose: bool = False, progress_bar: bool = False) -> dict:
    """Fit the compiled ``model`` on ``x_train`` ``(N, D)`` (:func:`minibatches`) up to ``history["max_epochs"]``,
    with early stopping after ``patience`` epochs without a lower ``validate()`` (the validation NLL; the best epoch's
    weights restored) and, if given, stopping after the epoch that ends past ``max_seconds``. ``history``:
    :func:`new_history`, filled in place and returned.

    ``before_validation()``: run before every validation (a ``UserInputError`` there, such as NaN weights, makes the
    validation NLL NaN) and once after training (also after a divergence, and for a finished run resumed).
    ``checkpoint``: the ``.npz`` written after every epoch (with ``history_file``, if given); an existing one
    raises ``exists_error(checkpoint)`` unless ``resume``, which continues its run exactly (the same weights and
    curves as a run never interrupted; ``max_seconds`` counts the seconds it had spent; ``fix``, ``settings_fix``:
    the end of an error line; ``check_resumed(saved_history)`` may refuse it). ``state_variables``: variables outside
    ``model.weights`` the resume needs; ``counters``: callbacks of ``callbacks`` whose counters it needs (e.g.
    ``{"plateau": ...}``). ``on_epoch_end(epochs_run, history)`` after each epoch's checkpoint.
    A NaN/inf NLL raises :class:`TrainingDivergedError` (``advice(model)`` ends its message)."""
    early_stopping = keras.callbacks.EarlyStopping("val_nll", patience=patience, mode="min", restore_best_weights=True)
    counters = {"early_stopping": early_stopping, **(counters or {})}
    saved = None
    if checkpoint is not None:
        remove_stale_temps(checkpoint)                  # a writer killed mid-write
        if history_file is not None:
            remove_stale_temps(history_file)
        if checkpoint.exists() and not resume:
            raise exists_error(checkpoint)
        if checkpoint.exists():
            saved = _resume(checkpoint, model, history, state_variables, fix, settings_fix, check_resumed, verbose)
        elif resume and verbose:
            print(f"no checkpoint {checkpoint} yet: starting a new run", flush=True)
    start = time.perf_counter() - history["seconds"]

    def clock() -> float:
        """Seconds of this run, those before a resume included."""
        return time.perf_counter() - start

    def over_budget() -> bool:
        return max_seconds is not None and clock() > max_seconds

    def validation(epoch, logs):                       # a UserInputError (NaN weights, statistics): StopOnDivergence
        try:
            before_validation()
        except UserInputError:
            logs["val_nll"] = math.nan
            return
        logs["val_nll"] = validate()
        if over_budget():                              # Keras has no time budget
            model.stop_training = True

    batches, steps = minibatches(x_train, batch_size, seed, history["epochs_run"], min_rows)
    record = FitRecord(history, counters, clock, train_nll_key, checkpoint, history_file, state_variables, epoch_line)
    record.resumed = saved
    all_callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=validation),
                     StopOnDivergence(early_stopping, advice, steps), early_stopping, *callbacks, record]
    if on_epoch_end is not None:
        all_callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: on_epoch_end(e + 1, history)))
    if saved is not None and (history["stop_reason"] == "patience" or history["epochs_run"] >= history["max_epochs"]
                              or over_budget()):   # a finished run resumed, or no time left
        if saved["best_weights"]:
            model.set_weights(saved["best_weights"])
        if history["stop_reason"] != "patience":
            history["stop_reason"] = "time" if over_budget() else "max_epochs"
    else:
        try:
            model.fit(batches, epochs=history["max_epochs"], initial_epoch=history["epochs_run"],
                      steps_per_epoch=steps, shuffle=False, callbacks=all_callbacks, verbose=int(progress_bar))
        except TrainingDivergedError as error:
            history["stop_reason"], history["seconds"] = "diverged", clock()
            error.history = history                    # the epochs that finished, for a caller that keeps them
            before_validation()                        # the kept weights, as they are evaluated
            raise
    before_validation()                                # the restored best epoch's: what its validation used
    history["seconds"] = clock()
    if history_file is not None:
        write_json(history_file, history)
    return history


def _resume(path: Path, model, history: dict, state_variables, fix: str, settings_fix: str, check_resumed,
            verbose: bool) -> dict:
    """Load checkpoint ``path`` into ``model`` and ``history`` (:func:`load_checkpoint`); its state."""
    state = load_checkpoint(path, model, history["settings"], state_variables, fix, settings_fix)
    saved = state["history"]
    if check_resumed is not None:
        check_resumed(saved)
    history.update({k: saved[k] for k in _KEPT}, seconds=float(saved.get("seconds", 0.0)))
    history.update({k: saved.get(k) for k, v in history.items() if v is None and k not in _KEPT})
    history["resumed_at_epochs"].append(history["epochs_run"])
    if state["done"]:
        history["max_epochs"] = saved["max_epochs"]
    if verbose:
        spent = f", {saved['seconds']:.1f} s spent" if "seconds" in saved else ""
        print(f"resumed from {path} after epoch {history['epochs_run']}{spent}"
              + (" (that run had finished)" if state["done"] else ""), flush=True)
    return state
