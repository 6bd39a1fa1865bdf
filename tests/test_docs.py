"""The book: a strict build, equations from derivations/, offline math, a cache tied to the sources."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, part_of_the_book, seeded_cache, sphinx_build

import bookbuild
import derivations
import rnnlstm
from derivations import bruteforce
from derivations.shapes import shape_check

pytestmark = pytest.mark.docs

CHAPTER_PAGES = {
    "rnn": ["rnn-forward", "rnn-cell-backward", "rnn-bptt"],
    "lstm": ["lstm-forward", "lstm-cell-backward", "lstm-bptt"],
    "gru": ["gru-forward", "gru-cell-backward", "gru-bptt"],
    "torch_gru": ["torch-gru"],
    "deep": ["deep"],
    "bidirectional": ["bidirectional"],
}
PAGES = ["index", "notation", "node-rules", *CHAPTER_PAGES["rnn"], *CHAPTER_PAGES["lstm"], *CHAPTER_PAGES["gru"],
         *CHAPTER_PAGES["torch_gru"], "rnn-vs-lstm", "deep", "bidirectional", "gradient-flow", "clipping", "training",
         "fast", "verification", "errata", "api", "references"]  # fmt: skip


def html(site, page):
    return (site / f"{page}.html").read_text(encoding="utf-8")


def equation(site, page, label):
    """The HTML of one numbered equation."""
    match = re.search(rf'id="equation-{label}">(.*?)</div>', html(site, page), re.S)
    assert match, f"no equation {label} on {page}"
    return match.group(1)


def test_every_page_is_built_and_no_error_report_is_published(built_site):
    for page in PAGES:
        assert (site := built_site / f"{page}.html").exists(), site
    assert not (built_site / "reports").exists()


@pytest.mark.parametrize("chapter", CHAPTER_PAGES)
def test_every_derived_equation_is_on_a_page_with_a_label(built_site, chapter):
    text = "".join(html(built_site, p) for p in CHAPTER_PAGES[chapter])
    for key, result in derivations.results(chapter).items():
        label = "equation-" + key.replace(".", "-").replace("_", "-").lower()  # docutils' id
        assert f'id="{label}"' in text, f"{key} is not shown with its label"
        # the LaTeX is the derivation's, as printed by derivations/ (HTML-escaped)
        tex = result.display.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert tex in text, f"{key}: {result.display} not on the page"


@pytest.mark.parametrize("chapter", CHAPTER_PAGES)
def test_every_backward_equation_shows_its_shapes_under_it(built_site, chapter):
    """The shape line of derivations.shapes in the same display as its equation, on the backward
    pages; the forward pages keep their equations alone."""
    pages = CHAPTER_PAGES[chapter]
    for key, result in derivations.results(chapter).items():
        page = pages[0] if len(pages) == 1 else pages[0 if ".forward." in key else 1 if ".cell." in key else 2]
        shown = equation(built_site, page, key.replace(".", "-").replace("_", "-").lower())
        shown = shown.replace(r",\, ", ", ").replace(r" \;\to\; ", r" \to ")  # book.equation's spacing
        line = shape_check(result).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert (line in shown) == (".forward." not in key), f"{key}: {shape_check(result)} / {shown}"


@pytest.mark.parametrize("page", [p for pages in CHAPTER_PAGES.values() for p in pages[1:]])  # the backward pages
def test_verification_outputs_are_on_the_pages(built_site, page):
    text = html(built_site, page)
    assert "relative error vs central differences" in text
    assert "max abs(brute force − formula)" in text
    assert "max abs(numpy − derived), float64" in text
    assert "<table" in text  # the verification tables are rendered, not shown as Markdown source
    verdicts = re.findall(r"✓ (\d+) of (\d+)</strong>", text)
    assert len(verdicts) == 3 and all(a == b for a, b in verdicts), verdicts  # one line per check ...
    assert text.count("sd-dropdown") >= 3  # ... and its full table folded under it
    code = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"')
    assert ("da_next = da[:, :, t] + carried[0]" if page.endswith("bptt") else "def _cell_backward(da_next: Array") in code


def test_the_verification_chapter_leaves_out_a_column_it_could_not_measure(built_site):
    import importlib.util

    text = html(built_site, "verification")
    torch = importlib.util.find_spec("torch") is not None
    assert ("<p>PyTorch autograd</p>" in text or "PyTorch autograd</th>" in text) == torch
    assert ("PyTorch was not installed for this build" in text) != torch
    assert "not installed</td>" not in text and "<p>not installed</p>" not in text


def test_no_page_refers_to_another_host(built_site):
    for path in built_site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text):
            assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", tag), f"{path.name}: {tag}"
    assert (built_site / "_static/mathjax/tex-chtml.js").exists()
    assert any((built_site / "_static/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))


NOTEBOOK_PAGES = [p for p in PAGES if p not in ("index", "references")]  # the pages with code


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_every_page_offers_its_source_and_its_executed_notebook_readable_in_jupyter(built_site, page):
    import nbformat
    text = html(built_site, page)
    assert f'href="_sources/{page}.ipynb"' in text and f'href="_sources/{page}.md"' in text
    notebook = nbformat.read(built_site / "_sources" / f"{page}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), "the notebook is not the executed one"
    assert not any("have the digest" in c.source for c in code)  # the build's own bookkeeping
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    leftover = re.findall(r"\{(?:glue[:\w]*|eq|doc|cite|func|ref)\}`|^[ \t]*(?:```|:::)\{|^\([\w-]+\)=$", markdown, re.M)
    assert not leftover, f"{page}: MyST that plain Jupyter would show as text: {leftover}"
    if re.search(r"\{glue:math\}.*\n:label:", (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")):
        assert re.search(r"^\$\$\n.+ \\tag\{\d+\}\n\$\$$", markdown, re.M), "no numbered equation"


def test_a_parallel_clean_build_executes_each_page_once_ahead_and_reads_it_from_the_cache(built_book):
    """conf.py executes the pages ahead of Sphinx's reading; if the notebook it builds ever hashed
    differently from MyST-NB's, every page would run a second time as it is read."""
    log = (built_book[0].parent / "build.log").read_text(encoding="utf-8")
    assert set(re.findall(r"executing ahead: ([\w-]+)\.md in", log)) == set(NOTEBOOK_PAGES)
    assert "Executing notebook" not in log  # MyST-NB's own execution: it found every page in the cache


def test_executing_ahead_caches_what_runs_and_leaves_a_failing_page_to_the_reading(tmp_path):
    import nbformat
    from jupyter_cache import get_cache

    def notebook(code):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return nb

    good, bad = notebook("print(6 * 7)"), notebook("raise ValueError('planted')")
    said = []
    logger = type("Logger", (), {"info": staticmethod(said.append)})
    pages = {str(tmp_path / "good.md"): good, str(tmp_path / "bad.md"): bad}
    bookbuild.execute_ahead(pages, tmp_path / "cache", 2, 60, logger)
    cache = get_cache(tmp_path / "cache")
    executed = cache.get_cache_bundle(cache.match_cache_notebook(good).pk).nb
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    with pytest.raises(KeyError):
        cache.match_cache_notebook(bad)
    assert any("bad.md failed" in line for line in said) and any("good.md in" in line for line in said)


PDF = ROOT / "_build" / "pdf" / "rnnlstm.pdf"  # scripts/pdf.sh puts it here, outside every builder's output


@pytest.mark.skipif(not PDF.exists(), reason="the PDF is not built (bash scripts/pdf.sh builds it; it needs TeX)")
def test_the_pdf_has_every_numbered_equation_and_the_site_links_it(built_site):
    """Every equation number the site shows is in the PDF (glued equations come through the LaTeX
    builder, numbered in one sequence as on the site), and the site serves and links the PDF."""
    text = subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True, check=True).stdout
    on_the_site = {n for page in PAGES for n in re.findall(r'class="eqno">\((\d+)\)', html(built_site, page))}
    in_the_pdf = set(re.findall(r"\((\d+)\)\s*$", text, re.M))
    assert on_the_site and on_the_site <= in_the_pdf, f"missing from the PDF: {sorted(on_the_site - in_the_pdf, key=int)}"
    assert (built_site / "rnnlstm.pdf").read_bytes() == PDF.read_bytes()
    assert 'href="rnnlstm.pdf"' in html(built_site, "index")


def test_the_bibliography_shows_no_latex_and_keeps_the_case_of_names(built_site):
    text = re.sub(r"<[^>]+>", "", html(built_site, "references"))
    assert not re.search(r"\\[a-zA-Z]+|\$", text), re.findall(r".{30}(?:\\[a-zA-Z]+|\$).{30}", text)
    for name in ("LSTM", "Python", "SymPy", "PyTorch", "CS231n", "min-char-rnn"):
        assert name in text, name
    assert "Lstm" not in text and "Sympy" not in text


CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_every_page_has_the_licences_in_its_footer_and_the_version_is_the_packages(built_site):
    for page in PAGES:
        footer = re.search(r'<div class="extra_footer">(.*?)</div>', html(built_site, page), re.S)
        assert footer, f"{page}: no footer text"
        assert "code is under the MIT licence" in footer.group(1), page
        assert "text and figures are under" in footer.group(1), page
        assert f'<a href="{CC_BY}">CC BY 4.0</a>' in footer.group(1), page
    options = (built_site / "_static/documentation_options.js").read_text()
    assert f"VERSION: '{rnnlstm.__version__}'" in options


def test_a_cache_folder_the_build_did_not_make_is_left_alone(tmp_path):
    folder = tmp_path / "my-folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = sphinx_build(ROOT, tmp_path / "html", folder)
    assert result.returncode != 0
    message = " ".join((result.stdout + result.stderr).split())
    assert f"RNNLSTM_CACHE names {folder}, a folder that is not empty" in message, message[-3000:]
    assert "Set RNNLSTM_CACHE to a new or empty folder" in message
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("exists", [False, True], ids=["new", "empty"])
def test_a_new_or_empty_folder_becomes_the_cache_and_stays_the_builds(tmp_path, exists):
    folder = tmp_path / "cache"
    if exists:
        folder.mkdir()
    bookbuild.own_cache(folder)
    (folder / "global.db").write_text("what the build writes")
    bookbuild.own_cache(folder)  # the folder it made, no longer empty: taken again
    assert (folder / "global.db").read_text() == "what the build writes"


def test_the_cache_of_an_older_checkout_is_taken_as_the_builds(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / bookbuild.EARLIER_MARKER).write_text("0" * 64)  # what conf.py wrote before MARKER
    (folder / "global.db").write_text("what the build wrote")
    bookbuild.own_cache(folder)
    assert (folder / bookbuild.MARKER).exists() and (folder / "global.db").exists()


def sources(*cells, page="rnn-forward.md"):
    """The checkout's files that a page with these code cells depends on, relative to the root."""
    return {str(p.relative_to(ROOT)) for p in bookbuild.page_sources(list(cells), ROOT / "docs" / page)}


EVERY_SOURCE = {str(p.relative_to(ROOT)) for p in bookbuild.every_source()}


def test_a_page_depends_on_the_modules_its_code_imports_and_theirs():
    fused = sources("%config InlineBackend.figure_formats = ['svg']", "from rnnlstm import fused")
    assert {"rnnlstm/fused.py", "rnnlstm/__init__.py", "rnnlstm/lstm.py", "rnnlstm/_validate.py"} <= fused
    assert not any(p.startswith("derivations/") for p in fused)
    assert "rnnlstm/fused.py" not in sources("import rnnlstm")
    helper = sources("def f():\n    from book import table")  # an import inside a function counts
    assert {"docs/book.py", "derivations/notation.py"} <= helper and "docs/errata.py" not in helper
    # bruteforce imports derivations.{chapter} by a computed name: it depends on the whole package
    package = {str(p.relative_to(ROOT)) for p in bookbuild.package_files("derivations")}
    assert package <= sources("from derivations import bruteforce")
    assert not any(p.endswith(".json") for p in sources("import derivations"))


@pytest.mark.parametrize(
    "cell, needed",
    [
        ("x = (", EVERY_SOURCE),  # does not parse
        ("%run helper.py", EVERY_SOURCE),  # a magic that runs a file
        ("!python -c 'import rnnlstm.fused'", EVERY_SOURCE),
        ("import importlib\nimportlib.import_module(name)", EVERY_SOURCE),  # a computed name
        ("from importlib import import_module\nimport_module(f'rnnlstm.{name}')", {"rnnlstm/fused.py"}),
        ("__import__('rnnlstm.fused')", {"rnnlstm/fused.py"}),
        ("from unittest import mock\nmock.patch('rnnlstm.fused.softmax')", {"rnnlstm/fused.py"}),
        ("open('../rnnlstm/fused.py').read()", {"rnnlstm/fused.py"}),  # a file read by its path
        ("print(open('../derivations/generated/rnn.json').read())", {"derivations/generated/rnn.json"}),
    ],
)
def test_when_the_code_leaves_a_doubt_the_page_depends_on_more(cell, needed):
    assert needed <= sources(cell)


def _copy_checkout(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "_build", ".cache", ".git", "__pycache__", "*.egg-info"))
    return copy


def executions(cache):
    """The executions jupyter-cache holds: {(page, record id, time), ...}."""
    from jupyter_cache import get_cache

    return {(Path(r.uri).stem, r.pk, r.created) for r in get_cache(cache).list_cache_records()}


def outputs(cache, page):
    """The text outputs of ``page``'s newest execution in the cache."""
    from jupyter_cache import get_cache

    c = get_cache(cache)
    pk = max(r.pk for r in c.list_cache_records() if Path(r.uri).stem == page)
    cells = c.get_cache_bundle(pk).nb.cells
    return "".join(output.get("text", "") for cell in cells for output in cell.get("outputs", []))


def test_changing_the_derivations_reexecutes_the_pages(tmp_path, built_book):
    """A stale cache would keep the old equations; the digest of a page's sources must change its key."""
    copy = _copy_checkout(tmp_path)
    out, cache = tmp_path / "html", seeded_cache(built_book, tmp_path / "cache")
    part = part_of_the_book("rnn-cell-backward", "notation")
    first = sphinx_build(copy, out, cache, "-j", "auto", *part, strict=False)  # executes nothing: the same sources
    assert first.returncode == 0, first.stderr[-4000:]
    assert r"\odot" in equation(out, "rnn-cell-backward", "rnn-cell-dz")
    [old_results] = (cache / "bruteforce").iterdir()
    before = executions(cache)

    notation = copy / "derivations" / "notation.py"
    notation.write_text(notation.read_text().replace(r'r" \odot "', r'r" \circ "'))
    second = sphinx_build(copy, out, cache, "-j", "auto", *part, strict=False)
    assert second.returncode == 0, second.stderr[-4000:]
    dz = equation(out, "rnn-cell-backward", "rnn-cell-dz")
    assert r"\circ" in dz and r"\odot" not in dz, "the page kept the output of the old derivations"
    assert "rnn-cell-backward" in {page for page, *_ in executions(cache) - before}
    # the brute-force results of the old derivations are gone, the new ones in a folder of their own
    [new_results] = (cache / "bruteforce").iterdir()
    assert new_results.name != old_results.name and any(new_results.glob("*.json"))


def test_changing_the_fused_path_reexecutes_only_the_pages_that_import_it(tmp_path, built_book):
    copy = _copy_checkout(tmp_path)
    out, cache = tmp_path / "html", seeded_cache(built_book, tmp_path / "cache")
    pages = ("fast", "rnn-cell-backward", "notation")
    part = part_of_the_book(*pages)
    first = sphinx_build(copy, out, cache, "-j", "auto", *part, strict=False)
    assert first.returncode == 0, first.stderr[-4000:]
    before = executions(cache)
    again = sphinx_build(copy, out, cache, "-j", "auto", *part, strict=False)
    assert again.returncode == 0, again.stderr[-4000:]
    assert executions(cache) == before, "a rebuild with no change executed pages again"

    fused = copy / "rnnlstm" / "fused.py"
    fused.write_text(fused.read_text() + '\nprint("the edited fused path")\n')
    second = sphinx_build(copy, out, cache, "-j", "auto", *part, strict=False)
    assert second.returncode == 0, second.stderr[-4000:]
    executed = {page for page, *_ in executions(cache) - before}
    imports = re.compile(r"^from rnnlstm import .*\bfused\b|^import rnnlstm\.fused", re.M)
    importing = {p for p in pages if imports.search((copy / "docs" / f"{p}.md").read_text())}
    assert importing == {"fast"} and importing <= executed, f"{importing - executed} kept the old code's output"
    for page in executed:
        assert "the edited fused path" in outputs(cache, page), f"{page} does not import it, yet ran"
    assert executed < set(pages)


def test_a_failed_verification_fails_the_build(tmp_path):
    copy = _copy_checkout(tmp_path)
    rnn = copy / "rnnlstm" / "rnn.py"
    rnn.write_text(rnn.read_text().replace("dz = da_next * tanh_prime", "dz = tanh_prime"))
    part = part_of_the_book("rnn-cell-backward")  # not strict: the failure must come from the page
    result = sphinx_build(copy, tmp_path / "html", tmp_path / "cache", *part, strict=False)
    assert result.returncode != 0
    # Sphinx names the page that failed and saves the notebook's traceback in a log file
    assert re.search(r"Executing notebook failed|ExecutionError: \S+\.md", result.stderr), result.stderr[-2000:]
    log = re.search(r"traceback has been saved in:\s*(\S+)", result.stderr)
    reason = result.stderr + (Path(log.group(1)).read_text(errors="replace") if log else "")
    # the page that failed first names dWax among what disagrees (before or after the verdict)
    assert re.search(r"dWax[^\n]*(differ by more than|fails the check for)|(differ by more than|fails the check for)[^\n]*dWax", reason), reason[-3000:]


def test_regenerating_the_derivations_leaves_no_drift(built_book):
    # the brute-force results of these sources, from the book's build (the same checks, computed once)
    [results] = (built_book[1] / "bruteforce").iterdir()
    env = {**os.environ, bruteforce.CACHE_VARIABLE: str(results)}
    result = subprocess.run(
        [sys.executable, "-m", "derivations", "--check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
