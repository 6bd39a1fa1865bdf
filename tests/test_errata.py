"""The errata: each numpy variant computes the formula the book prints for it, that formula differs
from the derived one, and the gradient check tells the two apart."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import ROOT
from derivations import errata, lstm, rnn
from derivations.evaluate import evaluate

sys.path.insert(0, str(ROOT / "docs"))
import errata as e  # noqa: E402  (docs/errata.py, the book's numpy variants)


def rnn_cell_values(seed=0):
    """Step 2 of an RNN sequence: the cache, da⟨t⟩ and x⟨t−1⟩, and the symbol values."""
    caches, (da_next,) = e.two_steps("rnn", seed)
    a_next, a_prev, xt, p = cache = caches[1]
    values = {**rnn.parameter_values(p), rnn.xt: xt, rnn.a_prev: a_prev, rnn.a_next: a_next,
              rnn.da_next: da_next, errata.x_prev: caches[0][2]}  # fmt: skip
    values[rnn.z] = evaluate(rnn.FORWARD["z"].rhs, values)
    values[rnn.dz] = evaluate(rnn.CELL["dz"].rhs, values)
    return cache, da_next, values


def lstm_cell_values(seed=0):
    """Step 2 of an LSTM sequence: the cache, da⟨t⟩, dc⟨t⟩, c̃⟨t−1⟩ and every symbol's value."""
    caches, (da_next, dc_next) = e.two_steps("lstm", seed)
    cache = caches[1]
    _, _, a_prev, c_prev, *_, xt, p = cache
    values = lstm.cell_forward({**lstm.parameter_values(p), lstm.xt: xt, lstm.a_prev: a_prev, lstm.c_prev: c_prev})
    values.update({lstm.da_next: da_next, lstm.dc_next: dc_next, errata.cct_prev: caches[0][6]})
    for d in lstm.CELL.values():
        values[d.lhs] = evaluate(d.rhs, values)
    return cache, da_next, dc_next, values


def published(n, i, values):
    return evaluate(errata.ERRATA[n][i].rhs, values)


def test_every_variant_computes_its_published_formula():
    cache, da_next, values = rnn_cell_values()
    np.testing.assert_allclose(e.e1_cell_backward(da_next, cache)["dz"], published(1, 0, values))
    np.testing.assert_allclose(e.e2_da_prev(da_next, cache, values[errata.x_prev]), published(2, 0, values))
    np.testing.assert_allclose(e.e2_cell_backward_sec(da_next, cache)["dz"], published(2, 1, values) * da_next)

    cache, da_next, dc_next, values = lstm_cell_values()
    np.testing.assert_allclose(e.e3_cell_backward(da_next, dc_next, cache)["dzc"], published(3, 0, values))
    g4 = e.e4_cell_backward(da_next, dc_next, cache, values[errata.cct_prev])
    np.testing.assert_allclose(g4["dzi"], published(4, 0, values))
    np.testing.assert_allclose(g4["dzf"], published(4, 1, values))
    a_next, *_ = e.e9_cell_forward(values[lstm.xt], values[lstm.a_prev], values[lstm.c_prev], cache[9])
    np.testing.assert_allclose(a_next, published(9, 0, values))


def test_the_published_recursions_are_what_the_variant_loops_carry():
    """Errata 6 and 10: the library's loop with the variant cell carries exactly the published
    da⟨t⟩ (and dc⟨t⟩ = 0), step by step."""
    import rnnlstm
    from rnnlstm.output import output_layer
    from rnnlstm.problems import random_problem

    x, y, a0, p = random_problem("lstm", **e.SIZES, seed=1)
    a = rnnlstm.lstm_forward(x, a0, p)[0]
    da_y = output_layer(a, y, p["Wy"], p["by"])[4]
    with e.replaced(rnnlstm.lstm, _cell_backward=e.e6_cell_backward):
        grads = rnnlstm.lstm_loss(x, y, a0, p)[1]
    np.testing.assert_allclose(grads["da_next"], da_y)  # published: da⟨t⟩ = W_y^T dz_y⟨t⟩
    assert not grads["dc_next"].any()  # published: dc⟨t⟩ = 0

    x, y, a0, p = random_problem("rnn", **e.SIZES, seed=1)
    a = rnnlstm.rnn_forward(x, a0, p)[0]
    dzy = output_layer(a, y, p["Wya"], p["by"])[1]
    with e.replaced(rnnlstm.rnn, _cell_backward=e.e10_cell_backward):
        da = rnnlstm.rnn_loss(x, y, a0, p)[1]["da_next"]
    for t in range(x.shape[2]):
        after = da[:, :, t + 1] if t + 1 < x.shape[2] else np.zeros_like(a0)
        values = {rnn.Wya: p["Wya"], rnn.Waa: p["Waa"], rnn.dzy: dzy[:, :, t], errata.da_after: after}
        np.testing.assert_allclose(da[:, :, t], published(10, 0, values))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9])
def test_every_published_cell_formula_differs_from_the_derived_one(n):
    """(The recursions of errata 6 and 10 are compared through the loops above; 5 is a shape error.)"""
    rnn_values, lstm_values = rnn_cell_values()[2], lstm_cell_values()[3]
    for d, key in zip(errata.ERRATA[n], errata.RIGHT[n], strict=True):
        chapter, group, name = key.split(".")
        right = lstm.composed(name) if key.startswith("lstm.cell.dz") else (rnn if chapter == "rnn" else lstm).__dict__[group.upper()][name]
        values = rnn_values if chapter == "rnn" else lstm_values
        assert np.max(np.abs(evaluate(d.rhs, values) - evaluate(right.rhs, values))) > 1e-3, key


@pytest.mark.parametrize(
    ("model", "functions"),
    [
        ("rnn", {"_cell_backward": e.e1_cell_backward}),
        ("rnn", {"_cell_backward": e.e2_cell_backward_sec}),
        ("lstm", {"_cell_backward": e.e3_cell_backward}),
        ("lstm", {"_cell_backward": e.e6_cell_backward}),
        ("lstm", {"_cell_forward": e.e9_cell_forward, "_cell_backward": e.e9_cell_backward}),
        ("rnn", {"_cell_backward": e.e10_cell_backward}),
    ],
)
def test_the_gradient_check_exposes_each_published_sequence_erratum(model, functions):
    assert max(e.sequence_errors(model, **functions).values()) > 1e-2
    assert max(e.sequence_errors(model).values()) < 1e-7


def test_the_cell_errata_fail_and_their_corrections_pass():
    published_rnn = {**e.cell_gradients("rnn"), "da_prev": e.cell_gradients("rnn", e.e2_da_prev)}
    assert e.cell_errors("rnn", published_rnn)["da_prev"] > 1e-2
    assert max(e.cell_errors("rnn", e.cell_gradients("rnn")).values()) < 1e-7
    wrong = e.cell_errors("lstm", e.cell_gradients("lstm", e.e4_cell_backward))
    assert wrong["dWi"] > 1e-2 and wrong["dWf"] > 1e-2
    assert max(e.cell_errors("lstm", e.cell_gradients("lstm")).values()) < 1e-7


def test_the_model_without_tanh_passes_its_own_check():
    own = e.sequence_errors("lstm", own=True, _cell_forward=e.e9_cell_forward, _cell_backward=e.e9_cell_backward)
    assert max(own.values()) < 1e-7


def test_row_slices_fail_on_shapes():
    caches, _ = e.two_steps("lstm")
    with pytest.raises(ValueError, match="matmul"):
        e.e5_da_prev_dxt(e.cell_gradients("lstm"), caches[1])
