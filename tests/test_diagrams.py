"""The book's figures (one cell of the RNN, the LSTM and the GRU, the unrolled RNN, backpropagation through
time, the bidirectional network): labelled in the book's notation, every label clear of the others and of
the drawing, legible on a phone, and on their pages with a caption."""

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
from matplotlib.path import Path  # noqa: E402

sys.path.insert(0, str(ROOT / "docs"))
import diagrams  # noqa: E402  (docs/diagrams.py)

from derivations import bidirectional, gru, lstm, rnn  # noqa: E402
from derivations.notation import latex  # noqa: E402

PHONE = 340  # px: about how wide the book shows a figure on a 390 px wide phone (test_browser checks it)
SMALLEST = 9  # px: the smallest a label may be there


def printed(*quantities):
    """Labels as the derivations print these quantities (or the left-hand sides of these results)."""
    return [f"${latex(getattr(q, 'lhs', q))}$" for q in quantities]


# what each figure must show, in the notation of docs/notation.md: shares written d·_{← source}
LABELS = {
    "rnn_cell": printed(rnn.a_prev, rnn.xt, rnn.z, rnn.a_next, rnn.zy, rnn.yt_pred, rnn.CELL["dz"], rnn.CELL["dxt"],
                        rnn.CELL["da_prev"], rnn.OUTPUT["dzy"], rnn.OUTPUT["da_y"], rnn.da_next)
    + [r"$da_{\leftarrow t+1}^{\langle t \rangle}$"],
    "rnn_unrolled": [r"$a^{\langle 0 \rangle}$", r"$x^{\langle 1 \rangle}$", r"$\hat{y}^{\langle 1 \rangle}$",
                     r"$a^{\langle T_x-1 \rangle}$", r"$x^{\langle T_x \rangle}$", r"$\hat{y}^{\langle T_x \rangle}$"],
    "lstm_cell": printed(lstm.a_prev, lstm.xt, lstm.c_prev, *lstm.gate.values(), lstm.c_next, lstm.a_next, lstm.zy,
                         lstm.yt_pred, lstm.CELL["da_prev"], lstm.CELL["dc_prev"], lstm.CELL["dxt"],
                         lstm.OUTPUT["dzy"], lstm.OUTPUT["da_y"], lstm.BPTT["dc_next"], lstm.da_next)
    + [r"$da_{\leftarrow t+1}^{\langle t \rangle}$"],
    "gru_cell": printed(gru.c_prev, gru.xt, gru.concat, gru.concat_r, *gru.gate.values(), gru.c_next, gru.a_next,
                        gru.zy, gru.yt_pred, gru.CELL["da_prev"], gru.CELL["dxt"], gru.OUTPUT["dzy"],
                        gru.OUTPUT["da_y"], gru.BPTT["da_next"])
    + [r"$dc_{\leftarrow t+1}^{\langle t \rangle}$"],
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
    "gru_bptt": printed(gru.BPTT["da_next"], gru.OUTPUT["da_y"], gru.CELL["da_prev"], gru.dz["ut"])
    + [r"$dc_{\leftarrow t+1}^{\langle t \rangle}$", r"$\odot\,(1 - \Gamma_u^{\langle t+1 \rangle})$"],
    "bidirectional": printed(bidirectional.a_forward, bidirectional.a_backward, bidirectional.xt,
                             bidirectional.yt_pred, bidirectional.da_forward_share, bidirectional.da_backward_share)
    + [r"$d\overset{\rightarrow}{a}_{\leftarrow \hat{y}}^{\langle t \rangle}$",
       r"$d\overset{\leftarrow}{a}_{\leftarrow \hat{y}}^{\langle t \rangle}$"],
}
PARTS = {  # what the boxes of the cells compute with, as the derivations print it
    "rnn_cell": [latex(q) for q in (rnn.Wax, rnn.Waa, rnn.ba, rnn.Wya, rnn.by)] + [r"\mathrm{softmax}"],
    "lstm_cell": [latex(q) for q in (lstm.Wy, lstm.by, lstm.concat)] + [r"\mathrm{concat}", r"\mathrm{softmax}"],
    "gru_cell": [latex(q) for q in (gru.Wy, gru.by)] + [r"\mathrm{concat}", r"\mathrm{softmax}"],
}
SUMS = {  # the key below each BPTT figure: the sum a gradient collects
    "rnn_bptt": r"dW_{aa} = \sum_t dW_{aa}^{\langle t \rangle}",
    "lstm_bptt": r"dc^{\langle t \rangle} = dc_{\leftarrow t+1}^{\langle t \rangle} + "
    r"da^{\langle t \rangle} \odot \Gamma_o^{\langle t \rangle} \odot (1 - \tanh^2(c^{\langle t \rangle}))",
    "gru_bptt": rf"dW_u = \sum_t dW_u^{{\langle t \rangle}}, \quad {latex(gru.CELL['dWu'].lhs)} = {latex(gru.CELL['dWu'].rhs)}",
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
    assert not (missing := [part for part in PARTS.get(name, []) if not any(part in text for text in shown)]), missing
    if name in SUMS:
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


def _where(fig):
    """Each label's centre, in display pixels."""
    renderer = fig.canvas.get_renderer()
    return {t.get_text(): t.get_window_extent(renderer).get_points().mean(axis=0) for t in fig.axes[0].texts}


@pytest.mark.parametrize("name", ["rnn_cell", "lstm_cell", "gru_cell"])
def test_the_prediction_goes_up_through_its_weight_and_a_softmax(name):
    fig = getattr(diagrams, name)()
    height = {text: y for text, (_, y) in _where(fig).items()}
    plt.close(fig)
    output = next(text for text in height if text.startswith(("$W_{ya}", "$W_y")))  # the box W_y a⟨t⟩ + b_y
    a, y_hat, softmax = r"$a^{\langle t \rangle}$", r"$\hat{y}^{\langle t \rangle}$", r"$\mathrm{softmax}$"
    assert height[a] < height[output] < height[softmax] < height[y_hat]


def test_the_lstm_gates_stand_in_the_courses_order():
    fig = diagrams.lstm_cell()
    across = {text: x for text, (x, _) in _where(fig).items()}
    plt.close(fig)
    gates = printed(*(lstm.gate[g] for g in ("ft", "it", "cct", "ot")))  # Γ_f, Γ_u, c̃, Γ_o
    assert sorted(gates, key=across.get) == gates


def test_in_the_gru_the_previous_state_collects_the_shares_of_its_four_uses_and_the_state_two():
    """Each red ⊕ of the GRU's figure is where a gradient's shares add: c⟨t−1⟩'s four from inside step
    t (one through (1 − Γ_u⟨t⟩), three through the gates), c⟨t⟩'s two (from ŷ⟨t⟩ and step t+1)."""
    fig = diagrams.gru_bptt()
    ax = fig.axes[0]
    red = matplotlib.colors.to_rgba(diagrams.BACKWARD)
    sums = [p for p in ax.patches if isinstance(p, Circle) and p.get_edgecolor() == red]
    arrows = [p.get_path() for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_edgecolor() == red]
    paths = [a.vertices[a.codes != Path.CLOSEPOLY] for a in arrows]
    tips = np.array([v[np.hypot(*(v - v[0]).T).argmax()] for v in paths])  # farthest from where it starts
    arriving = [int((np.hypot(*(tips - c.center).T) < c.radius + 0.03).sum()) for c in sums]
    plt.close(fig)
    assert sorted(arriving) == [2, 2, 2, 4, 4, 4], arriving


def test_the_gru_figures_factor_on_the_direct_path_is_the_derived_one():
    """The box c⟨t−1⟩'s gradient passes on its way over the top multiplies by the factor that
    dc_{←t}⟨t−1⟩ (and, one step later, dc⟨t⟩) has in the derivations."""
    fig = diagrams.gru_bptt()
    boxes = [t for t in _where(fig) if t.startswith(r"$\odot")]
    plt.close(fig)
    derived = {r"\langle t \rangle": latex(gru.CELL["da_prev"].rhs),
               r"\langle t+1 \rangle": latex(gru.BPTT["da_next"].rhs)}  # fmt: skip
    for step, printed_sum in derived.items():
        (box,) = [b for b in boxes if step in b]
        factor = re.fullmatch(r"\$\\odot\\,\((.*)\)\$", box).group(1)
        assert rf"\left({factor}\right)" in printed_sum, (box, printed_sum)


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


# where each figure stands: its page, its id there, the section it opens, the first equation after it
FIGURE_PAGES = {
    "rnn_cell": ("rnn-forward", "fig-rnn-cell", "one-cell", "rnn-forward-z"),
    "rnn_unrolled": ("rnn-forward", "fig-rnn-unrolled", "the-unrolled-network", "rnn-loss"),
    "lstm_cell": ("lstm-forward", "fig-lstm-cell", "one-cell", "lstm-forward-zf"),
    "gru_cell": ("gru-forward", "fig-gru-cell", "one-cell", "gru-forward-zu"),
    "rnn_bptt": ("rnn-bptt", "fig-rnn-bptt", "the-recursion-through-time", "rnn-bptt-da-next"),
    "lstm_bptt": ("lstm-bptt", "fig-lstm-bptt", "the-two-carried-gradients", "lstm-bptt-da-next"),
    "gru_bptt": ("gru-bptt", "fig-gru-bptt", "the-carried-gradient", "gru-bptt-da-next"),
    "bidirectional": ("bidirectional", "fig-bidirectional", "where-the-gradients-come-from", "bidirectional-bptt-da-f"),
}
SHARES_OF_DA = (r"da_{\leftarrow \hat{y}}^{\langle t \rangle}", r"da_{\leftarrow t+1}^{\langle t \rangle}",
                r"dc_{\leftarrow t+1}^{\langle t \rangle}")


@pytest.mark.docs  # built_site builds the book
@pytest.mark.parametrize("name", FIGURES)
def test_the_figure_opens_its_section_with_a_caption(built_site, name):
    page, figure_id, section, first_equation = FIGURE_PAGES[name]
    html = (built_site / f"{page}.html").read_text(encoding="utf-8")
    figure = re.search(rf'<figure[^>]*id="{figure_id}">(.*?)</figure>', html, re.S)
    assert figure, f"{page}.html has no figure {figure_id}"
    start, equation = html.index(f'<section id="{section}">'), html.index(f'id="equation-{first_equation}"')
    assert start < figure.start() < equation, "the figure is not at the top of its section"
    img = re.search(r'<img alt="([^"]+)" src="(_images/[^"]+\.svg)"', figure.group(1))
    assert img, figure.group(1)[:500]
    svg = (built_site / img.group(2)).read_text(encoding="utf-8")
    assert "<text" not in svg  # the labels are paths: drawn the same whatever fonts a reader has
    assert diagrams.LABEL * PHONE / float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1)) >= SMALLEST
    caption = figure.group(1)
    assert '<span class="caption-number">' in caption
    for share in SHARES_OF_DA:  # the caption explains the shares of da⟨t⟩ the figure shows
        if f"${share}$" in LABELS[name]:
            assert share in caption, share
