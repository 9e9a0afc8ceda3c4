"""pyproject.toml and environment.yml must list the same packages with the same version specs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# conda-only entries of environment.yml with no pyproject counterpart
EXEMPT = {"python", "pip"}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*(?:;.*)?$")


def normalise_name(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, str]:
    """``"numpy >= 1.26, <3"`` -> ``("numpy", ">=1.26,<3")`` (specifiers sorted, spaces dropped)."""
    match = _REQUIREMENT.match(text)
    if not match:
        raise ValueError(f"cannot parse requirement {text!r}")
    name, spec = match.groups()
    parts = sorted(p.replace(" ", "") for p in spec.split(",") if p.strip())
    return normalise_name(name), ",".join(parts)


def pyproject_requirements(path: Path) -> dict[str, str]:
    """Name -> spec for ``[project] dependencies`` and every optional-dependency extra."""
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    entries = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        entries.extend(extra)
    return _collect(entries, path.name)


def environment_requirements(path: Path) -> dict[str, str]:
    """Name -> spec for the conda ``dependencies:`` list, skipping the nested ``pip:`` block.

    A small hand parser for the flat YAML list this project uses (PyYAML is not a dependency).
    """
    entries: list[str] = []
    in_dependencies = False
    top_indent = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_dependencies = line.strip() == "dependencies:"
            continue
        if not in_dependencies:
            continue
        item = line.strip()
        if not item.startswith("- "):
            continue                                    # a nested mapping value
        if top_indent is None:
            top_indent = indent
        if indent != top_indent:
            continue                                    # inside "- pip:" (e.g. "-e .")
        item = item[2:].strip().strip("'\"")
        if item.endswith(":"):
            continue                                    # "- pip:" opens the pip block
        entries.append(item)
    return _collect(entries, path.name)


def _collect(entries: list[str], source: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in entries:
        name, spec = parse_requirement(entry)
        if name in found and found[name] != spec:
            raise ValueError(f"{source}: {name} listed twice with different specs")
        found[name] = spec
    return found


def compare(pyproject: dict[str, str], environment: dict[str, str]) -> list[str]:
    """Every disagreement as a readable line (empty list: consistent)."""
    problems = []
    env = {k: v for k, v in environment.items() if k not in EXEMPT}
    for name in sorted(set(pyproject) - set(env)):
        problems.append(f"{name} is in pyproject.toml but not in environment.yml")
    for name in sorted(set(env) - set(pyproject)):
        problems.append(f"{name} is in environment.yml but not in pyproject.toml")
    for name in sorted(set(pyproject) & set(env)):
        if pyproject[name] != env[name]:
            problems.append(f"{name}: pyproject.toml says {pyproject[name]!r}, "
                            f"environment.yml says {env[name]!r}")
    return problems


def test_pyproject_and_environment_agree():
    pyproject = pyproject_requirements(ROOT / "pyproject.toml")
    environment = environment_requirements(ROOT / "environment.yml")
    assert "tensorflow" in pyproject and "tensorflow" in environment
    assert "python" in environment
    problems = compare(pyproject, environment)
    assert not problems, "\n".join(problems)


def test_environment_pins_the_python_the_project_supports():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    python = environment_requirements(ROOT / "environment.yml")["python"]
    minimum = tuple(int(v) for v in re.search(r">=\s*([\d.]+)", requires).group(1).split("."))
    pinned = tuple(int(v) for v in re.search(r"([\d.]+)", python).group(1).split("."))
    assert pinned >= minimum, f"environment.yml python {python} is older than requires-python {requires}"


@pytest.mark.parametrize("text,expected", [
    ("numpy>=1.26", ("numpy", ">=1.26")),
    ("Jupyter_Lab >= 4.1, <5", ("jupyter-lab", "<5,>=4.1")),
    ("keras<4,>=3.0", ("keras", "<4,>=3.0")),
    ("mlxtend==0.25.0", ("mlxtend", "==0.25.0")),
    ("tqdm", ("tqdm", "")),
    ("pkg[extra]>=1 ; python_version<'3.12'", ("pkg", ">=1")),
])
def test_parse_requirement(text, expected):
    assert parse_requirement(text) == expected


def test_compare_reports_each_kind_of_disagreement(tmp_path):
    """The checker itself can fail: missing packages and differing specs are all reported."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["numpy>=1.26", "tqdm>=4"]\n'
        '[project.optional-dependencies]\ntest = ["pytest>=8.0"]\n')
    (tmp_path / "environment.yml").write_text(
        "name: x\ndependencies:\n  - python=3.11\n  - pip\n  - numpy>=1.20\n  - pytest>=8.0\n"
        "  - scipy\n  - pip:\n      - -e .\n")
    problems = compare(pyproject_requirements(tmp_path / "pyproject.toml"),
                       environment_requirements(tmp_path / "environment.yml"))
    assert problems == [
        "tqdm is in pyproject.toml but not in environment.yml",
        "scipy is in environment.yml but not in pyproject.toml",
        "numpy: pyproject.toml says '>=1.26', environment.yml says '>=1.20'",
    ]
