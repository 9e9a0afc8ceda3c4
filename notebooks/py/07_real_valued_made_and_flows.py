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
# # 07 · Real-valued MADE and normalizing flows

# %% [markdown]
# So far every pixel was 0 or 1 and each of MADE's conditionals was a Bernoulli. Here the data are real numbers, each conditional $p(x_d \mid x_{<d})$ becomes a **Gaussian** or a **mixture of Gaussians**, under exactly the same masks, and stacking such MADEs gives a **Masked Autoregressive Flow** (MAF; Papamakarios, Pavlakou & Murray, 2017). Everything is shown on 2-D toy densities, where the result can be drawn; notebook 08 takes the same models to MNIST.
#
# **You will learn**
#
# * the change-of-variables formula, in 1-D with a picture and in $D$ dimensions for a triangular Jacobian;
# * the Gaussian MADE's output layer and its NLL, written out and checked against the package on the same weights;
# * MAF's forward map (one pass per layer) and its inverse ($D$ passes per layer), written out, and two moons pushed through each layer;
# * Real NVP as a Gaussian MADE with two degree groups, and Inverse Autoregressive Flow (IAF) as MAF's computation with the roles swapped, with timings.
#
# **It assumes** notebooks 02 (Gaussian NLL), 04 (masks and degrees) and 06 (sequential sampling).

# %%
import logging
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from made_helpers import MAF, GaussianMADE, RealNVP, fit_density
from made_helpers.core import losses
from made_helpers.core.evaluate import paired_difference
from made_helpers.core.masks import coupling_degrees
from made_helpers.density import toy2d
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0, figure={"figure.dpi": 72})   # seeds, quick flag (MADE_QUICK=1), figures
logging.getLogger("tensorflow").setLevel(logging.ERROR)     # no retracing notices
TOY = {"n_train": 1_000 if QUICK else 5_000, "n_valid": 500 if QUICK else 1_000, "hidden": [64, 64],
       "components": 5, "layers": 5, "names": ["two_moons"] if QUICK else list(toy2d.TOY_NAMES)}

# %% [markdown]
# ## 1. The change of variables
#
# A **normalizing flow** is an invertible, differentiable map $u = g(x)$ from the data to "random numbers" $u$ whose density $p_u$ is simple (a standard normal). The density of the data follows from $p_u$ and $g$. In one dimension, an interval $[x, x + dx]$ is mapped to an interval of length $|g'(x)|\,dx$ and both hold the same probability, so
#
# $$p_x(x) = p_u\big(g(x)\big)\,\lvert g'(x)\rvert, \qquad \log p_x(x) = \log p_u\big(g(x)\big) + \log\lvert g'(x)\rvert .$$
#
# The factor $\lvert g'(x)\rvert$ is the **Jacobian** factor: where $g$ is steep, a short interval of $x$ covers many $u$, and $x$ is dense there; where $g$ is flat, $x$ is sparse. The example below uses $g(x) = x^3/3 + 0.1\,x$ (increasing, so invertible) with $u \sim \mathcal{N}(0, 1)$: $g$ is flat near 0, so a unimodal $p_u$ becomes a bimodal $p_x$. Samples $x = g^{-1}(u)$ (inverted numerically on a grid) must follow the formula.

# %%
xs1 = np.linspace(-3, 3, 601)
g, g_prime = xs1**3 / 3 + 0.1 * xs1, xs1**2 + 0.1
p_u = np.exp(-0.5 * g**2) / np.sqrt(2 * np.pi)              # p_u(g(x))
p_x = p_u * g_prime                                          # the change of variables
samples_x = np.interp(rng.standard_normal(20_000), g, xs1)   # x = g^{-1}(u): g is increasing
print(f"integral of p_x over [-3, 3]: {np.sum(p_x) * (xs1[1] - xs1[0]):.4f}")
fig, axes = plt.subplots(1, 3, figsize=(13, 3.3))
axes[0].plot(xs1, g)
axes[0].set(title="the map $u = g(x) = x^3/3 + 0.1x$", xlabel="$x$", ylabel="$u$")
axes[1].plot(xs1, p_u, label="$p_u(g(x))$")
axes[1].plot(xs1, g_prime / g_prime.max() * p_u.max(), "--", label="$|g'(x)|$ (rescaled)")
axes[1].set(title="the two factors", xlabel="$x$", ylabel="value")
axes[1].legend(fontsize=8)
axes[2].hist(samples_x, bins=80, range=(-3, 3), density=True, color="lightgrey", label="samples $g^{-1}(u)$")
axes[2].plot(xs1, p_x, label="$p_u(g(x))\\,|g'(x)|$")
axes[2].set(title="the density of $x$", xlabel="$x$", ylabel="density")
axes[2].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# In $D$ dimensions the factor becomes the absolute determinant of the Jacobian matrix $J_{ij} = \partial u_i / \partial x_j$:
#
# $$\log p_x(x) = \log p_u\big(g(x)\big) + \log\big\lvert\det J(x)\big\rvert .$$
#
# A determinant costs $O(D^3)$ in general, but if $u_d$ depends on $x_1, \dots, x_d$ only (an **autoregressive** map, like MADE's outputs), $J$ is lower triangular and its determinant is the product of its diagonal: $\log\lvert\det J\rvert = \sum_d \log\lvert\partial u_d / \partial x_d\rvert$, a sum of $D$ terms. Section 2 builds exactly such a map.

# %% [markdown]
# ## 2. The Gaussian MADE: output layer and NLL
#
# For real-valued data MADE's output $d$ becomes the parameters of a Gaussian, a mean $\mu_d$ and a log-scale $\alpha_d$, both functions of $x_{<d}$ only:
#
# $$p(x_d \mid x_{<d}) = \mathcal{N}\big(x_d;\ \mu_d,\ e^{2\alpha_d}\big), \qquad -\log p(x_d \mid x_{<d}) = \tfrac12\big((x_d-\mu_d)e^{-\alpha_d}\big)^2 + \alpha_d + \tfrac12\log 2\pi .$$
#
# That is notebook 02's Gaussian NLL with a *learned* variance $\sigma_d^2 = e^{2\alpha_d}$. One masked network gives both: the output layer has $2D$ units, and its mask is notebook 04's output mask repeated twice (one block for the means, one for the log-scales), so every parameter of dimension $d$ sees only $x_{<d}$. Log-scales are soft-bounded, $\alpha = 7\tanh(\alpha_{\text{raw}}/7)$, so that $e^{-\alpha}$ cannot overflow. Written out, with the weights and masks read from a `GaussianMADE`:

# %%
def made_params(made, x):
    """(mu, alpha), each (batch, D): a one-Gaussian MADE's output layer, written out with its weights and masks."""
    h = x
    for layer in made.hidden_layers:
        h = np.maximum(0.0, h @ (layer.kernel.numpy() * layer.mask.numpy()) + layer.bias.numpy())    # ReLU
    out = made.output_layer
    raw = h @ (out.kernel.numpy() * out.mask.numpy()) + out.bias.numpy()        # (batch, 2 D)
    D = made.input_dim
    return raw[:, :D], 7.0 * np.tanh(raw[:, D:] / 7.0)


def made_nll(made, x):
    """-log p(x), (batch,): the sum over d of the Gaussian NLL of each conditional."""
    mu, alpha = made_params(made, x)
    return np.sum(0.5 * ((x - mu) * np.exp(-alpha)) ** 2 + alpha + 0.5 * np.log(2 * np.pi), axis=1)


# %% [markdown]
# The check: the same weights in `GaussianMADE` (a network with random initial weights, made less trivial by scaling its output layer up) give the same $\mu$, $\alpha$ and NLL, and each conditional's NLL is notebook 02's `losses.gaussian_nll` with `log_variance` $= 2\alpha$.

# %%
made = GaussianMADE(input_dim=3, hidden_sizes=[16], num_components=1, seed=SEED)
made.output_layer.kernel.assign(made.output_layer.kernel * 30.0)
x3 = rng.normal(size=(4, 3)).astype("float32")
mu, alpha = made_params(made, x3)
mean_pkg, log_scale_pkg = made.gaussian_params(x3)
print("means equal:", np.allclose(mu, mean_pkg, atol=1e-5),
      "| log-scales equal:", np.allclose(alpha, log_scale_pkg, atol=1e-5),
      "| NLL equal:", np.allclose(made_nll(made, x3), -made.log_prob(x3), atol=1e-4))
via_02 = sum(losses.gaussian_nll(x3[:, [d]], mu[:, [d]], log_variance=2 * alpha[:, [d]]).numpy() for d in range(3))
print("sum of notebook 02's Gaussian NLLs equal:", np.allclose(via_02.ravel(), made_nll(made, x3), atol=1e-4))
print(f"output units: {made.output_layer.units} = 2 x D; output mask (hidden -> [means | log-scales]):")
print(made.output_layer.mask.numpy().astype(int)[:6], "... (first 6 hidden units)")

# %% [markdown]
# **The Gaussian MADE is a flow.** To sample, draw $u_d \sim \mathcal{N}(0, 1)$ and set, in the model's order, $x_d = \mu_d(x_{<d}) + e^{\alpha_d(x_{<d})}\,u_d$. Read backwards this is the map $u_d = (x_d - \mu_d)\,e^{-\alpha_d}$ from data to random numbers. Since $u_d$ depends on $x_{\le d}$ only, its Jacobian is lower triangular with diagonal $e^{-\alpha_d}$ (in the model's order), so $\log\lvert\det J\rvert = -\sum_d \alpha_d$, and $\log \mathcal{N}(u; 0, I) - \sum_d \alpha_d$ is exactly the sum of the conditionals' log-densities. The Jacobian of one point, computed numerically by central differences, shows the triangle:

# %%
def made_u(x):
    """u = (x - mu) exp(-alpha), (batch, D), with section 2's made_params."""
    mu, alpha = made_params(made, x)
    return (x - mu) * np.exp(-alpha)


x_one, eps = x3[:1].astype(np.float64), 1e-5
jac = np.stack([(made_u(x_one + eps * e) - made_u(x_one - eps * e))[0] / (2 * eps) for e in np.eye(3)], axis=1)
print("Jacobian du/dx of one point by central differences (rows u_d, columns x_j):\n", jac.round(4))
print(f"log|det J| by numpy {np.linalg.slogdet(jac)[1]:.5f} | -sum(alpha) {-alpha[0].sum():.5f} | "
      f"package's log_det {float(made.forward(x3[:1])[1][0]):.5f}")

# %% [markdown]
# A **mixture of $C$ Gaussians** per conditional gives each $d$ the mixing logits $\ell_{d,c}$, means and log-scales of $C$ components, $p(x_d \mid x_{<d}) = \sum_c \pi_{d,c}\,\mathcal{N}(x_d; \mu_{d,c}, e^{2\alpha_{d,c}})$ with $\pi_{d,c} = \operatorname{softmax}_c(\ell_{d,c})$, computed as a **log-sum-exp** ($\log \sum_c e^{a_c}$, evaluated as $m + \log \sum_c e^{a_c - m}$ with $m = \max_c a_c$, so that no exponential overflows or underflows to 0); the output mask is repeated $3C$ times. A mixture is no longer an invertible map of $x$ (there is no single $u_d$), so it is used as a density, not as a flow layer.
#
# ## 3. Three toy densities in 2-D
#
# Three densities generated with numpy (`made_helpers.density.toy2d`): **two moons** (two interleaved noisy half circles), a **ring** (angle uniform, radius $\mathcal{N}(2, 0.2^2)$) and a **checkerboard** (uniform on 8 of the 16 squares of a $4\times4$ board). In 2-D a model's density can be drawn on a grid and compared with the data by eye, and its integral over the plane can be checked to be 1.

# %%
toys = {name: toy2d.sample_toy(name, TOY["n_train"] + TOY["n_valid"], seed=SEED) for name in TOY["names"]}
fig, axes = plt.subplots(1, len(toys), figsize=(3.2 * len(toys), 3.2), squeeze=False)
for ax, (name, pts) in zip(axes[0], toys.items()):
    ax.scatter(pts[:2000, 0], pts[:2000, 1], s=1, alpha=0.4)
    ax.set(title=f"{name}: 2 000 of {len(pts)} points", xlabel="$x_1$", ylabel="$x_2$", xlim=(-3, 3), ylim=(-3, 3))
    ax.set_aspect("equal")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each density gets four models with the same hidden layers (two of 64 ReLU units):
#
# * a **Gaussian MADE** (one Gaussian per conditional, $x_1$ first, then $x_2 \mid x_1$),
# * a **mixture-of-Gaussians (MoG) MADE** with $C = 5$ components per conditional,
# * a **MAF of 5 Gaussian MADEs** (section 4), consecutive MADEs in reversed orders,
# * a **Real NVP of 5 coupling layers** (section 6).
#
# Training is `fit_density`: minibatch Adam (batch 100) on the mean NLL, with early stopping on a validation set (the best epoch's weights are kept). The MADEs use learning rate $3\cdot10^{-3}$ (at most 60 epochs, patience 10), the flows $10^{-3}$ (at most 100 epochs, patience 15).
#
# **What the mixture needs: components that start apart.** The first conditional in the order, $p(x_1)$, sees no input: its row of the output mask is all zero, so its $3C$ parameters are the output layer's biases alone. Those biases start at 0, so its 5 components start as one and the same Gaussian, receive the same gradient at every step and stay the same forever: $p(x_1)$ would remain a single Gaussian, however long the training. (The later conditionals do not have this problem: their parameters come from random initial weights, which differ per component.) So before training, `spread_first_means` sets the 5 means of $p(x_1)$ to 5 quantiles of the training data's $x_1$ (10%, 30%, ..., 90%); nothing else about the training changes. After the training, a MoG MADE trained from the all-zero start shows what happens without it.
# %%
def spread_first_means(made, x_train):
    """Start the C component means of the first conditional at C quantiles of that dimension of x_train (N, D)."""
    C, D, d = made.num_components, made.input_dim, int(made.ordering[0])
    bias = made.output_layer.bias.numpy()              # column p * D + d holds parameter p of dimension d
    means = np.quantile(x_train[:, d], (np.arange(C) + 0.5) / C)
    bias[(C + np.arange(C)) * D + d] = means           # parameters 0..C-1: logits, C..2C-1: means, 2C..3C-1: log-scales
    made.output_layer.bias.assign(bias)
    return made


def first_components(made):
    """(means, log-scales), each (C,), of the first conditional p(x_{o1}) (it sees no input: any x gives them)."""
    _, means, log_scales = made.mixture_params(np.zeros((1, made.input_dim), "float32"))
    d = int(made.ordering[0])
    return means.numpy()[0, :, d], log_scales.numpy()[0, :, d]


def train_toy_models(pts):
    """The four models of this section fitted to ``pts``; returns {label: (model, history)}."""
    train, valid = pts[:TOY["n_train"]], pts[TOY["n_train"]:]
    h, C, K = TOY["hidden"], TOY["components"], TOY["layers"]
    specs = {"Gaussian MADE": (GaussianMADE(2, h, seed=SEED), 3e-3, 60, 10),
             f"MoG MADE (C={C})": (spread_first_means(GaussianMADE(2, h, C, seed=SEED), train), 3e-3, 60, 10),
             f"MAF ({K} MADEs)": (MAF(2, h, K, seed=SEED), 1e-3, 100, 15),
             f"Real NVP ({K} couplings)": (RealNVP(2, h, K, seed=SEED), 1e-3, 100, 15)}
    return {label: (model, fit_density(model, train, valid, epochs=3 if QUICK else epochs, learning_rate=lr,
                                       patience=patience, seed=SEED, verbose=False))
            for label, (model, lr, epochs, patience) in specs.items()}


start = time.perf_counter()
fitted = {name: train_toy_models(pts) for name, pts in toys.items()}
for name, models in fitted.items():
    for label, (_, hist) in models.items():
        print(f"{name:12s} {label:22s} best valid NLL {hist['best_valid_nll']:6.3f} nats "
              f"(epoch {hist['best_epoch']} of {len(hist['valid_nll'])}, {hist['seconds']:4.1f} s)")
print(f"all toy models: {time.perf_counter() - start:.0f} s")

# %% [markdown]
# **Without the spread start.** The same MoG MADE on the ring, trained the same way from the all-zero biases. Its output mask shows that $x_1$'s parameters see no hidden unit, and the means and log-scales of its 5 components of $p(x_1)$ are still identical after training, while those of the spread-start model have moved apart:

# %%
MOG = f"MoG MADE (C={TOY['components']})"
first_name = "ring" if "ring" in toys else TOY["names"][0]
first_train, first_valid = toys[first_name][:TOY["n_train"]], toys[first_name][TOY["n_train"]:]
mog_zero = GaussianMADE(2, TOY["hidden"], TOY["components"], seed=SEED)
d1 = int(mog_zero.ordering[0])
mask_d1 = mog_zero.output_layer.mask.numpy()[:, d1::mog_zero.input_dim]     # the columns p * D + d1
print(f"output-mask entries of x_{d1 + 1}'s {mask_d1.shape[1]} parameters that are 1: {int(mask_d1.sum())} "
      f"of {mask_d1.size}")
hist_zero = fit_density(mog_zero, first_train, first_valid, epochs=3 if QUICK else 60, learning_rate=3e-3,
                        patience=10, seed=SEED, verbose=False)
for label, model in [("all-zero start", mog_zero), ("spread start", fitted[first_name][MOG][0])]:
    means, log_scales = first_components(model)
    print(f"{first_name}, {label:14s}: p(x_{d1 + 1}) component means {np.round(means, 2)}, "
          f"log-scales {np.round(log_scales, 2)}")
print(f"all-zero start: best valid NLL {hist_zero['best_valid_nll']:.3f} nats "
      f"(epoch {hist_zero['best_epoch']} of {len(hist_zero['valid_nll'])})")

# %% [markdown]
# **The library's way.** Any start that gives the components of $p(x_1)$ different values breaks the tie. The MAF authors' code (gpapamak/maf) draws a mixture MADE's output biases at random: the mixture logits, the means and the log-precisions each from $\mathcal{N}(0, 1)$, so the log-scales (minus half a log-precision) from $\mathcal{N}(0, \tfrac14)$. `GaussianMADE(..., mixture_bias_init="normal")` starts the same way; the default, `"zeros"`, is the all-zero start above. The components of $p(x_1)$ of an untrained model of each kind:

# %%
for start in ("zeros", "normal"):
    means, log_scales = first_components(GaussianMADE(2, TOY["hidden"], TOY["components"], seed=SEED,
                                                      mixture_bias_init=start))
    print(f'mixture_bias_init="{start}": p(x_{d1 + 1}) component means {np.round(means, 2)}, '
          f"log-scales {np.round(log_scales, 2)}")

# %% [markdown]
# **One Gaussian against the mixture on new points.** The validation points chose each model's epoch, so the comparison uses fresh points of each density, drawn with another seed. Both models are evaluated on the same points, so the standard error of their difference is the one of the per-point differences (`paired_difference`): the spread the two share, from points that are easy or hard for both, cancels.

# %%
n_test = 1_000 if QUICK else 5_000
test_sets = {name: toy2d.sample_toy(name, n_test, seed=SEED + 1) for name in toys}
for name, models in fitted.items():
    nll_gauss = -models["Gaussian MADE"][0].log_prob(test_sets[name]).astype(np.float64)
    nll_mog = -models[MOG][0].log_prob(test_sets[name]).astype(np.float64)
    diff, se = paired_difference(nll_mog, nll_gauss)
    print(f"{name:12s} test NLL: Gaussian MADE {nll_gauss.mean():.3f} | {MOG} {nll_mog.mean():.3f} | "
          f"mixture - Gaussian {diff:+.3f} ± {se:.3f} nats ({n_test} points)")
nll_zero = -mog_zero.log_prob(test_sets[first_name]).astype(np.float64)
nll_spread = -fitted[first_name][MOG][0].log_prob(test_sets[first_name]).astype(np.float64)
diff, se = paired_difference(nll_spread, nll_zero)
print(f"{first_name:12s} test NLL: {MOG} from the all-zero start {nll_zero.mean():.3f} | spread start - all-zero "
      f"start {diff:+.3f} ± {se:.3f} nats")

# %% [markdown]
# Each model's density $p(x)$ on a $200\times200$ grid over $[-3, 3]^2$, beside the data's normalized histogram. All panels of a row share one colour scale (one colour bar per row), so brightness compares across the row; the scale's top is the highest model density or the histogram's 99th percentile, whichever is larger (the few histogram cells above it show in the top colour). The number in each title is the grid's Riemann sum $\sum p(x)\,\Delta x_1 \Delta x_2$ — the probability mass inside the square, which must be at most 1 and close to it when little mass lies outside.

# %%
fig, axes = plt.subplots(len(fitted), 5, figsize=(16, 3.1 * len(fitted)), squeeze=False)
for row, (name, models) in zip(axes, fitted.items()):
    pts = toys[name]
    hist_density, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=50, range=[[-3, 3], [-3, 3]], density=True)
    grids = {label: toy2d.grid_log_density(model, lim=3.0, n=200) for label, (model, _) in models.items()}
    vmax = max(np.percentile(hist_density, 99), *(np.exp(lp).max() for _, _, lp in grids.values()))
    im = row[0].imshow(hist_density, origin="lower", extent=(-3, 3, -3, 3), cmap="viridis", vmin=0, vmax=vmax)
    row[0].set_title(f"{name}\ndata histogram", fontsize=9)
    for ax, (label, (xs, _, log_p)) in zip(row[1:], grids.items()):
        ax.imshow(np.exp(log_p), origin="lower", extent=(-3, 3, -3, 3), cmap="viridis", vmin=0, vmax=vmax)
        ax.set_title(f"{label}\nmass on grid {toy2d.grid_mass(log_p, xs):.3f}", fontsize=9)
    for k, ax in enumerate(row):
        ax.set(xlabel="$x_1$", ylabel="$x_2$" if k == 0 else "")
    fig.colorbar(im, ax=list(row), shrink=0.85, label="density $p(x)$")
fig.suptitle("Data and model densities $p(x)$, one colour scale per row")
plt.show()

# %% [markdown]
# ### Why one Gaussian per conditional cannot make two moons
#
# The Gaussian MADE factorizes $p(x_1, x_2) = p(x_1)\,p(x_2 \mid x_1)$ with both factors Gaussian. But for $x_1$ near 0 the data have points on the upper moon *and* on the lower one: $p(x_2 \mid x_1 = 0)$ is **bimodal**, and the best single Gaussian puts its mean between the two modes, where there are no data, and widens to cover both. A mixture of 5 Gaussians has no such limit, and neither do the flows, whose layers are each single-Gaussian (section 4 shows how). Each model's conditional is read off its joint on the grid, $p(x_2 \mid x_1 = 0) = p(0, x_2) / \int p(0, x_2')\,dx_2'$, and drawn over the histogram of the data with $|x_1| < 0.1$:

# %%
moons = toys["two_moons"]
near = moons[np.abs(moons[:, 0]) < 0.1, 1]
x2 = np.linspace(-3, 3, 400, dtype="float32")
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.hist(near, bins=40, range=(-3, 3), density=True, color="lightgrey", label=f"data, $|x_1|<0.1$ ({len(near)} points)")
for label, (model, _) in fitted["two_moons"].items():
    log_p = model.log_prob(np.stack([np.zeros_like(x2), x2], axis=1))
    p = np.exp(log_p - log_p.max())
    ax.plot(x2, p / (p.sum() * (x2[1] - x2[0])), label=label)
ax.set(title="Two moons: $p(x_2 \\mid x_1 = 0)$ of each model", xlabel="$x_2$", ylabel="density")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))     # beside the axes: no peak hidden
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Why a flow can leave a thin spike between the moons
#
# A flow may draw a narrow spike of $p(x_2 \mid x_1 = 0)$ between the two modes, where there are no data (in the figure above, or in another training run, which can differ in such details). Its cause is that a flow cannot cut. It sends the standard normal of $u$ to $x$ by a continuous invertible map, and the normal has no hole: the $u$ that become the upper moon and the $u$ that become the lower one border each other somewhere in the middle of the normal, and the $u$ along that border must land *between* the moons. All a flow can do is make that band of $u$ narrow and squeeze its image into thin sheets across the gap. Each sheet holds a small share of the probability, but being thin, its density can be high; where the line $x_1 = 0$ crosses one, the conditional shows a spike. A mixture MADE has no such constraint: its components can leave the gap nearly empty.
#
# The code below marks the gap, the points farther than $0.35$ from both noise-free moons ($3.5$ times the noise's standard deviation $0.1$), draws 20 000 points $u$ from the normal, sends them to $x$ with each flow's inverse, and shows which $u$ land in the gap. It prints, for every model, the share of its probability that lies in the gap (the share of its samples there) beside the share of new data points there, and the highest density each model puts in the gap on the line $x_1 = 0$.

# %%
arcs = toy2d.two_moons(2_000, seed=SEED, noise=0.0)                   # the two moons without noise


def in_gap(x, width=0.35):
    """True where a point of x (n, 2) is farther than ``width`` from every point of both noise-free moons."""
    nearest = np.min(np.linalg.norm(x[:, None, :] - arcs[None, ::4, :], axis=2), axis=1)   # 500 arc points suffice
    return nearest > width


u_draw = np.random.default_rng(SEED + 2).standard_normal((20_000, 2)).astype("float32")
line = np.stack([np.zeros_like(x2), x2], axis=1)
print(f"data (new points): {in_gap(test_sets['two_moons']).mean():6.2%} in the gap")
for label, (model, _) in fitted["two_moons"].items():
    on_gap = in_gap(line)
    p_line = np.exp(model.log_prob(line))
    print(f"{label:22s}: {in_gap(model.sample(20_000, seed=SEED + 3)).mean():6.2%} of its samples in the gap; "
          f"highest density on the line x_1 = 0 inside the gap {p_line[on_gap].max():.3f}, "
          f"outside {p_line[~on_gap].max():.3f}")
flows = [label for label in fitted["two_moons"] if "MAF" in label or "NVP" in label]
fig, axes = plt.subplots(1, len(flows), figsize=(4.6 * len(flows), 4.2), squeeze=False)
for ax, label in zip(axes[0], flows):
    landed = in_gap(fitted["two_moons"][label][0].inverse(u_draw))
    ax.scatter(*u_draw[~landed].T, s=1, color="lightgrey", label="$u$ sent onto a moon")
    ax.scatter(*u_draw[landed].T, s=3, color="black", label=f"$u$ sent into the gap ({landed.mean():.2%})")
    ax.set(title=f"{label}: where each $u$ goes", xlabel="$u_1$", ylabel="$u_2$", xlim=(-4, 4), ylim=(-4, 4))
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="lower left", markerscale=4)
fig.suptitle("20 000 draws of the standard normal $u$: the black ones land between the two moons")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. MAF: stacked Gaussian MADEs
#
# If a Gaussian MADE were a perfect model, its random numbers $u = g(x)$ would be standard normal. They are not, so **MAF** models $u$ with another Gaussian MADE, whose random numbers are modelled by another, and so on: $x = u_0 \to u_1 \to \dots \to u_K \sim \mathcal{N}(0, I)$, each arrow a MADE in its own order (alternately natural and reversed), and by the change of variables applied $K$ times
#
# $$\log p(x) = \log \mathcal{N}(u_K;\, 0, I) - \sum_{k=1}^{K} \sum_{d} \alpha^{(k)}_d .$$
#
# **Forward** ($x \to u_K$, for the density): each layer's $\mu, \alpha$ come from its *known* input, so one masked pass per layer. **Inverse** ($u_K \to x$, for sampling): $x_d = \mu_d(x_{<d}) + e^{\alpha_d(x_{<d})}\,u_d$ needs $x_{<d}$ first, so each layer is inverted with $D$ sequential passes, filling one dimension per pass in the layer's order — notebook 06's sampling loop. Both written out with section 2's `made_params`:

# %%
def maf_forward(flow, x):
    """(u_K, log_det) for x (batch, D): one pass per layer; also returns every u_k (the list of layer outputs)."""
    us, log_det = [x], np.zeros(len(x))
    for layer in flow.mades:
        mu, alpha = made_params(layer, us[-1])
        us.append((us[-1] - mu) * np.exp(-alpha))
        log_det -= alpha.sum(axis=1)
    return us[-1], log_det, us


def maf_inverse(flow, u):
    """x (batch, D) with maf_forward(flow, x)[0] == u: each layer inverted with D passes, last layer first."""
    for layer in reversed(flow.mades):
        x = np.zeros_like(u)
        for d in layer.ordering:                       # one pass per dimension, in the layer's order
            mu, alpha = made_params(layer, x)
            x[:, d] = mu[:, d] + np.exp(alpha[:, d]) * u[:, d]
        u = x
    return u


# %% [markdown]
# Checked against the package's `MAF` on the trained two-moons flow: the density, the random numbers and the inverse.

# %%
maf_moons = fitted["two_moons"][f"MAF ({TOY['layers']} MADEs)"][0]
u_K, log_det, layer_outputs = maf_forward(maf_moons, moons.astype(np.float64))
log_p_here = -0.5 * np.sum(u_K**2, axis=1) - np.log(2 * np.pi) + log_det
print("log p(x) equal to MAF.log_prob:", np.allclose(log_p_here, maf_moons.log_prob(moons), atol=1e-3))
print("u_K equal to MAF.forward:", np.allclose(u_K, maf_moons.forward(moons)[0].numpy(), atol=1e-3))
z = np.random.default_rng(1).standard_normal((200, 2))
x_back = maf_inverse(maf_moons, z)
print("inverse equal to MAF.inverse:", np.allclose(x_back, maf_moons.inverse(z.astype("float32")), atol=1e-3),
      f"| max |forward(inverse(z)) - z| = {np.abs(maf_forward(maf_moons, x_back)[0] - z).max():.1e}")

# %% [markdown]
# ### Two moons through each layer
#
# The data $u_0 = x$ and each layer's output $u_1, \dots, u_5$, coloured by $x_1$ so that points can be followed (the colour bar). Each layer is a single-Gaussian MADE, so it can only shift and scale $x_d$ by amounts that depend on the dimensions before it; but the second layer works in the reversed order on what the first produced, and so on, and the composition bends the two moons step by step towards a standard normal. Read backwards, that is how a stack of single-Gaussian layers makes the bimodal $p(x_2 \mid x_1 = 0)$ of section 3 that one Gaussian MADE cannot.
#
# How close $u_5$ gets is visible in the last panel, against the dashed circles that hold 39% and 86% of a standard normal's mass (radius 1 and 2). The mean, standard deviations and correlation printed below are close to a standard normal's, and so are the shares of points inside the two circles; but those numbers look only at spreads and radii. The colours show what five layers leave undone: the points are not mixed as a normal's would be, the two ends of the moons (blue and red) stay on their own sides, and the red end is packed into a narrow vertical streak near $u_1 = 0$ instead of a round blob.

# %%
fig, axes = plt.subplots(1, len(layer_outputs), figsize=(2.7 * len(layer_outputs) + 1, 3.2), layout="constrained")
circle = np.linspace(0, 2 * np.pi, 200)
for k, (ax, pts) in enumerate(zip(axes, layer_outputs)):
    dots = ax.scatter(pts[:1500, 0], pts[:1500, 1], c=moons[:1500, 0], s=1, cmap="coolwarm")
    ax.set(title="data $x = u_0$" if k == 0 else f"after layer {k}: $u_{k}$", xlim=(-4, 4), ylim=(-4, 4),
           xlabel="first coordinate", ylabel="second coordinate" if k == 0 else "")
    ax.set_aspect("equal")
for radius in (1, 2):
    axes[-1].plot(radius * np.cos(circle), radius * np.sin(circle), "k--", lw=0.8)
fig.colorbar(dots, ax=list(axes), shrink=0.8, pad=0.01, label="$x_1$ of the data point")
fig.suptitle("Two moons pushed through each MAF layer (dashed: circles of radius 1 and 2 of a standard normal)")
plt.show()
print(f"u_5: mean {u_K.mean(axis=0).round(2)}, std {u_K.std(axis=0).round(2)}, "
      f"correlation {np.corrcoef(u_K.T)[0, 1]:.2f}")
radius_u = np.linalg.norm(u_K, axis=1)
for radius in (1, 2):
    print(f"inside radius {radius}: {np.mean(radius_u < radius):.0%} of u_5, "
          f"{1 - np.exp(-radius**2 / 2):.0%} of a standard normal")

# %% [markdown]
# ## 5. Batch normalization as a flow layer
#
# **Batch normalization** standardizes each dimension with the mean $m$ and variance $v$ of the current minibatch, then rescales it with learned parameters: $u = (x - m)/\sqrt{v + \epsilon}\cdot e^{\gamma} + \beta$. It is an elementwise affine map, so it is invertible and its log-determinant is $\sum_d \big(\gamma_d - \tfrac12\log(v_d + \epsilon)\big)$. The MAF paper puts one after every MADE of its flows (notebook 08 does the same on MNIST), following the Real NVP paper, whose authors (Dinh et al., 2017) use batch normalization to improve the propagation of the training signal through deep stacks of layers: it keeps each layer's input near zero mean and unit variance. That is the authors' reason, not a result shown here: the 2-D flows of this notebook are shallow and train without batch normalization. In training the batch's own statistics are used; for evaluation they are fixed (the paper: the mean and variance over the whole training set), so that $p(x)$ is one fixed, normalized density.
#
# ## 6. Real NVP is a Gaussian MADE with two degree groups
#
# **Real NVP** (Dinh, Sohl-Dickstein & Bengio, 2017) is a flow of **coupling layers**: split $x$ into halves $x_a, x_b$, keep $x_a$, and transform $x_b$ given $x_a$ only,
#
# $$u_a = x_a, \qquad u_b = \big(x_b - \mu(x_a)\big)\,e^{-\alpha(x_a)} .$$
#
# This is a Gaussian MADE layer with a different degree assignment: give the inputs of the first half degree 1 and those of the second half degree 2. MADE's mask rule then lets the outputs of degree 2 see only inputs of degree 1, and the outputs of degree 1 see nothing, and a coupling layer fixes those at $\mu = \alpha = 0$ ($u_a = x_a$). So every coupling layer is a MAF layer with a restricted set of dependencies, and **MAF generalises Real NVP** (the MAF paper's claim): MAF lets each $u_d$ depend on *all* earlier dimensions. What the coupling gains: its inverse takes one pass, $x_b = u_b\,e^{\alpha(u_a)} + \mu(u_a)$, since $u_a = x_a$ is known at once. The masks of one coupling layer's MADE, $D = 6$:

# %%
coupling = RealNVP(6, [12], num_layers=1, seed=SEED).couplings[0]
degrees = coupling_degrees(6)
masks = [coupling.made.hidden_layers[0].mask.numpy(), coupling.made.output_layer.mask.numpy()[:, :6]]
print("input degrees:", degrees, "| hidden degrees:", coupling.made.degrees[1])
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, m, title, labels in [(axes[0], masks[0].T, "input -> hidden mask", ("input $j$", "hidden unit")),
                             (axes[1], masks[1].T, "hidden -> output mask (means)", ("hidden unit", "output $d$")),
                             (axes[2], (masks[0] @ masks[1] > 0).T.astype(float), "output $d$ depends on input $j$",
                              ("input $j$", "output $d$"))]:
    im = ax.imshow(m, cmap="Greys", vmin=0, vmax=1)
    ax.set(title=title, xlabel=labels[0], ylabel=labels[1])
    fig.colorbar(im, ax=ax, shrink=0.8, ticks=[0, 1])
fig.suptitle("A Real NVP coupling as a two-degree-group MADE: outputs 3-5 see inputs 0-2 only")
fig.tight_layout()
plt.show()

# %% [markdown]
# Checked against the package's coupling layer on the same weights: section 2's `made_params` of its MADE, with the kept half's $\mu$ and $\alpha$ set to 0, gives the coupling's $u$ and log-determinant, and the one-pass inverse undoes it.

# %%
x6 = rng.normal(size=(5, 6)).astype("float32")
mu6, alpha6 = made_params(coupling.made, x6)
keep = degrees == 1
mu6[:, keep], alpha6[:, keep] = 0.0, 0.0
u6_here = (x6 - mu6) * np.exp(-alpha6)
u6, log_det6 = coupling.forward(x6)
print("u equal:", np.allclose(u6_here, u6.numpy(), atol=1e-5), "| log-det equal:",
      np.allclose(-alpha6.sum(axis=1), log_det6.numpy(), atol=1e-5),
      f"| one-pass inverse error {np.abs(coupling.inverse(u6.numpy()) - x6).max():.1e}")

# %% [markdown]
# ## 7. Fast to evaluate, slow to sample — and IAF the other way round
#
# **Inverse Autoregressive Flow** (IAF; Kingma et al., 2016) conditions on the random numbers instead of the data: $x_d = \mu_d(u_{<d}) + e^{\alpha_d(u_{<d})}\,u_d$. Sampling is then one pass per layer (all of $u$ is known), while the density of a given $x$ needs $u$ first and so $D$ sequential passes: exactly MAF's two computations with the roles swapped. So one MADE's one-pass map and its $D$-pass inverse time both flows. We time them with 1 000 points for $D = 2$ and $D = 64$ (a MAF of 5 MADEs with one hidden layer of 128 units; the best of 3 calls after a first call that traces the compiled functions):

# %%
def best_of(fn, repeats=3):
    fn()                                                     # the first call traces (tf.function)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def time_flow(D):
    """Seconds for: MAF log_prob, MAF sample, one MADE's one-pass map, its D-pass inverse (1 000 points)."""
    flow = MAF(D, [128], num_layers=5, seed=SEED)
    xd = rng.normal(size=(1000, D)).astype("float32")
    one = flow.mades[0]
    one_pass = tf.function(one.forward)                                        # compiled, as the inverse is
    return (best_of(lambda: flow.log_prob(xd)), best_of(lambda: flow.sample(1000, seed=1)),
            best_of(lambda: one_pass(xd)), best_of(lambda: one.inverse(xd)))


print(f"{'D':>3} | {'MAF log_prob':>12} | {'MAF sample':>10} | ratio | {'one-pass map':>12} | {'D-pass inverse':>14}")
for D in (2, 64):
    lp, smp, fwd, inv = time_flow(D)
    print(f"{D:3d} | {lp * 1e3:9.1f} ms | {smp * 1e3:7.1f} ms | {smp / lp:5.0f} | "
          f"{fwd * 1e3:9.1f} ms | {inv * 1e3:11.1f} ms")
print("MAF: density = one-pass maps, sampling = D-pass inverses.  IAF: sampling = one-pass maps, density = inverses.")

# %% [markdown]
# Sampling is slower than evaluating at $D = 2$ and much slower at $D = 64$ (the ratio column), and the gap grows with $D$: for MNIST's $D = 784$ a MAF of 5 layers needs 3 920 sequential passes per sample. This is why MAF is the flow for **density estimation** (maximum-likelihood training evaluates densities of data) and IAF the flow for fast sampling. IAF's home is the **variational autoencoder** (VAE; Kingma & Welling, 2014), an autoencoder whose code $z$ is random: $z$ is a **latent variable**, a quantity that is never observed and that the model uses to explain $x$. Its encoder is a density $q(z \mid x)$, the **variational posterior**: an approximation to the true distribution $p(z \mid x)$ of the code given the data, which cannot be computed. Training asks $q$ only for the density of its own samples, and those come with their $u$. For the same reason **Parallel WaveNet** (van den Oord et al., 2018), a speech synthesizer, trained an IAF to imitate a slow autoregressive model (WaveNet), so that audio can be generated in one pass. Real NVP is one pass in both directions and pays for it with its restricted dependencies.
#
# ## Summary
#
# * Change of variables: $\log p_x(x) = \log p_u(g(x)) + \log\lvert\det J\rvert$; for an autoregressive map $J$ is triangular and the log-determinant is a sum over the diagonal.
# * A real-valued MADE changes only the output layer: $\mu$ and $\alpha$ per dimension from one masked network (the output mask repeated), and each conditional's loss is notebook 02's Gaussian NLL with a learned variance. It is a flow with $\log\lvert\det\rvert = -\sum_d \alpha_d$.
# * MAF stacks Gaussian MADEs: one pass per layer for the density, $D$ passes per layer to sample; stacked single-Gaussian layers make bimodal conditionals. IAF swaps the two costs.
# * A Real NVP coupling is a Gaussian MADE with two degree groups and the kept half fixed: MAF generalises it.
#
# ## References
#
# * G. Papamakarios, T. Pavlakou, I. Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017, [arXiv:1705.07057](https://arxiv.org/abs/1705.07057).
# * L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017, [arXiv:1605.08803](https://arxiv.org/abs/1605.08803).
# * D. P. Kingma et al., "Improved Variational Inference with Inverse Autoregressive Flow", NeurIPS 2016, [arXiv:1606.04934](https://arxiv.org/abs/1606.04934).
# * D. P. Kingma, M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, [arXiv:1312.6114](https://arxiv.org/abs/1312.6114).
# * A. van den Oord et al., "Parallel WaveNet: Fast High-Fidelity Speech Synthesis", ICML 2018, [arXiv:1711.10433](https://arxiv.org/abs/1711.10433).
# * B. Keng, "Autoregressive Autoencoders" (2017), a blog post introducing MADE, which writes the Gaussian negative log-likelihood as a loss (the loss notebook 02 derives and section 2 uses with a learned variance).

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [08 · Flows on MNIST](08_flows_on_mnist.ipynb) trains these models on MNIST on the MAF paper's protocol.
