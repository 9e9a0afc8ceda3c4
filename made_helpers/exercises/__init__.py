"""Automatic checks for the classroom exercises in ``notebooks/exercises/``.

In a notebook::

    from made_helpers.exercises import check
    check.bernoulli_nll(bernoulli_nll)      # your function, not its result

Each check runs the student's function on a few cases, prints what is wrong and how to fix it (or a
confirmation) and returns a :class:`CheckResult`. The ``# YOUR CODE HERE`` stub's ``NotImplementedError``
propagates; under nbgrader (``NBGRADER_EXECUTION`` set) a failed check raises ``CheckFailed`` carrying the
message, which the notebook shows without a traceback (also for a stub's ``NotImplementedError``). The right
answers come from the package itself. ``exNN_*`` hold the checks of one notebook, ``_diagnosis`` what they share.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ex02_nll, ex03_autoregressive, ex04_masks, ex05_training, ex06_sampling
from ._diagnosis import CheckResult, install_plain_errors, run

__all__ = ["CheckResult", "check"]


def _check(name: str, body: Callable[[Callable], str]):
    """The ``Checks`` method ``name(fn, verbose=True)`` that runs ``body`` on ``fn``; its docstring is ``body``'s."""

    def method(self, fn, verbose: bool = True) -> CheckResult:
        return run(name, body, fn, verbose)

    method.__name__, method.__qualname__ = name, f"Checks.{name}"
    method.__doc__ = body.__doc__
    return method


class Checks:
    """The exercise checks; use the shared instance ``check``. Each takes the student's function,
    prints a message and returns a :class:`CheckResult`; ``verbose=False`` returns without printing."""

    bernoulli_nll = _check("bernoulli_nll", ex02_nll.bernoulli_nll_body)
    gaussian_nll = _check("gaussian_nll", ex02_nll.gaussian_nll_body)
    gaussian_constant = _check("gaussian_constant", ex02_nll.gaussian_constant_body)
    allowed_connections = _check("allowed_connections", ex03_autoregressive.allowed_connections_body)
    log_prob_by_hand = _check("log_prob_by_hand", ex03_autoregressive.log_prob_by_hand_body)
    input_degrees = _check("input_degrees", ex04_masks.input_degrees_body)
    masks_from_degrees = _check("masks_from_degrees", ex04_masks.masks_from_degrees_body)
    hidden_degrees = _check("hidden_degrees", ex04_masks.hidden_degrees_body)
    masked_layer = _check("masked_layer", ex04_masks.masked_layer_body)
    log_mean_exp = _check("log_mean_exp", ex05_training.log_mean_exp_body)
    ensemble_log_prob = _check("ensemble_log_prob", ex05_training.ensemble_log_prob_body)
    early_stopping = _check("early_stopping", ex05_training.early_stopping_body)
    sample_sequential = _check("sample_sequential", ex06_sampling.sample_sequential_body)
    complete = _check("complete", ex06_sampling.complete_body)

    def __dir__(self):
        return [name for name in type(self).__dict__ if not name.startswith("_")]


check = Checks()
install_plain_errors()      # in a notebook: a failed check or a stub shows its message, without a traceback
