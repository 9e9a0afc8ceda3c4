"""2-D toy densities (samplers of ``(n, 2)`` float32 from ``default_rng(seed)``) and a model's density on a grid."""

from __future__ import annotations

import numpy as np

from ..checks import (
    check_int,
    check_log_densities,
    check_nonnegative_float,
    check_positive_float,
    check_real_array,
    check_seed,
)

TOY_NAMES = ("two_moons", "ring", "checkerboard")


def two_moons(n: int, seed: int = 0, noise: float = 0.1) -> np.ndarray:
    """Two interleaved half circles (radius 1) with Gaussian noise (std ``noise`` >= 0), centred near the origin."""
    n = check_int("n", n, low=1, type_error=ValueError)
    rng = np.random.default_rng(check_seed("seed", seed, type_error=ValueError, optional=True))
    noise = check_nonnegative_float("noise", noise)
    upper = rng.random(n) < 0.5
    t = np.pi * rng.random(n)
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x - 0.5, y - 0.25], axis=1) * 1.6 + noise * rng.standard_normal((n, 2))
    return pts.astype(np.float32)


def ring(n: int, seed: int = 0, radius: float = 2.0, width: float = 0.2) -> np.ndarray:
    """A ring: angle uniform, radius ``N(radius, width^2)`` (``radius`` > 0, ``width`` >= 0)."""
    n = check_int("n", n, low=1, type_error=ValueError)
    rng = np.random.default_rng(check_seed("seed", seed, type_error=ValueError, optional=True))
    radius, width = check_positive_float("radius", radius), check_nonnegative_float("width", width)
    angle = 2 * np.pi * rng.random(n)
    r = radius + width * rng.standard_normal(n)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1).astype(np.float32)


def checkerboard(n: int, seed: int = 0, cells: int = 4, size: float = 4.0) -> np.ndarray:
    """Uniform on the 'black' squares of a ``cells x cells`` board (``cells`` even) of side ``size`` centred at 0."""
    n = check_int("n", n, low=1, type_error=ValueError)
    rng = np.random.default_rng(check_seed("seed", seed, type_error=ValueError, optional=True))
    cells = check_int("cells", cells, low=2, type_error=ValueError)
    if cells % 2:
        raise ValueError(f"cells must be even (each row has as many black as white squares), got {cells}")
    size = check_positive_float("size", size)
    i = rng.integers(0, cells, size=n)
    j = (2 * rng.integers(0, cells // 2, size=n) + i % 2) % cells      # column with the parity of the row
    step = size / cells
    pts = np.stack([j + rng.random(n), i + rng.random(n)], axis=1) * step - size / 2
    return pts.astype(np.float32)


def sample_toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points of the toy density ``name`` (one of :data:`TOY_NAMES`)."""
    samplers = {"two_moons": two_moons, "ring": ring, "checkerboard": checkerboard}
    if not isinstance(name, str) or name not in samplers:
        raise ValueError(f"name must be one of {TOY_NAMES}, got {name!r}")
    return samplers[name](n, seed)


def grid_log_density(model, lim: float = 3.0, n: int = 200):
    """``(xs (n,), ys (n,), log_p (n, n))`` of a 2-D ``model.log_prob`` on ``[-lim, lim]^2``; ``log_p[i, j]`` is at
    ``(xs[j], ys[i])``."""
    if getattr(model, "input_dim", None) != 2 or not callable(getattr(model, "log_prob", None)):
        raise TypeError(f"model must be a density of 2-D points (input_dim=2, with log_prob), got "
                        f"{type(model).__name__} with input_dim={getattr(model, 'input_dim', None)!r}")
    lim = check_positive_float("lim", lim)
    n = check_int("n", n, low=2, type_error=ValueError)
    xs = np.linspace(-lim, lim, n, dtype=np.float32)
    xx, yy = np.meshgrid(xs, xs)
    pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return xs, xs.copy(), model.log_prob(pts).reshape(n, n)


def grid_mass(log_p: np.ndarray, xs: np.ndarray) -> float:
    """Riemann sum of ``exp(log_p)`` ``(n, n)`` on the equally spaced grid ``xs x xs``, ``xs`` ``(n,)``."""
    xs = check_real_array("xs", xs).astype(np.float64)
    if xs.ndim != 1 or len(xs) < 2 or not np.all(np.isfinite(xs)):
        raise ValueError(f"xs must be a 1-D array of at least 2 finite grid coordinates, got shape {xs.shape}")
    step = np.diff(xs)
    if not (np.all(step > 0) and np.allclose(step, step[0], rtol=1e-3)):
        raise ValueError("xs must be increasing and equally spaced (a grid from grid_log_density)")
    log_p = check_log_densities("log_p", log_p)
    if log_p.shape != (len(xs), len(xs)):
        raise ValueError(f"log_p must have shape ({len(xs)}, {len(xs)}) to match xs, got shape {log_p.shape}")
    return float(np.exp(log_p).sum() * (xs[1] - xs[0]) ** 2)
