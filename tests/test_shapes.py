"""The shape line under each equation: computed from the derivation's shapes, and a wrong one fails."""

from __future__ import annotations

import sys

import pytest
import sympy as sp
from conftest import ROOT

import derivations
from derivations import lstm, rnn
from derivations.calculus import DerivationError, Derived
from derivations.output import time_sum
from derivations.shapes import shape_check, shape_latex

sys.path.insert(0, str(ROOT / "docs"))
import book  # noqa: E402  (docs/book.py, the pages' helpers)

SHOWN = {  # every derived result, and the composed LSTM gates the cell page shows as well
    **derivations.results(),
    **{f"lstm.composed.{g}": lstm.composed(g) for g in ("dzf", "dzi", "dzc", "dzo")},
}


@pytest.mark.parametrize("key", SHOWN)
def test_every_result_has_shapes_that_compose_to_its_left_hand_side(key):
    derived = SHOWN[key]
    line = shape_check(derived)  # raises where a product does not compose or the shapes differ
    assert line.endswith(shape_latex(derived.lhs.shape)), line


@pytest.mark.parametrize(
    "key, line",
    [
        ("rnn.cell.dWax", r"(n_{a}, m)(m, n_{x}) \to (n_{a}, n_{x})"),
        ("rnn.cell.dxt", r"(n_{x}, n_{a})(n_{a}, m) \to (n_{x}, m)"),
        ("rnn.cell.dba", r"(n_{a}, m) \text{ summed over } i \to (n_{a}, 1)"),
        ("rnn.bptt.dba", r"\sum_{t} (n_{a}, m) \text{ summed over } i \to (n_{a}, 1)"),
        ("rnn.bptt.dWya", r"\sum_{t} (n_{y}, m)(m, n_{a}) \to (n_{y}, n_{a})"),
        ("rnn.forward.z", r"(n_{a}, n_{a})(n_{a}, m) + (n_{a}, n_{x})(n_{x}, m) "
         r"+ (n_{a}, 1) \text{ broadcast over } m \text{ columns} \to (n_{a}, m)"),
        ("rnn.cell.dz", r"\text{all } (n_{a}, m)"),
        ("rnn.output.dzy", r"\text{all } (n_{y}, m)"),
        ("lstm.cell.dWf", r"(n_{a}, m)(m, n_{a} + n_{x}) \to (n_{a}, n_{a} + n_{x})"),
        ("lstm.cell.dconcat", r"\text{each term } (n_{a} + n_{x}, n_{a})(n_{a}, m) \to (n_{a} + n_{x}, m)"),
        ("lstm.cell.da_prev", r"\text{each term } (n_{a}, n_{a})(n_{a}, m) \to (n_{a}, m)"),
    ],
)
def test_the_line_is_the_course_check(key, line):
    assert shape_check(derivations.get(key)) == line


def test_a_sum_of_different_products_shows_each_in_the_printed_order():
    derived = derivations.get("rnn.bptt.da_next")  # W_yaᵀ dz_y⟨t⟩ and W_aaᵀ dz⟨t+1⟩
    line = shape_check(derived)
    output, step = line.find(r"(n_{a}, n_{y})(n_{y}, m)"), line.find(r"(n_{a}, n_{a})(n_{a}, m)")
    assert output >= 0 and step >= 0 and " + " in line, line
    printed_first = derived.latex.find("W_{ya}") < derived.latex.find("W_{aa}")
    assert (output < step) == printed_first, (derived.latex, line)
    line = shape_check(derivations.get("lstm.bptt.da_next"))  # four gates alike, and the output
    assert line.startswith(r"\text{each term }") and line.count(r"\text{ or }") == 1, line


dWax = rnn.CELL["dWax"].lhs


@pytest.mark.parametrize(
    "rhs, message",
    [
        (rnn.dz * rnn.xt, "does not compose"),  # dz x instead of dz xᵀ: SymPy builds it all the same
        (rnn.xt * rnn.dz.T, r"comes out as (n_{x}, n_{a})"),  # x dzᵀ: composes, transposed result
        (rnn.dz * rnn.a_prev.T, r"comes out as (n_{a}, n_{a})"),  # the wrong input
        (rnn.dz * sp.OneMatrix(rnn.m, 1), r"comes out as (n_{a}, 1)"),  # db for dW
        (sp.HadamardProduct(rnn.dz, rnn.dzy) * rnn.xt.T, "differ in shape"),
        (rnn.dz * rnn.xt.T + rnn.Waa, "differ in shape"),
        (time_sum(rnn.xt * rnn.dz.T), r"comes out as (n_{x}, n_{a})"),
        (rnn.dz * sp.Inverse(rnn.Waa) * rnn.xt.T, "no shape rule"),
    ],
)
def test_a_planted_mistake_raises(rhs, message):
    with pytest.raises(DerivationError, match="dWax") as error:
        shape_check(Derived("dWax", dWax, rhs, "planted"))
    assert message in str(error.value)


def test_the_glued_equation_carries_the_line_from_shape_check(monkeypatch):
    glued = {}
    monkeypatch.setattr(book, "glue", lambda name, obj, display: glued.setdefault(name, obj.data))
    monkeypatch.setattr(book, "shape_check", lambda derived: rf"\text{{planted {derived.name}}}")
    keys = book.glue_equations("rnn.cell", shapes=True)
    planted = {k: rf"\text{{planted {derivations.get(k).name}}}" for k in keys}
    assert keys and all(planted[k] in glued[k.replace(".", "-")] for k in keys)
    assert all(derivations.get(k).display in glued[k.replace(".", "-")] for k in keys)
    glued.clear()
    book.glue_equations("rnn.forward")  # the forward pages keep their equations alone
    assert not any("planted" in tex for tex in glued.values())
