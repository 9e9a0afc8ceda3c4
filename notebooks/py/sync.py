"""Keep ``notebooks/NN_name.ipynb`` and its plain-text twin ``notebooks/py/NN_name.py`` in step.

The ``.py`` files use the ``py:percent`` cell format (as jupytext writes it): ``# %%`` opens a
code cell, ``# %% [markdown]`` a markdown cell whose lines start with ``# ``. They exist so
that a review reads plain Python diffs; the ``.ipynb`` files carry the executed outputs.

    python notebooks/py/sync.py build 01_vanilla_autoencoders   # .py -> .ipynb; outputs kept only
                                                                # if no code cell changed
    python notebooks/py/sync.py check                           # exit 1 if any pair differs
    python notebooks/py/sync.py export 01_vanilla_autoencoders  # .ipynb -> .py
    python notebooks/py/sync.py execute 01_vanilla_autoencoders # run top to bottom, save outputs
                                                                # (full mode unless MADE_QUICK=1)

This script needs only ``nbformat``; ``tests/test_notebook_format.py`` runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent
HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---
"""
# TensorFlow's C++ start-up log lines go to the kernel's terminal, not into the notebook.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def parse_percent(text: str) -> list[tuple[str, str]]:
    """``[(cell_type, source), ...]`` from py:percent text (the YAML header is skipped)."""
    lines = text.splitlines()
    if lines and lines[0] == "# ---":
        end = lines.index("# ---", 1)
        lines = lines[end + 1:]
    cells: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' marker: {line!r}")
    out = []
    for kind, body in cells:
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        if kind == "markdown":
            bad = [ln for ln in body if ln and not (ln == "#" or ln.startswith("# "))]
            if bad:
                raise ValueError(f"markdown line not commented with '# ': {bad[0]!r}")
            body = [ln[2:] if ln.startswith("# ") else "" for ln in body]
        out.append((kind, "\n".join(body)))
    return out


def to_percent(cells: list[tuple[str, str]]) -> str:
    """py:percent text from ``[(cell_type, source), ...]``."""
    parts = [HEADER]
    for kind, source in cells:
        if kind == "markdown":
            body = "\n".join(("# " + ln) if ln else "#" for ln in source.splitlines())
            parts.append("# %% [markdown]\n" + body + "\n")
        else:
            parts.append("# %%\n" + source + "\n")
    return "\n".join(parts)


def notebook_cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells if c.cell_type in ("markdown", "code")]


def build(name: str) -> Path:
    """Write ``NAME.ipynb`` from ``py/NAME.py``.

    If every code cell is unchanged (same sources, same order) only the markdown is
    replaced and the outputs are kept; otherwise all outputs are cleared (execute again).
    """
    cells = parse_percent((HERE / f"{name}.py").read_text())
    path = NOTEBOOKS / f"{name}.ipynb"
    old = nbformat.read(path, as_version=4) if path.exists() else None
    old_code = [c for c in old.cells if c.cell_type == "code"] if old else []
    keep = [src for kind, src in cells if kind == "code"] == [c.source for c in old_code]
    nb = old if keep else nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})
    code = iter(old_code)
    new_cells = []
    for kind, source in cells:
        if kind == "markdown":
            new_cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            new_cells.append(next(code) if keep else nbformat.v4.new_code_cell(source))
    nb.cells = new_cells
    for i, cell in enumerate(nb.cells):          # stable ids: the diff shows content, not churn
        cell["id"] = f"{name[:2]}-{i:03d}"
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"{path.name}: {'markdown updated, outputs kept' if keep else 'rebuilt without outputs'}")
    return path


def export(name: str) -> Path:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    path = HERE / f"{name}.py"
    path.write_text(to_percent(notebook_cells(nb)))
    return path


def mismatches() -> list[str]:
    """Names whose ``.py`` and ``.ipynb`` cells differ (or whose twin is missing)."""
    bad = []
    names = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} | {p.stem for p in HERE.glob("[0-9][0-9]_*.py")}
    for name in sorted(names):
        py, ipynb = HERE / f"{name}.py", NOTEBOOKS / f"{name}.ipynb"
        if not (py.exists() and ipynb.exists()):
            bad.append(f"{name}: missing {'py/' + py.name if not py.exists() else ipynb.name}")
            continue
        if parse_percent(py.read_text()) != notebook_cells(nbformat.read(ipynb, as_version=4)):
            bad.append(f"{name}: cells differ between py/{py.name} and {ipynb.name}")
    return bad


def execute(name: str, timeout: int = 3600) -> Path:
    """Execute ``NAME.ipynb`` top to bottom in place (cwd ``notebooks/``, kernel python3)."""
    import time

    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=timeout, record_timing=False,
                   extra_arguments=KERNEL_ARGS, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    nbformat.write(nb, path)
    print(f"{name}: executed in {time.perf_counter() - start:.0f} s")
    return path


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "check":
        bad = mismatches()
        print("\n".join(bad) if bad else "all notebook pairs in step")
        return 1 if bad else 0
    if len(argv) >= 2 and argv[0] in ("build", "export", "execute"):
        action = {"build": build, "export": export, "execute": execute}[argv[0]]
        for name in argv[1:]:
            print(action(Path(name).stem))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
