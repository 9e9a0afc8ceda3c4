"""Issue 11: a hostile probe of the CLI and API. Every attempt is refused with one clear line and a
non-zero exit status, and nothing a user made is lost or written somewhere else.

Most checks call ``made_helpers.experiments.cli.main`` in-process (fast); those about a real process
(tracebacks, Ctrl-C) start ``python -m made_helpers``.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    MADE_COMMAND,
    PROCESS_ENV,
    ROOT,
    RUN_ARTEFACTS,
    TINY_RUN,
    cli,
    made_process,
    one_line_error,
    rewrite_keras,
    snapshot,
)

from made_helpers import MADE, data
from made_helpers.atomic import atomic_write, remove_stale_temps
from made_helpers.checks import check_int, check_positive_float, check_seed

B = TINY_RUN
ARTEFACTS = RUN_ARTEFACTS


# ----------------------------------------------------------------------------- data loss
@pytest.mark.slow
def test_1_finished_run_without_checkpoint_is_not_replaced(run_copy, capsys):
    (run_copy / "checkpoint.npz").unlink()
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *B, "--out", run_copy)
    assert rc == 1
    one_line_error(err, "already holds a run", "model.keras", "--resume", "--overwrite")
    rc, _, err = cli(capsys, "train", *B, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "without checkpoint.npz, so it cannot be resumed")
    assert snapshot(run_copy) == before
    # an explicit --overwrite replaces the run
    rc, _, err = cli(capsys, "train", *B, "--out", run_copy, "--overwrite")
    assert rc == 0, err
    assert all((run_copy / name).is_file() for name in ARTEFACTS)


def test_1_resume_and_overwrite_exclude_each_other(run_copy, capsys):
    before = snapshot(run_copy)
    rc, _, err = cli(capsys, "train", *B, "--out", run_copy, "--resume", "--overwrite")
    assert rc == 2
    one_line_error(err, "give one of them")
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("target, message", [
    ("{run}/model.keras", "must name a .json file"),
    ("{run}/history.json", "is a file of the run"),
    ("{run}/train_summary.json", "is a file of the run"),
    ("{run}", "is a folder"),
    ("{tmp}/result.txt", "must name a .json file"),
    ("", "--json is empty"),
])
def test_2_evaluate_json_never_overwrites_the_run(run_copy, tmp_path, capsys, target, message):
    before = snapshot(run_copy)
    target = target.format(run=run_copy, tmp=tmp_path)
    rc, out, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10", "--json", target)
    assert rc == 2
    one_line_error(err, message)
    assert "NLL" not in out                       # refused up front, before any work
    assert snapshot(run_copy) == before
    assert not (tmp_path / "result.txt").exists()


# ----------------------------------------------------------------------------- silent wrong results
def test_3_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "train", *B, "--out", "")
    assert rc == 2
    one_line_error(err, "--out is empty")
    assert list(tmp_path.iterdir()) == [] and out == ""


def test_4_sample_writes_exactly_the_path_it_prints(finished_run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m").mkdir()
    rc, out, err = cli(capsys, "sample", "--model", finished_run, "--n", "4", "--out", "m")
    assert rc == 0, err
    assert "wrote m/samples.png" in out
    assert (tmp_path / "m" / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "m.png").exists()
    rc, _, err = cli(capsys, "sample", "--model", finished_run, "--n", "4", "--out", "m/noext")
    assert rc == 2
    one_line_error(err, "--out m/noext must end in .png")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["samples.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    rc, out, err = cli(capsys, "sample", "--model", finished_run, "--n", "4", "--out", "m/grid.PNG")
    assert rc == 0 and (tmp_path / "m" / "grid.PNG").is_file() and "wrote m/grid.PNG" in out


def test_5_seeds_are_injective_and_range_checked():
    from made_helpers.checks import stateless_seed

    model = MADE(6, [8], seed=0)
    assert stateless_seed(0) != stateless_seed(2**31 - 1)      # was [0, 0] for both
    seeds = [0, 1, 2**31 - 2, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1]
    words = [tuple(stateless_seed(s)) for s in seeds]
    assert len(set(words)) == len(seeds)
    assert all(-(2**31) <= w < 2**31 for pair in words for w in pair)
    assert stateless_seed(12345) == [12345, 0]                 # small seeds: the same draws as before
    np.testing.assert_array_equal(model.sample(4, seed=7), model.sample(4, seed=7))
    for bad in (-1, 2**32, 1.5, "3"):
        with pytest.raises((ValueError, TypeError), match=r"^seed must be an integer in 0\.\.4294967295"):
            model.sample(2, seed=bad)
        with pytest.raises((ValueError, TypeError), match=r"^seed must be an integer"):
            model.complete(np.zeros((1, 6), np.float32), np.zeros(6, bool), seed=bad)


@pytest.mark.slow
def test_6_results_and_checkpoints_respect_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        rc, _, err = cli(capsys, "train", *B, "--out", tmp_path / "run")
        assert rc == 0, err
        for name in ARTEFACTS:
            assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644, name
        os.umask(0o027)
        path = atomic_write(tmp_path / "a.json", b"{}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)


# ----------------------------------------------------------------------------- tracebacks


def test_7_byte_flipped_model(finished_run, tmp_path, capsys):
    raw = bytearray((finished_run / "model.keras").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(raw))
    rc, _, err = cli(capsys, "sample", "--model", tmp_path / "flip.keras", "--n", "2", "--out", tmp_path / "s.png")
    assert rc == 1
    one_line_error(err, "flip.keras is damaged")
    assert not (tmp_path / "s.png").exists()


def test_8_a_plain_keras_model_is_not_a_made(tmp_path, capsys):
    import keras

    seq = keras.Sequential([keras.Input((784,)), keras.layers.Dense(784)])
    seq.save(tmp_path / "seq.keras")
    rc, _, err = cli(capsys, "evaluate", "--model", tmp_path / "seq.keras", "--limit", "10")
    assert rc == 1
    one_line_error(err, "holds a Keras Sequential, not a MADE")


def test_9_huge_n_is_refused_up_front(finished_run, tmp_path, capsys):
    rc, _, err = cli(capsys, "sample", "--model", finished_run, "--n", "1000000000", "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "argument --n: must be <= 2500")
    rc, _, err = cli(capsys, "sample", "--model", finished_run, "--n", "2000", "--ncols", "1",
                     "--out", tmp_path / "s.png")
    assert rc == 2
    one_line_error(err, "2000 rows")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_10_crafted_config_with_float_width(finished_run, tmp_path):
    """A real process: one line on stderr, no traceback."""
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "bad.keras", hidden_sizes=[3.5])
    r = made_process("sample", "--model", bad, "--n", "2", "--out", tmp_path / "s.png")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "bad.keras is damaged or not a MADE model" in last and "hidden_sizes[0]" in last
    assert not (tmp_path / "s.png").exists()


def test_11_a_million_masks_neither_hangs_nor_fills_memory(finished_run, tmp_path, capsys):
    t0 = time.perf_counter()
    model = MADE(6, [8], num_masks=1_000_000, ordering="random", seed=0)
    model.set_mask(999_999)
    assert time.perf_counter() - t0 < 30
    assert model.current_mask == 999_999
    bad = rewrite_keras(finished_run / "model.keras", tmp_path / "many.keras", num_masks=1_000_000)
    t0 = time.perf_counter()
    rc, _, err = cli(capsys, "evaluate", "--model", bad, "--limit", "10")
    assert rc == 1 and time.perf_counter() - t0 < 60
    one_line_error(err, "num_masks=1000000 exceeds 10000")
    rc, _, err = cli(capsys, "train", *B, "--masks", "1000000", "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, "argument --masks: must be <= 10000")


# ----------------------------------------------------------------------------- unclear messages
@pytest.mark.parametrize("content", [b"this is text, not an npz", b"", b"\x93NUMPY\x01\x00junk"])
def test_text_file_named_npz_is_reported_without_pickle_advice(tmp_path, content):
    (tmp_path / "binarized_mnist_train.npz").write_bytes(content)
    with pytest.raises(data.DataIntegrityError) as e:
        data.load_binarized_mnist("train", data_dir=tmp_path, cache_dir=tmp_path / "cache", download=False,
                                  verbose=False)
    message = str(e.value)
    assert "allow_pickle" not in message and "pickle=" not in message
    assert "not a valid .npz file" in message and "load again" in message and "data/README.md" in message


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
    rc, _, err = cli(capsys, "train", *B, "--out", run_copy, "--resume")
    assert rc == 0, err
    rc, out, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10")
    assert rc == 0 and "test NLL" in out, err


def test_model_save_is_atomic(finished_run, tmp_path):
    """A writer that dies half-way (as with SIGKILL during model.save) leaves the previous file."""
    from made_helpers.experiments.run_folder import save_model

    target = tmp_path / "model.keras"
    shutil.copy(finished_run / "model.keras", target)
    before = target.read_bytes()

    class Dying:
        def save(self, path):
            Path(path).write_bytes(b"PK\x03\x04 half a zip")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        save_model(Dying(), target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]      # no temp file left


def test_renamed_h5_lists_the_accepted_formats(finished_run, tmp_path, capsys):
    shutil.copy(finished_run / "model.keras", tmp_path / "model.h5")
    rc, _, err = cli(capsys, "evaluate", "--model", tmp_path / "model.h5", "--limit", "10")
    assert rc == 1
    one_line_error(err, "a .h5 file; accepted are a run folder", ".keras")


@pytest.mark.parametrize("flags, difference", [
    (["--hidden", "16"], "model.hidden_sizes: checkpoint [8] vs now [16]"),
    (["--optimizer", "adagrad"], "optimizer: checkpoint 'adam' vs now 'adagrad'"),
])
def test_resume_with_other_settings_prints_the_difference(run_copy, capsys, flags, difference):
    before = snapshot(run_copy)
    b = [f for f in B if f not in ("--hidden", "8")]
    rc, _, err = cli(capsys, "train", *b, *flags, "--out", run_copy, "--resume")
    assert rc == 1
    one_line_error(err, "cannot resume, the settings differ", difference)
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("argv, message", [
    (["train", *B, "--out", "{tmp}/r", "--learning-rate", "-1e-3"],
     "argument --learning-rate: must be a positive finite number, got -1e-3"),
    (["train", *B, "--out", "{tmp}/r", "--seed", "99999999999"], "argument --seed: must be <= 4294967295"),
    (["train", *B, "--out", "{tmp}/r", "--seed", "-1"], "argument --seed: must be >= 0"),
    (["train", *B, "--out", "{tmp}/afile"], "--out {tmp}/afile is an existing file, not a folder"),
    (["train", *B, "--out", "{tmp}/afile/run"], "afile is a file, not a folder"),
    (["evaluate", "--model", "{run}", "--json", "{tmp}"], "is a folder: name a .json file"),
    (["sample", "--model", "{run}", "--seed", str(2**32), "--out", "{tmp}/s.png"],
     "argument --seed: must be <= 4294967295"),
])
def test_values_and_paths_are_checked_up_front(finished_run, tmp_path, capsys, argv, message):
    (tmp_path / "afile").write_text("mine")
    argv = [a.format(tmp=tmp_path, run=finished_run) for a in argv]
    rc, out, err = cli(capsys, *argv)
    assert rc == 2
    one_line_error(err, message.format(tmp=tmp_path))
    assert out == ""                                       # nothing loaded, nothing trained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert (tmp_path / "afile").read_text() == "mine"


@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("x", TypeError), (2**32, ValueError), (1.0, TypeError)])
def test_made_seed_message_names_the_parameter(seed, error):
    with pytest.raises(error, match=r"^seed must be an integer in 0\.\.4294967295, got"):
        MADE(4, [8], seed=seed)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_log_prob_batch_size_message_names_the_parameter(batch_size):
    model = MADE(4, [8], seed=0)
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got"):
        model.log_prob(np.zeros((2, 4), np.float32), batch_size=batch_size)


@pytest.mark.slow
def test_stale_checkpoint_temp_files_are_removed_on_the_next_start(run_copy, capsys):
    dead = 2**22 + 12345                                  # above the default pid_max: no such process
    stale = [run_copy / "checkpoint.npz.abc123.tmp",     # the old mkstemp name
             run_copy / f"checkpoint.npz.{dead}.0a1b2c3d.tmp.npz",
             run_copy / f"history.json.{dead}.0a1b2c3d.tmp.json",
             run_copy / f"model.keras.{dead}.0a1b2c3d.tmp.keras"]
    for p in stale:
        p.write_bytes(b"half")
    live = run_copy / f"checkpoint.npz.{os.getppid()}.0a1b2c3d.tmp.npz"   # a running writer's file
    live.write_bytes(b"busy")
    rc, _, err = cli(capsys, "train", *[f if f != "1" else "2" for f in B], "--out", run_copy, "--resume")
    assert rc == 0, err
    assert not any(p.exists() for p in stale) and live.exists()
    assert sorted(p.name for p in run_copy.iterdir()) == sorted([*ARTEFACTS, live.name])


@pytest.mark.slow
def test_ctrl_c_during_start_up_prints_one_line(tmp_path):
    start = time.perf_counter()                           # how long the command line's own import takes here
    subprocess.run([sys.executable, "-c", "import made_helpers.experiments.cli"], cwd=ROOT, env=PROCESS_ENV, check=True)
    ready = time.perf_counter() - start
    proc = subprocess.Popen([*MADE_COMMAND, "train", *B, "--out", str(tmp_path / "r")],
                            cwd=ROOT, env=PROCESS_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(0.5, 1.5 * ready))                     # then TensorFlow's import takes seconds more
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().splitlines()[-1].startswith("made train: interrupted")


# ----------------------------------------------------------------------------- the shared helpers
def test_check_int_messages():
    assert check_int("k", np.int64(3), 1, 5) == 3 and type(check_int("k", np.int64(3))) is int
    for value, error, message in [
        (0, ValueError, "k must be an integer in 1..5, got 0"),
        (6, ValueError, "k must be an integer in 1..5, got 6"),
        (True, TypeError, "k must be an integer in 1..5, got bool True"),
        (2.0, TypeError, "k must be an integer in 1..5, got float 2.0"),
    ]:
        with pytest.raises(error) as e:
            check_int("k", value, 1, 5)
        assert str(e.value) == message
    with pytest.raises(ValueError, match=r"^epochs must be a positive integer, got str '3'$"):
        check_int("epochs", "3", low=1, type_error=ValueError)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 2 \(why\), got 1$"):
        check_int("n", 1, low=2, why=" (why)")
    assert check_seed("seed", 2**32 - 1) == 2**32 - 1
    assert check_positive_float("lr", 3) == 3.0
    for bad in (0, -1.0, float("nan"), float("inf"), "1", True):
        with pytest.raises(ValueError, match="^lr must be a positive number, got"):
            check_positive_float("lr", bad)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = atomic_write(tmp_path / "f.json", b"old")

    def fail(f):
        f.write(b"new, half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.json"]
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert remove_stale_temps(tmp_path / "nothing") == []


def _isinstance_call(node) -> ast.AST | None:
    """The first argument of an ``isinstance(...)`` call, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
        return node.args[0]
    return None


def hand_written_number_checks(source: str) -> list[int]:
    """Lines of ``isinstance(v, bool) or not isinstance(v, ...)``: an integer/number check written by hand."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)):
            continue
        bools = {ast.dump(_isinstance_call(v)) for v in node.values
                 if _isinstance_call(v) is not None and ast.unparse(v.args[1]) == "bool"}
        negated = {ast.dump(_isinstance_call(v.operand)) for v in node.values
                   if isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.Not) and _isinstance_call(v.operand)}
        if bools & negated:
            lines.append(node.lineno)
    return lines


def test_the_copy_finder_finds_the_number_checks_of_checks_py():
    """The finder has power: it finds the one place the pattern belongs, and a copy under another name."""
    assert hand_written_number_checks((ROOT / "made_helpers" / "checks.py").read_text())
    assert hand_written_number_checks("if isinstance(k, bool) or not isinstance(k, (int, np.integer)):\n    pass\n")
    assert not hand_written_number_checks("if isinstance(k, bool) or not isinstance(j, int):\n    pass\n")


def test_no_second_copy_of_the_helpers():
    """One atomic write (atomic.py) and one number check (checks.py): no mkstemp and no hand-written
    ``isinstance(v, bool) or not isinstance(v, (int, ...))`` anywhere else in the package."""
    copies = []
    for path in sorted((ROOT / "made_helpers").rglob("*.py")):
        text, name = path.read_text(), path.relative_to(ROOT).as_posix()
        if path.name != "atomic.py" and "mkstemp" in text:
            copies.append(f"{name}: mkstemp (use made_helpers.atomic)")
        if path.name != "checks.py":
            copies += [f"{name}:{line}: a number check by hand (use made_helpers.checks)"
                       for line in hand_written_number_checks(text)]
    assert not copies, "\n".join(copies)
