"""Execute every notebook of the series top to bottom in quick mode (``MADE_QUICK=1``).

Each notebook runs in a fresh ``python3`` kernel of this interpreter, from ``notebooks/`` (as in
JupyterLab), on a copy: the committed notebooks and their full-mode outputs are not touched.
Notebooks 05 and 06 load the trained models committed under ``results/``, so each runs on its own.
Any error fails the test.
"""

from __future__ import annotations

import sys
import time

import nbformat
import pytest
from conftest import NOTEBOOK_DIR, SERIES

CELL_TIMEOUT = 600


def test_kernel_is_this_interpreter():
    """``python3`` resolves to the interpreter running the tests (the project's .venv), not a system one."""
    from jupyter_client.manager import KernelManager

    assert KernelManager(kernel_name="python3").format_kernel_cmd()[0] == sys.executable


@pytest.mark.slow
@pytest.mark.parametrize("name", SERIES)
def test_notebook_runs_in_quick_mode(name, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MADE_QUICK", "1")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT, record_timing=False,
                            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()                      # raises CellExecutionError on the first failing cell (allow_errors=False)
    seconds = time.perf_counter() - start
    setup_output = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "mode: quick" in setup_output, setup_output
    print(f"{name}: {seconds:.0f} s in quick mode")
