"""The course's parameter dicts in the layouts of PyTorch and of CS231n, and back.

Every cell computes, for each of its blocks (the RNN's one, the LSTM's four gates), the
pre-activation ``W_a a⟨t−1⟩ + W_x x⟨t⟩ + b``. Code bases keep the same numbers in three different
ways:

- stacking: PyTorch and CS231n keep the blocks of all gates in one array, ``G·n_a`` long along one
  axis (G = 1 for the RNN, 4 for the LSTM), in an order of their own, with the weights acting on
  ``a`` apart from those acting on ``x``; the course keeps one weight per gate, acting on
  ``[a; x]`` (the RNN: ``Waa`` and ``Wax``);
- orientation: a row-major code base (CS231n) multiplies rows, ``h @ Wh`` with ``h`` of shape
  ``(N, H)``, so its weights are the course's transposed and its biases flat;
- biases: PyTorch adds two, ``bias_ih + bias_hh``, where the course has one.

:data:`COURSE` and :data:`LAYOUTS` say all of this, in two tables that the four functions read:
another cell is one more entry of :data:`COURSE` and an ``order`` in each layout.

PyTorch's ``nn.GRU`` is the frameworks' GRU, ``"torch_gru"`` (:mod:`rnnlstm.torch_gru`): its
candidate keeps the hidden bias inside the reset gate's product (the course's key ``bcc``), and
its gate z is the course's 1 − Γ_u (weights and biases negated). The course's GRU, ``"gru"``,
has no PyTorch layout: it is a different function, which no ``nn.GRU`` computes, and converting
it raises a ``ValueError`` that names ``"torch_gru"``. CS231n has no GRU.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import lstm as _lstm
from . import rnn as _rnn
from . import torch_gru as _torch_gru
from ._typing import Array, Cell, CS231nCell, Parameters, PyTorchCell
from ._validate import Dimensions, check_parameters


@dataclass(frozen=True)
class CourseCell:
    """The course's parameter dict of one cell."""

    blocks: dict[str, tuple[str, str, str]]
    """Each block (gate), by its letter in the course, in the course's order: the keys of its
    weight acting on ``a``, of its weight acting on ``x`` and of its bias. One key twice is one
    weight ``(n_a, n_a + n_x)`` acting on ``[a; x]``."""
    output: tuple[str, str]
    """The keys of the output layer's weight ``(n_y, n_a)`` and bias ``(n_y, 1)``."""
    shapes: Mapping[str, str]
    """Every key with its shape, as the cell's functions check it."""
    recurrent_bias: Mapping[str, str] = field(default_factory=dict)
    """The blocks with a second bias of their own, inside a product with a gate (the frameworks'
    GRU's candidate), by letter: its key, which a layout's last bias holds alone."""


COURSE: dict[str, CourseCell] = {
    "rnn": CourseCell({"a": ("Waa", "Wax", "ba")}, ("Wya", "by"), _rnn.PARAMETER_SHAPES),
    "lstm": CourseCell(
        {"f": ("Wf", "Wf", "bf"), "u": ("Wi", "Wi", "bi"), "c": ("Wc", "Wc", "bc"), "o": ("Wo", "Wo", "bo")},
        ("Wy", "by"),
        _lstm.PARAMETER_SHAPES,
    ),
    "torch_gru": CourseCell(
        {"r": ("Wr", "Wr", "br"), "u": ("Wu", "Wu", "bu"), "c": ("Wc", "Wc", "bc")},
        ("Wy", "by"),
        _torch_gru.PARAMETER_SHAPES,
        {"c": "bcc"},
    ),
}


@dataclass(frozen=True)
class Layout:
    """Where a code base keeps a cell's parameters."""

    keys: dict[str, str]
    """Each key of the cell with what it holds, all blocks stacked: ``"W_a"`` (the weights acting
    on the hidden state), ``"W_x"`` (on the input) or ``"b"``; the keys that hold ``"b"`` add up to
    the course's bias."""
    output: dict[str, str]
    """Each key of the output layer with what it holds: ``"W_y"`` or ``"b_y"``."""
    row_major: bool
    """Its weights are the course's transposed: ``(n_x, G·n_a)`` where the course's are ``(G·n_a, n_x)``."""
    order: dict[str, tuple[tuple[str, str], ...]]
    """For each cell, its blocks in the order they are stacked: the course's letter and its own name."""
    complements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each cell, the course's letters of the gates the layout computes as 1 − the course's
    gate, σ(−z) = 1 − σ(z): their weights and biases are the course's negated."""


LAYOUTS: dict[str, Layout] = {
    "pytorch": Layout(
        keys={"weight_ih_l0": "W_x", "weight_hh_l0": "W_a", "bias_ih_l0": "b", "bias_hh_l0": "b"},
        output={"weight": "W_y", "bias": "b_y"},
        row_major=False,
        order={
            "rnn": (("a", ""),),
            "lstm": (("u", "i"), ("f", "f"), ("c", "g"), ("o", "o")),
            "torch_gru": (("r", "r"), ("u", "z"), ("c", "n")),
        },
        complements={"torch_gru": ("u",)},
    ),
    "cs231n": Layout(
        keys={"Wx": "W_x", "Wh": "W_a", "b": "b"},
        output={"W_vocab": "W_y", "b_vocab": "b_y"},
        row_major=True,
        order={"rnn": (("a", ""),), "lstm": (("u", "i"), ("f", "f"), ("o", "o"), ("c", "g"))},
    ),
}

# The shape of each stacked block in the course's orientation; G*n_a is the stacked axis
_BLOCK_SHAPES = {"W_a": ("G*n_a", "n_a"), "W_x": ("G*n_a", "n_x"), "b": ("G*n_a",), "W_y": ("n_y", "n_a"), "b_y": ("n_y",)}


def key_shapes(layout: str, cell: Cell) -> tuple[dict[str, str], dict[str, str]]:
    """The shapes of a layout's keys for ``cell``, the cell's and the output layer's, as
    ``{"weight_ih_l0": "4*n_a n_x", ...}`` (``n_a`` for the RNN's single block)."""
    stacked = len(LAYOUTS[layout].order[cell])

    def shape(block: str) -> str:
        dims = _BLOCK_SHAPES[block][:: -1 if LAYOUTS[layout].row_major else 1]
        return " ".join(d.replace("G*", "" if stacked == 1 else f"{stacked}*") for d in dims)

    return (
        {key: shape(block) for key, block in LAYOUTS[layout].keys.items()},
        {key: shape(block) for key, block in LAYOUTS[layout].output.items()},
    )


def from_pytorch(state_dict: Mapping[str, Any], cell: PyTorchCell, output: Mapping[str, Any] | None = None) -> Parameters:
    """The course's parameters of a PyTorch ``nn.RNN(n_x, n_a)``, ``nn.LSTM(n_x, n_a)`` or
    ``nn.GRU(n_x, n_a)`` and the ``nn.Linear(n_a, n_y)`` on its output.

    PyTorch stacks the LSTM's gates in the order i, f, g, o: the course's Γ_u (``Wi``), Γ_f
    (``Wf``), c̃ (``Wc``), Γ_o (``Wo``). The two biases of each gate add up to the course's one.
    ``nn.GRU`` is the frameworks' GRU, ``"torch_gru"`` (:func:`rnnlstm.torch_gru_forward`), its gates
    stacked r, z, n: Γ_r (``Wr``), the complement 1 − Γ_u of the update gate (so ``Wu`` and ``bu``
    are its weights and biases negated), c̃ (``Wc``), whose hidden bias ``b_hn`` is the course's
    ``bcc`` and stays apart. The course's GRU (``"gru"``) has no PyTorch layout: it is another
    function, and asking for it raises a ``ValueError``.

    Parameters
    ----------
    state_dict : dict
        ``module.state_dict()`` of one layer: ``weight_ih_l0`` (G·n_a, n_x), ``weight_hh_l0``
        (G·n_a, n_a), ``bias_ih_l0`` and ``bias_hh_l0`` (G·n_a,), G = 1 for ``"rnn"``, 4 for
        ``"lstm"``, 3 for ``"torch_gru"``; tensors or numpy arrays.
    cell : {"rnn", "lstm", "torch_gru"}
    output : dict, optional
        ``linear.state_dict()``: ``weight`` (n_y, n_a), ``bias`` (n_y,). Without it, the result
        holds the cell's parameters only; add ``Wya``/``Wy`` and ``by`` before a forward pass.

    Returns
    -------
    parameters : dict
        As :func:`rnnlstm.rnn_forward`, :func:`rnnlstm.lstm_forward` or
        :func:`rnnlstm.torch_gru_forward` take it: new numpy arrays of the given float dtype.
    """
    _check_cell(cell, "pytorch")
    dims = Dimensions()
    shapes, output_shapes = key_shapes("pytorch", cell)
    arrays = _arrays("state_dict", state_dict, shapes, dims)
    if output is not None:
        arrays |= _arrays("output", output, output_shapes, dims)
    return _from_layout(arrays, cell, LAYOUTS["pytorch"])


def to_pytorch(parameters: Mapping[str, Any], cell: PyTorchCell) -> tuple[dict[str, Array], dict[str, Array]]:
    """The state dicts of a PyTorch ``nn.RNN(n_x, n_a)``, ``nn.LSTM(n_x, n_a)`` or
    ``nn.GRU(n_x, n_a)`` and of the ``nn.Linear(n_a, n_y)`` on its output that compute what the
    course's parameters compute.

    Each gate's bias goes into ``bias_ih_l0``, and ``bias_hh_l0`` is zero but for the frameworks'
    GRU's ``bcc``, its rows of n (the gate order and signs are :func:`from_pytorch`'s). The
    course's GRU (``"gru"``) has no PyTorch layout: ``nn.GRU`` computes another function (its
    reset gate multiplies W_hn h + b_hn, not h), so ``"gru"`` raises a ``ValueError``; train
    :func:`rnnlstm.torch_gru_loss` to compare with PyTorch. PyTorch's modules take
    tensors; load the two with one line each::

        state, head = rnnlstm.to_pytorch(parameters, "lstm")
        lstm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        linear.load_state_dict({k: torch.from_numpy(v) for k, v in head.items()})

    The module then runs on ``x.transpose(2, 1, 0)`` (T_x, m, n_x), from ``a0.T[None]`` (and a
    zero cell state), and ``softmax(linear(output), dim=-1)`` is ``y_pred.transpose(2, 1, 0)``.

    Parameters
    ----------
    parameters : dict
        The course's parameters, as for :func:`rnnlstm.rnn_forward`, :func:`rnnlstm.lstm_forward`
        or :func:`rnnlstm.torch_gru_forward`.
    cell : {"rnn", "lstm", "torch_gru"}

    Returns
    -------
    state_dict : dict
        ``weight_ih_l0`` (G·n_a, n_x), ``weight_hh_l0`` (G·n_a, n_a), ``bias_ih_l0``,
        ``bias_hh_l0`` (G·n_a,): numpy arrays, G = 1 for ``"rnn"``, 4 for ``"lstm"``, 3 for
        ``"torch_gru"``.
    output : dict
        ``weight`` (n_y, n_a), ``bias`` (n_y,).
    """
    _check_cell(cell, "pytorch")
    arrays = _arrays("parameters", parameters, COURSE[cell].shapes, Dimensions())
    state = _to_layout(arrays, cell, LAYOUTS["pytorch"])
    return {k: state[k] for k in LAYOUTS["pytorch"].keys}, {k: state[k] for k in LAYOUTS["pytorch"].output}


def from_cs231n(params: Mapping[str, Any], cell: CS231nCell) -> Parameters:
    """The course's parameters of CS231n's recurrent layer (and its temporal affine output).

    CS231n is row-major (x of shape (N, T, D), h of shape (N, H): N = m, D = n_x, H = n_a), so its
    weights are the course's transposed, and it stacks the LSTM's gates in the order i, f, o, g:
    the course's Γ_u (``Wi``), Γ_f (``Wf``), Γ_o (``Wo``), c̃ (``Wc``).

    Parameters
    ----------
    params : dict
        ``Wx`` (n_x, G·n_a), ``Wh`` (n_a, G·n_a), ``b`` (G·n_a,), G = 1 for ``"rnn"``, 4 for
        ``"lstm"``; and, for the output layer, ``W_vocab`` (n_a, n_y) and ``b_vocab`` (n_y,).
        Without those two, the result holds the cell's parameters only.
    cell : {"rnn", "lstm"}

    Returns
    -------
    parameters : dict
        As :func:`rnnlstm.rnn_forward` or :func:`rnnlstm.lstm_forward` take it: new numpy arrays.
    """
    _check_cell(cell, "cs231n")
    shapes, output_shapes = key_shapes("cs231n", cell)
    if isinstance(params, Mapping) and any(k in params for k in output_shapes):
        shapes |= output_shapes
    return _from_layout(_arrays("params", params, shapes, Dimensions()), cell, LAYOUTS["cs231n"])


def to_cs231n(parameters: Mapping[str, Any], cell: CS231nCell) -> dict[str, Array]:
    """CS231n's parameters (of ``rnn_forward``/``lstm_forward`` and ``temporal_affine_forward``)
    that compute what the course's parameters compute, on ``x.transpose(1, 2, 0)`` (m, T_x, n_x)
    from ``a0.T``.

    Parameters
    ----------
    parameters : dict
        The course's parameters, as for :func:`rnnlstm.rnn_forward` or :func:`rnnlstm.lstm_forward`.
    cell : {"rnn", "lstm"}

    Returns
    -------
    params : dict
        ``Wx`` (n_x, G·n_a), ``Wh`` (n_a, G·n_a), ``b`` (G·n_a,), ``W_vocab`` (n_a, n_y),
        ``b_vocab`` (n_y,): numpy arrays, G = 1 for ``"rnn"``, 4 for ``"lstm"``.
    """
    _check_cell(cell, "cs231n")
    return _to_layout(_arrays("parameters", parameters, COURSE[cell].shapes, Dimensions()), cell, LAYOUTS["cs231n"])


# Why a cell of the library has no layout in a code base, where a sentence more helps
NO_LAYOUT = {
    ("pytorch", "gru"): "the course's GRU has no PyTorch layout: it is another function than torch.nn.GRU, "
    "whose reset gate multiplies W_hn h + b_hn, not h; the cell 'torch_gru' is the GRU that PyTorch computes "
    "and converts",
}


def _check_cell(cell: object, layout: str) -> None:
    cells = LAYOUTS[layout].order
    if not isinstance(cell, str) or cell not in cells:
        error = ValueError if isinstance(cell, str) else TypeError
        why = NO_LAYOUT.get((layout, cell)) if isinstance(cell, str) else None
        raise error(f"cell must be one of {', '.join(map(repr, cells))}, got {cell!r}" + (f": {why}" if why else ""))


def _arrays(name: str, given: object, shapes: Mapping[str, str], dims: Dimensions) -> dict[str, Array]:
    """``given`` (the argument ``name``) as numpy arrays, checked against ``shapes``."""
    if not isinstance(given, Mapping):
        raise TypeError(f"{name} must be a dict with keys {', '.join(shapes)}, got {type(given).__name__}")
    arrays = {key: _numpy(value) for key, value in given.items()}
    check_parameters(arrays, shapes, dims, name)
    return arrays


def _numpy(value: object) -> Any:
    """A tensor's values (``.detach().cpu().numpy()``), or ``np.asarray(value)``."""
    detach = getattr(value, "detach", None)
    return detach().cpu().numpy() if callable(detach) else np.asarray(value)


def _from_layout(arrays: dict[str, Array], cell: str, layout: Layout) -> Parameters:
    """The course's dict of a layout's (checked) arrays: each block's rows, back in the course's
    orientation and keys, and its sign (a complemented gate's negated)."""
    stacked: dict[str, Array] = {}
    biases = [key for key, block in layout.keys.items() if block == "b"]
    for key, block in (layout.keys | layout.output).items():
        if key in arrays:
            value = np.ascontiguousarray(arrays[key].T) if layout.row_major else arrays[key]
            stacked[block] = stacked[block] + value if block in stacked else value
    n_a = stacked["W_a"].shape[1]
    course = COURSE[cell]
    out: Parameters = {}
    for k, (letter, _) in enumerate(layout.order[cell]):
        rows = slice(k * n_a, (k + 1) * n_a)
        sign = -1 if letter in layout.complements.get(cell, ()) else 1
        on_a, on_x, bias = course.blocks[letter]
        if on_a == on_x:
            out[on_a] = sign * np.concatenate([stacked["W_a"][rows], stacked["W_x"][rows]], axis=1)
        else:
            out[on_a], out[on_x] = sign * stacked["W_a"][rows], sign * stacked["W_x"][rows]
        if letter in course.recurrent_bias:  # the last bias alone, inside the product with the gate
            out[course.recurrent_bias[letter]] = sign * arrays[biases[-1]][rows, None]
            out[bias] = sign * np.sum([arrays[key][rows, None] for key in biases[:-1]], axis=0)
        else:
            out[bias] = sign * stacked["b"][rows, None]
    if "W_y" in stacked:
        out[course.output[0]], out[course.output[1]] = stacked["W_y"].copy(), stacked["b_y"][:, None].copy()
    return {key: out[key] for key in course.shapes if key in out}


def _to_layout(parameters: dict[str, Array], cell: str, layout: Layout) -> dict[str, Array]:
    """A layout's arrays (the cell's and the output layer's) of the course's (checked) dict."""
    course = COURSE[cell]
    on_a, on_x, bias, hidden = [], [], [], []
    for letter, _ in layout.order[cell]:
        key_a, key_x, key_b = course.blocks[letter]
        sign = -1 if letter in layout.complements.get(cell, ()) else 1
        n_a = parameters[key_b].shape[0]
        on_a.append(sign * (parameters[key_a][:, :n_a] if key_a == key_x else parameters[key_a]))
        on_x.append(sign * (parameters[key_x][:, n_a:] if key_a == key_x else parameters[key_x]))
        bias.append(sign * parameters[key_b][:, 0])
        recurrent = course.recurrent_bias.get(letter)
        hidden.append(sign * parameters[recurrent][:, 0] if recurrent else np.zeros_like(parameters[key_b][:, 0]))
    stacked = {
        "W_a": np.concatenate(on_a),
        "W_x": np.concatenate(on_x),
        "b": np.concatenate(bias),
        "W_y": parameters[course.output[0]],
        "b_y": parameters[course.output[1]][:, 0],
    }
    biases = [key for key, block in layout.keys.items() if block == "b"]
    out: dict[str, Array] = {}
    for key, block in (layout.keys | layout.output).items():
        if block == "b" and key != biases[0]:  # a second bias of the same gates: zero but for a recurrent bias
            out[key] = np.concatenate(hidden)
        else:
            out[key] = (stacked[block].T if layout.row_major else stacked[block]).copy()
    return out
