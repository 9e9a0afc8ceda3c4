"""Degrees, masks and connectivity (made_helpers.core.masks), checked against the paper's rules; bad
orderings are refused; two degree groups (Real NVP's coupling) follow the same mask rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from made_helpers import MADE
from made_helpers.core import masks as mk

ORDERING_KINDS = ["natural", "reversed", "random", "permutation"]


def _ordering(kind: str, D: int, rng: np.random.Generator):
    """The ``ordering`` argument for a kind; ``"permutation"`` is an explicit random list."""
    return rng.permutation(D).tolist() if kind == "permutation" else kind


def _random_config(case: int, width_regime: str):
    """A seeded random (D, hidden_sizes) with every hidden width < D ("narrow") or > D ("wide")."""
    rng = np.random.default_rng(1000 + case)
    D = int(rng.integers(4, 11))
    n_layers = int(rng.integers(1, 4))
    if width_regime == "narrow":
        sizes = rng.integers(1, D, size=n_layers)
    else:
        sizes = rng.integers(D + 1, 3 * D, size=n_layers)
    return D, [int(h) for h in sizes], rng


def _strict_order(input_degrees: np.ndarray) -> np.ndarray:
    """``(D, D)`` bool, ``[i, j]`` iff input ``i`` comes strictly before output ``j``."""
    d = np.asarray(input_degrees)
    return d[:, None] < d[None, :]


CASES = list(itertools.product(ORDERING_KINDS, ["random", "equal"], [True, False], ["narrow", "wide"]))


@pytest.mark.parametrize("kind,scheme,direct,width_regime", CASES)
def test_connectivity_respects_strict_order(kind, scheme, direct, width_regime):
    """Every path input i -> output j has degree(i) < degree(j), whatever the architecture."""
    case = CASES.index((kind, scheme, direct, width_regime))
    D, sizes, rng = _random_config(case, width_regime)
    for seed in range(3):
        degrees = mk.make_degrees(D, sizes, _ordering(kind, D, rng), scheme, seed=seed)
        masks = mk.make_masks(degrees)
        conn = mk.connectivity(masks, mk.direct_mask(degrees[0]) if direct else None)
        allowed = _strict_order(degrees[0])
        assert conn.shape == (D, D) and conn.dtype == bool
        assert not np.any(conn & ~allowed), "a connection breaks the autoregressive order"
        assert mk.is_autoregressive(conn, degrees[0])
        assert not conn[np.arange(D), np.arange(D)].any(), "an output sees its own input"
        if direct:
            # the direct connection alone already links every allowed pair
            np.testing.assert_array_equal(conn, allowed)


@pytest.mark.parametrize("kind", ORDERING_KINDS)
def test_wide_equal_net_connects_every_allowed_pair(kind):
    """With 'equal' degrees and every width >= D-1 each degree 1..D-1 is present: conn == strict order."""
    D = 7
    rng = np.random.default_rng(3)
    degrees = mk.make_degrees(D, [D - 1, 2 * D, D], _ordering(kind, D, rng), "equal", seed=0)
    conn = mk.connectivity(mk.make_masks(degrees))
    np.testing.assert_array_equal(conn, _strict_order(degrees[0]))
    conn_direct = mk.connectivity(mk.make_masks(degrees), mk.direct_mask(degrees[0]))
    np.testing.assert_array_equal(conn_direct, _strict_order(degrees[0]))


def test_narrow_net_without_direct_misses_connections():
    """A 1-unit hidden layer cannot carry every dependency: connectivity is a strict subset."""
    degrees = mk.make_degrees(6, [1], "natural", "random", seed=0)
    conn = mk.connectivity(mk.make_masks(degrees))
    allowed = _strict_order(degrees[0])
    assert not np.any(conn & ~allowed)
    assert conn.sum() < allowed.sum()


@pytest.mark.parametrize("kind", ORDERING_KINDS)
@pytest.mark.parametrize("scheme", ["random", "equal"])
@pytest.mark.parametrize("sizes", [[3], [40, 2], [50, 50, 50]])
def test_degree_ranges(kind, scheme, sizes):
    """Inputs: a permutation of 1..D. Hidden: in [previous layer's min, D-1] (D-1, not the width)."""
    D = 9
    rng = np.random.default_rng(7)
    degrees = mk.make_degrees(D, sizes, _ordering(kind, D, rng), scheme, seed=11)
    assert len(degrees) == 1 + len(sizes)
    np.testing.assert_array_equal(np.sort(degrees[0]), np.arange(1, D + 1))
    for prev, layer, width in zip(degrees[:-1], degrees[1:], sizes):
        assert layer.shape == (width,)
        assert np.issubdtype(layer.dtype, np.integer)
        assert layer.min() >= max(1, prev.min())
        assert layer.max() <= D - 1
        if width >= 40:
            # wide layers reach the top of the range D-1 (never the width) and the bottom
            assert layer.max() == D - 1
            assert layer.min() == max(1, prev.min())


def test_equal_degrees_are_evenly_spread():
    degrees = mk.make_degrees(5, [8, 3], "natural", "equal")
    np.testing.assert_array_equal(degrees[1], [1, 2, 3, 4, 1, 2, 3, 4])
    np.testing.assert_array_equal(degrees[2], [1, 2, 3])


def test_input_degrees_follow_the_ordering():
    """``ordering[0]`` is generated first (degree 1); ordering_from_degrees inverts it."""
    np.testing.assert_array_equal(mk.input_degrees(4, "natural"), [1, 2, 3, 4])
    np.testing.assert_array_equal(mk.input_degrees(4, "reversed"), [4, 3, 2, 1])
    np.testing.assert_array_equal(mk.input_degrees(4, [2, 0, 3, 1]), [2, 4, 1, 3])
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(10)
        np.testing.assert_array_equal(mk.ordering_from_degrees(mk.input_degrees(10, perm)), perm)


def test_mask_rules_ge_for_hidden_and_strict_for_output():
    """Worked example: hidden unit k sees input i iff m(k) >= d(i); output j sees unit k iff d(j) > m(k)."""
    d_in = np.array([1, 2, 3])        # natural order, D = 3
    d_h = np.array([1, 2, 2, 1])
    hidden_mask, output_mask = mk.make_masks([d_in, d_h])
    expected_hidden = np.array([[1, 1, 1, 1],       # input of degree 1 feeds every unit (>=)
                                [0, 1, 1, 0],       # degree 2 only units of degree 2
                                [0, 0, 0, 0]],      # degree 3 = D feeds nothing
                               dtype=np.float32)
    expected_output = np.array([[0, 1, 1],          # unit of degree 1 feeds outputs 2, 3 (strict >)
                                [0, 0, 1],          # degree 2 only output 3, not output 2
                                [0, 0, 1],
                                [0, 1, 1]], dtype=np.float32)
    np.testing.assert_array_equal(hidden_mask, expected_hidden)
    np.testing.assert_array_equal(output_mask, expected_output)
    assert hidden_mask.dtype == np.float32 and output_mask.dtype == np.float32
    np.testing.assert_array_equal(mk.direct_mask(d_in), [[0, 1, 1], [0, 0, 1], [0, 0, 0]])


def test_using_ge_on_the_output_layer_breaks_the_property():
    """Why the last rule is strict: with >= the output of degree d sees input d itself."""
    degrees = mk.make_degrees(5, [20], "natural", "equal")
    masks = mk.make_masks(degrees)
    wrong_last = (degrees[0][None, :] >= degrees[1][:, None]).astype(np.float32)
    conn_wrong = mk.connectivity([masks[0], wrong_last])
    assert not mk.is_autoregressive(conn_wrong, degrees[0])
    assert conn_wrong[np.arange(4), np.arange(4)].all()       # outputs 1..4 see themselves
    assert mk.is_autoregressive(mk.connectivity(masks), degrees[0])


def test_mask_shapes_follow_keras_fan_in_fan_out():
    degrees = mk.make_degrees(6, [10, 4], "random", seed=0)
    shapes = [m.shape for m in mk.make_masks(degrees)]
    assert shapes == [(6, 10), (10, 4), (4, 6)]


def test_connectivity_of_hand_made_masks():
    """Paths are followed through every layer: 0 -> unit -> 2 only."""
    m1 = np.array([[1, 0], [0, 0], [0, 0]], dtype=np.float32)
    m2 = np.array([[0, 0, 1], [0, 0, 0]], dtype=np.float32)
    conn = mk.connectivity([m1, m2])
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 2] = True
    np.testing.assert_array_equal(conn, expected)
    assert mk.is_autoregressive(conn, np.array([1, 2, 3]))
    assert not mk.is_autoregressive(conn, np.array([3, 2, 1]))


@pytest.mark.parametrize("kind", ORDERING_KINDS)
def test_same_seed_same_degrees_and_masks(kind):
    perm = np.random.default_rng(0).permutation(8).tolist()
    ordering = perm if kind == "permutation" else kind
    a = mk.make_degrees(8, [12, 6], ordering, seed=42)
    b = mk.make_degrees(8, [12, 6], ordering, seed=42)
    c = mk.make_degrees(8, [12, 6], ordering, seed=43)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(mk.make_masks(a), mk.make_masks(b)):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a[1:], c[1:])), "another seed, same hidden degrees"
    if kind == "random":
        assert not np.array_equal(a[0], c[0])
    else:
        np.testing.assert_array_equal(a[0], c[0])


def test_ordering_rules():
    assert mk.is_prefix_of_ordering([True, False, True, False], [2, 0, 3, 1])
    assert not mk.is_prefix_of_ordering([True, False, True, False], [0, 1, 2, 3])
    assert mk.observed_first_ordering([False, True, False, True], [2, 3, 0, 1]).tolist() == [3, 1, 2, 0]
    natural = np.arange(4)
    assert mk.first_other_ordering([natural, natural.copy(), natural[::-1], natural[::-1]]) == 2
    assert mk.first_other_ordering(iter([natural, natural])) is None
    assert mk.first_other_ordering([]) is None
    assert [kind for kind in mk.MASK_KINDS if mk.draws_orderings(kind)] == ["full", "ordering"]
    with pytest.raises(ValueError, match="needs ordering='random'"):
        mk.check_mask_kind("ordering", "natural")
    assert mk.check_hidden_sizes([], allow_empty=True) == []
    with pytest.raises(ValueError, match="hidden_sizes is empty"):
        mk.check_hidden_sizes([])


# ----------------------------------------------------------------------------- bad orderings
@pytest.mark.parametrize("ordering,message", [
    ([0, 1, 1, 3, 4], r"not a permutation of 0\.\.4.*missing \[2\]"),      # duplicate
    ([0, 1, 2, 3], r"permutation of 0\.\.4 \(length 5\)"),                 # too short
    ([0, 1, 2, 3, 4, 5], r"permutation of 0\.\.4 \(length 5\)"),           # too long
    ([1, 2, 3, 4, 5], r"not a permutation of 0\.\.4.*missing \[0\]"),      # out of range
    ([-1, 0, 1, 2, 3], r"not a permutation of 0\.\.4.*missing \[4\]"),     # negative
    ([0.5, 1, 2, 3, 4], r"ordering must hold integers"),
    ("sideways", r"ordering must be one of .*'sideways'"),
])
def test_bad_ordering(ordering, message):
    with pytest.raises(ValueError, match=message):
        MADE(5, [8], ordering=ordering)
    with pytest.raises(ValueError, match=message):
        mk.make_degrees(5, [8], ordering)


# ----------------------------------------------------------------------------- two degree groups (Real NVP's coupling)
def test_two_degree_groups_make_a_coupling_with_the_ordering_mask_rule():
    np.testing.assert_array_equal(mk.coupling_degrees(5), [1, 1, 2, 2, 2])
    np.testing.assert_array_equal(mk.coupling_degrees(5, flip=True), [2, 2, 1, 1, 1])
    np.testing.assert_array_equal(mk.coupling_degrees(5, split="parity"), [2, 1, 2, 1, 2])   # the MAF authors'
    np.testing.assert_array_equal(mk.coupling_degrees(5, True, "parity"), [1, 2, 1, 2, 1])
    degrees = mk.make_degrees(5, [16, 8], inputs=mk.coupling_degrees(5), seed=0)
    assert all(np.all(d == 1) for d in degrees[1:]), "hidden degrees lie below the largest input degree, 2"
    conn = mk.connectivity(mk.make_masks(degrees))                          # [i, j]: output j sees input i
    expected = np.zeros((5, 5), bool)
    expected[:2, 2:] = True                                                # group b sees group a, nothing else
    np.testing.assert_array_equal(conn, expected)
    assert mk.is_autoregressive(conn, degrees[0])
    # the explicit input degrees of a permutation give the same degrees as that ordering: one rule
    perm = [3, 0, 4, 1, 2]
    for a, b in zip(mk.make_degrees(5, [12, 7], perm, seed=3),
                    mk.make_degrees(5, [12, 7], inputs=mk.input_degrees(5, perm), seed=3)):
        np.testing.assert_array_equal(a, b)
