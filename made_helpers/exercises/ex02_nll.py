"""The checks of ``notebooks/exercises/02_nll_exercises.ipynb``: 02.1 bernoulli_nll, 02.2 gaussian_nll,
02.3 gaussian_constant. Each ``NAME_body(fn)`` returns the confirmation or raises ``dx.Wrong``."""

from __future__ import annotations

import math

import numpy as np

from . import _diagnosis as dx


def bernoulli_nll_body(fn) -> str:
    """02.1 ``fn(x, logits) -> (batch,)``: ``-log p(x)`` for Bernoulli pixels, from logits."""

    def run_case(x, logits, desc):
        """The right NLL and the student's, ``(batch,)`` each."""
        expected = -dx.log_lik(x, logits)
        out = dx.array(dx.call(fn, x.copy(), logits.copy(), desc=desc))
        dx.per_example(out, expected)
        return expected, out

    rng = np.random.default_rng(2)
    B, D = 4, 5
    x = (rng.random((B, D)) < 0.5).astype(np.float32)
    logits = rng.normal(0, 2, (B, D)).astype(np.float32)
    expected, out = run_case(x, logits, f"x of shape {x.shape} (0/1) and logits of shape {logits.shape}")
    if not np.all(np.isfinite(out)):
        raise dx.Wrong(
            f"Your NLL is nan/inf already for moderate logits such as {logits[0, 0]:.2f}. Did you treat the logits as "
            "probabilities? A logit is any real number l; the probability is p = sigmoid(l) = 1 / (1 + exp(-l)).")
    if not dx.close(out, expected):
        s = dx.sigmoid(logits)
        message = dx.diagnose(out, expected, [
            (-expected, f"Your NLL has the wrong sign: it is negative ({out[0]:.3f}) for x = {x[0]} "
                        f"and logits = {dx.fmt(logits[0], 2)}. An NLL is -log p(x) >= 0: put a minus "
                        f"in front of the log-likelihood."),
            (expected / D, "You averaged over the pixels (that is what Keras' binary cross-entropy does). The NLL of "
                           "an example is the SUM over its D pixels: use sum(axis=-1), or multiply the mean by D."),
            (expected / math.log(2), dx.BITS.format(what="NLL")),
            (-dx.log_lik(1 - x, logits), "You swapped the two cases: p(x_d = 1) = sigmoid(l_d), so a pixel "
                                         "with x_d = 1 costs -log sigmoid(l_d) = softplus(-l_d) and a pixel "
                                         "with x_d = 0 costs -log(1 - sigmoid(l_d)) = softplus(l_d)."),
            (-np.sum(x * np.log(s), axis=-1), "Pixels with x_d = 0 are missing: they contribute -log(1 - sigmoid(l_d)) "
                                              "each. The full NLL is sum_d softplus(l_d) - x_d * l_d."),
        ])
        raise dx.Wrong(message or (
            f"Wrong values: for x = {x[0]} and logits = {dx.fmt(logits[0], 3)} the NLL is {expected[0]:.4f} nats, you "
            f"return {out[0]:.4f}. Recall -log p(x) = sum_d softplus(l_d) - x_d * l_d."))

    # confident predictions, right and wrong: log(sigmoid(.)) overflows here
    x_big = np.array([[1, 0, 1, 0], [0, 1, 0, 1]], np.float32)
    l_big = np.array([[100, -100, -100, 100], [100, -100, -100, 100]], np.float32)
    expected_big, out_big = run_case(x_big, l_big, f"x = {x_big.tolist()}, logits = ±100")
    if not np.all(np.isfinite(out_big)):
        # which overflow: softplus computed as log(1 + exp(l)) gives +inf for x = 1, l = +100, where
        # log(sigmoid(100)) = log(1) = 0 (and 0 * log(0) = nan)
        x_up, l_up = np.ones((1, 1), np.float32), np.full((1, 1), 100.0, np.float32)
        out_up = dx.array(dx.call(fn, x_up, l_up, desc="x = [[1]], logits = [[100]]"))
        if np.all(np.isposinf(out_up)):
            raise dx.Wrong(
                f"Your result is {dx.fmt(out_up)} for x = 1, logit = 100, where the NLL is about 0: exp(100) "
                f"overflows (inf in float32; exp(1000) in float64), so log(1 + exp(l)) is inf. That is a "
                f"numerically unstable softplus: use np.logaddexp(0, l), which never overflows.")
        raise dx.Wrong(
            f"Your result is {dx.fmt(out_big)} (inf/nan) for logits of ±100, where the NLL is "
            f"{dx.fmt(expected_big, 1)}: you took log(sigmoid(l)). sigmoid(100) rounds to exactly 1.0, "
            f"so log(1 - sigmoid(100)) = log(0) = -inf. Use the stable form "
            f"softplus(l) - x * l (np.logaddexp(0, l) - x * l).")
    if not dx.close(out_big, expected_big, rtol=1e-3, atol=1e-2):
        raise dx.Wrong(
            f"For logits of ±100 you return {dx.fmt(out_big, 2)}, but the NLL is {dx.fmt(expected_big, 2)} "
            f"(a confident wrong pixel costs about 100 nats). Clipping the probabilities (e.g. to "
            f"[1e-7, 1 - 1e-7]) changes the answer: use softplus(l) - x * l.")

    # a single pixel per example
    x_one = np.array([[1.0], [0.0], [1.0]], np.float32)
    l_one = np.array([[0.0], [0.0], [3.0]], np.float32)
    expected_one, out_one = run_case(x_one, l_one, "a batch of 3 examples with D = 1 pixel")
    if not dx.close(out_one, expected_one):
        raise dx.Wrong(f"With one pixel per example (D = 1), x = {x_one.ravel()}, logits = "
                       f"{l_one.ravel()}, the NLL is {dx.fmt(expected_one)}; you return {dx.fmt(out_one)}.")
    return ("Your Bernoulli NLL matches made_helpers.core.losses.bernoulli_nll on random logits, on "
            "logits of ±100 and with a single pixel.")


def gaussian_nll_body(fn) -> str:
    """02.2 ``fn(x, mean, variance) -> (batch,)``: ``-log N(x; mean, variance)`` summed over pixels."""
    from ..core.losses import gaussian_nll

    def ref(x, mean, variance):
        return np.asarray(gaussian_nll(x, mean, variance=variance), dtype=np.float64)

    rng = np.random.default_rng(3)
    B, D = 3, 4
    x = rng.normal(0, 1, (B, D)).astype(np.float32)
    mean = rng.normal(0, 1, (B, D)).astype(np.float32)
    sse = np.sum((x.astype(np.float64) - mean) ** 2, axis=-1)
    for variance in (1.0, 0.25, 2.0):
        expected = ref(x, mean, variance)
        out = dx.array(dx.call(fn, x.copy(), mean.copy(), variance,
                               desc=f"x and mean of shape {x.shape}, variance = {variance}"))
        dx.per_example(out, expected)
        if dx.close(out, expected):
            continue
        c = 0.5 * math.log(2 * math.pi * variance)
        message = dx.diagnose(out, expected, [
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
            (expected / math.log(2), dx.BITS.format(what="NLL")),
        ])
        raise dx.Wrong(message or (
            f"Wrong values for variance = {variance}: the NLL of the first example is {expected[0]:.4f} nats, you "
            f"return {out[0]:.4f}. Recall -log N(x; mu, s²) = sum_d (x_d - mu_d)² / (2 s²) + D/2 log(2 pi s²)."))
    return ("Your Gaussian NLL matches made_helpers.core.losses.gaussian_nll for variances 1, 0.25 and 2: "
            "with s² = 1 it is 1/2 squared error + D/2 log(2 pi).")


def gaussian_constant_body(fn) -> str:
    """02.3 ``fn(D, variance) -> float``: the constant in the Gaussian NLL; ``variance`` a number or ``(D,)``."""
    from ..core.losses import gaussian_nll

    for D, variance in ((1, 1.0), (784, 1.0), (10, 0.25), (3, 5.0)):
        # the NLL when x equals the mean is exactly the constant
        zeros = np.zeros((1, D), np.float32)
        expected = float(np.asarray(gaussian_nll(zeros, zeros, variance=variance))[0])
        out = dx.array(dx.call(fn, D, variance, desc=f"D = {D}, variance = {variance}"))
        if out.size != 1:
            raise dx.Wrong(f"Return one number (the constant), got shape {out.shape}.")
        value = float(out.ravel()[0])
        if math.isclose(value, expected, rel_tol=dx.RTOL, abs_tol=dx.ATOL):
            continue
        log2pis = math.log(2 * math.pi * variance)
        message = dx.diagnose(np.array(value), np.array(expected), [
            (0.5 * log2pis, "The constant is per pixel: 1/2 log(2 pi s²) for each of the D pixels, so multiply by D."),
            (D * log2pis, "You forgot the 1/2: the log-density of N(mu, s²) has -1/2 log(2 pi s²)."),
            (-0.5 * D * log2pis, "Wrong sign: the NLL constant is +D/2 log(2 pi s²) (the density "
                                 "has the factor 1/sqrt(2 pi s²), whose minus log is positive)."),
            (0.5 * D * math.log(2 * math.pi), "Your constant ignores the variance: it is D/2 log(2 pi s²)."),
            (0.5 * D * math.log(math.pi * variance), "Check the 2 inside the log: D/2 log(2 pi s²)."),
            (0.5 * D * math.log(2 * math.pi * variance ** 2), "The argument is the variance s²; do "
                                                              "not square it again."),
            (expected / math.log(2), dx.BITS.format(what="constant")),
        ])
        raise dx.Wrong(message or (f"For D = {D} and variance = {variance} the constant is "
                                   f"{expected:.4f} nats; you return {value:.4f}."))
    # one variance per pixel, s_d² (shape (D,)): the constant is 1/2 sum_d log(2 pi s_d²)
    for variance in (np.array([1.0, 0.5, 2.0, 0.25]), np.array([5.0, 5.0, 0.1])):
        D = len(variance)
        desc = f"D = {D}, variance = np.array({variance.tolist()}) (one variance per pixel)"
        zeros = np.zeros((1, D), np.float32)
        expected = float(np.asarray(gaussian_nll(zeros, zeros, variance=variance.astype(np.float32)))[0])
        out = dx.array(dx.call(fn, D, variance.copy(), desc=desc))
        if out.size != 1:
            raise dx.Wrong(f"For {desc} you return shape {out.shape}: one constant per pixel. The constant "
                           f"of the image is their sum, one number.")
        value = float(out.ravel()[0])
        if math.isclose(value, expected, rel_tol=dx.RTOL, abs_tol=1e-3):
            continue
        per_pixel = 0.5 * np.log(2 * math.pi * variance)
        message = dx.diagnose(np.array(value), np.array(expected), [
            (0.5 * D * math.log(2 * math.pi * variance.mean()),
             "You used the mean variance: with one variance per pixel the constant is a sum of per-pixel "
             "terms, 1/2 log(2 pi s_d²) for each pixel d, and the log of a mean is not the mean of logs."),
            (D * per_pixel.sum(), "You summed the per-pixel terms AND multiplied by D: with one variance "
                                  "per pixel, each pixel's term counts once."),
            (0.5 * D * math.log(2 * math.pi * variance[0]), "You used the first pixel's variance for every pixel."),
            (per_pixel.mean(), "You averaged the per-pixel terms 1/2 log(2 pi s_d²); the constant is their SUM over "
                               "the D pixels (np.sum, not np.mean)."),
            (expected / math.log(2), dx.BITS.format(what="constant")),
        ], atol=1e-3)
        raise dx.Wrong(message or (f"For {desc} the constant is {expected:.4f} nats; you return {value:.4f}."))
    return ("The constant is 1/2 sum_d log(2 pi s_d²), D/2 log(2 pi s²) for one shared variance -- for D = 784 and "
            "s² = 1 that is about 720.5 nats, so an MSE loss and the Gaussian NLL differ by a constant and a factor.")
