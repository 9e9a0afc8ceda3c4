"""Write constraints.txt: the exact versions, from this environment, of every package the project needs.

    .venv/bin/python scripts/write_constraints.py          # after an upgrade that produced new outputs

The packages are those ``pyproject.toml`` asks for (the library and every extra) and, recursively,
what they require, each with the version ``pip freeze`` reports here; the project itself is left
out. The Makefile installs with ``pip install -c constraints.txt``, so a new ``.venv`` gets the
versions that produced the committed notebooks and results.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:                                                   # Python 3.10: the test extra installs tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
HEADER = """\
# The exact versions (Python {python}) that produced the committed notebooks and results: every package
# pyproject.toml asks for (library and extras) and what those require, from `pip freeze`.
# Used by the Makefile (pip install -c constraints.txt); regenerate with scripts/write_constraints.py.
"""


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> tuple[str, list[Requirement]]:
    """``(project name, requirements)``: ``[project] dependencies`` and every optional-dependency extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    texts = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        texts.extend(extra)
    return canonicalize_name(project["name"]), [Requirement(text) for text in texts]


def dependency_closure(requirements: list[Requirement]) -> set[str]:
    """The canonical names of ``requirements`` and everything they require here, recursively.

    Markers are evaluated for this interpreter (with each requirement's extras); a requirement that
    is not installed here raises ``PackageNotFoundError``.
    """
    seen: set[str] = set()
    todo = [(req, "") for req in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**default_environment(), "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        extras = sorted(req.extras)
        key = f"{name}[{','.join(extras)}]"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            sub = Requirement(text)
            for e in extras or [""]:
                todo.append((sub, e))
    return {key.split("[")[0] for key in seen}


def frozen() -> dict[str, str]:
    """Canonical name -> ``name==version`` line of ``pip freeze`` (editable installs left out)."""
    out = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], check=True, capture_output=True,
                         text=True).stdout
    pins = {}
    for line in out.splitlines():
        if "==" in line and not line.startswith(("#", "-e ")):
            pins[canonicalize_name(line.split("==")[0])] = line.strip()
    return pins


def constraints_text() -> str:
    """The text of constraints.txt for this environment."""
    project, requirements = project_requirements()
    closure = dependency_closure(requirements) - {project}
    pins = frozen()
    missing = sorted(closure - set(pins))
    if missing:
        raise SystemExit(f"not pinned by pip freeze (editable or not installed?): {', '.join(missing)}")
    python = ".".join(map(str, sys.version_info[:3]))
    return HEADER.format(python=python) + "".join(f"{pins[name]}\n" for name in sorted(closure))


if __name__ == "__main__":
    CONSTRAINTS.write_text(constraints_text(), encoding="utf-8")
    print(f"wrote {CONSTRAINTS.relative_to(ROOT)}")
