"""The MAF paper's MNIST protocol (logit_space.maf_mnist_splits) and the training script
(made_helpers.experiments.maf_mnist)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re

import numpy as np
import pytest
from conftest import interrupted_during_import

from made_helpers.density import logit_space
from made_helpers.experiments import maf_mnist


def _images(n: int, d: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, d)).astype(np.uint8)


def test_splits_follow_the_authors_order_of_noise_draws():
    train, test = _images(50_003), _images(2, seed=1)
    splits = logit_space.maf_mnist_splits(train, test)
    assert {k: v.shape for k, v in splits.items()} == {"train": (50_000, 4), "valid": (3, 4), "test": (2, 4)}
    rng = np.random.RandomState(42)                     # written out: train, then valid, then test draws
    expected = {}
    for name, z in (("train", train[:50_000]), ("valid", train[50_000:]), ("test", test)):
        y = z / 256.0 + rng.rand(*z.shape) / 256.0
        s = 1e-6 + (1 - 2e-6) * y
        expected[name] = np.log(s / (1 - s)).astype(np.float32)
    for name in splits:
        np.testing.assert_allclose(splits[name], expected[name], rtol=1e-6, atol=1e-5)
    pixels = logit_space.logit_to_pixels(splits["valid"])           # 256 y lies in [z, z + 1)
    assert np.all(pixels >= train[50_000:] - 1e-3) and np.all(pixels < train[50_000:] + 1 + 1e-3)


def test_splits_refuse_too_few_training_rows_and_other_widths():
    with pytest.raises(ValueError, match="train_images must hold more than 50000 rows"):
        logit_space.maf_mnist_splits(_images(10), _images(2))
    with pytest.raises(ValueError, match="test_images must have 4 pixels"):
        logit_space.maf_mnist_splits(_images(50_001), _images(2, d=5))
    with pytest.raises(ValueError, match="test_images must be integers"):
        logit_space.maf_mnist_splits(_images(50_001), np.zeros((2, 4)))


@pytest.mark.parametrize("kind", ["made", pytest.param("maf", marks=pytest.mark.slow)])
def test_training_moves_the_weights_and_the_loss_holds_the_weight_decay(kind):
    """fit_density trains the model it is given (a wrapper the Keras trainer did not track once left every weight
    where it started), and its training loss is -mean log p(x) + rate/2 * sum w**2, evaluation log p(x)."""
    import tensorflow as tf

    from made_helpers.density.density_fit import DensityNLL, fit_density

    model = maf_mnist.build_model(kind, [8], num_layers=2, seed=0)
    x = np.random.default_rng(0).normal(size=(64, 784)).astype("float32")
    trainer = DensityNLL(model, 1e-2)
    penalty = 0.5 * 1e-2 * sum(float(np.sum(v.numpy().astype(np.float64) ** 2)) for v in model.trainable_variables)
    log_p = trainer(tf.constant(x), training=False)
    loss = float(trainer.compute_loss(y_pred=log_p))
    assert math.isclose(loss, -float(np.mean(log_p)) + penalty, rel_tol=1e-5)
    before = [v.numpy().copy() for v in model.trainable_variables]
    assert len(trainer.trainable_variables) == len(before) > 0
    fit_density(model, x, x[:16], epochs=1, batch_size=32, verbose=False, weight_decay=1e-6)
    moved = [not np.allclose(b, v.numpy()) for b, v in zip(before, model.trainable_variables)]
    assert sum(moved) >= len(moved) - 2, moved        # (a batch norm's log-scale may stay put after 2 steps)


def test_test_figures_two_standard_errors_and_bits_per_pixel():
    x = logit_space.dequantize_to_logit(_images(4, 784))
    log_p = -logit_space.log_det_logit_to_unit(x) + np.array([0.0, 1.0, 2.0, 3.0])   # pixel space: uniform + 0..3
    t = maf_mnist.test_figures(log_p, x)
    assert math.isclose(t["log_likelihood_logit_2se"], 2 * log_p.std(ddof=1) / 2)     # core.evaluate's one rule
    assert t["standard_error"] == "std(ddof=1)/sqrt(N)"
    assert math.isclose(t["log_likelihood_pixel"], 1.5 - 784 * math.log(256), rel_tol=1e-12)
    assert math.isclose(t["bits_per_pixel"], 8 - 1.5 / (784 * math.log(2)), rel_tol=1e-9)
    assert np.allclose(t[maf_mnist.PER_IMAGE], log_p, atol=1e-4)          # kept per image, for paired comparisons


def _depth_row(kind: str, layers: int, per_image, **settings) -> dict:
    return {"experiment": "maf_mnist", "kind": kind, "label": maf_mnist.row_label(kind, layers),
            "settings": {"layers": layers, "learning_rate": 1e-4, "parameters": layers * 10, **settings},
            "epochs_run": 20, "test": {maf_mnist.PER_IMAGE: list(per_image)}}


def test_depth_pairs_give_the_paired_difference_and_refuse_a_second_change():
    """Issue 27, item 3: MAF (5) vs MAF (10) and Real NVP (5) vs (10) differ in depth only, with the paired SE."""
    from made_helpers.core.evaluate import paired_difference

    rng = np.random.default_rng(0)
    shared = rng.normal(-1300, 50, 1000)                      # image-to-image spread, shared by both models
    shallow, deep = shared + rng.normal(0, 1, 1000), shared - 2 + rng.normal(0, 1, 1000)
    rows = {"maf": _depth_row("maf", 5, shallow), "maf10": _depth_row("maf", 10, deep)}
    table = maf_mnist.depth_table(rows).splitlines()
    mean, se = paired_difference(deep, shallow)
    assert table[2] == f"| MAF (10) - MAF (5) | {mean:+.1f} ± {2 * se:.1f} (both 20 epochs) | -12.6 |"
    assert se < 0.1 and abs(mean + 2) < 0.3              # the shared spread of 50 nats cancels in the pair
    assert "not run yet (Real NVP (5), Real NVP (10)" in table[3]
    rows["maf10"]["epochs_run"] = 17                       # a time limit ended the deeper one early: not paired
    assert "not a one-change pair: trained for 17 and 20 epochs" in maf_mnist.depth_table(rows).splitlines()[2]
    rows["maf10"]["epochs_run"] = 20
    rows["maf10"]["settings"]["learning_rate"] = 1e-3    # a second change: no difference is shown, the row names it
    row = maf_mnist.depth_table(rows).splitlines()[2]
    assert "not a one-change pair: MAF (10) and MAF (5) differ in learning_rate as well as layers" in row
    assert "±" not in row
    del rows["maf10"]["test"][maf_mnist.PER_IMAGE]         # a record from before per-image figures: not paired
    assert "not run yet (MAF (10) without per-image figures)" in maf_mnist.depth_table(rows).splitlines()[2]


@pytest.fixture
def tiny_data():
    rng = np.random.default_rng(0)
    return {k: rng.normal(size=(n, 784)).astype("float32") for k, n in [("train", 300), ("valid", 100), ("test", 100)]}


TINY = ["--max-epochs", "2", "--hidden", "8", "--layers", "2", "--components", "3"]


@pytest.mark.parametrize("kind", ["made_mog", "maf_mog"])
def test_the_papers_mixtures_start_their_biases_as_the_authors_do(kind):
    """The authors draw a mixture MADE's output biases at random (gpapamak/maf); from all-zero biases the first
    conditional's components would stay one Gaussian (notebook 07)."""
    model = maf_mnist.build_model(kind, [8], num_layers=2, num_components=3, seed=0)
    made = model if kind == "made_mog" else model.top
    assert made.mixture_bias_init == "normal" == maf_mnist.MIXTURE_BIAS_INIT
    first = [np.asarray(p)[0, :, int(made.ordering[0])] for p in made.mixture_params(np.zeros((1, 784), "float32"))]
    assert all(np.ptp(p) > 0 for p in first)


def test_the_papers_real_nvp_has_the_authors_coupling_layers():
    """The authors' Real NVP (gpapamak/maf ``nvps.py``): pixels split by index parity, a tanh scale net and a ReLU
    translate net."""
    flow = maf_mnist.build_model("realnvp", [8], num_layers=2, seed=0)
    assert (flow.split, flow.scale_activation, flow.activation_name) == ("parity", "tanh", "relu")
    np.testing.assert_array_equal(flow.couplings[0].keep.numpy()[:4], [0, 1, 0, 1])


@pytest.mark.slow
def test_every_model_kind_end_to_end(tmp_path, tiny_data):
    for kind in maf_mnist.MODEL_KINDS:
        out = tmp_path / f"{kind}.json"
        assert maf_mnist.main([kind, "--out", str(out), *TINY], data=tiny_data) == 0
        result = json.loads(out.read_text())
        assert result["kind"] == kind and result["protocol"]["rows"] == {"train": 300, "valid": 100, "test": 100}
        row = maf_mnist.row_key(kind, 2, 3)                  # TINY: 2 layers, 3 components
        paper = maf_mnist.PAPER_TABLE.get(row)
        assert (result["paper"] and result["paper"]["log_likelihood_logit"]) == (paper and paper[0])
        assert result["row"] == row and result["stopped"] in ("epochs", "closed form")
        assert set(result["test"]) >= {"log_likelihood_logit", "log_likelihood_logit_2se", "bits_per_pixel"}
        assert "cpu_flags" in result["machine"] and str(tmp_path) not in out.read_text()
        if kind == "gaussian":
            assert result["curves"] is None and result["model_file"] is None
            continue
        valid = result["curves"]["valid_nll"]
        assert len(valid) == result["epochs_run"] == 2 and valid[0] != valid[1]     # the weights moved
        assert result["settings"]["weight_decay"] == 1e-6 and result["settings"]["batch_size"] == 100
        assert result["settings"]["learning_rate"] == maf_mnist.LEARNING_RATES[kind]
        assert result["settings"].get("mixture_bias_init") == ("normal" if kind in maf_mnist.MOG_KINDS else None)
        assert result["settings"].get("coupling") == (maf_mnist.REAL_NVP_COUPLING if kind == "realnvp" else None)
        model = maf_mnist.load_trained(out)              # half-precision weights give back the test figure
        reloaded = model.log_prob(tiny_data["test"]).mean()
        assert abs(reloaded - result["test"]["log_likelihood_logit"]) < 0.5
    assert set(maf_mnist.load_results(tmp_path)) == {maf_mnist.row_key(kind, 2, 3) for kind in maf_mnist.MODEL_KINDS}


def test_an_existing_results_file_is_not_replaced(tmp_path, tiny_data, capsys):
    out = tmp_path / "gaussian.json"
    out.write_text("{}")
    assert maf_mnist.main(["gaussian", "--out", str(out)], data=tiny_data) == 2
    assert out.read_text() == "{}"
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert maf_mnist.main(["gaussian", "--out", str(out), "--overwrite"], data=tiny_data) == 0
    assert json.loads(out.read_text())["kind"] == "gaussian"


@pytest.mark.parametrize("argv, message", [
    (["maf", "--out", "x.txt"], "--out must name a .json file"),
    (["maf", "--out", "no/such/folder/x.json"], "does not exist"),
])
def test_bad_output_paths_are_refused_in_one_line(argv, message, capsys):
    assert maf_mnist.main(argv, data={}) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["mafx", "--out", "a.json"], ["maf", "--out", "a.json", "--minutes", "0"],
                                  ["maf", "--out", "a.json", "--max-epochs", "-1"], ["maf"]])
def test_bad_flags_exit_with_status_2(argv):
    with pytest.raises(SystemExit) as exit_info:
        maf_mnist.main(argv, data={})
    assert exit_info.value.code == 2


def test_recorded_runs_and_their_weights():
    """Every recorded run names its model, its weights (if saved) match their SHA-256 and are at most 10 MB, and all
    saved models of the repository stay under 100 MB together."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    folder = root / "results" / "maf_mnist"
    runs = maf_mnist.load_results(folder)
    for row, result in runs.items():
        settings = result.get("settings") or {}
        layers, components = settings.get("layers", 5), settings.get("components", 10)
        assert row == maf_mnist.row_key(result["kind"], layers, components)
        assert result["label"] == maf_mnist.row_label(result["kind"], layers, components)
        assert {"log_likelihood_logit", "log_likelihood_logit_2se", "bits_per_pixel"} <= set(result["test"])
        if result["model_file"]:
            blob = (folder / result["model_file"]).read_bytes()
            assert len(blob) <= maf_mnist.MAX_MODEL_BYTES
            assert hashlib.sha256(blob).hexdigest() == result["model_sha256"]
    total = sum(p.stat().st_size for p in [*(root / "results").glob("*.keras"), *folder.glob("*.weights.npz")])
    assert total <= 100 * 2**20, f"saved models take {total / 2**20:.0f} MB"


def test_a_run_that_diverges_keeps_its_best_epoch_and_says_so(tmp_path, tiny_data, capsys):
    out = tmp_path / "made.json"
    assert maf_mnist.main(["made", "--out", str(out), "--max-epochs", "3", "--hidden", "8",
                           "--learning-rate", "1e30"], data=tiny_data) == 0
    result = json.loads(out.read_text())
    assert result["stopped"] == "diverged" and "Lower the learning rate" in result["diverged"]
    assert len(result["curves"]["valid_nll"]) == result["epochs_run"] < 3
    assert math.isfinite(result["test"]["log_likelihood_logit"])
    assert "training stopped" in capsys.readouterr().err


@pytest.mark.slow
def test_weights_beyond_half_precision_are_kept_in_float32(tmp_path, tiny_data):
    """A flow's batch-norm variance can exceed float16's 65504; saved as float16 it would come back inf."""
    args = maf_mnist._parser().parse_args(["maf", "--out", str(tmp_path / "maf.json"), *TINY])
    result = maf_mnist.run(args, {k: 1000.0 * v for k, v in tiny_data.items()})
    model = result["_model"]
    assert max(float(np.abs(v.numpy()).max()) for v in model.weights) > 65504
    expected = model.log_prob(tiny_data["test"] * 1000.0)
    maf_mnist.write(result, tmp_path / "maf.json")
    reloaded = maf_mnist.load_trained(tmp_path / "maf.json")
    assert all(np.isfinite(v.numpy()).all() for v in reloaded.weights)
    np.testing.assert_allclose(reloaded.log_prob(tiny_data["test"] * 1000.0), expected, rtol=1e-2)


def test_validating_on_the_test_split_gives_the_recorded_test_figure(tiny_data):
    """Early stopping sees the batch-norm statistics the test uses: with the test images as validation set, the best
    validation NLL is the recorded test log-likelihood (the running averages would give another number)."""
    data = {**tiny_data, "valid": tiny_data["test"]}
    args = maf_mnist._parser().parse_args(["maf", "--out", "unused.json", *TINY])
    result = maf_mnist.run(args, data)
    best = min(result["curves"]["valid_nll"])
    assert -best == pytest.approx(result["test"]["log_likelihood_logit"], abs=1e-3)
    assert result["best_valid_nll"] == best


_DRIVER = """
import os, sys, time
import numpy as np
from made_helpers import fitting
from made_helpers.experiments import maf_mnist

hang_after = int(os.environ.get("HANG_AFTER_EPOCH", "0"))
save = fitting.save_checkpoint

def save_then_hang(path, state, arrays):                     # wait for SIGKILL once epoch `hang_after` is saved
    save(path, state, arrays)
    if state["history"]["epochs_run"] == hang_after:
        open(str(path) + ".saved", "w").close()
        time.sleep(600)

write = maf_mnist.write

def write_and_keep_float32(result, out):                    # the final weights in full precision, for comparing
    np.savez(str(out) + ".final.npz", *[v.numpy() for v in result["_model"].weights])
    write(result, out)

fitting.save_checkpoint, maf_mnist.write = save_then_hang, write_and_keep_float32
rng = np.random.default_rng(0)
data = {k: rng.normal(size=(n, 784)).astype("float32") for k, n in [("train", 300), ("valid", 100), ("test", 100)]}
sys.exit(maf_mnist.main(sys.argv[1:], data=data))
"""


@pytest.mark.slow
def test_a_killed_run_resumes_bit_for_bit(tmp_path):
    """A real process killed (SIGKILL) after its epoch-2 checkpoint and resumed with --resume ends with the weights,
    curves and best epoch of the same run never interrupted; the time before the kill counts."""
    import os
    import signal
    import subprocess
    import sys
    import time

    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    argv = ["maf", *TINY[2:], "--max-epochs", "4", "--patience", "30"]

    def script(name: str, *extra: str, **more_env) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(driver), *argv, "--out", str(tmp_path / name), *extra],
                                env={**env, **more_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    whole = script("whole.json")
    killed = script("killed.json", HANG_AFTER_EPOCH="2")
    marker = tmp_path / "killed.checkpoint.npz.saved"
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()[0]
        time.sleep(0.2)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert whole.wait(timeout=300) == 0, whole.communicate()[0]
    assert not (tmp_path / "killed.json").exists() and (tmp_path / "killed.checkpoint.npz").exists()
    refused = script("killed.json")                      # neither --resume nor --overwrite: refused, nothing lost
    assert refused.wait(timeout=300) == 2 and "--resume" in refused.communicate()[0]
    resumed = script("killed.json", "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()[0]
    a, b = (json.loads((tmp_path / f"{name}.json").read_text()) for name in ("whole", "killed"))
    assert a["curves"] == b["curves"] and a["best_epoch"] == b["best_epoch"] and len(a["curves"]["valid_nll"]) == 4
    assert b["resumed_at_epochs"] == [2] and a["resumed_at_epochs"] == []
    with np.load(tmp_path / "whole.json.final.npz") as x, np.load(tmp_path / "killed.json.final.npz") as y:
        assert x.files == y.files and all(np.array_equal(x[k], y[k]) for k in x.files)
    assert not (tmp_path / "killed.checkpoint.npz").exists()      # removed once the results are written


def test_the_paper_table_holds_all_eight_mnist_rows():
    expected = {"gaussian": -1366.9, "made": -1380.8, "made_mog": -1038.5, "realnvp": -1323.2, "realnvp10": -1370.7,
                "maf": -1300.5, "maf10": -1313.1, "maf_mog": -1100.3}
    assert {row: value for row, (value, _) in maf_mnist.PAPER_TABLE.items()} == expected
    labels = {maf_mnist.row_label(kind, layers) for kind, layers in [("gaussian", 5), ("made", 5), ("made_mog", 5),
              ("realnvp", 5), ("realnvp", 10), ("maf", 5), ("maf", 10), ("maf_mog", 5)]}
    assert labels == {"Gaussian", "MADE", "MADE MoG", "Real NVP (5)", "Real NVP (10)", "MAF (5)", "MAF (10)",
                      "MAF MoG (5)"}


@pytest.mark.parametrize("stopped, phrase", [
    ("epochs", "its 20-epoch cap"), ("patience", "early stopping (patience 30)"), ("time", "its 90-minute time limit"),
    ("diverged", "diverged")])
def test_the_table_says_what_stopped_a_run_with_its_setting(stopped, phrase):
    result = {"stopped": stopped, "settings": {"max_epochs": 20, "patience": 30, "minutes": 90.0}}
    assert maf_mnist.stop_phrase(result) == phrase


def test_the_recipe_defaults_are_the_papers():
    args = maf_mnist._parser().parse_args(["maf", "--out", "x.json"])
    assert (args.patience, args.minutes, args.weight_decay, args.learning_rate) == (30, 90.0, 1e-6, None)
    assert maf_mnist.LEARNING_RATES == {"made": 1e-3, "made_mog": 1e-3, "realnvp": 1e-4, "maf": 1e-4, "maf_mog": 1e-4}
    assert "1/2 * lambda * sum of all squared weights" in " ".join(maf_mnist._parser().format_help().split())


@pytest.mark.parametrize("kind, layers, row, label, paper", [
    ("maf", 1, "maf1", "MAF (1)", None),                        # probe round 3, Z012
    ("maf", 10, "maf10", "MAF (10)", -1313.1),
    ("realnvp", 10, "realnvp10", "Real NVP (10)", -1370.7),
    ("maf_mog", 3, "maf_mog3", "MAF MoG (3)", None),
])
def test_the_label_and_paper_row_come_from_the_depth(kind, layers, row, label, paper):
    """Z012: ``--layers 1`` was labelled "MAF (5)" and compared with the 5-layer row."""
    assert (maf_mnist.row_key(kind, layers), maf_mnist.row_label(kind, layers)) == (row, label)
    assert (maf_mnist.PAPER_TABLE.get(row) or (None,))[0] == paper


def test_a_run_of_another_depth_is_recorded_and_printed_under_its_own_label(tmp_path, tiny_data, capsys):
    """Z012, end to end (one layer: the cheapest flow): the record, the printed line and load_results use the row
    and label of the depth trained, and no paper row is claimed for a depth the paper did not train."""
    out = tmp_path / "maf.json"
    argv = ["maf", "--out", str(out), "--subset", "300", "--hidden", "4", "--layers", "1", "--max-epochs", "1"]
    assert maf_mnist.main(argv, data=tiny_data) == 0
    result = json.loads(out.read_text())
    assert (result["row"], result["label"], result["paper"]) == ("maf1", "MAF (1)", None)
    printed = capsys.readouterr().out.splitlines()[-1]
    assert printed.startswith("MAF (1): ") and "no paper row" in printed
    assert set(maf_mnist.load_results(tmp_path)) == {"maf1"}
    assert {"cpu", "cpu_flags"} <= set(result["machine"]) and result["stopped"] == "epochs"
    assert result["wall_seconds"] >= result["training_seconds"] > 0


def _record(folder, name: str, **changes) -> None:
    result = {"experiment": "maf_mnist", "kind": "made", "label": "MADE", "settings": {}, **changes}
    (folder / name).write_text(json.dumps(result))


def test_two_records_of_one_row_are_an_error_naming_both(tmp_path):
    """Y009: made.json and zz_made_rerun.json (both kind made) - one was dropped without a word."""
    _record(tmp_path, "made.json")
    _record(tmp_path, "zz_made_rerun.json")
    _record(tmp_path, "maf10.json", kind="maf", settings={"layers": 10})
    _record(tmp_path, "maf.json", kind="maf", settings={"layers": 5})
    with pytest.raises(ValueError) as error:
        maf_mnist.load_results(tmp_path)
    message = str(error.value)
    assert "made.json" in message and "zz_made_rerun.json" in message and "\n" not in message
    (tmp_path / "zz_made_rerun.json").unlink()
    assert set(maf_mnist.load_results(tmp_path)) == {"made", "maf", "maf10"}       # depth is its own row


def test_a_damaged_results_file_is_named(tmp_path):
    """Y006: a broken JSON in the folder notebook 08 reads gave a bare JSONDecodeError."""
    (tmp_path / "broken.json").write_text("{broken")
    with pytest.raises(ValueError, match="results file .*broken.json is damaged: not valid JSON"):
        maf_mnist.load_results(tmp_path)
    with pytest.raises(ValueError, match="results file .*broken.json is damaged: not valid JSON"):
        maf_mnist.load_trained(tmp_path / "broken.json")


def test_an_unknown_model_class_is_named_with_its_file(tmp_path, tiny_data):
    """Y005: ``model_class`` 'Evil' gave a bare KeyError."""
    out = tmp_path / "made.json"
    assert maf_mnist.main(["made", "--out", str(out), "--hidden", "4", "--max-epochs", "1"], data=tiny_data) == 0
    result = json.loads(out.read_text())
    (tmp_path / "m3.json").write_text(json.dumps({**result, "model_class": "Evil"}))
    with pytest.raises(ValueError, match=r"m3.json: model_class 'Evil' is not one of"):
        maf_mnist.load_trained(tmp_path / "m3.json")


def test_load_trained_refuses_a_fifo_nan_weights_and_a_record_that_does_not_fit(tmp_path, tiny_data):
    """``load_trained`` read the weights file without the regular-file check (a FIFO blocked it), took NaN weights
    whose record had been updated to match, and gave bare KeyErrors for an edited record: one line naming the file."""
    out = tmp_path / "made.json"
    assert maf_mnist.main(["made", "--out", str(out), "--hidden", "4", "--max-epochs", "1"], data=tiny_data) == 0
    record, weights = json.loads(out.read_text()), tmp_path / "made.weights.npz"
    with np.load(weights) as z:
        arrays = dict(z)

    def variant(name: str, blob: bytes | None = None, **changes) -> str:
        """A record ``name``.json (its weights ``name``.weights.npz hold ``blob``; ``None``: a FIFO)."""
        path = tmp_path / f"{name}.weights.npz"
        if blob is None:
            os.mkfifo(path)
        else:
            path.write_bytes(blob)
        sha = hashlib.sha256(blob or b"").hexdigest()
        (tmp_path / f"{name}.json").write_text(json.dumps({**record, "model_file": path.name, "model_sha256": sha,
                                                          **changes}))
        return tmp_path / f"{name}.json"

    nan = io.BytesIO()
    np.savez_compressed(nan, **{**arrays, "w0": np.full_like(arrays["w0"], np.nan)})
    cases = {variant("fifo"): "is a FIFO (named pipe), which would block the reader, not a regular file",
             variant("nan", nan.getvalue()): "NaN or inf weight(s)",
             variant("config", weights.read_bytes(),
                     model_config={**record["model_config"], "hidden_sizes": [5]}): "do not describe one model",
             variant("nosha", weights.read_bytes(), model_sha256=None): "is not the None... recorded in nosha.json"}
    for path, message in cases.items():
        with pytest.raises(ValueError, match=re.escape(message)) as info:
            maf_mnist.load_trained(path)
        assert "\n" not in str(info.value) and path.stem in str(info.value)
    assert maf_mnist.load_trained(out).log_prob(tiny_data["test"][:2]).shape == (2,)


def test_an_unwritable_out_is_refused_before_any_work(tmp_path, capsys):
    """``--out`` was checked for writing only after training (the weights or checkpoint path beside it a folder):
    now one line naming it before the data are read (``data={}`` would fail at once)."""
    out = tmp_path / "maf.json"
    for blocker in (out.with_suffix(".weights.npz"), maf_mnist.checkpoint_path(out)):
        blocker.mkdir()
        assert maf_mnist.main(["maf", "--out", str(out), "--overwrite"], data={}) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"--out {out} ({blocker.name} beside it) is a folder" in err
        blocker.rmdir()


def test_ctrl_c_inside_an_extensions_start_up_stops_the_run_in_one_line(tmp_path, tiny_data, capsys, monkeypatch):
    """The interrupt arrives as ImportError("initialization failed") raised from it (pybind11): still one line."""
    from made_helpers.density import density_fit

    monkeypatch.setattr(density_fit, "fit_density", interrupted_during_import)
    assert maf_mnist.main(["made", "--out", str(tmp_path / "made.json"), *TINY], data=tiny_data) == 130
    assert capsys.readouterr().err.strip() == \
        "maf_mnist.py: interrupted; no epoch had finished: run the command again to start"


@pytest.mark.parametrize("signum, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_run_says_its_checkpoint_resumes_it(tmp_path, tiny_data, capsys, monkeypatch, signum, status):
    """`maf_mnist.py ... &` in a script starts with SIGINT ignored, so `kill -INT` did nothing, and Ctrl-C or `kill`
    printed a traceback. Now either stops it in one line that says what --resume continues, and SIGINT's handler
    is given back."""
    import signal

    sig = getattr(signal, signum)

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), sig)
        raise AssertionError("the signal did not interrupt")

    from made_helpers.density import density_fit

    monkeypatch.setattr(density_fit, "fit_density", interrupted)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        out = tmp_path / "made.json"
        assert maf_mnist.main(["made", "--out", str(out), *TINY], data=tiny_data) == status
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err.strip()
    assert err == "maf_mnist.py: interrupted; no epoch had finished: run the command again to start"
    assert not out.exists()


def test_a_run_started_with_overwrite_resumes_over_the_file_it_replaces(tmp_path, tiny_data, capsys):
    """A run started with --overwrite over an earlier results file and then interrupted could not be resumed:
    --resume refused the earlier file, and --resume with --overwrite exclude each other. Its checkpoint exists only
    because the start was allowed to write --out, so --resume now continues it and replaces the file at the end;
    without a checkpoint an existing file is still refused."""
    out = tmp_path / "made.json"
    out.write_text("{}")
    assert maf_mnist.main(["made", "--out", str(out), "--resume", *TINY], data=tiny_data) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err and out.read_text() == "{}"
    maf_mnist.checkpoint_path(out).write_bytes(b"")          # an interrupted run's checkpoint (checked later)
    maf_mnist._refuse_existing(out, overwrite=False, resume=True)              # allowed now: no error


def test_the_training_command_is_shown_without_its_output_file():
    """Notebook 08's appendix names runs by what they are, never by a file name (issue 26, item 5)."""
    record = {"command": "scripts/maf_mnist.py maf --out maf10.json --minutes 90 --layers 10"}
    assert maf_mnist.training_command(record) == "scripts/maf_mnist.py maf --minutes 90 --layers 10"


@pytest.mark.parametrize("settings, note, expected", [
    ({"batch_norm": True}, "validation NLL after the epoch with the running batch-norm averages", "running averages"),
    ({"batch_norm": True}, "validation NLL after the epoch with batch norm given the whole training set's statistics",
     "training set"),
    ({}, "validation NLL after the epoch with the running batch-norm averages", "none (no batch norm)"),
])
def test_which_statistics_batch_norm_used_in_validation(settings, note, expected):
    """Issue 26, item 3: the validation/test gap of the earlier batch-norm runs is explained by what they used."""
    assert maf_mnist.validation_statistics({"settings": settings, "curves": {"note": note}}) == expected


def test_every_record_says_which_statistics_validated_it():
    """The notes of the committed records are the two wordings validation_statistics reads."""
    from conftest import ROOT

    for row, result in maf_mnist.load_results(ROOT / "results" / "maf_mnist").items():
        note = (result.get("curves") or {}).get("note", "")
        if (result.get("settings") or {}).get("batch_norm"):
            assert ("running batch-norm averages" in note) != ("whole training set's statistics" in note), row


def test_the_target_sentence_counts_the_rows_within_3_percent_and_names_the_others():
    def record(row, label, ratio):
        return {"row": row, "label": label, "test": {"log_likelihood_logit": ratio * maf_mnist.PAPER_TABLE[row][0]}}

    rows = {"maf": record("maf", "MAF (5)", 1.029), "made": record("made", "MADE", 0.96),
            "realnvp10": record("realnvp10", "Real NVP (10)", 1.031)}
    assert [maf_mnist.within_target(r) for r in rows.values()] == [True, False, False]
    assert maf_mnist.target_sentence(rows) == ("Within 3 % of the paper's log-likelihood: 1 of 3 recorded rows "
                                               "(not: MADE, Real NVP (10)).")
    assert maf_mnist.target_sentence({"maf": rows["maf"]}).endswith(": all 1 recorded rows.")
