"""Backpropagation through time for the GRU, derived with SymPy.

The mirror of :mod:`rnnlstm.gru`: a quantity has the same name in both. The course's full GRU has
one state, the memory cell c⟨t⟩, which is also the hidden state, a⟨t⟩ = c⟨t⟩. Forward, for one
time step, in the order it is computed::

    Γ_u = σ(W_u [c⟨t−1⟩; x⟨t⟩] + b_u)     Γ_r = σ(W_r [c⟨t−1⟩; x⟨t⟩] + b_r)
    c̃⟨t⟩ = tanh(W_c [Γ_r ⊙ c⟨t−1⟩; x⟨t⟩] + b_c)
    c⟨t⟩ = Γ_u ⊙ c̃⟨t⟩ + (1 − Γ_u) ⊙ c⟨t−1⟩      a⟨t⟩ = c⟨t⟩
    ŷ⟨t⟩ = softmax(W_y a⟨t⟩ + b_y)

The equations are written in c, as the course writes the GRU; the code keeps the names the RNN and
the LSTM give the state (``a_prev``, ``da_next``, ``da_prev``, ``da0``), which here are c⟨t−1⟩,
dc⟨t⟩, dc_{←t}⟨t−1⟩ and dc⟨0⟩.

As in :mod:`derivations.lstm`, each concatenation enters as the split of its weight into column
blocks, W [s; x⟨t⟩] = W[:, :n_a] s + W[:, n_a:] x⟨t⟩. SymPy's matrix calculus cannot differentiate
(1 − Γ_u) ⊙ c⟨t−1⟩ either (neither with an all-ones matrix nor with 1 − v elementwise), so the update
is differentiated distributed, Γ_u ⊙ c̃ + c⟨t−1⟩ − Γ_u ⊙ c⟨t−1⟩, and each result gathered back over
its upstream gradient (:func:`_update_vjp`).

The frameworks' GRU (:mod:`derivations.torch_gru`) differs in its candidate alone: the results are
built by :func:`cell_results` and :func:`bptt_results` for a :class:`Candidate`, and evaluated by
:func:`forward`, :func:`loss` and :func:`loss_gradients` for a ``chapter``, for both.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .activations import sigmoid
from .calculus import DerivationError, Derived, in_terms_of_value, linear_vjps, local_derivative, vjp
from .evaluate import evaluate
from .notation import m, n_a, n_x, n_y, quantity
from .output import Softmax, cross_entropy, derive_output_layer, loss_latex, time_sum

# In the order the backward pass meets them: the candidate (code name, weight, bias, letter,
# activation), then the update and reset gates, which the course writes after it
GATES = {
    "cct": ("Wc", "bc", "c", sp.tanh),
    "ut": ("Wu", "bu", "u", sigmoid),
    "rt": ("Wr", "br", "r", sigmoid),
}
GATE_LATEX = {"cct": r"\tilde{c}", "ut": r"\Gamma_u", "rt": r"\Gamma_r"}
GATE_TEXT = {"cct": "c̃", "ut": "Γ_u", "rt": "Γ_r"}  # in the rules, which are plain text
DGATE = {"cct": "dc_tilde", "ut": "dGamma_u", "rt": "dGamma_r"}  # the gradient of each gate's value

# Parameters, shared by every time step; the dict in the order of the forward pass
W = {g: quantity(w, f"W_{l}", n_a, n_a + n_x) for g, (w, _, l, _) in GATES.items()}
b = {g: quantity(bias, f"b_{l}", n_a, 1) for g, (_, bias, l, _) in GATES.items()}
Wy = quantity("Wy", "W_y", n_y, n_a)
by = quantity("by", "b_y", n_y, 1)
PARAMETERS = {p.name: p for p in [*(q for g in ("ut", "rt", "cct") for q in (W[g], b[g])), Wy, by]}
# The column blocks of each weight: W[:, :n_a] multiplies c⟨t−1⟩ (through Γ_r for the candidate)
W_a = {g: quantity(f"{W[g].name}[:, :n_a]", f"W_{l}[{{:}}, {{:}}n_a]", n_a, n_a) for g, (_, _, l, _) in GATES.items()}
W_x = {g: quantity(f"{W[g].name}[:, n_a:]", f"W_{l}[{{:}}, n_a{{:}}]", n_a, n_x) for g, (_, _, l, _) in GATES.items()}

# One time step
xt = quantity("xt", "x", n_x, m, time="t")
c_prev = quantity("c_prev", "c", n_a, m, time="t-1")
concat = quantity("gru.concat", r"\left[c^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]", n_a + n_x, m)
_RESET = r"\Gamma_r^{\langle t \rangle} \odot c^{\langle t-1 \rangle}"
concat_r = quantity("gru.concat_r", rf"\left[{_RESET}; x^{{\langle t \rangle}}\right]", n_a + n_x, m)
z = {g: quantity(f"z{GATES[g][2]}", f"z_{GATES[g][2]}", n_a, m, time="t") for g in GATES}
gate = {g: quantity(g, GATE_LATEX[g], n_a, m, time="t") for g in GATES}
cct, ut, rt = (gate[g] for g in GATES)
c_next = quantity("c_next", "c", n_a, m, time="t")
a_next = quantity("a_next", "a", n_a, m, time="t")
zy = quantity("zy", "z_y", n_y, m, time="t")
yt_pred = quantity("yt_pred", r"\hat{y}", n_y, m, time="t")
yt = quantity("yt", "y", n_y, m, time="t")

ONES = sp.OneMatrix(1, m)
_v = sp.Dummy("v")
ONE_MINUS = sp.Lambda(_v, 1 - _v)


def _one_minus(u):
    """1 − Γ_u, elementwise."""
    return ElementwiseApplyFunction(ONE_MINUS, u)


def _update(u, candidate, previous):
    """Γ_u ⊙ c̃ + (1 − Γ_u) ⊙ c_prev, the terms in the course's order."""
    return sp.MatAdd(sp.HadamardProduct(u, candidate), sp.HadamardProduct(_one_minus(u), previous), evaluate=False)


@dataclass(frozen=True)
class Candidate:
    """How a GRU computes its candidate's pre-activation z_c⟨t⟩ from its state, x⟨t⟩ and Γ_r: all
    that tells the course's GRU from the frameworks' (:mod:`derivations.torch_gru`)."""

    z: Callable[[sp.MatrixExpr, sp.MatrixExpr, sp.MatrixExpr], sp.MatrixExpr]
    """``z(state, x, reset)``, the weight split into its column blocks."""
    uses: str
    """How z_c uses c⟨t−1⟩, in the rules."""


COURSE = Candidate(
    lambda state, x, reset: W_a["cct"] * sp.HadamardProduct(reset, state) + W_x["cct"] * x + b["cct"] * ONES,
    "in Γ_r ⊙ c⟨t−1⟩ of z_c",
)


def gate_z(g, state, x, reset, candidate=COURSE):
    """z_g with its weight split: W_g[:, :n_a] s + W_g[:, n_a:] x + b_g, where s is the state;
    the candidate's as ``candidate`` computes it (the course's: the state after the reset gate,
    Γ_r ⊙ c)."""
    if g == "cct":
        return candidate.z(state, x, reset)
    return W_a[g] * state + W_x[g] * x + b[g] * ONES


FORWARD = {
    d.name: d
    for d in [
        *(
            d
            for g in ("ut", "rt")
            for d in (
                Derived(z[g].name, z[g], W[g] * concat + b[g] * ONES, "definition"),
                Derived(g, gate[g], z[g].applyfunc(sigmoid), "definition"),
            )
        ),
        Derived(z["cct"].name, z["cct"], W["cct"] * concat_r + b["cct"] * ONES, "definition"),
        Derived("cct", cct, z["cct"].applyfunc(sp.tanh), "definition"),
        Derived("c_next", c_next, _update(ut, cct, c_prev), "definition"),
        Derived("a_next", a_next, c_next, "definition"),
        Derived("zy", zy, Wy * a_next + by * ONES, "definition"),
        Derived("yt_pred", yt_pred, Softmax(zy), "definition"),
    ]
}
LOSS = loss_latex()
# The stacked inputs of the linear maps, as their top and bottom blocks (cell_forward builds them)
STACKS = {concat: (c_prev, xt), concat_r: (sp.HadamardProduct(rt, c_prev), xt)}

# Gradients, dX = ∂J/∂X, given what the cell receives: all of dc⟨t⟩ (a⟨t⟩ = c⟨t⟩, so it is the
# code's da_next). dX_{←N} is the share of dX that comes from N.
dc = quantity("dc", "dc", n_a, m, time="t")
dgate = {g: quantity(DGATE[g], f"d{GATE_LATEX[g]}", n_a, m, time="t") for g in GATES}
# The pre-activations' gradients have names of their own: the LSTM's dzc, shared, would take its
# place in the GRU's order of the gates (c, u, r) or give the GRU's to the LSTM (f, u, c, o)
dz = {g: quantity(f"gru.dz{GATES[g][2]}", f"dz_{GATES[g][2]}", n_a, m, time="t") for g in GATES}
dzy = quantity("dzy", "dz_y", n_y, m, time="t")
sigma_prime = quantity("sigma_prime_u", r"\sigma'\left(z_u^{\langle t \rangle}\right)", n_a, m)
tanh_prime = quantity("tanh_prime_c", r"\tanh'\left(z_c^{\langle t \rangle}\right)", n_a, m)
_GRADIENT = {  # each gate's weight, then its bias: the order of the pages
    **{
        key: value
        for g in GATES
        for key, value in ((f"d{W[g].name}", (W[g], f"dW_{GATES[g][2]}")), (f"d{b[g].name}", (b[g], f"db_{GATES[g][2]}")))
    },
    "dWy": (Wy, "dW_y"),
    "dby": (by, "db_y"),
}
STEP = {k: quantity(f"gru.{k}_t", tex, *w.shape, time="t") for k, (w, tex) in _GRADIENT.items()}
TOTAL = {k: quantity(f"gru.{k}", tex, *w.shape) for k, (w, tex) in _GRADIENT.items()}


def _update_vjp(u, candidate, previous, wrt, upstream):
    """The vjp of the update Γ_u ⊙ c̃ + (1 − Γ_u) ⊙ c_prev w.r.t. ``wrt``, differentiated in its
    distributed form and gathered over ``upstream``: dc ⊙ (c̃ − c_prev), dc ⊙ (1 − Γ_u), dc ⊙ Γ_u."""
    distributed = sp.HadamardProduct(u, candidate) + previous - sp.HadamardProduct(u, previous)
    gradient = vjp(distributed, wrt, upstream)
    gathered = _gathered(gradient, upstream)
    values = {s: np.random.default_rng(0).normal(size=(3, 2)) for s in gradient.atoms(sp.MatrixSymbol)}
    if not np.allclose(evaluate(gathered, values), evaluate(gradient, values), rtol=1e-14, atol=0):
        raise DerivationError(f"{gathered} is not {gradient}")
    return gathered


def _gathered(gradient, upstream):
    """A sum of ⊙ products that each hold ``upstream`` once, written as ``upstream`` ⊙ (the sum of
    the rest), a lone ``upstream`` minus ``upstream`` ⊙ Γ as ``upstream`` ⊙ (1 − Γ)."""
    if not isinstance(gradient, sp.MatAdd):
        return gradient
    rest = []  # (sign, the factors other than upstream) for each term
    for term in gradient.args:
        sign, factors = 1, []
        for f in term.args if isinstance(term, sp.HadamardProduct) else (term,):
            coeff, matrices = f.as_coeff_matrices() if isinstance(f, sp.MatMul) else (1, [f])
            sign, factors = sign * coeff, [*factors, matrices[0] if len(matrices) == 1 else sp.MatMul(*matrices)]
        if upstream not in factors:
            raise DerivationError(f"the term {term} of {gradient} does not hold {upstream}")
        factors.remove(upstream)
        rest.append((sign, factors))
    lone = [sign for sign, factors in rest if not factors]  # terms that are upstream alone
    others = [(sign, factors) for sign, factors in rest if factors]
    if not lone:
        return sp.HadamardProduct(upstream, sp.MatAdd(*(sign * sp.HadamardProduct(*f) for sign, f in others)))
    if lone == [1] and len(others) == 1 and others[0][0] == -1 and len(others[0][1]) == 1:
        return sp.HadamardProduct(upstream, _one_minus(others[0][1][0]))
    raise DerivationError(f"no rule gathers {gradient} over {upstream}")


def cell_results(candidate, reset_gradient, candidate_gradients):
    """The results of one cell, in the book's order, for a GRU whose candidate is ``candidate``:
    ``reset_gradient`` (dΓ_r) and ``candidate_gradients`` (those of the candidate's parameters)
    are where the variants differ beyond z_c itself."""
    yield Derived(
        "sigma_prime",
        sigma_prime,
        ElementwiseApplyFunction(local_derivative(sigmoid), ut),
        "dσ(s)/ds, written in terms of the gate value Γ_u = σ(s)",
    )
    yield Derived(
        "tanh_prime",
        tanh_prime,
        ElementwiseApplyFunction(local_derivative(sp.tanh), cct),
        "d tanh(s)/ds, written in terms of the value c̃ = tanh(s)",
    )
    for g in ("cct", "ut"):
        yield Derived(DGATE[g], dgate[g], _update_vjp(ut, cct, c_prev, gate[g], dc),
                      f"vjp of c⟨t⟩ = Γ_u ⊙ c̃ + (1 − Γ_u) ⊙ c⟨t−1⟩ w.r.t. {GATE_TEXT[g]}")  # fmt: skip

    def dz_of(g):
        f = GATES[g][3]
        gradient = vjp(z[g].applyfunc(f), z[g], dgate[g])
        return Derived(
            f"dz{GATES[g][2]}",
            dz[g],
            in_terms_of_value(gradient, z[g], f, gate[g]),
            f"vjp of the elementwise {'σ' if f is sigmoid else 'tanh'}, with its derivative in terms of the gate value",
        )

    yield dz_of("cct")
    yield reset_gradient
    yield dz_of("ut")
    yield dz_of("rt")
    yield from candidate_gradients
    for g, inputs in (("ut", "[c⟨t−1⟩; x⟨t⟩]"), ("rt", "[c⟨t−1⟩; x⟨t⟩]")):
        yield from linear_vjps(
            FORWARD[z[g].name].rhs,
            dz[g],
            [(f"d{W[g].name}", W[g], STEP[f"d{W[g].name}"]), (f"d{b[g].name}", b[g], STEP[f"d{b[g].name}"])],
            f"z_{GATES[g][2]}⟨t⟩ of {inputs}",
        )
    yield Derived(
        "da_prev",
        quantity("dc_prev", r"dc_{\leftarrow t}", n_a, m, time="t-1"),
        sp.MatAdd(
            _update_vjp(ut, cct, c_prev, c_prev, dc),
            *(vjp(gate_z(g, c_prev, xt, rt, candidate), c_prev, dz[g]) for g in GATES),
        ),
        f"c⟨t−1⟩ is used four times: in (1 − Γ_u) ⊙ c⟨t−1⟩ of c⟨t⟩, {candidate.uses}, in z_u and in z_r; "
        "the sum of the four vjps, each gate's W split into the columns that multiply c⟨t−1⟩ and x⟨t⟩: "
        "step t's share of dc⟨t−1⟩ (the code's da_prev)",
    )
    yield Derived(
        "dxt",
        quantity("dxt", "dx", n_x, m, time="t"),
        sp.MatAdd(*(vjp(gate_z(g, c_prev, xt, rt, candidate), xt, dz[g]) for g in GATES)),
        "x⟨t⟩ is used by z_c, z_u and z_r: the sum of the three vjps, each W split into its columns",
    )


CELL = {
    d.name: d
    for d in cell_results(
        COURSE,
        Derived(
            DGATE["rt"],
            dgate["rt"],
            vjp(gate_z("cct", c_prev, xt, rt), rt, dz["cct"]),
            "vjp of z_c⟨t⟩ = W_c[:, :n_a] (Γ_r ⊙ c⟨t−1⟩) + W_c[:, n_a:] x⟨t⟩ + b_c w.r.t. Γ_r: the reset gate "
            "acts on c⟨t−1⟩ inside the candidate's input",
        ),
        linear_vjps(
            FORWARD[z["cct"].name].rhs,
            dz["cct"],
            [(f"d{W['cct'].name}", W["cct"], STEP[f"d{W['cct'].name}"]), (f"d{b['cct'].name}", b["cct"], STEP[f"d{b['cct'].name}"])],
            "z_c⟨t⟩ of [Γ_r ⊙ c⟨t−1⟩; x⟨t⟩]",
        ),
    )
}

OUTPUT = {
    d.name: d
    for d in derive_output_layer(
        FORWARD["zy"].rhs, Wy, by, a_next, yt_pred, yt, dzy, STEP["dWy"], STEP["dby"]
    )
}

# Through time: c⟨t⟩ = a⟨t⟩ feeds ŷ⟨t⟩, and step t+1 uses it four times, as step t uses c⟨t−1⟩.
x_next = quantity("x_next", "x", n_x, m, time="t+1")
dc_after = quantity("dc_after", "dc", n_a, m, time="t+1")
dz_next = {g: quantity(f"gru.dz{GATES[g][2]}_next", f"dz_{GATES[g][2]}", n_a, m, time="t+1") for g in GATES}
ut_next = quantity("ut_next", r"\Gamma_u", n_a, m, time="t+1")
rt_next = quantity("rt_next", r"\Gamma_r", n_a, m, time="t+1")
cct_next = quantity("cct_next", r"\tilde{c}", n_a, m, time="t+1")
dc_1 = quantity("gru.dc_1", "dc", n_a, m, time="1")
dz_1 = {g: quantity(f"gru.dz{GATES[g][2]}_1", f"dz_{GATES[g][2]}", n_a, m, time="1") for g in GATES}
ut_1 = quantity("gru.ut_1", r"\Gamma_u", n_a, m, time="1")
rt_1 = quantity("gru.rt_1", r"\Gamma_r", n_a, m, time="1")


def bptt_results(cell, totals, candidate=COURSE):
    """The results through time of a GRU whose candidate is ``candidate``, from its ``cell``
    results (by name) and the symbols of its ``totals`` over the steps (by key)."""
    da_y = vjp(FORWARD["zy"].rhs, a_next, dzy)  # the prediction's share of da⟨t⟩, all of it
    yield Derived(
        "da_next",
        dc,
        sp.MatAdd(
            vjp(FORWARD["a_next"].rhs, c_next, da_y),
            _update_vjp(ut_next, cct_next, c_next, c_next, dc_after),
            *(vjp(gate_z(g, c_next, x_next, rt_next, candidate), c_next, dz_next[g]) for g in GATES),
        ),
        "chain rule over every use of c⟨t⟩: a⟨t⟩ = c⟨t⟩ in z_y⟨t⟩, and step t+1's four uses (c⟨t+1⟩, "
        "z_c, z_u, z_r): the code's da_next; nothing after T_x",
    )
    for key, total in totals.items():
        yield Derived(key, total, time_sum((cell | OUTPUT)[key].rhs), "sum over the steps that use it")
    yield Derived("dx", cell["dxt"].lhs, cell["dxt"].rhs, "x⟨t⟩ is used by step t only")
    yield Derived(
        "da0",
        quantity("gru.dc0", "dc", n_a, m, time="0"),
        cell["da_prev"].rhs.xreplace({dc: dc_1, ut: ut_1, rt: rt_1, **{dz[g]: dz_1[g] for g in GATES}}),
        "c⟨0⟩ = a⟨0⟩ is used by step 1 only",
    )


BPTT = {d.name: d for d in bptt_results(CELL, TOTAL)}


# For the checks: what each cell result differentiates, and the carried state with its gradient
WRT = {
    DGATE["cct"]: cct, DGATE["ut"]: ut, "dzc": z["cct"], DGATE["rt"]: rt, "dzu": z["ut"], "dzr": z["rt"],
    **{f"d{W[g].name}": W[g] for g in GATES}, **{f"d{b[g].name}": b[g] for g in GATES}, "da_prev": c_prev, "dxt": xt,
}  # fmt: skip
LOCAL = {"sigma_prime": (sigmoid, z["ut"], ut), "tanh_prime": (sp.tanh, z["cct"], cct)}
CARRIED = {c_next: dc}
OUTPUT_WRT = {"dzy": zy, "dWy": Wy, "dby": by, "da_y": a_next}


def cell_forward(values, chapter=None):
    """Complete ``values`` (parameters, x⟨t⟩, c⟨t−1⟩) with the stacked inputs, the gates, c⟨t⟩,
    a⟨t⟩, z_y⟨t⟩ and ŷ⟨t⟩, keeping any value already given (the brute-force checks replace one);
    the column blocks of each weight are always its columns, also of a weight that replaced one.
    ``chapter`` is the module of the variant (this one by default)."""
    ch = chapter or sys.modules[__name__]
    n = values[c_prev].shape[0]  # n_a
    for g in GATES:
        if W[g] in values:
            values[W_a[g]], values[W_x[g]] = values[W[g]][:, :n], values[W[g]][:, n:]
    stack = sp.Matrix.vstack if isinstance(values[c_prev], sp.MatrixBase) else lambda *m: np.vstack(m)
    for d in ch.FORWARD.values():
        for s, (top, bottom) in ch.STACKS.items():
            if s not in values and d.rhs.has(s):
                values[s] = stack(evaluate(top, values), values[bottom])
        if d.lhs not in values:
            values[d.lhs] = evaluate(d.rhs, values)
    return values


def parameter_values(parameters, chapter=None):
    """Symbol → matrix for a parameter dict keyed by the code's names, with the column blocks
    W[:, :n_a] and W[:, n_a:] of each weight."""
    values = {(chapter or sys.modules[__name__]).PARAMETERS[k]: v for k, v in parameters.items()}
    n = parameters[W["ut"].name].shape[0]  # n_a
    for g in GATES:
        values[W_a[g]], values[W_x[g]] = parameters[W[g].name][:, :n], parameters[W[g].name][:, n:]
    return values


def forward(x, a0, parameters, chapter=None):
    """Run the forward definitions on explicit matrices from c⟨0⟩ = a⟨0⟩: each step's values.

    Numpy arrays evaluate in floating point, SymPy matrices exactly.
    """
    values = parameter_values(parameters, chapter)
    c, steps = a0, []
    for x_t in x:
        steps.append(cell_forward({**values, xt: x_t, c_prev: c}, chapter))
        c = steps[-1][c_next]
    return steps


def loss(x, y, a0, parameters, chapter=None):
    """J of the forward definitions."""
    return sum(cross_entropy(step[yt_pred], y_t) for step, y_t in zip(forward(x, a0, parameters, chapter), y))


def loss_gradients(x, y, a0, parameters, chapter=None):
    """Every gradient of :func:`loss`, by evaluating the derived equations backwards in time.

    Returns a dict with the keys of :data:`TOTAL`, lists of T_x matrices for ``dx`` and
    ``da_next`` (all of dc⟨t⟩ at each step), ``da0`` (dc⟨0⟩), and ``steps``: for each step, the
    value of every forward and backward quantity (``CELL``, ``OUTPUT``, dc⟨t⟩) by symbol.
    """
    ch = chapter or sys.modules[__name__]
    steps = forward(x, a0, parameters, chapter)
    zero = a0 * 0
    after = {**{dz_next[g]: zero for g in GATES}, ut_next: zero, rt_next: zero, dc_after: zero}  # nothing after T_x
    for t in reversed(range(len(x))):
        step = steps[t]
        step[yt] = y[t]
        step[dzy] = evaluate(ch.OUTPUT["dzy"].rhs, step)
        step[dc] = evaluate(ch.BPTT["da_next"].rhs, {**step, **after})
        for d in [*ch.CELL.values(), *ch.OUTPUT.values()]:
            step[d.lhs] = evaluate(d.rhs, step)
        after = {**{dz_next[g]: step[dz[g]] for g in GATES}, ut_next: step[ut], rt_next: step[rt], dc_after: step[dc]}
    first = {dc_1: steps[0][dc], ut_1: steps[0][ut], rt_1: steps[0][rt], **{dz_1[g]: steps[0][dz[g]] for g in GATES}}
    return {
        **{k: reduce(operator.add, (s[ch.STEP[k]] for s in steps)) for k in ch.TOTAL},
        "dx": [s[ch.CELL["dxt"].lhs] for s in steps],
        "da_next": [s[dc] for s in steps],
        "da0": evaluate(ch.BPTT["da0"].rhs, {**steps[0], **first}),
        "steps": steps,
    }
