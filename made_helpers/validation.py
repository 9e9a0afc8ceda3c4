"""Argument checks shared by the package: one-line messages that name the parameter.

``check_int("epochs", epochs, low=1)`` returns ``int(epochs)`` or raises: a non-integer
(``bool``, ``float``, ``str`` ...) raises ``type_error`` (``TypeError`` unless told), an integer
out of range ``ValueError``. The message says what is expected and what was given, e.g.
``epochs must be a positive integer, got 0``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SEED_MAX", "check_int", "check_positive_float", "check_seed"]

SEED_MAX = 2**63 - 1
"""Largest accepted seed (seeds are 0..2**63-1)."""


def _expected(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"an integer in {low}..{high}"
    if low == 1:
        return "a positive integer"
    if low is not None:
        return f"an integer >= {low}"
    if high is not None:
        return f"an integer <= {high}"
    return "an integer"


def _given(value) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return repr(int(value))
    return f"{type(value).__name__} {value!r}"


def check_int(name: str, value, low: int | None = None, high: int | None = None, *,
              type_error: type[Exception] = TypeError, why: str = "") -> int:
    """``int(value)`` if ``value`` is an integer (not a bool) in ``low..high`` (bounds inclusive).

    ``why`` is appended to the expectation, e.g. ``" (the model's masks)"``.
    """
    expected = f"{name} must be {_expected(low, high)}{why}, got {_given(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise type_error(expected)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(expected)
    return int(value)


def check_seed(name: str, value, *, type_error: type[Exception] = TypeError) -> int:
    """A seed: an integer in ``0..2**63-1``."""
    return check_int(name, value, 0, SEED_MAX, type_error=type_error)


def check_positive_float(name: str, value, *, type_error: type[Exception] = ValueError) -> float:
    """``float(value)`` if it is a finite number > 0 (not a bool), else a message naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise type_error(f"{name} must be a positive number, got {_given(value)}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
