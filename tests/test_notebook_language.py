"""The notebooks speak about the subject, not about how the project is made (issue 16, item 2).

Checked: the markdown and the printed outputs of the committed notebooks of the series (or of the
executed copies in ``MADE_NOTEBOOK_DIR``). Not allowed there: words about the project's machinery
(:data:`DEVELOPMENT_TALK`: "committed", "results file", "the repository", "command-line interface",
"git pull" / "git status", "when this notebook was written"), mode banners in full-mode outputs
("QUICK mode", "full mode", "mode: full"), aggregator web sites given as sources
(:data:`AGGREGATORS`), and data paths printed by data loading (a path to an ``.npz``/``.amat``/``.gz``
file or to a ``data/`` or ``shared/`` folder). The README and ``results/README.md`` may talk about
the repository; the notebooks do not.
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


def offences(nb) -> list[str]:
    """Each piece of development talk, aggregator source or printed data path in ``nb``, with its cell."""
    found = []
    for where, text in texts(nb):
        for pattern, what in ((DEVELOPMENT_TALK, "development talk"), (AGGREGATORS, "aggregator source"),
                              (DATA_PATH, "data path")):
            for m in pattern.finditer(text):
                found.append(f"{where}: {what} {m.group(0)!r} in ...{text[max(0, m.start() - 60):m.end() + 40]!r}")
    return found


@pytest.mark.parametrize("name", CHECKED)
def test_no_development_talk_in_markdown_or_outputs(name):
    nb = nbformat.read(notebook_dir() / f"{name}.ipynb", as_version=4)
    found = offences(nb)
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
