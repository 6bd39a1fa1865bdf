"""The GRU that PyTorch, cuDNN and Keras (``reset_after=True``) compute: forward, backward through
one cell, backpropagation through time, the loss.

The mirror of :mod:`derivations.torch_gru`; each line of a backward pass is one derived equation,
with the same name. It is the course's GRU (:mod:`.gru`) but for its candidate, where the reset
gate multiplies the recurrent product, which has a bias of its own, instead of the state::

    c̃⟨t⟩ = tanh(W_c[:, n_a:] x⟨t⟩ + b_c + Γ_r ⊙ (W_c[:, :n_a] c⟨t−1⟩ + b_cc))

The two are different functions: no choice of weights of one computes the other in general. The
parameters keep the course's keys and its update gate Γ_u (PyTorch's z is 1 − Γ_u), with one key
more, ``bcc`` (PyTorch's ``b_hn``); :func:`rnnlstm.to_pytorch` and :func:`rnnlstm.from_pytorch`
convert them to and from ``torch.nn.GRU``.
"""

from __future__ import annotations

import numpy as np

from ._typing import Array, Gradients, GRUCaches, GRUCellCache, Parameters
from ._validate import Dimensions, cache_entry, check_backward, check_loss_inputs, check_parameters
from .activations import sigmoid, softmax
from .output import output_layer
from .through_time import backward_through_time

PARAMETER_SHAPES = {
    "Wu": "n_a n_a+n_x", "bu": "n_a 1", "Wr": "n_a n_a+n_x", "br": "n_a 1",
    "Wc": "n_a n_a+n_x", "bc": "n_a 1", "bcc": "n_a 1", "Wy": "n_y n_a", "by": "n_y 1",
}  # fmt: skip
STATES = ("a",)  # carried from step to step
CELL_PARAMETERS = ("Wu", "bu", "Wr", "br", "Wc", "bc", "bcc")  # without the output layer


def torch_gru_cell_forward(xt: Array, a_prev: Array, parameters: Parameters) -> tuple[Array, Array, GRUCellCache]:
    """One step of the frameworks' GRU.

    Parameters
    ----------
    xt : ndarray, shape (n_x, m)
    a_prev : ndarray, shape (n_a, m)
        The state a⟨t−1⟩ = c⟨t−1⟩.
    parameters : dict
        ``Wu, Wr, Wc`` (n_a, n_a + n_x), ``bu, br, bc, bcc`` (n_a, 1), ``Wy`` (n_y, n_a),
        ``by`` (n_y, 1).

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
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, yt_pred, cache


def _recurrent_step(xt: Array, c_prev: Array, p: Parameters) -> tuple[Array, GRUCellCache]:
    """The cell without its output layer: a⟨t⟩ = c⟨t⟩ and the cache (a layer of a stack, :mod:`.cells`)."""
    n_a = c_prev.shape[0]
    concat = np.concatenate([c_prev, xt], axis=0)
    ut = sigmoid(p["Wu"] @ concat + p["bu"])
    rt = sigmoid(p["Wr"] @ concat + p["br"])
    cct = np.tanh(p["Wc"][:, n_a:] @ xt + p["bc"] + rt * (p["Wc"][:, :n_a] @ c_prev + p["bcc"]))
    c_next = ut * cct + (1 - ut) * c_prev
    a_next = c_next
    return a_next, (a_next, c_prev, ut, rt, cct, xt, p)


def torch_gru_forward(x: Array, a0: Array, parameters: Parameters) -> tuple[Array, Array, GRUCaches]:
    """The forward pass over T_x steps, from c⟨0⟩ = a⟨0⟩.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`torch_gru_cell_forward`.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        The states a⟨t⟩ = c⟨t⟩.
    y : ndarray, shape (n_y, m, T_x)
        The predictions ŷ⟨t⟩.
    caches : tuple
        ``(list of T_x cell caches, x)`` for :func:`torch_gru_backward`.
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


def torch_gru_cell_backward(da_next: Array, cache: GRUCellCache) -> Gradients:
    """Gradients through one cell, given all of the state's gradient.

    Parameters
    ----------
    da_next : ndarray, shape (n_a, m)
        All of ∂J/∂a⟨t⟩ = dc⟨t⟩: the prediction's share and step t+1's together.
    cache : tuple
        From :func:`torch_gru_cell_forward`.

    Returns
    -------
    dict
        ``dxt`` (n_x, m) and ``da_prev`` (n_a, m), this step's share dc_{←t}⟨t−1⟩ of the
        previous state's gradient; this step's ``dWu, dWr, dWc`` (n_a, n_a + n_x) and
        ``dbu, dbr, dbc, dbcc`` (n_a, 1); and the intermediates, each (n_a, m): ``dc_tilde``,
        ``dGamma_u``, ``dGamma_r``, ``dzc, dzu, dzr``, ``sigma_prime`` = Γ_u ⊙ (1 − Γ_u) and
        ``tanh_prime`` = 1 − c̃²: every result of ``derivations.torch_gru.CELL``, by its name.
    """
    dims = Dimensions()
    dims.check("cache[0] (a_next)", cache_entry(cache, 7, "torch_gru_cell_forward")[0], "n_a m")
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
    dGamma_r = dzc * (p["Wc"][:, :n_a] @ c_prev + p["bcc"])  # the recurrent product, recomputed
    dzu = dGamma_u * sigma_prime
    dzr = dGamma_r * rt * (1 - rt)
    concat = np.concatenate([c_prev, xt], axis=0)
    return {
        "sigma_prime": sigma_prime, "tanh_prime": tanh_prime, "dc_tilde": dc_tilde, "dGamma_u": dGamma_u,
        "dzc": dzc, "dGamma_r": dGamma_r, "dzu": dzu, "dzr": dzr,
        "dWc": np.concatenate([(dzc * rt) @ c_prev.T, dzc @ xt.T], axis=1),
        "dbc": dzc.sum(axis=1, keepdims=True), "dbcc": (dzc * rt).sum(axis=1, keepdims=True),
        "dWu": dzu @ concat.T, "dbu": dzu.sum(axis=1, keepdims=True),
        "dWr": dzr @ concat.T, "dbr": dzr.sum(axis=1, keepdims=True),
        # c⟨t−1⟩'s four uses: (1 − Γ_u) ⊙ c⟨t−1⟩, the recurrent product of z_c, z_u, z_r
        "da_prev": dc * (1 - ut) + p["Wc"][:, :n_a].T @ (dzc * rt)
        + p["Wu"][:, :n_a].T @ dzu + p["Wr"][:, :n_a].T @ dzr,
        "dxt": p["Wc"][:, n_a:].T @ dzc + p["Wu"][:, n_a:].T @ dzu + p["Wr"][:, n_a:].T @ dzr,
    }  # fmt: skip


def torch_gru_backward(da: Array, caches: GRUCaches) -> Gradients:
    """Backpropagation through time, given the gradient every a⟨t⟩ receives from outside.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The share of ∂J/∂a⟨t⟩ from outside the recurrence, e.g. the prediction's
        da_{←ŷ}⟨t⟩ = W_yᵀ dz_y⟨t⟩; the recurrence adds step t+1's share. Must have as many steps
        as ``caches``.
    caches : tuple
        From :func:`torch_gru_forward`.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWu, dWr, dWc`` (n_a, n_a + n_x),
        ``dbu, dbr, dbc, dbcc`` (n_a, 1), and ``da_next`` (n_a, m, T_x): all of the gradient of
        every a⟨t⟩ = c⟨t⟩, the sum that the recursion carries back.
    """
    cell_caches, x = check_backward(da, caches, "torch_gru_forward", 7)
    return _backward(da, cell_caches, x)


def _backward(da: Array, cell_caches: list[GRUCellCache], x: Array) -> Gradients:
    return backward_through_time(da, cell_caches, x, _cell_backward, STATES, CELL_PARAMETERS)


def torch_gru_loss(
    x: Array, y: Array, a0: Array, parameters: Parameters, mask: Array | None = None
) -> tuple[float, Gradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ of the frameworks' GRU and all its gradients.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : ndarray, shape (n_a, m)
    parameters : dict
        As for :func:`torch_gru_cell_forward`.
    mask : ndarray, shape (m, T_x), optional
        As for :func:`rnnlstm.gru_loss`: 1 where a step of an example counts in J, 0 where it
        does not. ``None`` counts every step.

    Returns
    -------
    J : float
    gradients : dict
        ``dWu, dbu, dWr, dbr, dWc, dbc, dbcc, dWy, dby`` (the parameters' shapes), ``dx``
        (n_x, m, T_x), ``da0`` (n_a, m), and ``da_next`` (n_a, m, T_x) as for
        :func:`torch_gru_backward`.
    """
    dims = check_loss_inputs(x, y, a0, parameters, PARAMETER_SHAPES, mask)
    a, _, caches = _forward(x, a0, parameters, dims)
    J, _, dWy, dby, da_y = output_layer(a, y, parameters["Wy"], parameters["by"], mask)
    return J, {**_backward(da_y, caches[0], x), "dWy": dWy, "dby": dby}
