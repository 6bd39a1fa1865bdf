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

import time
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from . import rnn
from .evaluate import evaluate
from .output import Softmax, cross_entropy

SIZES = {"n_x": 2, "n_a": 2, "n_y": 2, "m": 2, "T_x": 2}
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


def largest_difference(brute, formula):
    """max |brute − formula| over the entries; ``formula`` is an exact matrix."""
    formula = at_point(formula)
    if len(brute) != len(formula):
        raise ValueError(f"brute force has {len(brute)} entries, the formula {len(formula)}")
    with mpmath.workdps(DIGITS):
        return max(abs(u - v) for u, v in zip(brute, formula))


def _run(pairs, prefix):
    """Run the ``(key, brute, formula)`` checks whose key starts with ``prefix``."""
    checks = []
    for key, brute, formula in pairs:
        if key.startswith(prefix):
            start = time.perf_counter()
            difference = largest_difference(brute(), formula())
            checks.append(Check(key, difference < TOLERANCE, float(difference), time.perf_counter() - start))
    return checks


def rnn_checks(prefix="rnn."):
    """The RNN results whose key starts with ``prefix``: cell and output layer on surrogates,
    through time on the full loss."""
    n_x, n_a, n_y, m, T = (SIZES[k] for k in ("n_x", "n_a", "n_y", "m", "T_x"))
    P = {
        "Wax": rationals(n_a, n_x, 1),
        "Waa": rationals(n_a, n_a, 2),
        "Wya": rationals(n_y, n_a, 3),
        "ba": rationals(n_a, 1, 4),
        "by": rationals(n_y, 1, 5),
    }
    x = [rationals(n_x, m, 10 + t) for t in range(T)]
    y = [one_hot(n_y, m, t) for t in range(T)]
    a0 = rationals(n_a, m, 6)
    da_next = rationals(n_a, m, 7)
    z0 = rationals(n_a, m, 8)
    symbols = {rnn.PARAMETERS[k]: v for k, v in P.items()}
    step = {**symbols, rnn.xt: x[0], rnn.a_prev: a0, rnn.da_next: da_next}
    step[rnn.a_next] = evaluate(rnn.FORWARD["a_next"].rhs, {rnn.z: evaluate(rnn.FORWARD["z"].rhs, step)})
    step[rnn.dz] = evaluate(rnn.CELL["dz"].rhs, step)
    step[rnn.yt], step[rnn.yt_pred] = y[0], evaluate(Softmax(rnn.FORWARD["zy"].rhs), step)
    step[rnn.dzy] = evaluate(rnn.OUTPUT["dzy"].rhs, step)

    def cell_surrogate(**change):
        """Σ da⟨t⟩ ⊙ a⟨t⟩, with one input of the cell replaced by ``change``."""

        def scalar(X):
            values = {**step, **{sym: X for sym in change.values()}}
            a = evaluate(rnn.FORWARD["a_next"].rhs, {rnn.z: evaluate(rnn.FORWARD["z"].rhs, values)})
            return sum(da_next.multiply_elementwise(a))

        return scalar

    def output_loss(X, sym):
        values = {**step, sym: X}
        return cross_entropy(evaluate(Softmax(rnn.FORWARD["zy"].rhs), values), y[0])

    checks = [
        (
            "rnn.cell.tanh_prime",
            lambda: entrywise_gradient(lambda Z: sum(Z.applyfunc(sp.tanh)), z0),
            lambda: evaluate(rnn.CELL["tanh_prime"].rhs, {rnn.a_next: z0.applyfunc(sp.tanh)}),
        ),
        (
            "rnn.cell.dz",
            lambda: entrywise_gradient(lambda Z: sum(da_next.multiply_elementwise(Z.applyfunc(sp.tanh))), z0),
            lambda: evaluate(rnn.CELL["dz"].rhs, {**step, rnn.a_next: z0.applyfunc(sp.tanh)}),
        ),
    ]
    for key, sym in [("dWax", rnn.Wax), ("dWaa", rnn.Waa), ("dba", rnn.ba), ("dxt", rnn.xt), ("da_prev", rnn.a_prev)]:
        checks.append(
            (
                f"rnn.cell.{key}",
                lambda sym=sym: entrywise_gradient(cell_surrogate(s=sym), step[sym]),
                lambda key=key: evaluate(rnn.CELL[key].rhs, step),
            )
        )
    for key, sym in [("dzy", rnn.zy), ("dWya", rnn.Wya), ("dby", rnn.by), ("da_y", rnn.a_next)]:
        at = evaluate(rnn.FORWARD["zy"].rhs, step) if sym is rnn.zy else step[sym]
        brute = (
            (lambda at=at: entrywise_gradient(lambda Z: cross_entropy(evaluate(Softmax(rnn.zy), {rnn.zy: Z}), y[0]), at))
            if sym is rnn.zy
            else (lambda sym=sym, at=at: entrywise_gradient(lambda X: output_loss(X, sym), at))
        )
        checks.append((f"rnn.output.{key}", brute, lambda key=key: evaluate(rnn.OUTPUT[key].rhs, step)))

    grads = {}

    def gradient(key):
        if not grads:
            grads.update(rnn.loss_gradients(x, y, a0, P))
        return grads[key]

    for key in rnn.TOTAL:
        checks.append(
            (
                f"rnn.bptt.{key}",
                lambda key=key: entrywise_gradient(lambda X: rnn.loss(x, y, a0, {**P, key[1:]: X}), P[key[1:]]),
                lambda key=key: gradient(key),
            )
        )
    checks.append(
        (
            "rnn.bptt.dx",
            lambda: [
                g
                for t in range(T)
                for g in entrywise_gradient(lambda X, t=t: rnn.loss([*x[:t], X, *x[t + 1 :]], y, a0, P), x[t])
            ],
            lambda: [g for dx_t in gradient("dx") for g in dx_t],
        )
    )
    checks.append(
        (
            "rnn.bptt.da0",
            lambda: entrywise_gradient(lambda X: rnn.loss(x, y, X, P), a0),
            lambda: gradient("da0"),
        )
    )
    a, _ = rnn.forward(x, a0, P)

    def loss_given_a1(A1):
        first = cross_entropy(evaluate(Softmax(rnn.FORWARD["zy"].rhs), {**symbols, rnn.a_next: A1}), y[0])
        return first + rnn.loss(x[1:], y[1:], A1, P)

    checks.append(
        ("rnn.bptt.da_next", lambda: entrywise_gradient(loss_given_a1, a[1]), lambda: gradient("da_next")[0])
    )
    return _run(checks, prefix)
