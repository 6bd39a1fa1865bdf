"""The problems the gradient-flow page measures: seeded forward passes of each cell, with the
recurrent weight or a gate's bias set as the page's question needs, and their Jacobians."""

from __future__ import annotations

import numpy as np

import rnnlstm
from rnnlstm.cells import CELLS

N_X, N_A, N_Y, T_X = 4, 32, 3, 50  # one example (m = 1) of T_X steps
SEED = 0


def spectral_radius(W):
    """max |λ| over the eigenvalues of the square matrix ``W``."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def rnn_problem(radius, input_scale):
    """An RNN whose W_aa is a standard normal matrix scaled to spectral radius ``radius``, W_ax
    standard normal times 0.5, zero biases and a⟨0⟩ = 0, reading standard normal inputs times
    ``input_scale``: ``x``, ``a0``, ``parameters``."""
    rng = np.random.default_rng(SEED)
    Waa = rng.normal(size=(N_A, N_A))
    parameters = {"Wax": 0.5 * rng.normal(size=(N_A, N_X)), "Waa": Waa * radius / spectral_radius(Waa),
                  "Wya": rng.normal(size=(N_Y, N_A)), "ba": np.zeros((N_A, 1)), "by": np.zeros((N_Y, 1))}  # fmt: skip
    return input_scale * rng.normal(size=(N_X, 1, T_X)), np.zeros((N_A, 1)), parameters


def gated_problem(cell, bias=None):
    """An LSTM or a GRU with gate weights N(0, 1/(n_a + n_x)), zero biases but ``bias`` (e.g.
    ``{"bf": 1.0}``), a⟨0⟩ = 0 and standard normal inputs: ``x``, ``a0``, ``parameters``."""
    rng = np.random.default_rng(SEED)
    parameters = {}
    for key in CELLS[cell].parameters:
        if key.startswith("W"):
            parameters[key] = rng.normal(size=(N_A, N_A + N_X)) / np.sqrt(N_A + N_X)
        else:
            parameters[key] = np.full((N_A, 1), (bias or {}).get(key, 0.0))
    parameters.update({"Wy": rng.normal(size=(N_Y, N_A)), "by": np.zeros((N_Y, 1))})
    return rng.normal(size=(N_X, 1, T_X)), np.zeros((N_A, 1)), parameters


def run(cell, problem):
    """The forward pass of ``problem`` and its Jacobians: ``(forward's outputs, step Jacobians,
    lag Jacobians)``, the lag Jacobians' entry k being ∂s⟨T_x⟩/∂s⟨T_x − k⟩."""
    x, a0, parameters = problem
    outputs = getattr(rnnlstm, f"{cell}_forward")(x, a0, parameters)
    steps = rnnlstm.step_jacobians(cell, outputs[-1])
    return outputs, steps, rnnlstm.lag_jacobians(steps)


def norms(matrices, block=slice(None)):
    """The spectral norm (largest singular value) of each matrix's ``block`` of rows and columns."""
    return np.array([np.linalg.norm(M[block, block], 2) for M in matrices])


def central_differences(cell, problem, t, i=0, eps=1e-6):
    """∂s⟨T_x⟩/∂s⟨t⟩ of example ``i`` by central differences: each entry of the state after step
    ``t`` (0: the initial state) moved by ±``eps`` and the steps after t run again with the cell's
    own step; s is a, or the LSTM's (a; c). Shape (n, n)."""
    x, a0, parameters = problem
    cell_def = CELLS[cell]
    p = {k: parameters[k] for k in cell_def.parameters}

    def run_steps(steps, states):
        for step in steps:
            *states, _ = cell_def.forward(x[:, :, step], *states, p)
        return np.concatenate(states)

    initial = [a0, *(np.zeros_like(a0) for _ in cell_def.states[1:])]  # c⟨0⟩ = 0
    base = run_steps(range(t), initial)
    columns = []
    for k in range(base.shape[0]):
        moved = np.zeros_like(base)
        moved[k, i] = eps
        plus, minus = (run_steps(range(t, x.shape[2]), np.split(base + sign * moved, len(initial))) for sign in (1, -1))
        columns.append((plus - minus)[:, i] / (2 * eps))
    return np.stack(columns, axis=1)


def derived_step_jacobians(cell, problem, i=0):
    """The Jacobians of :mod:`derivations.flow` evaluated at every step of ``problem``'s forward
    pass (the chapter's own forward definitions, in float64), for example ``i``, laid out as
    :func:`rnnlstm.step_jacobians` lays them out: shape (T_x, n, n)."""
    from derivations import flow

    x, a0, parameters = problem
    ch = flow.CHAPTER[cell]
    values = ch.parameter_values(parameters)
    states = {ch.a_prev: a0} if cell == "rnn" else {ch.c_prev: a0} if cell == "gru" else {ch.a_prev: a0, ch.c_prev: 0 * a0}
    jacobians = []
    for t in range(x.shape[2]):
        step = ch.cell_forward({**values, ch.xt: x[:, :, t], **states})
        at = flow.evaluate_at(cell, step, i)
        if cell == "lstm":
            jacobians.append(np.block([[at["a_next/a_prev"], at["a_next/c_prev"]], [at["c_next/a_prev"], at["c_next/c_prev"]]]))
            states = {ch.a_prev: step[ch.a_next], ch.c_prev: step[ch.c_next]}
        else:
            jacobians.append(at["c_next/c_prev" if cell == "gru" else "a_next/a_prev"])
            states = {next(iter(states)): step[ch.c_next if cell == "gru" else ch.a_next]}
    return np.stack(jacobians)
