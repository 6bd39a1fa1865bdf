"""The errata in numpy: each formula of :mod:`derivations.errata` as code, and the gradient checks
that measure it against the true gradient.

A variant replaces one private function of :mod:`rnnlstm` (a cell's backward or forward) for the
duration of a check, so the library's own loops and losses run it; the corrected version is the
library itself. Every number the Errata chapter shows is computed here when the book is built.
"""

from __future__ import annotations

from contextlib import nullcontext
from unittest import mock

import numpy as np

import rnnlstm
from rnnlstm import gradient_check, lstm, rnn
from rnnlstm.activations import softmax
from rnnlstm.problems import random_problem

RNN_CELL_BACKWARD, LSTM_CELL_BACKWARD, LSTM_CELL_FORWARD = rnn._cell_backward, lstm._cell_backward, lstm._cell_forward
SIZES = {"n_x": 3, "n_a": 4, "n_y": 3, "m": 2, "T_x": 4}


# 1. The RNN cell without the upstream factor
def e1_cell_backward(da_next, cache):
    a_next = cache[0]
    dz = 1 - a_next**2  # dtanh, as published: da_next never enters
    return {"dz": dz, **rnn._linear_backward(dz, cache)}


# 2. x⟨t−1⟩ for x⟨t⟩ in da⟨t−1⟩; sec² for sech²
def e2_da_prev(da_next, cache, x_prev):
    _, a_prev, _, p = cache
    z = p["Waa"] @ a_prev + p["Wax"] @ x_prev + p["ba"]  # as published: the previous step's input
    return p["Waa"].T @ (da_next * (1 - np.tanh(z) ** 2))


def e2_cell_backward_sec(da_next, cache):
    _, a_prev, xt, p = cache
    z = p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"]
    dz = da_next / np.cos(z) ** 2  # as published: sec²(z), the derivative of tan, not of tanh
    return {"dz": dz, **rnn._linear_backward(dz, cache)}


# 3. The LSTM's dz_c with a spurious c̃ and a missing bracket
def e3_cell_backward(da_next, dc_next, cache):
    g = LSTM_CELL_BACKWARD(da_next, dc_next, cache)
    _, c_next, _, _, _, it, cct, ot, _, _ = cache
    g["dzc"] = dc_next * it + ot * (1 - np.tanh(c_next) ** 2) * it * da_next * cct * (1 - cct**2)
    return {**g, **lstm._linear_backward(g, cache)}


# 4. σ′ on the second term only; c̃⟨t−1⟩ for c⟨t−1⟩
def e4_cell_backward(da_next, dc_next, cache, cct_prev):
    g = LSTM_CELL_BACKWARD(da_next, dc_next, cache)
    _, c_next, _, c_prev, ft, it, cct, ot, _, _ = cache
    through_a = ot * (1 - np.tanh(c_next) ** 2) * da_next
    g["dzi"] = dc_next * cct + through_a * cct * it * (1 - it)
    g["dzf"] = dc_next * cct_prev + through_a * c_prev * ft * (1 - ft)
    return {**g, **lstm._linear_backward(g, cache)}


# 5. Row slices for column slices
def e5_da_prev_dxt(g, cache):
    p, n_a = cache[9], cache[0].shape[0]
    da_prev = sum(p["W" + gate][:n_a, :].T @ g["dz" + gate] for gate in "fico")  # as published
    dxt = sum(p["W" + gate][n_a:, :].T @ g["dz" + gate] for gate in "fico")
    return da_prev, dxt


# 6. Backpropagation through time that carries nothing back
def e6_cell_backward(da_next, dc_next, cache):
    g = LSTM_CELL_BACKWARD(da_next, dc_next, cache)
    return {**g, "da_prev": np.zeros_like(g["da_prev"]), "dc_prev": np.zeros_like(g["dc_prev"])}


# 7. da with fewer steps than the sequence: a loop that takes T_x from da
def e7_lstm_backward(da, caches):
    cell_caches, x = caches
    T_x = da.shape[2]  # as in the published test: 4, for a sequence of 7
    return lstm._backward(da, cell_caches[:T_x], x[:, :, :T_x])


# 8. A gradient check against clipped gradients
def e8_clipped(gradients, limit=5.0):
    return {k: np.clip(g, -limit, limit) for k, g in gradients.items()}  # as min-char-rnn's lossFun returns them


# 9. An LSTM whose output is Γ_o ⊙ c, without the tanh
def e9_cell_forward(xt, a_prev, c_prev, p):
    _, c_next, _, cache = LSTM_CELL_FORWARD(xt, a_prev, c_prev, p)
    ot = cache[7]
    a_next = ot * c_next  # as published: no tanh
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, *cache[1:])


def e9_cell_backward(da_next, dc_next, cache):
    _, c_next, _, c_prev, ft, it, cct, ot, _, _ = cache
    dGamma_o = da_next * c_next  # the backward of a = Γ_o ⊙ c: consistent with its own forward
    dc = dc_next + da_next * ot
    g = {"dc_prev": dc * ft, "dzf": ft * (1 - ft) * dc * c_prev, "dzi": it * (1 - it) * dc * cct,
         "dzc": (1 - cct**2) * dc * it, "dzo": ot * (1 - ot) * dGamma_o}  # fmt: skip
    return {**g, **lstm._linear_backward(g, cache)}


# 10. A recursion without the tanh derivative
def e10_cell_backward(da_next, cache):
    g = RNN_CELL_BACKWARD(da_next, cache)
    return {**g, "da_prev": cache[3]["Waa"].T @ da_next}  # as published: W_aa^T da, not W_aa^T dz


# ---------------------------------------------------------------------------------------------
# The checks


def replaced(module, **functions):
    """Run ``module`` with some of its private functions replaced (``_cell_backward=...``)."""
    return mock.patch.dict(module.__dict__, functions)


def _arrays(problem):
    x, _, a0, parameters = problem
    return {**{"d" + k: v for k, v in parameters.items()}, "dx": x, "da0": a0}


def sequence_errors(model, seed=0, own=False, **functions):
    """Relative errors of the gradients of ``model``'s loss computed with ``functions`` in place,
    against central differences of the true loss (``own``: of the loss computed with the same
    functions in place): ``{gradient: error}``."""
    module, loss = (rnn, rnnlstm.rnn_loss) if model == "rnn" else (lstm, rnnlstm.lstm_loss)
    problem = random_problem(model, **SIZES, seed=seed)
    with replaced(module, **functions):
        _, grads = loss(*problem)
    with replaced(module, **functions) if own else nullcontext():
        return gradient_check(lambda: loss(*problem)[0], _arrays(problem), grads)


def two_steps(model, seed=0):
    """A problem, the caches of a forward over its first two steps, and upstream gradients: the
    setting of a cell check at step 2, where step 1's values (x⟨1⟩, c̃⟨1⟩) exist."""
    x, _, a0, parameters = random_problem(model, **SIZES, seed=seed)
    forward = {"rnn": rnnlstm.rnn_forward, "lstm": rnnlstm.lstm_forward, "gru": rnnlstm.gru_forward}[model]
    caches = forward(x[:, :, :2], a0, parameters)[-1][0]
    rng = np.random.default_rng(seed + 100)
    upstream = [rng.normal(size=a0.shape) for _ in range(2 if model == "lstm" else 1)]
    return caches, upstream


def cell_errors(model, grads, seed=0):
    """Relative errors of a cell's ``grads`` (step 2) against central differences of the scalar
    Σ da ⊙ a⟨t⟩ (+ Σ dc ⊙ c⟨t⟩ for the LSTM; the GRU's a⟨t⟩ is its c⟨t⟩), whose gradients are exactly
    the cell's."""
    caches, upstream = two_steps(model, seed)
    cache = caches[1]
    if model == "rnn":
        _, a_prev, xt, p = cache
        inputs = {"dxt": xt.copy(), "da_prev": a_prev.copy(), **{"d" + k: p[k].copy() for k in ("Wax", "Waa", "ba")}}

        def scalar():
            q = {**p, **{k[1:]: v for k, v in inputs.items() if k[1:] in p}}
            return float(np.sum(upstream[0] * rnnlstm.rnn_cell_forward(inputs["dxt"], inputs["da_prev"], q)[0]))
    elif model == "gru":
        _, c_prev, *_, xt, p = cache
        inputs = {"dxt": xt.copy(), "da_prev": c_prev.copy()}
        inputs.update({"d" + k: v.copy() for k, v in p.items() if k not in ("Wy", "by")})

        def scalar():
            q = {**p, **{k[1:]: v for k, v in inputs.items() if k[1:] in p}}
            return float(np.sum(upstream[0] * rnnlstm.gru_cell_forward(inputs["dxt"], inputs["da_prev"], q)[0]))
    else:
        _, _, a_prev, c_prev, *_, xt, p = cache
        inputs = {"dxt": xt.copy(), "da_prev": a_prev.copy(), "dc_prev": c_prev.copy()}
        inputs.update({"d" + k: v.copy() for k, v in p.items() if k not in ("Wy", "by")})

        def scalar():
            q = {**p, **{k[1:]: v for k, v in inputs.items() if k[1:] in p}}
            a, c, *_ = rnnlstm.lstm_cell_forward(inputs["dxt"], inputs["da_prev"], inputs["dc_prev"], q)
            return float(np.sum(upstream[0] * a) + np.sum(upstream[1] * c))

    return gradient_check(scalar, {k: v for k, v in inputs.items() if k in grads}, grads)


def cell_gradients(model, variant=None, seed=0):
    """Step 2's cell gradients from ``variant`` (or the library), with the setting of :func:`two_steps`;
    a variant that needs step 1 gets x⟨1⟩ (RNN) or c̃⟨1⟩ (LSTM) as its last argument."""
    caches, upstream = two_steps(model, seed)
    if variant is None:
        return (RNN_CELL_BACKWARD if model == "rnn" else LSTM_CELL_BACKWARD)(*upstream, caches[1])
    previous = caches[0][2] if model == "rnn" else caches[0][6]  # x⟨1⟩, c̃⟨1⟩
    return variant(*upstream, caches[1], previous)
