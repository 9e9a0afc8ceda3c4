"""The errors made_helpers raises on purpose (the CLI prints them in one line; anything else is a bug)."""

from __future__ import annotations

__all__ = ["MadeError", "UserInputError", "UserTypeError"]


class MadeError(Exception):
    """Base of the errors made_helpers raises on purpose: the message says what is wrong and what to do."""


class UserInputError(MadeError, ValueError):
    """A value, setting or file the package refuses; the message names the parameter or the file."""


class UserTypeError(MadeError, TypeError):
    """An argument of the wrong type; the message names the parameter and the type it got."""
