"""The package's layout is its architecture (issue 31, item 5), checked on the source's import statements:

* layering: the root (``made_helpers/*.py``) <- ``core`` <- ``density`` <- ``experiments``; ``exercises`` imports
  the root and ``core`` only; nothing imports ``exercises``. A module imports only from its own part or from parts
  to its left, never upward, not even inside a function. Every ``import`` and ``from ... import`` is read, at any
  depth, relative or absolute; ``from made_helpers import MADE`` counts as an import of the module that
  ``made_helpers/__init__.py``'s lazy ``_FROM`` map names. The one exception is ``__main__.py`` (``python -m
  made_helpers``: the command line's entry point); the root ``__init__.py`` names sub-packages only as strings.
* no import cycle among the modules' module-level imports, nor among all their imports (strongly connected
  components of the import graph);
* every file under ``made_helpers/`` lies in a part that the README's layout section names;
* the README's layout section names every module, and every module path or dotted name it gives exists;
* one atomic write (``atomic.py``) and one number check (``checks.py``): no copy elsewhere in the package.

Each checker takes the package folder, so that the "can fail" tests run it on a doctored copy in ``tmp_path``.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "made_helpers"
README = ROOT / "README.md"

ALLOWED = {                                  # part -> the parts its modules may import
    "root": {"root"},
    "core": {"root", "core"},
    "density": {"root", "core", "density"},
    "experiments": {"root", "core", "density", "experiments"},
    "exercises": {"root", "core", "exercises"},
}
EXCEPTIONS = {"__main__"}
"""Modules (dotted, without the package name) exempt from the layering: ``python -m made_helpers`` runs the CLI."""


# ------------------------------------------------------------------------------------------------ the import graph
def modules(package: Path) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (``made_helpers.core.model``; a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def part(module: str) -> str:
    """The layer of a dotted module name: ``root``, ``core``, ``density``, ``experiments`` or ``exercises``."""
    names = module.split(".")
    if len(names) > 1 and names[1] in ALLOWED:
        return names[1]
    return "root"


def _lazy_names(package: Path) -> dict[str, str]:
    """The root ``__init__.py``'s ``_FROM`` map (exported name -> submodule, relative), read from its source."""
    for node in ast.walk(ast.parse((package / "__init__.py").read_text("utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_FROM" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _statements(tree: ast.Module, module_level_only: bool):
    """The import statements of ``tree``: all of them, or those run on import (not inside a function body)."""
    if not module_level_only:
        yield from (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
        return
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))


def imports(package: Path, module_level_only: bool = False) -> list[tuple[str, int, str]]:
    """``(importer, line, imported)`` for every import of a module of ``package`` by a module of ``package``
    (dotted names; ``from pkg import name`` is an import of ``pkg.name`` where that is a module, else of ``pkg``;
    the root's lazily exported names resolve to the module that defines them)."""
    known, lazy, top = modules(package), _lazy_names(package), package.name
    edges = []
    for importer, path in known.items():
        here = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in _statements(ast.parse(path.read_text("utf-8")), module_level_only):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = []
                for alias in node.names:
                    if f"{base}.{alias.name}" in known:
                        targets.append(f"{base}.{alias.name}")
                    elif base == top and alias.name in lazy:
                        targets.append(f"{top}.{lazy[alias.name]}")
                    else:
                        targets.append(base)
            for target in targets:
                while target and target not in known:        # import a.b.c: the deepest module of the package
                    target = target.rpartition(".")[0]
                if target.split(".")[0] == top and target != importer:
                    edges.append((importer, node.lineno, target))
    return edges


def upward_imports(package: Path) -> list[str]:
    """One line per import that breaks the layering, naming the file, the line and both parts."""
    top = package.name
    wrong = []
    for importer, line, target in imports(package):
        if importer.removeprefix(f"{top}.") in EXCEPTIONS:
            continue
        if part(target) not in ALLOWED[part(importer)]:
            file = modules(package)[importer].relative_to(package.parent)
            wrong.append(f"{file}:{line} imports {target}: {part(importer)} may import only "
                         f"{', '.join(sorted(ALLOWED[part(importer)]))}, not {part(target)}")
    return wrong


def import_cycles(package: Path, module_level_only: bool = True) -> list[list[str]]:
    """The import cycles among ``package``'s module-level imports (or all its imports, also those inside functions):
    strongly connected components (Tarjan) of more than one module, each sorted."""
    graph: dict[str, set[str]] = {name: set() for name in modules(package)}
    for importer, _, target in imports(package, module_level_only):
        graph[importer].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# ------------------------------------------------------------------------------------ the README's layout section
def layout_section(readme: Path = README) -> str:
    """The text of the README's ``## Layout`` section."""
    text = readme.read_text("utf-8")
    match = re.search(r"^## Layout\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert match, f"{readme.name} has no '## Layout' section"
    return match.group(1)


ENTRY = re.compile(r"^( *)([\w.]+/|[\w.]+\.py)(?: {2,}|$)")
"""A line of the layout tree: indentation, then a folder (``core/``) or a module (``masks.py``)."""


def layout_tree(section: str, top: str = "made_helpers") -> list[str]:
    """The paths the layout section's tree names under ``top/`` (``made_helpers/core/masks.py``,
    ``made_helpers/core/``), read from the indentation: a name two spaces further in lies in the folder above it."""
    paths: list[str] = []
    stack: list[tuple[int, str]] = []            # (indentation, folder path)
    inside = False
    for line in section.splitlines():
        if line.strip() and not line.startswith(" "):        # a top-level line: the tree of top/ starts or ends
            inside = line.split()[0] == f"{top}/"
            stack = [(0, f"{top}/")]
            continue
        entry = ENTRY.match(line)
        if not inside or not entry:
            continue
        indent, name = len(entry.group(1)), entry.group(2)
        while stack[-1][0] >= indent:
            stack.pop()
        path = stack[-1][1] + name
        paths.append(path)
        if name.endswith("/"):
            stack.append((indent, path))
    return paths


def layout_problems(package: Path, section: str) -> list[str]:
    """What the layout section gets wrong about ``package``: paths or dotted names it gives that do not exist,
    modules it does not name, and files in a folder it does not name."""
    top, problems = package.name, []
    named = layout_tree(section, top)
    for path in named:
        if not (package.parent / path).exists():
            problems.append(f"the README's layout names {path}, which does not exist")
    for dotted in sorted(set(re.findall(rf"\b{top}(?:\.\w+)+", section))):
        relative = Path(*dotted.split("."))
        if not ((package.parent / relative).with_suffix(".py").is_file() or (package.parent / relative).is_dir()):
            problems.append(f"the README's layout names {dotted}, which does not exist")
    for module, path in modules(package).items():
        file = path.relative_to(package.parent).as_posix()
        if path.name != "__init__.py" and file not in named:
            problems.append(f"{module} ({file}) is not in the README's layout: add a line for it")
    folders = {f"{top}/", *(p for p in named if p.endswith("/"))}
    for path in sorted(package.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.name == "__init__.py":
            continue
        folder = path.parent.relative_to(package.parent).as_posix() + "/"
        if folder not in folders:
            problems.append(f"{path.relative_to(package.parent)} lies in {folder}, a part the README's layout "
                            "does not name")
    return problems


# ----------------------------------------------------------------------------------------------------- the tests
def test_no_module_imports_a_part_above_its_own():
    wrong = upward_imports(PACKAGE)
    assert not wrong, "imports against the layering root <- core <- density <- experiments (exercises -> core):\n" \
        + "\n".join(wrong)


@pytest.mark.parametrize("module_level_only", [True, False], ids=["on import", "also inside functions"])
def test_no_import_cycle(module_level_only):
    """No cycle among the imports run on import; nor among all imports (``results`` <-> ``cli`` was one, through
    an import inside a function)."""
    cycles = import_cycles(PACKAGE, module_level_only)
    assert not cycles, "modules that import each other:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_readme_layout_names_every_module_and_only_modules_that_exist():
    problems = layout_problems(PACKAGE, layout_section())
    assert not problems, "\n".join(problems)


def test_the_checks_see_every_module_and_read_the_readme_tree():
    """The checkers find the package's modules and imports, and the README's tree lists nested parts."""
    found = modules(PACKAGE)
    assert {"made_helpers", "made_helpers.core.model", "made_helpers.density.flows",
            "made_helpers.experiments.cli", "made_helpers.exercises._diagnosis"} <= set(found)
    edges = {(a, b) for a, _, b in imports(PACKAGE)}
    assert ("made_helpers.density.flows", "made_helpers.density.gaussian_made") in edges
    assert ("made_helpers.__main__", "made_helpers.experiments.cli") in edges
    assert "made_helpers/core/masks.py" in layout_tree(layout_section())


# ------------------------------------------------------------------------- the checks can fail: a doctored copy
@pytest.fixture
def doctored(tmp_path) -> Path:
    """A copy of the package's sources (no data, no caches) to doctor."""
    target = tmp_path / "made_helpers"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz"))
    return target


def _add(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("module, statement, message", [
    ("core/masks.py", "\n\ndef f():\n    from ..density import flows\n",
     "made_helpers/core/masks.py:{line} imports made_helpers.density.flows: core may import only core, root, "
     "not density"),
    ("errors.py", "\nfrom made_helpers import MADE\n",
     "made_helpers/errors.py:{line} imports made_helpers.core.model: root may import only root, not core"),
    ("density/toy2d.py", "\nimport made_helpers.experiments.results\n",
     "made_helpers/density/toy2d.py:{line} imports made_helpers.experiments.results"),
    ("exercises/ex02_nll.py", "\nfrom ..density.gaussian_made import GaussianMADE\n",
     "made_helpers/exercises/ex02_nll.py:{line} imports made_helpers.density.gaussian_made: exercises may import "
     "only core, exercises, root, not density"),
    ("density/flows.py", "\nfrom .. import exercises\n",
     "made_helpers/density/flows.py:{line} imports made_helpers.exercises"),
])
def test_an_upward_import_is_caught(doctored, module, statement, message):
    path = doctored / module
    line = len(path.read_text("utf-8").splitlines()) + statement.rstrip("\n").count("\n") + 1
    _add(path, statement)
    wrong = upward_imports(doctored)
    assert len(wrong) == 1 and wrong[0].startswith(message.format(line=line)), wrong


def test_main_may_import_the_command_line_and_nothing_else_is_exempt(doctored):
    assert upward_imports(doctored) == []
    _add(doctored / "notebook_setup.py", "\nfrom .experiments import cli\n")
    assert [w.split(" imports ")[1].split(":")[0] for w in upward_imports(doctored)] == ["made_helpers.experiments.cli"]


def test_an_import_cycle_is_caught(doctored):
    _add(doctored / "errors.py", "\nfrom . import checks\n")        # checks imports errors
    assert import_cycles(doctored) == [["made_helpers.checks", "made_helpers.errors"]]


def test_an_import_cycle_through_a_function_is_caught_by_the_all_imports_graph_only(doctored):
    _add(doctored / "errors.py", "\n\ndef later():\n    from . import checks\n")
    assert import_cycles(doctored, module_level_only=True) == []
    assert import_cycles(doctored, module_level_only=False) == [["made_helpers.checks", "made_helpers.errors"]]


def test_a_module_missing_from_the_layout_is_caught(doctored):
    (doctored / "density" / "coupling.py").write_text('"""A new module."""\n')
    (doctored / "utils").mkdir()
    (doctored / "utils" / "misc.py").write_text('"""A new part."""\n')
    problems = layout_problems(doctored, layout_section())
    assert "made_helpers.density.coupling (made_helpers/density/coupling.py) is not in the README's layout: " \
           "add a line for it" in problems, problems
    assert "made_helpers/utils/misc.py lies in made_helpers/utils/, a part the README's layout does not name" \
           in problems, problems


def test_a_layout_naming_a_missing_module_is_caught(doctored):
    (doctored / "core" / "masks.py").unlink()
    section = layout_section() + "\nSee made_helpers.core.sampling for more.\n"
    problems = layout_problems(doctored, section)
    assert "the README's layout names made_helpers/core/masks.py, which does not exist" in problems, problems
    assert "the README's layout names made_helpers.core.sampling, which does not exist" in problems, problems


# ----------------------------------------------------------------------------- one atomic write and one number check
def _isinstance_call(node) -> ast.AST | None:
    """The first argument of an ``isinstance(...)`` call, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
        return node.args[0]
    return None


def hand_written_number_checks(source: str) -> list[int]:
    """Lines of ``isinstance(v, bool) or not isinstance(v, ...)``: an integer/number check written by hand."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)):
            continue
        bools = {ast.dump(_isinstance_call(v)) for v in node.values
                 if _isinstance_call(v) is not None and ast.unparse(v.args[1]) == "bool"}
        negated = {ast.dump(_isinstance_call(v.operand)) for v in node.values
                   if isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.Not) and _isinstance_call(v.operand)}
        if bools & negated:
            lines.append(node.lineno)
    return lines


def test_the_copy_finder_finds_the_number_checks_of_checks_py():
    """The finder has power: it finds the one place the pattern belongs, and a copy under another name."""
    assert hand_written_number_checks((ROOT / "made_helpers" / "checks.py").read_text())
    assert hand_written_number_checks("if isinstance(k, bool) or not isinstance(k, (int, np.integer)):\n    pass\n")
    assert not hand_written_number_checks("if isinstance(k, bool) or not isinstance(j, int):\n    pass\n")


def test_no_second_copy_of_the_helpers():
    """One atomic write (atomic.py) and one number check (checks.py): no mkstemp and no hand-written
    ``isinstance(v, bool) or not isinstance(v, (int, ...))`` anywhere else in the package."""
    copies = []
    for path in sorted((ROOT / "made_helpers").rglob("*.py")):
        text, name = path.read_text(), path.relative_to(ROOT).as_posix()
        if path.name != "atomic.py" and "mkstemp" in text:
            copies.append(f"{name}: mkstemp (use made_helpers.atomic)")
        if path.name != "checks.py":
            copies += [f"{name}:{line}: a number check by hand (use made_helpers.checks)"
                       for line in hand_written_number_checks(text)]
    assert not copies, "\n".join(copies)
