"""``fit_density`` (made_helpers.density.density_fit): batch norm validated the MAF authors' way, checkpoints and
resume."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from made_helpers import MAF, fit_density
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
