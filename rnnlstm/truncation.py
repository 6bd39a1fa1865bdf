"""Truncated backpropagation through time: a long sequence in chunks of k steps.

The forward pass runs over the whole sequence, each chunk starting from the states the one before
ended with, so the loss is the full loss. The backward pass runs inside each chunk only: what would
flow from a chunk's first step into the states it started from is dropped, as if those states were
inputs, not results of the steps before. The gradient is then exactly the gradient of that
truncated graph, and with k ≥ T_x the full gradient.
"""

from __future__ import annotations

import numpy as np

from ._typing import Array, Gradients, Parameters
from ._validate import check_loss_inputs
from .cells import CELLS
from .output import output_layer
from .through_time import backward_through_time, forward_through_time


def truncated_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, cell: str, k: int, mask: Array | None = None
) -> tuple[float, Gradients]:
    """The loss of a single-layer network and its gradients by backpropagation through chunks of k steps.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As the cell's loss takes them (:func:`rnnlstm.rnn_loss`, :func:`rnnlstm.lstm_loss`, ...).
    cell : {"rnn", "lstm", "gru", ...}
        A key of :data:`rnnlstm.cells.CELLS`.
    k : int
        The chunk's length, at least 1: steps 1…k, k+1…2k, ... (the last chunk may be shorter).
    mask : ndarray, shape (m, T_x), optional
        As for :func:`rnnlstm.rnn_loss`.

    Returns
    -------
    J : float
        The full loss (truncation changes only the backward pass).
    gradients : dict
        ``d`` + each parameter (summed over the chunks), ``dx`` (n_x, m, T_x), and ``da0``
        (n_a, m), which only the first chunk reaches.
    """
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(map(repr, CELLS))}, got {cell!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    definition = CELLS[cell]
    output = definition.output
    dims = check_loss_inputs(x, y, a0, parameters, definition.network, mask)
    cell_parameters = {key: parameters[key] for key in definition.parameters}
    dtype = np.result_type(x, a0, *parameters.values())
    grads = {"d" + key: np.zeros_like(value) for key, value in parameters.items()}
    dx = np.empty_like(x, dtype=dtype)
    J, carried, da0 = 0.0, None, np.zeros_like(a0, dtype=dtype)
    for first in range(0, dims["T_x"], k):
        steps = slice(first, first + k)
        a, caches, carried = forward_through_time(
            x[:, :, steps], a0, cell_parameters, definition.forward, definition.states, dtype, start=carried
        )
        J_chunk, _, dWy, dby, da_y = output_layer(
            a, y[:, :, steps], parameters[output], parameters["by"], None if mask is None else mask[:, steps]
        )
        g = backward_through_time(
            da_y, caches, x[:, :, steps], definition.backward, definition.states, definition.parameters
        )  # starts from nothing at the chunk's last step: the gradient stops at the border
        J += J_chunk
        dx[:, :, steps] = g["dx"]
        for key in definition.parameters:
            grads["d" + key] += g["d" + key]
        grads["d" + output] += dWy
        grads["dby"] += dby
        if first == 0:
            da0 = g["da0"]  # a⟨0⟩ reaches only the first chunk
    return J, {**grads, "dx": dx, "da0": da0}
