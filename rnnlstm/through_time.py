"""The loops over the steps, one each way, for every cell.

Forward, from the first step to the last: each step's cell reads the input at that step and the
states that the step before left. Backpropagation through time, from the last step to the first:
each step's cell gets all of da⟨t⟩ (the share from outside the recurrence plus the share from
step t+1) and, for the other states it carries (the LSTM's c), their shares from step t+1; its
parameters' gradients are summed over the steps.

:mod:`.rnn`, :mod:`.lstm`, :mod:`.gru`, every layer of a stack (:mod:`.deep`) and both layers of a
bidirectional network (:mod:`.bidirectional`) run the backward loop with their own cell's backward
step; the stacks and the bidirectional layers run the forward loop too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._typing import Array, Gradients, Parameters


def forward_through_time(
    inputs: Array,
    a0: Array,
    parameters: Parameters,
    cell_forward: Callable[..., tuple[Any, ...]],
    states: Sequence[str],
    dtype: np.dtype[Any],
    start: Sequence[Array] | None = None,
) -> tuple[Array, list[Any], list[Array]]:
    """Run ``cell_forward`` from step 1 to step T_x, every state but a starting at 0 (c⟨0⟩ = 0)
    unless ``start`` gives them all.

    Parameters
    ----------
    inputs : ndarray, shape (n_x, m, T_x)
        What the cells read at each step (x, the layer below's a, or x reversed in time).
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        The cell's parameters, without an output layer.
    cell_forward : callable
        ``cell_forward(xt, *states⟨t−1⟩, parameters) -> (*states⟨t⟩, cache)``.
    states : sequence of str
        The states carried from step to step, ``"a"`` first.
    dtype : numpy dtype
        Of the hidden states returned.
    start : sequence of ndarrays, shape (n_a, m), optional
        Every state at step 0, in the order of ``states`` (a chunk of a longer sequence starts
        where the one before ended); ``a0`` is then ``start[0]``.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        a⟨1⟩ … a⟨T_x⟩.
    cell_caches : list of T_x cell caches
        For :func:`backward_through_time`.
    carried : list of ndarrays, shape (n_a, m)
        Every state after step T_x, in the order of ``states``.
    """
    a = np.empty((*a0.shape, inputs.shape[2]), dtype)
    carried = list(start) if start is not None else [a0, *(np.zeros_like(a0, dtype=dtype) for _ in states[1:])]
    cell_caches = []
    for t in range(inputs.shape[2]):
        *carried, cache = cell_forward(inputs[:, :, t], *carried, parameters)
        a[:, :, t] = carried[0]
        cell_caches.append(cache)
    return a, cell_caches, carried


def backward_through_time(
    da: Array,
    cell_caches: Sequence[Any],
    inputs: Array,
    cell_backward: Callable[..., Gradients],
    states: Sequence[str],
    parameters: Iterable[str],
) -> Gradients:
    """Run ``cell_backward`` from step T_x down to step 1.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence (the prediction's, or the layer above's).
    cell_caches : list of T_x cell caches
        Each ending with the parameters.
    inputs : ndarray, shape (n_x, m, T_x)
        What the cells read at each step (x, or the layer below's a).
    cell_backward : callable
        ``cell_backward(da⟨t⟩, *shares of the other states from step t+1, cache)``, returning
        ``dxt``, ``d`` + each parameter and ``d`` + each state + ``_prev``.
    states : sequence of str
        The states carried from step to step, ``"a"`` first.
    parameters : iterable of str
        The keys of the parameters whose gradients are summed.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``d`` + each parameter (its shape), ``da_next``
        (n_a, m, T_x): all of every da⟨t⟩; and for each other state s, ``d{s}_next``
        (n_a, m, T_x): its share from step t+1, d{s}_{←t+1}⟨t⟩.
    """
    p = cell_caches[0][-1]  # every cell cache ends with the parameters
    grads = {"d" + k: np.zeros_like(p[k]) for k in parameters}
    dx = np.empty_like(inputs, dtype=np.result_type(inputs, da))
    nexts = {f"d{s}_next": np.empty_like(da) for s in states}
    carried = [np.zeros_like(da[:, :, 0]) for _ in states]  # from step t+1; nothing comes from beyond T_x
    for t in reversed(range(da.shape[2])):
        da_next = da[:, :, t] + carried[0]  # da⟨t⟩ = the share from outside + da_{←t+1}⟨t⟩
        received = (da_next, *carried[1:])  # and the other states' shares, the LSTM's dc_{←t+1}⟨t⟩
        for s, d in zip(states, received):
            nexts[f"d{s}_next"][:, :, t] = d
        g = cell_backward(*received, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        for k in grads:
            grads[k] += g[k]
        carried = [g[f"d{s}_prev"] for s in states]  # step t's shares of the states at t−1
    return {"dx": dx, "da0": carried[0], **grads, **nexts}
