"""Automatic checks for the classroom exercises in ``notebooks/exercises/``.

In a notebook::

    from made_helpers.exercises import check
    check.bernoulli_nll(bernoulli_nll)      # your function, not its result

Each check runs the student's function on a few cases (edge cases included),
prints one friendly message -- what is wrong and how to fix it, or a short
confirmation -- and returns a :class:`CheckResult` ``(name, passed, message)``.

* A ``NotImplementedError`` (the ``# YOUR CODE HERE`` stub) propagates, so a
  notebook run stops at the first unsolved exercise.
* Any other exception raised by the student's code becomes a message; a wrong
  answer never raises -- except under nbgrader: while ``nbgrader autograde`` or
  ``nbgrader validate`` runs the notebook (it sets ``NBGRADER_EXECUTION``), a
  failed check prints its message and then raises ``CheckFailed`` (an
  ``AssertionError``), so its autograded test cell scores no points.
* The right answers come from the package itself (``made_helpers.losses``,
  ``made_helpers.masks``, :class:`~made_helpers.MADE`), so the checks agree
  with the code the series uses. No solution code lives in this module.

One module per exercise notebook (``ex02_nll`` ... ``ex06_sampling``) holds its checks;
``_diagnosis`` holds what they share. This module is the public namespace: ``check`` and
:class:`CheckResult`.
"""

from __future__ import annotations

from ._diagnosis import CheckResult, _run
from .ex02_nll import _bernoulli_nll_body, _gaussian_constant_body, _gaussian_nll_body
from .ex03_autoregressive import _allowed_connections_body, _log_prob_by_hand_body
from .ex04_masks import (
    _hidden_degrees_body,
    _input_degrees_body,
    _masked_layer_body,
    _masks_from_degrees_body,
)
from .ex05_training import _early_stopping_body, _ensemble_log_prob_body, _log_mean_exp_body
from .ex06_sampling import _complete_body, _sample_sequential_body

__all__ = ["CheckResult", "check"]


class Checks:
    """The exercise checks; use the shared instance ``check``.

    Every method takes the student's function, prints a message and returns a
    :class:`CheckResult`. ``verbose=False`` returns without printing.
    """

    def bernoulli_nll(self, fn, verbose: bool = True) -> CheckResult:
        """02.1 ``fn(x, logits) -> (batch,)``: ``-log p(x)`` for Bernoulli pixels, from logits."""
        return _run("bernoulli_nll", _bernoulli_nll_body, fn, verbose)

    def gaussian_nll(self, fn, verbose: bool = True) -> CheckResult:
        """02.2 ``fn(x, mean, variance) -> (batch,)``: ``-log N(x; mean, variance)`` summed over pixels."""
        return _run("gaussian_nll", _gaussian_nll_body, fn, verbose)

    def gaussian_constant(self, fn, verbose: bool = True) -> CheckResult:
        """02.3 ``fn(D, variance) -> float``: the constant in the Gaussian NLL; ``variance`` a number or ``(D,)``."""
        return _run("gaussian_constant", _gaussian_constant_body, fn, verbose)

    def allowed_connections(self, fn, verbose: bool = True) -> CheckResult:
        """03.1 ``fn(input_degrees) -> (D, D) bool``: ``[i, j]`` iff output j may depend on input i."""
        return _run("allowed_connections", _allowed_connections_body, fn, verbose)

    def log_prob_by_hand(self, fn, verbose: bool = True) -> CheckResult:
        """03.2 ``fn(model, x) -> (batch,)``: ``log p(x)`` of a MADE from one forward pass."""
        return _run("log_prob_by_hand", _log_prob_by_hand_body, fn, verbose)

    def input_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.1 ``fn(ordering) -> (D,)``: the input degrees for a generation order."""
        return _run("input_degrees", _input_degrees_body, fn, verbose)

    def masks_from_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.2 ``fn(degrees) -> [masks]``: the hidden and output masks, ``(fan_in, fan_out)`` each."""
        return _run("masks_from_degrees", _masks_from_degrees_body, fn, verbose)

    def hidden_degrees(self, fn, verbose: bool = True) -> CheckResult:
        """04.3 ``fn(width, input_dim, low, rng) -> (width,)``: random hidden degrees in ``low..D-1``."""
        return _run("hidden_degrees", _hidden_degrees_body, fn, verbose)

    def masked_layer(self, fn, verbose: bool = True) -> CheckResult:
        """04.4 ``fn(units, mask, activation) -> keras layer``: ``activation(x @ (W * M) + b)``, M fixed."""
        return _run("masked_layer", _masked_layer_body, fn, verbose)

    def log_mean_exp(self, fn, verbose: bool = True) -> CheckResult:
        """05.1 ``fn(log_probs (K, batch)) -> (batch,)``: ``log mean_k exp``, stably."""
        return _run("log_mean_exp", _log_mean_exp_body, fn, verbose)

    def ensemble_log_prob(self, fn, verbose: bool = True) -> CheckResult:
        """05.2 ``fn(model, x, num_masks) -> (batch,)``: log-likelihood of the mixture over masks."""
        return _run("ensemble_log_prob", _ensemble_log_prob_body, fn, verbose)

    def early_stopping(self, fn, verbose: bool = True) -> CheckResult:
        """05.3 ``fn(history, patience) -> (best_epoch, stop_epoch)``, chosen on the validation curve."""
        return _run("early_stopping", _early_stopping_body, fn, verbose)

    def sample_sequential(self, fn, verbose: bool = True) -> CheckResult:
        """06.1 ``fn(model, n, rng) -> (n, D)`` 0/1 samples, one pixel at a time in ``model.ordering``."""
        return _run("sample_sequential", _sample_sequential_body, fn, verbose)

    def complete(self, fn, verbose: bool = True) -> CheckResult:
        """06.2 ``fn(model, x, num_observed, rng) -> (n, D)``: keep the first pixels of the ordering, draw the rest."""
        return _run("complete", _complete_body, fn, verbose)

    def __dir__(self):
        return [name for name in type(self).__dict__ if not name.startswith("_")]


check = Checks()
