"""Saved model files (made_helpers.model_file): what is not a MADE file is named as such, and a file whose config
or weights were edited (or come from another model) is refused at load, because its stored masks are not those its
config rebuilds: for the binary MADE through ``made evaluate``/``sample`` and ``keras.saving.load_model``, for
GaussianMADE and MAF at ``keras.models.load_model``."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from conftest import cli, made_process, one_line, one_line_error, rewrite_keras

from made_helpers import MAF, GaussianMADE


# ----------------------------------------------------------------------------- what is not a MADE file
def test_a_plain_keras_model_is_not_a_made(tmp_path, capsys):
    import keras

    seq = keras.Sequential([keras.Input((784,)), keras.layers.Dense(784)])
    seq.save(tmp_path / "seq.keras")
    rc, _, err = cli(capsys, "evaluate", "--model", tmp_path / "seq.keras", "--limit", "10")
    assert rc == 1
    one_line_error(err, "holds a Keras Sequential, not a MADE")


def test_renamed_h5_lists_the_accepted_formats(finished_run, tmp_path, capsys):
    shutil.copy(finished_run / "model.keras", tmp_path / "model.h5")
    rc, _, err = cli(capsys, "evaluate", "--model", tmp_path / "model.h5", "--limit", "10")
    assert rc == 1
    one_line_error(err, "a .h5 file; accepted are a run folder", ".keras")


@pytest.mark.slow
def test_a_crafted_config_with_a_float_width_is_one_line(finished_run, tmp_path):
    """A real process: one line on stderr, no traceback."""
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "bad.keras", hidden_sizes=[3.5])
    r = made_process("sample", "--model", bad, "--n", "2", "--out", tmp_path / "s.png")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "bad.keras is damaged or not a MADE model" in last and "hidden_sizes[0]" in last
    assert not (tmp_path / "s.png").exists()


# ------------------------------------------------- an edited binary MADE file: its masks are checked against its config
@pytest.mark.parametrize("change, message", [
    ({"seed": 7}, "hidden_0 mask"),
    ({"ordering": "reversed"}, "order differ"),
    ({"hidden_degrees": "equal"}, "hidden_0 mask"),
    ({"direct": False}, "stores 10 arrays but its config"),
])
def test_an_edited_config_is_refused_by_evaluate_and_sample(finished_run, tmp_path, capsys, change, message):
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "edited.keras", **change)
    for argv in (["evaluate", "--model", bad, "--limit", "10"],
                 ["sample", "--model", bad, "--n", "2", "--out", tmp_path / "s.png"]):
        rc, out, err = cli(capsys, *argv)
        assert rc == 1
        one_line_error(err, "edited.keras", message, "config.json was edited")
        assert "NLL" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.keras"]


@pytest.mark.parametrize("change", [{"seed": 7}, {"ordering": "reversed"}, {"hidden_degrees": "equal"}])
def test_keras_load_model_refuses_an_edited_config(finished_run, tmp_path, change):
    """The library's own load (notebooks use keras.saving.load_model) runs the mask check too."""
    import keras

    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "edited.keras", **change)
    with pytest.raises(ValueError, match="the trained masks in the file are not those its config"):
        keras.saving.load_model(bad, compile=False)
    model = keras.saving.load_model(finished_run / "model.keras", compile=False)     # the unedited file loads
    assert model.mask_differences() == []


def test_weights_of_another_model_are_refused(finished_run, other_run, tmp_path, capsys):
    swapped = rewrite_keras(finished_run / "model.keras", tmp_path / "swapped.keras",
                            weights_from=other_run / "model.keras")
    rc, _, err = cli(capsys, "evaluate", "--model", swapped, "--limit", "10")
    assert rc == 1
    one_line_error(err, "swapped.keras: the trained masks in the file are not those its config",
                   "the weights come from another model")


# ----------------------------------------------------------------------------- an edited GaussianMADE or MAF file
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
def test_an_edited_gaussian_made_or_maf_config_is_refused_at_load(saved, tmp_path, kind, config, needles):
    line = refused_load(rewrite(saved / f"{kind}.keras", tmp_path / "edited.keras", config=config))
    for needle in needles:
        assert needle in line, (needle, line)
    assert line.endswith("the config or the weights were edited, or come from different models")


@pytest.mark.parametrize("edit,needle", [
    (lambda m: 1.0 - m, "it encodes the ordering [1, 3, 0, 2]"),      # the reversed ordering [1, 3, 0, 2]
    (lambda m: np.where(m == 1, 0.5, m), "it holds values other than 0 and 1"),
])
def test_an_edited_mask_in_the_weights_file_is_refused(saved, tmp_path, edit, needle):
    line = refused_load(rewrite(saved / "made.keras", tmp_path / "edited.keras", mask_edit=edit))
    assert line.startswith("g/hidden_0: ") and needle in line, line


def test_unedited_files_load_and_invert_exactly(saved):
    for kind in ("made", "maf"):
        model = keras.models.load_model(saved / f"{kind}.keras")
        x = np.random.default_rng(1).normal(size=(5, model.input_dim)).astype("float32")
        np.testing.assert_allclose(model.inverse(model.forward(x)[0].numpy()), x, atol=1e-5)


def test_check_saved_masks_names_the_layer_and_what_differs():
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
