"""The environment variables made_helpers reads, and the values each accepts (the one place they are documented).

=================  ===========================================================================================
``MADE_QUICK``     ``1`` / ``0`` (or ``true``/``false``, ``yes``/``no``, ``on``/``off``; unset or empty: ``0``):
                   the notebooks' quick mode (tiny data and budgets, numbers not meaningful).
``MADE_OFFLINE``   the same flag values: ``1`` never downloads MNIST; ``0`` (the default) may.
``MADE_DEBUG``     the same flag values: ``1`` makes ``made`` show the traceback of an internal error.
``MADE_DATA_DIR``  a folder holding the MNIST files (``data/README.md``); unset or empty: ``data/`` and the download.
``MADE_CACHE_DIR`` the download cache folder; unset or empty: ``data/`` in a checkout, else ``~/.cache/made_helpers``.
``KERAS_BACKEND``  ``tensorflow`` (made_helpers sets it when unset): the package runs on TensorFlow only.
=================  ===========================================================================================

Flag values ignore case and surrounding spaces. Any other value is refused in one line naming the variable
(:class:`EnvironmentVariableError`) instead of being read as on or off.
"""

from __future__ import annotations

import os
import sys

from .errors import UserInputError

__all__ = ["FLAG_VALUES", "EnvironmentVariableError", "check_environment", "check_keras_backend", "env_flag"]

FLAG_VALUES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
               "off": False, "": False}
"""The values a flag variable accepts (lower case, stripped) and what each means; unset means ``False``."""

FLAGS = ("MADE_QUICK", "MADE_OFFLINE", "MADE_DEBUG")
BACKEND = "tensorflow"


class EnvironmentVariableError(UserInputError):
    """An environment variable holds a value it does not accept; the message names the variable."""


def env_flag(name: str) -> bool:
    """The flag variable ``name`` as a bool (:data:`FLAG_VALUES`; unset: ``False``), else a one-line error."""
    raw = os.environ.get(name)
    if raw is None:
        return False
    value = FLAG_VALUES.get(raw.strip().lower())
    if value is None:
        raise EnvironmentVariableError(f"{name}={raw!r} is not a flag value: use {name}=1 (on) or {name}=0 "
                                       f"(off), or unset it (true/false, yes/no, on/off are accepted too)")
    return value


def check_keras_backend() -> None:
    """Refuse a ``KERAS_BACKEND`` other than ``tensorflow`` (unset or empty: made_helpers sets it), and a Keras
    already imported on another backend: the package's models and training loop are TensorFlow code."""
    raw = os.environ.get("KERAS_BACKEND", "")
    if raw not in ("", BACKEND):
        raise EnvironmentVariableError(f"KERAS_BACKEND={raw!r}: made_helpers runs on Keras's TensorFlow backend "
                                       f"only; unset KERAS_BACKEND or set KERAS_BACKEND={BACKEND}")
    keras = sys.modules.get("keras")
    try:
        running = keras.backend.backend() if keras is not None else BACKEND
    except AttributeError:                       # keras half-imported (its import failed)
        running = BACKEND
    if running != BACKEND:
        raise EnvironmentVariableError(f"Keras was imported with the {running!r} backend (KERAS_BACKEND or "
                                       f"~/.keras/keras.json): made_helpers runs on TensorFlow only; set "
                                       f"KERAS_BACKEND={BACKEND} before importing keras")


def check_environment() -> None:
    """Check every variable with a fixed set of values (the flags and ``KERAS_BACKEND``); the first bad one raises."""
    for name in FLAGS:
        env_flag(name)
    check_keras_backend()
