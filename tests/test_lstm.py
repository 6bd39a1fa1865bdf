"""rnnlstm's LSTM against the derived equations and against central finite differences."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import SHAPES, derived_gradients, random_lstm, steps

import rnnlstm
from derivations import lstm as derived
from derivations.evaluate import evaluate


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_and_gradients_agree_with_the_derived_equations(shape):
    x, y, a0, parameters = random_lstm(*shape, seed=sum(shape))
    J, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    expected = derived_gradients("lstm", x, y, a0, parameters)
    assert J == pytest.approx(derived.loss(steps(x), steps(y), a0, parameters), rel=1e-12)
    for key in derived.TOTAL:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)
    for key in ("dx", "da0", "da_next", "dc_next"):  # the reported gradient of every a⟨t⟩ (and c⟨t⟩) too
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_agrees_with_each_derived_cell_equation(shape):
    x, _, a0, parameters = random_lstm(*shape, seed=3)
    rng = np.random.default_rng(4)
    c_prev = rng.normal(size=a0.shape)
    a_next, c_next, _, cache = rnnlstm.lstm_cell_forward(x[:, :, 0], a0, c_prev, parameters)
    da_next, dc_next = rng.normal(size=a_next.shape), rng.normal(size=c_next.shape)
    grads = rnnlstm.lstm_cell_backward(da_next, dc_next, cache)
    values = derived.cell_forward(
        {**derived.parameter_values(parameters), derived.xt: x[:, :, 0], derived.a_prev: a0, derived.c_prev: c_prev}
    )
    np.testing.assert_allclose(values[derived.a_next], a_next, rtol=1e-13)
    values.update({derived.da_next: da_next, derived.dc_next: dc_next})
    for d in derived.CELL.values():
        values[d.lhs] = evaluate(d.rhs, values)
    for key, value in grads.items():
        np.testing.assert_allclose(value, values[derived.CELL[key].lhs], rtol=1e-11, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_full_loss_passes_the_gradient_check(shape):
    x, y, a0, parameters = random_lstm(*shape, seed=7)
    _, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    arrays = {"d" + k: v for k, v in parameters.items()} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: rnnlstm.lstm_loss(x, y, a0, parameters)[0], arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_passes_the_gradient_check(shape):
    """lstm_backward(da) is the gradient of Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩, with dc carried through time."""
    x, _, a0, parameters = random_lstm(*shape, seed=11)
    a, _, _, caches = rnnlstm.lstm_forward(x, a0, parameters)
    da = np.random.default_rng(12).normal(size=a.shape)
    grads = rnnlstm.lstm_backward(da, caches)
    arrays = {"d" + k: parameters[k] for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo")} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: float(np.sum(da * rnnlstm.lstm_forward(x, a0, parameters)[0])), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_passes_the_gradient_check(shape):
    x, _, a0, parameters = random_lstm(*shape, seed=13)
    rng = np.random.default_rng(14)
    xt, c_prev = x[:, :, 0].copy(), rng.normal(size=a0.shape)
    a_next, c_next, _, cache = rnnlstm.lstm_cell_forward(xt, a0, c_prev, parameters)
    da_next, dc_next = rng.normal(size=a_next.shape), rng.normal(size=c_next.shape)
    grads = rnnlstm.lstm_cell_backward(da_next, dc_next, cache)

    def surrogate():
        a, c, _, _ = rnnlstm.lstm_cell_forward(xt, a0, c_prev, parameters)
        return float(np.sum(da_next * a) + np.sum(dc_next * c))

    arrays = {"d" + k: v for k, v in parameters.items() if k not in ("Wy", "by")}
    arrays |= {"dxt": xt, "da_prev": a0, "dc_prev": c_prev}
    errors = rnnlstm.gradient_check(surrogate, arrays, grads)
    assert max(errors.values()) < 1e-7, errors


def test_float32_stays_float32_and_saturation_stays_finite():
    x, y, a0, parameters = random_lstm(3, 4, 2, 5, 3, dtype=np.float32)
    J, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    x, y, a0, parameters = random_lstm(3, 4, 5, 2, 3, scale=1e3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    assert np.isfinite(J) and all(np.isfinite(g).all() for g in grads.values())


def test_backward_refuses_da_with_another_number_of_steps():
    """The course's test cell passes 4 steps of da for a 7-step sequence; we refuse it."""
    x, _, a0, parameters = random_lstm(3, 5, 2, 10, 7)
    a, _, _, caches = rnnlstm.lstm_forward(x, a0, parameters)
    with pytest.raises(ValueError, match=re.escape("da must have shape (n_a, m, T_x) = (5, 10, 7), got (5, 10, 4)")):
        rnnlstm.lstm_backward(a[:, :, :4], caches)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda p: {**p, "Wo": p["Wo"][:, :-1]}, ValueError, 'parameters["Wo"] must have shape (n_a, n_a + n_x) = (5, 8), got (5, 7)'),
        (lambda p: {**p, "Wf": p["Wf"][:, :-1]}, ValueError, 'parameters["Wf"] must have shape (n_a, n_a + n_x) = (5, 8), got (5, 7)'),
        (lambda p: {**p, "bi": p["bi"][:, 0]}, ValueError, 'parameters["bi"] must have shape (n_a, 1) = (5, 1), got (5,)'),
        (lambda p: {k: v for k, v in p.items() if k != "Wo"}, ValueError, "missing Wo"),
        (lambda p: {**p, "Wa": p["Wf"]}, ValueError, "unknown Wa"),
        (lambda p: {**p, "Wc": p["Wc"].astype(np.int64)}, TypeError, 'parameters["Wc"] must be a float32 or float64 array'),
        (lambda p: {**p, "by": np.full_like(p["by"], np.nan)}, ValueError, 'parameters["by"] contains NaN or Inf'),
    ],
)
def test_lstm_loss_refuses_bad_parameters(change, error, message):
    x, y, a0, parameters = random_lstm(3, 5, 2, 4, 6)
    with pytest.raises(error, match=re.escape(message)):
        rnnlstm.lstm_loss(x, y, a0, change(parameters))


def test_lstm_refuses_inconsistent_inputs():
    x, y, a0, parameters = random_lstm(3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match=re.escape("x must have shape (n_x, m, T_x) = (3, ?, ?), got (2, 4, 6)")):
        rnnlstm.lstm_forward(x[:2], a0, parameters)
    with pytest.raises(ValueError, match=re.escape("c_prev must have shape (n_a, m) = (5, 4), got (4, 4)")):
        rnnlstm.lstm_cell_forward(x[:, :, 0], a0, a0[:4], parameters)
    a_next, c_next, _, cache = rnnlstm.lstm_cell_forward(x[:, :, 0], a0, a0, parameters)
    with pytest.raises(ValueError, match=re.escape("dc_next must have shape (n_a, m) = (5, 4), got (5, 3)")):
        rnnlstm.lstm_cell_backward(a_next, c_next[:, :3], cache)
    with pytest.raises(ValueError, match=re.escape("x has T_x = 0")):
        rnnlstm.lstm_loss(x[:, :, :0], y[:, :, :0], a0, parameters)


@pytest.mark.parametrize("key", ["dzf", "dzi", "dzc", "dzo", "dWf", "da_prev"])
def test_composed_results_depend_only_on_the_upstream_gradients_and_agree(key):
    x, _, a0, parameters = random_lstm(3, 4, 2, 5, 1, seed=5)
    rng = np.random.default_rng(6)
    values = derived.cell_forward({**derived.parameter_values(parameters), derived.xt: x[:, :, 0], derived.a_prev: a0,
                                   derived.c_prev: rng.normal(size=a0.shape)})  # fmt: skip
    values.update({derived.da_next: rng.normal(size=a0.shape), derived.dc_next: rng.normal(size=a0.shape)})
    step_by_step = dict(values)
    for d in derived.CELL.values():
        step_by_step[d.lhs] = evaluate(d.rhs, step_by_step)
    rhs = derived.composed(key).rhs
    assert not rhs.has(derived.dc, *derived.dgate.values())
    np.testing.assert_allclose(evaluate(rhs, values | {s: step_by_step[s] for s in derived.dz.values() if rhs.has(s)}),
                               step_by_step[derived.CELL[key].lhs], rtol=1e-12)  # fmt: skip
