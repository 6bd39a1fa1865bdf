"""Gradient flow: the one-step Jacobians derived in derivations/flow.py (checked entry by entry
against SymPy on exact rationals), the library's Jacobians from the forward caches
(rnnlstm/flow.py) against the derived ones and against central differences of the last state,
and each step's term of a parameter's gradient against perturbing that step's copy alone."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy as sp

import rnnlstm
from conftest import ROOT
from derivations import flow, gru, lstm, rnn
from derivations.calculus import DerivationError
from derivations.notation import display
from rnnlstm.cells import CELLS
from rnnlstm.problems import random_problem

sys.path.insert(0, str(ROOT / "docs"))
import gradient_flow  # noqa: E402  (docs/gradient_flow.py, the page's problems and differences)

MODELS = ("rnn", "lstm", "gru")
SIZES = {"n_x": 2, "n_a": 3, "n_y": 2, "m": 2, "T_x": 5}


def problem(model, seed=0):
    x, _, a0, parameters = random_problem(model, **SIZES, seed=seed)
    return x, a0, parameters


# derivations/flow.py


@pytest.mark.parametrize("model", MODELS)
def test_every_derived_jacobian_agrees_with_sympys_entries_on_rationals(model):
    assert flow.check(model) < 1e-40
    assert set(flow.JACOBIANS[model]) == {
        "rnn": {"a_next/a_prev"},
        "gru": {"reset_c/c_prev", "c_next/c_prev"},
        "lstm": {"c_next/c_prev", "c_next/a_prev", "a_next/c_prev", "a_next/a_prev"},
    }[model]


def test_the_check_fails_a_wrong_jacobian(monkeypatch):
    right = flow.JACOBIANS["gru"]["c_next/c_prev"]
    dropped = sp.MatAdd(*right.rhs.args[1:])  # without the direct use (1 − Γ_u) ⊙ c⟨t−1⟩
    monkeypatch.setitem(flow.JACOBIANS["gru"], "c_next/c_prev", flow.Derived(right.name, right.lhs, dropped, right.rule))
    with pytest.raises(DerivationError, match="gru.c_next/c_prev"):
        flow.check.__wrapped__("gru")


def test_the_rnns_jacobian_is_a_diagonal_times_waa_and_gives_the_bound():
    rhs = flow.JACOBIANS["rnn"]["a_next/a_prev"].rhs
    assert isinstance(rhs, sp.MatMul) and isinstance(rhs.args[0], sp.DiagMatrix) and rhs.args[1] == rnn.Waa
    assert rhs.args[0].has(flow.column(rnn.a_next))  # 1 − a⟨t⟩², from the cached value
    assert r"\le" in flow.rnn_bound() and r"\sigma_{\max}" in flow.rnn_bound()


def test_the_grus_jacobian_has_a_term_for_each_use_of_the_old_state():
    results = flow.JACOBIANS["gru"]
    rhs, reset = results["c_next/c_prev"].rhs, results["reset_c/c_prev"].rhs
    assert len(rhs.args) == 3 and len(reset.args) == 2  # direct, update gate, candidate; inside it Γ_r ⊙ c⟨t−1⟩'s two
    assert rhs.has(gru.W_a["ut"]) and rhs.has(gru.W_a["cct"]) and rhs.has(results["reset_c/c_prev"].lhs)
    assert reset.has(gru.W_a["rt"])
    assert any(isinstance(term, sp.DiagMatrix) for term in rhs.args)  # diag(1 − Γ_u): the use without a weight


def test_the_lstms_hidden_state_blocks_are_written_through_its_memory_cell_blocks():
    results = flow.JACOBIANS["lstm"]
    for state in ("a_prev", "c_prev"):
        assert results[f"a_next/{state}"].rhs.has(results[f"c_next/{state}"].lhs)
    assert results["c_next/c_prev"].rhs == sp.DiagMatrix(flow.column(lstm.ft))


def test_an_unknown_cell_is_refused_by_the_check():
    with pytest.raises(ValueError, match="cell must be one of"):
        flow.check("lstmm")


# rnnlstm/flow.py


@pytest.mark.parametrize("model", MODELS)
def test_library_jacobians_equal_the_derived_ones(model):
    x, a0, parameters = problem(model)
    caches = getattr(rnnlstm, f"{model}_forward")(x, a0, parameters)[-1]
    for i in range(SIZES["m"]):
        library = rnnlstm.step_jacobians(model, caches, i)
        derived = gradient_flow.derived_step_jacobians(model, (x, a0, parameters), i)
        assert library.shape == (SIZES["T_x"], *(2 * (SIZES["n_a"] * (2 if model == "lstm" else 1),)))
        np.testing.assert_allclose(library, derived, rtol=0, atol=1e-13)


@pytest.mark.parametrize("model", MODELS)
def test_products_equal_central_differences_of_the_last_state(model):
    x, a0, parameters = problem(model, seed=3)
    caches = getattr(rnnlstm, f"{model}_forward")(x, a0, parameters)[-1]
    T_x = SIZES["T_x"]
    for i in range(SIZES["m"]):
        products = rnnlstm.lag_jacobians(rnnlstm.step_jacobians(model, caches, i))
        for t in range(T_x + 1):
            differences = gradient_flow.central_differences(model, (x, a0, parameters), t, i)
            np.testing.assert_allclose(products[T_x - t], differences, rtol=0, atol=1e-8, err_msg=f"t = {t}, i = {i}")


def test_the_product_over_no_step_is_the_identity_and_over_one_the_last_jacobian():
    jacobians = np.random.default_rng(0).normal(size=(4, 3, 3))
    products = rnnlstm.lag_jacobians(jacobians)
    assert products.shape == (5, 3, 3)
    np.testing.assert_array_equal(products[0], np.eye(3))
    np.testing.assert_array_equal(products[1], jacobians[-1])
    np.testing.assert_allclose(products[4], jacobians[3] @ jacobians[2] @ jacobians[1] @ jacobians[0], rtol=1e-14)


@pytest.mark.parametrize("model", MODELS)
def test_step_gradients_sum_to_the_backward_pass_and_are_each_steps_copy(model):
    x, a0, parameters = problem(model, seed=5)
    outputs = getattr(rnnlstm, f"{model}_forward")(x, a0, parameters)
    caches = outputs[-1]
    da = np.random.default_rng(1).normal(size=outputs[0].shape)
    cell = CELLS[model]
    for key in cell.parameters:
        terms = rnnlstm.step_gradients(model, da, caches, key)
        backward = getattr(rnnlstm, f"{model}_backward")(da, caches)["d" + key]
        np.testing.assert_allclose(terms.sum(axis=0), backward, rtol=1e-12, atol=1e-14)

    def surrogate(t, key, moved):
        """Σ_s ⟨da⟨s⟩, a⟨s⟩⟩ with step t alone using ``moved`` as its ``key``: its gradient from
        outside the recurrence at each a⟨s⟩ is da⟨s⟩."""
        p = {k: parameters[k] for k in cell.parameters}
        states = [a0, *(np.zeros_like(a0) for _ in cell.states[1:])]
        total = 0.0
        for s in range(SIZES["T_x"]):
            *states, _ = cell.forward(x[:, :, s], *states, {**p, key: moved} if s == t else p)
            total += np.sum(da[:, :, s] * states[0])
        return total

    key = {"rnn": "Waa", "lstm": "Wf", "gru": "Wr"}[model]
    terms = rnnlstm.step_gradients(model, da, caches, key)
    eps = 1e-6
    for t in range(SIZES["T_x"]):
        for entry in [(0, 0), (1, 2), (2, 1)]:
            moved = np.zeros_like(parameters[key])
            moved[entry] = eps
            difference = (surrogate(t, key, parameters[key] + moved) - surrogate(t, key, parameters[key] - moved)) / (2 * eps)
            assert terms[t][entry] == pytest.approx(difference, abs=1e-8), (t, entry)


@pytest.mark.docs  # built_site builds the book
def test_every_derived_jacobian_is_on_the_page_with_a_label(built_site):
    text = (built_site / "gradient-flow.html").read_text(encoding="utf-8")
    for cell, results in flow.JACOBIANS.items():
        for key, d in results.items():
            label = f"equation-flow-{cell}-{key.replace('/', '-')}".replace("_", "-").lower()
            assert f'id="{label}"' in text, f"{cell} {key} is not shown with its label"
            tex = display(d.lhs, d.rhs, per_line=1, at_least=2).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert tex in text, f"{cell} {key}: the derived LaTeX is not on the page"
    assert 'id="equation-flow-bound"' in text
