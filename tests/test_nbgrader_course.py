"""``scripts/nbgrader_course.py``: what it refuses (one line, exit 2, nothing lost or written elsewhere), what
``setup`` writes for the instructor and the students, and the student side of a course through an exchange folder.

The refusals are the reproductions B001, B002, B003, B008, B009 and B010 of the third robustness probe: a
course folder or ``--out`` that is a file or empty, ``setup`` run again over an instructor's edits, and
``release --out`` naming the source notebooks.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

SCRIPT = ROOT / "scripts" / "nbgrader_course.py"
SOURCES = ROOT / "notebooks" / "solutions"

_spec = importlib.util.spec_from_file_location("nbgrader_course", SCRIPT)
course_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course_tool)


def run_script(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def assert_one_line_refusal(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------ refusals (B001-B003, B008-B010)
def test_setup_refuses_a_course_folder_that_is_a_file(tmp_path):         # B001
    (tmp_path / "keep.json").write_text('{"keep": 1}')
    assert_one_line_refusal(run_script("setup", "keep.json", cwd=tmp_path), "keep.json", "is a file")
    assert snapshot(tmp_path) == {"keep.json": b'{"keep": 1}'}


def test_output_folders_are_checked_by_the_packages_file_rules(tmp_path):
    """A FIFO where a folder is expected is named as such (made_helpers.files), for setup and release."""
    os.mkfifo(tmp_path / "pipe")
    assert_one_line_refusal(run_script("setup", "pipe", cwd=tmp_path), "course folder pipe is a FIFO")
    assert_one_line_refusal(run_script("release", "--out", "pipe/sub", cwd=tmp_path), "pipe is a FIFO")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_setup_refuses_an_empty_course_path(tmp_path):                    # B002
    assert_one_line_refusal(run_script("setup", "", cwd=tmp_path), "empty path")
    assert_one_line_refusal(run_script("setup", "c", "--exchange", "", cwd=tmp_path), "empty path")
    assert not list(tmp_path.iterdir())


def test_setup_again_keeps_the_instructors_edits_unless_forced(tmp_path):     # B003
    assert run_script("setup", "course1", cwd=tmp_path).returncode == 0
    course = tmp_path / "course1"
    config, source = course / "nbgrader_config.py", course / "source" / "ex02_nll" / "02_nll_exercises.ipynb"
    # the same setup again changes nothing and succeeds
    before = snapshot(course)
    assert run_script("setup", "course1", cwd=tmp_path).returncode == 0
    assert snapshot(course) == before
    with config.open("a") as handle:
        handle.write("c.CourseDirectory.db_url = 'sqlite:///my.db'  # instructor edit\n")
    source.write_text('{"edited": true}')
    edited = snapshot(course)
    assert_one_line_refusal(run_script("setup", "course1", cwd=tmp_path), "--force", "nbgrader_config.py")
    assert snapshot(course) == edited
    assert run_script("setup", "course1", "--force", cwd=tmp_path).returncode == 0
    assert "instructor edit" not in config.read_text()
    assert source.read_bytes() == (SOURCES / source.name).read_bytes()


def test_release_refuses_the_source_folder_even_with_force(tmp_path):       # B008
    before = snapshot(SOURCES)
    for extra in ((), ("--force",)):
        assert_one_line_refusal(run_script("release", "--out", str(SOURCES), *extra, cwd=tmp_path),
                                "source notebooks")
        # the same folder under another name
        assert_one_line_refusal(run_script("release", "--out", "notebooks/../notebooks/solutions", *extra,
                                           cwd=ROOT), "source notebooks")
    assert snapshot(SOURCES) == before


def test_release_refuses_a_folder_holding_solutions_without_force(tmp_path, monkeypatch):   # B008, the class
    copy = tmp_path / "solutions_copy"
    copy.mkdir()
    (copy / "02_nll_exercises.ipynb").write_bytes((SOURCES / "02_nll_exercises.ipynb").read_bytes())
    monkeypatch.setattr(course_tool, "nbgrader", _no_nbgrader)
    with pytest.raises(course_tool.CourseError, match="not generated student notebooks"):
        course_tool.release(copy)
    assert (copy / "02_nll_exercises.ipynb").read_bytes() == (SOURCES / "02_nll_exercises.ipynb").read_bytes()


def _no_nbgrader(*args, **kwargs):
    raise AssertionError("nbgrader ran before the output path was checked")


def test_release_refuses_an_out_that_is_a_file_before_any_work(tmp_path, monkeypatch):     # B009
    (tmp_path / "keep.json").write_text('{"keep": 1}')
    assert_one_line_refusal(run_script("release", "--out", "keep.json", cwd=tmp_path), "keep.json", "is a file")
    assert_one_line_refusal(run_script("release", "--out", "keep.json/sub", cwd=tmp_path), "is a file")
    assert snapshot(tmp_path) == {"keep.json": b'{"keep": 1}'}
    # checked before nbgrader starts (it used to fail after about 12 s of generating)
    monkeypatch.setattr(course_tool, "nbgrader", _no_nbgrader)
    with pytest.raises(course_tool.CourseError, match="is a file"):
        course_tool.release(tmp_path / "keep.json")


def test_release_refuses_an_empty_out(tmp_path):                          # B010
    assert_one_line_refusal(run_script("release", "--out", "", cwd=tmp_path), "empty path")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------ what setup writes
def test_setup_creates_the_exchange_for_every_user_and_the_students_config(tmp_path):
    result = run_script("setup", "course", "--exchange", "exchange", "--course-id", "made-2025",
                        "--data-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    exchange = tmp_path / "exchange"
    assert exchange.is_dir() and exchange.stat().st_mode & 0o777 == 0o777
    assert "every user may write" in result.stdout
    student = (tmp_path / "course" / course_tool.STUDENT_CONFIG_NAME).read_text()
    namespace = {"get_config": _FakeConfig}
    exec(student, namespace)
    c = namespace["c"]
    assert c.CourseDirectory.course_id == "made-2025" and c.Exchange.root == str(exchange.resolve())
    instructor = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert f"cell_timeout = {course_tool.CELL_TIMEOUT_S}\nc.Execute.timeout = cell_timeout" in instructor
    assert repr(str(tmp_path.resolve())) in instructor and "MADE_DATA_DIR" in instructor
    # an existing exchange folder that students cannot write to is named, with the fix
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    os.chmod(locked, 0o755)
    result = run_script("setup", "course2", "--exchange", "locked", cwd=tmp_path)
    assert result.returncode == 0 and "chmod 777" in result.stdout


def test_setup_writes_the_cell_limit_given_and_refuses_a_bad_one(tmp_path):
    assert run_script("setup", "course", "--cell-timeout", "300", cwd=tmp_path).returncode == 0
    config = (tmp_path / "course" / "nbgrader_config.py").read_text()
    assert "cell_timeout = 300\nc.Execute.timeout = cell_timeout" in config
    for bad in ("0", "-5", "2.5", "soon"):
        assert_one_line_refusal(run_script("setup", "other", "--cell-timeout", bad, cwd=tmp_path), "--cell-timeout")
    assert not (tmp_path / "other").exists()


class _FakeConfig:
    """Enough of traitlets' config for ``c.Section.option = value`` in a config file."""

    def __init__(self):
        self.__dict__["_sections"] = {}

    def __getattr__(self, name):
        return self._sections.setdefault(name, type("Section", (), {})())


# ------------------------------------------------------------------------ the student side
@pytest.mark.slow
def test_a_student_fetches_and_submits_through_the_exchange(tmp_path):
    """The guide's steps 1-3 as instructor and student: setup --exchange, release, fetch, submit, collect.

    The student is the same system user (nbgrader knows students by their system user name) with another
    home folder, configured only by the students' config that setup wrote."""
    from nbgrader.utils import get_username

    exchange = tmp_path / "exchange"
    assert run_script("setup", "course", "--exchange", str(exchange), cwd=tmp_path).returncode == 0
    course = tmp_path / "course"
    assignment, notebook = "ex03_autoregressive", "03_autoregressive_exercises.ipynb"
    course_tool.nbgrader(course, "generate_assignment", assignment)
    course_tool.nbgrader(course, "release_assignment", assignment)
    home, work = tmp_path / "home", tmp_path / "work"
    (home / ".jupyter").mkdir(parents=True)
    work.mkdir()
    (home / ".jupyter" / "nbgrader_config.py").write_bytes((course / course_tool.STUDENT_CONFIG_NAME).read_bytes())
    student_env = {"HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")}
    listed = course_tool.nbgrader(work, "list", extra_env=student_env)
    assert assignment in listed.stdout + listed.stderr
    course_tool.nbgrader(work, "fetch_assignment", assignment, extra_env=student_env)
    fetched = work / assignment / notebook
    assert fetched.read_bytes() == (ROOT / "notebooks" / "exercises" / notebook).read_bytes()
    nb = nbformat.read(fetched, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("handed in by alice"))
    nbformat.write(nb, fetched)
    course_tool.nbgrader(work, "submit", assignment, extra_env=student_env)
    course_tool.nbgrader(course, "collect", assignment)
    submitted = course / "submitted" / get_username() / assignment / notebook
    assert "handed in by alice" in submitted.read_text("utf-8")
