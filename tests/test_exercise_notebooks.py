"""The exercise notebooks: nbgrader source notebooks, and the student notebooks generated from them.

``notebooks/solutions/NN_*_exercises.ipynb`` are the sources (nbgrader metadata on every cell:
solution cells holding a ``### BEGIN SOLUTION`` region, autograded check cells with points, manually
graded answer cells for the "think" questions, every other cell read-only), committed after a full
run. ``notebooks/exercises/`` holds the student notebooks nbgrader generates from them (that they are
exactly its output is tested in ``test_grading.py``, which also runs both through the autograder:
a student notebook stops only at its stubs, a source notebook passes every check). Here, from the
JSON alone: the layout, the metadata, and that no student notebook shows a line of a solution.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

EXERCISES = ROOT / "notebooks" / "exercises"
SOLUTIONS = ROOT / "notebooks" / "solutions"
NAMES = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
QUICK_FLAG = 'QUICK = os.environ.get("MADE_QUICK", "0") == "1"'
REGION = re.compile(r"^[ \t]*(?:###|<!--) BEGIN SOLUTION.*?\n(.*?)^[ \t]*(?:###|<!--) END SOLUTION[^\n]*",
                    flags=re.M | re.S)


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.get("name") == "stdout")


def _solution_lines(source_nb) -> set[str]:
    """Lines (stripped) that the source shows only inside solution regions."""
    inside, outside = set(), set()
    for cell in source_nb.cells:
        regions = REGION.findall(cell.source)
        for region in regions:
            inside |= {line.strip() for line in region.splitlines()}
        outside |= {line.strip() for line in REGION.sub("", cell.source).splitlines()}
    # short lines (`try:`, `return masks`) say nothing about a solution and occur anywhere
    return {line for line in inside - outside if len(line) >= 16 and not line.startswith("#")}


def revealed(source_nb, text: str) -> list[str]:
    """The lines of the source's solutions that ``text`` shows."""
    shown = {line.strip() for line in text.splitlines()}
    return sorted(_solution_lines(source_nb) & shown)


def _shown(path: Path) -> str:
    """What a file shows a reader: a notebook's cell sources and outputs, any other file's text."""
    if path.suffix != ".ipynb":
        return path.read_text("utf-8")
    return _sources(_read(path))


def _sources(nb) -> str:
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") + "".join(v for v in out.get("data", {}).values()
                                                        if isinstance(v, str)))
    return "\n".join(parts)


# ------------------------------------------------------------------ layout
def test_one_source_and_one_student_notebook_per_main_notebook_from_02():
    assert [name[:2] for name in NAMES] == ["02", "03", "04", "05", "06"]
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == NAMES
    assert (EXERCISES / "README.md").is_file()
    # beside the student notebooks: only them and the README
    assert sorted(p.name for p in EXERCISES.iterdir()) == sorted([*NAMES, "README.md"])


def test_at_least_five_exercises_each_with_a_check():
    total = 0
    for name in NAMES:
        for folder in (SOLUTIONS, EXERCISES):
            nb = _read(folder / name)
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
def test_source_cells_carry_nbgrader_metadata(name):
    """Exercise: solution cell with a solution region; check: autograded test with points; think
    answer: manually graded markdown with points and a solution region; anything else read-only."""
    for cell in _read(SOLUTIONS / name).cells:
        meta = _nbgrader(cell)
        assert meta.get("schema_version") == 3 and meta.get("grade_id"), cell.source[:80]
        kind = (meta["grade"], meta["solution"], meta["locked"])
        if cell.metadata.get("exercise"):
            assert cell.cell_type == "code" and kind == (False, True, False)
            assert meta["grade_id"] == cell.metadata["exercise"]
            assert REGION.search(cell.source), f"no ### BEGIN/END SOLUTION region:\n{cell.source}"
        elif cell.metadata.get("check"):
            assert cell.cell_type == "code" and kind == (True, False, True) and meta["points"] > 0
            assert meta["grade_id"] == f"check_{cell.metadata['check']}"
        elif cell.metadata.get("answer"):
            assert cell.cell_type == "markdown" and kind == (True, True, False) and meta["points"] > 0
            assert REGION.search(cell.source) and cell.source.startswith("**Your answer")
        else:
            assert kind == (False, False, True), cell.source[:80]
            assert "BEGIN SOLUTION" not in cell.source


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_stubs_and_prompts_where_the_source_has_solutions(name):
    source, student = _read(SOLUTIONS / name), _read(EXERCISES / name)
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in source.cells]
    for s, t in zip(student.cells, source.cells):
        assert _nbgrader(s).get("grade_id") == _nbgrader(t)["grade_id"]
        if s.metadata.get("exercise"):
            assert "# YOUR CODE HERE" in s.source and "raise NotImplementedError" in s.source
            assert "BEGIN SOLUTION" not in s.source
        elif s.metadata.get("answer"):
            assert "YOUR ANSWER HERE" in s.source and s.source.startswith("**Your answer")
        else:
            assert s.source == t.source


@pytest.mark.parametrize("name", NAMES)
def test_student_notebooks_ship_without_outputs(name):
    for cell in _code(_read(EXERCISES / name)):
        assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata


@pytest.mark.parametrize("name", NAMES)
def test_no_student_notebook_shows_a_solution(name):
    source = _read(SOLUTIONS / name)
    assert len(_solution_lines(source)) >= 2
    beside = [p for p in EXERCISES.iterdir() if p.is_file()]
    for path in beside:
        assert not revealed(source, _shown(path)), path.name


def test_a_shown_solution_line_is_found():
    """The check above can fail: a student notebook with one line of a solution in it is caught."""
    name = NAMES[0]
    source, student = _read(SOLUTIONS / name), _read(EXERCISES / name)
    assert not revealed(source, _sources(student))
    line = sorted(_solution_lines(source))[0]
    cell = next(c for c in student.cells if c.metadata.get("exercise"))
    cell.source = cell.source.replace("# YOUR CODE HERE", "# YOUR CODE HERE\n    " + line)
    assert revealed(source, _sources(student)) == [line]


@pytest.mark.parametrize("name", NAMES)
def test_committed_sources_were_run_and_pass(name):
    """The committed source notebooks carry the outputs of a full top-to-bottom run."""
    cells = _code(_read(SOLUTIONS / name))
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert "mode: full" in _stdout(cells[0])
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
        if cell.metadata.get("check"):
            assert _stdout(cell).startswith("✅"), cell.source


# a row of the README's table: "| | | 2.3 `gaussian_constant(D, variance)` | ... | 2 + 1 by hand |"
POINTS_ROW = re.compile(r"\|.*\| (\d\.\d) (?:`(\w+)\(|experiment).*"
                        r"\| (?:(\d+)(?: \+ (\d+) by hand)?|(\d+) by hand) \|$")


def test_readme_points_match_the_source_notebooks():
    """The points column of the instructors' README is the points in the sources' metadata."""
    readme = (EXERCISES / "README.md").read_text("utf-8")
    auto, by_hand = {}, {}
    for row in readme.splitlines():
        found = POINTS_ROW.match(row)
        if found:
            number, name, points, extra, only_by_hand = found.groups()
            if name:
                auto[name] = int(points)
            if extra or only_by_hand:
                by_hand[number] = int(extra or only_by_hand)
    checks, answers = {}, {}
    for name in NAMES:
        for cell in _read(SOLUTIONS / name).cells:
            if cell.metadata.get("check"):
                checks[cell.metadata["check"]] = _nbgrader(cell)["points"]
            if cell.metadata.get("answer"):
                answers[cell.metadata["answer"]] = _nbgrader(cell)["points"]
    assert auto == checks and by_hand == answers
    total, autograded, manual = map(int, re.search(
        r"(\d+) in all: (\d+) autograded \(the check cells\) and (\d+) graded by hand", readme).groups())
    assert (total, autograded, manual) == (sum(checks.values()) + sum(answers.values()),
                                           sum(checks.values()), sum(answers.values()))
