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
# # 02 · Negative log-likelihoods and the loss functions they become

# %% [markdown]
# Notebook 01 trained autoencoders with squared error, and the rest of the series trains with binary cross-entropy, without asking where those losses come from. Here we derive them: the negative log-likelihood (NLL) of a **Bernoulli** model is binary cross-entropy, and the NLL of a **Gaussian with fixed variance** is squared error plus constants. Every derivation is checked numerically against Keras' own losses, with the constants and the factor ½ written out, and we see why a model should output **logits** (log-odds $\ell = \log\frac{\mu}{1-\mu}$, any real number; $\mu = \sigma(\ell)$) rather than probabilities: at extreme values the probability route overflows or silently clips, the logit route does not. MADE (notebooks 03–06) is trained with exactly this Bernoulli NLL.
#
# **You will learn**
#
# * that binary cross-entropy is the negative log-likelihood of independent Bernoulli pixels, and squared error that of a Gaussian with fixed variance;
# * why a model should output logits, and how Keras behaves at extreme probabilities;
# * nats, bits and the NLL of the simplest model of binarized MNIST, independent pixels.
#
# **It assumes** notebook 01 (autoencoders trained with a loss), logarithms and the idea of a probability distribution.

# %%
import math
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from made_helpers import data
from made_helpers.core import losses
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0, figure={"figure.figsize": (6, 3.5)}, print_precision=4)

# %% [markdown]
# ## 1. Bernoulli likelihood → binary cross-entropy
#
# A binary image $x \in \{0,1\}^D$ with independent pixels, pixel $d$ on with probability $\mu_d$:
#
# $$p(x \mid \mu) = \prod_{d=1}^{D} \mu_d^{\,x_d}\,(1-\mu_d)^{1-x_d}.$$
#
# Taking $-\log$ turns the product into a sum:
#
# $$-\log p(x\mid\mu) = -\sum_{d=1}^{D} \Big[x_d \log \mu_d + (1-x_d)\log(1-\mu_d)\Big].$$
#
# The bracket is the **binary cross-entropy** of pixel $d$. Keras' `binary_crossentropy` *averages* over the last axis, so the NLL per image is $D \times$ the Keras value. It is measured in **nats**, the unit of a log-probability taken with the natural logarithm $\ln$ (section 4 converts nats to bits). No constant is lost: the Bernoulli NLL *is* the summed cross-entropy.
#
# A model usually outputs a **logit** $\ell_d$ per pixel rather than the probability itself: any real number, turned into a probability by the sigmoid, $\mu_d = \sigma(\ell_d) = 1/(1+e^{-\ell_d})$, so $\ell_d = \log\frac{\mu_d}{1-\mu_d}$ (the log-odds). Section 3 shows why the loss should be computed from logits.
#
# We check the formula on random binary vectors and random logits. First: can we simply multiply the 784 probabilities?

# %%
D = 784
x = (rng.random((8, D)) < 0.3).astype("float32")
logits = rng.normal(0.0, 3.0, size=(8, D)).astype("float32")
mu = 1.0 / (1.0 + np.exp(-logits.astype("float64")))              # probabilities sigma(logit), float64
p_pixel = np.where(x == 1, mu, 1 - mu)                             # (8, 784): p(x_d | mu_d) of each pixel
print(f"log of the product, summed in log space: {np.log(p_pixel).sum(axis=1)[:3]}")
print(f"the product itself in float64: {np.prod(p_pixel, axis=1)[:3]}")
print(f"float64: smallest normal number e^{np.log(np.finfo(np.float64).tiny):.1f}, smallest subnormal "
      f"e^{np.log(np.nextafter(0.0, 1.0)):.1f}; e^-500 = {np.exp(-500.0):.2e} is still representable")

# %% [markdown]
# The product of 784 probabilities is about $e^{-1110}$ to $e^{-1130}$ here, far below the smallest positive float64 (about $e^{-744}$, a subnormal number; normal numbers stop at about $e^{-708}$), so it underflows to exactly 0 and its log is $-\infty$. Likelihoods are therefore always computed as sums of logs. Now four routes to the NLL: the formula summed in log space (float64), Keras from probabilities, Keras from logits, and `made_helpers.core.losses.bernoulli_nll`:

# %%
by_formula = -np.log(p_pixel).sum(axis=1)                         # -sum_d log p(x_d | mu_d), float64
routes = {
    "formula, log space, float64": by_formula,
    "D x keras BCE(probabilities)": D * keras.losses.binary_crossentropy(x, mu.astype("float32")).numpy(),
    "D x keras BCE(logits)": D * keras.losses.binary_crossentropy(x, logits, from_logits=True).numpy(),
    "made_helpers bernoulli_nll": losses.bernoulli_nll(x, logits).numpy(),
}
for name, value in routes.items():
    print(f"{name:30s} {value[:3]}  max |diff| vs formula: {np.max(np.abs(value - by_formula)):.2e}")

# %% [markdown]
# All four agree to float32 round-off (differences below 1e-3 on values near 1 000).
#
# ### A first model of binarized MNIST: independent pixels
#
# The simplest distribution over digits sets each $\mu_d$ to the fraction of training images with pixel $d$ on — the maximum-likelihood estimate under independence (the value of $\mu_d$ that makes the training images most probable). Its test NLL is the bar every later model must beat. (`load_binarized_mnist` reports which data it returned, printed below: Larochelle and Murray's fixed binarization, the benchmark of their NADE paper — the *neural autoregressive distribution estimator* (2011), an autoregressive network that predates MADE — and of MADE.) The ± after an average is its **standard error** (s.e.): the standard deviation of the per-image NLLs divided by $\sqrt{n}$ for $n$ test images, i.e. how much the average would typically move on another test set of the same size.

# %%
x_train, train_info = data.load_binarized_mnist("train", verbose=False, return_info=True)
x_test, test_info = data.load_binarized_mnist("test", verbose=False, return_info=True)
print(train_info.provenance(), test_info.provenance(), sep="\n")
if QUICK:
    x_train, x_test = x_train[:5000], x_test[:2000]
eps = 1e-3                                                         # keeps log(0) away for never-on pixels
mu_hat = np.clip(x_train.mean(axis=0), eps, 1 - eps)
logit_hat = np.log(mu_hat) - np.log1p(-mu_hat)
nll_independent = losses.bernoulli_nll(x_test, np.tile(logit_hat, (len(x_test), 1)).astype("float32")).numpy()
print(f"independent-pixel Bernoulli model: test NLL = {nll_independent.mean():.2f} nats per image "
      f"(± {nll_independent.std() / np.sqrt(len(nll_independent)):.2f} s.e., {len(x_test)} test images, "
      f"mu clipped to [{eps}, {1 - eps}])")

# %% [markdown]
# Independence costs a lot: MADE (notebook 05) gets below 100 nats on the same test set by letting pixel $d$ depend on the pixels before it. The mean image *is* this model's $\mu$:

# %%
fig, ax = plt.subplots(figsize=(4.2, 3.6))
im = ax.imshow(mu_hat.reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
ax.set_title("Independent-pixel model:\n$\\mu_d$ = mean of the training images")
ax.set_xlabel("pixel column")
ax.set_ylabel("pixel row")
fig.colorbar(im, ax=ax, label="$\\mu_d$")
plt.show()

# %% [markdown]
# ## 2. Gaussian with fixed variance → squared error (with the ½ and the constants)
#
# For real-valued $x \in \mathbb{R}^D$ and a Gaussian with mean $\mu$ and fixed variance $\sigma^2$ per dimension:
#
# $$p(x\mid\mu) = \prod_{d=1}^D \frac{1}{\sqrt{2\pi\sigma^2}} \exp\!\Big(-\frac{(x_d-\mu_d)^2}{2\sigma^2}\Big)$$
#
# $$-\log p(x\mid\mu) = \frac{1}{2\sigma^2}\sum_{d=1}^D (x_d-\mu_d)^2 \;+\; \frac{D}{2}\log(2\pi\sigma^2).$$
#
# With $\sigma^2=1$: NLL $= \tfrac12\,\mathrm{SE} + \tfrac{D}{2}\log 2\pi$, where SE is the summed squared error. Keras' `mean_squared_error` averages, $\mathrm{MSE} = \mathrm{SE}/D$, so
#
# $$\text{NLL} = \frac{D\cdot \mathrm{MSE}}{2\sigma^2} + \frac{D}{2}\log(2\pi\sigma^2).$$
#
# The second term does not depend on $\mu$: minimizing MSE *is* maximum likelihood under a fixed-variance Gaussian, only the scale and the offset differ. We check the formula for two variances against the density evaluated directly.

# %%
x_real = rng.random((5, D)).astype("float32")
mean = rng.random((5, D)).astype("float32")
for var in (1.0, 0.25):
    density = np.exp(-(x_real - mean).astype("float64") ** 2 / (2 * var)) / np.sqrt(2 * np.pi * var)
    direct = -np.log(density).sum(axis=1)                                     # from the density itself
    mse = keras.losses.mean_squared_error(x_real, mean).numpy()
    via_mse = D * mse / (2 * var) + D / 2 * math.log(2 * math.pi * var)
    helper = losses.gaussian_nll(x_real, mean, variance=var).numpy()
    print(f"sigma^2 = {var}: direct {direct[:2]}  via Keras MSE {via_mse[:2]}  made_helpers {helper[:2]}  "
          f"max |diff| {max(np.abs(via_mse - direct).max(), np.abs(helper - direct).max()):.1e}")
    print(f"   of which the constant D/2 log(2 pi sigma^2) = {D / 2 * math.log(2 * math.pi * var):.2f} nats")

# %% [markdown]
# ### The ½ and the $D$ matter for the gradient, not for the optimum
#
# $\partial\,\text{NLL}/\partial\mu_d = (\mu_d - x_d)/\sigma^2$, while $\partial\,\text{MSE}/\partial\mu_d = 2(\mu_d - x_d)/D$. The two gradients point the same way; their ratio is the constant $D/(2\sigma^2)$ — with $D=784$, $\sigma^2=1$ that is 392, a change of learning rate. Checked with automatic differentiation:

# %%
mu_var = tf.Variable(mean)
with tf.GradientTape(persistent=True) as tape:
    nll = tf.reduce_sum(losses.gaussian_nll(x_real, mu_var, variance=1.0))
    mse = tf.reduce_sum(keras.losses.mean_squared_error(x_real, mu_var))
ratio = (tape.gradient(nll, mu_var) / tape.gradient(mse, mu_var)).numpy()
print(f"gradient ratio NLL / MSE: min {ratio.min():.3f}, max {ratio.max():.3f}; D / (2 sigma^2) = {D / 2}")

# %% [markdown]
# ## 3. Why logits: stability at extreme values
#
# A network outputs an unbounded number $\ell$, the **logit**, and $\mu = \sigma(\ell) = 1/(1+e^{-\ell})$. Substituting into the Bernoulli NLL and using $\log\sigma(\ell) = -\operatorname{softplus}(-\ell)$, $\log(1-\sigma(\ell)) = -\operatorname{softplus}(\ell)$ and $\operatorname{softplus}(-\ell) = \operatorname{softplus}(\ell) - \ell$:
#
# $$-\log p(x_d\mid\ell_d) = x_d\operatorname{softplus}(-\ell_d) + (1-x_d)\operatorname{softplus}(\ell_d) = \operatorname{softplus}(\ell_d) - x_d\,\ell_d,$$
#
# with $\operatorname{softplus}(\ell) = \log(1+e^{\ell})$, computed stably as $\max(\ell,0) + \log(1+e^{-|\ell|})$. No probability is ever formed, so nothing rounds to exactly 0 or 1.
#
# Now the other route: compute $\mu=\sigma(\ell)$ in float32 first, then the logs. In float32, $\sigma(\ell)$ rounds to exactly 1.0 once $\ell \gtrsim 17$:

# %%
for ell in (10.0, 16.0, 17.0, 20.0, 40.0):
    s = tf.sigmoid(tf.constant(ell, tf.float32)).numpy()
    print(f"logit {ell:5.1f}: sigmoid in float32 = {s!r:>12}   1 - sigmoid = {1 - s!r}")

# %% [markdown]
# A pixel that is **off** ($x=0$) but predicted with logit 20 should cost $\operatorname{softplus}(20) \approx 20$ nats. Three ways to compute it, over a range of logits:
#
# * the textbook formula on float32 probabilities (`losses.naive_bernoulli_nll`);
# * Keras from probabilities (`from_logits=False`), which clips $\mu$ to $[10^{-7}, 1-10^{-7}]$;
# * Keras from logits and `losses.bernoulli_nll` (softplus form).

# %%
ells = np.array([-100, -40, -20, -5, 0, 5, 17, 20, 40, 100], dtype="float32")
x_off = np.zeros((len(ells), 1), dtype="float32")                # the pixel is off
with np.errstate(over="ignore"):                                  # exp(100) overflows: we know
    naive = losses.naive_bernoulli_nll(x_off, ells[:, None])
keras_probs = keras.losses.binary_crossentropy(x_off, tf.sigmoid(ells[:, None])).numpy()
keras_logits = keras.losses.binary_crossentropy(x_off, ells[:, None], from_logits=True).numpy()
stable = losses.bernoulli_nll(x_off, ells[:, None]).numpy()
print(f"{'logit':>7} {'naive float32':>14} {'Keras(probs)':>13} {'Keras(logits)':>14} {'softplus form':>14}")
for row in zip(ells, naive, keras_probs, keras_logits, stable):
    print(f"{row[0]:7.0f} {row[1]:14.4f} {row[2]:13.4f} {row[3]:14.4f} {row[4]:14.4f}")
print(f"Keras' cap from probabilities: {keras_probs.max():.4f} nats; -log(1e-7) = {-math.log(1e-7):.4f}")

# %% [markdown]
# The naive formula returns `inf` from logit 17 on, and `nan` at logit −100 ($\sigma$ rounds to 0 and $0\cdot\log 0$ is undefined) even though the right answer there is 0. Keras' probability route never returns `inf`, but it is *wrong* there: it clips $\mu$ to $1-10^{-7}$ (which float32 rounds to $1-1.19\times10^{-7}$), so the loss is capped near 16 nats and a confident mistake at logit 100 costs the same as one at logit 20 — and, as the gradients below show, the gradient through the clip is zero, so the model gets no signal to fix it. The logit routes are exact everywhere. The same picture as a plot:

# %%
grid = np.linspace(-40, 40, 401).astype("float32")
zeros = np.zeros((len(grid), 1), dtype="float32")
fig, ax = plt.subplots()
ax.plot(grid, losses.bernoulli_nll(zeros, grid[:, None]).numpy(), label="softplus form (logits)", lw=3, alpha=0.5)
ax.plot(grid, keras.losses.binary_crossentropy(zeros, tf.sigmoid(grid[:, None])).numpy(),
        label="Keras from probabilities (clipped)", ls="--")
with np.errstate(over="ignore"):
    naive_curve = losses.naive_bernoulli_nll(zeros, grid[:, None])
finite = np.isfinite(naive_curve)
ax.plot(grid[finite], naive_curve[finite], label="naive float32 (inf beyond the grey line)", ls=":")
ax.axvline(grid[finite].max(), color="gray", lw=0.8)
ax.set_title("NLL of an 'off' pixel ($x=0$) against the predicted logit")
ax.set_xlabel("logit $\\ell$")
ax.set_ylabel("$-\\log p(x=0\\mid\\ell)$ (nats)")
ax.legend()
plt.show()

# %% [markdown]
# ### Gradients
#
# Training needs the derivative, $\partial\,\text{NLL}/\partial\ell = \sigma(\ell) - x$, bounded by 1 in size. Differentiating the naive float32 formula instead goes through $\log(1-\sigma(\ell))$ and breaks where $1-\sigma(\ell)$ rounds to 0. Keras from probabilities clips $\mu$ first, and the derivative of a clip is 0 wherever it is active:

# %%
ell_t = tf.constant(ells[:, None])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(ell_t)
    s = tf.sigmoid(ell_t)
    naive_t = -(x_off * tf.math.log(s) + (1 - x_off) * tf.math.log(1 - s))
    clipped_t = keras.losses.binary_crossentropy(x_off, s)               # Keras from probabilities
    stable_t = losses.bernoulli_nll(x_off, ell_t)
g_naive = tape.gradient(naive_t, ell_t).numpy().ravel()
g_clipped = tape.gradient(clipped_t, ell_t).numpy().ravel()
g_stable = tape.gradient(stable_t, ell_t).numpy().ravel()
print(f"{'logit':>6} {'naive':>10} {'Keras(probs)':>13} {'softplus form':>14} {'sigma(l) - x':>13}   (d NLL / d logit)")
for e, gn, gc, gs in zip(ells, g_naive, g_clipped, g_stable):
    print(f"{e:6.0f} {gn:10.4f} {gc:13.4f} {gs:14.4f} {tf.sigmoid(e).numpy():13.4f}")

# %% [markdown]
# From logit 17 on (and at −100) the naive gradient is `nan`, and one `nan` poisons every weight after the next update. Keras from probabilities returns a gradient of exactly 0 from logit 17 on, where its clip is active: the loss says "16 nats wrong" but gives the model no direction to improve — a silent failure, worse than a loud one. This is why every model in this series outputs logits and is trained with `bernoulli_nll` (softplus form): MADE's output layer has no sigmoid.
#
# ## 4. Units: nats, bits
#
# All NLLs here are in nats (natural log, section 1), per image, summed over the 784 pixels — the unit of the MADE paper's MNIST table. Divide by $\ln 2$ for bits, and by $D$ for bits per pixel:

# %%
nll = float(nll_independent.mean())
print(f"independent-pixel model: {nll:.2f} nats/image = {nll / math.log(2):.2f} bits/image "
      f"= {nll / math.log(2) / D:.4f} bits/pixel")

# %% [markdown]
# **Summary.** Bernoulli NLL $=\sum_d$ BCE $= D\times$ Keras' mean BCE; fixed-variance Gaussian NLL $= \mathrm{SE}/(2\sigma^2) + \tfrac D2\log 2\pi\sigma^2$; compute the Bernoulli NLL from logits as $\operatorname{softplus}(\ell) - x\ell$. Notebook 03 shows that an autoencoder trained with this loss still does not define a distribution, and that MADE does.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [03 · Why an autoencoder is not a distribution, and the autoregressive property](03_autoregressive_property.ipynb).
