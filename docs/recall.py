"""The recall task of the training page: read a symbol at step 1, then T_x − 1 distractors, and
name the first symbol at the last step. The batches, the initial parameters and the training
loop, seeded, for the RNN and the LSTM of the fused path."""

from __future__ import annotations

import numpy as np

import rnnlstm
from rnnlstm import fused, train

K, D = 8, 8  # signal symbols 0 … K−1, distractor symbols K … K+D−1: the input is one-hot over K + D
HIDDEN, BATCH, RATE, CLIP, MAX_STEPS = 32, 64, 0.03, 1.0, 400
DONE, PATIENCE = 0.05, 20  # training stops once the batch loss stays below DONE for PATIENCE steps
CHRONO = 100  # the LSTM's gate biases are set for memories of up to this many steps
TEST = 1000  # examples in the fresh test batch


def batch(rng, m, T_x):
    """``m`` sequences of ``T_x`` steps: x (K + D, m, T_x) one-hot, a signal symbol at step 1 and
    distractors after it; y (K, m, T_x), the signal, one-hot at the last step (zero before); the
    mask (m, T_x), 1 at the last step only; and the signals (m,)."""
    signal = rng.integers(0, K, size=m)
    examples = np.arange(m)
    x = np.zeros((K + D, m, T_x))
    x[signal, examples, 0] = 1
    distractors = K + rng.integers(0, D, size=(m, T_x - 1))
    x[distractors, examples[:, None], np.arange(1, T_x)] = 1
    y = np.zeros((K, m, T_x))
    y[signal, examples, -1] = 1
    mask = np.zeros((m, T_x))
    mask[:, -1] = 1
    return x, y, mask, signal


def initial_parameters(cell, seed, forget_bias=None):
    """:func:`rnnlstm.train.initial_parameters` with K outputs (zero, the first prediction uniform).
    The LSTM's b_f is log u, u uniform in [1, CHRONO − 1] per unit, and b_i = −b_f (Tallec and
    Ollivier's chrono initialization), unless ``forget_bias`` is given: then b_f is that and b_i 0."""
    p = train.initial_parameters(cell, K + D, HIDDEN, seed)
    p["Wy" if cell == "lstm" else "Wya"] = np.zeros((K, HIDDEN))
    p["by"] = np.zeros((K, 1))
    if cell == "lstm" and forget_bias is None:
        p["bf"] = np.log(np.random.default_rng([seed, 1]).uniform(1, CHRONO - 1, size=(HIDDEN, 1)))
        p["bi"] = -p["bf"]
    elif cell == "lstm":
        p["bf"] = np.full((HIDDEN, 1), float(forget_bias))
    return p


def run(cell, T_x, seed, forget_bias=None):
    """Train on fresh batches until the loss has stayed below DONE for PATIENCE steps, or
    MAX_STEPS: the steps taken, the loss of each step and the accuracy on a fresh test batch."""
    rng = np.random.default_rng([seed, T_x])
    p = initial_parameters(cell, seed, forget_bias)
    loss, a0 = train.LOSSES[cell], np.zeros((HIDDEN, BATCH))
    state, below, losses = None, 0, []
    while len(losses) < MAX_STEPS and below < PATIENCE:
        x, y, mask, _ = batch(rng, BATCH, T_x)
        J, gradients = loss(x, y, a0, p, mask)
        gradients = {"d" + k: gradients["d" + k] for k in p}
        p, state = rnnlstm.adam(p, rnnlstm.clip_by_norm(gradients, CLIP), state, RATE)
        losses.append(J)
        below = below + 1 if J < DONE else 0
    return len(losses), losses, accuracy(cell, p, T_x, seed)


def accuracy(cell, p, T_x, seed):
    """The fraction of a fresh batch of TEST sequences whose last prediction names the signal."""
    x, _, _, signal = batch(np.random.default_rng([seed, T_x, 1]), TEST, T_x)
    forward = fused.lstm_forward if cell == "lstm" else fused.rnn_forward
    y_pred = forward(x, np.zeros((HIDDEN, TEST)), p)[1]
    return float(np.mean(y_pred[:, :, -1].argmax(axis=0) == signal))
