"""The mask explorer in a real JupyterLab, driven in headless Chromium through Playwright.

Starts JupyterLab on 127.0.0.1 with a throwaway token and isolated settings (tests/jupyterlab_page.py),
opens ``tests/assets/mask_explorer_browser.ipynb``, runs it from the Run menu,
changes controls through the page and checks that the rendered degrees,
status text, error message and screenshots change as they should.
Screenshots and the server log go to ``test-artifacts/widgets_browser/``.
Skipped with a message when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import ROOT
from jupyterlab_page import lab_page, running_lab

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parent / "assets" / "mask_explorer_browser.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "widgets_browser"
# the notebook's explorer: mask_explorer(input_dim=5, hidden_sizes=[6, 6], seed=3)
D, SIZES, SEED = 5, [6, 6], 3


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of the test notebook: yields (base_url, token)."""
    with running_lab(tmp_path_factory.mktemp("lab"), NOTEBOOK, ARTIFACTS) as server:
        yield server


def _layer_texts(page) -> list[str]:
    """The degree table the explorer shows: one string of degrees per layer (inputs first)."""
    return [t.strip() for t in page.locator(".made-degrees td.made-degrees-layer").all_inner_texts()]


def _expected_texts(**settings) -> list[str]:
    from made_helpers.core.widgets import explorer_mask_set

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
    base, token = lab
    with lab_page(ARTIFACTS) as opened:
        page, shot, shots = opened.page, opened.shot, opened.shots
        opened.run_notebook(base, token, NOTEBOOK.name, ".made-mask-explorer", "img.made-network")
        explorer = page.locator(".made-mask-explorer")

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
