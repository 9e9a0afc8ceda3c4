"""The notebooks speak about the subject, not about how the project is made (issue 16, item 2).

Checked: the markdown and the printed outputs of the committed notebooks of the series (or of the
executed copies in ``MADE_NOTEBOOK_DIR``). Not allowed there: words about the project's machinery
(:data:`DEVELOPMENT_TALK`: "committed", "results file", "the repository", "command-line interface",
"git pull" / "git status", "when this notebook was written"), mode banners in full-mode outputs
("QUICK mode", "full mode", "mode: full"), aggregator web sites given as sources
(:data:`AGGREGATORS`), and data paths printed by data loading (a path to an ``.npz``/``.amat``/``.gz``
file or to a ``data/`` or ``shared/`` folder). The README and ``results/README.md`` may talk about
the repository; the notebooks do not.

Since issue 26 (item 5), all of them (:data:`EXTENDED_CHECK`) are also checked for talk about how the results
were produced (:data:`PRODUCTION_TALK`): file names ending ``.json``/``.keras`` (a run is named by what it is,
"784-4000-784, one mask, dropout 0.5, L2 1e-4"), "record(s/ed)", "saved", "budget(s)", "listed", "transcription(s)",
"terminal". No exception: a sentence about the subject does not need these words.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SERIES

CHECKED = SERIES
DEVELOPMENT_TALK = re.compile(
    r"\bcommitted\b|\bcommit\b|results? files?\b|\bthe repository\b|\bthis repository\b|command-line interface"
    r"|\bgit (pull|status|clone|checkout)\b|when this notebook was written|\bQUICK mode\b|\bfull mode\b"
    r"|\bmode: full\b|MADE_QUICK|\bCLI\b", re.IGNORECASE)
AGGREGATORS = re.compile(r"paperswithcode|papers with code|sotabench|medium\.com|towardsdatascience",
                         re.IGNORECASE)
DATA_PATH = re.compile(r"[\w./\\-]*\.(npz|amat|gz)\b|(\.\./|/)(shared|data)/[\w./-]+")
PRODUCTION_TALK = re.compile(
    r"[\w./-]+\.(json|keras)\b|\brecord(s|ed)?\b|\bsaved\b|\bbudgets?\b|\blisted\b|\btranscriptions?\b"
    r"|\bterminal\b", re.IGNORECASE)
EXTENDED_CHECK = CHECKED
"""The notebooks also checked for :data:`PRODUCTION_TALK`: every notebook of the series (issue 26, item 5)."""


def notebook_dir() -> Path:
    return Path(os.environ.get("MADE_NOTEBOOK_DIR") or ROOT / "notebooks")


def texts(nb) -> list[tuple[str, str]]:
    """``(where, text)`` for every markdown cell and every printed output of ``nb``."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found.append((f"cell {i} (markdown)", cell.source))
            continue
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream":
                found.append((f"cell {i} (output)", out.text))
            elif out.output_type in ("execute_result", "display_data"):
                found.extend((f"cell {i} (output)", v) for k, v in out.get("data", {}).items()
                             if k in ("text/plain", "text/markdown", "text/html") and isinstance(v, str))
    return found


def offences(nb, production: bool = False) -> list[str]:
    """Each piece of development talk, aggregator source or printed data path in ``nb``, with its cell; with
    ``production``, also each piece of talk about how the results were produced (:data:`PRODUCTION_TALK`)."""
    found = []
    checks = [(DEVELOPMENT_TALK, "development talk"), (AGGREGATORS, "aggregator source"), (DATA_PATH, "data path")]
    if production:
        checks.append((PRODUCTION_TALK, "talk about how the results were produced"))
    for where, text in texts(nb):
        for pattern, what in checks:
            for m in pattern.finditer(text):
                found.append(f"{where}: {what} {m.group(0)!r} in ...{text[max(0, m.start() - 60):m.end() + 40]!r}")
    return found


@pytest.mark.parametrize("name", CHECKED)
def test_no_development_talk_in_markdown_or_outputs(name):
    nb = nbformat.read(notebook_dir() / f"{name}.ipynb", as_version=4)
    found = offences(nb, production=name in EXTENDED_CHECK)
    assert not found, "the notebooks speak about the subject:\n" + "\n".join(found)


def test_the_check_catches_the_issue_examples():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("These runs were committed under `results/`."),
                nbformat.v4.new_markdown_cell("Trained with the command-line interface; see the results file."),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                    "stream", name="stdout",
                    text="mode: full | grey MNIST test from ../../shared/data/mnist/mnist_test.npz\n"
                         "run `git pull` to update\n")]),
                nbformat.v4.new_markdown_cell("Numbers from paperswithcode.com, when this notebook was written.")]
    found = "\n".join(offences(nb))
    for needle in ("'committed'", "'command-line interface'", "'results file'", "'mode: full'",
                   "mnist_test.npz", "'git pull'", "'paperswithcode'", "'when this notebook was written'"):
        assert needle in found, needle
    clean = nbformat.v4.new_notebook()
    clean.cells = [nbformat.v4.new_markdown_cell("The model commits to one ordering of the pixels."),
                   nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                       "stream", name="stdout",
                       text="binarized MNIST test (10000 images); SHA-256 of the arrays verified\n")])]
    assert offences(clean) == []


def test_the_extended_check_catches_talk_about_how_results_were_produced():
    """Issue 26's examples: file names of runs, records, saving, budgets, listings, transcriptions, terminals."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The runs were started from a terminal; each was saved with it."),
                nbformat.v4.new_markdown_cell("Each trained model left a record. Budgets of our runs (listed)."),
                nbformat.v4.new_markdown_cell("Read in a published transcription of the paper's table."),
                nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                    "stream", name="stdout", text="| `made_784-4000-784_k1_random_drop0.5_wd1e-4.json` | 88.26 |\n"
                                                  "loaded made_784-500-784_k32_full.keras\n")])]
    found = "\n".join(offences(nb, production=True))
    for needle in ("'terminal'", "'saved'", "'record'", "'Budgets'", "'listed'", "'transcription'",
                   "'made_784-4000-784_k1_random_drop0.5_wd1e-4.json'", "'made_784-500-784_k32_full.keras'"):
        assert needle in found, needle
    assert offences(nb) == [], "the extended forms are checked only where asked"
    clean = nbformat.v4.new_notebook()
    clean.cells = [nbformat.v4.new_markdown_cell("784-4000-784, one mask, dropout 0.5, L2 1e-4: test NLL 88.26 nats, "
                                                 "the weights of its best validation epoch kept.")]
    assert offences(clean, production=True) == []


def test_the_extended_check_covers_the_whole_series():
    assert EXTENDED_CHECK == CHECKED == SERIES and len(SERIES) == 8
