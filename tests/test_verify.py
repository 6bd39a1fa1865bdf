"""``derivations.verify``: the four-way table of every derived gradient, and the step sweep."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

import derivations
import rnnlstm
from derivations import verify
from rnnlstm import rnn
from rnnlstm.problems import random_problem


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "torch_gru"])
def test_every_derived_gradient_has_a_row_and_passes(model):
    rows = verify.table(model)
    assert [r.key for r in rows] == [k for k in derivations.results(model) if ".forward." not in k]
    failed = [(r.key, r) for r in rows if not r.passed]
    assert not failed
    assert all(r.numpy < 1e-12 and r.finite_differences < 1e-6 for r in rows)


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_the_rows_follow_the_order_in_which_the_book_shows_the_equations(model):
    """Equation numbers run through the book in its table of contents' order: the verification
    table, in the order of ``derivations.results``, then numbers its rows in increasing order."""
    index = (ROOT / "docs/index.md").read_text()
    pages = re.findall(rf"^({model}-[\w-]+)$", index, flags=re.MULTILINE)
    shown = [
        label.replace("-", ".", 2)
        for page in pages
        for label in re.findall(r"^```\{glue:math\} (\S+)$", (ROOT / f"docs/{page}.md").read_text(), flags=re.MULTILINE)
    ]
    rows = [r.key for r in verify.table(model)]
    assert [k for k in shown if k in rows] == rows


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
        assert all(r.reference == verify.REFERENCE[model] for r in rows), model
        # torch.nn.GRU keeps its gates to itself: every other row of the frameworks' GRU is measured
        unreached = {f"torch_gru.cell.{k}" for k in ("sigma_prime", "tanh_prime", "dc_tilde", "dGamma_u", "dzc", "dGamma_r", "dzu", "dzr")}
        measured = [r for r in rows if r.key not in unreached]
        assert all(r.torch is not None and r.torch < 1e-12 for r in measured), model
        assert all(r.torch is None for r in rows if r.key in unreached)
        assert len(measured) == len(rows) - (len(unreached) if model == "torch_gru" else 0)



@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "torch_gru"])
def test_the_step_sweep_has_the_shape_of_a_correct_gradient(model):
    for dtype, floor in ((np.float64, 1e-8), (np.float32, 1e-3)):
        sweep = verify.step_sweep(model, dtype)
        errors = [e for _, e in sweep]
        best = min(errors)
        assert best < floor, (dtype, best)
        # truncation error at the largest step, rounding error at the smallest: both far above the best
        assert errors[0] > 100 * best and errors[-1] > 100 * best, (dtype, errors)


def test_the_command_prints_both_tables_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "derivations.verify"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for key in (k for model in verify.MODELS for k in derivations.results(model) if ".forward." not in k):
        line = next(line for line in result.stdout.splitlines() if line.startswith(key + " "))
        assert " yes " in line and line.endswith("ok"), line
    assert "Every check passed" in result.stdout


def test_a_step_lost_in_rounding_is_refused_not_divided_by_zero():
    x = np.array([1.0, 2.0], dtype=np.float32)
    with pytest.raises(ValueError, match=r"eps = 1e-09 is lost in rounding at entry \(0,\) = 1.0 of a float32 array"):
        rnnlstm.numerical_gradient(lambda: float(np.sum(x**2)), x, eps=1e-9)
    np.testing.assert_array_equal(x, [1.0, 2.0])  # restored


def test_the_step_is_the_one_stored_in_the_array():
    """In float32, 1 + 1e-3 is stored as 1.00100004...: the divisor is that step, not 2e-3."""
    x = np.array([1.0], dtype=np.float32)
    g = rnnlstm.numerical_gradient(lambda: float(x[0]), x, eps=1e-3)
    assert g[0] == 1.0


def test_random_problem_names_the_model_it_does_not_know():
    with pytest.raises(ValueError, match="model must be one of rnn, lstm, gru, torch_gru, got 'transformer'"):
        random_problem("transformer", 1, 1, 2, 1, 1)
    x, y, a0, p = random_problem("lstm", 2, 3, 4, 5, 6, dtype=np.float32)
    assert x.shape == (2, 5, 6) and y.shape == (4, 5, 6) and a0.shape == (3, 5) and p["Wf"].shape == (3, 5)
    assert all(v.dtype == np.float32 for v in (x, y, a0, *p.values()))
    np.testing.assert_array_equal(y.sum(axis=0), 1)
