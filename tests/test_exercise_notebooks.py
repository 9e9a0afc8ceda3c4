"""The exercise notebooks: layout, student copies that stop only at their stubs, solutions that run.

Student notebooks (``notebooks/exercises``) and solution notebooks (``notebooks/solutions``)
are the same notebooks except for the exercise cells and the answers to "think" questions
(markdown cells with ``answer`` metadata: a prompt in the student copy, the answer in the
solution). Executed in quick mode (``MADE_QUICK=1``) with the project's Python as kernel, a
student notebook may fail only with ``NotImplementedError`` and only in cells that use a stub;
a solution notebook runs top to bottom and every check in it passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "notebooks" / "exercises"
SOLUTIONS = ROOT / "notebooks" / "solutions"
NAMES = sorted(p.name for p in EXERCISES.glob("*.ipynb"))
QUICK_FLAG = 'QUICK = os.environ.get("MADE_QUICK", "0") == "1"'


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _stub_names(nb) -> set[str]:
    """Functions defined by the exercise cells of a notebook."""
    names = set()
    for cell in nb.cells:
        if cell.metadata.get("exercise"):
            names |= set(re.findall(r"^def (\w+)\(", cell.source, flags=re.M))
    return names


def _execute(path: Path, monkeypatch, allow_errors: bool):
    from nbclient import NotebookClient

    monkeypatch.setenv("MADE_QUICK", "1")
    nb = _read(path)
    # kernel "python3" is started with this interpreter (the project's .venv in `make test`);
    # TensorFlow's C++ start-up log stays in the terminal, out of the notebook
    NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=allow_errors,
                   extra_arguments=["--IPKernelApp.capture_fd_output=False"],
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.get("name") == "stdout")


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


# ------------------------------------------------------------------ layout (fast)
def test_one_exercise_notebook_per_main_notebook_from_02():
    prefixes = sorted(name[:2] for name in NAMES)
    assert prefixes == ["02", "03", "04", "05", "06"]
    assert sorted(p.name for p in SOLUTIONS.glob("*.ipynb")) == NAMES
    assert (EXERCISES / "README.md").is_file()


def test_at_least_five_exercises_each_with_a_check():
    total = 0
    for name in NAMES:
        nb = _read(EXERCISES / name)
        exercises = [c.metadata["exercise"] for c in nb.cells if c.metadata.get("exercise")]
        checks = [c.metadata["check"] for c in nb.cells if c.metadata.get("check")]
        assert exercises and exercises == checks, name
        for cell in nb.cells:
            if cell.metadata.get("check"):
                assert cell.source == f"check.{cell.metadata['check']}({cell.metadata['check']})"
        total += len(exercises)
    assert total >= 5


@pytest.mark.parametrize("name", NAMES)
def test_header_and_markdown_before_every_code_cell(name):
    for folder in (EXERCISES, SOLUTIONS):
        cells = _read(folder / name).cells
        assert [c.cell_type for c in cells[:3]] == ["markdown", "markdown", "code"]
        assert cells[0].source.startswith("# ")
        assert QUICK_FLAG in cells[2].source
        for before, cell in zip(cells[2:], cells[3:]):
            if cell.cell_type == "code":
                assert before.cell_type == "markdown", f"{name}: no explanation before\n{cell.source[:80]}"


@pytest.mark.parametrize("name", NAMES)
def test_student_and_solution_differ_only_in_exercise_cells(name):
    student, solution = _read(EXERCISES / name), _read(SOLUTIONS / name)
    assert len(student.cells) == len(solution.cells)
    for s, t in zip(student.cells, solution.cells):
        assert s.cell_type == t.cell_type
        if s.metadata.get("exercise"):
            assert s.metadata["exercise"] == t.metadata.get("exercise")
            assert "# YOUR CODE HERE" in s.source and "raise NotImplementedError" in s.source
            assert "YOUR CODE HERE" not in t.source and "NotImplementedError" not in t.source
            assert _stub_names(student) == _stub_names(solution)
        elif s.metadata.get("answer"):
            # a "think" question's answer: a prompt in the student copy, the answer in the solution
            assert s.cell_type == "markdown" and s.metadata["answer"] == t.metadata.get("answer")
            assert "Your answer" in s.source and "Your answer" not in t.source
        else:
            assert s.source == t.source


@pytest.mark.parametrize("name", NAMES)
def test_student_notebooks_ship_without_outputs(name):
    for cell in _code(_read(EXERCISES / name)):
        assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", NAMES)
def test_committed_solutions_were_run_and_pass(name):
    """The committed solution notebooks carry the outputs of a full top-to-bottom run."""
    cells = _code(_read(SOLUTIONS / name))
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert "mode: full" in _stdout(cells[0])
    for cell in cells:
        assert not _errors(cell), cell.source[:80]
        if cell.metadata.get("check"):
            assert _stdout(cell).startswith("✅"), cell.source


# ------------------------------------------------------------------- execution
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_stops_only_at_stubs(name, monkeypatch):
    nb = _execute(EXERCISES / name, monkeypatch, allow_errors=True)
    stubs = _stub_names(nb)
    assert stubs
    for cell in _code(nb):
        uses_stub = bool(cell.metadata.get("exercise")) or any(
            re.search(rf"\b{re.escape(s)}\b", cell.source) for s in stubs)
        errors = _errors(cell)
        if not uses_stub:
            assert not errors, f"{name}: a cell without stubs failed:\n{cell.source[:200]}\n{errors}"
            continue
        for error in errors:
            assert error["ename"] == "NotImplementedError", (
                f"{name}: expected only NotImplementedError, got {error['ename']}: {error['evalue']}\n"
                f"in cell:\n{cell.source[:200]}")
        if cell.metadata.get("check"):
            assert errors, f"{name}: check.{cell.metadata['check']} passed on the unsolved stub"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_notebook_runs_top_to_bottom_in_quick_mode(name, monkeypatch):
    nb = _execute(SOLUTIONS / name, monkeypatch, allow_errors=False)
    cells = _code(nb)
    assert "mode: quick" in _stdout(cells[0])
    for cell in cells:
        if cell.metadata.get("check"):
            assert _stdout(cell).startswith("✅"), cell.source
