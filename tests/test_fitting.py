"""The fitting core both trainers use (made_helpers.fitting): one history schema, the time budget, divergence, the
checkpoint and its settings check, for ``train`` (binary MADE) and ``fit_density`` (real-valued densities) alike."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from made_helpers import MADE, MAF, GaussianMADE, data, fit_density, fitting
from made_helpers.core.train import CHECKPOINT_FILE, TrainingDivergedError, train
from made_helpers.density import toy2d

CENTRE = (np.arange(10, 18)[:, None] * 28 + np.arange(10, 18)).ravel()      # 64 pixels, as in test_train.py


@pytest.fixture(scope="module")
def digits():
    """300 training and 100 validation digits of the fallback subset, central 8 x 8 pixels."""
    return (data.load_fallback_subset("train", verbose=False)[:300, CENTRE],
            data.load_fallback_subset("valid", verbose=False)[:100, CENTRE])


def small_made() -> MADE:
    keras.utils.set_random_seed(0)
    return MADE(64, [16], seed=0)


MOONS, MOONS_VALID = toy2d.two_moons(200), toy2d.two_moons(100, seed=1)


def test_both_trainers_return_one_history_schema(digits):
    made = train(small_made(), *digits, epochs=2, verbose=0, jit_compile=False)
    density = fit_density(GaussianMADE(2, [8], seed=0), MOONS, MOONS_VALID, epochs=2, verbose=False)
    schema = set(fitting.new_history(1, {}))
    assert schema <= set(made) and schema <= set(density)
    assert set(made) - schema == {"valid_masks", "data", "weight_decay_convention"}
    assert set(density) - schema == {"xla", "weight_decay_convention"}
    for history in (made, density):
        assert history["stop_reason"] == "max_epochs" and history["epochs_run"] == 2 == len(history["valid_nll"])
        assert len(history["train_nll"]) == len(history["learning_rate"]) == len(history["epoch_seconds"]) == 2
        assert history["seconds"] >= sum(history["epoch_seconds"]) > 0
    assert "kernel" in made["weight_decay_convention"] and "MAF authors" in density["weight_decay_convention"]


def test_the_time_budget_stops_either_trainer_after_one_epoch(digits):
    made = train(small_made(), *digits, epochs=3, verbose=0, jit_compile=False, max_seconds=0.0)
    density = fit_density(GaussianMADE(2, [8], seed=0), MOONS, MOONS_VALID, epochs=3, verbose=False, max_seconds=0)
    for history in (made, density):
        assert history["stop_reason"] == "time" and history["epochs_run"] == 1 and history["best_epoch"] == 1


def test_a_run_stopped_by_its_time_budget_resumes_with_more_time_bit_for_bit(tmp_path):
    """Time is not patience: the same run resumed without a budget goes on to the epochs of a run never stopped."""
    def maf():
        keras.utils.set_random_seed(0)
        return MAF(2, [8], num_layers=2, seed=0, batch_norm=True)

    kwargs = dict(epochs=3, batch_size=50, verbose=False, jit_compile=False)
    whole_model = maf()
    whole = fit_density(whole_model, MOONS, MOONS_VALID, **kwargs)
    path = tmp_path / "run.npz"
    cut = fit_density(maf(), MOONS, MOONS_VALID, checkpoint=path, max_seconds=0, **kwargs)
    assert cut["stop_reason"] == "time" and cut["epochs_run"] == 1
    with np.load(path) as z:
        state = json.loads(str(z["state"]))
    assert state["version"] == fitting.CHECKPOINT_VERSION and not state["done"]
    resumed_model = maf()
    resumed = fit_density(resumed_model, MOONS, MOONS_VALID, checkpoint=path, resume=True, **kwargs)
    assert resumed["resumed_at_epochs"] == [1] and resumed["stop_reason"] == "max_epochs"
    assert resumed["valid_nll"] == whole["valid_nll"] and resumed["train_nll"] == whole["train_nll"]
    assert all(np.array_equal(a, b) for a, b in zip(whole_model.get_weights(), resumed_model.get_weights()))


def test_a_checkpoint_with_other_settings_or_format_is_refused_in_one_line(digits, tmp_path):
    train(small_made(), *digits, epochs=1, verbose=0, jit_compile=False, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"cannot resume, the settings differ: patience: checkpoint 30 vs now 3 "
                                         r"\(resume with the run's settings"):
        train(small_made(), *digits, epochs=2, patience=3, verbose=0, jit_compile=False, checkpoint_dir=tmp_path,
              resume=True)
    path = tmp_path / "density.npz"
    fit_density(GaussianMADE(2, [8], seed=0), MOONS, MOONS_VALID, epochs=1, verbose=False, checkpoint=path)
    with pytest.raises(ValueError, match=r"the settings differ: batch_size: checkpoint 100 vs now 50; learning_rate"):
        fit_density(GaussianMADE(2, [8], seed=0), MOONS, MOONS_VALID, epochs=2, batch_size=50, learning_rate=0.01,
                    verbose=False, checkpoint=path, resume=True)
    # a checkpoint of fit_density's former own format (version 1) is refused naming it, before any weight is read
    with np.load(path) as z:
        arrays = dict(z)
    arrays["state"] = np.array(json.dumps({"version": 1, "curves": {}, "epochs_run": 1}))
    np.savez(path, **arrays)
    model = GaussianMADE(2, [8], seed=0)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"checkpoint format version 1, this made_helpers reads version 2") as info:
        fit_density(model, MOONS, MOONS_VALID, epochs=2, verbose=False, checkpoint=path, resume=True)
    assert "\n" not in str(info.value) and all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert (tmp_path / CHECKPOINT_FILE).exists()


def test_a_diverged_run_of_either_trainer_says_so_in_its_history(digits):
    with pytest.raises(TrainingDivergedError) as made:
        train(small_made(), *digits, epochs=2, verbose=0, jit_compile=False, learning_rate=3e38, optimizer="adagrad")
    with pytest.raises(TrainingDivergedError) as density:
        fit_density(GaussianMADE(2, [8], seed=0), MOONS, MOONS_VALID, epochs=2, verbose=False, learning_rate=1e30)
    for error in (made.value, density.value):
        assert error.history["stop_reason"] == "diverged" and error.history["epochs_run"] < 2
