"""What ``made evaluate``/``sample``/``train`` write, and what they record: no file is replaced without
``--overwrite`` nor a file the command reads; an unwritable output is refused before the work, naming the user's path;
the recorded numbers are those of the run evaluated. Issue 28, classes 1 and 5 and its silent wrong results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROCESS_ENV, ROOT, TINY_RUN, cli, one_line_error, snapshot

from made_helpers.experiments.cli import main
from made_helpers.files import MIN_FILE_SIZE_LIMIT


def test_json_never_replaces_a_file_without_overwrite(finished_run, tmp_path, capsys):
    """K045 (an unrelated keep.json, or a committed results file, replaced silently) and K036 (--compare X
    --json X read X, then replaced it)."""
    keep = tmp_path / "keep.json"
    keep.write_text('{"keep": 1}')
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run, "--limit", "10", "--json", keep)
    assert rc == 2
    one_line_error(err, f"--json {keep} already exists: add --overwrite")
    assert keep.read_text() == '{"keep": 1}' and "test NLL" not in out
    # --overwrite replaces it; then the file is an input of --compare and cannot be the output, even with --overwrite
    assert cli(capsys, "evaluate", "--model", finished_run, "--limit", "10", "--json", keep, "--overwrite")[0] == 0
    record = keep.read_bytes()
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run, "--limit", "10", "--compare", keep, "--json",
                       keep, "--overwrite")
    assert rc == 2
    one_line_error(err, f"--json {keep} is {keep}, which this command reads")
    assert keep.read_bytes() == record


@pytest.mark.parametrize("command", ["evaluate", "sample", "train"])
def test_unwritable_output_is_refused_before_the_work(finished_run, capsys, command):
    """F007/F008: a read-only place was reported after the work, naming a temporary file (here: /proc, which takes
    no new files even for root)."""
    target = {"evaluate": "/proc/out.json", "sample": "/proc/s.png", "train": "/proc/run"}[command]
    flag = "--out" if command != "evaluate" else "--json"
    argv = {"evaluate": ["evaluate", "--model", finished_run, "--limit", "5"],
            "sample": ["sample", "--model", finished_run, "--n", "2"], "train": ["train", *TINY_RUN]}[command]
    rc, out, err = cli(capsys, *argv, flag, target)
    assert rc == 2
    line = one_line_error(err, f"{flag} {target}: cannot write in /proc")
    assert ".tmp" not in line and "test NLL" not in out and "wrote" not in out


def test_a_dangling_link_as_out_is_named(tmp_path, capsys):
    """A026: '[Errno 17] File exists' for a symbolic link to nowhere."""
    os.symlink("/nonexistent/deep/dir", tmp_path / "dang")
    rc, _, err = cli(capsys, "train", *TINY_RUN, "--out", tmp_path / "dang")
    assert rc == 2
    one_line_error(err, "is a symbolic link that points nowhere (/nonexistent/deep/dir)")


def test_a_tiny_file_size_limit_is_named_not_blamed_on_made_helpers(finished_run, tmp_path):
    """A011: with `ulimit -f 2` TensorFlow could not write its compiled function: 'internal error ... a bug'."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.RLIM_INFINITY)); "
            "from made_helpers.experiments.cli import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "sample", "--model", str(finished_run), "--n", "2", "--out",
                        str(tmp_path / "s.png")], cwd=ROOT, env=PROCESS_ENV, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1
    one_line_error(r.stderr, "the file-size limit (ulimit -f) is 2048 bytes", "ulimit -f unlimited")
    assert MIN_FILE_SIZE_LIMIT > 2048 and not list(tmp_path.iterdir())


def test_one_image_has_no_standard_error(finished_run, tmp_path, capsys):
    """V001: '± 0.000' was printed and test_nll_se 0.0 stored for a single image."""
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run, "--limit", "1", "--json", tmp_path / "one.json")
    assert rc == 0, err
    assert "±" not in out and "one image: no standard error" in out
    assert json.loads((tmp_path / "one.json").read_text())["test_nll_se"] is None


@pytest.mark.parametrize("command", ["evaluate", "train"])
def test_data_dir_with_the_fallback_subset_is_refused(finished_run, tmp_path, capsys, command):
    """V004: --data-dir was silently ignored with --data fallback (evaluate's default for a fallback-trained model)."""
    argv = (["evaluate", "--model", finished_run, "--limit", "3"] if command == "evaluate"
            else ["train", *TINY_RUN, "--out", tmp_path / "run"])
    rc, _, err = cli(capsys, *argv, "--data-dir", "/nonexistent")
    assert rc == 2
    one_line_error(err, "--data-dir /nonexistent has no effect with the fallback subset")
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def same_architecture_run(tmp_path_factory):
    """A second tiny run of the finished run's architecture and seed, trained on other images (its --limit)."""
    from made_helpers.experiments.cli import main

    run = tmp_path_factory.mktemp("runs") / "conc"
    limit = TINY_RUN.index("--limit") + 1
    assert main(["train", *TINY_RUN[:limit], "150", *TINY_RUN[limit + 1:], "--out", str(run)]) == 0
    return run


@pytest.mark.parametrize("summary_kind", ["beside its own model", "copied alone"])
def test_summary_of_another_run_of_the_same_architecture_is_refused(finished_run, same_architecture_run, tmp_path,
                                                                     capsys, summary_kind):
    """V005: the summary's config was compared, not the run: another run's training record was stored."""
    summary = same_architecture_run / "train_summary.json"
    if summary_kind == "copied alone":                  # judged by the model digest the summary records
        summary = shutil.copy(summary, tmp_path / "s.json")
    before = snapshot(tmp_path)
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary", summary,
                       "--limit", "3", "--json", tmp_path / "wrongsum.json")
    assert rc == 2
    one_line_error(err, f"--summary {summary} describes another model than --model", "another run")
    assert snapshot(tmp_path) == before


def test_the_own_summary_copied_out_is_accepted(finished_run, tmp_path, capsys):
    shutil.copy(finished_run / "model.keras", tmp_path / "m.keras")
    shutil.copy(finished_run / "train_summary.json", tmp_path / "s.json")
    rc, _, err = cli(capsys, "evaluate", "--model", tmp_path / "m.keras", "--summary", tmp_path / "s.json",
                     "--limit", "3", "--json", tmp_path / "r.json")
    assert rc == 0, err


# ----------------------------------------------------------------------- --json never overwrites what the command reads
@pytest.mark.parametrize("target, message", [
    ("{run}/model.keras", "must name a .json file"),
    ("{run}/history.json", "is a file of the run"),
    ("{run}/train_summary.json", "is a file of the run"),
    ("{run}", "is a folder"),
    ("{tmp}/result.txt", "must name a .json file"),
    ("", "--json is empty"),
])
def test_evaluate_json_never_overwrites_the_run(run_copy, tmp_path, capsys, target, message):
    before = snapshot(run_copy)
    target = target.format(run=run_copy, tmp=tmp_path)
    rc, out, err = cli(capsys, "evaluate", "--model", run_copy, "--limit", "10", "--json", target)
    assert rc == 2
    one_line_error(err, message)
    assert "NLL" not in out                       # refused up front, before any work
    assert snapshot(run_copy) == before
    assert not (tmp_path / "result.txt").exists()


def test_evaluate_json_cannot_be_the_summary_it_reads(finished_run, tmp_path, capsys):
    shutil.copy(finished_run / "model.keras", tmp_path / "m.keras")
    shutil.copy(finished_run / "train_summary.json", tmp_path / "s.json")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / "s.json")
    os.link(tmp_path / "s.json", tmp_path / "hard.json")
    os.link(tmp_path / "m.keras", tmp_path / "m.json")
    before = snapshot(tmp_path)
    for target, message in [("s.json", "which this command reads"), ("sub/../s.json", "which this command reads"),
                            ("link.json", "which this command reads"), ("hard.json", "which this command reads"),
                            ("m.json", "is the model file itself"),
                            (f"{finished_run}/train_summary.json", "is a file of the run")]:
        rc, out, err = cli(capsys, "evaluate", "--model", tmp_path / "m.keras", "--summary", tmp_path / "s.json",
                           "--limit", "10", "--json", target if target.startswith("/") else tmp_path / target)
        assert rc == 2, (target, err)
        one_line_error(err, message)
        assert "NLL" not in out                                      # refused before any work
    assert snapshot(tmp_path) == before


# -------------------------------------------------------------------------- --summary must describe the model evaluated
@pytest.mark.parametrize("kind, message", [
    ("other run", "describes another model than --model (seed: summary 1 vs model 0)"),
    ("old summary of another run", "describes another model than --model (seed: summary 1 vs model 0)"),
    ("results file", "is a results file (from made evaluate --json), not a training summary"),
    ("json list", "holds a JSON list, not an object"),
    ("keras file", "is a zip archive (a .keras model?), not a training summary"),
    ("not json", "is not JSON"),
    ("empty object", "has no settings or best_epoch"),
])
def test_summary_must_be_the_training_summary_of_the_model(finished_run, other_run, tmp_path, capsys,
                                                           kind, message):
    summary = tmp_path / ("s.keras" if kind == "keras file" else "s.json")
    if kind == "other run":
        shutil.copy(other_run / "train_summary.json", summary)
    elif kind == "old summary of another run":            # written before summaries recorded "model"
        old = json.loads((other_run / "train_summary.json").read_text())
        del old["model"]
        summary.write_text(json.dumps(old))
    elif kind == "results file":
        assert main(["evaluate", "--model", str(finished_run), "--limit", "10", "--json", str(summary)]) == 0
        capsys.readouterr()
    elif kind == "keras file":
        shutil.copy(finished_run / "model.keras", summary)
    else:
        summary.write_text({"json list": "[1, 2]", "not json": "{oops", "empty object": "{}"}[kind])
    before = snapshot(tmp_path)
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary", summary,
                       "--limit", "10", "--json", tmp_path / "r.json")
    assert rc == 2
    one_line_error(err, f"--summary {summary}", message)
    assert "NLL" not in out and snapshot(tmp_path) == before


def test_an_old_summary_of_the_same_model_is_accepted(finished_run, tmp_path, capsys):
    old = json.loads((finished_run / "train_summary.json").read_text())
    del old["model"]
    (tmp_path / "s.json").write_text(json.dumps(old))
    rc, _, err = cli(capsys, "evaluate", "--model", finished_run / "model.keras", "--summary",
                     tmp_path / "s.json", "--limit", "10", "--json", tmp_path / "r.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["training"]["best_epoch"] == 1


# ----------------------------------------------------------------------------- sample writes the path it prints
def test_sample_writes_exactly_the_path_it_prints(finished_run, tmp_path, monkeypatch, capsys):
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
