"""Lint of the committed notebook series (JSON only, nothing is executed).

Structure (TF-docs style): a ``# `` title cell; a one-paragraph overview followed by what the reader
will learn and what the notebook assumes (bullets); then ONE setup code cell (imports, then
``made_helpers.notebook_setup.setup``: seeds, the quick flag, figure defaults — never the lines it
replaces copied); prose before code; titled figures; no absolute paths; the running time of the
notebook printed near its end and in step with its own execution metadata; a last cell linking to
the next notebook; the committed copy executed top to bottom in full mode with no errors; its
``py:percent`` twin in ``notebooks/py/`` holding the same cells.

``MADE_NOTEBOOK_DIR`` points the checks of the notebooks' contents at executed copies elsewhere.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOK_DIR, SERIES

MAX_CODE_LINES = 40          # "short cells"
MAX_CODE_RUN = 2             # at most this many code cells in a row without prose
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/work/|/home/|/tmp/|/Users/|[A-Za-z]:\\\\)")
PLOTS = re.compile(r"plt\.|plotting\.plot_|\.imshow\(|\.scatter\(|\.hist\(")
TITLES = re.compile(r"set_title|suptitle|title=|\.set\(\s*title")
IMPORT = re.compile(r"^(import |from \S+ import )", re.MULTILINE)
SETUP_CALL = re.compile(r"^QUICK, SEED, rng = setup\(", re.MULTILINE)
COPIED_SETUP = ('os.environ.get("MADE_QUICK"', "QUICK = ", "SEED = ", "rng = np.random.default_rng(SEED)",
                "plt.rcParams.update", "np.set_printoptions")   # what setup() does; re-seeding before a model is fine
RUNNING_TIME = re.compile(r"This notebook ran for (?:(\d+) min )?(\d+) s\b")
WITH_SETUP_HELPER = SERIES      # every notebook calls setup() from made_helpers.notebook_setup


def test_the_series_lists_every_notebook():
    """SERIES (tests/conftest.py), which the notebook tests go through, holds each notebook of notebooks/."""
    assert sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) == SERIES


def load(name: str):
    folder = Path(os.environ.get("MADE_NOTEBOOK_DIR") or NOTEBOOK_DIR)
    return nbformat.read(folder / f"{name}.ipynb", as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.extend(v for k, v in out.get("data", {}).items() if k.startswith("text/") and isinstance(v, str))
        elif out.output_type == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def test_the_series_is_complete():
    found = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert found == SERIES


@pytest.mark.parametrize("name", SERIES)
def test_valid_notebook_with_python3_kernel(name):
    nb = load(name)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("name", SERIES)
def test_header_title_overview_setup(name):
    cells = load(name).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "cell 0: '# Title'"
    assert "\n" not in cells[0].source.strip(), "cell 0 holds only the title"
    overview = cells[1].source.strip()
    assert cells[1].cell_type == "markdown" and overview and not overview.startswith("#"), "cell 1: overview"
    if name in WITH_SETUP_HELPER:
        first, _, rest = overview.partition("\n\n")
        assert "\n" not in first.strip(), "the overview is one paragraph"
        assert "**You will learn**" in rest and "**It assumes**" in rest and "\n* " in rest, \
            "cell 1: after the overview, what the reader will learn (bullets) and what the notebook assumes"
    else:
        assert "\n\n" not in overview, "the overview is one paragraph"
    setup = cells[2]
    assert setup.cell_type == "code", "cell 2 is the setup code cell"
    assert IMPORT.search(setup.source)
    if name not in WITH_SETUP_HELPER:
        return
    assert "from made_helpers.notebook_setup import" in setup.source and SETUP_CALL.search(setup.source), \
        "the setup cell calls QUICK, SEED, rng = setup(...) from made_helpers.notebook_setup"
    assert "keras.utils.set_random_seed" not in setup.source, "the setup cell seeds through setup(seed=...)"
    for copied in COPIED_SETUP:
        for i, cell in enumerate(code_cells(load(name))):
            assert copied not in cell.source, f"code cell {i} copies {copied!r}: setup() does it"


def execution_seconds(nb, first: int = 0, last: int = -1, start_key: str = "iopub.execute_input") -> float | None:
    """Seconds from code cell ``first``'s start (``start_key``) to code cell ``last``'s end, from the
    cells' execution metadata (nbclient's ``record_timing``); ``None`` when they were not recorded."""
    times = [c.metadata.get("execution", {}) for c in code_cells(nb)]
    start, end = times[first].get(start_key), times[last].get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))   # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


@pytest.mark.parametrize("name", WITH_SETUP_HELPER)
def test_running_time_is_printed_and_ends_with_a_link_to_the_next_notebook(name):
    """The notebook prints its own running time near its end, in step with its execution metadata.

    ``running_time()`` counts from the ``setup()`` call at the end of the setup cell, so the printed time
    is compared with the metadata from that cell's end to the end of the cell that printed it (the
    imports before it, a few seconds, are not counted).
    """
    nb = load(name)
    last = nb.cells[-1]
    following = (SERIES + SERIES[:1])[SERIES.index(name) + 1]       # the last one links back to the first
    assert last.cell_type == "markdown" and f"]({following}.ipynb)" in last.source, \
        f"the last cell links to the next notebook, {following}.ipynb"
    cells = code_cells(nb)
    printing = [i for i in range(len(cells) - 2, len(cells)) if RUNNING_TIME.search(output_text(cells[i]))]
    assert printing, "one of the last code cells prints 'This notebook ran for ...' (running_time())"
    found = RUNNING_TIME.search(output_text(cells[printing[-1]]))
    seconds = int(found.group(1) or 0) * 60 + int(found.group(2))
    measured = execution_seconds(nb, 0, printing[-1], start_key="shell.execute_reply")
    if measured is not None:      # nbclient records the timing; a notebook saved from Lab may not have it
        assert abs(seconds - measured) <= 0.05 * measured + 10, \
            f"printed running time {seconds} s, execution metadata {measured:.0f} s"


@pytest.mark.parametrize("name", SERIES)
def test_imports_only_in_the_setup_cell(name):
    """One setup cell: later cells import nothing at top level (a guarded try/except import is fine)."""
    for cell in code_cells(load(name))[1:]:
        assert not IMPORT.search(cell.source), f"top-level import outside the setup cell:\n{cell.source[:200]}"


@pytest.mark.parametrize("name", SERIES)
def test_prose_before_code_and_short_cells(name):
    run = 0
    for i, cell in enumerate(load(name).cells):
        if cell.cell_type == "markdown":
            run = 0
            continue
        run += 1
        assert i > 0, "the notebook starts with prose"
        assert run <= MAX_CODE_RUN, f"cell {i}: more than {MAX_CODE_RUN} code cells without a markdown cell"
        n_lines = len(cell.source.splitlines())
        assert n_lines <= MAX_CODE_LINES, f"cell {i}: {n_lines} lines (keep code cells short)"


@pytest.mark.parametrize("name", SERIES)
def test_equations_in_latex(name):
    markdown = "\n".join(c.source for c in load(name).cells if c.cell_type == "markdown")
    assert re.search(r"\$[^$\n]+\$", markdown), "no LaTeX ($...$) in the prose"


@pytest.mark.parametrize("name", SERIES)
def test_no_absolute_paths(name):
    for i, cell in enumerate(load(name).cells):
        assert not ABSOLUTE_PATH.search(cell.source), f"cell {i}: absolute path in the source"
        assert not ABSOLUTE_PATH.search(output_text(cell)), f"cell {i}: absolute path in the outputs"


@pytest.mark.parametrize("name", SERIES)
def test_every_plot_has_a_title(name):
    for i, cell in enumerate(load(name).cells):
        if cell.cell_type == "code" and PLOTS.search(cell.source) and "plt.rcParams" not in cell.source:
            assert TITLES.search(cell.source), f"cell {i} plots without a title"


@pytest.mark.parametrize("name", SERIES)
def test_committed_notebook_was_executed_in_order_without_errors(name):
    cells = code_cells(load(name))
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"execution counts {counts}: run top to bottom once"
    for cell in cells:
        for out in cell.outputs:
            assert out.output_type != "error", f"error output: {out.get('ename')}: {out.get('evalue')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text and "Error" not in out.text, out.text[:500]


@pytest.mark.parametrize("name", SERIES)
def test_committed_notebook_has_full_mode_outputs(name):
    """The committed copy shows a full run (its setup cell prints no 'mode: quick' line), with outputs."""
    cells = code_cells(load(name))
    assert cells[0].outputs, "the setup cell prints the Keras version"
    assert "mode: quick" not in output_text(cells[0]), "commit the outputs of a full-mode run (MADE_QUICK unset)"
    if name not in WITH_SETUP_HELPER:
        assert "mode: full" in output_text(cells[0])
    assert sum(bool(c.outputs) for c in cells) >= len(cells) // 2


def test_figures_are_modest_pngs():
    for name in SERIES:
        size = (NOTEBOOK_DIR / f"{name}.ipynb").stat().st_size
        assert size < 2_500_000, f"{name}.ipynb is {size / 1e6:.1f} MB; lower the figure dpi"


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells if c.cell_type in ("markdown", "code")]


@pytest.mark.parametrize("name", SERIES)
def test_jupytext_pairs_the_notebook_with_its_py_percent_twin(name):
    """notebooks/jupytext.toml pairs notebooks/NAME.ipynb with notebooks/py/NAME.py."""
    from jupytext.config import load_jupytext_config
    from jupytext.paired_paths import paired_paths

    ipynb = NOTEBOOK_DIR / f"{name}.ipynb"
    config = load_jupytext_config(str(ipynb))
    assert config is not None, "no jupytext configuration found (notebooks/jupytext.toml)"
    formats = config.default_formats(str(ipynb))
    paths = {Path(path) for path, _ in paired_paths(str(ipynb), "ipynb", formats)}
    assert paths == {ipynb, NOTEBOOK_DIR / "py" / f"{name}.py"}


def test_exercise_notebooks_stay_unpaired():
    from jupytext.config import load_jupytext_config
    from jupytext.paired_paths import paired_paths

    paths = sorted((NOTEBOOK_DIR / "exercises").glob("*.ipynb")) + sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb"))
    assert paths
    for path in paths:
        formats = load_jupytext_config(str(path)).default_formats(str(path))
        paired = [p for p, _ in paired_paths(str(path), "ipynb", formats)]
        assert paired == [str(path)], f"{path.name} would be paired with {paired[1:]}"



def test_jupyterlab_saves_both_files_of_a_pair(tmp_path):
    """JupyterLab runs on notebooks/ (make lab) with jupytext's contents manager: a save writes the twin too.

    The contents manager reads its configuration only inside the server's root folder, which is why
    the configuration lives in notebooks/jupytext.toml. Outputs and cell ids survive the save.
    """
    import shutil

    from jupytext import TextFileContentsManager

    name = SERIES[1]
    root = tmp_path / "notebooks"
    (root / "py").mkdir(parents=True)
    (root / "exercises").mkdir()
    shutil.copy(NOTEBOOK_DIR / "jupytext.toml", root)
    shutil.copy(NOTEBOOK_DIR / f"{name}.ipynb", root)
    shutil.copy(NOTEBOOK_DIR / "py" / f"{name}.py", root / "py")
    exercise = sorted((NOTEBOOK_DIR / "exercises").glob("*.ipynb"))[0]
    shutil.copy(exercise, root / "exercises")
    cm = TextFileContentsManager(root_dir=str(root))
    model = cm.get(f"{name}.ipynb")
    model["content"]["cells"][0]["source"] += " (edited in Lab)"
    cm.save(model, f"{name}.ipynb")
    assert "(edited in Lab)" in (root / "py" / f"{name}.py").read_text()
    saved, committed = nbformat.read(root / f"{name}.ipynb", as_version=4), load(name)
    assert [c.id for c in saved.cells] == [c.id for c in committed.cells]
    assert [c.get("outputs") for c in saved.cells] == [c.get("outputs") for c in committed.cells]
    cm.save(cm.get(f"exercises/{exercise.name}"), f"exercises/{exercise.name}")
    assert not (root / "exercises" / "py").exists(), "exercise notebooks must stay unpaired"

SYNC_ADVICE = ("after editing the twin: `jupytext --update --output notebooks/{name}.ipynb notebooks/py/{name}.py`; "
               "after editing the notebook: `jupytext --sync notebooks/{name}.ipynb` (README: --sync takes the "
               "newer file)")


def twin_differences(notebook, py: Path) -> str | None:
    """Where the py:percent twin ``py`` (read by jupytext) differs from ``notebook``'s cells, or None."""
    import jupytext

    twin = jupytext.read(py, fmt="py:percent")
    if twin.metadata.get("jupytext", {}).get("text_representation", {}).get("format_name") != "percent":
        return f"{py.name} is not in py:percent format"
    ours, theirs = _cells(notebook), _cells(twin)
    if len(ours) != len(theirs):
        return f"{len(theirs)} cells in {py.name}, {len(ours)} in the notebook"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            return f"cell {i} differs ({a[0]} in the notebook, {b[0]} in {py.name}): {b[1][:80]!r}"
    return None


@pytest.mark.parametrize("name", SERIES)
def test_py_percent_twin_is_in_step(name):
    """The twin holds the notebook's cells (same types, same sources, same order), read by jupytext."""
    py = NOTEBOOK_DIR / "py" / f"{name}.py"
    assert py.is_file(), f"missing twin: run `jupytext --sync notebooks/{name}.ipynb`"
    difference = twin_differences(load(name), py)
    assert difference is None, (f"notebooks/{name}.ipynb and py/{name}.py differ: {difference}; "
                                + SYNC_ADVICE.format(name=name))


@pytest.mark.parametrize("edit", ["code", "markdown", "new cell"])
def test_a_twin_edited_but_not_synced_is_caught(tmp_path, edit):
    """Issue 21 item 5: an edit to the twin that never reached the notebook fails the check above."""
    name = SERIES[1]
    py = tmp_path / f"{name}.py"
    text = (NOTEBOOK_DIR / "py" / f"{name}.py").read_text()
    assert twin_differences(load(name), NOTEBOOK_DIR / "py" / f"{name}.py") is None
    if edit == "code":
        text = text.replace("setup(seed=0", "setup(seed=1", 1)
    elif edit == "markdown":
        text = text.replace("\n# # ", "\n# # (edited) ", 1)
    else:
        text += "\n# %%\nprint('added in the twin')\n"
    assert text != (NOTEBOOK_DIR / "py" / f"{name}.py").read_text(), "the edit did not apply"
    py.write_text(text)
    difference = twin_differences(load(name), py)
    assert difference is not None
    assert ("cell" in difference) and (edit != "new cell" or "cells in" in difference), difference


def test_no_orphan_py_twins():
    twins = sorted(p.stem for p in (NOTEBOOK_DIR / "py").glob("*.py"))
    assert twins == SERIES, "notebooks/py/ holds exactly one py:percent twin per notebook of the series"
