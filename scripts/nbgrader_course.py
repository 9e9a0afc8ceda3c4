"""The exercise notebooks as an nbgrader course: one source notebook per exercise set, the student copy generated.

``notebooks/solutions/NN_*_exercises.ipynb`` are nbgrader source notebooks (solutions inside
``### BEGIN SOLUTION`` / ``### END SOLUTION``, autograded check cells with points, manually graded
answer cells, every other cell read-only); each is one assignment, ``exNN_<topic>``
(``02_nll_exercises.ipynb`` -> ``ex02_nll``). ``notebooks/exercises/`` holds what
``nbgrader generate_assignment`` makes of them.

    python scripts/nbgrader_course.py setup COURSE_DIR [--course-id ID] [--exchange DIR] [--data-dir DIR]
                                            [--cell-timeout S] [--force]
        a course folder for an instructor: nbgrader_config.py, the students' config and source/<assignment>/<notebook>;
        files that differ from what it writes are replaced only with --force
    python scripts/nbgrader_course.py release [--out notebooks/exercises] [--force]
        ``make assignments``: generate every assignment in a temporary course folder with nbgrader
        and copy the student notebooks, byte for byte, to --out

Written by hand because nbgrader cannot do it: it reads a course folder laid out as
``source/<assignment>/``, while the exercise notebooks sit side by side in ``notebooks/solutions/``.
This script only copies them into that layout and writes the course configuration; everything
else (stubs, read-only cells, checksums, clearing outputs) is nbgrader's ``generate_assignment``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from made_helpers.errors import UserInputError
from made_helpers.experiments import offline_mathjax
from made_helpers.files import check_writable, not_regular

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "solutions"
RELEASE = ROOT / "notebooks" / "exercises"
COURSE_ID = "made"

# seconds one cell may run while nbgrader grades or validates (quick mode, as the guide grades): the slowest
# correct cell, experiment 4.5, took 19 s in quick mode on a 2-core CPU with load 5-7 (154 s in full mode,
# hence the guide's note), the slowest check 1.4 s; a check stops the student's code itself after 60 s
# (made_helpers.exercises._diagnosis.CHECK_TIME_LIMIT_S) with a plain message
CELL_TIMEOUT_S = 120
STUDENT_CONFIG_NAME = "student_nbgrader_config.py"
FEEDBACK_MATHJAX = Path("feedback") / "mathjax"
"""The course's copy of MathJax, beside the feedback pages (``feedback/<student>/<assignment>/<notebook>.html``)."""

MATHJAX_TEMPLATE = """\
{{#- written by scripts/nbgrader_course.py: nbgrader's {page} template calls mathjax(), whose default loads MathJax
    from a CDN; this macro, found first, loads it {where} -#}}
{{%- macro mathjax(url={url!r}) -%}}
{{% raw %}}{config}{{% endraw %}}
{loader}
{{%- endmacro -%}}
"""
MATHJAX_TEMPLATES = {
    "feedback": MATHJAX_TEMPLATE.format(
        page="feedback", where="from the course's copy in feedback/mathjax/ (a relative URL: the feedback folder "
                               "works opened from disk), and from the CDN only where that copy is missing",
        url=f"../../mathjax/MathJax.js?config={offline_mathjax.CONFIG}", config=offline_mathjax.CONFIG_SCRIPT,
        loader=offline_mathjax.fallback_loader("{{ url }}")),
    "formgrade": MATHJAX_TEMPLATE.format(
        page="formgrader's submission", where="from the Jupyter server (jupyter-server-mathjax), under its base URL",
        url=f"static/jupyter_server_mathjax/MathJax.js?config={offline_mathjax.CONFIG}",
        config=offline_mathjax.CONFIG_SCRIPT,
        loader="""<script>document.write('<script src="' + location.pathname.split('/formgrader/')[0] + '/{{ url }}">'
               + '<\\/script>');</script>"""),
}
"""``templates/<template>/mathjax.html.j2`` of the course: nbgrader's templates ``feedback`` and ``formgrade``."""

CONFIG = '''\
# nbgrader configuration of the MADE exercises (written by scripts/nbgrader_course.py)
c = get_config()  # get_config is provided by nbgrader when it reads this file
c.CourseDirectory.course_id = {course_id!r}
# the student notebooks carry neither outputs nor the execution timestamps of the source run
c.ClearOutput.remove_metadata_fields = ["collapsed", "scrolled", "execution", "ExecuteTime"]
# seconds per cell when autograding or validating: the slowest correct cell (experiment 4.5, four small
# trainings) takes about 20 s in quick mode (MADE_QUICK=1) on 2 busy CPU cores; a hang costs this much, then
# grading goes on. Grading 4.5 in full mode (about 150 s on such a machine) needs 300 here.
cell_timeout = {timeout}
c.Execute.timeout = cell_timeout
c.Execute.error_on_timeout = {{
    "ename": "CellTimeoutError", "evalue": "",
    "traceback": [f"Your code ran longer than {{cell_timeout}} s, the limit per cell while grading, and was "
                  "stopped.", "Look for a loop that never ends, or for work done once per pixel or per example",
                  "that could be done for the whole batch at once."]}}
# nbgrader fails a test cell that printed anything to stderr: TensorFlow's C++ start-up log (written
# to the process's stderr, e.g. "failed call to cuInit" on a machine without a GPU) goes to the
# terminal instead of into whichever cell happens to run when it is written
c.Execute.extra_arguments = ["--IPKernelApp.capture_fd_output=False"]
# maths offline: nbgrader's feedback pages and the formgrader load MathJax from a CDN; the course's
# templates/feedback/mathjax.html.j2 and templates/formgrade/mathjax.html.j2, found before nbconvert's, load it
# from feedback/mathjax/ and from the Jupyter server instead (the first folder is nbgrader's own templates)
import os  # noqa: E402
import nbgrader  # noqa: E402
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")]
'''

DATA_DIR_CONFIG = '''\
# MNIST for the grading runs (exercise 4.5), so that no student's feedback page shows a download
import os  # noqa: E402
os.environ.setdefault("MADE_DATA_DIR", {data_dir!r})
'''

STUDENT_CONFIG = '''\
# nbgrader configuration for the students of the MADE exercises (written by scripts/nbgrader_course.py):
# copy it to ~/.jupyter/nbgrader_config.py (each student) or /etc/jupyter/nbgrader_config.py (for all)
c = get_config()  # get_config is provided by nbgrader when it reads this file
c.CourseDirectory.course_id = {course_id!r}
'''


class CourseError(UserInputError):
    """A refused input or output path: printed as one line by ``main``, exit status 2 (as is any
    ``UserInputError`` of ``made_helpers.files``)."""


def assignments(sources: Path = SOURCES) -> dict[str, Path]:
    """``{assignment id: source notebook}``, e.g. ``ex02_nll`` -> ``02_nll_exercises.ipynb``."""
    found = {}
    for path in sorted(sources.glob("[0-9][0-9]_*_exercises.ipynb")):
        found["ex" + path.stem.removesuffix("_exercises")] = path
    if not found:
        raise CourseError(f"no exercise notebooks in {sources}")
    return found


def course_config(course_id: str = COURSE_ID, exchange: Path | None = None, data_dir: Path | None = None,
                  cell_timeout: int = CELL_TIMEOUT_S) -> str:
    """The instructor's ``nbgrader_config.py`` (``cell_timeout``: seconds per cell while grading)."""
    config = CONFIG.format(course_id=course_id, timeout=int(cell_timeout))
    if exchange is not None:
        config += f"c.Exchange.root = {str(exchange.resolve())!r}\n"
    if data_dir is not None:
        config += DATA_DIR_CONFIG.format(data_dir=str(data_dir.resolve()))
    return config


def student_config(course_id: str = COURSE_ID, exchange: Path | None = None) -> str:
    """The students' ``nbgrader_config.py`` (``~/.jupyter/nbgrader_config.py``, or ``/etc/jupyter/`` for all)."""
    config = STUDENT_CONFIG.format(course_id=course_id)
    if exchange is not None:
        config += f"c.Exchange.root = {str(exchange.resolve())!r}\n"
    return config


def _nonempty_path(text: str) -> Path:
    """argparse type: a path, refusing '' (which would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a folder")
    return Path(text)


def check_output_folder(folder: Path, what: str) -> None:
    """Refuse, in one line and before any work, an output ``folder`` that is a file or cannot be written
    (``made_helpers.files.check_writable`` on a file inside it)."""
    if str(folder) == "":
        raise CourseError(f"{what}: an empty path; name a folder")
    problem = not_regular(folder) if os.path.lexists(folder) else None
    if folder.is_file() or problem not in (None, "a folder"):
        raise CourseError(f"{what} {folder} is {problem or 'a file'}, not a folder; name a folder")
    check_writable(folder / ".nbgrader_course-write-test", f"{what} {folder}")


def _same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def refuse_overwrites(files: dict[Path, bytes], force: bool, option: str = "--force") -> dict[Path, bytes]:
    """The files of ``{path: content}`` to write: refuse (one line) to replace any existing file whose content
    differs unless ``force``; files already holding their content are left alone."""
    for path in files:
        if (problem := not_regular(path)) is not None:
            raise CourseError(f"{path} is {problem}, not a file; move it away")
    differ = [path for path, content in files.items() if path.exists() and path.read_bytes() != content]
    if differ and not force:
        names = ", ".join(str(p) for p in differ[:3]) + (f" and {len(differ) - 3} more" if len(differ) > 3 else "")
        raise CourseError(f"would replace {len(differ)} existing file(s) that differ from what this writes "
                          f"({names}); nothing written. Add {option} to replace them (your edits there are lost)")
    return {path: content for path, content in files.items() if not path.exists() or path.read_bytes() != content}


def _write_all(files: dict[Path, bytes]) -> None:
    """Write each file through a temporary file in its folder (an interruption leaves no half-written file)."""
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def make_exchange(exchange: Path) -> None:
    """Create the exchange folder, writable by every user (mode 0o777, as nbgrader's own release makes it);
    an existing one is left as it is (``exchange_status`` says whether students can use it)."""
    if not exchange.exists():
        exchange.mkdir(parents=True)
        os.chmod(exchange, 0o777)        # mkdir's mode is reduced by the umask


def exchange_status(exchange: Path) -> str:
    """One line for the instructor: the exchange folder's mode and whether every user may write to it."""
    mode = exchange.stat().st_mode & 0o777
    if mode & 0o333 != 0o333:
        return (f"exchange folder {exchange} has mode {oct(mode)}: students cannot fetch or submit until every "
                f"user may write to it (chmod 777 {exchange})")
    return f"exchange folder {exchange}: mode {oct(mode)}, every user may write"


def setup(course: Path, course_id: str = COURSE_ID, exchange: Path | None = None, data_dir: Path | None = None,
          force: bool = False, cell_timeout: int = CELL_TIMEOUT_S, mathjax: bool = True) -> dict[str, Path]:
    """Write ``course/nbgrader_config.py``, the students' ``course/student_nbgrader_config.py``, the MathJax
    templates (``MATHJAX_TEMPLATES``) and copy every source notebook to ``course/source/<id>/``; with ``exchange``,
    create that folder (mode 0o777); with ``mathjax``, copy MathJax to ``course/feedback/mathjax/`` (if missing).

    Refuses (``CourseError``, nothing written) to replace a file that differs from what it would write
    unless ``force``: the instructor's edits to the configuration or to the course's sources are kept.
    """
    check_output_folder(course, "course folder")
    if exchange is not None:
        check_output_folder(exchange, "--exchange")
    if data_dir is not None and not data_dir.is_dir():
        raise CourseError(f"--data-dir {data_dir} is not a folder")
    ids = assignments()
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int) or cell_timeout < 1:
        raise CourseError(f"--cell-timeout {cell_timeout!r}: give a whole number of seconds, at least 1")
    files = {course / "nbgrader_config.py": course_config(course_id, exchange, data_dir, cell_timeout).encode(),
             course / STUDENT_CONFIG_NAME: student_config(course_id, exchange).encode()}
    for template, text in MATHJAX_TEMPLATES.items():
        files[course / "templates" / template / "mathjax.html.j2"] = text.encode()
    for assignment, notebook in ids.items():
        files[course / "source" / assignment / notebook.name] = notebook.read_bytes()
    if mathjax:
        offline_mathjax.mathjax_source()      # before writing anything: a missing package is one line
    todo = refuse_overwrites(files, force)
    if exchange is not None:
        make_exchange(exchange)
    course.mkdir(parents=True, exist_ok=True)
    _write_all(todo)
    if mathjax and (force or not (course / FEEDBACK_MATHJAX / "MathJax.js").is_file()):
        offline_mathjax.copy_mathjax(course / FEEDBACK_MATHJAX)
    return ids


def nbgrader_env() -> dict[str, str]:
    """The environment for the ``nbgrader`` command: this Python's scripts folder first on PATH.

    nbgrader runs the ``alembic`` command (installed beside it) when it creates a gradebook.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def nbgrader(course: Path, *args: str, check: bool = True,
             extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course folder with this Python (and ``extra_env`` in its environment)."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                            env={**nbgrader_env(), **(extra_env or {})}, capture_output=True, text=True)
    if check and (result.returncode != 0 or "[ERROR]" in result.stderr or "| ERROR]" in result.stderr):
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def release(out: Path = RELEASE, force: bool = False) -> list[Path]:
    """Generate every assignment with nbgrader in a temporary course folder; copy the notebooks to ``out``.

    ``out`` is checked before nbgrader runs: never the sources' folder (even with ``force``), a writable
    folder, and existing notebooks that differ from the generated ones are replaced only with ``force``.
    """
    check_output_folder(out, "--out")
    if out.exists() and _same_path(out, SOURCES):
        raise CourseError(f"--out {out} is the folder of the source notebooks (the solutions): the student "
                          f"notebooks would replace them; name another folder")
    ids = assignments()
    if not force:
        existing = [out / nb.name for nb in ids.values() if (out / nb.name).exists()]
        if existing and not all(_is_student_notebook(p) for p in existing):
            raise CourseError(f"--out {out} holds notebooks that are not generated student notebooks "
                              f"({', '.join(p.name for p in existing if not _is_student_notebook(p))}); "
                              f"nothing written. Add --force to replace them")
    with tempfile.TemporaryDirectory(prefix="made-course-") as tmp:
        course = Path(tmp)
        setup(course, mathjax=False)
        nbgrader(course, "generate_assignment", "*", "--force")
        files = {}
        for assignment, notebook in ids.items():
            generated = course / "release" / assignment / notebook.name
            if not generated.is_file():
                raise RuntimeError(f"nbgrader wrote no {generated.relative_to(course)}")
            files[out / notebook.name] = generated.read_bytes()
        _write_all(files)
    return list(files)


def _is_student_notebook(path: Path) -> bool:
    """Whether ``path`` is a notebook nbgrader generated for students (no solution region left in it)."""
    if not_regular(path) is not None:             # a FIFO would block the reader
        return False
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return '"nbgrader"' in text and "BEGIN SOLUTION" not in text


def _seconds(text: str) -> int:
    """argparse type: a whole number of seconds, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of seconds, at least 1")
    return value


class _OneLineParser(argparse.ArgumentParser):
    """argparse, with a refused argument reported in one line (no usage block)."""

    def error(self, message: str):
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    parser = _OneLineParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup", help="create an nbgrader course folder with the exercise sets")
    p_setup.add_argument("course", type=_nonempty_path, help="the course folder (created if missing)")
    p_setup.add_argument("--course-id", default=COURSE_ID, help=f"nbgrader's course id (default {COURSE_ID!r})")
    p_setup.add_argument("--exchange", type=_nonempty_path,
                         help="the exchange folder, if not nbgrader's default (created, mode 0o777)")
    p_setup.add_argument("--data-dir", type=_nonempty_path,
                         help="MNIST's folder (MADE_DATA_DIR) for the grading runs (default: $MADE_DATA_DIR "
                              "if set)")
    p_setup.add_argument("--cell-timeout", type=_seconds, default=CELL_TIMEOUT_S,
                         help=f"seconds a cell may run while grading (default {CELL_TIMEOUT_S}; 300 to grade "
                              f"exercise 4.5 in full mode)")
    p_setup.add_argument("--force", action="store_true",
                         help="replace course files that differ from what setup writes (edits there are lost)")
    p_release = sub.add_parser("release", help="regenerate the student notebooks (make assignments)")
    p_release.add_argument("--out", type=_nonempty_path, default=RELEASE, help="where the student notebooks go")
    p_release.add_argument("--force", action="store_true",
                           help="replace notebooks in --out that are not generated student notebooks")
    args = parser.parse_args(argv)
    try:
        if args.command == "setup":
            data_dir = args.data_dir
            if data_dir is None and os.environ.get("MADE_DATA_DIR"):
                data_dir = Path(os.environ["MADE_DATA_DIR"])
            ids = setup(args.course, args.course_id, args.exchange, data_dir, args.force, args.cell_timeout)
            print(f"course folder {args.course}: nbgrader_config.py and source/ with the assignments "
                  f"{', '.join(ids)}")
            if args.exchange is not None:
                print(exchange_status(args.exchange))
            print(f"students' configuration: {args.course / STUDENT_CONFIG_NAME} (each student copies it to "
                  f"~/.jupyter/nbgrader_config.py, or an administrator to /etc/jupyter/nbgrader_config.py)")
            if data_dir is None:
                print("MNIST: no --data-dir and no MADE_DATA_DIR; exercise 4.5 downloads it while grading "
                      "(or falls back to a 5 000-digit subset offline)")
        else:
            for path in release(args.out, args.force):
                print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    except (UserInputError, offline_mathjax.MathJaxMissing) as error:
        print(f"nbgrader_course.py {args.command}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as error:
        print(f"nbgrader_course.py {args.command}: {error.strerror or error}: {error.filename or ''}",
              file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
