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
# # 05 · Training MADE on binarized MNIST

# %% [markdown]
# We train MADE on the standard statically binarized MNIST (Larochelle & Murray, 2011: 50 000 training, 10 000 validation, 10 000 test images) and measure what the MADE paper (Germain, Gregor, Murray & Larochelle, 2015) measures: the average negative log-likelihood (NLL) of the test images in nats. First the training step is written out by hand, with a mask drawn for every minibatch, and checked against the package's. Then a 784-500-784 MADE with one mask is trained here, with early stopping on the validation split. Longer runs of the same training loop — wider networks, dropout, weight decay, ensembles of masks — were trained beforehand with the same loop; this notebook shows their learning curves and test NLLs, puts them beside the paper's table, and reads over-fitting and its cure in their curves. Three questions left open by Brian Keng's post "Autoregressive Autoencoders" (2017) are answered with smaller controlled runs at the end.
#
# **You will learn**
#
# * how MADE is trained and evaluated on binarized MNIST (a training step written by hand, early stopping on the validation split, the test NLL);
# * how longer runs compare with the MADE paper's table, and how to read over-fitting in learning curves;
# * what the ordering, direct connections and ensembles of masks change, measured in controlled runs.
#
# **It assumes** notebooks 02 (the Bernoulli NLL) and 04 (masks, orderings and the mixture over masks).

# %%
import logging
import os
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display

from made_helpers import MADE, data
from made_helpers.core import masks as mk
from made_helpers.core import plotting
from made_helpers.core.evaluate import evaluate_nll, paired_difference, per_example_nll, standard_error
from made_helpers.core.layers import MaskedDense
from made_helpers.core.losses import bernoulli_nll
from made_helpers.core.train import train
from made_helpers.experiments import results
from made_helpers.notebook_setup import running_time, setup

QUICK, SEED, rng = setup(seed=0)            # seeds, quick flag (MADE_QUICK=1), figure defaults
logging.getLogger("tensorflow").setLevel(logging.ERROR)   # no retracing notices between the runs
RESULTS = Path("..") / "results"                           # the longer runs and their models

# %% [markdown]
# ## Settings
#
# The settings of the runs trained in this notebook, in one place. The run of model 1 below prints how long one epoch of a 784-500-784 MADE over 50 000 images takes on this machine.

# %%
SETTINGS = {
    "hidden_sizes": [500],
    "optimizer": "adam", "learning_rate": 1e-3, "batch_size": 100,
    "one_mask": {"max_epochs": 2 if QUICK else 60, "patience": 10},
    "ablation": {"n_train": 1_000 if QUICK else 10_000, "epochs": 1 if QUICK else 30, "K": 2 if QUICK else 8},
    "n_train": 2_000 if QUICK else None, "n_eval": 1_000 if QUICK else None,   # None: the whole split
    "n_eval_pretrained": 500 if QUICK else None,     # test images for the pretrained models (None: all)
}
for key, value in SETTINGS.items():
    print(f"{key:17s} {value}")

# %% [markdown]
# ## The data
#
# `load_binarized_mnist` returns Larochelle's fixed binarization when it finds it (the data set of the NADE and MADE papers), and says so; without it, it falls back to a binarization of grey MNIST or, offline, to a 5 000-digit subset whose numbers are *not* comparable with the paper. The lines printed below say which one this run used.

# %%
x_train, train_info = data.load_binarized_mnist("train", verbose=False, return_info=True)
x_valid, valid_info = data.load_binarized_mnist("valid", verbose=False, return_info=True)
x_test_all, test_info = data.load_binarized_mnist("test", verbose=False, return_info=True)
print(train_info.provenance(), valid_info.provenance(), test_info.provenance(), sep="\n")
x_test = x_test_all
if SETTINGS["n_train"]:
    x_train = x_train[:SETTINGS["n_train"]]
if SETTINGS["n_eval"]:
    x_valid, x_test = x_valid[:SETTINGS["n_eval"]], x_test[:SETTINGS["n_eval"]]
COMPARABLE = all(info.comparable_with_paper for info in (train_info, valid_info, test_info)) and not QUICK
print(f"train {x_train.shape}, valid {x_valid.shape}, test {x_test.shape}; "
      f"comparable with the paper's numbers: {COMPARABLE}")

# %%
plotting.plot_images(x_train[:30], title="Thirty binarized training digits", ncols=15)
plt.show()


# %% [markdown]
# ## The objective and one training step, by hand
#
# For a MADE with logits $\ell(x)$ (the pre-sigmoid outputs, $p(x_d = 1 \mid x_{<d}) = \sigma(\ell_d)$), $\;-\log p(x) = \sum_{d=1}^{784} \operatorname{softplus}(\ell_d) - x_d\,\ell_d$ (notebook 02), exact, in one forward pass. Training minimises its mean over minibatches of 100 images. With $K > 1$ masks a mask $k$ is drawn before every minibatch, so the same weights must serve every mask.
#
# Here is that step written out. It is a `tf.function` (TensorFlow traces it once into a graph), and the mask is switched *inside* the graph by `model.select_mask(k)`, which rebuilds the masks of mask $k$ from stored degrees, so there is no trip back to numpy between minibatches. `training=True` is what switches dropout on in Keras 3 (the old `K.set_learning_phase` is gone); these models have none.

# %%
def make_step_by_hand(model, optimizer):
    """One minibatch update: x (batch, 784) 0/1, k the mask to use; returns the mean NLL."""
    variables = model.trainable_variables

    @tf.function
    def step(x, k):
        model.select_mask(k)                                    # mask k, chosen in the graph
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            nll = tf.reduce_sum(tf.nn.softplus(logits) - x * logits, axis=1)   # (batch,) nats
            loss = tf.reduce_mean(nll)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
    return step


# %% [markdown]
# In Keras this step is the model's `train_step`, which `model.fit` runs once per minibatch: `MADE.compile` builds in the loss (the mean NLL, reported as the metric `nll`) and the mask drawn for each minibatch, `model.training_mask(t)` for step $t$, a draw from the seed and $t$ alone. It must do what the step above does. Two identical 4-mask models, the same minibatch and mask, one step each:

# %%
twins = []
for _ in range(2):
    keras.utils.set_random_seed(SEED)
    twins.append(MADE(784, [64], num_masks=4, ordering="random", seed=SEED))
by_hand = make_step_by_hand(twins[0], keras.optimizers.Adam(1e-3))
twins[1].compile(keras.optimizers.Adam(1e-3), mask_seed=SEED, jit_compile=False)
xb = x_train[:100]
k = twins[1].training_mask(0)                                   # the mask of fit's first step
loss = by_hand(tf.constant(xb), k)
log = twins[1].fit(xb, xb, batch_size=100, epochs=1, shuffle=False, verbose=0).history
gap = max(float(np.abs(a - b).max()) for a, b in zip(twins[0].get_weights(), twins[1].get_weights()))
print(f"mask {int(k)}: loss {float(loss):.3f} nats by hand, {log['nll'][0]:.3f} by fit; the models now use mask "
      f"{twins[0].current_mask} and {twins[1].current_mask}; largest weight difference after the step: {gap:.1e}")

# %% [markdown]
# A whole training run is then `fit` with callbacks: one that adds the validation NLL after every epoch, and Keras' `EarlyStopping`, which stops when the validation NLL has not improved for `patience` epochs and restores the weights of the best epoch. Three epochs of the 4-mask twin:

# %%
valid_nll = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: logs.update(val_nll=evaluate_nll(twins[1], x_valid, num_masks=4)[0]))
stopping = keras.callbacks.EarlyStopping("val_nll", patience=2, mode="min", restore_best_weights=True)
log = twins[1].fit(x_train, x_train, batch_size=SETTINGS["batch_size"], epochs=3, callbacks=[valid_nll, stopping],
                   verbose=0).history
for epoch, (train_nll, valid) in enumerate(zip(log["nll"], log["val_nll"]), start=1):
    print(f"epoch {epoch}: train NLL {train_nll:.2f}, valid NLL {valid:.2f} nats (mixture of 4 masks)")


# %% [markdown]
# `train`, used below, is this `fit` with what a long run also needs: a checkpoint after every epoch to resume from, learning-rate schedules, a stop with advice when the loss becomes NaN, and the history of the run. With $K > 1$ masks the validation NLL is the mixture over masks,
#
# $$p_{\text{mix}}(x) = \frac{1}{K}\sum_{k=1}^{K} p_k(x), \qquad -\log p_{\text{mix}}(x) = \log K - \operatorname{logsumexp}_k \log p_k(x),$$
#
# an average of probabilities, not of logits or NLLs. Here $\operatorname{logsumexp}_k a_k = \log \sum_k e^{a_k}$, computed as $m + \log \sum_k e^{a_k - m}$ with $m = \max_k a_k$, so that the exponentials of very negative log-probabilities do not underflow to zero. A small helper prints what each run did.

# %%
def summary(name, history):
    """One line about a finished run from its history dict."""
    seconds = sum(history["epoch_seconds"])
    return (f"{name}: {history['epochs_run']} epochs ({history['stop_reason']}), best epoch "
            f"{history['best_epoch']} with valid NLL {history['best_valid_nll']:.2f} nats; "
            f"{seconds / 60:.1f} min, {np.mean(history['epoch_seconds']):.1f} s per epoch")


# %% [markdown]
# ## Model 1: one mask, natural ordering, trained here
#
# 784-500-784, ReLU hidden units, one mask with the paper's random hidden degrees, the natural (row-major) pixel ordering, and the direct input→output connection.

# %%
cfg = SETTINGS["one_mask"]
keras.utils.set_random_seed(SEED)
made_one = MADE(784, SETTINGS["hidden_sizes"], num_masks=1, ordering="natural", direct=True, seed=SEED)
history_one = train(made_one, x_train, x_valid, epochs=cfg["max_epochs"], patience=cfg["patience"],
                    batch_size=SETTINGS["batch_size"], optimizer=SETTINGS["optimizer"],
                    learning_rate=SETTINGS["learning_rate"], seed=SEED, verbose=0)
print(summary("1 mask, natural", history_one))

# %% [markdown]
# The learning curves, whole on the left, and on the right with the y-axis zoomed from epoch 3 on (the first epochs, far above, flatten the rest). Two details of how they are measured:
#
# * The **training NLL of an epoch is a running average** over its minibatches while the weights still change, so in epoch 1 it includes the first, poor minibatches and sits *above* the validation NLL, which is computed once at the end of the epoch.
# * Later the training NLL falls below the validation NLL and keeps falling while the validation NLL turns back up: the network starts to memorise its training digits. Early stopping keeps the weights of the best validation epoch (dashed line).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plotting.plot_learning_curves(history_one, ax=axes[0], title="MADE 784-500-784, one mask: NLL per epoch")
plotting.plot_learning_curves(history_one, ax=axes[1], zoom_after=3, title="the same, zoomed from epoch 3")
fig.tight_layout()
plt.show()

# %% [markdown]
# The test set, touched once. Why only once, and why may it not choose the stopping epoch? Every choice made by looking at a set of images — the epoch to stop at, a learning rate, a width — fits the model a little to *those* images: among many epochs, the one with the lowest NLL on a given set is partly the one that happens to suit its particular digits. That set's NLL then flatters the model. The validation split absorbs these choices, so the test NLL, used for nothing else, stays an unbiased estimate of the NLL of new digits. The ± is the standard error of the mean over test images ($\mathrm{sd}/\sqrt{N}$): how much the average would move with another sample of test digits, not how much it would move with another training run.

# %%
test_one = evaluate_nll(made_one, x_test)
print(f"test NLL, 1 mask: {test_one[0]:.2f} ± {test_one[1]:.2f} nats (mean ± standard error over "
      f"{len(x_test)} test images)")

# %% [markdown]
# ## A ladder of baselines
#
# What does that number mean? The same test images under simpler models, in nats per image and in **bits per dimension** (nats divided by $784 \ln 2$: the average number of bits per pixel an ideal coder built on the model would need; 1 bit/dim is no better than a coin):
#
# 1. **uniform**: every one of the $2^{784}$ images equally likely, $784 \ln 2 = 543.4$ nats;
# 2. **independent pixels**: $p(x) = \prod_d p_d^{x_d} (1 - p_d)^{1 - x_d}$, with $p_d$ the frequency of ink at pixel $d$ in the training images (plus one smoothing count each way): no pixel knows about any other. Notebook 02 fitted the same model with the frequencies clipped to $[0.001, 0.999]$ instead of smoothed; the two rules give different $p_d$ only for pixels that are (almost) never on in training, which is why its NLL differs from this one in the first decimal;
# 3. **the direct connection alone**: each pixel a logistic regression on all earlier pixels, $p(x_d = 1 \mid x_{<d}) = \sigma\big(b_d + \sum_{j<d} W_{jd}\, x_j\big)$ — the fully visible sigmoid belief network (FVSBN) of notebook 04, i.e. MADE without its hidden layer. It is trained here for a fixed number of epochs with Adam;
# 4. **MADE 784-500-784**, model 1 above.

# %%
def bits_per_dim(nats):
    """Nats per image -> bits per pixel."""
    return nats / (784 * np.log(2))


ink = (x_train.sum(axis=0) + 1) / (len(x_train) + 2)                     # (784,) smoothed frequencies
ladder = {"uniform": 784 * np.log(2),
          "independent pixels": float(-(x_test @ np.log(ink) + (1 - x_test) @ np.log1p(-ink)).mean())}

keras.utils.set_random_seed(SEED)
fvsbn = MaskedDense(784, name="fvsbn")                                    # logits = x @ (W * M) + b
fvsbn.build((None, 784))
fvsbn.set_mask(mk.direct_mask(mk.input_degrees(784, "natural")))       # strict: pixel d sees j < d
fvsbn_opt = keras.optimizers.Adam(1e-3)


@tf.function
def fvsbn_step(x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(bernoulli_nll(x, fvsbn(x)))
    fvsbn_opt.apply_gradients(zip(tape.gradient(loss, fvsbn.trainable_variables), fvsbn.trainable_variables))


FVSBN_EPOCHS = 1 if QUICK else 10
for _ in range(FVSBN_EPOCHS):
    for idx in np.array_split(rng.permutation(len(x_train)), len(x_train) // SETTINGS["batch_size"]):
        fvsbn_step(tf.constant(x_train[np.sort(idx)]))
ladder[f"direct connection alone (FVSBN), {FVSBN_EPOCHS} epochs"] = float(np.mean(bernoulli_nll(x_test, fvsbn(x_test))))
ladder["MADE 784-500-784 (model 1)"] = test_one[0]
display(Markdown("| model | test NLL (nats) | bits per dimension |\n|---|---|---|\n" + "\n".join(
    f"| {name} | {nats:.2f} | {bits_per_dim(nats):.3f} |" for name, nats in ladder.items())))

# %% [markdown]
# Each rung uses more of the structure: frequencies alone remove most of the uniform model's cost, a linear look at the earlier pixels removes much of the rest, and the hidden layer — features shared by all the conditionals — takes the last step.
#
# ## Longer runs beside the paper
#
# The longer runs below were trained beforehand on two CPU cores with the same `train` function (the commands are in the appendix at the end). Their options: dropout on the hidden layers (never on the direct connection), weight decay (an L2 penalty on the weights), learning-rate schedules (a cosine schedule lowers the learning rate smoothly to zero over a set number of epochs), and ensembles of masks (notebook 04, section 10) of two kinds. With **full masks** every mask draws a new ordering of the pixels *and* new hidden degrees (order- and connectivity-agnostic training); with **connectivity masks** all masks share one ordering and draw only new hidden degrees, so they differ only in which hidden units see which earlier pixels (connectivity-agnostic training).
#
# The paper's numbers in the table are quoted from the MADE paper (Germain et al. 2015, its binarized-MNIST results table). The paper does not give each row's width; its authors' code gives the command of the best MNIST model, two hidden layers of 8 000 ReLU units and 32 masks, much larger than ours. So for each of the paper's rows the table shows, among our runs of that depth and mask count (with the direct connection), the one with the **lowest validation NLL** — the test NLL chooses nothing, as above — with its validation NLL, its test NLL on all 10 000 test images, its settings, and how many of our runs fall in that row. Several masks are combined as a **mixture**, as in the paper; where our masks share one ordering, a second line gives the best run whose masks' conditionals are **averaged** instead (a distribution too, notebook 04, section 10).

# %%
runs = results.load_results(RESULTS)


def paper_rows(runs):
    """Markdown: each row of the paper's table (cited) beside our run in that row with the lowest validation NLL."""
    lines = ["| the paper's row | paper (cited) | masks combined as | our run: validation NLL | its test NLL (nats) "
             "| its settings | our runs |", "|---|---|---|---|---|---|---|"]
    for key, paper in results.PAPER_MNIST.items():
        for ensemble in ("mixture", "conditionals"):        # conditionals: only masks that share one ordering
            mine = [r for r in runs if results.paper_row(r) == key and results.comparable_with_paper(r)
                    and r.get("num_masks", 1) in (1, 32)                  # the paper's rows: 1 or 32 masks
                    and r["model"].get("direct", True) and r.get("ensemble", "mixture") == ensemble]
            chosen = results.by_validation(mine)[0] if mine else None      # the validation NLL chooses
            if chosen is None and ensemble == "conditionals":
                continue
            ours = (f"{results.validation_nll(chosen):.2f}", f"{chosen['test_nll']:.2f} ± {chosen['test_nll_se']:.2f}",
                    results.label(chosen)) if chosen else ("not run", "–", "–")
            lines.append(f"| {results.ROW_NAMES[key]} | {paper:.2f} | {ensemble} | {' | '.join(ours)} | {len(mine)} |")
    return "\n".join(lines)


display(Markdown(paper_rows(runs)))

# %% [markdown]
# Not every run is an attempt at a row of the paper. Some change one setting of another run and nothing else, to measure that setting: the table below finds every such pair among the runs (each run named by its settings) and prints the difference of their test NLLs with its standard error. Where every test image's NLL is known for both runs the error is **paired**: both models are scored on the same 10 000 test images, the per-image differences are averaged, and their spread is much smaller than that of either NLL; for the oldest runs only the mean and its standard error are known, so their error is the larger unpaired one, marked so. Among the pairs: `bf16`, Keras' `mixed_bfloat16` policy, a speed option that computes each layer in 16-bit *bfloat16* numbers while keeping the weights in 32-bit floats — the pair shows what it costs in NLL. Runs that differ only in their seed show how much the luck of the initial weights, masks and minibatches moves the test NLL: the size a difference between two single runs must exceed before it means anything.

# %%
display(Markdown("**Pairs of runs that differ in one setting** (B − A < 0: B is better)\n\n"
                 + results.one_change_table(runs, include_unpaired=True, name=results.label)))
display(Markdown("**The same settings, other seeds**\n\n" + results.seed_spread_table(runs)))

# %% [markdown]
# ### Over-fitting and its cure
#
# Two one-mask runs of the same 784-4000-784 network with one random ordering and a 50-epoch cosine schedule that differ **only** in their regularisation: dropout 0.3 and no weight decay, against dropout 0.5 and weight decay (an L2 penalty) $10^{-4}$. The code checks that no other setting differs. Two settings change together, so the pair measures the stronger regularisation as a whole, not dropout or weight decay alone.

# %%
# one-change pair
weaker = results.find_run(runs, hidden=[4000], masks=1, dropout=0.3, weight_decay=0.0, epochs=50)
stronger = results.find_run(runs, hidden=[4000], masks=1, dropout=0.5, weight_decay=1e-4, epochs=50)

print("settings that differ (weaker, stronger):", results.require_one_change(weaker, stronger, ("dropout", "weight_decay")))
delta, se, n_images = results.paired_comparison(stronger, weaker)
print(f"test NLL: weaker {weaker['test_nll']:.2f}, stronger {stronger['test_nll']:.2f} nats; stronger − weaker = "
      f"{delta:+.2f} ± {se:.2f} nats (paired standard error over {n_images} test images)")
for name, run in (("weaker", weaker), ("stronger", stronger)):
    curves, training = run["training"]["curves"], run["training"]
    print(f"{name}: best validation epoch {training['best_epoch']} of {training['epochs_run']} run; at the last "
          f"epoch training NLL {curves['train_nll'][-1]:.2f}, validation NLL {curves['valid_nll'][-1]:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (run, name) in zip(axes, ((weaker, "dropout 0.3, no L2"), (stronger, "dropout 0.5, L2 1e-4"))):
    plotting.plot_learning_curves({**run["training"]["curves"], "best_epoch": run["training"]["best_epoch"]}, ax=ax,
                                  zoom_after=4, title=f"784-4000-784, one mask, {name}")
low, high = min(ax.get_ylim()[0] for ax in axes), max(ax.get_ylim()[1] for ax in axes)
for ax in axes:
    ax.set_ylim(low, high)                                       # the same scale for both
fig.suptitle("The same network and schedule with weaker and with stronger regularisation")
fig.tight_layout()
plt.show()

# %% [markdown]
# With the weaker regularisation the training NLL keeps falling while the validation NLL turns up after its best epoch, and early stopping ends the run before its 50 epochs; with the stronger one the training NLL stays higher and the validation NLL keeps falling until near the end: its best epoch is close to its last (both printed above). The paired difference printed above is many times its standard error, and also many times the seed-to-seed standard deviation in the seed table (measured for another network, so a guide, not a measurement for this one).

# %% [markdown]
# ## Several masks: when does an ensemble help?
#
# A model trained over $K$ masks can be evaluated as an ensemble of its masks. By Jensen's inequality, $\log \frac{1}{K}\sum_k p_k(x) \ge \frac{1}{K}\sum_k \log p_k(x)$: the mixture is at least as good as the **average** of its single masks on every image. That says nothing about the *best* single mask, nor about a separately trained one-mask model, which does not have to share its weights with other orderings.
#
# The 784-500-784 model trained over 32 full masks (32 random orderings, notebook 04 section 10) is loaded here and evaluated with each mask alone and as mixtures of its first $k$ masks.

# %%
agnostic_run = results.find_run(runs, hidden=[500], masks=32)
order_agnostic = keras.saving.load_model(results.model_beside(agnostic_run, RESULTS / agnostic_run["file"]),
                                         compile=False)
x_eval = x_test_all[:SETTINGS["n_eval_pretrained"]] if SETTINGS["n_eval_pretrained"] else x_test_all
K = order_agnostic.num_masks
single = []
for k in range(K):
    order_agnostic.set_mask(k)
    single.append(-float(order_agnostic.log_prob(x_eval).mean()))
order_agnostic.set_mask(0)
mixture_sizes = [k for k in (1, 2, 4, 8, 16, 32) if k <= K]
mixtures = {k: evaluate_nll(order_agnostic, x_eval, num_masks=k) for k in mixture_sizes}
print(f"{len(x_eval)} test images; single masks: mean {np.mean(single):.2f}, best {np.min(single):.2f}, "
      f"worst {np.max(single):.2f} nats")
for k in mixture_sizes:
    print(f"mixture of the first {k:2d} masks: {mixtures[k][0]:.2f} ± {mixtures[k][1]:.2f} nats")

# %%
fig, (ax, ax_single) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
ax.plot(mixture_sizes, [mixtures[k][0] for k in mixture_sizes], marker="o", label="mixture of the first k masks")
ax.errorbar([1], [np.mean(single)], yerr=[[np.mean(single) - np.min(single)], [np.max(single) - np.mean(single)]],
            fmt="s", color="gray", capsize=4, label="single masks: mean, best to worst")
ax.set(xscale="log", xticks=mixture_sizes, xticklabels=mixture_sizes, xlabel="number of masks k in the test mixture",
       ylabel="test NLL (nats)", title="test NLL against the number of masks k")
ax.legend()
order = np.argsort(single)
ax_single.scatter(np.arange(1, K + 1), np.array(single)[order], color="gray", s=18)
ax_single.axhline(mixtures[mixture_sizes[-1]][0], color="C0", linestyle="--",
                  label=f"mixture of all {mixture_sizes[-1]}")
ax_single.set(xlabel="mask, ranked from best to worst", ylabel="test NLL (nats)", title="each mask alone")
ax_single.legend()
fig.suptitle("784-500-784 trained over 32 full masks (random orderings)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Does an ensemble of masks help a one-mask recipe?
#
# The model above was never trained with one mask, so it cannot say whether training over several masks helps. The pair below can: the recipe of our run in the paper's row "1 hidden layer, 1 mask" (784-4000-784, one random ordering, dropout 0.5, L2 $10^{-4}$, a 50-epoch cosine schedule), trained once with one mask and once over 32 connectivity masks (tested as the average of the 32 masks' conditionals), nothing else changed.

# %%
# one-change pair
one_mask = results.find_run(runs, hidden=[4000], masks=1, dropout=0.5, weight_decay=1e-4, epochs=50)
many_masks = results.find_run(runs, hidden=[4000], masks=32, dropout=0.5, weight_decay=1e-4, epochs=50)

results.require_one_change(one_mask, many_masks, "masks")            # refuses a pair that differs in more
print(f"one mask: {results.label(one_mask)}\n32 masks: {results.label(many_masks)}")
delta, se, n_images = results.paired_comparison(many_masks, one_mask)
print(f"test NLL: one mask {one_mask['test_nll']:.2f}, 32 connectivity masks {many_masks['test_nll']:.2f} nats; "
      f"32 − 1 = {delta:+.2f} ± {se:.2f} nats (paired standard error over {n_images} test images)")
for name, run in (("one mask", one_mask), ("32 masks", many_masks)):
    curves, training = run["training"]["curves"], run["training"]
    print(f"{name}: last epoch training NLL {curves['train_nll'][-1]:.2f}, validation NLL "
          f"{curves['valid_nll'][-1]:.2f}; best validation epoch {training['best_epoch']} of {training['epochs_run']}")

# %% [markdown]
# Here the 32 masks make the test NLL worse, by many times the paired standard error, and the training NLL is higher too: the network fits its own training digits less well when the same weights must serve 32 connectivity patterns, so within 50 epochs it under-fits instead of gaining from the ensemble. This is one recipe, one width and one training length: it does not say what 32 masks would do with wider layers or longer training.

# %% [markdown]
# ## Questions from Brian Keng's post, answered with runs
#
# Brian Keng's post "Autoregressive Autoencoders" (2017) implements MADE in Keras on binarized MNIST and leaves three questions open. Its model reached a test NLL of about 150 nats without the direct connection and under 100 with it (numbers quoted from the post), and the post wonders whether so large a gap means a bug; it also asks whether the pixel ordering matters and whether several masks help. We answer the three with controlled runs at reduced scale: the first 10 000 training images, a fixed 30 epochs (the best validation epoch is kept), the same seed, the full validation and test sets. Only one thing changes between rows.
#
# 1. **Direct connection.** With one mask, natural ordering: direct input→output connection on vs off, and off with *equal* hidden degrees (spread evenly over $1 \dots D-1$ instead of drawn at random, so more outputs get a hidden path from the pixel just before them; the count is printed below the table).
# 2. **Ordering.** One mask: the natural (row-major) ordering vs one fixed random ordering.
# 3. **Several masks.** One fixed mask vs $K = 8$ masks drawn per minibatch — natural ordering with 8 connectivity patterns (connectivity-agnostic), and 8 random orderings (order- and connectivity-agnostic); evaluated with mask 0 alone and as the 8-mask mixture.

# %%
ABL = SETTINGS["ablation"]
x_small = x_train[:ABL["n_train"]]


def ablation(name, **made_kwargs):
    """Train one configuration at reduced scale; return its validation and test NLLs, and the test NLL of every
    test image (nll_1: mask 0; nll_k: the mixture of all masks) for paired differences."""
    keras.utils.set_random_seed(SEED)
    model = MADE(784, SETTINGS["hidden_sizes"], seed=SEED, **made_kwargs)
    history = train(model, x_small, x_valid, epochs=ABL["epochs"], patience=ABL["epochs"],
                    batch_size=SETTINGS["batch_size"], learning_rate=SETTINGS["learning_rate"],
                    seed=SEED, verbose=0)
    nll_1 = per_example_nll(model, x_test, num_masks=1)                    # (N,) nats, mask 0
    row = {"name": name, "best_epoch": history["best_epoch"], "minutes": sum(history["epoch_seconds"]) / 60,
           "valid_1": evaluate_nll(model, x_valid, num_masks=1)[0], "nll_1": nll_1,
           "test_1": (float(nll_1.mean()), standard_error(nll_1))}
    if model.num_masks > 1:
        nll_k = per_example_nll(model, x_test, num_masks=model.num_masks)   # (N,) nats, the mixture
        row["valid_k"] = evaluate_nll(model, x_valid, num_masks=model.num_masks)[0]
        row["nll_k"], row["test_k"] = nll_k, (float(nll_k.mean()), standard_error(nll_k))
    print(f"{name}: done in {row['minutes']:.1f} min")
    return row


K_ABL = ABL["K"]
ablations = [
    ablation("1 mask, natural, direct (reference)", num_masks=1, ordering="natural", direct=True),
    ablation("1 mask, natural, NO direct", num_masks=1, ordering="natural", direct=False),
    ablation("1 mask, natural, NO direct, equal hidden degrees", num_masks=1, ordering="natural", direct=False,
             hidden_degrees="equal"),
    ablation("1 mask, random ordering, direct", num_masks=1, ordering="random", direct=True),
    ablation(f"{K_ABL} masks, natural ordering, direct", num_masks=K_ABL, ordering="natural", direct=True),
    ablation(f"{K_ABL} masks, random orderings, direct", num_masks=K_ABL, ordering="random", direct=True),
]

# %%
lines = ["| configuration | valid NLL, mask 0 | test NLL, mask 0 | valid NLL, mixture | test NLL, mixture | best epoch |",
         "|---|---|---|---|---|---|"]
for r in ablations:
    mix_valid = f"{r['valid_k']:.2f}" if "valid_k" in r else "–"
    mix_test = f"{r['test_k'][0]:.2f} ± {r['test_k'][1]:.2f}" if "test_k" in r else "–"
    lines.append(f"| {r['name']} | {r['valid_1']:.2f} | {r['test_1'][0]:.2f} ± {r['test_1'][1]:.2f} | "
                 f"{mix_valid} | {mix_test} | {r['best_epoch']} of {ABL['epochs']} |")
display(Markdown("\n".join(lines) + f"\n\nAll rows: 784-500-784 ReLU, Adam lr {SETTINGS['learning_rate']}, batch "
                 f"{SETTINGS['batch_size']}, the first {len(x_small)} training images, {ABL['epochs']} epochs, "
                 f"seed {SEED}; mixture = all {K_ABL} masks; NLLs in nats (± standard error over the "
                 f"{len(x_test)} test images)."))

# %% [markdown]
# Notebook 04 explained the direct connection's effect by the outputs that have no hidden path from the pixel just before them. Counted for the two hidden-degree schemes of the runs above (mask 0, seed 0):

# %%
for scheme in ("random", "equal"):
    reach = MADE(784, SETTINGS["hidden_sizes"], ordering="natural", direct=False, hidden_degrees=scheme,
                 seed=SEED).connectivity()
    linked = int(sum(reach[d - 1, d] for d in range(1, 784)))
    print(f"hidden degrees {scheme:6s}: {linked} of 783 outputs have a hidden path from the pixel just before them")

# %% [markdown]
# Notebook 04 counted 363 for random degrees, not the number printed here: it drew its degrees with `mk.make_degrees(784, [500], seed=0)`, while a `MADE` derives each mask's degrees from its seed and the mask's index, another random draw. Every draw of random degrees leaves its own gaps; what holds for all of them is that random degrees leave many more outputs without a path from their predecessor than equal ones do.
#
# The differences the questions ask about. Each compares two rows of the table that differ in one setting, trained from the same seed on the same images, and is scored on the same test images, so its ± is the **paired** standard error of the per-image differences (test NLL in nats; negative: better than the row it is compared with):

# %%
ref, no_direct, no_direct_equal, random_order, k_natural, k_random = ablations
comparisons = [("no direct connection vs the reference", no_direct["nll_1"], ref["nll_1"]),
               ("no direct, equal hidden degrees vs no direct", no_direct_equal["nll_1"], no_direct["nll_1"]),
               ("one random ordering vs the natural one", random_order["nll_1"], ref["nll_1"]),
               (f"{K_ABL} connectivity masks (mixture) vs 1 mask, natural", k_natural["nll_k"], ref["nll_1"]),
               (f"{K_ABL} random orderings (mixture) vs 1 random ordering", k_random["nll_k"], random_order["nll_1"])]
for name, nll_b, nll_a in comparisons:
    delta, se = paired_difference(nll_b, nll_a)
    print(f"{name:55s} {delta:+7.2f} ± {se:.2f} nats")
recovered = (no_direct["test_1"][0] - no_direct_equal["test_1"][0]) / (no_direct["test_1"][0] - ref["test_1"][0])
print(f"share of the direct connection's gain that equal hidden degrees recover: {recovered:.0%}")

# %% [markdown]
# A paired standard error says how much a difference would move with another sample of test images, for the same two trained models; it says nothing about another training seed. The seed table earlier measured that for one network (784-500-784, 20 epochs, three seeds): its standard deviation, printed there, is the size of the seed's effect on one test NLL. It was not measured at this reduced scale, so it is a guide; every difference printed above is far larger than both it and its paired standard error.
#
# How the multi-mask runs ended their training, from their learning curves: the last epoch's training and validation NLL, and the epoch with the best validation NLL.

# %%
lines = ["| run | last epoch: training NLL | last epoch: validation NLL | best epoch of epochs run |", "|---|---|---|---|"]
for r in runs:
    curves, training = r["training"].get("curves", {}), r["training"]
    if r["model"].get("num_masks", 1) > 1 and curves:
        lines.append(f"| {results.label(r)} | {curves['train_nll'][-1]:.2f} | "
                     f"{curves['valid_nll'][-1]:.2f} | {training['best_epoch']} of {training['epochs_run']} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ### What the runs show
#
# A sentence below credits a setting only where two runs differ in that setting alone, and points to the printed difference with its paired standard error; where runs differ in more, it says so.
#
# * **Stronger regularisation helped the one-mask 784-4000-784 network.** Dropout 0.5 with L2 $10^{-4}$ against dropout 0.3 without L2, all else equal, lowered the test NLL (the pair in "Over-fitting and its cure"); the weaker run over-fitted early, the stronger one reached its best validation NLL close to its last epoch. The pair changes dropout and L2 together, so it cannot say which of the two did it. The stronger run is the one the paper table sets beside the paper's row "1 hidden layer, 1 mask".
# * **Several masks did not help that recipe.** Training the same recipe over 32 connectivity masks instead of one, nothing else changed, made the test NLL worse and the training NLL higher (the pair in "Does an ensemble of masks help a one-mask recipe?"): at this width and training length the shared weights under-fit the 32 patterns.
# * **With weaker regularisation, 8 connectivity masks did help.** In the one-change table, 8 connectivity masks instead of one on the dropout-0.3 recipe (no L2) lowered the test NLL by several times its paired standard error and several times the seed's standard deviation. Set beside the previous point: the two pairs differ in the number of masks (8 or 32) *and* in the regularisation, so these runs do not show which of the two turns the gain into a loss. The 32-mask run with dropout 0.3 and L2 differs from the 8-mask run in the number of masks, in L2 and in training length (90 or 50 epochs), so it does not answer that either.
# * **Wider layers helped the 32-ordering networks.** In the one-change table, the two-hidden-layer networks over 32 full masks improve with width (500, 1 000, 2 000 units per layer, only the width changed). Jensen's inequality promises only that a mixture beats the *average* of its masks, which the 784-500-784 32-mask model shows; its single masks score worse than model 1, a one-mask model trained here — a comparison that also differs in ordering, schedule and training length, so it shows the size of the gap, not its cause.
# * **The multi-mask runs were stopped by their epoch limit**, their best validation epoch at or near the last one (the table above), so they were still improving. The runs over 32 orderings end with their training NLL close to their validation NLL: they under-fit rather than over-fit. None of our ensembles reaches the paper's best (86.64 nats, cited from the paper), which used two layers of 8 000 units.
# * **The direct connection matters** (the reduced-scale runs). Without it the reference loses several nats (the first paired difference printed above). Notebook 04's explanation, outputs without a hidden path from the pixel just before them, accounts for only part of it: equal hidden degrees give that path to far more outputs, yet recover only the share printed above. The direct connection gives every output a logistic regression on *all* earlier pixels (the FVSBN of notebook 04), which a narrow hidden layer with random degrees does not provide. The gap quoted from Keng's post is larger than any of ours, so the switch alone does not explain it.
# * **A random ordering helped in this setting** (the third paired difference above). Notebook 06 shows that a better likelihood does not have to mean better-looking samples.
# * **Several masks at small scale:** 8 connectivity masks in the natural ordering gave a lower test NLL than one mask, while 8 random orderings gave a higher one than one random ordering (the last two paired differences above). The one-mask reference had not over-fitted — its best validation epoch was its last (the table) — so the connectivity masks' gain is not a cure for over-fitting; the random orderings must share the weights between very different models.

# %% [markdown]
# ## Running time
#
# How long this run of the notebook took, from the end of the setup cell (after the imports) to here:

# %%
print(f"This notebook ran for {running_time()} on {os.cpu_count()} CPU cores.")

# %% [markdown]
# ## Appendix: how the longer runs were trained
#
# Each longer run of this notebook was trained with the package's `made train` command and these flags, then scored on the whole test split with `made evaluate`:

# %%
for run in sorted(runs, key=results.label):
    print(f"{results.label(run)}:\n    {results.train_command(run)}")

# %% [markdown]
# Next: [06 · Sampling from MADE and completing digits](06_sampling_and_completion.ipynb).
