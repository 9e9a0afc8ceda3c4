"""Conditioning on observed pixels (notebook 06): observed-pixel masks and any-subset completion.

The sampling itself lives in ``MADE.sample`` / ``MADE.complete`` (D sequential steps).
Here: which pixels are given (``top_rows_observed``), completion given *any* subset of
pixels with an order-agnostic model (``observed_first_ordering``, ``conditioning_mask_set``,
``using_mask_set``, ``complete_any``), and images that show given vs filled-in pixels
(``completion_overlay``). Timing sampling is in ``timing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from . import masks as mk
from .checks import check_int, check_real_batch, check_seed


def top_rows_observed(rows: int | None = None, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Bool ``(H*W,)``: True for the pixels of the first ``rows`` image rows (default: top half).

    In the natural (row-major) ordering these pixels come first, so a MADE with that
    ordering can complete the rest with one sequential step per missing pixel.
    """
    if len(image_shape) != 2 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (height, width) with positive sizes, got {image_shape!r}")
    height, width = (int(s) for s in image_shape)
    rows = height // 2 if rows is None else rows
    rows = check_int("rows", rows, 0, height, why=f" for images of height {height}")
    observed = np.zeros((height, width), dtype=bool)
    observed[:rows] = True
    return observed.ravel()


def is_prefix_of_ordering(observed, ordering) -> bool:
    """True iff every observed index comes before every unobserved one in ``ordering`` ``(D,)``."""
    observed = np.asarray(observed, dtype=bool)
    ordering = np.asarray(ordering)
    if observed.ndim != 1 or ordering.shape != observed.shape:
        raise ValueError(f"observed (D,) and ordering (D,) must have the same 1-D shape, "
                         f"got {observed.shape} and {ordering.shape}")
    in_order = observed[ordering]                      # observed flags in generation order
    k = int(in_order.sum())
    return bool(in_order[:k].all())


# --------------------------------------------------------------- conditioning on any subset
def observed_first_ordering(observed, ordering) -> np.ndarray:
    """The ordering ``(D,)`` that puts the observed indices first, each group kept in ``ordering``'s order.

    A stable reordering: when ``observed`` is already a prefix of ``ordering``, the result is
    ``ordering`` itself.
    """
    observed = np.asarray(observed, dtype=bool)
    if observed.ndim != 1:
        raise ValueError(f"observed must be one set of shape (D,), got {observed.shape}")
    ordering = mk.check_permutation(ordering, observed.shape[0])
    in_order = observed[ordering]
    return np.concatenate([ordering[in_order], ordering[~in_order]])


def check_observed(model, observed, x_shape: tuple | None = None) -> np.ndarray:
    """``observed`` as a bool array ``(D,)`` or ``(batch, D)``, or a one-line ``ValueError``.

    Accepted: bools, or numbers that are each exactly 0 or 1 (strings such as ``"False"``,
    NaN, 0.5 or -1 are refused: none of them says clearly whether a value is given).
    With ``x_shape`` (the batch being completed) a 2-D set must have exactly that shape.
    ``MADE.complete`` and :func:`complete_any` both check their ``observed`` here.
    """
    obs = np.asarray(observed)
    if obs.dtype != bool:
        if not np.issubdtype(obs.dtype, np.number) or not np.all((obs == 0) | (obs == 1)):
            got = f"dtype {obs.dtype}" if not np.issubdtype(obs.dtype, np.number) else "other values"
            raise ValueError(f"observed must be a boolean (or 0/1) array: True where the value is given, got {got}")
        obs = obs.astype(bool)
    D = model.input_dim
    wide = f"{tuple(x_shape)}" if x_shape is not None else f"(batch, {D})"
    if obs.ndim not in (1, 2) or obs.shape[-1] != D or (
            obs.ndim == 2 and x_shape is not None and obs.shape != tuple(x_shape)):
        raise ValueError(f"observed must have shape ({D},) or {wide}, got {obs.shape}")
    return obs


def _trained_orderings_differ(model) -> bool:
    first = model.mask_set(0).ordering
    return any(not np.array_equal(model.mask_set(k).ordering, first) for k in range(1, model.num_masks))


def conditioning_mask_set(model, observed, mask: int | None = None, force: bool = False) -> mk.MaskSet:
    """Degrees and masks that let ``model`` condition on the ``observed`` inputs (bool ``(D,)``).

    The new ordering puts the observed inputs first (:func:`observed_first_ordering` of the
    ordering of trained mask ``mask``; default: the current mask), so one pass gives
    ``p(x_u | x_observed, earlier x_u)`` for every unobserved ``u``. The *input* degrees come
    from that ordering; the *hidden* degrees are those of the trained mask ``mask``, unchanged:
    each hidden unit keeps the number of inputs it was trained to see (its degree), and the
    weights are the shared, trained ones. With order-agnostic training (``ordering="random"``,
    ``mask_kind`` ``"full"`` or ``"ordering"``) the hidden degrees were drawn independently of
    the ordering, so the pair (new ordering, trained hidden degrees) is of exactly the kind the
    model was trained on, even though this particular ordering was most likely never drawn in
    training (``"ordering"``: the hidden degrees are the very ones every mask used). When the
    observed set is already a prefix of mask ``mask``'s ordering, the result is that mask.

    Being of the trained *kind* does not make a new ordering good: a model trained over a few
    dozen orderings learns those pairings, not conditionals for every ordering. Notebook 06
    measures it on the committed 784-500-784 model trained over 32 orderings: observed-first
    masks cost 27 to 69 nats per image more than its trained masks. The conditionals are exact
    for the mask built here, but only as good as the network is for that ordering.

    A model whose masks all share one ordering (``num_masks=1`` or ``mask_kind="connectivity"``)
    never saw another ordering: for a set that is not a prefix of it, ``ValueError`` unless
    ``force=True`` (e.g. to show how poor such conditionals are).
    """
    obs = check_observed(model, observed)
    if obs.ndim != 1:
        raise ValueError(f"conditioning_mask_set takes one observed set of shape ({model.input_dim},), "
                         f"got {obs.shape}")
    k = model.current_mask if mask is None else check_int("mask", mask, 0, model.num_masks - 1,
                                                          type_error=ValueError)
    trained = model.mask_set(k)
    ordering = observed_first_ordering(obs, trained.ordering)
    if not force and not np.array_equal(ordering, trained.ordering) and not _trained_orderings_differ(model):
        raise ValueError(
            "this model was trained with a single ordering, and the observed inputs are not a prefix of it: "
            "conditioning on them needs an ordering the model never saw (its conditionals are untrained). "
            "Observe a prefix of model.ordering, use a model trained over many orderings (ordering='random', "
            "several masks; new orderings still cost likelihood, see notebook 06), or pass force=True")
    degrees = [mk.input_degrees(model.input_dim, ordering), *[np.asarray(d) for d in trained.degrees[1:]]]
    return mk.MaskSet(degrees, trained.mask_seed)


@contextmanager
def using_mask_set(model, mask_set: mk.MaskSet) -> Iterator:
    """Within the ``with`` block, ``model`` computes with ``mask_set``'s masks (``model(x)``,
    ``model.log_prob(x)``); afterwards it is back on the mask it was using.

    Inside the block ``model.current_mask``, ``model.degrees`` and ``model.ordering`` still
    describe the trained mask, not ``mask_set``: read those from ``mask_set``. A call that
    switches masks inside the block (``model.log_prob(x, num_masks=K)``) puts ``mask_set``'s
    masks back when it returns (:meth:`MADE.mask_state`), and blocks nest.
    """
    keep = model.mask_state()
    try:
        model.assign_mask_set(mask_set)
        yield model
    finally:
        model.restore_mask_state(keep)


def complete_any(model, x, observed, mask: int | None = None, seed: int | None = None,
                 force: bool = False) -> np.ndarray:
    """Fill the unobserved entries of ``x`` given *any* observed subset, by sequential sampling.

    ``x``: 0/1 ``(batch, D)`` or ``(D,)``; ``observed``: bool ``(D,)`` or ``(batch, D)``.
    Unlike ``MADE.complete``, which needs the observed inputs to be a prefix of the current
    ordering, this builds for each observed set the mask of :func:`conditioning_mask_set`
    (observed inputs first, hidden degrees of trained mask ``mask``), samples the unobserved
    inputs in that ordering (one pass each), and puts the model back on its mask. Observed
    entries are returned unchanged. ``seed``: an integer (reproducible draws) or ``None``; rows
    with different observed sets are drawn with seeds derived from it.
    """
    single = np.ndim(x) == 1
    x = check_real_batch([x] if single else x, model.input_dim, binary=True)
    obs = check_observed(model, observed, x.shape)
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    patterns, which = (obs[None], np.zeros(len(x), dtype=np.int64)) if obs.ndim == 1 else \
        np.unique(obs, axis=0, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    out = x.copy()
    for g, pattern in enumerate(patterns):
        ms = conditioning_mask_set(model, pattern, mask, force)
        rows = which == g
        group_seed = seed if seed is None or len(patterns) == 1 else mk.derived_seed(seed, g)
        with using_mask_set(model, ms):
            out[rows] = model._run_sequential(x[rows], np.broadcast_to(pattern, x[rows].shape)
                                              .astype(np.float32), group_seed)
    return out[0] if single else out


def completion_overlay(completed, observed, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """RGB images ``(n, H, W, 3)`` in [0, 1]: given pixels black/white, sampled ones in colour.

    ``completed``: ``(n, H*W)`` 0/1; ``observed``: bool ``(H*W,)`` or ``(n, H*W)``.
    Given pixels: ink black on white. Filled-in pixels: ink dark blue on pale blue.
    """
    x = np.asarray(completed, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != int(np.prod(image_shape)):
        raise ValueError(f"completed must have shape (n, {int(np.prod(image_shape))}), got {x.shape}")
    obs = np.broadcast_to(np.asarray(observed, dtype=bool), x.shape)
    given = np.stack([1 - x, 1 - x, 1 - x], axis=-1)                       # ink black
    filled = np.stack([0.85 - 0.75 * x, 0.9 - 0.7 * x, 1.0 - 0.4 * x], axis=-1)  # ink dark blue
    rgb = np.where(obs[..., None], given, filled)
    return rgb.reshape(len(x), *image_shape, 3).clip(0.0, 1.0)
