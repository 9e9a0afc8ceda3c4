"""Batch normalisation for flows (made_helpers.density.batch_norm.BatchNormFlow): its log-determinant is
``log|det|`` of the autodiff Jacobian in evaluation and in training mode, inverse undoes forward, training records
the batch statistics, and statistics set from a data set standardise a flow's output."""

from __future__ import annotations

import numpy as np
from conftest import autodiff_log_det, sharpen_density

from made_helpers import MAF, BatchNormFlow

RNG = np.random.default_rng(0)
"""The inputs' generator: one stream for the module, drawn in test order."""


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


def test_batch_norm_statistics_of_a_data_set_standardise_the_flow_output():
    maf = sharpen_density(MAF(3, [16], num_layers=2, seed=6, batch_norm=True), scale=0.8)
    for bn in maf.batch_norms:
        bn.log_gamma.assign(np.zeros(3, np.float32))
        bn.beta.assign(np.zeros(3, np.float32))
    x = (RNG.normal(size=(500, 3)) * [2.0, 0.5, 1.0]).astype("float32")
    maf.set_batch_norm_statistics(x, batch_size=128)
    u = maf.forward(x)[0].numpy()                                         # the last step is a batch norm
    np.testing.assert_allclose(u.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(u.std(axis=0), 1.0, atol=1e-3)
