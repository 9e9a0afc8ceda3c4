"""The MADE model: autoregressive by gradients, exactly normalised, samples from its own p(x), saves;
bad arguments and inputs are refused in one line; only element-wise activations; many masks cost little memory."""

from __future__ import annotations

import itertools
import math
import time
import tracemalloc

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import TINY_RUN, cli, one_line_error, rewrite_keras

from made_helpers import MADE
from made_helpers.core.layers import MaskedDense
from made_helpers.core.losses import bernoulli_nll

ORDERING_KINDS = ["natural", "reversed", "random", "permutation"]


def _l1_bound(n: int, categories: int, delta: float = 1e-6) -> float:
    """An L1 distance the empirical frequencies of ``n`` draws exceed with probability < ``delta``.

    Bretagnolle-Huber-Carol: ``P(||p_hat - p||_1 >= eps) <= (2^k - 2) exp(-n eps^2 / 2)``;
    distribution-free, so it holds for any model probabilities.
    """
    return math.sqrt(2.0 * (math.log(2**categories - 2) + math.log(1.0 / delta)) / n)


def _numpy_log_prob(model: MADE, x: np.ndarray) -> np.ndarray:
    """``log p(x)`` under the current mask, from the logits, in float64 numpy (independent of log_prob)."""
    logits = model(x).numpy().astype(np.float64)
    return -(np.logaddexp(0.0, logits) - x * logits).sum(axis=1)


# ------------------------------------------------------------ autoregressive property, by gradients
JACOBIAN_CASES = list(itertools.product(ORDERING_KINDS, ["random", "equal"], [True, False], ["narrow", "wide"]))


@pytest.mark.parametrize("kind,scheme,direct,width_regime", JACOBIAN_CASES)
def test_jacobian_is_zero_unless_input_precedes_output(kind, scheme, direct, width_regime):
    """d logit_j / d x_i == 0 exactly unless i comes before j in model.ordering, for every mask.

    tanh hidden units have non-zero slope everywhere, so the Jacobian's support must then
    equal ``model.connectivity()`` exactly; with relu it must lie inside it.
    """
    case = JACOBIAN_CASES.index((kind, scheme, direct, width_regime))
    rng = np.random.default_rng(case)
    D = int(rng.integers(4, 10))
    n_layers = 1 + case % 3
    low, high = (1, D) if width_regime == "narrow" else (D + 1, 3 * D)
    sizes = [int(h) for h in rng.integers(low, high, size=n_layers)]
    ordering = rng.permutation(D).tolist() if kind == "permutation" else kind
    activation = "tanh" if case % 2 else "relu"
    num_masks = 1 + case % 4
    model = MADE(D, sizes, num_masks=num_masks, ordering=ordering, hidden_degrees=scheme,
                 direct=direct, activation=activation, seed=case)
    x = tf.constant(rng.normal(size=(8, D)).astype(np.float32))
    for k in range(num_masks):
        model.set_mask(k)
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = model(x)
        jac = tape.batch_jacobian(logits, x).numpy()          # (batch, j, i)
        support = (np.abs(jac) > 0).any(axis=0).T               # [i, j]
        position = np.empty(D, dtype=int)
        position[model.ordering] = np.arange(D)
        precedes = position[:, None] < position[None, :]       # [i, j]: i before j
        assert not np.any(support & ~precedes), f"mask {k}: a logit depends on a later or its own input"
        conn = model.connectivity()
        assert not np.any(conn & ~precedes)
        if activation == "tanh":
            np.testing.assert_array_equal(support, conn)
        else:
            assert not np.any(support & ~conn)
        if kind == "permutation":
            np.testing.assert_array_equal(model.ordering, ordering)


def test_first_output_is_a_constant():
    """The first variable in the ordering has no parents: its logit is the same for every input."""
    model = MADE(6, [10], ordering="reversed", seed=0)
    logits = model(np.random.default_rng(0).integers(0, 2, (32, 6)).astype(np.float32)).numpy()
    first = model.ordering[0]
    assert first == 5
    np.testing.assert_allclose(logits[:, first], logits[0, first])
    assert np.ptp(logits[:, model.ordering[-1]]) > 0


def test_masks_differ_between_mask_indices():
    model = MADE(10, [20, 20], num_masks=3, ordering="random", seed=5)
    orderings, hidden = [], []
    for k in range(3):
        model.set_mask(k)
        assert model.current_mask == k
        orderings.append(model.ordering.copy())
        hidden.append(model.hidden_layers[0].mask.numpy().copy())
        np.testing.assert_array_equal(model.output_layer.mask.numpy(), model.masks[-1])
    assert len({tuple(o) for o in orderings}) == 3, "random ordering gave the same order for two masks"
    assert not np.array_equal(hidden[0], hidden[1])


def test_natural_ordering_keeps_order_but_changes_connectivity():
    model = MADE(8, [12], num_masks=2, ordering="natural", seed=1)
    conn0 = model.connectivity()
    model.set_mask(1)
    np.testing.assert_array_equal(model.ordering, np.arange(8))
    assert not np.array_equal(model.hidden_layers[0].mask.numpy(), model.mask_set(0).masks[0])
    assert model.connectivity().shape == conn0.shape


def test_same_seed_same_masks_across_models():
    a = MADE(9, [15, 7], num_masks=2, ordering="random", seed=123)
    b = MADE(9, [15, 7], num_masks=2, ordering="random", seed=123)
    c = MADE(9, [15, 7], num_masks=2, ordering="random", seed=124)
    for k in range(2):
        for m in (a, b, c):
            m.set_mask(k)
        for ma, mb in zip(a.masks, b.masks):
            np.testing.assert_array_equal(ma, mb)
        np.testing.assert_array_equal(a.ordering, b.ordering)
    assert not np.array_equal(a.ordering, c.ordering)


# ------------------------------------------------------------------- exact normalisation
@pytest.mark.parametrize("D,sizes,ordering,direct", [
    (8, [16], "random", True),
    (8, [5, 9], "natural", False),
    (10, [12, 12], "reversed", True),
    (12, [20], "random", False),
])
def test_probabilities_sum_to_one_for_each_mask_and_the_mixture(D, sizes, ordering, direct, sharpen,
                                                                 binary_vectors):
    K = 3
    model = sharpen(MADE(D, sizes, num_masks=K, ordering=ordering, direct=direct, seed=D))
    x = binary_vectors(D)
    per_mask = []
    for k in range(K):
        model.set_mask(k)
        lp = model.log_prob(x).astype(np.float64)
        assert lp.shape == (2**D,)
        assert abs(np.exp(lp).sum() - 1.0) < 1e-4, f"mask {k}: sum p = {np.exp(lp).sum()}"
        np.testing.assert_allclose(lp, _numpy_log_prob(model, x), atol=1e-4)
        per_mask.append(np.exp(lp))
    model.set_mask(1)
    mixture = model.log_prob(x, num_masks=K).astype(np.float64)
    assert model.current_mask == 1, "log_prob(num_masks=K) must restore the current mask"
    assert abs(np.exp(mixture).sum() - 1.0) < 1e-4
    np.testing.assert_allclose(mixture, np.log(np.mean(per_mask, axis=0)), atol=1e-4)
    two = model.log_prob(x, num_masks=2).astype(np.float64)
    np.testing.assert_allclose(two, np.log(np.mean(per_mask[:2], axis=0)), atol=1e-4)
    # the distribution is far from uniform, so a 1e-4 tolerance has power
    assert np.abs(per_mask[0] - 2.0**-D).sum() > 0.3


def test_averaging_logits_over_masks_is_not_normalised(sharpen, binary_vectors):
    """The wrong ensemble: sigmoid of the mean logit is not a distribution (sum != 1)."""
    D, K = 8, 4
    model = sharpen(MADE(D, [16], num_masks=K, ordering="random", seed=2), scale=3.0)
    x = binary_vectors(D)
    mean_logits = np.zeros((2**D, D))
    for k in range(K):
        model.set_mask(k)
        mean_logits += model(x).numpy() / K
    wrong = -(np.logaddexp(0.0, mean_logits) - x * mean_logits).sum(axis=1)
    assert abs(np.exp(wrong).sum() - 1.0) > 1e-2
    assert abs(np.exp(model.log_prob(x, num_masks=K).astype(np.float64)).sum() - 1.0) < 1e-4


def test_log_prob_matches_bernoulli_nll_and_is_batch_size_independent(sharpen):
    model = sharpen(MADE(10, [16], seed=0))
    x = np.random.default_rng(0).integers(0, 2, (37, 10)).astype(np.float32)
    lp = model.log_prob(x)
    assert lp.shape == (37,) and lp.dtype == np.float32
    np.testing.assert_allclose(lp, -bernoulli_nll(x, model(x)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.log_prob(x, batch_size=8), lp, rtol=1e-6)
    assert np.all(lp < 0)


# ------------------------------------------------------------------------------ sampling
def _frequencies(samples: np.ndarray) -> np.ndarray:
    D = samples.shape[1]
    codes = samples.astype(np.int64) @ (1 << np.arange(D))
    return np.bincount(codes, minlength=2**D) / len(samples)


@pytest.mark.parametrize("ordering,mask,sizes,direct", [
    ("natural", 0, [8], True),
    ([2, 0, 3, 1], 0, [8], True),
    ("random", 1, [8], False),
    ("reversed", 0, [6, 5], False),
])
def test_samples_follow_the_model_distribution(ordering, mask, sizes, direct, sharpen, binary_vectors):
    D, n = 4, 20_000
    model = sharpen(MADE(D, sizes, num_masks=2, ordering=ordering, direct=direct, seed=3), scale=3.0)
    model.set_mask(mask)
    p = np.exp(model.log_prob(binary_vectors(D)).astype(np.float64))
    samples = model.sample(n, seed=0)
    assert samples.shape == (n, D) and samples.dtype == np.float32
    assert set(np.unique(samples)) <= {0.0, 1.0}
    bound = _l1_bound(n, 2**D)
    assert np.abs(_frequencies(samples) - p).sum() < bound
    # power: the model is far from uniform and from independent pixels with the same marginals
    assert np.abs(p - 2.0**-D).sum() > 4 * bound
    marginals = samples.mean(axis=0)
    x = binary_vectors(D)
    independent = np.prod(np.where(x > 0, marginals, 1 - marginals), axis=1)
    assert np.abs(independent - p).sum() > 2 * bound
    np.testing.assert_array_equal(model.sample(5, seed=7), model.sample(5, seed=7))


def _reference_sequential(model: MADE, x: np.ndarray, observed: np.ndarray, seed: int) -> np.ndarray:
    """The textbook sampler: a full forward pass per variable, with the uniforms model.sample uses."""
    n, D = x.shape
    uniforms = tf.random.stateless_uniform([D, n], seed=[seed, 0]).numpy()
    x = x.copy()
    for i, idx in enumerate(model.ordering):
        p = tf.sigmoid(model(x)[:, idx]).numpy()
        x[:, idx] = np.where(observed[:, idx], x[:, idx], (uniforms[i] < p).astype(np.float32))
    return x


@pytest.mark.parametrize("sizes,direct,activation", [([30], True, "relu"), ([20, 15, 10], False, "tanh")])
def test_sample_and_complete_equal_a_full_pass_per_variable(sizes, direct, activation, sharpen):
    """The sampler's shortcuts (rank-1 updates, one logit per pass) change nothing."""
    D, n = 12, 64
    model = sharpen(MADE(D, sizes, num_masks=2, ordering="random", direct=direct,
                         activation=activation, seed=6))
    model.set_mask(1)
    zeros = np.zeros((n, D), dtype=np.float32)
    fast = model.sample(n, seed=5)
    slow = _reference_sequential(model, zeros, zeros > 0, seed=5)
    assert (fast != slow).any(axis=1).sum() <= 1, "samples differ from the full-pass sampler"
    assert 0.05 < fast.mean() < 0.95
    observed = np.zeros(D, dtype=bool)
    observed[model.ordering[:5]] = True
    x = np.random.default_rng(0).integers(0, 2, (n, D)).astype(np.float32)
    fast = model.complete(x, observed, seed=9)
    slow = _reference_sequential(model, x, np.broadcast_to(observed, x.shape), seed=9)
    assert (fast != slow).any(axis=1).sum() <= 1


def test_complete_keeps_observed_and_draws_from_the_conditional(sharpen, binary_vectors):
    D, n = 4, 20_000
    ordering = [2, 0, 3, 1]
    model = sharpen(MADE(D, [8], ordering=ordering, seed=4), scale=3.0)
    observed = np.array([True, False, True, False])          # inputs 2 and 0: a prefix of the order
    row = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    out = model.complete(np.tile(row, (n, 1)), observed, seed=1)
    np.testing.assert_array_equal(out[:, observed], np.tile(row[observed], (n, 1)))
    x = binary_vectors(D)
    p = np.exp(model.log_prob(x).astype(np.float64))
    match = np.all(x[:, observed] == row[observed], axis=1)
    conditional = np.where(match, p, 0.0) / p[match].sum()
    freq = _frequencies(out)
    assert freq[~match].sum() == 0
    assert np.abs(freq - conditional).sum() < _l1_bound(n, 4)
    single = model.complete(row, observed, seed=1)
    assert single.shape == (D,)
    np.testing.assert_array_equal(single[observed], row[observed])


def test_complete_refuses_an_observed_input_after_an_unobserved_one():
    model = MADE(4, [8], ordering=[2, 0, 3, 1], seed=0)
    x = np.zeros((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="observed input 3 comes after unobserved input 0"):
        model.complete(x, np.array([False, False, True, True]))
    everything = model.complete(x, np.ones(4, dtype=bool))
    np.testing.assert_array_equal(everything, x)


# -------------------------------------------------------------------------- serialization
# the filtered warning comes from Keras' own saving code converting a TF variable to numpy
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_save_and_load_give_identical_log_prob(tmp_path, sharpen):
    """A .keras round trip keeps the weights, the current mask and every mask's log_prob."""
    model = sharpen(MADE(7, [13, 9], num_masks=3, ordering="random", seed=21))
    model.set_mask(2)
    x = np.random.default_rng(1).integers(0, 2, (50, 7)).astype(np.float32)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, MADE)
    assert loaded.current_mask == 2
    np.testing.assert_array_equal(loaded.ordering, model.ordering)
    np.testing.assert_array_equal(loaded.log_prob(x), model.log_prob(x))
    np.testing.assert_array_equal(loaded.log_prob(x, num_masks=3), model.log_prob(x, num_masks=3))
    for k in range(3):
        model.set_mask(k)
        loaded.set_mask(k)
        np.testing.assert_array_equal(loaded.log_prob(x), model.log_prob(x))
    assert loaded.get_config() == model.get_config()


def test_config_round_trip_rebuilds_the_same_masks():
    model = MADE(6, [10], num_masks=2, ordering=[5, 4, 3, 0, 1, 2], hidden_degrees="equal",
                 direct=False, activation="tanh", seed=8)
    clone = MADE.from_config(model.get_config())
    assert clone.direct_layer is None and clone.hidden_degrees == "equal"
    for k in range(2):
        model.set_mask(k)
        clone.set_mask(k)
        for a, b in zip(model.masks, clone.masks):
            np.testing.assert_array_equal(a, b)


def test_masked_dense_config_round_trip_and_masking():
    layer = MaskedDense(5, activation="tanh", use_bias=False, name="md")
    config = layer.get_config()
    clone = MaskedDense.from_config(config)
    assert clone.get_config() == config
    assert clone.units == 5 and clone.use_bias is False
    clone.build((None, 3))
    mask = np.zeros((3, 5), dtype=np.float32)
    mask[0, :] = 1
    clone.set_mask(mask)
    out_a = clone(np.array([[1.0, 2.0, 3.0]], dtype=np.float32)).numpy()
    out_b = clone(np.array([[1.0, -7.0, 9.0]], dtype=np.float32)).numpy()
    np.testing.assert_array_equal(out_a, out_b)             # masked inputs have no effect
    with pytest.raises(ValueError, match="mask shape"):
        clone.set_mask(np.ones((5, 3)))


def test_next_mask_cycles_through_the_masks():
    """``next_mask`` (used by the exercise-05 training loop) moves to mask k+1 and wraps round after K-1."""
    model = MADE(6, [12], num_masks=3, ordering="random", seed=0)
    assert [model.next_mask() for _ in range(4)] == [1, 2, 0, 1]
    assert model.current_mask == 1


# --------------------------------------------------------------------- bad arguments and inputs, one clear message each
@pytest.fixture(scope="module")
def model():
    return MADE(5, [8], num_masks=2, ordering="random", seed=0)


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


# ----------------------------------------------------------------------------- activations: element-wise only
@pytest.mark.parametrize("activation", ["softmax", "log_softmax", "sparsemax", "glu"])
def test_activations_that_mix_units_are_refused(tmp_path, capsys, activation):
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--activation", activation, "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, f"--activation '{activation}' mixes the units of a layer", "relu, relu6", "tanh")
    assert out == "" and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=f"^activation '{activation}' mixes the units"):
        MADE(5, [8], activation=activation)


def test_element_wise_activations_keep_the_property():
    import keras

    from made_helpers.core import masks as mk

    for activation in ("gelu", "tanh", keras.activations.elu):
        model = MADE(5, [8], activation=activation, seed=0)
        assert model.get_config()["activation"] in ("gelu", "tanh", "elu")
        x = np.random.default_rng(0).integers(0, 2, (64, 5)).astype(np.float32)
        # output d must not change when an input at or after d (in the ordering) changes
        for d in range(5):
            flipped = x.copy()
            flipped[:, d:] = 1 - flipped[:, d:]
            np.testing.assert_allclose(model(x).numpy()[:, :d + 1], model(flipped).numpy()[:, :d + 1], atol=1e-6)
        assert mk.is_autoregressive(model.connectivity(), model.degrees[0])


# ----------------------------------------------------------------------------- many masks: memory and time
def test_mask_sets_keep_degrees_not_dxd_masks():
    """Before: every cached mask set held a 784 x 784 float32 direct mask (2.4 MB a mask, also with
    direct=False); 300 masks took 0.7 GB. Now the cache holds degrees only, and at most MASK_CACHE_SIZE."""
    from made_helpers.core.model import MASK_CACHE_SIZE

    model = MADE(784, [8], num_masks=300, ordering="random", direct=False, seed=0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(300):
            model.set_mask(k)
        model.degree_tables()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20 * 2**20, f"300 masks kept {grown / 2**20:.0f} MiB"          # was ~700 MiB
    assert len(model._mask_cache) <= MASK_CACHE_SIZE
    arrays = [a for ms in model._mask_cache.values() for a in ms.degrees]
    assert all(a.ndim == 1 for a in arrays) and "direct_mask" not in vars(next(iter(model._mask_cache.values())))
    assert sum(a.nbytes for a in arrays) <= MASK_CACHE_SIZE * (784 + 8) * 8
    # the masks are still the same ones, built when asked for
    ms = model.mask_set(299)
    np.testing.assert_array_equal(model.hidden_layers[0].mask.numpy(), ms.masks[0])


def test_a_million_masks_neither_hangs_nor_fills_memory(finished_run, tmp_path, capsys):
    t0 = time.perf_counter()
    model = MADE(6, [8], num_masks=1_000_000, ordering="random", seed=0)
    model.set_mask(999_999)
    assert time.perf_counter() - t0 < 30
    assert model.current_mask == 999_999
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "many.keras", num_masks=1_000_000)
    t0 = time.perf_counter()
    rc, _, err = cli(capsys, "evaluate", "--model", bad, "--limit", "10")
    assert rc == 1 and time.perf_counter() - t0 < 60
    one_line_error(err, "num_masks=1000000 exceeds 10000")
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--masks", "1000000", "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, "argument --masks: must be <= 10000")
