"""``rnnlstm.verify``: the four-way table of every derived gradient, and the step sweep."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import derivations
from rnnlstm import rnn, verify


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_every_derived_gradient_has_a_row_and_passes(model):
    rows = verify.table(model)
    assert [r.key for r in rows] == [k for k in derivations.results(model) if ".forward." not in k]
    failed = [(r.key, r) for r in rows if not r.passed]
    assert not failed
    assert all(r.numpy < 1e-12 and r.finite_differences < 1e-6 for r in rows)


def test_a_wrong_library_gradient_fails_its_row_and_the_command(monkeypatch, capsys):
    correct = rnn._cell_backward

    def off_by_one_percent(da_next, cache):
        g = correct(da_next, cache)
        return {**g, "dWaa": g["dWaa"] * 1.01}

    monkeypatch.setattr(rnn, "_cell_backward", off_by_one_percent)
    rows = {r.key: r for r in verify.table("rnn")}
    assert not rows["rnn.cell.dWaa"].passed and not rows["rnn.bptt.dWaa"].passed
    assert rows["rnn.cell.dWax"].passed
    assert verify.main(["--no-exact"]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_without_torch_the_column_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    rows = verify.table("rnn")
    assert all(r.torch is None for r in rows)
    assert "not installed" in verify.format_table(rows)


def test_the_torch_column_agrees_where_torch_is_installed():
    pytest.importorskip("torch", reason="PyTorch is an optional extra")
    for model in verify.MODELS:
        rows = verify.table(model)
        assert all(r.torch is not None and r.torch < 1e-12 for r in rows), model


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_the_step_sweep_has_the_shape_of_a_correct_gradient(model):
    for dtype, floor in ((np.float64, 1e-8), (np.float32, 1e-3)):
        sweep = verify.step_sweep(model, dtype)
        errors = [e for _, e in sweep]
        best = min(errors)
        assert best < floor, (dtype, best)
        # truncation error at the largest step, rounding error at the smallest: both far above the best
        assert errors[0] > 100 * best and errors[-1] > 100 * best, (dtype, errors)


def test_the_command_prints_both_tables_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "rnnlstm.verify"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for key in (k for k in derivations.results() if ".forward." not in k):
        line = next(line for line in result.stdout.splitlines() if line.startswith(key + " "))
        assert " yes " in line and line.endswith("ok"), line
    assert "Every check passed" in result.stdout
