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
import os
import sys
import time
from pathlib import Path

from .. import __version__
from ..checks import SEED_MAX
from ..core.schedules import LR_FACTOR_DEFAULT, LR_PATIENCE_DEFAULT, SCHEDULE_FLAGS
from ..environment import EnvironmentVariableError, check_environment, env_flag
from ..errors import MadeError, UsageError, first_line
from ..files import check_new_path, check_output
from .arguments import Parser, fraction, int_at_least, join_negative_numbers, non_negative_float, positive_float
from .run_folder import MAX_MASKS, RUN_SUMMARY
from .signals import deferred_interrupts, exit_status, interruption, stoppable

MAX_SAMPLES = 2_500             # one PNG grid; more samples: several calls with other seeds
MAX_GRID_ROWS = 500             # keeps the PNG under matplotlib's 2**16-pixel limit
MAX_GRID_COLS = 40              # the PNG is at most ~1200 px wide: each digit keeps its 28 pixels


def _check_png_target(text: str, overwrite: bool = False) -> Path:
    """``sample --out``: a ``.png`` file, or an existing folder (which receives ``samples.png``); without
    ``overwrite``, not an existing file."""
    path = check_new_path("--out", text)
    if path.is_dir():
        path = path / "samples.png"
        if path.is_dir():
            raise UsageError(f"--out {text}: {path} is a folder: name a .png file")
    elif path.suffix.lower() != ".png":
        raise UsageError(f"--out {text} must end in .png (or name an existing folder, which receives samples.png)")
    if os.path.lexists(path) and not overwrite:
        where = text if str(path) == text else f"{text}: {path}"
        raise UsageError(f"--out {where} already exists: add --overwrite to replace it, or choose another file")
    return check_output(path, "--out", str(path))


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
    from ..core.train import CHECKPOINT_FILE, check_learning_rate

    out = check_new_path("--out", args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is an existing file, not a folder: choose another --out")
    if args.resume and args.overwrite:
        raise UsageError("--resume continues the run in --out, --overwrite replaces it: give one of them")
    check_output(out / CHECKPOINT_FILE, "--out", args.out)
    try:
        args.activation = check_activation(args.activation)
    except ValueError as e:
        raise UsageError(f"--{e}") from None
    if args.learning_rate is not None:
        try:
            check_learning_rate(args.learning_rate, name="--learning-rate")
        except ValueError as e:
            raise UsageError(str(e)) from None
    if args.valid_masks is not None and args.valid_masks > args.masks:
        raise UsageError(f"--valid-masks {args.valid_masks} exceeds --masks {args.masks}")
    if args.mask_kind and mk.draws_orderings(args.mask_kind) and args.ordering != "random":
        raise UsageError(f"--mask-kind {args.mask_kind} draws a new ordering per mask: it needs --ordering random")
    _check_schedule_flags(args)
    _check_data_dir(args.data, args)
    kind = args.mask_kind or mk.default_mask_kind(args.ordering)
    k_valid = args.masks if args.valid_masks is None else args.valid_masks
    if args.valid_ensemble == "conditionals" and k_valid > 1 and mk.draws_orderings(kind):
        raise UsageError(f"--valid-ensemble conditionals averages the conditionals of masks that share one "
                         f"ordering, but --ordering random with --mask-kind {kind}"
                         f"{'' if args.mask_kind else ' (the default)'} gives each mask its own: use "
                         f"--mask-kind connectivity, or --valid-ensemble mixture")
    if args.masks > 1 and not args.no_resample_masks and not args.host_masks:
        need, free = mk.degree_table_bytes(784, args.hidden, args.masks), _available_memory()
        if free is not None and need > free:
            raise UsageError(f"--masks {args.masks} with --hidden {' '.join(map(str, args.hidden))}: the masks' "
                              f"degree tables need {need / 2**30:.2f} GiB, more than the {free / 2**30:.2f} GiB "
                              f"of memory available: use fewer masks or narrower layers")
    return out


def _check_data_dir(kind: str, args) -> None:
    """``--data-dir`` only where it is used: the fallback subset ships with the package."""
    if kind == "fallback" and args.data_dir is not None:
        why = "" if args.data else " (the model was trained on it, so evaluate uses it by default)"
        raise UsageError(f"--data-dir {args.data_dir} has no effect with the fallback subset{why}, which ships with "
                          f"the package: drop --data-dir, or give --data binarized")


def _check_schedule_flags(args) -> None:
    """The learning-rate schedule's flags: each only with its schedule, milestones once each."""
    schedule = args.lr_schedule
    if schedule == "step" and not args.lr_milestones:
        raise UsageError("--lr-schedule step needs --lr-milestones, e.g. --lr-milestones 45")
    for key, schedules in SCHEDULE_FLAGS.items():
        if getattr(args, key) not in (None, []) and schedule not in schedules:
            raise UsageError(f"--{key.replace('_', '-')} belongs to --lr-schedule {' or '.join(schedules)} "
                              f"(now --lr-schedule {schedule}, which would ignore it)")
    repeated = sorted({m for m in args.lr_milestones if args.lr_milestones.count(m) > 1})
    if repeated:
        raise UsageError(f"--lr-milestones repeats {' '.join(map(str, repeated))}: each milestone cuts the rate "
                          f"once more; give each epoch once")
    if args.lr_factor == 0:
        raise UsageError("--lr-factor must be above 0")
    args.lr_factor = LR_FACTOR_DEFAULT if args.lr_factor is None else args.lr_factor
    args.lr_patience = LR_PATIENCE_DEFAULT if args.lr_patience is None else args.lr_patience


def cmd_train(args) -> int:
    from .run_folder import RunFolderBusyError, run_lock
    from .train_run import train_in_folder

    out = _check_train_flags(args)
    try:
        with run_lock(out):                            # one writer per run folder
            return train_in_folder(args, out)
    except RunFolderBusyError as e:
        raise RunFolderBusyError(f"--out {out} is in use by {e.holder}: wait for it to end, or choose another "
                                 f"--out (a second writer would mix two runs' files)") from None


def cmd_evaluate(args) -> int:
    import math

    from ..atomic import write_json
    from ..core.evaluate import paired_difference, per_example_nll, standard_error
    from ..core.train import HISTORY_FILE
    from ..files import read_json
    from . import run_folder as rf
    from .provenance import load_split
    from .results import evaluation_record, read_compare

    model_file, run_dir = rf.resolve_model(args.model)
    summary_file = Path(args.summary) if args.summary else (run_dir / RUN_SUMMARY if run_dir else None)
    history_file = summary_file.parent / HISTORY_FILE if summary_file else None
    read = [f for f in (summary_file, history_file) if f is not None] + [Path(text) for text in args.compare]
    json_path = rf.check_json_target(args.json, model_file, read, args.overwrite) if args.json is not None else None
    summary = (rf.read_summary(summary_file, bool(args.summary))
               if summary_file is not None and (args.summary or os.path.lexists(summary_file)) else {})
    history = (read_json(history_file, fix="restore it, or delete it to evaluate without the learning curves")
               if json_path is not None and history_file is not None and os.path.lexists(history_file) else None)
    kind = args.data or ("fallback" if (summary.get("data") or {}).get("train", {}).get("source") == "fallback"
                         else "binarized")
    _check_data_dir(kind, args)
    model = rf.load_model(model_file)
    if summary:
        rf.check_summary_describes(summary, summary_file, bool(args.summary), model, model_file)
    if args.masks is not None and args.masks > model.num_masks:
        raise UsageError(f"--masks {args.masks} exceeds the model's {model.num_masks} mask(s)")
    k = args.masks or model.num_masks
    x, info, shown = load_split(kind, args.split, args.limit, args.data_dir)
    others = [(path, read_compare(path, args.split, len(x), info)) for path in args.compare]
    t0 = time.time()
    nll = per_example_nll(model, x, num_masks=k, batch_size=args.batch_size, ensemble=args.ensemble)
    seconds = time.time() - t0
    mean, se = float(nll.mean()), standard_error(nll)
    combined = "mixture" if args.ensemble == "mixture" else "averaged conditionals"
    spread = (f"± {se:.3f} nats (mean ± standard error over {len(x)} images" if math.isfinite(se) else
              "nats (one image: no standard error")
    print(f"{args.split} NLL: {mean:.3f} {spread}; {combined} of {k} mask(s)) on {shown}", flush=True)
    for other_file, (other, other_nll) in others:          # the same images: checked by read_compare
        diff, paired_se = paired_difference(nll, other_nll)
        print(f"paired with {other_file} ({other[f'{args.split}_nll']:.3f}): this - that = {diff:+.3f} ± "
              f"{paired_se:.3f} nats (standard error of the {len(nll)} per-image differences)", flush=True)
    if json_path is not None:
        # the paper reports test NLLs: a valid- or train-split number is not one of them
        comparable = bool(info["comparable_with_paper"]) and args.limit is None and args.split == "test"
        result = evaluation_record(nll, args.split, info, model_file, rf.model_config(model), summary, history,
                                   num_masks=k, ensemble=args.ensemble, eval_seconds=seconds,
                                   comparable_with_paper=comparable, **({"note": args.note} if args.note else {}))
        json_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, result)
        print(f"wrote {json_path}", flush=True)
    return 0


def cmd_sample(args) -> int:
    from ..core.plotting import save_image_grid
    from .run_folder import load_model, resolve_model

    out = _check_png_target(args.out, args.overwrite)
    cols = min(args.ncols, args.n)
    if cols > MAX_GRID_COLS:
        raise UsageError(f"--ncols {args.ncols} puts {cols} digits in a row of the ~1200-pixel-wide PNG, too "
                          f"small to see: at most {MAX_GRID_COLS} per row")
    rows = -(-args.n // args.ncols)
    if rows > MAX_GRID_ROWS:
        raise UsageError(f"--n {args.n} with --ncols {args.ncols} makes {rows} rows; the PNG grid holds at most "
                          f"{MAX_GRID_ROWS}: raise --ncols")
    model_file, _ = resolve_model(args.model)
    model = load_model(model_file)
    if args.mask >= model.num_masks:
        raise UsageError(f"--mask {args.mask} out of range: the model has {model.num_masks} mask(s)")
    model.set_mask(args.mask)
    t0 = time.time()
    samples = model.sample(args.n, seed=args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(samples, str(out), title=f"{args.n} samples, {model_file.parent.name or model_file.name}, "
                                           f"mask {args.mask}, seed {args.seed}", ncols=args.ncols)
    print(f"wrote {out} ({args.n} samples in {time.time() - t0:.1f} s)", flush=True)
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="made", description="Train, evaluate and sample MADE models on binarized MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version of made_helpers (the made-tutorial package) and exit")
    sub = parser.add_subparsers(dest="command", metavar="{train,evaluate,sample}", parser_class=Parser,
                                required=True)

    def data_flags(p, default):
        p.add_argument("--data", choices=["binarized", "fallback"], default=default,
                       help="binarized: statically binarized MNIST (Larochelle's files from $MADE_DATA_DIR, data/ or "
                            "a download; else built from grey MNIST; else an error). fallback: the 5 000-digit MNIST "
                            "subset shipped with the package (offline; NLL not comparable with the paper)"
                            + ("" if default else ". Default: the data the model was trained on"))
        p.add_argument("--data-dir", default=None, metavar="DIR",
                       help="folder holding the data files (default: $MADE_DATA_DIR, then data/)")

    model_flag = Parser(add_help=False)                # the first option of evaluate and sample
    model_flag.add_argument("--model", required=True, metavar="PATH",
                            help="run folder (from train --out) or .keras file")

    t = sub.add_parser("train", help="train a MADE with early stopping; writes checkpoints, history, model",
                       description="Train a MADE on the train split with early stopping on the valid split. OUT "
                                   "receives checkpoint.npz (every epoch), history.json, model.keras (best epoch) "
                                   "and train_summary.json.")
    switch = functools.partial(t.add_argument, action="store_true")
    data_flags(t, "binarized")
    t.add_argument("--limit", type=int_at_least(1), default=None, metavar="N",
                   help="train on the first N training images only (quick runs); valid split unchanged")
    t.add_argument("--hidden", type=int_at_least(1), nargs="+", default=[500], metavar="H",
                   help="hidden layer widths, e.g. --hidden 500 or --hidden 8000 8000 (default: 500)")
    t.add_argument("--masks", type=int_at_least(1, MAX_MASKS), default=1, metavar="K",
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
    t.add_argument("--epochs", type=int_at_least(1), default=100, metavar="N",
                   help="maximum number of epochs (default: 100)")
    t.add_argument("--batch-size", type=int_at_least(1), default=100, metavar="B",
                   help="minibatch size (default: 100)")
    t.add_argument("--optimizer", choices=["adam", "adagrad", "adagrad-paper"], default="adam",
                   help="optimizer: adam, adagrad (Keras' AdaGrad) or adagrad-paper (the MADE code's AdaGrad: "
                        "accumulator from 0, eps 1e-6) (default: adam)")
    t.add_argument("--learning-rate", type=positive_float, default=None, metavar="LR",
                   help="step size, a normal float32 (>= 1.2e-38) (default: 1e-3 for adam, 1e-2 for adagrad)")
    t.add_argument("--patience", type=int_at_least(1), default=30, metavar="P",
                   help="stop after P epochs without a lower valid NLL; the best epoch is restored (default: 30)")
    t.add_argument("--valid-masks", type=int_at_least(1), default=None, metavar="K",
                   help="masks in the validation mixture (default: all K)")
    t.add_argument("--mask-kind", choices=["full", "connectivity", "ordering"], default=None,
                   help="what changes between masks: full (ordering and connectivity; needs --ordering random), "
                        "connectivity (one shared ordering) or ordering (needs --ordering random) "
                        "(default: full for --ordering random, else connectivity)")
    t.add_argument("--valid-ensemble", choices=["mixture", "conditionals"], default="mixture",
                   help="how the validation NLL combines masks: mixture of probabilities, or conditionals "
                        "averaged per pixel (shared-ordering masks only) (default: mixture)")
    t.add_argument("--dropout", type=fraction, default=0.0, metavar="P",
                   help="dropout rate on the hidden layers during training, never on the direct connection "
                        "(default: 0)")
    t.add_argument("--weight-decay", type=non_negative_float, default=0.0, metavar="L2",
                   help="L2 penalty L2 * sum of squared kernel weights (biases excluded) added to the mean NLL; the "
                        "MAF authors' weight decay, in scripts/maf_mnist.py, is 1/2 * L2 * sum of all squared weights "
                        "(default: 0)")
    t.add_argument("--lr-schedule", choices=["constant", "step", "cosine", "plateau"], default="constant",
                   help="learning-rate schedule per epoch (default: constant)")
    t.add_argument("--lr-milestones", type=int_at_least(1), nargs="+", default=[], metavar="E",
                   help="step schedule only: multiply the rate by --lr-factor from each of these epochs on (each "
                        "epoch once)")
    t.add_argument("--lr-factor", type=fraction, default=None, metavar="F",
                   help=f"step/plateau schedule only: factor of each cut, in (0, 1) (default: {LR_FACTOR_DEFAULT})")
    t.add_argument("--lr-patience", type=int_at_least(1), default=None, metavar="P",
                   help=f"plateau schedule only: cut after P epochs without a lower valid NLL (default: "
                        f"{LR_PATIENCE_DEFAULT})")
    t.add_argument("--cosine-epochs", type=int_at_least(1), default=None, metavar="T",
                   help="cosine schedule only: length T in epochs (default: --epochs; when resuming a run whose "
                        "--epochs grew, give the run's T)")
    t.add_argument("--init", choices=["glorot_uniform", "orthogonal"], default="glorot_uniform",
                   help="kernel initialisation (the paper's code: orthogonal) (default: glorot_uniform)")
    switch("--bf16", help="mixed precision: bfloat16 matmuls, float32 weights and loss (fast only on CPUs with "
                          "AVX512-BF16 or AMX)")
    switch("--host-masks", help="switch masks from the host each minibatch instead of inside the compiled step "
                                "(same results; for benchmarks)")
    switch("--no-resample-masks", help="with K > 1, train on mask 0 only instead of a random mask per minibatch")
    t.add_argument("--seed", type=int_at_least(0, SEED_MAX), default=0,
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
    e.add_argument("--masks", type=int_at_least(1, MAX_MASKS), default=None, metavar="K",
                   help="mixture over masks 0..K-1 (default: all the model's masks)")
    e.add_argument("--ensemble", choices=["mixture", "conditionals"], default="mixture",
                   help="combine the K masks as a mixture of probabilities, or average their conditionals per pixel "
                        "(shared-ordering masks only) (default: mixture)")
    data_flags(e, None)
    e.add_argument("--limit", type=int_at_least(1), default=None, metavar="N",
                   help="evaluate on the first N images only (quick checks; not a benchmark number)")
    e.add_argument("--batch-size", type=int_at_least(1), default=10_000, metavar="B",
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
    s.add_argument("--n", type=int_at_least(1, MAX_SAMPLES), default=100,
                   help=f"number of samples, at most {MAX_SAMPLES} (default: 100)")
    s.add_argument("--mask", type=int_at_least(0), default=0, metavar="k", help="mask to sample with (default: 0)")
    s.add_argument("--seed", type=int_at_least(0, SEED_MAX), default=0,
                   help=f"sampling seed, 0..{SEED_MAX} (default: 0)")
    s.add_argument("--ncols", type=int_at_least(1), default=10,
                   help=f"images per row, at most {MAX_GRID_COLS} (the PNG is about 1200 pixels wide: each digit "
                        f"keeps its 28 pixels) and at most {MAX_GRID_ROWS} rows (default: 10)")
    s.add_argument("--out", required=True, metavar="FILE.png",
                   help="PNG file to write (an existing folder receives samples.png)")
    s.add_argument("--overwrite", action="store_true",
                   help="replace the --out file when it exists (without it, an existing file is refused)")
    s.set_defaults(func=cmd_sample)
    return parser


def _interrupted(prog: str, stop: KeyboardInterrupt) -> int:
    """Say in one line that ``prog`` was stopped by Ctrl-C or ``kill``; the shell's status (:func:`exit_status`)."""
    hint = "; a train run continues with --resume" if prog == "made train" else ""
    print(f"{prog}: {stop.args[0] if stop.args else 'interrupted' + hint}", file=sys.stderr)
    return exit_status(stop)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``made`` and ``python -m made_helpers``; returns the exit status (see the module's docstring)."""
    from ..files import check_file_size_limit

    prog = "made"
    with stoppable():
        try:
            check_environment()             # MADE_DEBUG, MADE_OFFLINE, ..., KERAS_BACKEND: before Keras is imported
            parser = build_parser()
            args = parser.parse_args(join_negative_numbers(sys.argv[1:] if argv is None else list(argv)))
            prog = f"made {args.command}"
            check_file_size_limit()
            with deferred_interrupts():     # a Ctrl-C inside TensorFlow's start-up is raised once it is done
                import keras  # noqa: F401
            return args.func(args)
        except UsageError as e:
            print(f"{prog}: error: {e} (see {prog} --help)", file=sys.stderr)
            return 2
        except EnvironmentVariableError as e:
            print(f"{prog}: error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as e:
            return _interrupted(prog, e)
        except (MadeError, OSError) as e:
            # missing/broken data, an existing run folder, a diverged run, an unreadable model file
            print(f"{prog}: error: {e}", file=sys.stderr)
            return 1
        except MemoryError as e:
            print(f"{prog}: error: out of memory ({first_line(e) or type(e).__name__}); use smaller values",
                  file=sys.stderr)
            return 1
        except Exception as e:
            if (stop := interruption(e)) is not None:       # Ctrl-C while TensorFlow's extensions initialised
                return _interrupted(prog, stop)
            if env_flag("MADE_DEBUG"):     # checked at the start: a bad value never reaches here
                raise
            print(f"{prog}: internal error: {type(e).__name__}: {first_line(e)} (a bug in made_helpers, not in "
                  f"your input; MADE_DEBUG=1 shows the traceback)", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
