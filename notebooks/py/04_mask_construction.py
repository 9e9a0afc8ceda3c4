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
# # 04 · Building the masks: degrees, the `>=` / `>` rule, orderings, direct connections

# %% [markdown]
# Notebook 03 showed *what* MADE needs: output $d$ may depend only on the inputs before $d$. This notebook shows *how* Germain et al. (2015, section 4) get it from an ordinary autoencoder by multiplying each weight matrix with a 0/1 mask. Every unit gets a **degree**, a number that says how many inputs it may depend on; a connection is kept when the degrees allow it — `>=` between hidden layers, strict `>` into the outputs. We write a deliberately naive implementation with loops, check it against `made_helpers.masks`, plot masks and connectivity, and look at the choices that change the masks: the ordering, "random" vs "equal" hidden degrees, direct input→output connections, and why no hidden unit should get degree $D$. An interactive explorer closes the notebook.

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np

from made_helpers import MADE, plotting
from made_helpers import masks as mk
from made_helpers.widgets import mask_explorer

SEED = 0
keras.utils.set_random_seed(SEED)          # seeds Python, numpy and TensorFlow
rng = np.random.default_rng(SEED)
QUICK = os.environ.get("MADE_QUICK", "0") == "1"
plt.rcParams.update({"figure.dpi": 80})
N_CHECKS = 50 if QUICK else 500            # random configurations for the naive-vs-library check
print(f"mode: {'quick (MADE_QUICK=1)' if QUICK else 'full'} | {N_CHECKS} random configurations | "
      f"Keras {keras.__version__}")

# %% [markdown]
# ## 1. Degrees
#
# * **Inputs.** An ordering lists the $D$ inputs in generation order. Input $x_i$ gets degree $m(i) \in \{1,\dots,D\}$, its position in that order. Output $\hat x_i$ has the same degree as input $x_i$.
# * **Hidden units.** Unit $k$ of hidden layer $l$ gets a degree $m^l(k)$: the largest input degree it may depend on. The paper draws it uniformly from $\{\min_{k'} m^{l-1}(k'), \dots, D-1\}$ (section 8 explains both bounds).
#
# `mk.make_degrees` returns one array per layer: the inputs first, then each hidden layer.

# %%
D, HIDDEN = 6, [8, 8]
degrees = mk.make_degrees(D, HIDDEN, ordering="natural", hidden_degrees="random", seed=SEED)
for name, d in zip(["inputs", "hidden 1", "hidden 2"], degrees):
    print(f"{name:9s} degrees {d}")


# %% [markdown]
# ## 2. From degrees to masks
#
# A unit may see what its inputs see. Unit $k$ of layer $l$ with degree $m^l(k)$ may take input from unit $k'$ of layer $l-1$ if that unit depends on nothing later than $m^l(k)$:
#
# $$M^{l}_{k'k} = \mathbb{1}\big[\,m^l(k) \ge m^{l-1}(k')\,\big] \qquad\text{(hidden layers, } \ge \text{)}$$
#
# The output for input $d$ must **not** see $x_d$ itself, so the last mask is strict:
#
# $$M^{V}_{k d} = \mathbb{1}\big[\,m(d) > m^L(k)\,\big] \qquad\text{(outputs, } > \text{)}$$
#
# Masks here are stored like Keras kernels, shape (fan_in, fan_out): row = unit below, column = unit above (the paper writes the transpose). Each layer computes $h^l = \text{act}\big(h^{l-1} (W^l \odot M^l) + b^l\big)$.
#
# ### A naive implementation
#
# Loops over every pair of units, written for reading, not speed.

# %%
def naive_masks(degrees, hidden_rule=">=", output_rule=">"):
    """Masks (fan_in, fan_out) from degrees [inputs, hidden_1, ..., hidden_L], one pair at a time."""
    compare = {">=": lambda upper, lower: upper >= lower, ">": lambda upper, lower: upper > lower}
    layers = list(degrees) + [degrees[0]]                 # the outputs carry the input degrees
    result = []
    for l in range(len(layers) - 1):
        below, above = layers[l], layers[l + 1]
        rule = compare[output_rule if l == len(layers) - 2 else hidden_rule]
        mask = np.zeros((len(below), len(above)), dtype="float32")
        for k_below in range(len(below)):
            for k_above in range(len(above)):
                if rule(above[k_above], below[k_below]):
                    mask[k_below, k_above] = 1.0
        result.append(mask)
    return result


def naive_connectivity(masks):
    """(D, D) bool: [i, j] iff some path of allowed connections leads from input i to output j."""
    D = masks[0].shape[0]
    conn = np.zeros((D, masks[-1].shape[1]), dtype=bool)
    for i in range(D):
        reached = masks[0][i] > 0                         # units of hidden layer 1 that see x_i
        for m in masks[1:]:
            reached = (m[reached] > 0).any(axis=0)        # units one layer up fed by a reached unit
        conn[i] = reached
    return conn


# %% [markdown]
# The check: many random configurations (sizes, orderings, degree schemes, seeds), naive masks and paths against `mk.make_masks` and `mk.connectivity`, and against the masks that a `MADE` model actually holds in its layers.

# %%
mismatches = 0
for case in range(N_CHECKS):
    r = np.random.default_rng(case)
    d_in, sizes = int(r.integers(2, 12)), [int(h) for h in r.integers(1, 20, size=r.integers(1, 4))]
    ordering = ["natural", "reversed", "random"][case % 3]
    degs = mk.make_degrees(d_in, sizes, ordering, ["random", "equal"][case % 2], seed=case)
    ours, theirs = naive_masks(degs), mk.make_masks(degs)
    same = all(np.array_equal(a, b) for a, b in zip(ours, theirs))
    same &= np.array_equal(naive_connectivity(ours), mk.connectivity(theirs))
    mismatches += not same
print(f"{N_CHECKS} random configurations: {mismatches} mismatches between the naive and library masks")

model = MADE(D, HIDDEN, seed=SEED)
layer_masks = [layer.mask.numpy() for layer in [*model.hidden_layers, model.output_layer]]
print("MADE model's layer masks == naive masks from its degrees:",
      all(np.array_equal(a, b) for a, b in zip(layer_masks, naive_masks(model.degrees))))

# %% [markdown]
# ## 3. Pictures of the masks
#
# The network: each circle is a unit labelled with its degree, grey lines are the allowed connections. The highlighted paths are everything that can reach output $\hat x_3$ (degree 4): only inputs of degree 1–3 are at their start.

# %%
masks = mk.make_masks(degrees)
plotting.plot_network(degrees, masks, highlight_output=3,
                      title=f"MADE with D={D}, hidden {HIDDEN}: paths to output 3 in red (labels: degrees)")
plt.show()

# %% [markdown]
# The same masks as matrices (black = allowed; red = on a path to output 3), and the resulting **connectivity** $C_{ij}$ = "output $j$ can depend on input $i$", a product of the masks: $C = \mathbb{1}[M^1 M^2 \cdots M^V > 0]$. It is strictly upper triangular in the natural ordering: the autoregressive property.

# %%
plotting.plot_masks(masks, degrees, highlight_output=3)
plt.suptitle("The three masks of a 6-8-8-6 MADE (rows: units below, columns: units above)", y=1.12)
plt.show()

# %%
fig, ax = plt.subplots(figsize=(4, 3.6))
plotting.plot_connectivity(mk.connectivity(masks), degrees[0], highlight_output=3, ax=ax,
                           title="Connectivity of the 6-8-8-6 MADE (no direct connections)")
plt.show()

# %% [markdown]
# ## 4. Why `>=` inside and `>` at the output
#
# Swap the rules and count: is the result autoregressive (`mk.is_autoregressive`: every path $i \to j$ has $m(i) < m(j)$), how many of the $D(D-1)/2$ allowed dependencies "$i$ before $j$" have a path, and how many outputs are connected to the input just before them in the ordering? We use a realistic size: $D = 784$, one hidden layer of 500 units, paper-style random degrees.

# %%
big_degrees = mk.make_degrees(784, [500], seed=SEED)
allowed = 784 * 783 // 2
big_order = mk.ordering_from_degrees(big_degrees[0])
print(f"{'hidden':>6s} {'output':>6s} {'autoregressive':>15s} {'dependencies with a path':>25s} "
      f"{'outputs seeing their predecessor':>33s}")
for hidden_rule, output_rule in [(">=", ">"), (">=", ">="), (">", ">")]:
    conn = mk.connectivity(naive_masks(big_degrees, hidden_rule, output_rule))
    ok = mk.is_autoregressive(conn, big_degrees[0])
    neighbours = conn[big_order[:-1], big_order[1:]].sum()
    print(f"{hidden_rule:>6s} {output_rule:>6s} {str(ok):>15s} {conn.sum():>14d} of {allowed} {neighbours:>24d} of 783")

# %% [markdown]
# * `>=` / `>` (MADE): autoregressive.
# * `>=` / `>=`: an output can see its own input through a hidden unit of the same degree — the copying shortcut of notebook 01 comes back, and the model is not a distribution any more. (Its count of paths includes those forbidden self-dependencies.)
# * `>` / `>`: still autoregressive, but every hidden unit of degree $m$ now only sees inputs up to $m-1$ and feeds outputs from $m+1$: the dependencies of each output on its immediate predecessor are all cut. Safe, and wasteful.
#
# ## 5. Orderings
#
# Nothing forces the natural order $x_1, x_2, \dots$. Any permutation works: input degrees are the positions in the chosen order, and the connectivity is triangular *after* sorting inputs and outputs by degree.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
for ax, ordering in zip(axes, ["natural", "reversed", "random"]):
    degs = mk.make_degrees(D, HIDDEN, ordering=ordering, seed=SEED)
    plotting.plot_connectivity(mk.connectivity(mk.make_masks(degs)), degs[0], ax=ax,
                               title=f"{ordering} ordering: generation order {mk.ordering_from_degrees(degs[0])}")
fig.suptitle("The same architecture, three orderings (ticks: input and degree)", y=1.04)
plt.tight_layout()
plt.show()

# %% [markdown]
# Which ordering is best for images is an empirical question; notebook 05 trains natural against random orderings on MNIST. A MADE can also hold **several** mask sets, each with its own ordering and hidden degrees ($K$ masks, `num_masks=K`), switching between them during training (order- and connectivity-agnostic training) and averaging their probabilities at test time.
#
# ## 6. "Random" vs "equal" hidden degrees
#
# The paper draws hidden degrees at random. The alternative `hidden_degrees="equal"` spreads them evenly over $1..D-1$. With $D=784$ and 500 hidden units neither can give every degree a unit, and random draws leave more gaps. A gap at degree $m$ means no hidden unit sees exactly $x_{\le m}$, so the dependency of output $m+1$ on $x_m$ has no path through the hidden layer.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
for ax, scheme in zip(axes, ["random", "equal"]):
    degs = mk.make_degrees(784, [500], hidden_degrees=scheme, seed=SEED)
    ax.hist(degs[1], bins=np.arange(1, 785, 16), color="tab:blue")
    ax.set(title=f"hidden_degrees='{scheme}': {len(np.unique(degs[1]))} distinct degrees among 500 units",
           xlabel="hidden unit degree (bins of 16)", ylabel="number of units")
plt.show()

# %% [markdown]
# How much of the allowed dependence structure survives? For one and two hidden layers of 500, the fraction of pairs $i$ before $j$ joined by at least one path, and the number of outputs that are joined to their *immediate* predecessor in the ordering:

# %%
print(f"{'hidden':>10s} {'degrees':>8s} {'pairs with a path':>18s} {'outputs seeing their predecessor':>33s}")
for sizes in ([500], [500, 500]):
    for scheme in ("random", "equal"):
        degs = mk.make_degrees(784, sizes, hidden_degrees=scheme, seed=SEED)
        conn = mk.connectivity(mk.make_masks(degs))
        order = mk.ordering_from_degrees(degs[0])
        neighbours = conn[order[:-1], order[1:]].sum()
        print(f"{str(sizes):>10s} {scheme:>8s} {conn.sum() / allowed:18.4f} {neighbours:>25d} of 783")

# %% [markdown]
# Most pairs are connected either way — a path exists as soon as *some* hidden unit has a degree between the two — but the immediate neighbours, which matter most in images, are exactly the ones a gap cuts. With two layers, random degrees in the second layer are drawn from $[\min m^1, D-1]$ and the gaps compound.
#
# ## 7. Direct input → output connections
#
# MADE can add a masked linear map straight from the inputs to the outputs, with the mask $M^{\text{direct}}_{id} = \mathbb{1}[m(d) > m(i)]$ — a logistic-regression autoregressive model (FVSBN) inside MADE. It realises *every* allowed dependency, gaps or not:

# %%
for scheme in ("random", "equal"):
    degs = mk.make_degrees(784, [500], hidden_degrees=scheme, seed=SEED)
    without = mk.connectivity(mk.make_masks(degs))
    with_direct = mk.connectivity(mk.make_masks(degs), mk.direct_mask(degs[0]))
    print(f"{scheme:6s} degrees: pairs with a path {without.sum() / allowed:.4f} without direct, "
          f"{with_direct.sum() / allowed:.4f} with direct; still autoregressive: "
          f"{mk.is_autoregressive(with_direct, degs[0])}")

# %% [markdown]
# Whether the direct connection matters *in practice* (the seed of this project saw 150 vs under 100 nats and suspected a bug) is measured by training in notebook 05.
#
# ## 8. Why no hidden unit gets degree $D$ (or less than the layer below's minimum)
#
# A hidden unit of degree $D$ could see all inputs, but it may only feed outputs of degree $> D$ — and there are none. Its column in the output mask is empty: its weights are dead. We force one unit to degree $D$ and look.

# %%
forced = [degrees[0], degrees[1].copy(), degrees[2].copy()]
forced[2][0] = D                                        # last hidden layer, unit 0 gets degree D
out_mask = naive_masks(forced)[-1]
print(f"last hidden layer degrees {forced[2]}")
print(f"output-mask row of the degree-{D} unit: {out_mask[0]}  (sum {out_mask[0].sum():.0f}: feeds no output)")
print(f"output-mask row of a degree-{forced[2][1]} unit: {out_mask[1]}")

# %% [markdown]
# The same logic sets the lower bound. A unit of layer $l$ with degree below every degree in layer $l-1$ receives no input at all (its mask column is empty) and is a constant, a second bias. Hence the paper draws $m^l(k)$ from $\{\min_{k'} m^{l-1}(k'), \dots, D-1\}$, and `mk.make_degrees` does the same:

# %%
for seed in range(3):
    degs = mk.make_degrees(D, [8, 8, 8], seed=seed)
    empty_columns = [int((m.sum(axis=0) == 0).sum()) for m in mk.make_masks(degs)[:-1]]
    dead_rows = int((mk.make_masks(degs)[-1].sum(axis=1) == 0).sum())
    print(f"seed {seed}: hidden degree ranges {[(int(d.min()), int(d.max())) for d in degs[1:]]}, "
          f"units with no input per layer {empty_columns}, last-layer units feeding no output {dead_rows}")

# %% [markdown]
# ## 9. The interactive mask explorer
#
# Change $D$, the hidden widths, the ordering, the degree scheme, the seed, the direct connections and the number of masks, and watch the network, masks and connectivity redraw; pick an output to highlight its paths. (The explorer needs a live Jupyter kernel; in a static view of this notebook only its last state, or nothing, is shown.)

# %%
explorer = mask_explorer(input_dim=6, hidden_sizes=[8, 8])
explorer

# %% [markdown]
# **Summary.** Degrees on every unit, `>=` between hidden layers, `>` into the outputs: that is all MADE adds to an autoencoder. The ordering relabels the inputs; hidden degrees decide which dependencies get paths; direct connections fill in the rest. Notebook 05 trains it.
