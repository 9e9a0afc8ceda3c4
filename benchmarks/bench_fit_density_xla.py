"""Speed of ``fit_density``'s training step with and without XLA (``jit_compile``), both in one run.

One step (``train_on_batch`` of :class:`made_helpers.density.density_fit.DensityNLL`: Adam, the MAF authors' L2 term)
on a
minibatch of 100 random rows of MNIST's width D = 784, for two models of the MAF paper's MNIST table: MAF (5)
1024-1024 with batch norm, and MADE MoG 1024-1024 (10 Gaussians per conditional). ``--steps`` steps per setting are
timed after ``--warmup`` steps, settings interleaved over ``--rounds`` rounds; the median ms/step, the ratio and the
CPU flags that matter are printed. Nothing here is asserted: figures depend on the machine.

    python benchmarks/bench_fit_density_xla.py
"""

from __future__ import annotations

import argparse
import os
import statistics

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from measure import seconds_of_each_call

from made_helpers.density.density_fit import DensityNLL, compile_trainer
from made_helpers.experiments import maf_mnist
from made_helpers.experiments.provenance import machine_info

BATCH = 100
MODELS = {"MAF (5) 1024-1024, batch norm": ("maf", 5), "MADE MoG 1024-1024": ("made_mog", 5)}


def step_seconds(trainer, x: np.ndarray, steps: int) -> float:
    """Median seconds of one training step over ``steps`` steps."""
    return statistics.median(seconds_of_each_call(lambda _: trainer.train_on_batch(x, x), steps))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5, help="timed steps per setting and round (5)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per setting first (2; includes compiling)")
    p.add_argument("--rounds", type=int, default=2, help="rounds, settings interleaved (2)")
    args = p.parse_args(argv)
    info = machine_info()
    print(f"CPU: {info['cpu']}; {info['cpu_count']} logical CPUs; flags: {info['cpu_flags']}")
    print(f"TensorFlow {info['tensorflow']}, Keras {info['keras']}; batch {BATCH}, median of "
          f"{args.steps} x {args.rounds} steps")
    x = np.random.default_rng(0).normal(size=(BATCH, 784)).astype("float32")
    for name, (kind, layers) in MODELS.items():
        trainers = {}
        for xla in (False, True):
            model = maf_mnist.build_model(kind, [1024, 1024], layers, seed=0)
            trainer = DensityNLL(model, maf_mnist.WEIGHT_DECAY)
            used = compile_trainer(trainer, maf_mnist.LEARNING_RATES[kind], xla, x)
            step_seconds(trainer, x, args.warmup)
            trainers["XLA" if used else "no XLA"] = trainer
        medians = {label: [] for label in trainers}
        for _ in range(args.rounds):
            for label, trainer in trainers.items():
                medians[label].append(step_seconds(trainer, x, args.steps))
        ms = {label: 1000 * statistics.median(values) for label, values in medians.items()}
        line = ", ".join(f"{label} {value:.0f} ms/step" for label, value in ms.items())
        ratio = f"; without/with XLA {ms['no XLA'] / ms['XLA']:.2f}x" if len(ms) == 2 else ""
        print(f"{name}: {line}{ratio}", flush=True)


if __name__ == "__main__":
    main()
