"""Shared pytest fixtures. Keep this file small; append fixtures at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root folder."""
NOTEBOOK_DIR = ROOT / "notebooks"
SERIES = ["01_vanilla_autoencoders", "02_nll_and_loss_functions", "03_autoregressive_property",
          "04_mask_construction", "05_training_made_on_mnist", "06_sampling_and_completion",
          "07_real_valued_made_and_flows", "08_flows_on_mnist"]
"""The notebooks of the series in reading order: ``notebooks/NAME.ipynb``, twin ``notebooks/py/NAME.py``."""
PROCESS_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
"""The environment of a real ``python -m made_helpers`` process (TensorFlow's start-up logs silenced)."""
MADE_COMMAND = [sys.executable, "-m", "made_helpers"]
"""``made`` as a real process of this interpreter."""


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed numpy, Python and Keras/TensorFlow before every test (weight init is reproducible)."""
    import keras

    keras.utils.set_random_seed(0)
    yield


@pytest.fixture
def sharpen():
    """``sharpen(model, scale=2.0, seed=0)``: redraw every kernel and bias as N(0, scale^2 / fan_in).

    A freshly initialised MADE is close to uniform; larger weights give a peaked
    distribution, so likelihood and sampling checks have power to detect errors.
    """
    from made_helpers.core.enumeration import sharpen_weights

    return sharpen_weights


def all_binary_vectors(dim: int) -> np.ndarray:
    """Every vector of ``{0,1}^dim``, shape ``(2**dim, dim)`` float32; ``x_d`` is bit ``d`` of the row number.

    The package's enumeration with the least significant bit first (the row codes of
    ``tests/test_model.py``'s ``_frequencies``).
    """
    from made_helpers.core.enumeration import all_binary_vectors as enumerate_binary

    return enumerate_binary(dim, bitorder="little")


@pytest.fixture
def binary_vectors():
    """The function :func:`all_binary_vectors`."""
    return all_binary_vectors


CHROMIUM = os.environ.get("MADE_CHROMIUM", "/usr/bin/chromium")
"""The headless browser the JupyterLab and book tests drive (Debian's ``chromium``)."""


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (no Chromium, no Playwright), or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"no Chromium at {CHROMIUM}: install Debian's package with `apt-get install chromium` "
                "(.ci/run does this) or point $MADE_CHROMIUM at a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: `pip install -e '.[test]'` (or `pip install playwright`)"
    return None


TINY_RUN = ["--data", "fallback", "--no-jit", "--limit", "100", "--hidden", "8", "--epochs", "1", "--verbose", "0"]
"""``made train`` flags of the smallest real run (the fallback data shipped with the package), without XLA
compilation (seconds per run, and the step computes the same)."""
RUN_ARTEFACTS = ("checkpoint.npz", "history.json", "model.keras", "train_summary.json")
"""What ``made train`` writes into ``--out``."""


def made_process(*argv, timeout: float = 240) -> subprocess.CompletedProcess:
    """``made ARGV`` in a real process, run from the repository root (``returncode``, ``stdout``, ``stderr``)."""
    return subprocess.run([*MADE_COMMAND, *map(str, argv)], cwd=ROOT, env=PROCESS_ENV, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by relative path: to show that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(capsys, *argv) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``made ARGV`` run in-process."""
    from made_helpers.experiments.cli import main

    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:           # argparse errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str, *needles: str) -> str:
    """The one error line of ``err``, asserted to be one line, no traceback, holding each of ``needles``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error:" in lines[0] and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished tiny run (:data:`TINY_RUN`) in a folder named ``base``; copy it before changing it."""
    from made_helpers.experiments.cli import main

    run = tmp_path_factory.mktemp("runs") / "base"
    assert main(["train", *TINY_RUN, "--out", str(run)]) == 0
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path):
    """A copy of :func:`finished_run` to change (``tmp_path / "base"``)."""
    import shutil

    dst = tmp_path / "base"
    shutil.copytree(finished_run, dst)
    return dst


def rewrite_keras(src, dst, weights_from=None, **config_changes):
    """A copy of the .keras file ``src``: entries of its config replaced, or its weights taken from another file."""
    import json
    import zipfile

    other = zipfile.ZipFile(weights_from) if weights_from else None
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            raw = zin.read(item.filename)
            if item.filename == "config.json":
                cfg = json.loads(raw)
                cfg["config"].update(config_changes)
                raw = json.dumps(cfg).encode()
            elif item.filename == "model.weights.h5" and other is not None:
                raw = other.read(item.filename)
            zout.writestr(item, raw)
    return dst


TINY_BINARIZED_RUN = ["--data", "binarized", *TINY_RUN[2:]]
""":data:`TINY_RUN` on Larochelle's binarized MNIST (``$MADE_DATA_DIR``) instead of the fallback data."""


@pytest.fixture(scope="module")
def other_run(tmp_path_factory) -> Path:
    """A second tiny run, another seed: another model of the same architecture as :func:`finished_run`."""
    from made_helpers.experiments.cli import main

    run = tmp_path_factory.mktemp("runs") / "other"
    assert main(["train", *TINY_RUN, "--seed", "1", "--out", str(run)]) == 0
    return run


def one_line(error: BaseException, *needles: str) -> str:
    """The message of ``error``, asserted to be one line holding every needle."""
    msg = str(error)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def sharpen_density(model, scale: float = 1.0, seed: int = 0):
    """Redraw a real-valued density's trainable weights: kernels N(0, scale^2 / fan_in), the rest N(0, 0.3^2).

    A density with some shape (scale about 1); with scale 3 the scales lie far from 1, so extreme inputs overflow.
    """
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        std = scale / np.sqrt(v.shape[0]) if "kernel" in v.path else 0.3
        v.assign(rng.normal(0, std, v.shape).astype("float32"))
    return model


def autodiff_log_det(fn, x: np.ndarray) -> np.ndarray:
    """``log|det d fn(x)_i / d x_i|`` per row ``(batch,)`` from the full autodiff Jacobian (rows independent)."""
    import tensorflow as tf

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        u = fn(xt)
    jac = tape.batch_jacobian(u, xt).numpy().astype(np.float64)            # (batch, D, D)
    return np.linalg.slogdet(jac)[1]


X3 = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
"""20 real-valued rows of width 3, for the bad-argument checks of :func:`made` and :func:`maf`."""


@pytest.fixture(scope="module")
def made():
    """A GaussianMADE of D = 3 (one hidden layer of 8)."""
    from made_helpers import GaussianMADE

    return GaussianMADE(3, [8], seed=0)


@pytest.fixture(scope="module")
def maf():
    """A MAF of D = 3 with two MADE layers."""
    from made_helpers import MAF

    return MAF(3, [8], num_layers=2, seed=0)


def make_2d(kind: str):
    """An untrained 2-D flow: ``realnvp_bn`` (Real NVP with batch norm), ``maf_bn`` or ``maf_mog``."""
    from made_helpers import MAF, RealNVP

    if kind == "realnvp_bn":
        return RealNVP(2, [16, 16], num_layers=4, seed=7, batch_norm=True)
    if kind == "maf_bn":
        return MAF(2, [16, 16], num_layers=3, seed=8, batch_norm=True)
    return MAF(2, [16, 16], num_layers=2, seed=9, num_components=3)


@pytest.fixture(scope="session")
def trained():
    """Each of :func:`make_2d`'s flows trained for 2 epochs on two moons: ``{kind: (model, NLL before, history)}``.

    Trained once for the session; the tests only read the models."""
    from made_helpers import fit_density
    from made_helpers.density import toy2d

    data = toy2d.two_moons(800, seed=0)
    out = {}
    for kind in ("realnvp_bn", "maf_bn", "maf_mog"):
        model = make_2d(kind)
        before = float(-model.log_prob(data[600:]).mean())
        history = fit_density(model, data[:601], data[600:], epochs=2, batch_size=100, learning_rate=3e-3,
                              verbose=False)
        out[kind] = model, before, history
    return out


def interrupted_during_import(*args, **kwargs):
    """Stand-in for a command's work: a Ctrl-C inside a compiled extension's start-up, as Python sees it
    (``ImportError("initialization failed")`` raised from the ``KeyboardInterrupt``, as pybind11 does)."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as stop:
        raise ImportError("initialization failed") from stop
