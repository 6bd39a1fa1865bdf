"""Gradient clipping (rnnlstm.clipping): the element-wise clip bounds every entry and may turn the
update; the global-norm clip bounds the norm and keeps the direction; neither touches its input."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from conftest import assert_same
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rnnlstm
from rnnlstm.clipping import global_norm
from rnnlstm.problems import random_deep_problem, random_problem

arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
gradient_dicts = st.dictionaries(st.sampled_from(["dWaa", "dWax", "dWya", "dba", "dby"]), arrays, min_size=1)
bounds = st.floats(1e-3, 1e3)


def leaves(tree):
    if isinstance(tree, dict):
        return [g for v in tree.values() for g in leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [g for v in tree for g in leaves(v)]
    return [tree]


@settings(max_examples=60, deadline=None)
@given(gradients=gradient_dicts, max_value=bounds)
def test_clip_bounds_every_entry_and_keeps_those_within(gradients, max_value):
    before = copy.deepcopy(gradients)
    clipped = rnnlstm.clip(gradients, max_value)
    assert_same(gradients, before)
    assert clipped.keys() == gradients.keys()
    for key, g in gradients.items():
        c = clipped[key]
        assert c.shape == g.shape and c.dtype == g.dtype and c is not g
        assert np.all(np.abs(c) <= max_value)
        inside = np.abs(g) <= max_value
        assert np.array_equal(c[inside], g[inside])
        assert np.array_equal(c[~inside], np.sign(g[~inside]) * max_value)


@settings(max_examples=60, deadline=None)
@given(gradients=gradient_dicts, max_norm=bounds)
def test_clip_by_norm_bounds_the_global_norm_and_keeps_the_direction(gradients, max_norm):
    before = copy.deepcopy(gradients)
    clipped = rnnlstm.clip_by_norm(gradients, max_norm)
    assert_same(gradients, before)
    norm = global_norm(gradients)
    assert global_norm(clipped) <= max_norm * (1 + 1e-12)
    if norm <= max_norm:
        assert all(np.array_equal(clipped[k], g) for k, g in gradients.items())
    else:
        assert global_norm(clipped) == pytest.approx(max_norm, rel=1e-12)
        scale = max_norm / norm  # one factor for every entry of every array: the same direction
        for key, g in gradients.items():
            np.testing.assert_allclose(clipped[key], g * scale, rtol=1e-14, atol=0)


def test_the_element_wise_clip_turns_the_update_and_the_norm_clip_does_not():
    gradients = {"dWaa": np.array([[10.0, 1.0]]), "dby": np.array([[-1.0]])}
    direction = np.concatenate([g.ravel() for g in gradients.values()])

    def cosine(clipped):
        v = np.concatenate([g.ravel() for g in clipped.values()])
        return v @ direction / np.linalg.norm(v) / np.linalg.norm(direction)

    assert cosine(rnnlstm.clip(gradients, 1.0)) < 0.7  # (1, 1, −1): another direction
    assert cosine(rnnlstm.clip_by_norm(gradients, 1.0)) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_loss_s_gradients_clip_in_their_own_dtype(dtype):
    x, y, a0, parameters = random_problem("lstm", 3, 4, 3, 2, 5, seed=1, dtype=dtype, scale=3.0)
    _, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    update = {"d" + k: grads["d" + k] for k in parameters}
    for clipped in (rnnlstm.clip(update, 0.01), rnnlstm.clip_by_norm(update, 0.01)):
        assert all(clipped[k].dtype == dtype for k in update)
    assert global_norm(rnnlstm.clip_by_norm(update, 0.01)) <= 0.01 * (1 + 1e-6)


def test_a_stack_s_nested_gradients_keep_their_structure():
    x, y, a0, parameters = random_deep_problem("gru", 2, (3, 2), 3, 2, 4, seed=2)
    _, grads = rnnlstm.deep_loss(x, y, a0, parameters, "gru")
    update = {"layers": grads["layers"], "dWy": grads["dWy"], "dby": grads["dby"]}
    before = copy.deepcopy(update)
    clipped = rnnlstm.clip_by_norm(update, 0.5 * global_norm(update))
    assert_same(update, before)
    assert isinstance(clipped["layers"], list) and [set(d) for d in clipped["layers"]] == [set(d) for d in update["layers"]]
    assert global_norm(clipped) == pytest.approx(0.5 * global_norm(update), rel=1e-12)
    ratios = {float(np.max(c / g)) for c, g in zip(leaves(clipped), leaves(update)) if np.all(g != 0)}
    assert max(ratios) - min(ratios) < 1e-12


def test_inf_is_clipped_element_wise_and_refused_by_the_norm_clip():
    gradients = {"dWaa": np.array([[np.inf, -np.inf, 0.5]])}
    assert np.array_equal(rnnlstm.clip(gradients, 2.0)["dWaa"], [[2.0, -2.0, 0.5]])
    with pytest.raises(ValueError, match=r"gradients\['dWaa'\] contains Inf"):
        rnnlstm.clip_by_norm(gradients, 2.0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: rnnlstm.clip({"dWaa": np.ones((2, 2))}, 0), ValueError, "max_value must be positive and finite, got 0"),
        (lambda: rnnlstm.clip({"dWaa": np.ones((2, 2))}, -1.0), ValueError, "max_value must be positive and finite, got -1.0"),
        (lambda: rnnlstm.clip_by_norm({"dWaa": np.ones((2, 2))}, math.nan), ValueError, "max_norm must be positive and finite, got nan"),
        (lambda: rnnlstm.clip_by_norm({"dWaa": np.ones((2, 2))}, "5"), TypeError, "max_norm must be a positive number, got str"),
        (lambda: rnnlstm.clip([np.ones(2)], 1.0), TypeError, "gradients must be a dict of arrays, got list"),
        (lambda: rnnlstm.clip({}, 1.0), ValueError, "gradients must hold at least one array, got none"),
        (lambda: rnnlstm.clip({"dWaa": [[1.0, 2.0]]}, 1.0), TypeError, "gradients['dWaa'][0][0] must be a numpy array, got float"),
        (lambda: rnnlstm.clip({"layers": [{"dWax": np.ones(2, int)}]}, 1.0), TypeError,
         "gradients['layers'][0]['dWax'] must be a float32 or float64 array, got dtype int64"),
        (lambda: rnnlstm.clip({"dWaa": np.array([1.0, np.nan])}, 1.0), ValueError, "gradients['dWaa'] contains NaN"),
    ],
    ids=["zero bound", "negative bound", "NaN norm", "a string", "a list", "nothing", "a list entry", "ints", "NaN"],
)
def test_bad_input_is_refused_naming_it(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)
