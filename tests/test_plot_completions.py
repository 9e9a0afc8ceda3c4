"""plotting.plot_completions: the completion figure of notebook 06 (originals, then completions)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from made_helpers.core.plotting import plot_completions


def test_layout_colours_and_labels():
    rng = np.random.default_rng(0)
    originals = (rng.random((2, 12)) < 0.5).astype("float32")
    completed = np.repeat(originals, 3, axis=0)
    observed = np.zeros(12, dtype=bool)
    observed[:6] = True
    fig = plot_completions(originals, completed, observed, title="t", image_shape=(3, 4))
    ax = fig.axes[0]
    canvas = ax.images[0].get_array()
    # 2 rows of 3-pixel tiles with a 2-pixel gap; original (4) + 6 + 3 tiles of 4 with 2-pixel gaps
    assert canvas.shape == (2 * 3 + 2, 4 + 6 + 3 * 4 + 2 * 2, 3)
    np.testing.assert_allclose(canvas[:3, :4, 0], 1 - originals[0].reshape(3, 4))   # original: black on white
    tile = canvas[:3, 10:14]                                   # first completion of digit 0
    assert np.allclose(tile[:1], tile[:1, :, :1])              # observed rows: grey levels (R = G = B)
    assert not np.allclose(tile[2], tile[2, :, :1])            # sampled rows: coloured
    assert ax.get_title() == "t" and "3 completions" in ax.get_xlabel() and "2 digits" in ax.get_ylabel()
    plt.close(fig)


def test_colour_key_names_the_colours_the_canvas_uses():
    """The legend gives each of the four pixel colours of the canvas a label: given/sampled, on/off."""
    originals = np.array([[1, 0, 1, 0]], dtype="float32")
    completed = np.array([[1, 0, 1, 0]], dtype="float32")
    observed = np.array([True, True, False, False])
    fig = plot_completions(originals, completed, observed, title="t", image_shape=(2, 2))
    ax = fig.axes[0]
    tile = ax.images[0].get_array()[:, -2:].reshape(4, 3)               # the completion: given 1, 0; sampled 1, 0
    legend = ax.get_legend()
    key = {text.get_text(): tuple(patch.get_facecolor()[:3])
           for text, patch in zip(legend.get_texts(), legend.get_patches())}
    assert list(key) == ["given pixel, on (1)", "given pixel, off (0)", "sampled pixel, on (1)",
                         "sampled pixel, off (0)"]
    np.testing.assert_allclose(np.array(list(key.values())), tile, atol=1e-6)
    assert len({tuple(np.round(c, 3)) for c in key.values()}) == 4                     # four distinct colours
    plt.close(fig)


def test_per_completion_observed_sets_and_given_axes():
    originals = np.zeros((1, 4), dtype="float32")
    completed = np.ones((2, 4), dtype="float32")
    observed = np.array([[True, False, False, False], [False, False, False, True]])
    fig, ax = plt.subplots()
    assert plot_completions(originals, completed, observed, title="t", image_shape=(2, 2), ax=ax) is fig
    plt.close(fig)


@pytest.mark.parametrize("originals, completed", [
    (np.zeros((2, 4)), np.zeros((3, 4))),          # 3 completions for 2 originals
    (np.zeros((2, 4)), np.zeros((0, 4))),          # none
    (np.zeros((1, 5)), np.zeros((1, 5))),          # not H*W wide
    (np.zeros(4), np.zeros((1, 4))),               # not 2-D
])
def test_bad_shapes(originals, completed):
    with pytest.raises(ValueError):
        plot_completions(originals, completed, np.ones(4, bool), title="t", image_shape=(2, 2))
