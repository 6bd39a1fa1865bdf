"""The frameworks' GRU (rnnlstm.torch_gru, derivations.torch_gru): numpy against the derived
equations and against finite differences, not the course's GRU, converted to and from PyTorch's
layout exactly, and torch.nn.GRU itself where PyTorch is installed. Bad input is in the catalogue
of docs/bad_inputs.py."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from conftest import SHAPES, assert_same, derived_gradients, steps

import derivations
import rnnlstm
from derivations import gru as course
from derivations import torch_gru as derived
from derivations.evaluate import evaluate
from derivations.notation import latex
from rnnlstm import problems
from rnnlstm.layouts import key_shapes

random_torch_gru = partial(problems.random_problem, "torch_gru")
AGREE = 1e-12  # float64: the same expressions, summed in another order


@pytest.mark.parametrize("shape", SHAPES)
def test_loss_and_gradients_agree_with_the_derived_equations(shape):
    x, y, a0, parameters = random_torch_gru(*shape, seed=sum(shape))
    J, grads = rnnlstm.torch_gru_loss(x, y, a0, parameters)
    expected = derived_gradients("torch_gru", x, y, a0, parameters)
    assert J == pytest.approx(derived.loss(steps(x), steps(y), a0, parameters), rel=1e-12)
    for key in (*derived.TOTAL, "dx", "da0", "da_next"):
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_agrees_with_each_derived_cell_equation(shape):
    x, _, a0, parameters = random_torch_gru(*shape, seed=3)
    a_next, _, cache = rnnlstm.torch_gru_cell_forward(x[:, :, 0], a0, parameters)
    da_next = np.random.default_rng(4).normal(size=a_next.shape)
    grads = rnnlstm.torch_gru_cell_backward(da_next, cache)
    values = derived.cell_forward({**derived.parameter_values(parameters), derived.xt: x[:, :, 0], derived.c_prev: a0})
    np.testing.assert_allclose(values[derived.a_next], a_next, rtol=1e-13)
    values[course.dc] = da_next
    for d in derived.CELL.values():
        values[d.lhs] = evaluate(d.rhs, values)
    assert grads.keys() == derived.CELL.keys()
    for key, value in grads.items():
        np.testing.assert_allclose(value, values[derived.CELL[key].lhs], rtol=1e-11, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("shape", SHAPES)
def test_full_loss_passes_the_gradient_check(shape):
    x, y, a0, parameters = random_torch_gru(*shape, seed=7)
    _, grads = rnnlstm.torch_gru_loss(x, y, a0, parameters)
    arrays = {"d" + k: v for k, v in parameters.items()} | {"dx": x, "da0": a0}
    errors = rnnlstm.gradient_check(lambda: rnnlstm.torch_gru_loss(x, y, a0, parameters)[0], arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_cell_backward_passes_the_gradient_check(shape):
    x, _, a0, parameters = random_torch_gru(*shape, seed=13)
    xt = x[:, :, 0].copy()
    a_next, _, cache = rnnlstm.torch_gru_cell_forward(xt, a0, parameters)
    da_next = np.random.default_rng(14).normal(size=a_next.shape)
    grads = rnnlstm.torch_gru_cell_backward(da_next, cache)
    arrays = {"d" + k: parameters[k] for k in rnnlstm.torch_gru.CELL_PARAMETERS} | {"dxt": xt, "da_prev": a0}
    loss = lambda: float(np.sum(da_next * rnnlstm.torch_gru_cell_forward(xt, a0, parameters)[0]))  # noqa: E731
    errors = rnnlstm.gradient_check(loss, arrays, grads)
    assert max(errors.values()) < 1e-7, errors


def course_parameters(parameters):
    return {k: v for k, v in parameters.items() if k != "bcc"}


def test_it_is_not_the_course_gru():
    """The same weights give other states; b_cc = 0 and a diagonal W_c[:, :n_a] make them agree,
    where Γ_r ⊙ (W c) = W (Γ_r ⊙ c) for every Γ_r and c."""
    x, _, a0, parameters = random_torch_gru(3, 4, 2, 5, 6, seed=2)
    a_course = rnnlstm.gru_forward(x, a0, course_parameters(parameters))[0]
    assert np.abs(rnnlstm.torch_gru_forward(x, a0, parameters)[0] - a_course).max() > 0.1
    parameters["bcc"] = np.zeros_like(parameters["bcc"])
    assert np.abs(rnnlstm.torch_gru_forward(x, a0, parameters)[0] - a_course).max() > 0.1
    n_a = a0.shape[0]
    parameters["Wc"][:, :n_a] = np.diag(np.diag(parameters["Wc"][:, :n_a]))
    a_course = rnnlstm.gru_forward(x, a0, course_parameters(parameters))[0]
    np.testing.assert_allclose(rnnlstm.torch_gru_forward(x, a0, parameters)[0], a_course, rtol=0, atol=1e-15)


def test_only_the_candidate_and_what_passes_through_it_are_derived_differently():
    differ = {
        key
        for key, d in derivations.results("torch_gru").items()
        if key.replace("torch_gru.", "gru.", 1) not in derivations.results("gru")
        or d.latex != derivations.get(key.replace("torch_gru.", "gru.", 1)).latex
    }
    assert differ == {
        "torch_gru.forward.zc", "torch_gru.cell.dGamma_r", "torch_gru.cell.dWc", "torch_gru.cell.dbcc",
        "torch_gru.cell.da_prev", "torch_gru.bptt.da_next", "torch_gru.bptt.dWc", "torch_gru.bptt.dbcc",
        "torch_gru.bptt.da0",
    }  # fmt: skip
    assert r"\Gamma_r^{\langle t \rangle} \odot \left(W_c[{:}, {:}n_a] c^{\langle t-1 \rangle} + b_{cc}\right)" in latex(
        derived.FORWARD["zc"].rhs
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_parameters_come_back_exactly_from_pytorchs_layout(shape, dtype):
    _, _, _, parameters = random_torch_gru(*shape, dtype=dtype)
    state, head = rnnlstm.to_pytorch(parameters, "torch_gru")
    assert all(v.dtype == dtype for v in (*state.values(), *head.values()))
    assert_same(rnnlstm.from_pytorch(state, "torch_gru", head), parameters)


def random_state(shape, seed=0):
    """A state dict of nn.GRU(n_x, n_a) and a Linear's, every bias nonzero."""
    rng = np.random.default_rng(seed)
    sizes = dict(zip(("n_x", "n_a", "n_y"), shape[:3]))

    def size(dim):
        factor, _, base = dim.rpartition("*")
        return int(factor or 1) * sizes[base]

    state, head = key_shapes("pytorch", "torch_gru")
    return [{k: 0.5 * rng.normal(size=tuple(size(d) for d in dims.split())) for k, dims in part.items()} for part in (state, head)]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def pytorch_gru(state, x, h0):
    """nn.GRU from PyTorch's documented equations, the gates stacked r, z, n; x (T, N, n_x), h (N, n_a)."""
    W_i, W_h, b_i, b_h = (state[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    H = W_h.shape[1]
    h, hs = h0, []
    for x_t in x:
        gi, gh = x_t @ W_i.T + b_i, h @ W_h.T + b_h
        r, z = sigmoid(gi[:, :H] + gh[:, :H]), sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = (1 - z) * n + z * h
        hs.append(h)
    return np.stack(hs)


@pytest.mark.parametrize("shape", SHAPES)
def test_pytorchs_gru_comes_back_as_the_same_function(shape):
    """torch → ours → torch: the weights and the candidate's two biases exactly, the biases of r
    and z as their sum, and the same function, by PyTorch's own equations."""
    state, head = random_state(shape, seed=1)
    again, head_again = rnnlstm.to_pytorch(rnnlstm.from_pytorch(state, "torch_gru", head), "torch_gru")
    assert_same(head_again, head)
    for key in ("weight_ih_l0", "weight_hh_l0"):
        assert_same(again[key], state[key])
    n_a = shape[1]
    rz, n = slice(0, 2 * n_a), slice(2 * n_a, 3 * n_a)
    assert_same(again["bias_ih_l0"][rz], state["bias_ih_l0"][rz] + state["bias_hh_l0"][rz])
    assert not again["bias_hh_l0"][rz].any()
    assert_same([again["bias_ih_l0"][n], again["bias_hh_l0"][n]], [state["bias_ih_l0"][n], state["bias_hh_l0"][n]])
    x, _, a0, _ = random_torch_gru(*shape, seed=3)
    theirs = pytorch_gru(state, x.transpose(2, 1, 0), a0.T).transpose(2, 1, 0)
    ours = rnnlstm.torch_gru_forward(x, a0, rnnlstm.from_pytorch(state, "torch_gru", head))[0]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=AGREE)
    np.testing.assert_allclose(pytorch_gru(again, x.transpose(2, 1, 0), a0.T).transpose(2, 1, 0), theirs, rtol=0, atol=AGREE)


def test_each_gate_is_where_pytorch_documents_it():
    """Rows r, z, n; z = 1 − Γ_u, so its weights and bias are the course's negated; b_hn is b_cc."""
    n_a = 4
    _, _, _, p = random_torch_gru(3, n_a, 2, 2, 3)
    state, _ = rnnlstm.to_pytorch(p, "torch_gru")
    block = [slice(k * n_a, (k + 1) * n_a) for k in range(3)]
    for k, (key, sign) in enumerate((("r", 1), ("u", -1), ("c", 1))):
        np.testing.assert_array_equal(state["weight_ih_l0"][block[k]], sign * p[f"W{key}"][:, n_a:])
        np.testing.assert_array_equal(state["weight_hh_l0"][block[k]], sign * p[f"W{key}"][:, :n_a])
        np.testing.assert_array_equal(state["bias_ih_l0"][block[k]], sign * p[f"b{key}"][:, 0])
    np.testing.assert_array_equal(state["bias_hh_l0"][block[2]], p["bcc"][:, 0])


def test_the_course_gru_has_no_pytorch_layout():
    _, _, _, p = problems.random_problem("gru", 3, 4, 2, 2, 3)
    for convert in (lambda: rnnlstm.to_pytorch(p, "gru"), lambda: rnnlstm.from_pytorch({}, "gru")):
        with pytest.raises(ValueError, match="the course's GRU has no PyTorch layout.*'torch_gru'"):
            convert()


def test_a_stack_of_the_frameworks_grus_passes_the_gradient_check():
    x, y, a0, parameters = problems.random_deep_problem("torch_gru", 3, [4, 2], 3, 2, 3, seed=5)
    assert set(parameters["layers"][0]) == set(rnnlstm.torch_gru.CELL_PARAMETERS)
    _, gradients = rnnlstm.deep_loss(x, y, a0, parameters, "torch_gru")
    arrays = {f"{l} d{k}": v for l, p in enumerate(parameters["layers"]) for k, v in p.items()} | {"dx": x}
    analytic = {f"{l} {k}": v for l, g in enumerate(gradients["layers"]) for k, v in g.items()} | {"dx": gradients["dx"]}
    errors = rnnlstm.gradient_check(lambda: rnnlstm.deep_loss(x, y, a0, parameters, "torch_gru")[0], arrays, analytic)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shape", SHAPES)
def test_torch_nn_gru_computes_it_whichever_way_the_parameters_went(shape):
    torch = pytest.importorskip("torch", reason="PyTorch is an optional extra")
    torch.manual_seed(0)
    n_x, n_a, n_y, _, _ = shape
    module, linear = torch.nn.GRU(n_x, n_a).double(), torch.nn.Linear(n_a, n_y).double()
    x, _, a0, parameters = random_torch_gru(*shape, seed=1)

    def theirs():
        with torch.no_grad():
            h0 = torch.from_numpy(np.ascontiguousarray(a0.T))[None]
            out, _ = module(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 1, 0))), h0)
            return out.numpy().transpose(2, 1, 0), torch.softmax(linear(out), dim=-1).numpy().transpose(2, 1, 0)

    converted = rnnlstm.from_pytorch(module.state_dict(), "torch_gru", linear.state_dict())
    for ours, their in zip(rnnlstm.torch_gru_forward(x, a0, converted)[:2], theirs()):
        np.testing.assert_allclose(ours, their, rtol=0, atol=AGREE)
    state, head = rnnlstm.to_pytorch(parameters, "torch_gru")
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    linear.load_state_dict({k: torch.from_numpy(v) for k, v in head.items()})
    for ours, their in zip(rnnlstm.torch_gru_forward(x, a0, parameters)[:2], theirs()):
        np.testing.assert_allclose(ours, their, rtol=0, atol=AGREE)
