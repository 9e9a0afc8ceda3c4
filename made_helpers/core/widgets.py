"""Interactive MADE mask explorer (ipywidgets + matplotlib): ``mask_explorer(input_dim=6, hidden_sizes=[8, 8])``.

Mask ``k`` with seed ``s`` is the one ``MADE(..., seed=s).set_mask(k)`` uses: both call ``masks.make_mask_set``.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

try:
    import ipywidgets as widgets
except ImportError as e:       # only the notebooks need it: the lab extra
    raise ImportError("made_helpers.core.widgets needs ipywidgets, which the lab extra installs: "
                      "pip install 'made-tutorial[lab]'") from e

from ..checks import check_bool, check_int, check_seed
from . import masks as mk
from . import plotting

MAX_INPUT_DIM = 20
MAX_HIDDEN_WIDTH = 64
MAX_HIDDEN_LAYERS = 5
MAX_NUM_MASKS = 16
NO_HIGHLIGHT = "none"


# ----------------------------------------------------------------- pure logic
def parse_hidden_sizes(text: str) -> list[int]:
    """Parse widths typed as ``"8, 8"`` (commas or spaces) into ``[8, 8]``; ``ValueError`` names a bad entry."""
    if not isinstance(text, str):
        raise TypeError(f"hidden layer widths must be text such as '8, 8', got {text!r}")
    parts = [p for p in re.split(r"[,;\s]+", text.strip().strip("[]()")) if p]
    if not parts:
        raise ValueError("hidden layer widths: none given; type at least one width, e.g. 8, 8")
    for p in parts:
        if not re.fullmatch(r"[+-]?\d+", p):
            raise ValueError(f"hidden layer widths: {p!r} is not a whole number; "
                             "type widths separated by commas, e.g. 8, 8")
    sizes = [int(p) for p in parts]
    for i, h in enumerate(sizes):
        if h < 1:
            raise ValueError(f"hidden layer {i + 1} has width {h}: every hidden layer needs at least one unit")
    return sizes


@dataclass(frozen=True)
class ExplorerMaskSet:
    """Mask ``k`` as shown: ``degrees`` ``[input (D,), hidden_1 (H1,), ...]``, ``masks`` ``(fan_in, fan_out)``,
    ``direct_mask`` ``(D, D)`` or ``None`` (direct off), bool ``connectivity`` ``(D, D)`` (``[i, j]``: j sees i)."""

    degrees: list
    masks: list
    direct_mask: np.ndarray | None
    connectivity: np.ndarray
    mask_seed: int


def explorer_mask_set(input_dim: int, hidden_sizes: Sequence[int], ordering: str = "natural",
                      hidden_degrees: str = "random", seed: int = 0, direct: bool = True,
                      mask_index: int = 0) -> ExplorerMaskSet:
    """Mask ``mask_index`` of ``MADE(input_dim, hidden_sizes, ordering=..., seed=seed, ...)``; bad settings raise."""
    D = mk.check_input_dim(input_dim)
    sizes = mk.check_hidden_sizes(hidden_sizes)
    mk.check_ordering(ordering, D)
    mk.check_hidden_degrees(hidden_degrees)
    check_seed("seed", seed)
    check_int("mask index (mask_index)", mask_index, low=0)
    direct = check_bool("direct", direct)
    built = mk.make_mask_set(D, sizes, ordering, hidden_degrees, seed=seed, k=mask_index)
    dmask = built.direct_mask if direct else None
    return ExplorerMaskSet(built.degrees, built.masks, dmask, mk.connectivity(built.masks, dmask), built.mask_seed)


@dataclass
class WidgetState:
    """What every explorer's state holds: the control values ``settings``, the one-line ``error`` message of the
    last update (or ``None``) and its wall time in seconds."""

    settings: dict = field(default_factory=dict)
    error: str | None = None
    update_seconds: float = 0.0


@dataclass
class ExplorerState(WidgetState):
    """What the explorer shows: the control ``settings``, the masks as in :class:`ExplorerMaskSet` (``None``
    while ``error`` holds a message), ``highlight`` output or ``None``, and the last update's wall time."""

    degrees: list | None = None
    masks: list | None = None
    direct_mask: np.ndarray | None = None
    connectivity: np.ndarray | None = None
    highlight: int | None = None


# ------------------------------------------------------------------ rendering
def _png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a pyplot-free ``Figure`` to PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=check_int("dpi", dpi, 1, 1000))
    return buf.getvalue()


def render_network(mask_set: ExplorerMaskSet, highlight: int | None = None, dpi: int = 80) -> bytes:
    """PNG of :func:`plotting.plot_network` for a mask set."""
    fig = Figure(figsize=(11, 0.9 + 0.95 * (len(mask_set.degrees) + 1)))  # a row per layer and the outputs
    ax = fig.add_axes((0.09, 0.02, 0.9, 0.88))
    plotting.plot_network(mask_set.degrees, mask_set.masks, mask_set.direct_mask, highlight_output=highlight, ax=ax)
    return _png(fig, dpi)


def render_matrices(mask_set: ExplorerMaskSet, highlight: int | None = None, dpi: int = 80) -> bytes:
    """PNG of the mask heatmaps and the connectivity matrix side by side."""
    n = len(mask_set.masks) + 1
    fig = Figure(figsize=(min(3.0 * n, 16), 3.5))
    fig.subplots_adjust(left=0.07, right=0.96, bottom=0.24, top=0.78, wspace=0.5)  # fixed: fast
    legend = "black: allowed connection" + ("" if highlight is None else f"; red: on a path to output x̂{highlight}")
    fig.text(0.01, 0.985, legend, ha="left", va="top", fontsize=8.5)
    axes = fig.subplots(1, n, squeeze=False)[0]
    plotting.plot_masks(mask_set.masks, mask_set.degrees, highlight_output=highlight, axes=axes[:-1])
    plotting.plot_connectivity(mask_set.connectivity, mask_set.degrees[0], highlight_output=highlight, ax=axes[-1])
    return _png(fig, dpi)


def _degrees_html(degrees: list) -> str:
    """An HTML table of degrees per layer; each row has ``data-layer`` for tests."""
    rows = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{name}</th><td class='made-degrees-layer' "
                   f"data-layer='{l}' style='font-family:monospace'>{' '.join(str(int(v)) for v in d)}</td></tr>"
                   for l, (name, d) in enumerate(zip(plotting.layer_names(len(degrees)), [*degrees, degrees[0]])))
    return "<b>Degrees</b> (unit order left to right)<table>" + rows + "</table>"


# --------------------------------------------------------------------- widget
_CONTROL = " (the explorer's control range)"


class MaskExplorer:
    """Interactive view of MADE degrees, masks, network and connectivity, redrawn on every change.

    ``controls``: ``{name: widget}``, one per argument (``hidden_sizes`` as text "8, 8", ``highlight`` "none" or
    an output); ``state``: the :class:`ExplorerState` shown; ``widget``: the ``VBox`` it displays as;
    ``network_image``, ``matrices_image``: the PNG views; ``message``: the error, hidden when settings are fine.
    """

    def __init__(self, input_dim: int = 6, hidden_sizes: Sequence[int] | str = (8, 8), ordering: str = "natural",
                 hidden_degrees: str = "random", seed: int = 0, direct: bool = True, num_masks: int = 1,
                 mask_index: int = 0, highlight: int | None = None):
        check_int("input_dim", input_dim, 1, MAX_INPUT_DIM, why=_CONTROL)
        check_int("num_masks", num_masks, 1, MAX_NUM_MASKS, why=_CONTROL)
        check_int("mask_index", mask_index, 0, num_masks - 1, why=_CONTROL)
        if ordering not in mk.ORDERINGS:
            raise ValueError(f"ordering must be one of {mk.ORDERINGS} in the explorer, got {ordering!r}")
        mk.check_hidden_degrees(hidden_degrees)
        if highlight is not None:
            check_int("highlight", highlight, 0, input_dim - 1, why=_CONTROL)
        check_seed("seed", seed)
        direct = check_bool("direct", direct)
        if not isinstance(hidden_sizes, (str, Sequence, np.ndarray)):
            raise TypeError(f"hidden_sizes must be a list of widths such as [8, 8] or text '8, 8', "
                            f"got {hidden_sizes!r}")
        # bad widths are shown as a message in the widget
        sizes_text = hidden_sizes if isinstance(hidden_sizes, str) else ", ".join(str(h) for h in hidden_sizes)

        style = {"description_width": "initial"}
        lazy = {"style": style, "continuous_update": False}  # typed and dragged values count when done
        c = {
            "input_dim": widgets.IntSlider(value=input_dim, min=1, max=MAX_INPUT_DIM, description="D (inputs)", **lazy),
            "hidden_sizes": widgets.Text(value=sizes_text, description="hidden widths", placeholder="e.g. 8, 8",
                                         **lazy),
            "ordering": widgets.Dropdown(options=list(mk.ORDERINGS), value=ordering, description="ordering",
                                         style=style),
            "hidden_degrees": widgets.Dropdown(options=list(mk.HIDDEN_DEGREE_SCHEMES), value=hidden_degrees,
                                               description="hidden degrees", style=style),
            "seed": widgets.IntText(value=int(seed), description="seed", **lazy),
            "direct": widgets.Checkbox(value=bool(direct), description="direct connections", indent=False),
            "num_masks": widgets.BoundedIntText(value=num_masks, min=1, max=MAX_NUM_MASKS, description="K masks",
                                                style=style),
            "mask_index": widgets.IntSlider(value=mask_index, min=0, max=max(0, num_masks - 1),
                                            description="mask k", **lazy),
            "highlight": widgets.Dropdown(options=self._highlight_options(input_dim),
                                          value=NO_HIGHLIGHT if highlight is None else int(highlight),
                                          description="highlight paths to output", style=style),
        }
        for name, w in c.items():
            w.add_class(f"made-control-{name.replace('_', '-')}")
            w.layout.width = {"direct": "auto", "highlight": "300px"}.get(name, "260px")
        c["mask_index"].disabled = num_masks == 1
        self.controls: dict[str, widgets.Widget] = c

        self.message = widgets.HTML(layout=widgets.Layout(display="none")).add_class("made-message")
        self.status = widgets.HTML().add_class("made-status")
        self.degrees_view = widgets.HTML().add_class("made-degrees")
        self.network_image, self.matrices_image = (
            widgets.Image(format="png", layout=widgets.Layout(max_width="100%")).add_class(f"made-{name}")
            for name in ("network", "matrices"))
        self.views = widgets.VBox([self.status, self.degrees_view, self.network_image, self.matrices_image])
        rows = [widgets.HBox([c[name] for name in names], layout=widgets.Layout(flex_flow="row wrap"))
                for names in [("input_dim", "hidden_sizes", "ordering", "hidden_degrees"),
                              ("seed", "num_masks", "mask_index", "direct"), ("highlight",)]]
        self.widget = widgets.VBox([widgets.HTML("<b>MADE mask explorer</b>"), *rows, self.message,
                                    self.views]).add_class("made-mask-explorer")

        self.state = ExplorerState()
        self._syncing = False
        self._drawn_key: tuple | None = None
        for w in c.values():
            w.observe(self._on_change, names="value")
        self.update()

    # -- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- events
    @staticmethod
    def _highlight_options(input_dim: int) -> list:
        return [("none", NO_HIGHLIGHT)] + [(f"output x̂{j}", j) for j in range(input_dim)]

    def _on_change(self, change) -> None:
        if not self._syncing:
            self.update()

    def _sync_dependent_controls(self) -> None:
        """Keep the highlight choices (depend on D) and the mask-k range (depends on K) valid."""
        c = self.controls
        self._syncing = True
        try:
            D = c["input_dim"].value
            if len(c["highlight"].options) != D + 1:
                old = c["highlight"].value
                c["highlight"].options = self._highlight_options(D)
                c["highlight"].value = old if old == NO_HIGHLIGHT or old < D else NO_HIGHLIGHT
            K = c["num_masks"].value
            if c["mask_index"].max != K - 1:
                c["mask_index"].max = K - 1
                c["mask_index"].value = min(c["mask_index"].value, K - 1)
            c["mask_index"].disabled = K == 1
        finally:
            self._syncing = False

    def update(self) -> ExplorerState:
        """Recompute from the controls and redraw; returns the new :attr:`state`."""
        start = time.perf_counter()
        self._sync_dependent_controls()
        settings = {name: w.value for name, w in self.controls.items()}
        highlight = None if settings["highlight"] == NO_HIGHLIGHT else int(settings["highlight"])
        try:
            sizes = parse_hidden_sizes(settings["hidden_sizes"])
            if len(sizes) > MAX_HIDDEN_LAYERS:
                raise ValueError(f"{len(sizes)} hidden layers: the explorer draws at most {MAX_HIDDEN_LAYERS}")
            if max(sizes) > MAX_HIDDEN_WIDTH:
                raise ValueError(f"a hidden layer of width {max(sizes)}: the explorer draws at most "
                                 f"{MAX_HIDDEN_WIDTH} units per layer")
            mask_set = explorer_mask_set(settings["input_dim"], sizes, settings["ordering"], settings["hidden_degrees"],
                                         settings["seed"], settings["direct"], settings["mask_index"])
        except (ValueError, TypeError) as exc:
            return self._show_error(settings, highlight, str(exc), start)
        # the pictures depend on every setting but K (which only bounds k): skip redrawing the same
        drawn_key = tuple((name, value) for name, value in settings.items() if name != "num_masks")
        if drawn_key != self._drawn_key:
            try:
                pngs = render_network(mask_set, highlight), render_matrices(mask_set, highlight)
            except Exception as exc:  # noqa: BLE001 - any drawing failure is shown in the widget, not raised
                return self._show_error(settings, highlight,
                                        f"could not draw these settings ({type(exc).__name__}: {exc})", start)
            self.network_image.value, self.matrices_image.value = pngs
            self._drawn_key = drawn_key
        self.degrees_view.value = _degrees_html(mask_set.degrees)
        self.status.value = _status_html(settings, mask_set, highlight)
        self.message.value = ""
        self.message.layout.display = "none"
        self.views.layout.display = None
        self.state = ExplorerState(settings=settings, degrees=mask_set.degrees, masks=mask_set.masks,
                                   direct_mask=mask_set.direct_mask, connectivity=mask_set.connectivity,
                                   highlight=highlight, error=None, update_seconds=time.perf_counter() - start)
        return self.state

    def _show_error(self, settings: dict, highlight, text: str, start: float) -> ExplorerState:
        self.message.value = (
            "<div style='border:1px solid #c62828;background:#fdecea;color:#8e0000;"
            "padding:6px 10px;border-radius:4px'><b>These settings do not give a MADE:</b> "
            f"<span class='made-message-text'>{html.escape(text)}</span><br>"
            "Change a control to continue.</div>")
        self.message.layout.display = None
        self.views.layout.display = "none"
        self.state = ExplorerState(settings=settings, highlight=highlight, error=text,
                                   update_seconds=time.perf_counter() - start)
        return self.state


def _status_html(settings: dict, mask_set: ExplorerMaskSet, highlight: int | None) -> str:
    """One paragraph: generation order, mask k of K, dependencies realised, highlighted output."""
    deg = mask_set.degrees[0]
    D = len(deg)
    order = " → ".join(f"x{i}" for i in mk.ordering_from_degrees(deg))
    conn = mask_set.connectivity
    lines = [
        f"Generation order: {order}",
        f"Mask k={settings['mask_index']} of K={settings['num_masks']} "
        f"(seed {settings['seed']}; this mask's derived seed {mask_set.mask_seed})",
        f"Dependencies realised: {int(conn.sum())} of {D * (D - 1) // 2} allowed by the ordering; "
        f"autoregressive: {'yes' if mk.is_autoregressive(conn, deg) else 'NO'}",
    ]
    if highlight is not None:
        seen = [f"x{i}" for i in np.nonzero(conn[:, highlight])[0]]
        lines.append(f"Output x̂{highlight} (degree {int(deg[highlight])}) may see "
                     f"{', '.join(seen) if seen else 'no input'} "
                     f"({len(seen)} of the {int(deg[highlight]) - 1} inputs generated before it)")
    return "<div class='made-status-text'>" + "<br>".join(html.escape(s) for s in lines) + "</div>"


def mask_explorer(input_dim: int = 6, hidden_sizes: Sequence[int] | str = (8, 8), ordering: str = "natural",
                  hidden_degrees: str = "random", seed: int = 0, direct: bool = True, num_masks: int = 1,
                  mask_index: int = 0, highlight: int | None = None) -> MaskExplorer:
    """Build a :class:`MaskExplorer`; as the last line of a cell it displays itself."""
    return MaskExplorer(input_dim, hidden_sizes, ordering, hidden_degrees, seed, direct, num_masks, mask_index,
                        highlight)
