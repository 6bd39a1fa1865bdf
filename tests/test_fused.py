"""The fused path: the readable functions' results, to 1e-12 in float64, dtype kept, caches safe."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from conftest import SHAPES, derived_gradients

import derivations
import rnnlstm
from rnnlstm import fused
from rnnlstm.problems import random_problem

MODELS = ("rnn", "lstm")


def readable(model, name):
    return getattr(rnnlstm, f"{model}_{name}")


def fast(model, name):
    return getattr(fused, f"{model}_{name}")


def assert_close(ours, theirs, rtol, atol):
    assert ours.keys() == theirs.keys()
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_loss_forward_and_backward_agree_with_the_readable_functions(model, shape):
    n_x, n_a, n_y, m, T_x = shape
    x, y, a0, p = random_problem(model, n_x, n_a, n_y, m, T_x, seed=sum(shape))
    J, grads = readable(model, "loss")(x, y, a0, p)
    J_fast, grads_fast = fast(model, "loss")(x, y, a0, p)
    assert J_fast == pytest.approx(J, rel=1e-13)
    assert_close(grads_fast, grads, rtol=1e-12, atol=1e-14)
    out, out_fast = readable(model, "forward")(x, a0, p), fast(model, "forward")(x, a0, p)
    for ours, theirs in zip(out_fast[:-1], out[:-1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    da = np.random.default_rng(1).normal(size=out[0].shape)
    assert_close(fast(model, "backward")(da, out_fast[-1]), readable(model, "backward")(da, out[-1]), 1e-12, 1e-14)


@pytest.mark.parametrize("model", MODELS)
def test_gradients_agree_with_the_derived_equations(model):
    x, y, a0, p = random_problem(model, 3, 4, 3, 2, 5, seed=9)
    derived = derived_gradients(model, x, y, a0, p)
    _, grads = fast(model, "loss")(x, y, a0, p)
    for k in (*derivations.chapter(model).TOTAL, "dx", "da0"):
        np.testing.assert_allclose(grads[k], derived[k], rtol=1e-11, atol=1e-14, err_msg=k)


@pytest.mark.parametrize("model", MODELS)
def test_float32_in_float32_out_and_close_to_float64(model):
    x, y, a0, p = random_problem(model, 4, 6, 3, 5, 6, seed=2, dtype=np.float32)
    J, grads = fast(model, "loss")(x, y, a0, p)
    out = fast(model, "forward")(x, a0, p)
    assert all(v.dtype == np.float32 for v in grads.values())
    assert all(v.dtype == np.float32 for v in out[:-1])
    _, grads64 = readable(model, "loss")(x.astype(float), y.astype(float), a0.astype(float), {k: v.astype(float) for k, v in p.items()})
    size = np.sqrt(sum(np.linalg.norm(g) ** 2 for g in grads64.values()))
    for k in grads:  # the tolerance of tests/test_properties.py, for the same reasons
        assert np.linalg.norm(grads[k] - grads64[k]) <= 1e-4 * size, k


def test_stacking_round_trips_and_puts_the_sigmoid_gates_first():
    _, _, _, p = random_problem("lstm", 3, 4, 2, 1, 1)
    W, b = fused.stack_lstm(p)
    assert W.shape == (16, 7) and b.shape == (16, 1)
    np.testing.assert_array_equal(W[8:12], p["Wo"])  # f, i, o: the three σ gates; then c
    back = fused.unstack_lstm(W, b)
    assert back.keys() == {k for k in p if k not in ("Wy", "by")}
    for k, v in back.items():
        np.testing.assert_array_equal(v, p[k])


@pytest.mark.parametrize("model", MODELS)
def test_a_later_call_leaves_earlier_caches_and_results_intact(model):
    """The scratch arrays are reused between calls; caches and results never are."""
    x, y, a0, p = random_problem(model, 3, 4, 2, 3, 5, seed=4)
    first = fast(model, "forward")(x, a0, p)
    da = np.random.default_rng(5).normal(size=first[0].shape)
    grads = fast(model, "backward")(da, first[-1])
    loss = fast(model, "loss")(x, y, a0, p)
    snapshot = copy.deepcopy((first, grads, loss))
    x2, y2, a02, p2 = random_problem(model, 3, 4, 2, 3, 5, seed=6)
    second = fast(model, "forward")(x2, a02, p2)
    fast(model, "backward")(2 * da, second[-1])
    fast(model, "loss")(x2, y2, a02, p2)
    for ours, theirs in zip(first[:-1], snapshot[0][:-1]):
        np.testing.assert_array_equal(ours, theirs)
    assert_close(grads, snapshot[1], 0, 0)
    assert_close(loss[1], snapshot[2][1], 0, 0)
    assert_close(fast(model, "backward")(da, first[-1]), grads, 0, 0)


def arrays_in(value):
    """Every ndarray in a result or a cache, however nested in tuples, lists and dicts."""
    if isinstance(value, np.ndarray):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    return [a for item in items for a in arrays_in(item)]


def calls(model):
    """Forward, backward and loss, each twice (the second reuses the kept arrays): what they returned."""
    x, y, a0, p = random_problem(model, 3, 4, 2, 3, 5, seed=4)
    out = []
    for _ in range(2):
        forward = fast(model, "forward")(x, a0, p)
        da = np.ones_like(forward[0])
        out += [forward, fast(model, "backward")(da, forward[-1]), fast(model, "loss")(x, y, a0, p)]
    return out


def kept_scratch():
    return [a for arrays in fused._SCRATCH.values() for a in arrays]


@pytest.mark.parametrize("model", MODELS)
def test_nothing_returned_or_cached_lives_in_a_kept_scratch_array(model):
    """The ownership rule that makes the reuse safe: a scratch array never leaves its call."""
    returned = arrays_in(calls(model))
    kept = kept_scratch()
    assert returned and kept
    for a in returned:
        assert not any(np.shares_memory(a, k) for k in kept), a.shape


@pytest.mark.parametrize("model", MODELS)
def test_a_call_of_a_size_seen_before_reuses_the_scratch_arrays(model):
    calls(model)
    before = {id(a) for a in kept_scratch()}
    calls(model)
    assert {id(a) for a in kept_scratch()} == before


@pytest.mark.parametrize("model", MODELS)
def test_bad_input_is_refused_like_the_readable_functions(model):
    x, y, a0, p = random_problem(model, 3, 4, 2, 3, 5)
    with pytest.raises(ValueError, match=r"x has T_x = 0"):
        fast(model, "loss")(x[:, :, :0], y[:, :, :0], a0, p)
    with pytest.raises(ValueError, match=r"a0 must have shape \(n_a, m\) = \(4, 3\)"):
        fast(model, "forward")(x, a0[:, :2], p)
    caches = fast(model, "forward")(x, a0, p)[-1]
    with pytest.raises(ValueError, match=re.escape("da must have shape (n_a, m, T_x) = (4, 3, 5), got (4, 3, 4)")):
        fast(model, "backward")(np.zeros((4, 3, 4)), caches)
    with pytest.raises(TypeError, match="expected the caches returned by rnnlstm.fused"):
        fast(model, "backward")(np.zeros((4, 3, 5)), readable(model, "forward")(x, a0, p)[-1])
