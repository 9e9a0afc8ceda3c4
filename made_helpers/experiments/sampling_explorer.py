"""Interactive sampling and completion explorer (ipywidgets + ipyevents): ``sampling_explorer(results_dir)``.

Sampling mode replays ``MADE.sample(1, seed)`` step by step: the draw is made once by the model's own sampler, and
one forward pass on the finished sample gives every ``p(x_{o_t} = 1 | x_{o_<t})`` (a MADE's output for a pixel sees
only the pixels before it). Completion mode completes a test digit with :func:`conditioning.complete_any`.
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.image import imsave

try:
    import ipywidgets as widgets
    from ipyevents import Event
except ImportError as e:       # only the notebooks need them: the lab extra
    raise ImportError("made_helpers.experiments.sampling_explorer needs ipywidgets and ipyevents, which the lab extra "
                      "installs: pip install 'made-tutorial[lab]'") from e

from ..checks import check_int, check_seed
from ..core import conditioning as cond
from ..core.model import MADE  # registers the class with Keras, which loads model files by its name
from ..core.plotting import completion_canvas
from ..core.widgets import WidgetState
from .results import architecture, by_validation, load_results, model_beside

IMAGE_SHAPE = (28, 28)
SCALE = 8
"""Screen pixels per image pixel in the sampling pictures and the observed-pixel picker."""
STRIP_SCALE = 5
"""Screen pixels per image pixel in the strip of completions."""
MODES = ("sampling", "completion")
CUSTOM = "custom"
MAX_COMPLETIONS = 8
MOVE_THROTTLE_MS = 30
"""At most one mousemove event per this many milliseconds reaches the kernel while the pointer is on the picker."""
NEXT_COLOUR = (0.9, 0.0, 0.0)
"""The frame around the next pixel to be drawn."""
UNDRAWN = (0.78, 0.78, 0.78)
"""Pixels not drawn yet."""
HIDDEN_COLOURS = ((0.55, 0.55, 0.55), (0.88, 0.88, 0.88))
"""``(ink, paper)`` of a test digit's pixels that are not observed, in the picker."""


# ----------------------------------------------------------------- committed models
@dataclass(frozen=True)
class CommittedModel:
    """A committed model file and what its results file says: ``num_masks``, order-agnostic training (each mask
    its own random ordering) and the best validation NLL of its training (nats, ``None`` if not recorded)."""

    name: str
    path: Path
    num_masks: int
    order_agnostic: bool
    best_valid_nll: float | None
    settings: str = ""
    """What the model is, e.g. ``"784-500-784, random ordering, dropout 0.5"`` (the menu shows it, not ``name``)."""

    @property
    def label(self) -> str:
        valid = "" if self.best_valid_nll is None else f", validation NLL {self.best_valid_nll:.2f}"
        masks = ("1 mask" if self.num_masks == 1 else f"{self.num_masks} masks, "
                 + ("each its own ordering" if self.order_agnostic else "one shared ordering"))
        return f"{self.settings or self.name} ({masks}{valid})"


def model_settings(result: dict) -> str:
    """A model named by what it is: architecture, ordering, dropout and L2 of a results file's run."""
    model, settings = result.get("model", {}), (result.get("training") or {}).get("settings", {})
    parts = [architecture(result), f"{model.get('ordering', 'natural')} ordering"]
    if model.get("dropout"):
        parts.append(f"dropout {model['dropout']:g}")
    if settings.get("weight_decay"):
        parts.append(f"L2 {settings['weight_decay']:g}")
    return ", ".join(parts)


def committed_models(results_dir: str | Path) -> list[CommittedModel]:
    """The models lying beside their results files in ``results_dir`` (digests checked by ``load_results``)."""
    found = []
    for result in load_results(results_dir):
        path = model_beside(result, Path(results_dir) / result["file"])
        if path is None:
            continue
        config = result.get("model", {})
        num_masks = int(config.get("num_masks", 1))
        found.append(CommittedModel(
            name=path.stem, path=path, num_masks=num_masks,
            order_agnostic=num_masks > 1 and config.get("ordering") == "random" and config.get("mask_kind") == "full",
            best_valid_nll=(result.get("training") or {}).get("best_valid_nll"), settings=model_settings(result)))
    return found


def best_by_validation(models: list[CommittedModel], one_mask: bool) -> str:
    """Name of the model with the lowest validation NLL among the one-mask models (``one_mask=True``) or the
    order-agnostic ones (``False``); test NLLs are never used to choose."""
    pool = [m for m in models if (m.num_masks == 1 if one_mask else m.order_agnostic) and m.best_valid_nll is not None]
    if not pool:
        raise ValueError(f"no committed {'one-mask' if one_mask else 'order-agnostic'} model with a recorded "
                         f"validation NLL among {[m.name for m in models]}")
    return by_validation([{"file": m.name, "training": {"best_valid_nll": m.best_valid_nll}} for m in pool])[0]["file"]


# ------------------------------------------------------------------ pure logic
@dataclass(frozen=True)
class SamplingTrace:
    """One draw of ``model.sample(1, seed)``: ``sample`` ``(D,)`` 0/1, ``ordering`` ``(D,)`` (pixel drawn at step t)
    and ``probs`` ``(D,)``, ``p(x_{ordering[t]} = 1 | pixels drawn before step t)``."""

    sample: np.ndarray
    ordering: np.ndarray
    probs: np.ndarray

    def partial(self, step: int) -> np.ndarray:
        """``(D,)``: the first ``step`` pixels of the ordering drawn, the others 0 (the model's input at ``step``)."""
        x = np.zeros_like(self.sample)
        drawn = self.ordering[:step]
        x[drawn] = self.sample[drawn]
        return x

    def log_prob(self, step: int) -> float:
        """``log p`` (nats) of the first ``step`` pixels drawn: the sum of their log-conditionals."""
        p, x = self.probs[:step].astype(np.float64), self.sample[self.ordering[:step]]
        return float(np.sum(np.log(np.where(x > 0, p, 1.0 - p))))


def sampling_trace(model, seed: int) -> SamplingTrace:
    """The sample ``model.sample(1, seed)`` under the model's current mask, with all its conditionals from one pass."""
    sample = model.sample(1, seed=seed)[0]
    logits = model.logits(sample[None]).astype(np.float64)[0]
    ordering = np.asarray(model.ordering)
    return SamplingTrace(sample, ordering, (1.0 / (1.0 + np.exp(-logits)))[ordering])


def check_image_model(model, name: str, image_shape: tuple[int, int] = IMAGE_SHAPE):
    """``model`` if it is a binary MADE over ``image_shape`` images, else a one-line ``ValueError``."""
    D = int(np.prod(image_shape))
    if not isinstance(model, MADE):
        raise ValueError(f"model {name} is a {type(model).__name__}, not a MADE of binary pixels")
    if model.input_dim != D:
        raise ValueError(f"model {name} has D = {model.input_dim} inputs, but the explorer shows "
                         f"{image_shape[0]}×{image_shape[1]} images (D = {D}): choose a model of {D} inputs")
    return model


# ------------------------------------------------------------------ rendering
def _png(rgb: np.ndarray, scale: int) -> bytes:
    """PNG bytes of an RGB image ``(H, W, 3)`` in [0, 1], each pixel a ``scale``×``scale`` square."""
    buf = io.BytesIO()
    imsave(buf, np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1).clip(0.0, 1.0), format="png")
    return buf.getvalue()


def _paint(x: np.ndarray, colours) -> np.ndarray:
    """RGB ``(..., 3)`` of 0/1 ``x``: ``colours`` = ``(ink, paper)``."""
    ink, paper = (np.asarray(c, dtype=np.float32) for c in colours)
    return paper + np.asarray(x, dtype=np.float32)[..., None] * (ink - paper)


def _framed(rgb: np.ndarray, pixel: int | None, scale: int) -> np.ndarray:
    """``rgb`` ``(H, W, 3)`` upscaled by ``scale`` with a frame around ``pixel`` (flat index), as a float array."""
    big = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    if pixel is not None:
        r, c = divmod(int(pixel), rgb.shape[1])
        w = max(1, scale // 4)
        box = big[r * scale:(r + 1) * scale, c * scale:(c + 1) * scale]
        box[:w], box[-w:], box[:, :w], box[:, -w:] = NEXT_COLOUR, NEXT_COLOUR, NEXT_COLOUR, NEXT_COLOUR
    return big


def render_step(trace: SamplingTrace, step: int, image_shape: tuple[int, int] = IMAGE_SHAPE) -> bytes:
    """PNG: the first ``step`` pixels of the ordering drawn (black on white), the rest grey, the next one framed."""
    drawn = np.zeros(trace.sample.shape, dtype=bool)
    drawn[trace.ordering[:step]] = True
    rgb = np.where(drawn[:, None], _paint(trace.sample, cond.GIVEN_COLOURS), np.float32(UNDRAWN))
    nxt = int(trace.ordering[step]) if step < len(trace.ordering) else None
    return _png(_framed(rgb.reshape(*image_shape, 3), nxt, SCALE), 1)


def ordering_colours(ordering: np.ndarray) -> np.ndarray:
    """RGB ``(D, 3)``: each pixel's position in ``ordering`` on the viridis scale (first dark, last yellow)."""
    position = np.empty(len(ordering), dtype=np.float64)
    position[ordering] = np.arange(len(ordering)) / max(1, len(ordering) - 1)
    return colormaps["viridis"](position)[:, :3]


def render_ordering(ordering: np.ndarray, step: int, image_shape: tuple[int, int] = IMAGE_SHAPE) -> bytes:
    """PNG heat map of each pixel's position in ``ordering``, the pixel drawn at ``step`` framed."""
    nxt = int(ordering[step]) if step < len(ordering) else None
    return _png(_framed(ordering_colours(ordering).reshape(*image_shape, 3), nxt, SCALE), 1)


def picker_layers(digit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB ``(D, 3)`` twice: the digit in the given colours and faded grey, what :func:`render_picker` chooses from
    (the same for every click on one digit: the explorer keeps them)."""
    return _paint(digit, cond.GIVEN_COLOURS), _paint(digit, HIDDEN_COLOURS)


def render_picker(digit: np.ndarray, observed: np.ndarray, image_shape: tuple[int, int] = IMAGE_SHAPE,
                  layers: tuple[np.ndarray, np.ndarray] | None = None) -> bytes:
    """PNG of a digit: observed pixels in the given colours, the others faded grey (the pixels to complete);
    ``layers``: :func:`picker_layers` of ``digit``, if already made."""
    given, hidden = picker_layers(digit) if layers is None else layers
    return _png(np.where(observed[:, None], given, hidden).reshape(*image_shape, 3), SCALE)


def stroke_pixels(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The pixels ``(row, col)`` on the straight line from ``start`` to ``end``, both included: a fast drag whose
    mouse events skip pixels still paints a line."""
    steps = max(abs(end[0] - start[0]), abs(end[1] - start[1]))
    rows = np.rint(np.linspace(start[0], end[0], steps + 1)).astype(int)
    cols = np.rint(np.linspace(start[1], end[1], steps + 1)).astype(int)
    return list(zip(rows.tolist(), cols.tolist()))


def _swatch(ink, paper, text: str) -> str:
    css = "display:inline-block;width:14px;height:14px;border:1px solid #888;vertical-align:middle;margin:0 2px"
    colour = "rgb({},{},{})".format
    return (f"<span style='{css};background:{colour(*(int(255 * v) for v in ink))}'></span>"
            f"<span style='{css};background:{colour(*(int(255 * v) for v in paper))}'></span> {text}")


def _gradient_legend() -> str:
    stops = ", ".join("rgb({},{},{})".format(*(int(255 * v) for v in colormaps["viridis"](t)[:3]))
                      for t in np.linspace(0, 1, 6))
    return ("position in the ordering: first <span style='display:inline-block;width:120px;height:12px;"
            f"vertical-align:middle;background:linear-gradient(to right, {stops})'></span> last")


SAMPLING_LEGEND = ("<div class='made-legend'>" + _swatch(cond.GIVEN_COLOURS[0], cond.GIVEN_COLOURS[1],
                                                         "drawn pixels (1 black, 0 white)")
                   + " &nbsp; " + _swatch(UNDRAWN, UNDRAWN, "not drawn yet")
                   + " &nbsp; <span style='color:rgb(230,0,0);font-weight:bold'>□</span> next pixel"
                   + " &nbsp; " + _gradient_legend() + "</div>")
COMPLETION_LEGEND = ("<div class='made-legend'>" + _swatch(*cond.GIVEN_COLOURS, "given (observed) pixels")
                     + " &nbsp; " + _swatch(*cond.SAMPLED_COLOURS, "sampled pixels")
                     + " &nbsp; " + _swatch(*HIDDEN_COLOURS,
                                            "not observed (in the picker; click to toggle, drag to paint)")
                     + "</div>")


# ------------------------------------------------------------------ state
@dataclass
class SamplingExplorerState(WidgetState):
    """What the explorer shows. ``settings``: the control values; sampling: ``step``, ``trace``, ``next_pixel``
    and ``next_probability`` (``None`` after the last step); completion: ``observed`` bool ``(D,)``,
    ``completions`` ``(n, D)``, ``log_likelihood_observed`` ``log q(x_O)`` and ``log_likelihood_rest``
    ``log q(x_rest | x_O)`` of the digit itself (nats); ``error``: the one-line message, or ``None``."""

    mode: str = "sampling"
    step: int | None = None
    trace: SamplingTrace | None = None
    next_pixel: int | None = None
    next_probability: float | None = None
    observed: np.ndarray | None = None
    completions: np.ndarray | None = None
    log_likelihood_observed: float | None = None
    log_likelihood_rest: float | None = None


# ------------------------------------------------------------------ widget
class SamplingExplorer:
    """Watch a trained MADE draw a digit pixel by pixel, and complete test digits from chosen pixels.

    ``models``: ``{name: MADE or .keras path}`` (default: every committed model in ``results_dir``); ``digits``:
    test digits ``(N, 784)`` 0/1 (default: the binarized MNIST test set). ``controls``: ``{name: widget}``;
    ``state``: the :class:`SamplingExplorerState` shown; ``widget``: the ``VBox`` it displays as.
    """

    def __init__(self, results_dir: str | Path = "results", models: Mapping | None = None, digits=None, *,
                 mode: str = "sampling", sampling_model: str | None = None, completion_model: str | None = None,
                 seed: int = 0, step: int = 0, digit: int = 0, preset: str = "top half", fraction: float = 0.3,
                 num_completions: int = 4, completion_seed: int = 0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if preset not in (*cond.OBSERVED_PRESETS, CUSTOM):
            raise ValueError(f"preset must be one of {(*cond.OBSERVED_PRESETS, CUSTOM)}, got {preset!r}")
        check_seed("seed", seed)
        check_seed("completion_seed", completion_seed)
        check_int("num_completions", num_completions, 1, MAX_COMPLETIONS, why=" (the explorer's control range)")
        D = int(np.prod(IMAGE_SHAPE))
        check_int("step", step, 0, D)
        if models is None:
            committed = committed_models(results_dir)
            if not committed:
                raise ValueError(f"no committed model (.keras beside its results file) in {results_dir}")
            self._sources: dict = {m.name: m.path for m in committed}
            labels = [(m.label, m.name) for m in committed]
            sampling_model = sampling_model or best_by_validation(committed, one_mask=True)
            completion_model = completion_model or best_by_validation(committed, one_mask=False)
        else:
            if not models:
                raise ValueError("models is empty: give at least one {name: MADE or .keras path}")
            self._sources = dict(models)
            labels = [(name, name) for name in self._sources]
            sampling_model = sampling_model or next(iter(self._sources))
            completion_model = completion_model or next(iter(self._sources))
        for what, name in (("sampling_model", sampling_model), ("completion_model", completion_model)):
            if name not in self._sources:
                raise ValueError(f"{what} {name!r} is not one of the models {list(self._sources)}")
        self._loaded: dict = {}
        self._traces: dict = {}
        self._digits_source = digits
        self._digits: np.ndarray | None = None
        self._picker_layers: tuple = (None, None)            # (digit index, picker_layers of that digit)

        style = {"description_width": "initial"}
        c = {
            "mode": widgets.ToggleButtons(options=list(MODES), value=mode, description="mode", style=style),
            "sampling_model": widgets.Dropdown(options=labels, value=sampling_model, description="model",
                                               style=style, layout=widgets.Layout(width="560px")),
            "seed": widgets.IntText(value=int(seed), description="seed", style=style, continuous_update=False,
                                    layout=widgets.Layout(width="160px")),
            "step": widgets.IntSlider(value=int(step), min=0, max=D, description="step d", style=style,
                                      layout=widgets.Layout(width="520px")),
            "play": widgets.Play(value=int(step), min=0, max=D, step=4, interval=100, description="play"),
            "completion_model": widgets.Dropdown(options=labels, value=completion_model, description="model",
                                                 style=style, layout=widgets.Layout(width="560px")),
            "digit": widgets.BoundedIntText(value=int(digit), min=0, max=10**6, description="test digit",
                                            style=style, layout=widgets.Layout(width="180px")),
            "preset": widgets.Dropdown(options=[*cond.OBSERVED_PRESETS, CUSTOM], value=preset,
                                       description="observed", style=style, layout=widgets.Layout(width="300px")),
            "fraction": widgets.FloatSlider(value=float(fraction), min=0.0, max=1.0, step=0.05,
                                            description="random fraction", style=style, continuous_update=False),
            "num_completions": widgets.IntSlider(value=int(num_completions), min=1, max=MAX_COMPLETIONS,
                                                 description="completions", style=style, continuous_update=False),
            "completion_seed": widgets.IntText(value=int(completion_seed), description="seed", style=style,
                                               continuous_update=False, layout=widgets.Layout(width="160px")),
            "force": widgets.Checkbox(value=False, indent=False,
                                      description="force orderings a one-ordering model never saw",
                                      layout=widgets.Layout(width="auto")),
        }
        for name, w in c.items():
            w.add_class(f"made-control-{name.replace('_', '-')}")
        self.controls: dict[str, widgets.Widget] = c
        widgets.link((c["play"], "value"), (c["step"], "value"))
        self.back_button = widgets.Button(description="◀ one pixel", layout=widgets.Layout(width="110px"))
        self.forward_button = widgets.Button(description="one pixel ▶", layout=widgets.Layout(width="110px"))
        self.back_button.add_class("made-step-back").on_click(lambda _: self._move(-1))
        self.forward_button.add_class("made-step-forward").on_click(lambda _: self._move(+1))
        self.clear_button = widgets.Button(description="observe none", layout=widgets.Layout(width="130px"))
        self.clear_button.add_class("made-observe-none").on_click(lambda _: self.set_observed(np.zeros(D, bool)))

        self.message = widgets.HTML(layout=widgets.Layout(display="none")).add_class("made-message")
        image = {"format": "png", "layout": widgets.Layout(max_width="100%")}
        self.sample_image = widgets.Image(**image).add_class("made-sample-image")
        self.ordering_image = widgets.Image(**image).add_class("made-ordering-image")
        self.sampling_status = widgets.HTML().add_class("made-sampling-status")
        self.picker_image = widgets.Image(**image).add_class("made-picker-image")
        self.completions_image = widgets.Image(**image).add_class("made-completions-image")
        self.completion_status = widgets.HTML().add_class("made-completion-status")
        # a press toggles a pixel and starts a stroke; moving with the button held paints the stroke's value;
        # the completions are redrawn once, when the button is released or the pointer leaves the picture.
        # No default action: the browser would start dragging the <img> instead of sending mousemove events.
        self.presses = Event(source=self.picker_image, watched_events=["mousedown", "mouseup", "mouseleave"],
                             prevent_default_action=True)
        self.moves = Event(source=self.picker_image, watched_events=["mousemove"], throttle_or_debounce="throttle",
                           wait=MOVE_THROTTLE_MS)
        for events in (self.presses, self.moves):
            events.on_dom_event(self._on_mouse_event)
        self._stroke: tuple[bool, int, int] | None = None     # (value painted, last row, last column) while painting

        row = widgets.HBox
        labelled = widgets.VBox
        self.sampling_views = widgets.VBox([
            self.sampling_status,
            row([labelled([widgets.HTML("<b>the sample so far</b>"), self.sample_image]),
                 labelled([widgets.HTML("<b>the ordering</b>"), self.ordering_image])]),
            widgets.HTML(SAMPLING_LEGEND)])
        self.sampling_panel = widgets.VBox([
            c["sampling_model"], row([c["seed"], c["play"], self.back_button, self.forward_button]), c["step"],
            self.sampling_views]).add_class("made-sampling-panel")
        # a bad choice hides the completions only: the picker stays, to click a way out
        self.completion_results = labelled([widgets.HTML("<b>the digit | its completions</b>"),
                                            self.completions_image])
        self.completion_views = widgets.VBox([
            self.completion_status,
            row([labelled([widgets.HTML("<b>observed pixels</b> (click or drag)"),
                           self.picker_image]),
                 self.completion_results]),
            widgets.HTML(COMPLETION_LEGEND)])
        self.completion_panel = widgets.VBox([
            c["completion_model"], row([c["digit"], c["preset"], c["fraction"], self.clear_button]),
            row([c["num_completions"], c["completion_seed"], c["force"]]),
            self.completion_views]).add_class("made-completion-panel")
        self.widget = widgets.VBox([widgets.HTML("<b>MADE sampling and completion explorer</b>"), c["mode"],
                                    self.message, self.sampling_panel, self.completion_panel]
                                   ).add_class("made-sampling-explorer")

        self.state = SamplingExplorerState()
        self._syncing = False
        self.observed = self._preset_observed() if preset != CUSTOM else cond.top_rows_observed(None, IMAGE_SHAPE)
        for name, w in c.items():
            if name != "play":                       # the play button moves the step slider, which redraws
                w.observe(self._on_change(name), names="value")
        self.update()

    # -- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- models and data
    def model(self, name: str):
        """The model ``name`` (loaded once, put on its mask 0), checked to be a MADE of 28×28 images."""
        if name not in self._loaded:
            source = self._sources[name]
            if isinstance(source, (str, Path)):
                import keras

                from ..model_file import check_model_file

                model = keras.saving.load_model(source, compile=False)
                check_image_model(model, name)
                check_model_file(model, source)
                model.set_mask(0)
            else:
                model = source
            self._loaded[name] = model
        return check_image_model(self._loaded[name], name)

    @property
    def digits(self) -> np.ndarray:
        """The test digits ``(N, 784)`` completion mode draws from."""
        if self._digits is None:
            if self._digits_source is None:
                from ..data import load_binarized_mnist

                self._digits_source = load_binarized_mnist("test", verbose=False)
            self._digits = np.asarray(self._digits_source, dtype=np.float32)
        return self._digits

    # -- events
    def _on_change(self, name: str):
        def handler(change) -> None:
            if self._syncing:
                return
            if name in ("preset", "fraction") or (name == "completion_seed"
                                                 and self.controls["preset"].value == "random fraction"):
                if self.controls["preset"].value != CUSTOM:
                    self.observed = self._preset_observed()
            self.update()
        return handler

    def _move(self, delta: int) -> None:
        slider = self.controls["step"]
        slider.value = int(np.clip(slider.value + delta, slider.min, slider.max))

    def _preset_observed(self) -> np.ndarray:
        c = self.controls
        return cond.observed_preset(c["preset"].value, c["fraction"].value, c["completion_seed"].value, IMAGE_SHAPE)

    def _on_mouse_event(self, event: dict) -> None:
        """An ipyevents mouse event on the picker (``dataX``/``dataY``: the picture's own pixels; ``buttons``: 1 while
        the main button is held): a press toggles the pixel under it and starts a stroke, a move with the button
        held sets the pixels on its way to the stroke's value (only the picker is redrawn), and the release, the
        pointer leaving the picture or a move with no button held ends the stroke: the completions are redrawn."""
        kind = event.get("type")
        h, w = IMAGE_SHAPE
        row, col = int(event.get("dataY", -1)) // SCALE, int(event.get("dataX", -1)) // SCALE
        inside = 0 <= row < h and 0 <= col < w
        if kind == "mousedown":
            if event.get("button", 0) != 0 or not inside:
                return                               # another button, or the picture's edge outside the pixels
            self._stroke = (not bool(self.observed[row * w + col]), row, col)
            self._paint_stroke([(row, col)])
        elif kind == "mousemove" and self._stroke is not None:
            if not int(event.get("buttons", 0)) & 1:
                self._end_stroke()                   # released outside the picture: the move back ends it
            elif inside:
                self._paint_stroke(stroke_pixels(self._stroke[1:], (row, col)))
                self._stroke = (self._stroke[0], row, col)
        elif kind in ("mouseup", "mouseleave") and self._stroke is not None:
            self._end_stroke()

    def _paint_stroke(self, pixels: list[tuple[int, int]]) -> None:
        """Set ``pixels`` to the stroke's value and redraw the picker alone (the completions wait for the stroke)."""
        w = IMAGE_SHAPE[1]
        for r, c in pixels:
            self.observed[r * w + c] = self._stroke[0]
        index = self.controls["digit"].value
        if self._picker_layers[0] == index:           # else the digit is not shown (a bad index): nothing to redraw
            self.picker_image.value = render_picker(self.digits[index], self.observed, layers=self._picker_layers[1])

    def _end_stroke(self) -> None:
        self._stroke = None
        self.set_observed(self.observed)

    def click(self, row: int, col: int) -> None:
        """Toggle whether pixel ``(row, col)`` is observed (the preset becomes "custom") and redraw."""
        h, w = IMAGE_SHAPE
        if not (0 <= row < h and 0 <= col < w):
            return                                  # a click on the picture's edge, outside the pixels
        observed = self.observed.copy()
        observed[row * w + col] = not observed[row * w + col]
        self.set_observed(observed)

    def set_observed(self, observed) -> None:
        """Use the bool ``(784,)`` set ``observed`` (the preset becomes "custom") and redraw."""
        self.observed = np.asarray(observed, dtype=bool).reshape(-1).copy()
        self._syncing = True
        try:
            self.controls["preset"].value = CUSTOM
        finally:
            self._syncing = False
        self.update()

    # -- update
    def update(self) -> SamplingExplorerState:
        """Recompute from the controls and redraw the current mode; returns the new :attr:`state`."""
        start = time.perf_counter()
        settings = {name: w.value for name, w in self.controls.items() if name != "play"}
        mode = settings["mode"]
        self.sampling_panel.layout.display = None if mode == "sampling" else "none"
        self.completion_panel.layout.display = None if mode == "completion" else "none"
        self.controls["fraction"].disabled = settings["preset"] != "random fraction"
        try:
            state = self._sampling(settings) if mode == "sampling" else self._completion(settings)
        except Exception as exc:  # noqa: BLE001 - any failure is one line in the widget, never a traceback
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if not isinstance(exc, (ValueError, TypeError)):
                text = f"{type(exc).__name__}: {text}"
            return self._show_error(mode, settings, text, start)
        self.message.value, self.message.layout.display = "", "none"
        for view in (self.sampling_views, self.completion_status, self.completion_results):
            view.layout.display = None
        state.update_seconds = time.perf_counter() - start
        self.state = state
        return state

    def _sampling(self, settings: dict) -> SamplingExplorerState:
        name, seed, step = settings["sampling_model"], settings["seed"], settings["step"]
        check_seed("seed", seed, type_error=ValueError)
        model = self.model(name)
        key = (name, seed)
        if key not in self._traces:
            if len(self._traces) >= 16:
                self._traces.clear()
            self._traces[key] = sampling_trace(model, seed)
        trace = self._traces[key]
        D = len(trace.ordering)
        self.sample_image.value = render_step(trace, step)
        self.ordering_image.value = render_ordering(trace.ordering, step)
        if step < D:
            pixel, p = int(trace.ordering[step]), float(trace.probs[step])
            r, col = divmod(pixel, IMAGE_SHAPE[1])
            line = (f"Step d = {step} of {D}: next pixel x<sub>{pixel}</sub> (row {r}, column {col}), "
                    f"<b>p(x = 1 | the {step} pixels drawn before) = {p:.3f}</b>; the sampler draws "
                    f"{int(trace.sample[pixel])}.")
        else:
            pixel = p = None
            line = f"All {D} pixels drawn: the digit <code>model.sample(1, seed={seed})</code> gives."
        self.sampling_status.value = (
            f"<div class='made-sampling-status-text'>{line}<br>log p of the {step} pixels drawn so far: "
            f"{trace.log_prob(step):.1f} nats (mask {model.current_mask} of {name})</div>")
        return SamplingExplorerState(mode="sampling", settings=settings, step=step, trace=trace, next_pixel=pixel,
                                     next_probability=p)

    def _completion(self, settings: dict) -> SamplingExplorerState:
        name, index = settings["completion_model"], settings["digit"]
        digits = self.digits
        check_int("test digit", index, 0, len(digits) - 1)
        check_seed("seed", settings["completion_seed"], type_error=ValueError)
        model = self.model(name)
        observed, digit = self.observed, digits[index]
        if self._picker_layers[0] != index:
            self._picker_layers = (index, picker_layers(digit))
        self.picker_image.value = render_picker(digit, observed, layers=self._picker_layers[1])
        n_obs = int(observed.sum())
        if n_obs == 0:
            raise ValueError("no pixel is observed: choose a preset or click pixels to give the model something "
                             "to condition on")
        if n_obs == observed.size:
            raise ValueError(f"all {observed.size} pixels are observed: nothing is left to complete; "
                             "click pixels to hide some")
        n, seed, force = settings["num_completions"], settings["completion_seed"], settings["force"]
        completions, log_obs, log_rest = cond.complete_and_score(model, digit, observed, n, seed=seed, force=force)
        self.completions_image.value = _png(completion_canvas(digit[None], completions, observed), STRIP_SCALE)
        self.completion_status.value = (
            f"<div class='made-completion-status-text'>{n_obs} of {observed.size} pixels observed "
            f"({settings['preset']}); test digit {index}; {n} completions, seed {seed}.<br>"
            f"<b>log q(observed pixels) = {log_obs:.2f} nats</b> (exact: the observed pixels come first in the "
            f"ordering); log q(the digit's other pixels | observed) = {log_rest:.2f} nats</div>")
        return SamplingExplorerState(mode="completion", settings=settings, observed=observed.copy(),
                                     completions=completions, log_likelihood_observed=log_obs,
                                     log_likelihood_rest=log_rest)

    def _show_error(self, mode: str, settings: dict, text: str, start: float) -> SamplingExplorerState:
        self.message.value = ("<div style='border:1px solid #c62828;background:#fdecea;color:#8e0000;"
                              "padding:6px 10px;border-radius:4px'><span class='made-message-text'>"
                              f"{html.escape(text)}</span></div>")
        self.message.layout.display = None
        for view in [self.sampling_views] if mode == "sampling" else [self.completion_status, self.completion_results]:
            view.layout.display = "none"
        self.state = SamplingExplorerState(mode=mode, settings=settings, error=text,
                                           observed=None if mode == "sampling" else self.observed.copy(),
                                           update_seconds=time.perf_counter() - start)
        return self.state


def sampling_explorer(results_dir: str | Path = "results", models: Mapping | None = None, digits=None,
                      **settings) -> SamplingExplorer:
    """Build a :class:`SamplingExplorer` (keyword ``settings``: its initial control values); as the last line of a
    cell it displays itself."""
    return SamplingExplorer(results_dir, models, digits, **settings)
