"""Matplotlib figures used across the series: digit grids and learning curves.

Every function returns the ``Figure`` (or draws on a given ``Axes``) and sets
a title and axis labels, so notebooks stay one line per figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def image_grid(images, ncols: int = 10, image_shape: tuple[int, int] = (28, 28),
               pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """Tile ``images`` ``(n, H*W)`` or ``(n, H, W)`` into one 2-D array (rows of ``ncols``)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 2:
        x = x.reshape(-1, *image_shape)
    if x.ndim != 3:
        raise ValueError(f"images must be (n, H*W) or (n, H, W), got shape {np.shape(images)}")
    n, h, w = x.shape
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return grid


def plot_images(images, title: str, ncols: int = 10, image_shape: tuple[int, int] = (28, 28),
                ax=None, cmap: str = "gray_r"):
    """Show a grid of images ``(n, H*W)`` with a title; returns the figure."""
    grid = image_grid(images, ncols=ncols, image_shape=image_shape)
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(12, 0.6 * grid.shape[1] / image_shape[1] * 1.6 + 1),
                                        0.6 * grid.shape[0] / image_shape[0] * 1.6 + 0.6))
    else:
        fig = ax.figure
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"{len(np.asarray(images))} images, {ncols} per row")
    return fig


def save_image_grid(images, path: str, title: str, ncols: int = 10) -> str:
    """Write a titled PNG grid of ``images`` ``(n, 784)`` to ``path``; returns ``path``."""
    fig = plot_images(images, title=title, ncols=ncols)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_learning_curves(history: Mapping[str, Sequence[float]], title: str = "Learning curves",
                         keys: Sequence[str] = ("train_nll", "valid_nll"), ax=None):
    """Plot per-epoch curves (e.g. train/valid NLL in nats) from a history dict."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    for key in keys:
        if key in history and len(history[key]):
            values = history[key]
            ax.plot(np.arange(1, len(values) + 1), values, label=key.replace("_", " "))
    if history.get("best_epoch"):
        ax.axvline(history["best_epoch"], color="gray", ls="--", lw=1, label="best epoch (valid)")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("NLL (nats per image)")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
