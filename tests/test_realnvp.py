"""Real NVP (made_helpers.density.realnvp) from a MADE with two degree groups: the second group depends on the
first only, and a Real NVP layer equals a coupling layer written here from the same weights,
``x_b = u_b exp(s(x_a)) + t(x_a)``."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from conftest import sharpen_density

from made_helpers import GaussianMADE, RealNVP
from made_helpers.core import masks as mk

RNG = np.random.default_rng(0)
"""The inputs' generator: one stream for the module, drawn in test order."""


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


def test_gaussian_made_with_two_degree_groups_depends_only_on_the_first_group():
    made = sharpen_density(GaussianMADE(5, [16], input_degrees=mk.coupling_degrees(5), seed=1), scale=0.8)
    x = tf.constant(RNG.normal(size=(4, 5)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = made(x)
    jac = np.abs(tape.batch_jacobian(out, x).numpy()).max(axis=0).reshape(2, 5, 5).max(axis=0)  # [d out, j in]
    assert np.all(jac[:2] == 0), "the first group's conditionals are unconditional"
    assert np.all(jac[2:, 2:] == 0) and np.all(jac[2:, :2] > 0), "group b depends on group a only"
    assert made.get_config()["input_degrees"] == [1, 1, 2, 2, 2]


def test_real_nvp_layers_equal_a_reference_coupling_layer():
    flow = sharpen_density(RealNVP(5, [16, 16], num_layers=3, seed=2), scale=0.8)
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
