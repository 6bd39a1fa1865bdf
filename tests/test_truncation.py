"""Truncated backpropagation through time (rnnlstm.truncation): with chunks of k ≥ T_x steps it is
the full gradient, bit for bit; for smaller k it is exactly the gradient of the truncated graph, in
which each chunk starts from states that are inputs (finite differences of that graph's loss)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import assert_same

import rnnlstm
from rnnlstm.cells import CELLS
from rnnlstm.gradcheck import gradient_check
from rnnlstm.output import output_layer
from rnnlstm.problems import random_problem
from rnnlstm.truncation import truncated_loss

LOSSES = {"rnn": rnnlstm.rnn_loss, "lstm": rnnlstm.lstm_loss, "gru": rnnlstm.gru_loss}
T_X = 7


def truncated_graph(x, y, a0, parameters, cell, k, frozen):
    """The loss of the truncated graph: chunk c starts from the states ``frozen[c]`` (held fixed,
    as inputs), and runs the cell's forward steps one by one."""
    definition, output = CELLS[cell], CELLS[cell].output
    J = 0.0
    for c, first in enumerate(range(0, x.shape[2], k)):
        states, a = list(frozen[c]), []
        for t in range(first, min(first + k, x.shape[2])):
            *states, _ = definition.forward(x[:, :, t], *states, parameters)
            a.append(states[0])
        J += output_layer(np.stack(a, axis=2), y[:, :, first : first + k], parameters[output], parameters["by"])[0]
    return J


def borders(x, a0, parameters, cell, k):
    """The states each chunk starts from, on the full forward pass."""
    definition = CELLS[cell]
    states, out = [a0, *(np.zeros_like(a0) for _ in definition.states[1:])], []
    for t in range(x.shape[2]):
        if t % k == 0:
            out.append([s.copy() for s in states])
        *states, _ = definition.forward(x[:, :, t], *states, parameters)
    return out


@pytest.mark.parametrize("cell", sorted(LOSSES))
@pytest.mark.parametrize("k", [T_X, T_X + 3])
def test_chunks_as_long_as_the_sequence_give_the_full_gradient_bit_for_bit(cell, k):
    x, y, a0, parameters = random_problem(cell, 3, 4, 3, 2, T_X, seed=1)
    J, full = LOSSES[cell](x, y, a0, parameters)
    J_k, grads = truncated_loss(x, y, a0, parameters, cell, k)
    assert J_k == J
    assert_same(grads, {key: full[key] for key in grads})


@pytest.mark.parametrize("cell", sorted(LOSSES))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_shorter_chunks_give_the_gradient_of_the_truncated_graph(cell, k):
    x, y, a0, parameters = random_problem(cell, 3, 4, 3, 2, T_X, seed=2)
    before = copy.deepcopy((x, y, a0, parameters))
    J, grads = truncated_loss(x, y, a0, parameters, cell, k)
    assert_same((x, y, a0, parameters), before)
    assert J == pytest.approx(LOSSES[cell](x, y, a0, parameters)[0], rel=1e-13)  # the forward pass is whole
    frozen = borders(x, a0, parameters, cell, k)
    arrays = {"d" + key: v for key, v in parameters.items()} | {"dx": x}
    errors = gradient_check(lambda: truncated_graph(x, y, a0, parameters, cell, k, frozen), arrays, grads)
    assert max(errors.values()) < 1e-6, errors
    # and it is not the full gradient: the recurrent weights miss what crosses the borders
    _, full = LOSSES[cell](x, y, a0, parameters)
    recurrent = "dWaa" if cell == "rnn" else ("dWf" if cell == "lstm" else "dWu")
    assert np.max(np.abs(grads[recurrent] - full[recurrent])) > 1e-3 * np.max(np.abs(full[recurrent]))


def test_a0_receives_only_what_the_first_chunk_sends():
    x, y, a0, parameters = random_problem("rnn", 3, 4, 3, 2, T_X, seed=3)
    _, grads = truncated_loss(x, y, a0, parameters, "rnn", 3)
    _, first = rnnlstm.rnn_loss(x[:, :, :3], y[:, :, :3], a0, parameters)
    np.testing.assert_allclose(grads["da0"], first["da0"], rtol=1e-13, atol=0)


def test_a_mask_counts_as_in_the_full_loss():
    x, y, a0, parameters = random_problem("lstm", 3, 4, 3, 2, T_X, seed=4)
    mask = np.ones((2, T_X))
    mask[1, 4:] = 0
    J, full = rnnlstm.lstm_loss(x, y, a0, parameters, mask)
    J_k, grads = truncated_loss(x, y, a0, parameters, "lstm", T_X, mask)
    assert J_k == J and all(np.array_equal(grads[key], full[key]) for key in grads)


@pytest.mark.parametrize(
    "k, cell, error, message",
    [
        (0, "rnn", ValueError, "k must be at least 1, got 0"),
        (2.0, "rnn", TypeError, "k must be an int, got float"),
        (2, "transformer", ValueError, "cell must be one of 'rnn', 'lstm', 'gru'"),
        (2, "lstm", ValueError, "parameters must have exactly the keys"),
    ],
    ids=["k = 0", "a float k", "an unknown cell", "another cell's parameters"],
)
def test_bad_input_is_refused_naming_it(k, cell, error, message):
    x, y, a0, parameters = random_problem("rnn", 3, 4, 3, 2, T_X, seed=5)
    with pytest.raises(error) as raised:
        truncated_loss(x, y, a0, parameters, cell, k)
    assert message in str(raised.value)
