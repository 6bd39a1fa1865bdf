"""The public API used as a user would, for tests/test_types.py: mypy checks this file against
the hints (a hint that disagrees with this use fails), and the test runs it (the use is real).

The calls under ``TYPE_CHECKING`` are wrong uses that the hints must refuse: each carries the
``type: ignore`` of its error, and with ``warn_unused_ignores`` a hint loose enough to accept the
call makes mypy fail on the unused ignore.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

import rnnlstm
from rnnlstm import fused
from rnnlstm.problems import random_deep_problem, random_problem

rng = np.random.default_rng(0)
n_x, n_a, n_y, m, T_x = 3, 5, 4, 2, 6
parameters = {"Wax": rng.normal(size=(n_a, n_x)), "Waa": rng.normal(size=(n_a, n_a)),
              "Wya": rng.normal(size=(n_y, n_a)), "ba": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}  # fmt: skip
x = rng.normal(size=(n_x, m, T_x))
y = np.eye(n_y)[:, rng.integers(n_y, size=(m, T_x))]
a0 = np.zeros((n_a, m))

# the readable RNN, step by step and over the sequence
a_next, yt_pred, cache = rnnlstm.rnn_cell_forward(x[:, :, 0], a0, parameters)
step: dict[str, NDArray[np.floating]] = rnnlstm.rnn_cell_backward(np.ones_like(a_next), cache)
a, y_pred, caches = rnnlstm.rnn_forward(x, a0, parameters)
gradients = rnnlstm.rnn_backward(np.ones_like(a), caches)
da0: NDArray[np.floating] = gradients["da0"]
J, gradients = rnnlstm.rnn_loss(x, y, a0, parameters)
cost: float = J
for name in ("Wax", "Waa", "Wya", "ba", "by"):
    parameters[name] -= 0.1 * gradients["d" + name]

# the LSTM, readable and fused, on a problem of float32 arrays
x32, y32, a32, lstm_parameters = random_problem("lstm", n_x, n_a, n_y, m, T_x, dtype=np.float32)
a_next, c_next, yt_pred, lstm_cache = rnnlstm.lstm_cell_forward(x32[:, :, 0], a32, np.zeros_like(a32), lstm_parameters)
step = rnnlstm.lstm_cell_backward(np.ones_like(a_next), np.zeros_like(c_next), lstm_cache)
a, y_pred, c, lstm_caches = rnnlstm.lstm_forward(x32, a32, lstm_parameters)
gradients = rnnlstm.lstm_backward(np.ones_like(a), lstm_caches)
J, gradients = rnnlstm.lstm_loss(x32, y32, a32, lstm_parameters)
a, y_pred, c, fused_caches = fused.lstm_forward(x32, a32, lstm_parameters)
gradients = fused.lstm_backward(np.ones_like(a), fused_caches)
J, gradients = fused.lstm_loss(x32, y32, a32, lstm_parameters)
W, b = fused.stack_lstm(lstm_parameters)
gates: dict[str, NDArray[np.floating]] = fused.unstack_lstm(W, b)
a, y_pred, fused_rnn_caches = fused.rnn_forward(x, a0, parameters)
gradients = fused.rnn_backward(np.ones_like(a), fused_rnn_caches)
J, gradients = fused.rnn_loss(x, y, a0, parameters)

# the GRU, step by step and over the sequence
x32, y32, a32, gru_parameters = random_problem("gru", n_x, n_a, n_y, m, T_x, dtype=np.float32)
a_next, yt_pred, gru_cache = rnnlstm.gru_cell_forward(x32[:, :, 0], a32, gru_parameters)
step = rnnlstm.gru_cell_backward(np.ones_like(a_next), gru_cache)
a, y_pred, gru_caches = rnnlstm.gru_forward(x32, a32, gru_parameters)
gradients = rnnlstm.gru_backward(np.ones_like(a), gru_caches)
J, gradients = rnnlstm.gru_loss(x32, y32, a32, gru_parameters)

# the layouts of PyTorch and CS231n, there and back
state, head = rnnlstm.to_pytorch(lstm_parameters, "lstm")
a, y_pred, c, lstm_caches = rnnlstm.lstm_forward(x32, a32, rnnlstm.from_pytorch(state, "lstm", head))
cs231n: dict[str, NDArray[np.floating]] = rnnlstm.to_cs231n(parameters, "rnn")
a, y_pred, caches = rnnlstm.rnn_forward(x, a0, rnnlstm.from_cs231n(cs231n, "rnn"))

# a stack of two LSTM layers of different widths
x_deep, y_deep, a0_deep, stack = random_deep_problem("lstm", n_x, [n_a, 2], n_y, m, T_x)
layers_a, y_pred, deep_caches = rnnlstm.deep_forward(x_deep, a0_deep, stack, "lstm")
deep_gradients = rnnlstm.deep_backward(np.ones_like(layers_a[-1]), deep_caches)
J, deep_gradients = rnnlstm.deep_loss(x_deep, y_deep, a0_deep, stack, "lstm")
stack["layers"][1]["Wf"] -= 0.1 * deep_gradients["layers"][1]["dWf"]

# activations and the gradient check
probabilities = rnnlstm.softmax(rng.normal(size=(n_y, m)))
log_probabilities = rnnlstm.log_softmax(probabilities)
gates_open = rnnlstm.sigmoid(probabilities)
W_ax = parameters["Wax"]
J, gradients = rnnlstm.rnn_loss(x, y, a0, parameters)
errors: dict[str, float] = rnnlstm.gradient_check(
    lambda: rnnlstm.rnn_loss(x, y, a0, parameters)[0], {"Wax": W_ax}, {"Wax": gradients["dWax"]}
)
numeric: NDArray[np.float64] = rnnlstm.numerical_gradient(lambda: rnnlstm.rnn_loss(x, y, a0, parameters)[0], W_ax)
error: float = rnnlstm.relative_error(gradients["dWax"], numeric)
assert max(errors.values()) < 1e-6 and error < 1e-6, (errors, error)

if TYPE_CHECKING:  # wrong uses, refused by the hints
    rnnlstm.rnn_loss(x, y, a0)  # type: ignore[call-arg]
    rnnlstm.rnn_loss(x, y, a0, [parameters])  # type: ignore[arg-type]
    rnnlstm.rnn_forward([[[0.0]]], a0, parameters)  # type: ignore[arg-type]
    a, y_pred = rnnlstm.rnn_forward(x, a0, parameters)  # type: ignore[misc]
    J_wrong: NDArray[np.floating] = rnnlstm.lstm_loss(x, y, a0, parameters)[0]  # type: ignore[assignment]
    fused.rnn_backward(np.ones_like(a), caches)  # type: ignore[arg-type]
    rnnlstm.lstm_backward(np.ones_like(a), fused_caches)  # type: ignore[arg-type]
    random_problem("transformer", n_x, n_a, n_y, m, T_x)  # type: ignore[arg-type]
    rnnlstm.gru_backward(np.ones_like(a), lstm_caches)  # type: ignore[arg-type]
    rnnlstm.gru_cell_forward(x[:, :, 0], a0, np.zeros_like(a0), parameters)  # type: ignore[call-arg, arg-type]
    rnnlstm.to_pytorch(lstm_parameters, "transformer")  # type: ignore[arg-type]
    rnnlstm.deep_loss(x_deep, y_deep, a0_deep, stack, "transformer")  # type: ignore[arg-type]
    rnnlstm.deep_backward(np.ones_like(a), caches)  # type: ignore[arg-type]
    state = rnnlstm.to_cs231n(parameters, "rnn")["Wx"]  # type: ignore[assignment]
