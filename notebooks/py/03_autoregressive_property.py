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
# # 03 · Why an autoencoder is not a distribution, and the autoregressive property

# %% [markdown]
# An autoencoder trained with binary cross-entropy outputs, for every pixel, a probability $\sigma(\ell_d)$ — so it is tempting to call $\prod_d \sigma(\ell_d)^{x_d}(1-\sigma(\ell_d))^{1-x_d}$ "the probability of $x$". On a tiny problem, $D = 10$ binary pixels, we can list all $2^{10} = 1024$ possible inputs and add those numbers up: for an ordinary autoencoder they do not sum to 1, for MADE they do, before and after training. The reason is the chain rule $p(x) = \prod_d p(x_d \mid x_{<d})$: MADE's output $d$ only sees the inputs before $d$. We check the chain rule numerically and make the autoregressive property visible as the zero pattern of the network's Jacobian (the matrix of the derivatives of its outputs with respect to its inputs).
#
# **You will learn**
#
# * how to test whether a model defines a distribution: sum its probabilities over every input of a tiny problem;
# * the chain rule of probability and the autoregressive property it asks of a network;
# * how to see that property as the zero pattern of the network's Jacobian.
#
# **It assumes** notebooks 01 (autoencoders) and 02 (the Bernoulli NLL computed from logits).

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from made_helpers import MADE, data
from made_helpers.core import losses
from made_helpers.core.autoencoders import build_autoencoder, reconstruction_log_prob
from made_helpers.core.enumeration import all_binary_vectors, binary_index
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)            # seeds, quick flag (MADE_QUICK=1), figure defaults
D = 10                                     # pixels in the tiny problem
EPOCHS = 3 if QUICK else 30                # epochs for the D = 10 models
print(f"D = {D} pixels, {EPOCHS} epochs per model")

# %% [markdown]
# ## A tiny data set: ten pixels of binarized MNIST
#
# We cut the same 10 pixels out of every binarized MNIST digit: row 14, columns 9 to 18, a horizontal strip through the middle of the image. Neighbouring pixels are strongly correlated (strokes are several pixels wide), so the distribution over the $2^{10}$ strips is far from independent, but small enough to write down completely.

# %%
ROW, COLS = 14, slice(9, 9 + D)
strip = np.arange(784).reshape(28, 28)[ROW, COLS]                 # pixel indices of the strip
x_train, train_info = data.load_binarized_mnist("train", verbose=False, return_info=True)
x_test, test_info = data.load_binarized_mnist("test", verbose=False, return_info=True)
print(train_info.provenance(), test_info.provenance(), sep="\n")
x_train, x_test = x_train[:, strip], x_test[:, strip]
if QUICK:
    x_train = x_train[:5000]
print(f"train {x_train.shape}, test {x_test.shape}; mean pixel value {x_train.mean():.3f}")

# %% [markdown]
# **Counting from 1 in the maths, from 0 in the code.** The maths writes the pixels $x_1, \dots, x_D$ and says "output $d$ sees $x_{<d}$". Python counts from 0: column `d` of an array (`x[:, d]`) is $x_{d+1}$, and the plots label pixels and outputs by this code index, 0 to 9. So "output 3" in a plot is the output for $x_4$, which may see $x_1, x_2, x_3$ — columns 0, 1, 2. Notebook 04 adds degrees, which count from 1 like the maths.
#
# Every one of the $2^D$ binary vectors, one per row (`all_binary_vectors`). Row $r$ is $r$ written in binary with $x_1$ as the most significant bit (`bitorder="big"`), and `binary_index` gives the row of any strip, so we can count how often each strip occurs. From these frequencies, the empirical distribution $p$ of the training strips, we also compute its **entropy** $H(p) = -\sum_x p(x) \ln p(x)$ in nats: the average of $-\ln p(x)$ over strips drawn from $p$, the lowest average NLL any distribution can reach on them (Gibbs' inequality, below).

# %%
all_x = all_binary_vectors(D, bitorder="big")                     # (1024, 10): row r is r in binary
codes_train = binary_index(x_train, bitorder="big")               # the row of all_x equal to each strip
codes_test = binary_index(x_test, bitorder="big")
p_empirical = np.bincount(codes_train, minlength=2**D) / len(x_train)
entropy = -np.sum(p_empirical[p_empirical > 0] * np.log(p_empirical[p_empirical > 0]))
print(f"{all_x.shape[0]} possible strips; {np.count_nonzero(p_empirical)} occur in the training set")
print(f"entropy of the empirical training distribution: {entropy:.3f} nats per strip")


# %% [markdown]
# ## An ordinary autoencoder
#
# Two autoencoders on the 10 pixels, trained with binary cross-entropy on logits (notebook 02): one with a bottleneck of 3 units, one over-complete with 64. For each we compute, for **every** possible input $x$, the number an autoencoder's loss treats as a likelihood,
#
# $$q(x) = \prod_{d=1}^{D} \sigma(\ell_d(x))^{x_d}\,\big(1-\sigma(\ell_d(x))\big)^{1-x_d}, \qquad \ell(x) = \text{autoencoder}(x),$$
#
# and add them up. A probability distribution over $\{0,1\}^{10}$ must give $\sum_x q(x) = 1$.

# %%
def fit(model, x, epochs=EPOCHS, lr=3e-3):
    """Train a logits model on binary data with the Bernoulli NLL (summed binary cross-entropy)."""
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=losses.BernoulliNLL())
    history = model.fit(x, x, epochs=epochs, batch_size=100, verbose=0)
    print(f"{model.name}: final training loss {history.history['loss'][-1]:.3f} nats per strip")
    return model


keras.utils.set_random_seed(SEED)
ae_small = fit(build_autoencoder(D, [], code_dim=3, name="autoencoder_code3"), x_train)
keras.utils.set_random_seed(SEED)
ae_wide = fit(build_autoencoder(D, [], code_dim=64, name="autoencoder_code64"), x_train)

# %% [markdown]
# ## MADE on the same data
#
# A MADE with one hidden layer of 64 units and the natural ordering $x_1, x_2, \dots, x_{10}$ (how it is built is notebook 04's subject). Its `log_prob` computes exactly the same formula as $q(x)$ above — one forward pass, a sum of per-pixel Bernoulli terms (`reconstruction_log_prob` gives the same numbers for it). We keep an untrained copy to show that summing to one is not something MADE *learns*.

# %%
made_untrained = MADE(D, [64], seed=SEED, name="made_untrained")
keras.utils.set_random_seed(SEED)
made = fit(MADE(D, [64], seed=SEED, name="made"), x_train)


# %% [markdown]
# Now the sums over all 1024 inputs, computed in float64, and the test NLL (nats per strip, averaged over the test strips) that each model's "probabilities" would claim.

# %%
def total_and_test_nll(log_q):
    """(sum over all inputs of exp(log q), test NLL) from log q of all 1024 inputs."""
    log_q = np.asarray(log_q, dtype="float64")
    return np.exp(log_q).sum(), -log_q[codes_test].mean()


scores = {
    "autoencoder, code 3": reconstruction_log_prob(ae_small, all_x),
    "autoencoder, code 64": reconstruction_log_prob(ae_wide, all_x),
    "MADE, untrained": made_untrained.log_prob(all_x),
    "MADE, trained": made.log_prob(all_x),
}
print(f"{'model':34s} {'sum over 2^10 inputs':>21s} {'test NLL (nats)':>16s}")
for name, log_q in scores.items():
    total, nll = total_and_test_nll(log_q)
    print(f"{name:34s} {total:21.6f} {nll:16.3f}")
test_entropy = -np.log(np.bincount(codes_test, minlength=2**D)[codes_test] / len(codes_test)).mean()
print(f"\nfor reference: entropy of the empirical *test* distribution = {test_entropy:.3f} nats")

# %% [markdown]
# The autoencoders' sums are far from 1, and the more an autoencoder can copy, the larger each $q(x)$ and the larger the total. In the full run the over-complete autoencoder copies perfectly: every one of the 1024 inputs gets $q(x) \approx 1$, so the sum is about 1024 and its "test NLL" about 0; even the 3-unit bottleneck sums to far more than 1. Their "test NLL" is not a likelihood at all. By Gibbs' inequality — for two distributions $p$ and $q$, the cross-entropy is at least the entropy, $-\sum_x p(x)\log q(x) \ge -\sum_x p(x)\log p(x)$, with equality only when $q = p$ — *any* normalized distribution has an average NLL on a sample at least as large as the entropy of that sample's empirical distribution (printed last); a model that claims less, as the over-complete autoencoder does by copying, is not assigning probabilities. MADE sums to 1 up to float32 round-off, trained or not. (Notebook 04 shows with the same sums which averages of several MADEs are distributions too.)
#
# Where the probability mass goes, for every strip that occurs in the training set: MADE's probabilities follow the empirical frequencies (with more scatter for rare strips, seen only a few times), the over-complete autoencoder says "certain" to everything.

# %%
fig, ax = plt.subplots(figsize=(6, 5))
seen = p_empirical > 0
for name, marker in [("autoencoder, code 64", "x"), ("MADE, trained", "o")]:
    ax.scatter(p_empirical[seen], np.exp(scores[name])[seen], s=12, marker=marker, alpha=0.6, label=name)
ax.plot([1e-5, 1], [1e-5, 1], color="gray", lw=1, label="model = empirical")
ax.set(xscale="log", yscale="log", xlabel="empirical probability of the strip (training set)",
       ylabel="model's q(x)", title="Per-strip 'probability': autoencoder vs MADE")
ax.legend()
plt.show()


# %% [markdown]
# ## The chain rule
#
# Any distribution over $D$ variables factorizes, in any fixed order, as
#
# $$p(x) = \prod_{d=1}^{D} p(x_d \mid x_{<d}), \qquad x_{<d} = (x_1, \dots, x_{d-1}).$$
#
# If a network's output $d$ depends **only on $x_{<d}$** — the *autoregressive property* — and $\sigma(\ell_d)$ is read as $p(x_d = 1 \mid x_{<d})$, then the product above is a normalized distribution by construction: summing out $x_D$ first gives $\sum_{x_D} p(x_D\mid x_{<D}) = 1$, then $x_{D-1}$, and so on down to $x_1$. No training is needed, which is what the untrained MADE showed.
#
# We can also go the other way: from MADE's joint distribution over all 1024 inputs, compute the conditionals by brute force,
#
# $$p(x_d = 1 \mid x_{<d}) = \frac{\sum_{x_{>d}} p(x_{<d}, x_d = 1, x_{>d})}{\sum_{x_{\ge d}} p(x_{<d}, x_{\ge d})},$$
#
# and compare them with MADE's outputs $\sigma(\ell_d(x))$. For the autoencoder we do the same after normalizing $q$ (dividing by its sum), and compare with *its* outputs.

# %%
def brute_force_conditionals(log_p):
    """(1024, D): column d (code index, the maths' x_{d+1}) is p(x_{d+1} = 1 | x_1..x_d) for every input."""
    joint = np.exp(np.asarray(log_p, dtype="float64"))
    joint = joint / joint.sum()
    rows = np.arange(2**D)
    cond = np.zeros((2**D, D))
    for d in range(D):
        # rows sharing their first d + 1 pixels form one block of all_x (x_1 is the leading bit)
        prefix_prob = joint.reshape(2 ** (d + 1), -1).sum(axis=1)    # p(x_1..x_{d+1}), one per prefix
        before = rows >> (D - d)                                      # each row's prefix x_1..x_d as a number
        p_zero, p_one = prefix_prob[2 * before], prefix_prob[2 * before + 1]
        cond[:, d] = p_one / (p_zero + p_one)
    return cond


for name, model in [("MADE, trained", made), ("autoencoder, code 64", ae_wide)]:
    brute = brute_force_conditionals(scores[name])
    outputs = tf.sigmoid(model(all_x)).numpy()
    print(f"{name:22s} max |brute-force conditional - network output| = {np.abs(brute - outputs).max():.2e}")


# %% [markdown]
# For MADE the network's outputs *are* the conditionals of its joint distribution, to float round-off. For the autoencoder the two disagree by a large margin: its outputs are not the conditionals of any distribution it defines — they are predictions of $x_d$ made while looking at $x_d$.
#
# ## The autoregressive property, made visible
#
# "Output $d$ depends only on $x_{<d}$" means $\partial \ell_d / \partial x_i = 0$ whenever $i \ge d$. Besides the MADE above we train one with a random **ordering** (`ordering="random"`): the chain rule applied to the pixels in a shuffled order $o_1, \dots, o_D$, so the output for pixel $o_t$ may see only $x_{o_1}, \dots, x_{o_{t-1}}$. We compute the Jacobian $J_{ij} = \partial \ell_j / \partial x_i$ with automatic differentiation at 200 test strips and show $\operatorname{mean}|J_{ij}|$: rows are inputs, columns outputs, both labelled by their code index 0–9 (0 is $x_1$).

# %%
def mean_abs_jacobian(model, x):
    """(D_in, D_out): mean over the batch of |d logit_j / d x_i|."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x)
    jac = tape.batch_jacobian(logits, x).numpy()                     # (batch, out j, in i)
    return np.abs(jac).mean(axis=0).T


made_random = fit(MADE(D, [64], ordering="random", seed=SEED + 1, name="made_random_order"), x_train)
jacobians = {"autoencoder (code 64)": mean_abs_jacobian(ae_wide, x_test[:200]),
             "MADE, natural order": mean_abs_jacobian(made, x_test[:200]),
             "MADE, random order": mean_abs_jacobian(made_random, x_test[:200])}

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), layout="constrained")
order = made_random.ordering
panels = list(jacobians.items()) + [("MADE, random order,\nrows/cols sorted by the ordering",
                                     jacobians["MADE, random order"][np.ix_(order, order)])]
for ax, (name, jac) in zip(axes, panels):
    im = ax.imshow(np.log10(jac + 1e-8), cmap="viridis", vmin=-8, vmax=0)
    ax.set(title=name, xlabel="output j", ylabel="input i", xticks=range(D), yticks=range(D))
ax.set(xlabel="output: position (pixel)", ylabel="input: position (pixel)",
       xticklabels=[f"{p}\n({i})" for p, i in enumerate(order)],
       yticklabels=[f"{p} ({i})" for p, i in enumerate(order)])
fig.colorbar(im, ax=axes, label="log10 mean |d logit_j / d x_i|")
fig.suptitle("Jacobian patterns: the autoencoder is dense, MADE is strictly triangular in its ordering")
plt.show()

# %% [markdown]
# The autoencoder's Jacobian is dense, diagonal included. MADE's is exactly zero (the dark $10^{-8}$ floor) on and below the diagonal: output $j$ ignores $x_j$ and everything after it. With a random ordering the zeros are scattered, and sorting rows and columns by the ordering brings the triangle back — the ordering is just a relabelling of the pixels. In that last panel the axes count positions in the ordering, with each pixel's code index in brackets: position (pixel). The zero pattern is guaranteed by the masks, not by the data; `model.connectivity()` gives it without any gradient. The check below also reads `model.degrees[0]`, each input's **degree**: its position in the ordering, counted from 1, so input $i$ comes before input $j$ when its degree is smaller. Notebook 04 gives every hidden unit a degree too and builds the masks from them.

# %%
for name, model, jac in [("natural", made, jacobians["MADE, natural order"]),
                         ("random", made_random, jacobians["MADE, random order"])]:
    conn = model.connectivity()                                   # (D, D) bool, [i, j]: output j may see input i
    before = model.degrees[0][:, None] < model.degrees[0][None, :]
    print(f"{name:8s} ordering {model.ordering}: non-zero gradients inside the allowed pattern: "
          f"{bool(np.all(conn[jac > 0]))}; allowed pattern only 'i before j': {bool(np.all(before[conn]))}")

# %% [markdown]
# ### The same on full-size digits
#
# On 784 pixels the Jacobian is too big to read, but one column of it is an image: which pixels does the prediction for the pixel at row 14, column 14 (code indices from 0: the 15th row and column) depend on? For an autoencoder, all of them; for a MADE with the natural (row-by-row) ordering, exactly the pixels that come before it when reading row by row — every pixel of all the rows above, plus the pixels to its left in its own row; for a random ordering, a random set of earlier pixels. These networks are untrained: the pattern comes from the architecture alone.

# %%
target = 14 * 28 + 14
x_digit = data.load_binarized_mnist("test", verbose=False)[:1]
big = {"autoencoder 784-500-784": build_autoencoder(784, [], code_dim=500),
       "MADE 784-500-784, natural": MADE(784, [500], seed=SEED),
       "MADE 784-500-784, random": MADE(784, [500], ordering="random", seed=SEED)}
fig, axes = plt.subplots(1, 3, figsize=(11, 4))
for ax, (name, model) in zip(axes, big.items()):
    x = tf.constant(x_digit)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = model(x)[0, target]
    grad = tape.gradient(logit, x).numpy().reshape(28, 28)
    ax.imshow(grad != 0, cmap="Blues", vmin=0, vmax=1.5)
    ax.plot(14, 14, "r*", markersize=12)
    ax.set(title=f"{name}\n{int((grad != 0).sum())} inputs reach the red pixel", xlabel="column", ylabel="row")
fig.suptitle("Inputs with a non-zero gradient for the output at row 14, column 14 (red star)")
plt.show()

# %% [markdown]
# **Summary.** Reconstruction scores of an autoencoder are not probabilities: they do not sum to 1, and the network's outputs are not the conditionals of the joint they imply. Cutting every path from $x_i$ to output $d$ unless $i$ comes before $d$ turns the same network into a normalized model through the chain rule. Notebook 04 builds the masks that do the cutting.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [04 · Building the masks: degrees, the `>=` / `>` rule, orderings, direct connections](04_mask_construction.ipynb).
