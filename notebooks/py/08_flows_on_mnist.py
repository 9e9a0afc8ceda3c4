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
# Notebook 07 built real-valued MADEs, Masked Autoregressive Flows (MAF) and Real NVP on 2-D toys. Here the same models meet real images, on the protocol of the MAF paper (Papamakarios, Pavlakou & Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017): grey MNIST digits made continuous (**dequantized**), moved to the real line by a **logit transform**, and six models — a Gaussian, MADE, MADE MoG, Real NVP (5), MAF (5) and MAF MoG (5) — compared by their mean test log-likelihood. Nothing here trains for more than a few minutes: the models are trained beforehand with the paper's recipe, one run each, and this notebook reads what each run recorded (a model without a run is shown as such).
#
# **You will learn**
#
# * how integer pixels become a density-estimation problem on $\mathbb{R}^{784}$, and how the log-likelihood changes with the space it is measured in;
# * the paper's recipe for each model;
# * how our runs compare with the paper's Table 2, row by row, with their learning curves.
#
# **It assumes** notebook 07 (Gaussian MADE, MAF, batch normalization as a flow layer, Real NVP).

# %%
import logging
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from made_helpers.density import logit_space
from made_helpers.density.flows import gaussian_log_prob_baseline
from made_helpers.experiments import maf_mnist
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0, figure={"figure.dpi": 72})   # seeds, quick flag (MADE_QUICK=1), figures
logging.getLogger("tensorflow").setLevel(logging.ERROR)
RUNS = Path("..") / "results" / "maf_mnist"         # one record per trained model
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
# ## 4. The paper's six models and its recipe
#
# As described in the paper and the authors' published code (cited, not measured here):
#
# | model | what it is |
# |---|---|
# | Gaussian | full covariance, closed form (section 3) |
# | MADE | one Gaussian per conditional; two hidden layers of 1024 ReLU units; hidden degrees assigned in sequence ($1, 2, \dots, 783, 1, 2, \dots$) |
# | MADE MoG | the same network, a mixture of $C = 10$ Gaussians per conditional |
# | Real NVP (5) | 5 coupling layers, alternating halves, batch normalization after each |
# | MAF (5) | 5 Gaussian MADEs in alternating (natural, reversed) orders, batch normalization after each |
# | MAF MoG (5) | MAF (5) whose $u_5$ is modelled by a MADE MoG ($C = 10$) instead of $\mathcal{N}(0, I)$ |
#
# **Training**: Adam with step $10^{-3}$ for the MADEs and $10^{-4}$ for the flows, minibatches of 100, an L2 penalty $\frac{10^{-6}}{2}\sum w^2$ on the weights, and early stopping when the validation log-likelihood has not improved for 30 epochs (the best epoch's weights are kept). After training, each batch-normalization layer is given the mean and variance of its inputs over the whole training set, and the test set is evaluated once. Two differences from the authors' code remain in our models: Real NVP's shift and log-scale come from one network with ReLU units (theirs: two networks, one with tanh units), and log-scales are soft-bounded, $\alpha = 7\tanh(\alpha_{\text{raw}}/7)$. On a 2-core CPU one epoch of the flows takes one to three minutes, so each run also had a wall-clock budget; each row below says how its run stopped, after how many epochs, and with which Adam step (where a row uses a larger step than the paper's, it was to get further within the budget).

# %% [markdown]
# ## 5. Our rows beside the paper's Table 2
#
# Each trained model left a record: its settings, the validation curve, the test figures and the machine. The table sets each of our rows beside the paper's (mean test log-likelihood in logit space, ± two standard errors) with the **ratio** ours/paper: both are negative, so a ratio below 1 means our model scores higher than the paper's, above 1 lower. The Gaussian row uses the fit of section 3 unless a record of it exists. The paper's values are cited from its Table 2 (MNIST, unconditional); they could not be read in the paper's own text here: all eight agree with a published transcription of that table, and MADE MoG's also with a second public listing.

# %%
runs = maf_mnist.load_results(RUNS)
if not runs:
    print("No trained model has been recorded yet: only the Gaussian of section 3 and the paper's values are shown.")
rows = {kind: runs[kind]["test"] if kind in runs else None for kind in maf_mnist.MODEL_KINDS}
rows["gaussian"] = rows["gaussian"] or gaussian_here
print(f"{'model':13s} | {'ours (nats)':>17s} | {'paper (nats, cited)':>19s} | ratio | within 3% | ≥ paper | "
      f"bits/pixel | time, stop, epochs, step")
for kind, ours in rows.items():
    paper, paper_2se = maf_mnist.PAPER_TABLE[kind]
    mark = " (listed)" if kind in maf_mnist.PAPER_CONFIRMED_BY_LISTING else ""
    if ours is None:
        print(f"{maf_mnist.LABELS[kind]:13s} | {'not trained':>17s} | {paper:8.1f} ± {paper_2se:4.1f}{mark}")
        continue
    ll, se, ratio = ours["log_likelihood_logit"], ours["log_likelihood_logit_2se"], ours["log_likelihood_logit"] / paper
    run = runs.get(kind)
    how = f"{run['training_seconds'] / 60:5.1f} min, {run.get('stopped', 'closed form')}" if run else "section 3"
    if run and run.get("curves"):
        how += f", {run['epochs_run']} epochs (best {run['best_epoch']}), Adam {run['settings']['learning_rate']:g}"
    how += f" (first {run['protocol']['subset']} images only)" if run and run["protocol"].get("subset") else ""
    print(f"{maf_mnist.LABELS[kind]:13s} | {ll:8.1f} ± {se:6.1f} | {paper:8.1f} ± {paper_2se:4.1f}{mark} | "
          f"{ratio:5.3f} | {'yes' if abs(ratio - 1) <= 0.03 else 'no':>9s} | {'yes' if ll >= paper else 'no':>7s} | "
          f"{ours['bits_per_pixel']:10.3f} | {how}")
for kind, label in (("realnvp10", "Real NVP (10)"), ("maf10", "MAF (10)")):
    paper, paper_2se = maf_mnist.PAPER_TABLE[kind]
    print(f"{label:13s} | {'not trained':>17s} | {paper:8.1f} ± {paper_2se:4.1f}")

# %% [markdown]
# **The ranking.** The paper orders its six rows MADE MoG > MAF MoG (5) > MAF (5) > Real NVP (5) > Gaussian > MADE: a mixture per conditional matters most on MNIST, where many pixels are either background or stroke (two modes), and a plain MADE falls below the Gaussian. Our ranking of the rows we have, set beside it:

# %%
ours_ll = {kind: r["log_likelihood_logit"] for kind, r in rows.items() if r is not None}
paper_order = [k for k in sorted(maf_mnist.MODEL_KINDS, key=lambda k: -maf_mnist.PAPER_TABLE[k][0]) if k in ours_ll]
our_order = sorted(ours_ll, key=lambda k: -ours_ll[k])
print("paper:", " > ".join(maf_mnist.LABELS[k] for k in paper_order))
print("ours: ", " > ".join(maf_mnist.LABELS[k] for k in our_order))
print(f"same order: {'yes' if paper_order == our_order else 'no'} ({len(our_order)} rows compared)")

# %% [markdown]
# **Reading the rows.** Every trained row was stopped by its time budget, not by early stopping, so each is what the recipe reaches in half an hour on a 2-core CPU, not at convergence. The flows gain the most from depth: MAF (5) rises well above both the Gaussian and a single MADE, and above Real NVP (5), whose coupling layers each transform only half of the pixels. A mixture of Gaussians per conditional matters more than depth on this data: both MoG rows lie far above every single-Gaussian row, as in the paper. Where our order of the two MoG rows differs from the paper's, look at section 6 first: MADE MoG's best epoch was its eleventh of twelve (the table above), while the paper trained every model until 30 epochs passed without improvement.

# %% [markdown]
# ## 6. Learning curves
#
# The mean validation NLL per image (logit space) after each epoch, and the training NLL averaged over each epoch's minibatches (with the batch's own normalization statistics, so the two are not measured the same way for the flows). A curve still falling at its last epoch means the budget, not early stopping, ended the run, and more time would have raised its row.

# %%
trained = {kind: runs[kind] for kind in maf_mnist.MODEL_KINDS if kind in runs and runs[kind].get("curves")}
if not trained:
    print("No learning curves to draw yet.")
else:
    n_rows = (len(trained) + 2) // 3
    fig, axes = plt.subplots(n_rows, 3, figsize=(13, 3.3 * n_rows), squeeze=False)
    for ax in axes.ravel()[len(trained):]:
        ax.set_visible(False)
    for ax, (kind, run) in zip(axes.ravel(), trained.items()):
        epochs = np.arange(1, len(run["curves"]["valid_nll"]) + 1)
        ax.plot(epochs, run["curves"]["train_nll"], ".-", ms=3, label="training")
        ax.plot(epochs, run["curves"]["valid_nll"], ".-", ms=3, label="validation")
        ax.axhline(-maf_mnist.PAPER_TABLE[kind][0], color="k", ls=":", label="paper's test NLL (cited)")
        ax.set(title=f"{run['label']} (stopped: {run['stopped']})", xlabel="epoch", ylabel="NLL (nats, logit space)")
        ax.legend(fontsize=7)
    fig.suptitle("Learning curves of the trained models")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## Summary
#
# * Dequantization ($y = (z + v)/256$) and the logit transform turn grey digits into points of $\mathbb{R}^{784}$; a log-likelihood depends on the space it is measured in, and the change of variables converts it (bits per pixel: 8 for a uniform density).
# * The paper's Table 2 compares six density models on this protocol; the table above sets each of our runs beside it with the ratio, and the curves show whether a run was stopped by early stopping or by its time budget.
#
# ## References
#
# * G. Papamakarios, T. Pavlakou, I. Murray, "Masked Autoregressive Flow for Density Estimation", NeurIPS 2017, [arXiv:1705.07057](https://arxiv.org/abs/1705.07057); the authors' code: [github.com/gpapamak/maf](https://github.com/gpapamak/maf).
# * L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real NVP", ICLR 2017, [arXiv:1605.08803](https://arxiv.org/abs/1605.08803).

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# This is the last notebook of the series. Back to the start: [01 · Vanilla autoencoders](01_vanilla_autoencoders.ipynb).
