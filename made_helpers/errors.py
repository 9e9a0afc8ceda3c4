"""The errors made_helpers raises on purpose, for the user to act on.

Every one derives from :class:`MadeError`; the command line (:mod:`made_helpers.cli`) prints
these as one line without a traceback. Any other exception escaping the package is a bug in it,
and keeps its traceback. :class:`UserInputError` and :class:`UserTypeError` are also a
``ValueError`` and a ``TypeError``, so ``except ValueError`` keeps catching them.
"""

from __future__ import annotations

__all__ = ["MadeError", "UserInputError", "UserTypeError"]


class MadeError(Exception):
    """Base of the errors made_helpers raises on purpose: the message says what is wrong and what to do."""


class UserInputError(MadeError, ValueError):
    """A value, setting or file the package refuses; the message names the parameter or the file."""


class UserTypeError(MadeError, TypeError):
    """An argument of the wrong type; the message names the parameter and the type it got."""
