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
# # 07 · Real-valued MADE and the road to normalizing flows

# %% [markdown]
# So far every pixel was 0 or 1 and each of MADE's conditionals was a Bernoulli. Here the data are real numbers and each conditional $p(x_d \mid x_{<d})$ becomes a **Gaussian** (a mean and a log-scale per dimension) or a **mixture of Gaussians** (MoG), under exactly the same masks. We fit both to three 2-D toy densities and draw their densities as heat maps, see why one Gaussian per conditional cannot make two moons, and then stack Gaussian MADEs into a **Masked Autoregressive Flow** (MAF; Papamakarios, Pavlakou & Murray, 2017), a *normalizing flow* whose exact log-likelihood comes from the change-of-variables formula. We measure why MAF is fast to evaluate and slow to sample (and why Inverse Autoregressive Flow, IAF, is the reverse), and finish with a small, CPU-sized run on dequantized MNIST in logit space, set beside the MAF paper's numbers. In full mode the notebook runs in about 5 minutes on two CPU cores.

# %%
import logging
import math
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from made_helpers import MAF, GaussianMADE, data, fit_density, logit_space, losses, toy2d
from made_helpers.flows import gaussian_log_prob_baseline

SEED = 0
keras.utils.set_random_seed(SEED)          # seeds Python, numpy and TensorFlow
rng = np.random.default_rng(SEED)
QUICK = os.environ.get("MADE_QUICK", "0") == "1"
plt.rcParams.update({"figure.dpi": 72})
logging.getLogger("tensorflow").setLevel(logging.ERROR)     # no retracing notices
TOY = {"n_train": 1_000 if QUICK else 5_000, "n_valid": 500 if QUICK else 1_000, "hidden": [64, 64],
       "components": 5, "layers": 5, "names": ["two_moons"] if QUICK else list(toy2d.TOY_NAMES)}
MNIST = {"n_train": 500 if QUICK else 15_000, "n_valid": 200 if QUICK else 5_000, "n_test": 500 if QUICK else None,
         "hidden": [512], "components": 5, "layers": 2 if QUICK else 5, "batch": 100, "lr": 1e-3,
         "epochs": {"made": 1 if QUICK else 18, "mog": 1 if QUICK else 6, "maf": 1 if QUICK else 12},
         "max_seconds": {"made": 55, "mog": 80, "maf": 105}}      # caps: at most 4 minutes of training in all
print(f"mode: {'quick (MADE_QUICK=1): tiny data and budgets, numbers NOT meaningful' if QUICK else 'full'} | "
      f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# ## 1. From Bernoulli to Gaussian conditionals
#
# MADE factorizes any density with the chain rule, $p(x) = \prod_{d=1}^{D} p(x_d \mid x_{<d})$, and the masks make output $d$ depend only on the inputs before $d$ (notebooks 03 and 04). For binary data output $d$ was one logit. For real-valued data it is the parameters of a Gaussian, a mean $\mu_d$ and a log-scale $\alpha_d$:
#
# $$p(x_d \mid x_{<d}) = \mathcal{N}\big(x_d;\ \mu_d(x_{<d}),\ e^{2\alpha_d(x_{<d})}\big), \qquad -\log p(x_d \mid x_{<d}) = \tfrac12\big((x_d-\mu_d)e^{-\alpha_d}\big)^2 + \alpha_d + \tfrac12\log 2\pi .$$
#
# That is notebook 02's Gaussian negative log-likelihood (section 2) — the Gaussian NLL box of Brian Keng's post "Autoregressive Autoencoders" (2017) — with a *learned* variance $\sigma_d^2 = e^{2\alpha_d}$ instead of a fixed one: here it is exactly each conditional's loss, and the model's loss is their sum. A **mixture of $C$ Gaussians** gives each conditional $C$ mixing logits $\ell_{d,c}$, means and log-scales:
#
# $$p(x_d \mid x_{<d}) = \sum_{c=1}^{C} \pi_{d,c}\ \mathcal{N}\big(x_d;\ \mu_{d,c},\ e^{2\alpha_{d,c}}\big), \qquad \pi_{d,c} = \operatorname{softmax}_c(\ell_{d,c}),$$
#
# computed as $\log p = \operatorname{logsumexp}_c\big(\log \pi_{d,c} + \log\mathcal{N}(\cdot)\big)$, which stays finite when every component's density underflows. The masks do not change: the output layer has $P \cdot D$ units ($P = 2$, or $3C$ for a mixture) and its mask is the binary MADE's output mask repeated $P$ times, so every parameter of dimension $d$ sees only $x_{<d}$. Log-scales are soft-bounded, $\alpha = 7\tanh(\alpha_{\text{raw}}/7)$, so that $e^{-\alpha}$ cannot overflow in float32 and the gradient never vanishes as it would under a hard clip.
#
# `GaussianMADE` implements both. We check on a small model that its conditionals are notebook 02's `losses.gaussian_nll` with `log_variance` $= 2\alpha$:

# %%
made = GaussianMADE(input_dim=3, hidden_sizes=[16], num_components=1, seed=SEED)
x3 = rng.normal(size=(4, 3)).astype("float32")
mean, log_scale = made.gaussian_params(x3)
per_dim_nll = -made.log_conditionals(x3).numpy()                        # (batch, D)
via_02 = np.stack([losses.gaussian_nll(x3[:, [d]], mean[:, d:d + 1], log_variance=2 * log_scale[:, d:d + 1]).numpy()
                   for d in range(3)], axis=1)
print(f"output units: {made.output_layer.units} = P x D = {made.params_per_dim} x 3; "
      f"max |conditional NLL - losses.gaussian_nll| = {np.abs(per_dim_nll - via_02).max():.1e}")
print("output mask (hidden -> outputs), one block per parameter:\n", made.output_layer.mask.numpy().astype(int))

# %% [markdown]
# ## 2. Three toy densities in 2-D
#
# Three densities generated with numpy (`made_helpers.toy2d`): **two moons** (two interleaved noisy half circles), a **ring** (angle uniform, radius $\mathcal{N}(2, 0.2^2)$) and a **checkerboard** (uniform on 8 of the 16 squares of a $4\times4$ board). In 2-D a model's density can be drawn on a grid and compared with the data by eye, and its integral over the plane can be checked to be 1.

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
# Each density gets three models with the same hidden layers (two of 64 ReLU units) and the natural ordering ($x_1$ first, then $x_2 \mid x_1$):
#
# * a **Gaussian MADE** (one Gaussian per conditional),
# * a **MoG MADE** with $C = 5$ components per conditional,
# * a **MAF of 5 Gaussian MADEs** (section 3), consecutive MADEs in reversed orders.
#
# Training is `fit_density`: minibatch Adam (batch 100) on the mean NLL in a compiled `tf.function` step, with early stopping on a validation set (the best epoch's weights are kept). The MADEs use learning rate $3\cdot10^{-3}$ (at most 60 epochs, patience 10), the flow $10^{-3}$ (at most 100 epochs, patience 15).

# %%
def train_toy_models(pts):
    """The three models of this section fitted to ``pts``; returns {label: (model, history)}."""
    train, valid = pts[:TOY["n_train"]], pts[TOY["n_train"]:]
    quick_epochs = 3 if QUICK else None
    specs = {"Gaussian MADE": (GaussianMADE(2, TOY["hidden"], seed=SEED), 3e-3, 60, 10),
             f"MoG MADE (C={TOY['components']})": (GaussianMADE(2, TOY["hidden"], TOY["components"], seed=SEED),
                                                   3e-3, 60, 10),
             f"MAF ({TOY['layers']} MADEs)": (MAF(2, TOY["hidden"], TOY["layers"], seed=SEED), 1e-3, 100, 15)}
    return {label: (model, fit_density(model, train, valid, epochs=quick_epochs or epochs, learning_rate=lr,
                                       patience=patience, seed=SEED, verbose=False))
            for label, (model, lr, epochs, patience) in specs.items()}


start = time.perf_counter()
fitted = {name: train_toy_models(pts) for name, pts in toys.items()}
for name, models in fitted.items():
    for label, (_, h) in models.items():
        print(f"{name:12s} {label:18s} best valid NLL {h['best_valid_nll']:6.3f} nats "
              f"(epoch {h['best_epoch']} of {len(h['valid_nll'])}, {h['seconds']:4.1f} s)")
print(f"all toy models: {time.perf_counter() - start:.0f} s")

# %% [markdown]
# Each model's density $p(x)$ on a $200\times200$ grid over $[-3, 3]^2$, beside a histogram of the data. The number in each title is the grid's Riemann sum $\sum p(x)\,\Delta x_1 \Delta x_2$ — the probability mass inside the square, which must be at most 1 and close to it when little mass lies outside.

# %%
fig, axes = plt.subplots(len(fitted), 4, figsize=(12, 3.1 * len(fitted)), squeeze=False)
for row, (name, models) in zip(axes, fitted.items()):
    pts = toys[name]
    row[0].hist2d(pts[:, 0], pts[:, 1], bins=80, range=[[-3, 3], [-3, 3]], cmap="viridis")
    row[0].set_title(f"{name}: data histogram")
    for ax, (label, (model, _)) in zip(row[1:], models.items()):
        xs, ys, log_p = toy2d.grid_log_density(model, lim=3.0, n=200)
        ax.imshow(np.exp(log_p), origin="lower", extent=(-3, 3, -3, 3), cmap="viridis")
        ax.set_title(f"{label}\nmass on grid {toy2d.grid_mass(log_p, xs):.3f}")
    for ax in row:
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
fig.suptitle("Data and model densities $p(x)$ (heat maps, brighter = denser)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Why one Gaussian per conditional cannot make two moons
#
# The Gaussian MADE factorizes $p(x_1, x_2) = p(x_1)\,p(x_2 \mid x_1)$ with both factors Gaussian. But for $x_1$ near 0 the data have points on the upper moon *and* on the lower one: $p(x_2 \mid x_1 = 0)$ is **bimodal**, and the best single Gaussian puts its mean between the two modes, where there are no data, and widens to cover both. A mixture of 5 Gaussians has no such limit. The conditional of each model is read off the joint on the grid, $p(x_2 \mid x_1 = 0) = p(0, x_2) / \int p(0, x_2')\,dx_2'$, and drawn over the histogram of the data with $|x_1| < 0.1$:

# %%
moons = toys["two_moons"]
near = moons[np.abs(moons[:, 0]) < 0.1, 1]
x2 = np.linspace(-3, 3, 400, dtype="float32")
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.hist(near, bins=40, range=(-3, 3), density=True, color="lightgrey", label=f"data, $|x_1|<0.1$ ({len(near)} points)")
for label, (model, _) in fitted["two_moons"].items():
    log_p = model.log_prob(np.stack([np.zeros_like(x2), x2], axis=1))
    p = np.exp(log_p - log_p.max())
    ax.plot(x2, p / (p.sum() * (x2[1] - x2[0])), label=label)
ax.set(title="Two moons: $p(x_2 \\mid x_1 = 0)$ of each model", xlabel="$x_2$", ylabel="density")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The ring shows the same limit in another guise: $p(x_1)$ alone is already bimodal (a ring seen from the side is densest at $x_1 = \pm 2$), and $p(x_2 \mid x_1)$ is bimodal for $|x_1| < 2$. The MoG MADE represents both; the Gaussian MADE gives a broad blob. The flow gets there another way — next section.
#
# ## 3. MAF: stacked MADEs are a normalizing flow
#
# To *sample* from a Gaussian MADE, draw $u_d \sim \mathcal{N}(0, 1)$ and set, in the model's order, $x_d = \mu_d(x_{<d}) + e^{\alpha_d(x_{<d})}\,u_d$. Read backwards this is a map from data to "random numbers":
#
# $$u_d = \big(x_d - \mu_d(x_{<d})\big)\, e^{-\alpha_d(x_{<d})}.$$
#
# Because $u_d$ depends on $x_{\le d}$ only, the Jacobian $\partial u / \partial x$ is triangular (in the model's order) with diagonal $e^{-\alpha_d}$, so $\log\lvert\det \partial u/\partial x\rvert = -\sum_d \alpha_d$, and the change of variables gives back exactly the Gaussian MADE's density:
#
# $$\log p(x) = \log \mathcal{N}(u;\, 0, I) - \sum_{d} \alpha_d(x_{<d}).$$
#
# If the model were perfect, $u$ would be standard normal. It is not, so **MAF** models $u$ with another Gaussian MADE, whose random numbers are modelled by another, and so on: $x = u_0 \to u_1 \to \dots \to u_K \sim \mathcal{N}(0, I)$, each arrow a MADE in its own order (here alternately natural and reversed), and
#
# $$\log p(x) = \log \mathcal{N}(u_K;\, 0, I) - \sum_{k=1}^{K} \sum_{d} \alpha^{(k)}_d .$$
#
# This is a **normalizing flow**: an invertible map with a tractable Jacobian determinant that carries a simple base density into a flexible one. A one-layer MAF is a Gaussian MADE. Below, the two-moons data pushed through the trained MAF: the $u_K$ should look like a standard normal sample.

# %%
maf_moons = fitted["two_moons"][f"MAF ({TOY['layers']} MADEs)"][0]
u, log_det = maf_moons.forward(moons)
u = u.numpy()
check = maf_moons.base_log_prob(u).numpy() + log_det.numpy() - maf_moons.log_prob(moons)
print(f"u_K: mean {u.mean(axis=0).round(2)}, std {u.std(axis=0).round(2)}, corr {np.corrcoef(u.T)[0, 1]:.2f}; "
      f"max |log N(u) + log det - log_prob| = {np.abs(check).max():.1e}")
samples = maf_moons.sample(len(moons), seed=SEED)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
for ax, pts, title in zip(axes, [moons, u, samples], ["data $x$", "$u_K$ = MAF(x): the 'random numbers'",
                                                      "MAF samples (inverted layer by layer)"]):
    ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.4)
    ax.set(title=title, xlabel="first coordinate", ylabel="second coordinate", xlim=(-4, 4), ylim=(-4, 4))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Fast to evaluate, slow to sample — and IAF the other way round
#
# Evaluating $\log p(x)$ needs $u = f(x)$: every $\mu_d, \alpha_d$ comes from the *known* $x_{<d}$, so one masked pass per MADE computes all $D$ of them at once. Sampling needs $x = f^{-1}(u)$: $x_d = \mu_d(x_{<d}) + e^{\alpha_d(x_{<d})} u_d$ needs $x_{<d}$ *first*, so each MADE is inverted with $D$ sequential passes — the same loop as notebook 06's sequential sampling, now $K \times D$ passes for a flow of $K$ MADEs.
#
# **Inverse Autoregressive Flow** (IAF; Kingma et al., 2016) conditions on the random numbers instead: $x_d = \mu_d(u_{<d}) + e^{\alpha_d(u_{<d})}\,u_d$. Sampling is then one pass (all of $u$ is known), while the density of a given $x$ needs $u$ and so $D$ sequential passes. The two computations are the same pair with the roles swapped, so one MADE's one-pass map and its $D$-pass inverse time both flows. We time them, with 1 000 points, for $D = 2$ and $D = 64$ (a MAF of 5 MADEs with one hidden layer of 128 units; the best of 3 calls after a first call that traces the compiled functions):

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
# At $D = 2$ sampling is already several times slower than evaluating (two sequential passes per MADE instead of one, plus the loop's overhead); at $D = 64$ it takes 64 sequential passes per MADE and is tens of times slower, and the gap grows with $D$ (for MNIST's $D = 784$, 3 920 passes for a MAF of 5). One MADE's one-pass map and its $D$-pass inverse show the same gap. This is why MAF is the flow for **density estimation** (training by maximum likelihood evaluates densities of data), and IAF the flow for **fast sampling** and for variational posteriors, where only the density of its own samples is needed (and those come with their $u$). Parallel WaveNet later trained an IAF to imitate an autoregressive model for exactly this reason.
#
# ## 5. Real data: dequantized MNIST in logit space
#
# Grey MNIST pixels are integers $z \in \{0, \dots, 255\}$. A density model on integers can put infinite density on them, so they are **dequantized** as in the MAF paper: $y = (z + v)/256$ with $v \sim U(0, 1)$, one draw per pixel, so $256\,y$ is uniform within its integer's unit interval of $[0, 256)$. Then the **logit transform** with $\lambda = 10^{-6}$ maps $[0, 1)$ to the real line, where Gaussians fit better:
#
# $$x = \operatorname{logit}\big(\lambda + (1 - 2\lambda)\,y\big), \qquad \log\Big\lvert\frac{dx}{dy}\Big\rvert = \log(1-2\lambda) - \log s - \log(1-s),\quad s = \lambda + (1-2\lambda)\,y .$$
#
# **What is reported.** (1) $\log p_x(x)$, the test log-likelihood *in logit space*, in nats per image: the quantity of the MAF paper's Table 2. (2) The same density carried back to the dequantized pixel space $[0, 256)^{784}$ by the change of variables, $\log p(256\,y) = \log p_x(x) + \sum_d \log\lvert dx_d/dy_d\rvert - 784 \log 256$, in nats per image and as bits per pixel, $-\log_2 p / 784$. (2) does not depend on the logit transform, so models fitted in different spaces can be compared by it; a uniform density on $[0,256)^{784}$ scores 8 bits per pixel.

# %%
images, _, train_info = data.load_mnist("train", verbose=False, return_info=True)
test_images, _, test_info = data.load_mnist("test", verbose=False, return_info=True)
print(train_info.relative_description(), test_info.relative_description(), sep="\n")
order = np.random.default_rng(SEED).permutation(len(images))                  # a fixed random subset
n_tr, n_va = MNIST["n_train"], MNIST["n_valid"]
x_train = logit_space.dequantize_to_logit(images[order[:n_tr]], seed=1)
x_valid = logit_space.dequantize_to_logit(images[order[n_tr:n_tr + n_va]], seed=2)
x_test = logit_space.dequantize_to_logit(test_images[:MNIST["n_test"]], seed=3)
print(f"train {x_train.shape}, valid {x_valid.shape}, test {x_test.shape}; logit-space values in "
      f"[{x_train.min():.1f}, {x_train.max():.1f}], mean {x_train.mean():.2f}, std {x_train.std():.2f}")


def report(log_px):
    """Mean test log-likelihood: logit space (nats), pixel space (nats), bits per pixel; with standard errors."""
    pix = logit_space.to_pixel_space(log_px, x_test)
    def se(v):
        return v.std() / math.sqrt(len(v))
    return {"logit": (log_px.mean(), se(log_px)), "pixel": (pix.mean(), se(pix)),
            "bpp": (logit_space.bits_per_pixel(pix, 784).mean(), se(logit_space.bits_per_pixel(pix, 784)))}


results = {"Gaussian (full covariance)": report(gaussian_log_prob_baseline(x_train, x_test))}

# %% [markdown]
# The baseline above is a single Gaussian with full covariance fitted to the training images (the paper's "Gaussian" row). Now three models, each with **one hidden layer of 512 ReLU units** per MADE, Adam with learning rate $10^{-3}$, batch 100, early stopping on the validation images (patience 5), the same training images for all: a Gaussian MADE, a MoG MADE with $C = 5$ components, and a MAF of 5 Gaussian MADEs (reversed orders between them). The budgets (epochs, and a wall-clock cap per model so that a slower machine still finishes in about 4 minutes; the learning curves' titles say which one stopped each model) are in `MNIST` in the setup cell.
#
# **This is a small run, NOT comparable with the paper's models**: the paper trains on 50 000 images with larger networks, $C = 10$ mixture components and batch normalization between the flow's layers, until early stopping ends training; here about 15 000 images and a few minutes in total.

# %%
mnist_models = {"MADE (Gaussian)": ("made", GaussianMADE(784, MNIST["hidden"], seed=SEED)),
                f"MADE MoG (C={MNIST['components']})": ("mog", GaussianMADE(784, MNIST["hidden"], MNIST["components"],
                                                                            seed=SEED)),
                f"MAF ({MNIST['layers']})": ("maf", MAF(784, MNIST["hidden"], MNIST["layers"], seed=SEED))}
histories = {}
for label, (key, model) in mnist_models.items():
    print(f"--- {label}")
    histories[label] = fit_density(model, x_train, x_valid, epochs=MNIST["epochs"][key], batch_size=MNIST["batch"],
                                   learning_rate=MNIST["lr"], patience=5, seed=SEED,
                                   max_seconds=MNIST["max_seconds"][key], verbose=True)
    results[label] = report(model.log_prob(x_test, batch_size=1000))
print(f"training time, all three: {sum(h['seconds'] for h in histories.values()):.0f} s")

# %% [markdown]
# The learning curves (mean NLL per image in logit space; training NLL is averaged over each epoch's minibatches while the weights change, validation NLL is measured after the epoch):

# %%
fig, axes = plt.subplots(1, len(histories), figsize=(4 * len(histories), 3.2), squeeze=False)
for ax, (label, h) in zip(axes[0], histories.items()):
    epochs = np.arange(1, len(h["train_nll"]) + 1)
    ax.plot(epochs, h["train_nll"], "o-", label="train")
    ax.plot(epochs, h["valid_nll"], "s-", label="validation")
    ax.set(title=f"{label}\n(stopped: {h['stopped']}, best epoch {h['best_epoch']})", xlabel="epoch",
           ylabel="NLL (nats, logit space)", ylim=(min(h["valid_nll"]) - 100, min(h["valid_nll"]) + 600))
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Test log-likelihoods beside the MAF paper
#
# Higher is better (these are log-likelihoods, not NLLs). ± is one standard error over the test images. The paper's numbers come from Papamakarios, Pavlakou & Murray (2017), "Masked Autoregressive Flow for Density Estimation", NeurIPS, Table 2 (MNIST, unconditional), as listed with the paper on paperswithcode.com (<https://paperswithcode.com/paper/masked-autoregressive-flow-for-density>: MADE MoG −1038.5 nats), and its MNIST result in bits per pixel as listed on wizwand.com (MAF, 1.89 bits/pixel on the MNIST test set). The other rows of Table 2 (Gaussian, MADE, MAF (5), MAF (10), Real NVP, MAF MoG) were not found in a source that could be checked when this notebook was written, so they are not quoted here: read them in the paper (arXiv:1705.07057, Table 2).

# %%
print(f"{'model':28s} | {'logit space (nats)':>20s} | {'pixel space (nats)':>20s} | {'bits/pixel':>12s}")
for label, r in results.items():
    print(f"{label:28s} | {r['logit'][0]:10.1f} ± {r['logit'][1]:5.1f}  | "
          f"{r['pixel'][0]:10.1f} ± {r['pixel'][1]:5.1f}  | {r['bpp'][0]:6.3f} ± {r['bpp'][1]:.3f}")
print(f"{'paper: MADE MoG (C=10)':28s} | {-1038.5:10.1f}           | {'':20s} |")
print(f"{'paper: MAF (bits/pixel)':28s} | {'':20s} | {'':20s} | {1.89:6.2f}")
print(f"(this run: {MNIST['n_train']} training images, one hidden layer of {MNIST['hidden'][0]} units, "
      f"{len(x_test)} test images; {'QUICK MODE, NOT MEANINGFUL' if QUICK else 'a small CPU run'})")

# %% [markdown]
# How to read it. The logit-space column is the one to set beside the paper's Table 2; the pixel-space columns measure the same densities on the dequantized images themselves, where a uniform density scores $-784 \log 256 pprox -4347$ nats (8 bits per pixel). The run is far from the paper's: the mixture MADE is still improving at the end of its few epochs, and the paper's MADE MoG reaches about 190 nats more in logit space. The ranking agrees with the paper, whose listed MNIST result is its MADE MoG: a **mixture per conditional** is the single most useful change on MNIST, where many pixels are bimodal (background or stroke). A Gaussian MADE *contains* the full-covariance Gaussian (linear conditional means and constant variances are one of its settings), so finishing below the closed-form Gaussian fit means it is under-trained here, not that it is weaker. The MAF of 5 MADEs improves on one Gaussian MADE in the same minutes but starts to over-fit 15 000 images (its training NLL falls below its validation NLL): the paper's flows train on 50 000 images with batch normalization between layers.

# %% [markdown]
# Samples from the trained MAF, carried back to pixels ($y = (\sigma(x) - \lambda)/(1-2\lambda)$, shown as $256\,y$; $\sigma$ is the logistic sigmoid). Each sample inverts the 5 MADEs with 784 sequential passes each:

# %%
maf_mnist = mnist_models[f"MAF ({MNIST['layers']})"][1]
start = time.perf_counter()
pixels = logit_space.logit_to_pixels(maf_mnist.sample(16, seed=SEED))
print(f"16 samples: {time.perf_counter() - start:.1f} s ({MNIST['layers']} x 784 sequential passes, tracing included)")
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for ax, img in zip(axes.ravel(), pixels):
    ax.imshow(img.reshape(28, 28), cmap="gray", vmin=0, vmax=256)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("MAF samples (small CPU run), pixel values 256·y")
fig.supxlabel("16 independent samples")
plt.show()

# %% [markdown]
# ## Summary
#
# * A real-valued MADE only changes the output layer: $P$ parameters per dimension, the output mask repeated $P$ times. Each conditional's loss is notebook 02's Gaussian NLL with a learned variance (or its log-sum-exp mixture).
# * One Gaussian per conditional cannot represent a bimodal $p(x_2 \mid x_1)$; a mixture per conditional can, and so can a stack of Gaussian MADEs.
# * A Gaussian MADE is an invertible map $x \mapsto u$ with triangular Jacobian; stacking them is MAF, whose $\log p(x)$ is the base density of $u_K$ plus $-\sum \alpha$ over every layer: one pass per layer. Sampling inverts each layer with $D$ sequential passes (IAF swaps the two costs).
# * On dequantized MNIST the log-likelihood depends on the space it is measured in; the logit-space number (the paper's Table 2) and the pixel-space number differ by the transform's log-Jacobian, and only the latter is comparable across preprocessings.
