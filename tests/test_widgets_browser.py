"""The mask explorer in a real JupyterLab, driven in headless Chromium through Playwright.

Starts JupyterLab on 127.0.0.1 with a throwaway token and isolated settings,
opens ``tests/assets/mask_explorer_browser.ipynb``, runs it from the Run menu,
changes controls through the page and checks that the rendered degrees,
status text, error message and screenshots change as they should.
Screenshots and the server log go to ``test-artifacts/widgets_browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` does it)
at /usr/bin/chromium (or ``$MADE_CHROMIUM``) and Playwright for Python; skipped
with a message when they are missing. No browser is downloaded.
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
from pathlib import Path

import pytest
from conftest import CHROMIUM, ROOT, browser_missing

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parent / "assets" / "mask_explorer_browser.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "widgets_browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# the notebook's explorer: mask_explorer(input_dim=5, hidden_sizes=[6, 6], seed=3)
D, SIZES, SEED = 5, [6, 6], 3
MS = 1000  # Playwright timeouts are in milliseconds
KERNEL_IDLE_JS = """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
    .map(e => e.innerText.trim())
    .some(t => t.endsWith('| Idle') && !t.startsWith('No Kernel'))"""


def _missing() -> str | None:
    """Why this test cannot run here, or None."""
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of the test notebook: yields (base_url, token)."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no news/update checks: no network calls and no toast over the page
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # artefacts describe the latest run only
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24)
    port = _free_port()
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_DATA_DIR=str(root / "data"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    log_path = ARTIFACTS / "jupyterlab.log"
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


def _layer_texts(page) -> list[str]:
    """The degree table the explorer shows: one string of degrees per layer (inputs first)."""
    return [t.strip() for t in page.locator(".made-degrees td.made-degrees-layer").all_inner_texts()]


def _expected_texts(**settings) -> list[str]:
    from made_helpers.widgets import explorer_mask_set

    degrees = explorer_mask_set(**settings).degrees
    return [" ".join(str(int(v)) for v in d) for d in [*degrees, degrees[0]]]


def _wait_for_texts(page, want: list[str], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    got = None
    while time.monotonic() < deadline:
        got = _layer_texts(page)
        if got == want:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"after {what}, the page shows degrees {got}, expected {want}")


def test_mask_explorer_in_jupyterlab(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    base, token = lab
    problems: list[str] = []
    shots: dict[str, bytes] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.set_default_timeout(30 * MS)

        def shot(name: str, locator):
            data = locator.screenshot()
            (ARTIFACTS / f"{name}.png").write_bytes(data)
            shots[name] = data
            return data

        def context() -> str:
            return "\nbrowser messages:\n" + "\n".join(problems[-15:])

        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", timeout=60 * MS)
            # the notebook is open and its kernel has started (status idle)
            page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60 * MS)
            # the status bar reads "Python 3 (ipykernel) | Idle" once a kernel is connected
            # (before that: "No Kernel | Initializing", while the toolbar indicator already says idle)
            page.wait_for_function(KERNEL_IDLE_JS, timeout=60 * MS)
            # Run > Run All Cells, through the menu bar as a user would
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            explorer = page.locator(".made-mask-explorer")
            try:
                deadline = time.monotonic() + 90  # the kernel imports TensorFlow first
                while not explorer.is_visible():
                    dialog = page.locator(".jp-Dialog .jp-mod-accept")
                    if dialog.count() and dialog.first.is_visible():  # "Select Kernel": take the default
                        dialog.first.click()
                    if time.monotonic() > deadline:
                        raise PlaywrightTimeout("the explorer did not appear within 90 s")
                    page.wait_for_timeout(250)
                page.locator("img.made-network").wait_for(state="visible")
            except PlaywrightTimeout:
                page.screenshot(path=str(ARTIFACTS / "failed-no-widget.png"), full_page=True)
                outputs = page.locator(".jp-OutputArea").all_inner_texts()
                raise AssertionError(f"the explorer did not render; cell outputs: {outputs}{context()}") from None

            # 1. initial view: natural ordering, the notebook's settings
            start = dict(input_dim=D, hidden_sizes=SIZES, seed=SEED)
            _wait_for_texts(page, _expected_texts(**start, ordering="natural"), "running the cell")
            assert _layer_texts(page)[0] == "1 2 3 4 5"
            status = page.locator(".made-status").inner_text()
            assert "x0 → x1 → x2 → x3 → x4" in status, status
            net_src = page.locator("img.made-network").get_attribute("src")
            shot("01-initial", explorer)

            # 2. choose the reversed ordering in the dropdown
            page.locator(".made-control-ordering select").select_option(label="reversed")
            _wait_for_texts(page, _expected_texts(**start, ordering="reversed"), "selecting 'reversed'")
            assert _layer_texts(page)[0] == "5 4 3 2 1"
            page.wait_for_function(
                "s => document.querySelector('img.made-network').getAttribute('src') !== s", arg=net_src)
            status = page.locator(".made-status").inner_text()
            assert "x4 → x3 → x2 → x1 → x0" in status, status
            assert shot("02-reversed", explorer) != shots["01-initial"], "screenshot did not change"

            # 3. a hidden layer of width 0: a message, not a traceback, and the views hide
            widths = page.locator(".made-control-hidden-sizes input")
            widths.fill("6, 0")
            widths.press("Enter")
            message = page.locator(".made-message")
            message.wait_for(state="visible")
            text = message.inner_text()
            assert "hidden layer 2 has width 0" in text and "Traceback" not in text, text
            page.locator("img.made-network").wait_for(state="hidden")
            shot("03-bad-width", explorer)

            # 4. the widget stays usable: valid widths bring the views back with new degrees
            widths.fill("4, 3")
            widths.press("Enter")
            message.wait_for(state="hidden")
            _wait_for_texts(page, _expected_texts(input_dim=D, hidden_sizes=[4, 3], seed=SEED,
                                                  ordering="reversed"), "typing widths '4, 3'")
            page.locator("img.made-network").wait_for(state="visible")
            assert shot("04-widths-4-3", explorer) != shots["02-reversed"], "screenshot did not change"

            # 5. highlight the paths to output 2: the status names what it may see
            page.locator(".made-control-highlight select").select_option(label="output x̂2")
            page.wait_for_function(
                "() => document.querySelector('.made-status').innerText.includes('Output x̂2')")
            status = page.locator(".made-status").inner_text()
            assert "may see" in status, status
            assert shot("05-highlight-2", explorer) != shots["04-widths-4-3"], "screenshot did not change"
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-page.png"), full_page=True)
            (ARTIFACTS / "failed-browser-messages.txt").write_text("\n".join(problems))
            raise
        finally:
            browser.close()
