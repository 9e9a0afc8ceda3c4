"""Timing helpers (made_helpers.experiments.timing): calls counted with their warm-up, and the sampling report."""

from __future__ import annotations

import pytest

from made_helpers import MADE
from made_helpers.experiments.timing import time_call, time_sampling


def test_time_call_counts_calls():
    calls = []
    seconds = time_call(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and seconds >= 0
    with pytest.raises(ValueError):
        time_call(lambda: None, repeats=0)


def test_time_sampling_report():
    model = MADE(5, [8], seed=0)
    report = time_sampling(model, 4, repeats=1)
    assert report["n"] == 4 and report["steps"] == 5
    assert report["sample_seconds"] > 0 and report["forward_seconds"] > 0
    assert report["seconds_per_sample"] == pytest.approx(report["sample_seconds"] / 4)
    assert report["seconds_per_step"] == pytest.approx(report["sample_seconds"] / 5)
    with pytest.raises(ValueError):
        time_sampling(model, 0)
