"""A "one-change" comparison credits one setting only when its two runs differ in that setting alone (issue 26,
item 2): :func:`results.one_change_table`, :func:`results.one_change_pairs`, :func:`results.require_one_change`,
and the pairs notebook 05 chooses with them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT

from made_helpers.experiments import results


def _run(name: str, nll: np.ndarray, **flags) -> dict:
    """A results file of the test split for a 784-500-784 run with training flags ``flags`` over the defaults."""
    args = {"command": "train", "hidden": [500], "masks": 1, "ordering": "natural", "epochs": 20, "dropout": 0.0,
            "weight_decay": 0.0, "lr_schedule": "constant", "mask_kind": None, "valid_ensemble": "mixture",
            "seed": 0, "out": f"runs/{name}", "verbose": 2}
    args.update(flags)
    return {"file": f"{name}.json", "split": "test", "n_images": len(nll), "test_nll": float(nll.mean()),
            "test_nll_se": float(nll.std(ddof=1) / np.sqrt(len(nll))), "comparable_with_paper": True,
            "num_masks": args["masks"], "ensemble": "mixture", "data": {"sha256": "ab" * 32},
            "model": {"hidden_sizes": args["hidden"], "num_masks": args["masks"]},
            "training": {"settings": args}, "per_image_nll": results.encode_per_image_nll(nll)}


@pytest.fixture
def runs():
    rng = np.random.default_rng(0)
    nll = 90.0 + rng.gamma(2.0, 5.0, size=300)
    return [_run("base", nll), _run("dropout", nll - 0.4, dropout=0.3),
            _run("dropout_l2", nll - 0.8, dropout=0.3, weight_decay=1e-4),
            _run("dropout_epochs", nll - 1.0, dropout=0.5, epochs=40),
            _run("masks", nll - 0.2, masks=8, mask_kind="connectivity", valid_ensemble="conditionals"),
            _run("seed1", nll + 0.05, seed=1)]


def _rows(table: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def rows_changing_more_than_one_setting(table: str, runs: list[dict]) -> list[str]:
    """The rows of a one-change table (runs named by :func:`results.label`) whose two runs differ in more than one
    setting, or in none; the mask options count as one setting."""
    by_label = {results.label(r): r for r in runs}
    assert len(by_label) == len(runs), "the runs' labels must name them apart"
    bad = []
    for cells in _rows(table):
        a, b = by_label[cells[0]], by_label[cells[1]]
        if len(results.changed_settings(a, b)) != 1:
            bad.append(f"{cells[0]} vs {cells[1]}: {results.differences(a, b)}")
    return bad


def test_every_row_of_the_one_change_table_changes_one_setting(runs):
    table = results.one_change_table(runs, name=results.label)
    assert len(_rows(table)) >= 4                        # base-dropout, base-masks, base-seed1, dropout-dropout_l2
    assert rows_changing_more_than_one_setting(table, runs) == []
    assert "dropout_epochs" not in table and ".json" not in table


def test_the_check_catches_a_doctored_pair(runs, monkeypatch):
    """A table that let a two-setting pair through (its pair finder broken) fails the check above."""
    everything = lambda rs, setting=None: [(a, b) for i, a in enumerate(rs) for b in rs[i + 1:]]  # noqa: E731
    monkeypatch.setattr(results, "one_change_pairs", everything)
    with pytest.raises(ValueError, match="differ in more than"):
        results.one_change_table(runs, name=results.label)          # the table's own guard refuses it
    monkeypatch.setattr(results, "require_one_change", lambda a, b, setting: results.differences(a, b))
    monkeypatch.setattr(results, "changed_settings", lambda a, b: {"seed"})  # and hides what changed
    doctored = results.one_change_table(runs, name=results.label)
    monkeypatch.undo()
    found = rows_changing_more_than_one_setting(doctored, runs)
    assert any("epochs" in line for line in found) and any("weight_decay" in line for line in found)


def test_one_change_pairs_refuse_pairs_that_differ_in_more(runs):
    by_file = {r["file"]: r for r in runs}
    pairs = {(a["file"], b["file"]) for a, b in results.one_change_pairs(runs, "dropout")}
    assert pairs == {("base.json", "dropout.json")}
    both = {(a["file"], b["file"]) for a, b in results.one_change_pairs(runs, ("dropout", "weight_decay"))}
    assert ("base.json", "dropout_l2.json") in both and ("base.json", "dropout_epochs.json") not in both
    assert {(a["file"], b["file"]) for a, b in results.one_change_pairs(runs, "masks")} == {("base.json", "masks.json")}
    assert results.require_one_change(by_file["base.json"], by_file["masks.json"], "masks")
    with pytest.raises(ValueError, match=r"differ in more than dropout: epochs: 20 vs 40") as error:
        results.require_one_change(by_file["base.json"], by_file["dropout_epochs.json"], "dropout")
    assert len(str(error.value).splitlines()) == 1 and ".json" not in str(error.value)
    with pytest.raises(ValueError, match="do not differ"):
        results.require_one_change(by_file["base.json"], by_file["base.json"], "dropout")
    with pytest.raises(TypeError, match="setting must be"):
        results.one_change_pairs(runs, ())


def test_find_run_picks_exactly_one(runs):
    assert results.find_run(runs, dropout=0.3, weight_decay=1e-4)["file"] == "dropout_l2.json"
    with pytest.raises(ValueError, match="2 runs have dropout=0.3: name settings that pick exactly one"):
        results.find_run(runs, dropout=0.3)
    with pytest.raises(ValueError, match="0 runs have"):
        results.find_run(runs, dropout=0.9)


def test_labels_name_runs_by_their_settings(runs):
    labels = [results.label(r) for r in runs]
    assert labels[0] == "784-500-784, one mask, natural ordering, at most 20 epochs"
    assert labels[2] == "784-500-784, one mask, natural ordering, dropout 0.3, L2 0.0001, at most 20 epochs"
    assert "8 connectivity masks, one natural ordering, tested as mixture of 8" in labels[4]
    assert labels[5].endswith("seed 1") and len(set(labels)) == len(labels)


def test_train_command_leaves_out_where_files_go():
    run = _run("x", np.ones(3))
    run["training"]["invocations"] = [{"argv": ["train", "--hidden", "500", "--out", "runs/x", "--verbose", "2",
                                                "--resume", "--seed", "1"]}]
    assert results.train_command(run) == "made train --hidden 500 --seed 1"
    del run["training"]["invocations"]
    command = results.train_command(run)
    assert command.startswith("made train --hidden 500 --masks 1 --ordering natural") and "runs/x" not in command


NOTEBOOK_05 = ROOT / "notebooks" / "py" / "05_training_made_on_mnist.py"


def test_notebook_05_chooses_its_pairs_by_setting_with_the_one_change_check():
    """Each pair notebook 05 compares is found by its settings (``results.find_run``) and passed through
    ``results.require_one_change`` before its difference is printed; no run is picked by a file name, and the
    pairs it names exist among the longer runs and differ in the named setting only."""
    source = NOTEBOOK_05.read_text()
    assert not re.search(r"by_file\[|\.json\"", source), "a run picked by its file name"
    checks = re.findall(r"results\.require_one_change\((\w+), (\w+), (\([^)]*\)|\"[^\"]*\")\)", source)
    assert len(checks) >= 2, checks
    runs = results.load_results(ROOT / "results")
    namespace = {"results": results, "runs": runs}
    for block in re.findall(r"# one-change pair\n((?:.+\n)+?)\n", source):
        exec(block, namespace)                                       # the notebook's find_run lines, as written
    for a, b, setting in checks:
        changed = eval(setting)                                       # "masks" or ("dropout", "weight_decay")
        wanted = {changed} if isinstance(changed, str) else set(changed)
        assert results.changed_settings(namespace[a], namespace[b]) <= wanted
