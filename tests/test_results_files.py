"""The committed results files name their data by a repository-relative path, not a machine's absolute one; a
results file of ``made evaluate --json`` carries the model's digest, and only a test-split NLL is listed with the
paper's."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from conftest import ROOT, cli, rewrite_keras

from made_helpers import data
from made_helpers.model_file import file_sha256

RESULTS = sorted((ROOT / "results").glob("*.json"))
ABSOLUTE = re.compile(r"(?<![\w.])(/[\w.-]+/[\w.-]+|[A-Za-z]:\\)")   # /a/b..., C:\


def _strings(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, str):
        yield obj


@pytest.mark.parametrize("path", RESULTS, ids=[p.name for p in RESULTS])
def test_no_absolute_paths(path):
    result = json.loads(path.read_text())
    absolute = [s for s in _strings(result) if ABSOLUTE.search(s)]
    assert not absolute, f"{path.name} holds absolute paths: {absolute[:3]}"
    assert result["data"]["sha256"] and not os.path.isabs(result["data"]["path"])


def test_paper_table_lists_every_comparable_result_under_its_row():
    from made_helpers.experiments.results import PAPER_MNIST, load_results, paper_table

    results = load_results(ROOT / "results")
    table = paper_table(results)
    for paper in PAPER_MNIST.values():
        assert f"| {paper:.2f} |" in table
    for r in results:
        listed = f"`{r['file']}`" in table
        expected = r.get("comparable_with_paper") and r["model"].get("direct", True)
        assert listed == bool(expected), r["file"]
        if listed:
            assert f"{r['test_nll']:.2f} ± {r['test_nll_se']:.2f}" in table


def test_results_readme_tables_are_those_the_files_give():
    """results/README.md's tables are exactly what `python -m made_helpers.experiments.tables` makes of the files."""
    from made_helpers.experiments.results import load_results, readme_tables
    from made_helpers.experiments.tables import README_END, README_START

    text = (ROOT / "results" / "README.md").read_text()
    assert text.count(README_START) == 1 and text.count(README_END) == 1
    shown = text.split(README_START)[1].split(README_END)[0].strip()
    assert shown == readme_tables(load_results(ROOT / "results")).strip(), \
        "results/README.md is stale: run python -m made_helpers.experiments.tables --update results/README.md"


@pytest.mark.parametrize("readme", ["README.md", "results/maf_mnist/README.md"])
def test_the_maf_table_is_the_one_its_records_give(readme):
    """The MAF paper's MNIST table in the README files is made from results/maf_mnist, never typed (issue 27, 6)."""
    from made_helpers.experiments import maf_mnist
    from made_helpers.experiments.tables import MAF_END, MAF_START

    text = (ROOT / readme).read_text()
    assert text.count(MAF_START) == 1 and text.count(MAF_END) == 1
    shown = text.split(MAF_START)[1].split(MAF_END)[0].strip()
    assert shown == maf_mnist.readme_tables(maf_mnist.load_results(ROOT / "results" / "maf_mnist")), \
        f"{readme} is stale: run python -m made_helpers.experiments.tables --update {readme}"


def test_the_maf_commands_are_the_ones_its_records_give():
    """results/maf_mnist/README.md lists the command of every recorded run, made from the records, never typed."""
    from made_helpers.experiments import maf_mnist
    from made_helpers.experiments.tables import MAF_COMMANDS_END, MAF_COMMANDS_START

    rows = maf_mnist.load_results(ROOT / "results" / "maf_mnist")
    text = (ROOT / "results" / "maf_mnist" / "README.md").read_text()
    assert text.count(MAF_COMMANDS_START) == 1 and text.count(MAF_COMMANDS_END) == 1
    shown = text.split(MAF_COMMANDS_START)[1].split(MAF_COMMANDS_END)[0].strip()
    assert shown == maf_mnist.commands_block(rows), \
        "results/maf_mnist/README.md is stale: run python -m made_helpers.experiments.tables --update " \
        "results/maf_mnist/README.md"
    assert len(shown.splitlines()) == 2 + len(rows) and "--out results/maf_mnist/maf.json" in shown


def test_the_maf_table_has_the_papers_eight_rows_and_says_which_are_not_run():
    from made_helpers.experiments import maf_mnist

    table = maf_mnist.paper_table({}).splitlines()
    assert len(table) == 2 + 8 and all("not run yet" in line for line in table[2:])
    assert [line.split(" | ")[0].lstrip("| ") for line in table[2:]] == [
        "Gaussian", "MADE", "MADE MoG", "Real NVP (5)", "Real NVP (10)", "MAF (5)", "MAF (10)", "MAF MoG (5)"]


def test_update_rewrites_only_the_tables(tmp_path, capsys):
    from made_helpers.experiments.tables import MAF_END, MAF_START, README_END, README_START, main

    readme = tmp_path / "README.md"
    readme.write_text(f"# before\n{README_START}\nold table\n{README_END}\nmiddle\n"
                      f"{MAF_START}\nold\n{MAF_END}\nafter\n")
    assert main(["--folder", str(ROOT / "results"), "--update", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith(f"# before\n{README_START}\n") and text.endswith(f"{MAF_END}\nafter\n")
    assert "old table" not in text and "| paper's row |" in text and "| MAF (10) |" in text and "\nold\n" not in text
    readme.write_text("no markers\n")
    assert main(["--update", str(readme)]) == 1
    assert "holds none of the start markers" in capsys.readouterr().err and readme.read_text() == "no markers\n"


def _run(name: str, test_nll: float, valid_nll: float) -> dict:
    """A results file's fields for a 784-4000-784 one-mask run, as far as the paper table reads them."""
    return {"file": name, "test_nll": test_nll, "test_nll_se": 0.2, "split": "test", "comparable_with_paper": True,
            "num_masks": 1, "model": {"input_dim": 784, "hidden_sizes": [4000], "num_masks": 1, "direct": True},
            "training": {"best_valid_nll": valid_nll, "best_epoch": 5, "epochs_run": 5}}


def test_paper_table_chooses_by_validation_not_test():
    """The run set beside the paper (bold, listed first) has the lowest validation NLL, even where another run
    has the lower test NLL."""
    from made_helpers.experiments.results import by_validation, paper_table

    best_on_test = _run("best_on_test.json", test_nll=88.0, valid_nll=90.0)
    best_on_valid = _run("best_on_valid.json", test_nll=88.5, valid_nll=89.0)
    assert by_validation([best_on_test, best_on_valid])[0] is best_on_valid
    rows = [line for line in paper_table([best_on_test, best_on_valid]).splitlines() if "best_on_" in line]
    assert "`best_on_valid.json`" in rows[0] and "**88.50 ± 0.20**" in rows[0]
    assert "`best_on_test.json`" in rows[1] and "**" not in rows[1]


def test_a_run_without_a_validation_nll_cannot_be_ranked():
    from made_helpers.errors import UserInputError
    from made_helpers.experiments.results import by_validation

    run = _run("no_valid.json", 88.0, 89.0)
    run["training"].pop("best_valid_nll")
    with pytest.raises(UserInputError, match="no_valid.json: no finite training.best_valid_nll"):
        by_validation([run, _run("other.json", 88.0, 89.0)])


def test_readme_bolds_each_paper_rows_run_with_the_lowest_validation_nll():
    """The README's MADE table: in each of the paper's rows, the bold run is the one with the lowest validation
    NLL, and every validation NLL shown is the one its results file records."""
    import re

    from made_helpers.experiments.results import load_results

    recorded = {f"{r['test_nll']:.2f} ± {r['test_nll_se']:.2f}": r["training"]["best_valid_nll"]
                for r in load_results(ROOT / "results") if r["model"].get("direct", True)}
    text = (ROOT / "README.md").read_text()
    table = text.split("| paper's row (Germain et al., 2015) |")[1].split("\n\n")[0].splitlines()[2:]
    groups: list[list[tuple[bool, float]]] = []
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0]:
            groups.append([])
        test = re.search(r"\d+\.\d\d ± \d\.\d\d", cells[2]).group(0)
        assert float(cells[3]) == pytest.approx(recorded[test], abs=0.005), line
        groups[-1].append((cells[2].startswith("**"), float(cells[3])))
    assert len(groups) == 4
    for group in groups:
        assert [bold for bold, _ in group].count(True) == 1
        assert next(v for bold, v in group if bold) == min(v for _, v in group)


# ----------------------------------------------------------------------------- results files written by made evaluate
def binarized_available() -> bool:
    try:
        data.data_search_dirs()
        return any((d / "binarized_mnist_test.npz").is_file() for d in data.data_search_dirs())
    except data.DataError:
        return False


needs_binarized = pytest.mark.skipif(not binarized_available(),
                                     reason="Larochelle's binarized MNIST is not here; set MADE_DATA_DIR")


def test_results_files_carry_the_model_digest(finished_run, tmp_path, capsys):
    """Edits that keep the masks (num_masks) change the file's bytes: the results file's digest catches them."""
    from made_helpers.experiments.results import check_model_digest, load_results

    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(finished_run / "model.keras", folder / "m.keras")
    rc, _, err = cli(capsys, "evaluate", "--model", folder / "m.keras", "--summary",
                     finished_run / "train_summary.json", "--limit", "10", "--json", folder / "m.json")
    assert rc == 0, err
    result = json.loads((folder / "m.json").read_text())
    assert result["model_sha256"] == file_sha256(folder / "m.keras")
    assert [r["file"] for r in load_results(folder)] == ["m.json"]
    assert check_model_digest(result, folder / "m.json") == folder / "m.keras"
    rewrite_keras(finished_run / "model.keras", folder / "m.keras", num_masks=4)     # loads, same masks
    with pytest.raises(ValueError, match=r"m\.keras: SHA-256 .* is not the .* recorded in .*m\.json"):
        load_results(folder)


@needs_binarized
def test_only_a_test_split_result_is_comparable_with_the_paper(finished_run, tmp_path, capsys):
    from made_helpers.experiments.results import paper_table

    for split in ("valid", "test"):
        rc, _, err = cli(capsys, "evaluate", "--model", finished_run, "--data", "binarized", "--split", split,
                         "--json", tmp_path / f"{split}.json")
        assert rc == 0, err
    valid, test = (json.loads((tmp_path / f"{s}.json").read_text()) for s in ("valid", "test"))
    assert valid["n_images"] == 10_000 and valid["comparable_with_paper"] is False
    assert test["comparable_with_paper"] is True
    # an older file that marked its valid split comparable is still not listed as a test NLL
    valid.update(comparable_with_paper=True, file="valid.json")
    test.update(file="test.json")
    table = paper_table([valid, test])
    assert "`test.json`" in table and "`valid.json`" not in table


@needs_binarized
def test_messages_show_the_data_path_from_the_current_folder(finished_run, tmp_path, monkeypatch, capsys):
    """Files keep the repository-relative path; messages give one that works from where the user is."""
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "evaluate", "--model", finished_run, "--data", "binarized", "--limit", "10",
                       "--json", "r.json")
    assert rc == 0, err
    result = json.loads((tmp_path / "r.json").read_text())
    stored = result["data"]["path"]
    assert not os.path.isabs(stored)                             # relative to the repository, as before
    actual = os.path.normpath(os.path.join(ROOT, stored))
    line = next(ln for ln in out.splitlines() if ln.startswith("test NLL"))
    assert f"from {actual}" in line and stored not in line.replace(actual, "")
    assert os.path.isfile(actual)
