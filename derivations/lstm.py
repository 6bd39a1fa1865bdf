"""Backpropagation through time for the LSTM, derived with SymPy.

The mirror of :mod:`rnnlstm.lstm`: a quantity has the same name in both (the course's code names:
the update gate Γ_u is ``it``, its weight ``Wi``). Forward, for one time step::

    concat = [a⟨t−1⟩; x⟨t⟩]
    Γ_f = σ(W_f concat + b_f)     Γ_u = σ(W_u concat + b_u)
    c̃⟨t⟩ = tanh(W_c concat + b_c)  Γ_o = σ(W_o concat + b_o)
    c⟨t⟩ = Γ_f ⊙ c⟨t−1⟩ + Γ_u ⊙ c̃⟨t⟩      a⟨t⟩ = Γ_o ⊙ tanh(c⟨t⟩)
    ŷ⟨t⟩ = softmax(W_y a⟨t⟩ + b_y)

SymPy's matrix calculus cannot differentiate through a block matrix (it recurses forever), so
the concatenation enters as the split of each weight into its columns,
W concat = W[:, :n_a] a⟨t−1⟩ + W[:, n_a:] x⟨t⟩: that is where da⟨t−1⟩ and dx⟨t⟩ come from.
"""

from __future__ import annotations

import operator
from functools import reduce

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .activations import sigmoid
from .calculus import Derived, in_terms_of_value, linear_vjps, local_derivative, vjp
from .evaluate import evaluate
from .notation import m, n_a, n_x, n_y, quantity
from .output import Softmax, cross_entropy, derive_output_layer, loss_latex, time_sum

# The four gates: code name of the gate, of its weight and bias, its letter in the course, activation
GATES = {
    "ft": ("Wf", "bf", "f", sigmoid),
    "it": ("Wi", "bi", "u", sigmoid),
    "cct": ("Wc", "bc", "c", sp.tanh),
    "ot": ("Wo", "bo", "o", sigmoid),
}
GATE_LATEX = {"ft": r"\Gamma_f", "it": r"\Gamma_u", "cct": r"\tilde{c}", "ot": r"\Gamma_o"}
GATE_TEXT = {"ft": "Γ_f", "it": "Γ_u", "cct": "c̃", "ot": "Γ_o"}  # in the rules, which are plain text
# The gradient of each gate's value, named by its symbol: the course's notebooks use dft, dit, dcct
# and dot for the gradients of the pre-activations (our dzf, dzi, dzc, dzo), so those names are not ours
DGATE = {"ft": "dGamma_f", "it": "dGamma_u", "cct": "dc_tilde", "ot": "dGamma_o"}

# Parameters, shared by every time step
W = {g: quantity(w, f"W_{l}", n_a, n_a + n_x) for g, (w, _, l, _) in GATES.items()}
b = {g: quantity(bias, f"b_{l}", n_a, 1) for g, (_, bias, l, _) in GATES.items()}
Wy = quantity("Wy", "W_y", n_y, n_a)
by = quantity("by", "b_y", n_y, 1)
PARAMETERS = {p.name: p for p in [*(q for g in GATES for q in (W[g], b[g])), Wy, by]}
# The column blocks of each gate weight: W[:, :n_a] multiplies a⟨t−1⟩, W[:, n_a:] multiplies x⟨t⟩
W_a = {g: quantity(f"{W[g].name}[:, :n_a]", f"W_{l}[{{:}}, {{:}}n_a]", n_a, n_a) for g, (_, _, l, _) in GATES.items()}
W_x = {g: quantity(f"{W[g].name}[:, n_a:]", f"W_{l}[{{:}}, n_a{{:}}]", n_a, n_x) for g, (_, _, l, _) in GATES.items()}

# One time step
xt = quantity("xt", "x", n_x, m, time="t")
a_prev = quantity("a_prev", "a", n_a, m, time="t-1")
c_prev = quantity("c_prev", "c", n_a, m, time="t-1")
concat = quantity("concat", r"\left[a^{\langle t-1 \rangle}; x^{\langle t \rangle}\right]", n_a + n_x, m)
z = {g: quantity(f"z{g[0]}", f"z_{GATES[g][2]}", n_a, m, time="t") for g in GATES}
gate = {g: quantity(g, GATE_LATEX[g], n_a, m, time="t") for g in GATES}
ft, it, cct, ot = (gate[g] for g in GATES)
c_next = quantity("c_next", "c", n_a, m, time="t")
a_next = quantity("a_next", "a", n_a, m, time="t")
zy = quantity("zy", "z_y", n_y, m, time="t")
yt_pred = quantity("yt_pred", r"\hat{y}", n_y, m, time="t")
yt = quantity("yt", "y", n_y, m, time="t")

ONES = sp.OneMatrix(1, m)


def _z(g, a, x):
    """z_g = W_g[:, :n_a] a + W_g[:, n_a:] x + b_g: the gate's pre-activation, weight split."""
    return W_a[g] * a + W_x[g] * x + b[g] * ONES


FORWARD = {
    d.name: d
    for d in [
        *(Derived(z[g].name, z[g], W[g] * concat + b[g] * ONES, "definition") for g in GATES),
        *(Derived(g, gate[g], z[g].applyfunc(GATES[g][3]), "definition") for g in GATES),
        Derived("c_next", c_next, sp.HadamardProduct(ft, c_prev) + sp.HadamardProduct(it, cct), "definition"),
        Derived("a_next", a_next, sp.HadamardProduct(ot, c_next.applyfunc(sp.tanh)), "definition"),
        Derived("zy", zy, Wy * a_next + by * ONES, "definition"),
        Derived("yt_pred", yt_pred, Softmax(zy), "definition"),
    ]
}
LOSS = loss_latex()

# Gradients, dX = ∂J/∂X, given what the cell receives: all of da⟨t⟩, and c⟨t⟩'s share from step t+1
# (the rest of dc⟨t⟩ comes through a⟨t⟩, inside the cell). dX_{←N} is the share of dX that comes from N.
da_next = quantity("da_next", "da", n_a, m, time="t")
dc_next = quantity("dc_next", r"dc_{\leftarrow t+1}", n_a, m, time="t")
dc = quantity("dc", "dc", n_a, m, time="t")
dgate = {g: quantity(DGATE[g], f"d{GATE_LATEX[g]}", n_a, m, time="t") for g in GATES}
dz = {g: quantity(f"dz{g[0]}", f"dz_{GATES[g][2]}", n_a, m, time="t") for g in GATES}
dzy = quantity("dzy", "dz_y", n_y, m, time="t")
sigma_prime = quantity("sigma_prime", r"\sigma'\left(z_f^{\langle t \rangle}\right)", n_a, m)
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
STEP = {k: quantity(f"lstm.{k}_t", tex, *w.shape, time="t") for k, (w, tex) in _GRADIENT.items()}
TOTAL = {k: quantity(f"lstm.{k}", tex, *w.shape) for k, (w, tex) in _GRADIENT.items()}


def _cell():
    a_def = FORWARD["a_next"].rhs
    c_def = FORWARD["c_next"].rhs
    yield Derived(
        "sigma_prime",
        sigma_prime,
        ElementwiseApplyFunction(local_derivative(sigmoid), ft),
        "dσ(s)/ds, written in terms of the gate value Γ = σ(s)",
    )
    yield Derived(
        "tanh_prime",
        tanh_prime,
        ElementwiseApplyFunction(local_derivative(sp.tanh), cct),
        "d tanh(s)/ds, written in terms of the value c̃ = tanh(s)",
    )
    yield Derived(DGATE["ot"], dgate["ot"], vjp(a_def, ot, da_next), "vjp of a⟨t⟩ = Γ_o ⊙ tanh(c⟨t⟩) w.r.t. Γ_o")
    yield Derived(
        "dc",
        dc,
        dc_next + vjp(a_def, c_next, da_next),
        "c⟨t⟩ is used by step t+1 (its share of dc⟨t⟩ comes in) and by a⟨t⟩ (vjp of Γ_o ⊙ tanh(c⟨t⟩))",
    )
    for g in ("cct", "it", "ft"):
        yield Derived(DGATE[g], dgate[g], vjp(c_def, gate[g], dc), f"vjp of c⟨t⟩ w.r.t. {GATE_TEXT[g]}")
    yield Derived("dc_prev", quantity("dc_prev", r"dc_{\leftarrow t}", n_a, m, time="t-1"), vjp(c_def, c_prev, dc),
                  "vjp of c⟨t⟩ w.r.t. c⟨t−1⟩: step t's share of dc⟨t−1⟩")  # fmt: skip
    for g, (_, _, letter, f) in GATES.items():
        gradient = vjp(z[g].applyfunc(f), z[g], dgate[g])
        yield Derived(
            dz[g].name,
            dz[g],
            in_terms_of_value(gradient, z[g], f, gate[g]),
            f"vjp of the elementwise {'σ' if f is sigmoid else 'tanh'}, with its derivative in terms of the gate value",
        )
    for g in GATES:
        yield from linear_vjps(
            FORWARD[z[g].name].rhs,
            dz[g],
            [(f"d{W[g].name}", W[g], STEP[f"d{W[g].name}"]), (f"d{b[g].name}", b[g], STEP[f"d{b[g].name}"])],
            f"z_{GATES[g][2]}⟨t⟩",
        )
    yield Derived(
        "dconcat",
        quantity("dconcat", r"d\,\mathrm{concat}", n_a + n_x, m, time="t"),
        sp.MatAdd(*(vjp(FORWARD[z[g].name].rhs, concat, dz[g]) for g in GATES)),
        "concat is used by all four gates: the sum of the four vjps",
    )
    for key, wrt, symbol in [
        ("da_prev", a_prev, quantity("da_prev", r"da_{\leftarrow t}", n_a, m, time="t-1")),
        ("dxt", xt, quantity("dxt", "dx", n_x, m, time="t")),
    ]:
        yield Derived(
            key,
            symbol,
            sp.MatAdd(*(vjp(_z(g, a_prev, xt), wrt, dz[g]) for g in GATES)),
            f"the sum of the four gates' vjps w.r.t. {wrt.name}, each gate's W split into the columns that "
            f"multiply a⟨t−1⟩ and x⟨t⟩: the rows of dconcat that belong to {wrt.name}"
            + (" (step t's share of da⟨t−1⟩)" if key == "da_prev" else ""),
        )


CELL = {d.name: d for d in _cell()}


def composed(key):
    """A cell result with every intermediate gradient substituted, down to da⟨t⟩ and dc⟨t⟩:
    the chain rule written out in one expression, as references usually print it."""
    inner = {CELL[k].lhs: CELL[k].rhs for k in ("dc", *DGATE.values())}
    rhs = CELL[key].rhs
    while rhs.has(*inner):
        rhs = rhs.xreplace(inner)
    return Derived(key, CELL[key].lhs, rhs, CELL[key].rule + ", composed down to da⟨t⟩ and dc⟨t⟩")


OUTPUT = {
    d.name: d
    for d in derive_output_layer(
        FORWARD["zy"].rhs, Wy, by, a_next, yt_pred, yt, dzy, STEP["dWy"], STEP["dby"]
    )
}

# Through time: a⟨t⟩ feeds ŷ⟨t⟩ and the four gates of step t+1; c⟨t⟩ feeds c⟨t+1⟩ and a⟨t⟩.
x_next = quantity("x_next", "x", n_x, m, time="t+1")
dz_next = {g: quantity(f"dz{g[0]}_next", f"dz_{GATES[g][2]}", n_a, m, time="t+1") for g in GATES}
ft_next = quantity("ft_next", r"\Gamma_f", n_a, m, time="t+1")
dc_after = quantity("dc_after", "dc", n_a, m, time="t+1")
dz_1 = {g: quantity(f"dz{g[0]}_1", f"dz_{GATES[g][2]}", n_a, m, time="1") for g in GATES}


def _bptt():
    c_after = sp.HadamardProduct(ft_next, c_next) + sp.HadamardProduct(
        quantity("it_next", r"\Gamma_u", n_a, m, time="t+1"), quantity("cct_next", r"\tilde{c}", n_a, m, time="t+1")
    )
    yield Derived(
        "da_next",
        da_next,
        vjp(FORWARD["zy"].rhs, a_next, dzy) + sp.MatAdd(*(vjp(_z(g, a_next, x_next), a_next, dz_next[g]) for g in GATES)),
        "chain rule over every use of a⟨t⟩: z_y⟨t⟩ and the four gates of step t+1; nothing after T_x",
    )
    yield Derived(
        "dc_next",
        dc_next,
        vjp(c_after, c_next, dc_after),
        "c⟨t⟩ is used by c⟨t+1⟩ = Γ_f⟨t+1⟩ ⊙ c⟨t⟩ + ...: step t+1's dc_prev, its share of dc⟨t⟩; 0 after T_x",
    )
    for key in TOTAL:
        step = CELL if key in CELL else OUTPUT
        yield Derived(key, TOTAL[key], time_sum(step[key].rhs), "sum over the steps that use it")
    yield Derived("dx", CELL["dxt"].lhs, CELL["dxt"].rhs, "x⟨t⟩ is used by step t only")
    yield Derived(
        "da0",
        quantity("lstm.da0", "da", n_a, m, time="0"),
        CELL["da_prev"].rhs.xreplace(dict(zip(dz.values(), dz_1.values()))),
        "a⟨0⟩ is used by step 1 only",
    )


BPTT = {d.name: d for d in _bptt()}


# For the checks: what each cell result differentiates, and the carried states with their gradients
WRT = {
    DGATE["ot"]: ot, "dc": c_next, DGATE["cct"]: cct, DGATE["it"]: it, DGATE["ft"]: ft, "dc_prev": c_prev,
    **{dz[g].name: z[g] for g in GATES}, **{f"d{W[g].name}": W[g] for g in GATES},
    **{f"d{b[g].name}": b[g] for g in GATES}, "dconcat": concat, "da_prev": a_prev, "dxt": xt,
}  # fmt: skip
LOCAL = {"sigma_prime": (sigmoid, z["ft"], ft), "tanh_prime": (sp.tanh, z["cct"], cct)}
CARRIED = {a_next: da_next, c_next: dc_next}
OUTPUT_WRT = {"dzy": zy, "dWy": Wy, "dby": by, "da_y": a_next}


def cell_forward(values):
    """Complete ``values`` (parameters, x⟨t⟩, a⟨t−1⟩, c⟨t−1⟩) with concat, the gates, c⟨t⟩, a⟨t⟩,
    z_y⟨t⟩ and ŷ⟨t⟩, keeping any value already given (the brute-force checks replace one)."""
    if concat not in values:
        stack = sp.Matrix.vstack if isinstance(values[a_prev], sp.MatrixBase) else lambda *m: np.vstack(m)
        values[concat] = stack(values[a_prev], values[xt])
    for d in FORWARD.values():
        if d.lhs not in values:
            values[d.lhs] = evaluate(d.rhs, values)
    return values


def parameter_values(parameters):
    """Symbol → matrix for a parameter dict keyed by the code's names, with the column blocks
    W[:, :n_a] and W[:, n_a:] of each gate weight."""
    values = {PARAMETERS[k]: v for k, v in parameters.items()}
    n = parameters[W["ft"].name].shape[0]  # n_a
    for g in GATES:
        values[W_a[g]], values[W_x[g]] = parameters[W[g].name][:, :n], parameters[W[g].name][:, n:]
    return values


def forward(x, a0, parameters, c0=None):
    """Run the forward definitions on explicit matrices, c⟨0⟩ = 0 unless given: each step's values.

    Numpy arrays evaluate in floating point, SymPy matrices exactly.
    """
    values = parameter_values(parameters)
    a, c = a0, a0 * 0 if c0 is None else c0
    steps = []
    for x_t in x:
        steps.append(cell_forward({**values, xt: x_t, a_prev: a, c_prev: c}))
        a, c = steps[-1][a_next], steps[-1][c_next]
    return steps


def loss(x, y, a0, parameters, c0=None):
    """J of the forward definitions."""
    return sum(cross_entropy(step[yt_pred], y_t) for step, y_t in zip(forward(x, a0, parameters, c0), y))


def loss_gradients(x, y, a0, parameters):
    """Every gradient of :func:`loss`, by evaluating the derived equations backwards in time.

    Returns a dict with the keys of :data:`TOTAL`, lists of T_x matrices for ``dx``, ``da_next``
    and ``dc_next`` (the gradients arriving at each a⟨t⟩ and c⟨t⟩), ``da0``, and ``steps``: for
    each step, the value of every forward and backward quantity (``CELL``, ``OUTPUT``,
    ``da_next``, ``dc_next``) by symbol.
    """
    steps = forward(x, a0, parameters)
    zero = a0 * 0
    after = {**{dz_next[g]: zero for g in GATES}, ft_next: zero, dc_after: zero}  # nothing after T_x
    for t in reversed(range(len(x))):
        step = steps[t]
        step[yt] = y[t]
        step[dzy] = evaluate(OUTPUT["dzy"].rhs, step)
        step[da_next] = evaluate(BPTT["da_next"].rhs, {**step, **after})
        step[dc_next] = evaluate(BPTT["dc_next"].rhs, {**step, **after})
        for d in [*CELL.values(), *OUTPUT.values()]:
            step[d.lhs] = evaluate(d.rhs, step)
        after = {**{dz_next[g]: step[dz[g]] for g in GATES}, ft_next: step[ft], dc_after: step[dc]}
    return {
        **{k: reduce(operator.add, (s[STEP[k]] for s in steps)) for k in TOTAL},
        "dx": [s[CELL["dxt"].lhs] for s in steps],
        "da_next": [s[da_next] for s in steps],
        "dc_next": [s[dc_next] for s in steps],
        "da0": evaluate(BPTT["da0"].rhs, {**steps[0], **{dz_1[g]: after[dz_next[g]] for g in GATES}}),
        "steps": steps,
    }
