"""Epoch time of this package's training loop vs an equivalent minimal PyTorch MADE, same machine, one run.

Both train a 784-500-784 MADE with the direct input->output connection, natural ordering and the
same masks (built by ``made_helpers.core.masks``), Adam (lr 1e-3), mean Bernoulli NLL from logits, on
the same 50 000 training images, shuffled every epoch, at each batch size. "Epoch time" is the
wall time of one pass over the training images (no validation), after one warm-up epoch
(tracing, XLA compilation). Ours is measured through ``made_helpers.core.train.train`` itself
(its per-epoch ``epoch_seconds``, a 100-image validation included), i.e. what a user of the
package gets. The two loops alternate epoch by epoch (PyTorch's runs from ``train``'s
``on_epoch_end``), so background load on a shared machine hits both alike; the minimum over
epochs is the headline, the median is printed beside it.

PyTorch is a benchmark-only dependency, not installed by ``make``:

    .venv/bin/pip install torch==2.13.0
    flock /tmp/made-heavy.lock .venv/bin/python benchmarks/bench_vs_pytorch.py

Options: ``--batch-sizes 100 1024``, ``--epochs 3`` (timed epochs after the warm-up),
``--limit N`` (images per epoch), ``--threads T`` (both frameworks; default: all cores).
Prints one line per batch size with both times and the ratio ours / PyTorch (< 1: we are faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1024])
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch (default: 3)")
    p.add_argument("--limit", type=int, default=50_000, help="training images per epoch (default: 50000)")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--threads", type=int, default=None, help="threads for both frameworks (default: cores)")
    p.add_argument("--no-jit", action="store_true", help="time our step without XLA")
    return p.parse_args(argv)


def load_data(limit: int) -> tuple[np.ndarray, str]:
    from made_helpers import data

    try:
        x, info = data.load_binarized_mnist("train", source="auto-strict", verbose=False, return_info=True)
        desc = info.description
    except data.DataError as e:
        print(f"(binarized MNIST not available: {str(e).splitlines()[0]})")
        x = data.load_fallback_subset("train", verbose=False)
        desc = "the 3 000-image fallback subset, tiled (timing only)"
    if len(x) < limit:
        x = np.tile(x, (int(np.ceil(limit / len(x))), 1))
    return np.ascontiguousarray(x[:limit]), desc


# ---------------------------------------------------------------------------------------- PyTorch
class TorchMADERunner:
    """A minimal PyTorch MADE (masked nn.Linear layers, eager), trained one epoch per call."""

    def __init__(self, x: np.ndarray, batch_size: int, hidden: int):
        import torch
        import torch.nn.functional as F

        from made_helpers.core import masks as mk

        torch.manual_seed(0)
        degrees = mk.make_degrees(784, [hidden], "natural", "random", seed=0)
        m1, m2 = (torch.from_numpy(m.T.copy()) for m in mk.make_masks(degrees))   # (out, in)
        md = torch.from_numpy(mk.direct_mask(degrees[0]).T.copy())

        class MaskedLinear(torch.nn.Linear):
            def __init__(self, n_in, n_out, mask, bias=True):
                super().__init__(n_in, n_out, bias=bias)
                self.register_buffer("mask", mask)

            def forward(self, inp):
                return F.linear(inp, self.weight * self.mask, self.bias)

        class TorchMADE(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = MaskedLinear(784, hidden, m1)
                self.out = MaskedLinear(hidden, 784, m2)
                self.direct = MaskedLinear(784, 784, md, bias=False)

            def forward(self, inp):
                return self.out(torch.relu(self.hidden(inp))) + self.direct(inp)

        self.torch, self.F = torch, F
        self.model = TorchMADE()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.x = torch.from_numpy(x)
        self.gen = torch.Generator().manual_seed(0)
        self.batch_size = batch_size
        self.times: list[float] = []
        self.last_nll = float("nan")

    def epoch(self) -> None:
        t0 = time.perf_counter()
        perm = self.torch.randperm(len(self.x), generator=self.gen)
        total = 0.0
        for i in range(0, len(self.x), self.batch_size):
            xb = self.x[perm[i:i + self.batch_size]]
            loss = self.F.binary_cross_entropy_with_logits(self.model(xb), xb, reduction="sum") / len(xb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += loss.item() * len(xb)   # the running NLL, as our progress bar needs too
        self.times.append(time.perf_counter() - t0)
        self.last_nll = total / len(self.x)


# ------------------------------------------------------------------------------------ interleaved
def time_pair(x: np.ndarray, batch_size: int, hidden: int, epochs: int, jit: bool):
    """Epochs alternate: ours (through ``train``), then PyTorch's (from ``on_epoch_end``), so both
    see the same background load. Returns ``(ours, torch)`` timed epochs and final train NLLs."""
    import keras

    from made_helpers import MADE
    from made_helpers.core.train import train

    runner = TorchMADERunner(x, batch_size, hidden)
    keras.utils.set_random_seed(0)
    model = MADE(784, [hidden], num_masks=1, ordering="natural", seed=0)
    h = train(model, x, x[:100], epochs=epochs + 1, batch_size=batch_size, optimizer="adam",
              learning_rate=1e-3, patience=epochs + 2, verbose=0, jit_compile=jit,
              on_epoch_end=lambda epoch, history: runner.epoch())
    return h["epoch_seconds"][1:], runner.times[1:], h["train_nll"][-1], runner.last_nll


def main(argv=None):
    args = parse_args(argv)
    threads = args.threads or os.cpu_count()
    import tensorflow as tf
    import torch

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    torch.set_num_threads(threads)
    x, desc = load_data(args.limit)
    print(f"MADE 784-{args.hidden}-784 (direct connection), Adam lr 1e-3, {len(x)} images per epoch: {desc}")
    from made_helpers.experiments.provenance import machine_info

    info = machine_info()
    print(f"machine: {info['cpu'] or platform.machine()} ({info['cpu_flags']}), {os.cpu_count()} cores, "
          f"{threads} threads; "
          f"tensorflow {tf.__version__} (XLA {'off' if args.no_jit else 'on'}), torch {torch.__version__}")
    print(f"epochs alternate ours/PyTorch; epoch time = min (median) of {args.epochs} epochs after 1 warm-up epoch")
    print(f"{'batch':>6} {'ours s/epoch':>16} {'torch s/epoch':>16} {'ours/torch (min)':>17} {'(median)':>9}"
          f" {'train NLL ours/torch':>21}")
    for bs in args.batch_sizes:
        ours, theirs, nll_ours, nll_theirs = time_pair(x, bs, args.hidden, args.epochs, jit=not args.no_jit)
        o_min, t_min = min(ours), min(theirs)
        o_med, t_med = statistics.median(ours), statistics.median(theirs)
        print(f"{bs:>6} {o_min:>7.2f} ({o_med:>6.2f}) {t_min:>7.2f} ({t_med:>6.2f}) {o_min / t_min:>17.2f} "
              f"{o_med / t_med:>9.2f} {nll_ours:>10.1f}/{nll_theirs:<10.1f}", flush=True)

if __name__ == "__main__":
    main()
