"""rnnlstm's RNN against the derived equations and against central finite differences."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import SHAPES, derived_gradients, random_problem, steps

import rnnlstm
from derivations import rnn as derived
from derivations.evaluate import evaluate


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_and_gradients_agree_with_the_derived_equations(shape):
    x, y, a0, parameters = random_problem(*shape, seed=sum(shape))
    J, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    expected = derived_gradients("rnn", x, y, a0, parameters)
    assert J == pytest.approx(derived.loss(steps(x), steps(y), a0, parameters), rel=1e-12)
    for key in derived.TOTAL:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)
    for key in ("dx", "da0", "da_next"):  # the reported gradient of every a⟨t⟩ (and c⟨t⟩) too
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_agrees_with_each_derived_cell_equation(shape):
    x, _, a0, parameters = random_problem(*shape, seed=3)
    a_next, _, cache = rnnlstm.rnn_cell_forward(x[:, :, 0], a0, parameters)
    da_next = np.random.default_rng(4).normal(size=a_next.shape)
    grads = rnnlstm.rnn_cell_backward(da_next, cache)
    values = {derived.PARAMETERS[k]: v for k, v in parameters.items()}
    values.update({derived.xt: x[:, :, 0], derived.a_prev: a0, derived.a_next: a_next, derived.da_next: da_next})
    values[derived.dz] = evaluate(derived.CELL["dz"].rhs, values)
    np.testing.assert_allclose(values[derived.dz], da_next * (1 - a_next**2), rtol=1e-14)
    for key in ("dxt", "da_prev", "dWax", "dWaa", "dba"):
        np.testing.assert_allclose(grads[key], evaluate(derived.CELL[key].rhs, values), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_full_loss_passes_the_gradient_check(shape):
    x, y, a0, parameters = random_problem(*shape, seed=7)
    _, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    arrays = {"d" + k: v for k, v in parameters.items()} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: rnnlstm.rnn_loss(x, y, a0, parameters)[0], arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_passes_the_gradient_check(shape):
    """rnn_backward(da) is the gradient of Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩ for any upstream da."""
    x, _, a0, parameters = random_problem(*shape, seed=11)
    a, _, caches = rnnlstm.rnn_forward(x, a0, parameters)
    da = np.random.default_rng(12).normal(size=a.shape)
    grads = rnnlstm.rnn_backward(da, caches)
    arrays = {"d" + k: parameters[k] for k in ("Wax", "Waa", "ba")} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: float(np.sum(da * rnnlstm.rnn_forward(x, a0, parameters)[0])), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_passes_the_gradient_check(shape):
    x, _, a0, parameters = random_problem(*shape, seed=13)
    xt = x[:, :, 0].copy()
    a_next, _, cache = rnnlstm.rnn_cell_forward(xt, a0, parameters)
    da_next = np.random.default_rng(14).normal(size=a_next.shape)
    grads = rnnlstm.rnn_cell_backward(da_next, cache)
    arrays = {"d" + k: parameters[k] for k in ("Wax", "Waa", "ba")} | {"dxt": xt, "da_prev": a0}
    errors = rnnlstm.gradient_check(lambda: float(np.sum(da_next * rnnlstm.rnn_cell_forward(xt, a0, parameters)[0])), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


def test_rnn_forward_matches_the_cell_step_by_step():
    x, _, a0, parameters = random_problem(3, 4, 2, 5, 3)
    a, y_pred, (caches, x_cached) = rnnlstm.rnn_forward(x, a0, parameters)
    a_prev = a0
    for t in range(3):
        a_prev, yt, _ = rnnlstm.rnn_cell_forward(x[:, :, t], a_prev, parameters)
        np.testing.assert_array_equal(a[:, :, t], a_prev)
        np.testing.assert_array_equal(y_pred[:, :, t], yt)
    np.testing.assert_allclose(y_pred.sum(axis=0), 1.0)
    assert len(caches) == 3 and x_cached is x


def test_float32_stays_float32():
    x, y, a0, parameters = random_problem(3, 4, 2, 5, 3, dtype=np.float32)
    a, y_pred, caches = rnnlstm.rnn_forward(x, a0, parameters)
    assert a.dtype == y_pred.dtype == np.float32
    J, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    J64, grads64 = rnnlstm.rnn_loss(*[v.astype(np.float64) for v in (x, y, a0)], {k: v.astype(np.float64) for k, v in parameters.items()})
    for k in grads:
        np.testing.assert_allclose(grads[k], grads64[k], rtol=1e-3, atol=1e-5)


def test_inputs_and_caches_are_not_modified():
    x, y, a0, parameters = random_problem(3, 4, 2, 5, 3)
    before = copy.deepcopy((x, y, a0, parameters))
    a, _, caches = rnnlstm.rnn_forward(x, a0, parameters)
    cached = copy.deepcopy(caches)
    rnnlstm.rnn_backward(np.ones_like(a), caches)
    rnnlstm.rnn_loss(x, y, a0, parameters)
    for got, want in zip((x, y, a0), before[:3]):
        np.testing.assert_array_equal(got, want)
    for k in parameters:
        np.testing.assert_array_equal(parameters[k], before[3][k])
    for c, c0 in zip(caches[0], cached[0]):
        for got, want in zip(c[:3], c0[:3]):
            np.testing.assert_array_equal(got, want)


def test_saturated_inputs_stay_finite_without_warnings():
    x, y, a0, parameters = random_problem(3, 4, 5, 2, 3, scale=1e3)
    parameters["by"] = parameters["by"] * 1e3
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is exact enough
        J, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    assert np.isfinite(J) and all(np.isfinite(g).all() for g in grads.values())


def test_softmax_is_stable_and_sums_to_one():
    z = np.array([[1000.0, -1000.0], [0.0, -999.0], [-1000.0, 5.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = rnnlstm.softmax(z)
        logp = rnnlstm.log_softmax(z)
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    np.testing.assert_allclose(p[:, 0], [1.0, 0.0, 0.0], atol=1e-300)
    assert logp[2, 0] == pytest.approx(-2000.0)


def test_gradient_check_flags_a_wrong_gradient_and_restores_arrays():
    w = np.array([1.0, -2.0, 0.5])
    f = lambda: float(np.sum(w**3))  # noqa: E731
    good = rnnlstm.gradient_check(f, {"w": w}, {"w": 3 * w**2})["w"]
    bad = rnnlstm.gradient_check(f, {"w": w}, {"w": 2 * w**2})["w"]
    assert good < 1e-8 and bad > 0.1
    np.testing.assert_array_equal(w, [1.0, -2.0, 0.5])
    with pytest.raises(ValueError, match="no entry for w"):
        rnnlstm.gradient_check(f, {"w": w}, {})
