"""Backpropagation through time, one loop for every cell: from the last step to the first, each
step's cell gets all of da⟨t⟩ (the share from outside the recurrence plus the share from step
t+1) and, for the other states it carries (the LSTM's c), their shares from step t+1; its
parameters' gradients are summed over the steps.

:mod:`.rnn`, :mod:`.lstm`, :mod:`.gru` and every layer of a stack (:mod:`.deep`) run it with
their own cell's backward step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._typing import Array, Gradients


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
    parameters : sequence of str
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
