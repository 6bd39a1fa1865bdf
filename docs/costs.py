"""What a step of each cell costs, counted from the parameter shapes the library checks.

The shapes are ``rnnlstm``'s own ``PARAMETER_SHAPES`` (``{"Wax": "n_a n_x", ...}``), read as
SymPy expressions in the book's symbols n_x, n_a, n_y (and m, the examples of a batch), so that
a count is a formula before it is a number.
"""

from __future__ import annotations

import sympy as sp

from derivations.notation import m, n_a, n_x, n_y
from rnnlstm import gru, lstm, rnn

MODELS = {"rnn": rnn, "lstm": lstm, "gru": gru}
EXAMPLE = {"n_x": 27, "n_a": 64, "n_y": 27}  # 27 characters in and out, as in a character model
_SYMBOLS = {"n_x": n_x, "n_a": n_a, "n_y": n_y, "m": m}


def shapes(model):
    """``{name: (rows, cols)}`` of ``model``'s parameters ("rnn", "lstm", "gru"), as SymPy
    expressions: the LSTM's ``"Wf": "n_a n_a+n_x"`` is ``(n_a, n_a + n_x)``."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    return {
        name: tuple(sp.sympify(d, locals=_SYMBOLS) for d in spec.split())
        for name, spec in MODELS[model].PARAMETER_SHAPES.items()
    }


def parameter_count(model):
    """The number of parameters of ``model``: Σ rows × cols over its parameters."""
    return sp.Add(*(rows * cols for rows, cols in shapes(model).values()))


def multiply_adds(model):
    """The multiply-adds of the matrix products of one forward step on m examples: each weight
    W (rows × cols) times a (cols × m) input costs rows × cols × m. A weight is a parameter
    whose columns are not the bias's single one; the output layer's W_y is counted, since every
    step makes a prediction."""
    return m * sp.Add(*(rows * cols for rows, cols in shapes(model).values() if cols != 1))


def at(expression, sizes=EXAMPLE):
    """``expression`` at ``sizes`` (``{"n_x": 27, ...}``, ``"m"`` allowed), an int."""
    unknown = set(sizes) - set(_SYMBOLS)
    if unknown:
        raise ValueError(f"sizes must name only {', '.join(_SYMBOLS)}, got {', '.join(sorted(unknown))}")
    return int(expression.subs({_SYMBOLS[k]: v for k, v in sizes.items()}))
