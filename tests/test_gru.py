"""rnnlstm's GRU against the derived equations and against central finite differences."""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pytest
import sympy as sp
from conftest import SHAPES, derived_gradients, steps

import rnnlstm
from derivations import gru as derived
from derivations.evaluate import evaluate
from rnnlstm import problems
from rnnlstm.output import output_layer

random_gru = partial(problems.random_problem, "gru")
GATE_PARAMETERS = ("Wu", "bu", "Wr", "br", "Wc", "bc")


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_and_gradients_agree_with_the_derived_equations(shape):
    x, y, a0, parameters = random_gru(*shape, seed=sum(shape))
    J, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    expected = derived_gradients("gru", x, y, a0, parameters)
    assert J == pytest.approx(derived.loss(steps(x), steps(y), a0, parameters), rel=1e-12)
    for key in (*derived.TOTAL, "dx", "da0", "da_next"):  # da_next: all of dc⟨t⟩ = da⟨t⟩ at every step
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_agrees_with_each_derived_cell_equation(shape):
    x, _, a0, parameters = random_gru(*shape, seed=3)
    a_next, _, cache = rnnlstm.gru_cell_forward(x[:, :, 0], a0, parameters)
    da_next = np.random.default_rng(4).normal(size=a_next.shape)
    grads = rnnlstm.gru_cell_backward(da_next, cache)
    values = derived.cell_forward({**derived.parameter_values(parameters), derived.xt: x[:, :, 0], derived.c_prev: a0})
    np.testing.assert_allclose(values[derived.a_next], a_next, rtol=1e-13)
    values[derived.dc] = da_next  # a⟨t⟩ = c⟨t⟩: the code's da_next is dc⟨t⟩
    for d in derived.CELL.values():
        values[d.lhs] = evaluate(d.rhs, values)
    assert grads.keys() == derived.CELL.keys()
    for key, value in grads.items():
        np.testing.assert_allclose(value, values[derived.CELL[key].lhs], rtol=1e-11, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_full_loss_passes_the_gradient_check(shape):
    x, y, a0, parameters = random_gru(*shape, seed=7)
    _, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    arrays = {"d" + k: v for k, v in parameters.items()} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: rnnlstm.gru_loss(x, y, a0, parameters)[0], arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_sequence_backward_passes_the_gradient_check(shape):
    """gru_backward(da) is the gradient of Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩ for any upstream da."""
    x, _, a0, parameters = random_gru(*shape, seed=11)
    a, _, caches = rnnlstm.gru_forward(x, a0, parameters)
    da = np.random.default_rng(12).normal(size=a.shape)
    grads = rnnlstm.gru_backward(da, caches)
    arrays = {"d" + k: parameters[k] for k in GATE_PARAMETERS} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: float(np.sum(da * rnnlstm.gru_forward(x, a0, parameters)[0])), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_passes_the_gradient_check(shape):
    x, _, a0, parameters = random_gru(*shape, seed=13)
    xt = x[:, :, 0].copy()
    a_next, _, cache = rnnlstm.gru_cell_forward(xt, a0, parameters)
    da_next = np.random.default_rng(14).normal(size=a_next.shape)
    grads = rnnlstm.gru_cell_backward(da_next, cache)
    arrays = {"d" + k: parameters[k] for k in GATE_PARAMETERS} | {"dxt": xt, "da_prev": a0}
    errors = rnnlstm.gradient_check(lambda: float(np.sum(da_next * rnnlstm.gru_cell_forward(xt, a0, parameters)[0])), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


def test_the_carried_gradient_is_all_of_the_states_gradient_at_every_step():
    """``da_next`` at step t is ∂J/∂a⟨t⟩ with the steps before held fixed: the loss of step t's
    prediction and of every later step, as a function of a⟨t⟩ = c⟨t⟩, by central differences."""
    x, y, a0, parameters = random_gru(3, 4, 3, 5, 4, seed=15)
    a, _, _ = rnnlstm.gru_forward(x, a0, parameters)
    _, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    T_x = x.shape[2]
    for t in range(T_x):
        state = a[:, :, t].copy()

        def from_step_t():
            J = output_layer(state[:, :, None], y[:, :, t : t + 1], parameters["Wy"], parameters["by"])[0]
            return J + (rnnlstm.gru_loss(x[:, :, t + 1 :], y[:, :, t + 1 :], state, parameters)[0] if t + 1 < T_x else 0.0)

        numeric = rnnlstm.numerical_gradient(from_step_t, state)
        assert rnnlstm.relative_error(grads["da_next"][:, :, t], numeric) < 1e-7, t


def test_a_shut_update_gate_carries_the_state_and_its_gradient_unchanged():
    """Γ_u = 0 (b_u = −1000): c⟨t⟩ = c⟨t−1⟩ at every step, every local derivative of the gates is 0,
    and dc⟨0⟩ is the sum of the predictions' shares W_yᵀ dz_y⟨t⟩ over all the steps: nothing is lost
    on the way back (dc⟨t⟩ ⊙ (1 − Γ_u⟨t⟩) with Γ_u = 0)."""
    x, y, a0, parameters = random_gru(3, 4, 3, 5, 6, seed=16)
    parameters["bu"] = np.full_like(parameters["bu"], -1e3)
    a, _, _ = rnnlstm.gru_forward(x, a0, parameters)
    np.testing.assert_array_equal(a, np.repeat(a0[:, :, None], x.shape[2], axis=2))
    _, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    _, _, _, _, da_y = output_layer(a, y, parameters["Wy"], parameters["by"])
    np.testing.assert_allclose(grads["da0"], da_y.sum(axis=2), rtol=1e-12, atol=1e-15)
    for key in GATE_PARAMETERS:
        assert not grads["d" + key].any(), key


def test_forward_matches_the_cell_step_by_step():
    x, _, a0, parameters = random_gru(3, 4, 2, 5, 3)
    a, y_pred, (caches, x_cached) = rnnlstm.gru_forward(x, a0, parameters)
    a_prev = a0
    for t in range(3):
        a_prev, yt, cache = rnnlstm.gru_cell_forward(x[:, :, t], a_prev, parameters)
        np.testing.assert_array_equal(a[:, :, t], a_prev)
        np.testing.assert_array_equal(y_pred[:, :, t], yt)
        assert cache[0] is a_prev  # the cache holds a⟨t⟩ = c⟨t⟩ first
    np.testing.assert_allclose(y_pred.sum(axis=0), 1.0)
    assert len(caches) == 3 and x_cached is x


def test_c_prev_is_used_four_times_and_its_gradient_sums_four_shares():
    """The derived dc_{←t}⟨t−1⟩ is a sum of four terms, one per use of c⟨t−1⟩: each carries the
    gradient of one node that reads it (c⟨t⟩, z_c, z_u, z_r); dx⟨t⟩ has three (z_c, z_u, z_r)."""
    shares = derived.CELL["da_prev"].rhs
    assert isinstance(shares, sp.MatAdd) and len(shares.args) == 4
    carried = [derived.dc, *derived.dz.values()]
    assert sorted(sum(term.has(g) for term in shares.args) for g in carried) == [1, 1, 1, 1]
    assert all(sum(term.has(g) for g in carried) == 1 for term in shares.args)
    assert len(derived.CELL["dxt"].rhs.args) == 3 and not derived.CELL["dxt"].rhs.has(derived.dc)


def test_float32_stays_float32_and_saturation_stays_finite():
    x, y, a0, parameters = random_gru(3, 4, 2, 5, 3, dtype=np.float32)
    J, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    x, y, a0, parameters = random_gru(3, 4, 5, 2, 3, scale=1e3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, grads = rnnlstm.gru_loss(x, y, a0, parameters)
    assert np.isfinite(J) and all(np.isfinite(g).all() for g in grads.values())


def test_backward_refuses_da_with_another_number_of_steps():
    x, _, a0, parameters = random_gru(3, 5, 2, 10, 7)
    a, _, caches = rnnlstm.gru_forward(x, a0, parameters)
    with pytest.raises(ValueError, match=re.escape("da must have shape (n_a, m, T_x) = (5, 10, 7), got (5, 10, 4)")):
        rnnlstm.gru_backward(a[:, :, :4], caches)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda p: {**p, "Wr": p["Wr"][:, :-1]}, ValueError, 'parameters["Wr"] must have shape (n_a, n_a + n_x) = (5, 8), got (5, 7)'),
        (lambda p: {**p, "bu": p["bu"][:, 0]}, ValueError, 'parameters["bu"] must have shape (n_a, 1) = (5, 1), got (5,)'),
        (lambda p: {k: v for k, v in p.items() if k != "Wr"}, ValueError, "missing Wr"),
        (lambda p: {**p, "Wf": p["Wu"]}, ValueError, "unknown Wf"),
        (lambda p: {**p, "Wc": p["Wc"].astype(np.int64)}, TypeError, 'parameters["Wc"] must be a float32 or float64 array'),
        (lambda p: {**p, "br": np.full_like(p["br"], np.inf)}, ValueError, 'parameters["br"] contains NaN or Inf'),
    ],
)
def test_gru_loss_refuses_bad_parameters(change, error, message):
    x, y, a0, parameters = random_gru(3, 5, 2, 4, 6)
    with pytest.raises(error, match=re.escape(message)):
        rnnlstm.gru_loss(x, y, a0, change(parameters))


def test_gru_refuses_inconsistent_inputs():
    x, y, a0, parameters = random_gru(3, 5, 2, 4, 6)
    with pytest.raises(ValueError, match=re.escape("x must have shape (n_x, m, T_x) = (3, ?, ?), got (2, 4, 6)")):
        rnnlstm.gru_forward(x[:2], a0, parameters)
    with pytest.raises(ValueError, match=re.escape("a_prev must have shape (n_a, m) = (5, 4), got (4, 4)")):
        rnnlstm.gru_cell_forward(x[:, :, 0], a0[:4], parameters)
    a_next, _, cache = rnnlstm.gru_cell_forward(x[:, :, 0], a0, parameters)
    with pytest.raises(ValueError, match=re.escape("da_next must have shape (n_a, m) = (5, 4), got (5, 3)")):
        rnnlstm.gru_cell_backward(a_next[:, :3], cache)
    with pytest.raises(TypeError, match="expected the cache returned by gru_cell_forward"):
        rnnlstm.gru_cell_backward(a_next, cache[:-1])
    with pytest.raises(ValueError, match=re.escape("x has T_x = 0")):
        rnnlstm.gru_loss(x[:, :, :0], y[:, :, :0], a0, parameters)
