"""The committed results files (``results/*.json``, written by ``made evaluate --json``) as tables.

Notebooks 05 and 06 and ``results/README.md`` show the same rows; this module reads the files and
describes each run in words, so no notebook cell is 24 lines of ``dict.get`` formatting.
"""

from __future__ import annotations

import json
from pathlib import Path

PAPER_MNIST = {
    # Germain, Gregor, Murray & Larochelle (2015), table of test NLLs on binarized MNIST (nats).
    (1, False): 88.40,
    (1, True): 88.04,
    (2, False): 89.59,
    (2, True): 86.64,
}
"""The MADE paper's MNIST table: ``(hidden layers, several masks) -> test NLL``."""

ROW_NAMES = {(1, False): "1 hidden layer, 1 mask", (1, True): "1 hidden layer, 32 masks",
             (2, False): "2 hidden layers, 1 mask", (2, True): "2 hidden layers, 32 masks"}


def load_results(folder: str | Path = "results") -> list[dict]:
    """Every ``*.json`` results file in ``folder``, sorted by name; each dict gets its ``file`` name."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        result = json.loads(path.read_text())
        result["file"] = path.name
        rows.append(result)
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
        lr = args.get("learning_rate")
        parts.append(f"{args.get('optimizer', 'adam')} lr {lr if lr is not None else 'default'}"
                     + (f", {args['lr_schedule']} schedule" if args.get("lr_schedule", "constant") != "constant"
                        else ""))
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


def paper_table(results: list[dict]) -> str:
    """A Markdown table: each of the paper's rows with our runs of that depth and mask count beside it.

    Only files whose numbers are comparable with the paper (the full test split of Larochelle's
    binarization) and whose model has the direct connection (as the paper's) are listed; each of
    ours names its architecture, which the reader compares with the paper's (its best model had
    2 x 8000 hidden units).
    """
    lines = ["| paper's row | paper | ours: test NLL (nats) | our settings | results file |", "|---|---|---|---|---|"]
    for key, paper in PAPER_MNIST.items():
        ours = [r for r in results if paper_row(r) == key and r.get("comparable_with_paper")
                and r.get("model", {}).get("direct", True)]            # ablations without it: elsewhere
        if not ours:
            lines.append(f"| {ROW_NAMES[key]} | {paper:.2f} | not run | – | – |")
        for r in sorted(ours, key=lambda r: r.get(f"{r.get('split', 'test')}_nll", 0.0)):
            split = r.get("split", "test")
            nll = f"{r[f'{split}_nll']:.2f} ± {r[f'{split}_nll_se']:.2f}"
            lines.append(f"| {ROW_NAMES[key]} | {paper:.2f} | {nll} | {describe(r)} | `{r['file']}` |")
    return "\n".join(lines)


def command(result: dict) -> str:
    """The ``train`` command line(s) that made the run (``--resume`` continuations included)."""
    runs = result.get("training", {}).get("invocations", [])
    return "\n".join("python -m made_helpers " + " ".join(run["argv"]) for run in runs) or "(not recorded)"
