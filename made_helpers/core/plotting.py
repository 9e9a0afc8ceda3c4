"""Matplotlib figures for the series: digit grids, completions, learning curves, MADE networks and masks.

Each function draws on ``ax`` (or a new figure), sets a title and labels, and returns the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..checks import check_float, check_image_shape, check_int
from ..errors import UserInputError, UserTypeError
from . import masks as mk


def _figure_and_axes(ax, figsize):
    """``(fig, ax)``: ``ax`` and its figure, or a new figure of ``figsize`` when ``ax`` is None."""
    return plt.subplots(figsize=figsize) if ax is None else (ax.figure, ax)


def layer_names(num_masks: int) -> list[str]:
    """``["inputs", "hidden 1", ..., "outputs"]`` for a MADE with ``num_masks`` masks."""
    return ["inputs"] + [f"hidden {l}" for l in range(1, num_masks)] + ["outputs"]


def image_grid(images, ncols: int = 10, image_shape: tuple[int, int] = (28, 28),
               pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """Tile ``images`` ``(n, H*W)`` or ``(n, H, W)`` into one 2-D array (rows of ``ncols``); ``pad`` pixels of
    grey ``pad_value`` (in [0, 1]) between them."""
    ncols, pad = check_int("ncols", ncols, 1, type_error=ValueError), check_int("pad", pad, 0, type_error=ValueError)
    pad_value = check_float("pad_value", pad_value, 0.0, 1.0)
    h, w = check_image_shape(image_shape)
    try:
        x = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError):
        raise UserTypeError(f"images must be an array of numbers (n, {h * w}), got a {type(images).__name__} "
                            f"that is not one") from None
    if x.ndim == 2 and x.shape[1] == h * w:
        x = x.reshape(-1, h, w)
    if x.ndim != 3:
        raise UserInputError(f"images must have shape (n, {h * w}) or (n, {h}, {w}) for image_shape {(h, w)}, "
                             f"got {x.shape}")
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
    fig, ax = _figure_and_axes(ax, (min(12, 0.6 * grid.shape[1] / image_shape[1] * 1.6 + 1),
                                    0.6 * grid.shape[0] / image_shape[0] * 1.6 + 0.6))
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set(title=title, xticks=[], yticks=[], xlabel=f"{len(np.asarray(images))} images, {ncols} per row")
    return fig


def completion_canvas(originals, completed, observed, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """RGB ``(rows, cols, 3)``: one row per original ``(n, H*W)``, the digit whole, then its completions in the colours
    of :func:`conditioning.completion_overlay`; ``completed`` ``(n * per_row, H*W)`` grouped by original,
    ``observed`` bool ``(H*W,)`` or ``(n * per_row, H*W)``."""
    from .conditioning import completion_overlay

    originals = np.asarray(originals, dtype=np.float32)
    completed = np.asarray(completed, dtype=np.float32)
    size = int(np.prod(image_shape))
    if originals.ndim != 2 or completed.ndim != 2 or originals.shape[1] != size or completed.shape[1] != size:
        raise ValueError(f"originals and completed must have shape (n, {size}), "
                         f"got {originals.shape} and {completed.shape}")
    n = len(originals)
    if n == 0 or len(completed) == 0 or len(completed) % n:
        raise ValueError(f"completed must hold the same number (>= 1) of completions of each of the {n} "
                         f"originals, got {len(completed)} rows")
    per_row = len(completed) // n
    tiles = completion_overlay(completed, observed, image_shape)                 # (n * per_row, H, W, 3)
    whole = completion_overlay(originals, np.ones(size, dtype=bool), image_shape)
    h, w = image_shape
    gap, space = 2, 6                                       # white between tiles; wider after the original
    canvas = np.ones((n * (h + gap) - gap, w + space + per_row * (w + gap) - gap, 3))
    for i in range(n):
        top = i * (h + gap)
        canvas[top:top + h, :w] = whole[i]
        for j in range(per_row):
            left = w + space + j * (w + gap)
            canvas[top:top + h, left:left + w] = tiles[i * per_row + j]
    return canvas


def completion_key() -> list[tuple[str, tuple[float, float, float]]]:
    """``[(label, RGB)]`` of the four pixel colours of :func:`completion_canvas`: given on/off, sampled on/off."""
    from .conditioning import GIVEN_COLOURS, SAMPLED_COLOURS

    return [(f"{kind} pixel, {value}", colours[i]) for kind, colours in (("given", GIVEN_COLOURS),
                                                                       ("sampled", SAMPLED_COLOURS))
            for i, value in ((0, "on (1)"), (1, "off (0)"))]


def plot_completions(originals, completed, observed, title: str, image_shape: tuple[int, int] = (28, 28),
                     ax=None):
    """One row per original ``(n, H*W)``: the digit whole, then its completions (:func:`completion_canvas`), given
    pixels black on white, sampled ones orange on pale blue, with a colour key (:func:`completion_key`) to the
    right. Returns the figure."""
    from matplotlib.patches import Patch

    canvas = completion_canvas(originals, completed, observed, image_shape)
    n, per_row = len(originals), len(completed) // len(originals)
    fig, ax = _figure_and_axes(ax, (2.6 + 0.75 * (per_row + 1), 0.4 + 0.75 * n))
    ax.imshow(canvas, interpolation="nearest")
    ax.set(title=title, xlabel=f"original | {per_row} completions", ylabel=f"{n} digits", xticks=[], yticks=[])
    ax.legend([Patch(facecolor=rgb, edgecolor="0.4") for _, rgb in completion_key()],
              [label for label, _ in completion_key()], title="colour key", loc="center left",
              bbox_to_anchor=(1.02, 0.5), fontsize=8, title_fontsize=8, frameon=False, handlelength=1.2)
    return fig


def save_image_grid(images, path: str, title: str, ncols: int = 10) -> str:
    """Write a titled PNG grid of ``images`` ``(n, 784)`` to exactly ``path`` (atomically); returns ``path``.
    An unwritable ``path`` is refused before the plot is drawn."""
    from ..atomic import atomic_write
    from ..files import check_writable

    check_writable(path, f"path {path}", folder_must_exist=True)
    fig = plot_images(images, title=title, ncols=ncols)
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path


def plot_learning_curves(history: Mapping[str, Sequence[float]], title: str = "Learning curves",
                         keys: Sequence[str] = ("train_nll", "valid_nll"), ax=None, zoom_after: int | None = None):
    """Per-epoch curves (NLL in nats) from a history dict; ``zoom_after=e``: y-range of epochs ``e`` on only."""
    fig, ax = _figure_and_axes(ax, (6, 4))
    for key in keys:
        if len(history.get(key, ())):
            ax.plot(np.arange(1, len(history[key]) + 1), history[key], label=key.replace("_", " "))
    if history.get("best_epoch"):
        ax.axvline(history["best_epoch"], color="gray", ls="--", lw=1, label="best epoch (valid)")
    if zoom_after:
        shown = [v for key in keys if key in history for v in list(history[key])[zoom_after - 1:]]
        if shown:
            low, high = min(shown), max(shown)
            pad = 0.05 * (high - low) + 0.1
            ax.set_ylim(low - pad, high + pad)
    ax.set(title=title, xlabel="epoch", ylabel="NLL (nats per image)")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


# ----------------------------------- masks, network and connectivity (used by made_helpers.core.widgets and notebooks)
def paths_to_output(masks: Sequence[np.ndarray], output: int,
                    direct: np.ndarray | None = None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """The connections on some path from an input to output unit ``output`` (``0 <= output < D``).

    ``masks``: ``(fan_in, fan_out)`` each; ``direct``: optional ``(D, D)``. Returns ``(edges, direct_edges)``:
    bool arrays shaped like each mask, and bool ``(D,)`` (input feeds ``output`` directly) or ``None``.
    """
    ms = [np.asarray(m) > 0 for m in masks]
    if not ms:
        raise ValueError("paths_to_output needs at least one mask")
    D = ms[-1].shape[1]
    output = check_int("output", output, 0, D - 1, type_error=ValueError)
    # units reachable from some input, and units from which output j is reached: both by masks.reach
    forward = [np.ones(ms[0].shape[0], dtype=bool)] + [r.any(axis=0) for r in mk.reach(ms)]
    backward = [r[output] for r in reversed(mk.reach([m.T for m in reversed(ms)]))] + [np.arange(D) == output]
    edges = [forward[l][:, None] & m & backward[l + 1][None, :] for l, m in enumerate(ms)]
    direct_edges = None if direct is None else np.asarray(direct)[:, output] > 0
    return edges, direct_edges


def connectivity_column(masks: Sequence[np.ndarray], output: int,
                        direct: np.ndarray | None = None) -> np.ndarray:
    """Bool ``(D,)``: which inputs output ``output`` may depend on (paths or direct connection)."""
    edges, direct_edges = paths_to_output(masks, output, direct)
    seen = edges[0].any(axis=1)
    return seen | direct_edges if direct_edges is not None else seen


def _segments(xa, ya, xb, yb) -> np.ndarray:
    """Line segments ``(n, 2, 2)`` from the points ``(xa, ya)`` to ``(xb, yb)`` (scalars broadcast)."""
    xa, ya, xb, yb = np.broadcast_arrays(xa, ya, xb, yb)
    return np.stack([np.stack([xa, ya], 1), np.stack([xb, yb], 1)], 1)


def plot_network(degrees: Sequence[np.ndarray], masks: Sequence[np.ndarray],
                 direct: np.ndarray | None = None, highlight_output: int | None = None,
                 ax=None, title: str | None = None):
    """Draw a MADE as rows of units labelled with their degrees, and the connections its masks allow.

    Inputs at the bottom, hidden layers, outputs on top (output ``j`` above input ``j``). ``degrees``:
    ``[input (D,), hidden_1 (H1,), ...]``; ``masks``: ``(fan_in, fan_out)`` each; ``direct``: optional
    ``(D, D)``, drawn dashed blue. ``highlight_output=j``: paths to output ``j`` in red, other units faded.
    """
    from matplotlib.collections import LineCollection

    degrees = [np.asarray(d) for d in degrees]
    if len(masks) != len(degrees):
        raise ValueError(f"need one mask per layer of connections: {len(degrees)} degree arrays "
                         f"(inputs + hidden) but {len(masks)} masks")
    D = len(degrees[0])
    layers = [*degrees, degrees[0]]  # outputs carry the input degrees
    top = len(layers) - 1
    names = layer_names(len(masks))
    widest = max(len(d) for d in layers)
    fig, ax = _figure_and_axes(ax, (10, 1.0 + 1.1 * len(layers)))
    xs = [np.arange(len(d)) - (len(d) - 1) / 2 for d in layers]

    def segments(l, keep):
        a, b = np.nonzero(keep)
        return _segments(xs[l][a], l, xs[l + 1][b], l + 1)

    n_allowed = int(sum((np.asarray(m) > 0).sum() for m in masks))
    grey_alpha = float(np.clip(40.0 / max(1, n_allowed) ** 0.5, 0.08, 0.6))
    for l, m in enumerate(masks):
        ax.add_collection(LineCollection(segments(l, np.asarray(m) > 0), colors="0.45",
                                         linewidths=0.7, alpha=grey_alpha, zorder=1))
    if direct is not None:
        i, j = np.nonzero(np.asarray(direct) > 0)
        ax.add_collection(LineCollection(_segments(xs[0][i], 0, xs[-1][j], top), colors="tab:blue", linewidths=0.7,
                                         linestyles="--", alpha=min(0.5, grey_alpha + 0.1), zorder=0.5))
    on_path = None
    if highlight_output is not None:
        edges, direct_edges = paths_to_output(masks, highlight_output, direct)
        n_on = int(sum(e.sum() for e in edges))
        red_width = float(np.clip(25.0 / max(1, n_on) ** 0.5, 0.5, 1.4))
        for l, e in enumerate(edges):
            ax.add_collection(LineCollection(segments(l, e), colors="tab:red", linewidths=red_width,
                                             alpha=0.8, zorder=2))
        seen = edges[0].any(axis=1)
        if direct_edges is not None:
            seen = seen | direct_edges
            i = np.nonzero(direct_edges)[0]
            if len(i):
                ax.add_collection(LineCollection(_segments(xs[0][i], 0, xs[-1][highlight_output], top),
                                                 colors="tab:red", linewidths=1.2, linestyles="--",
                                                 alpha=0.85, zorder=2))
        on_path = [seen, *(e.any(axis=0) for e in edges[:-1]), np.arange(D) == highlight_output]

    # units: circles sized to the widest layer, degree written inside
    slot_pt = 72.0 * ax.get_position().width * fig.get_figwidth() / (widest + 1)  # points per unit along a row
    diameter = float(np.clip(0.8 * slot_pt, 3.0, 24.0))
    fontsize = diameter * 0.5
    cmap = plt.get_cmap("viridis")
    for l, (x, d) in enumerate(zip(xs, layers)):
        faces = cmap((np.asarray(d, dtype=float) - 1) / max(1, D - 1))      # colour by degree, 1..D
        faded = np.zeros(len(d), bool) if on_path is None else ~np.asarray(on_path[l], bool)
        # faded units: an opaque pale tint of their colour (no lines showing through), label in dark grey
        faces[faded, :3] = 0.3 * faces[faded, :3] + 0.7
        texts = np.where(faces[:, :3] @ np.array([0.299, 0.587, 0.114]) > 0.5, "black", "white").astype(object)
        texts[faded] = "0.2"
        ax.scatter(x, np.full(len(d), l), s=diameter ** 2, c=faces, edgecolors=np.where(faded, "0.55", "black"),
                   linewidths=0.6, zorder=3)
        if fontsize >= 4.5:
            for xi, di, ti in zip(x, d, texts):
                ax.text(xi, l, str(int(di)), ha="center", va="center", fontsize=fontsize, color=ti, zorder=4)
        ax.text(-widest / 2 - 0.4, l, names[l], ha="right", va="center", fontsize=9)
    if D <= 24:
        label_size = min(9.0, max(6.0, fontsize))
        for i, x in enumerate(xs[0]):
            ax.text(x, -0.42, f"x{i}", ha="center", va="top", fontsize=label_size)
        for j, x in enumerate(xs[-1]):
            ax.text(x, top + 0.42, f"x̂{j}", ha="center", va="bottom", fontsize=label_size,
                    fontweight="bold" if j == highlight_output else "normal",
                    color="tab:red" if j == highlight_output else "black")
    if highlight_output is not None:
        sees = [f"x{i}" for i in np.nonzero(seen)[0]]
        note = f"paths to output x̂{highlight_output}: it may see {', '.join(sees) if sees else 'no input'}"
        ax.text(widest / 2 + 0.4, -0.85, note, ha="right", va="top", fontsize=8.5, color="tab:red")
    ax.set(xlim=(-widest / 2 - 0.6, widest / 2 + 0.4), ylim=(-1.0, len(layers) - 0.2))
    ax.axis("off")
    ax.set_title(title or f"MADE network, D={D}, hidden {[len(d) for d in degrees[1:]]}: "
                          "unit labels are degrees")
    return fig


def _degree_ticks(ax, axis: str, degrees: np.ndarray, prefix: str = "", limit: int = 24):
    """Ticks along ``axis`` labelled ``degree``, or ``{prefix}{i} (degree)``; none beyond ``limit`` units."""
    n = len(degrees)
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    if n > limit:
        setter([])
        return
    rotate = prefix and axis == "x" and n > 8
    sep = "\n" if prefix and axis == "x" and not rotate else " "
    labels = [f"{prefix}{i}{sep}({int(d)})" if prefix else str(int(d)) for i, d in enumerate(degrees)]
    kwargs = {"fontsize": 7, "rotation": 90} if rotate else {"fontsize": 7 if n > 12 else 8}
    setter(np.arange(n), labels, **kwargs)


def plot_masks(masks: Sequence[np.ndarray], degrees: Sequence[np.ndarray] | None = None,
               highlight_output: int | None = None, axes=None, titles: Sequence[str] | None = None):
    """Heatmaps of the masks ``(fan_in, fan_out)``: rows = units below, columns = units above.

    Black: allowed; ticks show the degrees when given; ``highlight_output=j``: entries on paths
    to output ``j`` in red. Returns the figure.
    """
    from matplotlib.colors import ListedColormap

    masks = [np.asarray(m) for m in masks]
    n = len(masks)
    axes = list(np.ravel(plt.subplots(1, n, figsize=(3.2 * n, 3.0), squeeze=False)[1] if axes is None else axes))
    if len(axes) < n:
        raise ValueError(f"plot_masks needs {n} axes, got {len(axes)}")
    fig = axes[0].figure
    names = layer_names(n)
    edges = None if highlight_output is None else paths_to_output(masks, highlight_output)[0]
    cmap = ListedColormap(["white", "0.2", "tab:red"])
    for l, (ax, m) in enumerate(zip(axes, masks)):
        image = (m > 0).astype(int)
        if edges is not None:
            image[edges[l]] = 2
        ax.imshow(image, cmap=cmap, vmin=0, vmax=2, aspect="auto", interpolation="nearest")
        ax.set_title(titles[l] if titles else
                     f"mask {l + 1}: {names[l]} -> {names[l + 1]}\n{m.shape[0]}x{m.shape[1]}, "
                     f"row degree {'<' if l == n - 1 else '<='} column degree", fontsize=8.5)
        ax.set_ylabel(f"{names[l]} (degree)", fontsize=8)
        ax.set_xlabel(f"{names[l + 1]} (degree)", fontsize=8)
        if degrees is not None:
            _degree_ticks(ax, "y", degrees[l])
            _degree_ticks(ax, "x", degrees[l + 1] if l + 1 < len(degrees) else degrees[0])
        else:
            ax.set(xticks=[], yticks=[])
    return fig


def plot_connectivity(conn: np.ndarray, input_degrees: np.ndarray | None = None,
                      highlight_output: int | None = None, ax=None, title: str | None = None):
    """The ``(D, D)`` connectivity ``[i, j]``: output ``j`` may see input ``i``; ``highlight_output`` outlined red."""
    from matplotlib.patches import Rectangle

    conn = np.asarray(conn, dtype=bool)
    if conn.ndim != 2 or conn.shape[0] != conn.shape[1]:
        raise ValueError(f"connectivity must be a square (D, D) matrix, got shape {conn.shape}")
    D = conn.shape[0]
    fig, ax = _figure_and_axes(ax, (3.6, 3.4))
    ax.imshow(conn, cmap="Greys", vmin=0, vmax=1.25, aspect="auto", interpolation="nearest")
    if input_degrees is not None:
        _degree_ticks(ax, "y", input_degrees, prefix="x")
        _degree_ticks(ax, "x", input_degrees, prefix="x̂")
    if highlight_output is not None:
        ax.add_patch(Rectangle((highlight_output - 0.5, -0.5), 1, D, fill=False,
                               edgecolor="tab:red", linewidth=2))
    ax.set_title(title or f"connectivity: output j sees input i\n"
                          f"{int(conn.sum())} of {D * (D - 1) // 2} possible dependencies", fontsize=8.5)
    ax.set_ylabel("input (degree)", fontsize=8)
    ax.set_xlabel("output (degree)", fontsize=8)
    return fig
