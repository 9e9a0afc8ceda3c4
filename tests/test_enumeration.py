"""The one enumeration of {0,1}^D used by the package, its exercise checks and the tests."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from made_helpers.core.enumeration import all_binary_vectors, binary_index


@pytest.mark.parametrize("dim", [1, 3, 7])
def test_big_endian_rows_are_lexicographic(dim):
    x = all_binary_vectors(dim)
    assert x.shape == (2**dim, dim) and x.dtype == np.float32
    np.testing.assert_array_equal(x, np.array(list(itertools.product([0, 1], repeat=dim)), np.float32))
    assert all_binary_vectors(0).shape == (1, 0)


@pytest.mark.parametrize("dim", [1, 4, 9])
def test_little_endian_puts_bit_d_in_column_d(dim):
    x = all_binary_vectors(dim, bitorder="little", dtype=np.int64)
    r = np.arange(2**dim)
    for d in range(dim):
        np.testing.assert_array_equal(x[:, d], (r >> d) & 1)
    np.testing.assert_array_equal(x, all_binary_vectors(dim, dtype=np.int64)[:, ::-1])


@pytest.mark.parametrize("bitorder", ["big", "little"])
def test_binary_index_inverts_the_enumeration(bitorder):
    x = all_binary_vectors(6, bitorder=bitorder)
    np.testing.assert_array_equal(binary_index(x, bitorder=bitorder), np.arange(64))
    rows = np.random.default_rng(0).integers(0, 2, (50, 6)).astype(bool)
    np.testing.assert_array_equal(x[binary_index(rows, bitorder=bitorder)], rows)
    assert binary_index(np.array([1, 0, 0, 0, 0, 0]), bitorder=bitorder) == (32 if bitorder == "big" else 1)


def test_bad_input():
    with pytest.raises(ValueError, match="bitorder"):
        all_binary_vectors(3, bitorder="middle")
    with pytest.raises(ValueError, match="dim must be an integer"):
        all_binary_vectors(-1)
    with pytest.raises(ValueError, match="dim must be an integer"):
        all_binary_vectors(2.0)
    with pytest.raises(ValueError, match="only 0 and 1"):
        binary_index(np.array([[0, 2]]))
