"""Stacked layers, derived with SymPy: what changes when layer l reads a^[l−1]⟨t⟩ for x⟨t⟩.

The mirror of :mod:`rnnlstm.deep`. Layer l of a stack is the cell of a chapter
(:mod:`derivations.rnn`, :mod:`derivations.lstm`, :mod:`derivations.gru`) whose input is
a^[l−1]⟨t⟩, with a^[0]⟨t⟩ = x⟨t⟩; the output layer reads the last layer,
ŷ⟨t⟩ = softmax(W_y a^[L]⟨t⟩ + b_y). Inside a layer every gradient is the cell's. What is new is
where a^[l]⟨t⟩ goes: into its own step t+1 and into the linear maps of layer l+1 at step t, so
that its gradient is the sum of two shares, da^[l]⟨t⟩ = da^[l]_{←[l+1]}⟨t⟩ + da^[l]_{←t+1}⟨t⟩,
and each cell hands the layer below its input's gradient, da^[l−1]_{←[l]}⟨t⟩ (the cell's dx⟨t⟩).
The share from above is differentiated here, through the input blocks of layer l+1's linear maps;
the share from step t+1 is the cell's own result ``da_prev`` one step later, which its chapter
derived over every use the step makes of its state (the GRU's four uses of c⟨t−1⟩ among them).
The GRU's state is c⟨t⟩, of which a⟨t⟩ is a copy: its gradient is written dc^[l]⟨t⟩, as in its
chapter.

Each layered quantity is a chapter's quantity at a layer (:func:`at`): written with the layer's
``[l]``, its sizes those of the layer (n_a^[l], and n_a^[l−1] for the input's). One group of
results per cell, :data:`RESULTS`; a cell is one entry of :data:`CELLS`, its linear maps by the
chapter's symbols.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from types import ModuleType

import numpy as np
import sympy as sp

from . import gru, lstm, rnn
from .calculus import Derived, vjp
from .evaluate import evaluate
from .notation import in_reading_order, m, n_a, n_x, quantity, written
from .output import cross_entropy

ONES = sp.OneMatrix(1, m)
_l, _L, _t = sp.Symbol("l"), sp.Symbol("L"), sp.Symbol("t")


def shifted(index: str, by: int) -> str:
    """A layer or a step written as the superscripts write it, ``by`` later: ``shifted("l", 1)``
    is ``"l+1"``, ``shifted("t+1", -1)`` is ``"t"``."""
    return str(sp.sympify(index, locals={"l": _l, "L": _L, "t": _t}) + by).replace(" ", "")


def width(layer: str) -> sp.Symbol:
    """n_a^[layer], the width of a layer; that of layer 0, the input x, is n_x."""
    return n_x if layer == "0" else sp.Symbol(f"n_{{a}}^{{[{layer}]}}", integer=True, positive=True)


_ORIGIN: dict[sp.MatrixSymbol, tuple[sp.MatrixSymbol, str, str | None]] = {}


def at(symbol, layer, time=None, superscript=True):
    """The chapter's quantity ``symbol`` at layer ``layer`` ("l", "l+1", "L", "1"), at step ``time``
    if given (else at the symbol's own): written with ``[layer]`` unless ``superscript`` is false
    (the output weight W_y, which has no layer of its own but reads layer L), with n_a the layer's
    width and n_x that of the layer below. A column block of a weight is written with the weight's
    layer and the layer's width, W_f^[l][:, n_a^[l]:]."""
    q = written(symbol)
    time = q.time if time is None else time
    sizes = {n_a: width(layer), n_x: width(shifted(layer, -1))}
    rows, cols = (d.xreplace(sizes) for d in symbol.shape)
    name = f"{symbol.name}[{layer}]" + (f"<{time}>" if time else "") + ("" if superscript else " unwritten")
    base, layer_written = q.base, layer if superscript else None
    if "[{:}" in base and layer_written:  # a column block W_f[:, n_a:]: the weight's layer before the slice
        weight, columns = base.split("[", 1)
        base, layer_written = f"{weight}^{{[{layer}]}}[" + columns.replace("n_a", f"n_a^{{[{layer}]}}"), None
    twin = quantity(name, base, rows, cols, time=time, layer=layer_written, example=q.example)
    _ORIGIN[twin] = (symbol, layer, time)
    return twin


@dataclass(frozen=True)
class LinearMap:
    """One pre-activation of a cell, z = W_rec s + W_in x⟨t⟩ + b, by the chapter's symbols (a gate
    weight by its column blocks), where s is the state the step reads, or, where ``reset`` is a gate,
    the state after it, Γ_r ⊙ c⟨t−1⟩ (the GRU's candidate); ``dz`` its gradient."""

    z: sp.MatrixSymbol
    dz: sp.MatrixSymbol
    recurrent: sp.MatrixSymbol
    input: sp.MatrixSymbol
    bias: sp.MatrixSymbol
    reset: sp.MatrixSymbol | None = None


@dataclass(frozen=True)
class StackedCell:
    """A chapter's cell as a layer: its linear maps, and the key of its output layer's weight."""

    chapter: ModuleType
    output: str
    maps: tuple[LinearMap, ...]

    @property
    def parameters(self) -> list[str]:
        """A layer's parameter keys: the chapter's, without the output layer."""
        return [k for k in self.chapter.PARAMETERS if k not in (self.output, "by")]

    @property
    def state(self) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol]:
        """The state step t+1 reads of step t, with its whole gradient: a⟨t⟩ and da⟨t⟩, the GRU's
        c⟨t⟩ and dc⟨t⟩ (a⟨t⟩ = c⟨t⟩ is its copy). The first state the chapter carries."""
        return next(iter(self.chapter.CARRIED.items()))


CELLS = {
    "rnn": StackedCell(rnn, "Wya", (LinearMap(rnn.z, rnn.dz, rnn.Waa, rnn.Wax, rnn.ba),)),
    "lstm": StackedCell(
        lstm, "Wy", tuple(LinearMap(lstm.z[g], lstm.dz[g], lstm.W_a[g], lstm.W_x[g], lstm.b[g]) for g in lstm.GATES)
    ),
    "gru": StackedCell(
        gru,
        "Wy",
        tuple(
            LinearMap(gru.z[g], gru.dz[g], gru.W_a[g], gru.W_x[g], gru.b[g], gru.rt if g == "cct" else None)
            for g in gru.GATES
        ),
    ),
}


def below(cell: StackedCell, layer: str, time: str):
    """a^[layer−1]⟨time⟩, the input of layer ``layer``: x⟨t⟩ for layer 1."""
    if layer == "1":
        if time != "t":
            raise ValueError(f"the input of layer 1 is x⟨t⟩ here, not at {time}")
        return cell.chapter.xt
    return at(cell.chapter.a_next, shifted(layer, -1), time)


def linear_map(cell: StackedCell, lin: LinearMap, layer: str, time: str):
    """z^[layer]⟨time⟩ = W_rec^[layer] s + W_in^[layer] a^[layer−1]⟨time⟩ + b^[layer], where s is the
    layer's state at time−1, a^[layer]⟨time−1⟩ (the GRU's c^[layer]⟨time−1⟩), after the reset gate
    Γ_r^[layer]⟨time⟩ ⊙ where the map has one."""
    s = at(cell.state[0], layer, shifted(time, -1))
    if lin.reset is not None:
        s = sp.HadamardProduct(at(lin.reset, layer, time), s)
    return at(lin.recurrent, layer) * s + at(lin.input, layer) * below(cell, layer, time) + at(lin.bias, layer) * ONES


def later(expr, layer: str, steps: int):
    """``expr``, written by a chapter's symbols at step t, at layer ``layer`` and ``steps`` steps
    later: each quantity of a step as its twin (:func:`at`), a parameter as the layer's. The twins
    are made in the order the chapter defined the quantities, which is the order they print in."""
    twins = {}
    for s in in_reading_order(expr.atoms(sp.MatrixSymbol)):
        time = written(s).time
        twins[s] = at(s, layer, shifted(time, steps) if time else None)
    return expr.xreplace(twins)


def terms(expr) -> tuple:
    """The terms of a sum; a lone term is one."""
    return expr.args if isinstance(expr, sp.MatAdd) else (expr,)


def to_state(cell: StackedCell, layer: str, gradient):
    """``gradient``, what reaches a^[layer]⟨t⟩ from what reads it in the layer above or the output
    layer, carried to the state step t+1 reads: the same quantity for the RNN and the LSTM; through
    the copy a⟨t⟩ = c⟨t⟩ for the GRU (its chapter's definition of a⟨t⟩, at the layer)."""
    state, a = cell.state[0], cell.chapter.a_next
    if state == a:
        return gradient
    return vjp(later(cell.chapter.FORWARD[a.name].rhs, layer, 0), at(state, layer, "t"), gradient)


def _forward(cell: StackedCell):
    ch = cell.chapter
    yield Derived("a_0", at(ch.a_next, "0", "t"), ch.xt, "definition")
    for lin in cell.maps:
        yield Derived(lin.z.name, at(lin.z, "l", "t"), linear_map(cell, lin, "l", "t"), "definition")
    W_y = at(ch.PARAMETERS[cell.output], "L", superscript=False)
    yield Derived("zy", ch.zy, W_y * at(ch.a_next, "L", "t") + ch.by * ONES, "definition")


FORWARD = {name: {d.name: d for d in _forward(cell)} for name, cell in CELLS.items()}
"""The forward definitions of each cell's stack: a^[0]⟨t⟩, the linear maps of layer l, z_y⟨t⟩."""

# The share a layer hands down, the same quantity for every cell
da_below = quantity("deep.da_below", r"da_{\leftarrow [l]}", width("l-1"), m, time="t", layer="l-1")


def _state_text(cell: StackedCell, layer: str) -> str:
    """The layer's state as a rule writes it: a^[l]⟨t⟩, the GRU's c^[l]⟨t⟩ = a^[l]⟨t⟩."""
    a = f"a^[{layer}]⟨t⟩"
    return a if cell.state[0] == cell.chapter.a_next else f"c^[{layer}]⟨t⟩ = {a}"


def _derive(name: str):
    cell = CELLS[name]
    ch, gradient = cell.chapter, cell.state[1]
    a = at(ch.a_next, "l", "t")
    # Defined first, the shares from the layer above print before those from step t+1
    from_above = [vjp(linear_map(cell, lin, "l+1", "t"), a, at(lin.dz, "l+1", "t")) for lin in cell.maps]
    from_next = terms(later(ch.CELL["da_prev"].rhs, "l", 1))
    yield Derived(
        "da_next",
        at(gradient, "l", "t"),
        sp.MatAdd(*terms(to_state(cell, "l", sp.MatAdd(*from_above))), *from_next),
        f"chain rule over both uses of {_state_text(cell, 'l')}: the input of layer l+1 at step t (vjp of its "
        "linear maps) and layer l's own step t+1, whose share is the cell's da_prev one step later "
        "(below the top layer, l < L; nothing after T_x)",
    )
    a_top = at(ch.a_next, "L", "t")
    zy = FORWARD[name]["zy"].rhs
    yield Derived(
        "da_top",
        at(gradient, "L", "t"),
        sp.MatAdd(*terms(to_state(cell, "L", vjp(zy, a_top, ch.dzy))), *terms(later(ch.CELL["da_prev"].rhs, "L", 1))),
        f"chain rule over both uses of {_state_text(cell, 'L')} in the top layer: the prediction z_y⟨t⟩ and "
        "the layer's step t+1, whose share is the cell's da_prev one step later",
    )
    yield Derived(
        "dxt",
        da_below,
        sp.MatAdd(*(vjp(linear_map(cell, lin, "l", "t"), below(cell, "l", "t"), at(lin.dz, "l", "t")) for lin in cell.maps)),
        "vjp of the linear maps of layer l at step t w.r.t. their input a^[l-1]⟨t⟩: the cell's dx⟨t⟩, "
        "the share of da^[l-1]⟨t⟩ that layer l hands down",
    )
    yield Derived(
        "dx",
        ch.CELL["dxt"].lhs,
        sp.MatAdd(*(vjp(linear_map(cell, lin, "1", "t"), ch.xt, at(lin.dz, "1", "t")) for lin in cell.maps)),
        "x⟨t⟩ = a^[0]⟨t⟩ is read by layer 1 at step t only",
    )


RESULTS = {name: {d.name: d for d in _derive(name)} for name in CELLS}
"""The derived results, one group per cell: ``deep.rnn.da_next``, ..."""


# Evaluation on explicit matrices: numpy arrays in floating point (mpmath objects at their
# precision), SymPy matrices exactly. ``parameters`` is rnnlstm.deep's: {"layers": [...], "Wy", "by"}.


def chapter_parameters(cell: str, parameters, layer: int):
    """Layer ``layer``'s parameters (from 0) as its chapter's forward pass takes them: with the
    output layer for the top one; a layer below has none, and zeros stand in for it (nothing
    reads them)."""
    c = CELLS[cell]
    p = parameters["layers"][layer]
    if layer == len(parameters["layers"]) - 1:
        return {**p, c.output: parameters["Wy"], "by": parameters["by"]}
    by, n = parameters["by"], p[c.parameters[0]].shape[0]  # n_y, and the layer's n_a
    if isinstance(by, sp.MatrixBase):
        return {**p, c.output: sp.zeros(by.rows, n), "by": sp.zeros(by.rows, 1)}
    return {**p, c.output: np.zeros((by.shape[0], n), by.dtype), "by": np.zeros_like(by)}


def forward(cell: str, x, a0, parameters):
    """Each layer's forward pass through its chapter's definitions, the bottom layer first: for
    each layer, the list of each step's values by symbol. ``x`` is a list of T_x matrices."""
    ch, layers, inputs = CELLS[cell].chapter, [], x
    for layer, state in enumerate(a0):
        layers.append(ch.forward(inputs, state, chapter_parameters(cell, parameters, layer)))
        inputs = [step[ch.a_next] for step in layers[-1]]
    return layers


def loss(cell: str, x, y, a0, parameters):
    """J of the stack's forward definitions: the cross-entropy of the top layer's predictions."""
    yt_pred = CELLS[cell].chapter.yt_pred
    return sum(cross_entropy(step[yt_pred], y_t) for step, y_t in zip(forward(cell, x, a0, parameters)[-1], y))


def _bound(expr, layers, layer: int, t: int, state):
    """Every symbol of ``expr`` with its value, "l" being layer ``layer`` (from 0) and "t" step
    ``t`` (from 0): a layered quantity from its layer's step, the output layer's dz_y from the top
    layer's. After the last step a gradient of the layer's pre-activations is zero, of the shape of
    its ``state`` a⟨t⟩."""
    values = {}
    for symbol in expr.atoms(sp.MatrixSymbol):
        if symbol not in _ORIGIN:
            values[symbol] = layers[-1][t][symbol]
            continue
        origin, at_layer, at_time = _ORIGIN[symbol]
        k = int(sp.sympify(at_layer, locals={"l": _l, "L": _L}).subs({_l: layer + 1, _L: len(layers)})) - 1
        s = t if at_time is None else int(sp.sympify(at_time, locals={"t": _t}).subs(_t, t + 1)) - 1
        values[symbol] = layers[k][s][origin] if s < len(layers[k]) else layers[k][0][state] * 0
    return values


def loss_gradients(cell: str, x, y, a0, parameters):
    """Every gradient of :func:`loss`, from the derived equations: each layer, from the top down,
    backwards in time, takes da^[l]⟨t⟩ from :data:`RESULTS` (``da_top`` or ``da_next``), the rest
    of a step from its chapter's ``CELL`` equations (a carried state but a its share from step
    t+1, the chapter's ``dc_prev`` there), and hands down ``dxt``.

    Returns ``layers`` (each layer's parameter gradients, by the code's keys), ``da_next`` and
    ``dxt`` (for each layer, a list of T_x matrices: all of da^[l]⟨t⟩, and the share it hands
    down), ``dx`` (T_x matrices), ``da0`` (one per layer) and ``steps`` (each layer's values).
    """
    c = CELLS[cell]
    ch, results = c.chapter, RESULTS[cell]
    layers = forward(cell, x, a0, parameters)
    T = len(x)
    for step, y_t in zip(layers[-1], y):
        step[ch.yt] = y_t
        step[ch.dzy] = evaluate(ch.OUTPUT["dzy"].rhs, step)
    gradient, *carried = ch.CARRIED.values()  # all of da⟨t⟩ (the GRU's dc⟨t⟩); the LSTM's dc_{←t+1}⟨t⟩, step t+1's dc_prev
    for layer in reversed(range(len(layers))):
        da = results["da_top" if layer == len(layers) - 1 else "da_next"].rhs
        for t in reversed(range(T)):
            step = layers[layer][t]
            step[gradient] = evaluate(da, _bound(da, layers, layer, t, ch.a_next))
            for d in carried:
                share = ch.CELL[d.name.replace("_next", "_prev")].lhs
                step[d] = layers[layer][t + 1][share] if t + 1 < T else step[ch.a_next] * 0
            for d in ch.CELL.values():
                step[d.lhs] = evaluate(d.rhs, step)
            step[da_below] = evaluate(results["dxt"].rhs, _bound(results["dxt"].rhs, layers, layer, t, ch.a_next))
    return {
        "layers": [{f"d{k}": reduce(operator.add, (s[ch.STEP[f"d{k}"]] for s in steps)) for k in c.parameters}
                   for steps in layers],
        "da_next": [[s[gradient] for s in steps] for steps in layers],
        "dxt": [[s[da_below] for s in steps] for steps in layers],
        "dx": [evaluate(results["dx"].rhs, _bound(results["dx"].rhs, layers, 0, t, ch.a_next)) for t in range(T)],
        "da0": [steps[0][ch.CELL["da_prev"].lhs] for steps in layers],
        "steps": layers,
    }  # fmt: skip
