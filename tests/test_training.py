"""Training steps and sampling (rnnlstm.training): SGD and Adam move the parameters as their
definitions say and lower a real loss; sampling draws from the network's softmax, feeds each symbol
back, stops at the stop symbol, and sharpens to the most likely symbol as the temperature falls."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import assert_same

import rnnlstm
from rnnlstm import training
from rnnlstm.problems import random_problem

LOSSES = {"rnn": rnnlstm.rnn_loss, "lstm": rnnlstm.lstm_loss, "gru": rnnlstm.gru_loss}


def language_model(cell, n=5, n_a=4, seed=0):
    """A network that reads the symbols it writes (n_x = n_y = n)."""
    *_, parameters = random_problem(cell, n, n_a, n, 1, 1, seed=seed)
    return parameters


def test_sgd_steps_against_the_gradient_and_leaves_its_arguments_alone():
    x, y, a0, parameters = random_problem("rnn", 3, 4, 3, 2, 5, seed=1)
    _, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    before = copy.deepcopy((parameters, grads))
    new = training.sgd(parameters, grads, 0.1)
    assert_same((parameters, grads), before)
    assert new.keys() == parameters.keys()
    for k in parameters:
        np.testing.assert_array_equal(new[k], parameters[k] - 0.1 * grads["d" + k])


def test_adam_s_first_step_moves_every_entry_by_the_learning_rate_against_its_gradient():
    # m̂ = dθ and v̂ = dθ² after one step: the update is α dθ / (|dθ| + ε), α sign(dθ) for |dθ| ≫ ε
    x, y, a0, parameters = random_problem("lstm", 3, 4, 3, 2, 5, seed=2)
    _, grads = rnnlstm.lstm_loss(x, y, a0, parameters)
    new, state = training.adam(parameters, grads, learning_rate=0.01)
    assert state["t"] == 1
    for k in parameters:
        g = grads["d" + k]
        np.testing.assert_allclose(new[k] - parameters[k], -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("cell", sorted(LOSSES))
@pytest.mark.parametrize("step", ["sgd", "adam"])
def test_steps_lower_a_real_loss(cell, step):
    x, y, a0, parameters = random_problem(cell, 3, 5, 3, 4, 6, seed=3)
    loss = LOSSES[cell]
    first = loss(x, y, a0, parameters)[0]
    state = None
    for _ in range(50):
        _, grads = loss(x, y, a0, parameters)
        if step == "sgd":
            parameters = training.sgd(parameters, grads, 0.05)
        else:
            parameters, state = training.adam(parameters, grads, state, learning_rate=0.01)
    assert loss(x, y, a0, parameters)[0] < 0.8 * first


@pytest.mark.parametrize("cell", sorted(LOSSES))
def test_sampling_is_reproducible_and_ends_at_the_stop_symbol_or_the_length(cell):
    parameters = language_model(cell, seed=4)
    before = copy.deepcopy(parameters)
    runs = [training.sample(parameters, cell, stop=0, max_length=30, seed=s) for s in range(20)]
    assert_same(parameters, before)
    assert runs == [training.sample(parameters, cell, stop=0, max_length=30, seed=s) for s in range(20)]
    for drawn in runs:
        assert 1 <= len(drawn) <= 30 and all(0 <= i < 5 for i in drawn)
        assert 0 not in drawn[:-1]  # nothing after the stop symbol
        assert drawn[-1] == 0 or len(drawn) == 30
    assert len({tuple(d) for d in runs}) > 1


@pytest.mark.parametrize("cell", sorted(LOSSES))
def test_a_low_temperature_draws_the_most_likely_symbol_fed_back_each_step(cell):
    parameters = language_model(cell, seed=5)
    forward = getattr(rnnlstm, f"{cell}_cell_forward")
    x, a, c, greedy = np.zeros((5, 1)), np.zeros((4, 1)), np.zeros((4, 1)), []
    for _ in range(12):
        a, *rest = forward(x, a, c, parameters) if cell == "lstm" else forward(x, a, parameters)
        if cell == "lstm":
            c = rest[0]
        y_pred = rest[-2]
        greedy.append(int(np.argmax(y_pred)))
        x = np.eye(5)[:, [greedy[-1]]]
    drawn = training.sample(parameters, cell, stop=5 - 1, max_length=12, temperature=1e-3, seed=0)
    cut = greedy.index(4) + 1 if 4 in greedy else 12
    assert drawn == greedy[:cut]


def test_the_first_symbol_is_drawn_from_the_network_s_softmax():
    parameters = language_model("rnn", seed=6)
    _, y_pred, _ = rnnlstm.rnn_cell_forward(np.zeros((5, 1)), np.zeros((4, 1)), parameters)
    p = y_pred.ravel()
    draws = 4000
    counts = np.bincount([training.sample(parameters, "rnn", stop=0, max_length=1, seed=s)[0] for s in range(draws)],
                         minlength=5)  # fmt: skip
    sigma = np.sqrt(draws * p * (1 - p))
    assert np.all(np.abs(counts - draws * p) < 5 * sigma), (counts, draws * p)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p, g: training.sgd(p, g, 0.0), ValueError, "learning_rate must be positive and finite, got 0.0"),
        (lambda p, g: training.sgd(p, {k: v for k, v in g.items() if k != "dWaa"}, 0.1), ValueError,
         "gradients must hold d + each parameter's key; missing dWaa"),
        (lambda p, g: training.sgd(p, {**g, "dba": g["dba"].T}, 0.1), ValueError,
         'gradients["dba"] must have the shape of parameters["ba"], (4, 1), got (1, 4)'),
        (lambda p, g: training.sgd(p, {**g, "dby": g["dby"] * np.nan}, 0.1), ValueError, 'gradients["dby"] contains NaN or Inf'),
        (lambda p, g: training.adam(p, g, beta1=1.0), ValueError, "beta1 must be in [0, 1), got 1.0"),
        (lambda p, g: training.adam(p, g, {"t": 1}), ValueError, "state must be what the previous adam step returned"),
        (lambda p, g: training.sample(p, "transformer", 0), ValueError, "cell must be one of 'rnn', 'lstm', 'gru', 'torch_gru', got 'transformer'"),
        (lambda p, g: training.sample(p, "rnn", 3), ValueError, "the network must read the symbols it writes: n_x = 3, n_y = 2"),
    ],
    ids=["zero rate", "missing gradient", "transposed gradient", "NaN gradient", "beta1 = 1", "foreign state",
         "unknown cell", "n_x is not n_y"],
)
def test_bad_input_is_refused_naming_it(call, error, message):
    x, y, a0, parameters = random_problem("rnn", 3, 4, 2, 2, 5, seed=1)
    _, grads = rnnlstm.rnn_loss(x, y, a0, parameters)
    with pytest.raises(error) as raised:
        call(parameters, grads)
    assert message in str(raised.value)


def test_sampling_refuses_a_bad_stop_length_or_temperature():
    parameters = language_model("gru", seed=7)
    for kwargs, message in [
        ({"stop": 5}, "stop must be a symbol's index in [0, 5), got 5"),
        ({"stop": 0, "max_length": 0}, "max_length must be at least 1, got 0"),
        ({"stop": 0, "temperature": -1.0}, "temperature must be positive and finite, got -1.0"),
    ]:
        with pytest.raises(ValueError) as raised:
            training.sample(parameters, "gru", **kwargs)
        assert message in str(raised.value)
    with pytest.raises(TypeError, match="stop must be an int, got float"):
        training.sample(parameters, "gru", stop=1.0)
