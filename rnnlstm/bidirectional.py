"""Bidirectional recurrent networks: a forward layer reads x⟨1⟩ … x⟨T_x⟩, a backward layer reads
x⟨T_x⟩ … x⟨1⟩, and the prediction at step t reads both, ŷ⟨t⟩ = softmax(W_y [a→⟨t⟩; a←⟨t⟩] + b_y).

Each direction is one of the cells of :data:`.cells.CELLS` (the same kind in both), with a width of
its own. The backward layer is the forward layer's loop run on x reversed in time, its outputs
reversed back: a←⟨t⟩ reads x⟨t⟩ and a←⟨t+1⟩, from a←⟨T_x+1⟩ = ``a0[1]``. The backward pass hands
each direction its column block's share of the prediction's gradient, W_y[:, :n_a→]ᵀ dz_y⟨t⟩ and
W_y[:, n_a→:]ᵀ dz_y⟨t⟩; each layer's own recursion adds the share from the step that read its state
(step t+1 for a→⟨t⟩, step t−1 for a←⟨t⟩), and dx⟨t⟩ is the sum of the two cells' input gradients.
The mirror of :mod:`derivations.bidirectional`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._typing import Array, BidirectionalCaches, BidirectionalGradients, Cell, LayerCaches
from ._validate import Dimensions, cache_entry, check_distribution, check_parameters
from .activations import softmax
from .cells import CellDefinition
from .deep import _definition
from .output import output_layer
from .through_time import backward_through_time, forward_through_time

DIRECTIONS = ("forward", "backward")
ORDER = {"forward": slice(None), "backward": slice(None, None, -1)}  # the steps in the order each layer runs them
WIDTHS = {"forward": "n_a→", "backward": "n_a←"}  # each direction's n_a, as the messages name it
OUTPUT_SHAPES = {"Wy": "n_y n_a→+n_a←", "by": "n_y 1"}


def birnn_forward(
    x: Array, a0: Sequence[Array], parameters: Mapping[str, Any], cell: Cell
) -> tuple[tuple[Array, Array], Array, BidirectionalCaches]:
    """The forward pass of both directions over T_x steps (c⟨0⟩ = 0 for an LSTM, in both).

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    a0 : (ndarray, ndarray), shapes (n_a→, m) and (n_a←, m)
        The forward layer's a→⟨0⟩ and the backward layer's a←⟨T_x+1⟩, where each starts.
    parameters : dict
        ``forward`` and ``backward``: each a dict with the keys of :data:`.cells.CELLS`
        ``[cell].parameters`` for its direction's width n_a (for an RNN ``Wax`` (n_a, n_x),
        ``Waa`` (n_a, n_a), ``ba`` (n_a, 1); for an LSTM ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x) and
        ``bf, bi, bc, bo`` (n_a, 1); for a GRU ``Wu, Wr, Wc`` and ``bu, br, bc`` likewise); and the
        output layer's ``Wy`` (n_y, n_a→ + n_a←), whose first n_a→ columns read a→⟨t⟩, and ``by``
        (n_y, 1).
    cell : {"rnn", "lstm", "gru"}
        The kind of both layers.

    Returns
    -------
    a : (ndarray, ndarray), shapes (n_a→, m, T_x) and (n_a←, m, T_x)
        a→⟨1⟩ … a→⟨T_x⟩ and a←⟨1⟩ … a←⟨T_x⟩, both in the order of t.
    y_pred : ndarray, shape (n_y, m, T_x)
    caches : tuple
        ``((forward layer's caches, backward layer's caches), cell)`` for :func:`birnn_backward`;
        a layer's caches are its list of T_x cell caches in the order it ran them and the input
        it read (the backward layer's is x reversed in time).
    """
    definition = _check_inputs(x, None, a0, parameters, cell)
    a, caches = _forward(x, a0, parameters, definition)
    zy = np.einsum("ya,amt->ymt", parameters["Wy"], np.concatenate(a)) + parameters["by"][:, :, None]
    return a, softmax(zy), (caches, cell)


def _forward(
    x: Array, a0: Sequence[Array], parameters: Mapping[str, Any], definition: CellDefinition
) -> tuple[tuple[Array, Array], tuple[LayerCaches, LayerCaches]]:
    weights = [v for d in DIRECTIONS for v in parameters[d].values()]
    dtype = np.result_type(x, *a0, *weights, parameters["Wy"], parameters["by"])
    step = (definition.forward, definition.states)
    a, caches = [], []
    for direction, a0_layer in zip(DIRECTIONS, a0):
        inputs = x[:, :, ORDER[direction]]  # the backward layer reads x⟨T_x⟩ first
        a_layer, cell_caches, _ = forward_through_time(inputs, a0_layer, parameters[direction], *step, dtype)
        a.append(a_layer[:, :, ORDER[direction]])  # back in the order of t
        caches.append((cell_caches, inputs))
    return (a[0], a[1]), (caches[0], caches[1])


def birnn_backward(da: Sequence[Array], caches: BidirectionalCaches) -> BidirectionalGradients:
    """Backpropagation through time in both directions, given each one's share from outside.

    Parameters
    ----------
    da : (ndarray, ndarray), shapes (n_a→, m, T_x) and (n_a←, m, T_x)
        The shares of ∂J/∂a→⟨t⟩ and ∂J/∂a←⟨t⟩ from outside the layers, in the order of t: the
        prediction's, W_y[:, :n_a→]ᵀ dz_y⟨t⟩ and W_y[:, n_a→:]ᵀ dz_y⟨t⟩.
    caches : tuple
        From :func:`birnn_forward`.

    Returns
    -------
    dict
        ``forward`` and ``backward``: each layer's parameters' gradients (``dWax, dWaa, dba`` or
        ``dWf, dbf, …, dbo`` or ``dWu, …, dbc``, the parameters' shapes); ``dx`` (n_x, m, T_x),
        the sum of the two layers' shares; ``da0``: (da→⟨0⟩ (n_a→, m), da←⟨T_x+1⟩ (n_a←, m));
        ``da_next``: (da→⟨t⟩ (n_a→, m, T_x), da←⟨t⟩ (n_a←, m, T_x)), all of each state's
        gradient, in the order of t.
    """
    definition = _check_backward(da, caches)
    return _backward(da, caches[0], definition)


def _backward(
    da: Sequence[Array], caches: tuple[LayerCaches, LayerCaches], definition: CellDefinition
) -> BidirectionalGradients:
    out: dict[str, Any] = {}
    dx, da0, da_next = [], [], []
    step = (definition.backward, definition.states, definition.parameters)
    for direction, da_layer, (cell_caches, inputs) in zip(DIRECTIONS, da, caches):
        order = ORDER[direction]  # to the order the layer ran in, and back to the order of t
        g = backward_through_time(da_layer[:, :, order], cell_caches, inputs, *step)
        out[direction] = {"d" + k: g["d" + k] for k in definition.parameters}
        dx.append(g["dx"][:, :, order])  # this layer's share of dx⟨t⟩
        da0.append(g["da0"])
        da_next.append(g["da_next"][:, :, order])
    return {**out, "dx": dx[0] + dx[1], "da0": (da0[0], da0[1]), "da_next": (da_next[0], da_next[1])}


def birnn_loss(
    x: Array, y: Array, a0: Sequence[Array], parameters: Mapping[str, Any], cell: Cell
) -> tuple[float, BidirectionalGradients]:
    """The cross-entropy J = −(1/m) Σ_t Σ_i Σ_k y log ŷ of the bidirectional network and all its gradients.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
    y : ndarray, shape (n_y, m, T_x)
        One-hot targets (probability columns are accepted too).
    a0 : (ndarray, ndarray), shapes (n_a→, m) and (n_a←, m)
    parameters : dict
        As for :func:`birnn_forward`.
    cell : {"rnn", "lstm", "gru"}

    Returns
    -------
    J : float
    gradients : dict
        As for :func:`birnn_backward`, and the output layer's ``dWy`` (n_y, n_a→ + n_a←) and
        ``dby`` (n_y, 1).
    """
    definition = _check_inputs(x, y, a0, parameters, cell)
    a, caches = _forward(x, a0, parameters, definition)
    J, _, dWy, dby, da_y = output_layer(np.concatenate(a), y, parameters["Wy"], parameters["by"])
    n_forward = a[0].shape[0]
    shares = (da_y[:n_forward], da_y[n_forward:])  # W_y[:, :n_a→]ᵀ dz_y⟨t⟩ and W_y[:, n_a→:]ᵀ dz_y⟨t⟩
    return J, {**_backward(shares, caches, definition), "dWy": dWy, "dby": dby}


def _in_direction(shapes: Mapping[str, str], direction: str) -> dict[str, str]:
    """A cell's parameter shapes with n_a named as the direction's width, n_a→ or n_a←."""
    def renamed(dims: str) -> str:
        return " ".join("+".join(WIDTHS[direction] if p == "n_a" else p for p in d.split("+")) for d in dims.split())

    return {key: renamed(dims) for key, dims in shapes.items()}


def _check_inputs(x: object, y: object, a0: object, parameters: object, cell: object) -> CellDefinition:
    """The checks of :func:`birnn_forward` (``y`` None) and :func:`birnn_loss`, before any work."""
    definition = _definition(cell)
    keys = (*DIRECTIONS, *OUTPUT_SHAPES)
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict with keys {', '.join(keys)}, got {type(parameters).__name__}")
    missing = [k for k in keys if k not in parameters]
    unknown = [k for k in parameters if k not in keys]
    if missing or unknown:
        found = [f"missing {', '.join(missing)}"] if missing else []
        found += [f"unknown {', '.join(map(str, unknown))}"] if unknown else []
        raise ValueError(f"parameters must have exactly the keys {', '.join(keys)}; " + "; ".join(found))
    if not isinstance(a0, (list, tuple)):
        raise TypeError(f"a0 must be a pair (a0_forward (n_a→, m), a0_backward (n_a←, m)), got {type(a0).__name__}")
    if len(a0) != 2:
        raise ValueError(f"a0 must be a pair (a0_forward (n_a→, m), a0_backward (n_a←, m)), got {len(a0)} arrays")
    dims = Dimensions()
    for direction in DIRECTIONS:
        shapes = _in_direction(definition.parameters, direction)
        check_parameters(parameters[direction], shapes, dims, f'parameters["{direction}"]')
    for key, shape in OUTPUT_SHAPES.items():
        dims.check(f'parameters["{key}"]', parameters[key], shape)
    dims.check("x", x, "n_x m T_x")
    targets = None if y is None else dims.check("y", y, "n_y m T_x")
    for k, direction in enumerate(DIRECTIONS):
        dims.check(f"a0[{k}] (a0_{direction})", a0[k], f"{WIDTHS[direction]} m")
    if targets is not None:
        check_distribution("y", targets)
    return definition


def _check_backward(da: object, caches: object) -> CellDefinition:
    """``caches`` as :func:`birnn_forward` returns them, and a ``da`` pair of the layers' shapes."""
    layers, cell = cache_entry(caches, 2, "birnn_forward")
    if not isinstance(layers, tuple) or len(layers) != 2 or not all(
        isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], list) and c[0] for c in layers
    ):
        raise TypeError(
            "expected the caches returned by birnn_forward: one (list of cell caches, input) per direction, and the cell"
        )
    definition = _definition(cell)
    if not isinstance(da, (list, tuple)) or len(da) != 2:
        got = f"{len(da)} arrays" if isinstance(da, (list, tuple)) else type(da).__name__
        raise TypeError(f"da must be a pair (da_forward (n_a→, m, T_x), da_backward (n_a←, m, T_x)), got {got}")
    dims = Dimensions()
    for k, (direction, (cell_caches, inputs)) in enumerate(zip(DIRECTIONS, layers)):
        dims.check(f"caches[0][{k}][1] (the {direction} layer's input)", inputs, "n_x m T_x")
        if len(cell_caches) != dims["T_x"]:
            raise ValueError(
                f"the {direction} layer's caches hold {len(cell_caches)} cell caches for an input with T_x = {dims['T_x']}"
            )
        dims.check(f"caches[0][{k}][0][0][0] (the {direction} layer's first state)", cell_caches[0][0], f"{WIDTHS[direction]} m")
    for k, direction in enumerate(DIRECTIONS):
        dims.check(f"da[{k}] (da_{direction})", da[k], f"{WIDTHS[direction]} m T_x")
    return definition

