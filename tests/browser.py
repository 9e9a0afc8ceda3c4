"""Headless Chromium for the browser tests: Debian's ``chromium`` (``conftest.CHROMIUM``) driven by Playwright for
Python, launched with one set of flags (:func:`launch`), and a page that may load local files only
(:func:`local_files_page`: the book, the nbgrader feedback pages). The JupyterLab tests use ``jupyterlab_page``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import CHROMIUM, browser_missing

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MS = 1000  # Playwright timeouts are in milliseconds


def skip_without_chromium() -> None:
    """Skip the calling test, saying what to install, where Chromium or Playwright is missing."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)


def launch(playwright):
    """Headless Chromium at ``CHROMIUM`` with :data:`CHROMIUM_ARGS` (no background network, no updates)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def local_files_page(width: int, height: int, refused: list[str] | None = None) -> Iterator:
    """A headless Chromium page of ``width`` x ``height`` that loads ``file://`` URLs only: every other request is
    aborted, and its URL appended to ``refused`` when given. The browser is closed on leaving."""
    from playwright.sync_api import sync_playwright

    def local_only(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            if refused is not None:
                refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route("**/*", local_only)
            yield context.new_page()
        finally:
            browser.close()
