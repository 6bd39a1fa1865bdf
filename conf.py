"""Sphinx configuration of the rnnlstm book: ``sphinx-build -c . docs _build/html``.

Three promises are kept here:
- strict: notebook errors fail the build, and so does a failed verification inside one;
- fresh: executed outputs are cached, but the cache is cleared whenever the sources of
  ``derivations/``, ``rnnlstm/`` or the book's own helpers change, and every page depends on them;
- offline: MathJax is served from the site itself (installed from npm at set-up, never committed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import rnnlstm  # noqa: E402

# The pages' kernels import derivations/ and rnnlstm/ from this checkout, whatever is installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

project = "rnnlstm"
author = "the rnnlstm authors"
copyright = "2026, the rnnlstm authors"
release = version = rnnlstm.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxcontrib.bibtex",
    "sphinx_copybutton",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
nitpicky = True
# Docstring types ("ndarray, shape (n_a, m)") become py:class references; with no network there is
# no intersphinx to resolve numpy's, so only references into this project are held to nitpicky.
nitpick_ignore_regex = [("py:class", r"(?!rnnlstm\.).*")]

# Notebooks: MyST Markdown, executed at build time, cached between builds.
CACHE = Path(os.environ.get("RNNLSTM_CACHE", ROOT / ".cache" / "jupyter_cache")).resolve()
nb_execution_mode = os.environ.get("RNNLSTM_EXECUTION_MODE", "cache")
# Brute-force results live in the execution cache, cleared with it: each is computed once a build
os.environ["RNNLSTM_BRUTEFORCE_CACHE"] = str(CACHE / "bruteforce")
nb_execution_cache_path = str(CACHE)
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True
nb_render_markdown_format = "myst"  # tables in the verification outputs
# SymPy/IPython Math objects carry text/latex; render them with MathJax, not as PNG.
nb_mime_priority_overrides = [
    (builder, "text/latex", 5) for builder in ("html", "dirhtml", "singlehtml")
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
math_numfig = True
numfig = True
math_eqref_format = "({number})"

napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"

bibtex_bibfiles = ["docs/references.bib"]
bibtex_default_style = "plain"

html_theme = "sphinx_book_theme"
html_title = "rnnlstm: backpropagation through time, derived and verified"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "extra_footer": (
        "The code is under the MIT licence; the book's text and figures are under "
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>.'
    ),
}
html_static_path: list[str] = []
html_last_updated_fmt = None

# Sources whose change must re-execute every page.
LIBRARY = sorted(
    [*ROOT.glob("derivations/**/*.py"), *ROOT.glob("derivations/generated/*.json"),
     *ROOT.glob("rnnlstm/**/*.py"), *ROOT.glob("docs/*.py")]
)  # fmt: skip


def library_digest() -> str:
    h = hashlib.sha256()
    for path in LIBRARY:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _tie_cache_to_library(app):
    """Clear the execution cache when the library changed; create it before any worker forks."""
    from jupyter_cache import get_cache

    stamp = CACHE / "library.sha256"
    digest = library_digest()
    if CACHE.exists() and (not stamp.exists() or stamp.read_text() != digest):
        shutil.rmtree(CACHE)
    cache = get_cache(CACHE)
    cache.list_cache_records()  # creates the SQLite tables now, not in parallel workers
    stamp.write_text(digest)


def _depend_on_library(app, docname, source):
    if app.env.doc2path(docname).suffix == ".md":
        for path in LIBRARY:
            app.env.note_dependency(str(path))


# MathJax 3 from the npm package, copied into the site: no page loads anything from elsewhere.
MATHJAX = Path(os.environ.get("RNNLSTM_MATHJAX", ROOT / ".cache" / "mathjax" / "node_modules" / "mathjax" / "es5"))
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {"tex": {"tags": "none"}, "options": {"enableMenu": False}}


def _require_mathjax(app):
    if app.builder.format == "html" and not (MATHJAX / "tex-chtml.js").exists():
        raise RuntimeError(
            f"MathJax 3 not found at {MATHJAX}: run the README's build command (scripts/docs.sh), "
            "which installs it from npm"
        )


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for rel in MATHJAX_FILES:
        src, dst = MATHJAX / rel, target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def setup(app):
    app.connect("builder-inited", _require_mathjax)
    app.connect("builder-inited", _tie_cache_to_library)
    app.connect("source-read", _depend_on_library)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
