"""Command line: ``python -m made_helpers`` (or ``made``) ``train | evaluate | sample``.

Examples::

    made train --data binarized --hidden 500 --epochs 200 --patience 30 --out runs/made_k1
    made evaluate --model runs/made_k1 --split test --masks 1 --json results/made_k1.json
    made sample --model runs/made_k1 --n 100 --out runs/made_k1/samples.png

Bad flags, values, paths or environment variables (:mod:`made_helpers.environment`): one line, exit status 2,
before any work. Missing or broken files, a
run folder in use or already holding a run, a diverged run: one line, status 1. Anything else is a
bug: status 1, its traceback with ``MADE_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..checks import FLOAT32_MAX, SEED_MAX
from ..core.schedules import LR_FACTOR_DEFAULT, LR_PATIENCE_DEFAULT, SCHEDULE_FLAGS
from ..environment import EnvironmentVariableError, check_environment, env_flag
from ..errors import MadeError, UserInputError
from ..files import require_regular_file
from ..run_folder import CHECKPOINT_FILE, MODEL_FILE, RUN_ARTEFACTS, RUN_SUMMARY

if TYPE_CHECKING:                  # numpy is imported where used, so that `made --help` starts fast
    import numpy as np

MNIST_PIXELS = 784
MAX_SAMPLES = 2_500             # one PNG grid; more samples: several calls with other seeds
MAX_GRID_ROWS = 500             # keeps the PNG under matplotlib's 2**16-pixel limit
MAX_GRID_COLS = 40              # the PNG is at most ~1200 px wide: each digit keeps its 28 pixels
MAX_MASKS = 10_000              # masks a model may have in the CLI (each is a forward pass per evaluation)


class _Parser(argparse.ArgumentParser):
    """``argparse`` that reports a bad flag or value in one line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}" if high is None else f"integer in {low}..{high}"
    return parse


def _float_in(name: str, what: str, accept):
    """An argparse ``type``: a finite float for which ``accept(value)`` holds; ``name`` shows in errors."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not accept(value) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value
    parse.__name__ = name
    return parse


_positive_float = _float_in("positive number", "a positive finite number", lambda v: v > 0)   # float32: train.py
_fraction = _float_in("number in [0, 1)", "a number in [0, 1)", lambda v: 0 <= v < 1)
_non_negative_float = _float_in("number >= 0", f"a finite number >= 0 (at most {FLOAT32_MAX:.4g}, float32's range)",
                                lambda v: 0 <= v <= FLOAT32_MAX)


# --------------------------------------------------------------------------- shared helpers
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
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "made_helpers"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def portable_data_info(info: dict) -> dict:
    """A data description (``DataInfo.to_dict()``) with its file path relative to the repository (committed files)."""
    path = info.get("path")
    if not path or not os.path.isabs(path):
        return info
    relative = os.path.relpath(path, Path(__file__).resolve().parents[2])
    return {**info, "path": relative, "description": info.get("description", "").replace(path, relative)}


def shown_path(path: str) -> str:
    """``path`` as a message shows it: relative to the current folder when inside it, else absolute."""
    absolute, cwd = os.path.abspath(path), os.getcwd()
    inside = absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep)
    return os.path.relpath(absolute, cwd) if inside else absolute


def _load_split(kind: str, split: str, limit: int | None, data_dir: str | None) -> tuple:
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


def _first_line(error: BaseException, limit: int = 300) -> str:
    text = (str(error).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit] + "..."


def _check_new_path(flag: str, text: str) -> Path:
    """``Path(text)`` for a file or folder to create: not empty, no existing file among its parents."""
    if not text.strip():
        raise _UsageError(f"{flag} is empty: name a path")
    path = Path(text)
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise _UsageError(f"{flag} {text}: {parent} is a file, not a folder")
    if path.is_symlink() and not path.exists():
        raise _UsageError(f"{flag} {text} is a symbolic link that points nowhere ({os.readlink(path)}): remove it or "
                          f"choose another path")
    return path


def _check_output(path: Path, flag: str, text: str) -> Path:
    """``path`` (an output the user named with ``flag text``) checked to be writable before any work."""
    from ..files import check_writable

    try:
        return check_writable(path, f"{flag} {text}")
    except UserInputError as e:
        raise _UsageError(str(e)) from None


def _check_existing_run(out: Path, args) -> None:
    """Refuse (exit 1) to start over a run without ``--resume``/``--overwrite``, or to resume one that cannot be."""
    held = [name for name in RUN_ARTEFACTS if (out / name).exists()]
    if held and not (args.resume or args.overwrite):
        raise FileExistsError(f"{out} already holds a run ({', '.join(held)}): add --resume to continue it, "
                              f"--overwrite to replace it, or choose another --out")
    if held and args.resume and CHECKPOINT_FILE not in held:
        raise FileExistsError(f"{out} holds a run ({', '.join(held)}) without checkpoint.npz, so it cannot be "
                              f"resumed: choose another --out, or --overwrite to replace it")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _check_json_target(text: str, model_file: Path, read: list[Path], overwrite: bool = False) -> Path:
    """``evaluate --json``: a writable ``.json`` file that is neither the model, a run's own file, nor one of ``read``
    (the files the command reads, also through ``..`` or links), nor (without ``overwrite``) an existing file."""
    path = _check_new_path("--json", text)
    if path.is_dir():
        raise _UsageError(f"--json {text} is a folder: name a .json file, e.g. {path / 'result.json'}")
    if path.suffix.lower() != ".json":
        raise _UsageError(f"--json {text} must name a .json file (the result is JSON)")
    if _same_file(path, model_file):
        raise _UsageError(f"--json {text} is the model file itself: choose another file")
    target = path.resolve()
    if target.name in RUN_ARTEFACTS and any((target.parent / name).exists() for name in RUN_ARTEFACTS
                                             if name != target.name):
        raise _UsageError(f"--json {text} is a file of the run in {target.parent}: choose another file")
    for other in read:
        if _same_file(path, other):
            raise _UsageError(f"--json {text} is {other}, which this command reads: choose another file")
    if os.path.lexists(path) and not overwrite:
        raise _UsageError(f"--json {text} already exists: add --overwrite to replace it, or choose another file")
    return _check_output(path, "--json", text)


def _check_png_target(text: str, overwrite: bool = False) -> Path:
    """``sample --out``: a ``.png`` file, or an existing folder (which receives ``samples.png``); without
    ``overwrite``, not an existing file."""
    path = _check_new_path("--out", text)
    if path.is_dir():
        path = path / "samples.png"
        if path.is_dir():
            raise _UsageError(f"--out {text}: {path} is a folder: name a .png file")
    elif path.suffix.lower() != ".png":
        raise _UsageError(f"--out {text} must end in .png (or name an existing folder, which receives samples.png)")
    if os.path.lexists(path) and not overwrite:
        where = text if str(path) == text else f"{text}: {path}"
        raise _UsageError(f"--out {where} already exists: add --overwrite to replace it, or choose another file")
    return _check_output(path, "--out", str(path))


def _save_model(model, path: Path) -> None:
    """``model.save(path)`` atomically, uncompiled (no optimizer variables) and deflated (half the size).

    A one-mask model's masked-out weights never act (``x @ (W * M)``), so they are stored as 0 and compress away.
    """
    from ..atomic import atomic_write

    if getattr(model, "compiled", False):
        weights, model = model.get_weights(), type(model).from_config(model.get_config())
        model.set_weights(weights)
    if getattr(model, "num_masks", None) == 1:
        for layer in model.masked_layers:
            layer.kernel.assign(layer.kernel * layer.mask)

    def save(f) -> None:
        model.save(f.name)                              # Keras writes by name: the temp file ends in .keras
        _deflate_zip(Path(f.name))

    atomic_write(path, save)


def _deflate_zip(path: Path) -> None:
    """Re-write the zip file ``path`` in place with every member deflated (same names, same bytes)."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for info, data in members:
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def _resolve_model(path: str) -> tuple[Path, Path | None]:
    """``(model file, run folder or None)`` from a run folder or a ``.keras`` file; refuses a run being written."""
    from ..run_folder import RunFolderBusyError, lock_holder

    if not path.strip():
        raise _UsageError("--model is empty: name a run folder or a .keras file")
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    holder = lock_holder(folder)
    if holder is not None:
        raise RunFolderBusyError(f"--model {path}: the run in {folder} is being written by {holder}: wait "
                                 f"for it to end (it writes {MODEL_FILE} last), or give a copy of the model", holder)
    if p.is_dir():
        model = p / MODEL_FILE
        if os.path.lexists(model):                     # a FIFO would block the reader; a folder is no model
            require_regular_file(model, f"--model {path}: {model}", "give a model file saved by made train")
        if not model.is_file():
            from ..run_folder import OVERWRITTEN

            hint = (" (a checkpoint is there: the run has not finished; continue it with `made train ... --resume`)"
                    if (p / "checkpoint.npz").exists() else "")
            if (p / OVERWRITTEN / MODEL_FILE).is_file():
                hint = (f" (an interrupted `made train --overwrite` set the previous run aside in {p / OVERWRITTEN}: "
                        f"the next `made train ... --out {p}` puts it back, or move its files back by hand)")
            raise FileNotFoundError(f"no {MODEL_FILE} in {p}{hint}")
        return model, p
    if p.is_file():
        return p, p.parent if (p.parent / RUN_SUMMARY).is_file() else None
    if os.path.lexists(p):
        require_regular_file(p, f"--model {path}", "give a run folder or a .keras file saved by made train")
    raise FileNotFoundError(f"--model {path}: no such run folder or .keras file")


def _load_model(path: Path):
    """The MADE in ``path`` (a ``.keras`` file), or a one-line ``UserInputError`` saying what is wrong."""
    import zipfile

    import keras

    from ..checks import check_finite_weights
    from ..core.model import MADE  # (importing it registers the classes for deserialization)
    from ..model_file import check_model_file

    run = path.parent
    fix = (f"; rebuild it from the run's checkpoint with `made train ... --out {run} --resume` (the run's flags)"
           if (run / "checkpoint.npz").is_file() else "; train it again or restore a copy")
    if path.suffix.lower() != ".keras":
        raise UserInputError(f"--model {path}: a {path.suffix or 'suffix-less'} file; accepted are a run folder "
                             f"(from made train) or the .keras file it writes (not .h5/.hdf5/SavedModel)")
    if not zipfile.is_zipfile(path):
        what = "empty" if path.stat().st_size == 0 else "truncated, or not a .keras zip archive"
        raise UserInputError(f"{path} is damaged ({what}){fix}")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as e:  # noqa: BLE001  (BadZipFile, KeyError, TypeError from a bad config.json, ...)
        while (inner := e.__cause__ or e.__context__) is not None:   # Keras wraps MADE's own message
            e = inner
        lines = [line.strip() for line in str(e).splitlines() if line.strip()] or [""]
        # "A total of N objects could not be loaded. Example error message ...:" then the layer's own message
        detail = lines[1] if len(lines) > 1 and lines[0].startswith("A total of") else lines[0]
        if "config.json was edited" in detail:                     # MADE.check_saved_masks, run while loading
            raise UserInputError(f"{path}: {detail}; use the file `made train` wrote") from None
        raise UserInputError(f"{path} is damaged or not a MADE model ({type(e).__name__}: "
                             f"{_first_line(ValueError(detail))}){fix}") from None
    if not isinstance(model, MADE):
        raise UserInputError(f"{path} holds a Keras {type(model).__name__}, not a MADE written by `made train`")
    if model.num_masks > MAX_MASKS:
        raise UserInputError(f"{path}: num_masks={model.num_masks} exceeds {MAX_MASKS}, the most the CLI handles")
    check_model_file(model, path)          # masks rebuilt from config.json = the trained ones in the file
    if model.input_dim != MNIST_PIXELS:
        raise UserInputError(f"{path}: the model is for {model.input_dim} inputs, MNIST images have {MNIST_PIXELS} "
                             f"pixels: give a model trained by `made train`")
    check_finite_weights(model, str(path), fix=fix.removeprefix("; "))
    return model


# --------------------------------------------------------------------------- commands
def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (``MemAvailable``), or None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_train_flags(args) -> Path:
    """Every usage error of ``made train`` (exit status 2), before any file is touched; returns ``--out``."""
    from ..core import masks as mk
    from ..core.layers import check_activation
    from ..core.train import check_learning_rate

    out = _check_new_path("--out", args.out)
    if out.exists() and not out.is_dir():
        raise _UsageError(f"--out {out} is an existing file, not a folder: choose another --out")
    if args.resume and args.overwrite:
        raise _UsageError("--resume continues the run in --out, --overwrite replaces it: give one of them")
    _check_output(out / CHECKPOINT_FILE, "--out", args.out)
    try:
        args.activation = check_activation(args.activation)
    except ValueError as e:
        raise _UsageError(f"--{e}") from None
    if args.learning_rate is not None:
        try:
            check_learning_rate(args.learning_rate, name="--learning-rate")
        except ValueError as e:
            raise _UsageError(str(e)) from None
    if args.valid_masks is not None and args.valid_masks > args.masks:
        raise _UsageError(f"--valid-masks {args.valid_masks} exceeds --masks {args.masks}")
    if args.mask_kind in ("full", "ordering") and args.ordering != "random":
        raise _UsageError(f"--mask-kind {args.mask_kind} draws a new ordering per mask: it needs --ordering random")
    _check_schedule_flags(args)
    _check_data_dir(args.data, args)
    kind = args.mask_kind or mk.default_mask_kind(args.ordering)
    k_valid = args.masks if args.valid_masks is None else args.valid_masks
    if args.valid_ensemble == "conditionals" and k_valid > 1 and kind in ("full", "ordering"):
        raise _UsageError(f"--valid-ensemble conditionals averages the conditionals of masks that share one "
                          f"ordering, but --ordering random with --mask-kind {kind}"
                          f"{'' if args.mask_kind else ' (the default)'} gives each mask its own: use "
                          f"--mask-kind connectivity, or --valid-ensemble mixture")
    if args.masks > 1 and not args.no_resample_masks and not args.host_masks:
        need, free = mk.degree_table_bytes(784, args.hidden, args.masks), _available_memory()
        if free is not None and need > free:
            raise _UsageError(f"--masks {args.masks} with --hidden {' '.join(map(str, args.hidden))}: the masks' "
                              f"degree tables need {need / 2**30:.2f} GiB, more than the {free / 2**30:.2f} GiB "
                              f"of memory available: use fewer masks or narrower layers")
    return out


def _check_data_dir(kind: str, args) -> None:
    """``--data-dir`` only where it is used: the fallback subset ships with the package."""
    if kind == "fallback" and args.data_dir is not None:
        why = "" if args.data else " (the model was trained on it, so evaluate uses it by default)"
        raise _UsageError(f"--data-dir {args.data_dir} has no effect with the fallback subset{why}, which ships with "
                          f"the package: drop --data-dir, or give --data binarized")


def _check_schedule_flags(args) -> None:
    """The learning-rate schedule's flags: each only with its schedule, milestones once each."""
    schedule = args.lr_schedule
    if schedule == "step" and not args.lr_milestones:
        raise _UsageError("--lr-schedule step needs --lr-milestones, e.g. --lr-milestones 45")
    for key, schedules in SCHEDULE_FLAGS.items():
        if getattr(args, key) not in (None, []) and schedule not in schedules:
            raise _UsageError(f"--{key.replace('_', '-')} belongs to --lr-schedule {' or '.join(schedules)} "
                              f"(now --lr-schedule {schedule}, which would ignore it)")
    repeated = sorted({m for m in args.lr_milestones if args.lr_milestones.count(m) > 1})
    if repeated:
        raise _UsageError(f"--lr-milestones repeats {' '.join(map(str, repeated))}: each milestone cuts the rate "
                          f"once more; give each epoch once")
    if args.lr_factor == 0:
        raise _UsageError("--lr-factor must be above 0")
    args.lr_factor = LR_FACTOR_DEFAULT if args.lr_factor is None else args.lr_factor
    args.lr_patience = LR_PATIENCE_DEFAULT if args.lr_patience is None else args.lr_patience


def _check_cosine_resume(out: Path, args) -> None:
    """Refuse ``--resume`` of a cosine run whose length ``--epochs`` (without ``--cosine-epochs``) would change."""
    from ..core.train import read_checkpoint_state

    ckpt = out / CHECKPOINT_FILE
    if not (args.resume and args.lr_schedule == "cosine" and args.cosine_epochs is None and ckpt.is_file()):
        return
    saved = read_checkpoint_state(ckpt).get("settings", {}).get("cosine_epochs")
    if saved is not None and saved != args.epochs:
        raise _UsageError(f"--resume: the run's cosine schedule is {saved} epoch(s) long, and without "
                          f"--cosine-epochs it would be --epochs {args.epochs}: add --cosine-epochs {saved} to "
                          f"continue the run's schedule")


def cmd_train(args) -> int:
    from ..run_folder import RunFolderBusyError, run_lock

    out = _check_train_flags(args)
    try:
        with run_lock(out):                            # one writer per run folder
            return _train_locked(args, out)
    except RunFolderBusyError as e:
        raise RunFolderBusyError(f"--out {out} is in use by {e.holder}: wait for it to end, or choose another "
                                 f"--out (a second writer would mix two runs' files)") from None


def _interrupted_run(out: Path) -> str:
    """What an interrupted ``made train`` leaves in ``out``: the epoch its checkpoint holds and how to continue."""
    from ..core.train import read_checkpoint_state

    ckpt = out / CHECKPOINT_FILE
    if not ckpt.is_file():
        return f"interrupted before the first epoch ended: {out} holds no checkpoint; run the command again to start"
    try:
        epochs = read_checkpoint_state(ckpt)["history"]["epochs_run"]
    except (MadeError, KeyError, TypeError):
        return "interrupted; a train run continues with --resume"
    return (f"interrupted; {ckpt} holds the run up to epoch {epochs}: the same command with --resume continues it "
            f"from there")


def _train_locked(args, out: Path) -> int:
    """``made train`` once the run folder's lock is held."""
    import keras

    from ..atomic import remove_stale_temps, write_json
    from ..core.model import MADE
    from ..core.train import train
    from ..model_file import file_sha256
    from ..run_folder import drop_aside, recover_overwrite, restore_aside, set_aside

    recover_overwrite(out, RUN_ARTEFACTS, CHECKPOINT_FILE)
    _check_existing_run(out, args)
    _check_cosine_resume(out, args)
    previous = _previous_summary(out) if args.resume else {}     # read and checked before anything is rewritten
    t0 = time.time()
    commit = git_commit()                              # the code that runs, before any later edits
    x_train, train_info, _ = _load_split(args.data, "train", args.limit, args.data_dir)
    x_valid, valid_info, valid_shown = _load_split(args.data, "valid", None, args.data_dir)
    keras.utils.set_random_seed(args.seed)            # initial weights: reproducible from --seed
    model = MADE(784, args.hidden, num_masks=args.masks, ordering=args.ordering, hidden_degrees=args.hidden_degrees,
                 direct=not args.no_direct, activation=args.activation, seed=args.seed, dropout=args.dropout,
                 kernel_initializer=args.init, mask_kind=args.mask_kind, dtype="mixed_bfloat16" if args.bf16 else None)
    print(f"MADE 784-{'-'.join(map(str, args.hidden))}-784, {args.masks} mask(s), ordering {args.ordering}, "
          f"direct={not args.no_direct}; {sum(v.numpy().size for v in model.trainable_variables)} "
          f"trainable parameters; {len(x_train)} train / {len(x_valid)} valid images", flush=True)
    for name in RUN_ARTEFACTS:                        # temporary files that killed writers left
        remove_stale_temps(out / name)
    aside = set_aside(out, RUN_ARTEFACTS) if args.overwrite else None
    try:
        history = train(model, x_train, x_valid, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=args.optimizer, learning_rate=args.learning_rate, patience=args.patience,
                        resample_masks=not args.no_resample_masks, valid_masks=args.valid_masks, checkpoint_dir=out,
                        resume=args.resume, seed=args.seed, verbose=args.verbose, jit_compile=not args.no_jit,
                        data={"train": train_info, "valid": valid_info}, weight_decay=args.weight_decay,
                        lr_schedule=args.lr_schedule, lr_milestones=args.lr_milestones, lr_factor=args.lr_factor,
                        lr_patience=args.lr_patience, cosine_epochs=args.cosine_epochs,
                        in_graph_masks=not args.host_masks, valid_ensemble=args.valid_ensemble,
                        on_epoch_end=(lambda epoch, history: drop_aside(aside)) if aside else None)
    except BaseException as error:
        if aside is not None and aside.exists():
            restore_aside(out, aside, RUN_ARTEFACTS)      # no checkpoint yet: the old run comes back
            if isinstance(error, KeyboardInterrupt):
                raise type(error)(f"interrupted before the new run's first checkpoint: the previous run in {out} is "
                                  f"back in place, unchanged") from None
        if isinstance(error, KeyboardInterrupt):
            raise type(error)(_interrupted_run(out)) from None
        raise
    _save_model(model, out / MODEL_FILE)
    invocations = previous.get("invocations", []) + [{
        "argv": sys.argv[1:], "wall_seconds": time.time() - t0,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t0))}]
    summary = {
        "model_file": str(out / MODEL_FILE), "model_sha256": file_sha256(out / MODEL_FILE),
        "best_epoch": history["best_epoch"],
        "best_valid_nll": history["best_valid_nll"], "epochs_run": history["epochs_run"],
        "stop_reason": history["stop_reason"], "train_seconds_total": sum(history["epoch_seconds"]),
        "wall_seconds_total": sum(i["wall_seconds"] for i in invocations), "invocations": invocations,
        "settings": {k: v for k, v in vars(args).items() if k != "func"},
        "model": _model_config(model),
        "data": history["data"], "machine": machine_info(), "git_commit": commit,
    }
    write_json(out / RUN_SUMMARY, summary)
    print(f"best valid NLL {history['best_valid_nll']:.3f} nats (epoch {history['best_epoch']}, "
          f"{'averaged conditionals' if args.valid_ensemble == 'conditionals' else 'mixture'} of "
          f"{history['valid_masks']} mask(s)) on {valid_shown}", flush=True)
    print(f"wrote {out / MODEL_FILE}, {out / 'history.json'}, {out / RUN_SUMMARY}", flush=True)
    return 0


def _previous_summary(out: Path) -> dict:
    """The ``train_summary.json`` of the run ``--resume`` continues (``{}`` if there is none), checked up front."""
    from ..files import read_json

    path = out / RUN_SUMMARY
    if not os.path.lexists(path):
        return {}
    summary = read_json(path, fix="restore it from a copy, or delete it (the resumed run then writes a new one "
                                  "without the earlier invocations)")
    if not isinstance(summary.get("invocations", []), list):
        raise UserInputError(f"{path} is damaged: its invocations are not a list; restore it from a copy, or delete it")
    return summary


def _model_config(model) -> dict:
    """The model's config as JSON stores it (without its Keras name), for summaries and results files."""
    config = {key: val for key, val in model.get_config().items() if key not in ("name", "trainable")}
    return json.loads(json.dumps(config))


SUMMARY_KEYS = ("settings", "best_epoch")             # what makes a JSON object a run's train_summary.json
RESULTS_KEYS = ("first_100_nll", "n_images")          # ... and a results file of `made evaluate --json`


def _read_summary(path: Path, given: bool) -> dict:
    """The training summary ``path``, checked to be one; ``given`` (by ``--summary``): errors are usage errors."""
    error = _UsageError if given else UserInputError
    what = f"--summary {path}" if given else str(path)
    expected = f"expected the {RUN_SUMMARY} that `made train` wrote beside the model"
    from ..files import not_regular

    if (problem := not_regular(path)) is not None:
        raise error(f"{what} is {problem}, not a regular file: {expected}")
    if not path.is_file():
        raise error(f"{what}: no such file ({expected})")
    raw = path.read_bytes()
    if raw[:2] == b"PK":
        raise error(f"{what} is a zip archive (a .keras model?), not a training summary: {expected}")
    try:
        summary = json.loads(raw)
    except ValueError:
        raise error(f"{what} is not JSON: {expected}") from None
    if not isinstance(summary, dict):
        raise error(f"{what} holds a JSON {type(summary).__name__}, not an object: {expected}")
    if all(key in summary for key in RESULTS_KEYS):
        raise error(f"{what} is a results file (from made evaluate --json), not a training summary: {expected}")
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    if missing:
        raise error(f"{what} has no {' or '.join(missing)}: not a training summary; {expected}")
    return summary


def _summary_config(summary: dict) -> dict:
    """The model config a training summary describes: its ``model`` entry, or (older summaries) its flags."""
    if isinstance(summary.get("model"), dict):
        return summary["model"]
    flags = summary.get("settings") or {}
    derived = {"hidden_sizes": flags.get("hidden"), "num_masks": flags.get("masks"),
               "ordering": flags.get("ordering"), "hidden_degrees": flags.get("hidden_degrees"),
               "direct": None if "no_direct" not in flags else not flags["no_direct"],
               "activation": flags.get("activation"), "seed": flags.get("seed"), "dropout": flags.get("dropout"),
               "kernel_initializer": flags.get("init"), "mask_kind": flags.get("mask_kind")}
    return {key: value for key, value in derived.items() if value is not None}


def _check_summary_describes(summary: dict, path: Path, given: bool, model, model_file: Path) -> None:
    """Refuse a training summary of another model: its config must be the loaded model's, and the model file's
    digest the one the summary recorded (summaries before ``model_sha256`` are compared by config only)."""
    from ..model_file import file_sha256

    loaded = _model_config(model)
    described = _summary_config(summary)
    differ = [f"{key}: summary {described[key]!r} vs model {loaded.get(key)!r}"
              for key in sorted(described) if described[key] != loaded.get(key)]
    beside = path.parent / MODEL_FILE                     # the model of the run the summary was written in
    if not differ and isinstance(summary.get("model_sha256"), str) and \
            summary["model_sha256"] != file_sha256(model_file):
        differ = [f"the model file's SHA-256 is not the {summary['model_sha256'][:16]}... the summary recorded: "
                  f"the same architecture, another run"]
    elif not differ and beside.is_file() and not _same_file(beside, model_file) and \
            file_sha256(beside) != file_sha256(model_file):
        differ = [f"it belongs to the run of {beside}, whose weights differ: the same architecture, another run"]
    if differ:
        what = f"--summary {path}" if given else str(path)
        raise (_UsageError if given else UserInputError)(
            f"{what} describes another model than --model ({'; '.join(differ)}): give the {RUN_SUMMARY} of the "
            f"run that trained it")


def _read_compare(text: str, split: str, n_images: int, info: dict) -> tuple[dict, np.ndarray]:
    """The results file given to ``--compare`` and its per-image NLLs ``(N,)``, checked to be of the same images."""
    from ..files import read_json
    from .results import check_same_images, per_image_nll

    try:
        other = read_json(text, f"--compare {text}", "give a results file of made evaluate --json", kind=None)
    except UserInputError as error:
        raise _UsageError(str(error)) from None
    if not isinstance(other, dict) or f"{split}_nll" not in other:
        raise _UsageError(f"--compare {text}: not a results file of the {split} split (made evaluate --split "
                          f"{split} --json)")
    try:
        check_same_images({"split": split, "n_images": n_images, "data": info}, other,
                          ("this evaluation", f"--compare {text}"))
        return other, per_image_nll(other, f"--compare {text}")
    except ValueError as error:
        raise _UsageError(str(error)) from None


def cmd_evaluate(args) -> int:
    import math

    from ..atomic import write_json
    from ..core.evaluate import paired_difference, per_example_nll, standard_error
    from ..files import read_json
    from ..model_file import file_sha256
    from .results import encode_per_image_nll

    model_file, run_dir = _resolve_model(args.model)
    summary_file = Path(args.summary) if args.summary else (run_dir / RUN_SUMMARY if run_dir else None)
    history_file = summary_file.parent / "history.json" if summary_file else None
    read = [f for f in (summary_file, history_file) if f is not None] + [Path(text) for text in args.compare]
    json_path = _check_json_target(args.json, model_file, read, args.overwrite) if args.json is not None else None
    summary = (_read_summary(summary_file, bool(args.summary))
               if summary_file is not None and (args.summary or os.path.lexists(summary_file)) else {})
    history = (read_json(history_file, fix="restore it, or delete it to evaluate without the learning curves")
               if json_path is not None and history_file is not None and os.path.lexists(history_file) else None)
    kind = args.data or ("fallback" if (summary.get("data") or {}).get("train", {}).get("source") == "fallback"
                         else "binarized")
    _check_data_dir(kind, args)
    model = _load_model(model_file)
    if summary:
        _check_summary_describes(summary, summary_file, bool(args.summary), model, model_file)
    if args.masks is not None and args.masks > model.num_masks:
        raise _UsageError(f"--masks {args.masks} exceeds the model's {model.num_masks} mask(s)")
    k = args.masks or model.num_masks
    x, info, shown = _load_split(kind, args.split, args.limit, args.data_dir)
    others = [(path, _read_compare(path, args.split, len(x), info)) for path in args.compare]
    t0 = time.time()
    nll = per_example_nll(model, x, num_masks=k, batch_size=args.batch_size, ensemble=args.ensemble)
    seconds = time.time() - t0
    mean, se = float(nll.mean()), standard_error(nll)
    combined = "mixture" if args.ensemble == "mixture" else "averaged conditionals"
    spread = (f"± {se:.3f} nats (mean ± standard error over {len(x)} images" if math.isfinite(se) else
              "nats (one image: no standard error")
    print(f"{args.split} NLL: {mean:.3f} {spread}; {combined} of {k} mask(s)) on {shown}", flush=True)
    for other_file, (other, other_nll) in others:          # the same images: checked by _read_compare
        diff, paired_se = paired_difference(nll, other_nll)
        print(f"paired with {other_file} ({other[f'{args.split}_nll']:.3f}): this - that = {diff:+.3f} ± "
              f"{paired_se:.3f} nats (standard error of the {len(nll)} per-image differences)", flush=True)
    if json_path is not None:
        result = {
            f"{args.split}_nll": mean, f"{args.split}_nll_se": se if math.isfinite(se) else None,
            "split": args.split, "num_masks": k,
            "ensemble": args.ensemble, "n_images": len(x), "eval_seconds": seconds, "model_file": str(model_file),
            "model_sha256": file_sha256(model_file),   # results.check_model_digest compares it with the file
            "first_100_nll": float(nll[:100].mean()),     # a quick re-evaluation check (tests use it)
            "per_image_nll": encode_per_image_nll(nll),   # for paired comparisons (evaluate --compare)
            # the paper reports test NLLs: a valid- or train-split number is not one of them
            "data": info, "comparable_with_paper": bool(info["comparable_with_paper"]) and args.limit is None
                                                   and args.split == "test",
            "model": _model_config(model),
            "training": {key: summary[key] for key in ("best_epoch", "best_valid_nll", "epochs_run",
                                                        "stop_reason", "train_seconds_total",
                                                        "wall_seconds_total", "settings", "invocations")
                         if key in summary},
            "machine": machine_info(), "git_commit": git_commit(),
            "training_git_commit": summary.get("git_commit"),
        }
        if summary.get("data"):
            result["training"]["data"] = {split: portable_data_info(d) if isinstance(d, dict) else d
                                          for split, d in summary["data"].items()}
        if history is not None:                                     # the learning curves, for plots
            result["training"]["curves"] = {key: history[key] for key in
                                            ("train_nll", "valid_nll", "learning_rate", "epoch_seconds")
                                            if key in history}
        if args.note:
            result["note"] = args.note
        json_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, result)
        print(f"wrote {json_path}", flush=True)
    return 0


def cmd_sample(args) -> int:
    from ..core.plotting import save_image_grid

    out = _check_png_target(args.out, args.overwrite)
    cols = min(args.ncols, args.n)
    if cols > MAX_GRID_COLS:
        raise _UsageError(f"--ncols {args.ncols} puts {cols} digits in a row of the ~1200-pixel-wide PNG, too "
                          f"small to see: at most {MAX_GRID_COLS} per row")
    rows = -(-args.n // args.ncols)
    if rows > MAX_GRID_ROWS:
        raise _UsageError(f"--n {args.n} with --ncols {args.ncols} makes {rows} rows; the PNG grid holds at most "
                          f"{MAX_GRID_ROWS}: raise --ncols")
    model_file, _ = _resolve_model(args.model)
    model = _load_model(model_file)
    if args.mask >= model.num_masks:
        raise _UsageError(f"--mask {args.mask} out of range: the model has {model.num_masks} mask(s)")
    model.set_mask(args.mask)
    t0 = time.time()
    samples = model.sample(args.n, seed=args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(samples, str(out), title=f"{args.n} samples, {model_file.parent.name or model_file.name}, "
                                           f"mask {args.mask}, seed {args.seed}", ncols=args.ncols)
    print(f"wrote {out} ({args.n} samples in {time.time() - t0:.1f} s)", flush=True)
    return 0


class _UsageError(UserInputError):
    """A flag value that is valid alone but not with the others (exit status 2)."""


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="made", description="Train, evaluate and sample MADE models on binarized MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version of made_helpers (the made-tutorial package) and exit")
    sub = parser.add_subparsers(dest="command", metavar="{train,evaluate,sample}", parser_class=_Parser,
                                required=True)

    def data_flags(p, default):
        p.add_argument("--data", choices=["binarized", "fallback"], default=default,
                       help="binarized: statically binarized MNIST (Larochelle's files from $MADE_DATA_DIR, data/ or "
                            "a download; else built from grey MNIST; else an error). fallback: the 5 000-digit MNIST "
                            "subset shipped with the package (offline; NLL not comparable with the paper)"
                            + ("" if default else ". Default: the data the model was trained on"))
        p.add_argument("--data-dir", default=None, metavar="DIR",
                       help="folder holding the data files (default: $MADE_DATA_DIR, then data/)")

    model_flag = _Parser(add_help=False)                # the first option of evaluate and sample
    model_flag.add_argument("--model", required=True, metavar="PATH",
                            help="run folder (from train --out) or .keras file")

    t = sub.add_parser("train", help="train a MADE with early stopping; writes checkpoints, history, model",
                       description="Train a MADE on the train split with early stopping on the valid split. OUT "
                                   "receives checkpoint.npz (every epoch), history.json, model.keras (best epoch) "
                                   "and train_summary.json.")
    switch = functools.partial(t.add_argument, action="store_true")
    data_flags(t, "binarized")
    t.add_argument("--limit", type=_int_at_least(1), default=None, metavar="N",
                   help="train on the first N training images only (quick runs); valid split unchanged")
    t.add_argument("--hidden", type=_int_at_least(1), nargs="+", default=[500], metavar="H",
                   help="hidden layer widths, e.g. --hidden 500 or --hidden 8000 8000 (default: 500)")
    t.add_argument("--masks", type=_int_at_least(1, MAX_MASKS), default=1, metavar="K",
                   help=f"number of masks K (at most {MAX_MASKS}; refused up front when their degree tables, "
                        f"K x (784 + hidden units) integers, exceed the memory available); K > 1 resamples one "
                        f"per minibatch (default: 1)")
    t.add_argument("--ordering", choices=["natural", "reversed", "random"], default="natural",
                   help="input ordering; random draws a new ordering per mask (default: natural)")
    t.add_argument("--hidden-degrees", choices=["random", "equal"], default="random",
                   help="hidden unit degrees: random (paper) or equal (spread evenly) (default: random)")
    switch("--no-direct", help="drop the direct input-to-output connection (default: keep it)")
    t.add_argument("--activation", default="relu",
                   help="hidden activation, the name of an element-wise Keras activation such as relu, tanh, "
                        "sigmoid, elu, gelu (softmax, log_softmax, sparsemax and glu mix hidden units and are "
                        "refused) (default: relu)")
    t.add_argument("--epochs", type=_int_at_least(1), default=100, metavar="N",
                   help="maximum number of epochs (default: 100)")
    t.add_argument("--batch-size", type=_int_at_least(1), default=100, metavar="B",
                   help="minibatch size (default: 100)")
    t.add_argument("--optimizer", choices=["adam", "adagrad", "adagrad-paper"], default="adam",
                   help="optimizer: adam, adagrad (Keras' AdaGrad) or adagrad-paper (the MADE code's AdaGrad: "
                        "accumulator from 0, eps 1e-6) (default: adam)")
    t.add_argument("--learning-rate", type=_positive_float, default=None, metavar="LR",
                   help="step size, a normal float32 (>= 1.2e-38) (default: 1e-3 for adam, 1e-2 for adagrad)")
    t.add_argument("--patience", type=_int_at_least(1), default=30, metavar="P",
                   help="stop after P epochs without a lower valid NLL; the best epoch is restored (default: 30)")
    t.add_argument("--valid-masks", type=_int_at_least(1), default=None, metavar="K",
                   help="masks in the validation mixture (default: all K)")
    t.add_argument("--mask-kind", choices=["full", "connectivity", "ordering"], default=None,
                   help="what changes between masks: full (ordering and connectivity; needs --ordering random), "
                        "connectivity (one shared ordering) or ordering (needs --ordering random) "
                        "(default: full for --ordering random, else connectivity)")
    t.add_argument("--valid-ensemble", choices=["mixture", "conditionals"], default="mixture",
                   help="how the validation NLL combines masks: mixture of probabilities, or conditionals "
                        "averaged per pixel (shared-ordering masks only) (default: mixture)")
    t.add_argument("--dropout", type=_fraction, default=0.0, metavar="P",
                   help="dropout rate on the hidden layers during training, never on the direct connection "
                        "(default: 0)")
    t.add_argument("--weight-decay", type=_non_negative_float, default=0.0, metavar="L2",
                   help="L2 penalty L2 * sum of squared kernel weights added to the mean NLL (default: 0)")
    t.add_argument("--lr-schedule", choices=["constant", "step", "cosine", "plateau"], default="constant",
                   help="learning-rate schedule per epoch (default: constant)")
    t.add_argument("--lr-milestones", type=_int_at_least(1), nargs="+", default=[], metavar="E",
                   help="step schedule only: multiply the rate by --lr-factor from each of these epochs on (each "
                        "epoch once)")
    t.add_argument("--lr-factor", type=_fraction, default=None, metavar="F",
                   help=f"step/plateau schedule only: factor of each cut, in (0, 1) (default: {LR_FACTOR_DEFAULT})")
    t.add_argument("--lr-patience", type=_int_at_least(1), default=None, metavar="P",
                   help=f"plateau schedule only: cut after P epochs without a lower valid NLL (default: "
                        f"{LR_PATIENCE_DEFAULT})")
    t.add_argument("--cosine-epochs", type=_int_at_least(1), default=None, metavar="T",
                   help="cosine schedule only: length T in epochs (default: --epochs; when resuming a run whose "
                        "--epochs grew, give the run's T)")
    t.add_argument("--init", choices=["glorot_uniform", "orthogonal"], default="glorot_uniform",
                   help="kernel initialisation (the paper's code: orthogonal) (default: glorot_uniform)")
    switch("--bf16", help="mixed precision: bfloat16 matmuls, float32 weights and loss (fast only on CPUs with "
                          "AVX512-BF16 or AMX)")
    switch("--host-masks", help="switch masks from the host each minibatch instead of inside the compiled step "
                                "(same results; for benchmarks)")
    switch("--no-resample-masks", help="with K > 1, train on mask 0 only instead of a random mask per minibatch")
    t.add_argument("--seed", type=_int_at_least(0, SEED_MAX), default=0,
                   help=f"seed for masks, initial weights, shuffling and mask choice, 0..{SEED_MAX} (default: 0)")
    t.add_argument("--out", required=True, metavar="DIR", help="output folder for checkpoints, history, model")
    switch("--resume", help="continue the run in --out from its last checkpoint (same settings; --epochs may grow)")
    switch("--overwrite", help="replace the run already in --out (its checkpoint, history, model and summary); "
                               "the old files are kept aside until the new run's first checkpoint, and come back "
                               "if it fails before")
    switch("--no-jit", help="do not compile the training step with XLA")
    t.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1,
                   help="0 quiet, 1 progress bar with running NLL, 2 one line per epoch (default: 1)")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="mean NLL ± standard error on a split", parents=[model_flag],
                       description="Mean negative log-likelihood (nats) ± standard error of a trained model on a "
                                   "split, using the mixture over the first K masks.")
    e.add_argument("--split", choices=["train", "valid", "test"], default="test", help="split (default: test)")
    e.add_argument("--masks", type=_int_at_least(1, MAX_MASKS), default=None, metavar="K",
                   help="mixture over masks 0..K-1 (default: all the model's masks)")
    e.add_argument("--ensemble", choices=["mixture", "conditionals"], default="mixture",
                   help="combine the K masks as a mixture of probabilities, or average their conditionals per pixel "
                        "(shared-ordering masks only) (default: mixture)")
    data_flags(e, None)
    e.add_argument("--limit", type=_int_at_least(1), default=None, metavar="N",
                   help="evaluate on the first N images only (quick checks; not a benchmark number)")
    e.add_argument("--batch-size", type=_int_at_least(1), default=10_000, metavar="B",
                   help="images per forward pass (default: 10000)")
    e.add_argument("--json", default=None, metavar="FILE",
                   help="also write the result, training summary, machine and git commit to FILE")
    e.add_argument("--overwrite", action="store_true",
                   help="replace the --json file when it exists (without it, an existing file is refused)")
    e.add_argument("--note", default=None, metavar="TEXT", help="free text stored in the --json file")
    e.add_argument("--compare", action="append", default=[], metavar="RESULTS",
                   help="a results file of another model on the same split (from evaluate --json): also print the "
                        "difference of the two NLLs with its paired standard error (over the same images); may be "
                        "given several times")
    e.add_argument("--summary", default=None, metavar="FILE",
                   help=f"the {RUN_SUMMARY} of the run that trained --model, when the model file was copied out of "
                        f"its run folder (e.g. into results/); its training record goes into --json")
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("sample", help="draw samples and write a PNG grid", parents=[model_flag],
                       description="Draw samples (784 sequential passes) and save them as a PNG grid.")
    s.add_argument("--n", type=_int_at_least(1, MAX_SAMPLES), default=100,
                   help=f"number of samples, at most {MAX_SAMPLES} (default: 100)")
    s.add_argument("--mask", type=_int_at_least(0), default=0, metavar="k", help="mask to sample with (default: 0)")
    s.add_argument("--seed", type=_int_at_least(0, SEED_MAX), default=0,
                   help=f"sampling seed, 0..{SEED_MAX} (default: 0)")
    s.add_argument("--ncols", type=_int_at_least(1), default=10,
                   help=f"images per row, at most {MAX_GRID_COLS} (the PNG is about 1200 pixels wide: each digit "
                        f"keeps its 28 pixels) and at most {MAX_GRID_ROWS} rows (default: 10)")
    s.add_argument("--out", required=True, metavar="FILE.png",
                   help="PNG file to write (an existing folder receives samples.png)")
    s.add_argument("--overwrite", action="store_true",
                   help="replace the --out file when it exists (without it, an existing file is refused)")
    s.set_defaults(func=cmd_sample)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, ``docker stop``), raised like Ctrl-C so that the same clean-up runs."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``made`` and ``python -m made_helpers``; returns the exit status (see the module's docstring)."""
    import signal

    from ..files import check_file_size_limit

    prog = "made"
    try:
        previous_handler = signal.signal(signal.SIGTERM, _terminate)
        # `made train ... &` in a script (no job control) starts with SIGINT ignored, so `kill -INT` or Ctrl-C did
        # nothing; made's commands stop cleanly on it (a train run keeps its last checkpoint), so take it back
        ignored_int = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        if ignored_int:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:                                # not the main thread: the signals keep their handlers
        previous_handler, ignored_int = None, False
    try:
        check_environment()                 # MADE_DEBUG, MADE_OFFLINE, ..., KERAS_BACKEND: before Keras is imported
        parser = build_parser()
        args = parser.parse_args(_join_negative_numbers(sys.argv[1:] if argv is None else list(argv)))
        prog = f"made {args.command}"
        check_file_size_limit()
        return args.func(args)
    except _UsageError as e:
        print(f"{prog}: error: {e} (see {prog} --help)", file=sys.stderr)
        return 2
    except EnvironmentVariableError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        hint = "; a train run continues with --resume" if prog == "made train" else ""
        print(f"{prog}: {e.args[0] if e.args else 'interrupted' + hint}", file=sys.stderr)
        return 128 + signal.SIGTERM if isinstance(e, Terminated) else 130
    except (MadeError, OSError) as e:
        # missing/broken data, an existing run folder, a diverged run, an unreadable model file
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except MemoryError as e:
        print(f"{prog}: error: out of memory ({_first_line(e) or type(e).__name__}); use smaller values",
              file=sys.stderr)
        return 1
    except Exception as e:
        if env_flag("MADE_DEBUG"):         # checked at the start: a bad value never reaches here
            raise
        print(f"{prog}: internal error: {type(e).__name__}: {_first_line(e)} (a bug in made_helpers, not in "
              f"your input; MADE_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        if ignored_int:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _join_negative_numbers(argv: list[str]) -> list[str]:
    """``--flag -1e-3`` -> ``--flag=-1e-3``, so that argparse checks the value instead of taking it for a flag."""
    out: list[str] = []
    for token in argv:
        if (out and out[-1].startswith("--") and "=" not in out[-1] and len(token) > 1 and token[0] == "-"
                and (token[1].isdigit() or token[1] == "." or token[1:].lower() in ("inf", "nan"))):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


if __name__ == "__main__":
    sys.exit(main())
