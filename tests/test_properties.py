"""Property-based tests: random shapes (m = 1, T_x = 1, n_x = 1 included), seeds and weight scales."""

from __future__ import annotations

import copy

import numpy as np
from conftest import assert_same, derived_gradients
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rnnlstm
from rnnlstm.problems import random_problem

MODELS = ("rnn", "lstm", "gru")
LOSS = {model: getattr(rnnlstm, f"{model}_loss") for model in MODELS}
FORWARD = {model: getattr(rnnlstm, f"{model}_forward") for model in MODELS}
BACKWARD = {model: getattr(rnnlstm, f"{model}_backward") for model in MODELS}


@st.composite
def problems(draw, dtype=np.float64):
    model = draw(st.sampled_from(MODELS))
    sizes = {
        "n_x": draw(st.integers(1, 4)),
        "n_a": draw(st.integers(1, 4)),
        "n_y": draw(st.integers(2, 4)),
        "m": draw(st.integers(1, 3)),
        "T_x": draw(st.integers(1, 4)),
    }
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0, 3.0]))
    return model, random_problem(model, **sizes, seed=seed, dtype=dtype, scale=scale)


def arrays(problem):
    x, _, a0, parameters = problem
    return {**{"d" + k: v for k, v in parameters.items()}, "dx": x, "da0": a0}


@settings(max_examples=40, deadline=None)
@given(problems())
def test_float64_gradients_match_central_differences(case):
    """‖analytic − numeric‖ ≤ 1e-7 (‖analytic‖ + ‖numeric‖) + 1e-9 for every gradient: the
    absolute floor is the rounding error of the differences themselves, about u·|J|/ε per entry
    (u = 1.1e-16, ε = 1e-5, |J| < 50 here), which decides when a gradient is nearly zero
    (saturated units at large weight scales)."""
    model, problem = case
    J, grads = LOSS[model](*problem)
    for name, array in arrays(problem).items():
        numeric = rnnlstm.numerical_gradient(lambda: LOSS[model](*problem)[0], array)
        error = np.linalg.norm(grads[name] - numeric)
        assert error <= 1e-7 * (np.linalg.norm(grads[name]) + np.linalg.norm(numeric)) + 1e-9, (name, error)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_float64_gradients_match_the_derived_equations(case):
    model, problem = case
    x, y, a0, parameters = problem
    derived = derived_gradients(model, x, y, a0, parameters)
    _, grads = LOSS[model](*problem)
    for name in arrays(problem):
        np.testing.assert_allclose(grads[name], derived[name], rtol=1e-10, atol=1e-13, err_msg=name)


def loss_scale(model, problem):
    """The size of the terms the loss J combines: (1/m) Σ_t Σ_i (|log Σ_k e^{z_k}| + max_k s_k), where
    s = |W_y| |a⟨t⟩| + |b_y| bounds the terms that make up each score z_y = W_y a⟨t⟩ + b_y."""
    x, _, a0, parameters = problem
    a = FORWARD[model](x, a0, parameters)[0]
    W, b = parameters["Wya" if model == "rnn" else "Wy"], parameters["by"]
    zy = np.einsum("ya,amt->ymt", W, a) + b[:, :, None]
    terms = np.einsum("ya,amt->ymt", np.abs(W), np.abs(a)) + np.abs(b)[:, :, None]
    log_sum = np.log(np.exp(zy).sum(axis=0))
    return float((np.abs(log_sum) + terms.max(axis=0)).sum()) / x.shape[1]


def output_condition(model, problem):
    """κ = ‖|ŷ| + |y|‖ / ‖ŷ − y‖ ≥ 1, over all steps: how much the subtraction ŷ − y magnifies the
    relative rounding error of ŷ (κ ≈ 1 for a poor prediction, 1/J for a near-perfect one)."""
    x, y, a0, parameters = problem
    yhat = FORWARD[model](x, a0, parameters)[1]
    return float(np.linalg.norm(np.abs(yhat) + np.abs(y)) / np.linalg.norm(yhat - y))


# Two problems whose loss is tiny (J = 2.3e-7 and 0.0041): relative to J alone, float32 is off by
# 6e-2 and 1.3e-5 (a bound of 1e-5 |J| failed on the second).
TINY_LOSSES = [
    ("rnn", random_problem("rnn", n_x=2, n_a=3, n_y=2, m=1, T_x=1, seed=1631278041, dtype=np.float32, scale=3.0)),
    ("rnn", random_problem("rnn", n_x=3, n_a=2, n_y=2, m=1, T_x=1, seed=2928545293, dtype=np.float32, scale=3.0)),
]


@settings(max_examples=40, deadline=None)
@given(problems(dtype=np.float32))
@example(TINY_LOSSES[0])
@example(TINY_LOSSES[1])
def test_float32_stays_float32_and_within_1e_4_of_float64(case):
    """The same (float32-rounded) problem computed in float32 and in float64:
    |J32 − J64| ≤ 1e-4 S, where S is :func:`loss_scale`, and ‖g32 − g64‖ ≤ 1e-4 κ ‖G64‖ for every
    gradient g, where ‖G64‖ is the norm of all the gradients of the problem together and κ is
    :func:`output_condition`.

    Why relative to the problem's scale, not to each result: float32 rounds each operation to a
    relative u = 6e-8 of the terms it combines, not of the result.
    - J is a sum of log Σ_k e^{z_k} − z_k: a confident, correct prediction makes it tiny (J = 4e-3
      or 2e-7 below) out of scores of ordinary size, and its error is u times those scores.
    - Every gradient is linear in dz_y = (ŷ − y)/m, whose entries carry an error of u (|ŷ| + |y|)/m:
      relative to dz_y, κ u, which a near-perfect prediction makes large. Within the network, a
      saturated unit's gradient is a small result of terms of ordinary size (1 − a² from an a near
      1), so its own relative error can reach 1e-3 while its absolute error stays small against
      all the gradients together.
    Measured over 3000 random problems of these shapes and scales (seeded, float32 against
    float64): the loss at most 2 u S (up to 9e5 u relative to J), the gradients at most 10 κ u ‖G64‖
    (up to 6e5 u ‖G64‖ without κ: the bound without it failed too, when hypothesis drew such a
    problem). 1e-4 is about 1700 u, and 100 times below the smallest error a wrong formula makes
    in the Errata chapter (1e-2)."""
    model, problem32 = case
    problem64 = (*(a.astype(np.float64) for a in problem32[:3]), {k: v.astype(np.float64) for k, v in problem32[3].items()})
    J32, g32 = LOSS[model](*problem32)
    J64, g64 = LOSS[model](*problem64)
    assert abs(J32 - J64) <= 1e-4 * loss_scale(model, problem64), (J32, J64)
    size = output_condition(model, problem64) * np.sqrt(sum(np.linalg.norm(g) ** 2 for g in g64.values()))
    for name, value in g32.items():
        assert value.dtype == np.float32, name
        assert np.linalg.norm(value - g64[name]) <= 1e-4 * size, name


@settings(max_examples=20, deadline=None)
@given(problems(), problems())
def test_no_call_modifies_an_input_or_another_calls_caches(first, second):
    (model, problem), (model2, problem2) = first, second
    x, _, a0, parameters = problem
    out = FORWARD[model](x, a0, parameters)
    caches = out[-1]
    snapshot = copy.deepcopy((problem, caches))
    da = np.random.default_rng(0).normal(size=out[0].shape)
    BACKWARD[model](da, caches)
    BACKWARD[model](2 * da, caches)
    LOSS[model](*problem)
    LOSS[model2](*problem2)
    FORWARD[model2](problem2[0], problem2[2], problem2[3])
    assert_same((problem, caches), snapshot)
