"""Stacked layers (rnnlstm.deep, rnnlstm.cells, derivations.deep): one layer is the single-layer
network exactly, a stack of layers of different widths passes the gradient check, the derived
equations agree with numpy, and bad input is refused with the layer named."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import sympy as sp
from conftest import assert_same
from hypothesis import example, given, settings
from hypothesis import strategies as st

import derivations
import rnnlstm
from derivations import bruteforce, deep
from derivations.calculus import Derived
from derivations.notation import latex, printed_order
from rnnlstm.cells import CELLS
from rnnlstm.gradcheck import numerical_gradient
from rnnlstm.problems import random_deep_problem, random_problem

MODELS = tuple(CELLS)  # every cell of the library
DERIVED = tuple(deep.CELLS)  # every cell derivations/deep.py derives a stack of
OUTPUT = {"rnn": "Wya", "lstm": "Wy", "gru": "Wy", "torch_gru": "Wy"}  # the single-layer network's name of the output weight


def as_single_layer(model, parameters):
    """A one-layer stack's parameters as rnn_loss / lstm_loss / gru_loss take them."""
    (layer,) = parameters["layers"]
    return {**layer, OUTPUT[model]: parameters["Wy"], "by": parameters["by"]}


def checked_arrays(x, a0, parameters):
    """Every input of deep_loss, by the name of its gradient: ``layer l dWax`` …, dWy, dby, dx, da0 l."""
    arrays = {f"layer {l} d{k}": v for l, p in enumerate(parameters["layers"], 1) for k, v in p.items()}
    arrays |= {"dWy": parameters["Wy"], "dby": parameters["by"], "dx": x}
    return arrays | {f"da0 {l}": a for l, a in enumerate(a0, 1)}


def flat(gradients):
    """deep_loss's gradients by the names of :func:`checked_arrays`."""
    out = {f"layer {l} {k}": v for l, g in enumerate(gradients["layers"], 1) for k, v in g.items()}
    out |= {k: gradients[k] for k in ("dWy", "dby", "dx")}
    return out | {f"da0 {l}": a for l, a in enumerate(gradients["da0"], 1)}


def gradient_errors(model, x, y, a0, parameters):
    _, gradients = rnnlstm.deep_loss(x, y, a0, parameters, model)
    loss = lambda: rnnlstm.deep_loss(x, y, a0, parameters, model)[0]  # noqa: E731
    return rnnlstm.gradient_check(loss, checked_arrays(x, a0, parameters), flat(gradients))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_layer_is_the_single_layer_network_exactly(model, dtype):
    x, y, a0, parameters = random_deep_problem(model, 3, [5], 4, 6, 4, seed=1, dtype=dtype)
    J, gradients = rnnlstm.deep_loss(x, y, a0, parameters, model)
    J1, single = getattr(rnnlstm, f"{model}_loss")(x, y, a0[0], as_single_layer(model, parameters))
    assert J == J1
    assert_same(gradients["layers"][0], {k: single[k] for k in gradients["layers"][0]})
    assert_same([gradients["dWy"], gradients["dby"], gradients["dx"]], [single[f"d{OUTPUT[model]}"], single["dby"], single["dx"]])
    assert_same([gradients["da0"][0], gradients["da_next"][0]], [single["da0"], single["da_next"]])
    a, y_pred, _ = rnnlstm.deep_forward(x, a0, parameters, model)
    forward = getattr(rnnlstm, f"{model}_forward")(x, a0[0], as_single_layer(model, parameters))
    assert_same(a[0], forward[0])
    np.testing.assert_allclose(y_pred, forward[1], rtol=1e-5 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("widths", [(4, 2, 3), (2, 5)])
def test_a_stack_of_different_widths_passes_the_gradient_check(model, widths):
    x, y, a0, parameters = random_deep_problem(model, 3, widths, 4, 3, 4, seed=len(widths))
    errors = gradient_errors(model, x, y, a0, parameters)
    assert len(errors) == len(CELLS[model].parameters) * len(widths) + 3 + len(widths)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("model", MODELS)
def test_backward_is_the_gradient_of_any_upstream_share(model):
    """deep_backward(da) is the gradient of Σ_t Σ da ⊙ a^{[L]⟨t⟩}, whatever da is."""
    x, _, a0, parameters = random_deep_problem(model, 2, (3, 4), 2, 3, 3, seed=5)
    a, _, caches = rnnlstm.deep_forward(x, a0, parameters, model)
    da = np.random.default_rng(6).normal(size=a[-1].shape)
    gradients = rnnlstm.deep_backward(da, caches)
    loss = lambda: float(np.sum(da * rnnlstm.deep_forward(x, a0, parameters, model)[0][-1]))  # noqa: E731
    arrays = {k: v for k, v in checked_arrays(x, a0, parameters).items() if k not in ("dWy", "dby")}
    analytic = {k: v for k, v in flat({**gradients, "dWy": None, "dby": None}).items() if k in arrays}
    errors = rnnlstm.gradient_check(loss, arrays, analytic)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("model", MODELS)
def test_a_stack_is_single_layers_composed_through_their_input_gradients(model):
    """Layer 2 with the output layer is a single-layer network reading a^{[1]}; its dx is the share
    da^{[1]}_{←[2]} that layer 1 receives from above, and layer 1's backward pass given that share
    is the stack's for layer 1."""
    x, y, a0, parameters = random_deep_problem(model, 2, (3, 2), 3, 2, 3, seed=8)
    a, _, _ = rnnlstm.deep_forward(x, a0, parameters, model)
    _, gradients = rnnlstm.deep_loss(x, y, a0, parameters, model)
    top = as_single_layer(model, {**parameters, "layers": parameters["layers"][1:]})
    _, upper = getattr(rnnlstm, f"{model}_loss")(a[0], y, a0[1], top)
    np.testing.assert_array_equal(gradients["da_next"][1], upper["da_next"])
    bottom = {**parameters["layers"][0], OUTPUT[model]: np.zeros((1, 3)), "by": np.zeros((1, 1))}  # an unused output layer
    *_, caches = getattr(rnnlstm, f"{model}_forward")(x, a0[0], bottom)
    lower = getattr(rnnlstm, f"{model}_backward")(upper["dx"], caches)
    assert_same({k: lower[k] for k in gradients["layers"][0]}, gradients["layers"][0])
    assert_same([lower["dx"], lower["da0"], lower["da_next"]], [gradients["dx"], gradients["da0"][0], gradients["da_next"][0]])


@settings(max_examples=15, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    widths=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    n_x=st.integers(1, 3),
    m=st.integers(1, 2),
    T_x=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
@example(model="lstm", widths=[1, 1, 1], n_x=1, m=1, T_x=1, seed=1)  # layer 1's dWi ≈ 4e-8: relative error 9e-5
def test_any_stack_matches_central_differences(model, widths, n_x, m, T_x, seed):
    """Each gradient's error against central differences, relative to its size but never to less than
    a thousandth of all the gradients together: a gradient that is nearly 0 (an LSTM's input gate
    with c⟨0⟩ = 0 and one step, say) has a large relative error from differencing alone."""
    x, y, a0, parameters = random_deep_problem(model, n_x, widths, 3, m, T_x, seed=seed)
    before = copy.deepcopy((x, y, a0, parameters))
    _, gradients = rnnlstm.deep_loss(x, y, a0, parameters, model)
    analytic, arrays = flat(gradients), checked_arrays(x, a0, parameters)
    loss = lambda: rnnlstm.deep_loss(x, y, a0, parameters, model)[0]  # noqa: E731
    numeric = {k: numerical_gradient(loss, a, 1e-5) for k, a in arrays.items()}
    scale = 1e-3 * np.sqrt(sum(np.sum(np.asarray(analytic[k]) ** 2) for k in arrays))
    errors = {
        k: float(np.linalg.norm(analytic[k] - numeric[k]) / max(np.linalg.norm(analytic[k]) + np.linalg.norm(numeric[k]), scale))
        for k in arrays
    }
    assert max(errors.values()) < 1e-6, errors
    assert_same((x, y, a0, parameters), before)


def test_the_cell_table_holds_each_single_layer_network_without_its_output_layer():
    for model, definition in CELLS.items():
        *_, single = random_problem(model, 2, 3, 4, 1, 1)
        output = {OUTPUT[model], "by"}
        assert dict(definition.parameters) == {k: s for k, s in getattr(rnnlstm, model).PARAMETER_SHAPES.items() if k not in output}
        assert set(single) - set(definition.parameters) == output
        assert definition.states[0] == "a"


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda x, y, a0, p: (x, y, a0[:1], p), ValueError, "a0 must hold one (n_a[l], m) array per layer: 2 for 2 layers, got 1"),
        (lambda x, y, a0, p: (x, y, [*a0, a0[0]], p), ValueError, "a0 must hold one (n_a[l], m) array per layer: 2 for 2 layers, got 3"),
        (lambda x, y, a0, p: (x, y, a0, {**p, "layers": [p["layers"][0], {**p["layers"][1], "Wax": np.ones((2, 3))}]}),
         ValueError, 'layer 2: parameters["layers"][1]["Wax"] must have shape (n_a[2], n_a[1]) = (2, 4), got (2, 3)'),
        (lambda x, y, a0, p: (x, y, a0, {**p, "layers": p["layers"][::-1]}), ValueError,
         'parameters["layers"][1]["Wax"] must have shape (n_a[2], n_a[1]) = (4, 2), got (4, 3)'),
        (lambda x, y, a0, p: (x, y, a0, {**p, "layers": [p["layers"][0], {"Wax": p["layers"][1]["Wax"]}]}), ValueError,
         'layer 2: parameters["layers"][1] must have exactly the keys Wax, Waa, ba; missing Waa, ba'),
        (lambda x, y, a0, p: (x, y, a0, {"layers": p["layers"], "Wy": p["Wy"]}), ValueError, "missing by"),
        (lambda x, y, a0, p: (x, y, a0, {**p, "layers": tuple(p["layers"])}), TypeError,
         'parameters["layers"] must be a list of one dict per layer, got tuple'),
        (lambda x, y, a0, p: (x[:2], y, a0, p), ValueError, "x must have shape (n_x, m, T_x) = (3, ?, ?), got (2, 2, 3)"),
    ],
    ids=["one a0 short", "one a0 too many", "a width that is not the one below", "layers swapped",
         "missing keys", "no b_y", "layers as a tuple", "x of another width"],
)
def test_bad_input_is_refused_naming_the_argument_and_the_layer(change, error, message):
    x, y, a0, parameters = random_deep_problem("rnn", 3, (4, 2), 3, 2, 3)
    with pytest.raises(error) as raised:
        rnnlstm.deep_loss(*change(x, y, a0, parameters), "rnn")
    assert message in str(raised.value)


# The derivation: derivations/deep.py


def steps(a):
    return [a[:, :, t] for t in range(a.shape[2])]


@pytest.mark.parametrize("model", DERIVED)
def test_the_derived_equations_agree_with_numpy_layer_by_layer(model):
    x, y, a0, parameters = random_deep_problem(model, 3, (4, 2, 3), 4, 2, 3, seed=2)
    J, gradients = rnnlstm.deep_loss(x, y, a0, parameters, model)
    derived = deep.loss_gradients(model, steps(x), steps(y), a0, parameters)
    assert J == pytest.approx(deep.loss(model, steps(x), steps(y), a0, parameters), rel=1e-13)
    close = dict(rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(gradients["dx"], np.stack(derived["dx"], axis=2), **close)
    np.testing.assert_allclose(gradients["dx"], np.stack(derived["dxt"][0], axis=2), **close)  # layer 1 hands down dx
    for layer, (numpy, sympy) in enumerate(zip(gradients["layers"], derived["layers"])):
        for key in numpy:
            np.testing.assert_allclose(numpy[key], sympy[key], **close, err_msg=f"layer {layer + 1} {key}")
        np.testing.assert_allclose(gradients["da0"][layer], derived["da0"][layer], **close)
        np.testing.assert_allclose(gradients["da_next"][layer], np.stack(derived["da_next"][layer], axis=2), **close)


@pytest.mark.parametrize("model", DERIVED)
def test_the_share_from_above_is_what_the_layer_above_hands_down(model):
    """da^{[l]⟨t⟩} prints the share from layer l+1 first, and that share is the result ``dxt``
    (da^{[l−1]}_{←[l]}⟨t⟩) one layer up: one symbol, one quantity."""
    results = deep.RESULTS[model]
    shares = printed_order(results["da_next"].rhs)[: len(deep.CELLS[model].maps)]
    handed_down = latex(results["dxt"].rhs).replace("[l]", "[l+1]")
    assert " + ".join(latex(s) for s in shares) == handed_down
    assert latex(results["dxt"].lhs) == r"da_{\leftarrow [l]}^{[l-1]\langle t \rangle}"


@pytest.mark.parametrize("model", DERIVED)
def test_the_top_layer_is_the_single_layer_network_at_layer_L(model):
    """da^{[L]⟨t⟩} is the chapter's da⟨t⟩ with every quantity at layer L."""
    top = re.sub(r"\^\{\[L\]\}|\[L\] ?", "", deep.RESULTS[model]["da_top"].latex)
    assert top == derivations.chapter(model).BPTT["da_next"].latex


@pytest.mark.parametrize("model", DERIVED)
def test_the_share_from_the_next_step_is_the_cells_da_prev_one_step_later(model):
    """The terms of da^{[l]⟨t⟩} after the shares from above are the chapter's da_prev (written at
    step t, the share step t sends back to t−1) with every quantity at layer l and one step later:
    for the GRU, its four uses of c^{[l]⟨t⟩} at step t+1, the update's among them."""
    results, maps = deep.RESULTS[model], len(deep.CELLS[model].maps)
    from_next = latex(sp.MatAdd(*printed_order(results["da_next"].rhs)[maps:]))
    cell = latex(derivations.chapter(model).CELL["da_prev"].rhs).replace(r"\langle t \rangle", r"\langle t+1 \rangle")
    assert re.sub(r"\^\{\[l\]\}|\[l\] ?", "", from_next) == cell


def test_the_grus_state_is_read_by_its_four_uses_and_written_dc():
    """The stacked GRU's candidate reads the layer's own c^{[l]⟨t−1⟩} after the reset gate, and
    the gradient of the state is dc^{[l]⟨t⟩}, as in the GRU's chapter."""
    assert latex(deep.FORWARD["gru"]["zc"].rhs).startswith(
        r"W_c^{[l]}[{:}, {:}n_a^{[l]}] \left(\Gamma_r^{[l]\langle t \rangle} \odot c^{[l]\langle t-1 \rangle}\right)"
        r" + W_c^{[l]}[{:}, n_a^{[l]}{:}] a^{[l-1]\langle t \rangle}"
    )
    assert latex(deep.RESULTS["gru"]["da_next"].lhs) == r"dc^{[l]\langle t \rangle}"
    assert r"dc^{[l]\langle t+1 \rangle} \odot \left(1 - \Gamma_u^{[l]\langle t+1 \rangle}\right)" in deep.RESULTS["gru"]["da_next"].latex


def test_every_stacked_result_has_a_brute_force_check():
    assert [key for key, _, _ in bruteforce._stack_pairs()] == list(derivations.results("deep"))


def test_brute_force_catches_a_share_left_out(monkeypatch):
    """da^{[l]⟨t⟩} without the share from the layer above: the brute force of the two-layer stack fails."""
    right = deep.RESULTS["rnn"]["da_next"]
    wrong = Derived("da_next", right.lhs, printed_order(right.rhs)[1], "planted")
    monkeypatch.setitem(deep.RESULTS["rnn"], "da_next", wrong)
    (check,) = bruteforce.checks("deep", "rnn.da_next")
    assert not check.agrees and check.difference > 1e-3


def test_brute_force_catches_the_grus_update_left_out(monkeypatch):
    """dc^{[l]⟨t⟩} of a GRU stack without the share through c^{[l]⟨t+1⟩} = ... + (1 − Γ_u) ⊙ c^{[l]⟨t⟩},
    the use of the state that is no linear map: the brute force of the two-layer stack fails."""
    right = deep.RESULTS["gru"]["da_next"]
    kept = [term for term in printed_order(right.rhs) if r"\Gamma_u" not in latex(term)]
    assert len(kept) == len(right.rhs.args) - 1
    monkeypatch.setitem(deep.RESULTS["gru"], "da_next", Derived("da_next", right.lhs, sp.MatAdd(*kept), "planted"))
    (check,) = bruteforce.checks("deep", "gru.da_next")
    assert not check.agrees and check.difference > 1e-3
