"""A ``made train`` run folder: its files, one writer at a time, an ``--overwrite`` that can be undone, the
model saved and loaded with every check, and the training summary checked against the model.

``made train`` holds an ``fcntl.flock`` on ``DIR/.made-lock`` (which names the holder); the kernel drops
it however the holder exits. ``--overwrite`` moves the old run into ``DIR/.made-overwritten`` and deletes
it only once the new run has its first checkpoint; before that, it is put back.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import SavedMasksMismatch, UsageError, UserInputError, first_line
from ..files import check_new_path, check_output, not_regular, read_json, require_regular_file

__all__ = ["LOCK_FILE", "MAX_MASKS", "MNIST_PIXELS", "MODEL_FILE", "OVERWRITTEN", "RUN_SUMMARY", "RunFolderBusyError",
           "check_cosine_resume", "check_existing_run", "check_json_target", "check_summary_describes", "deflate_zip",
           "drop_aside", "interrupted_run", "load_model", "lock_holder", "model_config", "previous_summary",
           "read_summary", "recover_overwrite", "resolve_model", "restore_aside", "run_artefacts", "run_lock",
           "save_model", "set_aside", "summary_config"]

MODEL_FILE = "model.keras"                # the files `made train` writes in its --out folder, written once here
RUN_SUMMARY = "train_summary.json"        # (the checkpoint and history are the trainer's: core.train)
LOCK_FILE = ".made-lock"
OVERWRITTEN = ".made-overwritten"
MNIST_PIXELS = 784
MAX_MASKS = 10_000              # masks a model may have in the CLI (each is a forward pass per evaluation)
SUMMARY_KEYS = ("settings", "best_epoch")             # what makes a JSON object a run's train_summary.json


def run_artefacts() -> tuple[str, str, str, str]:
    """The files of a run: checkpoint, history (the trainer's, :mod:`made_helpers.core.train`), model, summary."""
    from ..core.train import CHECKPOINT_FILE, HISTORY_FILE

    return CHECKPOINT_FILE, HISTORY_FILE, MODEL_FILE, RUN_SUMMARY


class RunFolderBusyError(OSError):
    """Another process holds the run folder's lock; ``holder`` says who (``"made train, pid 1234"``)."""

    def __init__(self, message: str, holder: str = "another process"):
        super().__init__(message)
        self.holder = holder


def _describe(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 200).decode(errors="replace").strip()
    return text or "another process"


def lock_holder(folder: str | os.PathLike) -> str | None:
    """Who holds the lock of run folder ``folder`` (e.g. ``"made train, pid 1234"``), or ``None``."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY)
    except OSError:                                   # no lock file (or no folder): nobody writes
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # closing fd releases it
        return None
    except BlockingIOError:
        return _describe(fd)
    finally:
        os.close(fd)


@contextmanager
def run_lock(folder: str | os.PathLike, holder: str = "made train") -> Iterator[Path]:
    """Hold ``folder``'s lock for the ``with`` block (the folder is created; removed again if left empty).

    Raises :class:`RunFolderBusyError` naming the holder when another process holds it.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _describe(fd)
            os.close(fd)
            raise RunFolderBusyError(f"{folder} is in use by {who}: wait for it to end, or choose another folder",
                                     who) from None
        try:                                          # the previous holder may have removed the file meanwhile
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{holder}, pid {os.getpid()}\n".encode())
        yield folder
    finally:
        try:
            path.unlink()                             # while still holding the lock (see the loop above)
        except FileNotFoundError:
            pass
        os.close(fd)                                  # releases the lock
        if created:
            try:
                folder.rmdir()                        # only if nothing else was written
            except OSError:
                pass


# --------------------------------------------------------------------------- an overwrite that can be undone
def set_aside(folder: Path, names: Sequence[str]) -> Path | None:
    """Move the files ``names`` of ``folder`` into ``folder/.made-overwritten``; returns it (None: none there)."""
    old = [name for name in names if (folder / name).exists()]
    if not old:
        return None
    aside = folder / OVERWRITTEN
    aside.mkdir()
    for name in old:
        os.replace(folder / name, aside / name)
    return aside


def drop_aside(aside: Path) -> None:
    """Delete the set-aside old run (the new run has its first checkpoint)."""
    if aside.exists():
        shutil.rmtree(aside)


def restore_aside(folder: Path, aside: Path, names: Sequence[str]) -> None:
    """Put the set-aside old run back; a file ``names`` of the new run with no old counterpart goes."""
    if not aside.exists():
        return
    for name in names:
        if (aside / name).exists():
            os.replace(aside / name, folder / name)
        else:
            (folder / name).unlink(missing_ok=True)
    aside.rmdir()


def recover_overwrite(folder: Path, names: Sequence[str], checkpoint: str) -> None:
    """After an overwriting run was killed: its set-aside old run goes back, unless the new run has ``checkpoint``."""
    aside = folder / OVERWRITTEN
    if not aside.is_dir():
        return
    if (folder / checkpoint).exists():
        drop_aside(aside)
    else:
        restore_aside(folder, aside, names)
        print(f"[made_helpers] restored the run in {folder} that an interrupted --overwrite had set aside",
              flush=True)


# --------------------------------------------------------------------------- a run folder's state
def check_existing_run(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse (exit 1) to start over a run without ``--resume``/``--overwrite``, or to resume one that cannot be."""
    artefacts = run_artefacts()
    held = [name for name in artefacts if (out / name).exists()]
    if held and not (resume or overwrite):
        raise FileExistsError(f"{out} already holds a run ({', '.join(held)}): add --resume to continue it, "
                              f"--overwrite to replace it, or choose another --out")
    if held and resume and artefacts[0] not in held:
        raise FileExistsError(f"{out} holds a run ({', '.join(held)}) without {artefacts[0]}, so it cannot be "
                              f"resumed: choose another --out, or --overwrite to replace it")


def check_cosine_resume(out: Path, epochs: int) -> None:
    """Refuse to resume the cosine run in ``out`` whose length ``--epochs`` (without ``--cosine-epochs``) would
    change."""
    from ..core.train import CHECKPOINT_FILE, read_checkpoint_state

    ckpt = out / CHECKPOINT_FILE
    if not ckpt.is_file():
        return
    saved = read_checkpoint_state(ckpt).get("settings", {}).get("cosine_epochs")
    if saved is not None and saved != epochs:
        raise UsageError(f"--resume: the run's cosine schedule is {saved} epoch(s) long, and without "
                         f"--cosine-epochs it would be --epochs {epochs}: add --cosine-epochs {saved} to "
                         f"continue the run's schedule")


def interrupted_run(out: Path) -> str:
    """What an interrupted ``made train`` leaves in ``out``: the epoch its checkpoint holds and how to continue."""
    from ..core.train import CHECKPOINT_FILE, read_checkpoint_state
    from ..errors import MadeError

    ckpt = out / CHECKPOINT_FILE
    if not ckpt.is_file():
        return f"interrupted before the first epoch ended: {out} holds no checkpoint; run the command again to start"
    try:
        epochs = read_checkpoint_state(ckpt)["history"]["epochs_run"]
    except (MadeError, KeyError, TypeError):
        return "interrupted; a train run continues with --resume"
    return (f"interrupted; {ckpt} holds the run up to epoch {epochs}: the same command with --resume continues it "
            f"from there")


# --------------------------------------------------------------------------- the model file
def save_model(model, path: Path) -> None:
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
        deflate_zip(Path(f.name))

    atomic_write(path, save)


def deflate_zip(path: Path) -> None:
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


def resolve_model(path: str) -> tuple[Path, Path | None]:
    """``(model file, run folder or None)`` from a run folder or a ``.keras`` file; refuses a run being written."""
    if not path.strip():
        raise UsageError("--model is empty: name a run folder or a .keras file")
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
            hint = (" (a checkpoint is there: the run has not finished; continue it with `made train ... --resume`)"
                    if (p / run_artefacts()[0]).exists() else "")
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


def load_model(path: Path):
    """The MADE in ``path`` (a ``.keras`` file), or a one-line ``UserInputError`` saying what is wrong."""
    import zipfile

    import keras

    from ..checks import check_finite_weights
    from ..core.model import MADE  # (importing it registers the classes for deserialization)
    from ..model_file import check_model_file

    run = path.parent
    fix = (f"; rebuild it from the run's checkpoint with `made train ... --out {run} --resume` (the run's flags)"
           if (run / run_artefacts()[0]).is_file() else "; train it again or restore a copy")
    if path.suffix.lower() != ".keras":
        raise UserInputError(f"--model {path}: a {path.suffix or 'suffix-less'} file; accepted are a run folder "
                             f"(from made train) or the .keras file it writes (not .h5/.hdf5/SavedModel)")
    if not zipfile.is_zipfile(path):
        what = "empty" if path.stat().st_size == 0 else "truncated, or not a .keras zip archive"
        raise UserInputError(f"{path} is damaged ({what}){fix}")
    SavedMasksMismatch.latest = None
    try:
        model = keras.saving.load_model(path, compile=False)   # runs MADE.check_saved_masks (SavedMaskCheck)
    except Exception as e:  # noqa: BLE001  (BadZipFile, KeyError, TypeError from a bad config.json, ...)
        if SavedMasksMismatch.latest is not None:          # Keras re-raises it as a ValueError of its own text
            raise UserInputError(f"{path}: {SavedMasksMismatch.latest}; use the file `made train` wrote") from None
        while (inner := e.__cause__ or e.__context__) is not None:   # Keras wraps the layers' own messages
            e = inner
        lines = [line.strip() for line in str(e).splitlines() if line.strip()] or [""]
        # "A total of N objects could not be loaded. Example error message ...:" then the layer's own message
        detail = lines[1] if len(lines) > 1 and lines[0].startswith("A total of") else lines[0]
        raise UserInputError(f"{path} is damaged or not a MADE model ({type(e).__name__}: "
                             f"{first_line(ValueError(detail))}){fix}") from None
    if not isinstance(model, MADE):
        raise UserInputError(f"{path} holds a Keras {type(model).__name__}, not a MADE written by `made train`")
    if model.num_masks > MAX_MASKS:
        raise UserInputError(f"{path}: num_masks={model.num_masks} exceeds {MAX_MASKS}, the most the CLI handles")
    check_model_file(model, path)          # as many arrays in the file as its config builds
    if model.input_dim != MNIST_PIXELS:
        raise UserInputError(f"{path}: the model is for {model.input_dim} inputs, MNIST images have {MNIST_PIXELS} "
                             f"pixels: give a model trained by `made train`")
    check_finite_weights(model, str(path), fix=fix.removeprefix("; "))
    return model


def model_config(model) -> dict:
    """The model's config as JSON stores it (without its Keras name), for summaries and results files."""
    config = {key: val for key, val in model.get_config().items() if key not in ("name", "trainable")}
    return json.loads(json.dumps(config))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_json_target(text: str, model_file: Path, read: list[Path], overwrite: bool = False) -> Path:
    """``evaluate --json``: a writable ``.json`` file that is neither the model, a run's own file, nor one of ``read``
    (the files the command reads, also through ``..`` or links), nor (without ``overwrite``) an existing file."""
    path = check_new_path("--json", text)
    if path.is_dir():
        raise UsageError(f"--json {text} is a folder: name a .json file, e.g. {path / 'result.json'}")
    if path.suffix.lower() != ".json":
        raise UsageError(f"--json {text} must name a .json file (the result is JSON)")
    if _same_file(path, model_file):
        raise UsageError(f"--json {text} is the model file itself: choose another file")
    target, artefacts = path.resolve(), run_artefacts()
    if target.name in artefacts and any((target.parent / name).exists() for name in artefacts
                                        if name != target.name):
        raise UsageError(f"--json {text} is a file of the run in {target.parent}: choose another file")
    for other in read:
        if _same_file(path, other):
            raise UsageError(f"--json {text} is {other}, which this command reads: choose another file")
    if os.path.lexists(path) and not overwrite:
        raise UsageError(f"--json {text} already exists: add --overwrite to replace it, or choose another file")
    return check_output(path, "--json", text)


# --------------------------------------------------------------------------- the training summary
def previous_summary(out: Path) -> dict:
    """The ``train_summary.json`` of the run ``--resume`` continues (``{}`` if there is none), checked up front."""
    path = out / RUN_SUMMARY
    if not os.path.lexists(path):
        return {}
    summary = read_json(path, fix="restore it from a copy, or delete it (the resumed run then writes a new one "
                                  "without the earlier invocations)")
    if not isinstance(summary.get("invocations", []), list):
        raise UserInputError(f"{path} is damaged: its invocations are not a list; restore it from a copy, or delete it")
    return summary


def read_summary(path: Path, given: bool) -> dict:
    """The training summary ``path``, checked to be one; ``given`` (by ``--summary``): errors are usage errors."""
    from .results import RESULTS_KEYS

    error = UsageError if given else UserInputError
    what = f"--summary {path}" if given else str(path)
    expected = f"expected the {RUN_SUMMARY} that `made train` wrote beside the model"
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


def summary_config(summary: dict) -> dict:
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


def check_summary_describes(summary: dict, path: Path, given: bool, model, model_file: Path) -> None:
    """Refuse a training summary of another model: its config must be the loaded model's, and the model file's
    digest the one the summary recorded (summaries before ``model_sha256`` are compared by config only)."""
    from ..model_file import file_sha256

    loaded = model_config(model)
    described = summary_config(summary)
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
        raise (UsageError if given else UserInputError)(
            f"{what} describes another model than --model ({'; '.join(differ)}): give the {RUN_SUMMARY} of the "
            f"run that trained it")
