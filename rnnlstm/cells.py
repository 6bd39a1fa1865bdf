"""The cells a network is made of: one entry per kind, which the stacked network loops over.

Each entry is the cell without its output layer, as one layer of a stack (:mod:`.deep`) uses it:
its parameters and their shapes, and its forward and backward steps on the states it carries from
one step to the next (the RNN and the GRUs carry a, the LSTM a and c). The steps are the readable functions'
own (:mod:`.rnn`, :mod:`.lstm`, :mod:`.gru`, :mod:`.torch_gru`), so a layer computes exactly what a single-layer network does;
a new kind of cell is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from . import torch_gru as _torch_gru
from ._typing import Gradients


@dataclass(frozen=True)
class CellDefinition:
    """One kind of recurrent cell, as a layer of a stack."""

    parameters: Mapping[str, str]
    """Each parameter's key and its shape in the dimensions of :class:`._validate.Dimensions`:
    ``n_x`` the width of the layer's input, ``n_a`` its own (the output layer excluded)."""
    states: tuple[str, ...]
    """The states carried from step t to step t+1, ``a`` first; every one but ``a`` starts at 0."""
    forward: Callable[..., tuple[Any, ...]]
    """``forward(xt, *states⟨t−1⟩, parameters) -> (*states⟨t⟩, cache)``."""
    backward: Callable[..., Gradients]
    """``backward(da⟨t⟩, *shares from step t+1 of the other states, cache)``: the gradients of
    step t, with ``dxt``, the parameters' ``d`` + key, and ``d`` + state + ``_prev`` for each
    state (step t's share of its gradient at t−1)."""
    network: Mapping[str, str]
    """The single-layer network's parameters and shapes, its output layer included, as its loss
    (``rnn_loss``, ``lstm_loss``, ...) takes them."""

    @property
    def output(self) -> str:
        """The key of the output layer's weight: ``Wya`` for the RNN (the course's), ``Wy`` else."""
        (key,) = (k for k, shape in self.network.items() if shape == "n_y n_a")
        return key


CELLS: dict[str, CellDefinition] = {
    module.__name__.rsplit(".", 1)[1]: CellDefinition(
        {key: module.PARAMETER_SHAPES[key] for key in module.CELL_PARAMETERS},
        module.STATES,
        module._recurrent_step,
        module._cell_backward,
        module.PARAMETER_SHAPES,
    )
    for module in (_rnn, _lstm, _gru, _torch_gru)
}
"""Every kind of cell, by the name that :func:`rnnlstm.deep_loss` and the others take as ``cell``."""
