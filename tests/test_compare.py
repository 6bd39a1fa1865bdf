"""The comparison page's costs: the parameter counts and multiply-adds of docs/costs.py are the
arrays' own sizes, and the page shows them glued from that code, never typed."""

from __future__ import annotations

import re
import sys

import pytest
import sympy as sp

from conftest import ROOT
from rnnlstm.problems import random_problem

sys.path.insert(0, str(ROOT / "docs"))
import costs  # noqa: E402  (docs/costs.py, what the page computes)

PAGE = ROOT / "docs" / "rnn-vs-lstm.md"
SIZES = [{"n_x": 3, "n_a": 5, "n_y": 4}, {"n_x": 2, "n_a": 2, "n_y": 7}, costs.EXAMPLE]


@pytest.mark.parametrize("model", list(costs.MODELS))
@pytest.mark.parametrize("sizes", SIZES)
def test_parameter_count_is_the_number_of_entries_of_the_parameters(model, sizes):
    *_, parameters = random_problem(model, **sizes, m=2, T_x=1)
    assert costs.at(costs.parameter_count(model), sizes) == sum(p.size for p in parameters.values())


@pytest.mark.parametrize("model", list(costs.MODELS))
@pytest.mark.parametrize("sizes", SIZES)
def test_multiply_adds_are_the_weights_entries_times_m(model, sizes):
    m = 6
    *_, parameters = random_problem(model, **sizes, m=m, T_x=1)
    weights = [p for name, p in parameters.items() if name.startswith("W")]
    assert weights and all(w.shape[1] > 1 for w in weights)  # the sizes above tell weights from biases
    assert costs.at(costs.multiply_adds(model), {**sizes, "m": m}) == m * sum(w.size for w in weights)


def test_counts_are_formulas_in_the_book_symbols():
    from derivations.notation import m, n_a, n_x, n_y

    for model in costs.MODELS:
        assert costs.parameter_count(model).free_symbols == {n_a, n_x, n_y}
        assert costs.multiply_adds(model).free_symbols == {m, n_a, n_x, n_y}
    # the LSTM has one gate more than the GRU: one more weight (n_a, n_a + n_x) and bias (n_a, 1)
    assert sp.expand(costs.parameter_count("lstm") - costs.parameter_count("gru") - (n_a * (n_a + n_x) + n_a)) == 0


def test_bad_model_and_sizes_are_refused():
    with pytest.raises(ValueError, match="model must be one of rnn, lstm, gru, got 'cnn'"):
        costs.shapes("cnn")
    with pytest.raises(ValueError, match="sizes must name only .*got T_x"):
        costs.at(costs.parameter_count("rnn"), {**costs.EXAMPLE, "T_x": 3})


def test_the_page_glues_the_counts_from_the_code_and_types_none():
    text = PAGE.read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", text, flags=re.M | re.S))
    assert "from costs import" in code
    for call in ("parameter_count(k)", "multiply_adds(k)", "glue_math(f\"compare-count-{k}\"", "glue_math(f\"compare-work-{k}\""):
        assert call in code, call
    for model in costs.MODELS:
        for role in (f"{{glue}}`compare-count-{model}`", f"{{glue}}`compare-work-{model}`"):
            assert role in text, role
        for expression in (costs.parameter_count(model), costs.multiply_adds(model)):
            for sizes in ({**costs.EXAMPLE, "m": 1}, {**costs.EXAMPLE, "m": 32}):
                number = costs.at(expression, {k: v for k, v in sizes.items() if k in map(str, expression.free_symbols)})
                assert not re.search(rf"\b{number:,}\b|\b{number}\b", text), f"{number} typed on the page"
