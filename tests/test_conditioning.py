"""Observed-pixel masks and completion overlays (made_helpers.core.conditioning), and which observed sets a
MADE of one ordering can complete (made_helpers.core.masks.is_prefix_of_ordering)."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers import MADE
from made_helpers.core.conditioning import completion_overlay, top_rows_observed
from made_helpers.core.masks import is_prefix_of_ordering


def test_top_half_is_the_first_392_pixels():
    obs = top_rows_observed()
    assert obs.shape == (784,) and obs.dtype == bool
    assert obs[:392].all() and not obs[392:].any()
    assert top_rows_observed(1, (3, 4)).tolist() == [True] * 4 + [False] * 8


@pytest.mark.parametrize("rows, error", [(29, ValueError), (-1, ValueError), (2.0, TypeError)])
def test_top_rows_bad_input(rows, error):
    with pytest.raises(error):
        top_rows_observed(rows)


def test_prefix_of_ordering():
    obs = np.array([True, False, True, False])
    assert is_prefix_of_ordering(obs, [0, 2, 1, 3])
    assert is_prefix_of_ordering(obs, [2, 0, 3, 1])
    assert not is_prefix_of_ordering(obs, [0, 1, 2, 3])
    assert is_prefix_of_ordering(top_rows_observed(), np.arange(784))
    assert not is_prefix_of_ordering(top_rows_observed(), np.arange(784)[::-1])


def test_prefix_agrees_with_made_complete():
    """MADE.complete accepts exactly the observed sets that are a prefix of its ordering."""
    model = MADE(6, [10], ordering="random", seed=3)
    rng = np.random.default_rng(0)
    x = np.zeros((1, 6), dtype="float32")
    for _ in range(20):
        obs = rng.random(6) < 0.5
        if is_prefix_of_ordering(obs, model.ordering):
            model.complete(x, obs, seed=0)
        else:
            with pytest.raises(ValueError):
                model.complete(x, obs, seed=0)


def test_overlay_colours():
    x = np.array([[1, 0, 1, 0]], dtype="float32")
    rgb = completion_overlay(x, np.array([True, True, False, False]), image_shape=(2, 2))
    assert rgb.shape == (1, 2, 2, 3)
    assert np.allclose(rgb[0, 0, 0], 0) and np.allclose(rgb[0, 0, 1], 1)      # given: black / white
    assert not np.allclose(rgb[0, 1, 0], rgb[0, 0, 0])                          # filled ink is coloured
    with pytest.raises(ValueError):
        completion_overlay(np.zeros((1, 5)), np.zeros(5, bool), image_shape=(2, 2))
