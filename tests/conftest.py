"""Shared pytest fixtures. Keep this file small; append fixtures at the end."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed numpy, Python and Keras/TensorFlow before every test (weight init is reproducible)."""
    import keras

    keras.utils.set_random_seed(0)
    yield


@pytest.fixture
def sharpen():
    """``sharpen(model, scale=2.0, seed=0)``: redraw every kernel and bias as N(0, scale^2 / fan_in).

    A freshly initialised MADE is close to uniform; larger weights give a peaked
    distribution, so likelihood and sampling checks have power to detect errors.
    """
    from made_helpers.model import sharpen_weights

    return sharpen_weights


def all_binary_vectors(dim: int) -> np.ndarray:
    """Every vector of ``{0,1}^dim``, shape ``(2**dim, dim)`` float32; ``x_d`` is bit ``d`` of the row number.

    The package's enumeration with the least significant bit first (the row codes of
    ``tests/test_model.py``'s ``_frequencies``).
    """
    from made_helpers.enumeration import all_binary_vectors as enumerate_binary

    return enumerate_binary(dim, bitorder="little")


@pytest.fixture
def binary_vectors():
    """The function :func:`all_binary_vectors`."""
    return all_binary_vectors


CHROMIUM = os.environ.get("MADE_CHROMIUM", "/usr/bin/chromium")
"""The headless browser the JupyterLab and book tests drive (Debian's ``chromium``)."""


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (no Chromium, no Playwright), or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"no Chromium at {CHROMIUM}: install Debian's package with `apt-get install chromium` "
                "(.ci/run does this) or point $MADE_CHROMIUM at a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: `pip install -e '.[test]'` (or `pip install playwright`)"
    return None
