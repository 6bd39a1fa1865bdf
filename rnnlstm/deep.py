"""Stacked recurrent layers: layer l reads a^[l−1]⟨t⟩, with a^[0]⟨t⟩ = x⟨t⟩, and the output
layer reads the last one, ŷ⟨t⟩ = softmax(W_y a^[L]⟨t⟩ + b_y).

Every layer is one of the cells of :data:`.cells.CELLS` (the same kind in every layer), with a
width of its own. The backward pass hands each layer, at each step, the share of da^[l]⟨t⟩
that comes from the layer above, da^[l]_{←[l+1]}⟨t⟩ (the prediction's for the top layer); the
layer's own recursion adds the share from its next step, and its cell's input gradient ``dxt``
is the share it hands down, da^[l−1]_{←[l]}⟨t⟩. The mirror of :mod:`derivations.deep`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._typing import Array, Cell, DeepCaches, DeepGradients, Gradients, Parameters
from ._validate import Dimensions, cache_entry, check_distribution, check_mask, check_parameters
from .activations import softmax
from .cells import CELLS, CellDefinition
from .output import output_layer
from .through_time import backward_through_time, forward_through_time

OUTPUT_SHAPES = {"Wy": "n_y n_a[L]", "by": "n_y 1"}


def deep_forward(
    x: Array, a0: Sequence[Array], parameters: Mapping[str, Any], cell: Cell
) -> tuple[list[Array], Array, DeepCaches]:
    """The forward pass of L stacked layers over T_x steps (c^[l]⟨0⟩ = 0 for an LSTM).

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : list of L ndarrays, shape (n_a^[l], m)
        The initial state a^[l]⟨0⟩ of each layer; ``a0[l - 1]`` is layer l's.
    parameters : dict
        ``layers``: a list of one dict per layer, ``layers[l - 1]`` layer l's, with the keys of
        :data:`.cells.CELLS` ``[cell].parameters`` (for an RNN ``Wax`` (n_a^[l], n_a^[l−1]),
        ``Waa`` (n_a^[l], n_a^[l]), ``ba`` (n_a^[l], 1); for an LSTM ``Wf, Wi, Wc, Wo``
        (n_a^[l], n_a^[l] + n_a^[l−1]) and ``bf, bi, bc, bo`` (n_a^[l], 1); for a GRU ``Wu, Wr,
        Wc`` and ``bu, br, bc`` likewise), where
        n_a^[0] = n_x; and the output layer's ``Wy`` (n_y, n_a^[L]) and ``by`` (n_y, 1).
    cell : {"rnn", "lstm", "gru", "torch_gru"}
        The kind of every layer.

    Returns
    -------
    a : list of L ndarrays, shape (n_a^[l], m, T_x)
        Each layer's a^[l]⟨1⟩ … a^[l]⟨T_x⟩.
    y_pred : ndarray, shape (n_y, m, T_x)
    caches : tuple
        ``(one (list of T_x cell caches, the layer's input) per layer, cell)`` for
        :func:`deep_backward`.
    """
    definition = _check_inputs(x, None, a0, parameters, cell)
    a, caches = _forward(x, a0, parameters, definition)
    top = a[-1]
    y_pred = softmax(np.einsum("ya,amt->ymt", parameters["Wy"], top) + parameters["by"][:, :, None])
    return a, y_pred, (caches, cell)


def _forward(
    x: Array, a0: Sequence[Array], parameters: Mapping[str, Any], definition: CellDefinition
) -> tuple[list[Array], list[tuple[list[Any], Array]]]:
    layers = parameters["layers"]
    dtype = np.result_type(x, *a0, *(v for p in layers for v in p.values()), parameters["Wy"], parameters["by"])
    a, caches = [], []
    inputs = x  # a^[0]⟨t⟩ = x⟨t⟩
    for p, a0_layer in zip(layers, a0):
        a_layer, cell_caches, _ = forward_through_time(inputs, a0_layer, p, definition.forward, definition.states, dtype)
        a.append(a_layer)
        caches.append((cell_caches, inputs))
        inputs = a_layer
    return a, caches


def deep_backward(da: Array, caches: DeepCaches) -> DeepGradients:
    """Backpropagation through time and through the layers, given the top layer's share from outside.

    Parameters
    ----------
    da : ndarray, shape (n_a^[L], m, T_x)
        The share of ∂J/∂a^[L]⟨t⟩ from outside the stack, e.g. the prediction's
        da_{←ŷ}⟨t⟩ = W_yᵀ dz_y⟨t⟩.
    caches : tuple
        From :func:`deep_forward`.

    Returns
    -------
    dict
        ``layers``: one dict per layer of its parameters' gradients (``dWax, dWaa, dba`` or
        ``dWf, dbf, …, dbo`` or ``dWu, …, dbc``, the parameters' shapes); ``dx`` (n_x, m, T_x); ``da0``: one
        (n_a^[l], m) per layer; ``da_next``: one (n_a^[l], m, T_x) per layer, all of
        da^[l]⟨t⟩, the share from above and the share from step t+1 together.
    """
    definition = _check_backward(da, caches)
    return _backward(da, caches[0], definition)


def _backward(da: Array, caches: list[tuple[list[Any], Array]], definition: CellDefinition) -> DeepGradients:
    layers, da0, da_next = [], [], []
    for cell_caches, inputs in reversed(caches):  # from the top layer down
        grads, da_below, da0_layer, da_next_layer = _layer_backward(da, cell_caches, inputs, definition)
        layers.append(grads)
        da0.append(da0_layer)
        da_next.append(da_next_layer)
        da = da_below  # da^[l−1]_{←[l]}⟨t⟩: all that a^[l−1]⟨t⟩ receives from above
    return {"layers": layers[::-1], "dx": da, "da0": da0[::-1], "da_next": da_next[::-1]}


def _layer_backward(
    da: Array, cell_caches: list[Any], inputs: Array, definition: CellDefinition
) -> tuple[Gradients, Array, Array, Array]:
    """One layer's backpropagation through time, given the share of each da⟨t⟩ from above:
    its parameters' gradients, the shares it hands down (the cells' ``dxt``), da⟨0⟩ and all of
    every da⟨t⟩."""
    g = backward_through_time(da, cell_caches, inputs, definition.backward, definition.states, definition.parameters)
    grads = {"d" + k: g["d" + k] for k in definition.parameters}
    return grads, g["dx"], g["da0"], g["da_next"]


def deep_loss(
    x: Array, y: Array, a0: Sequence[Array], parameters: Mapping[str, Any], cell: Cell, mask: Array | None = None
) -> tuple[float, DeepGradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i mask Σ_k y log ŷ of the stack and all its gradients.

    One layer computes exactly what :func:`rnnlstm.rnn_loss`, :func:`rnnlstm.lstm_loss` or
    :func:`rnnlstm.gru_loss` does.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : list of L ndarrays, shape (n_a^[l], m)
    parameters : dict
        As for :func:`deep_forward`.
    cell : {"rnn", "lstm", "gru", "torch_gru"}
    mask : ndarray, shape (m, T_x), optional
        As for :func:`rnnlstm.rnn_loss`: 1 where a step of an example counts, 0 where it does not.

    Returns
    -------
    J : float
    gradients : dict
        As for :func:`deep_backward`, and the output layer's ``dWy`` (n_y, n_a^[L]) and
        ``dby`` (n_y, 1).
    """
    definition = _check_inputs(x, y, a0, parameters, cell, mask)
    a, caches = _forward(x, a0, parameters, definition)
    J, _, dWy, dby, da_y = output_layer(a[-1], y, parameters["Wy"], parameters["by"], mask)
    return J, {**_backward(da_y, caches, definition), "dWy": dWy, "dby": dby}


def _definition(cell: object) -> CellDefinition:
    if not isinstance(cell, str) or cell not in CELLS:
        got = repr(cell) if isinstance(cell, str) else f"a {type(cell).__name__}"
        raise ValueError(f"cell must be one of {', '.join(map(repr, CELLS))}, got {got}")
    return CELLS[cell]


def _at_layer(shapes: Mapping[str, str], layer: int) -> dict[str, str]:
    """A cell's parameter shapes as layer ``layer`` (from 1) has them: n_a is n_a[layer], and
    the input's width n_x is n_a[layer − 1] above the first layer."""
    names = {"n_a": f"n_a[{layer}]", "n_x": "n_x" if layer == 1 else f"n_a[{layer - 1}]"}
    def renamed(dims: str) -> str:
        return " ".join("+".join(names.get(p, p) for p in d.split("+")) for d in dims.split())

    return {key: renamed(dims) for key, dims in shapes.items()}


def _check_inputs(
    x: object, y: object, a0: object, parameters: object, cell: object, mask: object = None
) -> CellDefinition:
    """The checks of :func:`deep_forward` (``y`` None) and :func:`deep_loss`, before any work."""
    definition = _definition(cell)
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict with keys layers, Wy, by, got {type(parameters).__name__}")
    missing = [k for k in ("layers", *OUTPUT_SHAPES) if k not in parameters]
    unknown = [k for k in parameters if k not in ("layers", *OUTPUT_SHAPES)]
    if missing or unknown:
        found = [f"missing {', '.join(missing)}"] if missing else []
        found += [f"unknown {', '.join(map(str, unknown))}"] if unknown else []
        raise ValueError("parameters must have exactly the keys layers, Wy, by; " + "; ".join(found))
    layers = parameters["layers"]
    if not isinstance(layers, list):
        raise TypeError(f'parameters["layers"] must be a list of one dict per layer, got {type(layers).__name__}')
    if not layers:
        raise ValueError('parameters["layers"] must hold one dict per layer, at least one, got an empty list')
    L = len(layers)
    if not isinstance(a0, (list, tuple)):
        raise TypeError(f"a0 must be a list of one (n_a[l], m) array per layer, got {type(a0).__name__}")
    if len(a0) != L:
        raise ValueError(f"a0 must hold one (n_a[l], m) array per layer: {L} for {L} layers, got {len(a0)}")
    dims = Dimensions()
    for layer, p in enumerate(layers, 1):
        name = f'layer {layer}: parameters["layers"][{layer - 1}]'
        check_parameters(p, _at_layer(definition.parameters, layer), dims, name)
    for key, shape in OUTPUT_SHAPES.items():
        dims.check(f'parameters["{key}"]', parameters[key], shape.replace("[L]", f"[{L}]"))
    dims.check("x", x, "n_x m T_x")
    targets = None if y is None else dims.check("y", y, "n_y m T_x")
    for layer, state in enumerate(a0, 1):
        dims.check(f"layer {layer}: a0[{layer - 1}]", state, f"n_a[{layer}] m")
    if targets is not None:
        check_distribution("y", targets, check_mask(mask, dims))
    return definition


def _check_backward(da: object, caches: object) -> CellDefinition:
    """``caches`` as :func:`deep_forward` returns them, and a ``da`` of the top layer's shape."""
    layers, cell = cache_entry(caches, 2, "deep_forward")
    if not isinstance(layers, list) or not layers or not all(
        isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], list) and c[0] for c in layers
    ):
        raise TypeError(
            "expected the caches returned by deep_forward: one (list of cell caches, input) per layer, and the cell"
        )
    definition = _definition(cell)
    cell_caches, inputs = layers[-1]
    dims = Dimensions()
    dims.check(f"caches[0][{len(layers) - 1}][1] (the top layer's input)", inputs, "n_in m T_x")
    if len(cell_caches) != dims["T_x"]:
        raise ValueError(
            f"the top layer's caches hold {len(cell_caches)} cell caches for an input with T_x = {dims['T_x']}"
        )
    dims.check(f"caches[0][{len(layers) - 1}][0][0][0] (the top layer's a⟨1⟩)", cell_caches[0][0], "n_a m")
    dims.check("da", da, "n_a m T_x")
    return definition
