"""The checks of ``notebooks/exercises/05_training_exercises.ipynb``: 05.1 log_mean_exp, 05.2 ensemble_log_prob,
05.3 early_stopping. Each ``NAME_body(fn)`` returns the confirmation or raises ``dx.Wrong``."""

from __future__ import annotations

import math

import numpy as np

from ..core.enumeration import all_binary_vectors
from . import _diagnosis as dx


def log_mean_exp_body(fn) -> str:
    """05.1 ``fn(log_probs (K, batch)) -> (batch,)``: ``log mean_k exp``, stably."""
    import keras

    rng = np.random.default_rng(6)
    cases = [("log-likelihoods around -5, K = 3 masks", rng.normal(-5, 1, (3, 4))),
             ("log-likelihoods around -1000 (K = 4)", rng.normal(-1000, 3, (4, 5))),
             ("a single mask (K = 1)", rng.normal(-20, 2, (1, 3)))]
    for desc, a in cases:
        K, B = a.shape
        expected = np.asarray(keras.ops.logsumexp(a, axis=0), np.float64) - math.log(K)
        out = dx.array(dx.call(fn, a.copy(), desc=f"an array of shape (K, batch) = {a.shape} of {desc}"))
        if out.shape != (B,):
            if out.shape == (K,):
                raise dx.Wrong(f"You reduced over the wrong axis: the input is (K masks, batch) = "
                               f"{a.shape}; average over the masks, axis 0, to get shape ({B},).")
            raise dx.Wrong(f"Expected one value per example, shape ({B},); got shape {out.shape}.")
        if not np.all(np.isfinite(out)):
            raise dx.Wrong(f"Your result is {dx.fmt(out, 1)} for {desc}: exp(-1000) underflows to 0, so "
                           f"log(mean(exp(a))) = log(0) = -inf. Subtract the maximum first: "
                           f"m + log(mean(exp(a - m))), with m = a.max(axis=0).")
        if dx.close(out, expected):
            continue
        message = dx.diagnose(out, expected, [
            (expected + math.log(K), f"You computed log SUM exp; the mixture averages the K "
                                     f"probabilities, so subtract log K (= {math.log(K):.3f})."),
            (a.mean(axis=0), "You averaged the log-likelihoods: that is the log of the geometric mean of the "
                             "probabilities, a lower bound. Average the probabilities: log-mean-exp."),
            (a.max(axis=0), "You kept only the largest term; log-mean-exp adds the others: m + log(mean(exp(a - m)))."),
            (a.max(axis=0) + np.log(np.mean(np.exp(a - a.max(axis=0)), axis=0)) + math.log(K),
             "You computed log SUM exp; subtract log K to average."),
            (np.log(np.mean(np.exp(a - a.max(axis=0)), axis=0)),
             "You subtracted the maximum m but did not add it back: log mean exp(a) = m + log mean exp(a - m). "
             "Your result is missing the + m."),
            (np.log(np.sum(np.exp(a - a.max(axis=0)), axis=0)),
             "You subtracted the maximum m and did not add it back, and you summed instead of averaging: "
             "log mean exp(a) = m + log mean exp(a - m)."),
            ((expected) / math.log(2), dx.BITS.format(what="result")),
        ])
        raise dx.Wrong(message or (f"For {desc} the first value should be {expected[0]:.4f}; you "
                                   f"return {out[0]:.4f}. log-mean-exp: log((1/K) sum_k exp(a_k))."))
    return "Your log-mean-exp is stable (finite at -1000) and averages probabilities over the masks."


def ensemble_log_prob_body(fn) -> str:
    """05.2 ``fn(model, x, num_masks) -> (batch,)``: log-likelihood of the mixture over masks."""
    # seed and scale chosen so that averaged logits are visibly unnormalised (total 1.067)
    model = dx.tiny_made(4, [12], ordering="random", num_masks=4, seed=4, scale=3.0)
    x = all_binary_vectors(4)
    for start, K in ((0, 4), (3, 2)):
        model.set_mask(start)
        expected = dx.model_log_prob(model, x, num_masks=K)
        logits = []
        for k in range(K):
            model.set_mask(k)
            logits.append(dx.model_logits(model, x))
        model.set_mask(start)
        per_mask = np.stack([dx.log_lik(x, mask_logits) for mask_logits in logits])
        current = dx.log_lik(x, dx.model_logits(model, x))
        averaged_logits = dx.log_lik(x, np.mean(logits, axis=0))
        desc = f"a MADE with 4 masks (currently mask {start}), all 16 binary x, num_masks = {K}"
        with dx.forbid(model, "log_prob", why="compute each log p_k(x) yourself from the logits model(x) (the "
                                              "check compares your mixture with model.log_prob)."):
            out = dx.array(dx.call(fn, model, x.copy(), K, desc=desc))
        after = model.current_mask
        model.set_mask(start)
        dx.per_example(out, expected, what="log-probability")
        if not dx.close(out, expected):
            message = dx.diagnose(out, expected, [
                (averaged_logits, f"You averaged logits over masks: that is not a distribution (over "
                                  f"all 16 vectors its probabilities sum to "
                                  f"{np.exp(averaged_logits).sum():.3f}, not 1). Average the "
                                  f"probabilities instead: log-mean-exp the per-mask likelihoods."),
                (per_mask.mean(axis=0), "You averaged the log-likelihoods over masks: that is the log of a geometric "
                                        "mean, not a mixture. log-mean-exp the per-mask log-likelihoods."),
                (expected + math.log(K), f"You forgot to divide by K: subtract log K = "
                                         f"{math.log(K):.3f} from the log-sum-exp."),
                (current, f"You used only the current mask (mask {start}): loop over "
                          f"model.set_mask(k) for k in range(num_masks)."),
                (dx.model_log_prob(model, x, num_masks=model.num_masks),
                 f"Use the first num_masks = {K} masks, not all {model.num_masks} of the model."),
                (per_mask.max(axis=0), "You kept only the best mask per example; the mixture averages all K."),
            ])
            raise dx.Wrong(message or (f"For {desc}, the mixture log-likelihood of x = {x[5]} is "
                                       f"{expected[5]:.4f}; you return {out[5]:.4f}."))
        if after != start:
            raise dx.Wrong(f"Your values are right, but the model was left on mask {after} (it was on "
                           f"mask {start}): restore it at the end (model.set_mask(previous)), or later "
                           f"code silently uses another ordering.")
    return ("You average probabilities over masks (log-mean-exp), which is what "
            "model.log_prob(x, num_masks=K) does, and you leave the model's mask as you found it.")


# Early stopping cases, worked out by hand. Epochs are 0-based list indices; an epoch
# improves when its valid NLL is strictly below the best so far (a tie does not improve);
# training stops after epoch e as soon as e - best_epoch == patience (else after the last epoch).
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
    {   # a tie is no improvement: 2.5 again at epoch 2 leaves the best at 1, so stop after 3
        "history": {"train_nll": [3.0, 2.6, 2.5, 2.4, 2.2, 2.1], "valid_nll": [3.0, 2.5, 2.5, 2.6, 2.2, 2.1],
                    "test_nll": [3.1, 2.6, 2.6, 2.7, 2.3, 2.2]},
        "patience": 2, "answer": (1, 3),
        "mistakes": {(5, 5): "ties"},
    },
]


def early_stopping_body(fn) -> str:
    """05.3 ``fn(history, patience) -> (best_epoch, stop_epoch)``, chosen on the validation curve."""
    for case in _EARLY_STOPPING_CASES:
        history = {key: list(values) for key, values in case["history"].items()}
        patience = case["patience"]
        valid = history["valid_nll"]
        best, stop = case["answer"]
        out = dx.returned(dx.call(fn, history, patience, desc=f"valid_nll = {valid}, patience = {patience}"))
        try:
            got_best, got_stop = (int(v) for v in out)
        except Exception:  # noqa: BLE001
            raise dx.Wrong(f"Return a pair (best_epoch, stop_epoch) of integers; "
                           f"got {dx.describe_value(out)}.") from None
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in out):
            raise dx.Wrong(f"Return two ints, (best_epoch, stop_epoch); you returned {dx.describe_value(out)} "
                           f"({', '.join(type(v).__name__ for v in out)}). Epochs are list indices: count them "
                           f"with int, not with floats such as np.argmin(...) / 1 or len(...) * 1.0.")
        if (got_best, got_stop) == (best, stop):
            continue
        if got_best > got_stop:
            raise dx.Wrong(f"Your best epoch {got_best} comes after your stop epoch {got_stop}: you looked "
                           f"at epochs training never reached. Take the best among epochs 0..stop_epoch.")
        kind = case["mistakes"].get((got_best, got_stop))
        if kind is None and got_best == best:
            kind = {stop + 1: "late", stop - 1: "early"}.get(got_stop)
        off_by_one = (f"Off by one: you stop one epoch {kind}. Stop after epoch e as soon as "
                      f"e - best_epoch == patience (here after epoch {stop}).")
        messages = {
            "test": f"You chose the epoch with the lowest TEST NLL (epoch {got_best}). The test set must "
                    f"not influence any choice, including when to stop, or the final test score is "
                    f"optimistically biased. Use history['valid_nll'].",
            "train": "You chose with the training NLL, which keeps falling while the model overfits; "
                     "use history['valid_nll'].",
            "argmax": "Your best epoch has the HIGHEST validation NLL: for an NLL lower is better (argmin).",
            "late": off_by_one,
            "early": off_by_one,
            "never": f"You never stop: with patience = {patience} and no improvement after epoch {best}, training "
                     f"stops after epoch {stop}, before the later improvements are ever seen.",
            "one_based": "Epochs are numbered from 0 here (they index the lists); you returned 1-based epoch numbers.",
            "ties": f"An epoch whose validation NLL only EQUALS the best so far is no improvement: improvement "
                    f"means strictly below (<, not <=). In valid_nll = {valid} the value {valid[best]} comes "
                    f"again after epoch {best}; the best epoch stays {best} and training stops after epoch {stop}.",
        }
        raise dx.Wrong(messages.get(kind, "") or (
            f"For valid_nll = {valid} and patience = {patience} the answer is "
            f"(best_epoch, stop_epoch) = ({best}, {stop}); you returned ({got_best}, {got_stop})."))
    return ("You select with the validation curve and stop after `patience` epochs without "
            "improvement; the test curve stays untouched.")
