"""made_helpers: the tested code behind the MADE tutorial series.

Submodules: ``masks`` (degrees and masks, numpy), ``layers`` (``MaskedDense``),
``model`` (``MADE``), ``losses`` (negative log-likelihoods).
"""

import os as _os
from importlib import metadata as _metadata

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import layers, losses, masks, model  # noqa: E402
from .model import MADE  # noqa: E402
from . import data, evaluate, train  # noqa: E402  (data loaders, training loop, test NLL)

__all__ = ["MADE", "layers", "losses", "masks", "model", "data", "evaluate", "train"]

try:                                        # one source of truth: [project] version in pyproject.toml
    __version__ = _metadata.version("made-tutorial")
except _metadata.PackageNotFoundError:      # imported from a checkout that was never pip-installed
    __version__ = "0+unknown"
