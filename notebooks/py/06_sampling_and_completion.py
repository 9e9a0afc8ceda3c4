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
# # 06 · Sampling from MADE and completing digits

# %% [markdown]
# MADE computes $p(x)$ in one forward pass, but drawing a new image takes $D = 784$ sequential steps: pixel $d$ can only be drawn once the pixels before it are known. This notebook explains why, writes the sampling loop by hand (one full forward pass per step) and checks it against `MADE.sample`; draws digits from two models trained in advance (one **ordering** — the order in which a MADE generates the pixels — and 32 orderings); asks whether random orderings give recognizable digits; completes test digits given part of their pixels — a prefix of the model's ordering, and then, with the model trained over 32 orderings, *any* subset (top half, left half, a centre patch, random pixels), measuring what the orderings it never saw in training cost; and measures how long all of it takes. Both models were trained in advance with notebook 05's training loop, so nothing is trained here.
#
# **You will learn**
#
# * why sampling from MADE takes $D$ sequential passes, and how to write the loop;
# * how to complete an image given some of its pixels: a prefix of the ordering, then any subset with a model trained over many orderings;
# * what that costs in likelihood and in time.
#
# **It assumes** notebooks 04 (masks, orderings, order-agnostic training) and 05 (the trained models and their test NLL).

# %%
import logging
import os
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Image, display

from made_helpers import MADE, data
from made_helpers.core import conditioning, plotting
from made_helpers.core import masks as mk
from made_helpers.core.conditioning import complete_any, conditioning_mask_set, observed_preset, using_mask_set
from made_helpers.experiments import timing
from made_helpers.experiments.results import describe, load_results
from made_helpers.experiments.sampling_explorer import sampling_explorer
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)            # seeds, quick flag (MADE_QUICK=1), figure defaults
logging.getLogger("tensorflow").setLevel(logging.ERROR)
RESULTS = Path("..") / "results"                 # the models trained in advance, with their settings and NLLs
ONE_MASK_RUN = "made_784-4000-784_k1_random_drop0.5_wd1e-4"   # one mask, one random ordering
K_MASKS_RUN = "made_784-500-784_k32_full"                      # 32 masks, each its own random ordering
N_SAMPLES = 20 if QUICK else 40            # samples per grid
N_EVAL = 200 if QUICK else 1000            # test images for the likelihood measurements
K_EVAL = 4 if QUICK else 32                # trained masks the new orderings are built from
N_COMPLETIONS = 3 if QUICK else 5          # completions per digit

# %% [markdown]
# ## The models
#
# Two MADEs trained in advance with notebook 05's training loop; their settings and their test NLL on the 10 000 test digits are printed below:
#
# * **one mask**, 784-4000-784, one fixed **random** ordering of the pixels (not the natural row-by-row one), dropout and weight decay — the best of notebook 05's single-mask runs with one hidden layer by validation NLL;
# * **32 masks**, 784-500-784, each mask with its **own random ordering** and its own hidden degrees, one mask drawn per minibatch: order- and connectivity-agnostic training (notebook 04, section 10; "full masks" in the printed settings means exactly this, each mask its own ordering and hidden degrees, where "connectivity" masks would share one ordering). Its test NLL is that of the mixture of its 32 masks, $p(x) = \frac{1}{32}\sum_k p_k(x)$.
#
# Both are loaded with `keras.saving.load_model` (the `MADE` class is registered when `made_helpers` is imported) and put on their mask 0.

# %%
x_test, test_info = data.load_binarized_mnist("test", verbose=False, return_info=True)
print(test_info.provenance())
run_files = {r["file"]: r for r in load_results(RESULTS)}


def load_run(name, label):
    """The trained MADE of the run NAME, and its settings and test NLL."""
    path = RESULTS / f"{name}.keras"
    if not path.exists():
        raise FileNotFoundError(f"no trained model of the run {name} in {RESULTS}")
    model, result = keras.saving.load_model(path, compile=False), run_files[f"{name}.json"]
    assert isinstance(model, MADE), type(model)
    model.set_mask(0)
    print(f"{label}: test NLL {result['test_nll']:.2f} ± {result['test_nll_se']:.2f} nats\n    {describe(result)}")
    return model, result


made_one, one_result = load_run(ONE_MASK_RUN, "one-mask model")
made_k, k_result = load_run(K_MASKS_RUN, "32-mask model")
print(f"one-mask model: first pixels of its ordering {made_one.ordering[:8].tolist()} (natural would be 0, 1, 2, ...)")

# %% [markdown]
# ## Why sampling takes $D$ sequential steps
#
# Sampling follows the chain rule in the model's ordering $o_1, o_2, \dots, o_D$:
#
# $$x_{o_1} \sim p(x_{o_1}), \quad x_{o_2} \sim p(x_{o_2} \mid x_{o_1}), \quad \dots, \quad x_{o_D} \sim p(x_{o_D} \mid x_{o_1}, \dots, x_{o_{D-1}}).$$
#
# One forward pass gives *all* conditionals $\sigma(\ell_d(x))$ — but each is conditioned on the $x$ we fed in. Before the first pixel is drawn the input is all zeros, so only the first conditional (which depends on nothing) is right. After drawing $x_{o_1}$ we run the network again, and now the second conditional is right; and so on. Pass $t$ uses exactly the $t-1$ pixels drawn so far: because of the autoregressive property, the outputs for later pixels ignore the zeros still standing in for the rest. $D$ pixels, $D$ passes. By hand, with the one-mask model:

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
print(f"8 samples by hand: {hand_seconds:.1f} s for {made_one.input_dim} forward passes (first run)")

# %% [markdown]
# The same eight digits after 0, 196, 392, 588 and 784 of the 784 steps. The ordering is random, so the pixels arrive scattered over the whole image and the digit condenses out of dots; a model with the natural ordering would grow it row by row from the top.

# %%
steps = sorted(frames)
plotting.plot_images(np.concatenate([frames[t] for t in steps]), ncols=8,
                     title=f"Sampling in a random ordering (one-mask model): after {', '.join(map(str, steps))} "
                           "of 784 pixels")
plt.show()

# %% [markdown]
# ### Watching one sample being drawn
#
# The explorer below replays one sample of the one-mask model step by step. Move the step slider $d$ (or press play, or step one pixel at a time): the left picture shows the first $d$ pixels of the ordering drawn (black 1, white 0, grey not drawn yet) and frames in red the pixel drawn next, with the probability the model gives it, $p(x_{o_{d+1}} = 1 \mid x_{o_1}, \dots, x_{o_d})$; the right picture is the ordering itself, each pixel coloured by its position (dark first, yellow last). A seed gives exactly the digit `MADE.sample(1, seed)` draws. All the probabilities shown come from one forward pass on the finished sample: the output for a pixel sees only the pixels before it, so its value is the same as in the pass the sampler made at that step. The model menu offers every model trained in advance for this series; the default is the one-mask model with the best validation NLL (the one loaded above). The explorer needs a live Jupyter kernel; below it is a static picture of its first view for readers without one.

# %%
sampling_view = sampling_explorer(RESULTS, digits=x_test, seed=SEED, step=300)
display(sampling_view)
print("Static picture of the explorer's first view (the sample after 300 steps, and the ordering):")
display(Image(sampling_view.sample_image.value), Image(sampling_view.ordering_image.value))
print(f"the explorer's digit is MADE.sample(1, seed={SEED}): "
      f"{np.array_equal(sampling_view.state.trace.sample, made_one.sample(1, seed=SEED)[0])}")

# %% [markdown]
# `MADE.sample` runs the same loop inside one compiled TensorFlow function (`tf.while_loop`), and does less work per step. Only one input changes per step, so the first hidden layer's pre-activation $a = xW^1 + b^1$ is updated by a rank-one term, $a \leftarrow a + x_d W^1_{d,:}$, instead of being recomputed, and only the one logit $\ell_d$ that is needed is formed. For a one-hidden-layer MADE a step then costs $O(n(H + D))$ instead of the $O(nDH)$ of a full pass. The arithmetic is rearranged, not changed: fed the same uniform random numbers, it draws the same pixels as the loop above (up to float rounding where a uniform lands within $10^{-6}$ of a probability).

# %%
start = time.perf_counter()
samples_made = made_one.sample(8, seed=SEED)
print(f"8 samples with MADE.sample: {time.perf_counter() - start:.2f} s (first call includes tracing)")
print(f"pixels that differ from the hand-written loop: {int((samples_made != by_hand).sum())} of {by_hand.size}")

# %% [markdown]
# ## Samples from both models
#
# The one-mask model (its test NLL is printed above), each sample drawn in its one random ordering:

# %%
samples_one = made_one.sample(N_SAMPLES, seed=SEED + 1)
plotting.plot_images(samples_one, ncols=10, title=f"One-mask MADE 784-4000-784 (one random ordering): "
                                                  f"{N_SAMPLES} samples")
plt.show()

# %% [markdown]
# The 32-mask model can sample with any of its masks; mask $k$ draws the pixels in mask $k$'s order. Four masks, eight samples each:

# %%
rows = []
for k in range(4):
    made_k.set_mask(k)
    rows.append(made_k.sample(8, seed=SEED + k))
made_k.set_mask(0)
plotting.plot_images(np.concatenate(rows), ncols=8,
                     title="32-mask MADE 784-500-784: one row per mask (= per random ordering), 8 samples each")
plt.show()

# %% [markdown]
# A numerical check. A sample is a fair draw from the model $q$, so the average $-\log q$ of many samples estimates the model's entropy $H(q) = -\mathbb{E}_{q}[\log q(x)]$. The test digits' average $-\log q$ is the cross-entropy $H(p, q) = -\mathbb{E}_{p}[\log q(x)] = H(p) + \mathrm{KL}(p \,\|\, q)$, where $\mathrm{KL}(p \,\|\, q) = \sum_x p(x) \log \frac{p(x)}{q(x)}$ is the **Kullback–Leibler divergence** of $q$ from $p$: never negative, and zero only when $q = p$ (Gibbs' inequality). So $H(p, q)$ is at least the data's entropy $H(p)$. There is **no fixed order between $H(q)$ and $H(p, q)$**: a model that spreads its mass too widely has a large $H(q)$ (it can exceed $H(p, q)$), one that concentrates on a few kinds of digit has a small one. If $q = p$ both equal $H(p)$; so two close numbers are what a good fit gives (though they do not prove one), and a large gap in either direction shows that the model's own samples are unlike the test digits. For the 32-mask model the check uses mask 0 alone, a single-ordering distribution $q_0$.

# %%
n_check = 200 if QUICK else 1000
for name, model in [("one mask", made_one), ("32 masks, mask 0 alone", made_k)]:
    h_q = -model.log_prob(model.sample(n_check, seed=SEED + 10)).mean()
    h_pq = -model.log_prob(x_test).mean()
    print(f"{name:23s}: -log q of {n_check} own samples (H(q)) {h_q:6.1f} nats; "
          f"of the {len(x_test)} test digits (H(p, q)) {h_pq:6.1f} nats")

# %% [markdown]
# ## Do random orderings give recognizable digits?
#
# Brian Keng's post "Autoregressive Autoencoders" (2017) implemented MADE in Keras, trained it on binarized MNIST, and noted that sampling with a random order "didn't generate recognizable images". Every sample above was drawn in a random ordering, by models trained with random orderings, and many of them are recognizable: most of the one-mask model's forty are clear digits (nines, threes, sixes, sevens, a zero, an eight), the rest blobs or broken strokes with stray pixels; the 32-mask model's samples (a network an eighth as wide, 99 nats per mask) are rougher and more speckled, and fewer of them are clear digits, but many are. So a random ordering does not by itself rule out recognizable digits.
#
# Notebook 05's ablation adds a twist from the likelihood side: with one mask (784-500-784, the first 10 000 training images, 30 epochs), one random ordering gave a *better* test NLL than the natural one (the difference is printed there). A better likelihood does not have to mean better-looking samples. The NLL averages $-\log q$ over *test digits*: it rewards giving every real digit enough probability. How samples look depends on where the rest of the mass goes — and a sample is 784 draws in a row, each from a slightly wrong conditional, with no way to undo an early mistake. The entropy check above points the same way for both models: their own samples cost more nats under them than the test digits do, so some of their mass sits on images noisier than real digits.
#
# What is plausible (none of it tested here, and the post's exact setup is not known to us):
#
# * **Why a random ordering can have the better likelihood.** In the natural ordering the first hundred or so pixels are the blank top rows: the hidden units of low degree see only those and carry little information. In a random ordering the same units see a scattered sample of the whole image, which already sketches the digit.
# * **Why its samples can still look worse.** In the natural ordering each pixel is drawn with its neighbours above and to the left already known, so strokes continue locally. In a random ordering, when pixel $t$ is drawn each neighbour is known only with probability about $t/D$: the first few hundred pixels are drawn with little local context, and a stray dot early on stays in the image — the speckle visible in the samples above.
# * **Why the post's samples could be unrecognizable.** Its model reached under 100 nats (about 150 without the direct connection; notebook 04), like notebook 05's small runs and well above the 88 nats of the one-mask model here; a weaker model makes the speckle of random-order sampling worse. And sampling in an ordering other than the one the masks were built with uses conditionals the network never learned — the forced one-mask model below shows what that gives.

# %% [markdown]
# ## Completing digits: the prefix case
#
# If the observed pixels come **first** in the model's ordering, MADE can sample the rest from the exact conditional $p(x_{\text{missing}} \mid x_{\text{observed}})$: run the same loop, but keep the observed pixels instead of drawing them. `MADE.complete(x, observed)` does it. For the one-mask model the prefix of its random ordering is a scatter of pixels: here the first 392 (half the image). In the figure, given pixels are black on white, sampled ones orange on pale blue (the colour key beside it); `plotting.plot_completions` draws it.

# %%
prefix = np.zeros(784, dtype=bool)
prefix[made_one.ordering[:392]] = True                  # the first half of the one-mask model's ordering
digits = x_test[rng.choice(len(x_test), size=4, replace=False)]
completed_prefix = made_one.complete(np.repeat(digits, N_COMPLETIONS, axis=0), prefix, seed=SEED)
plotting.plot_completions(digits, completed_prefix, prefix,
                          title="One-mask model, model.complete: the first 392 pixels of its ordering given")
plt.show()

# %% [markdown]
# Half the pixels, scattered, pin the digit down almost completely: the completions differ from each other in a few edge pixels only. The top half is a harder question, but it is not a prefix of this model's ordering: $p(\text{bottom} \mid \text{top})$ would need a sum over the bottom pixels that come earlier in the ordering. `MADE.complete` refuses, and so does `complete_any` (next section) for a model trained with a single ordering:

# %%
top = conditioning.top_rows_observed(14)                              # bool (784,): the top 14 rows
is_prefix = mk.is_prefix_of_ordering(top, made_one.ordering)
print(f"top half a prefix of the one-mask model's ordering: {is_prefix}")
try:
    made_one.complete(digits[:1], top, seed=SEED)
except ValueError as error:
    print(f"model.complete: ValueError: {error}")
try:
    complete_any(made_one, digits[:1], top, seed=SEED)
except ValueError as error:
    print(f"complete_any: ValueError: {error}")

# %% [markdown]
# ## Conditioning on any subset of pixels
#
# This is what order-agnostic training is for. The hidden units of a MADE do not know about pixels, only **degrees**: a hidden unit of degree $m$ may see the inputs whose place in the ordering is at most $m$. Given any observed set $O$, take the ordering that lists the observed pixels **first** (each group kept in mask $k$'s order), give the inputs their degrees from that ordering, and keep mask $k$'s trained hidden degrees. One pass then gives, for every unobserved pixel $u$,
#
# $$p\big(x_u \mid x_O,\ x_{u'} \text{ for the unobserved } u' \text{ before } u\big),$$
#
# and the sampling loop draws $x_{\bar O} \sim p(x_{\bar O} \mid x_O)$ exactly — exactly for *this* network's distribution under the new ordering. The 32-mask model was trained with random orderings and hidden degrees drawn independently of them, so the pair (new ordering, trained hidden degrees) is of exactly the kind it saw; the ordering itself, one of $784!$, it almost surely never saw, and how good the network is under it is measured below. `made_helpers.core.conditioning` has `conditioning_mask_set(model, observed, mask)` (the masks), `using_mask_set(model, mask_set)` (a `with` block in which `model(x)` and `model.log_prob(x)` use them) and `complete_any(model, x, observed, mask, seed)` (the completion).

# %% [markdown]
# The construction in a picture, on a MADE with $D = 8$ inputs trained over several orderings (untrained here: the masks are the point). Pixels 1, 4 and 6 are observed. Top: mask 0's ordering, the pixels in the order they are generated (observed ones black); the observed-first ordering moves the observed pixels to the front, each group in its old order, and the input degrees (positions, printed under each pixel) follow. Bottom: the connectivity (which inputs each output may depend on, notebook 04, section 3) through the hidden layer before and after, with the hidden degrees left as they were. After the change every unobserved pixel comes after all observed ones in the ordering, so its output may depend on all three (here each of them has a hidden path from every observed pixel; the direct connection, not drawn, adds the rest in general).

# %%
tiny = MADE(8, [16], num_masks=4, ordering="random", seed=SEED)
tiny_observed = np.isin(np.arange(8), [1, 4, 6])
before, after = tiny.mask_set(0), conditioning_mask_set(tiny, tiny_observed, mask=0)
fig = plt.figure(figsize=(12, 6.5), layout="constrained")
top_fig, bottom_fig = fig.subfigures(2, 1, height_ratios=[1, 1.5])
for ax, (name, ms) in zip(top_fig.subplots(2, 1), [("mask 0's ordering", before), ("observed first", after)]):
    for position, pixel in enumerate(mk.ordering_from_degrees(ms.degrees[0])):
        ax.add_patch(plt.Rectangle((position, 0), 0.9, 0.9, color="black" if tiny_observed[pixel] else "0.9"))
        ax.text(position + 0.45, 0.45, f"x{pixel}", ha="center", va="center",
                color="white" if tiny_observed[pixel] else "black", fontsize=12)
        ax.text(position + 0.45, -0.25, f"degree {position + 1}", ha="center", va="center", fontsize=9)
    ax.set(xlim=(-0.1, 8), ylim=(-0.5, 1), title=f"{name}: generation order, left to right")
    ax.axis("off")
for ax, (name, ms) in zip(bottom_fig.subplots(1, 2), [("mask 0", before), ("observed first (x1, x4, x6)", after)]):
    plotting.plot_connectivity(mk.connectivity(ms.masks), ms.degrees[0], ax=ax, title=f"connectivity, {name}")
fig.suptitle("Building an observed-first ordering: input degrees change, hidden degrees stay")
plt.show()
print("hidden degrees unchanged:", all(np.array_equal(a, b) for a, b in zip(before.degrees[1:], after.degrees[1:])))

# %% [markdown]
# Four observed sets on the digits:

# %%
random_30 = rng.random(784) < 0.3
observed_sets = {"top half": top, "left half": observed_preset("left half"),
                 "centre 14x14": observed_preset("centre"), "random 30 %": random_30}
plotting.plot_images(np.stack(list(observed_sets.values())).astype("float32"), ncols=4,
                     title=f"Observed sets (black = given): {', '.join(observed_sets)}")
plt.show()

# %% [markdown]
# Each set completed by the 32-mask model (new orderings built from its mask 0), the same digits as above:

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 7))
completions_any = {}
for ax, (name, obs) in zip(axes.ravel(), observed_sets.items()):
    completions_any[name] = complete_any(made_k, np.repeat(digits, N_COMPLETIONS, axis=0), obs, mask=0, seed=SEED)
    plotting.plot_completions(digits, completions_any[name], obs, ax=ax,
                              title=f"{name} given ({obs.sum()} pixels)")
fig.suptitle("32-mask model, complete_any: observed pixels first in the ordering")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Choosing the observed pixels yourself
#
# The same completions, interactively. In completion mode the explorer takes a test digit and a set of observed pixels — a preset (top half, left half, centre, a random fraction) or your own: click a pixel of the left picture to make it observed or not, or hold the button and drag to paint a stroke (the completions are redrawn when you let go). It draws several completions with `complete_any` (by default with the 32-mask model, which can condition on any set), given pixels black on white, sampled ones orange on pale blue, and prints the exact log-likelihood of the observed pixels, $\log q(x_O)$: they come first in the observed-first ordering, so their conditionals multiply to their marginal. It also prints $\log q(x_{\bar O} \mid x_O)$ for the digit's own missing pixels, the measure of completion quality used below. A model trained with one ordering refuses sets that are not a prefix of it, unless you tick the box that forces it. Below it, a static picture of its first view (the top half of the first digit above observed).

# %%
completion_view = sampling_explorer(RESULTS, digits=digits, mode="completion", num_completions=N_COMPLETIONS,
                                    completion_seed=SEED)
display(completion_view)
print("Static picture of the explorer's first view (observed pixels, then the digit and its completions):")
display(Image(completion_view.picker_image.value), Image(completion_view.completions_image.value))
print(f"log q(observed pixels) of this digit: {completion_view.state.log_likelihood_observed:.1f} nats "
      f"({int(completion_view.state.observed.sum())} pixels observed)")

# %% [markdown]
# How good the completions are depends on what is given. With the centre 14×14 given, where most of the ink is, the completions are whole digits that agree with the original; with 30 % of the pixels at random the digit's shape is there, drawn in heavy speckle. With the top or the left half given the missing half is drawn only sparsely — a few strokes, often broken, where the original has a full base or loop. Those orderings begin with 392 pixels from one half of the image, unlike the orderings the model was trained with. The next section measures what that costs.
#
# ## What an unseen ordering costs
#
# The completions above are exact samples from the network's conditional under an ordering it was not trained on, so the question is how *good* that network is under such an ordering. Every mask, trained or new, defines a full distribution $q(x) = \prod_d q(x_{o_d} \mid x_{o_{<d}})$, so we can compare exact test NLLs, $-\frac{1}{N}\sum_n \log q(x^{(n)})$ on $N$ test digits drawn at random (`N_EVAL`, fixed seed): for each trained mask $k$ (their number is printed below), the NLL under mask $k$ itself, and under the observed-first ordering built from mask $k$ for each observed set (for the random set, a new random 30 % per mask). Pairs share their hidden degrees and weights; only the ordering differs. We also report the part of the NLL that belongs to the unobserved pixels, $-\log q(x_{\bar O} \mid x_O)$, the quality of the completion itself: because the observed pixels come first, $\log q(x) = \log q(x_O) + \log q(x_{\bar O} \mid x_O)$, and the second term is the sum of the unobserved pixels' log-conditionals (392 pixels for the halves, 588 for the centre patch, about 550 for the random set: compare these within a row, not down the column).

# %%
x_eval = x_test[np.random.default_rng(SEED).choice(len(x_test), size=N_EVAL, replace=False)]


def log_conditionals(model, mask_set=None):
    """(N_EVAL, 784): log q(x_d | pixels before d) of each test pixel, under mask_set (default: current mask)."""
    if mask_set is None:
        logits = keras.ops.convert_to_numpy(model(x_eval))
    else:
        with using_mask_set(model, mask_set):
            logits = keras.ops.convert_to_numpy(model(x_eval))
    return -np.logaddexp(0.0, -(2.0 * x_eval - 1.0) * logits)          # log sigmoid(+-logit)


start = time.perf_counter()
trained_nll, new_nll, missing_nll = [], {name: [] for name in observed_sets}, {name: [] for name in observed_sets}
for k in range(K_EVAL):
    made_k.set_mask(k)
    trained_nll.append(-log_conditionals(made_k).sum(axis=1).mean())
    for name, obs in observed_sets.items():
        obs = rng.random(784) < 0.3 if name == "random 30 %" else obs
        lc = log_conditionals(made_k, conditioning_mask_set(made_k, obs, mask=k))
        new_nll[name].append(-lc.sum(axis=1).mean())
        missing_nll[name].append(-lc[:, ~obs].sum(axis=1).mean())
made_k.set_mask(0)
print(f"{K_EVAL * (1 + len(observed_sets))} masks evaluated on {N_EVAL} test digits in "
      f"{time.perf_counter() - start:.1f} s")

# %% [markdown]
# The table: the mean over the masks, ± the standard deviation across masks; the difference from the trained mask is paired (same mask $k$, same hidden degrees, same weights). For reference, the first line also gives the 32-mask mixture on the same digits, the model's reported kind of test NLL.

# %%
trained_nll = np.array(trained_nll)
mixture = -made_k.log_prob(x_eval, num_masks=32).mean()
print(f"32-mask model on {N_EVAL} test digits: mixture of its 32 masks {mixture:.2f} nats; "
      f"{K_EVAL} trained masks, each alone: {trained_nll.mean():.2f} ± {trained_nll.std():.2f}\n")
print(f"{'observed set':14s} {'NLL, new ordering':>18s} {'minus trained mask':>19s} "
      f"{'-log q(missing | observed)':>27s}")
for name in observed_sets:
    new, diff = np.array(new_nll[name]), np.array(new_nll[name]) - trained_nll
    print(f"{name:14s} {new.mean():9.2f} ± {new.std():5.2f} {diff.mean():+11.2f} ± {diff.std():4.2f} "
          f"{np.mean(missing_nll[name]):20.2f}")
extra = [np.mean(np.array(new_nll[name]) - trained_nll) for name in observed_sets]
print(f"\nobserved-first orderings cost {min(extra):.0f} to {max(extra):.0f} nats more than the trained masks")

# %% [markdown]
# The same measurement for the one-mask model, forced (`force=True`) onto observed-first orderings it never saw — with a single ordering in training, the hidden units' degrees were only ever paired with that one ordering:

# %%
own = -log_conditionals(made_one).sum(axis=1).mean()
print(f"one-mask model, its own ordering: NLL {own:.2f} nats (the same {N_EVAL} test digits)\n")
forced_extra = []
for name, obs in observed_sets.items():
    lc = log_conditionals(made_one, conditioning_mask_set(made_one, obs, force=True))
    forced_extra.append(-lc.sum(axis=1).mean() - own)
    print(f"{name:14s} NLL {-lc.sum(axis=1).mean():8.2f} nats ({forced_extra[-1]:+8.2f}); "
          f"-log q(missing | observed) {-lc[:, ~obs].sum(axis=1).mean():8.2f}")
print(f"\nforced orderings cost {min(forced_extra):.0f} to {max(forced_extra):.0f} nats more than its own")

# %% [markdown]
# What such conditionals draw: the top half given, the one-mask model forced onto the observed-first ordering (the same digits and seed as the 32-mask model's top-half completions above):

# %%
forced = complete_any(made_one, np.repeat(digits, N_COMPLETIONS, axis=0), top, seed=SEED, force=True)
plotting.plot_completions(digits, forced, top, title="One-mask model forced (force=True): top half given")
plt.show()

# %% [markdown]
# The cost is large. Each of the 32 trained masks gives about 99 nats on these digits; the same weights and hidden degrees under an observed-first ordering give 27 to 69 nats more. The centre patch costs the most (its ordering begins with 196 pixels from the middle, nothing like a random ordering); the random set costs the least, but even its ordering — itself a random ordering, which keeps mask $k$'s order within each group — costs about 27 nats. So this network has not learned conditionals that work for *any* ordering; it learned the 32 (ordering, hidden degrees) pairs it was trained with. Order-agnostic training makes every observed-first mask a valid model (a normalized distribution, and exact samples from its conditionals), but with 32 masks not a good one.
#
# The one-mask model, which saw a single ordering, pays 44 to 62 nats when forced. On the same observed sets the 32-mask model has the lower NLL for the top, left and random sets, on the full NLL and on the missing pixels alone (compare the last columns of the two tables), and the one-mask model the lower one for the centre patch — although the one-mask model is the stronger network on its own ordering (its own-ordering NLL against the trained masks' mean, both printed above). These differences cannot be credited to the orderings alone: the two models differ in three settings at once (printed with their test NLLs at the top): the number of training orderings (32 against 1), the width (500 against 4000 hidden units) and the regularisation (none against dropout 0.5 and L2 weight decay $10^{-4}$). Two models that differ in the number of orderings only are not compared here. Its forced top-half completions look like the 32-mask model's: a bottom half barely drawn. Conditioning well on arbitrary subsets would plausibly need training over far more orderings (not tried here) — order-agnostic NADE (Uria, Murray & Larochelle, 2014) trains over orderings drawn anew for each example — or a model trained for the one observed set that matters (then that set is a prefix of its ordering, and `MADE.complete` suffices).

# %% [markdown]
# ## How long it takes
#
# `time_sampling` times `MADE.sample(n)` (784 steps in one compiled loop) against one compiled forward pass on $n$ inputs — the cost of evaluating $p(x)$ for $n$ images — best of three runs after a warm-up, for the 784-500-784 model. Completion runs the same loop (all 784 steps; the observed pixels are kept instead of drawn), so it costs the same as sampling; `complete_any` adds building the new masks.

# %%
sizes = (1, 10, 100) if QUICK else (1, 10, 100, 1000)
timings = [timing.time_sampling(made_k, n, repeats=3, seed=SEED) for n in sizes]
print(f"{'n':>5s} {'sample (s)':>11s} {'per sample (ms)':>16s} {'per step (ms)':>14s} {'one forward pass (ms)':>22s} "
      f"{'sample / forward':>17s}")
for t in timings:
    print(f"{t['n']:5d} {t['sample_seconds']:11.3f} {1000 * t['seconds_per_sample']:16.2f} "
          f"{1000 * t['seconds_per_step']:14.3f} {1000 * t['forward_seconds']:22.3f} {t['ratio']:17.0f}")
batch = digits[:1].repeat(10, axis=0)
seconds_any = timing.time_call(lambda: complete_any(made_k, batch, top, seed=SEED), repeats=3)
seconds_prefix = timing.time_call(lambda: made_one.complete(batch, prefix, seed=SEED), repeats=3)
seconds_one = timing.time_call(lambda: made_one.sample(8, seed=SEED), repeats=3)
hand_warm = timing.time_call(lambda: sample_by_hand(made_one, 8, seed=SEED), repeats=2, warmup=0)   # ran before
print(f"\n10 digits completed: complete_any (784-500-784, top half) {seconds_any:.3f} s; model.complete "
      f"(784-4000-784, prefix) {seconds_prefix:.3f} s")
print(f"8 samples of the 784-4000-784 model: MADE.sample {seconds_one:.3f} s; by hand (784 full passes called "
      f"from Python, best of two warm runs) {hand_warm:.1f} s, {hand_warm / seconds_one:.0f} times slower")

# %% [markdown]
# Reading the table: a likelihood needs one forward pass, a sample needs 784 sequential steps. With the incremental update a step costs far less than a full pass, so a batch of samples costs tens of forward passes on the same batch rather than 784 — but the steps cannot run in parallel, and the hand-written loop of full passes, one Python call each, is many times slower than `MADE.sample` for the same model (the ratio is printed above; both timings are best-of runs after a warm-up, so tracing and first-call costs are left out of both). Batching is cheap: a thousand samples take far less than a thousand times one sample, because each step's fixed overhead is shared. Completion given any subset costs what a sample costs: `complete_any` builds one new mask set (a few milliseconds of numpy) and then runs the same loop.
#
# This asymmetry — density in one pass, sampling in $D$ sequential steps — is MADE's trade-off, and it is also the design choice of the **normalizing flows** built from MADEs. A normalizing flow (notebook 07 builds one) models data as an invertible transformation of simple noise, such as independent Gaussians: a sample is noise pushed through the transformation, and the density of a data point follows exactly from the noise density and the change-of-variables formula, once the transformation is inverted. A **masked autoregressive flow** (MAF; Papamakarios, Pavlakou & Murray, 2017) stacks MADEs with Gaussian conditionals: like MADE it evaluates a density in one pass per MADE and samples in $D$ steps. An **inverse autoregressive flow** (IAF; Kingma et al., 2016) uses the same MADEs the other way round: sampling in one pass, the density of a new point in $D$ steps. Notebook 07 builds a MAF and measures both directions.

# %% [markdown]
# ## Conclusion
#
# * **Sampling is sequential.** MADE gives $p(x)$ in one pass but draws a sample in $D$ steps, each conditioned on the pixels drawn so far; `MADE.sample` makes a step cheap (a rank-one update), not parallel.
# * **Random orderings can give recognizable digits.** Both models here sample in random orderings, and many samples are digits. A better test NLL (notebook 05's random ordering against the natural one) does not promise better-looking samples; the entropy check shows both models' own samples are noisier than the test digits.
# * **Completion is exact when the observed pixels are a prefix of the ordering** (`MADE.complete`); a model trained with one ordering cannot condition on anything else (`ValueError`), and forced to, its NLL rises by 44 to 62 nats.
# * **Order-agnostic training makes any observed set usable**: an observed-first ordering with trained hidden degrees (`complete_any`). With 32 training orderings it is not free: 27 to 69 nats above the trained masks on 1000 test digits, and completions of the top or left half that barely draw the missing half. Whether many more orderings in training would make it cheap is not tested here.

# %% [markdown]
# ## Further reading
#
# * M. Germain, K. Gregor, I. Murray, H. Larochelle, "MADE: Masked Autoencoder for Distribution Estimation", ICML 2015, [arXiv:1502.03509](https://arxiv.org/abs/1502.03509); the authors' code (Theano): [github.com/mgermain/MADE](https://github.com/mgermain/MADE).
# * Brian Keng, "Autoregressive Autoencoders" (2017), [bjlkeng.io](https://bjlkeng.io/posts/autoregressive-autoencoders/): MADE explained and implemented in Keras, with the sampling experiments discussed above.
# * H. Larochelle, I. Murray, "The Neural Autoregressive Distribution Estimator" (NADE), AISTATS 2011, [proceedings.mlr.press/v15/larochelle11a](https://proceedings.mlr.press/v15/larochelle11a.html): the autoregressive model MADE turns into a masked autoencoder, and the binarized MNIST used here.
# * A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu, "Pixel Recurrent Neural Networks" (PixelCNN, PixelRNN), ICML 2016, [arXiv:1601.06759](https://arxiv.org/abs/1601.06759): masked *convolutions*, the same idea for images.
# * G. Papamakarios, T. Pavlakou, I. Murray, "Masked Autoregressive Flow for Density Estimation" (MAF), NeurIPS 2017, [arXiv:1705.07057](https://arxiv.org/abs/1705.07057).
# * D. P. Kingma, T. Salimans, R. Jozefowicz, X. Chen, I. Sutskever, M. Welling, "Improved Variational Inference with Inverse Autoregressive Flow" (IAF), NeurIPS 2016, [arXiv:1606.04934](https://arxiv.org/abs/1606.04934).
# * B. Uria, I. Murray, H. Larochelle, "A Deep and Tractable Density Estimator", ICML 2014, [arXiv:1310.1757](https://arxiv.org/abs/1310.1757): order-agnostic training of NADE over all orderings, the idea behind MADE's order-agnostic training.
# * Andrej Karpathy's MADE in PyTorch, [github.com/karpathy/pytorch-made](https://github.com/karpathy/pytorch-made): a short implementation with order-agnostic training.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [07 · Real-valued MADE and normalizing flows](07_real_valued_made_and_flows.ipynb), which gives MADE real-valued (Gaussian) conditionals and stacks MADEs into a MAF.
