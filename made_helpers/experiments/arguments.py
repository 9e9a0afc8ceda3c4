"""Command-line arguments checked as argparse reads them: a parser that reports a bad flag in one line, and the
``type=`` parsers of numbers (``made``, ``scripts/maf_mnist.py``)."""

from __future__ import annotations

import argparse

from ..checks import FLOAT32_MAX

__all__ = ["Parser", "float_in", "fraction", "int_at_least", "join_negative_numbers", "non_negative_float",
           "positive_float"]


class Parser(argparse.ArgumentParser):
    """``argparse`` that reports a bad flag or value in one line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_at_least(low: int, high: int | None = None):
    """An argparse ``type``: an integer ``>= low`` (and ``<= high``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}" if high is None else f"integer in {low}..{high}"
    return parse


def float_in(name: str, what: str, accept):
    """An argparse ``type``: a finite float for which ``accept(value)`` holds; ``name`` shows in errors."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not accept(value) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value
    parse.__name__ = name
    return parse


positive_float = float_in("positive number", "a positive finite number", lambda v: v > 0)   # float32: train.py
fraction = float_in("number in [0, 1)", "a number in [0, 1)", lambda v: 0 <= v < 1)
non_negative_float = float_in("number >= 0", f"a finite number >= 0 (at most {FLOAT32_MAX:.4g}, float32's range)",
                              lambda v: 0 <= v <= FLOAT32_MAX)


def join_negative_numbers(argv: list[str]) -> list[str]:
    """``--flag -1e-3`` -> ``--flag=-1e-3``, so that argparse checks the value instead of taking it for a flag."""
    out: list[str] = []
    for token in argv:
        if (out and out[-1].startswith("--") and "=" not in out[-1] and len(token) > 1 and token[0] == "-"
                and (token[1].isdigit() or token[1] == "." or token[1:].lower() in ("inf", "nan"))):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out
