"""MathJax for pages read offline: the static book (``book/build.py``) and the nbgrader course's feedback pages
and formgrader (``scripts/nbgrader_course.py``). MathJax 2.7 comes from the ``jupyter-server-mathjax`` package
(the Jupyter project's packaging of MathJax, with HTML-CSS output and STIX-Web fonts only, hence the font settings
below); a page loads it from a copy next to it, or from the Jupyter server, never from a CDN.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import MadeError

__all__ = ["CONFIG", "CONFIG_SCRIPT", "ONLINE_FALLBACK", "MathJaxMissing", "copy_mathjax", "fallback_loader",
           "head_html", "mathjax_source"]

CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
"""MathJax's combined configuration file (``?config=`` in the script's URL); the package ships it."""

CONFIG_SCRIPT = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
    TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
    tex2jax: {
        inlineMath: [['$', '$'], ["\\\\(", "\\\\)"]],
        displayMath: [['$$', '$$'], ["\\\\[", "\\\\]"]],
        processEscapes: true,
        processEnvironments: true
    },
    displayAlign: "center",
    messageStyle: "none",
    "HTML-CSS": {
        availableFonts: [], webFont: "STIX-Web", imageFont: null,
        linebreaks: {automatic: true},
        // MathJax's "font not loaded" probe fetches url('about:blank'), an error on a file:// page;
        // a local() source that never matches does the same job without a request
        styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}
    },
    "fast-preview": {disabled: true}
});
</script>
<style>
  /* the hidden MathML copy that MathJax adds for screen readers asks for MathJax's TeX fonts,
     which the bundled copy lacks (it has STIX-Web): give it the surrounding font instead */
  .MJX_Assistive_MathML [mathvariant] { font-family: inherit !important; }
</style>"""
"""MathJax's settings (delimiters as in nbconvert's own configuration), to put before the script that loads it."""


ONLINE_FALLBACK = f"https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js?config={CONFIG}"
"""MathJax from nbconvert's usual CDN: only where a page's local copy is missing (a feedback page sent alone)."""


def fallback_loader(url: str) -> str:
    """A ``<script>`` loading MathJax from ``url`` (local) and, only if that fails, from :data:`ONLINE_FALLBACK`:
    a page that has its local copy never asks the network."""
    return (f'<script src="{url}" onerror="var s = document.createElement(\'script\'); '
            f's.src = \'{ONLINE_FALLBACK}\'; document.head.appendChild(s);"></script>')


class MathJaxMissing(MadeError):
    """The ``jupyter-server-mathjax`` package, or its MathJax.js, is not installed."""


def mathjax_source() -> Path:
    """The folder of MathJax 2 files shipped by the ``jupyter-server-mathjax`` package (``MathJax.js`` in it)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise MathJaxMissing("MathJax comes from the `jupyter-server-mathjax` package, which is not installed: "
                             "`make install` installs it (or `pip install -e '.[book]'`)") from None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise MathJaxMissing(f"no MathJax.js in {static}: reinstall jupyter-server-mathjax")
    return static


def copy_mathjax(folder: Path) -> Path:
    """Copy MathJax into ``folder`` (created; files there are replaced); returns ``folder / "MathJax.js"``."""
    shutil.copytree(mathjax_source(), folder, dirs_exist_ok=True)
    return folder / "MathJax.js"


def head_html(url: str) -> str:
    """The HTML for a page's head: :data:`CONFIG_SCRIPT` and the script loading MathJax from ``url`` (a URL
    relative to the page, e.g. ``mathjax/MathJax.js?config=...``)."""
    return f'{CONFIG_SCRIPT}\n<script src="{url}"></script>'
