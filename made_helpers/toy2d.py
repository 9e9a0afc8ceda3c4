"""Two-dimensional toy densities (numpy) and a model's density on a grid (notebook 07).

Each sampler returns ``(n, 2)`` float32 drawn with ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np

from .validation import check_int

TOY_NAMES = ("two_moons", "ring", "checkerboard")


def two_moons(n: int, seed: int = 0, noise: float = 0.1) -> np.ndarray:
    """Two interleaved half circles (radius 1) with Gaussian noise, centred near the origin."""
    rng = np.random.default_rng(seed)
    n = check_int("n", n, low=1, type_error=ValueError)
    upper = rng.random(n) < 0.5
    t = np.pi * rng.random(n)
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x - 0.5, y - 0.25], axis=1) * 1.6 + noise * rng.standard_normal((n, 2))
    return pts.astype(np.float32)


def ring(n: int, seed: int = 0, radius: float = 2.0, width: float = 0.2) -> np.ndarray:
    """A ring: angle uniform, radius ``N(radius, width^2)``."""
    rng = np.random.default_rng(seed)
    n = check_int("n", n, low=1, type_error=ValueError)
    angle = 2 * np.pi * rng.random(n)
    r = radius + width * rng.standard_normal(n)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1).astype(np.float32)


def checkerboard(n: int, seed: int = 0, cells: int = 4, size: float = 4.0) -> np.ndarray:
    """Uniform on the 'black' squares of a ``cells x cells`` board of side ``size`` centred at 0."""
    rng = np.random.default_rng(seed)
    n = check_int("n", n, low=1, type_error=ValueError)
    i = rng.integers(0, cells, size=n)
    j = (2 * rng.integers(0, cells // 2, size=n) + i % 2) % cells      # column with the parity of the row
    step = size / cells
    pts = np.stack([j + rng.random(n), i + rng.random(n)], axis=1) * step - size / 2
    return pts.astype(np.float32)


def sample_toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points of the toy density ``name`` (one of :data:`TOY_NAMES`)."""
    samplers = {"two_moons": two_moons, "ring": ring, "checkerboard": checkerboard}
    if name not in samplers:
        raise ValueError(f"name must be one of {TOY_NAMES}, got {name!r}")
    return samplers[name](n, seed)


def grid_log_density(model, lim: float = 3.0, n: int = 200):
    """``(xs (n,), ys (n,), log_p (n, n))`` of ``model.log_prob`` on ``[-lim, lim]^2``; ``log_p[i, j]`` at
    ``(xs[j], ys[i])``. ``exp(log_p).sum() * cell_area`` approximates the mass inside the square."""
    xs = np.linspace(-lim, lim, n, dtype=np.float32)
    xx, yy = np.meshgrid(xs, xs)
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return xs, xs.copy(), model.log_prob(pts).reshape(n, n)


def grid_mass(log_p: np.ndarray, xs: np.ndarray) -> float:
    """Riemann sum of ``exp(log_p)`` on the square grid ``xs x xs`` (cell area ``(xs[1]-xs[0])^2``)."""
    return float(np.exp(log_p.astype(np.float64)).sum() * (float(xs[1]) - float(xs[0])) ** 2)
