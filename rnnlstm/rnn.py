"""The vanilla RNN: forward, backward through one cell, backpropagation through time, the loss.

The mirror of :mod:`derivations.rnn`; each line of a backward pass is one derived equation, with
the same name. Shapes follow the course: ``x`` is (n_x, m, T_x), hidden states are (n_a, m) per
step and (n_a, m, T_x) for the sequence.
"""

from __future__ import annotations

import numpy as np

from ._typing import Array, Gradients, Parameters, RNNCaches, RNNCellCache
from ._validate import Dimensions, cache_entry, check_backward, check_loss_inputs, check_parameters
from .activations import softmax
from .output import output_layer
from .through_time import backward_through_time

PARAMETER_SHAPES = {"Wax": "n_a n_x", "Waa": "n_a n_a", "Wya": "n_y n_a", "ba": "n_a 1", "by": "n_y 1"}
STATES = ("a",)  # carried from step to step
CELL_PARAMETERS = ("Wax", "Waa", "ba")  # without the output layer


def rnn_cell_forward(xt: Array, a_prev: Array, parameters: Parameters) -> tuple[Array, Array, RNNCellCache]:
    """One step: a⟨t⟩ = tanh(W_aa a⟨t−1⟩ + W_ax x⟨t⟩ + b_a), ŷ⟨t⟩ = softmax(W_ya a⟨t⟩ + b_y).

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
        The input at step t, one column per example.
    a_prev : ndarray, shape (n_a, m)
        The hidden state a⟨t−1⟩.
    parameters : dict
        ``Wax`` (n_a, n_x), ``Waa`` (n_a, n_a), ``Wya`` (n_y, n_a), ``ba`` (n_a, 1), ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
    yt_pred : ndarray, shape (n_y, m)
        Each column sums to 1.
    cache : tuple
        ``(a_next, a_prev, xt, parameters)`` for :func:`rnn_cell_backward`.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("xt", xt, "n_x m")
    dims.check("a_prev", a_prev, "n_a m")
    return _cell_forward(xt, a_prev, parameters)


def _cell_forward(xt: Array, a_prev: Array, p: Parameters) -> tuple[Array, Array, RNNCellCache]:
    a_next, cache = _recurrent_step(xt, a_prev, p)
    zy = p["Wya"] @ a_next + p["by"]
    yt_pred = softmax(zy)
    return a_next, yt_pred, cache


def _recurrent_step(xt: Array, a_prev: Array, p: Parameters) -> tuple[Array, RNNCellCache]:
    """The cell without its output layer: a⟨t⟩ and the cache (a layer of a stack, :mod:`.cells`)."""
    z = p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"]
    a_next = np.tanh(z)
    return a_next, (a_next, a_prev, xt, p)


def rnn_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, RNNCaches]:
    """The forward pass over T_x steps.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
        The initial hidden state a⟨0⟩.
    parameters : dict
        As for :func:`rnn_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        a⟨1⟩ … a⟨T_x⟩.
    y_pred : ndarray, shape (n_y, m, T_x)
    caches : tuple
        ``(list of T_x cell caches, x)`` for :func:`rnn_backward`.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    return _forward(x, a0, parameters, dims)


def _forward(x: Array, a0: Array, parameters: Parameters, dims: Dimensions) -> tuple[Array, Array, RNNCaches]:
    n_a, n_y, m, T_x = dims["n_a"], dims["n_y"], dims["m"], dims["T_x"]
    dtype = np.result_type(x, a0, *parameters.values())
    a = np.empty((n_a, m, T_x), dtype)
    y_pred = np.empty((n_y, m, T_x), dtype)
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = _cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next: Array, cache: RNNCellCache) -> Gradients:
    """Gradients through one cell, given da⟨t⟩ = ∂J/∂a⟨t⟩ from above.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
    cache : tuple
        From :func:`rnn_cell_forward`.

    Returns
    -------
    dict
        The course's ``dxt`` (n_x, m), ``da_prev`` (n_a, m) — this step's share of ∂J/∂a⟨t−1⟩,
        da_{←t}⟨t−1⟩ — ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a), ``dba`` (n_a, 1) (this step's
        contributions), and the intermediate
        ``tanh_prime`` and ``dz`` (n_a, m): every result of ``derivations.rnn.CELL``, by its name.
    """
    dims = Dimensions()
    dims.check("cache[0] (a_next)", cache_entry(cache, 4, "rnn_cell_forward")[0], "n_a m")
    dims.check("da_next", da_next, "n_a m")
    return _cell_backward(da_next, cache)


def _cell_backward(da_next: Array, cache: RNNCellCache) -> Gradients:
    a_next = cache[0]
    tanh_prime = 1 - a_next**2
    dz = da_next * tanh_prime
    return {"tanh_prime": tanh_prime, "dz": dz, **_linear_backward(dz, cache)}


def _linear_backward(dz: Array, cache: RNNCellCache) -> Gradients:
    """Through the linear map z⟨t⟩ = W_aa a⟨t−1⟩ + W_ax x⟨t⟩ + b_a, given dz⟨t⟩."""
    _, a_prev, xt, p = cache
    return {
        "dxt": p["Wax"].T @ dz,
        "da_prev": p["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def rnn_backward(da: Array, caches: RNNCaches) -> Gradients:
    """Backpropagation through time, given the gradient every a⟨t⟩ receives from outside.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence, e.g. the prediction's
        da_{←ŷ}⟨t⟩ = W_yaᵀ dz_y⟨t⟩; the recurrence adds step t+1's share.
    caches : tuple
        From :func:`rnn_forward`; ``da`` must have as many steps.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWax`` (n_a, n_x), ``dWaa`` (n_a, n_a),
        ``dba`` (n_a, 1), and ``da_next`` (n_a, m, T_x): the total gradient of every a⟨t⟩, the
        sum that the recursion carries back.
    """
    cell_caches, x = check_backward(da, caches, "rnn_forward", 4)
    return _backward(da, cell_caches, x)


def _backward(da: Array, cell_caches: list[RNNCellCache], x: Array) -> Gradients:
    return backward_through_time(da, cell_caches, x, _cell_backward, STATES, CELL_PARAMETERS)


def rnn_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ and all its gradients.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`rnn_cell_forward`.

    mask : ndarray, shape (m, T_x), optional
        1 where a step of an example counts in J, 0 where it does not (padding after a shorter
        sequence's end): J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ, and a masked column of ``y`` may be
        all zero. ``None`` counts every step.
    Returns
    -------
    J : float
    gradients : dict
        ``dWax, dWaa, dWya, dba, dby`` (the parameters' shapes), ``dx`` (n_x, m, T_x), ``da0``
        (n_a, m), and ``da_next`` (n_a, m, T_x) as for :func:`rnn_backward`.
    """
    dims = check_loss_inputs(x, y, a0, parameters, PARAMETER_SHAPES, mask)
    a, _, caches = _forward(x, a0, parameters, dims)
    J, _, dWya, dby, da_y = output_layer(a, y, parameters["Wya"], parameters["by"], mask)
    return J, {**_backward(da_y, caches[0], x), "dWya": dWya, "dby": dby}
