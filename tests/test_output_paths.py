"""Output paths the user names (made_helpers.files.check_writable): checked before the work, and every
message names the path as given, never a temporary file."""

from __future__ import annotations

import os

import numpy as np
import pytest

from made_helpers.atomic import atomic_write
from made_helpers.errors import UserInputError
from made_helpers.files import check_writable


def test_G005_save_image_grid_into_a_missing_folder_names_the_path_before_plotting(tmp_path, monkeypatch):
    from made_helpers import plotting

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
    with pytest.raises(UserInputError, match="not a folder"):
        check_writable(tmp_path / "file" / "a.png", "path")
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
