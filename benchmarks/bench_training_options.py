"""Speed of two training options, each against its baseline in the same run (ratios only).

1. **bf16 mixed precision** (``MADE(..., dtype="mixed_bfloat16")``, CLI ``--bf16``): bfloat16
   matmuls with float32 weights, against float32. Only CPUs with AVX512-BF16 (or AMX) have
   bf16 matmul units; elsewhere expect a slow-down.
2. **In-graph mask selection** (``train(..., in_graph_masks=True)``, the default): the compiled
   step rebuilds the masks of mask ``k`` from stacked degrees, against assigning numpy
   masks from the host before every minibatch (``--host-masks``), for K = 32 masks.

Both use the package's own step (:meth:`MADE.train_step` through ``train_on_batch``, Adam) on random
binary data of MNIST's size, timing ``--steps`` minibatches per setting, settings interleaved
over ``--rounds`` rounds; the median seconds per step and the ratio are printed with the CPU
flags that matter. Nothing here is asserted: figures depend on the machine.

    python benchmarks/bench_training_options.py            # both comparisons
    python benchmarks/bench_training_options.py --quick    # fewer steps
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from made_helpers import MADE
from made_helpers.experiments.provenance import machine_info

D = 784


def cpu_flags() -> str:
    """The CPU model, its logical CPUs and its AVX2/AVX-512/bf16/AMX flags (as results files record them)."""
    info = machine_info()
    return f"{info['cpu'] or 'unknown CPU'}; {info['cpu_count']} logical CPUs; flags: {info['cpu_flags']}"


def stepper(hidden: list[int], batch: int, num_masks: int = 1, dtype: str | None = None,
            host_masks: bool = False):
    """A function running one training step (``train_on_batch``) of a fresh model (seeded)."""
    keras.utils.set_random_seed(0)
    model = MADE(D, hidden, num_masks=num_masks, ordering="random" if num_masks > 1 else "natural",
                 dtype=dtype, seed=0)
    model.compile(keras.optimizers.Adam(1e-3), resample_masks=not host_masks)   # in the graph: training_mask(t)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (batch, D)).astype("float32")

    def run():
        if host_masks:
            model.set_mask(int(rng.integers(num_masks)))
        model.train_on_batch(x, x)
    return run


def compare(title: str, settings: dict, steps: int, rounds: int) -> None:
    """Median seconds per step of each setting (interleaved rounds) and each one's ratio to the first."""
    runs = {name: stepper(**kw) for name, kw in settings.items()}
    for run in runs.values():                     # compile and warm up
        for _ in range(3):
            run()
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                run()
            times[name].append((time.perf_counter() - t0) / steps)
    base = statistics.median(next(iter(times.values())))
    print(f"\n{title}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:<44} {med * 1e3:8.2f} ms/step  (min {min(ts) * 1e3:.2f}, max {max(ts) * 1e3:.2f})"
              f"  ratio to first {med / base:5.2f}   epoch of 50 000: {med * 50_000 / settings[name]['batch']:.1f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per comparison (default 5)")
    args = parser.parse_args(argv)
    steps = 5 if args.quick else 20
    print(f"machine: {cpu_flags()}; TensorFlow {tf.__version__}, Keras {keras.__version__}")
    print(f"{steps} steps per round, {args.rounds} rounds, medians; random binary data, Adam, direct connection on")
    for hidden, batch in (([500], 100), ([500], 1024), ([2000], 100), ([2000], 1024)):
        arch = f"784-{'-'.join(map(str, hidden))}-784, batch {batch}"
        compare(f"bf16 mixed precision vs float32: {arch}", {
            "float32": dict(hidden=hidden, batch=batch),
            "mixed_bfloat16": dict(hidden=hidden, batch=batch, dtype="mixed_bfloat16"),
        }, steps, args.rounds)
    for hidden, batch in (([500], 100), ([500], 1024)):
        arch = f"784-{'-'.join(map(str, hidden))}-784, batch {batch}, K = 32 random masks"
        compare(f"mask switching: {arch}", {
            "host: set_mask(k) before each step": dict(hidden=hidden, batch=batch, num_masks=32, host_masks=True),
            "in-graph: select_mask(k) inside the step": dict(hidden=hidden, batch=batch, num_masks=32),
            "one fixed mask (no switching, reference)": dict(hidden=hidden, batch=batch, num_masks=1),
        }, steps, args.rounds)


if __name__ == "__main__":
    main()
