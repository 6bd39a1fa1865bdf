"""The course's parameters in the layouts of PyTorch and CS231n: exact round trips, each gate where
the code base documents it, and forward passes that agree with the course's: written here from
CS231n's and from PyTorch's published equations, and PyTorch's own modules where PyTorch is
installed (an optional extra). Bad input is in the catalogue of docs/bad_inputs.py."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import rnnlstm
from conftest import ROOT, SHAPES, assert_same
from rnnlstm.layouts import LAYOUTS, key_shapes
from rnnlstm.problems import random_problem

CELLS = ["rnn", "lstm"]
FROM = {"pytorch": rnnlstm.from_pytorch, "cs231n": rnnlstm.from_cs231n}
TO = {"pytorch": rnnlstm.to_pytorch, "cs231n": rnnlstm.to_cs231n}
AGREE = 1e-12  # float64: the same expressions, summed in another order


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax_last(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cs231n_forward(params, cell, x, h0):
    """CS231n's recurrent layer and temporal affine output, from its published equations: rows
    are examples, x (N, T, D), h (N, H); a = x_t Wx + h Wh + b; the RNN's h = tanh(a); the LSTM's
    i, f, o, g = σ, σ, σ, tanh of the four blocks of H of a, c = f c + i g, h = o tanh(c).
    Returns h (N, T, H) and the softmax of the scores (N, T, V)."""
    H = params["Wh"].shape[0]
    h, c, hs = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        a = x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]
        if cell == "rnn":
            h = np.tanh(a)
        else:
            i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H]), np.tanh(a[:, 3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
        hs.append(h)
    h = np.stack(hs, axis=1)
    return h, softmax_last(h @ params["W_vocab"] + params["b_vocab"])


def pytorch_forward(state, head, cell, x, h0):
    """``nn.RNN``/``nn.LSTM`` (sequence first) and ``nn.Linear`` with a softmax, from PyTorch's
    documented equations: each gate W_i· x + b_i· + W_h· h + b_h·, the gates stacked i, f, g, o;
    x (T, N, n_x), h (N, n_a). Returns the outputs (T, N, n_a) and the softmax (T, N, n_y)."""
    H = state["weight_hh_l0"].shape[1]
    h, c, hs = h0, np.zeros_like(h0), []
    for x_t in x:
        z = x_t @ state["weight_ih_l0"].T + state["bias_ih_l0"] + h @ state["weight_hh_l0"].T + state["bias_hh_l0"]
        if cell == "rnn":
            h = np.tanh(z)
        else:
            i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H : 2 * H]), np.tanh(z[:, 2 * H : 3 * H]), sigmoid(z[:, 3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
        hs.append(h)
    out = np.stack(hs)
    return out, softmax_last(out @ head["weight"].T + head["bias"])


def course_forward(parameters, cell, x, a0):
    """a (n_a, m, T_x) and y_pred (n_y, m, T_x) of the library."""
    return getattr(rnnlstm, f"{cell}_forward")(x, a0, parameters)[:2]


def random_layout(layout, cell, sizes, seed=0):
    """Arrays of every key of ``layout``, normal times 0.5 (tanh and σ away from saturation)."""
    rng = np.random.default_rng(seed)

    def size(dim):
        factor, _, base = dim.rpartition("*")
        return int(factor or 1) * sizes[base]

    shapes = {k: v for part in key_shapes(layout, cell) for k, v in part.items()}
    return {key: 0.5 * rng.normal(size=tuple(size(d) for d in dims.split())) for key, dims in shapes.items()}


def problem(cell, shape, dtype=np.float64, seed=0):
    n_x, n_a, n_y, m, T_x = shape
    return random_problem(cell, n_x, n_a, n_y, m, T_x, seed=seed, dtype=dtype)


def sizes_of(shape):
    return dict(zip(("n_x", "n_a", "n_y"), shape[:3]))


def split(layout, arrays):
    """A layout's arrays as its function takes them: (state dict, output) or one dict."""
    if layout == "pytorch":
        return (
            {k: arrays[k] for k in LAYOUTS[layout].keys},
            {k: arrays[k] for k in LAYOUTS[layout].output},
        )
    return (arrays,)


def from_layout(layout, arrays, cell):
    state, *output = split(layout, arrays)
    return FROM[layout](state, cell, *output)


def to_layout(layout, parameters, cell):
    result = TO[layout](parameters, cell)
    return {**result[0], **result[1]} if layout == "pytorch" else result


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cell", CELLS)
def test_the_course_parameters_come_back_exactly(cell, layout, shape, dtype):
    _, _, _, parameters = problem(cell, shape, dtype)
    arrays = to_layout(layout, parameters, cell)
    assert all(v.dtype == dtype for v in arrays.values())
    assert_same(from_layout(layout, arrays, cell), parameters)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cell", CELLS)
def test_cs231n_parameters_come_back_exactly(cell, shape):
    params = random_layout("cs231n", cell, sizes_of(shape))
    assert_same(rnnlstm.to_cs231n(rnnlstm.from_cs231n(params, cell), cell), params)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cell", CELLS)
def test_pytorch_weights_come_back_exactly_and_its_two_biases_as_their_sum(cell, shape):
    state, head = split("pytorch", random_layout("pytorch", cell, sizes_of(shape)))
    again, head_again = rnnlstm.to_pytorch(rnnlstm.from_pytorch(state, cell, head), cell)
    assert_same(head_again, head)
    for key in ("weight_ih_l0", "weight_hh_l0"):
        assert_same(again[key], state[key])
    assert_same(again["bias_ih_l0"], state["bias_ih_l0"] + state["bias_hh_l0"])
    assert not again["bias_hh_l0"].any()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cell", CELLS)
def test_without_the_output_layer_the_cells_parameters_alone(cell, layout):
    _, _, _, parameters = problem(cell, SHAPES[0])
    state, *_ = split(layout, to_layout(layout, parameters, cell))
    if layout == "cs231n":
        state = {k: v for k, v in state.items() if k in LAYOUTS[layout].keys}
    cell_only = FROM[layout](state, cell)
    output = {"rnn": ("Wya", "by"), "lstm": ("Wy", "by")}[cell]
    assert_same(cell_only, {k: v for k, v in parameters.items() if k not in output})


def test_each_gate_is_where_the_code_base_documents_it():
    """PyTorch: rows i, f, g, o (Γ_u, Γ_f, c̃, Γ_o), weight_ih on x, weight_hh on h; CS231n: columns
    i, f, o, g, transposed. The RNN's single block is W_ax, W_aa, b_a."""
    n_a = 5
    _, _, _, p = random_problem("lstm", 3, n_a, 4, 2, 3)
    state, head = rnnlstm.to_pytorch(p, "lstm")
    params = rnnlstm.to_cs231n(p, "lstm")
    block = [slice(k * n_a, (k + 1) * n_a) for k in range(4)]
    for k, gate in enumerate("ifco"):  # the course's keys: Wi (Γ_u), Wf, Wc (c̃), Wo
        np.testing.assert_array_equal(state["weight_ih_l0"][block[k]], p[f"W{gate}"][:, n_a:])
        np.testing.assert_array_equal(state["weight_hh_l0"][block[k]], p[f"W{gate}"][:, :n_a])
        np.testing.assert_array_equal(state["bias_ih_l0"][block[k]], p[f"b{gate}"][:, 0])
    for k, gate in enumerate("ifoc"):
        np.testing.assert_array_equal(params["Wx"][:, block[k]], p[f"W{gate}"][:, n_a:].T)
        np.testing.assert_array_equal(params["Wh"][:, block[k]], p[f"W{gate}"][:, :n_a].T)
        np.testing.assert_array_equal(params["b"][block[k]], p[f"b{gate}"][:, 0])
    np.testing.assert_array_equal(head["weight"], p["Wy"])
    np.testing.assert_array_equal(params["W_vocab"], p["Wy"].T)
    _, _, _, p = random_problem("rnn", 3, n_a, 4, 2, 3)
    state, head = rnnlstm.to_pytorch(p, "rnn")
    params = rnnlstm.to_cs231n(p, "rnn")
    np.testing.assert_array_equal(state["weight_ih_l0"], p["Wax"])
    np.testing.assert_array_equal(state["weight_hh_l0"], p["Waa"])
    np.testing.assert_array_equal(params["Wx"], p["Wax"].T)
    np.testing.assert_array_equal(params["Wh"], p["Waa"].T)
    np.testing.assert_array_equal(params["b_vocab"], p["by"][:, 0])


def their_forward(layout, arrays, cell, x, a0):
    """Their forward pass, in the course's shapes: a (n_a, m, T_x), y_pred (n_y, m, T_x)."""
    if layout == "cs231n":
        h, y = cs231n_forward(arrays, cell, x.transpose(1, 2, 0), a0.T)
        return h.transpose(2, 0, 1), y.transpose(2, 0, 1)
    h, y = pytorch_forward(*split(layout, arrays), cell, x.transpose(2, 1, 0), a0.T)
    return h.transpose(2, 1, 0), y.transpose(2, 1, 0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cell", CELLS)
def test_the_forward_passes_agree_whichever_way_the_parameters_went(cell, layout, shape):
    x, _, a0, parameters = problem(cell, shape, seed=1)
    theirs = their_forward(layout, to_layout(layout, parameters, cell), cell, x, a0)
    for ours, their in zip(course_forward(parameters, cell, x, a0), theirs):
        np.testing.assert_allclose(ours, their, rtol=0, atol=AGREE)
    arrays = random_layout(layout, cell, sizes_of(shape), seed=2)  # PyTorch's with two nonzero biases
    theirs = their_forward(layout, arrays, cell, x, a0)
    for ours, their in zip(course_forward(from_layout(layout, arrays, cell), cell, x, a0), theirs):
        np.testing.assert_allclose(ours, their, rtol=0, atol=AGREE)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_another_gate_order_would_not_agree(layout):
    """The forward test can fail: the same arrays with two gates swapped compute something else."""
    x, _, a0, parameters = problem("lstm", SHAPES[0], seed=1)
    arrays = to_layout(layout, parameters, "lstm")
    n_a = SHAPES[0][1]
    swap = np.r_[n_a : 2 * n_a, 0:n_a, 2 * n_a : 4 * n_a]  # the first two gates
    for key, block in LAYOUTS[layout].keys.items():
        arrays[key] = arrays[key][..., swap] if LAYOUTS[layout].row_major and block != "b" else arrays[key][swap]
    a, _ = their_forward(layout, arrays, "lstm", x, a0)
    assert np.abs(a - course_forward(parameters, "lstm", x, a0)[0]).max() > 1e-3


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cell", CELLS)
def test_the_results_are_new_arrays(cell, layout):
    _, _, _, parameters = problem(cell, SHAPES[0])
    arrays = to_layout(layout, parameters, cell)
    back = from_layout(layout, arrays, cell)
    for result, given in ((arrays, parameters), (back, arrays)):
        for value in result.values():
            assert value.flags.c_contiguous
            assert not any(np.shares_memory(value, v) for v in given.values())


def test_array_likes_are_taken_as_arrays():
    _, _, _, parameters = problem("lstm", SHAPES[0])
    params = rnnlstm.to_cs231n(parameters, "lstm")
    assert_same(rnnlstm.from_cs231n({k: v.tolist() for k, v in params.items()}, "lstm"), parameters)


def test_importing_the_package_imports_no_torch():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys, rnnlstm, rnnlstm.layouts; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120).returncode == 0


def torch_forward(module, head, cell, x, a0):
    """PyTorch's modules on the course's x (n_x, m, T_x), from a0: a and y_pred in the course's shapes."""
    import torch

    with torch.no_grad():
        h0 = torch.from_numpy(np.ascontiguousarray(a0.T))[None]
        out, _ = module(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 1, 0))), h0 if cell == "rnn" else (h0, torch.zeros_like(h0)))
        y = torch.softmax(head(out), dim=-1)
    return out.numpy().transpose(2, 1, 0), y.numpy().transpose(2, 1, 0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cell", CELLS)
def test_pytorchs_modules_agree_whichever_way_the_parameters_went(cell, shape):
    torch = pytest.importorskip("torch", reason="PyTorch is an optional extra")
    torch.manual_seed(0)
    n_x, n_a, n_y, _, _ = shape
    module, head = getattr(torch.nn, cell.upper())(n_x, n_a).double(), torch.nn.Linear(n_a, n_y).double()
    x, _, a0, parameters = problem(cell, shape, seed=1)
    # from PyTorch's own initialisation (two nonzero biases), the tensors given as they are
    converted = rnnlstm.from_pytorch(module.state_dict(), cell, head.state_dict())
    assert_same(rnnlstm.from_pytorch(dict(module.named_parameters()), cell, dict(head.named_parameters())), converted)
    for ours, theirs in zip(course_forward(converted, cell, x, a0), torch_forward(module, head, cell, x, a0)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=AGREE)
    # to PyTorch, loaded as to_pytorch's docstring says
    state, linear = rnnlstm.to_pytorch(parameters, cell)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    head.load_state_dict({k: torch.from_numpy(v) for k, v in linear.items()})
    for ours, theirs in zip(course_forward(parameters, cell, x, a0), torch_forward(module, head, cell, x, a0)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=AGREE)
