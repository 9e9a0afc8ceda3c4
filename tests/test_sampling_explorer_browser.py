"""The sampling and completion explorer in a real JupyterLab, driven in headless Chromium through Playwright.

Opens ``tests/assets/sampling_explorer_browser.ipynb`` (tests/jupyterlab_page.py starts the server and runs the
notebook from the Run menu), moves the step slider and the step button, switches to completion mode, clicks
a pixel of the picker and paints a row by dragging (ipyevents), checking that the status text and the pictures
change as they should.
Screenshots and the server log go to ``test-artifacts/sampling_explorer_browser/``.
Skipped with a message when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from jupyterlab_page import MS, lab_page, running_lab

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).resolve().parent / "assets" / "sampling_explorer_browser.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "sampling_explorer_browser"
SCALE = 8  # made_helpers.experiments.sampling_explorer.SCALE: screen pixels per image pixel in the picker


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of the test notebook: yields (base_url, token)."""
    with running_lab(tmp_path_factory.mktemp("lab"), NOTEBOOK, ARTIFACTS) as server:
        yield server


def _wait_for_text(page, selector: str, needle: str, what: str) -> str:
    """Wait until the element ``selector`` shows ``needle``; its text."""
    try:
        page.wait_for_function("([s, n]) => (document.querySelector(s)?.innerText || '').includes(n)",
                               arg=[selector, needle], timeout=30 * MS)
    except Exception:  # noqa: BLE001 - re-raised with what the page shows
        raise AssertionError(f"after {what}, {selector} shows {page.locator(selector).inner_text()!r}, "
                             f"expected it to contain {needle!r}") from None
    return page.locator(selector).inner_text()


def _wait_for_new_src(page, selector: str, old: str) -> None:
    page.wait_for_function("([s, old]) => document.querySelector(s).getAttribute('src') !== old",
                           arg=[selector, old], timeout=30 * MS)


def test_sampling_explorer_in_jupyterlab(lab):
    from made_helpers.experiments.sampling_explorer import SCALE as PACKAGE_SCALE

    assert PACKAGE_SCALE == SCALE
    base, token = lab
    with lab_page(ARTIFACTS) as opened:
        page, shot, shots = opened.page, opened.shot, opened.shots
        opened.run_notebook(base, token, NOTEBOOK.name, ".made-sampling-explorer", "img.made-sample-image")
        explorer = page.locator(".made-sampling-explorer")
        status = ".made-sampling-status"

        # 1. first view: step 0, nothing drawn
        _wait_for_text(page, status, "Step d = 0 of 784", "running the cell")
        sample_src = page.locator("img.made-sample-image").get_attribute("src")
        shot("01-step-0", explorer)

        # 2. move the step slider with the keyboard, as a user can
        handle = page.locator(".made-control-step .noUi-handle")
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        text = _wait_for_text(page, status, "Step d = 5 of 784", "pressing → five times on the step slider")
        assert "p(x = 1 | the 5 pixels drawn before) = " in text, text
        _wait_for_new_src(page, "img.made-sample-image", sample_src)
        assert shot("02-step-5", explorer) != shots["01-step-0"], "screenshot did not change"

        # 3. the "one pixel ▶" button moves one step
        sample_src = page.locator("img.made-sample-image").get_attribute("src")
        page.locator(".made-step-forward").click()
        _wait_for_text(page, status, "Step d = 6 of 784", "clicking 'one pixel ▶'")
        _wait_for_new_src(page, "img.made-sample-image", sample_src)

        # 4. completion mode: the top half observed
        page.locator(".made-control-mode button", has_text="completion").click()
        completion = ".made-completion-status"
        _wait_for_text(page, completion, "392 of 784 pixels observed", "switching to completion mode")
        page.locator("img.made-completions-image").wait_for(state="visible")
        completions_src = page.locator("img.made-completions-image").get_attribute("src")
        picker_src = page.locator("img.made-picker-image").get_attribute("src")
        shot("03-completion", explorer)

        # 5. click pixel (row 20, column 5) of the bottom half: it becomes observed
        picker = page.locator("img.made-picker-image")
        box = picker.bounding_box()
        shown = box["width"] / (28 * SCALE)               # the picture may be drawn smaller than its pixels
        picker.click(position={"x": (5 + 0.5) * SCALE * shown, "y": (20 + 0.5) * SCALE * shown})
        text = _wait_for_text(page, completion, "393 of 784 pixels observed", "clicking a pixel")
        assert "custom" in text, text
        _wait_for_new_src(page, "img.made-picker-image", picker_src)
        _wait_for_new_src(page, "img.made-completions-image", completions_src)
        assert shot("04-clicked", explorer) != shots["03-completion"], "screenshot did not change"

        # 5b. drag along row 22 from column 3 to 10 with the button held: 8 more observed pixels
        def at(row, col):
            return box["x"] + (col + 0.5) * SCALE * shown, box["y"] + (row + 0.5) * SCALE * shown

        page.mouse.move(*at(22, 3))
        page.mouse.down()
        for col in range(4, 11):
            page.wait_for_timeout(60)                     # the explorer throttles mousemove events to 30 ms
            page.mouse.move(*at(22, col))
        page.wait_for_timeout(60)
        page.mouse.up()
        _wait_for_text(page, completion, "401 of 784 pixels observed", "dragging along a row")
        shot("04b-dragged", explorer)

        # 6. observe none: one line, no traceback; the picker stays to click a way out
        page.locator(".made-observe-none").click()
        message = page.locator(".made-message")
        message.wait_for(state="visible")
        assert "no pixel is observed" in message.inner_text() and "Traceback" not in message.inner_text()
        assert picker.is_visible()
        picker.click(position={"x": 10.5 * SCALE * shown, "y": 10.5 * SCALE * shown})
        message.wait_for(state="hidden")
        _wait_for_text(page, completion, "1 of 784 pixels observed", "clicking a pixel after 'observe none'")
        shot("05-one-pixel", explorer)
