"""Numeric, boolean and shape parameters of the public API (made_helpers.checks): a bool where a number is meant,
a non-integer where an integer is meant, NaN, inf and values beyond float32 are refused in one line naming the
parameter, as the package's own errors (UserInputError / UserTypeError)."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers import MADE, MAF, BatchNormFlow, GaussianMADE, RealNVP, checks
from made_helpers.density import toy2d
from made_helpers.errors import MadeError, UserInputError

NOT_INTEGERS = [True, np.bool_(False), 2.5, 3.0, 1e40, float("nan"), float("inf"), "3"]
NOT_NUMBERS = [True, np.bool_(True), float("nan"), float("inf"), -float("inf"), 1e39, -1e39, "0.5", None]


def refused(fn, name: str) -> str:
    """The one-line message of the package's own error that ``fn()`` raises; it names ``name``."""
    with pytest.raises(MadeError) as info:
        fn()
    message = str(info.value)
    assert name in message and "\n" not in message, message
    return message


# ------------------------------------------------------------------ the class-wide rules, once
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_check_int_refuses_what_is_not_an_integer(value):
    refused(lambda: checks.check_int("epochs", value, 1), "epochs")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_check_float_refuses_bools_non_finite_and_beyond_float32(value):
    refused(lambda: checks.check_float("rate", value), "rate")
    refused(lambda: checks.check_positive_float("rate", value), "rate")
    refused(lambda: checks.check_nonnegative_float("rate", value), "rate")


def test_check_float_ranges_and_inf_when_allowed():
    assert checks.check_float("p", np.float32(0.25), 0, 1) == 0.25
    assert checks.check_nonnegative_float("t", float("inf"), allow_inf=True) == float("inf")
    assert "float32" in refused(lambda: checks.check_nonnegative_float("t", 1e39, allow_inf=True), "t")
    assert "in [0, 1)" in refused(lambda: checks.check_float("p", 1.0, 0, 1, high_open=True), "p")
    assert "in (0, 1]" in refused(lambda: checks.check_float("p", 0, 0, 1, low_open=True), "p")


# ------------------------------------------------------------------ every constructor's numeric parameters
CONSTRUCTORS = {
    "MADE": (MADE, dict(input_dim=4, hidden_sizes=[6]), ["input_dim", "num_masks", "seed"], ["dropout"]),
    "GaussianMADE": (GaussianMADE, dict(input_dim=2, hidden_sizes=[6]), ["input_dim", "num_components", "seed"],
                     ["log_scale_bound"]),
    "MAF": (MAF, dict(input_dim=2, hidden_sizes=[6]), ["input_dim", "num_layers", "num_components", "seed"],
            ["log_scale_bound"]),
    "RealNVP": (RealNVP, dict(input_dim=2, hidden_sizes=[6]), ["input_dim", "num_layers", "seed"],
                ["log_scale_bound"]),
    "BatchNormFlow": (BatchNormFlow, dict(input_dim=2), ["input_dim"], ["momentum", "epsilon"]),
}


@pytest.mark.parametrize("value", [True, 2.5, 1e40, float("nan")])
@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_constructors_refuse_non_integers_for_integer_parameters(name, value):
    cls, base, integers, _ = CONSTRUCTORS[name]
    for param in integers:
        refused(lambda param=param: cls(**{**base, param: value}), param)


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), 1e40])
@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_constructors_refuse_bools_and_non_finite_floats(name, value):
    cls, base, _, floats = CONSTRUCTORS[name]
    for param in floats:
        refused(lambda param=param: cls(**{**base, param: value}), param)


@pytest.mark.parametrize("call, param", [
    (lambda v: toy2d.two_moons(10, noise=v), "noise"),
    (lambda v: toy2d.ring(10, radius=v), "radius"),
    (lambda v: toy2d.ring(10, width=v), "width"),
    (lambda v: toy2d.checkerboard(10, size=v), "size"),
    (lambda v: BatchNormFlow(2, epsilon=v), "epsilon"),
])
def test_float_parameters_refuse_values_float32_cannot_hold(call, param):
    assert "float32" in refused(lambda: call(1e40), param)


def _functions_with_parameters():
    from made_helpers import data
    from made_helpers.core import autoencoders, enumeration, masks, plotting, widgets
    from made_helpers.density import logit_space
    from made_helpers.experiments import timing

    model = MADE(3, [4], seed=0)
    return [
        (lambda **kw: data.binarize(np.zeros((2, 784)), **kw), {"seed": "int", "threshold": "float"}),
        (lambda **kw: masks.make_mask_degrees(4, [5], **kw), {"seed": "int", "k": "int"}),
        (lambda **kw: masks.make_mask_set(4, [5], **kw), {"seed": "int", "k": "int"}),
        (lambda **kw: plotting.image_grid(np.zeros((3, 784)), **kw),
         {"ncols": "int", "pad": "int", "pad_value": "float"}),
        (lambda **kw: autoencoders.masking_noise(np.ones((2, 4)), **{"drop_prob": 0.25, **kw}),
         {"drop_prob": "float", "seed": "int"}),
        (lambda **kw: logit_space.logit_transform(np.full((2, 3), 0.5), **kw), {"lam": "float"}),
        (lambda **kw: enumeration.sharpen_weights(model, **kw), {"scale": "float", "seed": "int"}),
        (lambda **kw: timing.time_call(lambda: None, **kw), {"repeats": "int", "warmup": "int"}),
        (lambda **kw: widgets.explorer_mask_set(4, [5], **kw), {"seed": "int", "mask_index": "int", "direct": "bool"}),
        (lambda **kw: toy2d.checkerboard(10, **kw), {"cells": "int", "seed": "int", "size": "float"}),
    ]


BAD = {"int": [True, 2.5, 1e40, float("nan")], "float": [True, float("nan"), float("inf"), 1e40],
       "bool": [2.5, 1, "yes", None]}


def test_public_functions_refuse_bad_numbers_naming_the_parameter():
    for call, params in _functions_with_parameters():
        for param, kind in params.items():
            for value in BAD[kind]:
                refused(lambda call=call, param=param, value=value: call(**{param: value}), param)


# ------------------------------------------------------------------ the reported cases
def test_C006_top_rows_observed_refuses_a_non_integer_image_size():
    from made_helpers.core.conditioning import top_rows_observed

    assert "image_shape[0] (height)" in refused(lambda: top_rows_observed(1, (2.5, 4)), "image_shape")
    refused(lambda: top_rows_observed(1, (2, True)), "image_shape[1]")
    assert top_rows_observed(1, (2, 4)).tolist() == [True] * 4 + [False] * 4


def test_C011_completion_overlay_names_observed_and_the_shapes_it_takes():
    from made_helpers.core.conditioning import completion_overlay

    message = refused(lambda: completion_overlay(np.zeros((2, 784)), np.ones(10, bool)), "observed")
    assert "(784,) or (2, 784)" in message and "(10,)" in message
    assert completion_overlay(np.zeros((2, 784)), np.ones((2, 784), bool)).shape == (2, 28, 28, 3)


def test_D001_binarize_of_no_images_is_empty():
    from made_helpers.data import binarize

    assert binarize(np.zeros((0, 28, 28), np.uint8)).shape == (0, 784)
    assert binarize(np.zeros((0, 784)), method="threshold").shape == (0, 784)


def test_D006_binarize_keeps_bool_images_as_they_are():
    from made_helpers.data import binarize

    images = np.random.default_rng(0).random((5, 784)) < 0.3
    assert np.array_equal(binarize(images, method="threshold"), images.astype(np.float32))
    assert np.array_equal(binarize(images, method="stochastic", seed=3), images.astype(np.float32))
    assert binarize(np.array([[True, False]]), method="threshold").tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize("seed", [-1, True, 2.5, 2**32])
def test_D014_binarize_names_a_bad_seed(seed):
    from made_helpers.data import binarize

    refused(lambda: binarize(np.zeros((1, 4)), seed=seed), "seed")


def test_G004_image_grid_names_images_and_the_width_it_takes():
    from made_helpers.core.plotting import image_grid

    message = refused(lambda: image_grid(np.zeros((3, 100))), "images")
    assert "(n, 784)" in message and "(3, 100)" in message
    assert image_grid(np.zeros((3, 100)), image_shape=(10, 10)).shape == (12, 34)


def test_P114_paired_difference_names_the_argument_that_is_not_numbers():
    from made_helpers.core.evaluate import paired_difference

    refused(lambda: paired_difference(["a", "b"], ["c", "d"]), "nll_a")
    refused(lambda: paired_difference([1.0, 2.0], ["c", "d"]), "nll_b")


def test_P120_an_own_function_named_relu_is_refused_not_swapped_for_keras_relu():
    import keras

    def relu(x):                      # the user's own activation (the identity), named relu
        return x

    message = refused(lambda: MADE(6, [8], activation=relu, seed=0), "activation")
    assert "'relu'" in message and "not one of keras.activations" in message
    assert MADE(6, [8], activation=keras.activations.relu, seed=0).activation_name == "relu"
    assert "mixes the units" in refused(lambda: MADE(6, [8], activation=keras.activations.softmax), "activation")


def test_Q041_batch_norm_statistics_of_one_row_are_refused():
    flow = MAF(2, [8], num_layers=2, num_components=3, seed=0, batch_norm=True)
    message = refused(lambda: flow.set_batch_norm_statistics(np.array([[1.0, 2.0]])), "x")
    assert "at least 2 rows" in message
    refused(lambda: BatchNormFlow(2).forward(np.ones((1, 2)), training=True), "x")
    flow.set_batch_norm_statistics(np.random.default_rng(0).normal(size=(4, 2)))       # two or more: fine


def test_errors_of_these_checks_are_the_package_own():
    assert issubclass(UserInputError, ValueError)
    with pytest.raises(UserInputError):
        BatchNormFlow(2, momentum=1.0)


@pytest.mark.parametrize("flag, value", [("--weight-decay", "1e39"), ("--weight-decay", "inf"), ("--hidden", "2.5"),
                                         ("--epochs", "True"), ("--dropout", "nan")])
def test_cli_flags_refuse_the_same_class_up_front(tmp_path, capsys, flag, value):
    from made_helpers.experiments import cli

    with pytest.raises(SystemExit) as info:                # argparse's own exit for a bad value
        cli.main(["train", "--data", "fallback", flag, value, "--out", str(tmp_path / "run")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and not (tmp_path / "run").exists()
