"""How a command stops: Ctrl-C (SIGINT) and ``kill`` (SIGTERM) both raise ``KeyboardInterrupt`` in the main thread,
so the same clean-up runs (a training keeps its last checkpoint), and the exit status says which signal it was."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, ``docker stop``), raised like Ctrl-C so that the same clean-up runs."""


def _terminate(signum, frame):
    raise Terminated()


def interruption(error: BaseException) -> KeyboardInterrupt | None:
    """The ``KeyboardInterrupt`` behind ``error``: itself, or one in its chain of causes and contexts. A Ctrl-C
    that arrives while a compiled extension initialises (TensorFlow's import) reaches Python as
    ``ImportError: initialization failed`` raised from it (pybind11), not as the interrupt itself."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def exit_status(error: KeyboardInterrupt) -> int:
    """The shell's status of a command stopped by ``error``: 143 for SIGTERM, 130 for SIGINT."""
    return 128 + (signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT)


@contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated`; a SIGINT that was ignored is taken back (a command started with ``&`` in
    a script, without job control, starts with SIGINT ignored, so ``kill -INT`` did nothing). Restored on exit;
    outside the main thread the handlers stay as they are."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
        ignored_int = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        if ignored_int:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:                                # not the main thread
        previous, ignored_int = None, False
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if ignored_int:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the body runs, then raise the first that came (``KeyboardInterrupt`` or
    :class:`Terminated`). For TensorFlow's import: a Ctrl-C that lands inside its compiled start-up is printed and
    dropped there, or surfaces as ``ImportError`` (see :func:`interruption`). Outside the main thread, a no-op."""
    held: list[int] = []
    try:
        previous = {s: signal.signal(s, lambda signum, frame: held.append(signum))
                    for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:                                # not the main thread
        previous = {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if held:
        raise Terminated() if held[0] == signal.SIGTERM else KeyboardInterrupt()
