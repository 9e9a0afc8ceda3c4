"""Output paths the user names (made_helpers.files.check_writable): checked before the work, and every
message names the path as given, never a temporary file."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import TINY_RUN, cli, one_line_error

from made_helpers.atomic import atomic_write
from made_helpers.errors import UserInputError
from made_helpers.files import check_writable


def test_G005_save_image_grid_into_a_missing_folder_names_the_path_before_plotting(tmp_path, monkeypatch):
    from made_helpers.core import plotting

    target = tmp_path / "nonexistent" / "dir" / "x.png"
    monkeypatch.setattr(plotting, "plot_images", lambda *a, **k: pytest.fail("plotted before the path was checked"))
    with pytest.raises(UserInputError) as info:
        plotting.save_image_grid(np.zeros((2, 784)), str(target), "t")
    message = str(info.value)
    assert str(target) in message and "does not exist" in message and ".tmp" not in message
    assert "\n" not in message and not (tmp_path / "nonexistent").exists()


def test_check_writable_refuses_a_folder_a_file_as_folder_a_missing_folder_and_a_read_only_one(tmp_path):
    assert check_writable(tmp_path / "a.png", "path") == tmp_path / "a.png"
    assert check_writable(tmp_path / "new" / "a.json", "--json") == tmp_path / "new" / "a.json"  # may be made
    with pytest.raises(UserInputError, match="does not exist"):
        check_writable(tmp_path / "new" / "a.png", "path", folder_must_exist=True)
    with pytest.raises(UserInputError, match="is a folder"):
        check_writable(tmp_path, "--out")
    (tmp_path / "file").write_text("")
    with pytest.raises(UserInputError, match="file is a file, not a folder"):
        check_writable(tmp_path / "file" / "a.png", "path")
    with pytest.raises(UserInputError, match="its folder .*file is not a folder"):
        check_writable(tmp_path / "file" / "a.png", "path", folder_must_exist=True)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):                     # root may write anywhere
        pytest.skip("running as a user who may write into read-only folders")
    with pytest.raises(UserInputError, match="cannot write"):
        check_writable(locked / "a.png", "path")


def test_atomic_write_failure_names_the_requested_file_not_its_temporary(tmp_path):
    target = tmp_path / "missing" / "x.json"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(target, b"{}")
    assert f"cannot write {target}" in str(info.value) and ".tmp" not in str(info.value)


def test_sample_refuses_to_replace_an_existing_file_without_overwrite(finished_run, tmp_path, capsys, monkeypatch):
    """A variant of K045 (evaluate --json replaced any file): `made sample --out keep.png`, or an --out folder
    holding samples.png, replaced a file this run did not make; --overwrite replaces it."""
    from conftest import cli, one_line_error

    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.png").write_bytes(b"the user's picture")
    (tmp_path / "grids").mkdir()
    (tmp_path / "grids" / "samples.png").write_bytes(b"an earlier grid")
    for out, named in (("keep.png", "--out keep.png already exists"),
                       ("grids", "--out grids: grids/samples.png already exists")):
        rc, stdout, err = cli(capsys, "sample", "--model", finished_run, "--n", "2", "--out", out)
        assert rc == 2 and stdout == ""
        one_line_error(err, named, "add --overwrite to replace it")
    assert (tmp_path / "keep.png").read_bytes() == b"the user's picture"
    assert (tmp_path / "grids" / "samples.png").read_bytes() == b"an earlier grid"
    rc, stdout, err = cli(capsys, "sample", "--model", finished_run, "--n", "2", "--out", "keep.png", "--overwrite")
    assert rc == 0 and (tmp_path / "keep.png").read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------------- made train --out
def test_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "train", *TINY_RUN, "--out", "")
    assert rc == 2
    one_line_error(err, "--out is empty")
    assert list(tmp_path.iterdir()) == [] and out == ""
