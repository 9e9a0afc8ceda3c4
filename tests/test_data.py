"""Data loaders: real data when present, and clear errors for every broken case (fake files in tmp_path)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, TINY_BINARIZED_RUN, cli, one_line_error

from made_helpers import data

SHARED = Path(os.environ.get("MADE_DATA_DIR", "") or Path(__file__).resolve().parents[2] / "shared/data/mnist")
HAS_SHARED = (SHARED / "binarized_mnist_test.npz").is_file()
needs_shared = pytest.mark.skipif(not HAS_SHARED, reason=f"no MNIST copy at {SHARED} (set MADE_DATA_DIR)")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No MADE_DATA_DIR, no download; returns (data_dir, cache_dir) for the loaders' keyword arguments."""
    monkeypatch.delenv("MADE_DATA_DIR", raising=False)
    monkeypatch.setenv("MADE_OFFLINE", "1")
    d, c = tmp_path / "local", tmp_path / "cache"
    d.mkdir()
    c.mkdir()
    return d, c


def write_packed(path: Path, x: np.ndarray, shape=None) -> None:
    np.savez_compressed(path, bits=np.packbits(x.astype(np.uint8), axis=1),
                        shape=np.array(shape if shape is not None else x.shape, dtype=np.int64))


def random_bits(n: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, 784)) < 0.13).astype(np.uint8)


# ----------------------------------------------------------------------------- real data
@needs_shared
def test_real_binarized_splits_are_larochelle(monkeypatch, capsys):
    monkeypatch.setenv("MADE_DATA_DIR", str(SHARED))
    for split, n in [("valid", 10_000), ("test", 10_000)]:
        x, info = data.load_binarized_mnist(split, download=False, return_info=True)
        assert x.shape == (n, 784) and x.dtype == np.float32
        assert set(np.unique(x)) == {0.0, 1.0}
        assert 0.12 < x.mean() < 0.14
        assert info.source == "larochelle" and info.comparable_with_paper and info.n == n
    assert "Larochelle" in capsys.readouterr().out


@needs_shared
def test_real_grey_mnist_and_grey_built_benchmark(monkeypatch, capsys):
    monkeypatch.setenv("MADE_DATA_DIR", str(SHARED))
    images, labels = data.load_mnist("test", download=False)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    x, info = data.load_binarized_mnist("test", source="grey", download=False, return_info=True)
    assert info.source == "grey_static" and "BUILT FROM GREY MNIST" in info.description
    assert x.shape == (10_000, 784)
    # one Bernoulli(grey/255) draw: the mean of the bits matches the mean grey level
    assert abs(x.mean() - images.mean() / 255) < 2e-3
    # never a 1 where the grey level is 0
    assert not np.any((x == 1) & (images.reshape(-1, 784) == 0))
    again = data.load_binarized_mnist("test", source="grey", download=False, verbose=False)
    np.testing.assert_array_equal(x, again)       # static: the same draw every time


@needs_shared
def test_download_path_converts_amat_and_checks_it(isolated, monkeypatch):
    """The download step, without a network: `_download` copies a local .amat made from the real test split."""
    _, cache = isolated
    with np.load(SHARED / "binarized_mnist_test.npz", allow_pickle=False) as z:
        x = np.unpackbits(z["bits"], axis=1, count=784)
    source = cache.parent / "source.amat"
    source.write_text("\n".join(" ".join(map(str, row)) for row in x) + "\n")
    urls = []

    def fake_download(url, dest, timeout=60.0):
        urls.append(url)
        shutil.copyfile(source, dest)

    monkeypatch.setattr(data, "_download", fake_download)
    got, info = data.load_binarized_mnist("test", source="larochelle", cache_dir=cache, download=True,
                                          return_info=True, verbose=False)
    assert urls == [data.LAROCHELLE_URL.format(split="test")]
    np.testing.assert_array_equal(got, x)
    assert (cache / "binarized_mnist_test.npz").is_file() and not (cache / "binarized_mnist_test.amat").exists()
    # the second load reads the verified cache, no download
    data.load_binarized_mnist("test", source="larochelle", cache_dir=cache, download=True, verbose=False)
    assert len(urls) == 1


@needs_shared
def test_truncated_copy_of_real_file(isolated):
    local, cache = isolated
    raw = (SHARED / "binarized_mnist_test.npz").read_bytes()
    (local / "binarized_mnist_test.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataIntegrityError, match="truncated or corrupt") as e:
        data.load_binarized_mnist("test", data_dir=local, cache_dir=cache)
    assert str(local / "binarized_mnist_test.npz") in str(e.value)


# ----------------------------------------------------------------------------- broken files
def test_checksum_mismatch_names_the_file(isolated):
    local, cache = isolated
    write_packed(local / "binarized_mnist_valid.npz", random_bits(10_000))
    with pytest.raises(data.DataIntegrityError, match="checksum mismatch") as e:
        data.load_binarized_mnist("valid", data_dir=local, cache_dir=cache)
    assert "binarized_mnist_valid.npz" in str(e.value)


def test_corrupt_file_is_not_skipped_for_another_copy(isolated):
    """A bad file in the first folder raises, even if the cache might hold a good one."""
    local, cache = isolated
    write_packed(local / "binarized_mnist_test.npz", random_bits(10_000))
    write_packed(cache / "binarized_mnist_test.npz", random_bits(10_000, seed=1))
    with pytest.raises(data.DataIntegrityError, match=str(local)):
        data.load_binarized_mnist("test", data_dir=local, cache_dir=cache)


def test_truncated_file(isolated):
    local, cache = isolated
    path = local / "binarized_mnist_test.npz"
    write_packed(path, random_bits(10_000))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(data.DataIntegrityError, match="truncated or corrupt") as e:
        data.load_binarized_mnist("test", data_dir=local, cache_dir=cache)
    assert str(path) in str(e.value)


def test_wrong_shape(isolated):
    local, cache = isolated
    write_packed(local / "binarized_mnist_test.npz", random_bits(10))
    with pytest.raises(data.DataIntegrityError, match=r"wrong shape.*\(10, 784\).*\(10000, 784\)"):
        data.load_binarized_mnist("test", data_dir=local, cache_dir=cache)
    np.savez_compressed(local / "mnist_test.npz", images=np.zeros((5, 28, 28), np.uint8),
                        labels=np.zeros(5, np.uint8))
    with pytest.raises(data.DataIntegrityError, match="wrong shape"):
        data.load_mnist("test", data_dir=local, cache_dir=cache)


def test_missing_array_key(isolated):
    local, cache = isolated
    np.savez_compressed(local / "mnist_test.npz", pixels=np.zeros((3, 3), np.uint8))
    with pytest.raises(data.DataIntegrityError, match=r"missing array\(s\) \['images', 'labels'\]"):
        data.load_mnist("test", data_dir=local, cache_dir=cache)


def test_bad_amat_text(isolated):
    local, cache = isolated
    (local / "binarized_mnist_test.amat").write_text("0 1 0\n1 1 1\n")
    with pytest.raises(data.DataIntegrityError, match="binarized_mnist_test.amat"):
        data.load_binarized_mnist("test", data_dir=local, cache_dir=cache)


def test_missing_folder_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MADE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(data.DataNotFoundError, match="MADE_DATA_DIR=.*nowhere.*not an existing folder"):
        data.load_binarized_mnist("test", cache_dir=tmp_path, download=False)


def test_nothing_found_says_where_and_how_to_fix(isolated):
    local, cache = isolated
    with pytest.raises(data.DataNotFoundError) as e:
        data.load_binarized_mnist("test", source="auto-strict", data_dir=local, cache_dir=cache)
    msg = str(e.value)
    assert str(local) in msg and str(cache) in msg
    assert "MADE_DATA_DIR" in msg and "--data fallback" in msg and "download" in msg


def test_bad_split_and_source():
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_binarized_mnist("validation")
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_mnist("valid")
    with pytest.raises(ValueError, match="source must be one of"):
        data.load_binarized_mnist("test", source="somewhere")


# ----------------------------------------------------------------------------- fallback subset
def test_fallback_announces_itself(capsys):
    x, info = data.load_fallback_subset("valid", return_info=True)
    out = capsys.readouterr().out
    assert "FALLBACK SUBSET" in out and "NOT comparable" in out
    assert x.shape == (1000, 784) and x.dtype == np.float32 and set(np.unique(x)) == {0.0, 1.0}
    assert info.source == "fallback" and not info.comparable_with_paper


def test_fallback_splits_are_disjoint_shuffled_and_fixed():
    images, labels = data._fallback_grey()
    assert images.shape == (5000, 28, 28) and np.bincount(labels).tolist() == [500] * 10
    # shuffled before splitting: every split holds every digit
    for split in ("train", "valid", "test"):
        assert len(np.unique(labels[data.FALLBACK_ROWS[split]])) == 10
    tr = data.load_fallback_subset("train", verbose=False)
    te = data.load_fallback_subset("test", verbose=False)
    assert tr.shape == (3000, 784) and te.shape == (1000, 784)
    np.testing.assert_array_equal(te, data.load_fallback_subset("test", verbose=False))


def test_auto_uses_fallback_only_when_nothing_else_and_warns(isolated, capsys):
    local, cache = isolated
    with pytest.warns(UserWarning, match="NOT comparable"):
        x, info = data.load_binarized_mnist("test", data_dir=local, cache_dir=cache, return_info=True)
    assert info.source == "fallback" and x.shape == (1000, 784)
    assert "FALLBACK SUBSET" in capsys.readouterr().out


def test_fallback_file_ships_with_the_package():
    assert data.FALLBACK_FILE.is_file() and data.FALLBACK_FILE.stat().st_size < 1_000_000
    assert data.FALLBACK_FILE.parent.parent == Path(data.__file__).resolve().parent


def test_fallback_checksum_mismatch_and_corrupt_file(tmp_path):
    images, labels = data._fallback_grey()
    fake = tmp_path / "mnist_5k.npz"
    np.savez_compressed(fake, images=images, labels=labels)       # shuffled: other bytes, same shapes
    with pytest.raises(data.DataIntegrityError, match="mnist_5k.npz: checksum mismatch"):
        data._fallback_grey(fake)
    fake.write_bytes(b"not the subset")
    with pytest.raises(data.DataIntegrityError, match="mnist_5k.npz: cannot be read"):
        data._fallback_grey(fake)


# ----------------------------------------------------------------------------- binarize
def test_binarize_threshold_and_stochastic():
    grey = np.array([[0, 100, 200, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(data.binarize(grey, "threshold"), [[0, 0, 1, 1]])
    p = np.full((2000, 784), 64, dtype=np.uint8)
    a = data.binarize(p, "stochastic", seed=3)
    assert a.dtype == np.float32 and a.shape == (2000, 784)
    assert abs(a.mean() - 64 / 255) < 0.005
    np.testing.assert_array_equal(a, data.binarize(p, seed=3))
    assert not np.array_equal(a, data.binarize(p, seed=4))     # dynamic: a new draw per seed
    assert data.binarize(np.zeros((1, 28, 28), np.uint8)).shape == (1, 784)
    np.testing.assert_array_equal(data.binarize(np.array([[0.0, 1.0]])), [[0, 1]])


def test_binarize_rejects_bad_input():
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\]"):
        data.binarize(np.array([[0.0, 255.0]]))
    with pytest.raises(ValueError, match="0..255"):
        data.binarize(np.array([[-1, 3]]))
    with pytest.raises(ValueError, match="method must be"):
        data.binarize(np.zeros((1, 4), np.uint8), method="otsu")
    with pytest.raises(ValueError, match="shape"):
        data.binarize(np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        data.binarize(np.array([[np.nan]]))


def test_printed_provenance_names_the_data_and_its_checksum_check_but_no_path(capsys):
    """Notebooks print the loaders' line: the data set and its checksum check, never a file path (issue 16)."""
    x, info = data.load_fallback_subset("test", return_info=True)
    out = capsys.readouterr().out
    assert info.path and info.path not in out and "mnist_5k.npz" not in out
    assert "SHA-256 of the arrays verified" in out and "1000 test digits" in out
    assert info.provenance() in out


# ----------------------------------------------------------------------------- what is not a data file
@pytest.mark.parametrize("content", [b"this is text, not an npz", b"", b"\x93NUMPY\x01\x00junk"])
def test_text_file_named_npz_is_reported_without_pickle_advice(tmp_path, content):
    (tmp_path / "binarized_mnist_train.npz").write_bytes(content)
    with pytest.raises(data.DataIntegrityError) as e:
        data.load_binarized_mnist("train", data_dir=tmp_path, cache_dir=tmp_path / "cache", download=False,
                                  verbose=False)
    message = str(e.value)
    assert "allow_pickle" not in message and "pickle=" not in message
    assert "not a valid .npz file" in message and "load again" in message and "data/README.md" in message


@pytest.mark.parametrize("thing", ["loop", "folder", "dangling"])
def test_a_data_file_that_is_not_a_file_is_refused_naming_it(tmp_path, capsys, thing):
    folder = tmp_path / "data"
    folder.mkdir()
    name = folder / "binarized_mnist_train.npz"
    if thing == "loop":
        name.symlink_to(name.name)
    elif thing == "folder":
        name.mkdir()
    else:
        name.symlink_to(tmp_path / "gone.npz")
    (folder / "mnist_train.npz").symlink_to(ROOT / "no-such-file.npz")          # grey MNIST must not be used
    with pytest.raises(data.DataIntegrityError, match=r"binarized_mnist_train\.npz: is a (symbolic link|folder)"):
        data.load_binarized_mnist("train", data_dir=folder, cache_dir=tmp_path / "cache", download=False,
                                  verbose=False)
    rc, out, err = cli(capsys, "train", *TINY_BINARIZED_RUN, "--data-dir", folder, "--out", tmp_path / "run")
    assert rc == 1
    one_line_error(err, f"{name}: is a ", "not a data file")
    assert "GREY" not in out and not (tmp_path / "run").exists() and not (tmp_path / "cache").exists()
