"""Cross-check every derived formula against brute force, exactly.

For each result, a scalar function of the quantity it differentiates is written out on explicit
small matrices of rationals, SymPy differentiates it exactly with respect to every entry, and the
compact formula evaluated on the same matrices must agree entry by entry. Both sides are exact
expressions in values such as tanh(3/5) and exp(1/7 + tanh(2/9)); SymPy cannot decide their
equality quickly in general (it merges exp(a)·exp(b) on one side and not the other), so the
difference is evaluated to 50 significant digits and must be below 1e-40, where a wrong formula
is off by order one. This keeps a silent ``0`` (or any other slip) of the matrix calculus out of
the book.
"""

from __future__ import annotations

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

SIZES = {  # m = 2 so that a missing 1/m shows; T_x = 2 so that the recursion is exercised
    "rnn": {"n_x": 2, "n_a": 2, "n_y": 2, "m": 2, "T_x": 2},
    "lstm": {"n_x": 1, "n_a": 2, "n_y": 2, "m": 2, "T_x": 2},
}
DIGITS = 50  # the difference is evaluated to this many significant digits ...
TOLERANCE = mpmath.mpf("1e-40")  # ... and must vanish to these


@dataclass(frozen=True)
class Check:
    """The outcome of one cross-check: ``key`` is ``chapter.group.name``."""

    key: str
    agrees: bool
    difference: float
    seconds: float


def rationals(rows, cols, seed):
    """A reproducible matrix of small distinct-looking rationals in (−1, 1)."""
    values = []
    for k in range(rows * cols):
        p = (seed * 7919 + k * 104729) % 17 - 8
        q = 9 + (seed + 3 * k) % 5
        values.append(sp.Rational(Fraction(p, q)))
    return sp.Matrix(rows, cols, values)


def one_hot(rows, cols, seed):
    return sp.Matrix(rows, cols, lambda k, i: int(k == (seed + 2 * i) % rows))


def entrywise_gradient(scalar, at):
    """∂scalar/∂X_jk for every entry of X, at the matrix ``at``: a list, to :data:`DIGITS` digits."""
    entries = sp.Matrix(at.rows, at.cols, lambda j, k: sp.Dummy(f"x{j}{k}"))
    value = scalar(entries)
    return at_point([sp.diff(value, e) for e in entries], entries, at)


def at_point(expressions, variables=(), values=()):
    """Exact expressions evaluated to :data:`DIGITS` digits, with the variables at exact values."""
    point = at_point(values) if len(values) else []
    with mpmath.workdps(DIGITS):
        return sp.lambdify(list(variables), list(expressions), modules="mpmath", cse=_cse)(*point)


def _cse(exprs):
    return sp.cse(exprs, order="none")  # the default canonical order costs more than the rest


def in_mpmath(M):
    """An exact matrix as a numpy object array of ``mpmath.mpf`` at :data:`DIGITS` digits."""
    return np.array(at_point(list(M)), dtype=object).reshape(M.shape)


def largest_difference(brute, formula):
    """max |brute − formula| over the entries; ``formula`` is an exact matrix or mpmath values."""
    formula = list(np.asarray(formula, dtype=object).flat) if not isinstance(formula, sp.MatrixBase) else at_point(formula)
    if len(brute) != len(formula):
        raise ValueError(f"brute force has {len(brute)} entries, the formula {len(formula)}")
    with mpmath.workdps(DIGITS):
        return max(abs(u - v) for u, v in zip(brute, formula))


CACHE_VARIABLE = "RNNLSTM_BRUTEFORCE_CACHE"  # set by the book's conf.py: a folder for the results


def _run(pairs, prefix):
    """Run the ``(key, brute, formula)`` checks whose key starts with ``prefix``.

    When the environment names a folder in :data:`CACHE_VARIABLE`, a result found there is read
    instead of computed, and a computed one is written there. The book sets it to a folder inside
    its execution cache, which is cleared whenever a source of ``derivations/`` changes: a check
    shown on two pages is computed once per build."""
    folder = os.environ.get(CACHE_VARIABLE)
    checks = []
    for key, brute, formula in pairs:
        if not key.startswith(prefix):
            continue
        path = Path(folder) / f"{key}.json" if folder else None
        if path and path.exists():
            checks.append(Check(**json.loads(path.read_text())))
            continue
        start = time.perf_counter()
        with mpmath.workdps(DIGITS):
            difference = largest_difference(brute(), formula())
        check = Check(key, bool(difference < TOLERANCE), float(difference), time.perf_counter() - start)
        checks.append(check)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}")
            partial.write_text(json.dumps(asdict(check)))
            partial.replace(path)  # atomic: a page running beside this one reads all or nothing
    return checks


def _size(d, sizes):
    return int(sp.sympify(d).subs({sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}))


def checks(chapter, prefix=""):
    """The cross-checks of one chapter module (:mod:`derivations.rnn`, :mod:`derivations.lstm`)
    whose key starts with ``chapter.prefix``: the cell and the output layer on surrogate scalars,
    the recursion and the totals on the full loss."""
    ch = import_module(f"derivations.{chapter}")
    pairs = []

    def add(key, brute, formula):
        pairs.append((f"{chapter}.{key}", brute, formula))

    sizes = SIZES[chapter]
    P = {k: rationals(_size(s.rows, sizes), _size(s.cols, sizes), seed) for seed, (k, s) in enumerate(ch.PARAMETERS.items(), 1)}
    n_x, n_a, n_y, m, T = (sizes[k] for k in ("n_x", "n_a", "n_y", "m", "T_x"))
    parameters = ch.parameter_values(P)

    # One cell: the scalar Σ da⟨t⟩ ⊙ a⟨t⟩ (+ Σ dc⟨t⟩ ⊙ c⟨t⟩) has exactly the cell's gradients.
    base = {**parameters, ch.xt: rationals(n_x, m, 20), ch.a_prev: rationals(n_a, m, 21)}
    if hasattr(ch, "c_prev"):
        base[ch.c_prev] = rationals(n_a, m, 22)
    upstream = {carried: rationals(n_a, m, 23 + i) for i, carried in enumerate(ch.CARRIED)}
    full = ch.cell_forward(dict(base))
    with mpmath.workdps(DIGITS):  # the formulas, evaluated at 50 digits from the same rationals
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
    x = [rationals(n_x, m, 30 + t) for t in range(T)]
    y = [one_hot(n_y, m, t) for t in range(T)]
    a0 = rationals(n_a, m, 40)
    grads = {}

    def gradient(key):
        if not grads:
            mp = lambda v: [in_mpmath(M) for M in v] if isinstance(v, list) else in_mpmath(v)  # noqa: E731
            grads.update(ch.loss_gradients(mp(x), mp(y), mp(a0), {k: mp(v) for k, v in P.items()}))
        return grads[key]

    for key in ch.TOTAL:
        add(f"bptt.{key}", lambda key=key: entrywise_gradient(lambda X: ch.loss(x, y, a0, {**P, key[1:]: X}), P[key[1:]]),
            lambda key=key: gradient(key))  # fmt: skip
    add("bptt.dx", lambda: [g for t in range(T) for g in entrywise_gradient(
        lambda X, t=t: ch.loss([*x[:t], X, *x[t + 1:]], y, a0, P), x[t])],
        lambda: [g for dx_t in gradient("dx") for g in dx_t])  # fmt: skip
    add("bptt.da0", lambda: entrywise_gradient(lambda X: ch.loss(x, y, X, P), a0), lambda: gradient("da0"))
    first = ch.forward(x[:1], a0, P)[0]
    rest = [first[c] for c in ch.CARRIED if c is not ch.a_next]  # c⟨1⟩ for the LSTM

    def loss_given_a1(A1):
        out = cross_entropy(evaluate(Softmax(ch.FORWARD["zy"].rhs), {**parameters, ch.a_next: A1}), y[0])
        return out + ch.loss(x[1:], y[1:], A1, P, *rest)

    add("bptt.da_next", lambda: entrywise_gradient(loss_given_a1, first[ch.a_next]), lambda: gradient("da_next")[0])
    if rest:
        add("bptt.dc_next", lambda: entrywise_gradient(lambda C1: ch.loss(x[1:], y[1:], first[ch.a_next], P, C1), rest[0]),
            lambda: gradient("dc_next")[0])  # fmt: skip
    return _run(pairs, f"{chapter}.{prefix}")
