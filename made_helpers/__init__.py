"""made_helpers: the tested code behind the MADE tutorial series; submodules are imported on first use."""

import os as _os
from importlib import metadata as _metadata

if not _os.environ.get("KERAS_BACKEND"):          # unset or empty; any other value: environment.check_keras_backend
    _os.environ["KERAS_BACKEND"] = "tensorflow"
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["MADE", "layers", "losses", "masks", "model", "data", "evaluate", "train"]
__all__ += ["MAF", "GaussianMADE", "fit_density", "flows", "gaussian_made", "density_fit", "toy2d",
            "logit_space"]                                     # notebook 07: real-valued MADE, MAF
__all__ += ["RealNVP", "BatchNormFlow", "realnvp", "batch_norm"]   # notebook 08: the MAF paper's models
_FROM = {"MADE": "model", "MAF": "flows", "GaussianMADE": "gaussian_made", "fit_density": "density_fit",
         "RealNVP": "realnvp", "BatchNormFlow": "batch_norm"}          # names imported from a submodule


def __getattr__(name: str):
    """Import ``MADE`` and the submodules on first use (PEP 562), so the CLI starts without TensorFlow."""
    import importlib
    import importlib.util

    if name in _FROM:
        return getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
    if name in __all__ or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)      # any submodule: made_helpers.plotting
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:                                        # one source of truth: [project] version in pyproject.toml
    __version__ = _metadata.version("made-tutorial")
except _metadata.PackageNotFoundError:      # imported from a checkout that was never pip-installed
    __version__ = "0+unknown"
