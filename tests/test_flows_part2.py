"""The MAF paper's other models (issue 17, item 4): Real NVP from two degree groups, batch normalisation
for flows, MAF MoG.

Checked: two degree groups make a MADE's masks a coupling (the same mask rule as an ordering); a Real
NVP layer equals a coupling layer written here from the same weights, ``x_b = u_b exp(s(x_a)) + t(x_a)``;
every log-determinant equals ``log|det|`` of the autodiff Jacobian (batch norm in evaluation and training
mode, Real NVP, MAF with batch norm, MAF MoG's flow part); inverse(forward(x)) = x; the 2-D densities
integrate to 1 on a grid after training (non-trivial batch-norm statistics); save/load; fit_density
lowers the validation NLL of each new model on a 2-D toy.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from made_helpers import MAF, BatchNormFlow, GaussianMADE, RealNVP, fit_density
from made_helpers.core import masks as mk
from made_helpers.density import toy2d
from made_helpers.density.flows import layer_orderings

GRID_LIM, GRID_N = 9.0, 361             # [-9, 9]^2, cell 0.05
MASS_TOL = 0.01
RNG = np.random.default_rng(0)


def sharpen(model, scale: float = 0.8, seed: int = 0):
    """Redraw the trainable weights: kernels N(0, scale^2 / fan_in), the rest N(0, 0.3^2)."""
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        std = scale / np.sqrt(v.shape[0]) if "kernel" in v.path else 0.3
        v.assign(rng.normal(0, std, v.shape).astype("float32"))
    return model


def autodiff_log_det(fn, x: np.ndarray) -> np.ndarray:
    """``log|det d fn(x)_i / d x_i|`` per row ``(batch,)`` from the full autodiff Jacobian (rows independent)."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        u = fn(xt)
    jac = tape.batch_jacobian(u, xt).numpy().astype(np.float64)            # (batch, D, D)
    return np.linalg.slogdet(jac)[1]


def with_statistics(model, x: np.ndarray):
    """Non-trivial batch-norm statistics and weights: set from ``x`` and then perturbed."""
    model.set_batch_norm_statistics(x)
    for k, bn in enumerate(model.batch_norms):
        rng = np.random.default_rng(k)
        bn.log_gamma.assign(rng.normal(0, 0.3, bn.input_dim).astype("float32"))
        bn.beta.assign(rng.normal(0, 0.3, bn.input_dim).astype("float32"))
    return model


# ----------------------------------------------------------------------------- two degree groups
def test_two_degree_groups_make_a_coupling_with_the_ordering_mask_rule():
    np.testing.assert_array_equal(mk.coupling_degrees(5), [1, 1, 2, 2, 2])
    np.testing.assert_array_equal(mk.coupling_degrees(5, flip=True), [2, 2, 1, 1, 1])
    degrees = mk.make_degrees(5, [16, 8], inputs=mk.coupling_degrees(5), seed=0)
    assert all(np.all(d == 1) for d in degrees[1:]), "hidden degrees lie below the largest input degree, 2"
    conn = mk.connectivity(mk.make_masks(degrees))                          # [i, j]: output j sees input i
    expected = np.zeros((5, 5), bool)
    expected[:2, 2:] = True                                                # group b sees group a, nothing else
    np.testing.assert_array_equal(conn, expected)
    assert mk.is_autoregressive(conn, degrees[0])
    # the explicit input degrees of a permutation give the same degrees as that ordering: one rule
    perm = [3, 0, 4, 1, 2]
    for a, b in zip(mk.make_degrees(5, [12, 7], perm, seed=3),
                    mk.make_degrees(5, [12, 7], inputs=mk.input_degrees(5, perm), seed=3)):
        np.testing.assert_array_equal(a, b)


def test_gaussian_made_with_two_degree_groups_depends_only_on_the_first_group():
    made = sharpen(GaussianMADE(5, [16], input_degrees=mk.coupling_degrees(5), seed=1))
    x = tf.constant(RNG.normal(size=(4, 5)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = made(x)
    jac = np.abs(tape.batch_jacobian(out, x).numpy()).max(axis=0).reshape(2, 5, 5).max(axis=0)  # [d out, j in]
    assert np.all(jac[:2] == 0), "the first group's conditionals are unconditional"
    assert np.all(jac[2:, 2:] == 0) and np.all(jac[2:, :2] > 0), "group b depends on group a only"
    assert made.get_config()["input_degrees"] == [1, 1, 2, 2, 2]


# ----------------------------------------------------------------------------- Real NVP = a coupling layer
def reference_coupling(made: GaussianMADE, keep: np.ndarray, x: np.ndarray, inverse: bool = False) -> np.ndarray:
    """A coupling layer with plain dense nets on the kept inputs ``x_a``, from the MADE's unmasked weights.

    ``s(x_a), t(x_a)`` = the MADE's alpha and mu columns of group b; forward ``u_b = (x_b - t) exp(-s)``,
    inverse ``x_b = u_b exp(s) + t``; ``x_a`` passes through.
    """
    a, b, D = np.flatnonzero(keep), np.flatnonzero(~keep), made.input_dim
    h = x[:, a].astype(np.float64)
    for k, layer in enumerate(made.hidden_layers):
        W = layer.kernel.numpy()[a] if k == 0 else layer.kernel.numpy()     # first layer: the rows of x_a only
        h = np.maximum(h @ W + layer.bias.numpy(), 0.0)
    out = h @ made.output_layer.kernel.numpy() + made.output_layer.bias.numpy()
    t, raw = out[:, b], out[:, D + b]
    s = made.log_scale_bound * np.tanh(raw / made.log_scale_bound)
    y = x.astype(np.float64).copy()
    y[:, b] = x[:, b] * np.exp(s) + t if inverse else (x[:, b] - t) * np.exp(-s)
    return y, -s.sum(axis=1)


def test_real_nvp_layers_equal_a_reference_coupling_layer():
    flow = sharpen(RealNVP(5, [16, 16], num_layers=3, seed=2))
    x = RNG.normal(size=(8, 5)).astype("float32")
    u, total = x, np.zeros(8)
    for k, coupling in enumerate(flow.couplings):
        keep = mk.coupling_degrees(5, flip=k % 2 == 1) == 1
        np.testing.assert_array_equal(coupling.keep.numpy() == 1, keep)
        expected, log_det = reference_coupling(coupling.made, keep, u)
        got, got_log_det = (t.numpy() for t in coupling.forward(u))
        np.testing.assert_allclose(got, expected, atol=1e-5)
        np.testing.assert_allclose(got_log_det, log_det, atol=1e-5)
        np.testing.assert_array_equal(got[:, keep], u[:, keep])
        back, _ = reference_coupling(coupling.made, keep, got, inverse=True)
        np.testing.assert_allclose(coupling.inverse(got), back, atol=1e-5)
        np.testing.assert_allclose(back, u, atol=1e-4)
        u, total = got, total + log_det
    flow_u, flow_log_det = (t.numpy() for t in flow.forward(x))
    np.testing.assert_allclose(flow_u, u, atol=1e-5)
    np.testing.assert_allclose(flow_log_det, total, atol=1e-4)


# ----------------------------------------------------------------------------- log-determinants by autodiff
def test_batch_norm_log_det_and_inverse_in_evaluation_mode():
    bn = BatchNormFlow(3)
    x = (RNG.normal(size=(50, 3)) * [1.0, 3.0, 0.2] + [1.0, -2.0, 0.5]).astype("float32")
    bn.set_statistics(x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-5)
    bn.log_gamma.assign([0.3, -0.5, 0.1])
    bn.beta.assign([0.2, 0.0, -1.0])
    u, log_det = (t.numpy() for t in bn.forward(x))
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + bn.epsilon) * np.exp([0.3, -0.5, 0.1]) + [0.2, 0.0, -1.0]
    np.testing.assert_allclose(u, expected, atol=1e-5)
    paper = np.sum(np.array([0.3, -0.5, 0.1]) - 0.5 * np.log(x.var(0) + bn.epsilon))
    np.testing.assert_allclose(log_det, paper, rtol=1e-5)
    np.testing.assert_allclose(log_det, autodiff_log_det(lambda t: bn._forward(t)[0], x[:5]).mean(), rtol=1e-5)
    np.testing.assert_allclose(bn.inverse(u), x, atol=1e-5)


def test_batch_norm_in_training_uses_and_records_the_batch_statistics():
    x = (RNG.normal(size=(64, 4)) * 2.0 + 3.0).astype("float32")
    bn = BatchNormFlow(4, momentum=0.0)                 # the running averages become this batch's statistics
    u, log_det = (t.numpy() for t in bn.forward(x, training=True))
    np.testing.assert_allclose(u.mean(axis=0), 0.0, atol=1e-5)              # log_gamma = beta = 0: standardised
    np.testing.assert_allclose(u.var(axis=0), x.var(0) / (x.var(0) + bn.epsilon), atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0), atol=1e-5)
    u_eval, log_det_eval = (t.numpy() for t in bn.forward(x))
    np.testing.assert_allclose(u_eval, u, atol=1e-5)
    np.testing.assert_allclose(log_det_eval, log_det, atol=1e-5)
    # per row, with the batch's statistics held fixed: the training log-det is log|det| of the Jacobian
    np.testing.assert_allclose(log_det, autodiff_log_det(lambda t: bn._forward(t)[0], x[:3]).mean(), rtol=1e-5)
    slow = BatchNormFlow(4, momentum=0.9)
    slow.forward(x, training=True)
    np.testing.assert_allclose(slow.moving_mean.numpy(), 0.1 * x.mean(0), atol=1e-5)
    np.testing.assert_allclose(slow.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), rtol=1e-5)


def flows_4d() -> dict:
    x = RNG.normal(size=(200, 4)).astype("float32")
    return {"realnvp_bn": with_statistics(sharpen(RealNVP(4, [16], num_layers=3, seed=3, batch_norm=True)), x),
            "maf_bn": with_statistics(sharpen(MAF(4, [16], num_layers=2, seed=4, batch_norm=True)), x),
            "maf_mog": with_statistics(sharpen(MAF(4, [16], num_layers=2, seed=5, num_components=3, batch_norm=True)),
                                       x)}


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


def test_batch_norm_statistics_of_a_data_set_standardise_the_flow_output():
    maf = sharpen(MAF(3, [16], num_layers=2, seed=6, batch_norm=True))
    for bn in maf.batch_norms:
        bn.log_gamma.assign(np.zeros(3, np.float32))
        bn.beta.assign(np.zeros(3, np.float32))
    x = (RNG.normal(size=(500, 3)) * [2.0, 0.5, 1.0]).astype("float32")
    maf.set_batch_norm_statistics(x, batch_size=128)
    u = maf.forward(x)[0].numpy()                                         # the last step is a batch norm
    np.testing.assert_allclose(u.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(u.std(axis=0), 1.0, atol=1e-3)


def test_default_maf_keeps_its_old_layout():
    maf = MAF(3, [8], num_layers=2, seed=0)
    assert maf.batch_norms == [] and maf.top is None and maf.steps == maf.mades
    config = maf.get_config()
    assert config["batch_norm"] is False and config["num_components"] == 1
    assert len(maf.weights) == 2 * 6                                       # 2 MADEs x (kernel, bias, mask) x 2


# ----------------------------------------------------------------------------- training, normalisation, saving
def make_2d(kind: str):
    if kind == "realnvp_bn":
        return RealNVP(2, [16, 16], num_layers=4, seed=7, batch_norm=True)
    if kind == "maf_bn":
        return MAF(2, [16, 16], num_layers=3, seed=8, batch_norm=True)
    return MAF(2, [16, 16], num_layers=2, seed=9, num_components=3)


@pytest.fixture(scope="module")
def trained():
    """Each new model trained for 2 epochs on two moons: (model, NLL before, history)."""
    data = toy2d.two_moons(800, seed=0)
    out = {}
    for kind in ("realnvp_bn", "maf_bn", "maf_mog"):
        model = make_2d(kind)
        before = float(-model.log_prob(data[600:]).mean())
        history = fit_density(model, data[:601], data[600:], epochs=2, batch_size=100, learning_rate=3e-3,
                              verbose=False)
        out[kind] = model, before, history
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_fit_density_lowers_the_validation_nll(trained, kind):
    model, before, history = trained[kind]
    assert len(history["valid_nll"]) == 2 and all(map(math.isfinite, history["train_nll"]))
    assert history["best_valid_nll"] < before - 0.1, (before, history)
    for bn in model.batch_norms:                              # the running statistics moved away from 0 and 1
        assert np.abs(bn.moving_mean.numpy()).max() > 1e-3 and np.abs(bn.moving_variance.numpy() - 1).max() > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_2d_density_integrates_to_one_on_a_grid(trained, kind):
    model = trained[kind][0]
    xs, _, log_p = toy2d.grid_log_density(model, GRID_LIM, GRID_N)
    edge = np.exp(np.concatenate([log_p[0], log_p[-1], log_p[:, 0], log_p[:, -1]])).max()
    assert edge < 1e-3, f"density at the grid's edge {edge:.2e}: widen the grid"
    assert abs(toy2d.grid_mass(log_p, xs) - 1.0) < MASS_TOL


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["realnvp_bn", "maf_bn", "maf_mog"])
def test_save_and_load_round_trip(trained, kind, tmp_path):
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


def test_fit_density_with_batch_norm_needs_two_rows_per_batch():
    model = RealNVP(2, [4], num_layers=1, seed=0, batch_norm=True)
    data = toy2d.ring(50)
    with pytest.raises(ValueError, match=r"^batch_size must be at least 2 for a model with batch normalisation"):
        fit_density(model, data, data, batch_size=1)
    with pytest.raises(ValueError, match=r"^x_train needs at least 2 rows"):
        fit_density(model, data[:1], data)
    history = fit_density(model, data[:21], data, epochs=1, batch_size=10, verbose=False)   # the 21st row is left out
    assert all(map(math.isfinite, history["train_nll"]))
