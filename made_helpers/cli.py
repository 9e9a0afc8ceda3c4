"""Command line: ``python -m made_helpers`` (or ``made``) ``train | evaluate | sample``.

Examples::

    made train --data binarized --hidden 500 --epochs 200 --patience 30 --out runs/made_k1
    made evaluate --model runs/made_k1 --split test --masks 1 --json results/made_k1.json
    made sample --model runs/made_k1 --n 100 --out runs/made_k1/samples.png

Invalid flags or values print one line and exit with status 2; missing or broken
data, an existing run folder without ``--resume`` or a diverged run exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RUN_SUMMARY = "train_summary.json"
MODEL_FILE = "model.keras"


class _Parser(argparse.ArgumentParser):
    """``argparse`` that reports a bad flag or value in one line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


_positive_float.__name__ = "positive number"


# --------------------------------------------------------------------------- shared helpers
def machine_info() -> dict:
    """Platform, CPU count and library versions, for results files."""
    import keras
    import numpy as np
    import tensorflow as tf

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}


def git_commit() -> str | None:
    """The repository's HEAD commit (with ``+dirty`` for uncommitted changes), or None."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "made_helpers"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _load_split(kind: str, split: str, limit: int | None, data_dir: str | None):
    """``(x (N, 784) float32, DataInfo)`` for ``--data binarized|fallback``."""
    from . import data

    if kind == "fallback":
        x, info = data.load_fallback_subset(split, return_info=True)
    else:
        x, info = data.load_binarized_mnist(split, source="auto-strict", data_dir=data_dir, return_info=True)
    info = info.to_dict()
    if limit is not None and limit < len(x):
        x = x[:limit]
        info["limit"] = limit
        info["description"] += f" [first {limit} rows only]"
        print(f"[made_helpers.cli] using the first {limit} of the {info['n']} {split} rows", flush=True)
    info["n_used"] = len(x)
    return x, info


def _write_json(path: Path, obj: dict) -> None:
    from .train import save_history

    path.parent.mkdir(parents=True, exist_ok=True)
    save_history(obj, path)


def _resolve_model(path: str) -> tuple[Path, Path | None]:
    """``(model file, run folder or None)`` from a run folder or a ``.keras`` file."""
    p = Path(path)
    if p.is_dir():
        model = p / MODEL_FILE
        if not model.is_file():
            hint = (" (a checkpoint is there: the run has not finished; continue it with `made train ... --resume`)"
                    if (p / "checkpoint.npz").exists() else "")
            raise FileNotFoundError(f"no {MODEL_FILE} in {p}{hint}")
        return model, p
    if p.is_file():
        return p, p.parent if (p.parent / RUN_SUMMARY).is_file() else None
    raise FileNotFoundError(f"--model {path}: no such run folder or .keras file")


def _load_model(path: Path):
    import keras

    from . import MADE  # noqa: F401  (registers the classes for deserialization)

    return keras.saving.load_model(path, compile=False)


# --------------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    import keras

    from . import MADE
    from .train import train

    out = Path(args.out)
    try:
        keras.activations.get(args.activation)
    except ValueError:
        raise _UsageError(f"--activation {args.activation!r} is not a Keras activation "
                          f"(e.g. relu, tanh, sigmoid, elu)") from None
    if args.valid_masks is not None and args.valid_masks > args.masks:
        raise _UsageError(f"--valid-masks {args.valid_masks} exceeds --masks {args.masks}")
    if (out / "checkpoint.npz").exists() and not args.resume:
        raise FileExistsError(f"{out} already holds a run (checkpoint.npz): add --resume to continue it, "
                              f"or choose another --out")
    t0 = time.time()
    commit = git_commit()                              # the code that runs, before any later edits
    x_train, train_info = _load_split(args.data, "train", args.limit, args.data_dir)
    x_valid, valid_info = _load_split(args.data, "valid", None, args.data_dir)
    keras.utils.set_random_seed(args.seed)            # initial weights: reproducible from --seed
    model = MADE(784, args.hidden, num_masks=args.masks, ordering=args.ordering,
                 hidden_degrees=args.hidden_degrees, direct=not args.no_direct,
                 activation=args.activation, seed=args.seed)
    print(f"MADE 784-{'-'.join(map(str, args.hidden))}-784, {args.masks} mask(s), ordering {args.ordering}, "
          f"direct={not args.no_direct}; {model.count_params() - sum(v.numpy().size for v in model.non_trainable_variables)} "
          f"trainable parameters; {len(x_train)} train / {len(x_valid)} valid images", flush=True)
    history = train(model, x_train, x_valid, epochs=args.epochs, batch_size=args.batch_size,
                    optimizer=args.optimizer, learning_rate=args.learning_rate, patience=args.patience,
                    resample_masks=not args.no_resample_masks, valid_masks=args.valid_masks,
                    checkpoint_dir=out, resume=args.resume, seed=args.seed, verbose=args.verbose,
                    data={"train": train_info, "valid": valid_info}, jit_compile=not args.no_jit)
    model.save(out / MODEL_FILE)
    previous = json.loads((out / RUN_SUMMARY).read_text()) if args.resume and (out / RUN_SUMMARY).is_file() else {}
    invocations = previous.get("invocations", []) + [{
        "argv": sys.argv[1:], "wall_seconds": time.time() - t0,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t0))}]
    summary = {
        "model_file": str(out / MODEL_FILE), "best_epoch": history["best_epoch"],
        "best_valid_nll": history["best_valid_nll"], "epochs_run": history["epochs_run"],
        "stop_reason": history["stop_reason"], "train_seconds_total": sum(history["epoch_seconds"]),
        "wall_seconds_total": sum(i["wall_seconds"] for i in invocations), "invocations": invocations,
        "settings": {k: v for k, v in vars(args).items() if k != "func"},
        "data": history["data"], "machine": machine_info(), "git_commit": commit,
    }
    _write_json(out / RUN_SUMMARY, summary)
    print(f"best valid NLL {history['best_valid_nll']:.3f} nats (epoch {history['best_epoch']}, "
          f"mixture of {history['valid_masks']} mask(s)) on {valid_info['description']}", flush=True)
    print(f"wrote {out / MODEL_FILE}, {out / 'history.json'}, {out / RUN_SUMMARY}", flush=True)
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_nll

    model_file, run_dir = _resolve_model(args.model)
    summary = json.loads((run_dir / RUN_SUMMARY).read_text()) if run_dir and (run_dir / RUN_SUMMARY).is_file() else {}
    kind = args.data or ("fallback" if (summary.get("data") or {}).get("train", {}).get("source") == "fallback"
                         else "binarized")
    model = _load_model(model_file)
    if args.masks is not None and args.masks > model.num_masks:
        raise _UsageError(f"--masks {args.masks} exceeds the model's {model.num_masks} mask(s)")
    k = args.masks or model.num_masks
    x, info = _load_split(kind, args.split, args.limit, args.data_dir)
    t0 = time.time()
    mean, se = evaluate_nll(model, x, num_masks=k, batch_size=args.batch_size)
    seconds = time.time() - t0
    print(f"{args.split} NLL: {mean:.3f} ± {se:.3f} nats (mean ± standard error over {len(x)} images; "
          f"mixture of {k} mask(s)) on {info['description']}", flush=True)
    if args.json:
        result = {
            f"{args.split}_nll": mean, f"{args.split}_nll_se": se, "split": args.split, "num_masks": k,
            "n_images": len(x), "eval_seconds": seconds, "model_file": str(model_file),
            "data": info, "comparable_with_paper": bool(info["comparable_with_paper"]) and args.limit is None,
            "model": {key: val for key, val in model.get_config().items() if key not in ("name", "trainable")},
            "training": {key: summary[key] for key in ("best_epoch", "best_valid_nll", "epochs_run",
                                                        "stop_reason", "train_seconds_total",
                                                        "wall_seconds_total", "settings", "data")
                         if key in summary},
            "machine": machine_info(), "git_commit": git_commit(),
            "training_git_commit": summary.get("git_commit"),
        }
        if args.note:
            result["note"] = args.note
        _write_json(Path(args.json), result)
        print(f"wrote {args.json}", flush=True)
    return 0


def cmd_sample(args) -> int:
    from .plotting import save_image_grid

    model_file, _ = _resolve_model(args.model)
    model = _load_model(model_file)
    if args.mask >= model.num_masks:
        raise _UsageError(f"--mask {args.mask} out of range: the model has {model.num_masks} mask(s)")
    model.set_mask(args.mask)
    t0 = time.time()
    samples = model.sample(args.n, seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(samples, str(out), title=f"{args.n} samples, {model_file.parent.name or model_file.name}, "
                                           f"mask {args.mask}, seed {args.seed}", ncols=args.ncols)
    print(f"wrote {out} ({args.n} samples in {time.time() - t0:.1f} s)", flush=True)
    return 0


class _UsageError(ValueError):
    """A flag value that is valid alone but not with the others (exit status 2)."""


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="made", description="Train, evaluate and sample MADE models on binarized MNIST.")
    sub = parser.add_subparsers(dest="command", metavar="{train,evaluate,sample}", parser_class=_Parser)
    sub.required = True

    def data_flags(p, default):
        p.add_argument("--data", choices=["binarized", "fallback"], default=default,
                       help="binarized: statically binarized MNIST (Larochelle's files from $MADE_DATA_DIR, "
                            "data/ or a download; else built from grey MNIST; else an error). fallback: the "
                            "5 000-digit MNIST subset shipped with the package (offline; NLL not comparable "
                            "with the paper)"
                            + ("" if default else ". Default: the data the model was trained on"))
        p.add_argument("--data-dir", default=None, metavar="DIR",
                       help="folder holding the data files (default: $MADE_DATA_DIR, then data/)")

    t = sub.add_parser("train", help="train a MADE with early stopping; writes checkpoints, history, model",
                       description="Train a MADE on the train split with early stopping on the valid split. "
                                   "OUT receives checkpoint.npz (every epoch), history.json, model.keras "
                                   "(best epoch) and train_summary.json.")
    data_flags(t, "binarized")
    t.add_argument("--limit", type=_int_at_least(1), default=None, metavar="N",
                   help="train on the first N training images only (quick runs); valid split unchanged")
    t.add_argument("--hidden", type=_int_at_least(1), nargs="+", default=[500], metavar="H",
                   help="hidden layer widths, e.g. --hidden 500 or --hidden 8000 8000 (default: 500)")
    t.add_argument("--masks", type=_int_at_least(1), default=1, metavar="K",
                   help="number of masks K; K > 1 resamples one per minibatch (default: 1)")
    t.add_argument("--ordering", choices=["natural", "reversed", "random"], default="natural",
                   help="input ordering; random draws a new ordering per mask (default: natural)")
    t.add_argument("--hidden-degrees", choices=["random", "equal"], default="random",
                   help="hidden unit degrees: random (paper) or equal (spread evenly) (default: random)")
    t.add_argument("--no-direct", action="store_true",
                   help="drop the direct input-to-output connection (default: keep it)")
    t.add_argument("--activation", default="relu", help="hidden activation, a Keras name (default: relu)")
    t.add_argument("--epochs", type=_int_at_least(1), default=100, metavar="N",
                   help="maximum number of epochs (default: 100)")
    t.add_argument("--batch-size", type=_int_at_least(1), default=100, metavar="B",
                   help="minibatch size (default: 100)")
    t.add_argument("--optimizer", choices=["adam", "adagrad"], default="adam", help="optimizer (default: adam)")
    t.add_argument("--learning-rate", type=_positive_float, default=None, metavar="LR",
                   help="step size (default: 1e-3 for adam, 1e-2 for adagrad)")
    t.add_argument("--patience", type=_int_at_least(1), default=30, metavar="P",
                   help="stop after P epochs without a lower valid NLL; the best epoch is restored (default: 30)")
    t.add_argument("--valid-masks", type=_int_at_least(1), default=None, metavar="K",
                   help="masks in the validation mixture (default: all K)")
    t.add_argument("--no-resample-masks", action="store_true",
                   help="with K > 1, train on mask 0 only instead of a random mask per minibatch")
    t.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seed for masks, initial weights, shuffling and mask choice (default: 0)")
    t.add_argument("--out", required=True, metavar="DIR", help="output folder for checkpoints, history, model")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (same settings; --epochs may grow)")
    t.add_argument("--no-jit", action="store_true", help="do not compile the training step with XLA")
    t.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1,
                   help="0 quiet, 1 progress bar with running NLL, 2 one line per epoch (default: 1)")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="mean NLL ± standard error on a split",
                       description="Mean negative log-likelihood (nats) ± standard error of a trained model "
                                   "on a split, using the mixture over the first K masks.")
    e.add_argument("--model", required=True, metavar="PATH", help="run folder (from train --out) or .keras file")
    e.add_argument("--split", choices=["train", "valid", "test"], default="test", help="split (default: test)")
    e.add_argument("--masks", type=_int_at_least(1), default=None, metavar="K",
                   help="mixture over masks 0..K-1 (default: all the model's masks)")
    data_flags(e, None)
    e.add_argument("--limit", type=_int_at_least(1), default=None, metavar="N",
                   help="evaluate on the first N images only (quick checks; not a benchmark number)")
    e.add_argument("--batch-size", type=_int_at_least(1), default=10_000, metavar="B",
                   help="images per forward pass (default: 10000)")
    e.add_argument("--json", default=None, metavar="FILE",
                   help="also write the result, training summary, machine and git commit to FILE")
    e.add_argument("--note", default=None, metavar="TEXT", help="free text stored in the --json file")
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("sample", help="draw samples and write a PNG grid",
                       description="Draw samples (784 sequential passes) and save them as a PNG grid.")
    s.add_argument("--model", required=True, metavar="PATH", help="run folder (from train --out) or .keras file")
    s.add_argument("--n", type=_int_at_least(1), default=100, help="number of samples (default: 100)")
    s.add_argument("--mask", type=_int_at_least(0), default=0, metavar="k", help="mask to sample with (default: 0)")
    s.add_argument("--seed", type=_int_at_least(0), default=0, help="sampling seed (default: 0)")
    s.add_argument("--ncols", type=_int_at_least(1), default=10, help="images per row (default: 10)")
    s.add_argument("--out", required=True, metavar="FILE.png", help="PNG file to write")
    s.set_defaults(func=cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``made`` and ``python -m made_helpers``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"made {args.command}"
    try:
        return args.func(args)
    except _UsageError as e:
        print(f"{prog}: error: {e} (see {prog} --help)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; a train run continues with --resume", file=sys.stderr)
        return 130
    except (OSError, ValueError, FloatingPointError) as e:
        # missing/broken data, an existing run folder, a diverged run, an unreadable model file
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
