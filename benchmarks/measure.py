"""What the benchmark scripts share: the machine line printed above their figures, and the seconds of each call
(timed by :func:`made_helpers.experiments.timing.time_call`). Imported by the scripts as ``measure``
(``python benchmarks/bench_*.py`` puts this folder first on ``sys.path``)."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from functools import partial

from made_helpers.experiments.provenance import machine_info
from made_helpers.experiments.timing import time_call


def print_machine(load_label: str = "load average") -> float:
    """Print the TensorFlow and Keras versions, the machine, its CPU count and 1-min load average, then the CPU and
    its flags; returns the load average (NaN where the platform has none)."""
    import keras
    import tensorflow as tf

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    info = machine_info()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPU(s), {load_label} {load:.2f}")
    print(f"CPU: {info['cpu']}; flags: {info['cpu_flags']}")
    return load


def seconds_of_each_call(fn: Callable[[int], object], repeats: int) -> list[float]:
    """Wall seconds of ``fn(i)`` for ``i = 0 .. repeats-1``, each call timed alone (no warm-up)."""
    return [time_call(partial(fn, i), repeats=1, warmup=0) for i in range(repeats)]
