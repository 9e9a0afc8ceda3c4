"""Training loop for :class:`~made_helpers.MADE`: compiled step, mask resampling, early stopping,
atomic checkpoints and exact resumption.

* One compiled step (``tf.function``) per minibatch: mean Bernoulli NLL, gradients, Adam/AdaGrad.
* ``num_masks = K > 1``: before every minibatch a mask ``k`` is drawn uniformly from ``0..K-1``
  with the run's seeded generator and set with ``model.set_mask(k)`` (masks are variables, so
  the compiled step is not retraced): order- and connectivity-agnostic training.
* Validation NLL after every epoch: the mixture over masks ``0..valid_masks-1`` (default: all K),
  ``p(x) = 1/K sum_k p_k(x)``, the quantity reported on the test set.
* Early stopping on the validation NLL with ``patience``; the best epoch's weights are restored.
* ``checkpoint_dir``: after every epoch ``checkpoint.npz`` (weights, optimizer state, generator
  state, epoch, best weights, patience counter, history) and ``history.json`` are written
  atomically (temporary file + ``os.replace``). ``resume=True`` continues from it and ends
  with the same weights as an uninterrupted run with the same seed.
* A NaN/inf loss stops the run with :class:`TrainingDivergedError`; the last good checkpoint is kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .evaluate import evaluate_nll
from .losses import bernoulli_nll, check_binary

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adagrad": 1e-2}
_CHECKPOINT_VERSION = 1


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


# --------------------------------------------------------------------------- small helpers
def make_optimizer(name: str = "adam", learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """``"adam"`` or ``"adagrad"`` with ``learning_rate`` (default 1e-3 / 1e-2)."""
    if name not in DEFAULT_LEARNING_RATES:
        raise ValueError(f"optimizer must be one of {tuple(DEFAULT_LEARNING_RATES)}, got {name!r}")
    lr = DEFAULT_LEARNING_RATES[name] if learning_rate is None else learning_rate
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=float(lr))
    return keras.optimizers.Adagrad(learning_rate=float(lr))


def _positive_int(name: str, value, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _as_data(x, name: str, input_dim: int) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if x.ndim != 2 or x.shape[1] != input_dim or len(x) == 0:
        raise ValueError(f"{name} must have shape (N, {input_dim}) with N >= 1, got {x.shape}")
    check_binary(x, name)
    return x


def _fingerprint(x: np.ndarray) -> str:
    return hashlib.sha256(np.packbits(x.astype(np.uint8), axis=1).tobytes()).hexdigest()[:16]


def _atomic_write(path: Path, write: Callable) -> None:
    """Write ``path`` through a temporary file in the same folder, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_history(history: dict, path: str | os.PathLike) -> None:
    """Write a history dict as JSON, atomically."""
    text = json.dumps(history, indent=1).encode()
    _atomic_write(Path(path), lambda f: f.write(text))


def load_history(path: str | os.PathLike) -> dict:
    """Read a history JSON written by :func:`train`."""
    return json.loads(Path(path).read_text())


# --------------------------------------------------------------------------- checkpoints
def _save_checkpoint(path: Path, model, optimizer, best_weights, state: dict) -> None:
    arrays = {f"model_{i}": np.asarray(v) for i, v in enumerate(model.get_weights())}
    arrays.update({f"opt_{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    arrays.update({f"best_{i}": np.asarray(w) for i, w in enumerate(best_weights or [])})
    arrays["state"] = np.array(json.dumps(state))
    _atomic_write(path, lambda f: np.savez(f, **arrays))


def _load_checkpoint(path: Path, model, optimizer) -> tuple[list[np.ndarray], dict]:
    """Restore model and optimizer variables in place; returns ``(best_weights, state)``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            state = json.loads(str(z["state"]))
            model_w = [z[f"model_{i}"] for i in range(len(model.weights))]
            opt_w = [z[f"opt_{i}"] for i in range(len(optimizer.variables))]
            best = [z[f"best_{i}"] for i in range(len(model.trainable_variables))] if "best_0" in z.files else []
    except Exception as e:
        raise ValueError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e})") from e
    if state.get("version") != _CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {state.get('version')} != {_CHECKPOINT_VERSION}")
    model.set_weights(model_w)
    for var, value in zip(optimizer.variables, opt_w):
        var.assign(value)
    return best, state


def _settings_diff(saved: dict, now: dict) -> list[str]:
    keys = sorted(set(saved) | set(now))
    return [f"{k}: checkpoint {saved.get(k)!r} vs now {now.get(k)!r}" for k in keys if saved.get(k) != now.get(k)]


# --------------------------------------------------------------------------- the loop
def train(model, x_train, x_valid, epochs: int = 100, batch_size: int = 100, optimizer: str = "adam",
          learning_rate: float | None = None, patience: int = 30, resample_masks: bool = True,
          valid_masks: int | None = None, checkpoint_dir: str | os.PathLike | None = None,
          resume: bool = False, seed: int = 0, verbose: int = 1,
          on_epoch_end: Callable[[int, dict], None] | None = None, data: dict | None = None,
          jit_compile: bool = True, valid_batch_size: int = 10_000) -> dict:
    """Train ``model`` on binary ``x_train`` ``(N, D)`` with early stopping on ``x_valid`` ``(M, D)``.

    Args:
        epochs: maximum number of epochs (a resumed run may raise it).
        batch_size: minibatch size; the last, smaller minibatch of an epoch is kept.
        optimizer: ``"adam"`` or ``"adagrad"``; ``learning_rate`` defaults to 1e-3 / 1e-2.
        patience: stop after this many epochs without a lower validation NLL.
        resample_masks: for ``model.num_masks > 1``, draw a mask per minibatch
            (otherwise mask 0 is used throughout).
        valid_masks: masks in the validation mixture (``None``: all ``model.num_masks``).
        checkpoint_dir: folder for ``checkpoint.npz`` and ``history.json`` (``None``: no files).
        resume: continue from ``checkpoint_dir/checkpoint.npz`` (settings must match;
            ``epochs`` may differ). Without it an existing checkpoint is an error.
        seed: seeds the shuffling and mask choice (weights are initialised by the model).
        verbose: 0 silent, 1 a progress bar with the running NLL, 2 one line per epoch.
        on_epoch_end: ``f(epoch, history)`` called after each epoch's checkpoint is written.
        data: a description of the data (e.g. ``DataInfo.to_dict()``), stored in the history.
        jit_compile: compile the step with XLA.

    Returns:
        history dict: ``train_nll`` (mean minibatch NLL per epoch, under the masks used),
        ``valid_nll`` (mixture over ``valid_masks``), ``epoch_seconds`` (wall time per epoch,
        validation included), ``train_seconds`` (the minibatch steps only), ``best_epoch``
        (1-based), ``best_valid_nll``, ``epochs_run``, ``stop_reason`` (``"patience"`` or
        ``"max_epochs"``), ``settings``, ``data``. All NLLs in nats per image.
    """
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    patience = _positive_int("patience", patience)
    _positive_int("seed", seed, allow_zero=True)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    x_train = _as_data(x_train, "x_train", model.input_dim)
    x_valid = _as_data(x_valid, "x_valid", model.input_dim)
    k_valid = model.num_masks if valid_masks is None else valid_masks
    if isinstance(k_valid, bool) or not isinstance(k_valid, (int, np.integer)) or not 1 <= k_valid <= model.num_masks:
        raise ValueError(f"valid_masks must be an integer in 1..{model.num_masks}, got {valid_masks!r}")
    opt = make_optimizer(optimizer, learning_rate)
    opt.build(model.trainable_variables)
    cycle_masks = bool(resample_masks) and model.num_masks > 1

    settings = {
        "model": model.get_config(), "n_train": len(x_train), "n_valid": len(x_valid),
        "train_fingerprint": _fingerprint(x_train), "valid_fingerprint": _fingerprint(x_valid),
        "batch_size": batch_size, "optimizer": optimizer, "learning_rate": float(opt.learning_rate.numpy()),
        "patience": patience, "resample_masks": cycle_masks, "valid_masks": int(k_valid), "seed": int(seed),
    }
    settings["model"].pop("name", None)

    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    ckpt = ckpt_dir / CHECKPOINT_FILE if ckpt_dir is not None else None
    rng = np.random.default_rng(seed)
    history = {"train_nll": [], "valid_nll": [], "epoch_seconds": [], "train_seconds": [],
               "best_epoch": 0, "best_valid_nll": None, "epochs_run": 0, "stop_reason": None,
               "max_epochs": epochs, "valid_masks": int(k_valid), "settings": settings,
               "data": data, "resumed_at_epochs": []}
    start_mask = model.current_mask
    best_weights: list[np.ndarray] = []
    wait, done = 0, False
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        if ckpt.exists():
            if not resume:
                raise FileExistsError(f"{ckpt} exists: pass resume=True (CLI: --resume) to continue that run, "
                                      f"or choose another checkpoint folder")
            best_weights, state = _load_checkpoint(ckpt, model, opt)
            diff = _settings_diff(state["settings"], settings)
            if diff:
                raise ValueError(f"{ckpt}: cannot resume, the settings differ: " + "; ".join(diff))
            rng.bit_generator.state = state["rng"]
            wait, done = state["wait"], state["done"]
            saved = state["history"]
            history.update({k: saved[k] for k in ("train_nll", "valid_nll", "epoch_seconds", "train_seconds",
                                                  "best_epoch", "best_valid_nll", "epochs_run", "stop_reason",
                                                  "resumed_at_epochs")})
            if data is None:
                history["data"] = saved.get("data")
            history["resumed_at_epochs"].append(history["epochs_run"])
            if done:
                history["max_epochs"] = saved["max_epochs"]
            if verbose:
                print(f"resumed from {ckpt} after epoch {history['epochs_run']}"
                      + (" (that run had finished)" if done else ""), flush=True)
        elif resume and verbose:
            print(f"no checkpoint in {ckpt_dir} yet: starting a new run", flush=True)
    initial_trainable = [v.numpy() for v in model.trainable_variables]

    # ---------------------------------------------------------- the compiled step
    total = tf.Variable(0.0, dtype=tf.float64, trainable=False)
    variables = model.trainable_variables

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(bernoulli_nll(x, model(x, training=True)))
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        total.assign_add(tf.cast(loss, tf.float64) * tf.cast(tf.shape(x)[0], tf.float64))
        return loss

    step_fn = tf.function(step, jit_compile=jit_compile,
                          input_signature=[tf.TensorSpec([None, model.input_dim], tf.float32)])
    n = len(x_train)
    steps = math.ceil(n / batch_size)

    def restore(weights):
        for v, w in zip(variables, weights):
            v.assign(w)

    def stop_diverged(epoch, step_i, value):
        restore(best_weights or initial_trainable)
        model.set_mask(start_mask)
        kept = (f"the last good checkpoint {ckpt} (after epoch {history['epochs_run']}) is kept"
                if ckpt is not None and ckpt.exists() else "no checkpoint was written")
        raise TrainingDivergedError(
            f"training stopped: the loss became {value} in epoch {epoch}, step {step_i}/{steps}; "
            f"the model holds the best weights so far; {kept}. Lower the learning rate "
            f"(now {settings['learning_rate']:g}) and start a new run.")

    epoch = history["epochs_run"]
    while not done and epoch < epochs:
        epoch += 1
        t0 = time.perf_counter()
        if verbose == 1:
            print(f"Epoch {epoch}/{epochs}", flush=True)
            bar = keras.utils.Progbar(steps, stateful_metrics=["nll", "valid_nll"], unit_name="batch")
        order = rng.permutation(n)
        total.assign(0.0)
        seen = 0
        report_every = max(1, steps // 50)
        for s in range(steps):
            idx = order[s * batch_size:(s + 1) * batch_size]
            if cycle_masks:
                model.set_mask(int(rng.integers(model.num_masks)))
            step_fn(tf.constant(x_train[np.sort(idx)]))
            seen += len(idx)
            if (s + 1) % report_every == 0 or s + 1 == steps:
                running = float(total.numpy()) / seen
                if not math.isfinite(running):
                    stop_diverged(epoch, s + 1, running)
                if verbose == 1 and s + 1 < steps:
                    bar.update(s + 1, values=[("nll", running)])
        train_nll = float(total.numpy()) / n
        train_seconds = time.perf_counter() - t0
        if cycle_masks:
            model.set_mask(start_mask)
        valid_nll, _ = evaluate_nll(model, x_valid, num_masks=int(k_valid), batch_size=valid_batch_size)
        if not math.isfinite(valid_nll):
            stop_diverged(epoch, steps, valid_nll)
        seconds = time.perf_counter() - t0

        history["train_nll"].append(train_nll)
        history["valid_nll"].append(valid_nll)
        history["epoch_seconds"].append(seconds)
        history["train_seconds"].append(train_seconds)
        history["epochs_run"] = epoch
        if history["best_valid_nll"] is None or valid_nll < history["best_valid_nll"]:
            history["best_valid_nll"], history["best_epoch"], wait = valid_nll, epoch, 0
            best_weights = [v.numpy() for v in variables]
        else:
            wait += 1
        if wait >= patience:
            done, history["stop_reason"] = True, "patience"
        elif epoch >= epochs:
            history["stop_reason"] = "max_epochs"

        if verbose == 1:
            bar.update(steps, values=[("nll", train_nll), ("valid_nll", valid_nll)], finalize=True)
        elif verbose == 2:
            print(f"epoch {epoch}/{epochs}: train NLL {train_nll:.3f}, valid NLL {valid_nll:.3f} nats "
                  f"({seconds:.1f} s){'  *best*' if wait == 0 else ''}", flush=True)
        if ckpt is not None:
            state = {"version": _CHECKPOINT_VERSION, "settings": settings, "rng": rng.bit_generator.state,
                     "wait": wait, "done": done, "history": history}
            _save_checkpoint(ckpt, model, opt, best_weights, state)
            save_history(history, ckpt_dir / HISTORY_FILE)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)

    if best_weights:
        restore(best_weights)
    model.set_mask(start_mask)
    if verbose:
        reason = {"patience": f"no improvement for {patience} epochs", "max_epochs": "reached the maximum epochs"}
        print(f"stopped after epoch {history['epochs_run']} ({reason.get(history['stop_reason'], 'done')}); "
              f"restored the best epoch {history['best_epoch']}: valid NLL {history['best_valid_nll']:.3f} nats",
              file=sys.stdout, flush=True)
    if ckpt_dir is not None:
        save_history(history, ckpt_dir / HISTORY_FILE)
    return history
