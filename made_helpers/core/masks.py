"""Degrees and masks for MADE, in pure numpy (Germain et al., 2015, section 4).

Inputs get degrees ``1..D`` (their place in the generation order), hidden units degrees in ``[1, D-1]``;
a hidden unit of degree ``m`` sees units of degree ``<= m``, an output of degree ``d`` hidden units of
degree ``< d``. Masks are ``(fan_in, fan_out)``. Inputs may share degrees: two degree groups
(:func:`coupling_degrees`) make Real NVP's coupling layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from ..checks import check_int, derived_seed

Ordering = Union[str, Sequence[int], np.ndarray]

ORDERINGS = ("natural", "reversed", "random")
HIDDEN_DEGREE_SCHEMES = ("random", "equal")
MASK_KINDS = ("full", "connectivity", "ordering")
ORDERING_KINDS = ("full", "ordering")
"""The mask kinds that draw a new ordering per mask (:func:`draws_orderings`)."""


def check_input_dim(input_dim: int) -> int:
    """``input_dim`` as an int, or raise if it is not an integer >= 2."""
    return check_int("input_dim", input_dim, low=2, why=" (at least 2 for an autoregressive model)")


def check_hidden_sizes(hidden_sizes: Sequence[int], allow_empty: bool = False) -> list[int]:
    """``hidden_sizes`` as a list of positive ints (``allow_empty``: ``[]`` too), or raise a clear error."""
    if isinstance(hidden_sizes, (int, np.integer)) and not isinstance(hidden_sizes, bool):
        raise TypeError(f"hidden_sizes must be a list of layer widths such as [500], got the int {hidden_sizes}")
    try:
        sizes = list(hidden_sizes)
    except TypeError:
        raise TypeError(f"hidden_sizes must be a list of layer widths, got {hidden_sizes!r}") from None
    if not sizes and not allow_empty:
        raise ValueError("hidden_sizes is empty: MADE needs at least one hidden layer, e.g. [500]")
    return [check_int(f"hidden_sizes[{i}]", h, low=1, why=" (every hidden layer needs at least one unit)")
            for i, h in enumerate(sizes)]


def _integers(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` as int64 if it holds integers (integer-valued floats too), else a one-line ``ValueError``."""
    if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def check_permutation(ordering: Sequence[int], input_dim: int) -> np.ndarray:
    """``ordering`` as an int array if it is a permutation of ``0..input_dim-1``."""
    order = np.asarray(ordering)
    if order.ndim != 1 or order.shape[0] != input_dim:
        raise ValueError(f"ordering must be a permutation of 0..{input_dim - 1} (length {input_dim}), "
                         f"got shape {order.shape}")
    order = _integers(order, "ordering")
    if not np.array_equal(np.sort(order), np.arange(input_dim)):
        missing = sorted(set(range(input_dim)) - set(order.tolist()))
        raise ValueError(f"ordering is not a permutation of 0..{input_dim - 1}: "
                         f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                         f"values must each appear exactly once")
    return order


def check_ordering(ordering: Ordering, input_dim: int) -> str | list[int]:
    """``ordering`` as stored in a model's config: one of :data:`ORDERINGS`, or a permutation as a list."""
    if isinstance(ordering, str):
        if ordering not in ORDERINGS:
            raise ValueError(f"ordering must be one of {ORDERINGS} or a permutation, got {ordering!r}")
        return ordering
    return check_permutation(ordering, input_dim).tolist()


def check_hidden_degrees(scheme: str) -> str:
    """``scheme`` if it is one of :data:`HIDDEN_DEGREE_SCHEMES`, else a one-line error."""
    if scheme not in HIDDEN_DEGREE_SCHEMES:
        raise ValueError(f"hidden_degrees must be one of {HIDDEN_DEGREE_SCHEMES}, got {scheme!r}")
    return scheme


def check_input_degrees(degrees, input_dim: int, name: str = "input_degrees") -> np.ndarray:
    """``degrees`` ``(D,)`` given explicitly as an int array: integers in ``1..D``, at least two distinct values
    (inputs of equal degree do not see each other); else a one-line error."""
    D = check_input_dim(input_dim)
    deg = np.asarray(degrees)
    if deg.ndim != 1 or deg.shape[0] != D:
        raise ValueError(f"{name} must be a list of {D} degrees (one per input), got shape {deg.shape}")
    deg = _integers(deg, name)
    if deg.min() < 1 or deg.max() > D or len(np.unique(deg)) < 2:
        raise ValueError(f"{name} must be integers in 1..{D} with at least two distinct values, "
                         f"got {deg.tolist()}")
    return deg


COUPLING_SPLITS = ("halves", "parity")
"""How a coupling layer splits its D inputs into the kept group (degree 1) and the transformed group (degree 2).
``"halves"``: the first ``D // 2`` inputs are kept (this package's default, notebook 07); ``"parity"``: the
odd-indexed inputs are kept (the MAF authors' Real NVP, gpapamak/maf ``ml/models/nvps.py``: ``np.arange(D) % 2``)."""


def coupling_degrees(input_dim: int, flip: bool = False, split: str = "halves") -> np.ndarray:
    """Two degree groups ``(D,)``: the kept inputs of :data:`COUPLING_SPLITS` ``split`` degree 1, the others degree 2
    (``flip``: swapped, as in the next coupling layer)."""
    D = check_input_dim(input_dim)
    if not isinstance(split, str) or split not in COUPLING_SPLITS:
        raise ValueError(f"split must be one of {COUPLING_SPLITS}, got {split!r}")
    kept = np.arange(D) < D // 2 if split == "halves" else np.arange(D) % 2 == 1
    return np.where(kept != bool(flip), 1, 2).astype(np.int64)


def input_degrees(input_dim: int, ordering: Ordering = "natural",
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Degrees of the inputs ``(D,)``, a permutation of ``1..D``: ``ordering[0]`` (generated first) gets 1."""
    D = check_input_dim(input_dim)
    ordering = check_ordering(ordering, D)                # a name, or a checked permutation as a list
    if ordering == "natural":
        order = np.arange(D)
    elif ordering == "reversed":
        order = np.arange(D)[::-1]
    elif ordering == "random":
        order = (rng or np.random.default_rng()).permutation(D)
    else:
        order = np.asarray(ordering)
    degrees = np.empty(D, dtype=np.int64)
    degrees[order] = np.arange(1, D + 1)
    return degrees


def hidden_layer_degrees(width: int, input_dim: int, previous_min: int, scheme: str = "random",
                         rng: np.random.Generator | None = None) -> np.ndarray:
    """Degrees of one hidden layer ``(width,)`` in ``[previous_min, D-1]``, ``D = input_dim`` the largest input
    degree (a unit of degree ``D`` would feed no output)."""
    D = input_dim
    low = min(int(previous_min), D - 1)
    if check_hidden_degrees(scheme) == "random":
        return (rng or np.random.default_rng()).integers(low, D, size=width).astype(np.int64)
    # "equal": evenly spread over low..D-1, cycling when the layer is wider than that range
    span = D - low
    return (low + np.floor(np.arange(width) * span / width)).astype(np.int64) if width <= span \
        else (low + np.arange(width) % span).astype(np.int64)


def make_degrees(input_dim: int, hidden_sizes: Sequence[int], ordering: Ordering = "natural",
                 hidden_degrees: str = "random", seed: int | None = None,
                 inputs: Sequence[int] | np.ndarray | None = None) -> list[np.ndarray]:
    """Degrees of every layer: ``[input (D,), hidden_1 (H1,), ..., hidden_L (HL,)]``; ``hidden_degrees``:
    ``"random"`` (the paper) or ``"equal"`` (evenly spread); ``inputs``: explicit input degrees, not ``ordering``'s."""
    D = check_input_dim(input_dim)
    sizes = check_hidden_sizes(hidden_sizes)
    check_hidden_degrees(hidden_degrees)
    rng = np.random.default_rng(seed)
    degrees = [input_degrees(D, ordering, rng) if inputs is None else check_input_degrees(inputs, D, "inputs")]
    top = int(degrees[0].max())                       # D for an ordering
    for width in sizes:
        degrees.append(hidden_layer_degrees(width, top, degrees[-1].min(), hidden_degrees, rng))
    return degrees


def allowed(d_in, d_out, strict: bool = False):
    """The connection rule, ``(fan_in, fan_out)`` bool: ``d_out >= d_in`` (hidden layers) or ``d_out > d_in``
    (``strict``: outputs and the direct connection); numpy arrays or TensorFlow tensors alike."""
    d_in, d_out = d_in[:, None], d_out[None, :]
    return d_out > d_in if strict else d_out >= d_in


def connection_tables(degrees: Sequence, direct: bool = False) -> list:
    """Bool masks from degrees ``[input (D,), hidden_1 (H1,), ...]`` (numpy or TF): hidden layers, output
    ``(H_L, D)`` and, with ``direct``, the direct connection ``(D, D)``."""
    tables = [allowed(d_in, d_out) for d_in, d_out in zip(degrees[:-1], degrees[1:])]
    tables.append(allowed(degrees[-1], degrees[0], strict=True))
    if direct:
        tables.append(allowed(degrees[0], degrees[0], strict=True))
    return tables


def make_masks(degrees: Sequence[np.ndarray], direct: bool = False) -> list[np.ndarray]:
    """Masks from degrees: float32 0/1 arrays of shape ``(fan_in, fan_out)`` (:func:`connection_tables`)."""
    if len(degrees) < 2:
        raise ValueError("make_masks needs the input degrees and at least one hidden layer of degrees")
    return [t.astype(np.float32) for t in connection_tables([np.asarray(d) for d in degrees], direct)]


def direct_mask(input_degrees: np.ndarray) -> np.ndarray:
    """Mask of the direct input->output connection, ``(D, D)`` float32, strict ``>``."""
    d = np.asarray(input_degrees)
    return allowed(d, d, strict=True).astype(np.float32)


def reach(masks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Which units each input reaches: ``[(D, H1), ..., (D, fan_out of the last mask)]`` bool, ``[l][i, u]``
    True iff a path through the masked layers leads from input ``i`` to unit ``u`` of layer ``l + 1``."""
    out = [np.asarray(masks[0]) > 0]
    for m in masks[1:]:
        out.append((out[-1].astype(np.int64) @ (np.asarray(m) > 0).astype(np.int64)) > 0)
    return out


def connectivity(masks: Sequence[np.ndarray], direct: np.ndarray | None = None) -> np.ndarray:
    """``(D, D)`` bool: ``[i, j]`` is True iff output ``j`` can depend on input ``i`` (direct connection included)."""
    conn = reach(masks)[-1]
    return conn if direct is None else conn | (np.asarray(direct) > 0)


def is_autoregressive(conn: np.ndarray, input_degrees: np.ndarray) -> bool:
    """True iff every connection ``i -> j`` in ``conn`` has ``degree[i] < degree[j]``."""
    d = np.asarray(input_degrees)
    return bool(np.all(~np.asarray(conn, dtype=bool) | allowed(d, d, strict=True)))


def ordering_from_degrees(input_degrees: np.ndarray) -> np.ndarray:
    """The generation order ``(D,)``: input indices sorted by degree."""
    return np.argsort(np.asarray(input_degrees), kind="stable")


# --------------------------------------------------------------------------- ordering rules
def is_prefix_of_ordering(observed, ordering) -> bool:
    """True iff every observed index comes before every unobserved one in ``ordering`` ``(D,)``."""
    observed = np.asarray(observed, dtype=bool)
    ordering = np.asarray(ordering)
    if observed.ndim != 1 or ordering.shape != observed.shape:
        raise ValueError(f"observed (D,) and ordering (D,) must have the same 1-D shape, "
                         f"got {observed.shape} and {ordering.shape}")
    in_order = observed[ordering]                      # observed flags in generation order
    return bool(in_order[:in_order.sum()].all())


def observed_first_ordering(observed, ordering) -> np.ndarray:
    """The ordering ``(D,)`` with the observed indices first, each group in ``ordering``'s order (stable)."""
    observed = np.asarray(observed, dtype=bool)
    if observed.ndim != 1:
        raise ValueError(f"observed must be one set of shape (D,), got {observed.shape}")
    ordering = check_permutation(ordering, observed.shape[0])
    in_order = observed[ordering]
    return np.concatenate([ordering[in_order], ordering[~in_order]])


def first_other_ordering(orderings: Iterable[np.ndarray]) -> int | None:
    """The index of the first ordering ``(D,)`` in ``orderings`` (read lazily) that differs from the first one;
    ``None`` if the masks share one ordering (only then may their conditionals be averaged)."""
    it = iter(orderings)
    first = next(it, None)
    return next((k for k, order in enumerate(it, start=1) if not np.array_equal(order, first)), None)


# --------------------------------------------------------------------------- mask sets of a model
def draws_orderings(mask_kind: str) -> bool:
    """True iff masks of kind ``mask_kind`` each draw their own ordering (:data:`ORDERING_KINDS`): such a kind needs
    ``ordering="random"``, and its masks do not share one ordering."""
    return mask_kind in ORDERING_KINDS


def default_mask_kind(ordering: Ordering) -> str:
    """``"full"`` for ``ordering="random"`` (a new ordering per mask), else ``"connectivity"``."""
    return "full" if isinstance(ordering, str) and ordering == "random" else "connectivity"


def check_mask_kind(mask_kind: str | None, ordering: Ordering) -> str:
    """Resolve ``mask_kind`` (``None``: :func:`default_mask_kind`) and check it fits ``ordering``. What changes
    from mask to mask: ``"full"``, ordering and hidden degrees (needs ``ordering="random"``);
    ``"connectivity"``, the hidden degrees; ``"ordering"``, the ordering (needs ``ordering="random"``)."""
    kind = default_mask_kind(ordering) if mask_kind is None else mask_kind
    if kind not in MASK_KINDS:
        raise ValueError(f"mask_kind must be one of {MASK_KINDS}, got {mask_kind!r}")
    random_order = isinstance(ordering, str) and ordering == "random"
    if draws_orderings(kind) and not random_order:
        raise ValueError(f"mask_kind={kind!r} draws a new ordering per mask and needs ordering='random', "
                         f"got ordering={ordering if isinstance(ordering, str) else 'a fixed permutation'!r}")
    return kind


@dataclass(frozen=True)
class MaskSet:
    """Degrees ``[input (D,), hidden_1 (H1,), ...]`` of mask ``k`` of a model, drawn with ``mask_seed``; ``masks``
    (:func:`make_masks`), ``direct_mask`` and ``ordering`` are computed from them on each access (not kept)."""

    degrees: list
    mask_seed: int

    @property
    def masks(self) -> list[np.ndarray]:
        return make_masks(self.degrees)

    @property
    def direct_mask(self) -> np.ndarray:
        return direct_mask(self.degrees[0])

    @property
    def ordering(self) -> np.ndarray:
        return ordering_from_degrees(self.degrees[0])


def degree_table_bytes(input_dim: int, hidden_sizes: Sequence[int], num_masks: int) -> int:
    """Bytes of the int32 degree tables of ``num_masks`` masks (:meth:`MADE.degree_tables`)."""
    return int(num_masks) * (int(input_dim) + sum(int(h) for h in hidden_sizes)) * 4


def make_mask_degrees(input_dim: int, hidden_sizes: Sequence[int], ordering: Ordering = "natural",
                      hidden_degrees: str = "random", seed: int = 0, k: int = 0, mask_kind: str | None = None,
                      inputs: Sequence[int] | np.ndarray | None = None) -> tuple[list[np.ndarray], int]:
    """Degrees of mask ``k`` of a model seeded with ``seed``: ``(degrees, mask_seed)``; the one definition of
    ``MADE(..., seed=seed)``'s masks. ``inputs`` (explicit input degrees) needs ``mask_kind="connectivity"``."""
    kind = check_mask_kind(mask_kind, ordering)
    mask_seed = derived_seed(seed, k)
    if inputs is not None:
        if kind != "connectivity":
            raise ValueError(f"inputs (input degrees given explicitly) need mask_kind='connectivity', got {kind!r}")
        return make_degrees(input_dim, hidden_sizes, "natural", hidden_degrees, mask_seed, inputs), mask_seed
    if kind == "full":
        return make_degrees(input_dim, hidden_sizes, ordering, hidden_degrees, seed=mask_seed), mask_seed
    if kind == "connectivity":
        shared = ordering
        if isinstance(ordering, str) and ordering == "random":
            first = make_degrees(input_dim, hidden_sizes, "random", hidden_degrees, seed=derived_seed(seed, 0))
            shared = ordering_from_degrees(first[0])
        return make_degrees(input_dim, hidden_sizes, shared, hidden_degrees, seed=mask_seed), mask_seed
    # "ordering": the hidden degrees of a fixed draw (they depend only on min(input degrees) = 1)
    hidden = make_degrees(input_dim, hidden_sizes, "natural", hidden_degrees, seed=derived_seed(seed, 0))[1:]
    inputs = input_degrees(input_dim, "random", np.random.default_rng(mask_seed))
    return [inputs, *hidden], mask_seed


def make_mask_set(input_dim: int, hidden_sizes: Sequence[int], ordering: Ordering = "natural",
                  hidden_degrees: str = "random", seed: int = 0, k: int = 0,
                  mask_kind: str | None = None, inputs: Sequence[int] | np.ndarray | None = None) -> MaskSet:
    """Mask ``k`` of a model seeded with ``seed``: its degrees (the masks follow from them)."""
    return MaskSet(*make_mask_degrees(input_dim, hidden_sizes, ordering, hidden_degrees, seed, k, mask_kind, inputs))


# --------------------------------------------------------------------------- a loaded mask that differs
def short_list(values) -> str:
    """Integers as ``[1, 2, 3]``, or their first eight and the count when there are more."""
    values = [int(v) for v in values]
    return str(values) if len(values) <= 8 else f"[{', '.join(map(str, values[:8]))}, ...] ({len(values)} in all)"


def mask_mismatch(saved: np.ndarray, expected: np.ndarray, ordering: np.ndarray, role: str) -> str:
    """What differs between a loaded ``saved`` mask and the ``expected`` one; ``role``: first, output or hidden."""
    n = f"{int(np.sum(saved != expected))} of {saved.size} entries differ"
    if not np.all((saved == 0) | (saved == 1)):
        return f"{n}, and it holds values other than 0 and 1"
    D = len(ordering)
    if role == "first":                  # an input earlier in the order reaches more hidden units
        counts, step = saved.sum(axis=1), -1
    elif role == "output":               # an output later in the order sees more hidden units
        counts, step = saved[:, :D].sum(axis=0), 1
    else:
        return f"{n}: the hidden-unit degrees differ (seed or hidden_degrees edited)"
    if np.all(np.diff(counts[ordering]) * step >= 0):
        return f"{n}: same ordering, other hidden-unit degrees (seed or hidden_degrees edited)"
    if len(set(counts.tolist())) == D:
        return f"{n}: it encodes the ordering {short_list(np.argsort(step * counts, kind='stable'))}"
    return f"{n}: it encodes another ordering"
