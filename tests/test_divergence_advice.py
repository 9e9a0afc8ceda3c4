"""The advice of a diverged fit (made_helpers.fitting.weight_decay_cause): an L2 term beyond float32 or far above the
NLL blames the weight decay, not the learning rate."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_RUN, cli, one_line_error

from made_helpers import GaussianMADE, fit_density
from made_helpers.core.losses import half_l2_penalty, l2_kernel_penalty
from made_helpers.core.train import TrainingDivergedError
from made_helpers.density import toy2d
from made_helpers.fitting import weight_decay_cause


@pytest.mark.parametrize("weight_decay", [1e38, 1e30])
def test_Q082_fit_density_blames_a_huge_weight_decay(weight_decay):
    with pytest.raises(TrainingDivergedError) as info:
        fit_density(GaussianMADE(2, [4], seed=0), toy2d.two_moons(200), toy2d.two_moons(100, seed=1),
                    weight_decay=weight_decay, epochs=2, verbose=False)
    message = str(info.value)
    assert f"Lower the weight decay (now {weight_decay:g})" in message and "learning rate" not in message


def test_weight_decay_cause_is_none_for_a_small_term_and_names_a_large_one():
    weights = [np.array([[1.0, 2.0]], "float32"), np.array([3.0], "float32")]          # sum of squares 14
    assert float(l2_kernel_penalty(0.5, weights)) == 7 and float(half_l2_penalty(0.5, weights)) == 3.5
    assert weight_decay_cause(0.0, 10, "wd * sum w^2", "x") is None
    assert weight_decay_cause(float(l2_kernel_penalty(0.5, weights)), 10, "wd * sum w^2", "x") is None    # 7 <= 10
    assert "is 14 in float32" in weight_decay_cause(float(l2_kernel_penalty(1.0, weights)), 10, "wd * sum w^2", "x")
    assert "is inf" in weight_decay_cause(float(l2_kernel_penalty(1e38, weights)), 10, "wd * sum w^2", "x")


# ----------------------------------------------------------------------------- made train
@pytest.mark.slow
def test_weight_decay_that_diverges_is_named(tmp_path, capsys):
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--weight-decay", "1e37", "--out", tmp_path / "run")
    assert rc == 1
    line = one_line_error(err, "Lower the weight decay (now 1e+37)", "weight_decay * sum W^2 is inf")
    assert "learning rate" not in line


@pytest.mark.slow
def test_weight_decay_is_not_blamed_for_a_learning_rate_divergence(tmp_path, capsys):
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--learning-rate", "1e30", "--weight-decay", "1e-6",
                     "--out", tmp_path / "run")
    assert rc == 1
    one_line_error(err, "Lower the learning rate (now 1e+30)")
