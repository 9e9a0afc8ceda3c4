"""Classroom grading with nbgrader, end to end, in a temporary course folder.

The course folder is set up as an instructor does (``scripts/nbgrader_course.py setup``), every
exercise set is generated with ``nbgrader generate_assignment``, and three students hand in each set:

* ``solved``: the source notebook itself (every solution in place),
* ``untouched``: the student notebook exactly as released (every stub left),
* ``mistaken``: the solutions with one typical mistake in one exercise (``MISTAKES``, one per set).

``nbgrader autograde`` grades them in quick mode (``MADE_QUICK=1``: the demos and experiment 4.5 are
smaller; the graded checks are the same) and ``nbgrader generate_feedback`` writes their feedback
pages. Then: the solved sets score every autograded point and leave only the think questions to
grade by hand; the untouched sets score zero on every autograded cell, the grader having run every
notebook to the end with no error but the stubs' ``NotImplementedError``; a mistake costs exactly
its exercise's points and the feedback page shows the check's explanation of that mistake (in
headless Chromium too, for one page). Grading times go to ``test-artifacts/grading/times.txt``.

Also here (fast): the committed student notebooks are exactly what ``make assignments`` generates.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from browser import local_files_page, skip_without_chromium
from conftest import ROOT

EXERCISES = ROOT / "notebooks" / "exercises"
ARTIFACTS = ROOT / "test-artifacts" / "grading"
STUDENTS = ("solved", "untouched", "mistaken")

_spec = importlib.util.spec_from_file_location("nbgrader_course", ROOT / "scripts" / "nbgrader_course.py")
course_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_tool)

# assignment: [(exercise, line of the solution, the line with the mistake, phrase of the check's message)]; the
# "mistaken" student makes every mistake of its set, one per exercise: a typical mistake, and the rules the
# checks test since round 2 (4.1's integer degrees, 5.3's ties, 6.2's unchanged x)
MISTAKES = {
    "ex02_nll": [("bernoulli_nll",
                  "return np.sum(np.logaddexp(0.0, logits) - x * logits, axis=-1)",
                  "p = 1 / (1 + np.exp(-logits.astype(np.float32)))\n"
                  "    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)",
                  "you took log(sigmoid(l))"),
                 ("gaussian_nll",
                  "return np.sum(sq, axis=-1) / (2 * variance) + 0.5 * D * np.log(2 * np.pi * variance)",
                  "return np.sum(sq, axis=-1) / (2 * variance * np.log(2)) + 0.5 * D * np.log2(2 * np.pi * variance)",
                  "Your NLL is in bits")],
    "ex03_autoregressive": [("allowed_connections",
                             "return d[:, None] < d[None, :]",
                             "return d[:, None] <= d[None, :]",
                             "Output j may not see input j itself")],
    "ex04_mask": [("masks_from_degrees",
                   "masks.append((degrees[0][None, :] > degrees[-1][:, None]).astype(np.float32))",
                   "masks.append((degrees[0][None, :] >= degrees[-1][:, None]).astype(np.float32))",
                   "use a strict > for the output mask"),
                  ("input_degrees",
                   "degrees = np.empty(len(ordering), dtype=np.int64)",
                   "degrees = np.empty(len(ordering))",
                   "the task asks for an integer array")],
    "ex05_training": [("ensemble_log_prob",
                       "return log_mean_exp(np.stack(per_mask))",
                       "logits = []\n"
                       "    for k in range(num_masks):\n"
                       "        model.set_mask(k)\n"
                       "        logits.append(np.asarray(model(x), dtype=np.float64))\n"
                       "    model.set_mask(previous)\n"
                       "    mean = np.mean(logits, axis=0)\n"
                       "    return -np.sum(np.logaddexp(0.0, mean) - x * mean, axis=-1)",
                       "You averaged logits over masks"),
                      ("early_stopping",
                       "if value < best:",
                       "if value <= best:",
                       "improvement means strictly below")],
    "ex06_sampling": [("sample_sequential",
                       "for d in model.ordering:",
                       "for d in range(model.input_dim):",
                       "You drew the pixels in index order"),
                      ("complete",
                       "x = np.array(x, dtype=np.float32)            # a copy: the caller's x stays unchanged",
                       "x = np.asarray(x, dtype=np.float32)",
                       "You wrote into the caller's x")],
}


def _with_mistake(source: Path, assignment: str) -> str:
    """The source notebook with every mistake of MISTAKES[assignment] made in its exercise cell."""
    nb = nbformat.read(source, as_version=4)
    for exercise, right, wrong, _ in MISTAKES[assignment]:
        cells = [c for c in nb.cells if c.metadata.get("exercise") == exercise and c.metadata.get("nbgrader", {})
                 .get("solution")]
        assert len(cells) == 1 and cells[0].source.count(right) == 1, f"{assignment}: {right!r} not found once"
        cells[0].source = cells[0].source.replace(right, wrong)
    return nbformat.writes(nb)


def _flat(text: str) -> str:
    """``text`` with each run of white space one space (messages are wrapped to fit the page)."""
    return " ".join(text.split())


def _text(html: str) -> str:
    """The text of an HTML page, roughly: tags dropped, entities decoded."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


class Graded:
    """The course folder after grading, with every grade and the time each step took."""

    def __init__(self, course: Path, notebooks: dict[str, Path]):
        self.course, self.notebooks = course, notebooks
        self.grades: dict[tuple[str, str], dict[str, object]] = {}
        self.times: dict[str, float] = {}

    def autograded(self, student: str, assignment: str):
        return nbformat.read(self.course / "autograded" / student / assignment / self.notebooks[assignment].name,
                             as_version=4)

    def feedback(self, student: str, assignment: str) -> Path:
        return (self.course / "feedback" / student / assignment /
                self.notebooks[assignment].with_suffix(".html").name)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("made-course")
    result = Graded(course, course_tool.setup(course))
    start = time.monotonic()
    course_tool.nbgrader(course, "generate_assignment", "*", "--force")
    result.times["generate_assignment, all sets"] = time.monotonic() - start
    for assignment, source in result.notebooks.items():
        handed_in = {"solved": source.read_text("utf-8"),
                     "untouched": (course / "release" / assignment / source.name).read_text("utf-8"),
                     "mistaken": _with_mistake(source, assignment)}
        for student, text in handed_in.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            (folder / source.name).write_text(text, "utf-8")
    # one nbgrader call for all sets: each call costs a few seconds of start-up
    start = time.monotonic()
    course_tool.nbgrader(course, "autograde", "*", extra_env={"MADE_QUICK": "1"})
    result.times["autograde, all sets, 3 students each"] = time.monotonic() - start
    start = time.monotonic()
    course_tool.nbgrader(course, "generate_feedback", "*")
    result.times["generate_feedback, all sets"] = time.monotonic() - start
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_tool.COURSE_ID) as gb:
        for assignment, source in result.notebooks.items():
            for student in STUDENTS:
                nb = gb.find_submission_notebook(source.stem, assignment, student)
                result.grades[(assignment, student)] = {
                    g.name: {"score": g.score, "max": g.max_score, "auto": g.auto_score,
                             "manual": g.needs_manual_grade, "type": g.cell_type} for g in nb.grades}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "times.txt").write_text("".join(f"{k}: {v:.1f} s\n" for k, v in result.times.items()))
    return result


def _autograded_cells(grades: dict) -> dict:
    return {name: g for name, g in grades.items() if g["type"] == "code"}


# ------------------------------------------------------------------------ the release (nbgrader in a process)
@pytest.mark.slow
def test_committed_student_notebooks_are_what_make_assignments_generates(tmp_path):
    written = course_tool.release(out=tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    for path in written:
        assert path.read_bytes() == (EXERCISES / path.name).read_bytes(), (
            f"notebooks/exercises/{path.name} is not what nbgrader generates from notebooks/solutions/: "
            f"run `make assignments`")


# ------------------------------------------------------------------------ grading (slow)
@pytest.mark.slow
def test_every_set_is_graded_for_every_student(graded):
    assert set(graded.notebooks) == set(MISTAKES)
    for assignment in graded.notebooks:
        for student in STUDENTS:
            assert _autograded_cells(graded.grades[(assignment, student)]), (assignment, student)
            assert graded.feedback(student, assignment).is_file(), (assignment, student)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(MISTAKES))
def test_solved_set_scores_every_autograded_point(graded, assignment):
    grades = graded.grades[(assignment, "solved")]
    for name, g in _autograded_cells(grades).items():
        assert g["max"] > 0 and g["score"] == g["max"] and not g["manual"], (name, g)
    # the think questions wait for the instructor: answered, so flagged for manual grading
    for name, g in grades.items():
        if g["type"] == "markdown":
            assert g["manual"] and g["auto"] is None, (name, g)
    nb = graded.autograded("solved", assignment)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
            if cell.metadata.get("check"):
                assert "".join(o.get("text", "") for o in cell.outputs).startswith("✅"), cell.source
                # nbgrader fails a test cell with any stderr output, a stray log line included
                assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.outputs
    assert "mode: quick" in nb.cells[2].outputs[0].text
    assert "--IPKernelApp.capture_fd_output=False" in (graded.course / "nbgrader_config.py").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(MISTAKES))
def test_untouched_set_scores_zero_and_stops_only_at_stubs(graded, assignment):
    grades = graded.grades[(assignment, "untouched")]
    for name, g in grades.items():
        # unanswered questions are scored 0 by nbgrader itself, without manual grading
        assert g["score"] == 0 and not g["manual"], (name, g)
    nb = graded.autograded("untouched", assignment)
    stubs = {c.metadata["exercise"] for c in nb.cells if c.metadata.get("exercise")}
    assert stubs
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        uses_stub = any(re.search(rf"\b{s}\b", cell.source) for s in stubs | {"MaskedLayer"})
        if not uses_stub:
            assert not errors, f"a cell without stubs failed:\n{cell.source[:200]}\n{errors}"
        for error in errors:
            assert error.ename == "NotImplementedError", (error.ename, error.evalue, cell.source[:200])
        if cell.metadata.get("check"):
            assert errors, f"check.{cell.metadata['check']} passed on the unsolved stub"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(MISTAKES))
def test_a_mistake_costs_its_points_and_the_feedback_explains_it(graded, assignment):
    from made_helpers.exercises import check

    mistaken = {exercise for exercise, *_ in MISTAKES[assignment]}
    grades = _autograded_cells(graded.grades[(assignment, "mistaken")])
    for name, g in grades.items():
        expected = 0 if name.removeprefix("check_") in mistaken else g["max"]
        assert g["score"] == expected, (name, g)
    page = _flat(_text(graded.feedback("mistaken", assignment).read_text("utf-8")))
    solved_page = _flat(_text(graded.feedback("solved", assignment).read_text("utf-8")))
    for exercise, right, wrong, phrase in MISTAKES[assignment]:
        # the phrase is the check's own: the same wrong function, checked here, gives it
        namespace = {}
        exec("import numpy as np\n", namespace)
        cell = next(c for c in nbformat.read(graded.notebooks[assignment], as_version=4).cells
                    if c.metadata.get("exercise") == exercise and c.metadata.get("nbgrader", {}).get("solution"))
        exec(cell.source.replace(right, wrong).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""),
             namespace)
        message = getattr(check, exercise)(namespace[exercise], verbose=False).message
        assert phrase in message, message
        assert _flat(phrase) in page and f"check.{exercise} did not pass" in page
        # the solved student's page has no such explanation
        assert _flat(phrase) not in solved_page


@pytest.mark.slow
@pytest.mark.parametrize("student", ["mistaken", "untouched"])
def test_feedback_pages_show_no_traceback_and_no_machine_path(graded, student):
    for assignment in graded.notebooks:
        page = _text(graded.feedback(student, assignment).read_text("utf-8"))
        assert "Traceback (most recent call last)" not in page, (student, assignment)
        assert str(ROOT) not in page and str(graded.course) not in page, (student, assignment)
        for line in page.splitlines():
            assert "site-packages" not in line and "made_helpers/" not in line, (assignment, line)


@pytest.mark.slow
def test_validate_shows_the_explanation_the_feedback_shows(graded, tmp_path):
    """``nbgrader validate`` (JupyterLab's Validate button) prints the failed check's explanation itself."""
    assignment = "ex03_autoregressive"
    notebook = graded.course / "submitted" / "mistaken" / assignment / graded.notebooks[assignment].name
    copy = tmp_path / notebook.name
    copy.write_bytes(notebook.read_bytes())
    result = course_tool.nbgrader(graded.course, "validate", str(copy), check=False,
                                  extra_env={"MADE_QUICK": "1"})
    out = _flat(result.stdout)
    phrase = MISTAKES[assignment][0][3]
    assert "check.allowed_connections did not pass" in out and _flat(phrase) in out, result.stdout[-3000:]
    assert "Traceback" not in result.stdout and "..." not in _flat(phrase)
    feedback = _flat(_text(graded.feedback("mistaken", assignment).read_text("utf-8")))
    message = out[out.index("❌"):out.index("strict degree[i] < degree[j]") + 30]
    assert message in feedback


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_page_shows_the_explanation_in_chromium(graded):
    skip_without_chromium()
    assignment = "ex04_mask"
    phrase = MISTAKES[assignment][0][3]
    page_path = graded.feedback("mistaken", assignment)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(page_path, ARTIFACTS / page_path.name)

    with local_files_page(1200, 900) as page:
        page.goto(page_path.as_uri(), wait_until="load", timeout=60_000)
        explanation = page.get_by_text(phrase).first
        explanation.scroll_into_view_if_needed(timeout=10_000)
        assert explanation.is_visible()
        box = explanation.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
        body = page.inner_text("body")
        assert _flat(phrase) in _flat(body)
        # every output box shows its lines whole: nothing hidden behind a horizontal scroll
        overflowing = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.output_subarea, .output_subarea pre, .output_area pre'))
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.slice(0, 80))""")
        assert overflowing == [], overflowing
        assert str(ROOT) not in body and str(graded.course) not in body
        # the points: this exercise's check scored 0 of its points
        points = re.search(r"Score:\s*0\.0\s*/\s*(\d+(?:\.\d+)?)", body)
        assert points, body[:2000]
        page.screenshot(path=str(ARTIFACTS / "feedback_ex04_mask.png"), full_page=True)


# ------------------------------------------------------------------------ a hang, stopped by the cell limit (slow)
HANG_LIMIT_S = 20
"""The course's limit per cell for the hang test, lowered from ``CELL_TIMEOUT_S`` through the same setting: above
the 7-10 s the notebook's first cell takes to import TensorFlow on 2 busy cores, which a lower limit would stop."""


class Hung:
    """A course graded under a lowered cell limit: one student, whose exercise cell of 3.1 never ends."""

    def __init__(self, course: Path, source: Path):
        self.course, self.source = course, source
        self.assignment = "ex03_autoregressive"
        self.autograded = course / "autograded" / "hangs" / self.assignment / source.name
        self.feedback = course / "feedback" / "hangs" / self.assignment / source.with_suffix(".html").name


@pytest.fixture(scope="module")
def hung(tmp_path_factory) -> Hung:
    course = tmp_path_factory.mktemp("made-course-hang")
    notebooks = course_tool.setup(course, cell_timeout=HANG_LIMIT_S)
    result = Hung(course, notebooks["ex03_autoregressive"])
    course_tool.nbgrader(course, "generate_assignment", result.assignment)
    nb = nbformat.read(result.source, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("exercise") == "allowed_connections"
                and c.metadata.get("nbgrader", {}).get("solution"))
    cell.source += "\n\nimport time\nwhile True:            # waits for something that never comes\n    time.sleep(0.5)"
    folder = course / "submitted" / "hangs" / result.assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / result.source.name)
    graded = course_tool.nbgrader(course, "autograde", result.assignment, check=False, extra_env={"MADE_QUICK": "1"})
    assert graded.returncode == 0, graded.stderr[-3000:]
    course_tool.nbgrader(course, "generate_feedback", result.assignment)
    return result


@pytest.mark.slow
def test_a_hanging_exercise_cell_is_stopped_with_a_plain_message(hung):
    """One student, one set: the exercise cell of 3.1 ends in a loop that never stops. nbgrader stops it after the
    course's limit, grading goes on, and the feedback says so in plain words: no traceback, no machine path."""
    autograded = nbformat.read(hung.autograded, as_version=4)
    stopped = [(i, o) for i, c in enumerate(autograded.cells) if c.cell_type == "code" for o in c.outputs
               if o.output_type == "error" and o.ename == "CellTimeoutError"]
    # only the hanging cell was stopped (not the first cell's imports), and the cells after it ran
    assert [i for i, _ in stopped] == [autograded.cells.index(next(
        c for c in autograded.cells if c.metadata.get("exercise") == "allowed_connections"))], stopped
    check_cell = next(c for c in autograded.cells if c.metadata.get("check") == "allowed_connections")
    assert "".join(o.get("text", "") for o in check_cell.outputs).startswith("✅"), check_cell.outputs
    page = _text(hung.feedback.read_text("utf-8"))
    assert f"Your code ran longer than {HANG_LIMIT_S} s" in page
    assert "Traceback (most recent call last)" not in page and "KeyboardInterrupt  " not in page
    assert str(hung.course) not in page and str(ROOT) not in page and "site-packages" not in page


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_page_renders_its_maths_offline_in_chromium(hung, tmp_path):
    """The feedback page typesets its maths with the course's MathJax (feedback/mathjax/, copied by setup), with
    every request to anything but a local file refused; the page sent alone asks the CDN instead."""
    skip_without_chromium()
    html = hung.feedback.read_text("utf-8")
    assert "../../mathjax/MathJax.js?config=" in html     # the CDN is only the copy's onerror fallback
    refused: list[str] = []
    with local_files_page(1200, 900, refused=refused) as page:
        page.goto(hung.feedback.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_function("() => window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0",
                               timeout=60_000)
        typeset = page.evaluate("() => document.querySelectorAll('.MathJax, .MathJax_Display').length")
        errors = page.evaluate("() => document.querySelectorAll('.MathJax_Error, merror').length")
        body = page.inner_text("body")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback_maths_offline.png"), full_page=False)
        local_requests = list(refused)
        # the page sent alone (nbgrader release_feedback), without mathjax/ beside it: the CDN, and only then
        alone = tmp_path / "alone.html"
        shutil.copy(hung.feedback, alone)
        page.goto(alone.as_uri(), wait_until="load", timeout=60_000)
        page.wait_for_timeout(500)
    assert typeset > 0 and errors == 0, (typeset, errors)
    assert "$D = 2$" not in body                    # the TeX source is replaced by typeset maths
    assert local_requests == [], local_requests
    from made_helpers.experiments.offline_mathjax import ONLINE_FALLBACK

    assert refused == [ONLINE_FALLBACK], refused
