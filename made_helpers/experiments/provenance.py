"""Where a recorded number comes from: the machine, the code's commit and the data (paths relative to the
repository in committed files, relative to the current folder in messages)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

__all__ = ["REPOSITORY", "git_commit", "load_split", "machine_info", "portable_data_info", "shown_path"]

REPOSITORY = Path(__file__).resolve().parents[2]
"""The repository's root (``made_helpers/experiments/provenance.py`` is two folders below it)."""


def machine_info() -> dict:
    """Platform, CPU count and library versions, for results files."""
    import keras
    import numpy as np
    import tensorflow as tf

    cpu, flags = platform.processor() or "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not flags:
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    # the instruction sets that decide matmul speed (fp32 AVX2 / AVX-512, bf16, AMX)
    wanted = sorted(f for f in flags if f.startswith(("avx512f", "avx512_bf16", "amx", "avx2")))
    return {"platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "cpu_flags": " ".join(wanted) or "none of avx2/avx512/amx",
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}


def git_commit() -> str | None:
    """The repository's HEAD commit (with ``+dirty`` for uncommitted changes), or None."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "made_helpers"], cwd=REPOSITORY,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def portable_data_info(info: dict) -> dict:
    """A data description (``DataInfo.to_dict()``) with its file path relative to the repository (committed files)."""
    path = info.get("path")
    if not path or not os.path.isabs(path):
        return info
    relative = os.path.relpath(path, REPOSITORY)
    return {**info, "path": relative, "description": info.get("description", "").replace(path, relative)}


def shown_path(path: str) -> str:
    """``path`` as a message shows it: relative to the current folder when inside it, else absolute."""
    absolute, cwd = os.path.abspath(path), os.getcwd()
    inside = absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep)
    return os.path.relpath(absolute, cwd) if inside else absolute


def load_split(kind: str, split: str, limit: int | None, data_dir: str | None) -> tuple:
    """``(x (N, 784) float32, info, shown)`` for ``--data binarized|fallback``: ``info`` for files
    (:func:`portable_data_info`), ``shown`` for messages (:func:`shown_path`)."""
    from .. import data

    if kind == "fallback":
        x, raw = data.load_fallback_subset(split, verbose=False, return_info=True)
    else:
        x, raw = data.load_binarized_mnist(split, source="auto-strict", data_dir=data_dir, verbose=False,
                                           return_info=True)
    shown = raw.description.replace(raw.path, shown_path(raw.path)) if raw.path else raw.description
    print(f"[made_helpers.data] {shown}", flush=True)
    info = portable_data_info(raw.to_dict())
    if limit is not None and limit < len(x):
        x = x[:limit]
        info["limit"] = limit
        info["description"] += f" [first {limit} rows only]"
        shown += f" [first {limit} rows only]"
        print(f"[made_helpers.experiments.cli] using the first {limit} of the {info['n']} {split} rows", flush=True)
    info["n_used"] = len(x)
    return x, info, shown
