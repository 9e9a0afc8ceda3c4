"""The download step itself, on a local file:// URL (no network): the bytes arrive whole, with progress."""

from __future__ import annotations

import os
import urllib.error

import pytest

from made_helpers import data


def test_download_copies_the_bytes_and_reports_progress(tmp_path, capsys):
    source = tmp_path / "source.bin"
    payload = os.urandom(3_500_000)                       # 4 reads of 1 MB
    source.write_bytes(payload)
    dest = tmp_path / "cache" / "copy.bin"
    data._download(source.as_uri(), dest)
    assert dest.read_bytes() == payload
    out = capsys.readouterr().out
    assert "downloading file://" in out
    assert "of 3.5 MB (100 %)" in out and "3.5 MB downloaded to copy.bin" in out
    assert not [p for p in dest.parent.iterdir() if p != dest], "no temporary file is left behind"


def test_a_failed_download_is_not_reported_as_a_write_error(tmp_path):
    """MADE_OFFLINE=false with no network (F019's variant): 'download ... failed (OSError: cannot write
    data/binarized_mnist_train.amat: <urlopen error ...>)' blamed the disk; the URL error is kept as it is."""
    dest = tmp_path / "copy.bin"
    with pytest.raises(urllib.error.URLError) as info:
        data._download((tmp_path / "missing.bin").as_uri(), dest)
    assert "cannot write" not in str(info.value)
    assert list(tmp_path.iterdir()) == [], "no temporary file is left behind"
