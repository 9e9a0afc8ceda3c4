"""The checks of ``notebooks/exercises/06_sampling_exercises.ipynb``: 06.1 sample_sequential, 06.2 complete.
Each ``NAME_body(fn)`` returns the confirmation or raises ``dx.Wrong``."""

from __future__ import annotations

import numpy as np

from ..core.enumeration import all_binary_vectors, binary_index
from . import _diagnosis as dx

_SAMPLER_N = 6000
_TV_PASS = 0.05


def _sampler_distribution(model, order, start: np.ndarray | None = None, one_pass: bool = False,
                          flip: bool = False, logits_as_p: bool = False) -> np.ndarray:
    """Exact probability of each row of ``all_binary_vectors(D)`` under a sampler that draws the pixels of
    ``order`` from ``start`` ``(D,)`` (default zeros; other pixels keep their value). Typical bugs:
    ``one_pass`` takes every logit from one pass on ``start``, ``flip`` draws 1 with probability ``1 - p``,
    ``logits_as_p`` compares the uniform with the logit itself (``u < l``: probability ``clip(l, 0, 1)``)."""
    D = model.input_dim
    X = all_binary_vectors(D)
    start = np.zeros(D, np.float32) if start is None else np.asarray(start, np.float32)
    state = np.tile(start, (len(X), 1))
    keep = np.ones(D, bool)
    keep[list(order)] = False
    prob = np.all(X[:, keep] == start[keep], axis=1).astype(np.float64)     # fixed pixels must match
    first = dx.model_logits(model, state)
    for d in order:
        logits = (first if one_pass else dx.model_logits(model, state))[:, d]
        p = np.clip(logits, 0.0, 1.0) if logits_as_p else dx.sigmoid(logits)
        if flip:
            p = 1 - p
        prob *= np.where(X[:, d] == 1, p, 1 - p)
        state[:, d] = X[:, d]
    return prob


def _frequencies(samples: np.ndarray) -> np.ndarray:
    counts = np.bincount(binary_index(samples), minlength=2 ** samples.shape[1])
    return counts / len(samples)


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance ``1/2 sum |p - q|``."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def _binary_samples(out, shape: tuple[int, int], what: str = "samples") -> np.ndarray:
    """The student's samples as a float array of 0/1 with ``shape``, or a specific message."""
    dx.returned(out)
    dtype = np.asarray(out).dtype
    if dtype.kind in "biu":
        raise dx.Wrong(f"Your {what} have dtype {dtype}; the task asks for a float array of 0/1 (e.g. float32, "
                       f"which model(x) takes): create x with np.zeros((n, D), dtype=np.float32) and store the "
                       f"draws in it.")
    arr = dx.array(out)
    if arr.shape != shape:
        raise dx.Wrong(f"Your {what} have shape {arr.shape}; expected {shape} (one row per sample, "
                       f"one column per pixel).")
    if not np.all(np.isfinite(arr)):
        raise dx.Wrong(f"Your {what} contain nan or inf.")
    if not np.all((arr == 0) | (arr == 1)):
        if np.all((arr >= 0) & (arr <= 1)):
            raise dx.Wrong(f"Your {what} hold values between 0 and 1 such as {arr[(arr > 0) & (arr < 1)][0]:.3f}:"
                           f" those are probabilities. Draw each pixel: x = (rng.random(n) < p), "
                           f"so it is 1 with probability p and 0 otherwise.")
        raise dx.Wrong(f"Your {what} must be 0 or 1; they hold values such as {arr[(arr != 0) & (arr != 1)][0]}.")
    return arr


def _sampler_model():
    # seed and scale chosen so that the typical wrong samplers are far from the model
    # (total variation > 0.4, against sampling noise < 0.03 with 6000 samples)
    model = dx.tiny_made(4, [16], ordering=[2, 0, 3, 1], seed=5, scale=3.0)
    return model, np.exp(dx.model_log_prob(model, all_binary_vectors(4)))


def sample_sequential_body(fn) -> str:
    """06.1 ``fn(model, n, rng) -> (n, D)`` 0/1 samples, one pixel at a time in ``model.ordering``."""
    model, p = _sampler_model()
    D = model.input_dim
    order = model.ordering
    n = _SAMPLER_N
    desc = f"a 4-pixel MADE with ordering {order.tolist()}, n = {n}"
    with dx.forbid(model, "sample", "complete", why="write the sampling loop yourself: D passes of model(x), "
                                                    "one pixel each."):
        samples = _binary_samples(dx.call(fn, model, n, np.random.default_rng(0), desc=desc), (n, D))
    freq = _frequencies(samples)
    if len(np.unique(samples, axis=0)) == 1 and p.max() < 0.9:
        firsts = {tuple(_binary_samples(dx.call(fn, model, 5, np.random.default_rng(seed), desc="n = 5"),
                                        (5, D))[0]) for seed in range(1, 9)}
        if len(firsts) > 1:
            raise dx.Wrong(f"All {n} samples of one call are identical ({samples[0]}), but other seeds give other "
                           f"vectors: you drew ONE uniform per pixel and shared it by all samples (rng.random() "
                           f"without n). Draw one uniform per sample: u = rng.random(n), x_d = (u < p).")
        raise dx.Wrong(f"All {n} samples are identical ({samples[0]}): you took the most likely value "
                       f"(p > 0.5) instead of drawing at random. Use x_d = (rng.random(n) < p).")
    tv = _tv(freq, p)
    if tv > _TV_PASS:
        wrong = [
            (_sampler_distribution(model, range(D)),
             f"You drew the pixels in index order 0..{D - 1}, but this model generates them in model.ordering = "
             f"{order.tolist()}: pixel d may only be drawn after the pixels before it in the ordering."),
            (_sampler_distribution(model, order, one_pass=True),
             "All pixels came from ONE forward pass on zeros. Each pixel must be drawn from logits "
             "computed after the previous pixels were filled in: D passes, one per pixel."),
            (_sampler_distribution(model, order, flip=True),
             "You draw 1 with probability 1 - p: use x_d = (rng.random(n) < p), 1 with probability p."),
            (_sampler_distribution(model, order, logits_as_p=True),
             "You compared the uniform with the logit itself (u < l): model(x) returns logits, any real "
             "number; the probability is p = sigmoid(l) = 1 / (1 + exp(-l)). Use x_d = (rng.random(n) < p)."),
        ]
        distances = [_tv(freq, q) for q, _ in wrong]
        k = int(np.argmin(distances))
        if distances[k] < _TV_PASS:
            raise dx.Wrong(wrong[k][1])
        worst = int(np.argmax(np.abs(freq - p)))
        raise dx.Wrong(f"Your sample frequencies differ from the model's probabilities (total variation "
                       f"{tv:.3f}; sampling noise is about 0.02). E.g. x = {all_binary_vectors(D)[worst]} has "
                       f"p = {p[worst]:.3f}, your frequency is {freq[worst]:.3f}.")
    with dx.count_calls(model) as counter:
        dx.call(fn, model, 5, np.random.default_rng(2), desc="n = 5")
    if counter.calls > D:
        raise dx.Wrong(f"Your frequencies are right, but for n = 5 samples of D = {D} pixels you called model(x) "
                       f"{counter.calls} times: the exercise asks for one call per pixel, on all n samples at once "
                       f"(x of shape (n, D)), not one per sample{' and pixel' if counter.calls >= 5 * D else ''}.")
    if not np.array_equal(dx.call(fn, model, 50, np.random.default_rng(1), desc="n = 50"),
                          dx.call(fn, model, 50, np.random.default_rng(1), desc="n = 50")):
        raise dx.Wrong("Your frequencies are right, but two calls with the same rng gave different "
                       "samples: draw with the rng argument (rng.random(n)), not np.random or "
                       "tf.random, so a seed reproduces the samples.")
    return (f"The frequencies of your {n} samples match exp(model.log_prob(x)) for all 16 vectors "
            f"(total variation {tv:.3f}).")


def complete_body(fn) -> str:
    """06.2 ``fn(model, x, num_observed, rng) -> (n, D)``: keep the first pixels of the ordering, draw the rest."""
    model, _ = _sampler_model()
    D = model.input_dim
    order = model.ordering
    num_observed = 2
    observed = order[:num_observed]
    x0 = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    n = _SAMPLER_N
    x = np.tile(x0, (n, 1))
    desc = (f"a 4-pixel MADE with ordering {order.tolist()}, x = {x0} repeated {n} times, "
            f"num_observed = {num_observed}")
    with dx.forbid(model, "sample", "complete", why="write the completion loop yourself: one pass of model(x) "
                                                    "per missing pixel."):
        returned = dx.call(fn, model, x, num_observed, np.random.default_rng(0), desc=desc)   # the caller's x
    if not np.array_equal(x, np.tile(x0, (n, 1))):
        changed = sorted(set(np.flatnonzero(np.any(x != x0, axis=0)).tolist()))
        raise dx.Wrong(f"You wrote into the caller's x (pixels {changed} changed): the task says to leave x "
                       f"unchanged and return a new array. np.asarray(x, dtype=np.float32) does not copy an "
                       f"array that is already float32; start from a copy, x = np.array(x, dtype=np.float32).")
    if returned is x:
        raise dx.Wrong("You returned the caller's x itself; return a new (n, D) array (start from a copy, "
                       "x = np.array(x, dtype=np.float32)).")
    out = _binary_samples(returned, (n, D), what="completions")
    kept = np.all(out == x0, axis=0)
    if not kept[observed].all():
        if kept[:num_observed].all():
            raise dx.Wrong(f"You kept pixels 0..{num_observed - 1}, but the observed pixels are the first "
                           f"{num_observed} in the ORDERING: model.ordering[:{num_observed}] = {observed.tolist()}.")
        raise dx.Wrong(f"You changed observed pixels {observed[~kept[observed]].tolist()}: keep "
                       f"x[:, model.ordering[:num_observed]] as given, draw only the rest.")
    if kept.all():
        raise dx.Wrong(f"Nothing was drawn: the pixels model.ordering[{num_observed}:] = "
                       f"{order[num_observed:].tolist()} must be sampled one at a time.")
    target = _sampler_distribution(model, order[num_observed:], start=x0)
    freq = _frequencies(out)
    tv = _tv(freq, target)
    if tv > _TV_PASS:
        one_pass = _sampler_distribution(model, order[num_observed:], start=x0, one_pass=True)
        if _tv(freq, one_pass) < _TV_PASS:
            raise dx.Wrong("All missing pixels came from ONE forward pass: after drawing a pixel, "
                           "recompute the logits so the next pixel conditions on it.")
        raise dx.Wrong(f"Your completions do not follow p(missing | observed): total variation {tv:.3f} between your "
                       "frequencies and the model's conditional (sampling noise is about 0.02).")
    small = x[:50].copy()
    if not np.array_equal(dx.call(fn, model, small.copy(), num_observed, np.random.default_rng(1), desc="n = 50"),
                          dx.call(fn, model, small.copy(), num_observed, np.random.default_rng(1), desc="n = 50")):
        raise dx.Wrong("Your frequencies are right, but two calls with the same rng gave different "
                       "completions: draw with the rng argument (rng.random(n)), not np.random or tf.random, "
                       "so a seed reproduces them.")
    return (f"Observed pixels {observed.tolist()} are kept and the rest follow p(missing | observed) "
            f"(total variation {tv:.3f}).")
