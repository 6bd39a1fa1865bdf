"""The Jacobian of one step of the recurrence, derived with SymPy: how the state that step t
hands on moves with the state it receives, for one example.

For example i, ∂a^{(i)⟨t⟩}/∂a^{(i)⟨t−1⟩} is the (n_a, n_a) matrix whose entry (j, k) is
∂a_j^{(i)⟨t⟩}/∂a_k^{(i)⟨t−1⟩}: column k is how a⟨t⟩ moves when the k-th entry of a⟨t−1⟩ does,
everything else that step t reads (x⟨t⟩, the parameters, the LSTM's c⟨t−1⟩) held. What step t
sends back is its transpose times the gradient it receives, da_{←t}⟨t−1⟩ = (∂a⟨t⟩/∂a⟨t−1⟩)ᵀ da⟨t⟩,
and over several steps the Jacobians multiply (the chain rule): that product is what
``docs/gradient-flow.md`` measures.

- The RNN carries a: one Jacobian.
- The LSTM carries the pair (a, c): its step's Jacobian is the (2n_a, 2n_a) matrix of the four
  blocks ∂c⟨t⟩/∂c⟨t−1⟩, ∂c⟨t⟩/∂a⟨t−1⟩, ∂a⟨t⟩/∂c⟨t−1⟩, ∂a⟨t⟩/∂a⟨t−1⟩, each with the other state
  of step t−1 held. The a-block of a product of these pair Jacobians is ∂a⟨T⟩/∂a⟨t⟩ along the
  whole graph, through a and c at every step in between, with c⟨t⟩ held.
- The GRU carries c (= a): one Jacobian, a sum over the four uses of c⟨t−1⟩ in step t.

Each cell's step is written as a graph of single nodes (a linear map, an elementwise function, an
⊙ product of two quantities, a sum of such terms), as the chapters define it. SymPy's matrix
calculus gives each node's Jacobian with respect to each of its inputs, one term of a sum at a
time (it cannot differentiate some sums of ⊙ products as one, nor an ⊙ product with a function
inside, which the graph therefore splits into two nodes); the chain rule composes them,
J_{y←s} = Σ_u (∂y/∂u)(∂u/∂s), over the inputs u of y that depend on s. Each result is then
cross-checked (:func:`check`) against SymPy's derivatives, entry by entry, of the chapter's own
forward definitions (``cell_forward``) on exact rationals.
"""

from __future__ import annotations

import functools

import sympy as sp

from . import gru, lstm, rnn
from .calculus import DerivationError, Derived, in_terms_of_value
from .evaluate import evaluate
from .notation import latex, m, n_a, quantity, written

CELLS = ("rnn", "lstm", "gru")
CHAPTER = {"rnn": rnn, "lstm": lstm, "gru": gru}


def column(symbol):
    """Example i's column of a chapter's quantity of m columns: a quantity of its own, printed
    with the superscript (i); any other symbol (a parameter) as it is."""
    if symbol.shape[1] != m:
        return symbol
    q = written(symbol)
    return quantity(f"flow.{symbol.name}", q.base, symbol.shape[0], 1, time=q.time, layer=q.layer, example="i")


def one_example(expr):
    """``expr`` for example i alone: each quantity of m columns replaced by its column."""
    columns = {s: column(s) for s in expr.atoms(sp.MatrixSymbol) if s.shape[1] == m}
    return expr.xreplace(columns).xreplace({sp.OneMatrix(1, m): sp.OneMatrix(1, 1)})


def jacobian_symbol(y, s):
    """The symbol ∂y/∂s of two column quantities: (rows of y, rows of s); y in brackets when it is
    a product, ∂(Γ_r ⊙ c⟨t−1⟩)."""
    numerator = latex(y) if r"\odot" not in latex(y) else rf"\left({latex(y)}\right)"
    return quantity(f"flow.d{y.name}/d{s.name}", rf"\frac{{\partial {numerator}}}{{\partial {latex(s)}}}", y.shape[0], s.shape[0])


# A quantity that is an expression in the chapters, named here so that each node is a single one
tanh_c = quantity("flow.tanh_c", r"\tanh\left(c^{(i)\langle t \rangle}\right)", n_a, 1)
reset_c = quantity("flow.reset_c", r"\Gamma_r^{(i)\langle t \rangle} \odot c^{(i)\langle t-1 \rangle}", n_a, 1)


def _graphs():
    """Each cell's step as single nodes ``(quantity, definition)`` in chapter symbols, in the order
    they are computed; the values its activations' derivatives are written in ``(pre-activation,
    f, value)``; and the Jacobians to derive ``(output, state)``, each later one in terms of the
    earlier ones."""
    L, G = lstm, gru
    yield "rnn", [(rnn.z, rnn.FORWARD["z"].rhs), (rnn.a_next, rnn.FORWARD["a_next"].rhs)], \
        [(rnn.z, sp.tanh, rnn.a_next)], [(rnn.a_next, rnn.a_prev)]  # fmt: skip
    yield "lstm", [
        *((L.z[g], L._z(g, L.a_prev, L.xt)) for g in L.GATES),
        *((L.gate[g], L.FORWARD[g].rhs) for g in L.GATES),
        (L.c_next, L.FORWARD["c_next"].rhs),
        (tanh_c, L.c_next.applyfunc(sp.tanh)),
        (L.a_next, sp.HadamardProduct(L.ot, tanh_c)),
    ], [(L.z[g], L.GATES[g][3], L.gate[g]) for g in L.GATES], [
        (L.c_next, L.c_prev), (L.c_next, L.a_prev), (L.a_next, L.c_prev), (L.a_next, L.a_prev),
    ]  # fmt: skip
    yield "gru", [
        *((G.z[g], G.gate_z(g, G.c_prev, G.xt, G.rt)) for g in ("ut", "rt")),
        *((G.gate[g], G.FORWARD[g].rhs) for g in ("ut", "rt")),
        (reset_c, sp.HadamardProduct(G.rt, G.c_prev)),
        (G.z["cct"], G.W_a["cct"] * reset_c + G.W_x["cct"] * G.xt + G.b["cct"] * G.ONES),
        (G.cct, G.FORWARD["cct"].rhs),
        # the update distributed, Γ_u ⊙ c̃ + c⟨t−1⟩ − Γ_u ⊙ c⟨t−1⟩: SymPy cannot differentiate (1 − Γ_u) ⊙ c⟨t−1⟩
        (G.c_next, sp.HadamardProduct(G.ut, G.cct) + G.c_prev - sp.HadamardProduct(G.ut, G.c_prev)),
    ], [(G.z[g], G.GATES[g][3], G.gate[g]) for g in G.GATES], [(reset_c, G.c_prev), (G.c_next, G.c_prev)]  # fmt: skip


def _local(rhs, u):
    """The Jacobian ∂rhs/∂u of one node, one term of a sum at a time: SymPy's derivative of a
    column by a column is its transpose (the denominator layout)."""
    total = []
    for term in rhs.args if isinstance(rhs, sp.MatAdd) else (rhs,):
        if term.has(u):
            d = sp.transpose(term.diff(u)).doit()
            if d == 0 or isinstance(d, sp.ZeroMatrix):
                raise DerivationError(f"∂({term})/∂{u} came out as 0 although it depends on {u}")
            total.append(d)
    return sp.MatAdd(*total) if len(total) > 1 else total[0]


def _chain(graph, y, s, named):
    """∂y/∂s by the chain rule over the inputs of y that depend on s; a Jacobian in ``named`` is
    used as its symbol."""
    if y == s:
        return sp.Identity(s.shape[0])
    if (y, s) in named:
        return named[y, s]
    rhs = graph[y]
    terms = []
    for u in sorted(rhs.atoms(sp.MatrixSymbol), key=lambda q: list(graph).index(q) if q in graph else -1):
        if u == s or (u in graph and _depends(graph, u, s)):
            inner = _chain(graph, u, s, named)
            local = _gathered(_local(rhs, u))
            terms.append(local if isinstance(inner, sp.Identity) else _product(local, inner))
    return sp.MatAdd(*terms) if len(terms) > 1 else terms[0]


def _depends(graph, y, s):
    return y == s or (y in graph and any(_depends(graph, u, s) for u in graph[y].atoms(sp.MatrixSymbol)))


def _product(left, right):
    """left · right, the diagonal factors next to each other merged: diag(u) diag(v) = diag(u ⊙ v)."""
    factors = []
    for f in (left, right):
        coeff, matrices = f.as_coeff_matrices() if isinstance(f, sp.MatMul) else (1, [f])
        if coeff != 1:
            raise DerivationError(f"no rule merges the scaled factor {f}")
        factors += matrices
    merged = []
    for f in factors:
        if merged and isinstance(f, sp.DiagMatrix) and isinstance(merged[-1], sp.DiagMatrix):
            merged[-1] = sp.DiagMatrix(sp.HadamardProduct(merged[-1].args[0], f.args[0]))
        else:
            merged.append(f)
    return sp.MatMul(*merged) if len(merged) > 1 else merged[0]


def _gathered(expr):
    """A sum's diagonal terms as one diag: I − diag(Γ_u) is diag(1 − Γ_u), diag(c̃) − diag(c) is
    diag(c̃ − c); the other terms as they are."""
    if isinstance(expr, sp.MatMul):
        return sp.MatMul(*(_gathered(f) for f in expr.args))
    if not isinstance(expr, sp.MatAdd):
        return expr
    diagonal, others = [], []
    for term in expr.args:
        coeff, matrices = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (1, [term])
        if len(matrices) == 1 and isinstance(matrices[0], (sp.DiagMatrix, sp.Identity)):
            diagonal.append((coeff, matrices[0]))
        else:
            others.append(_gathered(term))
    if len(diagonal) < 2:
        return sp.MatAdd(*(_gathered(t) for t in expr.args))
    identity = [c for c, d in diagonal if isinstance(d, sp.Identity)]
    vectors = [(c, d.args[0]) for c, d in diagonal if isinstance(d, sp.DiagMatrix)]
    if identity == [1] and len(vectors) == 1 and vectors[0][0] == -1:
        gathered = sp.DiagMatrix(gru._one_minus(vectors[0][1]))
    elif not identity:
        gathered = sp.DiagMatrix(sp.MatAdd(*(c * v for c, v in vectors)))
    else:
        raise DerivationError(f"no rule gathers the diagonal terms of {expr}")
    return sp.MatAdd(gathered, *others) if others else gathered


GRAPHS = {}  # each cell's single nodes, for example i: quantity → definition
OF = {}  # each cell's results: key → (what is differentiated, the chapter's state it is differentiated by)


def _derive(cell):
    nodes, activations, wanted = next((n, a, w) for c, n, a, w in _graphs() if c == cell)
    graph = GRAPHS[cell] = {column(q) if q.shape[1] == m else q: one_example(rhs) for q, rhs in nodes}
    named = {}
    for y_chapter, state in wanted:
        y, s = column(y_chapter), column(state)
        jacobian = _gathered(_chain(graph, y, s, named))
        for pre, f, value in activations:
            if jacobian.has(column(pre)):
                jacobian = in_terms_of_value(jacobian, column(pre), f, column(value))
        jacobian = jacobian.xreplace({q: graph[q] for q in (tanh_c, reset_c) if q in graph})
        symbol = jacobian_symbol(y, s)
        named[y, s] = symbol
        held = "; the other state of step t−1 held" if cell == "lstm" else ""
        rule = f"chain rule over the single nodes of step t, each node's Jacobian by SymPy's matrix calculus{held}"
        key = f"{y.name}/{s.name}".replace("flow.", "")
        OF.setdefault(cell, {})[key] = (y_chapter, state)
        yield Derived(key, symbol, jacobian, rule)


JACOBIANS = {cell: {d.name: d for d in _derive(cell)} for cell in CELLS}
"""Each cell's one-step Jacobians, by ``output/state`` with the chapter's code names
(``"a_next/a_prev"``); the LSTM's a-blocks are written in terms of its c-blocks, the GRU's in
terms of the Jacobian of the reset gate's product Γ_r ⊙ c⟨t−1⟩ (``"reset_c/c_prev"``)."""


def evaluate_at(cell: str, values, i: int = 0) -> dict:
    """Every Jacobian of ``cell`` at one step of a forward pass, for example ``i``.

    ``values`` maps the chapter's symbols to their matrices at that step, the m examples as
    columns (what the chapter's ``cell_forward`` returns: numpy arrays, or SymPy matrices for exact
    values). Returns each result's key → its (n_a, n_a) matrix, of the same kind.
    """
    at = {column(q): v[:, i : i + 1] for q, v in values.items() if q.shape[1] == m}
    at.update({q: v for q, v in values.items() if q.shape[1] != m})
    jacobians = {}
    for key, d in JACOBIANS[cell].items():
        jacobians[key] = at[d.lhs] = evaluate(d.rhs, at)
    return jacobians


def rnn_bound() -> str:
    """LaTeX of the bound that the RNN's Jacobian, diag(v) W_aa, gives by the submultiplicative
    norm: ‖∂a⟨t⟩/∂a⟨t−1⟩‖ ≤ ‖diag(v)‖ σ_max(W_aa); raises ``DerivationError`` if the derived
    Jacobian is not of that form."""
    d = JACOBIANS["rnn"]["a_next/a_prev"]
    factors = d.rhs.args if isinstance(d.rhs, sp.MatMul) else ()
    if len(factors) != 2 or not isinstance(factors[0], sp.DiagMatrix) or factors[1] != rnn.Waa:
        raise DerivationError(f"the RNN's Jacobian {d.rhs} is not diag(v) W_aa")
    norm = r"\left\lVert {} \right\rVert"
    return rf"{norm.format(latex(d.lhs))} \le {norm.format(latex(factors[0]))} \, \sigma_{{\max}}\left({latex(rnn.Waa)}\right)"


# The cross-check


def _rational(rows, cols, seed):
    """Exact rationals ±k/13, k in 1 … 11, reproducible from ``seed``."""
    return sp.Matrix(rows, cols, lambda r, c: sp.Rational((-1) ** (r + c + seed) * ((7 * (r * cols + c) + 3 * seed) % 11 + 1), 13))


SIZES = (2, 1)  # n_a, n_x of the cross-check


def _step_values(cell):
    """Exact rational parameters, x⟨t⟩ and states of step t−1 for one example (m = 1), keyed by the
    chapter's symbols; the output layer's values are placeholders that ``cell_forward`` keeps."""
    ch = CHAPTER[cell]
    na, nx = SIZES
    dims = {"n_a": na, "n_x": nx, "n_y": 1}
    values = {}
    for seed, (key, p) in enumerate(ch.PARAMETERS.items()):
        rows, cols = (int(sp.sympify(d).subs({sp.Symbol(k, integer=True, positive=True): v for k, v in dims.items()})) for d in p.shape)
        values[key] = _rational(rows, cols, seed)
    values = ch.parameter_values(values)
    values[ch.xt] = _rational(nx, 1, 20)
    for seed, state in enumerate(_states(cell)):
        values[state] = _rational(na, 1, 30 + seed)
    values[ch.zy] = values[ch.yt_pred] = sp.zeros(1, 1)  # kept as given: the checks need no output layer
    return values


def _states(cell):
    """The states step t receives, in the chapter's symbols."""
    return {"rnn": (rnn.a_prev,), "lstm": (lstm.a_prev, lstm.c_prev), "gru": (gru.c_prev,)}[cell]


@functools.cache
def check(cell: str, digits: int = 50) -> float:
    """Cross-check every Jacobian of ``cell`` entry by entry: SymPy's derivatives of the chapter's
    forward definitions (``cell_forward``) with respect to each entry of the state, at exact
    rationals, against the derived matrix evaluated there; both to ``digits`` significant digits.

    Returns the largest absolute difference; raises ``DerivationError`` where one exceeds
    10^(10 − digits), and ``ValueError`` for an unknown cell.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    ch = CHAPTER[cell]
    values = _step_values(cell)
    compact = evaluate_at(cell, ch.cell_forward(dict(values)))
    entries = sp.Matrix(SIZES[0], 1, lambda j, _: sp.Symbol(f"s{j}", real=True))
    moved = {s: ch.cell_forward({**values, s: entries}) for s in _states(cell)}  # one state symbolic at a time
    largest = 0
    for key in JACOBIANS[cell]:
        y, s = OF[cell][key]
        if y in moved[s]:
            output = moved[s][y]
        else:  # a quantity of the graph alone, Γ_r ⊙ c⟨t−1⟩: its definition on the chapter's values
            output = evaluate(GRAPHS[cell][y], {column(q): v for q, v in moved[s].items()})
        brute = output.jacobian(entries).xreplace(dict(zip(entries, values[s])))
        difference = max(abs(sp.N(b - c, digits)) for b, c in zip(brute, compact[key]))
        if difference > sp.Float(10) ** (10 - digits):
            raise DerivationError(f"flow.{cell}.{key}: the derived Jacobian differs from SymPy's entry by entry by {difference}")
        largest = max(largest, float(difference))
    return largest
