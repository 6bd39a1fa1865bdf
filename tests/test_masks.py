"""Masks for sequences of different lengths: m times the loss and the gradients of a batch padded
to T_x, with a mask of its real steps, are the sums of its examples', each run alone on its own
length; masked steps contribute nothing; the fused path agrees; bad masks are refused."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import assert_same

import rnnlstm
from rnnlstm import fused
from rnnlstm.gradcheck import gradient_check
from rnnlstm.problems import random_deep_problem, random_problem

LENGTHS = (5, 2, 4, 1)  # m = 4 examples, padded to T_x = 5
LOSSES = {
    "rnn": rnnlstm.rnn_loss,
    "lstm": rnnlstm.lstm_loss,
    "gru": rnnlstm.gru_loss,
    "torch_gru": rnnlstm.torch_gru_loss,
    "fused rnn": fused.rnn_loss,
    "fused lstm": fused.lstm_loss,
}


def padded(model, seed=0):
    """A batch of len(LENGTHS) sequences, example i of LENGTHS[i] steps, zero after its end
    (inputs and targets: an all-zero target column only where the mask is 0)."""
    x, y, a0, parameters = random_problem(model.split()[-1], 3, 4, 3, len(LENGTHS), max(LENGTHS), seed=seed)
    mask = (np.arange(max(LENGTHS))[None, :] < np.array(LENGTHS)[:, None]).astype(np.float64)
    return x * mask, y * mask, a0, parameters, mask


def alone(i, x, y, a0):
    """Example i by itself, cut to its own length."""
    n = LENGTHS[i]
    return x[:, i : i + 1, :n], y[:, i : i + 1, :n], a0[:, i : i + 1]


@pytest.mark.parametrize("model", LOSSES)
def test_a_masked_batch_is_the_sum_of_its_examples_each_run_on_its_own_length(model):
    loss = LOSSES[model]
    x, y, a0, parameters, mask = padded(model, seed=1)
    before = copy.deepcopy((x, y, a0, parameters, mask))
    J, grads = loss(x, y, a0, parameters, mask)
    assert_same((x, y, a0, parameters, mask), before)
    m = len(LENGTHS)
    singles = [loss(*alone(i, x, y, a0), parameters) for i in range(m)]
    assert J * m == pytest.approx(sum(Ji for Ji, _ in singles), rel=1e-12)
    for k in parameters:  # J is a mean over the examples: m times the batch's is the sum
        np.testing.assert_allclose(m * grads["d" + k], sum(g["d" + k] for _, g in singles), rtol=1e-10, atol=1e-13)
    for i, (_, g) in enumerate(singles):
        n = LENGTHS[i]
        np.testing.assert_allclose(m * grads["dx"][:, i, :n], g["dx"][:, 0], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(m * grads["da0"][:, i], g["da0"][:, 0], rtol=1e-10, atol=1e-13)
        assert not grads["dx"][:, i, n:].any()  # a padded step reaches nothing the loss counts


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "torch_gru"])
def test_the_masked_loss_passes_the_gradient_check(model):
    x, y, a0, parameters, mask = padded(model, seed=2)
    loss = LOSSES[model]
    _, grads = loss(x, y, a0, parameters, mask)
    arrays = {**{"d" + k: v for k, v in parameters.items()}, "dx": x, "da0": a0}
    errors = gradient_check(lambda: loss(x, y, a0, parameters, mask)[0], arrays, grads)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_the_fused_path_masks_as_the_readable_one(model):
    x, y, a0, parameters, mask = padded(model, seed=3)
    J, grads = LOSSES[model](x, y, a0, parameters, mask)
    J_fast, fast = LOSSES[f"fused {model}"](x, y, a0, parameters, mask.astype(bool))
    assert J_fast == pytest.approx(J, rel=1e-12)
    for k in (*("d" + p for p in parameters), "dx", "da0"):
        np.testing.assert_allclose(fast[k], grads[k], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_stack_masks_too(cell):
    x, y, a0, parameters = random_deep_problem(cell, 2, (3, 2), 3, len(LENGTHS), max(LENGTHS), seed=4)
    mask = (np.arange(max(LENGTHS))[None, :] < np.array(LENGTHS)[:, None]).astype(np.float64)
    x, y = x * mask, y * mask
    J, grads = rnnlstm.deep_loss(x, y, a0, parameters, cell, mask)
    singles = [
        rnnlstm.deep_loss(x[:, i : i + 1, :n], y[:, i : i + 1, :n], [a[:, i : i + 1] for a in a0], parameters, cell)
        for i, n in enumerate(LENGTHS)
    ]
    assert J * len(LENGTHS) == pytest.approx(sum(Ji for Ji, _ in singles), rel=1e-12)
    for layer, g in enumerate(grads["layers"]):
        for k in g:
            total = sum(s["layers"][layer][k] for _, s in singles)
            np.testing.assert_allclose(len(LENGTHS) * g[k], total, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("model", LOSSES)
def test_a_mask_of_ones_is_no_mask(model):
    x, y, a0, parameters = random_problem(model.split()[-1], 3, 4, 3, 2, 3, seed=5)
    J, grads = LOSSES[model](x, y, a0, parameters)
    J_ones, ones = LOSSES[model](x, y, a0, parameters, np.ones((2, 3)))
    assert J_ones == J
    assert_same(ones, grads)


def test_masked_steps_contribute_nothing_whatever_their_targets():
    x, y, a0, parameters, mask = padded("lstm", seed=6)
    other = y.copy()
    other[0, mask == 0] = 1.0  # a one-hot target at every padded step instead of zeros
    assert_same(rnnlstm.lstm_loss(x, y, a0, parameters, mask), rnnlstm.lstm_loss(x, other, a0, parameters, mask))


@pytest.mark.parametrize(
    "mask, error, message",
    [
        (np.ones((4, 4)), ValueError, "mask must have shape (m, T_x) = (4, 5), got (4, 4)"),
        (np.ones((5, 4)), ValueError, "mask must have shape (m, T_x) = (4, 5), got (5, 4)"),
        (np.full((4, 5), 0.5), ValueError, "mask must hold 0 or 1 at each example and step, got 0.5"),
        ([[1] * 5] * 4, TypeError, "mask must be a numpy array of shape (m, T_x) holding 0 or 1, got list"),
        (np.full((4, 5), "1"), TypeError, "mask must hold 0 or 1 (bool, int or float), got dtype <U1"),
        (np.ones((4, 5)), ValueError, "y must hold one-hot (or probability) columns that sum to 1 over n_y where mask is 1"),
    ],
    ids=["fewer steps", "transposed", "a half", "a list", "strings", "a zero target that counts"],
)
@pytest.mark.parametrize("model", LOSSES)
def test_bad_masks_are_refused_naming_the_argument(model, mask, error, message):
    x, y, a0, parameters, _ = padded(model, seed=7)
    with pytest.raises(error) as raised:
        LOSSES[model](x, y, a0, parameters, mask)
    assert message in str(raised.value)
