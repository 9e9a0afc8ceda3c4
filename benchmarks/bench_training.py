"""Training speed of MADE against this machine's fp32 matmul peak.

Prints, for 784-500-784 and 784-500-500-784 MADE (direct connection on) on
50 000 x 784 binary data, the seconds per epoch of a compiled Adam step at
batch 100 and 1024, with and without XLA (``jit_compile``), the achieved
GFLOP/s and its share of the measured matmul peak.

FLOPs counted per example: 3 x the forward matmuls (forward, gradient w.r.t.
activations, gradient w.r.t. weights), ``2 * fan_in * fan_out`` each, direct
``D x D`` connection included. The ``exec%`` column counts only the products
really computed (no gradient w.r.t. the data: 0.76 x for 784-500-784). Bias,
activation, masking and Adam updates are not counted (they are the overhead
that the percentage exposes).

    python benchmarks/bench_training.py              # 1 timed epoch per setting
    python benchmarks/bench_training.py --quick      # 60 batches per setting, extrapolated
    MADE_DATA_DIR=/path/to/mnist python benchmarks/bench_training.py   # real binarized MNIST
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
from made_helpers.core.losses import bernoulli_nll
from made_helpers.experiments.provenance import machine_info

D = 784
N_TRAIN = 50_000


def matmul_peak(sizes=(1024, 2048, 4096), seconds: float = 1.5) -> tuple[float, int]:
    """Best fp32 ``tf.matmul`` rate of square ``n x n`` matrices, ``(GFLOP/s, n)``.

    The fastest single call in a ``seconds`` window per size: on a shared machine
    this is the rate the cores reach when nothing else runs.
    """
    best = (0.0, 0)
    for n in sizes:
        a = tf.random.normal((n, n))
        b = tf.random.normal((n, n))
        matmul = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)[0]))
        matmul(a, b).numpy()                                          # warm-up
        fastest, start = float("inf"), time.perf_counter()
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            matmul(a, b).numpy()
            fastest = min(fastest, time.perf_counter() - t0)
        best = max(best, (2.0 * n**3 / fastest / 1e9, n))
    return best


def flops_per_example(hidden: list[int]) -> tuple[float, float]:
    """Training matmul FLOPs per example: ``(counted, executed)``.

    counted: 3 x forward (the usual convention; the brief's target uses it).
    executed: forward + weight gradients + activation gradients, where the first
    hidden layer and the direct connection need no gradient w.r.t. their input
    (the data), so those two products are never computed.
    """
    widths = [D, *hidden, D]
    products = [a * b for a, b in zip(widths[:-1], widths[1:])] + [D * D]   # last: direct
    forward = 2.0 * sum(products)
    input_grads = 2.0 * sum(products[1:-1])            # every layer but the first and the direct one
    return 3.0 * forward, 2.0 * forward + input_grads


def load_data(seed: int = 0) -> tuple[np.ndarray, str]:
    """``(50000, 784)`` float32 0/1 and a description of what it is."""
    if os.environ.get("MADE_DATA_DIR"):
        try:
            from made_helpers.data import load_binarized_mnist

            x = load_binarized_mnist("train", source="larochelle", data_dir=os.environ["MADE_DATA_DIR"],
                                    download=False, verbose=False)
            return np.asarray(x, dtype=np.float32), f"binarized MNIST train {x.shape} from $MADE_DATA_DIR"
        except Exception as err:                                        # noqa: BLE001
            print(f"(could not load MNIST from $MADE_DATA_DIR: {err}; using random data)")
    rng = np.random.default_rng(seed)
    x = (rng.random((N_TRAIN, D)) < 0.13).astype(np.float32)
    return x, f"random binary data {x.shape}, P(1) = 0.13 (set MADE_DATA_DIR for real MNIST)"


def make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer, jit: bool):
    """A compiled Adam step ``step(data (N, D), idx (batch,)) -> mean NLL`` on ``data[idx]``."""

    @tf.function(jit_compile=jit)
    def step(data, idx):
        x = tf.gather(data, idx)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(bernoulli_nll(x, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def time_setting(x: tf.Tensor, hidden: list[int], batch: int, jit: bool, epochs: int,
                 max_batches: int | None, window: int = 10) -> dict:
    """Seconds per epoch (median over epochs, wall clock) and from the fastest ``window``-batch stretch.

    With ``max_batches`` only that many batches are timed per epoch and scaled to a full epoch.
    Steps run synchronously (eager TF on CPU), so a clock read between steps is exact.
    """
    keras.utils.set_random_seed(0)
    model = MADE(D, hidden, seed=0)
    optimizer = keras.optimizers.Adam(1e-3)
    step = make_train_step(model, optimizer, jit)
    n_batches = x.shape[0] // batch
    timed = n_batches if max_batches is None else min(n_batches, max_batches)
    warm = tf.range(2 * batch)
    step(x, warm[:batch]).numpy()                                        # compile, build optimizer
    step(x, warm[batch:]).numpy()
    per_epoch, fastest_step, loss = [], float("inf"), float("nan")
    for epoch in range(epochs):
        order = tf.random.shuffle(tf.range(x.shape[0]), seed=epoch)
        start = mark = time.perf_counter()
        for i in range(timed):
            loss = step(x, order[i * batch:(i + 1) * batch])
            if (i + 1) % window == 0:
                now = time.perf_counter()
                fastest_step = min(fastest_step, (now - mark) / window)
                mark = now
        loss = float(loss)
        per_epoch.append((time.perf_counter() - start) * n_batches / timed)
    if fastest_step == float("inf"):
        fastest_step = per_epoch[0] / n_batches
    return {"seconds": float(np.median(per_epoch)), "best_seconds": fastest_step * n_batches,
            "loss": loss, "n_batches": n_batches}


def _unmasked_logits(model: MADE, x):
    """The MADE forward pass without the mask multiplies (wrong model; only to time what masking costs)."""
    h = x
    for layer in model.hidden_layers:
        h = layer.activation(tf.matmul(h, layer.kernel) + layer.bias)
    logits = tf.matmul(h, model.output_layer.kernel) + model.output_layer.bias
    if model.direct_layer is not None:
        logits = logits + tf.matmul(x, model.direct_layer.kernel)
    return logits


class FusedAdam:
    """Adam through TensorFlow's fused ``ResourceApplyAdam`` kernel (one op per variable).

    Only for the breakdown: it shows what Keras' element-wise Adam update costs.
    """

    def __init__(self, variables, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.variables = list(variables)
        self.slots = [(tf.Variable(tf.zeros_like(v.value)), tf.Variable(tf.zeros_like(v.value)))
                      for v in self.variables]
        self.hyper = [tf.constant(h, tf.float32) for h in (learning_rate, beta_1, beta_2, epsilon)]
        self.t = tf.Variable(0.0)

    def apply_gradients(self, grads_and_vars):
        lr, b1, b2, eps = self.hyper
        t = self.t.assign_add(1.0)
        b1_power, b2_power = tf.pow(b1, t), tf.pow(b2, t)
        for (grad, var), (m, v) in zip(grads_and_vars, self.slots):
            tf.raw_ops.ResourceApplyAdam(var=var.value.handle, m=m.handle, v=v.handle, beta1_power=b1_power,
                                         beta2_power=b2_power, lr=lr, beta1=b1, beta2=b2, epsilon=eps,
                                         grad=grad)


def breakdown(x: tf.Tensor, batch: int, rounds: int = 8) -> None:
    """Where a 784-500-784 training step spends its time: ms per step of cumulative variants.

    Variants are timed in interleaved rounds and the fastest round is kept, so
    that competing processes bias all of them alike.
    """
    keras.utils.set_random_seed(0)
    model = MADE(D, [500], seed=0)
    weights = model.trainable_variables

    def loss_of(xb, logits_fn=model):
        return tf.reduce_mean(bernoulli_nll(xb, logits_fn(xb)))

    def stepper(optimizer, jit=False, logits_fn=model):
        @tf.function(jit_compile=jit)
        def step(data, idx):
            xb = tf.gather(data, idx)
            with tf.GradientTape() as tape:
                loss = loss_of(xb, logits_fn)
            optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
            return loss
        return step

    w1, w2, wd = model.hidden_layers[0].kernel, model.output_layer.kernel, model.direct_layer.kernel

    @tf.function
    def matmuls_only(data, idx):
        xb = tf.gather(data, idx)
        h = tf.matmul(xb, w1)
        out = tf.matmul(h, w2) + tf.matmul(xb, wd)
        grads = [tf.matmul(h, out, transpose_a=True), tf.matmul(xb, out, transpose_a=True),
                 tf.matmul(xb, tf.matmul(out, w2, transpose_b=True), transpose_a=True)]
        return tf.add_n([tf.reduce_sum(g[0]) for g in grads])

    @tf.function
    def forward(data, idx):
        return loss_of(tf.gather(data, idx))

    @tf.function
    def gradients(data, idx):
        xb = tf.gather(data, idx)
        with tf.GradientTape() as tape:
            loss = loss_of(xb)
        return tf.add_n([tf.reduce_sum(g[0]) for g in tape.gradient(loss, weights)])

    variants = {
        "the 7 matmuls only (fwd 3, bwd 4)": matmuls_only,
        "forward + loss": forward,
        "forward + gradients, no update": gradients,
        "SGD step": stepper(keras.optimizers.SGD(1e-3)),
        "Adam step (the benchmark's)": stepper(keras.optimizers.Adam(1e-3)),
        "Adam step without mask multiplies": stepper(keras.optimizers.Adam(1e-3),
                                                     logits_fn=lambda xb: _unmasked_logits(model, xb)),
        "Adam step, XLA": stepper(keras.optimizers.Adam(1e-3), jit=True),
        "Adam step, fused ResourceApplyAdam": stepper(FusedAdam(weights)),
    }
    n_steps = max(2, 4096 // batch)
    order = tf.random.shuffle(tf.range(x.shape[0]), seed=0)
    batches = [order[i * batch:(i + 1) * batch] for i in range(n_steps)]
    for fn in variants.values():
        fn(x, batches[0]).numpy()
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            for idx in batches:
                out = fn(x, idx)
            float(out)
            best[name] = min(best[name], (time.perf_counter() - start) / n_steps)
    counted, executed = flops_per_example([500])
    print(f"\nbreakdown, 784-500-784, batch {batch} (fastest of {rounds} interleaved rounds of {n_steps} steps):")
    for name, seconds in best.items():
        print(f"  {name:<36}{1e3 * seconds:8.2f} ms/step")
    print(f"  (executed matmul FLOPs per step {executed * batch / 1e9:.2f} GFLOP, counted {counted * batch / 1e9:.2f})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per setting (median reported)")
    parser.add_argument("--quick", action="store_true", help="time 60 batches per setting and extrapolate")
    parser.add_argument("--batches", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--jit", choices=["both", "on", "off"], default="both")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the parts of a 784-500-784 step (matmuls, gradients, optimizer, masks)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")

    load = os.getloadavg()[0]
    info = machine_info()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPU(s), 1-min load average before the run {load:.2f}")
    print(f"CPU: {info['cpu']}; flags: {info['cpu_flags']}")
    peaks = [matmul_peak()]
    print(f"fp32 matmul peak: {peaks[0][0]:.1f} GFLOP/s (fastest tf.matmul {peaks[0][1]}x{peaks[0][1]}); "
          f"measured again at the end, the larger value is used")
    data, description = load_data()
    print(f"data: {description}")
    x = tf.constant(data)
    max_batches = 60 if args.quick else None
    mode = "60 batches per setting, scaled to an epoch" if args.quick else \
        f"{args.epochs} full epoch(s) per setting, median"
    print(f"timing: {mode}; Adam lr 1e-3, compiled step (tf.function), last partial batch dropped\n")

    jits = {"both": [False, True], "on": [True], "off": [False]}[args.jit]
    rows = []
    header = (f"{'model':<16}{'batch':>6}{'XLA':>5}{'s/epoch':>9}{'GFLOP/s':>9}{'%peak':>7}"
              f"{'exec%':>7}  |{'best s/ep':>10}{'%peak':>7}{'loss':>9}")
    for hidden in ([500], [500, 500]):
        name = "-".join(str(w) for w in [D, *hidden, D])
        counted, executed = flops_per_example(hidden)
        for batch in args.batches:
            for jit in jits:
                r = time_setting(x, hidden, batch, jit, args.epochs, max_batches)
                examples = r["n_batches"] * batch
                rate = counted * examples / r["seconds"] / 1e9
                exec_rate = executed * examples / r["seconds"] / 1e9
                best_rate = counted * examples / r["best_seconds"] / 1e9
                rows.append((name, batch, jit, r, rate, exec_rate, best_rate))
                print(f"  measured {name} batch {batch} XLA {'on' if jit else 'off'}: {r['seconds']:.2f} s/epoch",
                      flush=True)
    peaks.append(matmul_peak())
    peak, n = max(peaks)
    print(f"fp32 matmul peak at the end: {peaks[-1][0]:.1f} GFLOP/s; used: {peak:.1f} GFLOP/s ({n}x{n})\n")
    if min(p for p, _ in peaks) < 0.85 * peak:
        print("WARNING: the two peak measurements differ by more than 15%: other processes competed "
              "for the cores; compare with the best-window columns.\n")
    print(header)
    print("-" * len(header))
    for name, batch, jit, r, rate, exec_rate, best_rate in rows:
        print(f"{name:<16}{batch:>6}{'on' if jit else 'off':>5}{r['seconds']:>9.2f}{rate:>9.1f}"
              f"{100 * rate / peak:>6.0f}%{100 * exec_rate / peak:>6.0f}%  |"
              f"{r['best_seconds']:>10.2f}{100 * best_rate / peak:>6.0f}%{r['loss']:>9.2f}")
    print(f"\nload average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (this run itself adds ~2).")
    print("GFLOP/s and %peak count 3 x forward matmul FLOPs incl. the direct D x D connection; exec% counts "
          "only the products really computed (no gradient w.r.t. the data): "
          f"{flops_per_example([500])[1] / flops_per_example([500])[0]:.2f} x counted for 784-500-784.")
    print("best s/ep: from the fastest 10-batch stretch (the rate without competing processes).")
    top = [row for row in rows if row[1] == 1024]
    if top:
        counted_share = max(100 * row[4] / peak for row in top)
        exec_share = max(100 * row[5] / peak for row in top)
        print(f"target >= 60% of the matmul peak at batch 1024 (wall clock, best setting): "
              f"{counted_share:.0f}% counted -> {'met' if counted_share >= 60 else 'NOT met'}; "
              f"{exec_share:.0f}% executed -> {'met' if exec_share >= 60 else 'NOT met'}")
    if args.breakdown:
        for batch in args.batches:
            breakdown(x, batch)


if __name__ == "__main__":
    main()
