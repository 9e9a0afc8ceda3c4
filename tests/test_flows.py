"""Real-valued MADE (Gaussian, mixture of Gaussians) and MAF (notebook 07).

Checked: the 2-D densities integrate to 1 on a grid; every MADE is autoregressive (autodiff
Jacobian); MAF's log_prob is the base density plus an independently computed log-determinant;
inverse/forward round trips and sample moments; save/load; one-line errors for bad inputs;
the logit-space transform's Jacobian; the toy samplers; a short fit. Real NVP, MAF with batch norm and MAF MoG:
log-determinants equal those of the autodiff Jacobian, inverse undoes forward, trained 2-D densities integrate to 1
and save/load; inverse and log_prob name the rows that overflow float32.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import autodiff_log_det, one_line, sharpen_density

from made_helpers import MAF, GaussianMADE, RealNVP, fit_density
from made_helpers.density import logit_space, toy2d
from made_helpers.density.flows import gaussian_log_prob_baseline, layer_orderings

GRID_LIM, GRID_N = 9.0, 361             # [-9, 9]^2, cell 0.05
MASS_TOL = 0.01
RNG = np.random.default_rng(0)
"""The inputs' generator: one stream for the module, drawn in test order."""


def models_2d():
    return {"gaussian": sharpen_density(GaussianMADE(2, [16, 16], seed=1)),
            "mog": sharpen_density(GaussianMADE(2, [16, 16], num_components=3, seed=2, mixture_bias_init="normal")),
            "maf": sharpen_density(MAF(2, [16, 16], num_layers=3, seed=3), scale=0.7)}


# ----------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("kind", ["gaussian", "mog", "maf"])
def test_2d_density_integrates_to_one_on_a_grid(kind):
    model = models_2d()[kind]
    xs, _, log_p = toy2d.grid_log_density(model, GRID_LIM, GRID_N)
    edge = np.exp(np.concatenate([log_p[0], log_p[-1], log_p[:, 0], log_p[:, -1]])).max()
    assert edge < 1e-3, f"density at the grid's edge {edge:.2e}: widen the grid"
    assert abs(toy2d.grid_mass(log_p, xs) - 1.0) < MASS_TOL


# ----------------------------------------------------------------------------- autoregressive
def _assert_autoregressive(made: GaussianMADE, seed: int = 0):
    x = tf.constant(np.random.default_rng(seed).normal(size=(4, made.input_dim)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reshape(made(x), (-1, made.params_per_dim, made.input_dim))
    jac = np.abs(tape.batch_jacobian(out, x).numpy()).max(axis=(0, 1))          # (D out, D in)
    deg = made.degrees[0]
    allowed = deg[None, :] < deg[:, None]                                          # [d, j]: j before d
    assert np.all(jac[~allowed] == 0.0), "an output depends on an input that does not come before it"
    assert np.any(jac[allowed] > 0), "no allowed dependence is used at all"


@pytest.mark.parametrize("C,ordering", [(1, "natural"), (3, "random"), (2, [3, 0, 4, 1, 2])])
def test_gaussian_made_outputs_depend_only_on_earlier_inputs(C, ordering):
    _assert_autoregressive(sharpen_density(GaussianMADE(5, [32, 32], num_components=C, ordering=ordering, seed=4)))


@pytest.mark.parametrize("permutation", ["reverse", "random"])
def test_every_maf_layer_is_autoregressive_in_its_own_order(permutation):
    maf = MAF(5, [32], num_layers=3, seed=5, permutation=permutation)
    for made, order in zip(maf.mades, layer_orderings(5, 3, permutation, 5)):
        assert made.ordering.tolist() == order
        _assert_autoregressive(sharpen_density(made))
    if permutation == "reverse":
        assert maf.mades[1].ordering.tolist() == [4, 3, 2, 1, 0]


# ----------------------------------------------------------------------------- exact likelihood
@pytest.mark.slow
def test_maf_log_prob_is_base_density_plus_autodiff_log_det():
    maf = sharpen_density(MAF(3, [16, 16], num_layers=4, seed=6), scale=0.8)
    x = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    expected = []
    for row in x:
        xr = tf.constant(row[None])
        with tf.GradientTape() as tape:
            tape.watch(xr)
            u = maf(xr)
        jac = tape.jacobian(u, xr).numpy().reshape(3, 3).astype(np.float64)
        base = -0.5 * float(np.sum(u.numpy() ** 2)) - 1.5 * math.log(2 * math.pi)
        expected.append(base + np.linalg.slogdet(jac)[1])
    np.testing.assert_allclose(maf.log_prob(x), expected, atol=2e-4)
    _, log_det = maf.forward(x)
    assert np.all(log_det.numpy() != 0.0)


def test_gaussian_made_log_prob_is_the_sum_of_its_conditionals():
    made = sharpen_density(GaussianMADE(3, [16], seed=7))
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    mean, log_scale = (t.numpy().astype(np.float64) for t in made.gaussian_params(x))
    direct = np.sum(-0.5 * ((x - mean) / np.exp(log_scale)) ** 2 - log_scale - 0.5 * math.log(2 * math.pi), axis=1)
    np.testing.assert_allclose(made.log_prob(x), direct, atol=1e-4)
    # a one-layer MAF with natural order is the same density as that Gaussian MADE (change of variables)
    maf = MAF(3, [16], num_layers=1, seed=0)
    for v, w in zip(maf.mades[0].weights, made.weights):
        v.assign(w)
    np.testing.assert_allclose(maf.log_prob(x), direct, atol=1e-4)


def test_mixture_log_prob_uses_logsumexp_and_stays_finite_far_away():
    made = sharpen_density(GaussianMADE(2, [8], num_components=4, seed=8))
    far = np.array([[60.0, -60.0], [1e3, 1e3]], np.float32)
    assert np.all(np.isfinite(made.log_prob(far)))               # every component underflows in exp()


# ----------------------------------------------------------------------------- round trips, sampling
def test_maf_inverse_undoes_forward_and_back():
    maf = sharpen_density(MAF(4, [16], num_layers=3, seed=9, permutation="random"), scale=0.8)
    x = np.random.default_rng(3).normal(size=(50, 4)).astype("float32")
    u = maf.forward(x)[0].numpy()
    np.testing.assert_allclose(maf.inverse(u), x, atol=1e-4)
    np.testing.assert_allclose(maf.forward(maf.inverse(u))[0].numpy(), u, atol=1e-4)
    s1, s2 = maf.sample(8, seed=11), maf.sample(8, seed=11)
    np.testing.assert_array_equal(s1, s2)
    assert np.all(np.isfinite(maf.log_prob(s1)))


@pytest.mark.parametrize("kind", ["gaussian", "mog", "maf"])
def test_sample_moments_match_the_density_on_a_grid(kind):
    """Mean and covariance of 20 000 samples against the same moments of exp(log_prob) on a grid."""
    model = models_2d()[kind]
    xs, ys, log_p = toy2d.grid_log_density(model, GRID_LIM, GRID_N)
    p = np.exp(log_p.astype(np.float64))
    p /= p.sum()
    xx, yy = np.meshgrid(xs, ys)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float64)
    mean = p.ravel() @ grid
    cov = (grid - mean).T @ ((grid - mean) * p.ravel()[:, None])
    samples = model.sample(20_000, seed=3).astype(np.float64)
    se = np.sqrt(np.diag(cov) / len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - mean) < 5 * se + 0.01), (samples.mean(axis=0), mean)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), cov, atol=0.05 * np.abs(cov).max())


def test_complete_keeps_observed_prefix_and_samples_the_rest():
    made = sharpen_density(GaussianMADE(4, [16], num_components=2, ordering=[2, 0, 3, 1], seed=10))
    x = np.random.default_rng(4).normal(size=(6, 4)).astype("float32")
    observed = np.array([True, False, True, False])                 # inputs 2 and 0: the first two in order
    out = made.complete(x, observed, seed=1)
    np.testing.assert_array_equal(out[:, observed], x[:, observed])
    assert not np.allclose(out[:, ~observed], x[:, ~observed])
    with pytest.raises(ValueError, match="not a prefix of the model's ordering"):
        made.complete(x, [False, True, True, False])


# ----------------------------------------------------------------------------- serialization
@pytest.mark.parametrize("kind", ["mog", "maf"])
def test_save_and_load_round_trip(kind, tmp_path):
    model = models_2d()[kind]
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    x = np.random.default_rng(5).normal(size=(7, 2)).astype("float32")
    np.testing.assert_allclose(loaded.log_prob(x), model.log_prob(x), atol=1e-6)
    np.testing.assert_array_equal(loaded.sample(5, seed=2), model.sample(5, seed=2))


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("make,match", [
    (lambda: GaussianMADE(3, [8], num_components=0), r"^num_components must be a positive integer"),
    (lambda: GaussianMADE(3, [8], num_components=2.5), r"^num_components must be a positive integer"),
    (lambda: GaussianMADE(1, [8]), r"^input_dim must be an integer >= 2"),
    (lambda: GaussianMADE(3, [8], log_scale_bound=0), r"^log_scale_bound must be a positive number"),
    (lambda: MAF(3, [8], num_layers=0), r"^num_layers must be a positive integer"),
    (lambda: MAF(3, [8], log_scale_bound="big"), r"^log_scale_bound must be a positive number"),
    (lambda: MAF(3, [8], permutation="shuffle"), r"^permutation must be one of"),
    (lambda: MAF(3, []), r"^hidden_sizes is empty"),
    (lambda: GaussianMADE(3, [8], num_components=2, mixture_bias_init="random"), r"^mixture_bias_init must be one of"),
    (lambda: GaussianMADE(3, [8], mixture_bias_init="normal"), r"^mixture_bias_init='normal' needs a mixture"),
    (lambda: MAF(3, [8], mixture_bias_init="normal"), r"^mixture_bias_init='normal' needs a mixture"),
])
def test_bad_constructor_arguments_raise_one_line_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        make()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cls", [GaussianMADE, MAF])
def test_bad_data_raises_one_line_errors_naming_the_argument(cls):
    model = cls(3, [8], seed=0)
    nan = np.zeros((2, 3), np.float32)
    nan[1, 2] = np.nan
    for x, match in [(nan, r"^x contains 1 NaN or inf"), (np.zeros((2, 4)), r"^x must have width D=3"),
                     (np.zeros(3), r"^x must have shape \(batch, 3\)")]:
        with pytest.raises(ValueError, match=match) as info:
            model.log_prob(x)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"^n must be a positive integer"):
        model.sample(0)


def _first_conditional(made: GaussianMADE) -> np.ndarray:
    """``(3, C)``: the logits, means and log-scales of the first conditional in ``made``'s order (it sees no input)."""
    params = made.mixture_params(np.zeros((1, made.input_dim), np.float32))
    return np.stack([np.asarray(p)[0, :, int(made.ordering[0])] for p in params])


@pytest.mark.parametrize("start", ["zeros", "normal"])
def test_a_mixtures_first_conditional_keeps_one_gaussian_only_from_equal_biases(start):
    """With all-zero output biases the components of the first conditional start equal, get equal updates and stay
    one Gaussian (notebook 07's trap); the MAF authors' random start (``"normal"``) gives them distinct values that
    training keeps distinct. Before ``mixture_bias_init``, every MADE MoG of the MAF-MNIST table had the trap."""
    keras.utils.set_random_seed(0)
    made = GaussianMADE(4, [16, 16], num_components=3, seed=0, mixture_bias_init=start)
    x = np.random.default_rng(1).normal(size=(300, 4)).astype("float32")
    fit_density(made, x[:200], x[200:], epochs=3, batch_size=50, learning_rate=1e-2, seed=0, verbose=False)
    spread = np.ptp(_first_conditional(made), axis=1)           # (3,): over the components, per parameter
    assert np.all(spread == 0) if start == "zeros" else np.all(spread > 0.1), spread


def test_the_authors_random_start_draws_log_scales_with_half_the_spread():
    """``MixtureBiasNormal``: logits and means ~ N(0, 1), log-scales ~ N(0, 1/4) (log-precisions ~ N(0, 1))."""
    keras.utils.set_random_seed(0)
    made = GaussianMADE(200, [4], num_components=5, seed=0, mixture_bias_init="normal")
    bias = made.output_layer.bias.numpy().reshape(3, 5 * 200)   # column p * D + d: logits, means, log-scales
    np.testing.assert_allclose(bias.std(axis=1), [1.0, 1.0, 0.5], rtol=0.05)
    np.testing.assert_allclose(bias.mean(axis=1), 0.0, atol=0.05)


def test_a_maf_mog_starts_its_top_mixture_as_asked_and_keeps_it_in_its_config():
    maf = MAF(3, [8], num_layers=2, seed=0, num_components=3, mixture_bias_init="normal")
    assert maf.top.mixture_bias_init == "normal" and all(m.mixture_bias_init == "zeros" for m in maf.mades)
    assert np.all(np.ptp(_first_conditional(maf.top), axis=1) > 0)
    assert MAF.from_config(maf.get_config()).top.mixture_bias_init == "normal"


def test_mixture_refuses_the_single_gaussian_only_operations():
    made = GaussianMADE(3, [8], num_components=2, seed=0)
    with pytest.raises(ValueError, match="num_components=1"):
        made.inverse(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="num_components=1"):
        made.forward(np.zeros((1, 3)))


# ----------------------------------------------------------------------------- logit space, toys, fit
def test_logit_space_jacobian_matches_finite_differences_and_uniform_case():
    lam = logit_space.LAMBDA_MNIST
    y = np.array([[0.001, 0.3, 0.9, 0.999]])
    logit = lambda v: np.log(lam + (1 - 2 * lam) * v) - np.log1p(-(lam + (1 - 2 * lam) * v))  # noqa: E731
    h = 1e-7
    numeric = np.sum(np.log((logit(y + h) - logit(y - h)) / (2 * h)))
    assert abs(logit_space.log_det_logit_to_unit(logit(y))[0] - numeric) < 1e-4
    # a density uniform on [0,1)^D in y is 256^-D in pixel space: log p_x = -log|dx/dy|
    x = logit_space.dequantize_to_logit(np.random.default_rng(0).integers(0, 256, (5, 784)).astype(np.uint8))
    log_px = -logit_space.log_det_logit_to_unit(x)
    np.testing.assert_allclose(logit_space.to_pixel_space(log_px, x), -784 * math.log(256), rtol=1e-9)
    np.testing.assert_allclose(logit_space.bits_per_pixel(-784 * math.log(256), 784), 8.0)
    z = np.array([[0, 1, 128, 255]], np.uint8)
    back = logit_space.logit_to_pixels(logit_space.dequantize_to_logit(z, seed=3))
    assert np.all((back >= z) & (back < z + 1.0)), back                      # each value in its unit interval
    with pytest.raises(ValueError, match="integers in 0..255"):
        logit_space.dequantize_to_logit(np.full((1, 4), 0.5))


def test_toy_samplers():
    for name in toy2d.TOY_NAMES:
        pts = toy2d.sample_toy(name, 500, seed=1)
        assert pts.shape == (500, 2) and pts.dtype == np.float32
        np.testing.assert_array_equal(pts, toy2d.sample_toy(name, 500, seed=1))
    board = toy2d.checkerboard(2000)
    cell = np.floor(board + 2.0).astype(int)                          # 1x1 cells of the 4x4 board
    assert np.all((cell[:, 0] + cell[:, 1]) % 2 == 0), "a point in a white square"
    r = np.hypot(*toy2d.ring(2000).T)
    assert abs(r.mean() - 2.0) < 0.02
    with pytest.raises(ValueError, match="name must be one of"):
        toy2d.sample_toy("spiral", 10)


@pytest.mark.slow
def test_fit_density_learns_a_correlated_gaussian():
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    data = rng.multivariate_normal([1.0, -1.0], cov, size=3000).astype("float32")
    entropy = 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov))           # the best possible NLL
    made = GaussianMADE(2, [16], seed=0)
    history = fit_density(made, data[:2500], data[2500:], epochs=15, learning_rate=1e-2, patience=5, verbose=False)
    assert history["valid_nll"][0] > history["best_valid_nll"]
    assert abs(history["best_valid_nll"] - entropy) < 0.1
    assert abs(gaussian_log_prob_baseline(data[:2500], data[2500:]).mean() + entropy) < 0.1


def test_fit_density_checks_its_arguments_and_says_why_it_stopped():
    made = GaussianMADE(2, [8], seed=0)
    data = toy2d.ring(300)
    with pytest.raises(ValueError, match=r"^epochs must be a positive integer"):
        fit_density(made, data, data, epochs=0)
    bad = data.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"^x_valid contains 1 NaN or inf"):
        fit_density(made, data, bad)
    history = fit_density(made, data, data[:50], epochs=2, max_seconds=0.0, verbose=False)
    assert history["stop_reason"] == "time" and len(history["valid_nll"]) == 1 and history["best_epoch"] == 1


# ----------------------------------------------------------------------------- Real NVP, MAF with batch norm, MAF MoG
def with_statistics(model, x: np.ndarray):
    """Non-trivial batch-norm statistics and weights: set from ``x`` and then perturbed."""
    model.set_batch_norm_statistics(x)
    for k, bn in enumerate(model.batch_norms):
        rng = np.random.default_rng(k)
        bn.log_gamma.assign(rng.normal(0, 0.3, bn.input_dim).astype("float32"))
        bn.beta.assign(rng.normal(0, 0.3, bn.input_dim).astype("float32"))
    return model


def flows_4d() -> dict:
    x = RNG.normal(size=(200, 4)).astype("float32")
    return {"realnvp_bn": with_statistics(sharpen_density(RealNVP(4, [16], num_layers=3, seed=3, batch_norm=True),
                                                          scale=0.8), x),
            "maf_bn": with_statistics(sharpen_density(MAF(4, [16], num_layers=2, seed=4, batch_norm=True), scale=0.8),
                                      x),
            "maf_mog": with_statistics(sharpen_density(MAF(4, [16], num_layers=2, seed=5, num_components=3,
                                                           batch_norm=True), scale=0.8), x)}


@pytest.fixture(scope="module")
def flows():
    return flows_4d()


@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_flow_log_det_is_log_det_of_the_autodiff_jacobian(flows, kind):
    flow = flows[kind]
    x = RNG.normal(size=(6, 4)).astype("float32")
    _, log_det = flow.forward(x)
    np.testing.assert_allclose(log_det.numpy(), autodiff_log_det(flow, x), atol=2e-4)
    assert np.all(np.abs(log_det.numpy()) > 1e-3)


@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_flow_inverse_undoes_forward(flows, kind):
    flow = flows[kind]
    x = RNG.normal(size=(30, 4)).astype("float32")
    u = flow.forward(x)[0].numpy()
    np.testing.assert_allclose(flow.inverse(u), x, atol=1e-4)
    samples = flow.sample(16, seed=1)
    np.testing.assert_array_equal(samples, flow.sample(16, seed=1))
    assert np.all(np.isfinite(flow.log_prob(samples)))


def test_maf_mog_is_a_mog_made_on_the_flow_output(flows):
    maf = flows["maf_mog"]                                  # the paper's MAF MoG: batch norm after every MADE
    assert maf.top.num_components == 3
    assert maf.steps == [maf.mades[0], maf.batch_norms[0], maf.mades[1], maf.batch_norms[1]]
    assert maf.top.ordering.tolist() == layer_orderings(4, 3)[2]            # the alternation continues
    x = RNG.normal(size=(5, 4)).astype("float32")
    u, log_det = maf.forward(x)
    np.testing.assert_allclose(maf.log_prob(x), maf.top.log_prob(u.numpy()) + log_det.numpy(), atol=1e-4)


def test_default_maf_keeps_its_old_layout():
    maf = MAF(3, [8], num_layers=2, seed=0)
    assert maf.batch_norms == [] and maf.top is None and maf.steps == maf.mades
    config = maf.get_config()
    assert config["batch_norm"] is False and config["num_components"] == 1
    assert len(maf.weights) == 2 * 6                                       # 2 MADEs x (kernel, bias, mask) x 2


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_2d_density_of_a_trained_flow_integrates_to_one_on_a_grid(trained, kind):
    model = trained[kind][0]
    xs, _, log_p = toy2d.grid_log_density(model, GRID_LIM, GRID_N)
    edge = np.exp(np.concatenate([log_p[0], log_p[-1], log_p[:, 0], log_p[:, -1]])).max()
    assert edge < 1e-3, f"density at the grid's edge {edge:.2e}: widen the grid"
    assert abs(toy2d.grid_mass(log_p, xs) - 1.0) < MASS_TOL


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_save_and_load_round_trip_of_a_trained_flow(trained, kind, tmp_path):
    model = trained[kind][0]
    path = tmp_path / f"{kind}.keras"
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    for a, b in zip(loaded.weights, model.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = RNG.normal(size=(7, 2)).astype("float32")
    np.testing.assert_allclose(loaded.log_prob(x), model.log_prob(x), atol=1e-6)
    np.testing.assert_array_equal(loaded.sample(5, seed=2), model.sample(5, seed=2))


# ----------------------------------------------------------------------------- overflow and values beyond float32
def test_inverse_names_the_rows_of_u_that_overflow():
    made = sharpen_density(GaussianMADE(2, [8], seed=0), scale=3.0)
    with pytest.raises(ValueError) as info:
        made.inverse(np.array([[0, 0], [3e38, -3e38]], np.float32))
    one_line(info.value, "inverse overflowed float32 (|value| > 3.4e+38)", "1 of 2 rows of u (row 1)")
    maf = sharpen_density(MAF(2, [8], num_layers=2, seed=0), scale=3.0)
    with pytest.raises(ValueError, match=r"^inverse \(in layer made_\d\) overflowed float32") as info:
        maf.inverse(np.array([[0, 0], [1e37, 1e37], [0.5, 0.5]], np.float32))
    one_line(info.value, "rows of u (row 1)")
    assert np.all(np.isfinite(maf.inverse(np.array([[0.5, -0.5]], np.float32))))


def test_log_prob_refuses_nan_results_from_huge_finite_inputs():
    maf = sharpen_density(MAF(2, [8], num_layers=2, seed=0), scale=3.0)
    with pytest.raises(ValueError) as info:
        maf.log_prob(np.array([[0.0, 0.0], [3e38, 3e38]]))
    one_line(info.value, "log_prob overflowed float32", "rows of x (row 1)")


def test_log_prob_of_values_beyond_float32_says_so(made):
    with pytest.raises(ValueError) as info:
        made.log_prob(np.full((2, 3), 1e39))
    one_line(info.value, "x has 6 value(s) too large for float32 (|value| > 3.403e+38)")
