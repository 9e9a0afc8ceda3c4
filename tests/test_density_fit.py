"""``fit_density`` (made_helpers.density.density_fit): batch norm validated the MAF authors' way, checkpoints and
resume; a diverged fit stops with the best weights kept; bad arguments are refused before any training; the
flows with batch norm or a MoG top learn a 2-D toy."""

from __future__ import annotations

import json
import math
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from conftest import X3, one_line

from made_helpers import MADE, MAF, GaussianMADE, RealNVP, fit_density
from made_helpers.core.train import TrainingDivergedError
from made_helpers.density import toy2d
from made_helpers.density.flows import Flow


def _data(n: int, seed: int) -> np.ndarray:
    """Rows far from N(0, I), so batch-norm statistics matter: ``(n, 4)`` float32."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 4)) * [1.0, 2.0, 3.0, 4.0] + [1.0, -2.0, 3.0, 0.5]).astype("float32")


def test_validation_uses_the_training_sets_batch_norm_statistics_not_the_running_averages(monkeypatch):
    """The recorded validation NLL of an epoch is the one under the whole training set's batch-norm statistics (the
    authors' ``set_batch_norm_stats``, as for the test), not under the running averages the training steps kept."""
    x_train, x_valid = _data(200, 0), _data(100, 1)
    model = MAF(4, [8], num_layers=2, seed=0, batch_norm=True)
    at_validation = []
    set_statistics = Flow.set_batch_norm_statistics

    def spy(self, x, batch_size=10_000):            # the epoch's weights, running averages included, before they go
        at_validation.append([v.numpy().copy() for v in self.weights])
        set_statistics(self, x, batch_size)

    monkeypatch.setattr(Flow, "set_batch_norm_statistics", spy)
    history = fit_density(model, x_train, x_valid, epochs=1, batch_size=20, verbose=False)
    assert at_validation, "fit_density never set the batch-norm statistics from the training set"
    epoch_one = MAF.from_config(model.get_config())
    for v, w in zip(epoch_one.weights, at_validation[0]):
        v.assign(w)
    running = -epoch_one.log_prob(x_valid).mean()
    set_statistics(epoch_one, x_train)
    with_training_statistics = -epoch_one.log_prob(x_valid).mean()
    assert history["valid_nll"][0] == pytest.approx(with_training_statistics, abs=1e-4)
    assert abs(running - with_training_statistics) > 0.01
    # the model fit_density returns holds the same statistics (the test's)
    np.testing.assert_allclose(-model.log_prob(x_valid).mean(), history["best_valid_nll"], atol=1e-4)


def test_a_resumed_run_counts_the_time_already_spent(tmp_path):
    """The time budget of a resumed run includes the seconds before the interruption: with none left, no epoch runs
    and the stop reason is the budget."""
    x_train, x_valid = _data(100, 0), _data(50, 1)
    path = tmp_path / "run.checkpoint.npz"
    first = fit_density(MAF(4, [8], num_layers=2, seed=0, batch_norm=True), x_train, x_valid, epochs=1,
                        batch_size=20, verbose=False, checkpoint=path)
    with pytest.raises(ValueError, match="exists: pass resume=True"):
        fit_density(MAF(4, [8], num_layers=2, seed=0, batch_norm=True), x_train, x_valid, epochs=3,
                    batch_size=20, verbose=False, checkpoint=path)
    again = fit_density(MAF(4, [8], num_layers=2, seed=0, batch_norm=True), x_train, x_valid, epochs=3,
                        batch_size=20, verbose=False, checkpoint=path, resume=True, max_seconds=first["seconds"] / 2)
    assert again["stop_reason"] == "time" and again["valid_nll"] == first["valid_nll"]
    with np.load(path) as saved:                        # the seconds spent up to the checkpoint of epoch 1
        spent = json.loads(str(saved["state"]))["history"]["seconds"]
    assert again["seconds"] >= spent > first["seconds"] / 2 and again["resumed_at_epochs"] == [1]
    with pytest.raises(ValueError, match="cannot resume, the settings differ: learning_rate"):
        fit_density(MAF(4, [8], num_layers=2, seed=0, batch_norm=True), x_train, x_valid, epochs=3,
                    batch_size=20, verbose=False, checkpoint=path, resume=True, learning_rate=1e-4)


def test_training_with_and_without_xla_gives_close_numbers():
    x_train, x_valid = _data(200, 0), _data(100, 1)
    models = [MAF(4, [8], num_layers=2, seed=0, batch_norm=True) for _ in range(2)]
    models[1].set_weights(models[0].get_weights())         # the same start (the seed fixes the masks only)
    runs = [fit_density(model, x_train, x_valid, epochs=2, batch_size=20, verbose=False, jit_compile=xla)
            for model, xla in zip(models, (True, False))]
    np.testing.assert_allclose(runs[0]["train_nll"], runs[1]["train_nll"], rtol=1e-4)
    np.testing.assert_allclose(runs[0]["valid_nll"], runs[1]["valid_nll"], rtol=1e-4)


def test_a_model_xla_cannot_compile_trains_without_it_and_says_so_in_one_line(capsys):
    import keras
    import tensorflow as tf

    class HostShift(keras.layers.Layer):
        """log N(x; m, I) plus a zero computed on the host (``numpy_function``, which XLA cannot compile)."""
        input_dim = 4

        def __init__(self):
            super().__init__()
            self.m = self.add_weight(shape=(4,), initializer="zeros")

        def log_prob_tensor(self, x):
            zero = tf.numpy_function(lambda a: np.zeros(len(a), np.float32), [x], tf.float32, stateful=False)
            return -0.5 * tf.reduce_sum(tf.square(x - self.m), axis=1) + tf.stop_gradient(tf.reshape(zero, [-1]))

    model = HostShift()
    history = fit_density(model, _data(100, 0), _data(50, 1), epochs=2, batch_size=20, learning_rate=0.1)
    notices = [line for line in capsys.readouterr().out.splitlines() if "XLA" in line]
    assert len(notices) == 1 and notices[0].startswith("fit_density: XLA cannot compile")
    assert history["valid_nll"][1] < history["valid_nll"][0] and float(np.abs(model.m.numpy()).max()) > 0.1


@pytest.mark.parametrize("damage, message", [
    ("nan weights", r"the checkpoint is damaged: array model_0 \(.*\) holds 32 NaN or inf value\(s\)"),
    ("nan best weights", r"array best_0 \(.*\) holds 32 NaN or inf value\(s\)"),
    ("shape", r"array opt_1 \(.*\) has shape \(5,\)"),
    ("fifo", r"the checkpoint is a FIFO \(named pipe\)"),
    ("text", r"the checkpoint is damaged \(not an .npz archive\)"),     # was numpy's advice to unpickle it
])
def test_a_damaged_checkpoint_is_refused_on_resume_naming_the_array(tmp_path, damage, message):
    """A real-valued model resumed from a checkpoint with NaN weights trained on from them (or, as the best epoch, was
    returned), an array of another shape was an unnamed error, and a FIFO blocked np.load: one line naming the
    checkpoint and the array (issue 28, classes 2 and 3; ``maf_mnist.py --resume`` goes this way)."""
    x_train, x_valid = _data(100, 0), _data(50, 1)
    path = tmp_path / "run.checkpoint.npz"
    fit_density(MAF(4, [8], num_layers=2, seed=0), x_train, x_valid, epochs=1, batch_size=50, verbose=False,
                checkpoint=path, jit_compile=False)
    with np.load(path) as z:
        arrays = dict(z)
    if damage == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif damage == "text":
        path.write_text("garbage")
    else:
        key = {"nan weights": "model_0", "nan best weights": "best_0", "shape": "opt_1"}[damage]
        arrays[key] = np.zeros(5, "float32") if damage == "shape" else np.full_like(arrays[key], np.nan)
        np.savez(path, **arrays)
    model = MAF(4, [8], num_layers=2, seed=0)
    before = [v.numpy().copy() for v in model.weights]
    with pytest.raises(ValueError, match=message) as info:
        fit_density(model, x_train, x_valid, epochs=3, batch_size=50, verbose=False, checkpoint=path, resume=True,
                    jit_compile=False)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert all(np.array_equal(v.numpy(), w) for v, w in zip(model.weights, before))     # nothing was loaded


# ----------------------------------------------------------------------------- Real NVP, MAF with batch norm, MAF MoG
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_fit_density_lowers_the_validation_nll(trained, kind):
    model, before, history = trained[kind]
    assert len(history["valid_nll"]) == 2 and all(map(math.isfinite, history["train_nll"]))
    assert history["best_valid_nll"] < before - 0.1, (before, history)
    for bn in model.batch_norms:                              # the running statistics moved away from 0 and 1
        assert np.abs(bn.moving_mean.numpy()).max() > 1e-3 and np.abs(bn.moving_variance.numpy() - 1).max() > 1e-3


def test_fit_density_with_batch_norm_needs_two_rows_per_batch():
    model = RealNVP(2, [4], num_layers=1, seed=0, batch_norm=True)
    data = toy2d.ring(50)
    with pytest.raises(ValueError, match=r"^batch_size must be at least 2 for a model with batch normalisation"):
        fit_density(model, data, data, batch_size=1)
    with pytest.raises(ValueError, match=r"^x_train needs at least 2 rows"):
        fit_density(model, data[:1], data)
    history = fit_density(model, data[:21], data, epochs=1, batch_size=10, verbose=False)   # the 21st row is left out
    assert all(map(math.isfinite, history["train_nll"]))


# ----------------------------------------------------------------------------- divergence
def test_fit_density_stops_on_divergence_and_keeps_the_initial_weights():
    made = GaussianMADE(2, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    data = toy2d.ring(200)
    with pytest.raises(TrainingDivergedError) as info:
        fit_density(made, data, data[:50], epochs=3, learning_rate=1e35, verbose=False)
    one_line(info.value, "training stopped: the training loss", "in epoch 1", "initial weights",
             "Lower the learning rate (now 1e+35)")
    assert re.search(r"became (inf|nan)", str(info.value))
    for v, w in zip(made.weights, before):
        np.testing.assert_array_equal(v.numpy(), w)
    assert np.all(np.isfinite(made.sample(5, seed=1)))               # and sample does not blame anyone


def test_fit_density_keeps_the_best_epoch_before_the_divergence():
    calls = tf.Variable(0)

    class Exploding(GaussianMADE):
        """log p = -inf from the 4th evaluation on: epoch 1 is 2 steps and 1 validation, epoch 2 blows up."""

        def log_prob_tensor(self, x):
            calls.assign_add(1)
            lp = super().log_prob_tensor(x)
            return tf.where(calls > 3, lp - np.inf, lp)

    made = Exploding(2, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    data = toy2d.ring(200)
    with pytest.raises(TrainingDivergedError) as info:
        fit_density(made, data, data[:50], epochs=5, learning_rate=1e-2, verbose=False)
    one_line(info.value, "in epoch 2", "the weights of epoch 1, the best so far")
    assert all(np.all(np.isfinite(v.numpy())) for v in made.weights)
    assert any(not np.array_equal(v.numpy(), w) for v, w in zip(made.weights, before))   # epoch 1 was kept


# ----------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("kwargs,error,message", [
    ({"max_seconds": "5"}, ValueError, r"^max_seconds must be a number >= 0 \(inf allowed\), got str '5'$"),
    ({"max_seconds": math.nan}, ValueError, r"^max_seconds must be a number >= 0 .*got nan$"),
    ({"max_seconds": -1}, ValueError, r"^max_seconds must be a number >= 0 .*got -1$"),
    ({"x_valid": np.zeros((0, 3))}, ValueError, r"^x_valid is empty \(shape \(0, 3\)\)$"),
    ({"x_train": np.zeros((0, 3))}, ValueError, r"^x_train is empty"),
    ({"model": "MADE"}, TypeError, r"^model must be a real-valued density such as GaussianMADE or MAF"),
    ({"verbose": "no"}, ValueError, r"^verbose must be True or False"),
    ({"epochs": True}, ValueError, r"^epochs must be a positive integer, got bool True$"),
    ({"learning_rate": math.inf}, ValueError, r"^learning_rate must be a positive number"),
    ({"learning_rate": 1e-300}, ValueError, r"^learning_rate 1e-300 is 0 in float32"),
    ({"seed": -1}, ValueError, r"^seed must be an integer in 0\.\."),
])
def test_fit_density_refuses_bad_arguments_up_front(made, kwargs, error, message):
    args = {"model": made, "x_train": X3, "x_valid": X3[:5], "epochs": 1, "verbose": False, **kwargs}
    if args["model"] == "MADE":
        args["model"] = MADE(3, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    with pytest.raises(error, match=message) as info:
        fit_density(**args)
    one_line(info.value)
    if error is TypeError:
        assert "train a binary MADE with made_helpers.core.train.train" in str(info.value)
    assert all(np.array_equal(v.numpy(), w) for v, w in zip(made.weights, before))     # nothing trained


def test_fit_density_accepts_an_infinite_time_limit(made):
    history = fit_density(made, X3, X3[:5], epochs=1, max_seconds=math.inf, verbose=False)
    assert history["stop_reason"] == "max_epochs" and len(history["valid_nll"]) == 1
