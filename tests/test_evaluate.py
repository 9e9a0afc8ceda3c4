"""Evaluation (made_helpers.core.evaluate): ``num_masks=None`` means the current mask, as in ``MADE.log_prob``."""

from __future__ import annotations

import numpy as np

from made_helpers import MADE
from made_helpers.core.enumeration import all_binary_vectors
from made_helpers.core.evaluate import evaluate_nll, per_example_nll


def test_num_masks_none_is_the_current_mask_as_in_log_prob():
    model = MADE(5, [16], num_masks=3, ordering="random", seed=2)
    x = all_binary_vectors(5)
    model.set_mask(2)
    np.testing.assert_array_equal(per_example_nll(model, x), -model.log_prob(x).astype(np.float64))
    assert evaluate_nll(model, x)[0] == float(per_example_nll(model, x).mean())
    mixture = per_example_nll(model, x, num_masks=3)
    assert not np.allclose(per_example_nll(model, x), mixture)          # the three masks differ
    assert model.current_mask == 2
