"""Files that are not regular files (a FIFO would block the reader) and damaged records (JSON, NPZ, Keras) give one
line that names the file and what to do, before any work, and nothing is rewritten. Issue 28, classes 3 and 6."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, TINY_RUN, cli, one_line_error, snapshot

from made_helpers import MADE
from made_helpers.errors import UserInputError
from made_helpers.experiments.results import encode_per_image_nll
from made_helpers.experiments.tables import main as results_main
from made_helpers.files import read_json, require_regular_file


# ----------------------------------------------------------------------------- the shared checks
def test_require_regular_file_names_what_is_there(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    (tmp_path / "folder").mkdir()
    for name, what in (("fifo", "is a FIFO"), ("dangling", "points nowhere"), ("folder", "is a folder"),
                       ("missing", "no such file")):
        with pytest.raises(UserInputError, match=what):
            require_regular_file(tmp_path / name, fix="do this")


@pytest.mark.parametrize("text, message", [("{broken", "is damaged: not valid JSON"),
                                           ("[1, 2]", "is damaged: it holds a JSON list, not a JSON object"),
                                           ("\xff", "is damaged: not valid JSON")])
def test_read_json_names_the_file_and_the_fix(tmp_path, text, message):
    path = tmp_path / "r.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(UserInputError) as info:
        read_json(path, fix="restore it")
    assert str(info.value).startswith(f"{path} {message}") and str(info.value).endswith("; restore it")


# ----------------------------------------------------------------------------- made evaluate
@pytest.fixture
def base_result(finished_run, tmp_path, capsys):
    """A results file of the finished run on the first 10 test images."""
    assert cli(capsys, "evaluate", "--model", finished_run, "--limit", "10", "--json", tmp_path / "base.json")[0] == 0
    return tmp_path / "base.json"


def _damaged_copy(result, name, edit):
    record = json.loads(result.read_text())
    edit(record["per_image_nll"])
    path = result.parent / name
    path.write_text(json.dumps(record))
    return path


def test_compare_refuses_a_fifo_and_damaged_per_image_data(finished_run, base_result, capsys):
    """A014 (a FIFO as --compare blocked forever), K041 (not base64), K044 (cut data), K011 (per-image NLLs NaN, as
    evaluate once wrote for a model with NaN weights: 'nll_a and nll_b must be finite'): one line naming the file."""
    folder = base_result.parent
    os.mkfifo(folder / "fifo.json")
    n = json.loads(base_result.read_text())["per_image_nll"]["n"]
    cases = {folder / "fifo.json": "is a FIFO (named pipe)",
             _damaged_copy(base_result, "b64.json", lambda p: p.update(data="!!!notbase64")): "is damaged",
             _damaged_copy(base_result, "short.json", lambda p: p.update(data=p["data"][:-8])): "is damaged",
             _damaged_copy(base_result, "nan.json", lambda p: p.update(encode_per_image_nll(np.full(n, np.nan)))):
                 "per_image_nll holds 10 NaN or inf value(s)"}
    for path, message in cases.items():
        rc, out, err = cli(capsys, "evaluate", "--model", finished_run, "--limit", "10", "--compare", path)
        assert rc == 2
        one_line_error(err, f"--compare {path}", message)
        assert "test NLL" not in out


def test_evaluate_refuses_a_damaged_history_before_evaluating(run_copy, tmp_path, capsys):
    """K023: a broken history.json was found after the evaluation, as an 'internal error'."""
    (run_copy / "history.json").write_text("{broken")
    rc, out, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "5", "--json", tmp_path / "out.json")
    assert rc == 1
    one_line_error(err, f"{run_copy / 'history.json'} is damaged: not valid JSON", "restore it")
    assert "test NLL" not in out and not (tmp_path / "out.json").exists()


def test_evaluate_refuses_a_model_of_another_width_before_loading_data(tmp_path, capsys):
    """K049: a MADE for 6 inputs was refused as 'x must have width D=6' after the data was loaded."""
    MADE(6, [4], seed=0).save(tmp_path / "made6.keras")
    rc, out, err = cli(capsys, "evaluate", "--model", tmp_path / "made6.keras", "--data", "fallback", "--limit", "5")
    assert rc == 1
    one_line_error(err, "made6.keras: the model is for 6 inputs, MNIST images have 784 pixels")
    assert "[made_helpers.data]" not in out


# ----------------------------------------------------------------------------- made train --resume
def _edit_checkpoint(run, **changes):
    with np.load(run / "checkpoint.npz") as z:
        arrays = dict(z)
    arrays.update({key: change(arrays[key]) for key, change in changes.items()})
    np.savez(run / "checkpoint.npz", **arrays)


@pytest.mark.parametrize("damage, message", [
    ("fifo checkpoint", "checkpoint.npz: the checkpoint is a FIFO (named pipe)"),                    # A016
    ("text checkpoint", "checkpoint.npz: the checkpoint is damaged (not an .npz archive)"),          # variant
    ("model array shape", "the checkpoint is damaged: array model_0"),                                 # K014
    ("optimizer array shape", "the checkpoint is damaged: array opt_2"),                               # K015
    ("summary not json", "train_summary.json is damaged: not valid JSON"),                             # K025
    ("summary a list", "train_summary.json is damaged: it holds a JSON list"),                         # K026
])
def test_resume_refuses_damaged_records_before_rewriting_anything(run_copy, capsys, damage, message):
    """Each was an 'internal error' (K014, K015, K025, K026; the summary ones after model.keras was rewritten) or a
    reader blocked forever (A016)."""
    if damage == "fifo checkpoint":
        (run_copy / "checkpoint.npz").unlink()
        os.mkfifo(run_copy / "checkpoint.npz")
    elif damage == "text checkpoint":                # numpy tried it as a pickle and advised unsafe loading
        (run_copy / "checkpoint.npz").write_text("garbage")
    elif damage == "model array shape":
        _edit_checkpoint(run_copy, model_0=lambda a: np.zeros((3, 3), "float32"))
    elif damage == "optimizer array shape":
        _edit_checkpoint(run_copy, opt_2=lambda a: np.zeros(5, "float32"))
    else:
        (run_copy / "train_summary.json").write_text("{broken" if damage == "summary not json" else "[1, 2]")
    before = {name: (run_copy / name).read_bytes() for name in ("model.keras", "train_summary.json", "history.json")}
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--resume", "--out", run_copy)
    assert rc == 1
    one_line_error(err, message)
    assert "internal error" not in err
    assert before == {name: (run_copy / name).read_bytes() for name in before}


# ------------------------------------------------------------------- python -m made_helpers.experiments.tables
def test_results_listing_reports_each_damaged_file_in_one_line(tmp_path, capsys):
    """K027 (broken JSON), K028 (a JSON list), K030 (a swapped model beside its results file): tracebacks before."""
    committed = ROOT / "results"
    shutil.copy(committed / "made_784-500-784_k1.json", tmp_path)
    (tmp_path / "zz.json").write_text("{broken")
    (tmp_path / "a.json").write_text("[1, 2]")
    shutil.copy(committed / "made_784-500-784_k32_full.json", tmp_path)
    swapped = committed / "made_784-500-500-784_k1_random_drop0.2.keras"        # another model under its name
    shutil.copy(swapped, tmp_path / "made_784-500-784_k32_full.keras")
    before = snapshot(tmp_path)
    assert results_main(["--folder", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and "Traceback" not in err and len(lines) == 3, err
    assert "a.json is damaged: it holds a JSON list" in lines[0]
    assert "made_784-500-784_k32_full.keras: SHA-256" in lines[1]
    assert "zz.json is damaged: not valid JSON" in lines[2]
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("what", ["missing", "file"])
def test_results_listing_refuses_a_folder_that_is_not_one(tmp_path, capsys, what):
    """K029: a mistyped --folder printed every row as 'not run', exit 0."""
    folder = tmp_path / "nonexistent"
    if what == "file":
        folder.write_text("{}")
    assert results_main(["--folder", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert ("no such folder" if what == "missing" else "is not a folder") in err


def test_summary_that_is_a_fifo_is_refused(finished_run, tmp_path, capsys):
    """Class 3 for --summary: a FIFO was reported as 'no such file' (and beside a model it was read)."""
    os.mkfifo(tmp_path / "s.json")
    rc, _, err = cli(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary", tmp_path / "s.json",
                     "--limit", "3")
    assert rc == 2
    one_line_error(err, f"--summary {tmp_path / 's.json'} is a FIFO (named pipe)")


def test_a_model_file_that_is_a_fifo_is_named_as_such(finished_run, tmp_path, capsys):
    """Class 3 for --model (a new variant): a FIFO model.keras in a run folder was reported as 'no model.keras in
    ... (a checkpoint is there: the run has not finished)', and a FIFO given as the .keras file as 'no such run folder
    or .keras file'."""
    run = shutil.copytree(finished_run, tmp_path / "run")
    (run / "model.keras").unlink()
    os.mkfifo(run / "model.keras")
    for command in (["evaluate", "--model", run, "--limit", "3"],
                    ["sample", "--model", run / "model.keras", "--n", "2", "--out", tmp_path / "s.png"]):
        rc, out, err = cli(capsys, *command)
        assert rc == 1 and not (tmp_path / "s.png").exists()
        one_line_error(err, f"{run / 'model.keras'} is a FIFO (named pipe), which would block the reader")


# ----------------------------------------------------------------------------- a damaged model or checkpoint of a run
def test_a_byte_flipped_model_is_damaged(finished_run, tmp_path, capsys):
    raw = bytearray((finished_run / "model.keras").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(raw))
    rc, _, err = cli(capsys, "sample", "--model", tmp_path / "flip.keras", "--n", "2", "--out", tmp_path / "s.png")
    assert rc == 1
    one_line_error(err, "flip.keras is damaged")
    assert not (tmp_path / "s.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["empty", "truncated", "text"])
def test_damaged_model_keras_says_so_and_suggests_resume(run_copy, capsys, damage):
    model = run_copy / "model.keras"
    raw = model.read_bytes()
    model.write_bytes({"empty": b"", "truncated": raw[: len(raw) // 3], "text": b"hello"}[damage])
    rc, _, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10")
    assert rc == 1
    one_line_error(err, "model.keras is damaged", "--resume")
    assert "not found" not in err.lower()
    # and --resume does rebuild it from the finished run's checkpoint
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--resume")
    assert rc == 0, err
    rc, out, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10")
    assert rc == 0 and "test NLL" in out, err


def _damage(ckpt: Path, how: str) -> None:
    if how == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[:5000])
        return
    with np.load(ckpt) as z:
        arrays = {k: z[k] for k in z.files}
    if how == "other version":
        state = json.loads(str(arrays["state"]))
        state["version"] = 99
        arrays["state"] = np.array(json.dumps(state))
    else:
        del arrays["model_3"]
    with open(ckpt, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.slow
@pytest.mark.parametrize("how, detail", [("truncated", "is damaged (not an .npz archive)"),
                                         ("other version", "checkpoint format version 99"),
                                         ("array missing", "the checkpoint is damaged: array model_3")])
def test_a_damaged_checkpoint_says_what_to_do(run_copy, capsys, how, detail):
    _damage(run_copy / "checkpoint.npz", how)
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "checkpoint.npz", detail, "cannot be resumed", "--overwrite")
    assert snapshot(run_copy) == before
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", run_copy, "--overwrite")       # the advice works
    assert rc == 0, err
