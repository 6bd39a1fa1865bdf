"""The softmax/cross-entropy output layer shared by the RNN and the LSTM, over all steps at once.

The mirror of :mod:`derivations.output` and of the ``OUTPUT`` group of each chapter.
"""

from __future__ import annotations

import numpy as np

from ._typing import Array
from .activations import log_softmax


def output_layer(
    a: Array, y: Array, W: Array, b: Array, mask: Array | None = None
) -> tuple[float, Array, Array, Array, Array]:
    """J = −(1/m) Σ_t Σ_i mask_i⟨t⟩ Σ_k y log ŷ with ŷ⟨t⟩ = softmax(W a⟨t⟩ + b), and its gradients.

    Parameters
    ----------
    a : ndarray, shape (n_a, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
    W : ndarray, shape (n_y, n_a)
    b : ndarray, shape (n_y, 1)
    mask : ndarray, shape (m, T_x), optional
        1 where a step of an example counts, 0 where it does not (padding): its prediction is
        neither scored nor differentiated. ``None`` counts every step.

    Returns
    -------
    J : float
    dzy : ndarray, shape (n_y, m, T_x)
        mask ⊙ (ŷ⟨t⟩ − y⟨t⟩) / m: the gradient of each step's scores.
    dW : ndarray, shape (n_y, n_a)
    db : ndarray, shape (n_y, 1)
    da_y : ndarray, shape (n_a, m, T_x)
        Wᵀ dz_y⟨t⟩: the gradient each a⟨t⟩ receives through its prediction.
    """
    m = a.shape[1]
    zy = np.einsum("ya,amt->ymt", W, a) + b[:, :, None]
    log_yhat = log_softmax(zy)  # no probability underflows into log 0
    counted = 1 if mask is None else mask.astype(a.dtype)[None]  # over n_y
    J = -float(np.sum(counted * y * log_yhat)) / m
    dzy = counted * (np.exp(log_yhat) - y) / m
    dW = np.einsum("ymt,amt->ya", dzy, a)
    db = dzy.sum(axis=(1, 2))[:, None]
    da_y = np.einsum("ya,ymt->amt", W, dzy)
    return J, dzy, dW, db, da_y
