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
