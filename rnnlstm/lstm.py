"""The LSTM: forward, backward through one cell, backpropagation through time, the loss.

The mirror of :mod:`derivations.lstm`; each line of a backward pass is one derived equation, with
the same name. The course's code names are kept: the update gate Γ_u is ``it`` with weight
``Wi``, the candidate c̃ is ``cct``. Gate weights are (n_a, n_a + n_x) and act on
concat = [a⟨t−1⟩; x⟨t⟩]; c⟨0⟩ = 0.
"""

from __future__ import annotations

import numpy as np

from ._typing import Array, Gradients, LSTMCaches, LSTMCellCache, Parameters
from ._validate import Dimensions, cache_entry, check_backward, check_loss_inputs, check_parameters
from .activations import sigmoid, softmax
from .output import output_layer
from .through_time import backward_through_time

GATE_WEIGHTS = ("Wf", "Wi", "Wc", "Wo")
PARAMETER_SHAPES = {
    **{k: s for w in GATE_WEIGHTS for k, s in ((w, "n_a n_a+n_x"), ("b" + w[1], "n_a 1"))},
    "Wy": "n_y n_a",
    "by": "n_y 1",
}
STATES = ("a", "c")  # carried from step to step
CELL_PARAMETERS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")  # without the output layer


def lstm_cell_forward(
    xt: Array, a_prev: Array, c_prev: Array, parameters: Parameters
) -> tuple[Array, Array, Array, LSTMCellCache]:
    """One LSTM step.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev : ndarray, shape (n_a, m)
    c_prev : ndarray, shape (n_a, m)
    parameters : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), ``bf, bi, bc, bo`` (n_a, 1), ``Wy`` (n_y, n_a),
        ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
    c_next : ndarray, shape (n_a, m)
    yt_pred : ndarray, shape (n_y, m)
    cache : tuple
        ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("xt", xt, "n_x m")
    dims.check("a_prev", a_prev, "n_a m")
    dims.check("c_prev", c_prev, "n_a m")
    return _cell_forward(xt, a_prev, c_prev, parameters)


def _cell_forward(xt: Array, a_prev: Array, c_prev: Array, p: Parameters) -> tuple[Array, Array, Array, LSTMCellCache]:
    a_next, c_next, cache = _recurrent_step(xt, a_prev, c_prev, p)
    zy = p["Wy"] @ a_next + p["by"]
    yt_pred = softmax(zy)
    return a_next, c_next, yt_pred, cache


def _recurrent_step(xt: Array, a_prev: Array, c_prev: Array, p: Parameters) -> tuple[Array, Array, LSTMCellCache]:
    """The cell without its output layer: a⟨t⟩, c⟨t⟩ and the cache (a layer of a stack, :mod:`.cells`)."""
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    return a_next, c_next, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def lstm_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, Array, LSTMCaches]:
    """The forward pass over T_x steps, from c⟨0⟩ = 0.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`lstm_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        The predictions ŷ⟨t⟩ (the course calls them ``y``).
    c : ndarray, shape (n_a, m, T_x)
    caches : tuple
        ``(list of T_x cell caches, x)`` for :func:`lstm_backward`.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    return _forward(x, a0, parameters, dims)


def _forward(x: Array, a0: Array, parameters: Parameters, dims: Dimensions) -> tuple[Array, Array, Array, LSTMCaches]:
    n_a, n_y, m, T_x = dims["n_a"], dims["n_y"], dims["m"], dims["T_x"]
    dtype = np.result_type(x, a0, *parameters.values())
    a, c = np.empty((n_a, m, T_x), dtype), np.empty((n_a, m, T_x), dtype)
    y = np.empty((n_y, m, T_x), dtype)
    caches = []
    a_next, c_next = a0, np.zeros_like(a0, dtype=dtype)
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = _cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next: Array, dc_next: Array, cache: LSTMCellCache) -> Gradients:
    """Gradients through one cell, given all of da⟨t⟩ and c⟨t⟩'s share from step t+1.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        da⟨t⟩ = ∂J/∂a⟨t⟩, the prediction's share and step t+1's together.
    dc_next : ndarray, shape (n_a, m)
        dc_{←t+1}⟨t⟩, the share of ∂J/∂c⟨t⟩ that comes from step t+1 (zeros after the last
        step); the cell adds the share through a⟨t⟩.
    cache : tuple
        From :func:`lstm_cell_forward`.

    Returns
    -------
    dict
        The course's ``dxt`` (n_x, m), ``da_prev`` (n_a, m) and ``dc_prev`` (n_a, m) — this step's
        shares da_{←t}⟨t−1⟩ and dc_{←t}⟨t−1⟩ — this step's ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x)
        and ``dbf, dbi, dbc, dbo`` (n_a, 1); and the intermediates, each (n_a, m) but ``dconcat``
        (n_a + n_x, m): ``dc`` (all of dc⟨t⟩), ``dGamma_f, dGamma_u, dc_tilde, dGamma_o`` (of
        the gate values Γ_f, Γ_u, c̃, Γ_o), ``dzf, dzi, dzc, dzo`` (of the pre-activations: the
        course's notebooks call these ``dft, dit, dcct, dot``), ``sigma_prime`` = Γ_f ⊙ (1 − Γ_f)
        and ``tanh_prime`` = 1 − c̃²: every result of ``derivations.lstm.CELL``, by its name.
    """
    dims = Dimensions()
    dims.check("cache[0] (a_next)", cache_entry(cache, 10, "lstm_cell_forward")[0], "n_a m")
    dims.check("da_next", da_next, "n_a m")
    dims.check("dc_next", dc_next, "n_a m")
    return _cell_backward(da_next, dc_next, cache)


def _cell_backward(da_next: Array, dc_next: Array, cache: LSTMCellCache) -> Gradients:
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    tanh_c = np.tanh(c_next)
    dGamma_o = da_next * tanh_c
    dc = dc_next + da_next * ot * (1 - tanh_c**2)
    dc_tilde = dc * it
    dGamma_u = dc * cct
    dGamma_f = dc * c_prev
    dc_prev = dc * ft
    sigma_prime = ft * (1 - ft)  # σ'(z_f) in terms of Γ_f
    tanh_prime = 1 - cct**2  # tanh'(z_c) in terms of c̃
    g = {"sigma_prime": sigma_prime, "tanh_prime": tanh_prime, "dGamma_o": dGamma_o, "dc": dc,
         "dc_tilde": dc_tilde, "dGamma_u": dGamma_u, "dGamma_f": dGamma_f, "dc_prev": dc_prev,
         "dzf": dGamma_f * sigma_prime, "dzi": dGamma_u * it * (1 - it), "dzc": dc_tilde * tanh_prime,
         "dzo": dGamma_o * ot * (1 - ot)}  # fmt: skip
    return {**g, **_linear_backward(g, cache)}


def _linear_backward(dz: Gradients, cache: LSTMCellCache) -> Gradients:
    """Through the four linear maps z_g = W_g concat + b_g, given ``dz["dzf"]``, ... ``dz["dzo"]``."""
    a_prev, xt, p = cache[2], cache[8], cache[9]
    n_a = a_prev.shape[0]
    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = p["Wf"].T @ dz["dzf"] + p["Wi"].T @ dz["dzi"] + p["Wc"].T @ dz["dzc"] + p["Wo"].T @ dz["dzo"]
    grads: Gradients = {"dconcat": dconcat, "da_prev": dconcat[:n_a], "dxt": dconcat[n_a:]}
    for gate in "fico":
        grads["dW" + gate] = dz["dz" + gate] @ concat.T
        grads["db" + gate] = dz["dz" + gate].sum(axis=1, keepdims=True)
    return grads


def lstm_backward(da: Array, caches: LSTMCaches) -> Gradients:
    """Backpropagation through time, carrying both da and dc back one step at a time.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence, e.g. the prediction's
        da_{←ŷ}⟨t⟩ = W_yᵀ dz_y⟨t⟩; must have as many steps as ``caches``.
    caches : tuple
        From :func:`lstm_forward`.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWf, dWi, dWc, dWo`` (n_a, n_a + n_x),
        ``dbf, dbi, dbc, dbo`` (n_a, 1), and what the recursion hands each cell, both
        (n_a, m, T_x): ``da_next``, all of da⟨t⟩, and ``dc_next``, c⟨t⟩'s share from step t+1,
        dc_{←t+1}⟨t⟩.
    """
    cell_caches, x = check_backward(da, caches, "lstm_forward", 10)
    return _backward(da, cell_caches, x)


def _backward(da: Array, cell_caches: list[LSTMCellCache], x: Array) -> Gradients:
    return backward_through_time(da, cell_caches, x, _cell_backward, STATES, CELL_PARAMETERS)


def lstm_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ of the LSTM and all its gradients.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`lstm_cell_forward`.

    mask : ndarray, shape (m, T_x), optional
        1 where a step of an example counts in J, 0 where it does not (padding after a shorter
        sequence's end): J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ, and a masked column of ``y`` may be
        all zero. ``None`` counts every step.
    Returns
    -------
    J : float
    gradients : dict
        ``dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo, dWy, dby`` (the parameters' shapes),
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), and ``da_next``, ``dc_next`` (n_a, m, T_x) as
        for :func:`lstm_backward`.
    """
    dims = check_loss_inputs(x, y, a0, parameters, PARAMETER_SHAPES, mask)
    a, _, _, caches = _forward(x, a0, parameters, dims)
    J, _, dWy, dby, da_y = output_layer(a, y, parameters["Wy"], parameters["by"], mask)
    return J, {**_backward(da_y, caches[0], x), "dWy": dWy, "dby": dby}
