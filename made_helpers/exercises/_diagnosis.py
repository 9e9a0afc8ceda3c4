"""What the exercise checks share: the result type, running a check and calling the student's code,
comparisons, diagnoses of typical mistakes and small reference models. The checks use it as ``dx``."""

from __future__ import annotations

import math
import os
import signal
import textwrap
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.enumeration import sharpen_weights

RTOL = 1e-4
ATOL = 1e-4
WIDTH = 78
"""Characters per line of a printed message: the feedback page's and ``nbgrader validate``'s (90 with its indent)
fixed-width boxes show every line whole."""
BITS = ("Your {what} is in bits: you used log2 (np.log2). The series counts in nats, the natural log (np.log, "
        "np.logaddexp, np.log1p); bits = nats / log(2), so your values are about 1.44 times too large in size.")
"""The message for a value computed with ``log2`` instead of the natural log (``{what}``: what was computed)."""
CHECK_TIME_LIMIT_S = 60
"""Seconds the student's code may run in one call from a check before it is stopped with a plain message; below
the course's per-cell limit (``scripts/nbgrader_course.py``, 120 s), so the check's message comes first."""


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
    """A failed check under nbgrader (``NBGRADER_EXECUTION`` set): a raising test cell scores no points.
    Its text is the check's whole explanation, which the notebook shows without a traceback
    (:func:`install_plain_errors`), so the feedback page and ``nbgrader validate`` show the same message."""


class _TimeLimit(BaseException):
    """Raised in the student's code when it ran past ``CHECK_TIME_LIMIT_S`` (a BaseException: ``except
    Exception`` in their code does not swallow it)."""


def wrap(text: str, width: int = WIDTH) -> str:
    """``text`` with each line longer than ``width`` wrapped at spaces; indented lines (arrays, matrices) kept."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= width or line[:1] in " [":
            lines.append(line)
        else:
            lines.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


GRADER_STOPPED = "KeyboardInterrupt: the grader stopped this cell, which ran past the time limit per cell."
"""Shown under nbgrader for the interrupt that ends a cell past the course's limit (the course's own message, with
the limit in seconds, follows), instead of a traceback through the grading machine's files."""


def plain_error_lines(etype, value) -> list[str]:
    """The lines shown for a failed check or an unsolved stub, instead of a traceback."""
    if issubclass(etype, CheckFailed):
        return str(value).split("\n")
    if issubclass(etype, KeyboardInterrupt):
        return [GRADER_STOPPED]
    detail = f" ({value})" if str(value) else ""
    return wrap(f"NotImplementedError{detail}: an exercise used here is not done yet. Replace its stub "
                f"(# YOUR CODE HERE and raise NotImplementedError()) with your code, run that cell, then this one."
                ).split("\n")


def install_plain_errors() -> bool:
    """In IPython (a notebook's kernel), show :class:`CheckFailed` and ``NotImplementedError`` as their message
    alone: no traceback, so no file paths of the machine that ran the notebook; under nbgrader also the interrupt
    that stops a cell past the time limit (nbgrader interrupts only then). Other errors keep their traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False

    def show(self, etype, value, tb, tb_offset=None):
        self._showtraceback(etype, value, plain_error_lines(etype, value))

    plain = (CheckFailed, NotImplementedError)
    if os.environ.get("NBGRADER_EXECUTION"):
        plain += (KeyboardInterrupt,)
    shell.set_custom_exc(plain, show)
    return True


def run(name: str, body: Callable[[Callable], str], fn, verbose: bool = True) -> CheckResult:
    """Run ``body(fn)``; print and return the outcome. ``NotImplementedError`` propagates;
    under nbgrader a failed check prints nothing and raises :class:`CheckFailed` with its message."""
    if not callable(fn):
        passed, message = False, (
            f"check.{name} expects your function itself, e.g. check.{name}({name}) without "
            f"parentheses after the name; got a {type(fn).__name__}.")
    else:
        try:
            passed, message = True, body(fn)
        except Wrong as wrong:
            passed, message = False, str(wrong)
    text = wrap(("✅ Correct! " if passed else "❌ Not yet. ") + message)
    if not passed and os.environ.get("NBGRADER_EXECUTION"):
        raise CheckFailed(f"check.{name} did not pass.\n{text}")
    if verbose:
        print(text)
    return CheckResult(name, passed, message)


def call(fn: Callable, *args, desc: str):
    """Call the student's ``fn`` quietly; turn any error but ``NotImplementedError`` into :class:`Wrong`, and stop
    it with a plain message after ``CHECK_TIME_LIMIT_S`` seconds (on the main thread, where signals work)."""
    limit = CHECK_TIME_LIMIT_S
    timed = limit and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def stop(signum, frame):
        raise _TimeLimit

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        previous = signal.signal(signal.SIGALRM, stop) if timed else None
        if timed:
            signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return fn(*args)
        except NotImplementedError:
            raise
        except _TimeLimit:
            raise Wrong(f"Your code ran longer than {limit} s and was stopped. It was called on {desc}. Look for "
                        f"a loop that never ends, or for work done once per example that can be done for the "
                        f"whole batch at once (one model(x) call per pixel, not per sample).") from None
        except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
            raise Wrong(f"Your function raised {describe_exception(exc)}\nIt was called on {desc}.") from None
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)


class forbid:
    """Within ``with forbid(model, "log_prob", why=...)``, calling ``model.log_prob`` raises :class:`Wrong`: an
    exercise that says "compute it yourself" cannot be answered with the package's own method."""

    def __init__(self, obj, *names: str, why: str):
        self.obj, self.names, self.why = obj, names, why

    def __enter__(self):
        for name in self.names:
            def trap(*args, _name=name, **kwargs):
                raise _Forbidden(f"You called model.{_name}: {self.why}")
            object.__setattr__(self.obj, name, trap)
        return self

    def __exit__(self, *exc):
        for name in self.names:
            self.obj.__dict__.pop(name, None)
        if exc[0] is _Forbidden:
            raise Wrong(str(exc[1])) from None
        return False


class count_calls:
    """Within ``with count_calls(model) as counter:``, ``counter.calls`` counts the ``model(x)`` calls (each runs
    ``model.call`` once)."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __enter__(self):
        call = self.model.call

        def counting(*args, **kwargs):
            self.calls += 1
            return call(*args, **kwargs)
        object.__setattr__(self.model, "call", counting)
        return self

    def __exit__(self, *exc):
        self.model.__dict__.pop("call", None)
        return False


class _Forbidden(BaseException):
    """A forbidden method was called (a BaseException, so ``call`` does not report it as the student's error)."""


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


def integer_array(out, what: str, how: str) -> None:
    """Raise unless the student's ``out`` is an array of integers (values already checked)."""
    dtype = np.asarray(out).dtype
    if dtype.kind not in "iu":
        raise Wrong(f"Your {what} are whole numbers, but the task asks for an integer array and yours has "
                    f"dtype {dtype}: create it with an integer dtype ({how}). Degrees are compared and used "
                    f"as indices, where floats invite rounding surprises.")


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
    from ..core.model import MADE

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
    from ..core.losses import bernoulli_nll

    return -np.asarray(bernoulli_nll(np.asarray(x, np.float32), np.asarray(logits, np.float32)),
                       dtype=np.float64)
