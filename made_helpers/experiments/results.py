"""The committed results files (``results/*.json``, from ``made evaluate --json``): read, described, tabulated."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np

from ..errors import UsageError, UserInputError
from ..files import read_json

PAPER_MNIST = {(1, False): 88.40, (1, True): 88.04, (2, False): 89.59, (2, True): 86.64}
"""The MADE paper's (Germain et al. 2015) MNIST test NLLs (nats): ``(hidden layers, several masks) -> NLL``."""

ROW_NAMES = {(1, False): "1 hidden layer, 1 mask", (1, True): "1 hidden layer, 32 masks",
             (2, False): "2 hidden layers, 1 mask", (2, True): "2 hidden layers, 32 masks"}


PER_IMAGE_ENCODING = "float32 little-endian, url-safe base64"
"""How ``per_image_nll`` is stored: one compact line instead of 10 000 JSON numbers."""


def encode_per_image_nll(nll) -> dict:
    """``{"encoding", "n", "data"}`` for per-image NLLs ``(N,)`` in nats (row ``i``: image ``i`` of the split)."""
    values = np.asarray(nll, dtype="<f4")
    return {"encoding": PER_IMAGE_ENCODING, "n": int(values.size),
            "data": base64.urlsafe_b64encode(values.tobytes()).decode("ascii")}


def per_image_nll(result: dict, name: str = "the results file") -> np.ndarray:
    """The per-image NLLs ``(N,)`` float64 stored by ``made evaluate --json`` (see :func:`encode_per_image_nll`)."""
    stored = result.get("per_image_nll")
    if not isinstance(stored, dict) or stored.get("encoding") != PER_IMAGE_ENCODING:
        raise ValueError(f"{name} holds no per-image NLLs (per_image_nll): evaluate its model again with "
                         f"made evaluate --json")
    try:
        values = np.frombuffer(base64.urlsafe_b64decode(stored["data"]), dtype="<f4").astype(np.float64)
    except (KeyError, TypeError, ValueError) as e:          # binascii.Error is a ValueError; a cut buffer too
        raise UserInputError(f"{name} is damaged: its per_image_nll data cannot be decoded ({_first_line(e)}); "
                             f"evaluate its model again with made evaluate --json") from None
    if values.size != stored.get("n") or values.size != result.get("n_images"):
        raise UserInputError(f"{name} is damaged: per_image_nll holds {values.size} values for "
                             f"{result.get('n_images')} images; evaluate its model again with made evaluate --json")
    if not np.all(np.isfinite(values)):
        raise UserInputError(f"{name}: per_image_nll holds {int(np.sum(~np.isfinite(values)))} NaN or inf value(s) "
                             f"(a model with non-finite weights?): evaluate a sound model again")
    return values


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def check_same_images(a: dict, b: dict, names: tuple[str, str] = ("a", "b")) -> None:
    """A one-line ``ValueError`` unless results ``a`` and ``b`` are of the same split, data file and images."""
    for key in ("split", "n_images"):
        if a.get(key) != b.get(key):
            raise ValueError(f"{names[0]} and {names[1]} differ in {key} ({a.get(key)!r} vs {b.get(key)!r}): "
                             f"a paired comparison needs the same images")
    if (a.get("data") or {}).get("sha256") != (b.get("data") or {}).get("sha256"):
        raise ValueError(f"{names[0]} and {names[1]} were evaluated on different data files (SHA-256 differs): "
                         f"a paired comparison needs the same images")


def paired_comparison(a: dict, b: dict, names: tuple[str, str] = ("a", "b")) -> tuple[float, float, int]:
    """``(mean NLL of a - b, paired standard error, N)`` over the same images (:func:`check_same_images`)."""
    from ..core.evaluate import paired_difference

    check_same_images(a, b, names)
    diff, se = paired_difference(per_image_nll(a, names[0]), per_image_nll(b, names[1]))
    return diff, se, int(a["n_images"])


def read_compare(text: str, split: str, n_images: int, info: dict) -> tuple[dict, np.ndarray]:
    """The results file given to ``made evaluate --compare`` and its per-image NLLs ``(N,)``, checked to be of the
    same images as this evaluation (``split``, ``n_images``, data ``info``); else a ``UsageError``."""
    try:
        other = read_json(text, f"--compare {text}", "give a results file of made evaluate --json", kind=None)
    except UserInputError as error:
        raise UsageError(str(error)) from None
    if not isinstance(other, dict) or f"{split}_nll" not in other:
        raise UsageError(f"--compare {text}: not a results file of the {split} split (made evaluate --split "
                         f"{split} --json)")
    try:
        check_same_images({"split": split, "n_images": n_images, "data": info}, other,
                          ("this evaluation", f"--compare {text}"))
        return other, per_image_nll(other, f"--compare {text}")
    except ValueError as error:
        raise UsageError(str(error)) from None


def evaluation_record(nll: np.ndarray, split: str, data: dict, model_file: Path, model: dict, summary: dict,
                      history: dict | None, **fields) -> dict:
    """The results file of ``made evaluate --json``: mean NLL and standard error of the per-image NLLs ``nll``
    ``(N,)`` on ``split`` (``data``: its portable description), the model file and its ``model`` config, the
    training record (from the run's ``summary`` and ``history``), machine and commit; ``fields`` are stored as
    given (``num_masks``, ``ensemble``, ``eval_seconds``, ``comparable_with_paper``; others, e.g. ``note``, last)."""
    import math

    from ..core.evaluate import standard_error
    from ..model_file import file_sha256
    from .provenance import git_commit, machine_info, portable_data_info

    se = standard_error(nll)
    result = {
        f"{split}_nll": float(nll.mean()), f"{split}_nll_se": se if math.isfinite(se) else None, "split": split,
        "num_masks": fields.pop("num_masks"), "ensemble": fields.pop("ensemble"), "n_images": len(nll),
        "eval_seconds": fields.pop("eval_seconds"), "model_file": str(model_file),
        "model_sha256": file_sha256(model_file),      # check_model_digest compares it with the file
        "first_100_nll": float(nll[:100].mean()),      # a quick re-evaluation check (tests use it)
        "per_image_nll": encode_per_image_nll(nll),    # for paired comparisons (evaluate --compare)
        "data": data, "comparable_with_paper": fields.pop("comparable_with_paper"), "model": model,
        "training": {key: summary[key] for key in ("best_epoch", "best_valid_nll", "epochs_run", "stop_reason",
                                                    "train_seconds_total", "wall_seconds_total", "settings",
                                                    "invocations") if key in summary},
        "machine": machine_info(), "git_commit": git_commit(), "training_git_commit": summary.get("git_commit"),
    }
    if summary.get("data"):
        result["training"]["data"] = {split: portable_data_info(d) if isinstance(d, dict) else d
                                      for split, d in summary["data"].items()}
    if history is not None:                                     # the learning curves, for plots
        result["training"]["curves"] = {key: history[key] for key in
                                        ("train_nll", "valid_nll", "learning_rate", "epoch_seconds") if key in history}
    return {**result, **fields}


def model_beside(result: dict, results_file: str | Path) -> Path | None:
    """The model file a results file names (``model_file``) when it lies beside the results file, else ``None``."""
    name = result.get("model_file")
    if not isinstance(name, str) or not name:
        return None
    path = Path(results_file).parent / Path(name).name
    return path if path.is_file() else None


RESULTS_KEYS = ("first_100_nll", "n_images")          # what makes a JSON object a results file of made evaluate
RESULTS_FIX = "restore it (git checkout) or evaluate its model again with made evaluate --json"


def check_model_digest(result: dict, results_file: str | Path) -> Path | None:
    """The model beside ``results_file`` (:func:`model_beside`) or ``None``; a one-line ``ValueError`` when it
    does not match the recorded ``model_sha256`` (files without one are not checked)."""
    from ..model_file import check_digest

    model = model_beside(result, results_file)
    if model is not None and "model_sha256" in result:
        check_digest(model, result["model_sha256"], results_file, "the model is not the one these numbers describe",
                     "restore it (git checkout) or evaluate it again")
    return model


def read_record(path: str | Path, name: str | None = None, fix: str = RESULTS_FIX) -> dict:
    """The JSON object of the results file ``path`` (a regular file); else one ``UserInputError`` line naming
    ``name`` (default: the path) and ending in ``fix``. Every results file (``made evaluate --json``,
    :mod:`made_helpers.experiments.maf_mnist`) is read here."""
    return read_json(path, name, fix)


def read_result(path: str | Path) -> dict:
    """The results file ``path`` (:func:`read_record`), its model beside it matching its digest
    (:func:`check_model_digest`), with its ``file`` name; else one-line ``UserInputError`` naming the file."""
    result = read_record(path)
    try:
        check_model_digest(result, path)
    except OSError as e:
        raise UserInputError(f"{path}: cannot read the model beside it ({e})") from None
    result["file"] = Path(path).name
    return result


def load_results(folder: str | Path = "results") -> list[dict]:
    """Every ``*.json`` results file in ``folder`` (:func:`read_result`), sorted by name. ``UserInputError`` for a
    folder that is not one, or with one line per damaged file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserInputError(f"{folder}: no such folder of results files" if not os.path.lexists(folder)
                             else f"{folder} is not a folder: give the folder of results files")
    rows, damaged = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            rows.append(read_result(path))
        except UserInputError as e:
            damaged.append(str(e))
    if damaged:
        raise UserInputError("\n".join(damaged))
    return rows


def architecture(result: dict) -> str:
    """``"784-500-500-784"`` from a results file's model config."""
    model = result.get("model", {})
    return "-".join(str(w) for w in [model.get("input_dim", 784), *model.get("hidden_sizes", []),
                                     model.get("input_dim", 784)])


def describe(result: dict) -> str:
    """The run's settings in one line: architecture, masks, ordering, regularisation, optimiser, budget."""
    model, training = result.get("model", {}), result.get("training", {})
    args = training.get("settings", {})
    parts = [architecture(result), f"{model.get('num_masks', 1)} mask(s)", f"ordering {model.get('ordering')}"]
    if model.get("num_masks", 1) > 1:
        parts.append(f"{model.get('mask_kind', 'full')} masks, test as {result.get('ensemble', 'mixture')} "
                     f"of {result.get('num_masks')}")
    if not model.get("direct", True):
        parts.append("no direct connection")
    policy = (model.get("dtype") or {}).get("config", {}).get("name", "float32")
    if policy != "float32":
        parts.append(f"{policy} policy")
    if model.get("dropout"):
        parts.append(f"dropout {model['dropout']:g}")
    if args.get("weight_decay"):
        parts.append(f"L2 {args['weight_decay']:g}")
    if args:
        lr, schedule = args.get("learning_rate"), args.get("lr_schedule", "constant")
        parts.append(f"{args.get('optimizer', 'adam')} lr {'default' if lr is None else lr}"
                     + ("" if schedule == "constant" else f", {schedule} schedule"))
        parts.append(f"batch {args.get('batch_size')}, patience {args.get('patience')}, "
                     f"max {args.get('epochs')} epochs")
    if training.get("epochs_run"):
        parts.append(f"best epoch {training.get('best_epoch')} of {training['epochs_run']}, "
                     f"{(training.get('wall_seconds_total') or 0) / 60:.0f} min")
    return "; ".join(str(p) for p in parts)


def paper_row(result: dict) -> tuple[int, bool] | None:
    """Which row of the paper's table a result belongs to (by depth and mask count), or ``None``."""
    layers = len(result.get("model", {}).get("hidden_sizes", []))
    key = (layers, result.get("num_masks", 1) > 1)
    return key if key in PAPER_MNIST else None


def comparable_with_paper(result: dict) -> bool:
    """True for a test-split NLL on the paper's data (older files marked a valid-split result comparable too)."""
    return bool(result.get("comparable_with_paper")) and result.get("split", "test") == "test" \
        and "test_nll" in result


def validation_nll(result: dict) -> float:
    """The validation NLL (nats) at the run's restored best epoch: the only figure that chooses between runs."""
    value = result.get("training", {}).get("best_valid_nll")
    if not isinstance(value, (int, float)) or not np.isfinite(value):
        raise UserInputError(f"{result.get('file', 'a results file')}: no finite training.best_valid_nll, so the run "
                             f"cannot be ranked on the validation split")
    return float(value)


def by_validation(results: list[dict]) -> list[dict]:
    """``results`` ordered best first by :func:`validation_nll` (the test NLL never chooses a run)."""
    return sorted(results, key=validation_nll)


def paper_table(results: list[dict]) -> str:
    """A Markdown table: each of the paper's rows beside our runs of that depth and mask count (test NLLs
    comparable with the paper's, direct connection kept), ordered by validation NLL; the run chosen for the
    row (the lowest validation NLL) is in bold."""
    lines = ["| paper's row | paper | ours: test NLL (nats) | validation NLL | our settings | results file |",
             "|---|---|---|---|---|---|"]
    for key, paper in PAPER_MNIST.items():
        ours = [r for r in results if paper_row(r) == key and comparable_with_paper(r)
                and r.get("model", {}).get("direct", True)]            # ablations without it: elsewhere
        if not ours:
            lines.append(f"| {ROW_NAMES[key]} | {paper:.2f} | not run | – | – | – |")
        for i, r in enumerate(by_validation(ours)):
            nll = f"**{_nll(r)}**" if i == 0 else _nll(r)
            lines.append(f"| {ROW_NAMES[key]} | {paper:.2f} | {nll} | {validation_nll(r):.2f} | {describe(r)} | "
                         f"`{r['file']}` |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- comparisons
_NOT_SETTINGS = {"command", "data_dir", "out", "resume", "overwrite", "verbose", "host_masks", "no_jit"}
"""Training flags that do not change what is trained (where files go, progress output, how masks are switched)."""


def settings(result: dict) -> dict:
    """The training flags that made the number (without those its schedule or mask count ignores), plus how
    the test NLL combined the masks."""
    from ..core.schedules import SCHEDULE_FLAGS

    args = {k: v for k, v in result.get("training", {}).get("settings", {}).items() if k not in _NOT_SETTINGS}
    schedule = args.get("lr_schedule", "constant")
    if schedule == "cosine" and args.get("cosine_epochs") is None:
        args["cosine_epochs"] = args.get("epochs")
    for key, schedules in SCHEDULE_FLAGS.items():
        if schedule not in schedules:
            args.pop(key, None)
    if args.get("masks", 1) == 1:
        for key in ("mask_kind", "valid_masks", "valid_ensemble", "no_resample_masks"):
            args.pop(key, None)
    else:
        args["test masks"] = f"{result.get('ensemble', 'mixture')} of {result.get('num_masks')}"
    return args


def settings_differences(sa: dict, sb: dict) -> dict:
    """``{name: (value in sa, value in sb)}`` for every name of two settings dicts whose values differ (a name
    missing from one counts as ``None`` there): the one comparison of settings for every record schema."""
    return {k: (sa.get(k), sb.get(k)) for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)}


def differences(a: dict, b: dict) -> dict:
    """``{setting: (value in a, value in b)}`` for every setting (:func:`settings`) in which two runs differ."""
    return settings_differences(settings(a), settings(b))


def _nll(result: dict) -> str:
    return f"{result['test_nll']:.2f} ± {result['test_nll_se']:.2f}"


def seed_spread_table(results: list[dict]) -> str:
    """A Markdown table of the runs that differ only in their seed: each test NLL, their mean and standard deviation."""
    groups: list[list[dict]] = []
    for r in (r for r in results if comparable_with_paper(r)):
        for group in groups:
            if set(differences(group[0], r)) == {"seed"}:
                group.append(r)
                break
        else:
            groups.append([r])
    lines = ["| runs (same settings, other seeds) | seeds | test NLLs (nats) | mean | standard deviation |",
             "|---|---|---|---|---|"]
    for group in (g for g in groups if len(g) > 1):
        group.sort(key=lambda r: settings(r).get("seed", 0))
        nll = np.array([r["test_nll"] for r in group])
        lines.append(f"| {describe(group[0]).split('; best epoch')[0]} | "
                     f"{', '.join(str(settings(r).get('seed')) for r in group)} | "
                     f"{', '.join(f'{v:.2f}' for v in nll)} | {nll.mean():.2f} | {nll.std(ddof=1):.2f} |")
    return "\n".join(lines)


MASK_SETTINGS = {"masks", "mask_kind", "valid_masks", "valid_ensemble", "no_resample_masks", "test masks"}
"""Settings that together say which masks a run trains and tests with: one setting for a comparison."""


def _masks(result: dict) -> str:
    """``"1"`` or e.g. ``"8 connectivity (conditionals of 8)"``: the masks a run trained and was tested with."""
    args = settings(result)
    if args.get("masks", 1) == 1:
        return "1"
    return f"{args['masks']} {args.get('mask_kind') or 'full'} ({args['test masks']})"


def changed_settings(a: dict, b: dict) -> set[str]:
    """The settings in which two runs differ (:func:`differences`), the mask options counted as one, ``"masks"``."""
    diff = set(differences(a, b))
    return (diff - MASK_SETTINGS) | ({"masks"} if diff & MASK_SETTINGS else set())


def _wanted(setting: str | tuple[str, ...]) -> set[str]:
    wanted = {setting} if isinstance(setting, str) else set(setting)
    if not wanted or not all(isinstance(s, str) for s in wanted):
        raise TypeError(f"setting must be a setting's name or a tuple of names, got {setting!r}")
    return wanted


def require_one_change(a: dict, b: dict, setting: str | tuple[str, ...]) -> dict:
    """The :func:`differences` of runs ``a`` and ``b``, checked to lie in ``setting`` alone (a flag's name such as
    ``"dropout"``, ``"masks"`` for all mask options, or a tuple of names that change together); else a one-line
    ``ValueError`` naming what else differs: such a pair cannot credit ``setting`` with its difference."""
    wanted, changed = _wanted(setting), changed_settings(a, b)
    if not changed:
        raise ValueError(f"{label(a)} and {label(b)} do not differ in any setting")
    if not changed <= wanted:
        diff = differences(a, b)
        other = "; ".join(f"{k}: {va} vs {vb}" for k, (va, vb) in diff.items()
                          if k not in wanted and not (k in MASK_SETTINGS and "masks" in wanted))
        raise ValueError(f"{label(a)} and {label(b)} differ in more than {' and '.join(sorted(wanted))}: {other}")
    return differences(a, b)


def one_change_pairs(results: list[dict], setting: str | tuple[str, ...] | None = None) -> list[tuple[dict, dict]]:
    """Every pair ``(a, b)`` of ``results`` (in their order) that differs in one setting (the mask options count
    as one) or, with ``setting`` (see :func:`require_one_change`), in that setting only; pairs that also differ
    in anything else are left out."""
    wanted = None if setting is None else _wanted(setting)
    pairs = []
    for i, a in enumerate(results):
        for b in results[i + 1:]:
            changed = changed_settings(a, b)
            if changed and (len(changed) == 1 if wanted is None else changed <= wanted):
                pairs.append((a, b))
    return pairs


def find_run(results: list[dict], **wanted) -> dict:
    """The one run of ``results`` whose :func:`settings` hold every ``wanted`` value (e.g. ``hidden=[4000],
    masks=1, dropout=0.5``); a one-line ``ValueError`` when none or several do."""
    found = [r for r in results if all(settings(r).get(k) == v for k, v in wanted.items())]
    if len(found) != 1:
        shown = ", ".join(f"{k}={v!r}" for k, v in wanted.items())
        raise ValueError(f"{len(found)} runs have {shown}: name settings that pick exactly one")
    return found[0]


def label(result: dict) -> str:
    """A run named by what it is, e.g. ``"784-4000-784, one mask, random ordering, dropout 0.5, L2 0.0001, cosine
    schedule, 50 epochs"``: its architecture, masks and training settings (the seed when it is not 0)."""
    args = settings(result)
    masks = args.get("masks", result.get("num_masks", 1))
    parts = [architecture(result)]
    if masks == 1:
        parts.append(f"one mask, {args.get('ordering', 'natural')} ordering")
    else:
        kind = args.get("mask_kind") or "full"
        parts.append(f"{masks} {kind} masks" + (f", one {args.get('ordering')} ordering" if kind == "connectivity"
                                                else "") + f", tested as {args.get('test masks')}")
    if args.get("no_direct"):
        parts.append("no direct connection")
    if args.get("hidden_degrees", "random") != "random":
        parts.append(f"{args['hidden_degrees']} hidden degrees")
    if args.get("dropout"):
        parts.append(f"dropout {args['dropout']:g}")
    if args.get("weight_decay"):
        parts.append(f"L2 {args['weight_decay']:g}")
    if args.get("learning_rate") is not None:
        parts.append(f"learning rate {args['learning_rate']:g}")
    schedule = args.get("lr_schedule", "constant")
    parts.append(f"{schedule} schedule, {args.get('epochs')} epochs" if schedule == "cosine"
                 else f"at most {args.get('epochs')} epochs" + (f", patience {args['patience']}"
                                                               if args.get("patience") else ""))
    if args.get("bf16"):
        parts.append("bfloat16 layers")
    if args.get("seed", 0) != 0:
        parts.append(f"seed {args['seed']}")
    return ", ".join(str(p) for p in parts)


_NOT_FLAGS = _NOT_SETTINGS - {"no_jit", "host_masks"}


def number_changing_words(argv: list[str]) -> list[str]:
    """``argv`` without where a command wrote its files (``--out PATH``) and without the flags that change no number
    (``--verbose N``, ``--resume``, ``--overwrite``)."""
    kept, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in ("--out", "--verbose"):
            skip = True
        elif word not in ("--resume", "--overwrite"):
            kept.append(word)
    return kept


def train_command(result: dict) -> str:
    """The ``made train`` command that trained the run, without where it wrote its files (``--out``) and without
    the flags that change no number (progress output, resuming): the first invocation's flags when the run kept
    them, else every setting it kept."""
    invocations = result.get("training", {}).get("invocations") or []
    if invocations:
        argv = list(invocations[0]["argv"])
        return " ".join(["made", argv[0], *number_changing_words(argv[1:])])
    words = ["made", "train"]
    for key, value in result.get("training", {}).get("settings", {}).items():
        if key in _NOT_FLAGS or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        words += [flag] if value is True else [flag, *(str(v) for v in (value if isinstance(value, list) else [value]))]
    return " ".join(words)


def one_change_table(results: list[dict], include_unpaired: bool = False, name=None) -> str:
    """A Markdown table of every pair of runs that differ in one setting (:func:`one_change_pairs`, the mask options
    count as one): the difference of their test NLLs and its paired standard error over the same images. Each run
    is named by ``name(run)`` (default: its file name; :func:`label` names it by its settings).

    Only files with ``per_image_nll`` are paired; ``include_unpaired=True`` adds the others, their standard
    error ``sqrt(se_A^2 + se_B^2)`` marked "unpaired".
    """
    if not isinstance(include_unpaired, bool):
        raise TypeError(f"include_unpaired must be True or False, got {include_unpaired!r}")
    name = name or (lambda r: f"`{r['file']}`")
    paired = [r for r in results if comparable_with_paper(r) and (include_unpaired or "per_image_nll" in r)]
    se_header = "SE, paired unless marked" if include_unpaired else "paired SE"
    lines = [f"| A | B | the one setting changed (A → B) | A: test NLL | B: test NLL | B − A ({se_header}) |",
             "|---|---|---|---|---|---|"]
    for a, b in one_change_pairs(paired):
        changed = min(changed_settings(a, b), default="")
        diff = require_one_change(a, b, changed)                  # a guard: refuses a pair with more changes
        if "per_image_nll" in a and "per_image_nll" in b:
            delta, se, _ = paired_comparison(b, a, (name(b), name(a)))
            se_text = f"{se:.2f}"
        else:
            delta = b["test_nll"] - a["test_nll"]
            se_text = f"{float(np.hypot(a['test_nll_se'], b['test_nll_se'])):.2f} unpaired"
        if changed == "masks":
            what = f"masks: {_masks(a)} → {_masks(b)}"
        else:
            what = "; ".join(f"{k}: {va} → {vb}" for k, (va, vb) in diff.items())
        lines.append(f"| {name(a)} | {name(b)} | {what} | {_nll(a)} | {_nll(b)} | {delta:+.2f} ({se_text}) |")
    return "\n".join(lines)


def readme_tables(results: list[dict]) -> str:
    """The three tables of ``results/README.md`` (the paper's table, the seed spread, one-change pairs)."""
    return ("## The paper's table and ours\n\n"
            + "Each row of the paper beside our runs of that depth and mask count, best first by validation NLL; "
            + "the run in bold, the lowest validation NLL, is the one we set beside the paper (the test NLL "
            + "chooses nothing).\n\n" + paper_table(results)
            + "\n\n## How much the seed moves the test NLL\n\n" + seed_spread_table(results)
            + "\n\n## Comparisons that change one setting\n\n"
            + "B − A: the difference of the test NLLs (negative: B is better) and its standard error over the "
            + "per-image differences on the same 10 000 test images.\n\n" + one_change_table(results))
