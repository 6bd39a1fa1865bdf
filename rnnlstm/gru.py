"""The GRU: forward, backward through one cell, backpropagation through time, the loss.

The mirror of :mod:`derivations.gru`; each line of a backward pass is one derived equation, with
the same name. The course's full GRU has one state, the memory cell c⟨t⟩, which is also the
hidden state: a⟨t⟩ = c⟨t⟩. The functions keep the names the RNN and the LSTM give the state
(``a_prev``, ``a0``, ``da_next``, ``da_prev``); inside, it is ``c``, as in the equations. The gate
weights are (n_a, n_a + n_x): ``Wu`` and ``Wr`` act on [c⟨t−1⟩; x⟨t⟩], ``Wc`` on
[Γ_r ⊙ c⟨t−1⟩; x⟨t⟩].
"""

from __future__ import annotations

import numpy as np

from ._typing import Array, Gradients, GRUCaches, GRUCellCache, Parameters
from ._validate import Dimensions, cache_entry, check_backward, check_loss_inputs, check_parameters
from .activations import sigmoid, softmax
from .output import output_layer
from .through_time import backward_through_time

GATE_WEIGHTS = ("Wu", "Wr", "Wc")
PARAMETER_SHAPES = {
    **{k: s for w in GATE_WEIGHTS for k, s in ((w, "n_a n_a+n_x"), ("b" + w[1], "n_a 1"))},
    "Wy": "n_y n_a",
    "by": "n_y 1",
}
STATES = ("a",)  # carried from step to step
CELL_PARAMETERS = ("Wu", "bu", "Wr", "br", "Wc", "bc")  # without the output layer


def gru_cell_forward(xt: Array, a_prev: Array, parameters: Parameters) -> tuple[Array, Array, GRUCellCache]:
    """One GRU step.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev : ndarray, shape (n_a, m)
        The state a⟨t−1⟩ = c⟨t−1⟩.
    parameters : dict
        ``Wu, Wr, Wc`` (n_a, n_a + n_x), ``bu, br, bc`` (n_a, 1), ``Wy`` (n_y, n_a), ``by`` (n_y, 1).

    Returns
    -------
    a_next : ndarray, shape (n_a, m)
        The state a⟨t⟩ = c⟨t⟩.
    yt_pred : ndarray, shape (n_y, m)
    cache : tuple
        ``(a_next, a_prev, ut, rt, cct, xt, parameters)``: the gates Γ_u, Γ_r and the candidate c̃.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("xt", xt, "n_x m")
    dims.check("a_prev", a_prev, "n_a m")
    return _cell_forward(xt, a_prev, parameters)


def _cell_forward(xt: Array, c_prev: Array, p: Parameters) -> tuple[Array, Array, GRUCellCache]:
    a_next, cache = _recurrent_step(xt, c_prev, p)
    zy = p["Wy"] @ a_next + p["by"]
    yt_pred = softmax(zy)
    return a_next, yt_pred, cache


def _recurrent_step(xt: Array, c_prev: Array, p: Parameters) -> tuple[Array, GRUCellCache]:
    """The cell without its output layer: a⟨t⟩ = c⟨t⟩ and the cache (a layer of a stack, :mod:`.cells`)."""
    concat = np.concatenate([c_prev, xt], axis=0)
    ut = sigmoid(p["Wu"] @ concat + p["bu"])
    rt = sigmoid(p["Wr"] @ concat + p["br"])
    concat_r = np.concatenate([rt * c_prev, xt], axis=0)
    cct = np.tanh(p["Wc"] @ concat_r + p["bc"])
    c_next = ut * cct + (1 - ut) * c_prev
    a_next = c_next
    return a_next, (a_next, c_prev, ut, rt, cct, xt, p)


def gru_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, GRUCaches]:
    """The forward pass over T_x steps, from c⟨0⟩ = a⟨0⟩.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`gru_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        The states a⟨t⟩ = c⟨t⟩.
    y : ndarray, shape (n_y, m, T_x)
        The predictions ŷ⟨t⟩.
    caches : tuple
        ``(list of T_x cell caches, x)`` for :func:`gru_backward`.
    """
    dims = Dimensions()
    check_parameters(parameters, PARAMETER_SHAPES, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("a0", a0, "n_a m")
    return _forward(x, a0, parameters, dims)


def _forward(x: Array, a0: Array, parameters: Parameters, dims: Dimensions) -> tuple[Array, Array, GRUCaches]:
    n_a, n_y, m, T_x = dims["n_a"], dims["n_y"], dims["m"], dims["T_x"]
    dtype = np.result_type(x, a0, *parameters.values())
    a, y = np.empty((n_a, m, T_x), dtype), np.empty((n_y, m, T_x), dtype)
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, y[:, :, t], cache = _cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y, (caches, x)


def gru_cell_backward(da_next: Array, cache: GRUCellCache) -> Gradients:
    """Gradients through one cell, given all of the state's gradient.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        All of ∂J/∂a⟨t⟩ = dc⟨t⟩: the prediction's share and step t+1's together.
    cache : tuple
        From :func:`gru_cell_forward`.

    Returns
    -------
    dict
        ``dxt`` (n_x, m) and ``da_prev`` (n_a, m), this step's share dc_{←t}⟨t−1⟩ of the
        previous state's gradient; this step's ``dWu, dWr, dWc`` (n_a, n_a + n_x) and
        ``dbu, dbr, dbc`` (n_a, 1); and the intermediates, each (n_a, m): ``dc_tilde``,
        ``dGamma_u``, ``dGamma_r`` (of the values c̃, Γ_u, Γ_r), ``dzc, dzu, dzr`` (of the
        pre-activations), ``sigma_prime`` = Γ_u ⊙ (1 − Γ_u) and ``tanh_prime`` = 1 − c̃²: every
        result of ``derivations.gru.CELL``, by its name.
    """
    dims = Dimensions()
    dims.check("cache[0] (a_next)", cache_entry(cache, 7, "gru_cell_forward")[0], "n_a m")
    dims.check("da_next", da_next, "n_a m")
    return _cell_backward(da_next, cache)


def _cell_backward(da_next: Array, cache: GRUCellCache) -> Gradients:
    _, c_prev, ut, rt, cct, xt, p = cache
    n_a = c_prev.shape[0]
    dc = da_next  # a⟨t⟩ = c⟨t⟩: all of dc⟨t⟩
    sigma_prime = ut * (1 - ut)  # σ'(z_u) in terms of Γ_u
    tanh_prime = 1 - cct**2  # tanh'(z_c) in terms of c̃
    dc_tilde = dc * ut
    dGamma_u = dc * (cct - c_prev)
    dzc = dc_tilde * tanh_prime
    dGamma_r = (p["Wc"][:, :n_a].T @ dzc) * c_prev
    dzu = dGamma_u * sigma_prime
    dzr = dGamma_r * rt * (1 - rt)
    concat = np.concatenate([c_prev, xt], axis=0)
    concat_r = np.concatenate([rt * c_prev, xt], axis=0)
    return {
        "sigma_prime": sigma_prime, "tanh_prime": tanh_prime, "dc_tilde": dc_tilde, "dGamma_u": dGamma_u,
        "dzc": dzc, "dGamma_r": dGamma_r, "dzu": dzu, "dzr": dzr,
        "dWc": dzc @ concat_r.T, "dbc": dzc.sum(axis=1, keepdims=True),
        "dWu": dzu @ concat.T, "dbu": dzu.sum(axis=1, keepdims=True),
        "dWr": dzr @ concat.T, "dbr": dzr.sum(axis=1, keepdims=True),
        # c⟨t−1⟩'s four uses: (1 − Γ_u) ⊙ c⟨t−1⟩, Γ_r ⊙ c⟨t−1⟩ in z_c, z_u, z_r
        "da_prev": dc * (1 - ut) + (p["Wc"][:, :n_a].T @ dzc) * rt
        + p["Wu"][:, :n_a].T @ dzu + p["Wr"][:, :n_a].T @ dzr,
        "dxt": p["Wc"][:, n_a:].T @ dzc + p["Wu"][:, n_a:].T @ dzu + p["Wr"][:, n_a:].T @ dzr,
    }  # fmt: skip


def gru_backward(da: Array, caches: GRUCaches) -> Gradients:
    """Backpropagation through time, given the gradient every a⟨t⟩ receives from outside.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence, e.g. the prediction's
        da_{←ŷ}⟨t⟩ = W_yᵀ dz_y⟨t⟩; the recurrence adds step t+1's share. Must have as many steps
        as ``caches``.
    caches : tuple
        From :func:`gru_forward`.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWu, dWr, dWc`` (n_a, n_a + n_x),
        ``dbu, dbr, dbc`` (n_a, 1), and ``da_next`` (n_a, m, T_x): all of the gradient of every
        a⟨t⟩ = c⟨t⟩, the sum that the recursion carries back.
    """
    cell_caches, x = check_backward(da, caches, "gru_forward", 7)
    return _backward(da, cell_caches, x)


def _backward(da: Array, cell_caches: list[GRUCellCache], x: Array) -> Gradients:
    return backward_through_time(da, cell_caches, x, _cell_backward, STATES, CELL_PARAMETERS)


def gru_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ of the GRU and all its gradients.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`gru_cell_forward`.

    mask : ndarray, shape (m, T_x), optional
        1 where a step of an example counts in J, 0 where it does not (padding after a shorter
        sequence's end): J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ, and a masked column of ``y`` may be
        all zero. ``None`` counts every step.
    Returns
    -------
    J : float
    gradients : dict
        ``dWu, dbu, dWr, dbr, dWc, dbc, dWy, dby`` (the parameters' shapes), ``dx`` (n_x, m, T_x),
        ``da0`` (n_a, m), and ``da_next`` (n_a, m, T_x) as for :func:`gru_backward`.
    """
    dims = check_loss_inputs(x, y, a0, parameters, PARAMETER_SHAPES, mask)
    a, _, caches = _forward(x, a0, parameters, dims)
    J, _, dWy, dby, da_y = output_layer(a, y, parameters["Wy"], parameters["by"], mask)
    return J, {**_backward(da_y, caches[0], x), "dWy": dWy, "dby": dby}
