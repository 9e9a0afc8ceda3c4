"""The sampling and completion explorer (made_helpers.experiments.sampling_explorer), checked against MADE.sample and
conditioning.complete_any on the same seeds."""

from __future__ import annotations

import html
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROCESS_ENV, ROOT

from made_helpers import MADE
from made_helpers.core import conditioning as cond
from made_helpers.core.enumeration import sharpen_weights
from made_helpers.data import load_fallback_subset
from made_helpers.experiments.sampling_explorer import (
    CUSTOM,
    SCALE,
    SamplingExplorer,
    best_by_validation,
    committed_models,
    sampling_explorer,
)

D = 784
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def models():
    """Small sharpened MADEs of 28×28 images: one ordering, and four random orderings (order-agnostic)."""
    return {"one ordering": sharpen_weights(MADE(D, [48], ordering="random", seed=1), scale=2.0, seed=1),
            "four orderings": sharpen_weights(MADE(D, [48], num_masks=4, ordering="random", seed=2),
                                              scale=2.0, seed=2)}


@pytest.fixture(scope="module")
def digits():
    return load_fallback_subset("test", verbose=False)[:20]


@pytest.fixture
def explorer(models, digits):
    return sampling_explorer(models=models, digits=digits, sampling_model="one ordering",
                             completion_model="four orderings", seed=3)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def assert_sampling_state(ex: SamplingExplorer, model: MADE, seed: int, step: int):
    """The state agrees with MADE.sample(1, seed) and with one forward pass on the partial image at ``step``."""
    st = ex.state
    assert st.error is None, st.error
    assert st.mode == "sampling" and st.step == step == ex.controls["step"].value
    np.testing.assert_array_equal(st.trace.sample, model.sample(1, seed=seed)[0])
    np.testing.assert_array_equal(st.trace.ordering, model.ordering)
    partial = st.trace.partial(step)
    drawn = model.ordering[:step]
    np.testing.assert_array_equal(partial[drawn], st.trace.sample[drawn])
    assert not partial[model.ordering[step:]].any()
    if step < D:
        assert st.next_pixel == model.ordering[step]
        p = sigmoid(np.asarray(model(partial[None]))[0, st.next_pixel])       # one pass on the partial image
        np.testing.assert_allclose(st.next_probability, p, rtol=1e-5, atol=1e-6)
        assert f"p(x = 1 | the {step} pixels drawn before) = {p:.3f}" in ex.sampling_status.value
    else:
        assert st.next_pixel is None and st.next_probability is None
    assert ex.sample_image.value[:8] == PNG and ex.ordering_image.value[:8] == PNG
    assert ex.message.layout.display == "none" and ex.sampling_views.layout.display != "none"


def test_sampling_view_starts_at_step_zero(explorer, models):
    assert_sampling_state(explorer, models["one ordering"], seed=3, step=0)
    assert explorer.sampling_panel.layout.display != "none"
    assert explorer.completion_panel.layout.display == "none"
    assert "made-sampling-explorer" in explorer.widget._dom_classes


def test_step_slider_draws_the_prefix_of_the_models_sample(explorer, models):
    images = {explorer.sample_image.value}
    for step in (1, 57, 400, D - 1, D):
        explorer.controls["step"].value = step
        assert_sampling_state(explorer, models["one ordering"], seed=3, step=step)
        images.add(explorer.sample_image.value)
    assert len(images) == 6, "every step should redraw the picture"
    assert "All 784 pixels drawn" in explorer.sampling_status.value
    # the running log-probability at the end is the model's log p of the sample
    final = explorer.state.trace
    np.testing.assert_allclose(final.log_prob(D), models["one ordering"].log_prob(final.sample[None])[0], atol=1e-2)


def test_seed_gives_the_digit_of_made_sample(explorer, models):
    explorer.controls["step"].value = 200
    before = explorer.state.trace.sample
    explorer.controls["seed"].value = 11
    assert_sampling_state(explorer, models["one ordering"], seed=11, step=200)
    assert not np.array_equal(before, explorer.state.trace.sample)


def test_play_and_step_buttons_move_the_step(explorer, models):
    c = explorer.controls
    c["play"].value = 10                          # what the play button does as it runs
    assert c["step"].value == 10
    assert_sampling_state(explorer, models["one ordering"], seed=3, step=10)
    explorer.forward_button.click()
    assert_sampling_state(explorer, models["one ordering"], seed=3, step=11)
    explorer.back_button.click()
    explorer.back_button.click()
    assert explorer.state.step == 9 and c["play"].value == 9
    c["step"].value = 0
    explorer.back_button.click()                  # stays at 0
    assert explorer.state.step == 0


def test_sampling_with_a_model_of_several_masks_uses_its_current_mask(explorer, models):
    explorer.controls["sampling_model"].value = "four orderings"
    explorer.controls["step"].value = 5
    assert_sampling_state(explorer, models["four orderings"], seed=3, step=5)


def completion_of(ex: SamplingExplorer, model: MADE, digits, force: bool = False):
    """What complete_any and observed_log_likelihood give for the explorer's settings."""
    c = ex.controls
    digit = digits[c["digit"].value]
    want = cond.complete_any(model, np.repeat(digit[None], c["num_completions"].value, axis=0), ex.state.observed,
                             seed=c["completion_seed"].value, force=force)
    return digit, want, cond.observed_log_likelihood(model, digit, ex.state.observed, force=force)


def assert_completion_state(ex: SamplingExplorer, model: MADE, digits, observed, force: bool = False):
    st = ex.state
    assert st.error is None, st.error
    assert st.mode == "completion"
    np.testing.assert_array_equal(st.observed, observed)
    digit, want, (log_obs, log_rest) = completion_of(ex, model, digits, force)
    np.testing.assert_array_equal(st.completions, want)
    assert (st.completions[:, observed] == digit[observed]).all()          # given pixels kept
    np.testing.assert_allclose([st.log_likelihood_observed, st.log_likelihood_rest], [log_obs, log_rest], atol=1e-4)
    assert f"log q(observed pixels) = {log_obs:.2f} nats" in ex.completion_status.value
    assert f"{int(observed.sum())} of 784 pixels observed" in ex.completion_status.value
    assert ex.picker_image.value[:8] == PNG and ex.completions_image.value[:8] == PNG
    assert ex.message.layout.display == "none" and ex.completion_results.layout.display != "none"


def test_completion_mode_completes_with_complete_any(explorer, models, digits):
    explorer.controls["mode"].value = "completion"
    assert explorer.sampling_panel.layout.display == "none"
    assert explorer.completion_panel.layout.display != "none"
    assert_completion_state(explorer, models["four orderings"], digits, cond.observed_preset("top half"))


@pytest.mark.parametrize("preset", ["left half", "centre", "random fraction"])
def test_each_preset_sets_the_observed_pixels(explorer, models, digits, preset):
    c = explorer.controls
    c["mode"].value = "completion"
    c["completion_seed"].value = 5
    c["preset"].value = preset
    assert c["fraction"].disabled == (preset != "random fraction")
    want = cond.observed_preset(preset, c["fraction"].value, 5)
    assert_completion_state(explorer, models["four orderings"], digits, want)
    if preset == "random fraction":
        c["fraction"].value = 0.6
        assert_completion_state(explorer, models["four orderings"], digits, cond.observed_preset(preset, 0.6, 5))


def test_digit_count_and_seed_controls(explorer, models, digits):
    c = explorer.controls
    c["mode"].value = "completion"
    first = explorer.completions_image.value
    for name, value in [("digit", 7), ("num_completions", 6), ("completion_seed", 42)]:
        c[name].value = value
        assert_completion_state(explorer, models["four orderings"], digits, cond.observed_preset("top half"))
        assert explorer.completions_image.value != first
        first = explorer.completions_image.value
    assert len(explorer.state.completions) == 6


def mouse(ex: SamplingExplorer, kind: str, y: int, x: int, buttons: int = 0, button: int = 0) -> None:
    """What ipyevents sends for a mouse event on the picker (``y``, ``x`` in the picture's pixels)."""
    ex._on_mouse_event({"type": kind, "dataX": x, "dataY": y, "buttons": buttons, "button": button})


def press(ex: SamplingExplorer, y: int, x: int) -> None:
    """A click: the button pressed and released at one place."""
    mouse(ex, "mousedown", y, x, buttons=1)
    mouse(ex, "mouseup", y, x)


def test_a_click_toggles_a_pixel(explorer, models, digits):
    explorer.controls["mode"].value = "completion"
    observed = cond.observed_preset("top half")
    picker, completions = explorer.picker_image.value, explorer.completions_image.value
    explorer.click(20, 5)                                      # a pixel of the bottom half becomes observed
    observed[20 * 28 + 5] = True
    assert explorer.controls["preset"].value == CUSTOM
    assert_completion_state(explorer, models["four orderings"], digits, observed)
    assert explorer.picker_image.value != picker and explorer.completions_image.value != completions
    # the browser's click, a press and a release: ipyevents gives the position in the picture's own pixels
    press(explorer, 20 * SCALE + 6, 5 * SCALE + 3)
    observed[20 * 28 + 5] = False
    assert_completion_state(explorer, models["four orderings"], digits, observed)
    press(explorer, 3, 28 * SCALE + 1)                          # beside the picture
    assert_completion_state(explorer, models["four orderings"], digits, observed)
    # a custom set survives the other controls
    explorer.controls["completion_seed"].value = 9
    assert_completion_state(explorer, models["four orderings"], digits, observed)


def test_a_click_switches_masks_once_and_runs_one_sampler_and_one_pass(explorer, models, digits, monkeypatch):
    """The completions and the observed log-likelihood share one mask switch (and one conditioning mask set);
    the digit's picker colours are made once per digit."""
    import made_helpers.experiments.sampling_explorer as se

    explorer.controls["mode"].value = "completion"
    model = models["four orderings"]
    calls: dict[str, int] = {}
    for obj, name in [(model, "assign_mask_set"), (model, "fill"), (model, "logits"),
                      (cond, "conditioning_mask_set"), (se, "picker_layers")]:
        real = getattr(obj, name)
        monkeypatch.setattr(obj, name, lambda *a, _real=real, _name=name, **k: (
            calls.__setitem__(_name, calls.get(_name, 0) + 1), _real(*a, **k))[1])
    observed = cond.observed_preset("top half")
    for row, col in [(20, 5), (21, 6), (22, 7)]:
        explorer.click(row, col)
        observed[row * 28 + col] = True
    assert calls == {"assign_mask_set": 3, "fill": 3, "logits": 3, "conditioning_mask_set": 3}
    monkeypatch.undo()
    assert_completion_state(explorer, model, digits, observed)         # the same draws as complete_any
    explorer.controls["digit"].value = 4
    assert_completion_state(explorer, model, digits, observed)


def test_dragging_with_the_button_held_paints_and_redraws_the_completions_once(explorer, models, digits,
                                                                                monkeypatch):
    explorer.controls["mode"].value = "completion"
    model = models["four orderings"]
    observed = cond.observed_preset("top half")
    runs = []
    real = model.fill
    monkeypatch.setattr(model, "fill", lambda *a: (runs.append(1), real(*a))[1])
    completions, picker = explorer.completions_image.value, explorer.picker_image.value
    mouse(explorer, "mousedown", 20 * SCALE + 2, 3 * SCALE + 2, buttons=1)      # (20, 3) was not observed: paint on
    mouse(explorer, "mousemove", 20 * SCALE + 5, 4 * SCALE + 1, buttons=1)
    mouse(explorer, "mousemove", 23 * SCALE + 5, 7 * SCALE + 1, buttons=1)      # a fast move: (21, 4)..(23, 7) too
    assert explorer.picker_image.value != picker, "the picker shows the stroke while it is painted"
    assert explorer.completions_image.value == completions and not runs, "completions wait for the release"
    mouse(explorer, "mouseup", 23 * SCALE + 5, 7 * SCALE + 1)
    assert len(runs) == 1
    painted = [(20, 3), (20, 4), (21, 5), (22, 6), (23, 7)]
    for r, c in painted:
        observed[r * 28 + c] = True
    assert explorer.controls["preset"].value == CUSTOM
    assert_completion_state(explorer, model, digits, observed)           # (runs complete_any itself)
    runs.clear()
    # a stroke that starts on an observed pixel rubs out; leaving the picture ends it
    mouse(explorer, "mousedown", 2 * SCALE, 2 * SCALE, buttons=1)
    mouse(explorer, "mousemove", 2 * SCALE, 4 * SCALE, buttons=1)
    mouse(explorer, "mouseleave", 2 * SCALE, 29 * SCALE, buttons=1)
    observed[2 * 28 + 2:2 * 28 + 5] = False
    assert len(runs) == 1
    assert_completion_state(explorer, model, digits, observed)
    runs.clear()
    # moving without the button, another button, or a move after the release paint nothing
    mouse(explorer, "mousemove", 25 * SCALE, 25 * SCALE)
    mouse(explorer, "mousedown", 25 * SCALE, 25 * SCALE, buttons=2, button=2)
    mouse(explorer, "mousemove", 25 * SCALE, 26 * SCALE, buttons=1)
    assert not runs
    assert_completion_state(explorer, model, digits, observed)
    runs.clear()
    # released outside the picture: the next move, with no button held, ends the stroke
    mouse(explorer, "mousedown", 25 * SCALE, 25 * SCALE, buttons=1)
    mouse(explorer, "mousemove", 26 * SCALE, 25 * SCALE)
    observed[25 * 28 + 25] = True
    assert len(runs) == 1
    assert_completion_state(explorer, model, digits, observed)


def test_stroke_pixels_is_a_line_without_gaps():
    from made_helpers.experiments.sampling_explorer import stroke_pixels

    assert stroke_pixels((3, 3), (3, 3)) == [(3, 3)]
    line = stroke_pixels((0, 0), (2, 6))
    assert line[0] == (0, 0) and line[-1] == (2, 6) and len(line) == 7
    assert all(max(abs(a - c), abs(b - d)) == 1 for (a, b), (c, d) in zip(line, line[1:]))


def assert_one_line_message(ex: SamplingExplorer, *needles: str):
    st = ex.state
    assert st.error is not None
    assert "\n" not in st.error and "Traceback" not in ex.message.value
    for needle in needles:
        assert needle in st.error, (needle, st.error)
    assert html.escape(st.error) in ex.message.value
    assert ex.message.layout.display != "none"


def test_bad_choices_give_one_line_and_the_widget_recovers(explorer, models, digits):
    c = explorer.controls
    c["mode"].value = "completion"
    explorer.clear_button.click()
    assert_one_line_message(explorer, "no pixel is observed")
    assert explorer.completion_results.layout.display == "none"
    assert explorer.picker_image.layout.display != "none"      # the picker stays: click a way out
    explorer.click(10, 10)
    want = np.zeros(D, bool)
    want[10 * 28 + 10] = True
    assert_completion_state(explorer, models["four orderings"], digits, want)
    c["preset"].value = "random fraction"
    c["fraction"].value = 1.0
    assert_one_line_message(explorer, "all 784 pixels are observed")
    c["fraction"].value = 0.0
    assert_one_line_message(explorer, "no pixel is observed")
    c["preset"].value = "top half"
    assert explorer.state.error is None
    # a model trained with one ordering cannot condition on the top half unless forced
    c["completion_model"].value = "one ordering"
    assert_one_line_message(explorer, "trained with a single ordering")
    c["force"].value = True
    assert_completion_state(explorer, models["one ordering"], digits, cond.observed_preset("top half"), force=True)


def test_a_model_of_another_size_gives_one_line(models, digits):
    small = {"D=16": MADE(16, [8], seed=0), **models}
    ex = sampling_explorer(models=small, digits=digits, sampling_model="D=16", completion_model="D=16")
    assert_one_line_message(ex, "model D=16 has D = 16 inputs", "28×28")
    assert ex.sampling_views.layout.display == "none"
    ex.controls["mode"].value = "completion"
    assert_one_line_message(ex, "model D=16 has D = 16 inputs")
    ex.controls["completion_model"].value = "four orderings"
    assert ex.state.error is None
    ex.controls["mode"].value = "sampling"
    assert "D = 16" in ex.state.error
    ex.controls["sampling_model"].value = "one ordering"
    assert_sampling_state(ex, models["one ordering"], seed=0, step=0)


def test_constructor_rejects_what_the_controls_cannot_hold(models, digits):
    for kwargs, match in [({"mode": "drawing"}, "mode"), ({"preset": "bottom"}, "preset"),
                          ({"num_completions": 0}, "num_completions"), ({"step": 785}, "step"),
                          ({"sampling_model": "nope"}, "sampling_model"), ({"seed": -1}, "seed")]:
        with pytest.raises(ValueError, match=match):
            sampling_explorer(models=models, digits=digits, **kwargs)
    with pytest.raises(ValueError, match="models is empty"):
        sampling_explorer(models={})


def test_defaults_are_the_best_committed_models_by_validation_nll():
    committed = committed_models(ROOT / "results")
    records = {p.stem: json.loads(p.read_text()) for p in (ROOT / "results").glob("*.json")}
    one_mask = [m.name for m in committed if records[m.name]["model"]["num_masks"] == 1]
    agnostic = [m.name for m in committed if m.order_agnostic]
    by_valid = lambda names: min(names, key=lambda n: records[n]["training"]["best_valid_nll"])  # noqa: E731
    assert best_by_validation(committed, one_mask=True) == by_valid(one_mask)
    assert best_by_validation(committed, one_mask=False) == by_valid(agnostic)
    assert all(records[n]["model"]["mask_kind"] == "full" and records[n]["model"]["ordering"] == "random"
               for n in agnostic)
    # the choice is by validation NLL, not test NLL: a record whose test NLL alone is best does not win
    fake = [m.__class__(m.name, m.path, m.num_masks, m.order_agnostic,
                        None if m.name == by_valid(one_mask) else m.best_valid_nll) for m in committed]
    assert best_by_validation(fake, one_mask=True) != by_valid(one_mask)
    with pytest.raises(ValueError, match="no committed order-agnostic model"):
        best_by_validation([m for m in committed if not m.order_agnostic], one_mask=False)


def test_models_given_as_files_are_loaded_once(models, digits, tmp_path):
    path = tmp_path / "one.keras"
    models["one ordering"].save(path)
    ex = sampling_explorer(models={"from file": path}, digits=digits, seed=3)
    assert ex.state.error is None, ex.state.error
    np.testing.assert_array_equal(ex.state.trace.sample, models["one ordering"].sample(1, seed=3)[0])
    assert ex.model("from file") is ex.model("from file")
    (tmp_path / "broken.keras").write_bytes(b"not a model")
    ex = sampling_explorer(models={"broken": tmp_path / "broken.keras"}, digits=digits)
    assert_one_line_message(ex)


FRESH_PROCESS = """
import sys
import numpy as np
from made_helpers.experiments.sampling_explorer import sampling_explorer
ex = sampling_explorer("results", digits=np.zeros((1, 784), np.float32), sampling_model=sys.argv[1])
assert ex.state.error is None, ex.state.error
ex.controls["mode"].value = "completion"
assert ex.state.error is None, ex.state.error
print(ex.controls["sampling_model"].value, ex.controls["completion_model"].value, ex.state.completions.shape)
"""


def test_a_fresh_process_builds_the_explorer_from_the_committed_models():
    """Keras loads a model file only once the MADE classes are registered: a process that imports nothing but
    the explorer must load the committed models (sampling: a small one-mask model, for speed; completion: the
    default order-agnostic one)."""
    small = "made_784-500-500-784_k1_random_drop0.2"
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS, small], cwd=ROOT, env=PROCESS_ENV,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    agnostic = best_by_validation(committed_models(ROOT / "results"), one_mask=False)
    assert done.stdout.split() == [small, agnostic, "(4,", "784)"]


def test_the_model_menu_names_each_model_by_what_it_is():
    """The menu shows architecture, ordering, regularisation and masks; never a file name."""
    committed = committed_models(ROOT / "results")
    assert committed
    for m in committed:
        assert m.name not in m.label and ".json" not in m.label and ".keras" not in m.label
        assert m.label.startswith("784-") and "ordering" in m.label and f"{m.num_masks} mask" in m.label
    labels = [m.label for m in committed]
    assert len(set(labels)) == len(labels)                      # no two menu entries read the same
