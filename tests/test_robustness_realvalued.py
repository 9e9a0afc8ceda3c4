"""Issue 21, part B: the real-valued side (GaussianMADE, MAF, fit_density, logit_space, toy2d) refuses bad
input, edited model files and overflow with one line naming the parameter, and a diverged fit stops.

Numbered as in the issue: 8 (edited saved models), 13 (overflow in inverse, divergence in fit_density),
then the messages that left a user stuck and a table of bad arguments for every public function (with those of
issue 17 item 4: two degree groups, RealNVP and its Coupling, BatchNormFlow, MAF with batch norm or a MoG top).
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from made_helpers import MADE, MAF, BatchNormFlow, GaussianMADE, RealNVP, fit_density
from made_helpers.checks import check_nonnegative_float, check_real_array, check_real_batch
from made_helpers.core import masks as mk
from made_helpers.core.train import TrainingDivergedError
from made_helpers.density import logit_space, toy2d
from made_helpers.density.flows import gaussian_log_prob_baseline, layer_orderings
from made_helpers.density.realnvp import Coupling
from made_helpers.errors import UserInputError, UserTypeError

X3 = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")


def sharpen(model, scale: float = 3.0, seed: int = 0):
    """Kernels N(0, scale^2 / fan_in), biases N(0, 0.3^2): scales far from 1, so extreme inputs overflow."""
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        shape = v.shape
        std = scale / np.sqrt(shape[0]) if "kernel" in v.path else 0.3
        v.assign(rng.normal(0, std, shape).astype("float32"))
    return model


def one_line(error: BaseException, *needles: str) -> str:
    """The message of ``error``, asserted to be one line holding every needle."""
    msg = str(error)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


@pytest.fixture(scope="module")
def made():
    return GaussianMADE(3, [8], seed=0)


@pytest.fixture(scope="module")
def maf():
    return MAF(3, [8], num_layers=2, seed=0)


# ----------------------------------------------------------------------------- 8: edited saved models
def rewrite(src: Path, dst: Path, config: dict | None = None, mask_edit=None) -> Path:
    """A copy of the .keras file ``src``: config entries replaced, and ``mask_edit(mask) -> mask`` applied to the
    first stored mask (a 0/1 dataset named ``vars/2``) of the weights file."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            raw = zin.read(item.filename)
            if item.filename == "config.json" and config:
                cfg = json.loads(raw)
                cfg["config"].update(config)
                raw = json.dumps(cfg).encode()
            if item.filename == "model.weights.h5" and mask_edit is not None:
                buf = io.BytesIO(raw)
                with h5py.File(buf, "r+") as h5:
                    first = h5.visit(lambda name: name if name.endswith("vars/2") else None)
                    h5[first][...] = mask_edit(h5[first][()])
                raw = buf.getvalue()
            zout.writestr(item, raw)
    return dst


def refused_load(path: Path) -> str:
    """Load ``path``, expect the refusal, return the check's one line (Keras quotes it in its own message)."""
    with pytest.raises(ValueError, match="the saved mask is not the one rebuilt from") as info:
        keras.models.load_model(path)
    lines = [line for line in str(info.value).splitlines() if "the saved mask is not the one rebuilt" in line]
    assert lines, str(info.value)
    return lines[0]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    GaussianMADE(4, [16, 16], seed=3, ordering=[2, 0, 3, 1], name="g").save(folder / "made.keras")
    MAF(3, [8], num_layers=2, seed=1, name="maf").save(folder / "maf.keras")
    return folder


@pytest.mark.parametrize("kind,config,needles", [
    ("made", {"ordering": [0, 1, 2, 3]}, ["g/hidden_0", "ordering [0, 1, 2, 3]",
                                           "it encodes the ordering [2, 0, 3, 1]"]),
    ("made", {"ordering": "natural"}, ["ordering 'natural' -> [0, 1, 2, 3]", "encodes the ordering [2, 0, 3, 1]"]),
    ("made", {"hidden_degrees": "equal"}, ["hidden_degrees='equal'", "same ordering, other hidden-unit degrees"]),
    ("made", {"seed": 4}, ["seed=4", "entries differ"]),
    ("maf", {"permutation": "random"}, ["made_1/hidden_0", "the MAF maf's config (permutation='random', seed=1)",
                                        "encodes the ordering [2, 1, 0]"]),
    ("maf", {"seed": 2}, ["made_0/hidden_0", "permutation='reverse', seed=2"]),
])
def test_8_an_edited_config_is_refused_at_load(saved, tmp_path, kind, config, needles):
    line = refused_load(rewrite(saved / f"{kind}.keras", tmp_path / "edited.keras", config=config))
    for needle in needles:
        assert needle in line, (needle, line)
    assert line.endswith("the config or the weights were edited, or come from different models")


@pytest.mark.parametrize("edit,needle", [
    (lambda m: 1.0 - m, "it encodes the ordering [1, 3, 0, 2]"),      # the reversed ordering [1, 3, 0, 2]
    (lambda m: np.where(m == 1, 0.5, m), "it holds values other than 0 and 1"),
])
def test_8_an_edited_mask_in_the_weights_file_is_refused(saved, tmp_path, edit, needle):
    line = refused_load(rewrite(saved / "made.keras", tmp_path / "edited.keras", mask_edit=edit))
    assert line.startswith("g/hidden_0: ") and needle in line, line


def test_8_unedited_files_load_and_invert_exactly(saved):
    for kind in ("made", "maf"):
        model = keras.models.load_model(saved / f"{kind}.keras")
        x = np.random.default_rng(1).normal(size=(5, model.input_dim)).astype("float32")
        np.testing.assert_allclose(model.inverse(model.forward(x)[0].numpy()), x, atol=1e-5)


def test_8_check_saved_masks_names_the_layer_and_what_differs():
    model = GaussianMADE(4, [16, 16, 16], seed=3, name="g")
    model.check_saved_masks()                                              # its own masks pass
    middle = model.hidden_layers[1]
    middle.set_mask(np.ones(middle.mask.shape))
    with pytest.raises(ValueError) as info:
        model.check_saved_masks()
    one_line(info.value, "g/hidden_1", "the hidden-unit degrees differ")
    fresh = GaussianMADE(4, [16, 16, 16], seed=3, name="g")
    out = fresh.output_layer
    out.set_mask(out.mask.numpy()[:, ::-1])                          # the output columns of another ordering
    with pytest.raises(ValueError) as info:
        fresh.check_saved_masks()
    assert one_line(info.value, "encodes").startswith("g/output: ")


# ----------------------------------------------------------------------------- 13: overflow and divergence
def test_13_inverse_names_the_rows_of_u_that_overflow():
    made = sharpen(GaussianMADE(2, [8], seed=0))
    with pytest.raises(ValueError) as info:
        made.inverse(np.array([[0, 0], [3e38, -3e38]], np.float32))
    one_line(info.value, "inverse overflowed float32 (|value| > 3.4e+38)", "1 of 2 rows of u (row 1)")
    maf = sharpen(MAF(2, [8], num_layers=2, seed=0))
    with pytest.raises(ValueError, match=r"^inverse \(in layer made_\d\) overflowed float32") as info:
        maf.inverse(np.array([[0, 0], [1e37, 1e37], [0.5, 0.5]], np.float32))
    one_line(info.value, "rows of u (row 1)")
    assert np.all(np.isfinite(maf.inverse(np.array([[0.5, -0.5]], np.float32))))


def test_13_log_prob_refuses_nan_results_from_huge_finite_inputs():
    maf = sharpen(MAF(2, [8], num_layers=2, seed=0))
    with pytest.raises(ValueError) as info:
        maf.log_prob(np.array([[0.0, 0.0], [3e38, 3e38]]))
    one_line(info.value, "log_prob overflowed float32", "rows of x (row 1)")


def test_13_fit_density_stops_on_divergence_and_keeps_the_initial_weights():
    made = GaussianMADE(2, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    data = toy2d.ring(200)
    with pytest.raises(TrainingDivergedError) as info:
        fit_density(made, data, data[:50], epochs=3, learning_rate=1e35, verbose=False)
    one_line(info.value, "training stopped: the training loss", "in epoch 1", "initial weights",
             "Lower the learning rate (now 1e+35)")
    assert re.search(r"became (inf|nan)", str(info.value))
    for v, w in zip(made.weights, before):
        np.testing.assert_array_equal(v.numpy(), w)
    assert np.all(np.isfinite(made.sample(5, seed=1)))               # and sample does not blame anyone


def test_13_fit_density_keeps_the_best_epoch_before_the_divergence():
    calls = tf.Variable(0)

    class Exploding(GaussianMADE):
        """log p = -inf from the 4th evaluation on: epoch 1 is 2 steps and 1 validation, epoch 2 blows up."""

        def log_prob_tensor(self, x):
            calls.assign_add(1)
            lp = super().log_prob_tensor(x)
            return tf.where(calls > 3, lp - np.inf, lp)

    made = Exploding(2, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    data = toy2d.ring(200)
    with pytest.raises(TrainingDivergedError) as info:
        fit_density(made, data, data[:50], epochs=5, learning_rate=1e-2, verbose=False)
    one_line(info.value, "in epoch 2", "the weights of epoch 1, the best so far")
    assert all(np.all(np.isfinite(v.numpy())) for v in made.weights)
    assert any(not np.array_equal(v.numpy(), w) for v, w in zip(made.weights, before))   # epoch 1 was kept


def test_13_nan_weights_are_blamed_on_the_model_not_the_input():
    for model in (GaussianMADE(2, [8], seed=0), MAF(2, [8], num_layers=2, seed=0)):
        bias = [v for v in model.trainable_variables if "output" in v.path and "bias" in v.path][0]
        bias.assign(np.full(bias.shape, np.nan, np.float32))
        for method, arg in (("sample", 2), ("inverse", np.zeros((1, 2))), ("log_prob", np.zeros((1, 2)))):
            with pytest.raises(ValueError) as info:
                getattr(model, method)(arg)
            msg = one_line(info.value, f"the model {model.name} has 4 NaN or inf weight(s)")
            assert "rows of u" not in msg and "contains" not in msg


# ----------------------------------------------------------------------------- messages that left users stuck
def test_log_prob_of_values_beyond_float32_says_so(made):
    with pytest.raises(ValueError) as info:
        made.log_prob(np.full((2, 3), 1e39))
    one_line(info.value, "x has 6 value(s) too large for float32 (|value| > 3.403e+38)")


@pytest.mark.parametrize("kwargs,error,message", [
    ({"max_seconds": "5"}, ValueError, r"^max_seconds must be a number >= 0 \(inf allowed\), got str '5'$"),
    ({"max_seconds": math.nan}, ValueError, r"^max_seconds must be a number >= 0 .*got nan$"),
    ({"max_seconds": -1}, ValueError, r"^max_seconds must be a number >= 0 .*got -1$"),
    ({"x_valid": np.zeros((0, 3))}, ValueError, r"^x_valid is empty \(shape \(0, 3\)\)$"),
    ({"x_train": np.zeros((0, 3))}, ValueError, r"^x_train is empty"),
    ({"model": "MADE"}, TypeError, r"^model must be a real-valued density such as GaussianMADE or MAF"),
    ({"verbose": "no"}, ValueError, r"^verbose must be True or False"),
    ({"epochs": True}, ValueError, r"^epochs must be a positive integer, got bool True$"),
    ({"learning_rate": math.inf}, ValueError, r"^learning_rate must be a positive number"),
    ({"learning_rate": 1e-300}, ValueError, r"^learning_rate 1e-300 is 0 in float32"),
    ({"seed": -1}, ValueError, r"^seed must be an integer in 0\.\."),
])
def test_fit_density_refuses_bad_arguments_up_front(made, kwargs, error, message):
    args = {"model": made, "x_train": X3, "x_valid": X3[:5], "epochs": 1, "verbose": False, **kwargs}
    if args["model"] == "MADE":
        args["model"] = MADE(3, [8], seed=0)
    before = [v.numpy() for v in made.weights]
    with pytest.raises(error, match=message) as info:
        fit_density(**args)
    one_line(info.value)
    if error is TypeError:
        assert "train a binary MADE with made_helpers.core.train.train" in str(info.value)
    assert all(np.array_equal(v.numpy(), w) for v, w in zip(made.weights, before))     # nothing trained


def test_fit_density_accepts_an_infinite_time_limit(made):
    history = fit_density(made, X3, X3[:5], epochs=1, max_seconds=math.inf, verbose=False)
    assert history["stop_reason"] == "max_epochs" and len(history["valid_nll"]) == 1


@pytest.mark.parametrize("images,error,message", [
    (np.array([[0, 300]]), ValueError, r"^images must be integers in 0\.\.255, got values from 0 to 300$"),
    (np.array([[-1, 3]]), ValueError, r"^images must be integers in 0\.\.255, got values from -1 to 3$"),
    (np.zeros((0, 4), np.uint8), ValueError, r"^images is empty \(shape \(0, 4\)\)$"),
    (np.zeros(784, np.uint8), ValueError, r"^images must have shape \(N, 28, 28\) or \(N, D\).*images\[None\]"),
    (np.uint8(3), ValueError, r"^images must have shape"),
    (np.full((1, 4), 0.5), ValueError, r"^images must be integers in 0\.\.255 \(e\.g\. uint8\), got dtype float64"),
    ("abc", ValueError, r"^images must be integers in 0\.\.255 .*got dtype <U3$"),
    ([[1, 2], [3]], TypeError, r"^images must be an array of integers in 0\.\.255, got ragged rows$"),
])
def test_dequantize_names_the_real_problem(images, error, message):
    with pytest.raises(error, match=message) as info:
        logit_space.dequantize_to_logit(images)
    one_line(info.value)


def test_logit_space_accepts_lists():
    z = [[0, 1, 128, 255]]
    x = logit_space.dequantize_to_logit(z, seed=3)
    np.testing.assert_array_equal(x, logit_space.dequantize_to_logit(np.array(z, np.uint8), seed=3))
    log_det = logit_space.log_det_logit_to_unit(x.tolist())
    np.testing.assert_allclose(log_det, logit_space.log_det_logit_to_unit(x))
    np.testing.assert_allclose(logit_space.to_pixel_space([0.0], x.tolist()), logit_space.to_pixel_space([0.0], x))
    np.testing.assert_allclose(logit_space.logit_to_pixels(x.tolist()), logit_space.logit_to_pixels(x))
    np.testing.assert_allclose(logit_space.bits_per_pixel([-100.0], 4), logit_space.bits_per_pixel(-100.0, 4))
    assert logit_space.to_pixel_space([-np.inf], x)[0] == -np.inf        # a zero density stays one


# ----------------------------------------------------------------------------- every public function, bad input
def _grid_model():
    return GaussianMADE(2, [4], seed=0)


@functools.lru_cache(maxsize=None)
def _rnvp():
    """Issue 17 item 4's models, built once: a Real NVP with batch norm (D = 3)."""
    return RealNVP(3, [8], num_layers=2, seed=0, batch_norm=True)


BAD = [
    # constructors
    (lambda m, f: GaussianMADE(3, [8], activation="foo"), ValueError, "activation 'foo' is not a Keras activation"),
    (lambda m, f: GaussianMADE(3, [8], activation="softmax"), ValueError, "activation 'softmax' mixes the units"),
    (lambda m, f: GaussianMADE(3, [8], log_scale_bound=100), ValueError, "log_scale_bound must be below 88.72"),
    (lambda m, f: GaussianMADE(3, [8], log_scale_bound=math.nan), ValueError, "log_scale_bound must be a positive"),
    (lambda m, f: GaussianMADE(3, [8], num_components=True), ValueError, "num_components must be a positive"),
    (lambda m, f: GaussianMADE("3", [8]), TypeError, "input_dim must be an integer >= 2"),
    (lambda m, f: GaussianMADE(3, [8], seed=-1), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: GaussianMADE(3, [8], ordering=[0, 0, 1]), ValueError, "ordering is not a permutation"),
    (lambda m, f: MAF(3, [8], permutation=["reverse"]), ValueError, "permutation must be one of"),
    (lambda m, f: MAF(3, [8], permutation=np.array([1, 2])), ValueError, "permutation must be one of"),
    (lambda m, f: MAF(3, [8], activation="foo"), ValueError, "activation 'foo' is not a Keras activation"),
    (lambda m, f: MAF(3, [8], num_layers=True), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: MAF(3, [8], seed=1.5), TypeError, "seed must be an integer"),
    (lambda m, f: MAF(3, [8], hidden_degrees="x"), ValueError, "hidden_degrees must be one of"),
    (lambda m, f: layer_orderings(0, 2), ValueError, "input_dim must be an integer >= 2"),
    (lambda m, f: layer_orderings(3, -1), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: layer_orderings(3, 2, "random", seed=-3), ValueError, "seed must be an integer"),
    # GaussianMADE / MAF data
    (lambda m, f: m.log_prob(np.zeros((0, 3))), ValueError, "x is empty (shape (0, 3))"),
    (lambda m, f: f.log_prob(np.zeros((0, 3))), ValueError, "x is empty (shape (0, 3))"),
    (lambda m, f: m.log_prob([["a", "b", "c"]]), TypeError, "x must hold real numbers, got dtype <U1"),
    (lambda m, f: m.log_prob(np.array([["1", "2", "3"]])), TypeError, "x must hold real numbers"),
    (lambda m, f: m.log_prob(np.ones((2, 3), complex)), TypeError, "x must hold real numbers, got dtype complex128"),
    (lambda m, f: m.log_prob([[1, 2, 3], [1, 2]]), TypeError, "x must be an array of real numbers"),
    (lambda m, f: m.log_prob(None), TypeError, "x must be an array of real numbers, got None"),
    (lambda m, f: m.log_prob(np.zeros((2, 3, 1))), ValueError, "x must have shape (batch, 3), got shape (2, 3, 1)"),
    (lambda m, f: f.log_prob(np.full((2, 3), 1e39)), ValueError, "x has 6 value(s) too large for float32"),
    (lambda m, f: m.log_prob(X3, batch_size=True), ValueError, "batch_size must be a positive integer"),
    (lambda m, f: m.forward(np.full((2, 3), np.nan)), ValueError, "x contains 6 NaN or inf value(s)"),
    (lambda m, f: m.forward("abc"), TypeError, "x must hold real numbers"),
    (lambda m, f: f.forward(np.zeros((2, 4))), ValueError, "x must have width D=3, got shape (2, 4)"),
    (lambda m, f: m.gaussian_params(np.zeros((0, 3))), ValueError, "x is empty"),
    (lambda m, f: m.mixture_params(np.zeros(3)), ValueError, "x must have shape (batch, 3), got shape (3,)"),
    (lambda m, f: m.log_conditionals(np.full((1, 3), np.inf)), ValueError, "x contains 3 NaN or inf"),
    (lambda m, f: m.inverse(np.zeros((0, 3))), ValueError, "u is empty"),
    (lambda m, f: f.inverse(np.full((1, 3), np.nan)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: f.inverse([[1, 2]]), ValueError, "u must have width D=3"),
    (lambda m, f: m.sample(True), ValueError, "n must be a positive integer, got bool True"),
    (lambda m, f: f.sample(2.0), ValueError, "n must be a positive integer, got float 2.0"),
    (lambda m, f: m.sample(2, seed="a"), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: m.complete(X3[:2], [0, 2, 1]), ValueError, "observed must be a boolean (or 0/1) array"),
    (lambda m, f: m.complete(X3[:2], "abc"), ValueError, "observed must be a boolean (or 0/1) array"),
    (lambda m, f: m.complete(X3[:2], [[True, False, False]]), ValueError, "observed must have shape (3,) or (2, 3)"),
    (lambda m, f: m.complete(np.full(3, np.nan), [True, False, False]), ValueError, "x contains 3 NaN or inf"),
    (lambda m, f: m.complete(np.zeros((0, 3)), [True, False, False]), ValueError, "x is empty"),
    (lambda m, f: gaussian_log_prob_baseline(X3[:1], X3), ValueError, "x_train needs at least 2 rows"),
    (lambda m, f: gaussian_log_prob_baseline(X3, np.zeros((2, 4))), ValueError, "x_test must have width D=3"),
    (lambda m, f: gaussian_log_prob_baseline(X3, np.full((2, 3), np.nan)), ValueError, "x_test contains 6 NaN"),
    # issue 17 item 4: two degree groups, Real NVP, batch norm for flows, MAF MoG
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[1, 1, 1]), ValueError,
     "input_degrees must be integers in 1..3 with at least two distinct values, got [1, 1, 1]"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[1, 2]), ValueError,
     "input_degrees must be a list of 3 degrees (one per input), got shape (2,)"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=[0, 1, 2]), ValueError, "input_degrees must be integers in 1..3"),
    (lambda m, f: GaussianMADE(3, [8], input_degrees=["a", "b", "c"]), ValueError, "input_degrees must hold integers"),
    (lambda m, f: GaussianMADE(3, [8], ordering="reversed", input_degrees=[1, 2, 2]), ValueError,
     "input_degrees replaces ordering"),
    (lambda m, f: mk.make_degrees(3, [4], inputs=[1, 5, 2]), ValueError, "inputs must be integers in 1..3"),
    (lambda m, f: mk.make_mask_degrees(3, [4], "random", mask_kind="full", inputs=[1, 2, 2]), ValueError,
     "inputs (input degrees given explicitly) need mask_kind='connectivity'"),
    (lambda m, f: mk.coupling_degrees(1), ValueError, "input_dim must be an integer >= 2"),
    (lambda m, f: RealNVP(3, [8], num_layers=0), ValueError, "num_layers must be a positive integer"),
    (lambda m, f: RealNVP(3, [8], batch_norm="yes"), TypeError, "batch_norm must be True or False, got str 'yes'"),
    (lambda m, f: RealNVP(3, [8], seed=-2), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: RealNVP(3, [8], log_scale_bound=0), ValueError, "log_scale_bound must be a positive number"),
    (lambda m, f: RealNVP(3, [8], activation="softmax"), ValueError, "activation 'softmax' mixes the units"),
    (lambda m, f: RealNVP(3, []), ValueError, "hidden_sizes is empty"),
    (lambda m, f: Coupling(3, [8], flip=1), TypeError, "flip must be True or False, got 1"),
    (lambda m, f: MAF(3, [8], batch_norm=1), TypeError, "batch_norm must be True or False, got 1"),
    (lambda m, f: MAF(3, [8], num_components=0), ValueError, "num_components must be a positive integer"),
    (lambda m, f: BatchNormFlow(0), ValueError, "input_dim must be a positive integer, got 0"),
    (lambda m, f: BatchNormFlow(3, momentum=1.0), ValueError, "momentum must be below 1"),
    (lambda m, f: BatchNormFlow(3, momentum=-0.1), ValueError, "momentum must be a number >= 0, got -0.1"),
    (lambda m, f: BatchNormFlow(3, epsilon=0), ValueError, "epsilon must be a positive number, got 0"),
    (lambda m, f: BatchNormFlow(3).forward(np.zeros(3)), ValueError, "x must have shape (batch, 3)"),
    (lambda m, f: BatchNormFlow(3).forward(X3, training="yes"), TypeError, "training must be True or False"),
    (lambda m, f: BatchNormFlow(3).inverse(np.full((1, 3), np.nan)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: BatchNormFlow(3).set_statistics(np.zeros((0, 3))), ValueError, "x is empty"),
    (lambda m, f: _rnvp().log_prob(np.zeros((2, 4))), ValueError, "x must have width D=3"),
    (lambda m, f: _rnvp().forward(X3, training=None), TypeError, "training must be True or False, got NoneType"),
    (lambda m, f: _rnvp().inverse(np.full((1, 3), np.inf)), ValueError, "u contains 3 NaN or inf"),
    (lambda m, f: _rnvp().sample(0), ValueError, "n must be a positive integer, got 0"),
    (lambda m, f: _rnvp().set_batch_norm_statistics(X3, batch_size=0), ValueError, "batch_size must be a positive"),
    (lambda m, f: _rnvp().set_batch_norm_statistics("abc"), TypeError, "x must hold real numbers"),
    (lambda m, f: _rnvp().couplings[0].forward([[1, 2]]), ValueError, "x must have width D=3"),
    (lambda m, f: _rnvp().couplings[0].inverse(None), TypeError, "u must be an array of real numbers, got None"),
    (lambda m, f: fit_density(_rnvp(), X3, X3, batch_size=1), ValueError,
     "batch_size must be at least 2 for a model with batch normalisation"),
    # logit space
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], seed=-1), ValueError, "seed must be an integer"),
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], lam=0.7), ValueError, "lam must be below 0.5"),
    (lambda m, f: logit_space.dequantize_to_logit([[1, 2]], lam=0), ValueError, "lam must be a positive number"),
    (lambda m, f: logit_space.log_det_logit_to_unit(np.zeros(3)), ValueError, "x must have shape (batch, D)"),
    (lambda m, f: logit_space.log_det_logit_to_unit([[np.nan, 1.0]]), ValueError, "x contains 1 NaN or inf"),
    (lambda m, f: logit_space.log_det_logit_to_unit(np.zeros((0, 2))), ValueError, "x is empty"),
    (lambda m, f: logit_space.to_pixel_space([1.0, 2.0], [[0.0, 1.0]]), ValueError,
     "log_p_logit must have shape (1,), one value per row of x, got shape (2,)"),
    (lambda m, f: logit_space.to_pixel_space([np.nan], [[0.0, 1.0]]), ValueError, "log_p_logit contains 1 NaN"),
    (lambda m, f: logit_space.to_pixel_space([0.0], "ab"), TypeError, "x must hold real numbers"),
    (lambda m, f: logit_space.logit_to_pixels([np.nan]), ValueError, "x contains 1 NaN value(s)"),
    (lambda m, f: logit_space.logit_to_pixels([]), ValueError, "x is empty (shape (0,))"),
    (lambda m, f: logit_space.logit_to_pixels("a"), TypeError, "x must hold real numbers"),
    (lambda m, f: logit_space.bits_per_pixel(-1.0, 0), ValueError, "input_dim must be a positive integer, got 0"),
    (lambda m, f: logit_space.bits_per_pixel(-1.0, True), ValueError, "input_dim must be a positive integer"),
    (lambda m, f: logit_space.bits_per_pixel(np.nan, 784), ValueError, "log_p_pixel contains 1 NaN or +inf"),
    # toy2d
    (lambda m, f: toy2d.two_moons(5, seed=-1), ValueError, "seed must be an integer in 0.."),
    (lambda m, f: toy2d.two_moons(5, noise=np.nan), ValueError, "noise must be a number >= 0, got nan"),
    (lambda m, f: toy2d.two_moons(0), ValueError, "n must be a positive integer, got 0"),
    (lambda m, f: toy2d.ring(5, width=-1), ValueError, "width must be a number >= 0, got -1"),
    (lambda m, f: toy2d.ring(5, radius="2"), ValueError, "radius must be a positive number, got str '2'"),
    (lambda m, f: toy2d.ring(True), ValueError, "n must be a positive integer, got bool True"),
    (lambda m, f: toy2d.checkerboard(5, cells=3), ValueError, "cells must be even"),
    (lambda m, f: toy2d.checkerboard(5, cells=0), ValueError, "cells must be an integer >= 2, got 0"),
    (lambda m, f: toy2d.checkerboard(5, size=0), ValueError, "size must be a positive number, got 0"),
    (lambda m, f: toy2d.sample_toy(["ring"], 5), ValueError, "name must be one of"),
    (lambda m, f: toy2d.sample_toy("ring", 2.5), ValueError, "n must be a positive integer, got float 2.5"),
    (lambda m, f: toy2d.grid_log_density(m), TypeError, "model must be a density of 2-D points"),
    (lambda m, f: toy2d.grid_log_density(_grid_model(), n=1), ValueError, "n must be an integer >= 2, got 1"),
    (lambda m, f: toy2d.grid_log_density(_grid_model(), lim=-1), ValueError, "lim must be a positive number"),
    (lambda m, f: toy2d.grid_mass(np.zeros((1, 1)), [0.0]), ValueError, "xs must be a 1-D array of at least 2"),
    (lambda m, f: toy2d.grid_mass(np.zeros((2, 3)), [0.0, 1.0]), ValueError, "log_p must have shape (2, 2)"),
    (lambda m, f: toy2d.grid_mass(np.full((2, 2), np.nan), [0.0, 1.0]), ValueError, "log_p contains 4 NaN"),
    (lambda m, f: toy2d.grid_mass(np.zeros((3, 3)), [0.0, 1.0, 3.0]), ValueError, "xs must be increasing and equally"),
    (lambda m, f: toy2d.grid_mass(np.zeros((2, 2)), ["a", "b"]), TypeError, "xs must hold real numbers"),
]


@pytest.mark.parametrize("call,error,message", BAD, ids=[f"{i:02d}-{m[:30]}" for i, (_, _, m) in enumerate(BAD)])
def test_every_public_function_refuses_bad_input_in_one_line(made, maf, call, error, message):
    with pytest.raises(error) as info:
        call(made, maf)
    ours = {ValueError: UserInputError, TypeError: UserTypeError}[error]      # the package's kind of that error
    assert type(info.value) in (error, ours), type(info.value)
    msg = one_line(info.value, message)
    assert msg.startswith(message.split()[0]), msg               # the message opens with the parameter's name


def test_the_shared_checks():
    assert check_nonnegative_float("t", 0) == 0.0 and check_nonnegative_float("t", math.inf, allow_inf=True) == math.inf
    for bad in (math.inf, math.nan, -0.5, "1", True):
        with pytest.raises(ValueError, match="^t must be a number >= 0, got"):
            check_nonnegative_float("t", bad)
    assert check_real_array("a", [[1, 2]]).dtype.kind == "i"
    out = check_real_batch(np.array([[1, 2]], np.float64), 2, "a", np.float64)
    assert out.dtype == np.float64 and check_real_batch([[True, False]], 2).dtype == np.float32
