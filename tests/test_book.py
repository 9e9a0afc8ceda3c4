"""The static book (``make book``, ``book/build.py``): built offline, then read in headless Chromium.

The build runs in a subprocess whose sockets refuse to connect, into a temporary folder. Without
a browser: every page is there, loads nothing from the network, carries the navigation bar, and
two builds give the same bytes. In Chromium (Debian's ``chromium`` through Playwright's Python
bindings, as in ``test_widgets_browser.py``; every request that is not a local file is refused and
recorded): each page loads without errors, every image has decoded (naturalWidth > 0), MathJax
has typeset the maths (MathJax elements present, no TeX error, no ``$...$`` left in the text),
every relative link points at an existing file (same-page anchors at an existing id), the
previous / index / next links follow the reading order, the landing page lists the notebooks and
notebook 04 shows the mask explorer's static snapshot. Screenshots go to ``test-artifacts/book/``.

Skipped with a message when Chromium or Playwright is missing; no browser is downloaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from browser import MS, local_files_page, skip_without_chromium
from conftest import NOTEBOOK_DIR, ROOT

BUILD_SCRIPT = ROOT / "book" / "build.py"
NOTEBOOKS = sorted((NOTEBOOK_DIR).glob("0*.ipynb"))
PAGES = ["index.html", *(f"{p.stem}.html" for p in NOTEBOOKS), "exercises.html"]  # reading order
ARTIFACTS = ROOT / "test-artifacts" / "book"
BUILD_SECONDS = 60

# runs book/build.py with every outgoing connection refused: the build must not need the network
OFFLINE_BUILD = """
import runpy, socket, sys
def refuse(*args, **kwargs):
    raise OSError(f"the book build tried to use the network: {args!r}")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = socket.create_connection = refuse
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def build_book(out: Path) -> float:
    """Build the book into ``out`` offline; returns the wall time in seconds."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", OFFLINE_BUILD, str(BUILD_SCRIPT), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f"book build failed:\n{result.stdout}\n{result.stderr}"
    return seconds


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book") / "site"
    seconds = build_book(out)
    assert seconds < BUILD_SECONDS, f"the book took {seconds:.1f} s to build (budget {BUILD_SECONDS} s)"
    return out


# --------------------------------------------------------------------------- no browser
class _Resources(HTMLParser):
    """Collects the URLs a page loads (script/img/iframe src, stylesheet href) and its <a href>s."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.navs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video") and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.loads.append(a["href"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "nav" and "book-nav" in (a.get("class") or ""):
            self.navs += 1


@pytest.mark.slow
def test_book_pages_are_complete_and_offline(book):
    assert sorted(p.name for p in book.glob("*.html")) == sorted(PAGES)
    assert "MathJax.version=\"2.7." in (book / "mathjax" / "MathJax.js").read_text("utf-8")
    for name in PAGES:
        parsed = _Resources()
        parsed.feed((book / name).read_text("utf-8"))
        remote = [u for u in parsed.loads if re.match(r"^([a-z][a-z0-9+.-]*:)?//", u, re.I)]
        assert not remote, f"{name} loads from the network: {remote}"
        assert parsed.navs == 2, f"{name}: {parsed.navs} navigation bars, expected one at the top and one at the bottom"
        assert any(u.startswith("mathjax/MathJax.js") for u in parsed.loads), f"{name} does not load the local MathJax"


@pytest.mark.slow
def test_book_build_is_deterministic(book, tmp_path):
    again = tmp_path / "again"
    build_book(again)
    for name in PAGES:
        assert (again / name).read_bytes() == (book / name).read_bytes(), f"{name} differs between two builds"


@pytest.mark.slow
def test_book_refuses_to_empty_a_foreign_folder(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run([sys.executable, str(BUILD_SCRIPT), "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 1 and "was not built by this script" in result.stderr, result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


# ------------------------------------------------------------------------------ browser
def _expected_images(name: str) -> int:
    """Images the page must show: image outputs of the notebook, plus the widget snapshot's."""
    path = NOTEBOOK_DIR / name.replace(".html", ".ipynb")
    if not path.is_file():
        return 0
    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            count += any(k.startswith("image/") for k in data)
            if "application/vnd.jupyter.widget-view+json" in data:
                count += 2  # the explorer's network and matrices pictures
    return count


def _has_maths(name: str) -> bool:
    path = NOTEBOOK_DIR / name.replace(".html", ".ipynb")
    if not path.is_file():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(re.search(r"\$[^$\n]+\$", c.source) for c in nb.cells if c.cell_type == "markdown")


# the page's text outside code, scripts and MathJax's own output: where raw TeX would show
VISIBLE_PROSE_JS = """() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, .MathJax, .MathJax_Display, .MathJax_Preview, '
                          + '.MJX_Assistive_MathML, .MathJax_SVG, mjx-container').forEach(e => e.remove());
    return copy.textContent;
}"""
IMAGES_JS = """() => Array.from(document.images).map(i => ({
    ok: i.complete && i.naturalWidth > 0, what: i.alt || i.className || i.src.slice(0, 80)}))"""
LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"
RAW_TEX = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{")


@pytest.mark.slow
@pytest.mark.browser
def test_book_in_chromium(book):
    skip_without_chromium()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # artefacts describe the latest run only
    ARTIFACTS.mkdir(parents=True)
    blocked: list[str] = []
    problems: list[str] = []
    with local_files_page(1280, 900, refused=blocked) as page:
        page.set_default_timeout(30 * MS)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
        try:
            for i, name in enumerate(PAGES):
                where = f"{name}: "
                page.goto((book / name).as_uri(), wait_until="load")
                # MathJax has loaded and its queue (the page's typesetting) is done
                page.wait_for_function("() => window.MathJax && MathJax.isReady === true")
                page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")
                assert not problems, where + "\n".join(problems)

                images = page.evaluate(IMAGES_JS)
                broken = [im["what"] for im in images if not im["ok"]]
                assert not broken, where + f"images that did not load: {broken}"
                assert len(images) >= _expected_images(name), where + f"{len(images)} images shown"

                n_maths = page.locator(".MathJax, .MathJax_Display").count()
                if _has_maths(name):
                    assert n_maths > 0, where + "no MathJax output: the maths was not typeset"
                assert page.locator(".MathJax_Error, .noError, merror").count() == 0, where + "a TeX error"
                raw = RAW_TEX.findall(page.evaluate(VISIBLE_PROSE_JS))
                assert not raw, where + f"raw TeX left in the text: {raw[:5]}"

                for href in page.evaluate(LINKS_JS):
                    parts = urllib.parse.urlsplit(href)
                    if parts.scheme or href.startswith("//"):
                        continue  # an outside link (not followed offline)
                    if not parts.path:  # "#anchor" on this page: an id, as written or percent-decoded
                        ids = [parts.fragment, urllib.parse.unquote(parts.fragment)]
                        assert page.evaluate("ids => ids.some(id => document.getElementById(id))", ids), \
                            where + f"link {href!r}: no element with that id"
                        continue
                    target = (book / name).parent / urllib.parse.unquote(parts.path)
                    assert target.resolve().is_file(), where + f"link {href!r} points at no file"

                nav = {rel: page.locator(f"nav.book-nav a[rel={rel}]").evaluate_all(
                    "as => as.map(a => a.getAttribute('href'))") for rel in ("prev", "index", "next")}
                assert nav["index"] == ["index.html"] * 2, where + f"index links {nav['index']}"
                assert nav["prev"] == ([PAGES[i - 1]] * 2 if i > 0 else []), where + f"previous {nav['prev']}"
                assert nav["next"] == ([PAGES[i + 1]] * 2 if i + 1 < len(PAGES) else []), \
                    where + f"next {nav['next']}"

                page.screenshot(path=str(ARTIFACTS / f"{i:02d}-{name.replace('.html', '')}.png"))

                if name == "index.html":
                    listed = page.locator("ol li a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
                    assert listed == PAGES[1:-1], f"the reading order lists {listed}"
                    for item in page.locator("ol li").all_inner_texts():
                        assert " — " in item and len(item.split(" — ", 1)[1]) > 10, \
                            f"no one-line description in {item!r}"
                if name.startswith("02_"):
                    page.locator(".MathJax_Display").first.screenshot(path=str(ARTIFACTS / "maths-display.png"))
                if name.startswith("04_"):
                    snapshot = page.locator("figure.book-widget-snapshot")
                    assert snapshot.count() == 1, where + "no static snapshot of the mask explorer"
                    text = snapshot.inner_text()
                    for want in ("Static snapshot", "make lab", "MADE mask explorer", "D (inputs): 6",
                                 "hidden widths: 8, 8", "Generation order", "inputs"):
                        assert want in text, where + f"{want!r} missing from the explorer snapshot"
                    pictures = snapshot.locator("img").evaluate_all(
                        "is => is.map(i => [i.className, i.naturalWidth])")
                    assert [c for c, _ in pictures] == ["made-network", "made-matrices"], pictures
                    assert all(w > 0 for _, w in pictures), pictures
                    snapshot.screenshot(path=str(ARTIFACTS / "mask-explorer-snapshot.png"))
            assert not blocked, f"the pages asked for outside resources: {sorted(set(blocked))}"
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-page.png"), full_page=False)
            (ARTIFACTS / "failed-browser-messages.txt").write_text("\n".join(problems + blocked))
            raise


# ----------------------------------------------------------------------------- a bad --out
@pytest.mark.slow
def test_book_with_a_file_named_build_says_so_in_one_line(tmp_path):
    (tmp_path / "build").write_text("mine")
    r = subprocess.run([sys.executable, str(ROOT / "book" / "build.py"), "--out", str(tmp_path / "build" / "book")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"book: {tmp_path / 'build'} is a file, not a folder, so "
                                             f"{tmp_path / 'build' / 'book'} cannot be made: move that file away "
                                             f"or choose another --out"]
    assert (tmp_path / "build").read_text() == "mine"
