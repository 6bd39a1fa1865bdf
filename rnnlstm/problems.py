"""Random problems for the tests, the book, the verification and the benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import DTypeLike

from . import gru as _gru
from . import lstm as _lstm
from . import torch_gru as _torch_gru
from ._typing import Array, Parameters


def random_problem(
    model: Literal["rnn", "lstm", "gru", "torch_gru"],
    n_x: int,
    n_a: int,
    n_y: int,
    m: int,
    T_x: int,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    scale: float = 1.0,
) -> tuple[Array, Array, Array, Parameters]:
    """Parameters, inputs ``x`` (n_x, m, T_x), one-hot targets ``y`` (n_y, m, T_x) and ``a0``.

    Weights are standard normal times ``scale`` (the RNN's recurrent W_aa and the LSTM's and GRU's
    gate weights times a further 0.5 and 0.7, to keep the states away from saturation), biases and
    inputs standard normal; everything cast to ``dtype``.
    """
    rng = np.random.default_rng(seed)
    if model == "rnn":
        shapes = {"Wax": ((n_a, n_x), scale), "Waa": ((n_a, n_a), scale * 0.5), "Wya": ((n_y, n_a), scale),
                  "ba": ((n_a, 1), 1.0), "by": ((n_y, 1), 1.0)}  # fmt: skip
    elif model in ("lstm", "gru", "torch_gru"):
        gates = {"lstm": _lstm, "gru": _gru, "torch_gru": _torch_gru}[model].PARAMETER_SHAPES
        shapes = {k: ((n_a, n_a + n_x), scale * 0.7) if k[0] == "W" else ((n_a, 1), 1.0) for k in gates}
        shapes.update({"Wy": ((n_y, n_a), scale), "by": ((n_y, 1), 1.0)})
    else:
        raise ValueError(f"model must be one of rnn, lstm, gru, torch_gru, got {model!r}")
    parameters = {k: (rng.normal(size=shape) * s).astype(dtype) for k, (shape, s) in shapes.items()}
    x = rng.normal(size=(n_x, m, T_x)).astype(dtype)
    y = np.eye(n_y, dtype=dtype)[:, rng.integers(n_y, size=(m, T_x))]
    a0 = rng.normal(size=(n_a, m)).astype(dtype)
    return x, y, a0, parameters


def random_deep_problem(
    model: Literal["rnn", "lstm", "gru", "torch_gru"],
    n_x: int,
    widths: Sequence[int],
    n_y: int,
    m: int,
    T_x: int,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    scale: float = 1.0,
) -> tuple[Array, Array, list[Array], dict[str, Any]]:
    """A stack of ``len(widths)`` layers of ``model``, layer l of width ``widths[l - 1]``, for
    :func:`rnnlstm.deep_loss`: ``x`` (n_x, m, T_x), one-hot ``y`` (n_y, m, T_x), ``a0`` (one
    (n_a^[l], m) per layer) and ``{"layers": [...], "Wy": ..., "by": ...}``.

    Each layer is drawn as :func:`random_problem` draws a single layer reading the one below
    (seed ``seed + l − 1``); ``x`` and ``y`` are the first layer's, the output layer the last's.
    """
    from .cells import CELLS

    layers, a0 = [], []
    inputs = n_x
    for layer, n_a in enumerate(widths):
        x_layer, y_layer, a0_layer, p = random_problem(model, inputs, n_a, n_y, m, T_x, seed + layer, dtype, scale)
        if layer == 0:
            x, y = x_layer, y_layer
        layers.append({k: p[k] for k in CELLS[model].parameters})
        a0.append(a0_layer)
        inputs = n_a
    return x, y, a0, {"layers": layers, "Wy": p[CELLS[model].output], "by": p["by"]}


def random_bidirectional_problem(
    model: Literal["rnn", "lstm", "gru"],
    n_x: int,
    widths: Sequence[int],
    n_y: int,
    m: int,
    T_x: int,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    scale: float = 1.0,
) -> tuple[Array, Array, tuple[Array, Array], dict[str, Any]]:
    """A bidirectional network of ``model``, the forward layer of width ``widths[0]`` = n_a→ and
    the backward layer of width ``widths[1]`` = n_a←, for :func:`rnnlstm.birnn_loss`: ``x`` (n_x, m,
    T_x), one-hot ``y`` (n_y, m, T_x), ``a0`` = (a0_forward (n_a→, m), a0_backward (n_a←, m)) and
    ``{"forward": {...}, "backward": {...}, "Wy": (n_y, n_a→ + n_a←), "by": (n_y, 1)}``.

    Each layer is drawn as :func:`random_problem` draws a single layer reading x (seed ``seed`` for
    the forward layer, ``seed + 1`` for the backward one); ``x``, ``y`` and ``by`` are the forward
    draw's, ``Wy`` the two draws' output weights side by side.
    """
    from .cells import CELLS

    if len(widths) != 2:
        raise ValueError(f"widths must be (n_a_forward, n_a_backward), got {len(widths)} widths")
    draws = [random_problem(model, n_x, n_a, n_y, m, T_x, seed + k, dtype, scale) for k, n_a in enumerate(widths)]
    output = CELLS[model].output
    (x, y, _, forward), (_, _, _, backward) = draws
    return x, y, (draws[0][2], draws[1][2]), {
        "forward": {k: forward[k] for k in CELLS[model].parameters},
        "backward": {k: backward[k] for k in CELLS[model].parameters},
        "Wy": np.concatenate([forward[output], backward[output]], axis=1),
        "by": forward["by"],
    }
