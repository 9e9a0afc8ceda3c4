"""Numeric, boolean and shape parameters of the public API (made_helpers.checks): a bool where a number is meant,
a non-integer where an integer is meant, NaN, inf and values beyond float32 are refused in one line naming the
parameter, as the package's own errors (UserInputError / UserTypeError)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from conftest import X3, one_line

from made_helpers import MADE, MAF, BatchNormFlow, GaussianMADE, RealNVP, checks, fit_density
from made_helpers.checks import (
    check_int,
    check_nonnegative_float,
    check_positive_float,
    check_real_array,
    check_real_batch,
    check_seed,
)
from made_helpers.core import masks as mk
from made_helpers.density import logit_space, toy2d
from made_helpers.density.flows import gaussian_log_prob_baseline, layer_orderings
from made_helpers.density.realnvp import Coupling
from made_helpers.errors import MadeError, UserInputError, UserTypeError

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


# ----------------------------------------------------------------------------- seeds, batch sizes and the shared checks
def test_seeds_are_injective_and_range_checked():
    from made_helpers.checks import stateless_seed

    model = MADE(6, [8], seed=0)
    assert stateless_seed(0) != stateless_seed(2**31 - 1)      # was [0, 0] for both
    seeds = [0, 1, 2**31 - 2, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1]
    words = [tuple(stateless_seed(s)) for s in seeds]
    assert len(set(words)) == len(seeds)
    assert all(-(2**31) <= w < 2**31 for pair in words for w in pair)
    assert stateless_seed(12345) == [12345, 0]                 # small seeds: the same draws as before
    np.testing.assert_array_equal(model.sample(4, seed=7), model.sample(4, seed=7))
    for bad in (-1, 2**32, 1.5, "3"):
        with pytest.raises((ValueError, TypeError), match=r"^seed must be an integer in 0\.\.4294967295"):
            model.sample(2, seed=bad)
        with pytest.raises((ValueError, TypeError), match=r"^seed must be an integer"):
            model.complete(np.zeros((1, 6), np.float32), np.zeros(6, bool), seed=bad)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("x", TypeError), (2**32, ValueError), (1.0, TypeError)])
def test_made_seed_message_names_the_parameter(seed, error):
    with pytest.raises(error, match=r"^seed must be an integer in 0\.\.4294967295, got"):
        MADE(4, [8], seed=seed)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_log_prob_batch_size_message_names_the_parameter(batch_size):
    model = MADE(4, [8], seed=0)
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got"):
        model.log_prob(np.zeros((2, 4), np.float32), batch_size=batch_size)


def test_check_int_messages():
    assert check_int("k", np.int64(3), 1, 5) == 3 and type(check_int("k", np.int64(3))) is int
    for value, error, message in [
        (0, ValueError, "k must be an integer in 1..5, got 0"),
        (6, ValueError, "k must be an integer in 1..5, got 6"),
        (True, TypeError, "k must be an integer in 1..5, got bool True"),
        (2.0, TypeError, "k must be an integer in 1..5, got float 2.0"),
    ]:
        with pytest.raises(error) as e:
            check_int("k", value, 1, 5)
        assert str(e.value) == message
    with pytest.raises(ValueError, match=r"^epochs must be a positive integer, got str '3'$"):
        check_int("epochs", "3", low=1, type_error=ValueError)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 2 \(why\), got 1$"):
        check_int("n", 1, low=2, why=" (why)")
    assert check_seed("seed", 2**32 - 1) == 2**32 - 1
    assert check_positive_float("lr", 3) == 3.0
    for bad in (0, -1.0, float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError, match="^lr must be a positive number, got"):
            check_positive_float("lr", bad)


def test_the_shared_checks():
    assert check_nonnegative_float("t", 0) == 0.0 and check_nonnegative_float("t", math.inf, allow_inf=True) == math.inf
    for bad in (math.inf, math.nan, -0.5, "1", True):
        with pytest.raises(ValueError, match="^t must be a number >= 0, got"):
            check_nonnegative_float("t", bad)
    assert check_real_array("a", [[1, 2]]).dtype.kind == "i"
    out = check_real_batch(np.array([[1, 2]], np.float64), 2, "a", np.float64)
    assert out.dtype == np.float64 and check_real_batch([[True, False]], 2).dtype == np.float32


# ----------------------------------------------------------- every public function of the real-valued family, bad input
def _grid_model():
    return GaussianMADE(2, [4], seed=0)


@functools.lru_cache(maxsize=None)
def _rnvp():
    """A Real NVP with batch norm (D = 3), built once for the table below."""
    return RealNVP(3, [8], num_layers=2, seed=0, batch_norm=True)


BAD_CALLS = [
    # constructors
    (lambda m, f: GaussianMADE(3, [8], activation="foo"), ValueError, "activation 'foo' is not a Keras activation"),
    (lambda m, f: GaussianMADE(3, [8], activation="softmax"), ValueError, "activation 'softmax' mixes the units"),
    (lambda m, f: GaussianMADE(3, [8], log_scale_bound=100), ValueError, "log_scale_bound must be below 88.72"),
    (lambda m, f: GaussianMADE(3, [8], log_scale_bound=math.nan), ValueError, "log_scale_bound must be a positive"),
    (lambda m, f: GaussianMADE(3, [8], num_components=True), ValueError, "num_components must be a positive"),
    (lambda m, f: GaussianMADE("3", [8]), TypeError, "input_dim must be an integer >= 2"),
    (lambda m, f: GaussianMADE(3, [8], seed=-1), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: GaussianMADE(3, [8], ordering=[0, 0, 1]), ValueError, "ordering is not a permutation"),
    (lambda m, f: MAF(3, [8], permutation=["reverse"]), ValueError, "permutation must be one of"),
    (lambda m, f: MAF(3, [8], permutation=np.array([1, 2])), ValueError, "permutation must be one of"),
    (lambda m, f: MAF(3, [8], activation="foo"), ValueError, "activation 'foo' is not a Keras activation"),
    (lambda m, f: MAF(3, [8], num_layers=True), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: MAF(3, [8], seed=1.5), TypeError, "seed must be an integer"),
    (lambda m, f: MAF(3, [8], hidden_degrees="x"), ValueError, "hidden_degrees must be one of"),
    (lambda m, f: layer_orderings(0, 2), ValueError, "input_dim must be an integer >= 2"),
    (lambda m, f: layer_orderings(3, -1), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: layer_orderings(3, 2, "random", seed=-3), ValueError, "seed must be an integer"),
    # GaussianMADE / MAF data
    (lambda m, f: m.log_prob(np.zeros((0, 3))), ValueError, "x is empty (shape (0, 3))"),
    (lambda m, f: f.log_prob(np.zeros((0, 3))), ValueError, "x is empty (shape (0, 3))"),
    (lambda m, f: m.log_prob([["a", "b", "c"]]), TypeError, "x must hold real numbers, got dtype <U1"),
    (lambda m, f: m.log_prob(np.array([["1", "2", "3"]])), TypeError, "x must hold real numbers"),
    (lambda m, f: m.log_prob(np.ones((2, 3), complex)), TypeError, "x must hold real numbers, got dtype complex128"),
    (lambda m, f: m.log_prob([[1, 2, 3], [1, 2]]), TypeError, "x must be an array of real numbers"),
    (lambda m, f: m.log_prob(None), TypeError, "x must be an array of real numbers, got None"),
    (lambda m, f: m.log_prob(np.zeros((2, 3, 1))), ValueError, "x must have shape (batch, 3), got shape (2, 3, 1)"),
    (lambda m, f: f.log_prob(np.full((2, 3), 1e39)), ValueError, "x has 6 value(s) too large for float32"),
    (lambda m, f: m.log_prob(X3, batch_size=True), ValueError, "batch_size must be a positive integer"),
    (lambda m, f: m.forward(np.full((2, 3), np.nan)), ValueError, "x contains 6 NaN or inf value(s)"),
    (lambda m, f: m.forward("abc"), TypeError, "x must hold real numbers"),
    (lambda m, f: f.forward(np.zeros((2, 4))), ValueError, "x must have width D=3, got shape (2, 4)"),
    (lambda m, f: m.gaussian_params(np.zeros((0, 3))), ValueError, "x is empty"),
    (lambda m, f: m.mixture_params(np.zeros(3)), ValueError, "x must have shape (batch, 3), got shape (3,)"),
    (lambda m, f: m.log_conditionals(np.full((1, 3), np.inf)), ValueError, "x contains 3 NaN or inf"),
    (lambda m, f: m.inverse(np.zeros((0, 3))), ValueError, "u is empty"),
    (lambda m, f: f.inverse(np.full((1, 3), np.nan)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: f.inverse([[1, 2]]), ValueError, "u must have width D=3"),
    (lambda m, f: m.sample(True), ValueError, "n must be a positive integer, got bool True"),
    (lambda m, f: f.sample(2.0), ValueError, "n must be a positive integer, got float 2.0"),
    (lambda m, f: m.sample(2, seed="a"), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: m.complete(X3[:2], [0, 2, 1]), ValueError, "observed must be a boolean (or 0/1) array"),
    (lambda m, f: m.complete(X3[:2], "abc"), ValueError, "observed must be a boolean (or 0/1) array"),
    (lambda m, f: m.complete(X3[:2], [[True, False, False]]), ValueError, "observed must have shape (3,) or (2, 3)"),
    (lambda m, f: m.complete(np.full(3, np.nan), [True, False, False]), ValueError, "x contains 3 NaN or inf"),
    (lambda m, f: m.complete(np.zeros((0, 3)), [True, False, False]), ValueError, "x is empty"),
    (lambda m, f: gaussian_log_prob_baseline(X3[:1], X3), ValueError, "x_train needs at least 2 rows"),
    (lambda m, f: gaussian_log_prob_baseline(X3, np.zeros((2, 4))), ValueError, "x_test must have width D=3"),
    (lambda m, f: gaussian_log_prob_baseline(X3, np.full((2, 3), np.nan)), ValueError, "x_test contains 6 NaN"),
    # two degree groups, Real NVP, batch norm for flows, MAF MoG
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[1, 1, 1]), ValueError,
     "input_degrees must be integers in 1..3 with at least two distinct values, got [1, 1, 1]"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[1, 2]), ValueError,
     "input_degrees must be a list of 3 degrees (one per input), got shape (2,)"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[0, 1, 2]), ValueError, "input_degrees must be integers in 1..3"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=["a", "b", "c"]), ValueError, "input_degrees must hold integers"),
    (lambda m, f: GaussianMADE(3, [8], ordering="reversed", input_degrees=[1, 2, 2]), ValueError,
     "input_degrees replaces ordering"),
    (lambda m, f: mk.make_degrees(3, [4], inputs=[1, 5, 2]), ValueError, "inputs must be integers in 1..3"),
    (lambda m, f: mk.make_mask_degrees(3, [4], "random", mask_kind="full", inputs=[1, 2, 2]), ValueError,
     "inputs (input degrees given explicitly) need mask_kind='connectivity'"),
    (lambda m, f: mk.coupling_degrees(1), ValueError, "input_dim must be an integer >= 2"),
    (lambda m, f: RealNVP(3, [8], num_layers=0), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: RealNVP(3, [8], batch_norm="yes"), TypeError, "batch_norm must be True or False, got str 'yes'"),
    (lambda m, f: RealNVP(3, [8], seed=-2), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: RealNVP(3, [8], log_scale_bound=0), ValueError, "log_scale_bound must be a positive number"),
    (lambda m, f: RealNVP(3, [8], activation="softmax"), ValueError, "activation 'softmax' mixes the units"),
    (lambda m, f: RealNVP(3, []), ValueError, "hidden_sizes is empty"),
    (lambda m, f: RealNVP(3, [8], split="odd"), ValueError, "split must be one of ('halves', 'parity'), got 'odd'"),
    (lambda m, f: RealNVP(3, [8], scale_activation="softmax"), ValueError, "scale_activation 'softmax' mixes"),
    (lambda m, f: RealNVP(3, [8], scale_activation="tanh", activation="nope"), ValueError, "activation 'nope' is not"),
    (lambda m, f: Coupling(3, [8], flip=1), TypeError, "flip must be True or False, got 1"),
    (lambda m, f: MAF(3, [8], batch_norm=1), TypeError, "batch_norm must be True or False, got 1"),
    (lambda m, f: MAF(3, [8], num_components=0), ValueError, "num_components must be a positive integer"),
    (lambda m, f: BatchNormFlow(0), ValueError, "input_dim must be a positive integer, got 0"),
    (lambda m, f: BatchNormFlow(3, momentum=1.0), ValueError, "momentum must be below 1"),
    (lambda m, f: BatchNormFlow(3, momentum=-0.1), ValueError, "momentum must be a number >= 0, got -0.1"),
    (lambda m, f: BatchNormFlow(3, epsilon=0), ValueError, "epsilon must be a positive number, got 0"),
    (lambda m, f: BatchNormFlow(3).forward(np.zeros(3)), ValueError, "x must have shape (batch, 3)"),
    (lambda m, f: BatchNormFlow(3).forward(X3, training="yes"), TypeError, "training must be True or False"),
    (lambda m, f: BatchNormFlow(3).inverse(np.full((1, 3), np.nan)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: BatchNormFlow(3).set_statistics(np.zeros((0, 3))), ValueError, "x is empty"),
    (lambda m, f: _rnvp().log_prob(np.zeros((2, 4))), ValueError, "x must have width D=3"),
    (lambda m, f: _rnvp().forward(X3, training=None), TypeError, "training must be True or False, got NoneType"),
    (lambda m, f: _rnvp().inverse(np.full((1, 3), np.inf)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: _rnvp().sample(0), ValueError, "n must be a positive integer, got 0"),
    (lambda m, f: _rnvp().set_batch_norm_statistics(X3, batch_size=0), ValueError, "batch_size must be a positive"),
    (lambda m, f: _rnvp().set_batch_norm_statistics("abc"), TypeError, "x must hold real numbers"),
    (lambda m, f: _rnvp().couplings[0].forward([[1, 2]]), ValueError, "x must have width D=3"),
    (lambda m, f: _rnvp().couplings[0].inverse(None), TypeError, "u must be an array of real numbers, got None"),
    (lambda m, f: fit_density(_rnvp(), X3, X3, batch_size=1), ValueError,
     "batch_size must be at least 2 for a model with batch normalisation"),
    # logit space
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], seed=-1), ValueError, "seed must be an integer"),
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], lam=0.7), ValueError, "lam must be below 0.5"),
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], lam=0), ValueError, "lam must be a positive number"),
    (lambda m, f: logit_space.log_det_logit_to_unit(np.zeros(3)), ValueError, "x must have shape (batch, D)"),
    (lambda m, f: logit_space.log_det_logit_to_unit([[np.nan, 1.0]]), ValueError, "x contains 1 NaN or inf"),
    (lambda m, f: logit_space.log_det_logit_to_unit(np.zeros((0, 2))), ValueError, "x is empty"),
    (lambda m, f: logit_space.to_pixel_space([1.0, 2.0], [[0.0, 1.0]]), ValueError,
     "log_p_logit must have shape (1,), one value per row of x, got shape (2,)"),
    (lambda m, f: logit_space.to_pixel_space([np.nan], [[0.0, 1.0]]), ValueError, "log_p_logit contains 1 NaN"),
    (lambda m, f: logit_space.to_pixel_space([0.0], "ab"), TypeError, "x must hold real numbers"),
    (lambda m, f: logit_space.logit_to_pixels([np.nan]), ValueError, "x contains 1 NaN value(s)"),
    (lambda m, f: logit_space.logit_to_pixels([]), ValueError, "x is empty (shape (0,))"),
    (lambda m, f: logit_space.logit_to_pixels("a"), TypeError, "x must hold real numbers"),
    (lambda m, f: logit_space.bits_per_pixel(-1.0, 0), ValueError, "input_dim must be a positive integer, got 0"),
    (lambda m, f: logit_space.bits_per_pixel(-1.0, True), ValueError, "input_dim must be a positive integer"),
    (lambda m, f: logit_space.bits_per_pixel(np.nan, 784), ValueError, "log_p_pixel contains 1 NaN or +inf"),
    # toy2d
    (lambda m, f: toy2d.two_moons(5, seed=-1), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: toy2d.two_moons(5, noise=np.nan), ValueError, "noise must be a number >= 0, got nan"),
    (lambda m, f: toy2d.two_moons(0), ValueError, "n must be a positive integer, got 0"),
    (lambda m, f: toy2d.ring(5, width=-1), ValueError, "width must be a number >= 0, got -1"),
    (lambda m, f: toy2d.ring(5, radius="2"), ValueError, "radius must be a positive number, got str '2'"),
    (lambda m, f: toy2d.ring(True), ValueError, "n must be a positive integer, got bool True"),
    (lambda m, f: toy2d.checkerboard(5, cells=3), ValueError, "cells must be even"),
    (lambda m, f: toy2d.checkerboard(5, cells=0), ValueError, "cells must be an integer >= 2, got 0"),
    (lambda m, f: toy2d.checkerboard(5, size=0), ValueError, "size must be a positive number, got 0"),
    (lambda m, f: toy2d.sample_toy(["ring"], 5), ValueError, "name must be one of"),
    (lambda m, f: toy2d.sample_toy("ring", 2.5), ValueError, "n must be a positive integer, got float 2.5"),
    (lambda m, f: toy2d.grid_log_density(m), TypeError, "model must be a density of 2-D points"),
    (lambda m, f: toy2d.grid_log_density(_grid_model(), n=1), ValueError, "n must be an integer >= 2, got 1"),
    (lambda m, f: toy2d.grid_log_density(_grid_model(), lim=-1), ValueError, "lim must be a positive number"),
    (lambda m, f: toy2d.grid_mass(np.zeros((1, 1)), [0.0]), ValueError, "xs must be a 1-D array of at least 2"),
    (lambda m, f: toy2d.grid_mass(np.zeros((2, 3)), [0.0, 1.0]), ValueError, "log_p must have shape (2, 2)"),
    (lambda m, f: toy2d.grid_mass(np.full((2, 2), np.nan), [0.0, 1.0]), ValueError, "log_p contains 4 NaN"),
    (lambda m, f: toy2d.grid_mass(np.zeros((3, 3)), [0.0, 1.0, 3.0]), ValueError, "xs must be increasing and equally"),
    (lambda m, f: toy2d.grid_mass(np.zeros((2, 2)), ["a", "b"]), TypeError, "xs must hold real numbers"),
]


@pytest.mark.parametrize("call,error,message", BAD_CALLS,
                         ids=[f"{i:02d}-{m[:30]}" for i, (_, _, m) in enumerate(BAD_CALLS)])
def test_every_public_function_refuses_bad_input_in_one_line(made, maf, call, error, message):
    with pytest.raises(error) as info:
        call(made, maf)
    ours = {ValueError: UserInputError, TypeError: UserTypeError}[error]      # the package's kind of that error
    assert type(info.value) in (error, ours), type(info.value)
    msg = one_line(info.value, message)
    assert msg.startswith(message.split()[0]), msg               # the message opens with the parameter's name
