"""The errors made_helpers raises on purpose (the CLI prints them in one line; anything else is a bug)."""

from __future__ import annotations

__all__ = ["MadeError", "SavedMasksMismatch", "UsageError", "UserInputError", "UserTypeError", "first_line"]


class MadeError(Exception):
    """Base of the errors made_helpers raises on purpose: the message says what is wrong and what to do."""


class UserInputError(MadeError, ValueError):
    """A value, setting or file the package refuses; the message names the parameter or the file."""


class UserTypeError(MadeError, TypeError):
    """An argument of the wrong type; the message names the parameter and the type it got."""


class UsageError(UserInputError):
    """A command-line flag value that is valid alone but not with the others (exit status 2)."""


class SavedMasksMismatch(UserInputError):
    """The mask variables of a loaded model are not those its config rebuilds (``config.json`` edited, or the
    weights of another model). Keras reports an error raised while it loads a file as a new ``ValueError`` that
    keeps only the text, so the latest one stays in :attr:`latest` for a loader to recognise it by type."""

    latest: SavedMasksMismatch | None = None

    def __init__(self, *args) -> None:
        super().__init__(*args)
        SavedMasksMismatch.latest = self


def first_line(error: BaseException, limit: int = 300) -> str:
    """The first line of ``error``'s message, cut to ``limit`` characters (``...`` marks a cut)."""
    text = (str(error).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit] + "..."
