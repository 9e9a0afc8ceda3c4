"""Conditioning on observed pixels (notebook 06): observed sets, completion given *any* observed subset with an
order-agnostic model, and images of given vs filled-in pixels. The sampling loop is ``MADE.sample``/``complete``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..checks import check_image_shape, check_int, check_real_batch, check_seed, derived_seed
from ..errors import UserInputError
from . import masks as mk
from .losses import bernoulli_nll

GIVEN_COLOURS = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
"""``(ink, paper)`` RGB of given (observed) pixels in completion pictures: black on white."""
SAMPLED_COLOURS = ((0.85, 0.33, 0.0), (0.82, 0.9, 1.0))
"""``(ink, paper)`` RGB of sampled (filled-in) pixels: orange on pale blue, unlike the given ones at a glance."""
OBSERVED_PRESETS = ("top half", "left half", "centre", "random fraction")
"""The observed sets :func:`observed_preset` builds."""


def top_rows_observed(rows: int | None = None, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Bool ``(H*W,)``: True for the pixels of the first ``rows`` image rows (default: top half)."""
    height, width = check_image_shape(image_shape)
    rows = check_int("rows", height // 2 if rows is None else rows, 0, height, why=f" for images of height {height}")
    observed = np.zeros((height, width), dtype=bool)
    observed[:rows] = True
    return observed.ravel()


def observed_preset(name: str, fraction: float = 0.3, seed: int = 0,
                    image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Bool ``(H*W,)`` observed set ``name`` (:data:`OBSERVED_PRESETS`): the top or left half, the centre square of
    half the height and width, or each pixel independently with probability ``fraction`` (seeded by ``seed``)."""
    if name not in OBSERVED_PRESETS:
        raise ValueError(f"observed preset must be one of {OBSERVED_PRESETS}, got {name!r}")
    height, width = (int(s) for s in image_shape)
    observed = np.zeros((height, width), dtype=bool)
    if name == "top half":
        return top_rows_observed(None, image_shape)
    if name == "left half":
        observed[:, :width // 2] = True
    elif name == "centre":
        observed[height // 4:height // 4 + height // 2, width // 4:width // 4 + width // 2] = True
    else:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be a number in [0, 1], got {fraction!r}")
        check_seed("seed", seed, type_error=ValueError)
        observed = np.random.default_rng(seed).random((height, width)) < fraction
    return observed.ravel()


# --------------------------------------------------------------- conditioning on any subset
def conditioning_mask_set(model, observed, mask: int | None = None, force: bool = False) -> mk.MaskSet:
    """The mask set that lets ``model`` condition on the ``observed`` inputs (bool ``(D,)``).

    Input degrees from the observed-first ordering (:func:`masks.observed_first_ordering`) of trained mask ``mask``
    (default: the current one), hidden degrees of that mask unchanged: with order-agnostic training the pair is
    of the kind the model was trained on, though the new ordering itself was likely never drawn (notebook 06
    measures what that costs). A model whose masks share one ordering never saw another: a set that is not a
    prefix of it raises ``ValueError`` unless ``force=True``.
    """
    obs = model.check_observed(observed)
    if obs.ndim != 1:
        raise ValueError(f"conditioning_mask_set takes one observed set of shape ({model.input_dim},), "
                         f"got {obs.shape}")
    k = model.current_mask if mask is None else check_int("mask", mask, 0, model.num_masks - 1,
                                                          type_error=ValueError)
    trained = model.mask_set(k)
    ordering = mk.observed_first_ordering(obs, trained.ordering)
    if not force and not np.array_equal(ordering, trained.ordering) and \
            mk.first_other_ordering(model.mask_set(j).ordering for j in range(model.num_masks)) is None:
        raise ValueError(
            "this model was trained with a single ordering, and the observed inputs are not a prefix of it: "
            "conditioning on them needs an ordering the model never saw (its conditionals are untrained). "
            "Observe a prefix of model.ordering, use a model trained over many orderings (ordering='random', "
            "several masks; an ordering not drawn in training still costs likelihood), or pass force=True")
    degrees = [mk.input_degrees(model.input_dim, ordering), *[np.asarray(d) for d in trained.degrees[1:]]]
    return mk.MaskSet(degrees, trained.mask_seed)


@contextmanager
def using_mask_set(model, mask_set: mk.MaskSet) -> Iterator:
    """In the ``with`` block ``model`` computes with ``mask_set``'s masks, then goes back to its own; blocks nest.

    ``model.current_mask``, ``degrees`` and ``ordering`` still describe the trained mask inside the block.
    """
    keep = model.mask_state()
    try:
        model.assign_mask_set(mask_set)
        yield model
    finally:
        model.restore_mask_state(keep)


@contextmanager
def conditioned_on(model, observed, mask: int | None = None, force: bool = False) -> Iterator:
    """In the ``with`` block ``model`` computes with the masks of :func:`conditioning_mask_set` for the one observed
    set ``observed`` (bool ``(D,)``): one mask switch, however many passes the block runs."""
    with using_mask_set(model, conditioning_mask_set(model, observed, mask, force)):
        yield model


def _complete_current(model, x: np.ndarray, observed: np.ndarray, seed: int | None) -> np.ndarray:
    """``x`` ``(batch, D)`` float32, the entries not in ``observed`` (bool ``(D,)``) drawn under the masks in force."""
    return model.fill(x, np.broadcast_to(observed, x.shape).astype(np.float32), seed)


def _split_log_likelihood_current(model, x: np.ndarray, observed: np.ndarray) -> tuple[float, float]:
    """``(log q(x_O), log q(x_rest | x_O))`` of one image ``x`` ``(1, D)`` from one pass under the masks in force."""
    logits = model.logits(x).astype(np.float64)[0]
    x = x[0].astype(np.float64)
    return (-float(bernoulli_nll(x[observed], logits[observed])),
            -float(bernoulli_nll(x[~observed], logits[~observed])))


def complete_any(model, x, observed, mask: int | None = None, seed: int | None = None,
                 force: bool = False) -> np.ndarray:
    """Sample the unobserved entries of 0/1 ``x`` ``(batch, D)`` or ``(D,)`` given *any* observed subset.

    ``observed``: bool ``(D,)`` or ``(batch, D)``; each observed set gets the masks of :func:`conditioning_mask_set`.
    Observed entries come back unchanged; rows with different observed sets draw with seeds derived from ``seed``.
    """
    x, obs, single = model.completion_batch(x, observed)
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    patterns, which = (obs[None], np.zeros(len(x), dtype=np.int64)) if obs.ndim == 1 else \
        np.unique(obs, axis=0, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    out = x.copy()
    for g, pattern in enumerate(patterns):
        rows = which == g
        group_seed = seed if seed is None or len(patterns) == 1 else derived_seed(seed, g)
        with conditioned_on(model, pattern, mask, force):
            out[rows] = _complete_current(model, x[rows], pattern, group_seed)
    return out[0] if single else out


def _one_observed_set(model, observed, what: str) -> np.ndarray:
    obs = model.check_observed(observed)
    if obs.ndim != 1:
        raise ValueError(f"{what} takes one observed set of shape ({model.input_dim},), got {obs.shape}")
    return obs


def observed_log_likelihood(model, x, observed, mask: int | None = None, force: bool = False) -> tuple[float, float]:
    """``(log q(x_O), log q(x_rest | x_O))`` in nats for one 0/1 image ``x`` ``(D,)``, under the observed-first masks
    of :func:`conditioning_mask_set`: the observed pixels come first, so one pass gives both exactly."""
    x = check_real_batch([x], model.input_dim, binary=True)
    obs = _one_observed_set(model, observed, "observed_log_likelihood")
    with conditioned_on(model, obs, mask, force):
        return _split_log_likelihood_current(model, x, obs)


def complete_and_score(model, x, observed, n: int, mask: int | None = None, seed: int | None = None,
                       force: bool = False) -> tuple[np.ndarray, float, float]:
    """``(completions (n, D), log q(x_O), log q(x_rest | x_O))`` for one 0/1 image ``x`` ``(D,)``: exactly
    ``complete_any(model, n copies of x, observed, mask, seed, force)`` and :func:`observed_log_likelihood`, under
    one mask switch (the sampling and completion explorer redraws both on every click)."""
    x = check_real_batch([x], model.input_dim, binary=True)
    obs = _one_observed_set(model, observed, "complete_and_score")
    n = check_int("n", n, low=1, type_error=ValueError)
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    with conditioned_on(model, obs, mask, force):
        completions = _complete_current(model, np.repeat(x, n, axis=0), obs, seed)
        return (completions, *_split_log_likelihood_current(model, x, obs))


def completion_overlay(completed, observed, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """RGB ``(n, H, W, 3)`` of 0/1 ``completed`` ``(n, H*W)``: ``observed`` (bool ``(H*W,)`` or ``(n, H*W)``)
    pixels in :data:`GIVEN_COLOURS`, the others in :data:`SAMPLED_COLOURS`."""
    size = int(np.prod(check_image_shape(image_shape)))
    x = np.asarray(completed, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != size:
        raise UserInputError(f"completed must have shape (n, {size}), got {x.shape}")
    obs = np.asarray(observed, dtype=bool)
    if obs.shape not in ((size,), x.shape):
        raise UserInputError(f"observed must have shape ({size},) or {x.shape} (one set per completed image), "
                             f"got {obs.shape}")
    obs = np.broadcast_to(obs, x.shape)[..., None]
    (given_ink, given_paper), (sampled_ink, sampled_paper) = (np.array(c, dtype=np.float32)
                                                              for c in (GIVEN_COLOURS, SAMPLED_COLOURS))
    ink, paper = np.where(obs, given_ink, sampled_ink), np.where(obs, given_paper, sampled_paper)
    return (paper + x[..., None] * (ink - paper)).reshape(len(x), *image_shape, 3).clip(0.0, 1.0)
