"""Automatic checks for the classroom exercises in ``notebooks/exercises/``.

In a notebook::

    from made_helpers.exercises import check
    check.bernoulli_nll(bernoulli_nll)      # your function, not its result

Each check runs the student's function on a few cases (edge cases included),
prints one friendly message -- what is wrong and how to fix it, or a short
confirmation -- and returns a :class:`CheckResult` ``(name, passed, message)``.

* A ``NotImplementedError`` (the ``# YOUR CODE HERE`` stub) propagates, so a
  notebook run stops at the first unsolved exercise.
* Any other exception raised by the student's code becomes a message; a wrong
  answer never raises.
* The right answers come from the package itself (``made_helpers.losses``,
  ``made_helpers.masks``, :class:`~made_helpers.MADE`), so the checks agree
  with the code the series uses. No solution code lives in this module.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "check"]

RTOL = 1e-4
ATOL = 1e-4


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: ``passed`` and the ``message`` that was printed."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Show nothing when a check is the last line of a cell: the message is already printed."""


class _Wrong(Exception):
    """A wrong answer; its text is the message shown to the student."""


# --------------------------------------------------------------------------- plumbing
def _run(name: str, body: Callable[[Callable], str], fn, verbose: bool = True) -> CheckResult:
    """Run ``body(fn)``; print and return the outcome. ``NotImplementedError`` propagates."""
    if not callable(fn):
        passed, message = False, (
            f"check.{name} expects your function itself, e.g. check.{name}({name}) without "
            f"parentheses after the name; got a {type(fn).__name__}.")
    else:
        try:
            passed, message = True, body(fn)
        except _Wrong as wrong:
            passed, message = False, str(wrong)
    text = ("✅ Correct! " if passed else "❌ Not yet. ") + message
    if verbose:
        print(text)
    return CheckResult(name, passed, message)


def _call(fn: Callable, *args, desc: str):
    """Call the student's ``fn`` quietly; turn any error but ``NotImplementedError`` into ``_Wrong``."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
            raise _Wrong(f"Your function raised {type(exc).__name__}: {exc}\n"
                         f"It was called on {desc}.") from None


def _array(out, dtype=np.float64) -> np.ndarray:
    """The student's result as a numpy array (works for TensorFlow eager tensors too)."""
    if out is None:
        raise _Wrong("Your function returned None: did you forget the `return` statement?")
    try:
        return np.asarray(out, dtype=dtype)
    except Exception:  # noqa: BLE001
        raise _Wrong(f"Your function returned a {type(out).__name__} that cannot be turned into "
                     f"a numpy array of numbers: return an array.") from None


def _fmt(a, precision: int = 4) -> str:
    return np.array2string(np.asarray(a), precision=precision, suppress_small=True,
                           max_line_width=100, separator=", ")


def _close(a: np.ndarray, b, rtol: float = RTOL, atol: float = ATOL) -> bool:
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _diagnose(out: np.ndarray, expected: np.ndarray, candidates, rtol: float = RTOL,
              atol: float = ATOL) -> str | None:
    """The message of the first typical mistake whose result equals ``out``.

    ``candidates``: ``(value, message)`` pairs; values that equal the right
    answer on this case are skipped (they cannot tell the mistake apart here).
    """
    for value, message in candidates:
        value = np.asarray(value, dtype=np.float64)
        if _close(value, expected, rtol, atol):
            continue
        if np.all(np.isfinite(value)) and _close(out, value, rtol, atol):
            return message
    return None


def _per_example(out: np.ndarray, expected: np.ndarray, what: str = "NLL") -> None:
    """Raise a specific message unless ``out`` has the shape ``(batch,)`` of ``expected``."""
    B = expected.shape[0]
    if out.shape == expected.shape:
        return
    if out.ndim == 2 and out.shape[0] == B:
        hint = (" (after that sum your values are right)"
                if _close(out.sum(axis=-1), expected) else "")
        raise _Wrong(f"You return one value per pixel, shape {out.shape}; sum over the last axis "
                     f"(axis=-1) to get one {what} per example, shape ({B},){hint}.")
    if out.size == 1:
        value = float(out.ravel()[0])
        if math.isclose(value, float(expected.sum()), rel_tol=RTOL, abs_tol=ATOL):
            raise _Wrong(f"You return a single number, the sum over the whole batch; return one "
                         f"{what} per example, shape ({B},): sum over the pixels only (axis=-1).")
        if math.isclose(value, float(expected.mean()), rel_tol=RTOL, abs_tol=ATOL):
            raise _Wrong(f"You return a single number, the mean over the batch; return one {what} "
                         f"per example, shape ({B},). (Averaging over the batch is the training "
                         f"loss's job, later.)")
        raise _Wrong(f"You return a single number; return one {what} per example, shape ({B},).")
    if out.ndim == 1 and out.shape[0] != B:
        raise _Wrong(f"You return shape {out.shape}, one value per pixel: you reduced over the batch "
                     f"axis. Sum over the pixels (axis=-1) to get shape ({B},).")
    raise _Wrong(f"Expected one {what} per example, shape ({B},); got shape {out.shape}.")


def _softplus(z):
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def _sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-_softplus(-z))


def _all_binary(dim: int) -> np.ndarray:
    """Every vector of ``{0,1}^dim``, ``(2**dim, dim)`` float32, first pixel most significant."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=dim)), dtype=np.float32)


def _config_index(x: np.ndarray) -> np.ndarray:
    """Row index of each binary row of ``x`` in :func:`_all_binary` order, ``(n,)``."""
    D = x.shape[1]
    return (x.astype(np.int64) * (2 ** np.arange(D - 1, -1, -1))).sum(axis=1)


def _tiny_made(input_dim: int, hidden_sizes, ordering="natural", num_masks: int = 1,
               seed: int = 0, scale: float = 2.0):
    """A small MADE with larger random weights, so its distribution is far from uniform."""
    from .model import MADE, sharpen_weights

    model = MADE(input_dim, hidden_sizes, num_masks=num_masks, ordering=ordering, seed=seed)
    return sharpen_weights(model, scale=scale, seed=seed)


def _model_log_prob(model, x: np.ndarray, num_masks: int | None = None) -> np.ndarray:
    """``model.log_prob`` as float64, without TensorFlow's retracing warnings for fresh models."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return np.asarray(model.log_prob(x, num_masks=num_masks), dtype=np.float64)
    finally:
        logger.setLevel(level)


def _logits(model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(np.asarray(x, dtype=np.float32)), dtype=np.float64)


def _log_lik(x, logits) -> np.ndarray:
    """``log p(x)`` for independent Bernoullis with these logits, ``(batch,)`` (float64)."""
    from .losses import bernoulli_nll

    return -np.asarray(bernoulli_nll(np.asarray(x, np.float32), np.asarray(logits, np.float32)),
                       dtype=np.float64)


def _sampler_distribution(model, order, start: np.ndarray | None = None, one_pass: bool = False,
                          flip: bool = False) -> np.ndarray:
    """Exact probability of each configuration (``_all_binary`` order) under a sequential sampler.

    Pixels are drawn in ``order`` starting from ``start`` ``(D,)`` (zeros by
    default; pixels not in ``order`` keep their start value). ``one_pass``:
    every logit comes from one pass on ``start`` (a typical bug); ``flip``:
    draws 1 with probability ``1 - p`` (another one).
    """
    D = model.input_dim
    X = _all_binary(D)
    start = np.zeros(D, np.float32) if start is None else np.asarray(start, np.float32)
    state = np.tile(start, (len(X), 1))
    prob = np.ones(len(X))
    keep = np.ones(D, bool)
    keep[list(order)] = False
    prob *= np.all(X[:, keep] == start[keep], axis=1)            # fixed pixels must match
    first = _logits(model, state)
    for d in order:
        p = _sigmoid((first if one_pass else _logits(model, state))[:, d])
        if flip:
            p = 1 - p
        prob *= np.where(X[:, d] == 1, p, 1 - p)
        state[:, d] = X[:, d]
    return prob


def _frequencies(samples: np.ndarray) -> np.ndarray:
    counts = np.bincount(_config_index(samples), minlength=2 ** samples.shape[1])
    return counts / len(samples)


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance ``1/2 sum |p - q|``."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def _binary_samples(out, shape: tuple[int, int], what: str = "samples") -> np.ndarray:
    """The student's samples as a float array of 0/1 with ``shape``, or a specific message."""
    arr = _array(out)
    if arr.shape != shape:
        raise _Wrong(f"Your {what} have shape {arr.shape}; expected {shape} (one row per sample, "
                     f"one column per pixel).")
    if not np.all(np.isfinite(arr)):
        raise _Wrong(f"Your {what} contain nan or inf.")
    if not np.all((arr == 0) | (arr == 1)):
        if np.all((arr >= 0) & (arr <= 1)):
            raise _Wrong(f"Your {what} hold values between 0 and 1 such as {arr[(arr > 0) & (arr < 1)][0]:.3f}:"
                         f" those are probabilities. Draw each pixel: x = (rng.random(n) < p), "
                         f"so it is 1 with probability p and 0 otherwise.")
        raise _Wrong(f"Your {what} must be 0 or 1; they hold values such as {arr[(arr != 0) & (arr != 1)][0]}.")
    return arr


# ------------------------------------------------------------ 02: likelihoods
def _bernoulli_nll_body(fn) -> str:
    from .losses import bernoulli_nll

    def ref(x, logits):
        return np.asarray(bernoulli_nll(np.asarray(x, np.float32), np.asarray(logits, np.float32)),
                          dtype=np.float64)

    rng = np.random.default_rng(2)
    B, D = 4, 5
    x = (rng.random((B, D)) < 0.5).astype(np.float32)
    logits = rng.normal(0, 2, (B, D)).astype(np.float32)
    expected = ref(x, logits)
    out = _array(_call(fn, x.copy(), logits.copy(),
                       desc=f"x of shape {x.shape} (0/1) and logits of shape {logits.shape}"))
    _per_example(out, expected)
    if not np.all(np.isfinite(out)):
        raise _Wrong(
            f"Your NLL is nan/inf already for moderate logits such as {logits[0, 0]:.2f}. Did you "
            f"treat the logits as probabilities? A logit is any real number l; the probability is "
            f"p = sigmoid(l) = 1 / (1 + exp(-l)).")
    if not _close(out, expected):
        s = _sigmoid(logits)
        message = _diagnose(out, expected, [
            (-expected, f"Your NLL has the wrong sign: it is negative ({out[0]:.3f}) for x = {x[0]} "
                        f"and logits = {_fmt(logits[0], 2)}. An NLL is -log p(x) >= 0: put a minus "
                        f"in front of the log-likelihood."),
            (expected / D, "You averaged over the pixels (that is what Keras' binary cross-entropy "
                           "does). The NLL of an example is the SUM over its D pixels: use "
                           "sum(axis=-1), or multiply the mean by D."),
            (ref(1 - x, logits), "You swapped the two cases: p(x_d = 1) = sigmoid(l_d), so a pixel "
                                 "with x_d = 1 costs -log sigmoid(l_d) = softplus(-l_d) and a pixel "
                                 "with x_d = 0 costs -log(1 - sigmoid(l_d)) = softplus(l_d)."),
            (-np.sum(x * np.log(s), axis=-1), "Pixels with x_d = 0 are missing: they contribute "
                                              "-log(1 - sigmoid(l_d)) each. The full NLL is "
                                              "sum_d softplus(l_d) - x_d * l_d."),
        ])
        raise _Wrong(message or (
            f"Wrong values: for x = {x[0]} and logits = {_fmt(logits[0], 3)} the NLL is "
            f"{expected[0]:.4f} nats, you return {out[0]:.4f}. Recall "
            f"-log p(x) = sum_d softplus(l_d) - x_d * l_d."))

    # confident predictions, right and wrong: log(sigmoid(.)) overflows here
    x_big = np.array([[1, 0, 1, 0], [0, 1, 0, 1]], np.float32)
    l_big = np.array([[100, -100, -100, 100], [100, -100, -100, 100]], np.float32)
    expected_big = ref(x_big, l_big)
    out_big = _array(_call(fn, x_big.copy(), l_big.copy(), desc=f"x = {x_big.tolist()}, logits = ±100"))
    _per_example(out_big, expected_big)
    if not np.all(np.isfinite(out_big)):
        raise _Wrong(
            f"Your result is {_fmt(out_big)} (inf/nan) for logits of ±100, where the NLL is "
            f"{_fmt(expected_big, 1)}: you took log(sigmoid(l)). sigmoid(100) rounds to exactly 1.0, "
            f"so log(1 - sigmoid(100)) = log(0) = -inf. Use the stable form "
            f"softplus(l) - x * l (np.logaddexp(0, l) - x * l).")
    if not _close(out_big, expected_big, rtol=1e-3, atol=1e-2):
        raise _Wrong(
            f"For logits of ±100 you return {_fmt(out_big, 2)}, but the NLL is {_fmt(expected_big, 2)} "
            f"(a confident wrong pixel costs about 100 nats). Clipping the probabilities (e.g. to "
            f"[1e-7, 1 - 1e-7]) changes the answer: use softplus(l) - x * l.")

    # a single pixel per example
    x_one = np.array([[1.0], [0.0], [1.0]], np.float32)
    l_one = np.array([[0.0], [0.0], [3.0]], np.float32)
    expected_one = ref(x_one, l_one)
    out_one = _array(_call(fn, x_one.copy(), l_one.copy(), desc="a batch of 3 examples with D = 1 pixel"))
    _per_example(out_one, expected_one)
    if not _close(out_one, expected_one):
        raise _Wrong(f"With one pixel per example (D = 1), x = {x_one.ravel()}, logits = "
                     f"{l_one.ravel()}, the NLL is {_fmt(expected_one)}; you return {_fmt(out_one)}.")
    return ("Your Bernoulli NLL matches made_helpers.losses.bernoulli_nll on random logits, on "
            "logits of ±100 and with a single pixel.")


def _gaussian_nll_body(fn) -> str:
    from .losses import gaussian_nll

    def ref(x, mean, variance):
        return np.asarray(gaussian_nll(x, mean, variance=variance), dtype=np.float64)

    rng = np.random.default_rng(3)
    B, D = 3, 4
    x = rng.normal(0, 1, (B, D)).astype(np.float32)
    mean = rng.normal(0, 1, (B, D)).astype(np.float32)
    sse = np.sum((x.astype(np.float64) - mean) ** 2, axis=-1)
    for variance in (1.0, 0.25, 2.0):
        expected = ref(x, mean, variance)
        out = _array(_call(fn, x.copy(), mean.copy(), variance,
                           desc=f"x and mean of shape {x.shape}, variance = {variance}"))
        _per_example(out, expected)
        if _close(out, expected):
            continue
        c = 0.5 * math.log(2 * math.pi * variance)
        message = _diagnose(out, expected, [
            (-expected, f"Your NLL has the wrong sign: it is {out[0]:.3f} for the first example; "
                        f"-log N(x; mu, s²) = (x - mu)² / (2 s²) + 1/2 log(2 pi s²) per pixel."),
            (sse / (2 * variance), "You left out the normalising constant: each pixel adds "
                                   "1/2 log(2 pi s²), so the NLL has D/2 log(2 pi s²) on top of "
                                   "the scaled squared error (the next exercise asks for it)."),
            (sse / (2 * variance) + c, "The constant is per pixel: add 1/2 log(2 pi s²) for each of "
                                       "the D pixels, D/2 log(2 pi s²) in total, not once."),
            (sse / variance + D * c, "The squared error needs a factor 1/2: (x - mu)² / (2 s²)."),
            (expected / D, "You averaged over the pixels; the NLL of an example sums over its D "
                           "pixels (sum(axis=-1))."),
            (sse / (2 * variance) + 0.5 * D * math.log(2 * math.pi),
             "Your constant ignores the variance: it is D/2 log(2 pi s²), which changes with s²."),
            (ref(x, mean, variance ** 2), "The third argument is the variance s², not the standard "
                                          "deviation s: do not square it again."),
            (ref(x, mean, math.sqrt(variance)), "The third argument is already the variance s²: "
                                                "do not take its square root."),
            (sse / 2 + D * c, "Divide the squared error by the variance: (x - mu)² / (2 s²)."),
        ])
        raise _Wrong(message or (
            f"Wrong values for variance = {variance}: the NLL of the first example is "
            f"{expected[0]:.4f} nats, you return {out[0]:.4f}. Recall "
            f"-log N(x; mu, s²) = sum_d (x_d - mu_d)² / (2 s²) + D/2 log(2 pi s²)."))
    return ("Your Gaussian NLL matches made_helpers.losses.gaussian_nll for variances 1, 0.25 and 2: "
            "with s² = 1 it is 1/2 squared error + D/2 log(2 pi).")


def _gaussian_constant_body(fn) -> str:
    from .losses import gaussian_nll

    for D, variance in ((1, 1.0), (784, 1.0), (10, 0.25), (3, 5.0)):
        # the NLL when x equals the mean is exactly the constant
        zeros = np.zeros((1, D), np.float32)
        expected = float(np.asarray(gaussian_nll(zeros, zeros, variance=variance))[0])
        out = _array(_call(fn, D, variance, desc=f"D = {D}, variance = {variance}"))
        if out.size != 1:
            raise _Wrong(f"Return one number (the constant), got shape {out.shape}.")
        value = float(out.ravel()[0])
        if math.isclose(value, expected, rel_tol=RTOL, abs_tol=ATOL):
            continue
        log2pis = math.log(2 * math.pi * variance)
        message = _diagnose(np.array(value), np.array(expected), [
            (0.5 * log2pis, "The constant is per pixel: 1/2 log(2 pi s²) for each of the D pixels, "
                            "so multiply by D."),
            (D * log2pis, "You forgot the 1/2: the log-density of N(mu, s²) has "
                          "-1/2 log(2 pi s²)."),
            (-0.5 * D * log2pis, "Wrong sign: the NLL constant is +D/2 log(2 pi s²) (the density "
                                 "has the factor 1/sqrt(2 pi s²), whose minus log is positive)."),
            (0.5 * D * math.log(2 * math.pi), "Your constant ignores the variance: it is "
                                              "D/2 log(2 pi s²)."),
            (0.5 * D * math.log(math.pi * variance), "Check the 2 inside the log: D/2 log(2 pi s²)."),
            (0.5 * D * math.log(2 * math.pi * variance ** 2), "The argument is the variance s²; do "
                                                              "not square it again."),
        ])
        raise _Wrong(message or (f"For D = {D} and variance = {variance} the constant is "
                                 f"{expected:.4f} nats; you return {value:.4f}."))
    return ("The constant is D/2 log(2 pi s²) -- for D = 784 and s² = 1 that is about 720.5 nats, "
            "so an MSE loss and the Gaussian NLL differ by a constant and a factor.")


# ----------------------------------------------------- 03: autoregressive property
def _allowed_connections_body(fn) -> str:
    from .masks import direct_mask, input_degrees

    cases = [input_degrees(4, "natural"), input_degrees(5, [2, 0, 4, 1, 3]), input_degrees(2, "reversed")]
    for degrees in cases:
        D = len(degrees)
        expected = direct_mask(degrees) > 0
        raw = _array(_call(fn, degrees.copy(), desc=f"input_degrees = {degrees.tolist()}"))
        if raw.shape != (D, D):
            raise _Wrong(f"Return a (D, D) matrix, here ({D}, {D}); got shape {raw.shape}.")
        out = raw != 0
        if np.array_equal(out, expected):
            continue
        d = degrees
        idx = np.arange(D)
        message = None
        for value, text in [
            (d[:, None] <= d[None, :], "Output j may not see input j itself: use a strict "
                                       "degree[i] < degree[j]. With <= the model could copy x_j "
                                       "to predict x_j and the product of conditionals is no "
                                       "longer a distribution."),
            (expected.T, "Your matrix is transposed: entry [i, j] is about input i (row) and "
                         "output j (column), and is True when degree[i] < degree[j]."),
            (idx[:, None] < idx[None, :], f"You compared positions i < j instead of degrees: with "
                                          f"input_degrees = {d.tolist()} the order is not 0, 1, 2, "
                                          f"...; use degree[i] < degree[j]."),
            ((d[:, None] <= d[None, :]).T, "Transposed and with the diagonal: [i, j] (input i, "
                                           "output j) is True iff degree[i] < degree[j] (strict)."),
        ]:
            if not np.array_equal(value, expected) and np.array_equal(out, value):
                message = text
                break
        raise _Wrong(message or (
            f"For input_degrees = {d.tolist()} the allowed connections are\n"
            f"{_fmt(expected.astype(int))}\nyou return\n{_fmt(out.astype(int))}."))
    return ("Output j may depend on input i exactly when degree[i] < degree[j]: the same matrix "
            "as made_helpers.masks.direct_mask.")


def _log_prob_by_hand_body(fn) -> str:
    model = _tiny_made(3, [6], ordering=[1, 2, 0], seed=5)
    x = _all_binary(3)
    expected = _model_log_prob(model, x)
    out = _array(_call(fn, model, x.copy(), desc="a 3-pixel MADE and all 8 binary vectors x"))
    _per_example(out, expected, what="log-probability")
    if _close(out, expected, rtol=1e-4, atol=1e-4):
        return (f"Your log p(x) matches model.log_prob for all 8 vectors, and "
                f"sum_x p(x) = {np.exp(out).sum():.6f}: one forward pass gave all three conditionals.")
    logits = _logits(model, x)
    s = _sigmoid(logits)
    total = float(np.exp(np.clip(out, -700, 700)).sum()) if np.all(np.isfinite(out)) else float("nan")
    message = _diagnose(out, expected, [
        (np.exp(expected), "You returned p(x), not log p(x): take the log (or better, sum the "
                           "log-conditionals directly)."),
        (-expected, "Wrong sign: log p(x) <= 0 for binary data; you returned the NLL -log p(x)."),
        (np.sum(x * np.log(s), axis=-1), f"Pixels with x_d = 0 are missing: they contribute "
                                         f"log(1 - sigmoid(l_d)). With your values the 8 "
                                         f"probabilities sum to {total:.3f}, not 1."),
        (_log_lik(1 - x, logits), "You swapped the cases: p(x_d = 1 | x_<d) = sigmoid(l_d), so "
                                  "x_d = 1 contributes log sigmoid(l_d) and x_d = 0 contributes "
                                  "log(1 - sigmoid(l_d))."),
        (_log_lik(x, _logits(model, np.zeros_like(x))),
         "You computed the logits from a fixed input (zeros): feed x itself, model(x). logit_d "
         "depends on the pixels before d, which is what makes p(x_d | x_<d) a conditional."),
        (np.sum(np.log(s), axis=-1), "You added log sigmoid(l_d) for every pixel; a pixel equal to 0 "
                                     "has probability 1 - sigmoid(l_d)."),
    ])
    raise _Wrong(message or (
        f"For x = {x[5]} the model gives log p(x) = {expected[5]:.4f}, you return {out[5]:.4f}. "
        f"Your 8 probabilities sum to {total:.4f} (they should sum to 1). Recall "
        f"log p(x) = sum_d x_d log sigmoid(l_d) + (1 - x_d) log(1 - sigmoid(l_d)), l = model(x)."))


# ------------------------------------------------------------ 04: masks
def _input_degrees_body(fn) -> str:
    from .masks import input_degrees

    for ordering in ([2, 0, 3, 1], [0, 1, 2, 3], [4, 2, 0, 1, 5, 3], [1, 0]):
        order = np.array(ordering)
        D = len(order)
        expected = input_degrees(D, order)
        out = _array(_call(fn, order.copy(), desc=f"ordering = {ordering}"))
        if out.shape != (D,):
            raise _Wrong(f"Return one degree per input, shape ({D},); got shape {out.shape}.")
        if np.array_equal(out, expected):
            continue
        message = _diagnose(out, expected, [
            (expected - 1, "Off by one: degrees run from 1 to D (the first input in the ordering has "
                           "degree 1), not from 0 to D-1. Degree 0 is reserved for units that see "
                           "no input at all."),
            (order + 1, f"You returned ordering + 1: that numbers the list positions. degree[i] is "
                        f"the position of input i IN the ordering, i.e. the inverse permutation: "
                        f"degrees[ordering[k]] = k + 1. Here ordering = {ordering}, so input "
                        f"{ordering[0]} has degree 1."),
            (order, f"Two things: degree[i] is the position of input i in the ordering (the inverse "
                    f"permutation, degrees[ordering[k]] = k + 1), and degrees start at 1."),
            (np.arange(1, D + 1), f"You ignored the ordering: with ordering = {ordering} input "
                                  f"{ordering[0]} comes first and gets degree 1."),
        ], atol=0, rtol=0)
        raise _Wrong(message or (f"For ordering = {ordering} the input degrees are "
                                 f"{expected.tolist()}; you return {out.tolist()}."))
    return ("degrees[ordering[k]] = k + 1: the degree of an input is its place in the generation "
            "order, the same as made_helpers.masks.input_degrees.")


def _masks_from_degrees_body(fn) -> str:
    from .masks import connectivity, is_autoregressive, make_degrees, make_masks

    cases = [make_degrees(4, [5], ordering=[2, 0, 3, 1], seed=1),
             make_degrees(5, [6, 6], ordering="random", seed=4),
             make_degrees(3, [4], seed=2)]
    for degrees in cases:
        expected = make_masks(degrees)
        desc = "degrees = [" + ", ".join(str(d.tolist()) for d in degrees) + "]"
        out = _call(fn, [d.copy() for d in degrees], desc=desc)
        if out is None:
            raise _Wrong("Your function returned None: did you forget the `return` statement?")
        try:
            out = [np.asarray(m, dtype=np.float64) for m in out]
        except Exception:  # noqa: BLE001
            raise _Wrong("Return a list of masks (numpy arrays), one per layer.") from None
        if len(out) != len(expected):
            raise _Wrong(f"With {len(degrees) - 1} hidden layer(s) there are {len(expected)} masks (one "
                         f"into each hidden layer, plus the output mask); you return {len(out)}.\n{desc}")
        for k, (m, e) in enumerate(zip(out, expected)):
            if m.shape != e.shape:
                extra = (" Keras kernels are (fan_in, fan_out): row i is a unit below, column j a unit "
                         "above; transpose your mask." if m.shape == e.shape[::-1] else "")
                raise _Wrong(f"Mask {k} has shape {m.shape}, expected {e.shape}.{extra}")
        if all(np.array_equal(m, e) for m, e in zip(out, expected)):
            continue
        d_in, d_last = degrees[0], degrees[-1]
        D = len(d_in)
        last, last_ref = out[-1], expected[-1]
        conn = connectivity([m != 0 for m in out])
        if not np.array_equal(last, last_ref):
            if np.array_equal(last, d_in[None, :] >= d_last[:, None]):
                sees = [j for j in range(D) if conn[j, j]]
                who = f"Output {sees[0]} sees input {sees[0]}" if sees else "Output j may see input j"
                raise _Wrong(f"{who}: use a strict > for the output mask, "
                             f"mask[k, j] = degree_in[j] > degree_hidden[k]. A hidden unit of degree "
                             f"m carries information from inputs of degree <= m, so output j may "
                             f"only use units with m < degree_in[j].")
            if len(degrees) > 2 and last.shape == last_ref.shape and np.array_equal(
                    last, d_in[None, :] > degrees[1][:, None]):
                raise _Wrong("The output mask must compare the LAST hidden layer's degrees with the "
                             "input degrees; yours uses the first hidden layer.")
        for k in range(len(degrees) - 1):
            if np.array_equal(out[k], expected[k]):
                continue
            below, above = degrees[k], degrees[k + 1]
            if np.array_equal(out[k], above[None, :] > below[:, None]):
                raise _Wrong(f"Hidden mask {k} uses a strict >: a hidden unit of degree m may see the "
                             f"units below it of degree <= m (use >=). With > it loses connections "
                             f"it is allowed, and units of degree 1 see nothing.")
            if np.array_equal(out[k], above[None, :] <= below[:, None]):
                raise _Wrong(f"Hidden mask {k} compares the wrong way round: mask[i, j] = 1 when the "
                             f"unit above (column j) has degree >= the unit below (row i).")
        if not is_autoregressive(conn, d_in):
            i, j = map(int, np.argwhere(conn & ~(d_in[:, None] < d_in[None, :]))[0])
            raise _Wrong(f"Your masks break the autoregressive property: output {j} (degree "
                         f"{d_in[j]}) can see input {i} (degree {d_in[i]}).\n{desc}")
        k = next(k for k, (m, e) in enumerate(zip(out, expected)) if not np.array_equal(m, e))
        i, j = map(int, np.argwhere(out[k] != expected[k])[0])
        raise _Wrong(f"Mask {k} differs from the rule at [{i}, {j}]: expected {expected[k][i, j]:.0f}, "
                     f"got {out[k][i, j]:.0f}. Hidden masks use degree_above >= degree_below, the "
                     f"output mask degree_in > degree_hidden.\n{desc}")
    return ("Your masks equal made_helpers.masks.make_masks: >= into hidden layers, strict > into "
            "the outputs, so no output sees its own input.")


def _hidden_degrees_body(fn) -> str:
    from .masks import hidden_layer_degrees

    def draw(width, D, low, seed):
        out = _array(_call(fn, width, D, low, np.random.default_rng(seed),
                           desc=f"width = {width}, input_dim = {D}, low = {low}"))
        if out.shape != (width,):
            raise _Wrong(f"Return one degree per hidden unit, shape ({width},); got shape {out.shape}.")
        if not np.all(out == np.round(out)):
            raise _Wrong("Degrees are integers: use rng.integers, not rng.uniform.")
        return out.astype(np.int64)

    for width, D, low in ((2000, 6, 1), (3, 10, 1), (600, 5, 3), (1000, 2, 1)):
        out = draw(width, D, low, seed=width)
        support = set(hidden_layer_degrees(5000, D, low, "random", np.random.default_rng(0)).tolist())
        top, bottom = int(out.max()), int(out.min())
        if top == D:
            raise _Wrong(f"Hidden degrees reach D = {D}: the upper bound is D-1. A unit of degree D "
                         f"could only feed outputs of degree > D, and there are none. "
                         f"rng.integers(low, high) excludes high, so use rng.integers(low, D).")
        if top > D:
            raise _Wrong(f"Hidden degrees go up to {top} with only D = {D} inputs (width = {width}): "
                         f"the bound must come from the number of inputs D, not from the layer "
                         f"width. Degrees live in [low, D-1].")
        if bottom < low:
            why = ("a unit of degree 0 sees no input at all" if bottom == 0 else
                   "a unit below the previous layer's minimum degree has no allowed input")
            raise _Wrong(f"Some hidden units get degree {bottom} < low = {low}: {why}. The lower "
                         f"bound is low (the previous layer's minimum degree).")
        seen = set(out.tolist())
        if width >= 100:
            if D - 1 not in seen:
                raise _Wrong(f"In {width} draws no unit got degree D-1 = {D - 1}: rng.integers excludes "
                             f"its upper bound, so rng.integers(low, D) gives low..D-1.")
            missing = sorted(support - seen)
            if missing:
                raise _Wrong(f"In {width} draws the degrees {missing} never appear; they should cover "
                             f"{sorted(support)} (low..D-1).")
            counts = np.array([np.sum(out == v) for v in sorted(support)])
            if counts.min() < 0.5 * width / len(support):
                raise _Wrong(f"Degrees {sorted(support)} should be drawn uniformly (the paper's choice); "
                             f"your counts are {counts.tolist()} in {width} draws.")
    if not np.array_equal(draw(50, 8, 1, seed=7), draw(50, 8, 1, seed=7)):
        raise _Wrong("Two calls with the same rng gave different degrees: draw with the rng argument "
                     "(rng.integers), not np.random, so a seed gives the same masks every time.")
    return "Hidden degrees are drawn uniformly from low..D-1 with the given rng."


# ------------------------------------------------------------ 05: training
def _log_mean_exp_body(fn) -> str:
    import keras

    def ref(a):
        a = np.asarray(a, np.float64)
        return np.asarray(keras.ops.logsumexp(a, axis=0), np.float64) - math.log(a.shape[0])

    rng = np.random.default_rng(6)
    cases = [("log-likelihoods around -5, K = 3 masks", rng.normal(-5, 1, (3, 4))),
             ("log-likelihoods around -1000 (K = 4)", rng.normal(-1000, 3, (4, 5))),
             ("a single mask (K = 1)", rng.normal(-20, 2, (1, 3)))]
    for desc, a in cases:
        K, B = a.shape
        expected = ref(a)
        out = _array(_call(fn, a.copy(), desc=f"an array of shape (K, batch) = {a.shape} of {desc}"))
        if out.shape != (B,):
            if out.shape == (K,):
                raise _Wrong(f"You reduced over the wrong axis: the input is (K masks, batch) = "
                             f"{a.shape}; average over the masks, axis 0, to get shape ({B},).")
            raise _Wrong(f"Expected one value per example, shape ({B},); got shape {out.shape}.")
        if not np.all(np.isfinite(out)):
            raise _Wrong(f"Your result is {_fmt(out, 1)} for {desc}: exp(-1000) underflows to 0, so "
                         f"log(mean(exp(a))) = log(0) = -inf. Subtract the maximum first: "
                         f"m + log(mean(exp(a - m))), with m = a.max(axis=0).")
        if _close(out, expected):
            continue
        message = _diagnose(out, expected, [
            (expected + math.log(K), f"You computed log SUM exp; the mixture averages the K "
                                     f"probabilities, so subtract log K (= {math.log(K):.3f})."),
            (a.mean(axis=0), "You averaged the log-likelihoods: that is the log of the geometric mean "
                             "of the probabilities, a lower bound. Average the probabilities: "
                             "log-mean-exp."),
            (a.max(axis=0), "You kept only the largest term; log-mean-exp adds the others: "
                            "m + log(mean(exp(a - m)))."),
            (a.max(axis=0) + np.log(np.mean(np.exp(a - a.max(axis=0)), axis=0)) + math.log(K),
             "You computed log SUM exp; subtract log K to average."),
        ])
        raise _Wrong(message or (f"For {desc} the first value should be {expected[0]:.4f}; you "
                                 f"return {out[0]:.4f}. log-mean-exp: log((1/K) sum_k exp(a_k))."))
    return "Your log-mean-exp is stable (finite at -1000) and averages probabilities over the masks."


def _ensemble_log_prob_body(fn) -> str:
    # seed and scale chosen so that averaged logits are visibly unnormalised (total 1.067)
    model = _tiny_made(4, [12], ordering="random", num_masks=4, seed=4, scale=3.0)
    x = _all_binary(4)
    for start, K in ((0, 4), (3, 2)):
        model.set_mask(start)
        expected = _model_log_prob(model, x, num_masks=K)
        per_mask = []
        logits = []
        for k in range(K):
            model.set_mask(k)
            logits.append(_logits(model, x))
            per_mask.append(_log_lik(x, logits[-1]))
        model.set_mask(start)
        per_mask = np.stack(per_mask)
        current = _log_lik(x, _logits(model, x))
        averaged_logits = _log_lik(x, np.mean(logits, axis=0))
        desc = f"a MADE with 4 masks (currently mask {start}), all 16 binary x, num_masks = {K}"
        out = _array(_call(fn, model, x.copy(), K, desc=desc))
        after = model.current_mask
        model.set_mask(start)
        _per_example(out, expected, what="log-probability")
        if not _close(out, expected):
            top = per_mask.max(axis=0)
            message = _diagnose(out, expected, [
                (averaged_logits, f"You averaged logits over masks: that is not a distribution (over "
                                  f"all 16 vectors its probabilities sum to "
                                  f"{np.exp(averaged_logits).sum():.3f}, not 1). Average the "
                                  f"probabilities instead: log-mean-exp the per-mask likelihoods."),
                (per_mask.mean(axis=0), "You averaged the log-likelihoods over masks: that is the log "
                                        "of a geometric mean, not a mixture. log-mean-exp the "
                                        "per-mask log-likelihoods."),
                (expected + math.log(K), f"You forgot to divide by K: subtract log K = "
                                         f"{math.log(K):.3f} from the log-sum-exp."),
                (current, f"You used only the current mask (mask {start}): loop over "
                          f"model.set_mask(k) for k in range(num_masks)."),
                (_model_log_prob(model, x, num_masks=model.num_masks),
                 f"Use the first num_masks = {K} masks, not all {model.num_masks} of the model."),
                (top, "You kept only the best mask per example; the mixture averages all K."),
            ])
            raise _Wrong(message or (f"For {desc}, the mixture log-likelihood of x = {x[5]} is "
                                     f"{expected[5]:.4f}; you return {out[5]:.4f}."))
        if after != start:
            raise _Wrong(f"Your values are right, but the model was left on mask {after} (it was on "
                         f"mask {start}): restore it at the end (model.set_mask(previous)), or later "
                         f"code silently uses another ordering.")
    return ("You average probabilities over masks (log-mean-exp), which is what "
            "model.log_prob(x, num_masks=K) does, and you leave the model's mask as you found it.")


# Early stopping cases, worked out by hand. Epochs are 0-based list indices; an epoch
# improves when its valid NLL is strictly below the best so far; training stops after
# epoch e as soon as e - best_epoch == patience (else after the last epoch).
_EARLY_STOPPING_CASES = [
    {   # no stopping (patience 100): valid is lowest at 3, test at 5, train at 9
        "history": {"train_nll": [5.0, 4.0, 3.4, 3.0, 2.7, 2.5, 2.3, 2.1, 2.0, 1.9],
                    "valid_nll": [5.1, 4.2, 3.7, 3.3, 3.5, 3.6, 3.8, 4.0, 4.1, 4.3],
                    "test_nll": [5.2, 4.3, 3.8, 3.6, 3.5, 3.4, 3.45, 3.7, 3.9, 4.0]},
        "patience": 100, "answer": (3, 9),
        "mistakes": {(5, 9): "test", (9, 9): "train", (0, 9): "argmax", (4, 10): "one_based"},
    },
    {   # best at 4; epochs 5, 6, 7 do not improve -> stop after 7 (later improvements unseen)
        "history": {"train_nll": [5.0, 4.1, 3.6, 3.2, 2.9, 2.7, 2.5, 2.4, 2.3, 2.2, 2.1],
                    "valid_nll": [5.0, 4.0, 3.5, 3.2, 3.0, 3.1, 3.3, 3.4, 3.6, 2.8, 2.7],
                    "test_nll": [5.1, 4.1, 3.6, 3.3, 3.1, 3.2, 3.4, 3.5, 3.7, 2.9, 2.8]},
        "patience": 3, "answer": (4, 7),
        "mistakes": {(4, 8): "late", (4, 6): "early", (10, 10): "never", (5, 8): "one_based"},
    },
    {   # keeps improving: runs to the end
        "history": {"train_nll": [3.0, 2.4, 2.1, 1.9], "valid_nll": [3.0, 2.5, 2.2, 2.1],
                    "test_nll": [3.1, 2.6, 2.3, 2.2]},
        "patience": 2, "answer": (3, 3), "mistakes": {(4, 4): "one_based"},
    },
    {   # patience 1: one bad epoch stops training
        "history": {"train_nll": [2.0, 1.8, 1.5], "valid_nll": [2.0, 2.5, 1.0],
                    "test_nll": [2.1, 2.6, 1.1]},
        "patience": 1, "answer": (0, 1),
        "mistakes": {(1, 2): "one_based"},
    },
]


def _early_stopping_body(fn) -> str:
    for case in _EARLY_STOPPING_CASES:
        history = {key: list(values) for key, values in case["history"].items()}
        patience = case["patience"]
        valid = history["valid_nll"]
        best, stop = case["answer"]
        out = _call(fn, history, patience, desc=f"valid_nll = {valid}, patience = {patience}")
        if out is None:
            raise _Wrong("Your function returned None: did you forget the `return` statement?")
        try:
            got_best, got_stop = (int(v) for v in out)
        except Exception:  # noqa: BLE001
            raise _Wrong(f"Return a pair (best_epoch, stop_epoch) of integers; got {out!r}.") from None
        if (got_best, got_stop) == (best, stop):
            continue
        if got_best > got_stop:
            raise _Wrong(f"Your best epoch {got_best} comes after your stop epoch {got_stop}: you looked "
                         f"at epochs training never reached. Take the best among epochs 0..stop_epoch.")
        kind = case["mistakes"].get((got_best, got_stop))
        if kind is None and got_best == best:
            kind = {stop + 1: "late", stop - 1: "early"}.get(got_stop)
        messages = {
            "test": f"You chose the epoch with the lowest TEST NLL (epoch {got_best}). The test set must "
                    f"not influence any choice, including when to stop, or the final test score is "
                    f"optimistically biased. Use history['valid_nll'].",
            "train": "You chose with the training NLL, which keeps falling while the model overfits; "
                     "use history['valid_nll'].",
            "argmax": "Your best epoch has the HIGHEST validation NLL: for an NLL lower is better "
                      "(argmin).",
            "late": f"Off by one: you stop one epoch late. Stop after epoch e as soon as "
                    f"e - best_epoch == patience (here after epoch {stop}).",
            "early": f"Off by one: you stop one epoch early. Stop after epoch e as soon as "
                     f"e - best_epoch == patience (here after epoch {stop}).",
            "never": f"You never stop: with patience = {patience} and no improvement after epoch "
                     f"{best}, training stops after epoch {stop}, before the later improvements are "
                     f"ever seen.",
            "one_based": "Epochs are numbered from 0 here (they index the lists); you returned "
                         "1-based epoch numbers.",
        }
        raise _Wrong(messages.get(kind, "") or (
            f"For valid_nll = {valid} and patience = {patience} the answer is "
            f"(best_epoch, stop_epoch) = ({best}, {stop}); you returned ({got_best}, {got_stop})."))
    return ("You select with the validation curve and stop after `patience` epochs without "
            "improvement; the test curve stays untouched.")


# ------------------------------------------------------------ 06: sampling
_SAMPLER_N = 6000
_TV_PASS = 0.05


def _sampler_model():
    # seed and scale chosen so that the typical wrong samplers are far from the model
    # (total variation > 0.4, against sampling noise < 0.03 with 6000 samples)
    model = _tiny_made(4, [16], ordering=[2, 0, 3, 1], seed=5, scale=3.0)
    return model, np.exp(_model_log_prob(model, _all_binary(4)))


def _sample_sequential_body(fn) -> str:
    model, p = _sampler_model()
    D = model.input_dim
    order = model.ordering
    n = _SAMPLER_N
    desc = f"a 4-pixel MADE with ordering {order.tolist()}, n = {n}"
    samples = _binary_samples(_call(fn, model, n, np.random.default_rng(0), desc=desc), (n, D))
    freq = _frequencies(samples)
    if len(np.unique(samples, axis=0)) == 1 and p.max() < 0.9:
        raise _Wrong(f"All {n} samples are identical ({samples[0]}): you took the most likely value "
                     f"(p > 0.5) instead of drawing at random. Use x_d = (rng.random(n) < p).")
    tv = _tv(freq, p)
    if tv > _TV_PASS:
        wrong = [
            (_sampler_distribution(model, range(D)),
             f"You drew the pixels in index order 0..{D - 1}, but this model generates them in "
             f"model.ordering = {order.tolist()}: pixel d may only be drawn after the pixels before "
             f"it in the ordering."),
            (_sampler_distribution(model, order, one_pass=True),
             "All pixels came from ONE forward pass on zeros. Each pixel must be drawn from logits "
             "computed after the previous pixels were filled in: D passes, one per pixel."),
            (_sampler_distribution(model, order, flip=True),
             "You draw 1 with probability 1 - p: use x_d = (rng.random(n) < p), 1 with probability p."),
        ]
        distances = [_tv(freq, q) for q, _ in wrong]
        k = int(np.argmin(distances))
        if distances[k] < _TV_PASS:
            raise _Wrong(wrong[k][1])
        worst = int(np.argmax(np.abs(freq - p)))
        raise _Wrong(f"Your sample frequencies differ from the model's probabilities (total variation "
                     f"{tv:.3f}; sampling noise is about 0.02). E.g. x = {_all_binary(D)[worst]} has "
                     f"p = {p[worst]:.3f}, your frequency is {freq[worst]:.3f}.")
    if not np.array_equal(_call(fn, model, 50, np.random.default_rng(1), desc="n = 50"),
                          _call(fn, model, 50, np.random.default_rng(1), desc="n = 50")):
        raise _Wrong("Your frequencies are right, but two calls with the same rng gave different "
                     "samples: draw with the rng argument (rng.random(n)), not np.random or "
                     "tf.random, so a seed reproduces the samples.")
    return (f"The frequencies of your {n} samples match exp(model.log_prob(x)) for all 16 vectors "
            f"(total variation {tv:.3f}).")


def _complete_body(fn) -> str:
    model, p = _sampler_model()
    D = model.input_dim
    order = model.ordering
    num_observed = 2
    observed = order[:num_observed]
    x0 = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    n = _SAMPLER_N
    x = np.tile(x0, (n, 1))
    desc = (f"a 4-pixel MADE with ordering {order.tolist()}, x = {x0} repeated {n} times, "
            f"num_observed = {num_observed}")
    out = _binary_samples(_call(fn, model, x.copy(), num_observed, np.random.default_rng(0), desc=desc),
                          (n, D), what="completions")
    kept = np.all(out == x0, axis=0)
    if not kept[observed].all():
        if kept[:num_observed].all():
            raise _Wrong(f"You kept pixels 0..{num_observed - 1}, but the observed pixels are the first "
                         f"{num_observed} in the ORDERING: model.ordering[:{num_observed}] = "
                         f"{observed.tolist()}.")
        raise _Wrong(f"You changed observed pixels {observed[~kept[observed]].tolist()}: keep "
                     f"x[:, model.ordering[:num_observed]] as given, draw only the rest.")
    if kept.all():
        raise _Wrong(f"Nothing was drawn: the pixels model.ordering[{num_observed}:] = "
                     f"{order[num_observed:].tolist()} must be sampled one at a time.")
    target = _sampler_distribution(model, order[num_observed:], start=x0)
    freq = _frequencies(out)
    tv = _tv(freq, target)
    if tv > _TV_PASS:
        one_pass = _sampler_distribution(model, order[num_observed:], start=x0, one_pass=True)
        if _tv(freq, one_pass) < _TV_PASS:
            raise _Wrong("All missing pixels came from ONE forward pass: after drawing a pixel, "
                         "recompute the logits so the next pixel conditions on it.")
        raise _Wrong(f"Your completions do not follow p(missing | observed): total variation "
                     f"{tv:.3f} between your frequencies and the model's conditional (sampling noise "
                     f"is about 0.02).")
    return (f"Observed pixels {observed.tolist()} are kept and the rest follow p(missing | observed) "
            f"(total variation {tv:.3f}).")


# ------------------------------------------------------------ the public namespace
class Checks:
    """The exercise checks; use the shared instance ``check``.

    Every method takes the student's function, prints a message and returns a
    :class:`CheckResult`. ``verbose=False`` returns without printing.
    """

    def bernoulli_nll(self, fn, verbose: bool = True) -> CheckResult:
        """02.1 ``fn(x, logits) -> (batch,)``: ``-log p(x)`` for Bernoulli pixels, from logits."""
        return _run("bernoulli_nll", _bernoulli_nll_body, fn, verbose)

    def gaussian_nll(self, fn, verbose: bool = True) -> CheckResult:
        """02.2 ``fn(x, mean, variance) -> (batch,)``: ``-log N(x; mean, variance)`` summed over pixels."""
        return _run("gaussian_nll", _gaussian_nll_body, fn, verbose)

    def gaussian_constant(self, fn, verbose: bool = True) -> CheckResult:
        """02.3 ``fn(D, variance) -> float``: the constant in Gaussian NLL = SSE / (2 s²) + constant."""
        return _run("gaussian_constant", _gaussian_constant_body, fn, verbose)

    def allowed_connections(self, fn, verbose: bool = True) -> CheckResult:
        """03.1 ``fn(input_degrees) -> (D, D) bool``: ``[i, j]`` iff output j may depend on input i."""
        return _run("allowed_connections", _allowed_connections_body, fn, verbose)

    def log_prob_by_hand(self, fn, verbose: bool = True) -> CheckResult:
        """03.2 ``fn(model, x) -> (batch,)``: ``log p(x)`` of a MADE from one forward pass."""
        return _run("log_prob_by_hand", _log_prob_by_hand_body, fn, verbose)

    def input_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.1 ``fn(ordering) -> (D,)``: the input degrees for a generation order."""
        return _run("input_degrees", _input_degrees_body, fn, verbose)

    def masks_from_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.2 ``fn(degrees) -> [masks]``: the hidden and output masks, ``(fan_in, fan_out)`` each."""
        return _run("masks_from_degrees", _masks_from_degrees_body, fn, verbose)

    def hidden_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.3 ``fn(width, input_dim, low, rng) -> (width,)``: random hidden degrees in ``low..D-1``."""
        return _run("hidden_degrees", _hidden_degrees_body, fn, verbose)

    def log_mean_exp(self, fn, verbose: bool = True) -> CheckResult:
        """05.1 ``fn(log_probs (K, batch)) -> (batch,)``: ``log mean_k exp``, stably."""
        return _run("log_mean_exp", _log_mean_exp_body, fn, verbose)

    def ensemble_log_prob(self, fn, verbose: bool = True) -> CheckResult:
        """05.2 ``fn(model, x, num_masks) -> (batch,)``: log-likelihood of the mixture over masks."""
        return _run("ensemble_log_prob", _ensemble_log_prob_body, fn, verbose)

    def early_stopping(self, fn, verbose: bool = True) -> CheckResult:
        """05.3 ``fn(history, patience) -> (best_epoch, stop_epoch)``, chosen on the validation curve."""
        return _run("early_stopping", _early_stopping_body, fn, verbose)

    def sample_sequential(self, fn, verbose: bool = True) -> CheckResult:
        """06.1 ``fn(model, n, rng) -> (n, D)`` 0/1 samples, one pixel at a time in ``model.ordering``."""
        return _run("sample_sequential", _sample_sequential_body, fn, verbose)

    def complete(self, fn, verbose: bool = True) -> CheckResult:
        """06.2 ``fn(model, x, num_observed, rng) -> (n, D)``: keep the first pixels of the ordering, draw the rest."""
        return _run("complete", _complete_body, fn, verbose)

    def __dir__(self):
        return [name for name in type(self).__dict__ if not name.startswith("_")]


check = Checks()
