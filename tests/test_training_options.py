"""Training options: dropout, weight decay, schedules, paper AdaGrad, orthogonal init, mask kinds,
the conditional-average ensemble, in-graph mask selection and bfloat16 mixed precision."""

from __future__ import annotations

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from made_helpers import MADE, data
from made_helpers.core import masks as mk
from made_helpers.core.evaluate import evaluate_nll
from made_helpers.core.losses import l2_kernel_penalty
from made_helpers.core.schedules import LearningRateSchedule
from made_helpers.core.train import make_optimizer, train

CENTRE = (np.arange(10, 18)[:, None] * 28 + np.arange(10, 18)).ravel()
"""The 64 pixels of the central 8 x 8 square of a digit: D = 64 trains with the logic of D = 784."""


@pytest.fixture(scope="module")
def digits():
    """600 training and 200 validation digits of the offline subset, binarized, central 8 x 8 pixels."""
    xt = data.load_fallback_subset("train", verbose=False)[:600, CENTRE]
    xv = data.load_fallback_subset("valid", verbose=False)[:200, CENTRE]
    return xt, xv


def small_model(**kwargs):
    keras.utils.set_random_seed(0)
    kwargs.setdefault("seed", 0)
    return MADE(len(CENTRE), kwargs.pop("hidden", [32]), **kwargs)


def fit(model, xt, xv, **kwargs):
    """:func:`train` without XLA (the same logic, no compile time)."""
    return train(model, xt, xv, jit_compile=False, **kwargs)


# --------------------------------------------------------------------------- dropout
def test_dropout_acts_only_in_training_and_never_on_the_direct_connection(sharpen):
    model = sharpen(MADE(12, [40, 40], dropout=0.5, seed=1))
    x = np.random.default_rng(0).integers(0, 2, (64, 12)).astype("float32")
    np.testing.assert_array_equal(model(x, training=False).numpy(), model(x).numpy())
    assert not np.allclose(model(x, training=True).numpy(), model(x, training=False).numpy())
    # with the hidden path cut (output kernel 0) only the direct connection and the bias remain:
    model.output_layer.kernel.assign(np.zeros(model.output_layer.kernel.shape, "float32"))
    np.testing.assert_allclose(model(x, training=True).numpy(), model(x, training=False).numpy(), rtol=0, atol=0)


def test_dropout_round_trips_and_is_validated(tmp_path):
    model = MADE(6, [8], dropout=0.25, kernel_initializer="orthogonal", seed=2)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert loaded.dropout == 0.25 and loaded.kernel_initializer == "orthogonal"
    x = np.eye(6, dtype="float32")
    np.testing.assert_allclose(loaded.log_prob(x), model.log_prob(x), rtol=1e-6)
    for bad in (1.0, -0.1, "0.2", True):
        with pytest.raises(ValueError, match="dropout"):
            MADE(6, [8], dropout=bad)


# --------------------------------------------------------------------------- weight decay
def test_weight_decay_adds_exactly_two_lambda_w_to_the_gradient():
    x = tf.constant(np.random.default_rng(1).integers(0, 2, (16, 10)).astype("float32"))
    lr, lam = 0.1, 0.01
    after = {}
    for wd in (0.0, lam):
        keras.utils.set_random_seed(0)
        model = MADE(10, [12], seed=3)
        before = [v.numpy() for v in model.trainable_variables]
        model.compile(keras.optimizers.SGD(learning_rate=lr), weight_decay=wd, jit_compile=False)
        model.fit(x, x, batch_size=16, epochs=1, shuffle=False, verbose=0)        # one step
        after[wd] = [v.numpy() for v in model.trainable_variables]
    for v, w0, a, b in zip(model.trainable_variables, before, after[0.0], after[lam]):
        expected = lr * 2 * lam * w0 if "kernel" in v.path else np.zeros_like(w0)   # biases are not decayed
        np.testing.assert_allclose(a - b, expected, atol=1e-6)
    assert float(l2_kernel_penalty(1.0, [layer.kernel for layer in model.masked_layers])) == pytest.approx(
        sum(float(np.sum(layer.kernel.numpy() ** 2)) for layer in [*model.hidden_layers, model.output_layer,
                                                                   model.direct_layer]), rel=1e-5)


# --------------------------------------------------------------------------- schedules
def test_schedules_give_the_documented_rates():
    step = LearningRateSchedule("step", 1e-3, milestones=[3, 5], factor=0.1)
    assert [step.rate(e) for e in range(1, 7)] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5])
    cos = LearningRateSchedule("cosine", 1.0, cosine_epochs=4)
    assert [cos.rate(e) for e in range(1, 7)] == pytest.approx(
        [1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 + math.cos(3 * math.pi / 4))] + [cos.rate(4)] * 2)
    plateau = LearningRateSchedule("plateau", 1.0, factor=0.5, plateau_patience=2).callback()
    optimizer = keras.optimizers.SGD(1.0)
    plateau.set_model(SimpleNamespace(optimizer=optimizer))
    plateau.on_train_begin()
    rates = []
    for epoch, valid_nll in enumerate([10.0, 11.0, 11.0, 11.0, 9.0, 10.0, 10.0]):   # better at epochs 1 and 5
        rates.append(float(optimizer.learning_rate.numpy()))
        plateau.on_epoch_end(epoch, {"val_nll": valid_nll})
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5] and float(optimizer.learning_rate.numpy()) == 0.25
    for kwargs, message in [({"kind": "linear"}, "lr_schedule"), ({"kind": "step"}, "lr_milestones"),
                            ({"kind": "plateau", "factor": 1.5}, "lr_factor"),
                            ({"kind": "plateau", "plateau_patience": 0}, "lr_patience")]:
        kind = kwargs.pop("kind")
        with pytest.raises(ValueError, match=message):
            LearningRateSchedule(kind, 1e-3, **kwargs)


def test_history_records_the_rate_each_epoch(digits):
    xt, xv = digits
    history = fit(small_model(), xt, xv, epochs=4, lr_schedule="step", lr_milestones=[3], lr_factor=0.1, verbose=0)
    assert history["learning_rate"] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4])
    assert history["settings"]["lr_milestones"] == [3]


class Killed(RuntimeError):
    pass


@pytest.mark.parametrize("schedule", [dict(lr_schedule="plateau", lr_patience=1, lr_factor=0.5),
                                      dict(lr_schedule="cosine", cosine_epochs=4)])
def test_resume_with_schedule_dropout_and_weight_decay_is_exact(digits, tmp_path, schedule):
    xt, xv = digits
    kwargs = dict(epochs=4, batch_size=64, patience=4, seed=3, verbose=0, weight_decay=1e-4, jit_compile=False,
                  **schedule)
    make = dict(num_masks=3, ordering="random", dropout=0.3)
    whole = small_model(**make)
    h_whole = train(whole, xt, xv, checkpoint_dir=tmp_path / "whole", **kwargs)

    def kill_after_two(epoch, history):
        if epoch == 2:
            raise Killed

    part = small_model(**make)
    with pytest.raises(Killed):
        train(part, xt, xv, checkpoint_dir=tmp_path / "part", on_epoch_end=kill_after_two, **kwargs)
    resumed = small_model(**make)
    h_resumed = train(resumed, xt, xv, checkpoint_dir=tmp_path / "part", resume=True, **kwargs)
    assert h_resumed["valid_nll"] == h_whole["valid_nll"]
    assert h_resumed["learning_rate"] == h_whole["learning_rate"]
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- optimizer and init
def test_paper_adagrad_is_the_made_code_update():
    var = keras.Variable(np.array([1.0, -2.0, 0.5], "float32"))
    grad = np.array([0.3, -1e-3, 0.0], "float32")
    opt = make_optimizer("adagrad-paper", 0.01)
    opt.apply_gradients([(tf.constant(grad), var)])
    expected = np.array([1.0, -2.0, 0.5]) - 0.01 * grad / np.sqrt(grad.astype(np.float64) ** 2 + 1e-6)
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6)
    keras_default = make_optimizer("adagrad", 0.01)         # accumulator from 0.1: a different first step
    var2 = keras.Variable(np.array([1.0, -2.0, 0.5], "float32"))
    keras_default.apply_gradients([(tf.constant(grad), var2)])
    assert not np.allclose(var2.numpy(), expected)


def test_orthogonal_initialisation():
    keras.utils.set_random_seed(0)
    model = MADE(20, [50], kernel_initializer="orthogonal", seed=0)
    w = model.hidden_layers[0].kernel.numpy()                # (20, 50): orthonormal rows
    np.testing.assert_allclose(w @ w.T, np.eye(20), atol=1e-5)
    with pytest.raises(ValueError):
        MADE(20, [50], kernel_initializer="no_such_initializer")


# --------------------------------------------------------------------------- mask kinds
def test_mask_kinds_change_what_they_say():
    sets = {kind: [mk.make_mask_set(10, [16, 16], "random", "random", seed=4, k=k, mask_kind=kind)
                   for k in range(4)] for kind in mk.MASK_KINDS}
    same_order = {kind: all(np.array_equal(s.ordering, v[0].ordering) for s in v) for kind, v in sets.items()}
    same_hidden = {kind: all(all(np.array_equal(a, b) for a, b in zip(s.degrees[1:], v[0].degrees[1:])) for s in v)
                   for kind, v in sets.items()}
    assert same_order == {"full": False, "connectivity": True, "ordering": False}
    assert same_hidden == {"full": False, "connectivity": False, "ordering": True}
    # "full" is what the model always did for ordering="random"; "connectivity" for a fixed ordering
    assert mk.check_mask_kind(None, "random") == "full" and mk.check_mask_kind(None, "natural") == "connectivity"
    for kind in ("full", "ordering"):
        with pytest.raises(ValueError, match="ordering='random'"):
            MADE(10, [16], num_masks=2, ordering="natural", mask_kind=kind)
    with pytest.raises(ValueError, match="mask_kind"):
        MADE(10, [16], mask_kind="sideways")


@pytest.mark.parametrize("kind", mk.MASK_KINDS)
def test_every_mask_kind_is_autoregressive_and_normalised(kind, sharpen, binary_vectors):
    model = sharpen(MADE(8, [12, 12], num_masks=3, ordering="random", mask_kind=kind, seed=5))
    x = binary_vectors(8)
    for k in range(3):
        model.set_mask(k)
        assert mk.is_autoregressive(model.connectivity(), model.degrees[0])
        assert np.exp(model.log_prob(x).astype(np.float64)).sum() == pytest.approx(1.0, abs=1e-5)


# --------------------------------------------------------------------------- the conditional-average ensemble
@pytest.mark.parametrize("D, sizes, ordering", [(8, [16], "natural"), (10, [12, 12], "reversed"),
                                                (8, [16], "random")])
def test_averaged_conditionals_are_normalised_over_all_inputs(D, sizes, ordering, sharpen, binary_vectors):
    model = sharpen(MADE(D, sizes, num_masks=4, ordering=ordering, mask_kind="connectivity", seed=6))
    x = binary_vectors(D)
    p = np.exp(model.log_prob(x, num_masks=4, ensemble="conditionals").astype(np.float64))
    assert p.sum() == pytest.approx(1.0, abs=1e-5)
    mixture = model.log_prob(x, num_masks=4, ensemble="mixture")
    assert not np.allclose(np.log(p), mixture, atol=1e-3)       # a different model from the mixture
    np.testing.assert_allclose(model.log_prob(x, num_masks=1, ensemble="conditionals"),
                               model.log_prob(x, num_masks=1), rtol=1e-5)


def test_averaged_conditionals_are_refused_across_orderings(sharpen, binary_vectors):
    model = sharpen(MADE(8, [16], num_masks=3, ordering="random", seed=6))
    with pytest.raises(ValueError, match="share one ordering"):
        model.log_prob(binary_vectors(8), num_masks=3, ensemble="conditionals")
    with pytest.raises(ValueError, match="ensemble"):
        model.log_prob(binary_vectors(8), num_masks=3, ensemble="average")


# --------------------------------------------------------------------------- in-graph masks
@pytest.mark.slow
def test_select_mask_in_graph_equals_set_mask():
    model = MADE(9, [14, 11], num_masks=5, ordering="random", seed=7)
    select = tf.function(model.select_mask)
    layers = [*model.hidden_layers, model.output_layer, model.direct_layer]
    for k in (3, 0, 4, 1):
        model.set_mask(k)
        expected = [layer.mask.numpy() for layer in layers]
        order = model.order.numpy()
        model.set_mask((k + 1) % 5)
        select(tf.constant(k, tf.int32))
        assert model.current_mask == k
        np.testing.assert_array_equal(model.order.numpy(), order)
        for e, layer in zip(expected, layers):
            np.testing.assert_array_equal(layer.mask.numpy(), e)


def test_select_mask_works_when_first_called_inside_two_compiled_functions():
    model = MADE(6, [8], num_masks=3, ordering="random", seed=1)
    first, second = tf.function(model.select_mask), tf.function(model.select_mask)
    first(tf.constant(2, tf.int32))
    second(tf.constant(1, tf.int32))          # the tables built by the first trace stay usable
    assert model.current_mask == 1


def test_in_graph_and_host_mask_switching_train_identically(digits):
    xt, xv = digits
    results = []
    for in_graph in (True, False):
        model = small_model(num_masks=4, ordering="random")
        history = fit(model, xt, xv, epochs=2, batch_size=100, seed=1, verbose=0, in_graph_masks=in_graph)
        results.append((history["valid_nll"], model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- bfloat16
def test_bfloat16_policy_trains_evaluates_and_samples(digits):
    xt, xv = digits
    model = small_model(dtype="mixed_bfloat16")
    assert model.hidden_layers[0].compute_dtype == "bfloat16" and model.hidden_layers[0].kernel.dtype == "float32"
    before, _ = evaluate_nll(model, xv)
    history = fit(model, xt, xv, epochs=2, verbose=0)
    assert history["valid_nll"][1] < history["valid_nll"][0] < before
    nll, _ = evaluate_nll(model, xv)
    assert nll == pytest.approx(history["best_valid_nll"], rel=1e-5)
    assert model.log_prob(xv[:4]).dtype == np.float32
    samples = model.sample(3, seed=0)
    assert samples.shape == (3, len(CENTRE)) and set(np.unique(samples)) <= {0.0, 1.0}


# --------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("argv, message", [
    (["--dropout", "1"], "argument --dropout: must be a number in [0, 1), got 1"),
    (["--weight-decay", "-1e-4"], "argument --weight-decay: must be a finite number >= 0"),
    (["--lr-schedule", "linear"], "argument --lr-schedule: invalid choice: 'linear'"),
    (["--lr-factor", "1.5"], "argument --lr-factor: must be a number in [0, 1)"),
    (["--init", "zeros"], "argument --init: invalid choice: 'zeros'"),
    (["--mask-kind", "both"], "argument --mask-kind: invalid choice: 'both'"),
])
def test_cli_rejects_bad_option_values_in_one_line(argv, message, capsys, tmp_path):
    from made_helpers.experiments.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--out", str(tmp_path / "run"), *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


@pytest.mark.parametrize("argv, message", [
    (["--masks", "2", "--mask-kind", "full"],
     "--mask-kind full draws a new ordering per mask: it needs --ordering random"),
    (["--lr-schedule", "step"], "--lr-schedule step needs --lr-milestones"),
    (["--lr-milestones", "5"], "--lr-milestones belongs to --lr-schedule step"),
])
def test_cli_rejects_inconsistent_options_before_loading_data(argv, message, capsys, tmp_path):
    from made_helpers.experiments.cli import main

    assert main(["train", "--data", "fallback", "--out", str(tmp_path / "run"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_cli_trains_with_the_new_options_and_evaluates_both_ensembles(tmp_path, capsys):
    from made_helpers.experiments.cli import main

    run = tmp_path / "run"
    argv = ["train", "--data", "fallback", "--limit", "300", "--hidden", "16", "--masks", "3", "--ordering", "random",
            "--mask-kind", "connectivity", "--dropout", "0.2", "--weight-decay", "1e-5", "--lr-schedule", "cosine",
            "--init", "orthogonal", "--optimizer", "adagrad-paper", "--valid-ensemble", "conditionals",
            "--epochs", "2", "--verbose", "0", "--out", str(run)]
    assert main(argv) == 0, capsys.readouterr().err
    history = __import__("json").loads((run / "history.json").read_text())
    settings = history["settings"]
    assert settings["model"]["mask_kind"] == "connectivity" and settings["model"]["dropout"] == 0.2
    assert settings["valid_ensemble"] == "conditionals" and settings["lr_schedule"] == "cosine"
    assert settings["optimizer"] == "adagrad-paper" and settings["weight_decay"] == 1e-5
    capsys.readouterr()
    for ensemble in ("mixture", "conditionals"):
        assert main(["evaluate", "--model", str(run), "--split", "valid", "--limit", "100",
                     "--ensemble", ensemble]) == 0
        out = capsys.readouterr().out
        assert ("averaged conditionals of 3" if ensemble == "conditionals" else "mixture of 3") in out


@pytest.mark.slow
def test_cli_saves_one_mask_models_compactly_and_evaluates_a_copied_model(tmp_path, capsys):
    """A one-mask model is stored with its cut weights as 0 (the same function) and deflated;
    ``evaluate --summary`` records the training run of a model copied out of its folder."""
    import json
    import shutil
    import zipfile

    from made_helpers.experiments.cli import main

    run = tmp_path / "run"
    assert main(["train", "--data", "fallback", "--limit", "200", "--hidden", "16", "--epochs", "1",
                 "--verbose", "0", "--out", str(run)]) == 0
    with zipfile.ZipFile(run / "model.keras") as z:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in z.infolist())
    model = keras.saving.load_model(run / "model.keras", compile=False)
    for layer in [*model.hidden_layers, model.output_layer, model.direct_layer]:
        assert np.all(layer.kernel.numpy()[layer.mask.numpy() == 0] == 0)
    copy = tmp_path / "results" / "m.keras"
    copy.parent.mkdir()
    shutil.copy(run / "model.keras", copy)
    capsys.readouterr()
    out = tmp_path / "results" / "m.json"
    assert main(["evaluate", "--model", str(copy), "--summary", str(run / "train_summary.json"),
                 "--split", "valid", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["training"]["epochs_run"] == 1 and result["training"]["data"]["train"]["source"] == "fallback"
    assert result["first_100_nll"] > 0 and result["model_file"] == str(copy)
    assert len(result["training"]["curves"]["valid_nll"]) == 1 and result["training"]["curves"]["learning_rate"]
    assert main(["evaluate", "--model", str(copy), "--summary", str(tmp_path / "none.json")]) == 2
    assert "--summary" in capsys.readouterr().err
