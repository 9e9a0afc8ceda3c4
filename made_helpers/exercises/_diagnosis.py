"""What the exercise checks share: the result type, running a check and calling the student's code,
comparisons, diagnoses of typical mistakes and small reference models. The checks use it as ``dx``."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..enumeration import sharpen_weights

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


class Wrong(Exception):
    """A wrong answer; its text is the message shown to the student."""


class CheckFailed(AssertionError):
    """A failed check under nbgrader (``NBGRADER_EXECUTION`` set): a raising test cell scores no points."""


def run(name: str, body: Callable[[Callable], str], fn, verbose: bool = True) -> CheckResult:
    """Run ``body(fn)``; print and return the outcome. ``NotImplementedError`` propagates;
    under nbgrader a failed check raises :class:`CheckFailed` after its message."""
    if not callable(fn):
        passed, message = False, (
            f"check.{name} expects your function itself, e.g. check.{name}({name}) without "
            f"parentheses after the name; got a {type(fn).__name__}.")
    else:
        try:
            passed, message = True, body(fn)
        except Wrong as wrong:
            passed, message = False, str(wrong)
    text = ("✅ Correct! " if passed else "❌ Not yet. ") + message
    if verbose:
        print(text)
    if not passed and os.environ.get("NBGRADER_EXECUTION"):
        raise CheckFailed(f"check.{name} did not pass" + (" (the message above says why)" if verbose
                                                          else f": {message}"))
    return CheckResult(name, passed, message)


def call(fn: Callable, *args, desc: str):
    """Call the student's ``fn`` quietly; turn any error but ``NotImplementedError`` into :class:`Wrong`."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
            raise Wrong(f"Your function raised {describe_exception(exc)}\nIt was called on {desc}.") from None


def describe_value(value) -> str:
    """``repr`` of what the student's function returned, even when its ``__repr__`` fails."""
    try:
        return repr(value)
    except Exception as broken:  # noqa: BLE001 - the student's __repr__ may raise anything
        return f"a {type(value).__name__} (its repr() raised {type(broken).__name__})"


def describe_exception(exc: BaseException) -> str:
    """``"TypeError: message"`` of the student's exception, even when its ``__str__`` itself fails."""
    try:
        text = str(exc)
    except Exception as broken:  # noqa: BLE001 - the student's __str__ may raise anything
        text = f"(its message could not be shown: str() raised {type(broken).__name__})"
    return f"{type(exc).__name__}: {text}"


def returned(out):
    """``out``, unless the student's function returned None."""
    if out is None:
        raise Wrong("Your function returned None: did you forget the `return` statement?")
    return out


def array(out, dtype=np.float64) -> np.ndarray:
    """The student's result as a numpy array (works for TensorFlow eager tensors too)."""
    returned(out)
    try:
        return np.asarray(out, dtype=dtype)
    except Exception:  # noqa: BLE001
        raise Wrong(f"Your function returned a {type(out).__name__} that cannot be turned into "
                    f"a numpy array of numbers: return an array.") from None


def fmt(a, precision: int = 4) -> str:
    return np.array2string(np.asarray(a), precision=precision, suppress_small=True,
                           max_line_width=100, separator=", ")


def close(a: np.ndarray, b, rtol: float = RTOL, atol: float = ATOL) -> bool:
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def diagnose(out: np.ndarray, expected: np.ndarray, candidates, rtol: float = RTOL,
             atol: float = ATOL) -> str | None:
    """The message of the first ``(value, message)`` candidate whose value equals ``out``;
    values equal to the right answer are skipped (they cannot tell the mistake apart here)."""
    for value, message in candidates:
        value = np.asarray(value, dtype=np.float64)
        if close(value, expected, rtol, atol):
            continue
        if np.all(np.isfinite(value)) and close(out, value, rtol, atol):
            return message
    return None


def per_example(out: np.ndarray, expected: np.ndarray, what: str = "NLL") -> None:
    """Raise a specific message unless ``out`` has the shape ``(batch,)`` of ``expected``."""
    B = expected.shape[0]
    if out.shape == expected.shape:
        return
    if out.ndim == 2 and out.shape[0] == B:
        hint = " (after that sum your values are right)" if close(out.sum(axis=-1), expected) else ""
        raise Wrong(f"You return one value per pixel, shape {out.shape}; sum over the last axis "
                    f"(axis=-1) to get one {what} per example, shape ({B},){hint}.")
    if out.size == 1:
        value = float(out.ravel()[0])
        if math.isclose(value, float(expected.sum()), rel_tol=RTOL, abs_tol=ATOL):
            raise Wrong(f"You return a single number, the sum over the whole batch; return one "
                        f"{what} per example, shape ({B},): sum over the pixels only (axis=-1).")
        if math.isclose(value, float(expected.mean()), rel_tol=RTOL, abs_tol=ATOL):
            raise Wrong(f"You return a single number, the mean over the batch; return one {what} per example, shape "
                        f"({B},). (Averaging over the batch is the training loss's job, later.)")
        raise Wrong(f"You return a single number; return one {what} per example, shape ({B},).")
    if out.ndim == 1 and out.shape[0] != B:
        raise Wrong(f"You return shape {out.shape}, one value per pixel: you reduced over the batch "
                    f"axis. Sum over the pixels (axis=-1) to get shape ({B},).")
    raise Wrong(f"Expected one {what} per example, shape ({B},); got shape {out.shape}.")


def sigmoid(z):
    """Stable ``1 / (1 + exp(-z))`` in float64."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def tiny_made(input_dim: int, hidden_sizes, ordering="natural", num_masks: int = 1,
              seed: int = 0, scale: float = 2.0):
    """A small MADE with larger random weights, so its distribution is far from uniform."""
    from ..model import MADE

    model = MADE(input_dim, hidden_sizes, num_masks=num_masks, ordering=ordering, seed=seed)
    return sharpen_weights(model, scale=scale, seed=seed)


def model_log_prob(model, x: np.ndarray, num_masks: int | None = None) -> np.ndarray:
    """``model.log_prob`` as float64, without TensorFlow's retracing warnings for fresh models."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return np.asarray(model.log_prob(x, num_masks=num_masks), dtype=np.float64)
    finally:
        logger.setLevel(level)


def model_logits(model, x: np.ndarray) -> np.ndarray:
    """``model(x)`` as float64, ``(batch, D)``."""
    return np.asarray(model(np.asarray(x, dtype=np.float32)), dtype=np.float64)


def log_lik(x, logits) -> np.ndarray:
    """``log p(x)`` for independent Bernoullis with these logits, ``(batch,)`` (float64)."""
    from ..losses import bernoulli_nll

    return -np.asarray(bernoulli_nll(np.asarray(x, np.float32), np.asarray(logits, np.float32)),
                       dtype=np.float64)
