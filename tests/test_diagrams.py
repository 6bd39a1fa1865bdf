"""The figures of backpropagation through time: labelled in the book's notation, every label clear of
the others and of the drawing, legible on a phone, and on their pages with a caption."""

from __future__ import annotations

import io
import itertools
import re
import sys

import matplotlib
import numpy as np
import pytest
from conftest import ROOT

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

sys.path.insert(0, str(ROOT / "docs"))
import diagrams  # noqa: E402  (docs/diagrams.py)

PHONE = 340  # px: about how wide the book shows a figure on a 390 px wide phone (test_browser checks it)
SMALLEST = 9  # px: the smallest a label may be there

# what each figure must show, in the notation of docs/notation.md: shares written d·_{← source}
LABELS = {
    "rnn_bptt": [
        r"$da_{\leftarrow \hat{y}}^{\langle t \rangle}$",
        r"$= W_{ya}^T dz_y^{\langle t \rangle}$",
        r"$da_{\leftarrow t+1}^{\langle t \rangle}$",
        r"$= W_{aa}^T dz^{\langle t+1 \rangle}$",
        r"$da^{\langle t \rangle}$",
        r"$dz^{\langle t \rangle}$",
        r"$da_{\leftarrow t}^{\langle t-1 \rangle}$",
        r"$dz^{\langle t-1 \rangle}$",
        r"$dz^{\langle t+1 \rangle}$",
    ],
    "lstm_bptt": [
        r"$dc_{\leftarrow t+1}^{\langle t \rangle}$",
        r"$= dc^{\langle t+1 \rangle} \odot \Gamma_f^{\langle t+1 \rangle}$",
        r"$dc_{\leftarrow t}^{\langle t-1 \rangle}$",
        r"$dc^{\langle t \rangle}$",
        r"$da_{\leftarrow \hat{y}}^{\langle t \rangle}$",
        r"$da_{\leftarrow t+1}^{\langle t \rangle}$",
        r"$da_{\leftarrow t}^{\langle t-1 \rangle}$",
        r"$da^{\langle t \rangle}$",
        r"$\odot\,\Gamma_f^{\langle t+1 \rangle}$",
        r"$\odot\,\Gamma_o^{\langle t \rangle}$",
    ],
}
SUMS = {  # the key below each figure: the sum a gradient collects
    "rnn_bptt": r"dW_{aa} = \sum_t dW_{aa}^{\langle t \rangle}",
    "lstm_bptt": r"dc^{\langle t \rangle} = dc_{\leftarrow t+1}^{\langle t \rangle} + "
    r"da^{\langle t \rangle} \odot \Gamma_o^{\langle t \rangle} \odot (1 - \tanh^2(c^{\langle t \rangle}))",
}
FIGURES = list(LABELS)


@pytest.fixture(scope="module", params=FIGURES)
def drawn(request):
    """(name, figure, its text artists with their extents in display pixels)."""
    fig = getattr(diagrams, request.param)()
    renderer = fig.canvas.get_renderer()
    texts = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.axes[0].texts if t.get_text()]
    yield request.param, fig, texts
    plt.close(fig)


def test_the_figure_shows_the_shares_and_the_sums_in_the_books_notation(drawn):
    name, _, texts = drawn
    shown = [text for text, _ in texts]
    assert not (missing := [label for label in LABELS[name] if label not in shown]), missing
    assert any(SUMS[name] in text for text in shown), shown
    # a share is always named by where it comes from, never the old way (da_{ŷ}, dc_{total})
    assert not [text for text in shown if re.search(r"d[ac]_(?!\{\\leftarrow)", text)]


def test_no_label_covers_another_or_the_drawing(drawn):
    name, fig, texts = drawn
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    for (a, box_a), (b, box_b) in itertools.combinations(texts, 2):
        assert not box_a.overlaps(box_b), f"{name}: {a} and {b} overlap"
    shapes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, (Circle, FancyBboxPatch))]
    arrows = [p.get_path() for p in ax.patches if isinstance(p, FancyArrowPatch)]
    lines = [v for path in arrows for v in path.to_polygons(closed_only=False)]
    lines += [line.get_xydata() for line in ax.lines]
    points = ax.transData.transform(
        np.concatenate([np.linspace(p, q, 40) for v in lines for p, q in itertools.pairwise(v)])
    )  # every arrow and line, sampled
    for text, box in texts:
        centre = box.get_points().mean(axis=0)
        # a box or node holds its own text and touches no other
        covered = [s for s in shapes if s.overlaps(box) and not s.contains(*centre)]
        assert not covered, f"{name}: {text} lies on a box or node"
        x, y = points.T
        crossed = (box.x0 < x) & (x < box.x1) & (box.y0 < y) & (y < box.y1)
        assert not crossed.any(), f"{name}: a line crosses {text}"


def _svg_width(fig):
    """The width, in points, of the SVG the book's pages embed (the inline backend crops tight)."""
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    return float(re.search(r'<svg[^>]*width="([\d.]+)pt"', out.getvalue()).group(1))


def test_every_label_is_legible_on_a_phone(drawn):
    name, fig, _ = drawn
    width = _svg_width(fig)
    sizes = {t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()}
    px = min(sizes) * PHONE / width
    assert px >= SMALLEST, f"{name}: {min(sizes)} pt labels on {width} pt are {px:.1f} px at {PHONE} px"


FIGURE_PAGES = {"rnn_bptt": ("rnn-bptt", "the-recursion-through-time", "rnn-bptt-da-next"),
         "lstm_bptt": ("lstm-bptt", "the-two-carried-gradients", "lstm-bptt-da-next")}  # fmt: skip


@pytest.mark.docs  # built_site builds the book
@pytest.mark.parametrize("name", FIGURES)
def test_the_figure_opens_its_section_with_a_caption(built_site, name):
    page, section, first_equation = FIGURE_PAGES[name]
    html = (built_site / f"{page}.html").read_text(encoding="utf-8")
    figure = re.search(rf'<figure[^>]*id="fig-{page}">(.*?)</figure>', html, re.S)
    assert figure, f"{page}.html has no figure fig-{page}"
    start, equation = html.index(f'<section id="{section}">'), html.index(f'id="equation-{first_equation}"')
    assert start < figure.start() < equation, "the figure is not at the top of its section"
    img = re.search(r'<img alt="([^"]+)" src="(_images/[^"]+\.svg)"', figure.group(1))
    assert img, figure.group(1)[:500]
    svg = (built_site / img.group(2)).read_text(encoding="utf-8")
    assert "<text" not in svg  # the labels are paths: drawn the same whatever fonts a reader has
    assert diagrams.LABEL * PHONE / float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1)) >= SMALLEST
    caption = figure.group(1)
    assert '<span class="caption-number">' in caption
    for share in (r"da_{\leftarrow \hat{y}}^{\langle t \rangle}", r"da_{\leftarrow t+1}^{\langle t \rangle}"):
        assert share in caption, share
