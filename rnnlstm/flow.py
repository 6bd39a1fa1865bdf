"""Gradient flow, measured: the Jacobians of the recurrence on a forward pass, their products over
several steps, and each step's term of a parameter's gradient.

A cell's step maps the state it receives to the state it hands on: s⟨t⟩ is a⟨t⟩ for the RNN, c⟨t⟩
(= a⟨t⟩) for the GRU and the pair (a⟨t⟩; c⟨t⟩), 2n_a entries, for the LSTM. For example i,
∂s⟨t⟩/∂s⟨t−1⟩ is the matrix of ∂s_j⟨t⟩/∂s_k⟨t−1⟩, computed from the forward caches by the
formulas :mod:`derivations.flow` derives; what flows back from step T_x to step t is the transpose
of their product ∂s⟨T_x⟩/∂s⟨t⟩ times the gradient at T_x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._typing import Array, Cell, Gradients
from ._validate import Dimensions, cache_entry, check_backward
from .cells import CELLS
from .through_time import backward_through_time

CACHE_LENGTH = {"rnn": 4, "lstm": 10, "gru": 7}  # of a cell cache


def _diag_times(v: Array, M: Array) -> Array:
    """diag(v) M without forming diag(v): v (n,), M (n, k)."""
    return v[:, None] * M


def _rnn_step(cache: tuple[Any, ...], i: int) -> Array:
    a_next, _, _, p = cache
    return _diag_times(1 - a_next[:, i] ** 2, p["Waa"])


def _lstm_step(cache: tuple[Any, ...], i: int) -> Array:
    _, c_next, a_prev, c_prev, ft, it, cct, ot, _, p = (v[:, i] if isinstance(v, np.ndarray) else v for v in cache)
    n_a = a_prev.shape[0]
    W = {k: p[k][:, :n_a] for k in ("Wf", "Wi", "Wc", "Wo")}  # the columns that multiply a⟨t−1⟩
    tanh_c = np.tanh(c_next)
    dc_dc = np.diag(ft)
    dc_da = (_diag_times(ft * (1 - ft) * c_prev, W["Wf"]) + _diag_times(it * (1 - it) * cct, W["Wi"])
             + _diag_times(it * (1 - cct**2), W["Wc"]))  # fmt: skip
    through_c = ot * (1 - tanh_c**2)
    da_dc = _diag_times(through_c, dc_dc)
    da_da = _diag_times(ot * (1 - ot) * tanh_c, W["Wo"]) + _diag_times(through_c, dc_da)
    return np.block([[da_da, da_dc], [dc_da, dc_dc]])


def _gru_step(cache: tuple[Any, ...], i: int) -> Array:
    _, c_prev, ut, rt, cct, _, p = (v[:, i] if isinstance(v, np.ndarray) else v for v in cache)
    n_a = c_prev.shape[0]
    W = {k: p[k][:, :n_a] for k in ("Wu", "Wr", "Wc")}
    reset = np.diag(rt) + _diag_times(rt * (1 - rt) * c_prev, W["Wr"])
    return (np.diag(1 - ut) + _diag_times(ut * (1 - ut) * (cct - c_prev), W["Wu"])
            + _diag_times(ut * (1 - cct**2), W["Wc"]) @ reset)  # fmt: skip


STEP: dict[str, Callable[[tuple[Any, ...], int], Array]] = {"rnn": _rnn_step, "lstm": _lstm_step, "gru": _gru_step}


def _cell_caches(cell: object, caches: object) -> tuple[list[Any], Array]:
    """The cell caches and x of a forward pass of ``cell``, checked as the backward functions check them."""
    if cell not in STEP:
        raise ValueError(f"cell must be one of {', '.join(STEP)}, got {cell!r}")
    producer, length = f"{cell}_forward", CACHE_LENGTH[str(cell)]
    cell_caches, x = cache_entry(caches, 2, producer)
    if not isinstance(cell_caches, list) or not all(isinstance(c, tuple) and len(c) == length for c in cell_caches):
        raise TypeError(f"expected the caches returned by {producer}: a list of cell caches (tuples of {length}) and x")
    x = Dimensions().check("caches[1] (x)", x, "n_x m T_x")
    if len(cell_caches) != x.shape[2]:
        raise ValueError(f"caches hold {len(cell_caches)} cell caches for x with T_x = {x.shape[2]}")
    return cell_caches, x


def step_jacobians(cell: Cell, caches: Any, i: int = 0) -> Array:
    """The Jacobian of every step of a forward pass, for one example.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    caches : tuple
        From :func:`rnnlstm.rnn_forward`, :func:`rnnlstm.lstm_forward` or :func:`rnnlstm.gru_forward`.
    i : int
        The example, 0 ≤ i < m.

    Returns
    -------
    ndarray, shape (T_x, n, n)
        Entry t − 1 is ∂s⟨t⟩/∂s⟨t−1⟩ for t = 1 … T_x, with s = a and n = n_a for the RNN, s = c and
        n = n_a for the GRU, s = (a; c) and n = 2 n_a for the LSTM: its block [:n_a, :n_a] is
        ∂a⟨t⟩/∂a⟨t−1⟩ (c⟨t−1⟩ held), [:n_a, n_a:] ∂a⟨t⟩/∂c⟨t−1⟩, [n_a:, :n_a] ∂c⟨t⟩/∂a⟨t−1⟩ and
        [n_a:, n_a:] ∂c⟨t⟩/∂c⟨t−1⟩.
    """
    cell_caches, x = _cell_caches(cell, caches)
    m = x.shape[1]
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"i must be an int, got {type(i).__name__}")
    if not 0 <= i < m:
        raise ValueError(f"i must be an example, 0 ≤ i < m = {m}, got {i}")
    return np.stack([STEP[cell](cache, int(i)) for cache in cell_caches])


def lag_jacobians(jacobians: Array) -> Array:
    """∂s⟨T_x⟩/∂s⟨T_x − k⟩ for every lag k = 0 … T_x: the products of the step Jacobians.

    Parameters
    ----------
    jacobians : ndarray, shape (T_x, n, n)
        From :func:`step_jacobians`.

    Returns
    -------
    ndarray, shape (T_x + 1, n, n)
        Entry k is J⟨T_x⟩ J⟨T_x−1⟩ … J⟨T_x−k+1⟩ (the identity at k = 0), J⟨t⟩ = ∂s⟨t⟩/∂s⟨t−1⟩.
    """
    if not isinstance(jacobians, np.ndarray):
        raise TypeError(f"jacobians must be a numpy array of shape (T_x, n, n), got {type(jacobians).__name__}")
    if jacobians.ndim != 3 or jacobians.shape[1] != jacobians.shape[2] or 0 in jacobians.shape:
        raise ValueError(f"jacobians must have shape (T_x, n, n), got {jacobians.shape}")
    products = [np.eye(jacobians.shape[1], dtype=jacobians.dtype)]
    for J in jacobians[::-1]:
        products.append(products[-1] @ J)
    return np.stack(products)


def step_gradients(cell: Cell, da: Array, caches: Any, key: str) -> Array:
    """Each step's term dW⟨t⟩ of one parameter's gradient dW = Σ_t dW⟨t⟩, through time.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence, as :func:`rnnlstm.rnn_backward` takes it.
    caches : tuple
        From the cell's forward function.
    key : str
        A parameter of the cell without its output layer: ``Waa``, ``Wax``, ``ba`` (RNN), ``Wf`` …
        ``bo`` (LSTM), ``Wu`` … ``bc`` (GRU).

    Returns
    -------
    ndarray, shape (T_x, *shape of the parameter)
        Entry t − 1 is dW⟨t⟩, the gradient of the copy of W that step t uses.
    """
    _cell_caches(cell, caches)
    cell_caches, x = check_backward(da, caches, f"{cell}_forward", CACHE_LENGTH[cell])
    definition = CELLS[cell]
    if key not in definition.parameters:
        raise ValueError(f"key must be one of {', '.join(definition.parameters)} for the {cell}, got {key!r}")
    terms: list[Array] = []

    def recording(*args: Any) -> Gradients:
        g = definition.backward(*args)
        terms.append(g["d" + key])
        return g

    backward_through_time(da, cell_caches, x, recording, definition.states, ())
    return np.stack(terms[::-1])

