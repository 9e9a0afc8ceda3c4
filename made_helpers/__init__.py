"""made_helpers: the tested code behind the MADE tutorial series.

The layout is the architecture (each part imports only the parts listed before it):

* the package root: what every part shares (errors, argument checks, files, MNIST, run folders);
* :mod:`made_helpers.core`: the binary MADE a learner reads: masks, masked layers, the model, losses, training,
  completion, plots and widgets (notebooks 01-06);
* :mod:`made_helpers.density`: the real-valued family: Gaussian MADE, MAF, Real NVP, batch norm, their fitting
  (notebooks 07-08);
* :mod:`made_helpers.experiments`: the command line (``made``), results files, the paper-table experiments and
  the explorers of trained runs;
* :mod:`made_helpers.exercises`: the checks of the nbgrader exercises.

The names below are imported on first use (PEP 562), so that the command line starts without TensorFlow.
"""

import os as _os
from importlib import metadata as _metadata

if not _os.environ.get("KERAS_BACKEND"):          # unset or empty; any other value: environment.check_keras_backend
    _os.environ["KERAS_BACKEND"] = "tensorflow"
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_FROM = {"MADE": "core.model", "train": "core.train", "MAF": "density.flows", "GaussianMADE": "density.gaussian_made",
         "RealNVP": "density.realnvp", "BatchNormFlow": "density.batch_norm",
         "fit_density": "density.density_fit"}          # the models and trainers, from the module that defines them
__all__ = [*_FROM, "core", "density", "experiments", "exercises"]


def __getattr__(name: str):
    """Import ``MADE`` ... and the submodules on first use (PEP 562)."""
    import importlib
    import importlib.util

    if name in _FROM:
        return getattr(importlib.import_module(f".{_FROM[name]}", __name__), name)
    if name in __all__ or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)      # any submodule: made_helpers.core.plotting
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:                                        # one source of truth: [project] version in pyproject.toml
    __version__ = _metadata.version("made-tutorial")
except _metadata.PackageNotFoundError:      # imported from a checkout that was never pip-installed
    __version__ = "0+unknown"
