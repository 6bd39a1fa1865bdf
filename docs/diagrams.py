"""Diagrams of the book, drawn with matplotlib in the course's notation."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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
