"""Bidirectional networks (rnnlstm.bidirectional, derivations.bidirectional): each direction's layer is
a single-layer network (the backward one on the sequence reversed in time), every gradient passes the
gradient check for every cell with layers of different widths, the derived equations agree with
numpy and by brute force, bad input is refused, and no input is modified."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import assert_same

import derivations
import rnnlstm
from derivations import bidirectional as bi
from derivations import bruteforce
from derivations.calculus import Derived
from rnnlstm.cells import CELLS
from rnnlstm.problems import random_bidirectional_problem

MODELS = tuple(CELLS)  # every cell of the library
OUTPUT = {"rnn": "Wya", "lstm": "Wy", "gru": "Wy", "torch_gru": "Wy"}  # the single-layer network's name of the output weight
DIRECTIONS = ("forward", "backward")


def problem(model, widths=(4, 2), seed=0, **kwargs):
    return random_bidirectional_problem(model, 3, widths, 4, 3, 5, seed=seed, **kwargs)


def single_layer(model, parameters, direction):
    """One direction's layer with the output layer's columns that read it (and b_y), as rnn_loss,
    lstm_loss and gru_loss take them."""
    n = parameters["forward"][next(iter(parameters["forward"]))].shape[0]
    columns = slice(None, n) if direction == "forward" else slice(n, None)
    return {**parameters[direction], OUTPUT[model]: parameters["Wy"][:, columns], "by": parameters["by"]}


@pytest.mark.parametrize("model", MODELS)
def test_the_forward_layer_is_a_single_layer_network_and_the_backward_one_runs_on_x_reversed(model):
    x, y, a0, parameters = problem(model, seed=1)
    (a_f, a_b), y_pred, _ = rnnlstm.birnn_forward(x, a0, parameters, model)
    forward = getattr(rnnlstm, f"{model}_forward")
    assert_same(a_f, forward(x, a0[0], single_layer(model, parameters, "forward"))[0])
    reversed_run = forward(x[:, :, ::-1], a0[1], single_layer(model, parameters, "backward"))[0]
    assert_same(a_b, reversed_run[:, :, ::-1])
    # ŷ⟨t⟩ = softmax(W_y [a→⟨t⟩; a←⟨t⟩] + b_y), step by step
    for t in range(x.shape[2]):
        z = parameters["Wy"] @ np.concatenate([a_f[:, :, t], a_b[:, :, t]]) + parameters["by"]
        np.testing.assert_allclose(y_pred[:, :, t], rnnlstm.softmax(z), rtol=1e-13)


@pytest.mark.parametrize("model", MODELS)
def test_each_layer_backward_is_the_single_layer_backward_given_its_share(model):
    """birnn_backward given a share for one layer and zeros for the other: that layer's gradients
    are the single network's backward pass given the same share (reversed in time for the backward
    layer), and dx is its dx alone."""
    x, _, a0, parameters = problem(model, seed=2)
    a, _, caches = rnnlstm.birnn_forward(x, a0, parameters, model)
    rng = np.random.default_rng(3)
    for k, direction in enumerate(DIRECTIONS):
        order = slice(None) if direction == "forward" else slice(None, None, -1)
        share = rng.normal(size=a[k].shape)
        da = [np.zeros_like(a[0]), np.zeros_like(a[1])]
        da[k] = share
        gradients = rnnlstm.birnn_backward(da, caches)
        single = getattr(rnnlstm, f"{model}_forward")(x[:, :, order], a0[k], single_layer(model, parameters, direction))
        expected = getattr(rnnlstm, f"{model}_backward")(share[:, :, order], single[-1])
        assert_same(gradients[direction], {key: expected[key] for key in gradients[direction]})
        assert_same([gradients["dx"], gradients["da0"][k]], [expected["dx"][:, :, order], expected["da0"]])
        other = gradients[DIRECTIONS[1 - k]]
        assert all(not g.any() for g in other.values()), "the other layer received no gradient"


def checked_arrays(x, a0, parameters):
    arrays = {f"{d} d{k}": v for d in DIRECTIONS for k, v in parameters[d].items()}
    arrays |= {"dWy": parameters["Wy"], "dby": parameters["by"], "dx": x}
    return arrays | {f"da0 {d}": a for d, a in zip(DIRECTIONS, a0)}


def flat(gradients):
    out = {f"{d} {k}": v for d in DIRECTIONS for k, v in gradients[d].items()}
    out |= {k: gradients[k] for k in ("dWy", "dby", "dx")}
    return out | {f"da0 {d}": a for d, a in zip(DIRECTIONS, gradients["da0"])}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("widths", [(4, 2), (1, 3)])
def test_every_gradient_passes_the_gradient_check_with_layers_of_different_widths(model, widths):
    x, y, a0, parameters = problem(model, widths, seed=sum(widths))
    _, gradients = rnnlstm.birnn_loss(x, y, a0, parameters, model)
    loss = lambda: rnnlstm.birnn_loss(x, y, a0, parameters, model)[0]  # noqa: E731
    errors = rnnlstm.gradient_check(loss, checked_arrays(x, a0, parameters), flat(gradients))
    assert len(errors) == 2 * len(CELLS[model].parameters) + 5
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("model", MODELS)
def test_the_states_gradients_pass_the_gradient_check(model):
    """da_next: all of ∂J/∂a→⟨t⟩ and ∂J/∂a←⟨t⟩, against differences of J with the state replaced
    and each layer going on from it in the order it runs."""
    x, y, a0, parameters = problem(model, (3, 2), seed=4)
    _, gradients = rnnlstm.birnn_loss(x, y, a0, parameters, model)
    steps = lambda a: [a[:, :, t] for t in range(a.shape[2])]  # noqa: E731
    for t in (0, x.shape[2] // 2, x.shape[2] - 1):
        for k, key in enumerate(("da_f", "da_b")):
            f, state = bi.loss_as_function_of(model, key, t, steps(x), steps(y), a0, parameters)
            X = state.copy()
            numeric = rnnlstm.numerical_gradient(lambda f=f, X=X: f(X), X)
            assert rnnlstm.relative_error(gradients["da_next"][k][:, :, t], numeric) < 1e-7


@pytest.mark.parametrize("model", MODELS)
def test_the_derived_equations_agree_with_numpy(model):
    x, y, a0, parameters = problem(model, (2, 5), seed=5)
    _, gradients = rnnlstm.birnn_loss(x, y, a0, parameters, model)
    steps = lambda a: [a[:, :, t] for t in range(a.shape[2])]  # noqa: E731
    derived = bi.loss_gradients(model, steps(x), steps(y), a0, parameters)
    pairs = {"dx": (gradients["dx"], np.stack(derived["dx"], axis=2)), "dWy": (gradients["dWy"], derived["dWy"]),
             "dby": (gradients["dby"], derived["dby"])}  # fmt: skip
    for k, d in enumerate(DIRECTIONS):
        pairs[f"{d} da_next"] = (gradients["da_next"][k], np.stack(derived["da_next"][k], axis=2))
        pairs[f"{d} da0"] = (gradients["da0"][k], derived["da0"][k])
        pairs |= {f"{d} {key}": (g, derived[d][key]) for key, g in gradients[d].items()}
    for name, (ours, theirs) in pairs.items():
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14, err_msg=name)
    J = rnnlstm.birnn_loss(x, y, a0, parameters, model)[0]
    assert J == pytest.approx(bi.loss(model, steps(x), steps(y), a0, parameters), rel=1e-13)


def test_the_prediction_at_the_first_step_depends_on_the_last_input():
    """Why such a network cannot generate text left to right: ŷ⟨1⟩ changes with x⟨T_x⟩."""
    x, _, a0, parameters = problem("rnn", seed=6)
    changed = x.copy()
    changed[:, :, -1] += 1.0
    first = [rnnlstm.birnn_forward(v, a0, parameters, "rnn")[1][:, :, 0] for v in (x, changed)]
    assert np.abs(first[0] - first[1]).max() > 1e-6
    # ... and the forward layer alone does not see it
    single = single_layer("rnn", parameters, "forward")
    before = [rnnlstm.rnn_forward(v, a0[0], single)[0][:, :, 0] for v in (x, changed)]
    assert_same(before[0], before[1])


@pytest.mark.parametrize("model", MODELS)
def test_inputs_are_left_untouched(model):
    x, y, a0, parameters = problem(model, seed=7)
    arguments = (x, y, a0, parameters, model)
    before = copy.deepcopy(arguments)
    rnnlstm.birnn_loss(*arguments)
    a, _, caches = rnnlstm.birnn_forward(x, a0, parameters, model)
    da = tuple(np.ones_like(v) for v in a)
    da_before = copy.deepcopy(da)
    rnnlstm.birnn_backward(da, caches)
    assert_same(arguments, before)
    assert_same(da, da_before)


@pytest.mark.parametrize("model", MODELS)
def test_float32_in_float32_out(model):
    x, y, a0, parameters = problem(model, seed=8, dtype=np.float32)
    J, gradients = rnnlstm.birnn_loss(x, y, a0, parameters, model)
    assert all(g.dtype == np.float32 for g in flat(gradients).values())
    _, expected = rnnlstm.birnn_loss(*(copy.deepcopy(v) for v in problem(model, seed=8)[:4]), model)
    np.testing.assert_allclose(gradients["dx"], expected["dx"], rtol=1e-3, atol=1e-5)


def test_the_derivation_prints_the_two_directions_apart_from_the_share_arrow():
    da_b = derivations.get("bidirectional.bptt.da_b").latex
    assert da_b.startswith(r"d\overset{\leftarrow}{a}^{\langle t \rangle} = d\overset{\leftarrow}{a}_{\leftarrow t-1}^{\langle t \rangle}")
    assert r"W_y[{:}, n_{\overset{\rightarrow}{a}}{:}]^{T} dz_y^{\langle t \rangle}" in da_b
    da_f = derivations.get("bidirectional.bptt.da_f").latex
    assert r"d\overset{\rightarrow}{a}_{\leftarrow t+1}^{\langle t \rangle}" in da_f
    assert r"W_y[{:}, {:}n_{\overset{\rightarrow}{a}}]^{T}" in da_f
    dx = derivations.get("bidirectional.bptt.dx").latex
    assert dx == (r"dx^{\langle t \rangle} = dx_{\leftarrow \overset{\rightarrow}{a}}^{\langle t \rangle}"
                  r" + dx_{\leftarrow \overset{\leftarrow}{a}}^{\langle t \rangle}")  # fmt: skip


def test_every_result_has_a_brute_force_check():
    keys = {key for key, *_ in bruteforce._bidirectional_pairs()}
    assert keys == {k for k in derivations.results("bidirectional") if ".forward." not in k}


def test_brute_force_catches_a_missing_share(monkeypatch):
    """da→⟨t⟩ without the share from step t+1: the brute-force check of da_f fails, of dWy_b not."""
    right = bi.BPTT["da_f"]
    wrong = Derived("da_f", right.lhs, bi.vjp(bi.FORWARD["zy"].rhs, bi.a_forward, bi.dzy), "broken")
    monkeypatch.setattr(bi, "BPTT", {**bi.BPTT, "da_f": wrong})
    monkeypatch.setattr(bruteforce, "SIZES", {**bruteforce.SIZES, "bidirectional": {**bruteforce.SIZES["bidirectional"], "T_x": 2}})
    (missing,) = bruteforce.checks("bidirectional", "bptt.da_f")
    (unaffected,) = bruteforce.checks("bidirectional", "bptt.dWy_b")
    assert not missing.agrees and unaffected.agrees


@pytest.mark.parametrize("model", MODELS)
def test_the_verification_has_a_row_per_result_for_every_cell_and_it_passes(model):
    from derivations import verify

    rows = verify.bidirectional_table(model)
    assert [r.key for r in rows] == [k for k in derivations.results("bidirectional") if ".forward." not in k]
    assert all(r.passed and r.numpy < 1e-12 and r.finite_differences < 1e-6 for r in rows), rows
    assert "not installed" not in verify.format_table(rows)  # never compared with PyTorch, not missing it
