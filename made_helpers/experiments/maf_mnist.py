"""The MAF paper's MNIST experiment (Papamakarios, Pavlakou, Murray, NeurIPS 2017; Table 2, unconditional).

``python scripts/maf_mnist.py MODEL --out results/maf_mnist/MODEL.json`` trains one of :data:`MODEL_KINDS` with the
authors' recipe (their ``experiments.py``: Adam, minibatch 100, weight decay 1e-6, patience 30; batch norm given the
training set's statistics) and writes the results (JSON) and half-precision weights (:func:`load_trained`). A
checkpoint beside the results (:func:`checkpoint_path`, after every epoch) lets ``--resume`` continue a killed run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from pathlib import Path

import numpy as np

from ..atomic import finite_or_null
from ..checks import SEED_MAX
from ..errors import UsageError, UserInputError
from ..files import check_writable, require_regular_file
from .arguments import Parser, int_at_least, non_negative_float, positive_float
from .results import number_changing_words, read_record, settings_differences
from .signals import exit_status, interruption, stoppable

MODEL_KINDS = ("gaussian", "made", "made_mog", "realnvp", "maf", "maf_mog")
LABELS = {"gaussian": "Gaussian", "made": "MADE", "made_mog": "MADE MoG", "realnvp": "Real NVP (5)",
          "maf": "MAF (5)", "maf_mog": "MAF MoG (5)"}          # each kind at the paper's default depth and mixture
# Table 2 of the paper, MNIST, unconditional: mean test log-likelihood (nats, logit space) and 2 standard errors;
# all eight rows, keyed by :func:`row_key` ("maf10": MAF with 10 layers).
# "checked": MADE MoG is listed with the paper on paperswithcode.com; every row agrees with a transcription of
# Table 2 in a published review of the paper (a blog post, not the paper itself): no row was read in the paper.
PAPER_TABLE = {"gaussian": (-1366.9, 1.4), "made": (-1380.8, 4.8), "made_mog": (-1038.5, 1.8),
               "realnvp": (-1323.2, 6.6), "realnvp10": (-1370.7, 10.1), "maf": (-1300.5, 1.7),
               "maf10": (-1313.1, 2.0), "maf_mog": (-1100.3, 1.6)}
PAPER_CONFIRMED_BY_LISTING = ("made_mog",)
FLOW_KINDS = ("realnvp", "maf", "maf_mog")
MOG_KINDS = ("made_mog", "maf_mog")
PAPER_LAYERS, PAPER_COMPONENTS = 5, 10            # the flows' depth and the MoGs' Gaussians per conditional
LEARNING_RATES = {"made": 1e-3, "made_mog": 1e-3, "realnvp": 1e-4, "maf": 1e-4, "maf_mog": 1e-4}
WEIGHT_DECAY = 1e-6
TARGET = 0.03                    # issue 27's target: each row's log-likelihood within 3 % of the paper's
MAX_MODEL_BYTES = 10 * 2**20
MIXTURE_BIAS_INIT = "normal"     # the authors' random start of a mixture's biases (gaussian_made.MixtureBiasNormal)
REAL_NVP_COUPLING = {"split": "parity", "scale_activation": "tanh"}   # the authors' coupling layers (realnvp.py)
PER_IMAGE = "per_image_log_likelihood_logit"     # the test figures' key of log p (logit space) per test image
DEPTH_PAIRS = (("maf", "maf10"), ("realnvp", "realnvp10"))    # the paper's rows that differ in depth only
STANDARD_ERROR = "std(ddof=1)/sqrt(N)"          # the rule of core.evaluate.standard_error, stated in records
PROTOCOL = {"train": "first 50000 MNIST training images", "valid": "last 10000 MNIST training images",
            "test": "10000 MNIST test images", "dequantization": "z/256 + U[0,1/256), RandomState(42): train, "
            "valid, test", "logit_lambda": 1e-6}


def row_key(kind: str, layers: int = PAPER_LAYERS, components: int = PAPER_COMPONENTS) -> str:
    """The row of a run: ``kind``, plus the depth of a flow other than 5 (``"maf10"``) and the Gaussians per
    conditional of a mixture other than 10 (``"made_mog_c5"``); a key of :data:`PAPER_TABLE` where the paper has it."""
    key = kind + (str(layers) if kind in FLOW_KINDS and layers != PAPER_LAYERS else "")
    return key + (f"_c{components}" if kind in MOG_KINDS and components != PAPER_COMPONENTS else "")


def row_label(kind: str, layers: int = PAPER_LAYERS, components: int = PAPER_COMPONENTS) -> str:
    """The paper's name of a run's row: ``"MAF (10)"``, ``"MADE MoG"``, ``"MAF MoG (5), 3 components"``."""
    label = LABELS[kind].replace(f"({PAPER_LAYERS})", f"({layers})") if kind in FLOW_KINDS else LABELS[kind]
    return label + (f", {components} components" if kind in MOG_KINDS and components != PAPER_COMPONENTS else "")


def _row_of_record(result: dict) -> str:
    """:func:`row_key` of a results file (``row``, or for older files its kind and settings)."""
    settings = result.get("settings") or {}
    return result.get("row") or row_key(result["kind"], settings.get("layers", PAPER_LAYERS),
                                        settings.get("components", PAPER_COMPONENTS))


def build_model(kind: str, hidden_sizes: list[int], num_layers: int = 5, num_components: int = 10, seed: int = 0):
    """The paper's model ``kind`` (not ``"gaussian"``) for D = 784: sequential hidden degrees (``"equal"``: the
    authors' ``k % 783 + 1``), batch norm after every flow layer, a mixture's output biases started as the authors
    start them (:data:`MIXTURE_BIAS_INIT`), Real NVP with the authors' coupling layers (:data:`REAL_NVP_COUPLING`)."""
    from ..density.flows import MAF
    from ..density.gaussian_made import GaussianMADE
    from ..density.realnvp import RealNVP

    D = 784
    if kind == "made":
        return GaussianMADE(D, hidden_sizes, 1, hidden_degrees="equal", seed=seed)
    if kind == "made_mog":
        return GaussianMADE(D, hidden_sizes, num_components, hidden_degrees="equal", seed=seed,
                            mixture_bias_init=MIXTURE_BIAS_INIT)
    if kind == "realnvp":
        return RealNVP(D, hidden_sizes, num_layers, seed=seed, batch_norm=True, **REAL_NVP_COUPLING)
    if kind == "maf":
        return MAF(D, hidden_sizes, num_layers, seed=seed, hidden_degrees="equal", batch_norm=True)
    if kind == "maf_mog":
        return MAF(D, hidden_sizes, num_layers, seed=seed, hidden_degrees="equal", batch_norm=True,
                   num_components=num_components, mixture_bias_init=MIXTURE_BIAS_INIT)
    raise ValueError(f"kind must be one of {MODEL_KINDS[1:]}, got {kind!r}")


def test_figures(log_p_logit: np.ndarray, x_test: np.ndarray) -> dict:
    """Mean log-likelihood (logit, pixel space) and bits/pixel, with 2 standard errors
    (:func:`~made_helpers.core.evaluate.standard_error`), of ``log p`` ``(N,)``."""
    from ..core.evaluate import standard_error
    from ..density import logit_space

    pixel = logit_space.to_pixel_space(log_p_logit, x_test)
    bpp = logit_space.bits_per_pixel(pixel, x_test.shape[1])
    figures = {"n_images": int(len(x_test)), "standard_error": STANDARD_ERROR}
    for name, v in {"log_likelihood_logit": log_p_logit, "log_likelihood_pixel": pixel, "bits_per_pixel": bpp}.items():
        figures.update({name: float(v.mean()), f"{name}_2se": float(2 * standard_error(v))})
    # per image, for paired comparisons between runs (the test images and their dequantization noise are fixed)
    figures[PER_IMAGE] = [round(float(v), 4) for v in np.asarray(log_p_logit, dtype=np.float64)]
    return figures


def load_trained(results_file: str | Path):
    """The model a results file describes, with the weights saved beside it (half precision, as saved). Both files
    must be regular files; a damaged record or weights file, or NaN/inf weights, are one line naming the file."""
    from ..checks import check_finite_weights
    from ..density.flows import MAF
    from ..density.gaussian_made import GaussianMADE
    from ..density.realnvp import RealNVP
    from ..model_file import check_digest

    results_file = Path(results_file)
    result = _read_record(results_file)
    if not result.get("model_file"):
        raise UserInputError(f"{results_file}: no model file was saved with this run ({result.get('model_not_saved')})")
    path = results_file.parent / str(result["model_file"])
    redo = f"restore it from git or train the run again (scripts/maf_mnist.py ... --out {results_file.name})"
    require_regular_file(path, f"{path} (the weights of {results_file.name})", redo)
    blob = path.read_bytes()
    check_digest(path, result.get("model_sha256"), results_file.name, "the weights are not the ones these numbers "
                 "describe", redo, data=blob)
    classes = {"GaussianMADE": GaussianMADE, "MAF": MAF, "RealNVP": RealNVP}
    if result.get("model_class") not in classes:
        raise UserInputError(f"{results_file}: model_class {result.get('model_class')!r} is not one of "
                             f"{tuple(classes)}; the file was changed or comes from another program")
    try:
        model = classes[result["model_class"]].from_config(result["model_config"])
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            values = [arrays[f"w{i}"] for i in range(len(model.weights))]
        for v, value in zip(model.weights, values):
            v.assign(value.astype(np.float32))
    except Exception as e:  # noqa: BLE001  (an edited model_config, arrays that do not fit it: KeyError, ValueError ...)
        detail = (str(e).strip().splitlines() or [""])[0][:160]
        raise UserInputError(f"{results_file}: its model_config and {path.name} do not describe one model "
                             f"({type(e).__name__}: {detail}); {redo}") from None
    check_finite_weights(model, str(path), fix=redo)
    return model


def _read_record(path: Path) -> dict:
    """The JSON object of results file ``path`` (a regular file); unreadable or damaged is one ``UserInputError``
    naming it."""
    return read_record(path, f"results file {path}", "restore it from git or move it out of the folder")


def load_results(folder: str | Path) -> dict[str, dict]:
    """``{row: result}`` (:func:`row_key`: ``"maf"``, ``"maf10"`` ...) of the results files ``*.json`` of this
    experiment in ``folder`` (none if it does not exist); two files of one row are an error naming both."""
    paths = sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []
    rows, files = {}, {}
    for path in paths:
        result = _read_record(path)
        if result.get("experiment") != "maf_mnist":
            continue
        row = _row_of_record(result)
        if row in rows:
            raise UserInputError(f"{files[row]} and {path.name} in {folder} both record the row {row!r} "
                                 f"({result.get('label', row)}): keep one of them in this folder")
        rows[row], files[row] = result, path.name
    return rows


def _kind_and_layers(row: str) -> tuple[str, int]:
    """``"maf10"`` -> ``("maf", 10)``; a kind alone -> its paper depth."""
    kind = row.rstrip("0123456789")
    return kind, int(row[len(kind):] or PAPER_LAYERS)


def stop_phrase(result: dict) -> str:
    """What ended a run's training, in words: ``"its 20-epoch cap"``, ``"early stopping (patience 30)"``,
    ``"its 90-minute time limit"`` (from the record's ``stopped`` and settings)."""
    settings, stopped = result.get("settings") or {}, result.get("stopped")
    return {"epochs": f"its {settings.get('max_epochs')}-epoch cap",
            "patience": f"early stopping (patience {settings.get('patience')})",
            "time": f"its {settings.get('minutes', 0):g}-minute time limit"}.get(stopped, str(stopped))


def within_target(result: dict) -> bool:
    """Whether the record ``result``'s test log-likelihood lies within :data:`TARGET` of its paper row's."""
    paper = PAPER_TABLE[_row_of_record(result)][0]
    return abs(result["test"]["log_likelihood_logit"] / paper - 1) <= TARGET


def target_sentence(rows: dict[str, dict]) -> str:
    """One sentence: how many of the recorded rows of ``rows`` lie within :data:`TARGET` of the paper, naming the
    others."""
    recorded = [row for row in PAPER_TABLE if row in rows]
    missed = [rows[row]["label"] for row in recorded if not within_target(rows[row])]
    share = f"all {len(recorded)} recorded rows" if not missed else \
        f"{len(recorded) - len(missed)} of {len(recorded)} recorded rows (not: {', '.join(missed)})"
    return f"Within {TARGET * 100:g} % of the paper's log-likelihood: {share}."


def paper_table(rows: dict[str, dict], provenance: bool = True) -> str:
    """Markdown: the eight rows of the paper's MNIST column (:data:`PAPER_TABLE`, cited), in the paper's order, beside
    our record of each (``rows`` from :func:`load_results`): the test log-likelihood ± 2 standard errors, its ratio
    to the paper's, bits per pixel, and how the training ran and ended (with ``provenance``: on which machine, from
    which commit)."""
    lines = [f"| model | ours: test log-likelihood (nats, logit space) ± 2 SE | paper (cited) | ratio | within "
             f"{TARGET * 100:g} % "
             "| bits/pixel | training |", "|---|---|---|---|---|---|---|"]
    for row, (paper, _) in PAPER_TABLE.items():
        label = row_label(*_kind_and_layers(row))
        result = rows.get(row)
        if result is None:
            lines.append(f"| {label} | not run yet | {paper:.1f} | | | | |")
            continue
        t, ratio = result["test"], result["test"]["log_likelihood_logit"] / paper
        if result.get("curves") is None:
            how = "closed form"
        else:
            machine = result.get("machine") or {}
            how = (f"{result['training_seconds'] / 60:.0f} min, {result['epochs_run']} epochs (best "
                   f"{result['best_epoch']}), stopped by {stop_phrase(result)}, "
                   f"Adam {result['settings']['learning_rate']:g}")
            how += (f"; {machine.get('cpu', '?')} ({machine.get('cpu_flags', '?')}), "
                    f"code {str(result.get('git_commit'))[:7]}") if provenance else ""
        lines.append(f"| {label} | {t['log_likelihood_logit']:.1f} ± {t['log_likelihood_logit_2se']:.1f} "
                     f"| {paper:.1f} | {ratio:.3f} | {'yes' if within_target(result) else 'no'} "
                     f"| {t['bits_per_pixel']:.3f} | {how} |")
    return "\n".join(lines)


def training_command(result: dict) -> str:
    """The command that trained the row of ``result``, without where it wrote its results (``--out FILE``), as
    :func:`.results.number_changing_words` keeps a command's words."""
    return " ".join(number_changing_words(str(result.get("command", "")).split()))


def validation_statistics(result: dict) -> str:
    """Which statistics batch norm used when the run of ``result`` was validated: ``"none (no batch norm)"``,
    ``"training set"`` (as for the test, since commit 41a4fb6) or ``"running averages"`` (earlier runs)."""
    if not (result.get("settings") or {}).get("batch_norm"):
        return "none (no batch norm)"
    note = (result.get("curves") or {}).get("note", "")
    return "running averages" if "running batch-norm averages" in note else "training set"


def other_changes(a: dict, b: dict, change: str) -> list[str]:
    """The training settings in which records ``a`` and ``b`` differ besides ``change`` (and the parameter count and
    time budget that follow from it): empty for a one-change pair."""
    follows = {change, "parameters", "minutes", "xla"}
    return [k for k in settings_differences(a.get("settings") or {}, b.get("settings") or {}) if k not in follows]


def depth_pair_label(shallow: str, deep: str) -> str:
    """``"MAF (10) - MAF (5)"``: the label of a pair of :data:`DEPTH_PAIRS`, deeper minus shallower."""
    return f"{row_label(*_kind_and_layers(deep))} - {row_label(*_kind_and_layers(shallow))}"


def depth_pair_problem(rows: dict[str, dict], shallow: str, deep: str) -> str | None:
    """Why the rows ``shallow`` and ``deep`` of ``rows`` cannot be compared as one change (depth), in words
    (``"not run yet (...)"``, ``"not a one-change pair: ..."``), or None when they can: both recorded with per-image
    test figures, the same settings but the depth (:func:`other_changes`) and the same number of epochs."""
    a, b = rows.get(deep), rows.get(shallow)
    missing = [row_label(*_kind_and_layers(r)) for r, x in ((shallow, b), (deep, a))
               if x is None or PER_IMAGE not in x["test"]]
    if missing:
        return f"not run yet ({', '.join(missing)} without per-image figures)"
    other = other_changes(a, b, "layers")
    if other:                                              # a second change: no difference is credited to depth
        return f"not a one-change pair: {a.get('label')} and {b.get('label')} differ in {', '.join(other)} as well " \
               "as layers"
    if a.get("epochs_run") != b.get("epochs_run"):         # a time limit ended one of them early: depth and epochs
        return f"not a one-change pair: trained for {a.get('epochs_run')} and {b.get('epochs_run')} epochs"
    return None


def depth_table(rows: dict[str, dict]) -> str:
    """Markdown: each pair of :data:`DEPTH_PAIRS` (one change: the number of layers) as the mean difference of the
    test log-likelihoods, deeper minus shallower, over the same images, ± 2 paired standard errors
    (:func:`~made_helpers.core.evaluate.paired_difference`), beside the paper's difference (cited). A pair that
    cannot be compared (:func:`depth_pair_problem`) is shown with the reason, and no difference."""
    from ..core.evaluate import paired_difference

    lines = ["| one change: depth | ours: deeper - shallower (nats, logit space) ± 2 paired SE | paper (cited) |",
             "|---|---|---|"]
    for shallow, deep in DEPTH_PAIRS:
        paper = PAPER_TABLE[deep][0] - PAPER_TABLE[shallow][0]
        problem = depth_pair_problem(rows, shallow, deep)
        if problem:
            lines.append(f"| {depth_pair_label(shallow, deep)} | {problem} | {paper:+.1f} |")
            continue
        a, b = rows[deep], rows[shallow]
        mean, se = paired_difference(a["test"][PER_IMAGE], b["test"][PER_IMAGE])
        lines.append(f"| {depth_pair_label(shallow, deep)} | {mean:+.1f} ± {2 * se:.1f} (both {a['epochs_run']} "
                     f"epochs) | {paper:+.1f} |")
    return "\n".join(lines)


def commands_block(rows: dict[str, dict]) -> str:
    """Markdown: a fenced ``bash`` block with the command of every recorded row, in the paper's order
    (:func:`training_command`, run from the repository root, writing ``results/maf_mnist/ROW.json``)."""
    lines = [f".venv/bin/python {training_command(rows[row])} --out results/maf_mnist/{row}.json"
             for row in PAPER_TABLE if row in rows]
    return "```bash\n" + "\n".join(lines) + "\n```"


def readme_tables(rows: dict[str, dict]) -> str:
    """The README block of this experiment: :func:`paper_table`, :func:`target_sentence` and :func:`depth_table` of
    ``rows``."""
    depth = "Depth as the one change (the same test images, so the paired standard error):"
    return "\n\n".join([paper_table(rows), target_sentence(rows), depth, depth_table(rows)])


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="maf_mnist.py", description="Train one model of the MAF paper's MNIST table.")
    p.add_argument("kind", choices=MODEL_KINDS, metavar="MODEL", help=f"one of {', '.join(MODEL_KINDS)}")
    p.add_argument("--out", required=True, help="the results file to write (.json); the weights go beside it")
    p.add_argument("--minutes", type=positive_float, default=90.0,
                   help="wall-clock budget of training, minutes before a --resume included (90)")
    p.add_argument("--max-epochs", type=int_at_least(1), default=10_000, help="cap on epochs (no cap)")
    p.add_argument("--patience", type=int_at_least(1), default=30, help="early-stopping patience in epochs (30)")
    p.add_argument("--hidden", type=int_at_least(1), nargs="+", default=[1024, 1024],
                   help="hidden widths of every MADE and of Real NVP's coupling nets (1024 1024)")
    p.add_argument("--layers", type=int_at_least(1), default=5, help="layers of the flows (5)")
    p.add_argument("--components", type=int_at_least(2), default=10, help="Gaussians per conditional, MoG (10)")
    p.add_argument("--learning-rate", type=positive_float, default=None,
                   help="Adam's step (default the paper's: 1e-3 for the MADEs, 1e-4 for the flows)")
    p.add_argument("--weight-decay", type=non_negative_float, default=WEIGHT_DECAY,
                   help=f"L2 rate lambda of the MAF authors' penalty 1/2 * lambda * sum of all squared weights (not "
                        f"made train's lambda * sum of squared kernel weights) ({WEIGHT_DECAY:g})")
    p.add_argument("--subset", type=int_at_least(2), default=None,
                   help="use only the first N images of each split (a quick check; not the paper's protocol)")
    p.add_argument("--seed", type=int_at_least(0, SEED_MAX), default=0,
                   help=f"seed of masks, weights, shuffling, 0..{SEED_MAX} (default: 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results file (or interrupted run)")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run of --out from its checkpoint (written after every epoch)")
    return p


def checkpoint_path(out: Path) -> Path:
    """The checkpoint of the run writing results file ``out`` (beside it; removed once the results are written)."""
    return out.with_suffix(".checkpoint.npz")


def _refuse_existing(out: Path, overwrite: bool, resume: bool = False) -> None:
    """A ``UsageError`` for an ``--out`` that this run must not write (or resume) without being told."""
    if overwrite and resume:
        raise UsageError("--resume and --overwrite exclude each other (continue the run, or start it again)")
    if out.suffix != ".json":
        raise UsageError(f"--out must name a .json file, got {out}")
    if not out.parent.is_dir():
        raise UsageError(f"--out: the folder {out.parent} does not exist")
    resuming = resume and checkpoint_path(out).exists()     # the run's start was allowed to write --out
    for path in (out, out.with_suffix(".weights.npz")):
        if path.exists() and not (overwrite or resuming):
            raise UsageError(f"--out: {path} exists; pass --overwrite to replace it")
    if checkpoint_path(out).exists() and not (overwrite or resume):
        raise UsageError(f"--out: {checkpoint_path(out)} holds an interrupted run; pass --resume to continue it or "
                         f"--overwrite to start again")


def run(args: argparse.Namespace, data: dict[str, np.ndarray] | None = None, checkpoint: Path | None = None) -> dict:
    """Train and evaluate ``args.kind`` on ``data`` (default :func:`logit_space.load_maf_mnist`): the results dict.
    ``checkpoint``: written after every epoch (``args.resume``: continue the run in it), see :func:`fit_density`."""
    import keras

    from ..core.losses import HALF_L2_CONVENTION
    from ..core.train import TrainingDivergedError
    from ..density import logit_space
    from ..density.density_fit import fit_density
    from ..density.flows import gaussian_log_prob_baseline
    from .provenance import git_commit, machine_info

    wall_start = time.perf_counter()
    data = logit_space.load_maf_mnist() if data is None else data
    if args.subset:
        data = {name: x[:args.subset] for name, x in data.items()}
    keras.utils.set_random_seed(args.seed)
    row = row_key(args.kind, args.layers, args.components)
    paper = PAPER_TABLE.get(row)
    result = {"experiment": "maf_mnist", "kind": args.kind, "row": row,
              "label": row_label(args.kind, args.layers, args.components),
              "protocol": {**PROTOCOL, "subset": args.subset, "rows": {k: len(v) for k, v in data.items()}},
              "paper": paper and dict(zip(("log_likelihood_logit", "two_se"), paper))}
    if paper is None:
        result["paper_note"] = "no paper row"
    start = time.perf_counter()
    if args.kind == "gaussian":
        log_p = gaussian_log_prob_baseline(data["train"], data["test"])
        result.update(settings={"fit": "closed form: mean and full covariance of the training set + 1e-6 I"},
                      curves=None, training_seconds=time.perf_counter() - start, stopped="closed form")
        model = None
    else:
        model = build_model(args.kind, args.hidden, args.layers, args.components, args.seed)
        lr = args.learning_rate or LEARNING_RATES[args.kind]
        settings = {"hidden_sizes": args.hidden, "learning_rate": lr, "batch_size": 100,
                    "weight_decay": args.weight_decay, "weight_decay_convention": HALF_L2_CONVENTION,
                    "patience": args.patience, "max_epochs": args.max_epochs, "minutes": args.minutes,
                    "seed": args.seed, "hidden_degrees": "sequential",
                    "parameters": int(sum(int(np.prod(v.shape)) for v in model.trainable_variables))}
        if args.kind in FLOW_KINDS:
            settings.update(layers=args.layers, batch_norm=True)
        if args.kind in MOG_KINDS:
            settings.update(components=args.components, mixture_bias_init=MIXTURE_BIAS_INIT)
        if args.kind == "realnvp":
            settings.update(coupling=REAL_NVP_COUPLING)
        try:
            history = fit_density(model, data["train"], data["valid"], epochs=args.max_epochs, batch_size=100,
                                  learning_rate=lr, patience=args.patience, seed=args.seed,
                                  max_seconds=60.0 * args.minutes, verbose=True, weight_decay=args.weight_decay,
                                  checkpoint=checkpoint, resume=getattr(args, "resume", False))
        except TrainingDivergedError as error:      # the best epoch's weights are kept and evaluated, and it is said
            print(f"maf_mnist.py: {error}", file=sys.stderr)
            history = error.history
            result["diverged"] = str(error)
        log_p = model.log_prob(data["test"], batch_size=1000)
        result.update(settings=settings, training_seconds=history["seconds"],
                      curves={"train_nll": finite_or_null(history["train_nll"]),
                              "valid_nll": finite_or_null(history["valid_nll"]),
                              "note": "mean NLL per image in logit space; training NLL averaged over each epoch's "
                                      "minibatches (batch statistics, with the weight-decay term), validation NLL "
                                      "after the epoch with batch norm given the whole training set's statistics "
                                      "(as for the test); null where a value was not finite (a diverged epoch)"},
                      best_epoch=history["best_epoch"], best_valid_nll=finite_or_null(history["best_valid_nll"]),
                      epochs_run=len(history["valid_nll"]),          # the record's words: epochs, not max_epochs
                      stopped={"max_epochs": "epochs"}.get(history["stop_reason"], history["stop_reason"]),
                      resumed_at_epochs=history.get("resumed_at_epochs", []))
        settings["xla"] = history.get("xla")
    result["test"] = test_figures(log_p, data["test"])
    command = ["scripts/maf_mnist.py", args.kind, "--out", Path(args.out).name, "--minutes", f"{args.minutes:g}",
               "--max-epochs", str(args.max_epochs), "--patience", str(args.patience), "--seed", str(args.seed)]
    if args.kind != "gaussian":
        command += ["--hidden", *map(str, args.hidden), "--layers", str(args.layers),
                    "--components", str(args.components)]
    command += ["--learning-rate", f"{args.learning_rate:g}"] if args.learning_rate else []
    command += ["--weight-decay", f"{args.weight_decay:g}"] if args.weight_decay != WEIGHT_DECAY else []
    command += ["--subset", str(args.subset)] if args.subset else []
    result.update(machine=machine_info(), git_commit=git_commit(), command=" ".join(command),
                  wall_seconds=time.perf_counter() - wall_start,
                  wall_note="wall_seconds: this process (loading, training, testing); training_seconds: the "
                            "training, the time before a --resume included; stopped: why training ended")
    result["_model"] = model
    return result


def _half_if_it_fits(array: np.ndarray) -> np.ndarray:
    """``array`` in half precision, or in float32 if a value would overflow float16 (a flow's batch-norm
    statistics of large intermediate values can exceed 65504)."""
    with np.errstate(over="ignore"):
        half = array.astype(np.float16)
    return half if np.isfinite(half).all() == np.isfinite(array).all() else array.astype(np.float32)


def write(result: dict, out: Path) -> None:
    """The results file at ``out`` and, when small enough, the half-precision weights beside it (atomically;
    an array with values beyond float16's range stays float32)."""
    from ..atomic import atomic_write, write_json

    model, weights = result.pop("_model"), out.with_suffix(".weights.npz")
    result.update(model_file=None, model_not_saved="the Gaussian is its mean and covariance (closed form)")
    if model is not None:
        buffer = io.BytesIO()            # w0, w1, ... in model.weights order
        np.savez_compressed(buffer, **{f"w{i}": _half_if_it_fits(v.numpy()) for i, v in enumerate(model.weights)})
        blob = buffer.getvalue()
        result.update(model_class=type(model).__name__, model_config=model.get_config(), model_bytes=len(blob))
        if len(blob) <= MAX_MODEL_BYTES:
            atomic_write(weights, blob)
            result.update(model_file=weights.name, model_sha256=hashlib.sha256(blob).hexdigest(), model_not_saved=None)
        else:
            result["model_not_saved"] = f"half-precision weights take {len(blob) / 2**20:.1f} MB, over the 10 MB limit"
    write_json(out, result)
    if result["model_file"] is None:      # an --overwrite of a run that had saved weights
        weights.unlink(missing_ok=True)


def _interrupted(checkpoint: Path, stop: KeyboardInterrupt) -> int:
    """Say in one line what a stopped run keeps (its checkpoint, if an epoch finished); the shell's status."""
    kept = (f"{checkpoint} holds the run up to its last finished epoch: the same command with --resume continues "
            f"it" if checkpoint.exists() else "no epoch had finished: run the command again to start")
    print(f"maf_mnist.py: interrupted; {kept}", file=sys.stderr)
    return exit_status(stop)


def main(argv: list[str] | None = None, data: dict[str, np.ndarray] | None = None) -> int:
    """The command line; ``data`` replaces the MNIST splits (tests). Returns the exit status."""
    args = _parser().parse_args(argv)
    out = Path(args.out)
    try:                                            # before the data are read and the model trained
        _refuse_existing(out, args.overwrite, args.resume)
        for path in (out, out.with_suffix(".weights.npz"), checkpoint_path(out)):
            check_writable(path, f"--out {out}" if path == out else f"--out {out} ({path.name} beside it)")
    except UserInputError as error:
        print(f"maf_mnist.py: error: {error}", file=sys.stderr)
        return 2
    checkpoint = checkpoint_path(out)
    if args.overwrite:
        checkpoint.unlink(missing_ok=True)          # an interrupted run the user asked to start again
    try:
        with stoppable():
            result = run(args, data, checkpoint)
    except UserInputError as error:                 # e.g. a checkpoint of other settings on --resume
        print(f"maf_mnist.py: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as error:              # Ctrl-C or kill: the checkpoint of the last finished epoch stays
        return _interrupted(checkpoint, error)
    except Exception as error:                      # Ctrl-C while TensorFlow's extensions initialised, or a bug
        if (stop := interruption(error)) is None:
            raise
        return _interrupted(checkpoint, stop)
    write(result, out)
    checkpoint.unlink(missing_ok=True)              # the results and weights are written: the run is done
    t = result["test"]
    paper = f"paper {result['paper']['log_likelihood_logit']}" if result["paper"] else "no paper row"
    print(f"{result['label']}: test log-likelihood {t['log_likelihood_logit']:.1f} "
          f"± {t['log_likelihood_logit_2se']:.1f} nats (logit space; {paper}), {t['bits_per_pixel']:.3f} bits/pixel, "
          f"{result['training_seconds'] / 60:.1f} min, stopped: {result['stopped']} -> {out}")
    return 0
