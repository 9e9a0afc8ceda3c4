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

import contextlib
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .atomic import atomic_write, remove_stale_temps, write_json
from .checks import check_binary, check_int, check_nonnegative_float, check_positive_float, check_seed
from .errors import MadeError, UserInputError
from .evaluate import evaluate_nll
from .losses import bernoulli_nll
from .model import ENSEMBLES

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adagrad": 1e-2, "adagrad-paper": 1e-2}
_CHECKPOINT_VERSION = 1


class TrainingDivergedError(MadeError, FloatingPointError):
    """The training loss became NaN or infinite."""


# --------------------------------------------------------------------------- small helpers
def check_learning_rate(learning_rate, name: str = "learning_rate") -> float:
    """``learning_rate`` as a float if it is positive and a normal float32 (the optimizer's precision).

    ``1e-300`` would become 0.0 in float32 and train nothing; ``1e39`` would become inf.
    """
    lr = check_positive_float(name, learning_rate)
    low, high = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)
    if not low <= lr <= high:
        with np.errstate(over="ignore", under="ignore"):
            as_float32 = float(np.float32(lr))
        raise ValueError(f"{name} {lr:g} is {as_float32:g} in float32, the optimizer's precision: "
                         f"give a value in {low:.3g}..{high:.3g} (typical: 1e-4 to 1e-2)")
    return lr


def make_optimizer(name: str = "adam", learning_rate: float | None = None) -> keras.optimizers.Optimizer:
    """``"adam"``, ``"adagrad"`` or ``"adagrad-paper"`` with ``learning_rate`` (default 1e-3 / 1e-2 / 1e-2).

    ``"adagrad"`` is Keras' AdaGrad (accumulator starts at 0.1, eps 1e-7). ``"adagrad-paper"``
    is the update of the MADE authors' code (``MADE/update_rules.py``): the accumulator of
    squared gradients starts at 0 and the step is ``lr * g / sqrt(acc + 1e-6)``, which is
    Keras' AdaGrad with ``initial_accumulator_value=0`` and ``epsilon=1e-6``.
    """
    if name not in DEFAULT_LEARNING_RATES:
        raise ValueError(f"optimizer must be one of {tuple(DEFAULT_LEARNING_RATES)}, got {name!r}")
    lr = DEFAULT_LEARNING_RATES[name] if learning_rate is None else learning_rate
    lr = check_learning_rate(lr)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=float(lr))
    if name == "adagrad-paper":
        return keras.optimizers.Adagrad(learning_rate=float(lr), initial_accumulator_value=0.0, epsilon=1e-6)
    return keras.optimizers.Adagrad(learning_rate=float(lr))


def _as_data(x, name: str, input_dim: int) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if x.ndim != 2 or x.shape[1] != input_dim or len(x) == 0:
        raise ValueError(f"{name} must have shape (N, {input_dim}) with N >= 1, got {x.shape}")
    check_binary(x, name)
    return x


def _fingerprint(x: np.ndarray) -> str:
    return hashlib.sha256(np.packbits(x.astype(np.uint8), axis=1).tobytes()).hexdigest()[:16]


def save_history(history: dict, path: str | os.PathLike) -> None:
    """Write a history dict as JSON, atomically (:func:`~made_helpers.atomic.write_json`)."""
    write_json(path, history)


def load_history(path: str | os.PathLike) -> dict:
    """Read a history JSON written by :func:`train`."""
    return json.loads(Path(path).read_text())


# --------------------------------------------------------------------------- checkpoints
def _random_states(model) -> list:
    """Variables outside ``model.weights`` that a resumed run needs: the dropout layers' seed states."""
    return [layer.seed_generator.state for layer in getattr(model, "dropout_layers", [])]


def _save_checkpoint(path: Path, model, optimizer, best_weights, state: dict) -> None:
    arrays = {f"model_{i}": np.asarray(v) for i, v in enumerate(model.get_weights())}
    arrays.update({f"opt_{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    arrays.update({f"best_{i}": np.asarray(w) for i, w in enumerate(best_weights or [])})
    arrays.update({f"rngstate_{i}": np.asarray(v.numpy()) for i, v in enumerate(_random_states(model))})
    arrays["state"] = np.array(json.dumps(state))
    atomic_write(path, lambda f: np.savez(f, **arrays))


_NOT_RESUMABLE = ("so the run cannot be resumed: start it again (CLI: the same `made train` command with "
                  "--overwrite, which replaces the run) or choose another folder")


def _checkpoint_state(z, path: Path) -> dict:
    state = json.loads(str(z["state"]))
    if state.get("version") != _CHECKPOINT_VERSION:
        raise UserInputError(f"{path}: checkpoint format version {state.get('version')!r}, this made_helpers "
                             f"reads version {_CHECKPOINT_VERSION}, {_NOT_RESUMABLE}")
    return state


@contextlib.contextmanager
def _reading_checkpoint(path: Path):
    """Any error while reading checkpoint ``path`` becomes one ``ValueError`` saying the run cannot be resumed."""
    try:
        yield
    except Exception as e:
        if isinstance(e, ValueError) and str(e).startswith(str(path)):
            raise                                   # already says which checkpoint and what to do
        raise UserInputError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e}), {_NOT_RESUMABLE}") from e


def read_checkpoint_state(path: str | os.PathLike) -> dict:
    """The ``state`` record of a checkpoint (settings, epoch, history ...), without loading any weights.

    A damaged checkpoint, or one of another format version, raises a one-line ``ValueError``.
    """
    path = Path(path)
    with _reading_checkpoint(path), np.load(path, allow_pickle=False) as z:
        return _checkpoint_state(z, path)


def _load_checkpoint(path: Path, model, optimizer, settings: dict | None = None) -> tuple[list[np.ndarray], dict]:
    """Restore model and optimizer variables in place; returns ``(best_weights, state)``.

    With ``settings``, the checkpoint's settings are compared first: a difference raises
    ``ValueError`` listing it, before any weight is read into the model. A damaged checkpoint
    (truncated, of another version, an array missing) raises a ``ValueError`` saying so and
    that the run cannot be resumed.
    """
    with _reading_checkpoint(path), np.load(path, allow_pickle=False) as z:
        state = _checkpoint_state(z, path)
        if settings is not None:
            diff = _settings_diff(state.get("settings", {}), settings)
            if diff:
                raise UserInputError(f"{path}: cannot resume, the settings differ: " + "; ".join(diff)
                                     + " (resume with the run's settings, or choose another --out)")
        model_w = [z[f"model_{i}"] for i in range(len(model.weights))]
        opt_w = [z[f"opt_{i}"] for i in range(len(optimizer.variables))]
        best = [z[f"best_{i}"] for i in range(len(model.trainable_variables))] if "best_0" in z.files else []
        rng_states = [z[f"rngstate_{i}"] for i in range(len(_random_states(model))) if f"rngstate_{i}" in z.files]
    model.set_weights(model_w)
    for var, value in zip(_random_states(model), rng_states):
        var.assign(value)
    for var, value in zip(optimizer.variables, opt_w):
        var.assign(value)
    return best, state


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


# --------------------------------------------------------------------------- learning-rate schedules
LR_SCHEDULES = ("constant", "step", "cosine", "plateau")


class LearningRateSchedule:
    """The learning rate of each epoch, set on the host before the epoch starts.

    * ``"constant"``: ``lr`` throughout.
    * ``"step"``: ``lr * factor**m`` in epoch ``e`` (1-based), ``m`` = milestones ``<= e``
      (``milestones=[45]``: epochs 1..44 at ``lr``, 45 on at ``lr * factor``).
    * ``"cosine"``: ``lr * (1 + cos(pi * (e - 1) / T)) / 2`` for ``e <= T = cosine_epochs``,
      then the value of epoch ``T``.
    * ``"plateau"``: ``lr`` times ``factor`` each time the validation NLL has not improved
      for ``plateau_patience`` epochs (the counter restarts after each cut).

    The plateau counter lives in :attr:`state` and is saved in checkpoints.
    """

    def __init__(self, kind: str, lr: float, milestones=(), factor: float = 0.1,
                 plateau_patience: int = 10, cosine_epochs: int | None = None):
        if kind not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {kind!r}")
        self.kind, self.lr = kind, float(lr)
        self.milestones = sorted(check_int("lr_milestones", m, low=1, type_error=ValueError) for m in milestones)
        repeated = sorted({m for m in self.milestones if self.milestones.count(m) > 1})
        if repeated:
            raise ValueError(f"lr_milestones repeats epoch(s) {repeated}: each would cut the rate once more; "
                             f"give each milestone once")
        if kind == "step" and not self.milestones:
            raise ValueError("lr_schedule='step' needs lr_milestones, e.g. [45]")
        self.factor = check_positive_float("lr_factor", factor)
        if self.factor >= 1:
            raise ValueError(f"lr_factor must be below 1, got {factor!r}")
        self.plateau_patience = check_int("lr_patience", plateau_patience, low=1, type_error=ValueError)
        self.cosine_epochs = (None if cosine_epochs is None
                              else check_int("cosine_epochs", cosine_epochs, low=1, type_error=ValueError))
        self.state = {"cuts": 0, "wait": 0}

    def settings(self) -> dict:
        """What defines the schedule (compared on resume)."""
        out = {"lr_schedule": self.kind}
        if self.kind == "step":
            out.update(lr_milestones=self.milestones, lr_factor=self.factor)
        elif self.kind == "plateau":
            out.update(lr_factor=self.factor, lr_patience=self.plateau_patience)
        elif self.kind == "cosine":
            out.update(cosine_epochs=self.cosine_epochs)
        return out

    def rate(self, epoch: int) -> float:
        """The learning rate of ``epoch`` (1-based)."""
        if self.kind == "step":
            return self.lr * self.factor ** sum(m <= epoch for m in self.milestones)
        if self.kind == "cosine":
            e = min(epoch, self.cosine_epochs)
            return self.lr * 0.5 * (1.0 + math.cos(math.pi * (e - 1) / self.cosine_epochs))
        if self.kind == "plateau":
            return self.lr * self.factor ** self.state["cuts"]
        return self.lr

    def after_epoch(self, improved: bool) -> None:
        """Update the plateau counter with the epoch's validation result."""
        if self.kind != "plateau":
            return
        self.state["wait"] = 0 if improved else self.state["wait"] + 1
        if self.state["wait"] >= self.plateau_patience:
            self.state["cuts"] += 1
            self.state["wait"] = 0


# --------------------------------------------------------------------------- the compiled step
def kernel_l2(model) -> tf.Tensor:
    """``sum ||W||^2`` over every kernel of ``model`` (hidden, output, direct); biases excluded."""
    return tf.add_n([tf.reduce_sum(tf.square(layer.kernel)) for layer in model.masked_layers])


def make_train_step(model, opt, weight_decay: float = 0.0, in_graph_masks: bool = False,
                    jit_compile: bool = True):
    """``(step(x (B, D), k ()), total)``: one compiled minibatch update, and the running NLL sum.

    The loss is the mean Bernoulli NLL (nats per image, computed in float32 also under a
    mixed-precision policy) plus ``weight_decay * sum ||W||^2`` over the kernels (an L2
    penalty: it acts the same under Adam and AdaGrad). ``total`` accumulates the NLL
    part times the batch size. With ``in_graph_masks`` the step first switches to mask
    ``k`` with :meth:`MADE.select_mask` (no host round trip); otherwise ``k`` is ignored.
    """
    total = tf.Variable(0.0, dtype=tf.float64, trainable=False)
    variables = model.trainable_variables
    with np.errstate(over="ignore"):          # a decay beyond float32 is inf: the run diverges and says why
        decay = np.float32(weight_decay)

    def step(x, k):
        if in_graph_masks:
            model.select_mask(k)
        with tf.GradientTape() as tape:
            nll = tf.reduce_mean(bernoulli_nll(x, tf.cast(model(x, training=True), tf.float32)))
            loss = nll + kernel_l2(model) * decay if weight_decay else nll
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        total.assign_add(tf.cast(nll, tf.float64) * tf.cast(tf.shape(x)[0], tf.float64))
        return nll

    # XLA on CPU draws random numbers about 10x slower than TensorFlow's kernels (measured: 646 vs
    # 63 ms per 784-4000-784 step with dropout 0.3), so a model with dropout is not XLA-compiled.
    jit = bool(jit_compile) and not getattr(model, "dropout", 0.0)
    step_fn = tf.function(step, jit_compile=jit,
                          input_signature=[tf.TensorSpec([None, model.input_dim], tf.float32),
                                           tf.TensorSpec([], tf.int32)])
    return step_fn, total


def _weight_decay_cause(model, weight_decay: float) -> str | None:
    """Why the L2 term is the likely cause of a divergence, or None.

    At the model's (last good) weights the term ``weight_decay * sum ||W||^2`` is evaluated in
    float32, as in the step: when it is not finite, or larger than ``D log 2`` (the NLL of a
    model that says 1/2 for every pixel, more than any trained MADE's), it swamps the NLL.
    """
    if not weight_decay:
        return None
    l2 = float(sum(np.sum(np.square(layer.kernel.numpy(), dtype=np.float64)) for layer in model.masked_layers))
    with np.errstate(over="ignore", invalid="ignore"):
        term = float(np.float32(weight_decay) * np.float32(l2))
    bound = model.input_dim * math.log(2.0)
    if math.isfinite(term) and term <= bound:
        return None
    return (f"its L2 term weight_decay * sum W^2 is {term:.3g} in float32 at the last good weights"
            + ("" if not math.isfinite(term) else f", more than the {bound:.0f} nats of a uniform model"))


# --------------------------------------------------------------------------- resuming and reporting
_HISTORY_KEYS = ("train_nll", "valid_nll", "epoch_seconds", "train_seconds", "learning_rate", "best_epoch",
                 "best_valid_nll", "epochs_run", "stop_reason", "resumed_at_epochs")


def _resume(ckpt: Path, model, opt, settings: dict, history: dict, rng, schedule, data, verbose):
    """Load ``ckpt`` into the model, optimizer, generator, schedule and history; ``(best, wait, done)``."""
    best_weights, state = _load_checkpoint(ckpt, model, opt, settings)
    rng.bit_generator.state = state["rng"]
    schedule.state.update(state.get("schedule", {}))
    saved = state["history"]
    history.update({k: saved[k] for k in _HISTORY_KEYS if k in saved})
    if data is None:
        history["data"] = saved.get("data")
    history["resumed_at_epochs"].append(history["epochs_run"])
    if state["done"]:
        history["max_epochs"] = saved["max_epochs"]
    if verbose:
        print(f"resumed from {ckpt} after epoch {history['epochs_run']}"
              + (" (that run had finished)" if state["done"] else ""), flush=True)
    return best_weights, state["wait"], state["done"]


def _print_epoch(verbose: int, bar, epoch: int, epochs: int, steps: int, history: dict, improved: bool) -> None:
    train_nll, valid_nll = history["train_nll"][-1], history["valid_nll"][-1]
    if verbose == 1:
        bar.update(steps, values=[("nll", train_nll), ("valid_nll", valid_nll)], finalize=True)
    elif verbose == 2:
        print(f"epoch {epoch}/{epochs}: train NLL {train_nll:.3f}, valid NLL {valid_nll:.3f} nats "
              f"(lr {history['learning_rate'][-1]:.3g}, {history['epoch_seconds'][-1]:.1f} s)"
              f"{'  *best*' if improved else ''}", flush=True)


# --------------------------------------------------------------------------- the loop
def train(model, x_train, x_valid, epochs: int = 100, batch_size: int = 100, optimizer: str = "adam",
          learning_rate: float | None = None, patience: int = 30, resample_masks: bool = True,
          valid_masks: int | None = None, checkpoint_dir: str | os.PathLike | None = None,
          resume: bool = False, seed: int = 0, verbose: int = 1,
          on_epoch_end: Callable[[int, dict], None] | None = None, data: dict | None = None,
          jit_compile: bool = True, valid_batch_size: int = 10_000, weight_decay: float = 0.0,
          lr_schedule: str = "constant", lr_milestones=(), lr_factor: float = 0.1, lr_patience: int = 10,
          cosine_epochs: int | None = None, in_graph_masks: bool = True,
          valid_ensemble: str = "mixture") -> dict:
    """Train ``model`` on binary ``x_train`` ``(N, D)`` with early stopping on ``x_valid`` ``(M, D)``.

    Args:
        epochs: maximum number of epochs (a resumed run may raise it).
        batch_size: minibatch size; the last, smaller minibatch of an epoch is kept.
        optimizer: ``"adam"``, ``"adagrad"`` (Keras' AdaGrad) or ``"adagrad-paper"`` (the MADE
            code's: accumulator from 0, eps 1e-6); ``learning_rate`` defaults to 1e-3 / 1e-2 / 1e-2.
        patience: stop after this many epochs without a lower validation NLL.
        resample_masks: for ``model.num_masks > 1``, draw a mask per minibatch
            (otherwise mask 0 is used throughout).
        valid_masks: masks in the validation ensemble (``None``: all ``model.num_masks``).
        valid_ensemble: ``"mixture"`` or ``"conditionals"`` (see :meth:`MADE.log_prob`).
        checkpoint_dir: folder for ``checkpoint.npz`` and ``history.json`` (``None``: no files).
        resume: continue from ``checkpoint_dir/checkpoint.npz`` (settings must match;
            ``epochs`` may differ). Without it an existing checkpoint is an error.
        seed: seeds the shuffling and mask choice (weights are initialised by the model).
        verbose: 0 silent, 1 a progress bar with the running NLL, 2 one line per epoch.
        on_epoch_end: ``f(epoch, history)`` called after each epoch's checkpoint is written.
        data: a description of the data (e.g. ``DataInfo.to_dict()``), stored in the history.
        jit_compile: compile the step with XLA (not for a model with dropout: see
            :func:`make_train_step`).
        weight_decay: L2 penalty ``weight_decay * sum ||W||^2`` on the kernels, added to the
            mean NLL (0: none).
        lr_schedule, lr_milestones, lr_factor, lr_patience, cosine_epochs: the learning-rate
            schedule, see :class:`LearningRateSchedule` (``cosine_epochs`` defaults to ``epochs``).
        in_graph_masks: switch masks inside the compiled step (:meth:`MADE.select_mask`)
            instead of assigning numpy masks from the host; same masks, same results.

    Returns:
        history dict: ``train_nll`` (mean minibatch NLL per epoch, under the masks used, dropout
        active), ``valid_nll`` (ensemble over ``valid_masks``), ``learning_rate`` (per epoch),
        ``epoch_seconds`` (wall time per epoch, validation included), ``train_seconds`` (the
        minibatch steps only), ``best_epoch`` (1-based), ``best_valid_nll``, ``epochs_run``,
        ``stop_reason`` (``"patience"`` or ``"max_epochs"``), ``settings``, ``data``. All NLLs
        in nats per image.
    """
    epochs = check_int("epochs", epochs, low=1, type_error=ValueError)
    batch_size = check_int("batch_size", batch_size, low=1, type_error=ValueError)
    patience = check_int("patience", patience, low=1, type_error=ValueError)
    check_seed("seed", seed, type_error=ValueError)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    weight_decay = check_nonnegative_float("weight_decay", weight_decay)
    if valid_ensemble not in ENSEMBLES:
        raise ValueError(f"valid_ensemble must be one of {ENSEMBLES}, got {valid_ensemble!r}")
    x_train = _as_data(x_train, "x_train", model.input_dim)
    x_valid = _as_data(x_valid, "x_valid", model.input_dim)
    k_valid = model.num_masks if valid_masks is None else valid_masks
    k_valid = check_int("valid_masks", k_valid, 1, model.num_masks, type_error=ValueError)
    if valid_ensemble == "conditionals":      # refused now, not after a whole epoch
        model.check_shared_ordering(int(k_valid), what=f"valid_ensemble='conditionals' over {k_valid} masks")
    opt = make_optimizer(optimizer, learning_rate)
    opt.build(model.trainable_variables)
    schedule = LearningRateSchedule(lr_schedule, float(opt.learning_rate.numpy()), lr_milestones, lr_factor,
                                    lr_patience, epochs if cosine_epochs is None else cosine_epochs)
    cycle_masks = bool(resample_masks) and model.num_masks > 1

    settings = {
        "model": model.get_config(), "n_train": len(x_train), "n_valid": len(x_valid),
        "train_fingerprint": _fingerprint(x_train), "valid_fingerprint": _fingerprint(x_valid),
        "batch_size": batch_size, "optimizer": optimizer, "learning_rate": schedule.lr,
        "patience": patience, "resample_masks": cycle_masks, "valid_masks": int(k_valid), "seed": int(seed),
        "weight_decay": float(weight_decay), "valid_ensemble": valid_ensemble, **schedule.settings(),
    }
    settings["model"].pop("name", None)

    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    ckpt = ckpt_dir / CHECKPOINT_FILE if ckpt_dir is not None else None
    rng = np.random.default_rng(seed)
    history = {"train_nll": [], "valid_nll": [], "learning_rate": [], "epoch_seconds": [], "train_seconds": [],
               "best_epoch": 0, "best_valid_nll": None, "epochs_run": 0, "stop_reason": None,
               "max_epochs": epochs, "valid_masks": int(k_valid), "settings": settings,
               "data": data, "resumed_at_epochs": []}
    start_mask = model.current_mask
    best_weights: list[np.ndarray] = []
    wait, done = 0, False
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        for name in (CHECKPOINT_FILE, HISTORY_FILE):      # temp files of a writer killed mid-write
            remove_stale_temps(ckpt_dir / name)
        if ckpt.exists():
            if not resume:
                raise FileExistsError(f"{ckpt} exists: pass resume=True (CLI: --resume) to continue that run, "
                                      f"or choose another checkpoint folder")
            best_weights, wait, done = _resume(ckpt, model, opt, settings, history, rng, schedule, data, verbose)
        elif resume and verbose:
            print(f"no checkpoint in {ckpt_dir} yet: starting a new run", flush=True)
    initial_trainable = [v.numpy() for v in model.trainable_variables]

    in_graph = cycle_masks and in_graph_masks
    step_fn, total = make_train_step(model, opt, float(weight_decay), in_graph, jit_compile)
    variables = model.trainable_variables
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
        cause = _weight_decay_cause(model, weight_decay)
        fix = (f"Lower the weight decay (now {weight_decay:g}): {cause}" if cause else
               f"Lower the learning rate (now {float(opt.learning_rate.numpy()):g})")
        raise TrainingDivergedError(
            f"training stopped: the loss became {value} in epoch {epoch}, step {step_i}/{steps}; "
            f"the model holds the best weights so far; {kept}. {fix}, and start a new run.")

    epoch = history["epochs_run"]
    no_mask = tf.constant(0, tf.int32)
    while not done and epoch < epochs:
        epoch += 1
        t0 = time.perf_counter()
        opt.learning_rate.assign(schedule.rate(epoch))
        bar = None
        if verbose == 1:
            print(f"Epoch {epoch}/{epochs}", flush=True)
            bar = keras.utils.Progbar(steps, stateful_metrics=["nll", "valid_nll"], unit_name="batch")
        order = rng.permutation(n)
        total.assign(0.0)
        seen = 0
        report_every = max(1, steps // 50)
        for s in range(steps):
            idx = order[s * batch_size:(s + 1) * batch_size]
            k = no_mask
            if cycle_masks:
                k = int(rng.integers(model.num_masks))
                if in_graph:
                    k = tf.constant(k, tf.int32)
                else:
                    model.set_mask(k)
                    k = no_mask
            step_fn(tf.constant(x_train[np.sort(idx)]), k)
            seen += len(idx)
            if (s + 1) % report_every == 0 or s + 1 == steps:
                running = float(total.numpy()) / seen
                if not math.isfinite(running):
                    stop_diverged(epoch, s + 1, running)
                if bar is not None and s + 1 < steps:
                    bar.update(s + 1, values=[("nll", running)])
        train_seconds = time.perf_counter() - t0
        if cycle_masks:
            model.set_mask(start_mask)
        with np.errstate(over="ignore", invalid="ignore"):     # a diverged model: reported just below
            valid_nll, _ = evaluate_nll(model, x_valid, num_masks=int(k_valid), batch_size=valid_batch_size,
                                        ensemble=valid_ensemble)
        if not math.isfinite(valid_nll):
            stop_diverged(epoch, steps, valid_nll)

        history["train_nll"].append(float(total.numpy()) / n)
        history["valid_nll"].append(valid_nll)
        history["learning_rate"].append(float(opt.learning_rate.numpy()))
        history["epoch_seconds"].append(time.perf_counter() - t0)
        history["train_seconds"].append(train_seconds)
        history["epochs_run"] = epoch
        improved = history["best_valid_nll"] is None or valid_nll < history["best_valid_nll"]
        if improved:
            history["best_valid_nll"], history["best_epoch"], wait = valid_nll, epoch, 0
            best_weights = [v.numpy() for v in variables]
        else:
            wait += 1
        schedule.after_epoch(improved)
        if wait >= patience:
            done, history["stop_reason"] = True, "patience"
        elif epoch >= epochs:
            history["stop_reason"] = "max_epochs"

        _print_epoch(verbose, bar, epoch, epochs, steps, history, improved)
        if ckpt is not None:
            state = {"version": _CHECKPOINT_VERSION, "settings": settings, "rng": rng.bit_generator.state,
                     "wait": wait, "done": done, "schedule": schedule.state, "history": history}
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
