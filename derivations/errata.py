"""Wrong formulas that circulate, written with the quantities of :mod:`derivations.rnn` and
:mod:`derivations.lstm`.

Nothing here is derived: each formula is one as it was published (the book's Errata chapter says
where), kept as a SymPy expression so that the book prints it with the same printer as the
derived ones and the tests can evaluate it next to its numpy variant and the derived result it
should have been. ``ERRATA[n]`` lists erratum n's formulas and ``RIGHT[n]`` the keys of the derived
results they replace (the composed forms of the LSTM gates, as references print them).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from . import lstm, rnn
from .calculus import Derived
from .notation import m, n_a, n_x, quantity

_s = sp.Dummy("s")


def elementwise(f, X):
    """f applied to every entry of X, printed as f(X)."""
    return ElementwiseApplyFunction(sp.Lambda(_s, f(_s)), X)


def _hadamard(*factors):
    return sp.HadamardProduct(*factors)


AS_PUBLISHED = "as published"
x_prev = quantity("x_prev", "x", n_x, m, time="t-1")
cct_prev = quantity("cct_prev", r"\tilde{c}", n_a, m, time="t-1")
da_after = quantity("da_after", "da", n_a, m, time="t+1")
# What a row slice is meant to pick: the first n_a columns (multiplying a⟨t−1⟩) and the rest (x⟨t⟩)
W_rows_a = {g: quantity(f"{w}[:n_a, :]", f"W_{l}[{{:}}n_a, {{:}}]", n_a, n_a) for g, (w, _, l, _) in lstm.GATES.items()}
W_rows_x = {g: quantity(f"{w}[n_a:, :]", f"W_{l}[n_a{{:}}, {{:}}]", n_a, n_x) for g, (w, _, l, _) in lstm.GATES.items()}

_tanh_prime_c = elementwise(lambda s: 1 - sp.tanh(s) ** 2, lstm.c_next)  # 1 − tanh²(c⟨t⟩)


def _upstream_through_a(*more):
    """Γ_o ⊙ (1 − tanh²c⟨t⟩) ⊙ ... ⊙ da⟨t⟩: the share of da⟨t⟩ that reaches c⟨t⟩, times ``more``."""
    return _hadamard(lstm.ot, _tanh_prime_c, *more, lstm.da_next)


ERRATA = {
    1: [Derived("dz", rnn.dz, rnn.CELL["tanh_prime"].rhs, AS_PUBLISHED)],
    2: [
        Derived(
            "da_prev",
            rnn.CELL["da_prev"].lhs,
            rnn.Waa.T
            * _hadamard(
                elementwise(lambda s: 1 - sp.tanh(s) ** 2, rnn.FORWARD["z"].rhs.xreplace({rnn.xt: x_prev})),
                rnn.da_next,
            ),
            AS_PUBLISHED,
        ),
        Derived("tanh_prime", rnn.tanh_prime, elementwise(lambda s: sp.sec(s) ** 2, rnn.z), AS_PUBLISHED),
    ],
    3: [
        Derived(
            "dzc",
            lstm.dz["cct"],
            _hadamard(lstm.dc_next, lstm.it)
            + _upstream_through_a(lstm.it, lstm.cct, elementwise(lambda s: 1 - s**2, lstm.cct)),
            AS_PUBLISHED,
        )
    ],
    4: [
        Derived(
            "dzi",
            lstm.dz["it"],
            _hadamard(lstm.dc_next, lstm.cct) + _upstream_through_a(lstm.cct, lstm.it, elementwise(lambda s: 1 - s, lstm.it)),
            AS_PUBLISHED,
        ),
        Derived(
            "dzf",
            lstm.dz["ft"],
            _hadamard(lstm.dc_next, cct_prev)
            + _upstream_through_a(lstm.c_prev, lstm.ft, elementwise(lambda s: 1 - s, lstm.ft)),
            AS_PUBLISHED,
        ),
    ],
    5: [
        Derived("da_prev", lstm.CELL["da_prev"].lhs, sp.MatAdd(*(W_rows_a[g].T * lstm.dz[g] for g in lstm.GATES)), AS_PUBLISHED),
        Derived("dxt", lstm.CELL["dxt"].lhs, sp.MatAdd(*(W_rows_x[g].T * lstm.dz[g] for g in lstm.GATES)), AS_PUBLISHED),
    ],
    6: [
        Derived("da_next", lstm.da_next, lstm.OUTPUT["da_y"].rhs, AS_PUBLISHED),
        Derived("dc_next", lstm.dc_next, sp.ZeroMatrix(n_a, m), AS_PUBLISHED),
    ],
    7: [],  # a test's input, not a formula
    8: [],  # a gradient check's procedure, not a formula
    9: [Derived("a_next", lstm.a_next, _hadamard(lstm.ot, lstm.c_next), AS_PUBLISHED)],
    10: [Derived("da_next", rnn.da_next, rnn.Wya.T * rnn.dzy + rnn.Waa.T * da_after, AS_PUBLISHED)],
}

RIGHT = {
    1: ["rnn.cell.dz"],
    2: ["rnn.cell.da_prev", "rnn.cell.tanh_prime"],
    3: ["lstm.cell.dzc"],
    4: ["lstm.cell.dzi", "lstm.cell.dzf"],
    5: ["lstm.cell.da_prev", "lstm.cell.dxt"],
    6: ["lstm.bptt.da_next", "lstm.bptt.dc_next"],
    7: [],
    8: [],
    9: ["lstm.forward.a_next"],
    10: ["rnn.bptt.da_next"],
}
