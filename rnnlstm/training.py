"""Training a single-layer network: a gradient step (the course's SGD, or Adam) and sampling.

The parameters are the losses' dicts (``rnn_loss``'s ``Wax, Waa, Wya, ba, by``, the LSTM's and
the GRU's gate weights with ``Wy, by``); the gradients are the losses' ``d`` + key. Every function
returns new arrays and leaves its arguments unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._typing import Array, Parameters
from ._validate import Dimensions, check_parameters
from .activations import softmax
from .cells import CELLS

def sgd(parameters: Mapping[str, Array], gradients: Mapping[str, Array], learning_rate: float) -> Parameters:
    """One step of gradient descent, θ ← θ − α dθ, for every parameter θ (the course's
    ``update_parameters``).

    Parameters
    ----------
    parameters : dict
        Arrays by key, e.g. ``Wax`` (n_a, n_x).
    gradients : dict
        At least ``d`` + each key of ``parameters``, of the same shapes (more keys, such as ``dx``,
        are ignored).
    learning_rate : float
        α, positive and finite.

    Returns
    -------
    dict
        The new parameters.
    """
    _check_positive("learning_rate", learning_rate)
    _check_gradients(parameters, gradients)
    return {k: p - learning_rate * gradients["d" + k] for k, p in parameters.items()}


def adam(
    parameters: Mapping[str, Array],
    gradients: Mapping[str, Array],
    state: Mapping[str, Any] | None = None,
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Parameters, dict[str, Any]]:
    """One step of Adam (Kingma and Ba, 2015): running means of the gradient and of its square,
    corrected for their start at 0, and θ ← θ − α m̂ / (√v̂ + ε).

    Parameters
    ----------
    parameters, gradients : dict
        As for :func:`sgd`.
    state : dict or None
        What the previous step returned; ``None`` for the first step.
    learning_rate : float
        α, positive and finite.
    beta1, beta2 : float
        The decay of the running means, in [0, 1).
    epsilon : float
        ε, positive.

    Returns
    -------
    parameters : dict
        The new parameters.
    state : dict
        ``{"t": steps taken, "m": {key: mean of dθ}, "v": {key: mean of dθ²}}`` for the next step.
    """
    _check_positive("learning_rate", learning_rate)
    _check_positive("epsilon", epsilon)
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if not (isinstance(beta, (int, float)) and 0 <= beta < 1):
            raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
    _check_gradients(parameters, gradients)
    if state is None:
        state = {"t": 0, "m": {k: np.zeros_like(p) for k, p in parameters.items()},
                 "v": {k: np.zeros_like(p) for k, p in parameters.items()}}  # fmt: skip
    elif not (isinstance(state, Mapping) and set(state) == {"t", "m", "v"} and set(state["m"]) == set(parameters)):
        raise ValueError("state must be what the previous adam step returned, for the same parameters")
    t = state["t"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * gradients["d" + k] for k in parameters}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * gradients["d" + k] ** 2 for k in parameters}
    new = {
        k: p - learning_rate * (m[k] / (1 - beta1**t)) / (np.sqrt(v[k] / (1 - beta2**t)) + epsilon)
        for k, p in parameters.items()
    }
    return new, {"t": t, "m": m, "v": v}


def sample(
    parameters: Mapping[str, Array],
    cell: str,
    stop: int,
    max_length: int = 50,
    temperature: float = 1.0,
    seed: int | Sequence[int] | None = None,
    start: int | None = None,
) -> list[int]:
    """Generate a sequence, one symbol at a time, as in the course's ``sample``.

    x⟨1⟩ = 0 (or the one-hot ``start``) and a⟨0⟩ = 0 (c⟨0⟩ = 0); at each step the symbol is drawn from
    softmax((W_y a⟨t⟩ + b_y) / temperature) and fed back as the one-hot x⟨t+1⟩, until ``stop`` is
    drawn or ``max_length`` symbols are.

    Parameters
    ----------
    parameters : dict
        A single-layer network's, as its loss takes them (n_x = n_y: the symbols are read and
        written with one vocabulary).
    cell : {"rnn", "lstm", "gru"}
    stop : int
        The index of the symbol that ends a sequence (the newline), included when drawn.
    max_length : int
        The most symbols drawn.
    temperature : float
        Positive: below 1 sharpens the distribution (1 → 0 is the most likely symbol each time),
        above 1 flattens it.
    seed : int, sequence of int, or None
        For ``numpy.random.default_rng``.
    start : int or None
        The symbol read first, as if it had just been drawn (a network trained on running text
        starts a name after the newline that ends the one before); ``None`` reads x⟨1⟩ = 0.

    Returns
    -------
    list of int
        The indices drawn, at most ``max_length``.
    """
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(map(repr, CELLS))}, got {cell!r}")
    definition = CELLS[cell]
    dims = Dimensions()
    output = definition.output
    check_parameters(parameters, definition.network, dims)
    n_y, n_a = parameters[output].shape
    if dims.get("n_x", n_y) != n_y:
        raise ValueError(f"the network must read the symbols it writes: n_x = {dims['n_x']}, n_y = {n_y}")
    for name, value in (("stop", stop), ("max_length", max_length), ("start", 0 if start is None else start)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    for name, value in (("stop", stop), ("start", 0 if start is None else start)):
        if not 0 <= value < n_y:
            raise ValueError(f"{name} must be a symbol's index in [0, {n_y}), got {value}")
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    _check_positive("temperature", temperature)
    rng = np.random.default_rng(seed)
    dtype = parameters[output].dtype
    x = np.zeros((n_y, 1), dtype)
    if start is not None:
        x[start] = 1
    states = [np.zeros((n_a, 1), dtype) for _ in definition.states]
    drawn: list[int] = []
    while len(drawn) < max_length and (not drawn or drawn[-1] != stop):
        *states, _ = definition.forward(x, *states, parameters)
        p = softmax((parameters[output] @ states[0] + parameters["by"]) / temperature).ravel()
        drawn.append(int(rng.choice(n_y, p=p / p.sum())))
        x = np.zeros_like(x)
        x[drawn[-1]] = 1
    return drawn


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value}")


def _check_gradients(parameters: Mapping[str, Array], gradients: Mapping[str, Array]) -> None:
    if not isinstance(parameters, Mapping) or not isinstance(gradients, Mapping):
        raise TypeError("parameters and gradients must be dicts of arrays")
    missing = [f"d{k}" for k in parameters if f"d{k}" not in gradients]
    if missing:
        raise ValueError(f"gradients must hold d + each parameter's key; missing {', '.join(missing)}")
    for k, p in parameters.items():
        if np.shape(gradients["d" + k]) != np.shape(p):
            raise ValueError(f'gradients["d{k}"] must have the shape of parameters["{k}"], {np.shape(p)}, '
                             f"got {np.shape(gradients['d' + k])}")  # fmt: skip
        if not np.isfinite(gradients["d" + k]).all():
            raise ValueError(f'gradients["d{k}"] contains NaN or Inf; clip it (rnnlstm.clip) or lower the learning rate')
