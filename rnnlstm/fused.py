"""The same mathematics, fast: the RNN and the LSTM as frameworks compute them.

The readable functions of :mod:`rnnlstm.rnn` and :mod:`rnnlstm.lstm` follow the course, one
equation per line and one time step per call. These compute the same results with the
rewrites that real frameworks use, each resting on a derived equation of the book:

- **Stacked gates.** The four gate weights are one matrix ``W`` (4n_a × (n_a + n_x)), rows in the
  order f, i, o, c so that the three sigmoid gates are one block: one GEMM per step instead of
  four (:func:`stack_lstm`, :func:`unstack_lstm`). With σ(z) = (1 + tanh(z/2)) / 2 and the σ rows
  halved, one tanh call gives all four gates; with σ′(z) = (1 − tanh²(z/2)) / 4, one expression
  1 − u² gives all four derivatives, the 1/4 applied in the GEMMs that use dz.
- **Derivatives before the loop.** The activations' derivatives depend on forward values only:
  the backward pass computes them for every step at once (two numpy calls in all, not two per
  step), into the array where the loop then multiplies in each step's upstream gradient.
- **Input projections hoisted.** W[:, n_a:] x⟨t⟩ + b does not depend on the recursion, so the
  projections of all T_x steps are one GEMM before the loop (the bias as the weight of a constant
  input 1); only W[:, :n_a] a⟨t−1⟩ stays inside.
- **Weight gradients after the loop.** Each weight's gradient is a sum over the steps
  (``lstm-bptt-dWf``): the loop only computes and stores every step's dz, and one GEMM over all
  steps with the stored rows [a⟨t−1⟩ | x⟨t⟩ | 1] gives [dW | db], one more gives dx.
- **Step-major rows.** Inside, every quantity is stored transposed, one row per (step, example):
  an (T_x · m, n) array whose rows t·m … (t+1)·m are step t. A step is then one contiguous block
  (the course's (n, m, T_x) layout puts a step's values T_x entries apart, which costs a factor
  of about four in every elementwise operation at large sizes), and all steps together are one
  matrix for the GEMMs over time.
- **Memory already mapped.** The arrays that live only during a call are kept and reused by the
  next call (:func:`_scratch`), which saves the page faults of fresh memory. Whatever a call
  returns, or keeps in the caches it returns, is a new array: nothing a caller holds is ever
  overwritten. The loss functions return no caches, so their forward pass is scratch too.

The functions take and return the course's shapes and parameter dictionaries and keep the dtype
(float32 in, float32 out). Their caches are their own (not interchangeable with the readable
functions'). The arrays over the time steps (``a``, ``y``, ``c``, ``dx``, ``da_next``, ``dc_next``)
are the step-major arrays seen in the course's layout: views, not C-contiguous
(``np.ascontiguousarray`` copies one where that matters). The kept scratch arrays make the
functions unsafe to call from several threads at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from . import lstm as _lstm
from . import rnn as _rnn
from ._typing import Array, FusedLSTMCaches, FusedRNNCaches, Gradients, Parameters
from ._validate import Dimensions, check_loss_inputs, check_parameters
from .activations import softmax
from .output import output_layer

LSTM_ORDER = ("f", "i", "o", "c")  # rows of the stacked weight: the sigmoid gates first


def stack_lstm(parameters: Parameters) -> tuple[Array, Array]:
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


def unstack_lstm(W: Array, b: Array) -> Gradients:
    """The per-gate dict ``{"Wf": ..., "bf": ..., ...}`` of a stacked weight and bias (copies)."""
    n_a = W.shape[0] // 4
    out = {}
    for k, g in enumerate(LSTM_ORDER):
        out["W" + g] = W[k * n_a : (k + 1) * n_a].copy()
        out["b" + g] = b[k * n_a : (k + 1) * n_a].copy()
    return out


_SCRATCH: dict[str, list[Array]] = {}  # name → the scratch arrays kept between calls, for the last two shapes asked


def _scratch(name: str, shape: tuple[int, ...], dtype: DTypeLike) -> Array:
    """An uninitialized array ``name`` that lives only during the call asking for it, kept for
    the next call that asks for the same name, shape and dtype.

    The ownership rule that makes reuse safe: a scratch array never leaves the call that asked
    for it. Nothing returned, and nothing in a cache returned, lives in one (:func:`_new` gives
    those), so the next call can overwrite it. Fresh memory costs a page fault per 4 KiB on
    first touch, which for arrays of tens of MiB takes as long as the elementwise work of the
    loop; reuse avoids it. Two shapes are kept per name, for a loop that alternates between two
    sizes (a training and a validation batch).
    """
    kept = _SCRATCH.setdefault(name, [])
    dtype = np.dtype(dtype)
    for array in kept:
        if array.shape == shape and array.dtype == dtype:
            return array
    array = np.empty(shape, dtype)
    kept.append(array)
    del kept[:-2]
    return array


Allocate = Callable[[str, tuple[int, ...], DTypeLike], Array]  # _scratch or _new


def _new(name: str, shape: tuple[int, ...], dtype: DTypeLike) -> Array:
    """A new uninitialized array: for what leaves the call, a result or a cache (``name`` is not
    used; it takes the arguments of :func:`_scratch`, so that a forward pass takes either)."""
    return np.empty(shape, dtype)


def _sigmoid_rows(n_a: int, scale: float, dtype: DTypeLike) -> Array:
    """A (4 n_a, 1) column: ``scale`` in the rows of the three σ gates, 1 in the candidate's."""
    return np.where(np.arange(4 * n_a)[:, None] < 3 * n_a, scale, 1.0).astype(dtype)


def _rows(x: Array, dtype: DTypeLike) -> Array:
    """(n, m, T_x) → (T_x · m, n), step t in rows t·m … (t+1)·m, a new array."""
    n, m, T = x.shape
    rows = np.empty((T * m, n), dtype)
    rows.reshape(T, m, n)[...] = x.transpose(2, 1, 0)
    return rows


def _sequence(rows: Array, m: int) -> Array:
    """(T_x · m, n) → (n, m, T_x): the course's layout, as a view."""
    return rows.reshape(-1, m, rows.shape[1]).transpose(2, 1, 0)


def _backward_arguments(model: str, da: Array, caches: FusedRNNCaches | FusedLSTMCaches, length: int) -> Array:
    """``da`` as rows, in the array of da_next that the loop completes in place, if it has the
    shape that the caches of ``{model}_forward`` imply; else a clear error."""
    if not isinstance(caches, tuple) or len(caches) != length or not isinstance(caches[-1], int):
        raise TypeError(f"expected the caches returned by rnnlstm.fused.{model}_forward")
    AX, n_a, m = caches[0], caches[-2], caches[-1]
    dims = Dimensions({"n_a": n_a, "m": m, "T_x": AX.shape[0] // m - 1})
    dims.check("da", da, "n_a m T_x")
    return _rows(da, AX.dtype)


def _concatenations(new: Allocate, name: str, x: Array, a0: Array, dtype: DTypeLike) -> Array:
    """Rows t·m … (t+1)·m hold [a⟨t⟩ | x⟨t+1⟩ | 1]: step t+1's concatenation with a 1 appended,
    so that one GEMM with [W | b] gives W concat + b, and one with its transpose gives [dW | db].
    The loop writes a⟨t⟩ into the first n_a columns as it goes; the last block's x is 0. In the
    array ``new(name, ...)``: :func:`_new` or :func:`_scratch`."""
    (n_a, m), (n_x, _, T) = a0.shape, x.shape
    AX = new(name, ((T + 1) * m, n_a + n_x + 1), dtype)
    AX[:m, :n_a] = a0.T
    AX.reshape(T + 1, m, -1)[:T, :, n_a:-1] = x.transpose(2, 1, 0)  # AX is contiguous: a view
    AX[T * m :, n_a:-1] = 0
    AX[:, -1] = 1
    return AX


def _predictions(A_out: Array, W: Array, b: Array, m: int) -> Array:
    """softmax(W a⟨t⟩ + b) for every step at once, in the course's layout."""
    return _sequence(softmax((A_out @ W.T).T + b).T, m)


def _output_layer(
    A_out: Array, y: Array, W: Array, b: Array, m: int, mask: Array | None
) -> tuple[float, Array, Array, Array]:
    """The output layer on the rows of a⟨1⟩ … a⟨T_x⟩: J, dW, db and da_y, the prediction's shares
    da_{←ŷ}⟨t⟩ (rows, in the array of da_next, which the loop completes in place)."""
    J, _, dW, db, da_y = output_layer(_sequence(A_out, m), y, W, b, mask)
    return J, dW, db, _rows(da_y, A_out.dtype)


# ---------------------------------------------------------------------------------------------
# The RNN


def rnn_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, FusedRNNCaches]:
    """:func:`rnnlstm.rnn_forward`, fast: same arguments, same ``(a, y_pred, caches)``."""
    dims = Dimensions()
    check_parameters(parameters, _rnn.PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    A, caches = _rnn_forward(x, a0, parameters, _new)
    m = a0.shape[1]
    return _sequence(A[m:], m), _predictions(A[m:], parameters["Wya"], parameters["by"], m), caches


def _rnn_forward(x: Array, a0: Array, p: Parameters, new: Allocate) -> tuple[Array, FusedRNNCaches]:
    """The forward pass; ``new`` gives the arrays the caches hold (:func:`_new`, or
    :func:`_scratch` when the caches do not leave the call)."""
    (n_a, m), T = a0.shape, x.shape[2]
    dtype = np.result_type(x, a0, *p.values())
    Wax, Waa, ba = (p[k].astype(dtype, copy=False) for k in ("Wax", "Waa", "ba"))
    AX = _concatenations(new, "rnn.AX", x, a0, dtype)
    # every step's input projection and bias, [x⟨t⟩ | 1] [W_ax | b_a]^T: one GEMM
    Z = np.matmul(AX[: T * m, n_a:], np.concatenate([Wax, ba], axis=1).T, out=_scratch("rnn.Z", (T * m, n_a), dtype))
    recurrent = np.empty((m, n_a), dtype)
    WaaT = np.ascontiguousarray(Waa.T)
    for t in range(T):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        np.matmul(AX[now, :n_a], WaaT, out=recurrent)  # W_aa a⟨t−1⟩: the only GEMM inside the loop
        Z[now] += recurrent
        np.tanh(Z[now], out=AX[after, :n_a])
    return AX[:, :n_a], (AX, Wax, Waa, n_a, m)


def rnn_backward(da: Array, caches: FusedRNNCaches) -> Gradients:
    """:func:`rnnlstm.rnn_backward`, fast: ``caches`` from :func:`rnn_forward`; same keys."""
    return _rnn_backward(_backward_arguments("rnn", da, caches, 5), caches)


def _rnn_backward(da_next: Array, caches: FusedRNNCaches) -> Gradients:
    AX, Wax, Waa, n_a, m = caches
    T, dtype = AX.shape[0] // m - 1, AX.dtype
    dZ = _scratch("rnn.dZ", (T * m, n_a), dtype)
    np.multiply(AX[m:, :n_a], AX[m:, :n_a], out=dZ)
    np.subtract(1, dZ, out=dZ)  # tanh' = 1 − a⟨t⟩², every step at once; the loop multiplies in da
    carried = np.zeros((m, n_a), dtype)  # da_{←t+1}⟨t⟩ = W_aa^T dz⟨t+1⟩, 0 after the last step
    for t in reversed(range(T)):
        now = slice(t * m, (t + 1) * m)
        da, dz = da_next[now], dZ[now]
        da += carried  # da⟨t⟩ = da_{←ŷ}⟨t⟩ + da_{←t+1}⟨t⟩
        dz *= da
        np.matmul(dz, Waa, out=carried)
    dWb = dZ.T @ AX[: T * m]  # [dW_aa | dW_ax | db_a] = Σ_t dz⟨t⟩ [a⟨t−1⟩; x⟨t⟩; 1]^T: one GEMM
    return {
        "dx": _sequence(dZ @ Wax, m),  # one GEMM
        "da0": np.ascontiguousarray(carried.T),
        "dWax": np.ascontiguousarray(dWb[:, n_a:-1]),
        "dWaa": np.ascontiguousarray(dWb[:, :n_a]),
        "dba": np.ascontiguousarray(dWb[:, -1:]),
        "da_next": _sequence(da_next, m),
    }


def rnn_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """:func:`rnnlstm.rnn_loss`, fast: same arguments, same ``(J, gradients)``."""
    dims = check_loss_inputs(x, y, a0, parameters, _rnn.PARAMETER_SHAPES, mask)
    m = dims["m"]
    A, caches = _rnn_forward(x, a0, parameters, _scratch)  # the caches do not leave the call
    J, dWya, dby, da = _output_layer(A[m:], y, parameters["Wya"], parameters["by"], m, mask)
    return J, {**_rnn_backward(da, caches), "dWya": dWya, "dby": dby}


# ---------------------------------------------------------------------------------------------
# The LSTM


def lstm_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, Array, FusedLSTMCaches]:
    """:func:`rnnlstm.lstm_forward`, fast: same arguments, same ``(a, y, c, caches)``."""
    dims = Dimensions()
    check_parameters(parameters, _lstm.PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    A, C, caches = _lstm_forward(x, a0, parameters, _new)
    m = a0.shape[1]
    y = _predictions(A[m:], parameters["Wy"], parameters["by"], m)
    return _sequence(A[m:], m), y, _sequence(C[m:], m), caches


def _lstm_forward(x: Array, a0: Array, p: Parameters, new: Allocate) -> tuple[Array, Array, FusedLSTMCaches]:
    """The forward pass; ``new`` gives the arrays the caches hold (:func:`_new`, or
    :func:`_scratch` when the caches do not leave the call)."""
    (n_a, m), T = a0.shape, x.shape[2]
    dtype = np.result_type(x, a0, *p.values())
    W, b = (v.astype(dtype, copy=False) for v in stack_lstm(p))
    # σ(z) = (1 + tanh(z/2)) / 2: with the σ rows of the weights halved (exactly, in binary), one
    # tanh over the four gates' block gives tanh(z/2) for Γ_f, Γ_u, Γ_o and tanh(z_c) = c̃
    half = _sigmoid_rows(n_a, 0.5, dtype)
    AX = _concatenations(new, "lstm.AX", x, a0, dtype)
    # every step's input projections and biases, [x⟨t⟩ | 1] [W[:, n_a:] | b]^T: one GEMM
    inputs = (half * np.concatenate([W[:, n_a:], b], axis=1)).T
    G = np.matmul(AX[: T * m, n_a:], inputs, out=new("lstm.G", (T * m, 4 * n_a), dtype))
    WaT = np.ascontiguousarray((half * W[:, :n_a]).T)  # contiguous: BLAS runs the step's GEMM faster
    C = new("lstm.C", ((T + 1) * m, n_a), dtype)  # c⟨0⟩ = 0 … c⟨T_x⟩
    C[:m] = 0
    TC = new("lstm.TC", (T * m, n_a), dtype)  # tanh(c⟨t⟩), kept for the backward pass
    S = new("lstm.S", (T * m, 3 * n_a), dtype)  # Γ_f, Γ_u, Γ_o; G keeps tanh(z/2) and c̃
    recurrent, product = np.empty((m, 4 * n_a), dtype), np.empty((m, n_a), dtype)
    for t in range(T):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        np.matmul(AX[now, :n_a], WaT, out=recurrent)  # W[:, :n_a] a⟨t−1⟩ for all four gates: one GEMM
        g = G[now]
        g += recurrent
        np.tanh(g, out=g)
        sigmoids = S[now]
        np.multiply(g[:, : 3 * n_a], 0.5, out=sigmoids)  # Γ = (1 + tanh(z/2)) / 2
        sigmoids += 0.5
        f, i, o, cc = sigmoids[:, :n_a], sigmoids[:, n_a : 2 * n_a], sigmoids[:, 2 * n_a :], g[:, 3 * n_a :]
        c = C[after]
        np.multiply(f, C[now], out=c)
        np.multiply(i, cc, out=product)
        c += product
        np.tanh(c, out=TC[now])
        np.multiply(o, TC[now], out=AX[after, :n_a])
    return AX[:, :n_a], C, (AX, C, TC, G, S, W, n_a, m)


def lstm_backward(da: Array, caches: FusedLSTMCaches) -> Gradients:
    """:func:`rnnlstm.lstm_backward`, fast: ``caches`` from :func:`lstm_forward`; same keys."""
    dX, da0, dW, db, da_next, dc_next = _lstm_backward(_backward_arguments("lstm", da, caches, 8), caches)
    return _lstm_gradients(dX, da0, dW, db, da_next, dc_next, caches[-1])


def _lstm_gradients(dX: Array, da0: Array, dW: Array, db: Array, da_next: Array, dc_next: Array, m: int) -> Gradients:
    per_gate = unstack_lstm(dW, db)
    return {
        "dx": _sequence(dX, m),
        "da0": da0,
        **{"d" + k: v for k, v in per_gate.items()},
        "da_next": _sequence(da_next, m),
        "dc_next": _sequence(dc_next, m),
    }


def _lstm_backward(da_next: Array, caches: FusedLSTMCaches) -> tuple[Array, Array, Array, Array, Array, Array]:
    AX, C, TC, G, S, W, n_a, m = caches
    T, dtype = AX.shape[0] // m - 1, AX.dtype
    # σ′(z) = (1 − tanh²(z/2)) / 4 and tanh′(z_c) = 1 − c̃²: with u the stored tanh values, 1 − u²
    # for all four gates and all steps at once (the loop multiplies in the rest); the σ rows' 1/4
    # is applied in the GEMMs that use dz
    quarter = _sigmoid_rows(n_a, 0.25, dtype)
    Wa_q, Wx_q = quarter * W[:, :n_a], quarter * W[:, n_a:]
    dG = _scratch("lstm.dG", (T * m, 4 * n_a), dtype)  # every step's dz_f, dz_u, dz_o, dz_c (σ rows × 4)
    np.multiply(G, G, out=dG)
    np.subtract(1, dG, out=dG)
    work, raw = _scratch("lstm.work", (m, n_a), dtype), _scratch("lstm.raw", (m, 4 * n_a), dtype)
    df, di, do, dcc = raw[:, :n_a], raw[:, n_a : 2 * n_a], raw[:, 2 * n_a : 3 * n_a], raw[:, 3 * n_a :]
    dc_next = np.empty((T * m, n_a), dtype)
    dc_next[(T - 1) * m :] = 0  # nothing comes back from beyond the last step
    carried_a = np.zeros((m, n_a), dtype)  # da_{←t+1}⟨t⟩ = dz⟨t+1⟩ W[:, :n_a] (rows)
    for t in reversed(range(T)):
        now, after = slice(t * m, (t + 1) * m), slice((t + 1) * m, (t + 2) * m)
        s, d, tc, dh, dc_share = S[now], dG[now], TC[now], da_next[now], dc_next[now]
        f, i, o, cc = s[:, :n_a], s[:, n_a : 2 * n_a], s[:, 2 * n_a :], G[now, 3 * n_a :]
        dh += carried_a  # da⟨t⟩ = da_{←ŷ}⟨t⟩ + da_{←t+1}⟨t⟩
        np.multiply(AX[after, :n_a], tc, out=work)  # a⟨t⟩ ⊙ tanh c = Γ_o ⊙ tanh²c
        np.subtract(o, work, out=work)  # Γ_o ⊙ (1 − tanh²c)
        work *= dh
        work += dc_share  # dc⟨t⟩ = dc_{←t+1}⟨t⟩ + da ⊙ Γ_o ⊙ (1 − tanh²c)
        np.multiply(dh, tc, out=do)  # dΓ_o
        np.multiply(work, C[now], out=df)  # dΓ_f = dc ⊙ c⟨t−1⟩
        np.multiply(work, cc, out=di)  # dΓ_u = dc ⊙ c̃
        np.multiply(work, i, out=dcc)  # dc̃ = dc ⊙ Γ_u
        if t:
            np.multiply(work, f, out=dc_next[now.start - m : now.start])  # dc_{←t}⟨t−1⟩ = dc ⊙ Γ_f
        d *= raw  # through the four activations at once
        np.matmul(d, Wa_q, out=carried_a)  # da_{←t}⟨t−1⟩ from all four gates: one GEMM
    dWb = dG.T @ AX[: T * m]  # [dW | db] = Σ_t dz⟨t⟩ [a⟨t−1⟩; x⟨t⟩; 1]^T: one GEMM over all steps
    dWb *= quarter
    dX = dG @ Wx_q  # every dx: one GEMM
    return dX, np.ascontiguousarray(carried_a.T), dWb[:, :-1], dWb[:, -1:], da_next, dc_next


def lstm_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """:func:`rnnlstm.lstm_loss`, fast: same arguments, same ``(J, gradients)``."""
    dims = check_loss_inputs(x, y, a0, parameters, _lstm.PARAMETER_SHAPES, mask)
    m = dims["m"]
    A, _, caches = _lstm_forward(x, a0, parameters, _scratch)  # the caches do not leave the call
    J, dWy, dby, da = _output_layer(A[m:], y, parameters["Wy"], parameters["by"], m, mask)
    grads = _lstm_gradients(*_lstm_backward(da, caches), m)
    return J, {**grads, "dWy": dWy, "dby": dby}
