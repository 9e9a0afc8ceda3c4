"""Completion given any observed subset (made_helpers.core.conditioning.complete_any), checked exactly on D = 6;
``MADE.complete`` checks ``observed`` as ``complete_any`` does, and mask sets nest."""

from __future__ import annotations

import numpy as np
import pytest

from made_helpers import MADE
from made_helpers.core import masks as mk
from made_helpers.core.conditioning import (
    complete_and_score,
    complete_any,
    conditioning_mask_set,
    using_mask_set,
)
from made_helpers.core.enumeration import all_binary_vectors, sharpen_weights
from made_helpers.core.masks import observed_first_ordering

D = 6


@pytest.fixture(scope="module")
def model():
    """An order-agnostic MADE (4 random orderings) with sharp weights: a peaked distribution."""
    return sharpen_weights(MADE(D, [24, 24], num_masks=4, ordering="random", seed=5), scale=2.5, seed=1)


def test_observed_first_ordering_is_stable():
    obs = np.array([False, True, False, True])
    assert observed_first_ordering(obs, [2, 3, 0, 1]).tolist() == [3, 1, 2, 0]
    assert observed_first_ordering(obs, [3, 1, 0, 2]).tolist() == [3, 1, 0, 2]     # already a prefix


def test_mask_set_puts_observed_first_and_keeps_hidden_degrees(model):
    obs = np.array([False, True, False, False, True, True])
    for k in range(model.num_masks):
        ms = conditioning_mask_set(model, obs, mask=k)
        trained = model.mask_set(k)
        assert set(ms.ordering[:3].tolist()) == {1, 4, 5}
        for new, old in zip(ms.degrees[1:], trained.degrees[1:]):
            np.testing.assert_array_equal(new, old)
        conn = mk.connectivity(ms.masks, ms.direct_mask)
        assert mk.is_autoregressive(conn, ms.degrees[0])


def test_conditional_frequencies_match_enumeration(model):
    """Completion frequencies = p(unobserved | observed) from the model's own log_prob under that mask."""
    obs = np.array([True, False, False, True, False, True])
    x = np.array([1, 0, 0, 0, 0, 1], dtype="float32")
    ms = conditioning_mask_set(model, obs, mask=2)
    grid = all_binary_vectors(D)
    with using_mask_set(model, ms):
        log_p = model.log_prob(grid).astype(np.float64)
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-5)      # a distribution under the new ordering
    match = np.all(grid[:, obs] == x[obs], axis=1)
    cond = np.exp(log_p[match] - np.logaddexp.reduce(log_p[match]))  # (8,) p(x_u | x_o)
    assert cond.max() < 0.9                                            # not degenerate: the test has power
    n = 40_000
    completed = complete_any(model, np.tile(x, (n, 1)), obs, mask=2, seed=11)
    np.testing.assert_array_equal(completed[:, obs], np.tile(x[obs], (n, 1)))
    index = {tuple(v): i for i, v in enumerate(grid[match][:, ~obs].astype(int).tolist())}
    counts = np.bincount([index[tuple(r)] for r in completed[:, ~obs].astype(int).tolist()],
                         minlength=len(cond))
    freq = counts / n
    se = np.sqrt(cond * (1 - cond) / n)
    assert np.all(np.abs(freq - cond) < 5 * se + 1e-3), (freq, cond)
    assert model.current_mask == 0                                      # model left on its mask


def test_prefix_set_gives_the_same_draws_as_model_complete(model):
    model.set_mask(1)
    obs = np.zeros(D, dtype=bool)
    obs[model.ordering[:2]] = True
    x = np.tile(np.array([0, 1, 1, 0, 1, 0], dtype="float32"), (50, 1))
    np.testing.assert_array_equal(complete_any(model, x, obs, seed=3), model.complete(x, obs, seed=3))
    assert model.current_mask == 1
    model.set_mask(0)


def test_per_row_observed_sets(model):
    rng = np.random.default_rng(0)
    x = (rng.random((30, D)) < 0.5).astype("float32")
    obs = rng.random((30, D)) < 0.5
    out = complete_any(model, x, obs, seed=0)
    assert out.shape == x.shape and set(np.unique(out)) <= {0.0, 1.0}
    np.testing.assert_array_equal(out[obs], x[obs])
    np.testing.assert_array_equal(out, complete_any(model, x, obs, seed=0))   # reproducible
    one = complete_any(model, x[0], obs[0], seed=0)
    assert one.shape == (D,)


def test_single_ordering_model_refuses_a_non_prefix_set():
    model = MADE(D, [12], num_masks=1, seed=0)                          # natural ordering only
    obs = np.array([False, True, False, False, False, False])
    with pytest.raises(ValueError, match="single ordering") as refused:
        complete_any(model, np.zeros(D), obs)
    assert "notebook" not in str(refused.value)        # printed inside the notebooks: it sends the reader nowhere
    assert complete_any(model, np.zeros(D), obs, seed=0, force=True).shape == (D,)
    prefix = np.array([True, True, False, False, False, False])
    complete_any(model, np.zeros(D), prefix, seed=0)                    # a prefix is fine


@pytest.mark.parametrize("x, observed, kwargs, match", [
    (np.zeros(D), np.zeros(D + 1, bool), {}, "observed must have shape"),
    (np.zeros((2, D)), np.zeros((3, D), bool), {}, "observed must have shape"),
    (np.full(D, 0.5), np.zeros(D, bool), {}, "0"),
    (np.zeros(D), np.full(D, 0.3), {}, "boolean"),
    (np.zeros(D + 1), np.zeros(D, bool), {}, "width"),
    (np.zeros(D), np.zeros(D, bool), {"mask": 4}, "mask"),
    (np.zeros(D), np.zeros(D, bool), {"seed": -1}, "seed"),
])
def test_bad_input(model, x, observed, kwargs, match):
    with pytest.raises(ValueError, match=match):
        complete_any(model, x, observed, **kwargs)
    assert model.current_mask == 0


# --------------------------------------------------------------- observed_log_likelihood, observed_preset
@pytest.mark.parametrize("observed_pixels", [[1, 4], [0], [2, 3, 5, 0, 1]])
def test_observed_log_likelihood_is_the_marginal_of_the_observed_pixels(model, observed_pixels):
    from made_helpers.core.conditioning import observed_log_likelihood

    obs = np.isin(np.arange(D), observed_pixels)
    x = np.array([1, 0, 1, 1, 0, 1], dtype=np.float32)
    log_obs, log_rest = observed_log_likelihood(model, x, obs)
    ms = conditioning_mask_set(model, obs)
    with using_mask_set(model, ms):
        everything = all_binary_vectors(D)
        p = np.exp(model.log_prob(everything).astype(np.float64))
        joint = float(model.log_prob(x[None])[0])
    same = np.all(everything[:, obs] == x[obs], axis=1)
    np.testing.assert_allclose(log_obs, np.log(p[same].sum()), atol=1e-4)     # summed over the other pixels
    np.testing.assert_allclose(log_obs + log_rest, joint, atol=1e-4)


def test_observed_log_likelihood_refuses_a_batch(model):
    from made_helpers.core.conditioning import observed_log_likelihood

    with pytest.raises(ValueError, match="one observed set"):
        observed_log_likelihood(model, np.zeros(D), np.zeros((2, D), bool))


def test_observed_presets():
    from made_helpers.core.conditioning import OBSERVED_PRESETS, observed_preset, top_rows_observed

    assert OBSERVED_PRESETS == ("top half", "left half", "centre", "random fraction")
    np.testing.assert_array_equal(observed_preset("top half"), top_rows_observed(14))
    left = observed_preset("left half").reshape(28, 28)
    assert left[:, :14].all() and not left[:, 14:].any()
    centre = observed_preset("centre").reshape(28, 28)
    assert centre[7:21, 7:21].all() and centre.sum() == 196
    random = observed_preset("random fraction", 0.3, seed=4)
    np.testing.assert_array_equal(random, np.random.default_rng(4).random((28, 28)).ravel() < 0.3)
    assert not observed_preset("random fraction", 0.0).any() and observed_preset("random fraction", 1.0).all()
    with pytest.raises(ValueError, match="preset"):
        observed_preset("bottom half")
    with pytest.raises(ValueError, match="fraction"):
        observed_preset("random fraction", 1.5)


# --------------------------------------------------------------- complete_and_score: both under one mask switch
def _spy(model, monkeypatch, name: str) -> list:
    calls = []
    real = getattr(model, name)
    monkeypatch.setattr(model, name, lambda *a, **k: (calls.append(a), real(*a, **k))[1])
    return calls


@pytest.mark.parametrize("observed_pixels", [[1, 4], [2, 3, 5, 0, 1]])
def test_complete_and_score_is_complete_any_and_observed_log_likelihood_under_one_switch(model, observed_pixels,
                                                                                         monkeypatch):
    from made_helpers.core.conditioning import observed_log_likelihood

    obs = np.isin(np.arange(D), observed_pixels)
    x = np.array([1, 0, 1, 1, 0, 1], dtype=np.float32)
    model.set_mask(2)
    keep = model.mask_state()
    want = complete_any(model, np.tile(x, (30, 1)), obs, seed=7), *observed_log_likelihood(model, x, obs)
    switches, passes = _spy(model, monkeypatch, "assign_mask_set"), _spy(model, monkeypatch, "logits")
    completions, log_obs, log_rest = complete_and_score(model, x, obs, 30, seed=7)
    assert len(switches) == 1 and len(passes) == 1                   # one switch, one pass for the likelihoods
    np.testing.assert_array_equal(completions, want[0])
    assert (log_obs, log_rest) == want[1:]
    assert len(np.unique(completions, axis=0)) > 1                    # the draws differ: the test has power
    # the model is back on its own masks
    assert model.current_mask == 2
    for now, before in zip(model.mask_state()[0], keep[0]):
        np.testing.assert_array_equal(now, before)
    model.set_mask(0)


def test_complete_and_score_on_a_prefix_is_the_models_own_sampler_and_likelihood(model):
    """Checked against code that does not condition: ``MADE.complete`` and the eager ``model(x)`` under the trained
    mask (a prefix of the ordering needs no new mask)."""
    obs = np.zeros(D, dtype=bool)
    obs[model.ordering[:3]] = True
    x = np.array([0, 1, 1, 0, 1, 1], dtype=np.float32)
    completions, log_obs, log_rest = complete_and_score(model, x, obs, 40, seed=3)
    np.testing.assert_array_equal(completions, model.complete(np.tile(x, (40, 1)), obs, seed=3))
    p = 1.0 / (1.0 + np.exp(-np.asarray(model(x[None]), dtype=np.float64)[0]))
    log_q = np.log(np.where(x > 0, p, 1.0 - p))
    np.testing.assert_allclose([log_obs, log_rest], [log_q[obs].sum(), log_q[~obs].sum()], rtol=1e-6)


def test_complete_and_score_refuses_bad_input(model):
    with pytest.raises(ValueError, match="one observed set"):
        complete_and_score(model, np.zeros(D), np.zeros((2, D), bool), 3)
    with pytest.raises(ValueError, match="n must"):
        complete_and_score(model, np.zeros(D), np.arange(D) < 2, 0)
    assert model.current_mask == 0


# -------------------------------------------------- MADE.complete and complete_any check observed alike; mask sets nest
@pytest.mark.parametrize("observed", [["False"] * 5, "0", 0.5, np.nan, -1, [0, 1, 2, 0, 0]])
def test_complete_and_complete_any_check_observed_alike(observed):
    from made_helpers.core.conditioning import complete_any

    model = MADE(5, [8], num_masks=2, ordering="random", seed=0)
    x = np.zeros((1, 5), np.float32)
    observed = np.full(5, observed) if np.ndim(observed) == 0 and not isinstance(observed, str) else observed
    messages = []
    for fill in (model.complete, lambda x, o: complete_any(model, x, o)):
        with pytest.raises(ValueError, match=r"^observed must be a boolean \(or 0/1\) array") as e:
            fill(x, observed)
        messages.append(str(e.value))
    assert messages[0] == messages[1]


def test_complete_still_accepts_bools_and_0_1():
    model = MADE(5, [8], seed=0)
    x = np.ones((2, 5), np.float32)
    for observed in ([1, 1, 0, 0, 0], np.array([True, True, False, False, False])):
        out = model.complete(x, observed, seed=0)
        np.testing.assert_array_equal(out[:, :2], 1.0)


def test_log_prob_with_num_masks_keeps_the_blocks_mask_set():
    from made_helpers.core.conditioning import conditioning_mask_set, using_mask_set
    from made_helpers.core.enumeration import sharpen_weights

    model = sharpen_weights(MADE(6, [24], num_masks=3, ordering="random", seed=5), scale=2.5)
    x = np.random.default_rng(0).integers(0, 2, (32, 6)).astype(np.float32)
    trained = model.log_prob(x)
    ms = conditioning_mask_set(model, np.array([0, 0, 1, 1, 0, 1], bool), mask=1)
    with using_mask_set(model, ms):
        inside = model.log_prob(x)
        assert not np.allclose(inside, trained)
        mixture = model.log_prob(x, num_masks=1)                     # switches masks, then puts the block's back
        np.testing.assert_allclose(mixture, trained, rtol=1e-5)
        np.testing.assert_array_equal(model.log_prob(x), inside)
        with using_mask_set(model, model.mask_set(2)):               # blocks nest
            model.log_prob(x, num_masks=2)
        np.testing.assert_array_equal(model.log_prob(x), inside)
    np.testing.assert_array_equal(model.log_prob(x), trained)
