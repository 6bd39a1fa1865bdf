"""Diagrams of the book, drawn with matplotlib in the course's notation."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import Bbox

FORWARD, BACKWARD, BOX = "#1f4e79", "#b03a2e", "#eef3f8"


def _box(ax, x, y, w, h, text, color=BOX, size=12):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec=FORWARD, lw=1.4))  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def _arrow(ax, start, end, color=FORWARD, style="-", text=None, offset=(0, 0), size=12):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, lw=1.4, ls=style))
    if text:
        mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
        ax.text(*mid, text, ha="center", va="center", fontsize=size, color=color)


def _canvas(width, height):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def rnn_cell():
    """One RNN cell: its inputs, its two nodes, its outputs; gradients flow back along each arrow."""
    fig, ax = _canvas(9, 5.2)
    _box(ax, 3.6, 2.0, 3.0, 0.8, r"$z^{\langle t \rangle} = W_{aa}\,a^{\langle t-1 \rangle} + W_{ax}\,x^{\langle t \rangle} + b_a$", size=11)
    _box(ax, 6.4, 2.0, 1.2, 0.8, r"$\tanh$")
    _box(ax, 6.4, 3.9, 3.0, 0.8, r"$\hat{y}^{\langle t \rangle} = \mathrm{softmax}(W_{ya}\,a^{\langle t \rangle} + b_y)$", size=11)
    _arrow(ax, (0.3, 2.0), (2.05, 2.0), text=r"$a^{\langle t-1 \rangle}$", offset=(0, 0.3))
    _arrow(ax, (3.6, 0.3), (3.6, 1.55), text=r"$x^{\langle t \rangle}$", offset=(0.45, 0))
    _arrow(ax, (5.15, 2.0), (5.75, 2.0))
    _arrow(ax, (7.05, 2.0), (8.8, 2.0), text=r"$a^{\langle t \rangle}$", offset=(0, 0.3))
    _arrow(ax, (7.6, 2.0), (7.6, 3.45))
    _arrow(ax, (6.4, 4.35), (6.4, 5.1), text=r"$\hat{y}^{\langle t \rangle}$", offset=(0.45, 0))
    # gradients, dashed, against the arrows
    _arrow(ax, (8.8, 1.55), (7.05, 1.55), BACKWARD, "--", r"$da^{\langle t \rangle}$", (0, -0.3))
    _arrow(ax, (2.05, 1.55), (0.3, 1.55), BACKWARD, "--", r"$da^{\langle t-1 \rangle}$", (0, -0.3))
    _arrow(ax, (3.1, 1.55), (3.1, 0.3), BACKWARD, "--", r"$dx^{\langle t \rangle}$", (-0.5, 0))
    _arrow(ax, (5.75, 1.7), (5.15, 1.7), BACKWARD, "--")
    ax.text(5.45, 1.35, r"$dz^{\langle t \rangle}$", ha="center", color=BACKWARD, fontsize=12)
    return fig


def rnn_unrolled(T=4):
    """The RNN unrolled over T steps: the same parameters in every cell, a⟨t⟩ carried right."""
    fig, ax = _canvas(2.2 * T + 1.6, 4.2)
    for t in range(1, T + 1):
        cx = 2.2 * t
        label = "T_x" if t == T else str(t)
        _box(ax, cx, 2.0, 1.3, 0.9, "RNN\ncell")
        _arrow(ax, (cx, 0.35), (cx, 1.55), text=rf"$x^{{\langle {label} \rangle}}$", offset=(0.45, -0.2))
        _arrow(ax, (cx, 2.45), (cx, 3.65), text=rf"$\hat{{y}}^{{\langle {label} \rangle}}$", offset=(0.45, 0.2))
        prev = r"a^{\langle 0 \rangle}" if t == 1 else rf"a^{{\langle {t - 1} \rangle}}"
        _arrow(ax, (cx - 1.55, 2.0), (cx - 0.65, 2.0), text=rf"${prev}$", offset=(0, 0.3), size=11)
    return fig


def _node(ax, x, y, text, size=12):
    ax.add_patch(plt.Circle((x, y), 0.28, fc="white", ec=FORWARD, lw=1.4))
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def lstm_cell():
    """One LSTM cell: the four gates read concat = [a⟨t−1⟩; x⟨t⟩]; c carried along the top line."""
    fig, ax = _canvas(11, 6.4)
    top, mid, low = 5.0, 3.4, 1.6
    _arrow(ax, (0.3, top), (2.7, top), text=r"$c^{\langle t-1 \rangle}$", offset=(-0.6, 0.3))
    _node(ax, 3.0, top, r"$\odot$")
    _arrow(ax, (3.3, top), (5.2, top))
    _node(ax, 5.5, top, "$+$")
    _arrow(ax, (5.8, top), (10.7, top), text=r"$c^{\langle t \rangle}$", offset=(1.8, 0.3))
    _box(ax, 8.2, 4.2, 0.9, 0.5, r"$\tanh$", size=11)
    _arrow(ax, (8.2, top), (8.2, 4.47))
    _node(ax, 8.2, mid, r"$\odot$")
    _arrow(ax, (8.2, 3.95), (8.2, 3.7))
    _arrow(ax, (8.5, mid), (10.7, mid), text=r"$a^{\langle t \rangle}$", offset=(1.0, 0.3))
    _arrow(ax, (9.6, mid), (9.6, 1.6), text=r"$\hat{y}^{\langle t \rangle}$", offset=(0.5, -0.6))
    # concat and the gates
    _arrow(ax, (0.3, low), (1.4, low), text=r"$a^{\langle t-1 \rangle}$", offset=(0, 0.3))
    _arrow(ax, (1.7, 0.2), (1.7, 1.3), text=r"$x^{\langle t \rangle}$", offset=(0.45, 0))
    ax.plot([1.4, 7.4], [low, low], color=FORWARD, lw=1.4)
    for x0, label, target in [(3.0, r"$\Gamma_f$", (3.0, top - 0.28)), (4.6, r"$\Gamma_u$", (5.2, mid)),
                              (6.0, r"$\tilde{c}$", (5.8, mid)), (7.4, r"$\Gamma_o$", (7.9, mid))]:  # fmt: skip
        text = r"$\tanh$" if label == r"$\tilde{c}$" else r"$\sigma$"
        _box(ax, x0, 2.4, 0.8, 0.5, text, size=11)
        _arrow(ax, (x0, low), (x0, 2.15))
        ax.text(x0 + 0.45, 2.85, label, fontsize=11, color=FORWARD)
        if label == r"$\Gamma_f$":
            _arrow(ax, (x0, 2.65), target)
    _node(ax, 5.5, mid, r"$\odot$")
    _arrow(ax, (4.6, 2.65), (5.25, 3.25))
    _arrow(ax, (6.0, 2.65), (5.75, 3.25))
    _arrow(ax, (5.5, 3.68), (5.5, top - 0.28))
    _arrow(ax, (7.4, 2.65), (7.92, 3.3))
    # the two carried gradients, dashed, against the flow
    _arrow(ax, (10.7, top - 0.35), (5.8, top - 0.35), BACKWARD, "--", r"$dc^{\langle t \rangle}$", (2.2, -0.25))
    _arrow(ax, (2.7, top - 0.35), (0.3, top - 0.35), BACKWARD, "--", r"$dc^{\langle t-1 \rangle}$", (-0.4, -0.3))
    _arrow(ax, (10.7, mid - 0.35), (8.5, mid - 0.35), BACKWARD, "--", r"$da^{\langle t \rangle}$", (0.6, -0.3))
    _arrow(ax, (1.4, low - 0.35), (0.3, low - 0.35), BACKWARD, "--", r"$da^{\langle t-1 \rangle}$", (0, -0.3))
    return fig


# Backpropagation through time: the gradients bold, the forward pass faint behind them. A page shrinks
# a figure to its text column, about 340 px wide on a phone: a figure at most 38 LABEL-sized ems wide
# keeps every label there at least 9 px tall (tests/test_diagrams.py measures it).
LABEL = 13
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


def _label(ax, xy, text, ha="center", color=BACKWARD):
    ax.text(*xy, text, ha=ha, va="center", fontsize=LABEL, color=color)


def _sum(ax, x, y, r):
    """Where gradients add: a ⊕ in the gradients' colour."""
    ax.add_patch(plt.Circle((x, y), r, fc="white", ec=BACKWARD, lw=2.0, zorder=3))
    ax.text(x, y, "$+$", ha="center", va="center", fontsize=LABEL, color=BACKWARD, zorder=4)


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


def _faint_node(ax, x, y, text, r):
    ax.add_patch(plt.Circle((x, y), r, fc="white", ec=FORWARD, lw=1.0, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=LABEL, zorder=4)


def _faint_box(ax, x, y, w, h, text):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                fc=BOX, ec=FORWARD, lw=1.0))  # fmt: skip
    _label(ax, (x, y), text, color="black")


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
