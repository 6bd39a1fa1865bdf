"""The book: a strict build, equations from derivations/, offline math, a cache tied to the sources."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, sphinx_build

import derivations
import rnnlstm

pytestmark = pytest.mark.docs

CHAPTER_PAGES = {
    "rnn": ["rnn-forward", "rnn-cell-backward", "rnn-bptt"],
    "lstm": ["lstm-forward", "lstm-cell-backward", "lstm-bptt"],
}
PAGES = ["index", "notation", *CHAPTER_PAGES["rnn"], *CHAPTER_PAGES["lstm"], "rnn-vs-lstm", "fast", "verification", "errata", "api", "references"]


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
        tex = result.latex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert tex in text, f"{key}: {result.latex} not on the page"


@pytest.mark.parametrize("page", ["rnn-cell-backward", "rnn-bptt", "lstm-cell-backward", "lstm-bptt"])
def test_verification_outputs_are_on_the_pages(built_site, page):
    text = html(built_site, page)
    assert "relative error vs central differences" in text
    assert "max abs(brute force − formula)" in text
    assert "max abs(numpy − derived), float64" in text
    assert "<table" in text  # the verification tables are rendered, not shown as Markdown source
    code = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"')
    assert ("def _backward(da, cell_caches, x):" if page.endswith("bptt") else "def _cell_backward(") in code


def test_no_page_refers_to_another_host(built_site):
    for path in built_site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text):
            assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", tag), f"{path.name}: {tag}"
    assert (built_site / "_static/mathjax/tex-chtml.js").exists()
    assert any((built_site / "_static/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))


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


def _copy_checkout(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "_build", ".cache", ".git", "__pycache__", "*.egg-info"))
    return copy


def test_changing_the_derivations_reexecutes_the_pages(tmp_path):
    """A stale cache would keep the old equations; the digest in conf.py must clear it."""
    copy = _copy_checkout(tmp_path)
    out, cache = tmp_path / "html", tmp_path / "cache"
    first = sphinx_build(copy, out, cache, "-j", "auto")  # a fresh cache, created before the workers fork
    assert first.returncode == 0, first.stderr[-4000:]
    assert r"\odot" in equation(out, "rnn-cell-backward", "rnn-cell-dz")

    notation = copy / "derivations" / "notation.py"
    notation.write_text(notation.read_text().replace(r'r" \odot "', r'r" \circ "'))
    second = sphinx_build(copy, out, cache, "-j", "auto")
    assert second.returncode == 0, second.stderr[-4000:]
    dz = equation(out, "rnn-cell-backward", "rnn-cell-dz")
    assert r"\circ" in dz and r"\odot" not in dz, "the page kept the output of the old derivations"


def test_a_failed_verification_fails_the_build(tmp_path):
    copy = _copy_checkout(tmp_path)
    rnn = copy / "rnnlstm" / "rnn.py"
    rnn.write_text(rnn.read_text().replace("dz = da_next * tanh_prime", "dz = tanh_prime"))
    result = sphinx_build(copy, tmp_path / "html", tmp_path / "cache")
    assert result.returncode != 0
    # Sphinx names the page that failed and saves the notebook's traceback in a log file
    assert re.search(r"Executing notebook failed|ExecutionError: \S+\.md", result.stderr), result.stderr[-2000:]
    log = re.search(r"traceback has been saved in:\s*(\S+)", result.stderr)
    reason = result.stderr + (Path(log.group(1)).read_text(errors="replace") if log else "")
    assert re.search(r"(differ by more than|fails the check for) \[?'?[^\n]*dWax", reason), reason[-3000:]


def test_regenerating_the_derivations_leaves_no_drift():
    result = subprocess.run(
        [sys.executable, "-m", "derivations", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
