# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Sampling from MADE and completing half-digits

# %% [markdown]
# MADE computes $p(x)$ in one forward pass, but drawing a new image takes $D = 784$ sequential steps: pixel $d$ can only be drawn once the pixels before it are known. This notebook explains why, writes the sampling loop by hand (one full forward pass per step) and checks it against `MADE.sample`; draws digits in the natural (row-by-row) ordering and in random orderings; completes test digits of which only the top half is given; and measures how long all of it takes. It uses the models trained in notebook 05 when they are on disk (`runs/` is not part of the repository), and otherwise trains a smaller model first and says so.

# %%
import json
import logging
import os
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from made_helpers import MADE, data, plotting
from made_helpers.sampling import completion_overlay, is_prefix_of_ordering, time_call, time_sampling, top_rows_observed
from made_helpers.train import train

SEED = 0
keras.utils.set_random_seed(SEED)          # seeds Python, numpy and TensorFlow
rng = np.random.default_rng(SEED)
QUICK = os.environ.get("MADE_QUICK", "0") == "1"
plt.rcParams.update({"figure.dpi": 80})
logging.getLogger("tensorflow").setLevel(logging.ERROR)
RUNS05 = Path("..") / "runs" / ("notebook05-quick" if QUICK else "notebook05")   # written by notebook 05
FALLBACK = {"n_train": 2_000 if QUICK else 50_000, "epochs": 1 if QUICK else 20, "K": 4}
print(f"mode: {'quick (MADE_QUICK=1)' if QUICK else 'full'} | looking for notebook 05's models in {RUNS05} | "
      f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# ## The models
#
# Two models: a one-mask MADE in the natural ordering (for natural-order samples and for completion) and an order-agnostic MADE with several masks, each with its own random ordering (for random-order samples). If notebook 05 saved them, we load them and print how they were trained; otherwise we train stand-ins with the budget in `FALLBACK` (784-500-784, Adam, no early stopping beyond keeping the best validation epoch).

# %%
x_valid, valid_info = data.load_binarized_mnist("valid", verbose=False, return_info=True)
x_test, test_info = data.load_binarized_mnist("test", verbose=False, return_info=True)
print(test_info.relative_description())
results_file = RUNS05 / "results.json"
trained_in_05 = results_file.exists() and all((RUNS05 / f).exists() for f in ("made_one_mask.keras", "made_k_masks.keras"))
if trained_in_05:
    made_one = keras.saving.load_model(RUNS05 / "made_one_mask.keras", compile=False)
    made_k = keras.saving.load_model(RUNS05 / "made_k_masks.keras", compile=False)
    saved = json.loads(results_file.read_text())
    print(f"loaded notebook 05's models from {RUNS05} ({'quick' if saved['quick'] else 'full'}-mode run):")
    print(f"  one mask, natural ordering: test NLL {saved['one_mask']['test_nll']:.2f} nats, "
          f"best epoch {saved['one_mask']['history']['best_epoch']}")
    print(f"  {made_k.num_masks} masks, random orderings: {made_k.num_masks}-mask mixture test NLL "
          f"{saved['k_masks']['mixture_test_nll'][str(made_k.num_masks)][0]:.2f} nats")
else:
    print(f"notebook 05's models are not in {RUNS05}: training stand-ins with {FALLBACK}")

# %% [markdown]
# The stand-in training (skipped when notebook 05's models were found):

# %%
if not trained_in_05:
    x_train = data.load_binarized_mnist("train", verbose=False)[:FALLBACK["n_train"]]
    keras.utils.set_random_seed(SEED)
    made_one = MADE(784, [500], ordering="natural", seed=SEED)
    h1 = train(made_one, x_train, x_valid, epochs=FALLBACK["epochs"], patience=FALLBACK["epochs"], seed=SEED, verbose=0)
    keras.utils.set_random_seed(SEED)
    made_k = MADE(784, [500], num_masks=FALLBACK["K"], ordering="random", seed=SEED)
    hk = train(made_k, x_train, x_valid, epochs=FALLBACK["epochs"], patience=FALLBACK["epochs"], seed=SEED, verbose=0)
    print(f"stand-ins trained: one mask, valid NLL {h1['best_valid_nll']:.2f}; {FALLBACK['K']} masks, "
          f"valid NLL (mixture) {hk['best_valid_nll']:.2f} nats; {FALLBACK['n_train']} training images, "
          f"{FALLBACK['epochs']} epochs")
made_one.set_mask(0)
made_k.set_mask(0)


# %% [markdown]
# ## Why sampling takes $D$ sequential steps
#
# Sampling follows the chain rule in the model's ordering $o_1, o_2, \dots, o_D$:
#
# $$x_{o_1} \sim p(x_{o_1}), \quad x_{o_2} \sim p(x_{o_2} \mid x_{o_1}), \quad \dots, \quad x_{o_D} \sim p(x_{o_D} \mid x_{o_1}, \dots, x_{o_{D-1}}).$$
#
# One forward pass gives *all* conditionals $\sigma(\ell_d(x))$ — but each is conditioned on the $x$ we fed in. Before the first pixel is drawn the input is all zeros, so only the first conditional (which depends on nothing) is right. After drawing $x_{o_1}$ we run the network again, and now the second conditional is right; and so on. Pass $t$ uses exactly the $t-1$ pixels drawn so far, because of the autoregressive property the outputs for later pixels ignore the zeros still standing in for the rest. $D$ pixels, $D$ passes. By hand:

# %%
def sample_by_hand(model, n, seed=0, snapshots=()):
    """D full forward passes in the model's ordering; returns (samples (n, D), {t: partial samples})."""
    uniforms = tf.random.stateless_uniform((model.input_dim, n), seed=[seed, 0]).numpy()  # as MADE.sample draws them
    x = np.zeros((n, model.input_dim), dtype="float32")
    frames = {}
    for t, d in enumerate(model.ordering):                # d: the pixel drawn at step t
        if t in snapshots:
            frames[t] = x.copy()
        p = keras.ops.sigmoid(model(x)[:, d]).numpy()     # p(x_d = 1 | pixels drawn so far)
        x[:, d] = (uniforms[t] < p).astype("float32")
    frames[model.input_dim] = x.copy()
    return x, frames


start = time.perf_counter()
by_hand, frames = sample_by_hand(made_one, 8, seed=SEED, snapshots=(0, 196, 392, 588))
hand_seconds = time.perf_counter() - start
print(f"8 samples by hand: {hand_seconds:.1f} s for {made_one.input_dim} forward passes")

# %% [markdown]
# The same eight digits after 0, 196, 392, 588 and 784 of the 784 steps: in the natural ordering they grow row by row from the top.

# %%
steps = sorted(frames)
plotting.plot_images(np.concatenate([frames[t] for t in steps]), ncols=8,
                     title=f"Sampling in the natural ordering: rows after {', '.join(map(str, steps))} of 784 pixels")
plt.show()

# %% [markdown]
# `MADE.sample` runs the same loop inside one compiled TensorFlow function (`tf.while_loop`), and does less work per step. Only one input changes per step, so the first hidden layer's pre-activation $a = xW^1 + b^1$ is updated by a rank-one term, $a \leftarrow a + x_d W^1_{d,:}$, instead of being recomputed, and only the one logit $\ell_d$ that is needed is formed. For a one-hidden-layer MADE a step then costs $O(n(H + D))$ instead of the $O(nDH)$ of a full pass. The arithmetic is rearranged, not changed: fed the same uniform random numbers, it draws the same pixels as the loop above.

# %%
start = time.perf_counter()
samples_made = made_one.sample(8, seed=SEED)
print(f"8 samples with MADE.sample: {time.perf_counter() - start:.2f} s (first call includes tracing)")
print(f"pixels that differ from the hand-written loop: {int((samples_made != by_hand).sum())} of {by_hand.size}")

# %% [markdown]
# Forty samples in the natural ordering:

# %%
samples_natural = made_one.sample(40, seed=SEED + 1)
plotting.plot_images(samples_natural, ncols=10, title="MADE samples, natural ordering (one-mask model)")
plt.show()

# %% [markdown]
# How good are they? Some are clear digits; many have broken strokes and stray pixels — a one-hidden-layer MADE at about 92 nats is far from the real distribution. A numerical check: a sample is a fair draw from the model, so its average $-\log p$ under the model estimates the model's entropy; the test digits' NLL (the cross-entropy) should not be far above it if the model fits. (This is a sanity check, not a quality measure — a model can have well-calibrated likelihoods and still draw odd-looking digits.)

# %%
print(f"-log p of 1000 of the model's own samples: {-made_one.log_prob(made_one.sample(1000, seed=SEED)).mean():.1f} "
      f"nats; of the {len(x_test)} test digits: {-made_one.log_prob(x_test).mean():.1f} nats")

# %% [markdown]
# ## Random orderings
#
# The order-agnostic model holds several masks, each with its own random ordering of the 784 pixels. Sampling with mask $k$ draws the pixels in mask $k$'s order: the digit appears as scattered dots that fill in, not row by row. Four masks, eight samples each:

# %%
rows = []
for k in range(min(4, made_k.num_masks)):
    made_k.set_mask(k)
    rows.append(made_k.sample(8, seed=SEED + k))
made_k.set_mask(0)
plotting.plot_images(np.concatenate(rows), ncols=8,
                     title=f"Samples from the order-agnostic MADE: one row per mask (= per random ordering)")
plt.show()

# %% [markdown]
# Halfway through a random-order sample, half the pixels are known, spread over the whole image:

# %%
made_k.set_mask(0)
_, frames_random = sample_by_hand(made_k, 8, seed=SEED, snapshots=(0, 196, 392, 588))
plotting.plot_images(np.concatenate([frames_random[t] for t in sorted(frames_random)]), ncols=8,
                     title="Sampling in a random ordering (mask 0): after 0, 196, 392, 588, 784 pixels")
plt.show()

# %% [markdown]
# ## Completing digits whose top half is given
#
# If the observed pixels come **first** in the ordering, MADE can sample the rest from the exact conditional $p(x_{\text{missing}} \mid x_{\text{observed}})$: run the same loop, but keep the observed pixels instead of drawing them. In the natural ordering the top 14 rows (pixels 0–391) are the first 392 pixels, so top-half completion is exactly that. `MADE.complete(x, observed)` does it; below, black-on-white pixels are given, blue ones are sampled.

# %%
observed = top_rows_observed(14)                               # bool (784,): the top 14 rows
digits = x_test[rng.choice(len(x_test), size=6, replace=False)]
n_completions = 5
completions = made_one.complete(np.repeat(digits, n_completions, axis=0), observed, seed=SEED)
print(f"{observed.sum()} observed pixels, a prefix of the natural ordering: "
      f"{is_prefix_of_ordering(observed, made_one.ordering)}")


# %%
def overlay_grid(originals, completed, observed, per_row):
    """One RGB image: each row = the original digit, then its completions (given: black, sampled: blue)."""
    tiles = completion_overlay(completed, observed)
    orig = completion_overlay(originals, np.ones(784, bool))
    pad = np.ones((28, 2, 3))
    rows = []
    for i in range(len(originals)):
        row = [orig[i], pad, pad] + [t for j in range(per_row) for t in (tiles[i * per_row + j], pad)]
        rows.append(np.concatenate(row, axis=1))
        rows.append(np.ones((2, rows[-1].shape[1], 3)))
    return np.concatenate(rows)


fig, ax = plt.subplots(figsize=(8, 8))
ax.imshow(overlay_grid(digits, completions, observed, n_completions), interpolation="nearest")
ax.set(title="Top half given (black), bottom half sampled (blue): original, then 5 completions",
       xlabel="original | completions", ylabel="test digit", xticks=[], yticks=[])
plt.show()

# %% [markdown]
# Where the given half pins the digit down, the completions agree on its shape; where it does not, they differ — the top of a 2 also fits a 3, a 4 may or may not be closed. That spread is the point: the model gives a distribution over completions, not one reconstruction. The completions share the unconditional samples' flaws (stray pixels, strokes that stop).
#
# A random ordering cannot do this in one sweep: the top-half pixels are not a prefix of its ordering, so $p(\text{bottom} \mid \text{top})$ would need a sum over the unobserved pixels that come earlier. `complete` refuses rather than return something that is not that conditional:

# %%
print(f"top half a prefix of mask 0's random ordering: {is_prefix_of_ordering(observed, made_k.ordering)}")
try:
    made_k.complete(digits[:1], observed, seed=SEED)
except ValueError as error:
    print(f"ValueError: {error}")

# %% [markdown]
# ## How long it takes
#
# `time_sampling` times `MADE.sample(n)` (784 steps in one compiled loop) against one compiled forward pass on $n$ inputs — the cost of evaluating $p(x)$ for $n$ images — best of three runs after a warm-up. Completion runs the same loop (all 784 steps; the observed pixels are kept instead of drawn), so it costs the same as sampling.

# %%
sizes = (1, 10, 100) if QUICK else (1, 10, 100, 1000)
timings = [time_sampling(made_one, n, repeats=3, seed=SEED) for n in sizes]
print(f"{'n':>5s} {'sample (s)':>11s} {'per sample (ms)':>16s} {'per step (ms)':>14s} {'one forward pass (ms)':>22s} "
      f"{'sample / forward':>17s}")
for t in timings:
    print(f"{t['n']:5d} {t['sample_seconds']:11.3f} {1000 * t['seconds_per_sample']:16.2f} "
          f"{1000 * t['seconds_per_step']:14.3f} {1000 * t['forward_seconds']:22.3f} {t['ratio']:17.0f}")
complete_seconds = time_call(lambda: made_one.complete(digits[:1].repeat(10, axis=0), observed, seed=SEED), repeats=3)
print(f"\ncompleting 10 half-digits: {complete_seconds:.3f} s;  8 samples by hand (784 full passes from Python): "
      f"{hand_seconds:.1f} s")

# %% [markdown]
# Reading the table: a likelihood needs one forward pass, a sample needs 784 sequential steps. With the incremental update a step costs far less than a full pass, so sampling costs tens of forward passes rather than 784 — but the steps cannot run in parallel, and the hand-written loop of full passes, one Python call each, is about a hundred times slower still. Batching is cheap: a thousand samples take far less than a thousand times one sample, because each step's fixed overhead is shared. This asymmetry — density in one pass, sampling in $D$ sequential steps — is MADE's trade-off, and the reason later models built from MADEs (MAF, IAF) choose which direction to make fast.
