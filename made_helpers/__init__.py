"""made_helpers: the tested code behind the MADE tutorial series.

Submodules: ``masks`` (degrees and masks, numpy), ``layers`` (``MaskedDense``),
``model`` (``MADE``), ``losses`` (negative log-likelihoods).
"""

import os as _os

_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import layers, losses, masks, model  # noqa: E402
from .model import MADE  # noqa: E402
from . import data, evaluate, train  # noqa: E402  (data loaders, training loop, test NLL)

__all__ = ["MADE", "layers", "losses", "masks", "model", "data", "evaluate", "train"]
__version__ = "0.1.0"
