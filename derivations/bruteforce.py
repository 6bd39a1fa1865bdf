"""Cross-check every derived formula against brute force.

For each result, a scalar function of the quantity it differentiates is written out on explicit
small matrices, it is differentiated exactly with respect to every entry (:func:`derivatives`:
SymPy's own derivative of each node, composed by the chain rule, with no step size and no
truncation), and the compact formula evaluated on the same matrices must agree entry by entry.
The matrices hold small rationals p/q written as SymPy floats of :data:`PRECISION` digits. The
scalar is built as written, node by node, with SymPy's automatic simplification off: it would
rewrite nothing that changes the value, and deciding the signs and the zeros of every node it
builds (by SymPy's assumptions) took most of the time. The derivative is computed to
:data:`DIGITS` significant digits, the formula at the same point to the same digits, and the
difference must be below 1e-40, where a wrong formula is off by order one. This keeps a silent
``0`` (or any other slip) of the matrix calculus out of the book.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from importlib import import_module
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from .evaluate import evaluate
from .output import Softmax, cross_entropy

SIZES = {  # m = 2 so that a missing 1/m shows; T_x = 3 so that a middle step has neighbours on
    # both sides: a term carried back from step t+1 reaches step t−1 and every gate of step t (with
    # T_x = 2, a slip in dc⟨t⟩ never reaches Γ_f, whose gradient at step 1 is multiplied by c⟨0⟩ = 0)
    "rnn": {"n_x": 2, "n_a": 2, "n_y": 2, "m": 2, "T_x": 3},
    "lstm": {"n_x": 1, "n_a": 2, "n_y": 2, "m": 2, "T_x": 3},
    "gru": {"n_x": 1, "n_a": 2, "n_y": 2, "m": 2, "T_x": 3},
    "torch_gru": {"n_x": 1, "n_a": 2, "n_y": 2, "m": 2, "T_x": 3},
    # two layers, each of a width of its own: a weight between them transposed does not fit. T_x = 2
    # is enough here, where each step's gradients inside a layer are the chapters' (checked above):
    # at step 1 a^[1] receives both shares, from layer 2 and from step 2; at step 2 the first alone
    "deep": {"n_x": 1, "n_a^{[1]}": 2, "n_a^{[2]}": 3, "n_y": 2, "m": 2, "T_x": 2},
    # the two directions of widths of their own, so that W_y's column blocks swapped do not fit; T_x = 3
    # so that the middle step's states receive a share from a next step in both directions (t+1 for
    # the forward layer, t−1 for the backward one)
    "bidirectional": {"n_x": 1, "n_a→": 2, "n_a←": 3, "n_y": 2, "m": 2, "T_x": 3},
}
DIGITS = 50  # the difference is evaluated to this many significant digits ...
TOLERANCE = mpmath.mpf("1e-40")  # ... and must vanish to these
PRECISION = DIGITS + 10  # significant digits of the numbers the problems are written in


@dataclass(frozen=True)
class Check:
    """The outcome of one cross-check: ``key`` is ``chapter.group.name``."""

    key: str
    agrees: bool
    difference: float
    seconds: float


def numbers(rows, cols, seed):
    """A reproducible matrix of small distinct-looking rationals p/q in (−1, 1), as SymPy floats of
    :data:`PRECISION` significant digits."""
    values = []
    for k in range(rows * cols):
        p = (seed * 7919 + k * 104729) % 17 - 8
        q = 9 + (seed + 3 * k) % 5
        values.append(sp.Float(sp.Rational(Fraction(p, q)), PRECISION))
    return sp.Matrix(rows, cols, values)


def one_hot(rows, cols, seed):
    return sp.Matrix(rows, cols, lambda k, i: int(k == (seed + 2 * i) % rows))


def entrywise_gradient(scalar, at):
    """∂scalar/∂X_jk for every entry of X, at the matrix ``at``: a list, to :data:`DIGITS` digits."""
    entries = sp.Matrix(at.rows, at.cols, lambda j, k: sp.Dummy(f"x{j}{k}", real=True))
    with sp.evaluate(False):  # the loss as written: nothing folded, nothing rewritten
        value = scalar(entries)
    with mpmath.workdps(DIGITS):
        return derivatives(value, list(entries), dict(zip(entries, map(_number, at))))


def derivatives(expr, variables, point):
    """d expr/dx for each x of ``variables``, exactly, at ``point`` (a value for each): SymPy
    differentiates each kind of node of ``expr`` with respect to each of its arguments (a product,
    a power, tanh, σ, exp, log: :func:`_function`), and the chain rule sums, over the
    arguments that depend on x, each such partial at the node's arguments times the argument's own
    derivative — the rule ``sp.diff`` applies, but each shared subexpression's value and derivative
    are computed once, and as numbers at mpmath's working precision rather than as expressions.

    ``sp.diff`` walks ``expr`` as a tree, and a whole subtree at every level: through T_x steps of
    an LSTM, where each entry of a⟨t⟩ appears in all four gates of step t+1, the tree grows like
    (4 n_a)^T_x while the graph of distinct subexpressions grows like T_x.
    """
    values, partials = dict(point), {}

    def value(e):
        if e not in values:
            values[e] = _function(e.func, len(e.args))(*map(value, e.args)) if e.args else _number(e)
        return values[e]

    def partial(e, i):
        if (e, i) not in partials:
            partials[e, i] = _function(e.func, len(e.args), i)(*map(value, e.args))
        return partials[e, i]

    def derivative(x):
        done = {}

        def d(e):
            if e not in done:
                if e == x or not e.args:
                    done[e] = int(e == x)
                else:
                    done[e] = sum(partial(e, i) * d_arg for i, d_arg in enumerate(map(d, e.args)) if d_arg != 0)
            return done[e]

        return d(expr)

    return [derivative(x) for x in variables]


@functools.cache
def _function(func, n, i=None):
    """func(u_1, ..., u_n), or its partial derivative ∂/∂u_i by SymPy, as an mpmath function of the
    n arguments: the same for every node of a kind."""
    u = [sp.Dummy() for _ in range(n)]
    return sp.lambdify(u, func(*u) if i is None else sp.diff(func(*u), u[i]), modules="mpmath")


def _number(e):
    """A SymPy number (a Float of :data:`PRECISION` digits, an integer, a rational, e) as an
    ``mpmath.mpf``, rounded to mpmath's working precision."""
    return +mpmath.mpf(sp.Float(sp.N(e, PRECISION), PRECISION)._mpf_)


def in_mpmath(M):
    """A SymPy matrix of numbers as a numpy object array of ``mpmath.mpf`` at :data:`DIGITS` digits."""
    with mpmath.workdps(DIGITS):
        return np.array([_number(v) for v in M], dtype=object).reshape(M.shape)


def largest_difference(brute, formula):
    """max |brute − formula| over the entries; ``formula`` is an exact matrix or mpmath values."""
    with mpmath.workdps(DIGITS):
        formula = list(np.asarray(formula, dtype=object).flat) if not isinstance(formula, sp.MatrixBase) else list(map(_number, formula))
        if len(brute) != len(formula):
            raise ValueError(f"brute force has {len(brute)} entries, the formula {len(formula)}")
        return max(abs(u - v) for u, v in zip(brute, formula))


CACHE_VARIABLE = "RNNLSTM_BRUTEFORCE_CACHE"  # set by the book's conf.py: a folder for the results


def _run(pairs, prefix):
    """Run the ``(key, brute, formula)`` checks whose key starts with ``prefix``.

    When the environment names a folder in :data:`CACHE_VARIABLE`, each check is looked up there
    under an exclusive lock of its own: a result found is read, a missing one is computed and
    written before the lock is released. The book sets the variable to a folder that belongs to
    the current sources of ``derivations/``; its pages run in parallel workers, and a check shown
    on two pages is computed by whichever asks first while the other waits and reads it: once per
    build."""
    folder = os.environ.get(CACHE_VARIABLE)
    checks = []
    for key, brute, formula in pairs:
        if key.startswith(prefix):
            compute = functools.partial(_check, key, brute, formula)
            checks.append(_stored(Path(folder) / f"{key}.json", compute) if folder else compute())
    return checks


def _check(key, brute, formula):
    start = time.perf_counter()
    with mpmath.workdps(DIGITS):
        difference = largest_difference(brute(), formula())
    return Check(key, bool(difference < TOLERANCE), float(difference), time.perf_counter() - start)


def _stored(path, compute):
    """The :class:`Check` stored at ``path``, or ``compute()`` stored there; one process at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f"{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if path.exists():
            return Check(**json.loads(path.read_text()))
        check = compute()
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(check)))
        partial.replace(path)  # whole or absent, even if this process is killed while writing
        return check


def _size(d, sizes):
    return int(sp.sympify(d).subs({sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}))


def problem(chapter):
    """The problem the checks through time differentiate: ``x``, ``y`` (lists of T_x matrices),
    ``a0`` and the parameters by the code's names, at the chapter's :data:`SIZES`."""
    sizes = SIZES[chapter]
    n_x, n_a, n_y, m, T = (sizes[k] for k in ("n_x", "n_a", "n_y", "m", "T_x"))
    shapes = import_module(f"derivations.{chapter}").PARAMETERS.items()
    parameters = {k: numbers(_size(s.rows, sizes), _size(s.cols, sizes), seed) for seed, (k, s) in enumerate(shapes, 1)}
    x = [numbers(n_x, m, 30 + t) for t in range(T)]
    return {"x": x, "y": [one_hot(n_y, m, t) for t in range(T)], "a0": numbers(n_a, m, 40), "parameters": parameters}


def derived_gradients(chapter):
    """The chapter's ``loss_gradients`` (the derived equations, evaluated backwards in time) on
    :func:`problem`, at :data:`DIGITS` digits."""
    x, y, a0, parameters = problem(chapter).values()
    with mpmath.workdps(DIGITS):
        x, y = [in_mpmath(M) for M in x], [in_mpmath(M) for M in y]
        parameters = {k: in_mpmath(v) for k, v in parameters.items()}
        return import_module(f"derivations.{chapter}").loss_gradients(x, y, in_mpmath(a0), parameters)


def checks(chapter, prefix=""):
    """The cross-checks of one chapter (``rnn``, ``lstm``, ``gru``, ``deep``, ``bidirectional``) whose key starts with
    ``chapter.prefix``."""
    pairs = {"deep": _stack_pairs, "bidirectional": _bidirectional_pairs}.get(chapter, lambda: _cell_pairs(chapter))
    return _run(pairs(), f"{chapter}.{prefix}")


def _cell_pairs(chapter):
    """The ``(key, brute, formula)`` checks of a cell's chapter (:mod:`derivations.rnn`,
    :mod:`derivations.lstm`, :mod:`derivations.gru`): the cell and the output layer on surrogate scalars, the recursion
    and the totals on the full loss."""
    ch = import_module(f"derivations.{chapter}")
    pairs = []

    def add(key, brute, formula):
        pairs.append((f"{chapter}.{key}", brute, formula))

    sizes = SIZES[chapter]
    n_x, n_a, n_y, m = (sizes[k] for k in ("n_x", "n_a", "n_y", "m"))
    x, y, a0, P = problem(chapter).values()
    parameters = ch.parameter_values(P)

    # One cell: the scalar Σ da⟨t⟩ ⊙ a⟨t⟩ (+ Σ dc⟨t⟩ ⊙ c⟨t⟩) has exactly the cell's gradients.
    base = {**parameters, ch.xt: numbers(n_x, m, 20)}
    for seed, state in ((21, "a_prev"), (22, "c_prev")):  # the states the chapter's cell reads
        if hasattr(ch, state):
            base[getattr(ch, state)] = numbers(n_a, m, seed)
    upstream = {carried: numbers(n_a, m, 23 + i) for i, carried in enumerate(ch.CARRIED)}
    full = ch.cell_forward(dict(base))
    with mpmath.workdps(DIGITS):  # the formulas, evaluated at 50 digits from the same numbers
        formula = ch.cell_forward({k: in_mpmath(v) for k, v in base.items()})
        formula.update({ch.CARRIED[c]: in_mpmath(g) for c, g in upstream.items()})
        for d in ch.CELL.values():
            formula[d.lhs] = evaluate(d.rhs, formula)

    def cell_scalar(symbol):
        def scalar(X):
            values = ch.cell_forward({**base, symbol: X})
            return sum(sum(g.multiply_elementwise(values[c])) for c, g in upstream.items())

        return scalar

    for key, (f, pre, _) in ch.LOCAL.items():
        add(f"cell.{key}", lambda pre=pre, f=f: entrywise_gradient(lambda Z: sum(Z.applyfunc(f)), full[pre]),
            lambda key=key: formula[ch.CELL[key].lhs])  # fmt: skip
    for key, symbol in ch.WRT.items():
        add(f"cell.{key}", lambda s=symbol: entrywise_gradient(cell_scalar(s), full[s]),
            lambda key=key: formula[ch.CELL[key].lhs])  # fmt: skip

    # The output layer: the loss of one step as a function of z_y, its weight and bias, or a⟨t⟩.
    y0 = one_hot(n_y, m, 0)
    before_output = {k: v for k, v in full.items() if k not in (ch.zy, ch.yt_pred)}
    with mpmath.workdps(DIGITS):
        output = {**formula, ch.yt: in_mpmath(y0)}
        for d in ch.OUTPUT.values():
            output[d.lhs] = evaluate(d.rhs, output)
    for key, symbol in ch.OUTPUT_WRT.items():
        scalar = lambda X, s=symbol: cross_entropy(ch.cell_forward({**before_output, s: X})[ch.yt_pred], y0)  # noqa: E731
        add(f"output.{key}", lambda s=symbol, f=scalar: entrywise_gradient(f, full[s]),
            lambda key=key: output[ch.OUTPUT[key].lhs])  # fmt: skip

    # Through time: the full loss over T_x steps, differentiated entry by entry.
    grads = {}

    def gradient(key):
        if not grads:
            grads.update(derived_gradients(chapter))
        return grads[key]

    def every_step(brute_at, key):
        """A check of a gradient that ``loss_gradients`` lists per step: every step's entries."""
        add(f"bptt.{key}", lambda: [g for t in range(len(x)) for g in brute_at(t)],
            lambda: [g for at_t in gradient(key) for g in at_t])  # fmt: skip

    for key in ch.TOTAL:
        add(f"bptt.{key}", lambda key=key: entrywise_gradient(lambda X: ch.loss(x, y, a0, {**P, key[1:]: X}), P[key[1:]]),
            lambda key=key: gradient(key))  # fmt: skip
    every_step(lambda t: entrywise_gradient(lambda X: ch.loss([*x[:t], X, *x[t + 1:]], y, a0, P), x[t]), "dx")
    add("bptt.da0", lambda: entrywise_gradient(lambda X: ch.loss(x, y, X, P), a0), lambda: gradient("da0"))
    states = ch.forward(x, a0, P)

    def carried_gradient(t, state):
        """∂/∂``state`` of the loss of steps t, ..., T_x, where ``state`` (a⟨t⟩ or c⟨t⟩) is what
        step t carries, the other carried state held at its value (the GRU carries c⟨t⟩ = a⟨t⟩ alone)."""

        def loss_from(X):
            a, *rest = {**{c: states[t][c] for c in ch.CARRIED}, state: X}.values()  # a⟨t⟩ (, c⟨t⟩)
            output = evaluate(Softmax(ch.FORWARD["zy"].rhs), {**parameters, ch.a_next: a})
            return cross_entropy(output, y[t]) + ch.loss(x[t + 1:], y[t + 1:], a, P, *rest)

        return entrywise_gradient(loss_from, states[t][state])

    for state, d_state in ch.CARRIED.items():
        key = next(k for k, d in ch.BPTT.items() if d.lhs == d_state)  # the result that carries it back
        every_step(lambda t, state=state: carried_gradient(t, state), key)
    return pairs


def stack_problem(cell):
    """The problem the checks of stacked layers differentiate: two layers of ``cell`` of the widths
    of ``SIZES["deep"]``, with ``x``, ``y`` (lists of T_x matrices), ``a0`` (one per layer) and the
    parameters as :mod:`rnnlstm.deep` takes them."""
    from . import deep

    sizes = SIZES["deep"]
    n_x, n_y, m, T = (sizes[k] for k in ("n_x", "n_y", "m", "T_x"))
    widths = [v for k, v in sizes.items() if k.startswith("n_a")]
    stacked = deep.CELLS[cell]
    layers, inputs = [], n_x
    for layer, n_a in enumerate(widths):
        shapes = {k: stacked.chapter.PARAMETERS[k] for k in stacked.parameters}
        at = {"n_x": inputs, "n_a": n_a}
        seeds = enumerate(shapes.items(), 10 * layer + 1)
        layers.append({k: numbers(_size(s.rows, at), _size(s.cols, at), seed) for seed, (k, s) in seeds})
        inputs = n_a
    return {
        "x": [numbers(n_x, m, 30 + t) for t in range(T)],
        "y": [one_hot(n_y, m, t) for t in range(T)],
        "a0": [numbers(n_a, m, 40 + layer) for layer, n_a in enumerate(widths)],
        "parameters": {"layers": layers, "Wy": numbers(n_y, widths[-1], 50), "by": numbers(n_y, 1, 51)},
    }


def _stack_pairs():
    """The ``(key, brute, formula)`` checks of :mod:`derivations.deep`, for every cell."""
    from . import deep

    return [pair for cell in deep.CELLS for pair in _stack_pairs_of(cell)]


def _stack_pairs_of(cell):
    """The checks of one cell's stack on the full loss of :func:`stack_problem`'s two layers, at
    every step: da^[1]⟨t⟩ below the top (``da_next``), da^[2]⟨t⟩ at the top (``da_top``), the
    share layer 2 hands down (``dxt``: the loss as a function of layer 2's input at step t
    alone) and dx⟨t⟩."""
    from . import deep

    ch = deep.CELLS[cell].chapter
    x, y, a0, P = stack_problem(cell).values()
    lower, upper = deep.forward(cell, x, a0, P)
    a1 = [step[ch.a_next] for step in lower]
    bottom, top = deep.chapter_parameters(cell, P, 0), deep.chapter_parameters(cell, P, 1)
    grads = {}

    def gradient(key):
        if not grads:
            grads.update(_stack_gradients(cell))
        return grads[key]

    def held(step):
        """A step's carried states but a, held at their values (the LSTM's c⟨t⟩)."""
        return [step[state] for state in list(ch.CARRIED)[1:]]

    def before(steps, a_0, t):
        """A layer's carried states after step t−1, as its chapter's forward takes them (at t = 0
        a⟨0⟩ alone: c⟨0⟩ = 0)."""
        return [a_0] if t == 0 else [steps[t - 1][ch.a_next], *held(steps[t - 1])]

    # Each loss below leaves out the steps before t, which do not depend on X: a constant of J.
    def upper_from(t, inputs):
        """Layer 2's loss from step t on, reading ``inputs`` at steps t, t+1, ..."""
        a_prev, *rest = before(upper, a0[1], t)
        return ch.loss(inputs, y[t:], a_prev, top, *rest)

    def below_from(t, X):
        """J with a^[1]⟨t⟩ = X: layer 1 goes on from it, layer 2 reads it and what follows."""
        after = ch.forward(x[t + 1:], X, bottom, *held(lower[t]))
        return upper_from(t, [X, *(step[ch.a_next] for step in after)])

    def top_from(t, X):
        """J with a^[2]⟨t⟩ = X: its prediction and layer 2's steps after t."""
        output = evaluate(Softmax(ch.FORWARD["zy"].rhs), {**ch.parameter_values(top), ch.a_next: X})
        return cross_entropy(output, y[t]) + ch.loss(a1[t + 1:], y[t + 1:], X, top, *held(upper[t]))

    def read_by_top(t, X):
        """J with layer 2 reading X at step t; layer 1 as it is."""
        return upper_from(t, [X, *a1[t + 1:]])

    def x_at(t, X):
        """J with x⟨t⟩ = X: layer 1 from step t on, and layer 2 reading it."""
        a_prev, *rest = before(lower, a0[0], t)
        return upper_from(t, [step[ch.a_next] for step in ch.forward([X, *x[t + 1:]], a_prev, bottom, *rest)])

    return [
        (
            f"deep.{cell}.{key}",
            lambda brute=brute, at=at: [g for t in range(len(x)) for g in entrywise_gradient(functools.partial(brute, t), at[t])],
            lambda key=key: [g for at_t in gradient(key) for g in at_t],
        )
        for key, brute, at in [("da_next", below_from, a1), ("da_top", top_from, [s[ch.a_next] for s in upper]),
                               ("dxt", read_by_top, a1), ("dx", x_at, x)]
    ]  # fmt: skip


def _stack_gradients(cell):
    """:func:`derivations.deep.loss_gradients` on :func:`stack_problem` at :data:`DIGITS` digits,
    by the keys of the results, each a list of T_x matrices: ``da_next`` layer 1's, ``da_top``
    layer 2's, ``dxt`` the share layer 2 hands down."""
    from . import deep

    x, y, a0, P = stack_problem(cell).values()
    with mpmath.workdps(DIGITS):
        layers = [{k: in_mpmath(v) for k, v in p.items()} for p in P["layers"]]
        P = {"layers": layers, "Wy": in_mpmath(P["Wy"]), "by": in_mpmath(P["by"])}
        x, y, a0 = ([in_mpmath(M) for M in matrices] for matrices in (x, y, a0))
        res = deep.loss_gradients(cell, x, y, a0, P)
    return {"da_next": res["da_next"][0], "da_top": res["da_next"][1], "dxt": res["dxt"][1], "dx": res["dx"]}


def bidirectional_problem(cell):
    """The problem the checks of a bidirectional network differentiate: a forward and a backward
    layer of ``cell`` of the widths of ``SIZES["bidirectional"]``, with ``x``, ``y`` (lists of T_x
    matrices), ``a0`` (a→⟨0⟩, a←⟨T_x+1⟩) and the parameters as :mod:`rnnlstm.bidirectional` takes them."""
    from . import bidirectional as bi

    sizes = SIZES["bidirectional"]
    n_x, n_f, n_b, n_y, m, T = sizes.values()
    ch, parameters = bi.CHAPTERS[cell], {}
    shapes = {k: s for k, s in ch.PARAMETERS.items() if k not in (bi.OUTPUT_KEY[cell], "by")}
    for k, (direction, n_a) in enumerate((("forward", n_f), ("backward", n_b))):
        at = {"n_x": n_x, "n_a": n_a}
        seeds = enumerate(shapes.items(), 10 * k + 1)
        parameters[direction] = {key: numbers(_size(s.rows, at), _size(s.cols, at), seed) for seed, (key, s) in seeds}
    return {
        "x": [numbers(n_x, m, 30 + t) for t in range(T)],
        "y": [one_hot(n_y, m, t) for t in range(T)],
        "a0": (numbers(n_f, m, 40), numbers(n_b, m, 41)),
        "parameters": {**parameters, "Wy": numbers(n_y, n_f + n_b, 50), "by": numbers(n_y, 1, 51)},
    }


def _bidirectional_pairs():
    """The checks of :mod:`derivations.bidirectional`, one per result, each on every cell in turn
    (its equations are the same for every cell): the full loss of :func:`bidirectional_problem`
    differentiated with respect to a→⟨t⟩ (``da_f``) and a←⟨t⟩ (``da_b``) at every step, each layer
    going on from it in the order it runs, to x⟨t⟩, read by both layers (``dx``), and to the
    output layer's weight blocks and bias."""
    from . import bidirectional as bi

    cells = list(bi.CHAPTERS)
    derived = {}

    def formula(key):
        if not derived:
            derived.update({cell: _bidirectional_gradients(cell) for cell in cells})
        return [g for cell in cells for M in derived[cell][key] for g in np.asarray(M, dtype=object).flat]

    def brute(key):
        return [g for cell in cells for g in _bidirectional_brute(cell, key)]

    return [
        (f"bidirectional.bptt.{key}", functools.partial(brute, key), functools.partial(formula, key))
        for key in bi.BPTT
    ]


def _bidirectional_brute(cell, key):
    """The entries of the gradient ``key`` (a result of :data:`derivations.bidirectional.BPTT`) by
    exact differentiation of the loss, at every step for a state's or the input's."""
    from . import bidirectional as bi

    x, y, a0, P = bidirectional_problem(cell).values()
    at_steps = range(len(x)) if key in bi.PER_STEP else [0]  # a total: t unused
    return [g for t in at_steps for g in entrywise_gradient(*bi.loss_as_function_of(cell, key, t, x, y, a0, P))]


def _bidirectional_gradients(cell):
    """:func:`derivations.bidirectional.loss_gradients` on :func:`bidirectional_problem` at
    :data:`DIGITS` digits, by the keys of the results: each a list of matrices whose entries are
    compared in the order of :func:`_bidirectional_brute`."""
    from . import bidirectional as bi

    x, y, a0, P = bidirectional_problem(cell).values()
    n_f = a0[0].rows
    with mpmath.workdps(DIGITS):
        P = {**{d: {k: in_mpmath(v) for k, v in P[d].items()} for d in ("forward", "backward")},
             "Wy": in_mpmath(P["Wy"]), "by": in_mpmath(P["by"])}  # fmt: skip
        x, y, a0 = ([in_mpmath(M) for M in matrices] for matrices in (x, y, a0))
        res = bi.loss_gradients(cell, x, y, a0, P)
    return {"da_f": res["da_next"][0], "da_b": res["da_next"][1], "dx": res["dx"],
            "dWy_f": [res["dWy"][:, :n_f]], "dWy_b": [res["dWy"][:, n_f:]], "dby": [res["dby"]]}  # fmt: skip
