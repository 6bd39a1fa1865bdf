"""The recall task of the training page (docs/recall.py): its batches, its initial parameters,
and a short gap that both cells learn."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs"))
import recall  # noqa: E402  (docs/recall.py, the page's task)


def test_batch_holds_the_signal_first_and_asks_for_it_last():
    m, T_x = 50, 7
    x, y, mask, signal = recall.batch(np.random.default_rng(3), m, T_x)
    assert x.shape == (recall.K + recall.D, m, T_x) and y.shape == (recall.K, m, T_x) and mask.shape == (m, T_x)
    assert np.array_equal(x.sum(axis=0), np.ones((m, T_x)))  # one-hot at every step
    assert np.array_equal(x[:, :, 0].argmax(axis=0), signal) and np.all(signal < recall.K)
    assert np.all(x[: recall.K, :, 1:] == 0)  # after step 1, distractors only
    assert np.array_equal(y[:, :, -1].argmax(axis=0), signal) and np.all(y[:, :, :-1] == 0)
    assert np.all(mask[:, -1] == 1) and np.all(mask[:, :-1] == 0)


def test_chrono_biases_and_the_usual_ones():
    p = recall.initial_parameters("lstm", seed=0)
    assert np.all(p["bf"] >= 0) and np.all(p["bf"] <= np.log(recall.CHRONO - 1))
    assert np.array_equal(p["bi"], -p["bf"]) and np.ptp(p["bf"]) > 1  # a spread of memory lengths
    usual = recall.initial_parameters("lstm", seed=0, forget_bias=1.0)
    assert np.all(usual["bf"] == 1) and np.all(usual["bi"] == 0)
    for cell, out in (("rnn", "Wya"), ("lstm", "Wy")):  # K outputs, starting at 0: J = ln K first
        p = recall.initial_parameters(cell, seed=0)
        assert p[out].shape == (recall.K, recall.HIDDEN) and not p[out].any() and not p["by"].any()


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_both_cells_learn_a_short_gap_the_same_way_twice(cell):
    steps, losses, accuracy = recall.run(cell, 5, seed=0)
    assert losses[0] == pytest.approx(np.log(recall.K), abs=1e-12)
    assert steps < recall.MAX_STEPS and accuracy >= 0.95
    assert recall.run(cell, 5, seed=0) == (steps, losses, accuracy)  # seeded
