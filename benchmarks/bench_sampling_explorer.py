"""Responsiveness of the sampling and completion explorer: seconds from a control change to the redrawn widget.

Times, with the committed 784-4000-784 one-mask model: a step of the step slider (sampling mode: a redraw of
a sample drawn once), a new seed (one ``MADE.sample`` and one forward pass), and a click on a pixel of the
picker (completion mode: ``complete_any`` of 4 completions, forced onto the observed-first ordering since the
model has one ordering, plus the exact log-likelihood of the observed pixels), with a cProfile breakdown of
the click, and what sharing one mask switch saves: ``conditioning.complete_and_score`` (the explorer's call: one
switch) against ``complete_any`` then ``observed_log_likelihood`` (two switches), interleaved in one run. Then
the click with the explorer's default completion model (the committed order-agnostic 784-500-784 of 32 masks).
Target: a step or a click in under 0.5 s on a 2-core CPU.

    python benchmarks/bench_sampling_explorer.py
    python benchmarks/bench_sampling_explorer.py --steps 100 --clicks 20
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from measure import print_machine, seconds_of_each_call

from made_helpers.core import conditioning as cond
from made_helpers.experiments.sampling_explorer import sampling_explorer

RESULTS = Path(__file__).resolve().parents[1] / "results"
BIG = "made_784-4000-784_k1_random_drop0.5_wd1e-4"
ORDER_AGNOSTIC = "made_784-500-784_k32_full"
TARGET_SECONDS = 0.5


def test_digits() -> tuple[np.ndarray, str]:
    """The binarized MNIST test digits, or the package's fallback subset where they are not on this machine."""
    from made_helpers import data

    try:
        return data.load_binarized_mnist("test", verbose=False), "binarized MNIST test digits"
    except data.DataNotFoundError:
        return data.load_fallback_subset("test", verbose=False), "fallback subset (MNIST not found)"


def report(what: str, seconds: list[float]) -> float:
    median = float(np.median(seconds))
    print(f"{what}: median {1e3 * median:.0f} ms, max {1e3 * max(seconds):.0f} ms over {len(seconds)} "
          f"-> target < {TARGET_SECONDS} s {'met' if median < TARGET_SECONDS else 'NOT met'}")
    return median


PROFILED = {"fill": "sampler (compiled, 784 sequential steps)",
            "using_mask_set": "mask switch (enter + exit)", "nonfinite_weights": "finite-weight check",
            "logits": "forward pass for the log-likelihood", "_png": "PNG encoding"}


def profile_click(click, clicks: int) -> None:
    """Where a click's time goes: cumulative cProfile seconds of the parts in :data:`PROFILED`, per click."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(clicks):
        click(i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    parts = {what: 0.0 for what in PROFILED.values()}
    for (path, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        if name in PROFILED and "made_helpers" in path:
            parts[PROFILED[name]] += cumulative
    print(f"  cProfile of {clicks} clicks, per click (profiled: {1e3 * stats.total_tt / clicks:.0f} ms):")
    for what, seconds in parts.items():
        print(f"    {what:42s} {1e3 * seconds / clicks:6.1f} ms")


def compare_switches(ex, name: str, repeats: int) -> None:
    """The completions and log-likelihood of a click under one shared mask switch (``complete_and_score``) and
    under two (``complete_any``, then ``observed_log_likelihood``), interleaved; the same results are checked."""
    model, c = ex.model(name), ex.controls
    digit, observed, n = ex.digits[c["digit"].value], ex.observed, c["num_completions"].value
    seed, force = c["completion_seed"].value, c["force"].value

    def two_switches():
        return (cond.complete_any(model, np.repeat(digit[None], n, axis=0), observed, seed=seed, force=force),
                *cond.observed_log_likelihood(model, digit, observed, force=force))

    def one_switch():
        return cond.complete_and_score(model, digit, observed, n, seed=seed, force=force)

    times: dict = {two_switches: [], one_switch: []}
    for _ in range(repeats):
        for fn in times:
            start = time.perf_counter()
            result = fn()
            times[fn].append(time.perf_counter() - start)
            np.testing.assert_array_equal(result[0], ex.state.completions)
    two, one = (float(np.median(times[fn])) for fn in (two_switches, one_switch))
    print(f"  completions + log-likelihood, two mask switches: median {1e3 * two:.0f} ms; one shared switch: "
          f"{1e3 * one:.0f} ms (ratio {one / two:.2f}, interleaved, {repeats} each, same completions)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="timed moves of the step slider")
    parser.add_argument("--clicks", type=int, default=10, help="timed clicks on the picker")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.clicks < 1:
        parser.error("--steps and --clicks must be >= 1")

    print_machine()
    digits, source = test_digits()
    models = {BIG: RESULTS / f"{BIG}.keras", ORDER_AGNOSTIC: RESULTS / f"{ORDER_AGNOSTIC}.keras"}
    start = time.perf_counter()
    ex = sampling_explorer(models=models, digits=digits, sampling_model=BIG, completion_model=BIG)
    print(f"explorer built (loads the 784-4000-784 model, draws the first sample): {time.perf_counter() - start:.1f} s")
    assert ex.state.error is None, ex.state.error

    step = ex.controls["step"]
    medians = [report("step slider, one step (784-4000-784)",
                      seconds_of_each_call(lambda i: setattr(step, "value", 1 + (i * 15) % 784), args.steps))]
    seed = ex.controls["seed"]
    report("new seed (MADE.sample + one pass, 784-4000-784)",
           seconds_of_each_call(lambda i: setattr(seed, "value", 100 + i), 5))

    c = ex.controls
    c["force"].value = True
    c["mode"].value = "completion"
    assert ex.state.error is None, ex.state.error
    ex.click(27, 27)                                   # warm-up: traces the sampling loop
    ex.click(27, 27)

    def click(i):
        ex.click(14 + i % 14, (5 * i) % 28)
        assert ex.state.error is None, ex.state.error

    medians.append(report(f"click, {c['num_completions'].value} completions (784-4000-784, forced)",
                          seconds_of_each_call(click, args.clicks)))
    profile_click(click, args.clicks)
    compare_switches(ex, BIG, args.clicks)
    c["completion_model"].value = ORDER_AGNOSTIC
    ex.click(27, 27)
    report(f"click, {c['num_completions'].value} completions (784-500-784, 32 masks, the default)",
           seconds_of_each_call(click, args.clicks))
    print(f"digits: {source}; a step or a click of the 784-4000-784 model in under {TARGET_SECONDS} s: "
          f"{'met' if max(medians) < TARGET_SECONDS else 'NOT met'} (medians)")


if __name__ == "__main__":
    main()
