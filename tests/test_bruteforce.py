"""derivations/bruteforce.py: its differentiation, its sizes, and its store of results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import mpmath
import numpy as np
import pytest
import sympy as sp

from derivations import bruteforce, gru, lstm
from derivations.activations import sigmoid
from derivations.calculus import Derived

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("written", [False, True], ids=["simplified", "as-written"])
def test_the_derivatives_are_sympys_on_shared_subexpressions(written):
    """As SymPy builds expressions, and as the checks build them (nothing folded: numbers and
    functions of numbers are nodes too)."""
    x, y, z = sp.symbols("x y z", real=True)
    half = sp.Float("0.5", bruteforce.PRECISION)
    with sp.evaluate(not written):
        inner = sp.tanh(x * y + 1)
        expr = sp.log(1 + sp.exp(inner)) * inner**2 + sp.exp(-inner) / (inner + 3)  # ``inner`` shared
        expr += sigmoid(x * inner) * (1 + x**2) ** y * inner  # the project's σ, a variable exponent, three factors
        expr += sp.tanh(half) * x * y * sp.Rational(2, 7) + sp.E - sigmoid(half) / x  # numbers among the nodes
    assert written == expr.has(sp.tanh(half, evaluate=False))  # as written, tanh(1/2) is a node of its own
    for u, v in [(sp.Rational(3, 10), sp.Rational(-7, 10)), (sp.Rational(-11, 10), sp.Rational(2, 5))]:
        with mpmath.workdps(bruteforce.DIGITS):
            point = {x: mpmath.mpf(u.p) / u.q, y: mpmath.mpf(v.p) / v.q}
            got = bruteforce.derivatives(expr, [x, y, z], point)
        expected = [sp.diff(expr, w).subs({x: u, y: v}).evalf(bruteforce.DIGITS) for w in (x, y)]
        assert all(abs(g - sp.Float(e, bruteforce.DIGITS)) < 1e-45 for g, e in zip(got, expected))
        assert got[2] == 0  # z does not occur


def _without_forget_gate(derived):
    """dc_{←t+1}⟨t⟩ = dc⟨t+1⟩ ⊙ Γ_f⟨t+1⟩ with its Hadamard factor Γ_f⟨t+1⟩ dropped."""
    kept = [f for f in derived.rhs.args if f != lstm.ft_next]
    assert isinstance(derived.rhs, sp.HadamardProduct) and len(kept) == 1, derived.rhs
    return Derived(derived.name, derived.lhs, kept[0], "planted: Γ_f⟨t+1⟩ dropped")


def _differ(u, v):
    with mpmath.workdps(bruteforce.DIGITS):
        return np.max(np.abs(np.array(u, dtype=object) - np.array(v, dtype=object))) >= bruteforce.TOLERANCE


def test_a_slip_in_the_carried_cell_gradient_fails_every_result_it_reaches(monkeypatch):
    """dc⟨t⟩ without Γ_f⟨t+1⟩: every through-time result whose value it changes fails its check,
    among them every gate's weight and bias, dx, da⟨0⟩, da⟨t⟩ and dc⟨t⟩ (with T_x = 2 it reaches
    neither Γ_f nor Γ_o nor da⟨t⟩)."""
    monkeypatch.delenv(bruteforce.CACHE_VARIABLE, raising=False)
    right = bruteforce.derived_gradients("lstm")
    with mock.patch.dict(lstm.BPTT, {"dc_next": _without_forget_gate(lstm.BPTT["dc_next"])}):
        wrong = bruteforce.derived_gradients("lstm")
        checks = bruteforce.checks("lstm", "bptt.")
    reached = {c.key for c in checks if _differ(right[c.key.split(".")[-1]], wrong[c.key.split(".")[-1]])}
    expected = {f"lstm.bptt.d{name}" for w, b, _, _ in lstm.GATES.values() for name in (w, b)}
    expected |= {f"lstm.bptt.{k}" for k in ("dx", "da0", "da_next", "dc_next")}
    assert expected <= reached
    assert reached == {c.key for c in checks if not c.agrees}


def _without_the_direct_share(derived):
    """dc⟨t⟩ of the GRU without dc⟨t+1⟩ ⊙ (1 − Γ_u⟨t+1⟩), the share that passes through no gate's
    activation."""
    kept = [term for term in derived.rhs.args if not term.has(gru.dc_after)]
    assert isinstance(derived.rhs, sp.MatAdd) and len(kept) == len(derived.rhs.args) - 1, derived.rhs
    return Derived(derived.name, derived.lhs, sp.MatAdd(*kept), "planted: the direct share dropped")


def test_a_slip_in_the_grus_carried_gradient_fails_every_result_it_reaches(monkeypatch):
    """dc⟨t⟩ without its direct share from step t+1: every through-time result of the cell fails
    its check — every weight and bias of the gates, dx, da⟨0⟩ and dc⟨t⟩ itself — and the output
    layer's, which dc⟨t⟩ does not reach, pass."""
    monkeypatch.delenv(bruteforce.CACHE_VARIABLE, raising=False)
    right = bruteforce.derived_gradients("gru")
    with mock.patch.dict(gru.BPTT, {"da_next": _without_the_direct_share(gru.BPTT["da_next"])}):
        wrong = bruteforce.derived_gradients("gru")
        checks = bruteforce.checks("gru", "bptt.")
    reached = {c.key for c in checks if _differ(right[c.key.split(".")[-1]], wrong[c.key.split(".")[-1]])}
    expected = {f"gru.bptt.d{name}" for w, b, _, _ in gru.GATES.values() for name in (w, b)}
    expected |= {f"gru.bptt.{k}" for k in ("dx", "da0", "da_next")}
    assert reached == expected
    assert reached == {c.key for c in checks if not c.agrees}


_ONE_CHECK = """
import json, sys
from dataclasses import asdict
from derivations import bruteforce
print("ready", flush=True)
sys.stdin.readline()  # both processes start the check together
print(json.dumps([asdict(c) for c in bruteforce.checks("rnn", "bptt.dWaa")]), flush=True)
"""


def test_two_processes_asking_for_the_same_check_compute_it_once(tmp_path):
    """Two pages of a parallel build showing the same check: one computes it, the other waits and
    reads it, so both report the very same result, time included."""
    env = {**os.environ, bruteforce.CACHE_VARIABLE: str(tmp_path)}
    run = [sys.executable, "-c", _ONE_CHECK]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    workers = [subprocess.Popen(run, cwd=ROOT, env=env, **pipes) for _ in range(2)]
    assert [w.stdout.readline() for w in workers] == ["ready\n"] * 2
    for w in workers:
        w.stdin.write("go\n")
        w.stdin.flush()
    first, second = (json.loads(w.communicate(timeout=300)[0]) for w in workers)
    assert first == second and first[0]["agrees"]
    assert [p.name for p in tmp_path.glob("*.json")] == ["rnn.bptt.dWaa.json"]
