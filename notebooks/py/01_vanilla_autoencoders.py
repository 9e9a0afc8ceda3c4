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
# # 01 · Vanilla autoencoders: encoder, decoder, bottleneck, denoising

# %% [markdown]
# An autoencoder is a network trained to output its own input. On its way through the network the input passes a narrow layer, the **code**, so the network has to find a compact description of the data. This notebook trains small Keras autoencoders on grey MNIST digits: it shows reconstructions, what the width of the bottleneck does (784 → 32 and others), the **denoising** autoencoder (noisy input, clean target), and what goes wrong without a bottleneck — an over-complete autoencoder copies whatever it is given, random noise included. That failure to learn anything about digits is the starting point of MADE, the *Masked Autoencoder for Distribution Estimation* of Germain, Gregor, Murray and Larochelle (2015), which notebooks 03–06 build: an autoencoder's output is not a probability distribution until we take away its ability to copy.
#
# **You will learn**
#
# * what an encoder, a decoder and a code are, and what the width of the code does to reconstructions;
# * how a denoising autoencoder differs from a plain one;
# * why an autoencoder with a code wider than its input copies anything, noise included.
#
# **It assumes** Python and numpy, and a first idea of neural networks (dense layers, training by gradient descent); the Keras calls are explained as they come.

# %%
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm

from made_helpers import data
from made_helpers.core import plotting
from made_helpers.core.autoencoders import build_autoencoder, masking_noise
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)            # seeds, quick flag (MADE_QUICK=1), figure defaults
N_TRAIN = 3_000 if QUICK else 60_000       # training images
EPOCHS = 2 if QUICK else 10                # epochs per model
WIDE = 2_000                               # width of the over-complete code (> 784)
print(f"{N_TRAIN} training images, {EPOCHS} epochs per model")

# %% [markdown]
# ## The data
#
# Grey MNIST: 28 × 28 images with values 0–255. We flatten each image to a vector of $D = 784$ numbers and scale it to $[0, 1]$. `load_mnist` reports where the data came from (printed below).

# %%
train_images, train_labels, train_info = data.load_mnist("train", verbose=False, return_info=True)
test_images, test_labels, test_info = data.load_mnist("test", verbose=False, return_info=True)
print(train_info.provenance(), test_info.provenance(), sep="\n")
x_train = train_images[:N_TRAIN].reshape(-1, 784).astype("float32") / 255.0
x_test = test_images.reshape(-1, 784).astype("float32") / 255.0
print(f"x_train {x_train.shape}, x_test {x_test.shape}, values in [{x_train.min()}, {x_train.max()}]")

# %%
plotting.plot_images(x_test[:20], title="Twenty test digits (grey MNIST)", ncols=10)
plt.show()

# %% [markdown]
# ## Encoder and decoder
#
# The encoder $f$ maps an image $x \in [0,1]^{784}$ to a code $z = f(x) \in \mathbb{R}^{k}$; the decoder $g$ maps the code back to a reconstruction $\hat x = g(z)$. Both are small multilayer perceptrons:
#
# $$x \;\xrightarrow{\;784 \to 256 \to k\;}\; z \;\xrightarrow{\;k \to 256 \to 784\;}\; \hat x .$$
#
# We train them together to make $\hat x$ close to $x$, here with the squared error $\lVert x - \hat x\rVert^2$ averaged over pixels (Keras' `"mse"`; notebook 02 shows it is the negative log-likelihood of a Gaussian, up to constants). `build_autoencoder` (in `made_helpers/core/autoencoders.py`) returns the whole model; its two halves are the sub-models `"encoder"` and `"decoder"`.

# %%
ae = build_autoencoder(input_dim=784, hidden_sizes=[256], code_dim=32)
for part in ("encoder", "decoder"):
    sub = ae.get_layer(part)
    shapes = " -> ".join(str(layer.output.shape[1]) for layer in sub.layers)
    print(f"{part}: {shapes}  ({sub.count_params():,} parameters)")


# %% [markdown]
# One small function trains any of the autoencoders below with Adam (gradient descent with a step size adapted for each weight from the recent gradients) and returns the per-epoch loss, so every model in this notebook gets the same treatment.

# %%
def train(model, inputs, targets, epochs=EPOCHS):
    """Fit ``model`` to map inputs to targets with squared error; returns the loss per epoch."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    start = time.perf_counter()
    history = model.fit(inputs, targets, epochs=epochs, batch_size=128, verbose=0)
    print(f"{model.name}: {epochs} epochs in {time.perf_counter() - start:.0f} s, "
          f"final training MSE {history.history['loss'][-1]:.4f}")
    return history.history["loss"]


def mse(model, inputs, targets):
    """Mean squared error per pixel of the model's (clipped) reconstructions."""
    return float(np.mean((np.clip(model.predict(inputs, verbose=0), 0, 1) - targets) ** 2))


# %% [markdown]
# ## The bottleneck: how wide should the code be?
#
# With a code of $k$ numbers the autoencoder must squeeze 784 pixels through $k$ units. We train the same architecture with $k = 2, 8, 32, 128$ and measure the reconstruction error on the **test** images, which the models never saw.

# %%
code_sizes = [2, 8, 32, 128]
bottlenecks, curves = {}, {}
for k in code_sizes:
    keras.utils.set_random_seed(SEED)
    bottlenecks[k] = build_autoencoder(784, [256], code_dim=k, name=f"ae_code{k}")
    curves[k] = train(bottlenecks[k], x_train, x_train)
test_mse = {k: mse(bottlenecks[k], x_test, x_test) for k in code_sizes}
for k in code_sizes:
    print(f"code size {k:4d}: test MSE per pixel {test_mse[k]:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
for k in code_sizes:
    axes[0].plot(np.arange(1, len(curves[k]) + 1), curves[k], marker="o", label=f"{k}")
axes[0].set(title="Training loss by code size", xlabel="epoch", ylabel="MSE per pixel (train)", yscale="log")
axes[0].legend(title="code size", loc="upper left", bbox_to_anchor=(1.01, 1.0))   # outside: covers no curve
axes[1].plot(code_sizes, [test_mse[k] for k in code_sizes], marker="o")
axes[1].set(title="Test reconstruction error against code size", xlabel="code size k", ylabel="MSE per pixel (test)",
            xscale="log", yscale="log")
plt.show()

# %% [markdown]
# Reconstructions of the first ten test digits, one row per code size. A 2-number code keeps only the rough shape and often the wrong digit; by 32 numbers the digits are recognisable, 784 → 32 is a 24-fold compression.

# %%
rows = [x_test[:10]] + [np.clip(bottlenecks[k].predict(x_test[:10], verbose=0), 0, 1) for k in code_sizes]
plotting.plot_images(np.concatenate(rows), ncols=10,
                     title="Test digits (top row) and reconstructions with codes of 2, 8, 32, 128 (rows 2-5)")
plt.show()

# %% [markdown]
# The code is a learned coordinate system. With $k=2$ we can draw it: each test digit becomes a point in the plane, coloured by its label, one colour per digit 0–9 (labels the autoencoder never saw).
#
# One thing can spoil the picture. The code layer of these models uses the same activation as the hidden layers, the ReLU $\max(0, a)$. A ReLU unit whose input is negative for (nearly) every image outputs 0 for all of them and receives no gradient, so training cannot bring it back: the unit is **dead**. With only two code units, one dead unit leaves a one-number code, and the "plane" collapses onto a line. We count, for each code unit, how many test digits give it a value above $10^{-3}$, and train the same model once more with a **linear** code layer (`code_activation=None`): a unit without a ReLU cannot die.

# %%
keras.utils.set_random_seed(SEED)
linear_code = build_autoencoder(784, [256], code_dim=2, code_activation=None, name="ae_code2_linear")
linear_curve = train(linear_code, x_train, x_train)
codes = {"ReLU code": bottlenecks[2].get_layer("encoder").predict(x_test[:5000], verbose=0),
         "linear code": linear_code.get_layer("encoder").predict(x_test[:5000], verbose=0)}
for name, z in codes.items():
    active = [(np.abs(z[:, j]) > 1e-3).mean() for j in range(2)]
    print(f"{name:11s}: units 1 and 2 differ from 0 on {active[0]:.1%} and {active[1]:.1%} of the digits; "
          f"test MSE {mse(bottlenecks[2] if name == 'ReLU code' else linear_code, x_test, x_test):.4f}")

# %%
one_colour_per_label = BoundaryNorm(np.arange(-0.5, 10), ncolors=10)      # labels 0..9, ten discrete colours
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, (name, z) in zip(axes, codes.items()):
    points = ax.scatter(z[:, 0], z[:, 1], c=test_labels[:5000], cmap="tab10", norm=one_colour_per_label, s=3)
    ax.set(title=f"{name} (size 2)", xlabel="code unit 1", ylabel="code unit 2")
fig.colorbar(points, ax=axes, label="digit label", ticks=range(10))
fig.suptitle("Codes of 5000 test digits")
plt.show()

# %% [markdown]
# The printout and the left panel show what happened to the ReLU code: a unit that is 0 for (nearly) every digit carries no information, and the points lie along the other unit's axis — a one-number code. The linear code uses both of its numbers; the digits spread over the plane, and digits of the same label gather in regions, although the autoencoder never saw a label. Its test error is printed beside the ReLU one: two live numbers describe the digits better than one.

# %% [markdown]
# ## The denoising autoencoder: noisy input, clean target
#
# A denoising autoencoder sees a corrupted image $\tilde x$ and is trained to output the **clean** $x$:
#
# $$\min_{f,g}\; \mathbb{E}\,\lVert x - g(f(\tilde x))\rVert^2, \qquad \tilde x = x \odot m,\quad m_d \sim \text{Bernoulli}(1-p).$$
#
# Here the corruption is *masking noise*: each pixel is set to 0 with probability $p = 0.5$ (`masking_noise`). To undo it the network must know what digits look like; copying the input no longer helps.

# %%
DROP = 0.5
x_train_noisy = masking_noise(x_train, DROP, seed=1)
x_test_noisy = masking_noise(x_test, DROP, seed=2)
keras.utils.set_random_seed(SEED)
denoiser = build_autoencoder(784, [256], code_dim=32, name="denoising_ae_code32")
denoise_curve = train(denoiser, x_train_noisy, x_train)

# %% [markdown]
# Both code-32 models receive the same noisy test digits; the error is measured against the clean digits:

# %%
print(f"noisy input itself vs clean:      MSE {np.mean((x_test_noisy - x_test) ** 2):.4f}")
print(f"plain autoencoder (code 32):      MSE {mse(bottlenecks[32], x_test_noisy, x_test):.4f}")
print(f"denoising autoencoder (code 32):  MSE {mse(denoiser, x_test_noisy, x_test):.4f}")
print(f"on clean inputs: plain {mse(bottlenecks[32], x_test, x_test):.4f}, "
      f"denoising {mse(denoiser, x_test, x_test):.4f}")
ink = {"clean digits": x_test, "noisy inputs (what the denoiser was trained on)": x_test_noisy,
       "denoiser's output for clean inputs": np.clip(denoiser.predict(x_test, verbose=0), 0, 1),
       "denoiser's output for noisy inputs": np.clip(denoiser.predict(x_test_noisy, verbose=0), 0, 1)}
for name, images in ink.items():
    print(f"mean pixel value, {name:48s} {images.mean():.3f}")

# %% [markdown]
# On noisy inputs the denoiser wins clearly (0.0168 against 0.0423 for the plain autoencoder). On **clean** inputs it does worse than the plain one (0.0299 against 0.0127), and the mean pixel values say why. It was never trained to copy: every input it saw had about half its ink removed (mean 0.066 against 0.133 for clean digits), and it learned to put the missing ink back — its outputs for noisy inputs have about the right amount (0.140). A clean digit looks to it like a noisy one with twice the ink, so it "restores" strokes that were never removed: its outputs for clean inputs carry far too much ink (0.201). A denoiser is a model of *clean digits given corrupted ones*, not an identity map; the plain autoencoder, trained to reproduce exactly what it is given, is the one that copies clean inputs well.

# %%
rows = [x_test[:10], x_test_noisy[:10], np.clip(bottlenecks[32].predict(x_test_noisy[:10], verbose=0), 0, 1),
        np.clip(denoiser.predict(x_test_noisy[:10], verbose=0), 0, 1)]
plotting.plot_images(np.concatenate(rows), ncols=10,
                     title="Clean, half the pixels dropped, plain AE output, denoising AE output (rows 1-4)")
plt.show()

# %% [markdown]
# ## Losing your identity: an over-complete autoencoder copies noise
#
# What if the code is *wider* than the input, $k = 2000 > 784$? Then the network can represent (nearly) the identity map, and the reconstruction loss rewards it for doing so: the best way to output your input is to copy it. We train such an over-complete autoencoder (one ReLU layer of 2000 units, no other hidden layer) on the same digits, and then feed all models images of pure random noise: every pixel on or off with probability ½. None of the models has ever seen anything like it.

# %%
keras.utils.set_random_seed(SEED)
wide = build_autoencoder(784, [], code_dim=WIDE, name=f"overcomplete_ae_code{WIDE}")
wide_curve = train(wide, x_train, x_train)
noise = (rng.random((1000, 784)) < 0.5).astype("float32")

# %% [markdown]
# The plot shows inputs and outputs side by side. In the middle of the image, where digits live, the over-complete model returns the noise pattern it was given; the bottleneck model returns a digit-like blur whatever the input.

# %%
rows = [noise[:10], np.clip(wide.predict(noise[:10], verbose=0), 0, 1),
        np.clip(bottlenecks[32].predict(noise[:10], verbose=0), 0, 1)]
plotting.plot_images(np.concatenate(rows), ncols=10,
                     title=f"Random noise (row 1) through the over-complete AE (code {WIDE}, row 2) "
                           f"and the bottleneck AE (code 32, row 3)")
plt.show()

# %% [markdown]
# The same in numbers. The border pixels are 0 in (almost) every training digit, so no model ever learned to copy them; we therefore also measure on the **central** pixels, those that vary across the training set (standard deviation above 0.05). The correlation between each noise image and its reconstruction says how much of the input pattern came back: 1 is a perfect copy, 0 is no trace of it.

# %%
CENTRAL_STD = 0.05                         # pixels that vary at least this much are 'central'
central = x_train.std(axis=0) > CENTRAL_STD


def copy_score(model, inputs):
    """(MSE on central pixels, mean correlation of input and output on central pixels)."""
    out = model.predict(inputs, verbose=0)
    err = float(np.mean((np.clip(out, 0, 1) - inputs)[:, central] ** 2))
    corr = np.mean([np.corrcoef(a[central], b[central])[0, 1] for a, b in zip(inputs, out)])
    return err, float(corr)


print(f"{central.sum()} central pixels of 784 (training-set standard deviation above {CENTRAL_STD})")
print(f"{'model':28s} {'test digits MSE':>16s} {'noise MSE (central)':>20s} {'noise correlation':>18s}")
for name, model in [(f"over-complete (code {WIDE})", wide), ("bottleneck (code 32)", bottlenecks[32]),
                    ("denoising (code 32)", denoiser)]:
    err, corr = copy_score(model, noise)
    print(f"{name:28s} {mse(model, x_test, x_test):16.4f} {err:20.4f} {corr:18.3f}")

# %% [markdown]
# The over-complete autoencoder has by far the lowest error on test digits — and it is low for the wrong reason: it copies pure noise too (its outputs correlate strongly with the noise it was given, the bottleneck models' hardly at all, the denoising model's, trained not to copy, least), so a good reconstruction says nothing about whether the input looks like a digit. It has lost its identity as a model of *digits* and become (close to) the identity *map*.
#
# Could we read an autoencoder's output as a probability of the input — say $\prod_d \sigma(\ell_d)^{x_d}(1-\sigma(\ell_d))^{1-x_d}$ for a binary image, with $\ell_d$ the network's output for pixel $d$ and $\sigma(\ell) = 1/(1+e^{-\ell})$ the sigmoid, which turns it into a number between 0 and 1? Not as it stands: output $d$ has seen $x_d$ itself, so a copying network gives every input, digit or noise, a high score, and the scores over all $2^{784}$ images need not sum to one. Notebook 03 makes that concrete on a tiny $D$ and shows how MADE's masks fix it: output $d$ may only see the pixels *before* $d$. Notebook 02 first derives the losses used for that.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# Next: [02 · Negative log-likelihoods and the loss functions they become](02_nll_and_loss_functions.ipynb).
