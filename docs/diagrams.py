"""Diagrams of the book, drawn with matplotlib in the course's notation."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

FORWARD, BACKWARD, BOX = "#1f4e79", "#b03a2e", "#eef3f8"

# A page shrinks a figure to its text column, about 340 px wide on a phone: a figure at most 38
# LABEL-sized ems wide keeps every label there at least 9 px tall (tests/test_diagrams.py measures it).
LABEL = 13


def _page(width, height):
    """A canvas whose unit is the inch: the axes fill the figure, so font sizes and lengths compare."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def _fit(fig, ax):
    """The figure cut to what is drawn on it, still in inches: a page scales it down no more than needed."""
    renderer = fig.canvas.get_renderer()
    drawn = Bbox.union([a.get_window_extent(renderer) for a in ax.patches + ax.texts + ax.lines])
    (x0, y0), (x1, y1) = ax.transData.inverted().transform(drawn.get_points())
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    fig.set_size_inches(x1 - x0, y1 - y0)
    return fig


def _label(ax, xy, text, ha="center", color=BACKWARD):
    ax.text(*xy, text, ha=ha, va="center", fontsize=LABEL, color=color)


def _sum(ax, x, y, r):
    """Where gradients add: a ⊕ in the gradients' colour."""
    ax.add_patch(plt.Circle((x, y), r, fc="white", ec=BACKWARD, lw=2.0, zorder=3))
    ax.text(x, y, "$+$", ha="center", va="center", fontsize=LABEL, color=BACKWARD, zorder=4)


def _box(ax, x, y, w, h, text, lw=1.4):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                fc=BOX, ec=FORWARD, lw=lw))  # fmt: skip
    _label(ax, (x, y), text, color="black")


def _node(ax, x, y, text, r, lw=1.4):
    ax.add_patch(plt.Circle((x, y), r, fc="white", ec=FORWARD, lw=lw, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=LABEL, zorder=4)


# One cell: the forward pass in blue, the gradients dashed in red against it.


def _arrow(ax, path, text=None, at=(0, 0), ha="center", back=False):
    """The forward pass along ``path`` (two or more points, the last the head), or with ``back`` a
    gradient flowing along it; ``text`` at ``at`` from the middle of its first segment."""
    color = BACKWARD if back else FORWARD
    ax.add_patch(FancyArrowPatch(path=Path(path), arrowstyle="-|>", mutation_scale=12, color=color, lw=1.3,
                                 ls=(0, (4, 2)) if back else "-", shrinkA=0, shrinkB=0))  # fmt: skip
    if text:
        (x0, y0), (x1, y1) = path[:2]
        _label(ax, ((x0 + x1) / 2 + at[0], (y0 + y1) / 2 + at[1]), text, ha=ha, color=color)


def _prediction(ax, start, split, edge, y, rise, weight, r=0.14, gap=0.22, carried="a"):
    """a⟨t⟩ from ``start`` at height ``y``: on to step t+1 at ``edge``, and from ``split`` up through
    ``weight`` (W a⟨t⟩ + b_y, ``rise`` above it) and a softmax to ŷ⟨t⟩. Below, dashed, the shares the
    two send back, ``gap`` under the forward pass: they add at a ⊕ into the gradient of the state
    ``carried`` to step t+1 (a⟨t⟩, or the GRU's c⟨t⟩ = a⟨t⟩) and go back to ``start``."""
    top = y + rise  # the weight's box, from here up
    _arrow(ax, [(start, y), (edge, y)], r"$a^{\langle t \rangle}$", ((split - 0.2 - edge) / 2, 0.22))
    _arrow(ax, [(split - 0.2, y), (split - 0.2, top)])
    _sum(ax, split, y - gap, r)
    _arrow(ax, [(edge, y - gap), (split + r, y - gap)], rf"$d{carried}_{{\leftarrow t+1}}^{{\langle t \rangle}}$",
           ((edge - split - r) / 2, -0.3), "right", back=True)  # fmt: skip
    _arrow(ax, [(split, top), (split, y - gap + r)], r"$da_{\leftarrow \hat{y}}^{\langle t \rangle}$",
           (0.1, 0.1), "left", back=True)  # fmt: skip
    _arrow(ax, [(split - r, y - gap), (start, y - gap)], rf"$d{carried}^{{\langle t \rangle}}$", (0, -0.3),
           back=True)  # fmt: skip
    _box(ax, split - 0.1, top + 0.25, 1.5, 0.5, weight)
    _arrow(ax, [(split - 0.2, top + 0.5), (split - 0.2, top + 1.1)], r"$z_y^{\langle t \rangle}$", (-0.1, 0),
           "right")  # fmt: skip
    _arrow(ax, [(split, top + 1.1), (split, top + 0.5)], r"$dz_y^{\langle t \rangle}$", (0.1, 0), "left",
           back=True)  # fmt: skip
    _box(ax, split - 0.1, top + 1.35, 1.1, 0.5, r"$\mathrm{softmax}$")
    _arrow(ax, [(split - 0.1, top + 1.6), (split - 0.1, top + 2.2)], r"$\hat{y}^{\langle t \rangle}$",
           (-0.1, 0), "right")  # fmt: skip


def rnn_cell():
    """One RNN cell: z⟨t⟩, a⟨t⟩, and the prediction above it. a⟨t⟩ feeds ŷ⟨t⟩ and step t+1, so da⟨t⟩
    is the sum of the shares the two send back."""
    y0, gap = 1.4, 0.22  # the chain's height; between an arrow and its gradient
    xl, xt = 1.95, 3.85  # the linear map, tanh
    fig, ax = _page(6.8, 5.0)
    _arrow(ax, [(0.05, y0), (xl - 0.85, y0)], r"$a^{\langle t-1 \rangle}$", (0, 0.22))
    _arrow(ax, [(xl - 0.85, y0 - gap), (0.05, y0 - gap)], r"$da_{\leftarrow t}^{\langle t-1 \rangle}$",
           (0, -0.26), back=True)  # fmt: skip
    z = "$W_{ax} x^{\\langle t \\rangle}$\n$+\\, W_{aa} a^{\\langle t-1 \\rangle} + b_a$"  # as printed
    _box(ax, xl, y0, 1.7, 0.9, z)
    _arrow(ax, [(xl - 0.2, 0.05), (xl - 0.2, y0 - 0.45)], r"$x^{\langle t \rangle}$", (-0.1, -0.1), "right")
    _arrow(ax, [(xl + 0.2, y0 - 0.45), (xl + 0.2, 0.05)], r"$dx^{\langle t \rangle}$", (0.1, 0.1), "left",
           back=True)  # fmt: skip
    _arrow(ax, [(xl + 0.85, y0), (xt - 0.35, y0)], r"$z^{\langle t \rangle}$", (0, 0.22))
    _arrow(ax, [(xt - 0.35, y0 - gap), (xl + 0.85, y0 - gap)], r"$dz^{\langle t \rangle}$", (0, -0.26),
           back=True)  # fmt: skip
    _box(ax, xt, y0, 0.7, 0.5, r"$\tanh$")
    _prediction(ax, xt + 0.35, 5.0, 6.4, y0, 1.0, r"$W_{ya} a^{\langle t \rangle} + b_y$")
    return _fit(fig, ax)


def rnn_unrolled():
    """The RNN unrolled over its T_x steps: the same parameters in every cell, a⟨t⟩ carried right."""
    pitch, w, y0 = 1.55, 0.8, 1.3  # between cells; a cell; the chain's height
    fig, ax = _page(6.6, 3.0)
    cells = {step: 1.0 + pitch * i for i, step in enumerate(["1", "2", None, "T_x"])}  # None: those between
    dots = cells.pop(None)
    _label(ax, (dots, y0), r"$\cdots$", color=FORWARD)
    for step, x in cells.items():
        _box(ax, x, y0, w, 0.8, "RNN\ncell")
        _arrow(ax, [(x, 0.05), (x, y0 - 0.4)], rf"$x^{{\langle {step} \rangle}}$", (0.1, -0.05), "left")
        y_hat = rf"$\hat{{y}}^{{\langle {step} \rangle}}$"
        _arrow(ax, [(x, y0 + 0.4), (x, y0 + 1.25)], y_hat, (0.1, 0.05), "left")
    chain = [(0.05, cells["1"] - w / 2, "0"), (cells["1"] + w / 2, cells["2"] - w / 2, "1"),
             (cells["2"] + w / 2, dots - 0.3, "2"), (dots + 0.3, cells["T_x"] - w / 2, "T_x-1")]  # fmt: skip
    for start, end, step in chain:
        _arrow(ax, [(start, y0), (end, y0)], rf"$a^{{\langle {step} \rangle}}$", (0, 0.22))
    return _fit(fig, ax)


def lstm_cell():
    """One LSTM cell: the four gates read concat = [a⟨t−1⟩; x⟨t⟩]; c⟨t⟩ is carried along the top,
    a⟨t⟩ below it feeds the prediction and step t+1, so da⟨t⟩ adds the shares the two send back."""
    r, gap, gw = 0.14, 0.22, 0.55  # a node; between an arrow and its gradient; a gate
    yk, yg, yl, ya, ym, yc = 0.9, 1.75, 2.35, 2.7, 4.2, 6.1  # concat, gates, their labels, a⟨t⟩, Γ_u⊙c̃, c
    xk, xf, xu, xc, xo, xs, edge = 1.35, 2.05, 2.85, 3.65, 4.6, 5.7, 6.4  # concat, the gates, ŷ's column
    fig, ax = _page(6.8, 6.5)
    # concat and the gates, in the course's order f, u, c, o
    _arrow(ax, [(0.05, yk), (xk - 0.4, yk)], r"$a^{\langle t-1 \rangle}$", (0, 0.22))
    _arrow(ax, [(xk - 0.4, yk - gap), (0.05, yk - gap)], r"$da_{\leftarrow t}^{\langle t-1 \rangle}$",
           (0, -0.26), back=True)  # fmt: skip
    _arrow(ax, [(xk - 0.15, -0.1), (xk - 0.15, yk - 0.25)], r"$x^{\langle t \rangle}$", (-0.1, -0.15),
           "right")  # fmt: skip
    _arrow(ax, [(xk + 0.15, yk - 0.25), (xk + 0.15, -0.1)], r"$dx^{\langle t \rangle}$", (0.1, 0.15), "left",
           back=True)  # fmt: skip
    _box(ax, xk, yk, 0.8, 0.5, r"$\mathrm{concat}$")
    ax.plot([xk + 0.4, xo], [yk, yk], color=FORWARD, lw=1.3)
    concat = r"$\left[a^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]$"  # as the derivations print it
    _label(ax, ((xk + xo) / 2 + 0.3, yk - 0.3), concat, color=FORWARD)
    gates = [(xf, r"\sigma", r"\Gamma_f"), (xu, r"\sigma", r"\Gamma_u"), (xc, r"\tanh", r"\tilde{c}"),
             (xo, r"\sigma", r"\Gamma_o")]  # fmt: skip
    for x, squash, value in gates:
        _arrow(ax, [(x, yk), (x, yg - 0.25)])
        _box(ax, x, yg, gw, 0.5, f"${squash}$")
        side = -1 if x == xo else 1  # Γ_o's label on its left, clear of da⟨t⟩
        ha = "left" if side > 0 else "right"
        _label(ax, (x + 0.08 * side, yl), rf"${value}^{{\langle t \rangle}}$", ha, FORWARD)
    # the memory cell along the top: c⟨t⟩ = Γ_f ⊙ c⟨t−1⟩ + Γ_u ⊙ c̃
    _arrow(ax, [(0.05, yc), (xf - r, yc)], r"$c^{\langle t-1 \rangle}$", (0, 0.22))
    _arrow(ax, [(xf - r, yc - gap), (0.05, yc - gap)], r"$dc_{\leftarrow t}^{\langle t-1 \rangle}$",
           (0, -0.28), back=True)  # fmt: skip
    _node(ax, xf, yc, r"$\odot$", r)
    _arrow(ax, [(xf, yg + 0.25), (xf, yc - r)])
    _arrow(ax, [(xf + r, yc), (xc - r, yc)])
    _node(ax, xc, yc, "$+$", r)
    _node(ax, xc, ym, r"$\odot$", r)
    _arrow(ax, [(xu, yg + 0.25), (xu, ym), (xc - r, ym)])
    _arrow(ax, [(xc, yg + 0.25), (xc, ym - r)])
    _arrow(ax, [(xc, ym + r), (xc, yc - r)])
    _arrow(ax, [(xc + r, yc), (edge, yc)], r"$c^{\langle t \rangle}$", (1.0, 0.22))
    _arrow(ax, [(edge, yc - gap), (xo + 0.2, yc - gap)], r"$dc_{\leftarrow t+1}^{\langle t \rangle}$",
           ((edge - xo - 0.2) / 2, -0.3), "right", back=True)  # fmt: skip
    # a⟨t⟩ = Γ_o ⊙ tanh(c⟨t⟩)
    _arrow(ax, [(xo, yc), (xo, yc - 0.5)])
    _box(ax, xo, yc - 0.7, gw, 0.4, r"$\tanh$")
    _node(ax, xo, ya, r"$\odot$", r)
    _arrow(ax, [(xo, yc - 0.9), (xo, ya + r)])
    _arrow(ax, [(xo, yg + 0.25), (xo, ya - r)])
    _prediction(ax, xo + r, xs, edge, ya, 0.7, r"$W_y a^{\langle t \rangle} + b_y$")
    return _fit(fig, ax)


def gru_cell():
    """One GRU cell: the gates read concat = [c⟨t−1⟩; x⟨t⟩], the candidate [Γ_r ⊙ c⟨t−1⟩; x⟨t⟩]; the one
    state c⟨t⟩ = a⟨t⟩ runs along the top and feeds the prediction and step t+1, so dc⟨t⟩ adds the
    shares the two send back."""
    r, gap, gw = 0.14, 0.22, 0.55  # a node; between an arrow and its gradient; a gate
    yk, yg, yl, yr, yh, ym, y1, yc = 0.9, 1.7, 2.2, 2.7, 3.45, 4.35, 4.95, 5.6  # concat, gates, their labels,
    # Γ_r ⊙ c⟨t−1⟩, tanh, Γ_u ⊙ c̃, 1 − Γ_u, the state
    xv, xk, xr, xu, xc = 0.6, 1.35, 2.15, 2.95, 4.15  # c⟨t−1⟩ down to concat; concat; Γ_r; Γ_u; the candidate
    fig, ax = _page(6.9, 7.5)
    # c⟨t−1⟩ in along the top, down to concat and to the relevance gate's ⊙
    _arrow(ax, [(0.05, yc), (xu - r, yc)], r"$c^{\langle t-1 \rangle}$", (-0.2, 0.22))
    _arrow(ax, [(xu - r, yc - gap), (0.05, yc - gap)], r"$dc_{\leftarrow t}^{\langle t-1 \rangle}$",
           (0.2, -0.28), back=True)  # fmt: skip
    _arrow(ax, [(xv, yc), (xv, yk), (xk - 0.4, yk)])
    _arrow(ax, [(xv, yr), (xr - r, yr)])
    # x⟨t⟩ up to the candidate's concat, and along the bottom to the gates'
    _arrow(ax, [(xc - 0.15, -0.1), (xc - 0.15, yr - 0.25)], r"$x^{\langle t \rangle}$", (-0.1, -1.2), "right")
    _arrow(ax, [(xc - 0.15, 0.35), (xk, 0.35), (xk, yk - 0.25)])
    _arrow(ax, [(xc + 0.15, yr - 0.25), (xc + 0.15, -0.1)], r"$dx^{\langle t \rangle}$", (0.1, -1.2), "left",
           back=True)  # fmt: skip
    _box(ax, xk, yk, 0.8, 0.5, r"$\mathrm{concat}$")
    ax.plot([xk + 0.4, xu], [yk, yk], color=FORWARD, lw=1.3)
    concat = r"$\left[c^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]$"  # as the derivations print them
    _label(ax, ((xk + xu) / 2 + 0.25, yk - 0.3), concat, color=FORWARD)
    for x, value in [(xr, r"\Gamma_r"), (xu, r"\Gamma_u")]:
        _arrow(ax, [(x, yk), (x, yg - 0.25)])
        _box(ax, x, yg, gw, 0.5, r"$\sigma$")
        _label(ax, (x + 0.08, yl), rf"${value}^{{\langle t \rangle}}$", "left", FORWARD)
    # the candidate reads the old state through the relevance gate
    _arrow(ax, [(xr, yg + 0.25), (xr, yr - r)])
    _node(ax, xr, yr, r"$\odot$", r)
    _arrow(ax, [(xr + r, yr), (xc - 0.4, yr)])
    _box(ax, xc, yr, 0.8, 0.5, r"$\mathrm{concat}$")
    concat_r = r"$\left[\Gamma_r^{\langle t \rangle} \odot c^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]$"
    _label(ax, (xc + 0.45, yr), concat_r, "left", FORWARD)
    _arrow(ax, [(xc, yr + 0.25), (xc, yh - 0.2)])
    _box(ax, xc, yh, gw, 0.4, r"$\tanh$")
    _label(ax, (xc + 0.08, (yh + ym) / 2 + 0.05), r"$\tilde{c}^{\langle t \rangle}$", "left", FORWARD)
    # c⟨t⟩ = Γ_u ⊙ c̃⟨t⟩ + (1 − Γ_u) ⊙ c⟨t−1⟩
    _arrow(ax, [(xc, yh + 0.2), (xc, ym - r)])
    _node(ax, xc, ym, r"$\odot$", r)
    _arrow(ax, [(xu, yg + 0.25), (xu, ym), (xc - r, ym)])
    _arrow(ax, [(xu, ym), (xu, y1 - 0.18)])
    _box(ax, xu, y1, 0.5, 0.36, "$1 -$")
    _arrow(ax, [(xu, y1 + 0.18), (xu, yc - r)])
    _node(ax, xu, yc, r"$\odot$", r)
    _arrow(ax, [(xu + r, yc), (xc - r, yc)])
    _arrow(ax, [(xc, ym + r), (xc, yc - r)])
    _node(ax, xc, yc, "$+$", r)
    _label(ax, (xc + 0.05, yc + 0.4), r"$c^{\langle t \rangle}$", "left", FORWARD)
    _prediction(ax, xc + r, 5.75, 6.5, yc, 0.7, r"$W_y a^{\langle t \rangle} + b_y$", carried="c")
    return _fit(fig, ax)


# Backpropagation through time: the gradients bold, the forward pass faint behind them.
FAINT = {"color": FORWARD, "alpha": 0.45, "lw": 1.0}


def _when(s):
    """Step s after t as the course writes it: "t-1", "t", "t+1"."""
    return "t" if s == 0 else f"t{s:+d}"


def _at(s):
    """The superscript of step s after t: ⟨t−1⟩, ⟨t⟩, ⟨t+1⟩."""
    return rf"^{{\langle {_when(s)} \rangle}}"


def _forward(ax, start, end):
    """The forward pass from ``start`` to ``end``, faint."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, shrinkA=0, shrinkB=0,
                                 **FAINT))  # fmt: skip


def _gradient(ax, start, end, text=None, at=(0, 0), ha="center", thin=False):
    """A gradient flowing from ``start`` to ``end``, ``text`` at ``at`` from the arrow's midpoint; a thin
    one is a side branch."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10 if thin else 16, color=BACKWARD,
                                 lw=1.0 if thin else 2.2, shrinkA=0, shrinkB=0))  # fmt: skip
    if text:
        _label(ax, ((start[0] + end[0]) / 2 + at[0], (start[1] + end[1]) / 2 + at[1]), text, ha=ha)


def _faint_node(ax, x, y, text, r):
    _node(ax, x, y, text, r, lw=1.0)


def _faint_box(ax, x, y, w, h, text):
    _box(ax, x, y, w, h, text, lw=1.0)


def rnn_bptt():
    """Three steps of the RNN's backward pass: a⟨t⟩ feeds ŷ⟨t⟩ and step t+1, so da⟨t⟩ is the sum of
    the two shares they send back; every cell turns its da⟨t⟩ into dz⟨t⟩, which adds its term to dW_aa."""
    pitch, y0, w, h, r = 2.05, 2.2, 0.75, 0.6, 0.17  # between steps; the chain's height; a cell; a ⊕
    fig, ax = _page(6.6, 4.0)
    cells = [0.25 + w / 2 + pitch * i for i in range(3)]
    _forward(ax, (0.05, y0 + 0.14), (cells[0] - w / 2, y0 + 0.14))  # from step t-2
    _gradient(ax, (cells[0] - w / 2, y0), (0.05, y0))
    for s, xc in zip((-1, 0, 1), cells):
        xj = xc + 0.95  # a⟨t⟩: where it splits on the way forward and its gradients add on the way back
        xn = xc + pitch - w / 2 if s < 1 else xj + 0.6  # the next cell, or the edge
        _faint_box(ax, xc, y0, w, h, "RNN\ncell")
        _faint_box(ax, xj, y0 + 1.5, 0.7, 0.45, rf"$\hat{{y}}{_at(s)}$")
        _forward(ax, (xc + w / 2, y0 + 0.14), (xj - r, y0 + 0.14))
        _forward(ax, (xj + 0.12, y0 + 0.12), (xj + 0.12, y0 + 1.27))
        _forward(ax, (xj + r, y0 + 0.14), (xn, y0 + 0.14))
        _sum(ax, xj, y0, r)
        _gradient(ax, (xj, y0 + 1.27), (xj, y0 + r), rf"$da_{{\leftarrow \hat{{y}}}}{_at(s)}$", (0.18, 0.25),
                  "left")  # fmt: skip
        _gradient(ax, (xj - r, y0), (xc + w / 2, y0), rf"$da{_at(s)}$", (-0.02, 0.47))
        _gradient(ax, (xc, y0 - h / 2), (xc, y0 - 1.3), rf"$dz{_at(s)}$", (0.1, -0.18), "left")
        _gradient(ax, (xn, y0), (xj + r, y0))
        if s < 1:  # the share step t+1 sends back
            _label(ax, (xn - 0.03, y0 - 0.38), rf"$da_{{\leftarrow {_when(s + 1)}}}{_at(s)}$", ha="right")
        if s == 0:  # the shares' formulas, once
            _label(ax, (xj + 0.18, y0 + 0.64), r"$= W_{ya}^T dz_y^{\langle t \rangle}$", ha="left")
            _label(ax, (xn - 0.03, y0 - 0.68), r"$= W_{aa}^T dz^{\langle t+1 \rangle}$", ha="right")
    # every step's copy of W_aa adds its gradient to the one dW_aa
    ax.plot([cells[0], cells[2]], [y0 - 1.3] * 2, color=BACKWARD, lw=2.2, solid_capstyle="round")
    _label(ax, (cells[1], y0 - 1.7),
           r"$dW_{aa} = \sum_t dW_{aa}^{\langle t \rangle}, \quad dW_{aa}^{\langle t \rangle} = dz^{\langle t \rangle} a^{\langle t-1 \rangle T}$")  # fmt: skip
    return _fit(fig, ax)


def lstm_bptt():
    """Three steps of the LSTM's backward pass: a⟨t⟩ and c⟨t⟩ are each used twice, so each gradient is
    the sum of two shares; along the top, c⟨t−1⟩ gets dc⟨t⟩ ⊙ Γ_f⟨t⟩, with no derivative of a squashing."""
    pitch, yc, r, bw, gw = 2.0, 4.0, 0.15, 0.76, 0.8  # between steps; c's line; a node; a ⊙ box; the gates
    ya = yc - 2.2  # a's line
    fig, ax = _page(6.6, 5.2)
    origins = [0.25 + pitch * i for i in range(3)]
    for s, x in zip((-1, 0, 1), origins):
        xf, xp, xc, xg = x + bw / 2, x + 1.05, x + 1.5, x + 0.05 + gw / 2  # ⊙ Γ_f, +, c⟨t⟩ over a⟨t⟩, gates
        nf = x + pitch if s < 1 else xc + 0.6  # the next step's ⊙ Γ_f, or the edge
        ng = nf + 0.05 if s < 1 else nf  # the next step's gates, or the edge
        _faint_box(ax, xf, yc, bw, 0.42, rf"$\odot\,\Gamma_f{_at(s)}$")
        _faint_node(ax, xp, yc, "$+$", r)
        _sum(ax, xc, yc, r)
        _faint_box(ax, xc, yc - 0.65, 0.55, 0.36, r"$\tanh$")
        _faint_box(ax, xc, yc - 1.3, bw, 0.42, rf"$\odot\,\Gamma_o{_at(s)}$")
        _sum(ax, xc, ya, r)
        _faint_box(ax, xc, ya - 1.35, 0.7, 0.45, rf"$\hat{{y}}{_at(s)}$")
        _faint_box(ax, xg, ya, gw, 0.5, "gates")
        # the forward pass: c⟨t⟩ along the top, down through tanh and Γ_o to a⟨t⟩; the gates' values
        for a, b in [((xf + bw / 2, yc + 0.12), (xp - r, yc + 0.12)), ((xp + r, yc + 0.12), (xc - r, yc + 0.12)),
                     ((xc + r, yc + 0.12), (nf, yc + 0.12)), ((xc + r, ya + 0.12), (ng, ya + 0.12)),
                     ((xc - 0.12, yc - r), (xc - 0.12, yc - 0.47)),
                     ((xc - 0.12, yc - 0.83), (xc - 0.12, yc - 1.09)),
                     ((xc - 0.12, yc - 1.51), (xc - 0.12, ya + 0.11)),
                     ((xc + 0.12, ya - 0.1), (xc + 0.12, ya - 1.12)),
                     ((xf, ya + 0.25), (xf, yc - 0.21)), ((xg + 0.3, ya + 0.25), (xp - 0.02, yc - r)),
                     ((xg + gw / 2, ya + 0.2), (xc - bw / 2, yc - 1.2))]:  # fmt: skip
            _forward(ax, a, b)
        # what the gates get back from dc⟨t⟩ and da⟨t⟩ (the previous page)
        for a, b in [((xf - 0.1, yc - 0.21), (xf - 0.1, ya + 0.25)),
                     ((xp - 0.13, yc - 0.08), (xg + 0.18, ya + 0.25)),
                     ((xc - bw / 2, yc - 1.45), (xg + gw / 2, ya - 0.05))]:  # fmt: skip
            _gradient(ax, a, b, thin=True)
        # the two carried gradients
        _gradient(ax, (nf, yc), (xc + r, yc))
        _gradient(ax, (xc - r, yc), (xp + r, yc))
        _gradient(ax, (xp - r, yc), (xf + bw / 2, yc))
        _label(ax, (xp - 0.05, yc + 0.38), rf"$dc{_at(s)}$")
        _gradient(ax, (xc, ya + r), (xc, yc - 1.51), rf"$da{_at(s)}$", (0.1, 0.1), "left")
        _gradient(ax, (xc, yc - 1.09), (xc, yc - 0.83))
        _gradient(ax, (xc, yc - 0.47), (xc, yc - r))
        _gradient(ax, (xc, ya - 1.12), (xc, ya - r), rf"$da_{{\leftarrow \hat{{y}}}}{_at(s)}$", (0.2, -0.2),
                  "left")  # fmt: skip
        _gradient(ax, (ng, ya), (xc + r, ya))
        if s < 1:  # the shares step t+1 sends back
            _label(ax, (xc - 0.1, yc + 0.38), rf"$dc_{{\leftarrow {_when(s + 1)}}}{_at(s)}$", ha="left")
            _label(ax, (xc + 0.2, ya - 0.46), rf"$da_{{\leftarrow {_when(s + 1)}}}{_at(s)}$", ha="left")
        if s == 0:  # the share c⟨t⟩ gets from step t+1: no derivative of a squashing on it
            _label(ax, (xc - 0.1, yc + 0.7), r"$= dc^{\langle t+1 \rangle} \odot \Gamma_f^{\langle t+1 \rangle}$",
                   "left")  # fmt: skip
    _gradient(ax, (origins[0], yc), (0.02, yc))  # to step t-2
    _gradient(ax, (origins[0] + 0.05, ya), (0.02, ya))
    _label(ax, (origins[1] + 1.0, ya - 1.95),
           r"$dc^{\langle t \rangle} = dc_{\leftarrow t+1}^{\langle t \rangle} + da^{\langle t \rangle} \odot \Gamma_o^{\langle t \rangle} \odot (1 - \tanh^2(c^{\langle t \rangle}))$")  # fmt: skip
    return _fit(fig, ax)


def gru_bptt():
    """Three steps of the GRU's backward pass: the one state c⟨t⟩ = a⟨t⟩ feeds ŷ⟨t⟩ and step t+1, so
    dc⟨t⟩ is the sum of two shares; step t+1's is itself the sum of the shares of the four uses of
    c⟨t⟩ inside it, one over the top through (1 − Γ_u⟨t+1⟩) alone, three through the gates. Every
    step's dz_u⟨t⟩ adds its term to dW_u."""
    pitch, y0, r = 2.1, 2.8, 0.15  # between steps; the state's line; a node
    yu, yg, yy, yw = y0 + 0.78, y0 - 1.1, y0 - 1.75, y0 - 2.55  # (1 − Γ_u), the gates, ŷ, the sum of dW_u
    fig, ax = _page(6.8, 5.6)
    origins = [0.25 + pitch * i for i in range(3)]
    for s, x in zip((-1, 0, 1), origins):
        xs, xu, xp, xj, xg = x + 0.2, x + 0.72, x + 1.22, x + 1.72, x + 0.55  # ⊕ of four shares, ⊙, +, ⊕, gates
        nxt = x + pitch + 0.2 - r if s < 1 else xj + 0.45  # the next step's ⊕ of four shares, or the edge
        _faint_box(ax, xu, yu, 1.2, 0.42, rf"$\odot\,(1 - \Gamma_u{_at(s)})$")
        _faint_node(ax, xp, y0, "$+$", r)
        _sum(ax, xs, y0, r)
        _sum(ax, xj, y0, r)
        _faint_box(ax, xg, yg, 0.65, 0.5, "gates")
        _faint_box(ax, xj, yy, 0.7, 0.45, rf"$\hat{{y}}{_at(s)}$")
        # the forward pass: c⟨t−1⟩ over the top through (1 − Γ_u) and into the gates, Γ_u into (1 − Γ_u),
        # Γ_u ⊙ c̃ up to the +; c⟨t⟩ on to step t+1 and down to ŷ⟨t⟩
        for a, b in [((xs + 0.12, y0 + 0.09), (xs + 0.12, yu - 0.21)), ((xp - 0.12, yu - 0.21), (xp - 0.12, y0 + 0.09)),
                     ((xs - 0.1, y0 - 0.11), (xg - 0.32, yg + 0.25)), ((xg + 0.3, yg + 0.25), (xp - 0.06, y0 - 0.14)),
                     ((xu - 0.03, yg + 0.25), (xu - 0.03, yu - 0.21)), ((xp + r, y0 + 0.09), (xj - 0.1, y0 + 0.11)),
                     ((xj + 0.12, y0 - 0.09), (xj + 0.12, yy + 0.225)), ((xj + 0.1, y0 + 0.11), (nxt, y0 + 0.11))]:  # fmt: skip
            _forward(ax, a, b)
        # what the gates get back from dc⟨t⟩: through Γ_u ⊙ c̃ and through (1 − Γ_u) ⊙ c⟨t−1⟩
        _gradient(ax, (xp - 0.13, y0 - 0.08), (xg + 0.2, yg + 0.25), thin=True)
        _gradient(ax, (xu - 0.15, yu - 0.21), (xu - 0.15, yg + 0.25), thin=True)
        # the gates send c⟨t−1⟩ the shares of its three uses in them: Γ_r ⊙ c⟨t−1⟩ in z_c, and z_u, z_r
        for angle in (-110, -90, -70):  # each to the ⊕'s rim
            rim = (xs + r * np.cos(np.radians(angle)), y0 + r * np.sin(np.radians(angle)))
            _gradient(ax, (xg + (angle + 90) / 200, yg + 0.25), rim, thin=True)
        # the carried gradient: in from step t+1 and up from ŷ⟨t⟩, added; back over the top to c⟨t−1⟩
        if s == 1:  # from beyond the edge; the others come from the next step's ⊕, below
            _gradient(ax, (nxt, y0), (xj + r, y0))
        _gradient(ax, (xj, yy + 0.225), (xj, y0 - r))
        _label(ax, (xj - 0.08, yg - 0.05), rf"$da_{{\leftarrow \hat{{y}}}}{_at(s)}$", ha="right")
        _gradient(ax, (xj - r, y0), (xp + r, y0))
        _label(ax, (xj, y0 + 0.36), rf"$dc{_at(s)}$")
        _gradient(ax, (xp, y0 + r), (xp, yu - 0.21))
        _gradient(ax, (xs, yu - 0.21), (xs, y0 + r))
        _gradient(ax, (xs - r, y0), (xj - pitch + r if s > -1 else 0.02, y0))
        if s < 1:  # the share step t+1 sends back, the sum of four
            _label(ax, ((xu + 0.6 + x + pitch + 0.12) / 2, yu), rf"$dc_{{\leftarrow {_when(s + 1)}}}{_at(s)}$")
        _gradient(ax, (xg, yg - 0.25), (xg, yw))
        _label(ax, (xg + 0.1, yw + 0.4), rf"$dz_u{_at(s)}$", ha="left")
    # every step's copy of W_u adds its gradient to the one dW_u
    ax.plot([origins[0] + 0.55, origins[2] + 0.55], [yw] * 2, color=BACKWARD, lw=2.2, solid_capstyle="round")
    _label(ax, (origins[1] + 0.9, yw - 0.4),
           r"$dW_u = \sum_t dW_u^{\langle t \rangle}, \quad dW_u^{\langle t \rangle} = dz_u^{\langle t \rangle} \left[c^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]^{T}$")  # fmt: skip
    _label(ax, (origins[1] + 0.9, yu + 0.62),
           r"$dc^{\langle t \rangle} = da_{\leftarrow \hat{y}}^{\langle t \rangle} + dc_{\leftarrow t+1}^{\langle t \rangle}$")  # fmt: skip
    return _fit(fig, ax)


def bidirectional():
    """Three steps of a bidirectional network: the forward layer's cells along the bottom, a→ carried
    right; the backward layer's above them, a← carried left; ŷ⟨t⟩ on top reads both. Dashed, the
    shares step t's states get back: from ŷ⟨t⟩ both, from step t+1 the forward state, from step t−1
    the backward one."""
    pitch, yf, yb, yy = 2.0, 1.3, 2.95, 4.3  # between steps; the forward row, the backward row, ŷ
    w, h = 0.7, 0.5  # a cell
    fig, ax = _page(6.9, 4.9)
    columns = [1.05 + pitch * i for i in range(3)]
    right, left = r"\overset{\rightarrow}{a}", r"\overset{\leftarrow}{a}"
    for s, xc in zip((-1, 0, 1), columns):
        xf, xb = xc - 0.35, xc + 0.35  # the two cells of step s
        _box(ax, xf, yf, w, h, "cell")
        _box(ax, xb, yb, w, h, "cell")
        _box(ax, xc, yy, 0.95, 0.45, rf"$\hat{{y}}{_at(s)}$")
        # x⟨t⟩ into both cells of its step
        _arrow(ax, [(xf, 0.1), (xf, yf - h / 2)], rf"$x{_at(s)}$", (-0.1, -0.3), "right")
        _arrow(ax, [(xf, 0.55), (xb, 0.55), (xb, yb - h / 2)])
        # both states up into ŷ⟨t⟩
        _arrow(ax, [(xf - 0.15, yf + h / 2), (xf - 0.15, yy - 0.225)])
        _arrow(ax, [(xb - 0.1, yb + h / 2), (xb - 0.1, yy - 0.225)])
        # the forward layer carries its state right, the backward layer its state left
        if s < 1:
            _arrow(ax, [(xc, yf + 0.08), (xc + pitch - w, yf + 0.08)], rf"${right}{_at(s)}$", (0.15, 0.24))
        else:
            _arrow(ax, [(xc, yf + 0.08), (xc + 0.5, yf + 0.08)])
        if s > -1:
            _arrow(ax, [(xc, yb - 0.08), (xc - pitch + w, yb - 0.08)], rf"${left}{_at(s)}$", (-0.2, -0.3))
        else:
            _arrow(ax, [(xc, yb - 0.08), (xc - 0.5, yb - 0.08)])
    xc = columns[1]
    xf, xb = xc - 0.35, xc + 0.35
    # step t's shares: from ŷ⟨t⟩ into both states, from step t+1 into a→⟨t⟩, from step t−1 into a←⟨t⟩
    _arrow(ax, [(xf + 0.12, yy - 0.225), (xf + 0.12, yf + h / 2)], back=True)
    _label(ax, (xf - 0.27, (yf + yb) / 2), rf"$d{right}_{{\leftarrow \hat{{y}}}}{_at(0)}$", ha="right")
    _arrow(ax, [(xb + 0.15, yy - 0.225), (xb + 0.15, yb + h / 2)], rf"$d{left}_{{\leftarrow \hat{{y}}}}{_at(0)}$",
           (0.1, 0.05), "left", back=True)  # fmt: skip
    _arrow(ax, [(xc + pitch - w, yf - 0.14), (xc, yf - 0.14)], rf"$d{right}_{{\leftarrow t+1}}{_at(0)}$",
           (0.3, -0.32), back=True)  # fmt: skip
    _arrow(ax, [(xc - pitch + w, yb + 0.14), (xc, yb + 0.14)], back=True)
    _label(ax, (xc - 0.62, yb + 0.5), rf"$d{left}_{{\leftarrow t-1}}{_at(0)}$", ha="right")
    for text in ax.texts:  # larger than the other figures': it has the room, and its arrows over a are small
        text.set_fontsize(LABEL + 2)
    return _fit(fig, ax)
