"""Sphinx configuration of the rnnlstm book: ``sphinx-build -c . docs _build/html``.

Three promises are kept here:
- strict: notebook errors fail the build, and so does a failed verification inside one;
- fresh: executed outputs are cached, and each page's notebook carries a digest of the sources its
  code uses (bookbuild.py), so a page executes again exactly when one of them changed; the build
  writes only into a cache folder it made, or a new or empty one;
- offline: MathJax is served from the site itself (installed from npm at set-up, never committed).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import sphinx.util.logging  # noqa: E402

import bookbuild  # noqa: E402
import bookexport  # noqa: E402
import rnnlstm  # noqa: E402

# The pages' kernels import derivations/ and rnnlstm/ from this checkout, whatever is installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
# Pages run side by side, one per core (-j auto): a kernel whose BLAS starts threads of its own on
# top of that runs slower, not faster (the fused LSTM at T_x = 100 took 3.5 times as long on two
# busy cores). One BLAS thread per kernel, unless the environment says otherwise.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

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
    "sphinx_design",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
nitpicky = True
# Docstring types ("ndarray, shape (n_a, m)") become py:class references; with no network there is
# no intersphinx to resolve numpy's, so only references into this project are held to nitpicky.
nitpick_ignore_regex = [("py:class", r"(?!rnnlstm\.).*")]

# Notebooks: MyST Markdown, executed at build time, cached between builds.
CACHE = Path(os.environ.get("RNNLSTM_CACHE", ROOT / ".cache" / "jupyter_cache")).resolve()
nb_execution_mode = os.environ.get("RNNLSTM_EXECUTION_MODE", "cache")
# Brute-force results live in the execution cache, in a folder of this version of derivations/.
BRUTEFORCE = CACHE / "bruteforce"
DERIVATIONS = bookbuild.digest(bookbuild.package_files("derivations"))
os.environ["RNNLSTM_BRUTEFORCE_CACHE"] = str(BRUTEFORCE / DERIVATIONS)
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
numfig_secnum_depth = 0  # one sequence of equation numbers through the book, in the PDF as on the site

napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the signatures as the course writes them; types and shapes are in the docstrings

bibtex_bibfiles = ["docs/references.bib"]
bibtex_default_style = "plain"

html_theme = "sphinx_book_theme"
html_title = "rnnlstm: backpropagation through time, derived and verified"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,  # the page's Markdown source and its executed notebook
    "use_fullscreen_button": False,
    "extra_footer": (
        "The code is under the MIT licence; the book's text and figures are under "
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>.'
    ),
}
html_static_path = ["docs/_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None

DIGEST_CELL = """

```{{code-cell}} ipython3
:tags: [remove-cell]
# The sources this page's code uses have the digest {digest} (conf.py: a change executes it again)
```
"""


def _own_the_cache(app):
    """Take the execution cache (refusing a folder the build did not make), create its tables before
    any worker forks, and delete brute-force results of other versions of derivations/."""
    from jupyter_cache import get_cache
    from sphinx.errors import ConfigError

    try:
        bookbuild.own_cache(CACHE)
    except ValueError as refused:
        raise ConfigError(str(refused)) from None  # the user's setting, not a bug to report
    get_cache(CACHE).list_cache_records()  # creates the SQLite tables now, not in parallel workers
    _with_its_digest.cache_clear()  # the sources may have changed since an earlier build in this process
    for stale in BRUTEFORCE.glob("*"):
        if stale.is_dir() and stale.name != DERIVATIONS:
            shutil.rmtree(stale)


@functools.cache  # asked for by _execute_ahead, then as the page is read; emptied when a build starts
def _with_its_digest(path, text):
    """The page's text with the cell that carries the digest of the sources its code cells use, and
    those sources: ``(text, [])`` unchanged for a page with no code."""
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook

    if path.suffix != ".md" or not is_myst_markdown_notebook(text):
        return text, []
    notebook = read_myst_markdown_notebook(text, path=path)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    if not cells:
        return text, []
    sources = bookbuild.page_sources(cells, path)
    return text + DIGEST_CELL.format(digest=bookbuild.digest(sources)), sources


def _tie_page_to_its_sources(app, docname, source):
    """Make the page's notebook carry the digest of the sources its code cells use, so that
    jupyter-cache's key (a hash of the code cells) changes with them, and re-read the page when one
    of them changes."""
    source[0], sources = _with_its_digest(Path(app.env.doc2path(docname)), source[0])
    for file in sources:
        app.env.note_dependency(str(file))


# The pages that take longest to execute (seconds in a clean build, benchmarks/build_times.py:
# training 40, verification 22; the rest 1-7 each): in a build with no earlier times, they start first.
LONGEST = ("training", "verification")


def _execute_ahead(app, env, docnames):
    """Execute the pages about to be read whose outputs are not in the cache, before Sphinx reads
    them, in as many processes as it reads with (bookbuild.execute_ahead). Sphinx hands its
    readers fixed runs of consecutive pages, and the two longest pages, being last in the
    alphabet, ran one after the other while the other core idled. With ``-j 1`` each page runs as
    it is read, and a failing page's traceback prints in the terminal."""
    from myst_nb.core.read import create_nb_reader

    if nb_execution_mode != "cache" or app.parallel < 2:
        return
    notebooks = {}
    for docname in docnames:
        path = Path(env.doc2path(docname))
        text, _ = _with_its_digest(path, path.read_text(encoding="utf-8"))
        reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
        if reader is not None:  # as MyST-NB will read it, so that the cache's key is the same
            notebooks[str(path)] = reader.read(text)
    longest = [str(env.doc2path(docname)) for docname in LONGEST]
    bookbuild.execute_ahead(notebooks, CACHE, app.parallel, nb_execution_timeout, sphinx.util.logging.getLogger(__name__), longest)


# The whole book as one PDF (scripts/pdf.sh): xelatex, since pdflatex stops on the book's Unicode.
# When it has been built, the site serves it as rnnlstm.pdf and the home page links it (tag "pdf").
PDF = ROOT / "_build" / "pdf" / "rnnlstm.pdf"  # scripts/pdf.sh puts it here, outside every builder's output
if PDF.exists():
    html_extra_path = [str(PDF)]
    tags.add("pdf")  # noqa: F821 - Sphinx passes conf.py its tags
latex_engine = "xelatex"
latex_use_xindy = False
latex_documents = [("index", "rnnlstm.tex", html_title, author, "manual")]
latex_show_urls = "footnote"
latex_elements = {  # DejaVu Sans Mono: the code's comments use ⟨t⟩ and ⊙, which FreeMono's italic lacks
    # chapters numbered, sections not: the errata number their own headings, as on the site
    "preamble": r"\setcounter{secnumdepth}{0}",
    "fontpkg": r"""
\setmainfont{FreeSerif}[Extension=.otf, UprightFont=*, ItalicFont=*Italic, BoldFont=*Bold, BoldItalicFont=*BoldItalic]
\setsansfont{FreeSans}[Extension=.otf, UprightFont=*, ItalicFont=*Oblique, BoldFont=*Bold, BoldItalicFont=*BoldOblique]
\setmonofont{DejaVu Sans Mono}[Scale=MatchLowercase]
""",
}

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


def _offer_the_notebook(app, pagename, templatename, context, doctree):
    """Put the page's executed notebook, readable in plain Jupyter (bookexport.py), beside its
    source in ``_sources/`` and offer it in the download menu: sphinx-book-theme offers one only
    with online launch buttons, which an offline book has none of."""
    import json

    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if app.builder.format != "html" or not executed.exists():
        return
    notebook = bookexport.reader_notebook(_with_outputs(executed), _export_context(app, pagename))
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def _with_outputs(executed):
    """The executed notebook with its outputs: MyST-NB writes a page taken from the execution cache
    without them (it merges the outputs into a copy), so they come from the cache here."""
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(executed, as_version=4)
    if nb_execution_mode == "cache" and not any(c.get("outputs") for c in notebook.cells):
        _, notebook = get_cache(CACHE).merge_match_into_notebook(notebook)
    return notebook


def _export_context(app, pagename):
    import json

    from docutils.nodes import make_id
    from sphinx.directives.code import LiteralIncludeReader

    env = app.env
    executed = Path(app.outdir).parent / "jupyter_execute"

    @functools.cache
    def outputs(page):
        path = executed / f"{page}.glue.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def glue(key):
        page, _, name = key.rpartition("::")
        found = outputs(page.removesuffix(".ipynb").removesuffix(".md") or pagename).get(name)
        if found is None:
            raise KeyError(f"{pagename}: no glued output {key!r} in {executed} (build the page again)")
        return found

    def equation(label):
        docname, _ = env.domains.math_domain.equations.get(label, (None, None))
        number = env.toc_fignumbers.get(docname, {}).get("displaymath", {}).get(make_id(f"equation-{label}"))
        return ".".join(map(str, number)) if number else None

    def include(argument, options):
        reader = LiteralIncludeReader(str(ROOT / "docs" / argument), options, app.config)
        return reader.read()[0], options.get("language", "")

    return bookexport.Context(
        glue=glue,
        equation=equation,
        # a page left out of the build (a test's smaller book) is named by its docname
        title=lambda docname: env.titles[docname].astext() if docname in env.titles else docname,
        label=lambda label: env.domains.standard_domain.labels[label][2],
        citation=lambda key: _citations().get(key, key),
        include=include,
    )


@functools.cache
def _citations():
    """Bibliography key → "Author Year" (the first author's last name), from the book's .bib."""
    from pybtex.database import parse_file

    short = {}
    for key, entry in parse_file(str(ROOT / bibtex_bibfiles[0])).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        name = " ".join(people[0].last_names) if people else entry.fields.get("organization", key)
        short[key] = f"{name}{' et al.' if len(people) > 2 else ''} {entry.fields.get('year', '')}".strip()
    return short


# Every derived equation, by its page label ("rnn-cell-dWax"): its key in derivations/ ("rnn.cell.dWax"),
# read from the committed generated files (importing derivations/ would cost every build seconds).
DERIVED = {
    key.replace(".", "-"): key
    for path in sorted((ROOT / "derivations" / "generated").glob("*.json"))
    for key in __import__("json").loads(path.read_text(encoding="utf-8"))
}
GROUPS = {"forward": "forward", "cell": "one cell", "output": "output layer", "bptt": "through time"}


def _where(chapter, group):
    """Where an equation belongs, for the search: "RNN, one cell"; the stack's "stacked LSTM"."""
    return f"stacked {group.upper()}" if chapter == "deep" else f"{chapter.upper()}, {GROUPS[group]}"


def _name_the_equations(app, doctree):
    """Record every derived equation under its code name (``dWaa``, ``da_prev``, ``dc``) in the
    ``equation`` domain, whose objects the search looks up: a reader finds an equation by the name
    the code, the tables and the tests use. (Sphinx's index entries would do it too, but an
    incremental build drops them from the search index.)"""
    from docutils import nodes

    domain = app.env.domains["equation"]
    for block in doctree.findall(nodes.math_block):
        key = DERIVED.get(block.get("label") or "")
        if key is not None:
            domain.note(key, app.env.docname, nodes.make_id(f"equation-{block['label']}"))


def _equation_domain():
    from sphinx.domains import Domain, ObjType

    class EquationDomain(Domain):
        """The derived equations by their code names, for the search (see _name_the_equations)."""

        name = "equation"
        label = "Derived equation"
        object_types = {"equation": ObjType("derived equation", "equation")}
        initial_data = {"objects": {}}  # key "rnn.cell.dWax" -> (docname, anchor)

        def note(self, key, docname, anchor):
            self.data["objects"][key] = (docname, anchor)

        def clear_doc(self, docname):
            for key, (doc, _) in list(self.data["objects"].items()):
                if doc == docname:
                    del self.data["objects"][key]

        def merge_domaindata(self, docnames, otherdata):
            for key, (doc, anchor) in otherdata["objects"].items():
                if doc in docnames:
                    self.data["objects"][key] = (doc, anchor)

        def resolve_any_xref(self, env, fromdocname, builder, target, node, contnode):
            return []

        def get_objects(self):
            for key, (docname, anchor) in sorted(self.data["objects"].items()):
                chapter, group, name = key.split(".")
                yield name, f"{name} ({_where(chapter, group)})", "equation", docname, anchor, 1

    return EquationDomain


def setup(app):
    app.connect("builder-inited", _require_mathjax)
    app.connect("builder-inited", _own_the_cache)
    app.connect("source-read", _tie_page_to_its_sources)
    app.connect("env-before-read-docs", _execute_ahead)
    app.add_domain(_equation_domain())
    app.connect("doctree-read", _name_the_equations)
    app.connect("build-finished", _copy_mathjax)
    app.connect("html-page-context", _offer_the_notebook, priority=500)  # before the theme's buttons (501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
