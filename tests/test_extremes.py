"""Stable at the extremes: pre-activations of ±1e3 give no overflow, no NaN, and the saturated
values and gradients they should; a probability near 0 gives a finite, exact cross-entropy."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import mpmath
import numpy as np
import pytest

import rnnlstm
from rnnlstm.problems import random_problem


@contextmanager
def strict():
    """Overflow, invalid operations and division by zero raise; so does any warning. (Underflow to
    0 is the right answer for e^{−1000} and is allowed.)"""
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_saturate_exactly(dtype):
    z = np.array([[-1e3], [-40.0], [0.0], [40.0], [1e3]], dtype=dtype)
    with strict():
        s, t = rnnlstm.sigmoid(z), np.tanh(z)
        scores = np.array([[1e3, -1e3], [-1e3, 1e3], [0.0, 0.0]], dtype=dtype)
        p, logp = rnnlstm.softmax(scores), rnnlstm.log_softmax(scores)
    assert s.dtype == dtype and p.dtype == dtype
    assert s[0, 0] == 0 and s[2, 0] == 0.5 and s[4, 0] == 1
    assert t[0, 0] == -1 and t[4, 0] == 1
    np.testing.assert_array_equal(p[:, 0], [1, 0, 0])
    np.testing.assert_array_equal(logp[:, 0], [0, -2000, -1000])


def test_sigmoid_keeps_its_relative_precision_in_the_tail():
    z = np.array([-40.0, -100.0, -700.0])
    exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(v)))) for v in z])
    np.testing.assert_allclose(rnnlstm.sigmoid(z), exact, rtol=1e-15)


def test_cross_entropy_of_a_probability_near_zero_is_exact_and_finite():
    """One step, one example, two classes: the target's score is 2000 below the other's, so its
    probability is e^{−2000} (0 in floating point) while J = log(1 + e^{2000}) = 2000 to 1e-868."""
    from rnnlstm.output import output_layer

    a = np.ones((1, 1, 1))
    W = np.array([[1e3], [-1e3]])
    y = np.array([[0.0], [1.0]])[:, :, None]
    with strict():
        J, dzy, dW, db, da = output_layer(a, y, W, np.zeros((2, 1)))
    assert J == 2000.0
    np.testing.assert_array_equal(dzy[:, 0, 0], [1, -1])  # ŷ − y
    np.testing.assert_array_equal(dW[:, 0], [1, -1])
    np.testing.assert_array_equal(da[:, 0, 0], [2000])


@pytest.mark.parametrize("model", ["rnn", "lstm"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_networks_give_finite_exact_saturated_gradients(model, dtype):
    """Biases of ±1e3 put every pre-activation at ±1e3 (give or take the O(1) weighted inputs), and
    output weights of ±1e3 put the scores there too: the states are exactly ±1, the gates exactly 0
    or 1, so every local derivative is exactly 0 and no gradient reaches the cell's parameters,
    inputs or initial state, while the output layer's stay finite, with predicted probabilities
    of 0 for some targets."""
    x, y, a0, p = random_problem(model, n_x=3, n_a=4, n_y=3, m=2, T_x=5, seed=3, dtype=dtype)
    signs = np.random.default_rng(4)
    big = {k: (np.where(signs.random(v.shape) < 0.5, -1e3, 1e3) if k[0] == "b" and k != "by" else v).astype(dtype) for k, v in p.items()}
    output = "Wya" if model == "rnn" else "Wy"
    big[output] = (np.sign(p[output]) * 1e3).astype(dtype)
    with strict():
        J, grads = (rnnlstm.rnn_loss if model == "rnn" else rnnlstm.lstm_loss)(x, y, a0, big)
        a = (rnnlstm.rnn_forward if model == "rnn" else rnnlstm.lstm_forward)(x, a0, big)[0]
    assert np.isfinite(J)
    assert all(np.isfinite(g).all() and g.dtype == dtype for g in grads.values())
    if model == "rnn":
        assert set(np.unique(np.abs(a))) == {1.0}  # tanh(±1e3) = ±1 exactly
        assert J > 100  # scores of ±1e3 per unit: some targets get a probability of e^(-1000s)
    cell = [k for k in grads if k not in ("d" + output, "dby", "da_next", "dc_next")]
    for k in cell:
        assert not grads[k].any(), k  # tanh' = 1 − a² and σ' = Γ(1 − Γ) are exactly 0
    assert 0 < np.abs(grads["d" + output]).max() < 1e3 and np.abs(grads["dby"]).max() < 10
