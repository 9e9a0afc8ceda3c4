"""made_helpers.notebook_setup: the one setup every notebook of the series calls."""

from __future__ import annotations

import importlib

import numpy as np
import pytest


@pytest.fixture
def ns():
    from made_helpers import notebook_setup

    return importlib.reload(notebook_setup)      # a fresh clock for each test


@pytest.mark.parametrize("value, quick", [("1", True), ("0", False), ("", False), (None, False)])
def test_quick_flag_comes_from_MADE_QUICK_as_before(ns, monkeypatch, value, quick, capsys):
    if value is None:
        monkeypatch.delenv("MADE_QUICK", raising=False)
    else:
        monkeypatch.setenv("MADE_QUICK", value)
    QUICK, SEED, rng = ns.setup(seed=3)
    assert (QUICK, SEED) == (quick, 3) and isinstance(rng, np.random.Generator)
    out = capsys.readouterr().out
    assert ("mode: quick" in out) == quick and "mode: full" not in out and "Keras" in out


def test_seeds_numpy_and_the_returned_generator(ns, monkeypatch):
    monkeypatch.delenv("MADE_QUICK", raising=False)
    _, _, rng = ns.setup(seed=5)
    first = (np.random.rand(), rng.random())
    _, _, rng = ns.setup(seed=5)
    assert (np.random.rand(), rng.random()) == first


def test_figure_defaults_and_print_precision(ns):
    import matplotlib.pyplot as plt

    options = np.get_printoptions()
    with plt.rc_context():                        # restores the figure defaults of the other tests
        ns.setup(figure={"figure.figsize": (6, 3.5)}, print_precision=3)
        assert plt.rcParams["figure.dpi"] == 80 and tuple(plt.rcParams["figure.figsize"]) == (6, 3.5)
        assert np.get_printoptions()["precision"] == 3
    np.set_printoptions(**options)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed_is_one_clear_error(ns, seed):
    with pytest.raises(ValueError, match=r"seed must be an integer in 0\.\."):
        ns.setup(seed=seed)


def test_running_time_needs_setup_and_formats_minutes(ns, monkeypatch):
    with pytest.raises(RuntimeError, match="setup"):
        ns.running_time()
    ns.setup()
    assert ns.running_time().endswith(" s")
    monkeypatch.setattr(ns, "_started", ns.time.perf_counter() - 125)
    assert ns.running_time() == "2 min 5 s"
