"""The same mathematics, fast: the RNN and the LSTM as frameworks compute them.

The readable functions of :mod:`rnnlstm.rnn` and :mod:`rnnlstm.lstm` follow the course, one
equation per line and one time step per call. These compute the same results with the
rewrites that real frameworks use, each resting on a derived equation of the book:

- **Stacked gates.** The four gate weights are one matrix ``W`` (4n_a × (n_a + n_x)), rows in the
  order f, i, o, c so that the three sigmoid gates are one block: one GEMM and two activation
  calls per step instead of four of each (:func:`stack_lstm`, :func:`unstack_lstm`).
- **Input projections hoisted.** W[:, n_a:] x⟨t⟩ does not depend on the recursion, so the
  projections of all T_x steps are one GEMM before the loop; only W[:, :n_a] a⟨t−1⟩ stays inside.
- **Weight gradients after the loop.** Each weight's gradient is a sum over the steps
  (``lstm-bptt-dWf``): the loop only computes and stores every step's dz, and one GEMM over all
  steps at the end gives dW, one more gives dx.
- **Time-major blocks.** Every per-step quantity lives in one (rows, T_x · m) array, step t in
  columns t·m … (t+1)·m, so that a step is a BLAS-ready block and all steps together are one
  matrix. Scratch arrays of the backward pass are kept between calls of the same shape.

The functions take and return the course's shapes and parameter dictionaries and keep the dtype
(float32 in, float32 out). Their caches are their own (not interchangeable with the readable
functions'). The scratch arrays make them unsafe to call from several threads at once.
"""

from __future__ import annotations

import numpy as np

from . import lstm as _lstm
from . import rnn as _rnn
from ._validate import Dimensions, check_loss_inputs, check_parameters
from .activations import softmax
from .output import output_layer

LSTM_ORDER = ("f", "i", "o", "c")  # rows of the stacked weight: the sigmoid gates first


def stack_lstm(parameters):
    """The stacked gate weight and bias of an LSTM parameter dict.

    Parameters
    ----------
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), as for
        :func:`rnnlstm.lstm_forward`.

    Returns
    -------
    W : ndarray, shape (4 n_a, n_a + n_x)
        ``[Wf; Wi; Wo; Wc]`` stacked by rows.
    b : ndarray, shape (4 n_a, 1)
    """
    return (
        np.concatenate([parameters["W" + g] for g in LSTM_ORDER]),
        np.concatenate([parameters["b" + g] for g in LSTM_ORDER]),
    )


def unstack_lstm(W, b):
    """The per-gate dict ``{"Wf": ..., "bf": ..., ...}`` of a stacked weight and bias (copies)."""
    n_a = W.shape[0] // 4
    out = {}
    for k, g in enumerate(LSTM_ORDER):
        out["W" + g] = W[k * n_a : (k + 1) * n_a].copy()
        out["b" + g] = b[k * n_a : (k + 1) * n_a].copy()
    return out


_SCRATCH = {}


def _scratch(name, shape, dtype):
    """An array kept between calls for ``name``, reallocated only when the shape or dtype changes."""
    key = (name, shape, np.dtype(dtype))
    if key not in _SCRATCH:
        for old in [k for k in _SCRATCH if k[0] == name]:
            del _SCRATCH[old]
        _SCRATCH[key] = np.empty(shape, dtype)
    return _SCRATCH[key]


def _columns(x):
    """(n, m, T_x) → (n, T_x · m), step t in columns t·m … (t+1)·m."""
    n, m, T = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1)).reshape(n, T * m)


def _sequence(block, m):
    """(n, T_x · m) → (n, m, T_x): the course's layout, as a view."""
    n = block.shape[0]
    return block.reshape(n, -1, m).transpose(0, 2, 1)


def _sigmoid_(z):
    """σ(z) in place, as (1 + tanh(z/2)) / 2: four passes, no overflow, no temporary."""
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _backward_arguments(da, caches, length, producer):
    """The caches of ``producer`` and a ``da`` of the shape they imply, or a clear error."""
    if not isinstance(caches, tuple) or len(caches) != length or not isinstance(caches[-1], int):
        raise TypeError(f"expected the caches returned by rnnlstm.fused.{producer}")
    A, m = caches[0], caches[-1]
    dims = Dimensions({"n_a": A.shape[0], "m": m, "T_x": A.shape[1] // m - 1})
    dims.check("da", da, "n_a m T_x")
    return _columns(da).astype(A.dtype, copy=False)


def _output_layer(A_out, y, W, b, m):
    """The output layer on the time-major block of a⟨1⟩ … a⟨T_x⟩: J, dW, db and da_y (blocks)."""
    J, _, dW, db, da_y = output_layer(_sequence(A_out, m), y, W, b)
    return J, dW, db, _columns(da_y)


# ---------------------------------------------------------------------------------------------
# The RNN


def rnn_forward(x, a0, parameters):
    """:func:`rnnlstm.rnn_forward`, fast: same arguments, same ``(a, y_pred, caches)``."""
    dims = Dimensions()
    check_parameters(parameters, _rnn.PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    A, caches = _rnn_forward(x, a0, parameters)
    m = a0.shape[1]
    y_pred = softmax(parameters["Wya"] @ A[:, m:] + parameters["by"])
    return _sequence(A[:, m:], m), _sequence(y_pred, m), caches


def _rnn_forward(x, a0, p):
    (n_a, m), T = a0.shape, x.shape[2]
    dtype = np.result_type(x, a0, *p.values())
    Wax, Waa, ba = (p[k].astype(dtype, copy=False) for k in ("Wax", "Waa", "ba"))
    X = _columns(x).astype(dtype, copy=False)
    Z = Wax @ X  # the input projections of every step: one GEMM
    Z += ba
    A = np.empty((n_a, (T + 1) * m), dtype)  # a⟨0⟩, a⟨1⟩, ..., a⟨T_x⟩, one block of m columns each
    A[:, :m] = a0
    recurrent = np.empty((n_a, m), dtype)
    for t in range(T):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        np.matmul(Waa, A[:, now], out=recurrent)  # W_aa a⟨t−1⟩: the only GEMM inside the loop
        Z[:, now] += recurrent
        np.tanh(Z[:, now], out=A[:, after])
    return A, (A, X, Wax, Waa, m)


def rnn_backward(da, caches):
    """:func:`rnnlstm.rnn_backward`, fast: ``caches`` from :func:`rnn_forward`; same keys."""
    return _rnn_backward(_backward_arguments(da, caches, 5, "rnn_forward"), caches)


def _rnn_backward(Da, caches):
    A, X, Wax, Waa, m = caches
    n_a, T = A.shape[0], A.shape[1] // m - 1
    dZ = _scratch("rnn.dZ", (n_a, T * m), A.dtype)
    da_next = np.empty((n_a, T * m), A.dtype)
    carried = np.zeros((n_a, m), A.dtype)  # W_aa^T dz⟨t+1⟩, 0 after the last step
    for t in reversed(range(T)):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        dz, a = dZ[:, now], A[:, after]
        np.add(Da[:, now], carried, out=da_next[:, now])
        np.multiply(a, a, out=dz)
        np.subtract(1, dz, out=dz)  # tanh' = 1 − a⟨t⟩²
        dz *= da_next[:, now]
        np.matmul(Waa.T, dz, out=carried)
    return {
        "dx": _sequence(Wax.T @ dZ, m),  # every step's dx: one GEMM
        "da0": carried,
        "dWax": dZ @ X.T,  # Σ_t dz⟨t⟩ x⟨t⟩^T: one GEMM over all steps
        "dWaa": dZ @ A[:, : T * m].T,
        "dba": dZ.sum(axis=1, keepdims=True),
        "da_next": _sequence(da_next, m),
    }


def rnn_loss(x, y, a0, parameters):
    """:func:`rnnlstm.rnn_loss`, fast: same arguments, same ``(J, gradients)``."""
    dims = check_loss_inputs(x, y, a0, parameters, _rnn.PARAMETER_SHAPES)
    m = dims["m"]
    A, caches = _rnn_forward(x, a0, parameters)
    J, dWya, dby, Da = _output_layer(A[:, m:], y, parameters["Wya"], parameters["by"], m)
    return J, {**_rnn_backward(Da.astype(A.dtype, copy=False), caches), "dWya": dWya, "dby": dby}


# ---------------------------------------------------------------------------------------------
# The LSTM


def lstm_forward(x, a0, parameters):
    """:func:`rnnlstm.lstm_forward`, fast: same arguments, same ``(a, y, c, caches)``."""
    dims = Dimensions()
    check_parameters(parameters, _lstm.PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    A, C, caches = _lstm_forward(x, a0, parameters)
    m = a0.shape[1]
    y = softmax(parameters["Wy"] @ A[:, m:] + parameters["by"])
    return _sequence(A[:, m:], m), _sequence(y, m), _sequence(C[:, m:], m), caches


def _lstm_forward(x, a0, p):
    (n_a, m), T = a0.shape, x.shape[2]
    dtype = np.result_type(x, a0, *p.values())
    W, b = (v.astype(dtype, copy=False) for v in stack_lstm(p))
    Wa, Wx = np.ascontiguousarray(W[:, :n_a]), np.ascontiguousarray(W[:, n_a:])
    X = _columns(x).astype(dtype, copy=False)
    G = Wx @ X  # every step's input projections for the four gates: one GEMM
    G += b
    A = np.empty((n_a, (T + 1) * m), dtype)  # a⟨0⟩ … a⟨T_x⟩
    C = np.empty((n_a, (T + 1) * m), dtype)  # c⟨0⟩ = 0 … c⟨T_x⟩
    A[:, :m], C[:, :m] = a0, 0
    TC = np.empty((n_a, T * m), dtype)  # tanh(c⟨t⟩), kept for the backward pass
    recurrent, product = np.empty((4 * n_a, m), dtype), np.empty((n_a, m), dtype)
    for t in range(T):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        np.matmul(Wa, A[:, now], out=recurrent)  # W[:, :n_a] a⟨t−1⟩ for all four gates: one GEMM
        g = G[:, now]
        g += recurrent
        _sigmoid_(g[: 3 * n_a])  # Γ_f, Γ_u, Γ_o
        np.tanh(g[3 * n_a :], out=g[3 * n_a :])  # c̃
        f, i, o, cc = (g[k * n_a : (k + 1) * n_a] for k in range(4))
        c = C[:, after]
        np.multiply(f, C[:, now], out=c)
        np.multiply(i, cc, out=product)
        c += product
        np.tanh(c, out=TC[:, now])
        np.multiply(o, TC[:, now], out=A[:, after])
    return A, C, (A, C, TC, G, X, Wa, Wx, m)


def lstm_backward(da, caches):
    """:func:`rnnlstm.lstm_backward`, fast: ``caches`` from :func:`lstm_forward`; same keys."""
    dX, da0, dW, db, da_next, dc_next = _lstm_backward(_backward_arguments(da, caches, 8, "lstm_forward"), caches)
    return _lstm_gradients(dX, da0, dW, db, da_next, dc_next, caches[-1])


def _lstm_gradients(dX, da0, dW, db, da_next, dc_next, m):
    per_gate = unstack_lstm(dW, db)
    return {
        "dx": _sequence(dX, m),
        "da0": da0,
        **{"d" + k: v for k, v in per_gate.items()},
        "da_next": _sequence(da_next, m),
        "dc_next": _sequence(dc_next, m),
    }


def _lstm_backward(Da, caches):
    A, C, TC, G, X, Wa, Wx, m = caches
    n_a, T, dtype = A.shape[0], A.shape[1] // m - 1, A.dtype
    dG = _scratch("lstm.dG", (4 * n_a, T * m), dtype)  # every step's dz_f, dz_u, dz_o, dz_c
    work, sigma_prime = _scratch("lstm.work", (n_a, m), dtype), _scratch("lstm.sigma", (3 * n_a, m), dtype)
    da_next, dc_next = np.empty((n_a, T * m), dtype), np.empty((n_a, T * m), dtype)
    carried_a = np.zeros((n_a, m), dtype)  # W[:, :n_a]^T dz⟨t+1⟩
    carried_c = np.zeros((n_a, m), dtype)  # dc_prev of step t+1
    for t in reversed(range(T)):
        now = slice(t * m, (t + 1) * m)
        g, d, tc = G[:, now], dG[:, now], TC[:, now]
        f, i, o, cc = (g[k * n_a : (k + 1) * n_a] for k in range(4))
        df, di, do, dcc = (d[k * n_a : (k + 1) * n_a] for k in range(4))
        dh = da_next[:, now]
        np.add(Da[:, now], carried_a, out=dh)
        dc_next[:, now] = carried_c
        np.multiply(tc, tc, out=work)  # dc = dc_next + da ⊙ Γ_o ⊙ (1 − tanh²c)
        np.subtract(1, work, out=work)
        work *= o
        work *= dh
        work += carried_c
        np.multiply(dh, tc, out=do)  # dΓ_o
        np.multiply(work, C[:, now], out=df)  # dΓ_f = dc ⊙ c⟨t−1⟩
        np.multiply(work, cc, out=di)  # dΓ_u = dc ⊙ c̃
        np.multiply(work, i, out=dcc)  # dc̃ = dc ⊙ Γ_u
        np.multiply(work, f, out=carried_c)  # dc⟨t−1⟩ = dc ⊙ Γ_f
        s = g[: 3 * n_a]
        np.subtract(1, s, out=sigma_prime)
        sigma_prime *= s
        d[: 3 * n_a] *= sigma_prime  # through the three sigmoids at once
        np.multiply(cc, cc, out=work)
        np.subtract(1, work, out=work)
        dcc *= work  # through the tanh of c̃
        np.matmul(Wa.T, d, out=carried_a)  # da⟨t−1⟩ from all four gates: one GEMM
    dW = np.empty((4 * n_a, n_a + Wx.shape[1]), dtype)
    np.matmul(dG, A[:, : T * m].T, out=dW[:, :n_a])  # Σ_t dz⟨t⟩ a⟨t−1⟩^T: one GEMM
    np.matmul(dG, X.T, out=dW[:, n_a:])  # Σ_t dz⟨t⟩ x⟨t⟩^T: one GEMM
    return Wx.T @ dG, carried_a, dW, dG.sum(axis=1, keepdims=True), da_next, dc_next


def lstm_loss(x, y, a0, parameters):
    """:func:`rnnlstm.lstm_loss`, fast: same arguments, same ``(J, gradients)``."""
    dims = check_loss_inputs(x, y, a0, parameters, _lstm.PARAMETER_SHAPES)
    m = dims["m"]
    A, _, caches = _lstm_forward(x, a0, parameters)
    J, dWy, dby, Da = _output_layer(A[:, m:], y, parameters["Wy"], parameters["by"], m)
    grads = _lstm_gradients(*_lstm_backward(Da.astype(A.dtype, copy=False), caches), m)
    return J, {**grads, "dWy": dWy, "dby": dby}
