"""The mask explorer (made_helpers.core.widgets) and its figures, checked against made_helpers.core.masks and MADE."""

from __future__ import annotations

import html
import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from made_helpers.checks import derived_seed
from made_helpers.core import masks as mk
from made_helpers.core import plotting
from made_helpers.core.model import MADE
from made_helpers.core.widgets import MaskExplorer, explorer_mask_set, mask_explorer, parse_hidden_sizes


def expected(settings: dict):
    """Degrees, masks, direct mask and connectivity computed straight from made_helpers.core.masks."""
    sizes = [int(s) for s in re.split(r"[,\s]+", settings["hidden_sizes"].strip()) if s]
    degrees = mk.make_degrees(settings["input_dim"], sizes, settings["ordering"],
                              settings["hidden_degrees"],
                              seed=derived_seed(settings["seed"], settings["mask_index"]))
    masks = mk.make_masks(degrees)
    direct = mk.direct_mask(degrees[0]) if settings["direct"] else None
    return degrees, masks, direct, mk.connectivity(masks, direct)


def assert_shows(ex: MaskExplorer):
    """The explorer's state and displayed degree table equal what made_helpers.core.masks computes."""
    st = ex.state
    assert st.error is None, st.error
    assert st.settings == {name: w.value for name, w in ex.controls.items()}
    degrees, masks, direct, conn = expected(st.settings)
    assert len(st.degrees) == len(degrees)
    for got, want in zip(st.degrees, degrees):
        np.testing.assert_array_equal(got, want)
    assert len(st.masks) == len(masks)
    for got, want in zip(st.masks, masks):
        np.testing.assert_array_equal(got, want)
    if direct is None:
        assert st.direct_mask is None
    else:
        np.testing.assert_array_equal(st.direct_mask, direct)
    np.testing.assert_array_equal(st.connectivity, conn)
    assert mk.is_autoregressive(st.connectivity, st.degrees[0])
    # the degree table in the widget lists each layer, outputs carrying the input degrees
    rows = re.findall(r"data-layer='(\d+)'[^>]*>([^<]*)<", ex.degrees_view.value)
    shown = [np.array(text.split(), dtype=int) for _, text in rows]
    for got, want in zip(shown, [*degrees, degrees[0]]):
        np.testing.assert_array_equal(got, want)
    assert len(shown) == len(degrees) + 1
    assert ex.network_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.matrices_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.message.layout.display == "none"
    assert ex.views.layout.display != "none"


@pytest.fixture
def explorer():
    return mask_explorer(input_dim=5, hidden_sizes=[6, 6], seed=3)


def test_default_state_matches_masks(explorer):
    assert_shows(explorer)
    assert set(explorer.controls) == {"input_dim", "hidden_sizes", "ordering", "hidden_degrees", "seed",
                                      "direct", "num_masks", "mask_index", "highlight"}
    assert explorer.controls["hidden_sizes"].value == "6, 6"
    assert "x0 → x1 → x2 → x3 → x4" in explorer.status.value


# (control, new value): every control, each changing what is drawn
CHANGES = [
    ("input_dim", 7),
    ("hidden_sizes", "4, 9, 3"),
    ("ordering", "reversed"),
    ("ordering", "random"),
    ("hidden_degrees", "equal"),
    ("seed", 12345),
    ("direct", False),
    ("mask_index", 2),
    ("highlight", 3),
]


@pytest.mark.parametrize("name,value", CHANGES, ids=[f"{n}={v}" for n, v in CHANGES])
def test_each_control_updates_state_and_views(explorer, name, value):
    explorer.controls["num_masks"].value = 4  # so that mask k=2 exists
    assert_shows(explorer)
    before = (explorer.network_image.value, explorer.matrices_image.value, explorer.degrees_view.value)
    explorer.controls[name].value = value
    assert explorer.state.settings[name] == value
    assert_shows(explorer)
    network, matrices, degrees_html = (explorer.network_image.value, explorer.matrices_image.value,
                                       explorer.degrees_view.value)
    assert network != before[0], f"changing {name} did not redraw the network"
    if name != "direct":  # the direct connections are drawn in the network only
        assert matrices != before[1], f"changing {name} did not redraw the matrices"
    if name in ("input_dim", "hidden_sizes", "ordering", "hidden_degrees", "seed", "mask_index"):
        assert degrees_html != before[2]


@pytest.mark.slow
def test_every_ordering_and_scheme_combination():
    for ordering, scheme, direct in itertools.product(["natural", "reversed", "random"],
                                                      ["random", "equal"], [True, False]):
        ex = mask_explorer(input_dim=4, hidden_sizes="3", ordering=ordering, hidden_degrees=scheme,
                           direct=direct, seed=0)
        assert (ex.controls["ordering"].value, ex.controls["hidden_degrees"].value,
                ex.controls["direct"].value) == (ordering, scheme, direct)
        assert_shows(ex)


def test_num_masks_bounds_the_mask_index(explorer):
    c = explorer.controls
    assert c["mask_index"].disabled and c["mask_index"].max == 0
    network = explorer.network_image.value
    c["num_masks"].value = 5
    assert c["mask_index"].max == 4 and not c["mask_index"].disabled
    assert "Mask k=0 of K=5" in explorer.status.value
    assert explorer.network_image.value is network  # K alone changes no picture: not redrawn
    c["mask_index"].value = 4
    assert_shows(explorer)
    assert "Mask k=4 of K=5" in explorer.status.value
    c["num_masks"].value = 2  # k=4 no longer exists: falls back to the last mask
    assert c["mask_index"].value == 1 and c["mask_index"].max == 1
    assert_shows(explorer)
    assert "Mask k=1 of K=2" in explorer.status.value


@pytest.mark.parametrize("ordering,hidden_degrees,direct", [("random", "random", True),
                                                            ("natural", "equal", False),
                                                            ("reversed", "random", True)])
def test_explorer_agrees_with_the_model(ordering, hidden_degrees, direct):
    D, sizes, seed, K = 5, [7, 6], 11, 3
    model = MADE(D, sizes, num_masks=K, ordering=ordering, hidden_degrees=hidden_degrees,
                 direct=direct, seed=seed)
    ex = mask_explorer(input_dim=D, hidden_sizes=sizes, ordering=ordering, hidden_degrees=hidden_degrees,
                       seed=seed, direct=direct, num_masks=K)
    orders = set()
    for k in range(K):
        model.set_mask(k)
        ex.controls["mask_index"].value = k
        assert ex.state.error is None
        for got, want in zip(ex.state.degrees, model.degrees):
            np.testing.assert_array_equal(got, want)
        for got, want in zip(ex.state.masks, model.masks):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(ex.state.connectivity, model.connectivity())
        orders.add(tuple(model.ordering.tolist()))
    if ordering == "random":
        assert len(orders) > 1, "random ordering should differ between masks for this seed"


def test_highlight_reports_the_inputs_an_output_sees(explorer):
    explorer.controls["ordering"].value = "random"
    conn = explorer.state.connectivity
    deg = explorer.state.degrees[0]
    for j in range(5):
        explorer.controls["highlight"].value = j
        assert explorer.state.highlight == j
        seen = ", ".join(f"x{i}" for i in np.nonzero(conn[:, j])[0]) or "no input"
        assert f"Output x̂{j} (degree {deg[j]}) may see {seen} (" in explorer.status.value
    explorer.controls["highlight"].value = "none"
    assert explorer.state.highlight is None and "may see" not in explorer.status.value


@pytest.mark.slow
def test_highlight_choices_follow_input_dim(explorer):
    c = explorer.controls
    assert [v for _, v in c["highlight"].options] == ["none", 0, 1, 2, 3, 4]
    c["highlight"].value = 4
    c["input_dim"].value = 3  # output 4 is gone
    assert [v for _, v in c["highlight"].options] == ["none", 0, 1, 2]
    assert c["highlight"].value == "none"
    c["highlight"].value = 1
    c["input_dim"].value = 6  # output 1 still exists: kept
    assert c["highlight"].value == 1 and explorer.state.highlight == 1
    assert_shows(explorer)


BAD = [
    ("input_dim", 1, "input_dim must be an integer >= 2 (at least 2"),
    ("hidden_sizes", "6, 0", "hidden layer 2 has width 0"),
    ("hidden_sizes", "6, -2", "hidden layer 2 has width -2"),
    ("hidden_sizes", "6, x", "'x' is not a whole number"),
    ("hidden_sizes", "  ", "none given"),
    ("hidden_sizes", "6, 65", "at most 64 units"),
    ("hidden_sizes", "2, 2, 2, 2, 2, 2", "at most 5"),
    ("seed", -1, "seed must be an integer in 0..4294967295, got -1"),
]


@pytest.mark.parametrize("name,value,text", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_settings_show_a_message_and_stay_usable(explorer, name, value, text):
    good = explorer.controls[name].value
    explorer.controls[name].value = value
    st = explorer.state
    assert st.error is not None and text in st.error
    assert st.degrees is None and st.masks is None and st.connectivity is None
    assert explorer.message.layout.display != "none"
    assert html.escape(text) in explorer.message.value and "Traceback" not in explorer.message.value
    assert explorer.views.layout.display == "none"
    # other controls still work while the message is shown, and fixing the value recovers
    explorer.controls["ordering"].value = "reversed"
    assert explorer.state.error is not None
    explorer.controls[name].value = good
    assert_shows(explorer)
    np.testing.assert_array_equal(explorer.state.degrees[0], np.arange(5, 0, -1))


def test_constructor_rejects_values_the_controls_cannot_hold():
    with pytest.raises(ValueError, match=r"input_dim must be an integer in 1\.\.\d+ \(the explorer's control .*got 50"):
        MaskExplorer(input_dim=50)
    with pytest.raises(ValueError, match="ordering"):
        MaskExplorer(ordering="sideways")
    with pytest.raises(ValueError, match=r"mask_index must be an integer in 0\.\.1 .*got 3"):
        MaskExplorer(num_masks=2, mask_index=3)
    with pytest.raises(TypeError, match="hidden_sizes"):
        MaskExplorer(hidden_sizes=8)
    with pytest.raises(TypeError, match="seed"):
        MaskExplorer(seed=1.5)
    # a width of 0 is representable in the text box: the widget shows the message instead
    ex = MaskExplorer(input_dim=4, hidden_sizes=[3, 0])
    assert "hidden layer 2 has width 0" in ex.state.error


def test_displays_as_the_widget(explorer):
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.widget.model_id
    assert "made-mask-explorer" in explorer.widget._dom_classes


def test_parse_hidden_sizes():
    assert parse_hidden_sizes("8, 8") == [8, 8]
    assert parse_hidden_sizes("[4 5;6]") == [4, 5, 6]
    assert parse_hidden_sizes(" 12 ") == [12]
    for text, match in [("", "none given"), ("8, 0", "width 0"), ("8.5", "not a whole number"),
                        ("a", "not a whole number")]:
        with pytest.raises(ValueError, match=match):
            parse_hidden_sizes(text)
    with pytest.raises(TypeError):
        parse_hidden_sizes([8, 8])


def test_explorer_mask_set_validates():
    with pytest.raises(ValueError, match="at least 2"):
        explorer_mask_set(1, [3])
    with pytest.raises(ValueError, match="ordering"):
        explorer_mask_set(4, [3], ordering="sideways")
    with pytest.raises(TypeError, match="seed"):
        explorer_mask_set(4, [3], seed=1.5)
    with pytest.raises(ValueError, match="mask index"):
        explorer_mask_set(4, [3], mask_index=-1)


# ------------------------------------------------------------------ figures
def _path_counts(masks, j):
    """Number of input->output-j paths through each connection, by products of 0/1 matrices."""
    ms = [(np.asarray(m) > 0).astype(np.int64) for m in masks]
    into = [np.ones(ms[0].shape[0], dtype=np.int64)]  # paths from any input into each unit
    for m in ms:
        into.append(into[-1] @ m)
    out = [np.eye(ms[-1].shape[1], dtype=np.int64)[:, j]]  # paths from each unit to output j
    for m in reversed(ms):
        out.insert(0, m @ out[0])
    return [into[l][:, None] * m * out[l + 1][None, :] for l, m in enumerate(ms)]


@pytest.mark.parametrize("case", range(6))
def test_paths_to_output_matches_path_counting(case):
    rng = np.random.default_rng(case)
    D = int(rng.integers(2, 8))
    sizes = [int(h) for h in rng.integers(1, 9, size=int(rng.integers(1, 4)))]
    degrees = mk.make_degrees(D, sizes, "random", "random", seed=case)
    masks = mk.make_masks(degrees)
    direct = mk.direct_mask(degrees[0])
    for j in range(D):
        edges, direct_edges = plotting.paths_to_output(masks, j, direct)
        for e, count in zip(edges, _path_counts(masks, j)):
            np.testing.assert_array_equal(e, count > 0)
        np.testing.assert_array_equal(direct_edges, direct[:, j] > 0)
        np.testing.assert_array_equal(plotting.connectivity_column(masks, j, direct),
                                      mk.connectivity(masks, direct)[:, j])
        np.testing.assert_array_equal(plotting.connectivity_column(masks, j),
                                      mk.connectivity(masks)[:, j])
    with pytest.raises(ValueError, match="output"):
        plotting.paths_to_output(masks, D)


def test_figure_functions_draw_and_label():
    degrees = mk.make_degrees(5, [6, 4], "random", seed=1)
    masks = mk.make_masks(degrees)
    direct = mk.direct_mask(degrees[0])
    try:
        fig = plotting.plot_network(degrees, masks, direct, highlight_output=2)
        ax = fig.axes[0]
        texts = [t.get_text() for t in ax.texts]
        assert texts.count("outputs") == 1 and "hidden 2" in texts
        assert "x̂2" in texts and "x4" in texts
        # one degree label per unit: inputs, hidden layers, outputs
        digits = sorted(t for t in texts if t.isdigit())
        want = sorted(str(int(d)) for d in np.concatenate([*degrees, degrees[0]]))
        assert digits == want
        fig = plotting.plot_masks(masks, degrees, highlight_output=2)
        assert len(fig.axes) == 3
        for ax, m in zip(fig.axes, masks):
            assert ax.images[0].get_array().shape == m.shape
        conn = mk.connectivity(masks, direct)
        fig = plotting.plot_connectivity(conn, degrees[0], highlight_output=2)
        assert f"{int(conn.sum())} of 10 possible" in fig.axes[0].get_title()
        with pytest.raises(ValueError, match="square"):
            plotting.plot_connectivity(np.zeros((2, 3)))
        with pytest.raises(ValueError, match="one mask per layer"):
            plotting.plot_network(degrees, masks[:-1])
    finally:
        plt.close("all")
