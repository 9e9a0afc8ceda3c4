"""The exercise notebooks as an nbgrader course: one source notebook per exercise set, the student copy generated.

``notebooks/solutions/NN_*_exercises.ipynb`` are nbgrader source notebooks (solutions inside
``### BEGIN SOLUTION`` / ``### END SOLUTION``, autograded check cells with points, manually graded
answer cells, every other cell read-only); each is one assignment, ``exNN_<topic>``
(``02_nll_exercises.ipynb`` -> ``ex02_nll``). ``notebooks/exercises/`` holds what
``nbgrader generate_assignment`` makes of them.

    python scripts/nbgrader_course.py setup COURSE_DIR [--course-id ID] [--exchange DIR]
        a course folder for an instructor: nbgrader_config.py and source/<assignment>/<notebook>
    python scripts/nbgrader_course.py release [--out notebooks/exercises]
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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "solutions"
RELEASE = ROOT / "notebooks" / "exercises"
COURSE_ID = "made"

CONFIG = '''\
# nbgrader configuration of the MADE exercises (written by scripts/nbgrader_course.py)
c = get_config()  # get_config is provided by nbgrader when it reads this file
c.CourseDirectory.course_id = {course_id!r}
# the student notebooks carry neither outputs nor the execution timestamps of the source run
c.ClearOutput.remove_metadata_fields = ["collapsed", "scrolled", "execution", "ExecuteTime"]
# seconds per cell when autograding: experiment 4.5 trains four small models (about a minute in
# full mode on 2 CPU cores; nbgrader's default, 30 s, would stop it)
c.Execute.timeout = 300
# nbgrader fails a test cell that printed anything to stderr: TensorFlow's C++ start-up log (written
# to the process's stderr, e.g. "failed call to cuInit" on a machine without a GPU) goes to the
# terminal instead of into whichever cell happens to run when it is written
c.Execute.extra_arguments = ["--IPKernelApp.capture_fd_output=False"]
'''


def assignments(sources: Path = SOURCES) -> dict[str, Path]:
    """``{assignment id: source notebook}``, e.g. ``ex02_nll`` -> ``02_nll_exercises.ipynb``."""
    found = {}
    for path in sorted(sources.glob("[0-9][0-9]_*_exercises.ipynb")):
        found["ex" + path.stem.removesuffix("_exercises")] = path
    if not found:
        raise SystemExit(f"no exercise notebooks in {sources}")
    return found


def setup(course: Path, course_id: str = COURSE_ID, exchange: Path | None = None) -> dict[str, Path]:
    """Write ``course/nbgrader_config.py`` and copy every source notebook to ``course/source/<id>/``."""
    course.mkdir(parents=True, exist_ok=True)
    config = CONFIG.format(course_id=course_id)
    if exchange is not None:
        config += f"c.Exchange.root = {str(exchange.resolve())!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    ids = assignments()
    for assignment, notebook in ids.items():
        (course / "source" / assignment).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, course / "source" / assignment / notebook.name)
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


def release(out: Path = RELEASE) -> list[Path]:
    """Generate every assignment with nbgrader in a temporary course folder; copy the notebooks to ``out``."""
    written = []
    with tempfile.TemporaryDirectory(prefix="made-course-") as tmp:
        course = Path(tmp)
        ids = setup(course)
        nbgrader(course, "generate_assignment", "*", "--force")
        for assignment, notebook in ids.items():
            generated = course / "release" / assignment / notebook.name
            if not generated.is_file():
                raise RuntimeError(f"nbgrader wrote no {generated.relative_to(course)}")
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(generated, out / notebook.name)
            written.append(out / notebook.name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup", help="create an nbgrader course folder with the exercise sets")
    p_setup.add_argument("course", type=Path, help="the course folder (created if missing)")
    p_setup.add_argument("--course-id", default=COURSE_ID, help=f"nbgrader's course id (default {COURSE_ID!r})")
    p_setup.add_argument("--exchange", type=Path, help="the exchange folder, if not nbgrader's default")
    p_release = sub.add_parser("release", help="regenerate the student notebooks (make assignments)")
    p_release.add_argument("--out", type=Path, default=RELEASE, help="where the student notebooks go")
    args = parser.parse_args(argv)
    if args.command == "setup":
        ids = setup(args.course, args.course_id, args.exchange)
        print(f"course folder {args.course}: nbgrader_config.py and source/ with the assignments "
              f"{', '.join(ids)}")
    else:
        for path in release(args.out):
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
