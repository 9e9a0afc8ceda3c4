"""Build the notebook series as a static, offline HTML book: ``make book`` (or ``python book/build.py``).

Pages, in reading order: ``index.html`` (the landing page: each notebook's title and the one-line
description from README.md's table), the notebooks ``notebooks/0*.ipynb`` with their committed
outputs (never re-executed) and ``exercises.html`` (``notebooks/exercises/README.md``). Every page
has previous / index / next links at its top and bottom. The site goes to ``build/book/``
(git-ignored; ``--out`` to change); open ``build/book/index.html`` in a browser, no server needed.

Written by hand on nbconvert's HTML exporter rather than with a documentation generator (Jupyter
Book, Sphinx) because the job is small: ten pages and a link bar. The exporter comes with
JupyterLab, and a site generator would bring its own theme, search and dependencies.

Offline, at build and at view time:

* MathJax 2.7 comes from the ``jupyter-server-mathjax`` package (the Jupyter project's packaging
  of MathJax, installed by ``make install``) and is copied into the site under ``mathjax/``
  (``made_helpers.experiments.offline_mathjax``, shared with the nbgrader course's feedback pages);
  ``page.html.j2`` points the pages at that copy instead of nbconvert's CDN address and drops
  the other CDN scripts (require.js, mermaid, the widget manager).
* Images are embedded in the pages (nbconvert's default for outputs).
* The mask explorer of notebook 04 is an ipywidgets output, which a static page cannot run.
  It is replaced by a static snapshot drawn from the widget state saved in the notebook (its
  title, the settings its controls held, status text, degree table and both pictures), with a
  caption saying so and how to run the interactive explorer.

The build reads only files in the repository and the installed packages, and writes the same
bytes for the same inputs (it takes a few seconds).
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from made_helpers.experiments import offline_mathjax

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
NOTEBOOKS = REPO / "notebooks"
EXERCISES_README = NOTEBOOKS / "exercises" / "README.md"
DEFAULT_OUT = REPO / "build" / "book"
MARKER = ".made-book"  # marks a folder this script built, so that a rebuild may empty it
MATHJAX_DIR = "mathjax"
MATHJAX_URL = f"{MATHJAX_DIR}/MathJax.js?config={offline_mathjax.CONFIG}"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class BookError(RuntimeError):
    """Something in the sources keeps the book from being built; the message says what to fix."""


# ----------------------------------------------------------------------------- the pages
class Page:
    """One HTML page: its file name, title (markdown) and the notebook it is made from."""

    def __init__(self, filename: str, title: str, nb: nbformat.NotebookNode, description: str = ""):
        self.filename, self.title, self.nb, self.description = filename, title, nb, description


def notebook_title(nb: nbformat.NotebookNode, path: Path) -> str:
    """The text of the notebook's first level-1 heading, e.g. ``01 · Vanilla autoencoders: …``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1)
    raise BookError(f"{path.relative_to(REPO)} has no '# title' heading in a markdown cell")


def readme_descriptions() -> dict[str, str]:
    """``{notebook stem: description}`` from README.md's table of notebooks."""
    rows = re.findall(r"^\|\s*`(\d\d_\w+)`\s*\|\s*(.+?)\s*\|\s*$", (REPO / "README.md").read_text("utf-8"),
                      flags=re.MULTILINE)
    return dict(rows)


def plain(markdown: str) -> str:
    """Markdown title text as plain text (for <title> and link tooltips)."""
    return re.sub(r"`([^`]*)`", r"\1", markdown)


def markdown_notebook(source: str, title: str) -> nbformat.NotebookNode:
    """A one-cell notebook holding markdown, so that every page goes through the same exporter."""
    cell = nbformat.v4.new_markdown_cell(source, id="page")  # a fixed id: the same bytes every build
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["title"] = plain(title)
    return nb


def collect_pages() -> list[Page]:
    """The book in reading order: landing page, the notebooks 0*.ipynb, exercises."""
    descriptions = readme_descriptions()
    chapters = []
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if path.stem not in descriptions:
            raise BookError(f"README.md's table of notebooks has no row for `{path.stem}`: add "
                            f"'| `{path.stem}` | <one line on what it shows> |' (the landing page uses it)")
        title = notebook_title(nb, path)
        nb.metadata["title"] = plain(title)
        chapters.append(Page(f"{path.stem}.html", title, nb, descriptions[path.stem]))
    if not chapters:
        raise BookError(f"no notebooks found in {NOTEBOOKS.relative_to(REPO)}/0*.ipynb")

    exercises_md = EXERCISES_README.read_text("utf-8")
    heading = re.search(r"^#\s+(.+?)\s*$", exercises_md, flags=re.MULTILINE)
    exercises_title = heading.group(1) if heading else "Classroom exercises"
    exercises = Page("exercises.html", exercises_title, markdown_notebook(exercises_md, exercises_title),
                     "one exercise notebook per main notebook from 02 on, checked automatically")

    lines = [
        "# MADE: Masked Autoencoder for Distribution Estimation, a notebook series",
        "",
        "From vanilla autoencoders to training and sampling MADE (Germain, Gregor, Murray, Larochelle, "
        "ICML 2015) on statically binarized MNIST. These pages are the committed notebooks with the "
        "outputs of their last full run; to run them yourself, `make lab` in the repository.",
        "",
        "## Reading order",
        "",
    ]
    for i, page in enumerate(chapters, 1):
        lines.append(f"{i}. [{page.title}]({page.filename}) — {page.description}")
    lines += ["", "## For instructors", "",
              f"- [{exercises.title}]({exercises.filename}) — {exercises.description}", ""]
    title = "MADE tutorial: contents"
    landing = Page("index.html", title, markdown_notebook("\n".join(lines), title))
    return [landing, *chapters, exercises]


def nav_html(pages: list[Page], i: int) -> str:
    """The previous / index / next bar of page ``i``."""
    def link(j: int, cls: str, rel: str, before: str = "", after: str = "") -> str:
        if not 0 <= j < len(pages):
            return f'<span class="{cls}"></span>'
        text = html.escape(plain(pages[j].title))
        return f'<span class="{cls}"><a href="{pages[j].filename}" rel="{rel}">{before}{text}{after}</a></span>'

    prev = link(i - 1, "book-nav-prev", "prev", before="← ")
    nxt = link(i + 1, "book-nav-next", "next", after=" →")
    index = '<span class="book-nav-index"><a href="index.html" rel="index">Contents</a></span>'
    return f'<nav class="book-nav" aria-label="book navigation">{prev}{index}{nxt}</nav>'


# ------------------------------------------------------------------- static widget snapshots
def _ref(value) -> str | None:
    """``"IPY_MODEL_<id>"`` -> ``"<id>"``."""
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def _hidden(model: dict, state: dict) -> bool:
    layout = state.get(_ref(model["state"].get("layout")) or "", {})
    return layout.get("state", {}).get("display") == "none"


def _control_text(model: dict) -> str | None:
    """``"description: value"`` for a control widget, or None for a widget that is not a control."""
    s = model["state"]
    name = model["model_name"]
    if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel"):
        labels, index = s.get("_options_labels", []), s.get("index")
        value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else "—"
    elif name in ("CheckboxModel", "ToggleButtonModel"):
        value = "yes" if s.get("value") else "no"
    elif "value" in s and name.endswith(("SliderModel", "TextModel", "IntTextModel", "FloatTextModel")):
        value = s["value"]
    else:
        return None
    return f"{s.get('description', '') or name[:-5]}: {value}"


def widget_html(model_id: str, state: dict) -> str:
    """Static HTML for a saved widget and its children: boxes nest, HTML and images show as they
    were, controls show as 'description: value' text. Hidden widgets are left out."""
    model = state.get(model_id)
    if model is None or _hidden(model, state):
        return ""
    name, s = model["model_name"], model["state"]
    classes = " ".join(s.get("_dom_classes", []))
    if name in ("VBoxModel", "BoxModel", "GridBoxModel", "HBoxModel"):
        children = [_ref(c) for c in s.get("children", [])]
        controls = [t for t in (_control_text(state[c]) for c in children if c in state
                                and not _hidden(state[c], state)) if t]
        if controls and len(controls) == len(children):  # a row of controls: one line of settings
            spans = "".join(f"<span>{html.escape(str(t))}</span>" for t in controls)
            return f'<div class="book-widget-controls {classes}">{spans}</div>'
        return f'<div class="{classes}">' + "".join(widget_html(c, state) for c in children if c) + "</div>"
    if name in ("HTMLModel", "HTMLMathModel"):
        return f'<div class="{classes}">{s.get("value", "")}</div>'
    if name == "LabelModel":
        return f'<div class="{classes}">{html.escape(s.get("value", ""))}</div>'
    if name == "ImageModel":
        data = next((b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
        if not data:
            return ""
        base64.b64decode(data, validate=True)  # fail on a corrupt buffer rather than show a broken image
        fmt = s.get("format", "png")
        return f'<img class="{classes}" src="data:image/{fmt};base64,{data}" alt="{classes or "widget image"}">'
    text = _control_text(model)
    return f'<div class="book-widget-controls"><span>{html.escape(text)}</span></div>' if text else ""


SNAPSHOT_CAPTION = (
    "Static snapshot of the interactive mask explorer, drawn from the widget state saved with this "
    "notebook: the settings are shown as text and the pictures do not respond. To use the explorer, "
    "run this notebook in JupyterLab (<code>make lab</code>, then open "
    "<code>notebooks/{notebook}</code> and run all cells).")


def replace_widgets(nb: nbformat.NotebookNode, notebook: str) -> int:
    """Swap every widget output for a static snapshot from the notebook's saved widget state.

    Returns the number replaced. A widget output whose state was not saved is a build error (the
    page would show nothing where the widget was)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            model_id = view.get("model_id")
            body = widget_html(model_id, state) if model_id in state else ""
            if not body:
                raise BookError(
                    f"notebooks/{notebook}: a widget output (model {model_id}) has no saved widget state, so "
                    "the book would show nothing there. Re-execute the notebook with nbclient, which saves the "
                    f"widget state (`jupyter execute --inplace notebooks/{notebook}`), or in JupyterLab with "
                    "Settings → Save Widget State Automatically on.")
            caption = SNAPSHOT_CAPTION.format(notebook=html.escape(notebook))
            output["data"] = {"text/html": f'<figure class="book-widget-snapshot"><figcaption>{caption}'
                                           f"</figcaption>{body}</figure>"}
            replaced += 1
    nb.metadata.pop("widgets", None)
    return replaced


# ------------------------------------------------------------------------------ the build
def mathjax_source() -> Path:
    """The MathJax 2 files shipped by the ``jupyter-server-mathjax`` package
    (``made_helpers.experiments.offline_mathjax``)."""
    try:
        return offline_mathjax.mathjax_source()
    except offline_mathjax.MathJaxMissing as exc:
        raise BookError(f"the book needs MathJax: {exc}") from None


def check_out(out: Path) -> None:
    """Refuse ``out`` when it cannot be made (a file in its path) or is a folder this script did not build."""
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise BookError(f"{parent} is a file, not a folder, so {out} cannot be made: move that file away "
                            "or choose another --out")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise BookError(f"{out} exists and was not built by this script: choose another --out "
                        "or remove it yourself")


def prepare_out(out: Path) -> None:
    """Empty ``out`` if this script built it (or it is empty); refuse any other folder, or a file in its path."""
    check_out(out)
    if out.exists():
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise BookError(f"cannot create {out} ({exc.strerror or exc}): choose another --out") from None
    (out / MARKER).write_text("built by book/build.py; emptied on every build\n", "utf-8")


def link_pages(body: str, filenames: set[str]) -> str:
    """Point links between notebooks (``href="07_....ipynb#anchor"``) at their pages in the book."""
    def page(match: re.Match) -> str:
        html_name = match.group(1) + ".html"
        return f'href="{html_name}{match.group(2) or ""}"' if html_name in filenames else match.group(0)
    return re.sub(r'href="([\w-]+)\.ipynb(#[^"]*)?"', page, body)


def build(out: Path = DEFAULT_OUT) -> list[Path]:
    """Build the book into ``out``; returns the pages written, in reading order."""
    check_out(out)                      # before the slow part: a bad --out is reported at once
    pages = collect_pages()
    mathjax_source()                    # before emptying out: a missing MathJax is reported at once
    prepare_out(out)
    offline_mathjax.copy_mathjax(out / MATHJAX_DIR)
    exporter = HTMLExporter(template_name="lab", template_file="page.html.j2",
                            extra_template_paths=[str(HERE)])
    written = []
    for i, page in enumerate(pages):
        if page.filename not in ("index.html", "exercises.html"):
            replace_widgets(page.nb, page.filename.replace(".html", ".ipynb"))
        resources = {"book_nav_html": nav_html(pages, i), "book_mathjax_head": offline_mathjax.head_html(MATHJAX_URL),
                     "metadata": {"name": plain(page.title)}}
        body, _ = exporter.from_notebook_node(page.nb, resources=resources)
        body = link_pages(body, {p.filename for p in pages})
        target = out / page.filename
        target.write_text(body, "utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the site (default: build/book; emptied first)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        pages = build(args.out.resolve())
    except BookError as exc:
        print(f"book: {exc}", file=sys.stderr)
        return 1
    print(f"book: {len(pages)} pages in {time.perf_counter() - start:.1f} s; open {pages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
