"""Argument checks shared by the package: one-line messages that name the parameter, e.g.
``epochs must be a positive integer, got 0``, raised as the package's own ``UserInputError`` (a
``ValueError``) or ``UserTypeError`` (a ``TypeError``), which the command line reports in one line.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import UserInputError, UserTypeError

__all__ = ["FLOAT32_MAX", "SEED_MAX", "check_binary", "check_bool", "check_finite_weights", "check_float",
           "check_image_shape", "check_int", "check_log_densities", "check_nonnegative_float", "check_positive_float",
           "check_real_array", "check_real_batch", "check_seed", "derived_seed", "draw_seed", "nonfinite_weights",
           "stateless_seed"]

SEED_MAX = 2**32 - 1
"""Largest accepted seed: every seed of the package is in ``0..2**32-1``, numpy's legacy range, which
``keras.utils.set_random_seed`` (``made train --seed``) needs."""

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest finite float32, about 3.4e38."""


def _expected(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"an integer in {low}..{high}"
    if low is not None:
        return "a positive integer" if low == 1 else f"an integer >= {low}"
    return "an integer" if high is None else f"an integer <= {high}"


def _ours(kind: type[Exception]) -> type[Exception]:
    """The package's own class for ``ValueError`` and ``TypeError``; any other class as it is."""
    return {ValueError: UserInputError, TypeError: UserTypeError}.get(kind, kind)


def _given(value) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return repr(int(value))
    return f"{type(value).__name__} {value!r}"


def check_int(name: str, value, low: int | None = None, high: int | None = None, *,
              type_error: type[Exception] = TypeError, why: str = "") -> int:
    """``int(value)`` if ``value`` is an integer (not a bool) in ``low..high`` (inclusive), else ``type_error``
    or ``ValueError``; ``why`` is appended to the expectation, e.g. ``" (the model's masks)"``."""
    expected = f"{name} must be {_expected(low, high)}{why}, got {_given(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _ours(type_error)(expected)
    if (low is not None and value < low) or (high is not None and value > high):
        raise UserInputError(expected)
    return int(value)


def check_image_shape(image_shape, name: str = "image_shape") -> tuple[int, int]:
    """``(height, width)``: two positive integers (not bools, not 2.5), else a one-line error naming ``name``."""
    try:
        pair = tuple(image_shape)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2:
        raise UserTypeError(f"{name} must be (height, width), got {_given(image_shape)}")
    return (check_int(f"{name}[0] (height)", pair[0], 1, type_error=ValueError),
            check_int(f"{name}[1] (width)", pair[1], 1, type_error=ValueError))


def check_bool(name: str, value) -> bool:
    """``bool(value)`` if it is a bool (numpy's included), else a one-line ``TypeError`` naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise UserTypeError(f"{name} must be True or False, got {_given(value)}")
    return bool(value)


def check_seed(name: str, value, *, type_error: type[Exception] = TypeError, optional: bool = False) -> int | None:
    """A seed: an integer in ``0..SEED_MAX`` (with ``optional``, ``None`` too: numpy then draws fresh entropy)."""
    return None if optional and value is None else check_int(name, value, 0, SEED_MAX, type_error=type_error)


def draw_seed(seed: int | None, name: str = "seed", *, type_error: type[Exception] = TypeError) -> int:
    """``seed`` checked (:func:`check_seed`), or for ``None`` a fresh one in ``0..SEED_MAX`` from the OS's entropy."""
    return int(np.random.SeedSequence().entropy % (SEED_MAX + 1)) if seed is None else check_seed(name, seed,
                                                                                          type_error=type_error)


def derived_seed(seed: int, k: int) -> int:
    """A reproducible seed in ``0..SEED_MAX`` for part ``k`` (a mask, a flow layer, a data split) of something seeded
    with ``seed``: ``SeedSequence([seed, k])``'s first 32-bit word."""
    seed, k = check_seed("seed", seed, type_error=ValueError), check_int("k", k, 0, type_error=ValueError)
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


def stateless_seed(seed: int | None) -> list[int]:
    """The ``(2,)`` int32 seed of TensorFlow's stateless RNG for a seed in ``0..SEED_MAX`` (``None``:
    :func:`draw_seed`): the low 32 bits as a signed int32, and the high bits (0 in this range)."""
    seed = draw_seed(seed, type_error=ValueError)
    low, high = seed & 0xFFFFFFFF, seed >> 32
    return [low - 2**32 if low >= 2**31 else low, high]


def _is_real_number(value) -> bool:
    """A real number that is not a bool (``True`` is an int in Python, never a number here)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_float(name: str, value, low: float | None = None, high: float | None = None, *,
                low_open: bool = False, high_open: bool = False, allow_inf: bool = False,
                type_error: type[Exception] = ValueError, expected: str = "", float32: bool = True) -> float:
    """``float(value)`` if it is a real number (not a bool), not NaN, within float32's range (every parameter ends
    up in float32 arithmetic; ``inf`` only with ``allow_inf``) and in ``low..high`` (``low_open``/``high_open``:
    excluding that end); else a one-line error naming ``name``. ``expected`` replaces the range's wording;
    ``float32=False`` leaves the float32 range to a caller with a more specific message (``check_learning_rate``)."""
    if not expected and low is not None and high is not None:
        expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif not expected:
        bound = [f"{'>' if low_open else '>='} {low:g}"] if low is not None else []
        bound += [f"{'<' if high_open else '<='} {high:g}"] if high is not None else []
        expected = " ".join(["a number", *bound])
    expected += " (inf allowed)" if allow_inf else ""
    if not _is_real_number(value):
        raise _ours(type_error)(f"{name} must be {expected}, got {_given(value)}")
    given, value = value, float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise UserInputError(f"{name} must be {expected}, got {given!r}")
    if float32 and math.isfinite(value) and abs(value) > FLOAT32_MAX:
        raise UserInputError(f"{name} must be {expected} within float32's range (|value| <= {FLOAT32_MAX:.4g}), "
                             f"got {given!r}")
    if (low is not None and (value < low or (low_open and value == low))) or \
            (high is not None and (value > high or (high_open and value == high))):
        raise UserInputError(f"{name} must be {expected}, got {given!r}")
    return value


def check_positive_float(name: str, value, *, type_error: type[Exception] = ValueError, float32: bool = True) -> float:
    """``float(value)`` if it is a finite number > 0 (not a bool) within float32's range, else a message naming
    ``name`` (:func:`check_float`)."""
    return check_float(name, value, 0.0, low_open=True, type_error=type_error, expected="a positive number",
                       float32=float32)


def check_nonnegative_float(name: str, value, *, allow_inf: bool = False,
                            type_error: type[Exception] = ValueError) -> float:
    """``float(value)`` if it is a number >= 0 (not a bool) within float32's range (``inf`` only with
    ``allow_inf``), else a message naming ``name`` (:func:`check_float`)."""
    return check_float(name, value, 0.0, allow_inf=allow_inf, type_error=type_error, expected="a number >= 0")


def check_real_array(name: str, value) -> np.ndarray:
    """``value`` as a non-empty numpy array of real numbers (bool, integer or float), else a one-line
    ``TypeError`` (text, complex, ragged rows) or ``ValueError`` (empty). Shape and NaN/inf are not checked."""
    if value is None:
        raise UserTypeError(f"{name} must be an array of real numbers, got None")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind == "O":
            arr = arr.astype(np.float64)
    except (ValueError, TypeError):
        raise UserTypeError(f"{name} must be an array of real numbers, got a {type(value).__name__} that is not "
                            f"one (ragged rows or non-numbers)") from None
    if arr.dtype.kind not in "biuf":
        raise UserTypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise UserInputError(f"{name} is empty (shape {arr.shape})")
    return arr


def check_binary(x, name: str = "x") -> None:
    """Raise ``UserInputError`` (a ``ValueError``) unless every entry of ``x`` is 0 or 1 (eager arrays only)."""
    arr = np.asarray(x)
    bad = (arr != 0) & (arr != 1)
    if np.any(bad):
        example = arr[bad].ravel()[0].item()       # a plain number: nan, not np.float32(nan)
        raise UserInputError(f"{name} must be binary (0/1) for a Bernoulli likelihood, but it holds {int(bad.sum())} "
                             f"other value(s), e.g. {example!r}; binarize it first (made_helpers.data.binarize)")


def check_log_densities(name: str, value) -> np.ndarray:
    """Log-densities as float64: NaN and ``+inf`` are refused, ``-inf`` (zero density) passes."""
    arr = check_real_array(name, value).astype(np.float64)
    bad = np.isnan(arr) | (arr == np.inf)
    if np.any(bad):
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or +inf value(s); a log-density is finite or -inf")
    return arr


def check_real_batch(x, input_dim: int | None, name: str = "x", dtype=np.float32, binary: bool = False) -> np.ndarray:
    """``x`` as ``dtype`` (float32 or float64) ``(batch, input_dim)`` (any width for ``input_dim=None``): not empty,
    finite (and within float32's range for float32), with ``binary`` all 0 or 1; else a one-line error naming ``name``.
    """
    width = "D" if input_dim is None else input_dim
    arr = check_real_array(name, x)
    if arr.ndim != 2:
        raise UserInputError(f"{name} must have shape (batch, {width}), got shape {arr.shape}")
    if input_dim is not None and arr.shape[1] != input_dim:
        raise UserInputError(f"{name} must have width D={input_dim}, got shape {arr.shape}")
    if binary:
        check_binary(arr, name)                  # NaN and inf included
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise UserInputError(f"{name} contains {bad} NaN or inf value(s); a density needs finite inputs")
    wide = arr.dtype.kind == "f" and arr.dtype.itemsize > 4          # only wider floats can exceed float32
    if dtype == np.float32 and wide and np.any(big := np.abs(arr) > FLOAT32_MAX):
        raise UserInputError(f"{name} has {int(big.sum())} value(s) too large for float32 "
                             f"(|value| > {FLOAT32_MAX:.4g}), e.g. {float(arr[big][0]):g}")
    return arr.astype(dtype, copy=False)


def nonfinite_weights(model) -> list[tuple[str, int]]:
    """``[(variable path, number of NaN/inf entries)]`` for each of ``model.weights`` that is not all finite."""
    from keras import ops  # here: weights mean Keras is loaded; the module itself does not need it

    found = []
    for var in model.weights:
        # checked by the backend where the weights are (no host copy of each matrix); counted only when bad
        if "float" not in str(var.dtype) or bool(ops.all(ops.isfinite(var))):
            continue
        values = np.asarray(var.numpy() if hasattr(var, "numpy") else var)
        found.append((getattr(var, "path", None) or var.name, int(np.sum(~np.isfinite(values)))))
    return found


def check_finite_weights(model, task: str, fix: str = "load or train the model again") -> None:
    """One-line ``UserInputError`` naming the layer when a weight or bias of ``model`` is NaN or infinite: a ReLU
    turns a NaN layer into zeros, so such a model would give plausible numbers for another distribution."""
    bad = nonfinite_weights(model)
    if bad:
        where = ", ".join(f"{path} ({n})" for path, n in bad[:3]) + (", ..." if len(bad) > 3 else "")
        raise UserInputError(f"{task}: the model {model.name} has {sum(n for _, n in bad)} NaN or inf weight(s), in "
                             f"{where} (a diverged fit, a damaged file, or weights assigned by hand); {fix}")
