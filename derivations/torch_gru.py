"""The GRU that PyTorch, cuDNN and Keras (``reset_after=True``) compute, derived with SymPy.

The mirror of :mod:`rnnlstm.torch_gru`. It is the course's GRU (:mod:`derivations.gru`, whose
symbols, gates and scaffolding it shares) but for its candidate: the reset gate multiplies the
recurrent product W_c[:, :n_a] c⟨t−1⟩, which has a bias of its own, b_cc, instead of the state
before the product::

    Γ_u = σ(W_u [c⟨t−1⟩; x⟨t⟩] + b_u)     Γ_r = σ(W_r [c⟨t−1⟩; x⟨t⟩] + b_r)
    c̃⟨t⟩ = tanh(W_c[:, n_a:] x⟨t⟩ + b_c + Γ_r ⊙ (W_c[:, :n_a] c⟨t−1⟩ + b_cc))
    c⟨t⟩ = Γ_u ⊙ c̃⟨t⟩ + (1 − Γ_u) ⊙ c⟨t−1⟩      a⟨t⟩ = c⟨t⟩
    ŷ⟨t⟩ = softmax(W_y a⟨t⟩ + b_y)

in the course's convention for the update gate (PyTorch's z is 1 − Γ_u: :mod:`rnnlstm.layouts`).
The candidate's weight W_c acts on c⟨t−1⟩ and x⟨t⟩ in two places, so its gradient is the two
column blocks side by side, each the vjp of z_c w.r.t. one block.
"""

from __future__ import annotations

import sys

import sympy as sp

from . import gru
from .calculus import Derived, vjp
from .gru import DGATE, GATES, ONES, W_a, W_x, Candidate, b, c_prev, dgate, dz, rt, xt
from .notation import m, n_a, quantity

bcc = quantity("bcc", "b_{cc}", n_a, 1)  # the candidate's recurrent bias: PyTorch's b_hn
PARAMETERS = {**{k: v for k, v in gru.PARAMETERS.items() if k not in ("Wy", "by")}, "bcc": bcc,
              "Wy": gru.Wy, "by": gru.by}  # fmt: skip
# the recurrent product, which the reset gate multiplies: a placeholder while one node is differentiated
_PRODUCT = sp.MatrixSymbol("torch_gru.product", n_a, m)


def _recurrent_product(state):
    return W_a["cct"] * state + bcc * ONES


def _candidate_z(state, x, reset, product=None):
    """z_c = W_c[:, n_a:] x + b_c + Γ_r ⊙ (W_c[:, :n_a] s + b_cc), the terms in the order PyTorch
    documents them."""
    recurrent = _recurrent_product(state) if product is None else product
    return sp.MatAdd(W_x["cct"] * x, b["cct"] * ONES, sp.HadamardProduct(reset, recurrent), evaluate=False)


CANDIDATE = Candidate(_candidate_z, "in the recurrent product W_c[:, :n_a] c⟨t−1⟩ + b_cc of z_c")

FORWARD = {
    **{k: gru.FORWARD[k] for k in ("zu", "ut", "zr", "rt")},
    "zc": Derived("zc", gru.z["cct"], _candidate_z(c_prev, xt, rt), "definition"),
    **{k: gru.FORWARD[k] for k in ("cct", "c_next", "a_next", "zy", "yt_pred")},
}
LOSS = gru.LOSS
STACKS = {gru.concat: (c_prev, xt)}  # the gates' input; the candidate reads c⟨t−1⟩ and x⟨t⟩ apart

STEP = {**{k: gru.STEP[k] for k in ("dWc", "dbc")}, "dbcc": quantity("torch_gru.dbcc_t", "db_{cc}", n_a, 1, time="t"),
        **{k: v for k, v in gru.STEP.items() if k not in ("dWc", "dbc")}}  # fmt: skip
TOTAL = {**{k: gru.TOTAL[k] for k in ("dWc", "dbc")}, "dbcc": quantity("torch_gru.dbcc", "db_{cc}", n_a, 1),
         **{k: v for k, v in gru.TOTAL.items() if k not in ("dWc", "dbc")}}  # fmt: skip


def _candidate_gradients():
    """dW_c (its two column blocks side by side), db_c and db_cc: one vjp of z_c each."""
    zc, upstream = FORWARD["zc"].rhs, dz["cct"]
    yield Derived(
        "dWc",
        STEP["dWc"],
        sp.BlockMatrix([[vjp(zc, W_a["cct"], upstream), vjp(zc, W_x["cct"], upstream)]]),
        "vjp of z_c⟨t⟩ = W_c[:, n_a:] x⟨t⟩ + b_c + Γ_r ⊙ (W_c[:, :n_a] c⟨t−1⟩ + b_cc) w.r.t. each column block "
        "of W_c: W_c[:, :n_a] through Γ_r, W_c[:, n_a:] directly",
    )
    for key, bias in (("dbc", b["cct"]), ("dbcc", bcc)):
        yield Derived(key, STEP[key], vjp(zc, bias, upstream), f"vjp of z_c⟨t⟩ w.r.t. {bias.name}")


CELL = {
    d.name: d
    for d in gru.cell_results(
        CANDIDATE,
        Derived(
            DGATE["rt"],
            dgate["rt"],
            vjp(_candidate_z(c_prev, xt, rt, _PRODUCT), rt, dz["cct"]).xreplace({_PRODUCT: _recurrent_product(c_prev)}),
            "vjp of z_c⟨t⟩ = W_c[:, n_a:] x⟨t⟩ + b_c + Γ_r ⊙ (W_c[:, :n_a] c⟨t−1⟩ + b_cc) w.r.t. Γ_r: the reset "
            "gate multiplies the recurrent product, bias included",
        ),
        _candidate_gradients(),
    )
}
OUTPUT = gru.OUTPUT
BPTT = {d.name: d for d in gru.bptt_results(CELL, TOTAL, CANDIDATE)}

# For the checks: as the course's GRU, and the recurrent bias
WRT = {**gru.WRT, "dbcc": bcc}
LOCAL, CARRIED, OUTPUT_WRT = gru.LOCAL, gru.CARRIED, gru.OUTPUT_WRT
# the quantities the checks set by name, the same as the course's GRU
cct, ut, c_next, a_next, zy, yt_pred, yt, dzy = (gru.cct, gru.ut, gru.c_next, gru.a_next, gru.zy, gru.yt_pred,
                                                 gru.yt, gru.dzy)  # fmt: skip
z, gate = gru.z, gru.gate
_THIS = sys.modules[__name__]  # the chapter that derivations.gru's functions evaluate

def cell_forward(values):
    """:func:`derivations.gru.cell_forward` with this cell's forward definitions."""
    return gru.cell_forward(values, _THIS)


def parameter_values(parameters):
    """:func:`derivations.gru.parameter_values` with the recurrent bias ``bcc``."""
    return gru.parameter_values(parameters, _THIS)


def forward(x, a0, parameters):
    """:func:`derivations.gru.forward` with this cell's forward definitions."""
    return gru.forward(x, a0, parameters, _THIS)


def loss(x, y, a0, parameters):
    """J of this cell's forward definitions."""
    return gru.loss(x, y, a0, parameters, _THIS)


def loss_gradients(x, y, a0, parameters):
    """:func:`derivations.gru.loss_gradients`: every gradient, by this cell's derived equations."""
    return gru.loss_gradients(x, y, a0, parameters, _THIS)

