"""plotting.plot_network: the MADE network picture of notebook 04 (units labelled with their degrees)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from made_helpers.core import masks as mk
from made_helpers.core.plotting import plot_network


def test_degree_labels_of_faded_units_stay_readable():
    """With a highlighted output, units off its paths are faded, but every degree label is drawn opaque."""
    degrees = mk.make_degrees(6, [8, 8], seed=0)
    fig = plot_network(degrees, mk.make_masks(degrees), highlight_output=3)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text().isdigit()]
    assert len(labels) == 6 + 8 + 8 + 6                                    # one per unit
    assert all(t.get_alpha() in (None, 1.0) for t in labels)
    faces = np.concatenate([c.get_facecolors() for c in ax.collections if len(c.get_facecolors()) > 1
                            and c.get_sizes().size])
    assert np.all(faces[:, 3] == 1.0)                                      # opaque units: no lines through labels
    plt.close(fig)
