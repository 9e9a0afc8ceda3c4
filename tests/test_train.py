"""Training (Keras ``fit`` with callbacks) and evaluation on small real subsets: the central 8 x 8 pixels
of the offline subset shipped with the package (D = 64; the logic is that of D = 784, without XLA)."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

from made_helpers import MADE, data
from made_helpers.core.evaluate import evaluate_nll, per_example_nll
from made_helpers.core.train import CHECKPOINT_FILE, HISTORY_FILE, TrainingDivergedError, train
from made_helpers.errors import UserInputError

CENTRE = (np.arange(10, 18)[:, None] * 28 + np.arange(10, 18)).ravel()
"""The 64 pixels of the central 8 x 8 square of a 28 x 28 digit (most of them vary from digit to digit)."""
D = len(CENTRE)


@pytest.fixture(scope="module")
def digits():
    """2 000 training and 500 validation digits of the fallback subset, binarized, central 8 x 8 pixels."""
    xt = data.load_fallback_subset("train", verbose=False)[:2000, CENTRE]
    xv = data.load_fallback_subset("valid", verbose=False)[:500, CENTRE]
    return xt, xv


def small_model(num_masks=1, hidden=(32,), ordering="natural", init_seed=0):
    keras.utils.set_random_seed(init_seed)          # the same initial weights for the same init_seed
    return MADE(D, list(hidden), num_masks=num_masks, ordering=ordering, seed=0)


def fit(model, xt, xv, **kwargs):
    """:func:`train` without XLA (the same logic, no compile time)."""
    return train(model, xt, xv, jit_compile=False, **kwargs)


class Killed(RuntimeError):
    pass


def test_nll_falls_on_real_digits(digits, tmp_path):
    xt, xv = digits
    model = small_model()
    before, _ = evaluate_nll(model, xv)
    history = fit(model, xt, xv, epochs=3, batch_size=50, learning_rate=3e-3, verbose=0, checkpoint_dir=tmp_path)
    after, se = evaluate_nll(model, xv)
    assert history["valid_nll"][0] > history["valid_nll"][-1]
    assert history["train_nll"][0] > history["train_nll"][-1]
    assert after < before - 10             # from ~44 nats (64 log 2) to well below
    assert after == pytest.approx(history["best_valid_nll"], rel=1e-5)
    assert 0 < se < 2
    assert len(history["epoch_seconds"]) == 3 and all(s > 0 for s in history["epoch_seconds"])
    saved = json.loads((tmp_path / HISTORY_FILE).read_text())
    assert saved["valid_nll"] == history["valid_nll"] and saved["best_epoch"] == history["best_epoch"]


@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_kill_and_resume_gives_the_same_weights(digits, tmp_path, optimizer):
    """K=2 masks (mask choice from the run's generator), killed after epoch 2 of 4, then resumed."""
    xt, xv = digits[0][:600], digits[1][:200]
    kwargs = dict(epochs=4, batch_size=64, optimizer=optimizer, patience=2, seed=5, verbose=0, jit_compile=False)

    whole = small_model(num_masks=2, ordering="random")
    h_whole = train(whole, xt, xv, checkpoint_dir=tmp_path / "whole", **kwargs)

    def kill_after_two(epoch, history):
        if epoch == 2:
            raise Killed("simulated kill")

    first = small_model(num_masks=2, ordering="random")
    with pytest.raises(Killed):
        train(first, xt, xv, checkpoint_dir=tmp_path / "killed", on_epoch_end=kill_after_two, **kwargs)
    # a fresh process: a new model object (its initial weights are replaced by the checkpoint)
    resumed = small_model(num_masks=2, ordering="random", init_seed=99)
    h_res = train(resumed, xt, xv, checkpoint_dir=tmp_path / "killed", resume=True, **kwargs)

    assert h_res["resumed_at_epochs"] == [2]
    for key in ("train_nll", "valid_nll", "best_epoch", "best_valid_nll", "epochs_run", "stop_reason"):
        assert h_res[key] == h_whole[key], key
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_resume_checks_settings_and_refuses_to_overwrite(digits, tmp_path):
    xt, xv = digits[0][:300], digits[1][:100]
    fit(small_model(), xt, xv, epochs=1, verbose=0, checkpoint_dir=tmp_path)
    with pytest.raises(FileExistsError, match="resume"):
        fit(small_model(), xt, xv, epochs=1, verbose=0, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="settings differ: batch_size"):
        fit(small_model(), xt, xv, epochs=2, batch_size=7, verbose=0, checkpoint_dir=tmp_path, resume=True)
    # a longer run may continue a finished one
    h = fit(small_model(), xt, xv, epochs=2, verbose=0, checkpoint_dir=tmp_path, resume=True)
    assert h["epochs_run"] == 2 and len(h["valid_nll"]) == 2
    # a checkpoint of the hand-written loop (format version 1) is refused in one line, before any weight is read
    with np.load(tmp_path / CHECKPOINT_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["state"] = np.array(json.dumps({**json.loads(str(arrays["state"])), "version": 1}))
    np.savez(tmp_path / CHECKPOINT_FILE, **arrays)
    with pytest.raises(ValueError, match=r"checkpoint format version 1, this made_helpers reads version 2, so the run "
                                         r"cannot be resumed: start it again") as info:
        fit(small_model(), xt, xv, epochs=3, verbose=0, checkpoint_dir=tmp_path, resume=True)
    assert "\n" not in str(info.value)


def test_early_stopping_restores_the_best_epoch(digits):
    """40 training images and a large step size: the model overfits, validation NLL turns up."""
    xt, xv = digits[0][:40], digits[1][:300]
    model = small_model(hidden=(128,))
    h = fit(model, xt, xv, epochs=40, batch_size=20, learning_rate=2e-2, patience=3, verbose=0)
    assert h["stop_reason"] == "patience"
    assert h["epochs_run"] == h["best_epoch"] + 3 < 40
    assert h["valid_nll"][-1] > h["best_valid_nll"] == min(h["valid_nll"])
    now, _ = evaluate_nll(model, xv)
    assert now == pytest.approx(h["best_valid_nll"], rel=1e-5)


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(digits, tmp_path):
    xt, xv = digits[0][:300], digits[1][:100]
    model = small_model()

    def poison(epoch, history):            # a NaN weight after epoch 1: epoch 2's loss is NaN
        if epoch == 1:
            kernel = model.output_layer.kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype=np.float32))

    with pytest.raises(TrainingDivergedError, match=r"loss became nan in epoch 2.*last good checkpoint"):
        fit(model, xt, xv, epochs=3, verbose=0, checkpoint_dir=tmp_path, on_epoch_end=poison)
    saved = json.loads((tmp_path / HISTORY_FILE).read_text())
    assert saved["epochs_run"] == 1
    assert all(np.isfinite(w).all() for w in model.get_weights())       # best weights restored
    with np.load(tmp_path / CHECKPOINT_FILE, allow_pickle=False) as z:
        assert all(np.isfinite(z[k]).all() for k in z.files if k.startswith("model_"))


def test_bad_arguments(digits):
    xt, xv = digits[0][:100], digits[1][:50]
    m = small_model()
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        train(m, xt, xv, epochs=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train(m, xt, xv, optimizer="sgd")
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        train(m, xt, xv, learning_rate=-1.0)
    with pytest.raises(ValueError, match="x_valid must have width D=64"):
        train(m, xt, xv[:, :10])
    with pytest.raises(ValueError, match="x_train must be binary"):
        train(m, xt * 0.5, xv)
    nan_valid = xv.astype("float32").copy()
    nan_valid[0, 0] = np.nan
    with pytest.raises(UserInputError, match=r"x_valid must be binary .*e\.g\. nan"):   # one line in the CLI
        train(m, xt, nan_valid)
    with pytest.raises(ValueError, match="valid_masks must be an integer in 1..1"):
        train(m, xt, xv, valid_masks=2)


def test_evaluate_nll_is_the_mixture_with_standard_error(digits):
    xv = digits[1][:200]
    model = small_model(num_masks=3, ordering="random")
    per_mask = []
    for k in range(3):
        model.set_mask(k)
        per_mask.append(-model.log_prob(xv))
    per_mask = np.stack(per_mask)                                          # (3, N) NLLs
    model.set_mask(0)
    mixture = -(np.logaddexp.reduce(-per_mask.astype(np.float64), axis=0) - math.log(3))
    mean, se = evaluate_nll(model, xv, num_masks=3, batch_size=64)
    assert mean == pytest.approx(mixture.mean(), rel=1e-5)
    assert se == pytest.approx(mixture.std(ddof=1) / math.sqrt(len(xv)), rel=1e-4)
    # the mixture is at least as good as the average single mask (Jensen)
    assert mean <= per_mask.mean() + 1e-3
    np.testing.assert_allclose(per_example_nll(model, xv, num_masks=1), -model.log_prob(xv), rtol=1e-6)
    with pytest.raises(ValueError, match="num_masks must be an integer in 1..3"):
        evaluate_nll(model, xv, num_masks=4)
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_nll(model, xv, batch_size=0)


# ----------------------------------------------------------------------------- valid_ensemble
def test_valid_ensemble_conditionals_across_orderings_is_refused_by_train_before_an_epoch(tmp_path):
    from made_helpers.core.train import train

    model = MADE(6, [8], num_masks=2, ordering="random", seed=0)
    x = np.random.default_rng(0).integers(0, 2, (20, 6)).astype(np.float32)
    epochs = []
    with pytest.raises(ValueError, match=r"^valid_ensemble='conditionals' over 2 masks needs masks that share"):
        train(model, x, x, epochs=1, verbose=0, valid_ensemble="conditionals", checkpoint_dir=tmp_path / "c",
              on_epoch_end=lambda e, h: epochs.append(e))
    assert epochs == [] and not (tmp_path / "c" / "checkpoint.npz").exists()
