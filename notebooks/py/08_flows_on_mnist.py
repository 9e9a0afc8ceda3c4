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
# # 08 · Flows on MNIST

# %% [markdown]
# Notebook 07 built real-valued MADEs, Masked Autoregressive Flows (MAF) and Real NVP on 2-D toys. Here the same models meet real images, on the protocol of the MAF paper (Papamakarios, Pavlakou & Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017): grey MNIST digits made continuous (**dequantized**), moved to the real line by a **logit transform**, and the eight models of the paper's MNIST table — a Gaussian, MADE, MADE MoG, Real NVP (5) and (10), MAF (5) and (10), MAF MoG (5) — compared by their mean test log-likelihood. The paper-size models train for up to an hour and a half each on a 2-core CPU, so they were trained beforehand with the commands of the appendix; section 7 trains smaller versions here, in a few minutes, to look inside them.
#
# **You will learn**
#
# * how integer pixels become a density-estimation problem on $\mathbb{R}^{784}$, and how the log-likelihood changes with the space it is measured in;
# * the paper's recipe for each model, and how our models compare with the paper's Table 2, row by row, with their learning curves;
# * what a trained flow does to a digit, layer by layer, and why a mixture of Gaussians per pixel beats a single Gaussian on MNIST.
#
# **It assumes** notebook 07 (Gaussian MADE, mixture of Gaussians (MoG) conditionals, MAF, batch normalization as a flow layer, Real NVP).

# %%
import logging
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from made_helpers.core.evaluate import paired_difference
from made_helpers.density import logit_space
from made_helpers.density.density_fit import fit_density
from made_helpers.density.flows import gaussian_log_prob_baseline
from made_helpers.experiments import maf_mnist
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)                    # seeds, quick flag (MADE_QUICK=1), figures
logging.getLogger("tensorflow").setLevel(logging.ERROR)
RUNS = Path("..") / "results" / "maf_mnist"         # the paper-size models trained beforehand
N_GAUSSIAN = 5_000 if QUICK else None               # training rows of the closed-form Gaussian (None: all)

# %% [markdown]
# ## 1. From integer pixels to a density on the real line
#
# A grey pixel is an integer $z \in \{0, \dots, 255\}$. A density model could put unbounded density on those integers and its log-likelihood would grow without limit, so each pixel is **dequantized**: $y = (z + v)/256$ with $v \sim U(0, 1)$ drawn once per pixel, so $256\,y$ lies uniformly in $[z, z+1)$. The paper then applies the **logit transform** with $\lambda = 10^{-6}$,
#
# $$x = \operatorname{logit}\big(\lambda + (1 - 2\lambda)\,y\big), \qquad \operatorname{logit}(s) = \log\frac{s}{1-s},$$
#
# which maps $[0, 1)$ onto (almost all of) the real line, where Gaussians fit better than on a bounded interval; $\lambda$ keeps $x$ finite at $y = 0$.
#
# **The split** is the paper's: the first 50 000 MNIST training images for training, the last 10 000 as the validation set that decides when to stop, and the 10 000 test images for the reported figure. The noise $v$ comes from one random generator seeded with 42, drawn for the training, then the validation, then the test images, as in the authors' code, so every model sees the same dequantized digits.

# %%
start = time.perf_counter()
splits = logit_space.load_maf_mnist()
for name, x in splits.items():
    print(f"{name:5s} {x.shape}, logit values in [{x.min():6.2f}, {x.max():5.2f}], mean {x.mean():6.2f}")
print(f"loaded and transformed in {time.perf_counter() - start:.0f} s")

# %% [markdown]
# One digit in both spaces. In pixel space the background is a single value; in logit space the background pixels ($z = 0$, so $y < 1/256$) spread from $\operatorname{logit}(\lambda)$ to $\operatorname{logit}(1/256)$ (both printed below), because $v$ varies and the logit stretches the neighbourhood of 0. The histograms show this for all the pixels of 200 training digits: most of the mass sits in a wide background bump far to the left.

# %%
print(f"background range in logit space: logit(lambda) = {np.log(1e-6 / (1 - 1e-6)):.2f} "
      f"to logit(1/256) = {np.log(1 / 255):.2f}")
digit = splits["train"][0]
pixels = logit_space.logit_to_pixels(splits["train"][:200])
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), gridspec_kw={"width_ratios": [1, 1, 1.4, 1.4]})
for ax, img, title, cmap in [(axes[0], logit_space.logit_to_pixels(digit), "pixel space $256\\,y$", "gray_r"),
                             (axes[1], digit, "logit space $x$", "gray_r")]:
    im = ax.imshow(img.reshape(28, 28), cmap=cmap)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set(title=f"training digit 0: {title}", xticks=[], yticks=[])
axes[2].hist(pixels.ravel(), bins=64, range=(0, 256), color="grey")
axes[2].set(title="dequantized pixels $256\\,y$ (200 digits)", xlabel="$256\\,y$", ylabel="count", yscale="log")
axes[3].hist(splits["train"][:200].ravel(), bins=64, color="grey")
axes[3].set(title="logit values $x$ (200 digits)", xlabel="$x$", ylabel="count", yscale="log")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. What is measured, and in which space
#
# The paper's Table 2 reports the mean test **log-likelihood in logit space**, $\frac{1}{N}\sum_n \log p_x(x_n)$ in nats per image (higher is better), with error bars of two standard errors. A density over $x$ is also a density over the dequantized pixels, by the change of variables of notebook 07 (the logit transform acts on each pixel alone, so its Jacobian is diagonal):
#
# $$\log p(256\,y) = \log p_x(x) + \sum_{d=1}^{784} \log\Big\lvert\frac{dx_d}{dy_d}\Big\rvert - 784 \log 256, \qquad \frac{dx}{dy} = \frac{1 - 2\lambda}{s(1-s)},\quad s = \lambda + (1-2\lambda)\,y .$$
#
# The last term converts from $y \in [0,1)$ to the 256 grey levels, $256\,y \in [0, 256)$. In **bits per pixel**, $-\log_2 p(256\,y) / 784$, a uniform density over $[0, 256)^{784}$ scores exactly 8, and a model scores lower the more it has learnt. The pixel-space figures do not depend on the logit transform, so they compare models fitted in different spaces; the logit-space figure is the one to set beside the paper. A check of the conversion on the density that is uniform in pixel space (its logit-space log-density is minus the log-Jacobian):

# %%
x_check = splits["test"][:100]
uniform_in_pixels = -logit_space.log_det_logit_to_unit(x_check)
bits = logit_space.bits_per_pixel(logit_space.to_pixel_space(uniform_in_pixels, x_check), 784)
print(f"uniform density: {bits.mean():.6f} bits per pixel; "
      f"its mean logit-space log-likelihood {uniform_in_pixels.mean():.1f} nats")

# %% [markdown]
# ## 3. The first row, computed here: a Gaussian with full covariance
#
# The paper's simplest baseline is one Gaussian over all 784 logit values, $\mathcal{N}(x; m, S)$, with the training set's mean $m$ and covariance $S$ (plus $10^{-6} I$, so that $S$ is invertible): maximum likelihood in closed form, no training loop. Every other model of the table contains it as a special case, so it is the bar each must clear.

# %%
start = time.perf_counter()
gaussian_log_p = gaussian_log_prob_baseline(splits["train"][:N_GAUSSIAN], splits["test"])
gaussian_here = maf_mnist.test_figures(gaussian_log_p, splits["test"])
print(f"Gaussian fitted to {len(splits['train'][:N_GAUSSIAN])} training images in "
      f"{time.perf_counter() - start:.0f} s: test log-likelihood {gaussian_here['log_likelihood_logit']:.1f} "
      f"± {gaussian_here['log_likelihood_logit_2se']:.1f} nats (logit space), "
      f"{gaussian_here['bits_per_pixel']:.3f} bits per pixel")
print(f"the paper (cited): {maf_mnist.PAPER_TABLE['gaussian'][0]} ± {maf_mnist.PAPER_TABLE['gaussian'][1]}")

# %% [markdown]
# ## 4. The paper's eight models and its recipe
#
# As described in the paper and the authors' published code (cited, not measured here):
#
# | model | what it is |
# |---|---|
# | Gaussian | full covariance, closed form (section 3) |
# | MADE | one Gaussian per conditional $p(x_d \mid x_{<d})$; two hidden layers of 1024 ReLU units; hidden degrees assigned in sequence ($1, 2, \dots, 783, 1, 2, \dots$) |
# | MADE MoG | the same network, a mixture of $C = 10$ Gaussians per conditional: $p(x_d \mid x_{<d}) = \sum_{c=1}^{C} \pi_c\, \mathcal{N}(x_d; \mu_c, \sigma_c^2)$, with weights $\pi_c$, means and scales all computed from $x_{<d}$ |
# | Real NVP (5), (10) | 5 or 10 affine coupling layers, batch normalization after each; a coupling layer keeps every other pixel (the odd-numbered ones in the first layer, the even-numbered in the next, and so on) and shifts and scales the others, with the shift computed from the kept pixels by a network of ReLU units and the log-scale by a second network of tanh units (two hidden layers of 1024 each) |
# | MAF (5), (10) | 5 or 10 Gaussian MADEs in alternating (natural, reversed) orders, batch normalization after each |
# | MAF MoG (5) | MAF (5) whose $u_5$ is modelled by a MADE MoG ($C = 10$) instead of $\mathcal{N}(0, I)$ |
#
# The paper's models are **unconditional**: each is a density $p(x)$ over the images alone (the paper also fits densities conditioned on the digit's class, $p(x \mid \text{class})$, not used here).
#
# **Training**: Adam with step $10^{-3}$ for the MADEs and $10^{-4}$ for the flows, minibatches of 100, an L2 penalty $\frac{10^{-6}}{2}\sum w^2$ on the weights, and early stopping when the validation log-likelihood has not improved for 30 epochs (the best epoch's weights are kept). Before every validation and before the test, each batch-normalization layer is given the mean and variance of its inputs over the whole training set, so that the epoch is chosen under the statistics the test uses. A mixture's output biases (the logits of its weights, its means and its log-precisions) start as draws from $\mathcal{N}(0, 1)$, as the authors start them: from all-zero biases the components of the first pixel's conditional, which sees no earlier pixel, would get identical updates and stay one Gaussian (notebook 07). One difference from the authors' code remains: the MADEs' log-scales are soft-bounded, $\alpha = 7\tanh(\alpha_{\text{raw}}/7)$ (Real NVP's are unbounded, as theirs). On a 2-core CPU an epoch of a paper-size flow takes minutes, so no run here could wait for 30 epochs without improvement: each row says after how many epochs and minutes its training ended, and why — **time** (the run's time limit), **epochs** (a fixed number of epochs, the same for both runs of a depth pair), or **patience** (the paper's early stopping) — and with which Adam step.

# %% [markdown]
# ## 5. Our rows beside the paper's Table 2
#
# The table sets each of our models beside the paper's (mean test log-likelihood in logit space, ± two standard errors) with the **ratio** ours/paper: both are negative, so a ratio below 1 means our model scores higher than the paper's, above 1 lower. The paper's values are cited from its Table 2 (MNIST, unconditional). The machines that trained them are printed below the table.

# %%
runs = maf_mnist.load_results(RUNS)
display(Markdown(maf_mnist.paper_table(runs, provenance=False)))
machines = sorted({f"{r['machine']['cpu']}, {r['machine']['cpu_count']} cores, CPU flags {r['machine']['cpu_flags']}"
                   for r in runs.values() if r.get("machine")})
print("trained on:", *machines, sep="\n  ")
print(f"the Gaussian of section 3, fitted here: {gaussian_here['log_likelihood_logit']:.1f} nats")

# %% [markdown]
# **The ranking.** The paper orders its eight rows MADE MoG > MAF MoG (5) > MAF (5) > MAF (10) > Real NVP (5) > Gaussian > Real NVP (10) > MADE. Our ranking of the same eight rows, beside the paper's:

# %%
ours_ll = {row: run["test"]["log_likelihood_logit"] for row, run in runs.items()}
paper_order = sorted(ours_ll, key=lambda row: -maf_mnist.PAPER_TABLE[row][0])
our_order = sorted(ours_ll, key=lambda row: -ours_ll[row])
print("paper:", " > ".join(runs[row]["label"] for row in paper_order))
print("ours: ", " > ".join(runs[row]["label"] for row in our_order))
print(f"same order: {'yes' if paper_order == our_order else 'no'} ({len(our_order)} rows compared)")

# %% [markdown]
# **Depth, as one change.** A row of the table differs from its neighbours in more than one thing (the model, and often the Adam step, the training time and the epochs), so the table alone cannot say what made a row better. Depth can be isolated: MAF (5) and MAF (10), and Real NVP (5) and (10), are trained with the same settings and for the same number of epochs, and differ only in their number of layers. On the same test images, the **paired** difference of their log-likelihoods, image by image, has a much smaller standard error than either mean, because what makes one image easy for both models cancels. The paper's own differences (cited) are negative: on MNIST its deeper flows scored *below* the shallower ones.

# %%
display(Markdown(maf_mnist.depth_table(runs)))

# %% [markdown]
# **Image by image.** A mean difference can be made of many small gains or of a few large losses. For each depth pair that can be compared, the distribution of the per-image differences (deeper minus shallower, in nats), the share of test images on which the deeper flow scores higher, and the median, which a few extreme images cannot move:

# %%
comparable = [(shallow, deep) for shallow, deep in maf_mnist.DEPTH_PAIRS
              if maf_mnist.depth_pair_problem(runs, shallow, deep) is None]
if not comparable:
    print("No depth pair can be compared yet.")
else:
    fig, axes = plt.subplots(1, len(comparable), figsize=(6.5 * len(comparable), 3.6), squeeze=False)
    for ax, (shallow, deep) in zip(axes[0], comparable):
        label = maf_mnist.depth_pair_label(shallow, deep)
        diff = (np.asarray(runs[deep]["test"][maf_mnist.PER_IMAGE])
                - np.asarray(runs[shallow]["test"][maf_mnist.PER_IMAGE]))
        low, high = np.percentile(diff, [0.5, 99.5])
        outside = (diff < low) | (diff > high)
        ax.hist(diff[~outside], bins=80, color="grey")
        ax.axvline(0, color="k", lw=1, label="no difference")
        ax.axvline(np.median(diff), color="C1", ls="--", label=f"median {np.median(diff):+.1f}")
        ax.axvline(diff.mean(), color="C0", ls=":", label=f"mean {diff.mean():+.1f}")
        ax.set(title=f"{label}: per-image difference\n(central 99 %; {outside.sum()} images outside)",
               xlabel="log p(deeper) - log p(shallower) (nats, logit space)", ylabel="test images")
        ax.legend(fontsize=9)
        worst = np.argsort(diff)[:3]
        print(f"{label}: deeper higher on {np.mean(diff > 0):.1%} of {diff.size} test images; "
              f"mean {diff.mean():+.1f}, median {np.median(diff):+.1f} nats; "
              f"the three lowest: " + ", ".join(f"image {i} {diff[i]:+.0f}" for i in worst))
        print(f"{'':{len(label)}s}  without those three images the mean is {np.delete(diff, worst).mean():+.1f}")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# For MAF, the deeper flow scores higher on most test images and its median difference is positive, but a few images score far lower under it, the lowest by tens of thousands of nats, and without the three lowest the mean difference changes sign (printed above). The pair's mean difference, and its paired standard error with it, are set by a handful of images: it says little about a typical digit. For Real NVP, the deeper flow scores lower on most images, its median difference is negative, and so is its mean without the three lowest images: on this pair depth did not help, in the direction of the paper's difference (cited).

# %% [markdown]
# **Reading the rows.** Both mixture rows lie far above every single-Gaussian row, in the paper as here. But MADE MoG differs from MADE in more than its mixture (compare their training columns), so this table alone does not show that the mixture is the reason: section 7 trains a pair that differs in the number of Gaussians only. The two rankings (printed above) differ in one place: our Real NVP (10) scores above the Gaussian, while the paper's scores below it.

# %% [markdown]
# ## 6. Learning curves
#
# The mean validation NLL per image (logit space) after each epoch, and the training NLL averaged over each epoch's minibatches (computed with each minibatch's own batch-normalization statistics, so for the flows the two curves are not measured the same way). The dotted line is the paper's test NLL (cited). Under the figure, each curve's best epoch: where it is the last epoch, the validation NLL was still falling when training ended, and a longer run would probably have scored higher; where it is earlier, the curve had flattened or turned up.

# %%
trained = {row: run for row, run in runs.items() if run.get("curves")}
if not trained:
    print("No learning curves to draw yet.")
else:
    n_rows = (len(trained) + 2) // 3
    fig, axes = plt.subplots(n_rows, 3, figsize=(14, 3.6 * n_rows), squeeze=False)
    for ax in axes.ravel()[len(trained):]:
        ax.set_visible(False)
    for ax, (row, run) in zip(axes.ravel(), trained.items()):
        epochs = np.arange(1, len(run["curves"]["valid_nll"]) + 1)
        ax.plot(epochs, run["curves"]["train_nll"], ".-", ms=3, label="training")
        ax.plot(epochs, run["curves"]["valid_nll"], ".-", ms=3, label="validation")
        ax.axhline(-maf_mnist.PAPER_TABLE[row][0], color="k", ls=":", label="paper's test NLL (cited)")
        ax.set(title=f"{run['label']} (stopped by {maf_mnist.stop_phrase(run)})", xlabel="epoch",
               ylabel="NLL (nats, logit space)")
        ax.legend(fontsize=9, loc="upper right")
    fig.suptitle("Learning curves of the paper-size models")
    fig.tight_layout()
    plt.show()
for run in trained.values():
    valid = np.array([np.nan if v is None else v for v in run["curves"]["valid_nll"]])
    state = "still falling at its last epoch" if run["best_epoch"] == len(valid) else \
        f"last epoch {valid[-1] - np.nanmin(valid):+.1f} nats from its best"
    print(f"{run['label']:13s}: best validation epoch {run['best_epoch']} of {len(valid)} ({state})")

# %% [markdown]
# **Real NVP overfits.** Both Real NVP runs reached their best validation NLL at an early epoch (printed above) and then rose far above it, while their training NLL kept falling: they fit the training digits ever better and the validation digits ever worse. Early stopping is what keeps their rows: the test uses each run's weights from its best epoch. The MAFs, trained with the same step and for the same number of epochs, reached their best validation NLL late in training.

# %% [markdown]
# **Validation and test under batch normalization.** A batch-normalization layer normalizes with the mean and variance of the minibatch during training; for validation and test it needs fixed statistics. Keras keeps **running averages** for this (exponential averages of the minibatch statistics seen during training), but they lag behind the changing weights, so a validation under them measures a slightly different model from the one tested. Our flows, like the authors', are validated and tested under the statistics of the whole training set. The table prints each model's best validation NLL beside its test NLL and which statistics its validation used. The MADE rows have no batch normalization, so their gap shows how far validation and test images differ by themselves; a flow's gap of the same size says that its validation measured the model that was tested.

# %%
print(f"{'model':13s} | {'best validation NLL':>19s} | {'test NLL':>8s} | {'gap':>6s} | validation statistics")
for run in trained.values():
    valid = np.nanmin([np.nan if v is None else v for v in run["curves"]["valid_nll"]])
    test = -run["test"]["log_likelihood_logit"]
    print(f"{run['label']:13s} | {valid:19.1f} | {test:8.1f} | {valid - test:6.1f} | "
          f"{maf_mnist.validation_statistics(run)}")

# %% [markdown]
# ## 7. Inside the models: smaller ones, trained here
#
# To look inside, we train three smaller models now, on the same data: a MADE, a MADE MoG ($C = 10$) and a MAF (5), each with two hidden layers of 256 units instead of 1024, for a few epochs, all with Adam's step $10^{-3}$ (larger than the paper's $10^{-4}$ for flows, to get far in a few epochs), minibatches of 100 and the paper's L2 penalty; the best epoch by validation NLL is kept. They score well below the paper-size models, and that is not the point: the MADE and the MADE MoG differ **only** in the number of Gaussians per conditional, so their difference is the mixture's, and the MAF shows what a flow does to a digit.

# %%
SMALL = [256, 256]
EPOCHS_SMALL = 1 if QUICK else 5
small_train = splits["train"][:2_000] if QUICK else splits["train"]
small_valid = splits["valid"][:500] if QUICK else splits["valid"]


def train_small(kind):
    """A ``kind`` model of maf_mnist.build_model with hidden layers SMALL, trained for EPOCHS_SMALL epochs."""
    model = maf_mnist.build_model(kind, SMALL, num_layers=5, num_components=10, seed=SEED)
    start = time.perf_counter()
    history = fit_density(model, small_train, small_valid, epochs=EPOCHS_SMALL, batch_size=100, learning_rate=1e-3,
                          patience=EPOCHS_SMALL, seed=SEED, verbose=False, weight_decay=maf_mnist.WEIGHT_DECAY)
    print(f"{maf_mnist.LABELS[kind]:9s} 784-256-256: {len(history['valid_nll'])} epochs in "
          f"{time.perf_counter() - start:4.0f} s, best validation NLL {history['best_valid_nll']:7.1f} nats "
          f"(epoch {history['best_epoch']})")
    return model


small = {kind: train_small(kind) for kind in ("made", "made_mog", "maf")}

# %% [markdown]
# ### One Gaussian or a mixture per pixel: a one-change pair
#
# Both MADEs score every test image; the paired difference of their log-likelihoods, image by image, with its standard error:

# %%
test_log_p = {kind: small[kind].log_prob(splits["test"], batch_size=1000) for kind in ("made", "made_mog")}
gain, gain_se = paired_difference(-test_log_p["made_mog"], -test_log_p["made"])   # NLL differences, MoG - Gaussian
for kind, log_p in test_log_p.items():
    print(f"{maf_mnist.LABELS[kind]:9s}: test log-likelihood {log_p.mean():8.1f} nats (logit space)")
print(f"MADE MoG - MADE: {-gain:+.1f} ± {2 * gain_se:.1f} nats per image (± 2 paired standard errors)")

# %% [markdown]
# **Why.** Two facts about MNIST in logit space. First, a background pixel (grey level $z = 0$) is not one value: dequantized, its logit value lies between $\operatorname{logit}(\lambda) \approx -13.8$ and $\operatorname{logit}(1/256) \approx -5.5$, and because the logit stretches the neighbourhood of 0, its density rises steeply towards $-5.5$ and ends there at a cliff (the grey histogram in the figure below: the values of all background pixels of 1 000 validation digits). One Gaussian has no cliff; a mixture can put a narrow component at the cliff and wider ones on the slope. Second, where the pixels seen so far cannot tell whether the stroke continues here, the value lies near one of two distant modes, the background band on the left or the stroke on the right: a mixture can put mass on both, a single Gaussian only a wide bell that spends most of its mass between them, where few pixels lie.
#
# We draw each MADE's conditional $p(x_d \mid x_{<d})$ — the density it gives the pixel's logit value $x_d$, given the pixels above it and to its left (both MADEs use the natural raster order) — at three pixels of one validation digit: the pixel where the mixture gains the most over the single Gaussian, the darkest stroke pixel and one background pixel. The printed lines give $\log p(x_d \mid x_{<d})$ at the pixel's value under each model: at a single pixel either model can be the better one, and these models have trained for only a few epochs; the average over many digits follows the figure.

# %%
digit_v = splits["valid"][:1]
log_cond = {kind: small[kind].log_conditionals(digit_v).numpy()[0] for kind in ("made", "made_mog")}
pixel_gain = log_cond["made_mog"] - log_cond["made"]
on_stroke = digit_v[0] > 0
chosen = {"largest gain": int(np.argmax(pixel_gain)),
          "stroke (darkest)": int(np.argmax(digit_v[0])),
          "background": int(np.flatnonzero(~on_stroke)[len(np.flatnonzero(~on_stroke)) // 2])}
grid = np.linspace(-16, 16, 1601)


def conditional_density(model, x, d):
    """The density of x_d given x_<d under ``model`` at the values ``grid`` (a mixture of its Gaussians)."""
    logits, means, log_scales = (np.asarray(a)[0, :, d] for a in model.mixture_params(x))
    w = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    z = (grid[:, None] - means) / np.exp(log_scales)
    return (w * np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * np.exp(log_scales))).sum(axis=1)


background_values = splits["valid"][:1000][logit_space.logit_to_pixels(splits["valid"][:1000]) < 1]   # z = 0
fig, axes = plt.subplots(1, 4, figsize=(16, 3.4), gridspec_kw={"width_ratios": [0.8, 1, 1, 1]})
axes[0].imshow(logit_space.logit_to_pixels(digit_v[0]).reshape(28, 28), cmap="gray_r")
for name, d in chosen.items():
    axes[0].plot(d % 28, d // 28, "o", mfc="none", ms=10, mew=2, label=name)
axes[0].legend(fontsize=9, loc="upper left", bbox_to_anchor=(0, -0.02), title="pixels drawn")
axes[0].set(title="validation digit 0 (pixel space)", xticks=[], yticks=[])
for ax, (name, d) in zip(axes[1:], chosen.items()):
    ax.hist(background_values, bins=80, range=(-16, 16), density=True, color="0.85",
            label="values of background pixels ($z = 0$)")
    for kind in ("made", "made_mog"):
        ax.plot(grid, conditional_density(small[kind], digit_v, d), label=f"{maf_mnist.LABELS[kind]}, 784-256-256")
    ax.axvline(digit_v[0, d], color="k", ls=":", label="the pixel's value $x_d$")
    ax.set(title=f"{name}: pixel (row {d // 28}, column {d % 28})", xlabel="$x_d$ (logit space)",
           ylabel="$p(x_d \\mid x_{<d})$")
fig.suptitle("One pixel's conditional density: a single Gaussian vs a mixture of 10")
fig.tight_layout(rect=(0, 0.08, 1, 1))
fig.legend(*axes[1].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=10)
plt.show()
for name, d in chosen.items():
    print(f"{name:12s}: log p(x_d | x_<d) {log_cond['made'][d]:6.2f} (MADE) vs {log_cond['made_mog'][d]:6.2f} "
          f"(MADE MoG) nats")

# %% [markdown]
# Over many digits, where does the mixture gain? The mean of $\log p_{\text{MoG}}(x_d \mid x_{<d}) - \log p_{\text{Gaussian}}(x_d \mid x_{<d})$ over 1 000 validation digits, for each pixel:

# %%
many = splits["valid"][:1000]
mean_gain = (small["made_mog"].log_conditionals(many).numpy() - small["made"].log_conditionals(many).numpy()).mean(0)
fig, ax = plt.subplots(figsize=(4.6, 3.8))
limit = np.abs(mean_gain).max()
im = ax.imshow(mean_gain.reshape(28, 28), cmap="RdBu", vmin=-limit, vmax=limit)
fig.colorbar(im, ax=ax, label="mean gain (nats per pixel; blue: mixture better)")
ax.set(title="Where the mixture gains (1 000 validation digits)", xticks=[], yticks=[])
plt.show()
print(f"mean gain per pixel: border (outer 3 pixels) {mean_gain.reshape(28, 28)[[0, 1, 2, 25, 26, 27]].mean():.2f}, "
      f"centre 14x14 {mean_gain.reshape(28, 28)[7:21, 7:21].mean():.2f} nats; total {mean_gain.sum():.1f} nats")
print(f"pixels where the mixture is worse: {(mean_gain < 0).sum()} of 784; the first 10 pixels of the raster order:",
      np.round(mean_gain[:10], 2))

# %% [markdown]
# The mixture gains over almost the whole image, most where the digits are, and loses only at a few pixels at the top left, early in the raster order, where every digit is background. The very first pixel's conditional sees no earlier pixel, so its parameters are the output layer's biases alone, in both models. Adam moves each parameter by about its step size, $10^{-3}$, per update at most, so in the few thousand updates of these runs a bias moves a few units at most (the bound is printed below): the single Gaussian's mean for the first pixel, which started at 0, is still far from the data's, near $-6.5$. The mixture's biases started at random (section 4), so its components started apart, moved apart, and the mixture has learnt to weight them differently; the component with the lowest mean has the largest weight (printed below). In the next pixels the single-Gaussian MADE has reached the data's mean through its hidden units, which see the first pixel, while the mixture's mean is still far off: those are the pixels where it loses. The paper-size models of sections 5 and 6 train for many more updates. The mean each model predicts for the first ten pixels, averaged over the same 1 000 digits, beside the data's, and the first pixel's mixture components:

# %%
logits, means, _ = (np.asarray(a) for a in small["made_mog"].mixture_params(many))
weights = np.exp(logits - logits.max(axis=1, keepdims=True))
mog_mean = ((weights / weights.sum(axis=1, keepdims=True)) * means).sum(axis=1).mean(0)
made_mean = np.asarray(small["made"].gaussian_params(many)[0]).mean(0)
print(f"{'pixel':>5s} | {'data: mean x_d':>14s} | {'MADE: mean':>10s} | {'MADE MoG: mean':>14s} | gain (nats)")
for d in range(10):
    print(f"{d:5d} | {many[:, d].mean():14.2f} | {made_mean[d]:10.2f} | {mog_mean[d]:14.2f} | {mean_gain[d]:+.2f}")
updates = len(small_train) // 100 * EPOCHS_SMALL
print(f"updates: {updates} ({EPOCHS_SMALL} epochs), so a bias moves at most about {updates * 1e-3:.1f} from its start")
first_weights = (weights / weights.sum(axis=1, keepdims=True))[0, :, 0]
print("the mixture's first pixel, its components by weight (weight, mean):",
      ", ".join(f"({first_weights[c]:.2f}, {means[0, c, 0]:.2f})" for c in np.argsort(-first_weights)))

# %% [markdown]
# ### A digit through the flow
#
# The MAF pushes a digit $x$ through five MADE layers, each followed by a batch-normalization layer, to $u$, which the model scores under $\mathcal{N}(0, I)$. Each layer adds its log-determinant, $\log\lvert\det \partial u / \partial x\rvert$ (notebook 07), so that
#
# $$\log p(x) = \log \mathcal{N}(u; 0, I) + \sum_{\text{layers}} \log\lvert\det J_{\text{layer}}\rvert .$$
#
# Below: a test digit in logit space, after each MADE layer (with the batch normalization that follows it), and the log-determinant each layer adds.

# %%
maf = small["maf"]
digit_t = splits["test"][:1]
u, images, log_dets = digit_t, [("$x$ (logit space)", digit_t[0])], []
for step in maf.steps:
    u, log_det = (np.asarray(a) for a in step.forward(u))
    log_dets.append((step.name, float(log_det[0])))
    if step.name.startswith("batch_norm"):
        images.append((f"after layer {len(images)}", u[0]))
fig, axes = plt.subplots(1, len(images), figsize=(2.6 * len(images), 3.2))
for ax, (title, img) in zip(axes, images):
    im = ax.imshow(img.reshape(28, 28), cmap="RdBu_r", vmin=-4, vmax=4)
    ax.set(title=title, xticks=[], yticks=[])
fig.colorbar(im, ax=axes, shrink=0.8, label="value (clipped to ±4)")
fig.suptitle("A test digit pushed through the MAF (5), 784-256-256 per layer")
plt.show()
for name, ld in log_dets:
    print(f"{name:13s} log-det {ld:9.1f}")
base = float(-0.5 * (u**2).sum() - 0.5 * 784 * np.log(2 * np.pi))
total_log_det = sum(ld for _, ld in log_dets)
print(f"sum of log-dets {total_log_det:.1f} + log N(u; 0, I) {base:.1f} = {base + total_log_det:.1f}; "
      f"the model's log p(x): {float(maf.log_prob(digit_t)[0]):.1f} nats")
print(f"u: mean {u.mean():.2f}, standard deviation {u.std():.2f} (the base density: 0 and 1)")

# %% [markdown]
# The digit's shape fades over the layers (compare the first and the last panels): each MADE layer subtracts what the pixels before it predict and divides by the predicted scale, so what is left in $u$ is the part of each pixel its predecessors could not predict. A model that had learnt the data perfectly would leave $u$ looking like noise from $\mathcal{N}(0, I)$.

# %% [markdown]
# ### Samples
#
# Sampling runs the models the other way: draw $u \sim \mathcal{N}(0, I)$ and invert the flow (MAF: one MADE pass per pixel and layer), or draw each pixel in turn from its conditional (MADE, MADE MoG). Samples of the two smaller models trained here, and of the paper-size MADE trained beforehand, shown in pixel space:

# %%
n_samples = 4 if QUICK else 8
start = time.perf_counter()
sample_rows = {"MADE MoG, 784-256-256 (trained here)": small["made_mog"].sample(n_samples, seed=SEED),
               "MAF (5), 784-256-256 per layer (trained here)": maf.sample(n_samples, seed=SEED),
               "MADE, 784-1024-1024 (paper size)": maf_mnist.load_trained(RUNS / "made.json").sample(n_samples,
                                                                                                      seed=SEED)}
print(f"{len(sample_rows) * n_samples} samples in {time.perf_counter() - start:.0f} s")
fig, axes = plt.subplots(len(sample_rows), n_samples, figsize=(1.6 * n_samples, 1.9 * len(sample_rows)))
for row_axes, (name, samples) in zip(axes, sample_rows.items()):
    for ax, x in zip(row_axes, samples):
        im = ax.imshow(logit_space.logit_to_pixels(x).reshape(28, 28), cmap="gray_r", vmin=0, vmax=256)
        ax.set(xticks=[], yticks=[])
    row_axes[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
fig.colorbar(im, ax=axes, shrink=0.6, label="grey level $256\\,y$")
fig.suptitle("Samples in pixel space")
plt.show()
faint = {"test digits": logit_space.logit_to_pixels(splits["test"][:n_samples * 8])}
faint.update({name: logit_space.logit_to_pixels(samples) for name, samples in sample_rows.items()})
for name, pixels in faint.items():
    print(f"{name:46s}: {np.mean((pixels >= 8) & (pixels < 64)):5.1%} of pixels faint grey (levels 8 to 63)")

# %% [markdown]
# What the figure shows: the MAF's samples (the smaller flow trained here) look the most like digits; the paper-size MADE draws blotchy strokes with some digit-like structure; the MADE MoG's samples are clouds of scattered dark dots, a digit's outline showing in a few — although the MADE MoG has the best validation log-likelihood of the three smaller models (section 7). All three draw about twice the test digits' share of faint grey pixels (printed above). A higher log-likelihood does not promise better-looking samples, as notebook 06 found for binary MADE: the log-likelihood scores how much density a model gives real digits, not how often its samples look like them.

# %% [markdown]
# ## Summary
#
# * Dequantization ($y = (z + v)/256$) and the logit transform turn grey digits into points of $\mathbb{R}^{784}$; a log-likelihood depends on the space it is measured in, and the change of variables converts it (bits per pixel: 8 for a uniform density).
# * The paper's Table 2 compares eight density models on this protocol; the table above sets each of our models beside it with the ratio, and the curves show whether a run was still improving when it ended. Under batch normalization, validation must use the statistics the test uses, or it chooses the epoch on a different model.
# * A claim that one setting helps needs a pair of models that differ in that setting only, compared with the paired standard error on the same test images: the mixture in section 7, and depth in section 5. The deeper Real NVP scored lower than the shallower one, by more than two paired standard errors, in the direction of the paper's difference; the deeper MAF's mean difference lies within two paired standard errors of zero and is set by a few test images, while on most images the deeper MAF scored higher.
# * A mixture per pixel fits two shapes that one Gaussian cannot: a background pixel's values, a steep ramp that ends at a cliff in logit space, and the two distant modes (background or stroke) of a pixel whose predecessors leave it open. The mixture gained on almost every pixel (section 7); where it lost, at the start of the raster order, it had not yet learnt in a few epochs what the single Gaussian had.
#
# ## References
#
# * G. Papamakarios, T. Pavlakou, I. Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017, [arXiv:1705.07057](https://arxiv.org/abs/1705.07057); the authors' code: [github.com/gpapamak/maf](https://github.com/gpapamak/maf).
# * L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017, [arXiv:1605.08803](https://arxiv.org/abs/1605.08803).

# %% [markdown]
# ## Appendix: how the paper-size models were trained
#
# Each paper-size model of sections 5 and 6 was trained with the package's `scripts/maf_mnist.py` and these options:

# %%
for run in runs.values():
    print(f"{run['label']}:\n    {maf_mnist.training_command(run)}")

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# This is the last notebook of the series. Back to the start: [01 · Vanilla autoencoders](01_vanilla_autoencoders.ipynb).
