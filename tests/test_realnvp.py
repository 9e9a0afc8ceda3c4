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


def authors_coupling(coupling, x: np.ndarray, inverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The MAF authors' coupling layer (gpapamak/maf ``ml/models/nvps.py``) in numpy from ``coupling``'s weights:
    ``mask = np.arange(D) % 2`` (flipped in every other layer), nets on ``mask * x`` (a zero weight row for every
    transformed input), ``u = mask x + (1 - mask) exp(-s) (x - t)``, ``log det = -sum (1 - mask) s``."""
    D = coupling.input_dim
    mask = (np.arange(D) % 2).astype(np.float64)
    mask = 1.0 - mask if coupling.flip else mask

    def net(seq, activation):
        h = mask * x.astype(np.float64)
        for k, layer in enumerate(seq.layers):
            W, b = (w.numpy().astype(np.float64) for w in layer.weights)
            if k == 0:                                   # the authors' first layer reads all D inputs
                full = np.zeros((D, W.shape[1]))
                full[mask == 1] = W
                W = full
            h = h @ W + b
            if k < len(seq.layers) - 1:
                h = activation(h)
        out = np.zeros((len(x), D))
        out[:, mask == 0] = h                            # the authors' output has D units; only group b is read
        return out

    s, t = net(coupling.scale_net, np.tanh), net(coupling.translate_net, lambda v: np.maximum(v, 0.0))
    if inverse:
        return mask * x + (1.0 - mask) * (x * np.exp(s) + t), None
    return mask * x + (1.0 - mask) * np.exp(-s) * (x - t), -np.sum((1.0 - mask) * s, axis=1)


def test_the_authors_coupling_layers_equal_their_formula():
    flow = RealNVP(6, [16, 16], num_layers=2, seed=3, split="parity", scale_activation="tanh")
    x = RNG.normal(size=(8, 6)).astype("float32")
    for coupling in flow.couplings:
        assert coupling.made is None
        for net in (coupling.scale_net, coupling.translate_net):   # sharper than the authors' start, to test more
            for w in net.weights:
                w.assign(w.numpy() + 0.3 * RNG.normal(size=w.shape).astype("float32"))
    u, total = x, np.zeros(8)
    for coupling in flow.couplings:
        expected, log_det = authors_coupling(coupling, u)
        got, got_log_det = (t.numpy() for t in coupling.forward(u))
        np.testing.assert_allclose(got, expected, atol=1e-4)
        np.testing.assert_allclose(got_log_det, log_det, atol=1e-4)
        assert np.abs(got_log_det).max() > 0.1, "the scale nets moved"
        np.testing.assert_allclose(coupling.inverse(got), authors_coupling(coupling, got, inverse=True)[0], atol=1e-4)
        np.testing.assert_allclose(coupling.inverse(got), u, atol=1e-4)
        u, total = got, total + log_det
    flow_u, flow_log_det = (t.numpy() for t in flow.forward(x))
    np.testing.assert_allclose(flow_u, u, atol=1e-4)
    np.testing.assert_allclose(flow_log_det, total, atol=1e-3)


def test_the_authors_coupling_starts_as_their_nets_and_survives_a_save(tmp_path):
    """Weights ``N(0, 1 / (fan_in + 1))`` with the first layer's fan-in D (the authors' nets read all D inputs);
    a saved model loads with its split, activations and outputs."""
    import keras

    flow = RealNVP(400, [300], num_layers=2, seed=0, split="parity", scale_activation="tanh", batch_norm=True)
    first, output = (layer.kernel.numpy() for layer in flow.couplings[0].scale_net.layers)
    assert first.shape == (200, 300) and output.shape == (300, 200)
    np.testing.assert_allclose([first.std(), output.std()], [1 / np.sqrt(401), 1 / np.sqrt(301)], rtol=0.02)
    x = RNG.normal(size=(5, 400)).astype("float32")
    flow.save(tmp_path / "nvp.keras")
    loaded = keras.saving.load_model(tmp_path / "nvp.keras")
    assert (loaded.split, loaded.scale_activation) == ("parity", "tanh")
    np.testing.assert_array_equal(loaded.log_prob(x), flow.log_prob(x))
