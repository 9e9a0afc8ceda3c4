"""Bad input is refused with a ValueError/TypeError whose message names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers import MADE
from made_helpers.core import losses
from made_helpers.core import masks as mk


@pytest.fixture(scope="module")
def model():
    return MADE(5, [8], num_masks=2, ordering="random", seed=0)


@pytest.mark.parametrize("ordering,message", [
    ([0, 1, 1, 3, 4], r"not a permutation of 0\.\.4.*missing \[2\]"),      # duplicate
    ([0, 1, 2, 3], r"permutation of 0\.\.4 \(length 5\)"),                 # too short
    ([0, 1, 2, 3, 4, 5], r"permutation of 0\.\.4 \(length 5\)"),           # too long
    ([1, 2, 3, 4, 5], r"not a permutation of 0\.\.4.*missing \[0\]"),      # out of range
    ([-1, 0, 1, 2, 3], r"not a permutation of 0\.\.4.*missing \[4\]"),     # negative
    ([0.5, 1, 2, 3, 4], r"ordering must hold integers"),
    ("sideways", r"ordering must be one of .*'sideways'"),
])
def test_bad_ordering(ordering, message):
    with pytest.raises(ValueError, match=message):
        MADE(5, [8], ordering=ordering)
    with pytest.raises(ValueError, match=message):
        mk.make_degrees(5, [8], ordering)


@pytest.mark.parametrize("hidden_sizes,error,message", [
    ([], ValueError, r"hidden_sizes is empty"),
    ([8, 0], ValueError, r"hidden_sizes\[1\] must be a positive integer.*got 0"),
    ([-3], ValueError, r"hidden_sizes\[0\] must be a positive integer.*got -3"),
    ([8, 2.5], TypeError, r"hidden_sizes\[1\] must be a positive integer.*got float 2\.5"),
    (500, TypeError, r"hidden_sizes must be a list .* int 500"),
])
def test_bad_hidden_sizes(hidden_sizes, error, message):
    with pytest.raises(error, match=message):
        MADE(5, hidden_sizes)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"input_dim": 1}, ValueError, r"input_dim must be an integer >= 2 \(at least 2 for an autoregressive .*got 1"),
    ({"input_dim": 5.0}, TypeError, r"input_dim must be an integer"),
    ({"num_masks": 0}, ValueError, r"num_masks must be a positive integer"),
    ({"num_masks": 1.5}, ValueError, r"num_masks must be a positive integer"),
    ({"hidden_degrees": "uniform"}, ValueError, r"hidden_degrees must be one of"),
])
def test_bad_constructor_arguments(kwargs, error, message):
    args = {"input_dim": 5, "hidden_sizes": [8], **kwargs}
    with pytest.raises(error, match=message):
        MADE(**args)


@pytest.mark.parametrize("shape,message", [
    ((3, 4), r"width D=5, got shape \(3, 4\)"),
    ((3, 6), r"width D=5, got shape \(3, 6\)"),
    ((5,), r"shape \(batch, 5\), got rank 1"),
    ((2, 3, 5), r"shape \(batch, 5\), got rank 3"),
])
def test_call_with_wrong_width_or_rank(model, shape, message):
    with pytest.raises(ValueError, match=message):
        model(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("shape,message", [
    ((3, 4), r"x must have width D=5, got shape \(3, 4\)"),
    ((5,), r"x must have shape \(batch, 5\), got shape \(5,\)"),
    ((2, 3, 5), r"x must have shape \(batch, 5\), got shape \(2, 3, 5\)"),
])
def test_log_prob_with_wrong_width_or_rank(model, shape, message):
    with pytest.raises(ValueError, match=message):
        model.log_prob(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("value", [0.5, 2.0, -1.0, np.nan])
def test_log_prob_refuses_non_binary_data(model, value):
    x = np.zeros((4, 5), dtype=np.float32)
    x[2, 3] = value
    with pytest.raises(ValueError, match=r"x must be binary \(0/1\).*1 other value"):
        model.log_prob(x)


def test_grey_images_are_refused_with_a_hint(model):
    grey = np.random.default_rng(0).uniform(size=(10, 5)).astype(np.float32)
    with pytest.raises(ValueError, match="binarize it first"):
        model.log_prob(grey)


@pytest.mark.parametrize("k,error,message", [
    (2, ValueError, r"mask index 2 out of range.*num_masks=2"),
    (-1, ValueError, r"mask index -1 out of range"),
    (1.0, TypeError, r"mask index must be an integer"),
    (True, TypeError, r"mask index must be an integer"),
])
def test_set_mask_out_of_range(model, k, error, message):
    with pytest.raises(error, match=message):
        model.set_mask(k)


@pytest.mark.parametrize("num_masks", [0, 3, -1, 1.0, True])
def test_log_prob_with_bad_num_masks(model, num_masks):
    with pytest.raises(ValueError, match=r"num_masks must be an integer in 1\.\.2"):
        model.log_prob(np.zeros((2, 5), dtype=np.float32), num_masks=num_masks)


@pytest.mark.parametrize("n", [0, -5, 2.0, "10", True])
def test_sample_with_bad_n(model, n):
    with pytest.raises(ValueError, match=r"n must be a positive integer"):
        model.sample(n)


def test_complete_with_bad_observed_shape(model):
    with pytest.raises(ValueError, match=r"observed must have shape \(5,\) or \(2, 5\)"):
        model.complete(np.zeros((2, 5), dtype=np.float32), np.ones(4, dtype=bool))


def test_gaussian_variance_must_be_positive():
    x = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="variance must be positive"):
        losses.gaussian_nll(x, x, variance=0.0)


def test_masked_dense_needs_positive_units():
    from made_helpers.core.layers import MaskedDense

    with pytest.raises(ValueError, match="units must be a positive integer"):
        MaskedDense(0)
