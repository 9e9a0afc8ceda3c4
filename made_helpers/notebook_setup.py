"""What every notebook runs first, ``QUICK, SEED, rng = setup()`` (quick mode: ``MADE_QUICK=1``, see
:mod:`made_helpers.environment`), and last, ``running_time()``."""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from .checks import check_seed
from .environment import check_keras_backend, env_flag

QUICK_VARIABLE = "MADE_QUICK"
FIGURE_DEFAULTS = {"figure.dpi": 80}
_started: float | None = None


class Setup(NamedTuple):
    """What :func:`setup` returns: ``QUICK, SEED, rng = setup()``."""

    quick: bool                     # small data and budgets (MADE_QUICK=1); numbers are not meaningful
    seed: int
    rng: np.random.Generator        # seeded with ``seed``


def quick_mode() -> bool:
    """The flag ``MADE_QUICK`` (``1``/``0``, :func:`environment.env_flag`); another value is refused in one line."""
    return env_flag(QUICK_VARIABLE)


def setup(seed: int = 0, figure: dict | None = None, print_precision: int | None = None) -> Setup:
    """Seed Python, numpy and TensorFlow, set the figure defaults (plus ``figure`` rcParams), start the clock.

    ``print_precision``: digits numpy prints (without exponent). Prints the Keras version and the quick mode.
    """
    seed = check_seed("seed", seed, type_error=ValueError)
    quick = quick_mode()
    check_keras_backend()
    import keras
    import matplotlib.pyplot as plt

    global _started
    _started = time.perf_counter()
    keras.utils.set_random_seed(int(seed))             # seeds Python, numpy and TensorFlow
    plt.rcParams.update({**FIGURE_DEFAULTS, **(figure or {})})
    if print_precision is not None:
        np.set_printoptions(precision=print_precision, suppress=True)
    if quick:
        print(f"mode: quick ({QUICK_VARIABLE}=1): tiny data and budgets, numbers NOT meaningful")
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, seed {seed}")
    return Setup(quick, int(seed), np.random.default_rng(seed))


def running_time() -> str:
    """How long the notebook has run since :func:`setup`, e.g. ``"5 min 9 s"``."""
    if _started is None:
        raise RuntimeError("running_time() needs setup() to have run first in this kernel")
    seconds = round(time.perf_counter() - _started)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
