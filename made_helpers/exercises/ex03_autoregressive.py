"""The checks of ``notebooks/exercises/03_autoregressive_exercises.ipynb``: 03.1 allowed_connections,
03.2 log_prob_by_hand. Each ``NAME_body(fn)`` returns the confirmation or raises ``dx.Wrong``."""

from __future__ import annotations

import math

import numpy as np

from ..core.enumeration import all_binary_vectors
from . import _diagnosis as dx


def allowed_connections_body(fn) -> str:
    """03.1 ``fn(input_degrees) -> (D, D) bool``: ``[i, j]`` iff output j may depend on input i."""
    from ..core.masks import direct_mask, input_degrees

    cases = [input_degrees(4, "natural"), input_degrees(5, [2, 0, 4, 1, 3]), input_degrees(2, "reversed")]
    for degrees in cases:
        D = len(degrees)
        expected = direct_mask(degrees) > 0
        returned = dx.returned(dx.call(fn, degrees.copy(), desc=f"input_degrees = {degrees.tolist()}"))
        raw = dx.array(returned)
        if raw.shape != (D, D):
            raise dx.Wrong(f"Return a (D, D) matrix, here ({D}, {D}); got shape {raw.shape}.")
        out = raw != 0
        if np.array_equal(out, expected):
            dtype = np.asarray(returned).dtype
            if dtype.kind != "b":
                raise dx.Wrong(f"Your entries are right, but the task asks for a boolean matrix and yours has dtype "
                               f"{dtype}: return the comparison itself (True/False), without .astype(...) -- a mask "
                               f"of 0/1 numbers comes later, in make_masks.")
            continue
        d = degrees
        idx = np.arange(D)
        message = dx.diagnose(out, expected, [
            (d[:, None] <= d[None, :], "Output j may not see input j itself: use a strict degree[i] < degree[j]. "
                                       "With <= the model could copy x_j to predict x_j and the product of "
                                       "conditionals is no longer a distribution."),
            (expected.T, "Your matrix is transposed: entry [i, j] is about input i (row) and "
                         "output j (column), and is True when degree[i] < degree[j]."),
            (idx[:, None] < idx[None, :], "You compared positions i < j instead of degrees: with input_degrees = "
                                          f"{d.tolist()} the order is not 0, 1, 2, ...; use degree[i] < degree[j]."),
            ((d[:, None] <= d[None, :]).T, "Transposed and with the diagonal: [i, j] (input i, "
                                           "output j) is True iff degree[i] < degree[j] (strict)."),
        ], rtol=0, atol=0)
        raise dx.Wrong(message or f"For input_degrees = {d.tolist()} the allowed connections are\n"
                                  f"{dx.fmt(expected.astype(int))}\nyou return\n{dx.fmt(out.astype(int))}.")
    return ("Output j may depend on input i exactly when degree[i] < degree[j]: the same matrix "
            "as made_helpers.core.masks.direct_mask.")


def log_prob_by_hand_body(fn) -> str:
    """03.2 ``fn(model, x) -> (batch,)``: ``log p(x)`` of a MADE from one forward pass."""
    model = dx.tiny_made(3, [6], ordering=[1, 2, 0], seed=5)
    x = all_binary_vectors(3)
    expected = dx.model_log_prob(model, x)
    with dx.forbid(model, "log_prob", why="compute log p(x) yourself from the logits model(x); the check "
                                          "compares your result with model.log_prob."):
        out = dx.array(dx.call(fn, model, x.copy(), desc="a 3-pixel MADE and all 8 binary vectors x"))
    dx.per_example(out, expected, what="log-probability")
    if dx.close(out, expected, rtol=1e-4, atol=1e-4):
        return (f"Your log p(x) matches model.log_prob for all 8 vectors, and "
                f"sum_x p(x) = {np.exp(out).sum():.6f}: one forward pass gave all three conditionals.")
    logits = dx.model_logits(model, x)
    s = dx.sigmoid(logits)
    if not np.all(np.isfinite(out)) and (logits.min() < 0 or logits.max() > 1):
        raise dx.Wrong(f"Your log p(x) holds nan or -inf ({dx.fmt(out, 2)}): did you use the logits as "
                       f"probabilities? model(x) returns logits, any real number (here from {logits.min():.2f} to "
                       f"{logits.max():.2f}); the probability is p = sigmoid(l) = 1 / (1 + exp(-l)), and "
                       f"log sigmoid(l) = -np.logaddexp(0, -l) computes its log stably.")
    total = float(np.exp(np.clip(out, -700, 700)).sum()) if np.all(np.isfinite(out)) else float("nan")
    message = dx.diagnose(out, expected, [
        (np.exp(expected), "You returned p(x), not log p(x): take the log (or better, sum the "
                           "log-conditionals directly)."),
        (-expected, "Wrong sign: log p(x) <= 0 for binary data; you returned the NLL -log p(x)."),
        (np.sum(x * np.log(s), axis=-1), "Pixels with x_d = 0 are missing: they contribute log(1 - sigmoid(l_d)). With "
                                         f"your values the 8 probabilities sum to {total:.3f}, not 1."),
        (dx.log_lik(1 - x, logits), "You swapped the cases: p(x_d = 1 | x_<d) = sigmoid(l_d), so x_d = 1 contributes "
                                    "log sigmoid(l_d) and x_d = 0 contributes log(1 - sigmoid(l_d))."),
        (dx.log_lik(x, dx.model_logits(model, np.zeros_like(x))),
         "You computed the logits from a fixed input (zeros): feed x itself, model(x). logit_d "
         "depends on the pixels before d, which is what makes p(x_d | x_<d) a conditional."),
        (np.sum(np.log(s), axis=-1), "You added log sigmoid(l_d) for every pixel; a pixel equal to 0 "
                                     "has probability 1 - sigmoid(l_d)."),
        (expected / 3, "You averaged over the pixels: log p(x) is the SUM of the D log-conditionals "
                       "(sum(axis=-1)), not their mean."),
        (expected / math.log(2), dx.BITS.format(what="log-likelihood")),
    ])
    raise dx.Wrong(message or (
        f"For x = {x[5]} the model gives log p(x) = {expected[5]:.4f}, you return {out[5]:.4f}. "
        f"Your 8 probabilities sum to {total:.4f} (they should sum to 1). Recall "
        f"log p(x) = sum_d x_d log sigmoid(l_d) + (1 - x_d) log(1 - sigmoid(l_d)), l = model(x)."))
