"""evaluate.paired_difference: the mean per-image difference of two models and its standard error."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers.core.evaluate import paired_difference


def test_matches_the_definition_and_is_smaller_than_unpaired():
    rng = np.random.default_rng(0)
    difficulty = rng.gamma(9.0, 10.0, size=5000)              # shared by both models: easy and hard digits
    a = difficulty + rng.normal(0.0, 1.0, size=5000)
    b = difficulty + 0.3 + rng.normal(0.0, 1.0, size=5000)
    mean, se = paired_difference(a, b)
    assert mean == pytest.approx(np.mean(a - b))
    assert se == pytest.approx(np.std(a - b, ddof=1) / np.sqrt(5000))
    unpaired = np.sqrt(a.var(ddof=1) / 5000 + b.var(ddof=1) / 5000)
    assert se < unpaired / 10                                  # the shared difficulty cancels
    assert abs(mean + 0.3) < 4 * se                            # and the true difference is recovered
    assert paired_difference(b, a)[0] == pytest.approx(-mean)


@pytest.mark.parametrize("a, b", [([1.0, 2.0], [1.0]), ([1.0], [2.0]), ([[1.0, 2.0]], [[1.0, 2.0]]),
                                  ([1.0, np.nan], [1.0, 2.0])])
def test_refuses_unpaired_or_bad_input(a, b):
    with pytest.raises(ValueError, match="nll_a and nll_b"):
        paired_difference(a, b)
