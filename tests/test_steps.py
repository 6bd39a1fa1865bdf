"""derivations/steps.py: each node's worked derivation ends at the chapters' rule, a planted slip in a
step is refused, and the page docs/node-rules.md shows exactly what the module derives."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import sympy as sp
from test_pages import code_cells

from derivations import calculus, lstm, rnn, steps
from derivations.calculus import DerivationError

PAGE = Path(__file__).resolve().parents[1] / "docs" / "node-rules.md"


@pytest.fixture(autouse=True)
def fresh_derivations():
    """Every test derives afresh, and leaves no planted derivation in the cache for the next."""
    steps.derivation.cache_clear()
    yield
    steps.derivation.cache_clear()


@pytest.mark.parametrize(
    "node, key, target, upstream",
    [
        ("linear", "dW-matrix", steps.W, steps.dZ),
        ("linear", "dX-matrix", steps.X, steps.dZ),
        ("bias", "db-matrix", steps.b, steps.dZ),
        ("elementwise", "dZ-matrix", steps.Z, steps.dA),
        ("hadamard", "dA-matrix", steps.A, steps.dP),
        ("hadamard", "dG-matrix", steps.G, steps.dP),
    ],
)
def test_each_node_ends_at_the_generic_vjp(node, key, target, upstream):
    step = steps.derivation(node)[key]
    generic = calculus.vjp(steps.NODES["linear" if node == "bias" else node].definition, target, upstream)
    assert step.rhs.dummy_eq(generic)  # f′ of the elementwise node is a Lambda of a fresh Dummy each time
    assert step.lhs.name == f"node_d{target.name[5:]}"


def test_the_matrix_forms_are_the_rules_the_chapters_print():
    """Each generic rule, with a chapter's quantities put in, is that chapter's derived result."""
    linear = steps.derivation("linear")
    rnn_cell = {steps.W: rnn.Wax, steps.X: rnn.xt, steps.dZ: rnn.dz}
    assert linear["dW-matrix"].rhs.xreplace(rnn_cell) == rnn.CELL["dWax"].rhs
    assert linear["dX-matrix"].rhs.xreplace({steps.W: rnn.Waa, steps.dZ: rnn.dz}) == rnn.CELL["da_prev"].rhs
    assert steps.derivation("bias")["db-matrix"].rhs.xreplace({steps.dZ: rnn.dz}) == rnn.CELL["dba"].rhs
    tanh = steps.derivation("elementwise")["tanh-matrix"].rhs
    assert tanh.xreplace({steps.dA: rnn.da_next, steps.A: rnn.a_next}) == rnn.CELL["dz"].rhs
    sigma = steps.derivation("elementwise")["sigma-matrix"].rhs
    assert sigma.xreplace({steps.dA: lstm.dgate["ft"], steps.A: lstm.ft}) == lstm.CELL["dzf"].rhs
    gate = steps.derivation("hadamard")  # xreplace keeps the order of a ⊙; doit sorts it as SymPy does
    dc_prev = gate["dA-matrix"].rhs.xreplace({steps.dP: lstm.dc, steps.G: lstm.ft})
    assert dc_prev.doit() == lstm.CELL["dc_prev"].rhs.doit()
    forget = calculus.vjp(lstm.FORWARD["c_next"].rhs, lstm.ft, lstm.dc)
    assert gate["dG-matrix"].rhs.xreplace({steps.dP: lstm.dc, steps.A: lstm.c_prev}).doit() == forget.doit()
    softmax = steps.derivation("softmax")["matrix"].rhs
    assert softmax.xreplace({steps.Yhat: rnn.yt_pred, steps.Y: rnn.yt}) == rnn.OUTPUT["dzy"].rhs


def test_steps_are_printed_with_entries_in_the_course_notation():
    linear = steps.derivation("linear")
    assert linear["dW-pattern"].latex == r"\frac{\partial J}{\partial W_{jk}} = \sum_{i=1}^{m} dz_{j}^{(i)} x_{k}^{(i)}"
    assert linear["dX-product"].latex == r"\frac{\partial J}{\partial x_{k}^{(i)}} = \left(W^{T} dZ\right)_{ki}"
    assert steps.derivation("bias")["db-matrix"].latex == r"db = \sum_{i=1}^{m} dz^{(i)}"
    softmax = steps.derivation("softmax")
    assert softmax["jacobian"].latex.endswith(r"= \hat{y}_{k} \left(\delta_{jk} - \hat{y}_{j}\right)")
    assert softmax["simplex"].latex.endswith(r"= \hat{y}_{j} - y_{j}")


def test_the_chain_rule_keeps_the_entries_sympy_found_the_input_in():
    """W_jk is in row j of Z (once per example), x_k^(i) in column i, b_j in row j."""
    n_out, n_in, m = (steps.SIZES[d] for d in (steps.n_out, steps.n_in, steps.m))
    z = steps.entries(steps.Z)
    chains = {key: steps.derivation(node)[key].rhs for node, key in [("linear", "dW-chain"), ("linear", "dX-chain"), ("bias", "db-chain")]}
    found = {key: [t.args[0].variables[0] for t in rhs.args] for key, rhs in chains.items()}
    assert found["dW-chain"] == [z[n_out, i] for i in range(1, m + 1)]
    assert found["dX-chain"] == [z[r, m] for r in range(1, n_out + 1)]
    assert found["db-chain"] == found["dW-chain"]
    assert steps.derivation("linear")["dW-chain"].lhs.variables[0] == steps.entries(steps.W)[n_out, n_in]


def test_an_unknown_node_is_refused():
    with pytest.raises(ValueError, match="node must be one of"):
        steps.derivation("convolution")


# Planted slips: each must be refused by the step that checks it


def _planted(monkeypatch, node, target, **change):
    into = steps.INPUTS[node][target]
    monkeypatch.setitem(steps.INPUTS[node], target, steps.Input(**{**vars(into), **change}))


def test_an_input_gradient_with_the_transpose_on_the_wrong_factor_is_refused(monkeypatch):
    W, dz = steps.entries(steps.W), steps.entries(steps.dZ)
    _planted(monkeypatch, "linear", steps.X, pattern=sp.Sum(W[steps.k, steps.j] * dz[steps.j, steps.i], (steps.j, 1, steps.n_out)))
    with pytest.raises(DerivationError, match="dX-pattern"):
        steps.derivation("linear")


def test_a_weight_gradient_read_as_the_wrong_entry_is_refused(monkeypatch):
    _planted(monkeypatch, "linear", steps.W, recognised=steps.dZ * steps.X.T * 2)
    with pytest.raises(DerivationError, match="dW-product"):
        steps.derivation("linear")


def test_a_gate_product_with_the_factors_exchanged_is_refused(monkeypatch):
    dc, a = steps.entries(steps.dP), steps.entries(steps.A)
    _planted(monkeypatch, "hadamard", steps.A, pattern=dc[steps.j, steps.i] * a[steps.j, steps.i])
    with pytest.raises(DerivationError, match="dA-pattern"):
        steps.derivation("hadamard")


def test_a_bias_gradient_that_is_not_the_column_sum_is_refused(monkeypatch):
    _planted(monkeypatch, "bias", steps.b, recognised=steps.dZ * sp.OneMatrix(steps.m, 1) / steps.m)
    with pytest.raises(DerivationError, match="db-matrix"):
        steps.derivation("bias")


def test_a_wrong_local_derivative_is_refused(monkeypatch):
    """tanh′ = 1 − tanh, a slip of the square, written in terms of the value."""
    v = sp.Symbol("v")
    right = steps.local_derivative
    monkeypatch.setattr(steps, "local_derivative", lambda f: sp.Lambda(v, 1 - v) if f is sp.tanh else right(f))
    with pytest.raises(DerivationError, match="tanh"):
        steps.derivation("elementwise")


def test_the_softmax_step_needs_the_targets_to_sum_to_one(monkeypatch):
    monkeypatch.setattr(steps, "targets_sum_to_one", lambda K: {})
    with pytest.raises(DerivationError, match="simplex"):
        steps.derivation("softmax")


# The page: every step it shows is glued from the module


def _glued(monkeypatch):
    """What the page's code cells glue, by name, run the way the book runs them."""
    monkeypatch.syspath_prepend(str(PAGE.parent))
    import book

    glued = {}
    monkeypatch.setattr(book, "glue", lambda name, value, display=True: glued.__setitem__(name, value))
    for cell in code_cells(PAGE.read_text()):
        exec(cell, {})  # noqa: S102 - the page's own code
    return {name: value.data for name, value in glued.items()}


def test_the_page_shows_every_step_the_module_derives(monkeypatch):
    glued = _glued(monkeypatch)
    text = PAGE.read_text()
    shown = set(re.findall(r"```\{glue:math\} (\S+)", text))
    referred = set(re.findall(r"\{glue:md\}`([^`:]+)", text))
    assert shown | referred <= set(glued), f"the page refers to names no cell glues: {(shown | referred) - set(glued)}"
    on_page = {glued[name] for name in shown}
    for node in steps.DERIVATIONS:
        for step in steps.derivation(node).steps:
            assert glued[f"{node}-{step.key}"] == step.latex
            assert step.latex in on_page, f"{node}: step {step.key} is not shown on the page"


def test_a_changed_derivation_changes_the_page(monkeypatch):
    before = _glued(monkeypatch)
    monkeypatch.setitem(steps.SIZES, steps.n_in, steps.SIZES[steps.n_in] + 1)
    steps.derivation.cache_clear()
    after = _glued(monkeypatch)
    last = steps.entries(steps.W)[steps.SIZES[steps.n_out], steps.SIZES[steps.n_in]]
    assert before["linear-dW-chain"] != after["linear-dW-chain"]
    assert after["linear-dW-chain"] == steps.derivation("linear")["dW-chain"].latex
    assert rf"\partial {steps.latex(last)}" in after["linear-dW-chain"]
    assert before["sizes"] != after["sizes"] and f"= {steps.SIZES[steps.n_in]}$" in after["sizes"]


@pytest.mark.docs  # built_site builds the book
def test_the_built_page_shows_the_modules_latex(built_site):
    page = (built_site / "node-rules.html").read_text(encoding="utf-8")
    for node in steps.DERIVATIONS:
        for step in steps.derivation(node).steps:
            assert html.escape(step.latex, quote=False) in page, f"{node}-{step.key}"
    assert 'id="equation-node-softmax-jacobian"' in page
