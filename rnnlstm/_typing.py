"""The types in the hints of the public API (aliases: the functions take and return plain
numpy arrays, dicts and tuples)."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

Array: TypeAlias = NDArray[np.floating]  # float32 or float64: other dtypes are refused at run time
# NDArray[Any], not Array: a dict is invariant in its values, so a user's dict of float64 arrays
# is no dict of floating arrays to a type checker
Parameters: TypeAlias = dict[str, NDArray[Any]]
Gradients: TypeAlias = dict[str, Array]
Cell: TypeAlias = Literal["rnn", "lstm", "gru", "torch_gru"]  # the recurrent cells, by the prefix of their functions
PyTorchCell: TypeAlias = Literal["rnn", "lstm", "torch_gru"]  # those with a PyTorch layout (not the course's GRU)
CS231nCell: TypeAlias = Literal["rnn", "lstm"]  # those with a CS231n layout

RNNCellCache: TypeAlias = tuple[Array, Array, Array, Parameters]  # a_next, a_prev, xt, parameters
RNNCaches: TypeAlias = tuple[list[RNNCellCache], Array]  # the cell caches, x
# a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters
LSTMCellCache: TypeAlias = tuple[Array, Array, Array, Array, Array, Array, Array, Array, Array, Parameters]
LSTMCaches: TypeAlias = tuple[list[LSTMCellCache], Array]
# a_next, a_prev, ut, rt, cct, xt, parameters
GRUCellCache: TypeAlias = tuple[Array, Array, Array, Array, Array, Array, Parameters]
GRUCaches: TypeAlias = tuple[list[GRUCellCache], Array]
# a stack (rnnlstm.deep): one (cell caches, input sequence) per layer, and the cell's name
DeepCaches: TypeAlias = tuple[list[tuple[list[Any], Array]], str]
# a stack's gradients: "layers" a list of one Gradients per layer, "da0" and "da_next" lists of arrays
DeepGradients: TypeAlias = dict[str, Any]
# one layer's (cell caches in the order the layer ran them, the input it read)
LayerCaches: TypeAlias = tuple[list[Any], Array]
# a bidirectional network (rnnlstm.bidirectional): (forward layer's, backward layer's), the cell's name
BidirectionalCaches: TypeAlias = tuple[tuple[LayerCaches, LayerCaches], str]
# its gradients: "forward" and "backward" one Gradients each, "da0" and "da_next" pairs of arrays
BidirectionalGradients: TypeAlias = dict[str, Any]

# rnnlstm.fused's own caches, not interchangeable with the readable functions'
FusedRNNCaches: TypeAlias = tuple[Array, Array, Array, int, int]  # AX, Wax, Waa, n_a, m
FusedLSTMCaches: TypeAlias = tuple[Array, Array, Array, Array, Array, Array, int, int]  # AX, C, TC, G, S, W, n_a, m
