"""The built book in a real browser: Debian's chromium driven by Playwright, on a local server.

Every page answers 200, every math element is typeset by the site's own MathJax with no error,
the console stays clean and no request leaves the local server.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import require
from test_diagrams import FIGURE_PAGES, PHONE, SMALLEST, diagrams
from test_docs import PAGES

import derivations

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_site):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(built_site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM is not None, "Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright (pip install -e '.[test]')")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield context
        context.close()


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders_offline_with_all_math_typeset(server, browser, page_name):
    page = browser.new_page()
    outside, errors = [], []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def route(r):
        if r.request.url.startswith(server):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    # pydata-sphinx-theme reads its light/dark mode from localStorage and logs an error when unset
    page.add_init_script("localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');")
    response = page.goto(f"{server}/{page_name}.html")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    typeset = page.evaluate(
        """async () => {
            const math = document.querySelectorAll('.math').length;
            if (math === 0) return {math, containers: 0, errors: 0};
            if (!window.MathJax || !MathJax.startup) return null;
            await MathJax.startup.promise;
            return {
                math,
                containers: document.querySelectorAll('.math mjx-container').length,
                errors: document.querySelectorAll('mjx-merror').length,
            };
        }"""
    )
    assert typeset is not None, "the page has math but MathJax did not load"
    assert typeset["containers"] == typeset["math"], typeset
    assert typeset["errors"] == 0
    if page_name in ("notation", "rnn-forward", "rnn-cell-backward", "rnn-bptt"):
        assert typeset["math"] > 10
    assert outside == [], f"requests left the local server: {outside}"
    assert errors == [], errors
    page.close()


def test_equations_are_numbered_and_cross_references_resolve(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/rnn-bptt.html")
    page.evaluate("async () => { await MathJax.startup.promise; }")
    numbers = page.locator("div.math span.eqno").all_inner_texts()
    shown = [k for k in derivations.results("rnn") if k.startswith(("rnn.output.", "rnn.bptt."))]
    assert len(numbers) == len(shown) and all(n.strip().startswith("(") for n in numbers)
    link = page.locator('a[href*="rnn-cell-backward.html#equation-rnn-cell-da-prev"]').first
    link.click()
    page.wait_for_load_state()
    assert page.url.endswith("rnn-cell-backward.html#equation-rnn-cell-da-prev")
    assert page.locator("#equation-rnn-cell-da-prev mjx-container").count() == 1
    page.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_the_labels_of_the_figures_are_legible_as_shown(server, browser, width):
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    for page_name, figure_id, *_ in FIGURE_PAGES.values():
        page.goto(f"{server}/{page_name}.html")
        img = page.locator(f"#{figure_id} img")
        shown, natural = img.evaluate("e => [e.getBoundingClientRect().width, e.naturalWidth]")
        px = diagrams.LABEL * 4 / 3 * shown / natural  # a point is 4/3 px before the page scales the image
        assert px >= SMALLEST, f"{figure_id} at {width} px: labels {px:.1f} px"
        if width < 400:
            assert shown >= PHONE, f"{figure_id}: test_diagrams assumes {PHONE} px on a phone, it is {shown}"
    page.close()


def _smallest_text(svg):
    """The smallest font size, in points, of the text of a matplotlib SVG (its text is drawn as
    paths: each text's group scales the glyphs by its size / 100)."""
    groups = [g for g in svg.split('<g id="')[1:] if g.startswith("text_")]
    return min(100 * max(float(s) for s in re.findall(r"scale\(([\d.]+) -", g)) for g in groups)


@pytest.mark.parametrize("width, smallest", [(390, SMALLEST), (1400, 12)])
def test_the_text_of_every_figure_is_legible_as_shown(server, browser, built_site, width, smallest):
    """Every SVG figure of every page (the diagrams and the plots): its smallest text, as the page
    scales the image to its column, at least ``smallest`` px tall, on a phone and on a desktop."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    for page_name in PAGES:
        page.goto(f"{server}/{page_name}.html")
        for src, shown, natural in page.locator("article img").evaluate_all(
            "imgs => imgs.map(e => [e.getAttribute('src'), e.getBoundingClientRect().width, e.naturalWidth])"
        ):
            assert src.endswith(".svg"), f"{page_name}: {src} is not an SVG"
            pt = _smallest_text((built_site / src).read_text(encoding="utf-8"))
            px = pt * 4 / 3 * shown / natural  # a point is 4/3 px before the page scales the image
            assert px >= smallest, f"{page_name} at {width} px: {src} shown at {shown / natural:.0%}, text {px:.1f} px"
    page.close()


LAYOUT = """() => {
    // Whatever is wider than the text column: displays, code, tables, images. For each, whether it
    // overflows the column and whether a box of its own (itself or an ancestor inside the column)
    // scrolls it, so that nothing is clipped.
    const column = document.querySelector('article.bd-article').getBoundingClientRect();
    const wide = [];
    for (const el of document.querySelectorAll('article.bd-article *')) {  // a box that scrolls sideways
        const style = getComputedStyle(el).overflowX;
        if ((style === 'auto' || style === 'scroll') && el.scrollWidth > el.clientWidth + 1)
            wide.push({what: 'scrolls: ' + el.tagName + '.' + String(el.className).slice(0, 40) + '#' + ((el.closest('[id]') || {}).id || ''), scrolls: true});
    }
    for (const el of document.querySelectorAll('td mjx-container, th mjx-container')) {  // math spilling out of its cell
        const cell = el.closest('td, th').getBoundingClientRect(), box = el.getBoundingClientRect();
        if (box.right > cell.right + 1) wide.push({what: 'spills out of its cell: ' + (el.closest('[id]') || {}).id, scrolls: false});
    }
    for (const el of document.querySelectorAll('mjx-container[display="true"], div.highlight pre, table, img')) {
        const box = el.getBoundingClientRect();
        const overflows = el.scrollWidth > el.clientWidth + 1 || box.right > column.right + 1;
        if (!overflows) continue;
        let scroller = null;
        for (let a = el; a && a !== document.body; a = a.parentElement) {
            const style = getComputedStyle(a).overflowX;
            if ((style === 'auto' || style === 'scroll') && a.getBoundingClientRect().right <= column.right + 1) { scroller = a; break; }
        }
        wide.push({what: el.tagName + '#' + ((el.closest('[id]') || {}).id || ''), scrolls: scroller !== null});
    }
    return {wide, page: document.documentElement.scrollWidth, viewport: window.innerWidth};
}"""


@pytest.mark.parametrize("width", [1400, 390])
def test_nothing_is_wider_than_the_column_on_a_desktop_and_nothing_is_clipped_on_a_phone(server, browser, width):
    """At 1400 px every display, code block, table and image fits the text column (a long sum is
    set on aligned lines, code wraps); at 390 px what is still wider scrolls in its own box and the
    page itself never scrolls sideways."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script("localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');")
    for page_name in PAGES:
        page.goto(f"{server}/{page_name}.html")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        layout = page.evaluate(LAYOUT)
        assert layout["page"] <= layout["viewport"], f"{page_name} at {width} px scrolls sideways: {layout}"
        if width >= 1400:  # nothing scrolls, nothing spills
            assert layout["wide"] == [], f"{page_name} at {width} px: wider than the column: {layout['wide']}"
        else:
            clipped = [w["what"] for w in layout["wide"] if not w["scrolls"]]
            assert clipped == [], f"{page_name} at {width} px: clipped, not scrolled: {clipped}"
    page.close()


@pytest.mark.parametrize("query, page_name, anchor", [
    ("dWaa", "rnn-cell-backward", "equation-rnn-cell-dwaa"),
    ("da_prev", "lstm-cell-backward", "equation-lstm-cell-da-prev"),
    ("dc", "lstm-cell-backward", "equation-lstm-cell-dc"),
])
def test_the_search_finds_an_equation_by_its_code_name(server, browser, query, page_name, anchor):
    page = browser.new_page()
    page.goto(f"{server}/search.html?q={query}")
    page.wait_for_function("() => /found|did not match/i.test(document.querySelector('#search-results .search-summary')?.textContent || '')", timeout=30000)
    page.wait_for_timeout(500)  # the results are listed one by one after the summary
    hrefs = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(h.startswith(f"{page_name}.html") and h.endswith(f"#{anchor}") for h in hrefs), hrefs
    page.close()


def test_the_download_menu_offers_the_source_and_the_executed_notebook(server, browser):
    import json

    page = browser.new_page()
    page.goto(f"{server}/lstm-bptt.html")
    links = page.locator(".dropdown-download-buttons a").evaluate_all("links => links.map(a => a.href)")
    assert any(link.endswith("_sources/lstm-bptt.ipynb") for link in links), links
    assert any(link.endswith("_sources/lstm-bptt.md") for link in links), links
    for link in links:
        if link.endswith((".ipynb", ".md")):
            response = page.request.get(link)
            assert response.status == 200, link
            if link.endswith(".ipynb"):
                notebook = json.loads(response.text())
                assert any(c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
    page.close()
