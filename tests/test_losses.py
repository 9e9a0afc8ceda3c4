"""Losses equal their closed forms and stay finite where the naive formula overflows."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from made_helpers import checks
from made_helpers.core import losses


def _closed_form_bernoulli(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """``-sum_d log p(x_d)`` in float64: ``log(1 + e^l) - x l`` with a stable log1p/exp."""
    x = x.astype(np.float64)
    logits = logits.astype(np.float64)
    softplus = np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits)))
    return (softplus - x * logits).sum(axis=-1)


def _closed_form_gaussian(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    x, mean, var = (np.asarray(a, dtype=np.float64) for a in (x, mean, var))
    var = np.broadcast_to(var, x.shape)
    return (0.5 * (x - mean) ** 2 / var + 0.5 * np.log(2 * math.pi * var)).sum(axis=-1)


@pytest.fixture
def bernoulli_batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (64, 30)).astype(np.float32)
    logits = rng.uniform(-6, 6, (64, 30)).astype(np.float32)
    return x, logits


def test_bernoulli_forms_agree_at_moderate_logits(bernoulli_batch):
    x, logits = bernoulli_batch
    expected = _closed_form_bernoulli(x, logits)
    stable = np.asarray(losses.bernoulli_nll(x, logits))
    bce = 30 * np.asarray(keras.losses.binary_crossentropy(x, logits, from_logits=True))    # Keras averages over D
    naive = np.asarray(losses.naive_bernoulli_nll(x, logits))
    assert stable.shape == bce.shape == naive.shape == (64,)
    np.testing.assert_allclose(stable, expected, rtol=1e-5)
    np.testing.assert_allclose(bce, expected, rtol=1e-4)
    np.testing.assert_allclose(naive, expected, rtol=1e-4)


def test_bernoulli_nll_is_minus_log_of_the_probability():
    """One pixel: -log sigmoid(l) for x=1 and -log(1 - sigmoid(l)) for x=0."""
    logits = np.array([[0.3, -1.2]], dtype=np.float32)
    x = np.array([[1.0, 0.0]], dtype=np.float32)
    s = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -(math.log(s[0, 0]) + math.log(1 - s[0, 1]))
    assert float(losses.bernoulli_nll(x, logits)[0]) == pytest.approx(expected, rel=1e-6)
    assert float(losses.bernoulli_nll(x, np.zeros((1, 2), np.float32))[0]) == pytest.approx(2 * math.log(2))


def test_bernoulli_nll_is_finite_at_extreme_logits_where_the_naive_form_is_not():
    x = np.array([[1.0, 0.0, 1.0, 0.0]], dtype=np.float32)
    logits = np.array([[-100.0, 100.0, 100.0, -100.0]], dtype=np.float32)
    # confidently wrong pixels cost ~100 nats each, confidently right ones ~e^-100
    expected = 200.0 + 2 * math.log1p(math.exp(-100.0))
    stable = float(losses.bernoulli_nll(x, logits)[0])
    bce = 4 * float(keras.losses.binary_crossentropy(x, logits, from_logits=True)[0])
    assert math.isfinite(stable) and stable == pytest.approx(expected, rel=1e-6)
    assert math.isfinite(bce) and bce == pytest.approx(expected, rel=1e-3)
    with np.errstate(over="ignore"):                       # exp(100) overflows, as taught
        naive = losses.naive_bernoulli_nll(x, logits)
    assert not np.isfinite(naive).all(), "the naive form should overflow: sigmoid(-100) rounds to 0"
    big = np.full((3, 5), 1e4, dtype=np.float32)
    assert np.isfinite(np.asarray(losses.bernoulli_nll(np.zeros((3, 5)), big))).all()


def test_bernoulli_keras_loss_is_the_batch_mean(bernoulli_batch):
    x, logits = bernoulli_batch
    value = float(losses.BernoulliNLL()(x, logits))
    assert value == pytest.approx(_closed_form_bernoulli(x, logits).mean(), rel=1e-5)
    config = losses.BernoulliNLL().get_config()
    assert losses.BernoulliNLL.from_config(config).name == "bernoulli_nll"


@pytest.mark.parametrize("variance", [1.0, 0.25, 3.0])
def test_gaussian_nll_equals_closed_form_and_the_mse_form(variance):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 12)).astype(np.float32)
    mean = rng.normal(size=(40, 12)).astype(np.float32)
    expected = _closed_form_gaussian(x, mean, variance)
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean, variance)), expected, rtol=1e-5)
    via_mse = 12 * np.asarray(keras.losses.mean_squared_error(x, mean)) / (2 * variance) \
        + 6 * math.log(2 * math.pi * variance)                 # Keras' MSE averages over D = 12
    np.testing.assert_allclose(via_mse, expected, rtol=1e-5)
    if variance == 1.0:
        # unit variance: half the summed squared error plus a constant D/2 log(2 pi)
        sse = ((x.astype(np.float64) - mean) ** 2).sum(axis=1)
        np.testing.assert_allclose(expected, 0.5 * sse + 6 * math.log(2 * math.pi))


def test_gaussian_nll_with_per_dimension_and_learned_variance():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    mean = rng.normal(size=(16, 5)).astype(np.float32)
    per_dim = np.array([0.5, 1.0, 2.0, 0.1, 4.0], dtype=np.float32)
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean, per_dim)),
                               _closed_form_gaussian(x, mean, per_dim), rtol=1e-5)
    log_var = rng.normal(size=(16, 5)).astype(np.float32)          # e.g. a network output
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean, log_variance=log_var)),
                               _closed_form_gaussian(x, mean, np.exp(log_var.astype(np.float64))),
                               rtol=1e-5)
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean, log_variance=np.log(per_dim))),
                               np.asarray(losses.gaussian_nll(x, mean, per_dim)), rtol=1e-5)


def test_check_binary_accepts_0_1_and_names_bad_values():
    checks.check_binary(np.array([[0, 1], [1, 1]]))
    checks.check_binary(np.array([[0.0, 1.0]], dtype=np.float32))
    with pytest.raises(ValueError, match=r"pixels must be binary .*0\.5"):
        checks.check_binary(np.array([[0.0, 0.5]]), "pixels")


# ----------------------------------------------------------------------------- bad arguments
def test_gaussian_variance_must_be_positive():
    x = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="variance must be positive"):
        losses.gaussian_nll(x, x, variance=0.0)
