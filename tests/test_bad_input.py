"""Every bad input is refused before any work, naming the argument, the expected and the actual."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import random_problem

import rnnlstm

n_x, n_a, n_y, m, T_x = 3, 5, 4, 6, 7


@pytest.fixture
def problem():
    return random_problem(n_x, n_a, n_y, m, T_x)


def replaced(parameters, **changes):
    return {**parameters, **changes}


def drop(parameters, key):
    return {k: v for k, v in parameters.items() if k != key}


LOSS_CASES = [
    # (description, transform (x, y, a0, p) -> args, error type, message pieces)
    ("x with 2 dimensions", lambda x, y, a0, p: (x[:, :, 0], y, a0, p), ValueError, ["x must have shape (n_x, m, T_x) = (3, ?, ?)", "got (3, 6)"]),
    ("x inconsistent with Wax", lambda x, y, a0, p: (np.ones((4, m, T_x)), y, a0, p), ValueError, ["x must have shape (n_x, m, T_x) = (3, ?, ?)", "got (4, 6, 7)"]),
    ("a0 inconsistent with Waa", lambda x, y, a0, p: (x, y, np.ones((n_a + 1, m)), p), ValueError, ["a0 must have shape (n_a, m) = (5, 6)", "got (6, 6)"]),
    ("a0 with another m", lambda x, y, a0, p: (x, y, np.ones((n_a, m + 1)), p), ValueError, ["a0 must have shape (n_a, m) = (5, 6)", "got (5, 7)"]),
    ("a bias of shape (n_a,)", lambda x, y, a0, p: (x, y, a0, replaced(p, ba=p["ba"][:, 0])), ValueError, ['parameters["ba"] must have shape (n_a, 1) = (5, 1)', "got (5,)"]),
    ("Wya inconsistent with Waa", lambda x, y, a0, p: (x, y, a0, replaced(p, Wya=np.ones((n_y, n_a + 2)))), ValueError, ['parameters["Wya"] must have shape (n_y, n_a) = (4, 5)', "got (4, 7)"]),
    ("a missing key", lambda x, y, a0, p: (x, y, a0, drop(p, "Wya")), ValueError, ["missing Wya"]),
    ("an unknown key", lambda x, y, a0, p: (x, y, a0, replaced(p, Wy=p["Wya"])), ValueError, ["unknown Wy"]),
    ("parameters not a dict", lambda x, y, a0, p: (x, y, a0, list(p.values())), TypeError, ["parameters must be a dict"]),
    ("NaN in x", lambda x, y, a0, p: (np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x), y, a0, p), ValueError, ["x contains NaN or Inf"]),
    ("Inf in Waa", lambda x, y, a0, p: (x, y, a0, replaced(p, Waa=np.full((n_a, n_a), np.inf))), ValueError, ['parameters["Waa"] contains NaN or Inf']),
    ("an integer array", lambda x, y, a0, p: (x.astype(int), y, a0, p), TypeError, ["x must be a floating-point array, got dtype int64"]),
    ("an object array", lambda x, y, a0, p: (x, y, a0.astype(object), p), TypeError, ["a0 must be a floating-point array, got dtype object"]),
    ("a string array", lambda x, y, a0, p: (x, y, a0, replaced(p, by=np.full((n_y, 1), "0"))), TypeError, ['parameters["by"] must be a floating-point array']),
    ("a list instead of an array", lambda x, y, a0, p: (x.tolist(), y, a0, p), TypeError, ["x must be a numpy array of shape (n_x, m, T_x), got list"]),
    ("an empty sequence", lambda x, y, a0, p: (x[:, :, :0], y[:, :, :0], a0, p), ValueError, ["x has T_x = 0"]),
    ("y with another T_x", lambda x, y, a0, p: (x, y[:, :, :4], a0, p), ValueError, ["y must have shape (n_y, m, T_x) = (4, 6, 7)", "got (4, 6, 4)"]),
    ("y not one-hot", lambda x, y, a0, p: (x, 2 * y, a0, p), ValueError, ["y must hold one-hot"]),
]


@pytest.mark.parametrize("case", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_rnn_loss_refuses(problem, case):
    _, transform, error, pieces = case
    args = transform(*problem)
    with pytest.raises(error) as info:
        rnnlstm.rnn_loss(*args)
    for piece in pieces:
        assert piece in str(info.value)


@pytest.mark.parametrize("case", LOSS_CASES[:16], ids=[c[0] for c in LOSS_CASES[:16]])
def test_rnn_forward_refuses(problem, case):
    _, transform, error, pieces = case
    x, _, a0, p = transform(*problem)
    with pytest.raises(error, match=re.escape(pieces[0])):
        rnnlstm.rnn_forward(x, a0, p)


def test_cell_forward_refuses_mismatched_step_inputs(problem):
    x, _, a0, p = problem
    with pytest.raises(ValueError, match=re.escape("xt must have shape (n_x, m) = (3, ?), got (3, 6, 7)")):
        rnnlstm.rnn_cell_forward(x, a0, p)
    with pytest.raises(ValueError, match=re.escape("a_prev must have shape (n_a, m) = (5, 6), got (5, 5)")):
        rnnlstm.rnn_cell_forward(x[:, :, 0], a0[:, :5], p)


def test_cell_backward_refuses_a_mismatched_gradient(problem):
    x, _, a0, p = problem
    a_next, _, cache = rnnlstm.rnn_cell_forward(x[:, :, 0], a0, p)
    with pytest.raises(ValueError, match=re.escape("da_next must have shape (n_a, m) = (5, 6), got (5, 1)")):
        rnnlstm.rnn_cell_backward(a_next[:, :1], cache)
    with pytest.raises(TypeError, match="expected the cache returned by rnn_cell_forward"):
        rnnlstm.rnn_cell_backward(a_next, list(cache))


def test_backward_refuses_da_with_another_number_of_steps(problem):
    """The course's test cell passes 4 steps of da for a 7-step sequence; we refuse it."""
    x, _, a0, p = problem
    a, _, caches = rnnlstm.rnn_forward(x, a0, p)
    with pytest.raises(ValueError, match=re.escape("da must have shape (n_a, m, T_x) = (5, 6, 7), got (5, 6, 4)")):
        rnnlstm.rnn_backward(a[:, :, :4], caches)
    with pytest.raises(TypeError, match="expected the cache returned by rnn_forward"):
        rnnlstm.rnn_backward(a, caches[0])


def test_refused_input_is_left_untouched(problem):
    x, y, a0, p = problem
    bad = replaced(p, ba=p["ba"][:, 0])
    before = {k: v.copy() for k, v in bad.items()}
    with pytest.raises(ValueError):
        rnnlstm.rnn_loss(x, y, a0, bad)
    for k in bad:
        np.testing.assert_array_equal(bad[k], before[k])
