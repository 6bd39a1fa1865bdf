"""Bidirectional networks, derived with SymPy: what changes when the prediction reads two layers,
one run forward in time and one backward.

The mirror of :mod:`rnnlstm.bidirectional`. The forward layer is a chapter's cell reading
x⟨1⟩ … x⟨T_x⟩, its state written a→⟨t⟩ (an arrow over the a); the backward layer is the same kind
of cell, with weights of its own, reading x⟨T_x⟩ … x⟨1⟩, its state a←⟨t⟩
computed from x⟨t⟩ and a←⟨t+1⟩. The prediction reads both,
z_y⟨t⟩ = W_y [a→⟨t⟩; a←⟨t⟩] + b_y, which enters here, as the LSTM's concatenation does in its chapter,
as the split of W_y into its column blocks W_y[:, :n_a→] and W_y[:, n_a→:].

Inside a layer every gradient is its cell's. What is new is where each state goes: a→⟨t⟩ into
z_y⟨t⟩ and into the forward layer's step t+1; a←⟨t⟩ into z_y⟨t⟩ and into the backward layer's
step t−1, the step it runs next. Each cell that reads a state hands back its share of the state's
gradient (its chapter's da_prev), written with the step it comes from: da→_{←t+1}⟨t⟩ and
da←_{←t−1}⟨t⟩. x⟨t⟩ is read by both layers' cells at step t, and dx⟨t⟩ is the sum of their shares,
dx_{←a→}⟨t⟩ and dx_{←a←}⟨t⟩. The results do not depend on the cell: one group, :data:`BPTT`, and
:func:`loss_gradients` evaluates them with each chapter's cell (:data:`CHAPTERS`).
"""

from __future__ import annotations

import operator
from functools import reduce

import numpy as np
import sympy as sp

from . import gru, lstm, rnn, torch_gru
from .calculus import Derived, vjp
from .evaluate import evaluate
from .notation import m, n_x, n_y, quantity
from .output import Softmax, cross_entropy, time_sum

ARROWS = {"right": r"\overset{\rightarrow}", "left": r"\overset{\leftarrow}"}  # over a layer's quantities
A_FORWARD, A_BACKWARD = (rf"{ARROWS[d]}{{a}}" for d in ("right", "left"))  # the two layers' states, as printed
n_forward = sp.Symbol(rf"n_{{{A_FORWARD}}}", integer=True, positive=True)  # the widths of the layers
n_backward = sp.Symbol(rf"n_{{{A_BACKWARD}}}", integer=True, positive=True)
ONES = sp.OneMatrix(1, m)

# The output layer's weight by its column blocks: the first n_a→ columns read a→⟨t⟩, the others a←⟨t⟩
Wy_forward = quantity("bidirectional.Wy[:, :n_f]", rf"W_y[{{:}}, {{:}}n_{{{A_FORWARD}}}]", n_y, n_forward)
Wy_backward = quantity("bidirectional.Wy[:, n_f:]", rf"W_y[{{:}}, n_{{{A_FORWARD}}}{{:}}]", n_y, n_backward)
by = quantity("by", "b_y", n_y, 1)

# One step
xt = quantity("xt", "x", n_x, m, time="t")
a_forward = quantity("bidirectional.a_f", A_FORWARD, n_forward, m, time="t")
a_backward = quantity("bidirectional.a_b", A_BACKWARD, n_backward, m, time="t")
a_forward_prev = quantity("bidirectional.a_f_prev", A_FORWARD, n_forward, m, time="t-1")
a_backward_after = quantity("bidirectional.a_b_after", A_BACKWARD, n_backward, m, time="t+1")
zy = quantity("bidirectional.zy", "z_y", n_y, m, time="t")
yt_pred = quantity("bidirectional.yt_pred", r"\hat{y}", n_y, m, time="t")

# The RNN's linear maps, to show the two recursions: each layer has weights of its own, written
# with its direction's arrow
_WEIGHTS = {
    arrow: {key: quantity(f"bidirectional.{key}_{arrow}", rf"{ARROWS[arrow]}{{{base}}}_{{{sub}}}", rows, cols)
            for key, base, sub, rows, cols in (("Wax", "W", "ax", n, n_x), ("Waa", "W", "aa", n, n), ("ba", "b", "a", n, 1))}
    for arrow, n in (("right", n_forward), ("left", n_backward))
}  # fmt: skip


def _recursion(direction, previous):
    W = _WEIGHTS[direction]
    return (W["Waa"] * previous + W["Wax"] * xt + W["ba"] * ONES).applyfunc(sp.tanh)


FORWARD = {
    d.name: d
    for d in [
        Derived("a_f", a_forward, _recursion("right", a_forward_prev), "definition"),
        Derived("a_b", a_backward, _recursion("left", a_backward_after), "definition"),
        Derived("zy", zy, Wy_forward * a_forward + Wy_backward * a_backward + by * ONES, "definition"),
        Derived("yt_pred", yt_pred, Softmax(zy), "definition"),
    ]
}
"""The forward definitions: the two recursions (for the RNN: every cell reads its layer's state
the same way), and the prediction reading both states."""

# Gradients, dX = ∂J/∂X; dX_{←N} is the share of dX that comes from N
dzy = quantity("bidirectional.dzy", "dz_y", n_y, m, time="t")
da_forward = quantity("bidirectional.da_f", rf"d{A_FORWARD}", n_forward, m, time="t")
da_backward = quantity("bidirectional.da_b", rf"d{A_BACKWARD}", n_backward, m, time="t")
# what the cell that reads a state hands back: its chapter's da_prev, at the step it comes from
da_forward_share = quantity("bidirectional.da_f_share", rf"d{A_FORWARD}_{{\leftarrow t+1}}", n_forward, m, time="t")
da_backward_share = quantity("bidirectional.da_b_share", rf"d{A_BACKWARD}_{{\leftarrow t-1}}", n_backward, m, time="t")
# what each layer's cell at step t hands x⟨t⟩: its chapter's dx⟨t⟩
dx_forward = quantity("bidirectional.dx_f", rf"dx_{{\leftarrow {A_FORWARD}}}", n_x, m, time="t")
dx_backward = quantity("bidirectional.dx_b", rf"dx_{{\leftarrow {A_BACKWARD}}}", n_x, m, time="t")
dx = quantity("bidirectional.dx", "dx", n_x, m, time="t")
dWy_forward = quantity("bidirectional.dWy_f", rf"dW_y[{{:}}, {{:}}n_{{{A_FORWARD}}}]", n_y, n_forward)
dWy_backward = quantity("bidirectional.dWy_b", rf"dW_y[{{:}}, n_{{{A_FORWARD}}}{{:}}]", n_y, n_backward)
dby = quantity("bidirectional.dby", "db_y", n_y, 1)

# Each cell that reads x⟨t⟩, by the share it hands back; a use is a node of its own, a copy of x⟨t⟩
_read_at_t = {dx_forward: xt, dx_backward: xt}


def _bptt():
    z = FORWARD["zy"].rhs
    yield Derived(
        "da_f",
        da_forward,
        sp.MatAdd(vjp(z, a_forward, dzy), vjp(a_forward, a_forward, da_forward_share)),
        "chain rule over both uses of a→⟨t⟩: the prediction z_y⟨t⟩, through the columns of W_y that read it, "
        "and the forward layer's step t+1, whose cell hands back its da_prev (nothing after T_x)",
    )
    yield Derived(
        "da_b",
        da_backward,
        sp.MatAdd(vjp(z, a_backward, dzy), vjp(a_backward, a_backward, da_backward_share)),
        "chain rule over both uses of a←⟨t⟩: the prediction z_y⟨t⟩, through the columns of W_y that read it, "
        "and the backward layer's step t−1, the step it runs next, whose cell hands back its da_prev "
        "(nothing before step 1)",
    )
    yield Derived(
        "dx",
        dx,
        sp.MatAdd(*(vjp(x, x, share) for share, x in _read_at_t.items())),
        "chain rule over both uses of x⟨t⟩: the forward layer's cell at step t and the backward layer's, "
        "each handing back its dx⟨t⟩",
    )
    yield Derived("dWy_f", dWy_forward, time_sum(vjp(z, Wy_forward, dzy)), "vjp of z_y⟨t⟩, summed over the steps")
    yield Derived("dWy_b", dWy_backward, time_sum(vjp(z, Wy_backward, dzy)), "vjp of z_y⟨t⟩, summed over the steps")
    yield Derived("dby", dby, time_sum(vjp(z, by, dzy)), "vjp of z_y⟨t⟩, summed over the steps")


BPTT = {d.name: d for d in _bptt()}

RESULTS = {"forward": FORWARD, "bptt": BPTT}
"""The results by group: ``bidirectional.forward.zy``, ``bidirectional.bptt.da_f``, ..."""

# Evaluation on explicit matrices: numpy arrays in floating point (mpmath objects at their
# precision). ``parameters`` is rnnlstm.bidirectional's: {"forward": {...}, "backward": {...}, "Wy", "by"}.

CHAPTERS = {"rnn": rnn, "lstm": lstm, "gru": gru, "torch_gru": torch_gru}
OUTPUT_KEY = {"rnn": "Wya", "lstm": "Wy", "gru": "Wy", "torch_gru": "Wy"}  # each chapter's name of its output weight


def chapter_parameters(cell, p, by_value):
    """A layer's parameters as its chapter's forward pass takes them: with zeros for the output
    layer, which a layer of a bidirectional network has not (nothing reads them)."""
    n = next(iter(p.values())).shape[0]  # the layer's n_a
    if isinstance(by_value, sp.MatrixBase):
        return {**p, OUTPUT_KEY[cell]: sp.zeros(by_value.rows, n), "by": sp.zeros(by_value.rows, 1)}
    return {**p, OUTPUT_KEY[cell]: np.zeros((by_value.shape[0], n), by_value.dtype), "by": np.zeros_like(by_value)}


def held(cell, step):
    """A step's carried states but a, held at their values (the LSTM's c⟨t⟩): what a chapter's
    forward takes after a⟨0⟩ to go on from that step."""
    ch = CHAPTERS[cell]
    return [step[state] for state in list(ch.CARRIED)[1:]]


def layers(cell, x, a0, parameters):
    """Both layers' forward passes through their chapter's definitions, each a list of T_x steps'
    values by symbol in the order of t: the forward layer run on ``x``, the backward layer on ``x``
    reversed, its steps reversed back. ``x`` is a list of T_x matrices."""
    ch, by_value = CHAPTERS[cell], parameters["by"]
    forward = ch.forward(x, a0[0], chapter_parameters(cell, parameters["forward"], by_value))
    backward = ch.forward(x[::-1], a0[1], chapter_parameters(cell, parameters["backward"], by_value))[::-1]
    return forward, backward


def output_values(parameters, a_f, a_b):
    """The symbols of z_y⟨t⟩'s definition, with W_y split into its column blocks."""
    W, n = parameters["Wy"], a_f.shape[0]
    return {Wy_forward: W[:, :n], Wy_backward: W[:, n:], by: parameters["by"], a_forward: a_f, a_backward: a_b}


def prediction(parameters, a_f, a_b):
    """ŷ⟨t⟩ from the two states, by the definition of z_y⟨t⟩."""
    return evaluate(Softmax(FORWARD["zy"].rhs), output_values(parameters, a_f, a_b))


def loss_of_states(parameters, a_f, a_b, y):
    """J from the two layers' states at every step (lists of T_x matrices)."""
    return sum(cross_entropy(prediction(parameters, f, b), y_t) for f, b, y_t in zip(a_f, a_b, y))


def loss(cell, x, y, a0, parameters):
    """J of the forward definitions: the quantity every gradient here differentiates."""
    a = CHAPTERS[cell].a_next
    forward, backward = layers(cell, x, a0, parameters)
    return loss_of_states(parameters, [s[a] for s in forward], [s[a] for s in backward], y)


def loss_as_function_of(cell, key, t, x, y, a0, parameters):
    """J as a function of what the result ``key`` differentiates, and that quantity's value:
    ``(f, value)``. ``da_f``: a→⟨t⟩, the forward layer going on from it; ``da_b``: a←⟨t⟩, the
    backward layer going on from it down to step 1; ``dx``: x⟨t⟩, both layers from step t on in the
    order each runs; ``dWy_f``, ``dWy_b``, ``dby``: the output layer's blocks and bias (``t`` is
    then any step). Steps count from 0; the loss leaves out the terms that do not depend on the
    quantity. Exact for SymPy matrices, in floating point for numpy arrays."""
    ch = CHAPTERS[cell]
    forward, backward = layers(cell, x, a0, parameters)
    a_f, a_b = [s[ch.a_next] for s in forward], [s[ch.a_next] for s in backward]
    p_f, p_b = (chapter_parameters(cell, parameters[d], parameters["by"]) for d in ("forward", "backward"))

    def run(inputs, start, p):
        """The states of a layer run on ``inputs`` from ``start`` (a⟨·⟩ and the other carried states)."""
        return [s[ch.a_next] for s in ch.forward(inputs, start[0], p, *start[1:])]

    def from_forward_state(X):
        after = run(x[t + 1 :], [X, *held(cell, forward[t])], p_f)
        return loss_of_states(parameters, [X, *after], a_b[t:], y[t:])

    def from_backward_state(X):
        after = run(x[:t][::-1], [X, *held(cell, backward[t])], p_b)[::-1]
        return loss_of_states(parameters, a_f[: t + 1], [*after, X], y[: t + 1])

    def from_input(X):
        f_start = [a0[0]] if t == 0 else [a_f[t - 1], *held(cell, forward[t - 1])]
        b_start = [a0[1]] if t == len(x) - 1 else [a_b[t + 1], *held(cell, backward[t + 1])]
        new_f, new_b = run([X, *x[t + 1 :]], f_start, p_f), run([X, *x[:t][::-1]], b_start, p_b)[::-1]
        return loss_of_states(parameters, [*a_f[:t], *new_f], [*new_b, *a_b[t + 1 :]], y)

    W, n = parameters["Wy"], a0[0].shape[0]
    hstack = sp.Matrix.hstack if isinstance(W, sp.MatrixBase) else lambda *blocks: np.hstack(blocks)
    return {
        "da_f": (from_forward_state, a_f[t]),
        "da_b": (from_backward_state, a_b[t]),
        "dx": (from_input, x[t]),
        "dWy_f": (lambda X: loss_of_states({**parameters, "Wy": hstack(X, W[:, n:])}, a_f, a_b, y), W[:, :n]),
        "dWy_b": (lambda X: loss_of_states({**parameters, "Wy": hstack(W[:, :n], X)}, a_f, a_b, y), W[:, n:]),
        "dby": (lambda X: loss_of_states({**parameters, "by": X}, a_f, a_b, y), parameters["by"]),
    }[key]


PER_STEP = ("da_f", "da_b", "dx")  # the results at every step; the others are totals over the steps


def _backward_in_layer(cell, steps, shares):
    """One layer's backward pass through its chapter's cell equations, ``steps`` in the order the
    layer ran them: each step gets all of its state's gradient from ``shares`` (the prediction's
    share, by the derived result, given the share from the step run after it), and the share of
    every other carried state from the step run after it."""
    ch = CHAPTERS[cell]
    state_gradient = list(ch.CARRIED.values())[0]  # da⟨t⟩ (the GRU's dc⟨t⟩)
    carried = list(ch.CARRIED.values())[1:]  # the LSTM's dc⟨t⟩, from the next step's dc_prev
    after = None
    for step, share in reversed(list(zip(steps, shares))):
        zero = step[ch.a_next] * 0
        step[state_gradient] = share(after[ch.CELL["da_prev"].lhs] if after else zero)
        for d in carried:
            step[d] = after[ch.CELL[d.name.replace("_next", "_prev")].lhs] if after else zero
        for d in ch.CELL.values():
            step[d.lhs] = evaluate(d.rhs, step)
        after = step


def loss_gradients(cell, x, y, a0, parameters):
    """Every gradient of :func:`loss`, from the derived equations: z_y⟨t⟩'s dz_y⟨t⟩ from the
    chapter's output layer, each layer backwards in the order it ran (the backward layer from
    step 1 up to T_x) with all of its state's gradient from :data:`BPTT` (``da_f``, ``da_b``), the
    rest of a step from its chapter's ``CELL`` equations, and dx⟨t⟩ from ``dx``.

    Returns ``forward`` and ``backward`` (each layer's parameter gradients, by the code's keys),
    ``da_next`` (for each layer, a list of T_x matrices in the order of t: all of its state's
    gradient), ``dx`` (T_x matrices), ``da0`` (da→⟨0⟩, da←⟨T_x+1⟩), ``dWy`` (the blocks side by
    side), ``dby``, and ``steps`` (each layer's values, in the order of t).
    """
    ch = CHAPTERS[cell]
    forward, backward = layers(cell, x, a0, parameters)
    a_f, a_b = [s[ch.a_next] for s in forward], [s[ch.a_next] for s in backward]
    outputs = []
    for f, b, y_t in zip(a_f, a_b, y):
        values = output_values(parameters, f, b)
        values[dzy] = evaluate(ch.OUTPUT["dzy"].rhs, {ch.yt_pred: prediction(parameters, f, b), ch.yt: y_t})
        outputs.append(values)

    def share_rule(key, share_symbol, values):
        return lambda share: evaluate(BPTT[key].rhs, {**values, share_symbol: share})

    _backward_in_layer(cell, forward, [share_rule("da_f", da_forward_share, v) for v in outputs])
    _backward_in_layer(cell, backward[::-1], [share_rule("da_b", da_backward_share, v) for v in outputs[::-1]])
    dxt = ch.CELL["dxt"].lhs
    parameter_keys = list(parameters["forward"])

    def per_step(key):  # the summand of a total over the steps, at each step
        return [evaluate(BPTT[key].rhs.function, v) for v in outputs]

    def total(layer):
        return {f"d{k}": reduce(operator.add, (s[ch.STEP[f"d{k}"]] for s in layer)) for k in parameter_keys}

    stack = np.hstack
    return {
        "forward": total(forward),
        "backward": total(backward),
        "da_next": [[s[list(ch.CARRIED.values())[0]] for s in layer] for layer in (forward, backward)],
        "dx": [evaluate(BPTT["dx"].rhs, {dx_forward: f[dxt], dx_backward: b[dxt]}) for f, b in zip(forward, backward)],
        "da0": (forward[0][ch.CELL["da_prev"].lhs], backward[-1][ch.CELL["da_prev"].lhs]),
        "dWy": stack([reduce(operator.add, per_step("dWy_f")), reduce(operator.add, per_step("dWy_b"))]),
        "dby": reduce(operator.add, per_step("dby")),
        "steps": (forward, backward),
    }
