"""pyproject.toml and environment.yml must list the same packages with the same version specs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:                                                   # Python 3.10: the test extra installs tomli
    import tomli as tomllib

# conda-only entries of environment.yml with no pyproject counterpart
EXEMPT = {"python", "pip"}
# conda-forge name -> PyPI name, where the two differ
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def parse_requirement(text: str, python_version: str | None = None) -> tuple[str, SpecifierSet] | None:
    """``"numpy >= 1.26, <3"`` -> ``("numpy", SpecifierSet("<3,>=1.26"))`` (PEP 508, via ``packaging``).

    Returns ``None`` for a requirement whose environment marker is false for ``python_version``
    (e.g. ``tomli; python_version < '3.11'`` in a Python 3.11 environment).
    """
    req = Requirement(text)
    if req.marker is not None and python_version is not None:
        if not req.marker.evaluate({"python_version": python_version, "python_full_version": python_version + ".0"}):
            return None
    name = canonicalize_name(req.name)
    return CONDA_TO_PYPI.get(name, name), req.specifier


def pyproject_requirements(path: Path, python_version: str | None = None) -> dict[str, SpecifierSet]:
    """Name -> specifiers for ``[project] dependencies`` and every optional-dependency extra."""
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    entries = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        entries.extend(extra)
    return _collect(entries, path.name, python_version)


def environment_dependencies(path: Path) -> list:
    """The conda ``dependencies:`` list of an environment file (strings, and the ``{"pip": [...]}`` block)."""
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("dependencies") or []


def environment_python(path: Path) -> str:
    """The ``major.minor`` Python version pinned by ``- python=3.11`` (or ``python>=3.11``)."""
    for entry in environment_dependencies(path):
        if isinstance(entry, str) and re.match(r"python\b", entry) and not entry.startswith("python-"):
            return re.search(r"(\d+\.\d+)", entry).group(1)
    raise ValueError(f"{path.name}: no python entry")


def environment_requirements(path: Path) -> dict[str, SpecifierSet]:
    """Name -> specifiers for the conda packages (``python``, ``pip`` and the nested ``pip:`` block skipped)."""
    entries = [e for e in environment_dependencies(path)
               if isinstance(e, str) and re.split(r"[=<>!~ \[]", e, maxsplit=1)[0] not in EXEMPT]
    return _collect(entries, path.name, None)


def _collect(entries: list[str], source: str, python_version: str | None) -> dict[str, SpecifierSet]:
    found: dict[str, SpecifierSet] = {}
    for entry in entries:
        parsed = parse_requirement(entry, python_version)
        if parsed is None:
            continue
        name, spec = parsed
        if name in found and found[name] != spec:
            raise ValueError(f"{source}: {name} listed twice with different specs")
        found[name] = spec
    return found


def compare(pyproject: dict[str, SpecifierSet], environment: dict[str, SpecifierSet]) -> list[str]:
    """Every disagreement as a readable line (empty list: consistent)."""
    problems = []
    for name in sorted(set(pyproject) - set(environment)):
        problems.append(f"{name} is in pyproject.toml but not in environment.yml")
    for name in sorted(set(environment) - set(pyproject)):
        problems.append(f"{name} is in environment.yml but not in pyproject.toml")
    for name in sorted(set(pyproject) & set(environment)):
        if pyproject[name] != environment[name]:
            problems.append(f"{name}: pyproject.toml says {str(pyproject[name])!r}, "
                            f"environment.yml says {str(environment[name])!r}")
    return problems


def test_pyproject_and_environment_agree():
    python = environment_python(ROOT / "environment.yml")
    pyproject = pyproject_requirements(ROOT / "pyproject.toml", python)
    environment = environment_requirements(ROOT / "environment.yml")
    assert "tensorflow" in pyproject and "tensorflow" in environment
    problems = compare(pyproject, environment)
    assert not problems, "\n".join(problems)


def test_environment_installs_the_project_with_pip():
    blocks = [e["pip"] for e in environment_dependencies(ROOT / "environment.yml") if isinstance(e, dict)]
    assert blocks == [["-e ."]]


def test_environment_pins_the_python_the_project_supports():
    requires = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    python = environment_python(ROOT / "environment.yml")
    assert python in requires, f"environment.yml python {python} is outside requires-python {requires}"


@pytest.mark.parametrize("text,expected", [
    ("numpy>=1.26", ("numpy", ">=1.26")),
    ("Jupyter_Lab >= 4.1, <5", ("jupyter-lab", "<5,>=4.1")),
    ("keras<4,>=3.0", ("keras", "<4,>=3.0")),
    ("pytest", ("pytest", "")),
    ("pkg[extra]>=1 ; python_version<'3.12'", ("pkg", ">=1")),
    ("playwright-python>=1.45", ("playwright", ">=1.45")),
])
def test_parse_requirement(text, expected):
    name, spec = parse_requirement(text)
    assert (name, str(spec)) == expected


def test_markers_follow_the_environment_python():
    assert parse_requirement("tomli>=2.0; python_version < '3.11'", "3.11") is None
    assert parse_requirement("tomli>=2.0; python_version < '3.11'", "3.10") == ("tomli", SpecifierSet(">=2.0"))


def test_compare_reports_each_kind_of_disagreement(tmp_path):
    """The checker itself can fail: missing packages and differing specs are all reported."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["numpy>=1.26", "rich>=4"]\n'
        '[project.optional-dependencies]\ntest = ["pytest>=8.0"]\n')
    (tmp_path / "environment.yml").write_text(
        "name: x\ndependencies:\n  - python=3.11\n  - pip\n  - numpy>=1.20\n  - pytest>=8.0\n"
        "  - scipy\n  - pip:\n      - -e .\n")
    problems = compare(pyproject_requirements(tmp_path / "pyproject.toml"),
                       environment_requirements(tmp_path / "environment.yml"))
    assert problems == [
        "rich is in pyproject.toml but not in environment.yml",
        "scipy is in environment.yml but not in pyproject.toml",
        "numpy: pyproject.toml says '>=1.26', environment.yml says '>=1.20'",
    ]


def test_the_version_is_written_once():
    """``made_helpers.__version__`` is read from the installed metadata, i.e. from pyproject.toml."""
    from importlib.metadata import version

    import made_helpers

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version("made-tutorial") == declared == made_helpers.__version__
    init = (ROOT / "made_helpers" / "__init__.py").read_text()
    assert declared not in init, "the version is written in made_helpers/__init__.py too"


# ----------------------------------------------------------------------------- constraints.txt
def read_constraints(path: Path = ROOT / "constraints.txt") -> dict[str, str]:
    """Canonical name -> pinned version of each ``name==version`` line."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(name)] = version
    return pins


def _write_constraints():
    """scripts/write_constraints.py as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("write_constraints", ROOT / "scripts" / "write_constraints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_constraints_pin_every_direct_dependency_within_its_range():
    python = ".".join(map(str, sys.version_info[:2]))
    pins = read_constraints()
    problems = []
    for name, spec in pyproject_requirements(ROOT / "pyproject.toml", python).items():
        if name not in pins:
            problems.append(f"{name} is not pinned in constraints.txt")
        elif not spec.contains(pins[name], prereleases=True):
            problems.append(f"{name}=={pins[name]} is outside pyproject.toml's {spec}")
    assert not problems, "\n".join(problems) + "\n(regenerate: python scripts/write_constraints.py)"


def test_constraints_pin_what_produced_the_committed_results():
    """The results files record the versions that computed them: the constraints pin those."""
    pins = read_constraints()
    results = sorted((ROOT / "results").glob("*.json"))
    recorded = [(path.name, json.loads(path.read_text())["machine"]) for path in results]
    assert recorded, "no results files with a machine record"
    for name, machine in recorded:
        for package in ("tensorflow", "keras", "numpy"):
            assert machine[package] == pins[package], (name, package, machine[package], pins[package])
    pythons = {machine["python"] for _, machine in recorded}
    header = (ROOT / "constraints.txt").read_text().splitlines()[0]
    assert len(pythons) == 1 and f"(Python {pythons.pop()})" in header, (pythons, header)


def test_constraints_cover_every_package_the_project_needs_here():
    """What pyproject.toml asks for and all they require, as installed here, is pinned (no package left to
    the resolver's newest)."""
    script = _write_constraints()
    project, requirements = script.project_requirements()
    missing = sorted(script.dependency_closure(requirements) - {project} - set(read_constraints()))
    assert not missing, f"not in constraints.txt: {missing} (regenerate: python scripts/write_constraints.py)"


def test_the_library_imports_only_what_pip_install_dot_installs():
    """Every import in made_helpers comes with the package's own dependencies (not an extra), except the
    optional ones inside ``try: ... except ImportError`` (scipy for MATLAB files, ipywidgets for the
    mask explorer of the lab extra)."""
    import ast
    from importlib.metadata import packages_distributions

    script = _write_constraints()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = [Requirement(text) for text in project["dependencies"]]
    allowed = script.dependency_closure(core)
    providers = packages_distributions()
    problems = []
    for path in sorted((ROOT / "made_helpers").rglob("*.py")):
        tree = ast.parse(path.read_text())
        optional = {id(node) for t in ast.walk(tree) if isinstance(t, ast.Try)
                    and any("ImportError" in ast.unparse(h.type or ast.Name("BaseException")) for h in t.handlers)
                    for stmt in t.body for node in ast.walk(stmt)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for top in {m.split(".")[0] for m in modules}:
                if top in sys.stdlib_module_names or top == "made_helpers" or id(node) in optional:
                    continue
                dists = {canonicalize_name(d) for d in providers.get(top, [])}
                if not dists & allowed:
                    found = ", ".join(sorted(dists)) or "not installed"
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: import {top} ({found}) is not a "
                                    f"dependency of the package")
    assert not problems, "\n".join(problems)
