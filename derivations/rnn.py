"""Backpropagation through time for the vanilla RNN, derived with SymPy.

The mirror of :mod:`rnnlstm.rnn`: a quantity has the same name in both. Forward, for one time
step with the m examples as columns::

    z⟨t⟩ = W_aa a⟨t−1⟩ + W_ax x⟨t⟩ + b_a      a⟨t⟩ = tanh(z⟨t⟩)
    z_y⟨t⟩ = W_ya a⟨t⟩ + b_y                  ŷ⟨t⟩ = softmax(z_y⟨t⟩)

Every gradient below is one vector–Jacobian product of one node (:func:`calculus.vjp`) with the
upstream gradient as a symbol; substituting the upstream result composes the chain rule.
"""

from __future__ import annotations

import operator
from functools import reduce

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .calculus import Derived, in_terms_of_value, linear_vjps, local_derivative, vjp
from .evaluate import evaluate
from .notation import m, n_a, n_x, n_y, quantity
from .output import Softmax, cross_entropy, derive_output_layer, loss_latex, time_sum

# Parameters, shared by every time step
Wax = quantity("Wax", "W_{ax}", n_a, n_x)
Waa = quantity("Waa", "W_{aa}", n_a, n_a)
Wya = quantity("Wya", "W_{ya}", n_y, n_a)
ba = quantity("ba", "b_a", n_a, 1)
by = quantity("by", "b_y", n_y, 1)
PARAMETERS = {p.name: p for p in (Wax, Waa, Wya, ba, by)}

# One time step
xt = quantity("xt", "x", n_x, m, time="t")
a_prev = quantity("a_prev", "a", n_a, m, time="t-1")
z = quantity("z", "z", n_a, m, time="t")
a_next = quantity("a_next", "a", n_a, m, time="t")
zy = quantity("zy", "z_y", n_y, m, time="t")
yt_pred = quantity("yt_pred", r"\hat{y}", n_y, m, time="t")
yt = quantity("yt", "y", n_y, m, time="t")

FORWARD = {
    d.name: d
    for d in [
        Derived("z", z, Waa * a_prev + Wax * xt + ba * sp.OneMatrix(1, m), "definition"),
        Derived("a_next", a_next, z.applyfunc(sp.tanh), "definition"),
        Derived("zy", zy, Wya * a_next + by * sp.OneMatrix(1, m), "definition"),
        Derived("yt_pred", yt_pred, Softmax(zy), "definition"),
    ]
}
LOSS = loss_latex()

# Gradients, dX = ∂J/∂X. A parameter's gradient from one step carries ⟨t⟩; its total does not.
da_next = quantity("da_next", "da", n_a, m, time="t")
dz = quantity("dz", "dz", n_a, m, time="t")
dzy = quantity("dzy", "dz_y", n_y, m, time="t")
tanh_prime = quantity("tanh_prime", r"\tanh'\left(z^{\langle t \rangle}\right)", n_a, m)
_GRADIENT = {"dWax": (Wax, "dW_{ax}"), "dWaa": (Waa, "dW_{aa}"), "dba": (ba, "db_a"),
             "dWya": (Wya, "dW_{ya}"), "dby": (by, "db_y")}  # fmt: skip
STEP = {k: quantity(f"{k}_t", tex, *w.shape, time="t") for k, (w, tex) in _GRADIENT.items()}
TOTAL = {k: quantity(k, tex, *w.shape) for k, (w, tex) in _GRADIENT.items()}


def _cell():
    yield Derived(
        "tanh_prime",
        tanh_prime,
        ElementwiseApplyFunction(local_derivative(sp.tanh), a_next),
        "d tanh(s)/ds, written in terms of the value a = tanh(s)",
    )
    yield Derived(
        "dz",
        dz,
        in_terms_of_value(vjp(FORWARD["a_next"].rhs, z, da_next), z, sp.tanh, a_next),
        "vjp of the elementwise tanh, with tanh' written in terms of a⟨t⟩",
    )
    yield from linear_vjps(
        FORWARD["z"].rhs,
        dz,
        [
            ("dWax", Wax, STEP["dWax"]),
            ("dWaa", Waa, STEP["dWaa"]),
            ("dba", ba, STEP["dba"]),
            ("dxt", xt, quantity("dxt", "dx", n_x, m, time="t")),
            ("da_prev", a_prev, quantity("da_prev", r"da_{\leftarrow t}", n_a, m, time="t-1")),
        ],
        "z⟨t⟩",
    )


CELL = {d.name: d for d in _cell()}


OUTPUT = {
    d.name: d
    for d in derive_output_layer(
        FORWARD["zy"].rhs, Wya, by, a_next, yt_pred, yt, dzy, STEP["dWya"], STEP["dby"]
    )
}

# Through time: a⟨t⟩ feeds ŷ⟨t⟩ and z⟨t+1⟩, and every parameter is used at every step.
x_next = quantity("x_next", "x", n_x, m, time="t+1")
dz_next = quantity("dz_next", "dz", n_a, m, time="t+1")
dz_1 = quantity("dz_1", "dz", n_a, m, time="1")


def _bptt():
    z_next = FORWARD["z"].rhs.xreplace({a_prev: a_next, xt: x_next})
    yield Derived(
        "da_next",
        da_next,
        vjp(FORWARD["zy"].rhs, a_next, dzy) + vjp(z_next, a_next, dz_next),
        "chain rule over both uses of a⟨t⟩, in z_y⟨t⟩ and z⟨t+1⟩; dz⟨T_x+1⟩ = 0",
    )
    for key, step in [("dWax", CELL), ("dWaa", CELL), ("dba", CELL), ("dWya", OUTPUT), ("dby", OUTPUT)]:
        yield Derived(key, TOTAL[key], time_sum(step[key].rhs), "sum over the steps that use it")
    yield Derived("dx", CELL["dxt"].lhs, CELL["dxt"].rhs, "x⟨t⟩ is used by step t only")
    yield Derived(
        "da0",
        quantity("da0", "da", n_a, m, time="0"),
        CELL["da_prev"].rhs.xreplace({dz: dz_1}),
        "a⟨0⟩ is used by step 1 only",
    )


BPTT = {d.name: d for d in _bptt()}


# For the checks: what each cell result differentiates, and the carried state with its gradient
WRT = {"dz": z, "dWax": Wax, "dWaa": Waa, "dba": ba, "dxt": xt, "da_prev": a_prev}
LOCAL = {"tanh_prime": (sp.tanh, z, a_next)}
CARRIED = {a_next: da_next}
OUTPUT_WRT = {"dzy": zy, "dWya": Wya, "dby": by, "da_y": a_next}


def cell_forward(values):
    """Complete ``values`` (parameters, x⟨t⟩, a⟨t−1⟩) with z⟨t⟩, a⟨t⟩, z_y⟨t⟩ and ŷ⟨t⟩, keeping
    any value already given: the brute-force checks replace one of them by symbols."""
    for d in FORWARD.values():
        if d.lhs not in values:
            values[d.lhs] = evaluate(d.rhs, values)
    return values


def parameter_values(parameters):
    """Symbol → matrix for a parameter dict keyed by the code's names."""
    return {PARAMETERS[k]: v for k, v in parameters.items()}


def forward(x, a0, parameters):
    """Run the forward definitions on explicit matrices: the list of each step's values.

    ``x`` is a list of T_x matrices (n_x, m); numpy arrays evaluate in floating point, SymPy
    matrices exactly. ``parameters`` maps the names of :data:`PARAMETERS` to matrices.
    """
    values = parameter_values(parameters)
    steps = []
    for x_t in x:
        steps.append(cell_forward({**values, xt: x_t, a_prev: steps[-1][a_next] if steps else a0}))
    return steps


def loss(x, y, a0, parameters):
    """J of the forward definitions: the quantity every gradient here differentiates."""
    return sum(cross_entropy(step[yt_pred], y_t) for step, y_t in zip(forward(x, a0, parameters), y))


def loss_gradients(x, y, a0, parameters):
    """Every gradient of :func:`loss`, by evaluating the derived equations step by step backwards.

    Returns a dict with the keys of :data:`TOTAL`, lists of T_x matrices for ``dx`` and
    ``da_next`` (the total gradient of each a⟨t⟩), ``da0``, and ``steps``: for each step, the
    value of every forward and backward quantity (``CELL``, ``OUTPUT``, ``da_next``) by symbol.
    """
    steps = forward(x, a0, parameters)
    dz_after = a0 * 0  # dz⟨T_x+1⟩ = 0
    for t in reversed(range(len(x))):
        step = steps[t]
        step[yt] = y[t]
        step[dzy] = evaluate(OUTPUT["dzy"].rhs, step)
        step[da_next] = evaluate(BPTT["da_next"].rhs, {**step, dz_next: dz_after})
        for d in [*CELL.values(), *OUTPUT.values()]:
            step[d.lhs] = evaluate(d.rhs, step)
        dz_after = step[dz]
    return {
        **{k: reduce(operator.add, (s[STEP[k]] for s in steps)) for k in TOTAL},
        "dx": [s[CELL["dxt"].lhs] for s in steps],
        "da_next": [s[da_next] for s in steps],
        "da0": evaluate(BPTT["da0"].rhs, {**steps[0], dz_1: dz_after}),
        "steps": steps,
    }
