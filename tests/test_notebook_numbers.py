"""Every result number the prose of the series states is printed by code (issue 16, item 1).

What counts as a **result number**: a decimal number written with a point and at least one digit after
it (``99.07``, ``0.0168``, ``2.8``), standing on its own (not part of a name, a version such as
``3.15.1``, or a longer number), in the **markdown** of a notebook, outside

* LaTeX (``$...$`` and ``$$...$$``: the constants of equations, such as $p = 0.5$ in a formula),
* inline code and code blocks (`` `...` ``: arguments such as ``dropout=0.3``),
* link targets (``(...)`` after ``]``) and identifiers after a colon (``arXiv:1502.03509``),
* sentences that say the number is quoted from elsewhere: a sentence (text between ``.``/``!``/``?``
  followed by a space, or between line breaks) containing one of :data:`CITATION_MARKERS`, such as
  "paper", "cited", "Table" or "et al.".

Integers (counts such as 784 or 10 000) are not checked: they are mostly sizes the reader sets.

The check: each result number must occur, as the same string and as a whole token, in the printed
output (stream, ``text/plain``, ``text/markdown``, ``text/html``) of some code cell of the series. A
number the prose states that no cell printed, and that is not marked as cited, fails the test.

It reads the committed notebooks; ``MADE_NOTEBOOK_DIR`` points it at another folder of executed
copies (the same file names), e.g. fresh full-mode runs under a scratch folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SERIES

CHECKED = SERIES
CITATION_MARKERS = ("paper", "cited", "quoted", "table ", "et al", "reports", "reported")
DECIMAL = re.compile(r"(?<![\w.,/^:-])(\d+\.\d+)(?![\w]|\.\d)")
LATEX = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
LINK_TARGET = re.compile(r"\]\([^)]*\)")
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!al\.)(?<!e\.g\.)(?<!i\.e\.)\s+(?=[A-Z(*\[])|\n")


def notebook_dir() -> Path:
    return Path(os.environ.get("MADE_NOTEBOOK_DIR") or ROOT / "notebooks")


def load(name: str, folder: Path | None = None):
    return nbformat.read((folder or notebook_dir()) / f"{name}.ipynb", as_version=4)


def printed_text(nb) -> str:
    """Everything the code cells of ``nb`` printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.extend(v for k, v in out.get("data", {}).items()
                             if k in ("text/plain", "text/markdown", "text/html") and isinstance(v, str))
    return "\n".join(parts)


def result_numbers(markdown: str) -> list[tuple[str, str]]:
    """``(number, sentence)`` for each result number of ``markdown``, as defined in the module docstring."""
    prose = LINK_TARGET.sub("]", LATEX.sub(" ", CODE.sub(" ", markdown)))
    found = []
    for sentence in SENTENCE_END.split(prose):
        if any(marker in sentence.lower() for marker in CITATION_MARKERS):
            continue
        found.extend((m.group(1), sentence.strip()) for m in DECIMAL.finditer(sentence))
    return found


def is_printed(number: str, printed: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", printed) is not None


def unprinted_numbers(markdown_by_cell: dict[int, str], printed: str) -> list[str]:
    """The result numbers of the markdown cells that ``printed`` does not contain, with cell and sentence."""
    return [f"cell {i}: {number} in {sentence[:120]!r}"
            for i, text in markdown_by_cell.items()
            for number, sentence in result_numbers(text) if not is_printed(number, printed)]


@pytest.fixture(scope="module")
def series_output() -> str:
    return "\n".join(printed_text(load(name)) for name in SERIES if (notebook_dir() / f"{name}.ipynb").is_file())


@pytest.mark.parametrize("name", CHECKED)
def test_every_result_number_of_the_prose_is_printed(name, series_output):
    nb = load(name)
    markdown = {i: c.source for i, c in enumerate(nb.cells) if c.cell_type == "markdown"}
    missing = unprinted_numbers(markdown, series_output)
    assert not missing, ("numbers the prose states that no output of the series printed (print them from "
                         "code, or say in the sentence that they are cited):\n" + "\n".join(missing))


def test_the_definition_catches_the_issue_examples():
    """06's '99.07 vs 102.78 nats' (printed: 99.19), 05's '88.88 as a mixture', and lets the rest through."""
    printed = "test NLL 99.19 ± 0.25\nmixture of 8 masks 88.93\nMSE 0.0168"
    bad = {0: "The random-ordering model reached 99.07 vs 102.78 nats.",
           1: "Averaging the conditionals gives 88.88 as a mixture, so the model is under-fit."}
    assert [m.split(":")[1].split()[0] for m in unprinted_numbers(bad, printed)] == ["99.07", "102.78", "88.88"]
    good = {0: "The model reached 99.19 nats; the denoiser's error is 0.0168.",
            1: "The MADE paper reports 88.04 nats (Table 6). Germain et al. (2015) give 86.64.",
            2: "The loss is $-\\log 0.5 = 0.693$ per pixel and `dropout=0.3` is an argument.",
            3: "Keras 3.15.1 and [a link](https://example.org/v1.2) are no result numbers."}
    assert unprinted_numbers(good, printed) == []


def test_99_07_of_notebook_06_is_caught(tmp_path):
    """The number the issue found in 06 (c17, c38): caught in a notebook whose outputs never printed it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The random-ordering model reached 99.07 vs 102.78 nats."),
                nbformat.v4.new_code_cell("print(99.19)", outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="99.19\n")])]
    missing = unprinted_numbers({0: nb.cells[0].source}, printed_text(nb))
    assert any("99.07" in m for m in missing)
