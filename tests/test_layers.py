"""The masked dense layer (made_helpers.core.layers.MaskedDense)."""

from __future__ import annotations

import pytest


def test_masked_dense_needs_positive_units():
    from made_helpers.core.layers import MaskedDense

    with pytest.raises(ValueError, match="units must be a positive integer"):
        MaskedDense(0)
