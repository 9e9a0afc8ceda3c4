"""What the JupyterLab browser tests share: a throwaway JupyterLab server on loopback serving one notebook, and
headless Chromium opening it and running all its cells through the Run menu, as a user would.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` does it) at /usr/bin/chromium (or
``$MADE_CHROMIUM``) and Playwright for Python; the tests are skipped with a message when they are missing.
No browser is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import MS, launch
from conftest import ROOT, browser_missing

KERNEL_IDLE_JS = """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
    .map(e => e.innerText.trim())
    .some(t => t.endsWith('| Idle') && !t.startsWith('No Kernel'))"""


def missing() -> str | None:
    """Why a JupyterLab browser test cannot run here, or None."""
    reason = browser_missing()
    if reason:
        return reason
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "JupyterLab is missing: `pip install -e .`"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # loopback only
        return r.status


@contextmanager
def running_lab(root: Path, notebook: Path, artifacts: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback (isolated settings under ``root``) serving a copy of ``notebook``:
    yields ``(base_url, token)``; its log goes to ``artifacts/jupyterlab.log`` (the folder is emptied first)."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    work = root / "notebooks"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no news/update checks: no network calls and no toast over the page
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    shutil.rmtree(artifacts, ignore_errors=True)  # artefacts describe the latest run only
    artifacts.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24)
    port = _free_port()
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_DATA_DIR=str(root / "data"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    log_path = artifacts / "jupyterlab.log"
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--IdentityProvider.token={token}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={work}", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
           "--ServerApp.shutdown_no_activity_timeout=300"]  # a safety net if this process dies
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers/CI often run as root; the server is loopback-only
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}; log:\n{log_path.read_text()[-3000:]}")
            try:
                if _get(f"{base}/api/status?token={token}") == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {base} within 60 s; log:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        try:  # graceful: also shuts the kernels down
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=10)  # loopback only
        except Exception:  # noqa: BLE001 - best effort: the process is terminated below if this fails
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


class LabPage:
    """A headless Chromium page on a :func:`running_lab` server: ``page`` (Playwright), ``problems`` (page errors
    and console errors, for failure messages), :meth:`shot` (a screenshot kept in ``artifacts``)."""

    def __init__(self, playwright, artifacts: Path):
        self.artifacts = artifacts
        self.browser = launch(playwright)
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1400})
        self.problems: list[str] = []
        self.shots: dict[str, bytes] = {}
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.set_default_timeout(30 * MS)

    def shot(self, name: str, locator) -> bytes:
        data = locator.screenshot()
        (self.artifacts / f"{name}.png").write_bytes(data)
        self.shots[name] = data
        return data

    def context(self) -> str:
        return "\nbrowser messages:\n" + "\n".join(self.problems[-15:])

    def run_notebook(self, base: str, token: str, notebook: str, widget_selector: str, ready_selector: str,
                     timeout_s: float = 90) -> None:
        """Open ``notebook``, wait for its kernel, Run > Run All Cells, and wait until ``widget_selector`` and
        ``ready_selector`` are visible (``AssertionError`` with the cell outputs if they never are)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        page = self.page
        page.goto(f"{base}/lab/tree/{notebook}?token={token}", timeout=60 * MS)
        # the notebook is open and its kernel has started (status idle)
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60 * MS)
        # the status bar reads "Python 3 (ipykernel) | Idle" once a kernel is connected
        # (before that: "No Kernel | Initializing", while the toolbar indicator already says idle)
        page.wait_for_function(KERNEL_IDLE_JS, timeout=60 * MS)
        # Run > Run All Cells, through the menu bar as a user would
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        widget = page.locator(widget_selector)
        try:
            deadline = time.monotonic() + timeout_s  # the kernel imports TensorFlow first
            while not widget.is_visible():
                dialog = page.locator(".jp-Dialog .jp-mod-accept")
                if dialog.count() and dialog.first.is_visible():  # "Select Kernel": take the default
                    dialog.first.click()
                if time.monotonic() > deadline:
                    raise PlaywrightTimeout(f"{widget_selector} did not appear within {timeout_s} s")
                page.wait_for_timeout(250)
            page.locator(ready_selector).wait_for(state="visible")
        except PlaywrightTimeout:
            page.screenshot(path=str(self.artifacts / "failed-no-widget.png"), full_page=True)
            outputs = page.locator(".jp-OutputArea").all_inner_texts()
            raise AssertionError(f"the widget did not render; cell outputs: {outputs}{self.context()}") from None

    def save_failure(self) -> None:
        self.page.screenshot(path=str(self.artifacts / "failed-page.png"), full_page=True)
        (self.artifacts / "failed-browser-messages.txt").write_text("\n".join(self.problems))

    def close(self) -> None:
        self.browser.close()


@contextmanager
def lab_page(artifacts: Path) -> Iterator[LabPage]:
    """A :class:`LabPage` in a fresh Playwright; on a failure its screenshot and browser messages are kept in
    ``artifacts``; the browser is closed on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened = LabPage(playwright, artifacts)
        try:
            yield opened
        except Exception:
            opened.save_failure()
            raise
        finally:
            opened.close()
