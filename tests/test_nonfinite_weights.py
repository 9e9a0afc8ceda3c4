"""Non-finite weights are refused, naming the layer, wherever a model is used or loaded (a ReLU turns a NaN layer
into zeros, so such a model gives plausible numbers of another distribution), and the JSON the package writes is
strict (no ``NaN`` tokens). Issue 28, class 2."""

from __future__ import annotations

import json
import math
import shutil

import keras
import numpy as np
import pytest
from conftest import TINY_RUN, cli, one_line, one_line_error, snapshot

from made_helpers import MADE, MAF, GaussianMADE
from made_helpers.atomic import write_json
from made_helpers.checks import check_finite_weights
from made_helpers.errors import UserInputError
from made_helpers.experiments.run_folder import save_model


def _nan(variable) -> None:
    variable.assign(np.full(variable.shape, np.nan, np.float32))


@pytest.mark.parametrize("where", ["hidden kernel", "output bias"])
def test_made_refuses_nan_weights_in_log_prob_sample_and_complete(where, binary_vectors):
    """P106 (a NaN hidden kernel gave finite numbers), P107 (a NaN output bias sampled zeros), P121 (NaN out)."""
    made = MADE(6, [8], seed=0)
    variable = made.hidden_layers[0].kernel if where == "hidden kernel" else made.output_layer.bias
    _nan(variable)
    x = binary_vectors(6)[:3]
    for call in (lambda: made.log_prob(x), lambda: made.sample(3, seed=0),
                 lambda: made.complete(x, np.arange(6) < 3, seed=0)):
        with pytest.raises(UserInputError) as info:
            call()
        message = str(info.value)
        assert "\n" not in message and "NaN or inf weight(s)" in message and variable.path in message


def test_gaussian_made_shares_the_check_and_names_the_hidden_layer():
    """A NaN hidden layer of a real-valued model is refused too, though its output stays finite."""
    model = GaussianMADE(2, [8], seed=0)
    kernel = [v for v in model.weights if "hidden" in v.path and "kernel" in v.path][0]
    _nan(kernel)
    with pytest.raises(ValueError, match=f"has 16 NaN or inf weight\\(s\\), in {kernel.path}"):
        model.log_prob(np.zeros((2, 2)))


def test_check_finite_weights_passes_a_sound_model():
    check_finite_weights(MADE(4, [5], seed=0), "test")


def test_strict_json_refuses_nan(tmp_path):
    """The package's one JSON writer writes no non-standard ``NaN`` token (K008's results file held one)."""
    with pytest.raises(ValueError, match="holds NaN or infinity"):
        write_json(tmp_path / "r.json", {"test_nll": math.nan})
    assert not list(tmp_path.iterdir())
    write_json(tmp_path / "r.json", {"test_nll_se": None})
    assert json.loads((tmp_path / "r.json").read_text()) == {"test_nll_se": None}


@pytest.fixture(scope="module")
def nan_models(finished_run, tmp_path_factory):
    """``{name: .keras file}``: the finished run's model with its first hidden kernel or its output bias NaN."""
    folder = tmp_path_factory.mktemp("nan_models")
    files = {}
    for name, pick in (("nanhidden", lambda m: m.hidden_layers[0].kernel), ("nanbias", lambda m: m.output_layer.bias)):
        model = keras.saving.load_model(finished_run / "model.keras", compile=False)
        _nan(pick(model))
        save_model(model, folder / f"{name}.keras")
        files[name] = folder / f"{name}.keras"
    return files


def test_cli_refuses_nan_models_before_any_output(nan_models, tmp_path, capsys):
    """K008/K009 (evaluate: a plausible 498.922 or 'nan ± nan' with NaN written to JSON) and K010 (sample: a PNG of
    zeros): one line naming the file and the layer, exit 1, nothing written."""
    for argv, layer in ((["evaluate", "--model", nan_models["nanhidden"], "--limit", "5", "--json",
                          tmp_path / "r.json"], "hidden_0/kernel"),
                        (["sample", "--model", nan_models["nanbias"], "--n", "2", "--out", tmp_path / "s.png"],
                         "output/bias")):
        rc, out, err = cli(capsys, *argv)
        assert rc == 1
        one_line_error(err, str(argv[2]), "NaN or inf weight(s)", layer)
        assert "NLL" not in out
    assert not list(tmp_path.iterdir())


def test_resume_from_a_nan_checkpoint_is_refused_and_the_model_kept(finished_run, tmp_path, capsys):
    """K019 (a finished run rewrote model.keras from NaN weights, exit 0) and K020 (blamed the learning rate)."""
    run = tmp_path / "ck_nank"
    shutil.copytree(finished_run, run)
    with np.load(run / "checkpoint.npz") as z:
        arrays = dict(z)
    kernel = next(i for i in range(20) if arrays[f"model_{i}"].ndim == 2 and arrays[f"model_{i}"].shape[1] == 8)
    for prefix in ("model", "best"):
        arrays[f"{prefix}_{kernel}"] = np.full_like(arrays[f"{prefix}_{kernel}"], np.nan)
    np.savez(run / "checkpoint.npz", **arrays)
    before = snapshot(run)
    epochs = TINY_RUN.index("--epochs") + 1
    for more in ("1", "3"):                        # the finished run, and one that would train on
        argv = [*TINY_RUN[:epochs], more, *TINY_RUN[epochs + 1:]]
        rc, out, err = cli(capsys, "train", *argv, "--resume", "--out", run)
        assert rc == 1
        one_line_error(err, "checkpoint.npz: the checkpoint is damaged", f"model_{kernel}", "hidden_0/kernel",
                       "NaN or inf")
        assert "learning rate" not in err and "best valid NLL" not in out
        assert snapshot(run) == before


def test_training_refuses_a_model_that_is_nan_before_it_starts():
    """A model whose weights were NaN before training (assigned, or loaded from a damaged file) was trained until the
    loss was NaN, then blamed on the learning rate ('Lower the learning rate (now 0.001)', the K020 class): train
    and fit_density refuse it first, naming the layer."""
    from made_helpers import fit_density
    from made_helpers.core.train import train
    from made_helpers.density import toy2d

    made = MADE(6, [8], seed=0)
    _nan(made.hidden_layers[0].kernel)
    x = np.random.default_rng(0).integers(0, 2, (20, 6)).astype("float32")
    with pytest.raises(UserInputError, match=r"^train: the model made.* in made.*/hidden_0/kernel .*cannot repair"):
        train(made, x, x, epochs=1, verbose=0, jit_compile=False)
    density = GaussianMADE(2, [4], seed=0)
    density.log_prob(np.zeros((1, 2)))                  # built
    _nan(density.hidden_layers[0].kernel)
    x2 = toy2d.two_moons(50)
    with pytest.raises(UserInputError, match=r"^fit_density: .*hidden_0/kernel .*cannot repair"):
        fit_density(density, x2, x2, epochs=1, batch_size=25, verbose=False, jit_compile=False)


# ----------------------------------------------------------------------------- GaussianMADE and MAF
def test_nan_weights_are_blamed_on_the_model_not_the_input():
    for model in (GaussianMADE(2, [8], seed=0), MAF(2, [8], num_layers=2, seed=0)):
        bias = [v for v in model.trainable_variables if "output" in v.path and "bias" in v.path][0]
        bias.assign(np.full(bias.shape, np.nan, np.float32))
        for method, arg in (("sample", 2), ("inverse", np.zeros((1, 2))), ("log_prob", np.zeros((1, 2)))):
            with pytest.raises(ValueError) as info:
                getattr(model, method)(arg)
            msg = one_line(info.value, f"the model {model.name} has 4 NaN or inf weight(s)")
            assert "rows of u" not in msg and "contains" not in msg
