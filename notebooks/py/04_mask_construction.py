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
# Notebook 03 showed *what* MADE needs: output $d$ may depend only on the inputs before $d$. This notebook shows *how* Germain et al. (2015, section 4) get it from an ordinary autoencoder by multiplying each weight matrix with a 0/1 mask. Every unit gets a **degree**, a number that says how many inputs it may depend on; a connection is kept when the degrees allow it — `>=` between hidden layers, strict `>` into the outputs. We write a deliberately naive implementation with loops, check it against `made_helpers.core.masks`, plot masks and connectivity, and look at the choices that change the masks: the ordering, "random" vs "equal" hidden degrees, direct input→output connections, and why no hidden unit should get degree $D$. Then we build MADE itself in Keras from these masks — a masked layer in about 20 lines, the model in about 40 — check it against `made_helpers.MADE`, and use the package from there on. An interactive explorer closes the notebook.
#
# **You will learn**
#
# * how degrees on every unit and the `>=` / `>` rule build MADE's masks, and how to check them;
# * what the ordering, the hidden degrees and direct connections change;
# * how an ensemble of masks defines a distribution, shown with exact sums, and what order-agnostic training is;
# * how to write MADE in Keras as a masked layer and a small model.
#
# **It assumes** notebook 03 (the chain rule and the autoregressive property) and Keras layers and models.

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

from made_helpers import MADE
from made_helpers.core import masks as mk
from made_helpers.core import plotting
from made_helpers.core.enumeration import all_binary_vectors, sharpen_weights
from made_helpers.core.widgets import mask_explorer
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)            # seeds, quick flag (MADE_QUICK=1), figure defaults
N_CHECKS = 50 if QUICK else 500            # random configurations for the naive-vs-library check
print(f"{N_CHECKS} random configurations for the naive-vs-library check")

# %% [markdown]
# ## 1. Degrees
#
# * **Inputs.** An ordering lists the $D$ inputs in generation order. Input $x_i$ gets degree $m(i) \in \{1,\dots,D\}$, its position in that order. Output $\hat x_i$ has the same degree as input $x_i$.
# * **Hidden units.** Unit $k$ of hidden layer $l$ gets a degree $m^l(k)$: the largest input degree it may depend on. The paper draws it uniformly from $\{\min_{k'} m^{l-1}(k'), \dots, D-1\}$ (section 8 explains both bounds).
#
# **Counting from 1 in the maths, from 0 in the code** (as in notebook 03). The maths writes the inputs $x_1, \dots, x_D$, and degrees are positions counted from 1. Python arrays count from 0: input `i` of the code (`x[:, i]`, labelled `x0 … x5` in the plots, `x̂0 … x̂5` for the outputs) is $x_{i+1}$ of the maths. A degree is never an index: in the natural ordering input `i` has degree $i+1$, and the plots print degrees in brackets or on the units.
#
# `mk.make_degrees` returns one array per layer: the inputs first, then each hidden layer.

# %%
D, HIDDEN = 6, [8, 8]
degrees = mk.make_degrees(D, HIDDEN, ordering="natural", hidden_degrees="random", seed=SEED)
for name, d in zip(["inputs", "hidden 1", "hidden 2"], degrees):
    print(f"{name:9s} degrees {d}")

# %% [markdown]
# Each hidden degree is drawn on its own, so they come in no particular order; if a layer's draw looks sorted, that is chance (the other layer shows the usual jumble). Only the *multiset* of degrees matters: which unit carries which degree changes nothing about the model.

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
# The network: each circle is a unit labelled with its degree, grey lines are the allowed connections. The colour of a unit is its degree too (colour bar). The highlighted paths are everything that can reach output `x̂3` (code index 3, i.e. $\hat x_4$ in the maths, degree 4): only inputs of degree 1–3, `x0`–`x2`, are at their start. Units on no such path are drawn pale, with grey outlines and grey labels, so the path stands out.

# %%
masks = mk.make_masks(degrees)
fig = plotting.plot_network(degrees, masks, highlight_output=3,
                            title=f"MADE with D={D}, hidden {HIDDEN}: paths to output x̂3 in red (labels: degrees)")
fig.colorbar(plt.cm.ScalarMappable(norm=plt.Normalize(1, D), cmap="viridis"), ax=fig.axes[0],
             label="degree (unit colour)", ticks=range(1, D + 1), shrink=0.8)
plt.show()

# %% [markdown]
# The same masks as matrices (black = allowed; red = on a path to output `x̂3`), and the resulting **connectivity** $C_{ij}$ = "output $j$ can depend on input $i$", a product of the masks: $C = \mathbb{1}[M^1 M^2 \cdots M^V > 0]$. It is strictly upper triangular in the natural ordering: the autoregressive property.

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
# Nothing forces the natural order $x_1, x_2, \dots$. Any permutation works: input degrees are the positions in the chosen order, and the connectivity is triangular *after* sorting inputs and outputs by degree. To compare orderings and nothing else, the three panels share the hidden degrees of section 1; only the input degrees change. (`mk.make_degrees` with a different ordering would also draw new hidden degrees, and the number of dependencies with a path would change with them.)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained")
for ax, ordering in zip(axes, ["natural", "reversed", "random"]):
    degs = [mk.make_degrees(D, HIDDEN, ordering=ordering, seed=SEED)[0], *degrees[1:]]   # same hidden degrees
    conn = mk.connectivity(mk.make_masks(degs))
    plotting.plot_connectivity(conn, degs[0], ax=ax, title=f"{ordering} ordering: {conn.sum()} dependencies\n"
                               f"generation order {mk.ordering_from_degrees(degs[0])}")
fig.suptitle("One architecture and one set of hidden degrees, three orderings (ticks: code index and degree)")
plt.show()

# %% [markdown]
# With the hidden degrees fixed, the count of dependencies is the same in every panel: an ordering only renames the inputs. Which ordering is best for images is an empirical question; notebook 05 trains natural against random orderings on MNIST. A MADE can also hold **several** mask sets at once; section 10 explains how they are trained and which of their averages are distributions.
#
# ## 6. "Random" vs "equal" hidden degrees
#
# The paper draws hidden degrees at random. The alternative `hidden_degrees="equal"` spreads them evenly over $1..D-1$. With $D=784$ and 500 hidden units neither can give every degree a unit, and random draws leave more gaps. A gap at degree $m$ means no hidden unit sees exactly $x_{\le m}$, so the dependency of output $m+1$ on $x_m$ has no path through the hidden layer.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True, layout="constrained")
for ax, scheme in zip(axes, ["random", "equal"]):
    degs = mk.make_degrees(784, [500], hidden_degrees=scheme, seed=SEED)
    ax.hist(degs[1], bins=np.arange(1, 785, 16), color="tab:blue")
    ax.set(title=f"hidden_degrees='{scheme}'\n{len(np.unique(degs[1]))} distinct degrees among 500 units",
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
# MADE can add a masked linear map straight from the inputs to the outputs, with the mask $M^{\text{direct}}_{id} = \mathbb{1}[m(d) > m(i)]$ — a logistic-regression autoregressive model inside MADE: each $p(x_d = 1 \mid x_{<d}) = \sigma(b_d + \sum_{i<d} W_{id} x_i)$, the *fully visible sigmoid belief network* (FVSBN; Frey 1998; compared with MADE in Germain et al., 2015). It realises *every* allowed dependency, gaps or not:

# %%
for scheme in ("random", "equal"):
    degs = mk.make_degrees(784, [500], hidden_degrees=scheme, seed=SEED)
    without = mk.connectivity(mk.make_masks(degs))
    with_direct = mk.connectivity(mk.make_masks(degs), mk.direct_mask(degs[0]))
    print(f"{scheme:6s} degrees: pairs with a path {without.sum() / allowed:.4f} without direct, "
          f"{with_direct.sum() / allowed:.4f} with direct; still autoregressive: "
          f"{mk.is_autoregressive(with_direct, degs[0])}")

# %% [markdown]
# Whether the direct connection matters *in practice* is measured by training in notebook 05. Brian Keng's blog post "Autoregressive Autoencoders" (2017), whose Keras implementation this series started from, reports that its MADE reached a test NLL of about 150 nats without the direct connection and under 100 with it, and suspects a bug behind so large a gap (numbers quoted from the post; notebook 05 measures the gap for itself).
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
# ## 9. MADE in Keras, built in view
#
# The masks are all MADE adds; the rest is a Keras model. Brian Keng's post "Autoregressive Autoencoders" (2017) builds MADE in Keras and raises two Keras points that still matter: where the masked weights live, and how dropout knows whether it is training. For the first, a **custom layer** (a subclass of `keras.layers.Layer` with `build` and `call`) holds the masked weights, and Keras does the rest — training loop, optimiser, saving. The alternative, low-level TensorFlow, means creating the `tf.Variable`s, the matrix products and the gradient step yourself (`tf.GradientTape`); the paper's own code, in Theano, works at that level. Keras 3 also makes the layer backend-neutral: `keras.ops.matmul` runs on TensorFlow, JAX or PyTorch.
#
# The masked dense layer computes $\text{act}\big(x\,(W \odot M) + b\big)$. The mask $M$ is a non-trainable weight: it belongs to the model like the kernel and the bias, and a new mask can be assigned later without rebuilding anything. The bias is *not* masked: it depends on no input, so it cannot break the autoregressive property.

# %%
class MaskedLayer(keras.layers.Layer):
    """y = activation(x @ (W * M) + b) with a fixed 0/1 mask M of shape (fan_in, units)."""

    def __init__(self, mask, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = np.asarray(mask, dtype="float32")
        self.activation = keras.activations.get(activation)     # None -> linear
        self.use_bias = use_bias

    def build(self, input_shape):
        fan_in, units = self.mask_value.shape
        self.kernel = self.add_weight(shape=(fan_in, units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(units,), initializer="zeros", name="bias") if self.use_bias else None
        self.mask = self.add_weight(shape=(fan_in, units), name="mask", trainable=False,
                                    initializer=keras.initializers.Constant(self.mask_value))

    def call(self, x):
        y = keras.ops.matmul(x, self.kernel * self.mask)        # a cut connection carries nothing
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)


# %% [markdown]
# MADE is then masked hidden layers (ReLU), a masked output layer giving one logit per input, and the masked direct connection of section 7 added to the logits. **Dropout** sets each hidden unit to 0 with a fixed probability at every training step (and scales the others up so that each unit's expected value is unchanged); it is a **regulariser**, something that keeps a network from fitting its training images too closely. MADE applies it, if at all, to the hidden layers only: dropping a direct weight would remove a whole term $W_{id} x_i$ of the logistic-regression part, which is not what dropout is for. The `training` argument decides whether dropout is active. Keras 2 also had a global switch, `K.set_learning_phase(1)`, which code of that time used to turn dropout on outside `fit`; Keras 3 removed it: `fit` calls the model with `training=True`, `predict` and `evaluate` with `training=False`, and you can pass it yourself, `model(x, training=True)`.

# %%
class TinyMADE(keras.Model):
    """MADE from degrees [inputs, hidden_1, ...]: masked ReLU layers, masked output, masked direct."""

    def __init__(self, degrees, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        masks = mk.make_masks(degrees)                            # >= into hidden layers, > into outputs
        self.hidden = [MaskedLayer(m, activation="relu", name=f"hidden_{i}")
                       for i, m in enumerate(masks[:-1])]
        self.dropout = keras.layers.Dropout(dropout)
        self.out = MaskedLayer(masks[-1], name="output")
        self.direct = MaskedLayer(mk.direct_mask(degrees[0]), use_bias=False, name="direct")

    def call(self, x, training=None):
        h = x
        for layer in self.hidden:
            h = self.dropout(layer(h), training=training)         # dropout on hidden units only
        return self.out(h) + self.direct(x)                       # logits; the direct path is never dropped


def copy_weights(made, tiny):
    """Give `tiny` the kernels and biases of a made_helpers.MADE with the same degrees."""
    pairs = [*zip(made.hidden_layers, tiny.hidden), (made.output_layer, tiny.out),
             (made.direct_layer, tiny.direct)]
    for theirs, ours in pairs:
        ours.kernel.assign(theirs.kernel)
        if ours.use_bias:
            ours.bias.assign(theirs.bias)


# %% [markdown]
# The check: a `made_helpers.MADE` with random weights, our `TinyMADE` built from the same degrees with its weights copied over, and the logits of both on all $2^6 = 64$ binary inputs. Same masks, same weights, same logits:

# %%
reference = MADE(D, HIDDEN, seed=SEED)
tiny = TinyMADE(reference.degrees)
tiny(np.zeros((1, D), dtype="float32"))                           # build the weights
copy_weights(reference, tiny)
for ours, theirs in zip([*[layer.mask for layer in tiny.hidden], tiny.out.mask, tiny.direct.mask],
                        [*reference.masks, reference.direct_layer.mask]):
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
every_x = all_binary_vectors(D)                                   # (64, 6), every binary input
np.testing.assert_allclose(tiny(every_x), reference(every_x), rtol=1e-5, atol=1e-6)
print(f"same masks; logits on all {len(every_x)} inputs agree: max |difference| = "
      f"{np.abs(np.asarray(tiny(every_x)) - np.asarray(reference(every_x))).max():.1e}")

# %% [markdown]
# `made_helpers.MADE` is this model plus what the rest of the series needs: $K$ masks to switch between (`set_mask`), the exact `log_prob`, sequential `sample` and `complete`, input checks and saving. It has the same `dropout=` option, on hidden layers only. With `training=True` two calls give different logits (different units dropped); without it dropout is off and the model is deterministic:

# %%
with_dropout = MADE(D, HIDDEN, seed=SEED, dropout=0.5)
x_demo = every_x[-4:]                                             # inputs with ones: hidden units are active
for training in (False, True):
    first, second = with_dropout(x_demo, training=training), with_dropout(x_demo, training=training)
    print(f"training={training!s:5s}: two calls give the same logits: {np.array_equal(first, second)}")

# %% [markdown]
# From here on the series uses `made_helpers.MADE`.
#
# ## 10. Several masks: order-agnostic training and ensembles, with exact sums
#
# One set of masks is one autoregressive model: one ordering of the pixels, one pattern of paths. Nothing stops us from drawing $K$ mask sets for the **same** weights — each with its own ordering and hidden degrees, or with one shared ordering and only different hidden degrees. **Order-agnostic training** (Uria, Murray & Larochelle 2014, for NADE; section 4 of the MADE paper) uses them this way:
#
# 1. before every minibatch, one of the $K$ masks is chosen at random and put on the layers;
# 2. the forward pass, the NLL and the gradient step use that mask only;
# 3. the weights are shared, so the next minibatch, under another mask, trains the same numbers.
#
# Over many steps this minimizes the average NLL over the masks, $\frac{1}{K}\sum_k -\log p_k(x)$: $K$ autoregressive models trained at once, sharing their weights. Why would one want that? A model that knows many orderings can condition on pixels that do not come first in any one ordering (notebook 06 completes images from any subset of pixels); the $K$ models form an ensemble at test time; and weights that must serve many connection patterns are regularized, somewhat as dropout does. The price: the same weights must serve $K$ models, so each alone is worse than a model trained for one mask (notebook 05 measures how much). When the masks share one ordering and differ only in their hidden degrees, it is called *connectivity-agnostic* training.
#
# The diagram: three masks of a 6-input MADE (each mask's connectivity, as in section 3), and which mask each of the first twelve minibatches of a training run uses.

# %%
K_DEMO = 3
demo = MADE(D, HIDDEN, num_masks=K_DEMO, ordering="random", seed=SEED)
draws = np.random.default_rng(SEED).integers(K_DEMO, size=12)     # the mask of each minibatch
fig = plt.figure(figsize=(12, 5.2), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.6, 1])
for k, ax in enumerate(top.subplots(1, K_DEMO)):
    degs = demo.mask_set(k).degrees
    plotting.plot_connectivity(mk.connectivity(mk.make_masks(degs)), degs[0], ax=ax, title=f"mask {k}: order "
                               f"{mk.ordering_from_degrees(degs[0])}")
ax = bottom.subplots()
colours = plt.get_cmap("tab10")(draws)
ax.bar(np.arange(1, 13), np.ones(12), color=colours, edgecolor="black")
for step, k in enumerate(draws, start=1):
    ax.text(step, 0.5, f"mask {k}", ha="center", va="center", color="white", fontweight="bold")
ax.set(title="Training: one mask drawn at random before every minibatch, the same weights updated each time",
       xlabel="minibatch", xticks=range(1, 13), yticks=[])
fig.suptitle(f"Order-agnostic training with K = {K_DEMO} masks")
plt.show()

# %% [markdown]
# At test time the $K$ masks give $K$ distributions $p_1, \dots, p_K$. How do we combine them into one? Three ways come to mind, and with $D = 6$ we can add up each over all $2^6 = 64$ inputs, as in notebook 03:
#
# * the **mixture** $p(x) = \frac{1}{K}\sum_k p_k(x)$, an average of probabilities of whole images;
# * **averaged conditionals** $p(x) = \prod_d \frac{1}{K}\sum_k p_k(x_d \mid \cdot)$, each pixel's conditionals averaged over the masks, then the product;
# * **averaged logits** $p(x) = \prod_d \operatorname{Bernoulli}\big(x_d;\ \sigma(\tfrac{1}{K}\sum_k \ell_{k,d}(x))\big)$.
#
# We compute each for $K = 4$ masks with **different orderings**, and for $K = 4$ masks that **share one ordering** (`mask_kind="connectivity"`). The weights are random and made larger than Keras' initial ones (`sharpen_weights`), so the conditionals are far from ½ and any error in a sum shows; whether a sum is 1 depends on the masks, not on training.

# %%
def per_mask_terms(model, x, K):
    """Logits and log p_k(x_d | its predecessors) of every input under each mask: two (K, 2^D, D) arrays."""
    logits = []
    for k in range(K):
        model.set_mask(k)
        logits.append(np.asarray(model(x), dtype="float64"))
    model.set_mask(0)
    logits = np.array(logits)
    return logits, -np.logaddexp(0, -(2 * x - 1) * logits)         # log sigmoid(+-logit), stable


print(f"{'masks':20s} {'each mask':>9s} {'mixture':>9s} {'averaged conditionals':>22s} {'averaged logits':>16s}")
for name, kind in [("different orderings", "full"), ("one shared ordering", "connectivity")]:
    ens = sharpen_weights(MADE(D, [16], num_masks=4, ordering="random", mask_kind=kind, seed=SEED), scale=3.0)
    logits, log_cond = per_mask_terms(ens, every_x, 4)
    each = max(abs(np.exp(log_cond[k].sum(axis=1)).sum() - 1) for k in range(4))
    sums = [np.exp(np.logaddexp.reduce(log_cond.sum(axis=2), axis=0) - np.log(4)).sum(),
            np.exp(np.log(np.exp(log_cond).mean(axis=0)).sum(axis=1)).sum(),
            np.exp(-np.logaddexp(0, -(2 * every_x - 1) * logits.mean(axis=0)).sum(axis=1)).sum()]
    print(f"{name:20s} {'1 ± ' + format(each, '.0e'):>9s} {sums[0]:9.6f} {sums[1]:22.6f} {sums[2]:16.6f}")
    print(f"{'':20s} orderings: {[mk.ordering_from_degrees(ens.mask_set(k).degrees[0]).tolist() for k in range(4)]}")

# %% [markdown]
# What the sums say, and why:
#
# * **Each mask** alone sums to 1 (to round-off), and so does the **mixture**, whatever the orderings: an average of distributions is a distribution, $\sum_x \frac1K\sum_k p_k(x) = \frac1K\sum_k 1 = 1$. This is the ensemble MADE reports, and it is never an average of logits.
# * **Averaged conditionals with one shared ordering** sum to 1. Each mask's conditional for pixel $d$ depends only on the pixels before $d$ in the shared ordering, so their average $\bar p(x_d \mid x_{<d}) = \frac1K\sum_k p_k(x_d \mid x_{<d})$ does too, and it is still a probability over $x_d$ (the two values add to 1). A product of such conditionals is normalized by the chain-rule argument of notebook 03: sum out the last pixel first, then the one before. **Averaged logits** with one shared ordering sum to 1 for the same reason: the averaged logit is still a function of $x_{<d}$ alone.
# * **Averaged conditionals or logits over different orderings** do not sum to 1. Mask $k$'s "conditional" for pixel $d$ looks at the pixels before $d$ in *its* ordering; averaged over masks, pixel $d$'s factor depends on pixels that come after it in every other mask's ordering, and there is no single ordering in which every factor looks only backwards. The chain-rule argument has nothing to stand on, and the printed sums miss 1. The numbers such a "model" gives are not log-likelihoods; `MADE.log_prob(x, num_masks=K, ensemble="conditionals")` refuses masks with different orderings for this reason.
#
# Notebook 05 trains both kinds of ensemble on MNIST and compares the mixture with averaged conditionals; notebook 06 uses the many orderings of an order-agnostic model to complete images.

# %% [markdown]
# ## 11. The interactive mask explorer
#
# Change $D$, the hidden widths, the ordering, the degree scheme, the seed, the direct connections and the number of masks, and watch the network, masks and connectivity redraw; pick an output to highlight its paths. The explorer needs a live Jupyter kernel; below it is a static picture of its first view for readers without one. In its network picture, as in section 3, grey lines are the connections the masks allow, red lines the paths to the highlighted output, and **dashed** lines the direct input→output connections of section 7 (blue, or red when they reach the highlighted output).

# %%
explorer = mask_explorer(input_dim=6, hidden_sizes=[8, 8])
display(explorer)
print("Static snapshot of the explorer's first view (network, then masks and connectivity):")
display(Image(explorer.network_image.value), Image(explorer.matrices_image.value))

# %% [markdown]
# **Summary.** Degrees on every unit, `>=` between hidden layers, `>` into the outputs: that is all MADE adds to an autoencoder. The ordering relabels the inputs; hidden degrees decide which dependencies get paths; direct connections fill in the rest. Notebook 05 trains it.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [05 · Training MADE on binarized MNIST](05_training_made_on_mnist.ipynb).
