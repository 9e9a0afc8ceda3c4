"""Sampling speed of MADE: 100 samples from a 784-500-784 model (784 sequential passes).

Prints the seconds for ``model.sample(100)`` after a warm-up call that compiles
the sampling loop, and the time per pass (one pass per generated pixel), then
the same for the textbook sampler that runs the whole network once per pixel.
The model is untrained (sampling cost does not depend on the weights).

    python benchmarks/bench_sampling.py
    python benchmarks/bench_sampling.py --n 100 --hidden 500 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from made_helpers import MADE
from made_helpers.experiments.provenance import machine_info

D = 784


def full_pass_sampler(model: MADE):
    """The textbook sampler, for comparison: a whole forward pass ``model(x)`` per generated pixel."""

    @tf.function(input_signature=[tf.TensorSpec([None, D], tf.float32), tf.TensorSpec([2], tf.int32)])
    def run(x, seed):
        uniforms = tf.random.stateless_uniform(tf.stack([D, tf.shape(x)[0]]), seed=seed)
        for i in tf.range(D):
            idx = model.order[i]
            p = tf.sigmoid(tf.gather(model(x), idx, axis=1))
            value = tf.cast(uniforms[i] < p, x.dtype)
            onehot = tf.one_hot(idx, D, dtype=x.dtype)
            x = x * (1.0 - onehot) + value[:, None] * onehot
        return x

    return lambda n, seed: run(tf.zeros((n, D)), tf.constant([seed, 0], tf.int32)).numpy()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="samples per call")
    parser.add_argument("--hidden", type=int, nargs="+", default=[500], help="hidden layer widths")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls (median and best reported)")
    parser.add_argument("--num-masks", type=int, default=1)
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be >= 1")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    info = machine_info()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPU(s), load average {load:.2f}")
    print(f"CPU: {info['cpu']}; flags: {info['cpu_flags']}")
    keras.utils.set_random_seed(0)
    model = MADE(D, args.hidden, num_masks=args.num_masks, ordering="random", seed=0)
    name = "-".join(str(w) for w in [D, *args.hidden, D])

    start = time.perf_counter()
    model.sample(args.n, seed=0)
    warm = time.perf_counter() - start
    times = []
    for r in range(args.repeats):
        start = time.perf_counter()
        samples = model.sample(args.n, seed=r + 1)
        times.append(time.perf_counter() - start)
    assert samples.shape == (args.n, D)
    median, best = float(np.median(times)), min(times)
    print(f"model {name} (direct connection on), {args.n} samples = {D} sequential passes")
    print(f"first call (compiles the sampling loop): {warm:.2f} s")
    print(f"sample({args.n}): median {median:.3f} s, best {best:.3f} s over {args.repeats} calls "
          f"-> {1e3 * median / D:.3f} ms per pass (median)")
    slow = full_pass_sampler(model)
    slow(args.n, 0)
    slow_times = []
    for r in range(min(args.repeats, 3)):
        start = time.perf_counter()
        slow(args.n, r + 1)
        slow_times.append(time.perf_counter() - start)
    slow_median = float(np.median(slow_times))
    print(f"for comparison, a full forward pass per pixel: median {slow_median:.3f} s over {len(slow_times)} "
          f"calls ({1e3 * slow_median / D:.3f} ms per pass); model.sample is {slow_median / median:.1f}x faster")
    verdict = "met" if median < 1.0 else "NOT met"
    print(f"target < 1 s for 100 samples: {verdict}" if args.n == 100 and args.hidden == [500]
          else "(the < 1 s target refers to --n 100 --hidden 500)")


if __name__ == "__main__":
    main()
