"""The plain autoencoder builder and noise functions (made_helpers.core.autoencoders)."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers import MADE
from made_helpers.core.autoencoders import build_autoencoder, masking_noise, reconstruction_log_prob


def test_shapes_and_submodels():
    model = build_autoencoder(input_dim=12, hidden_sizes=[8], code_dim=3)
    x = np.random.default_rng(0).random((5, 12)).astype("float32")
    assert tuple(model(x).shape) == (5, 12)
    assert tuple(model.get_layer("encoder")(x).shape) == (5, 3)
    z = np.zeros((2, 3), dtype="float32")
    assert tuple(model.get_layer("decoder")(z).shape) == (2, 12)


def test_no_hidden_layers_is_a_single_code_layer():
    model = build_autoencoder(input_dim=6, hidden_sizes=[], code_dim=20)
    dense = [w for w in model.weights if "kernel" in w.name]
    assert [tuple(w.shape) for w in dense] == [(6, 20), (20, 6)]


def test_every_output_sees_every_input():
    """An ordinary autoencoder is not autoregressive: its Jacobian has no zero pattern."""
    import tensorflow as tf

    model = build_autoencoder(input_dim=5, hidden_sizes=[16], code_dim=16, code_activation=None,
                              activation="tanh")
    x = tf.constant(np.random.default_rng(1).random((1, 5)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
    jac = tape.jacobian(y, x).numpy()[0, :, 0, :]          # (out, in)
    assert np.all(np.abs(jac) > 0)


@pytest.mark.parametrize("kwargs, error", [
    ({"input_dim": 0}, ValueError), ({"code_dim": 2.5}, TypeError),
    ({"hidden_sizes": 5}, TypeError), ({"hidden_sizes": [4, 0]}, ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        build_autoencoder(**kwargs)


def test_masking_noise_drops_the_right_fraction():
    x = np.ones((200, 100), dtype="float32")
    noisy = masking_noise(x, 0.3, seed=0)
    assert set(np.unique(noisy)) <= {0.0, 1.0}
    assert abs((noisy == 0).mean() - 0.3) < 0.01
    assert np.array_equal(noisy, masking_noise(x, 0.3, seed=0))
    with pytest.raises(ValueError):
        masking_noise(x, 1.0)


def test_reconstruction_log_prob_equals_made_log_prob(binary_vectors):
    model = MADE(6, [12], seed=0)
    x = binary_vectors(6)
    np.testing.assert_allclose(reconstruction_log_prob(model, x, batch_size=7), model.log_prob(x),
                               rtol=1e-5, atol=1e-5)


def test_reconstruction_log_prob_rejects_grey_values():
    model = build_autoencoder(input_dim=4, hidden_sizes=[], code_dim=2)
    with pytest.raises(ValueError, match="binary"):
        reconstruction_log_prob(model, np.full((2, 4), 0.5))
