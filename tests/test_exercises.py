"""The exercises at the end of the chapter pages: each page has them, each solution's code asserts
its claim, and a claim that is false fails, as it would fail the build."""

from __future__ import annotations

import ast
import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs"))
import exercises  # noqa: E402  (docs/exercises.py, what the solutions compute)

DOCS = ROOT / "docs"
CHAPTERS = ["rnn-forward", "rnn-cell-backward", "rnn-bptt", "lstm-forward", "lstm-cell-backward", "lstm-bptt",
            "gru-forward", "gru-cell-backward", "gru-bptt",
            "gradient-flow", "clipping", "deep", "bidirectional"]  # fmt: skip
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<options>(?::[^\n]*\n)*)(?P<source>.*?)^```$", re.M | re.S)


def exercises_section(page):
    """The page's text from its "## Exercises" heading on."""
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    start = text.find("\n## Exercises\n")
    assert start >= 0, f"{page}.md has no section ## Exercises"
    return text[start + 1 :]


def exercises_of(page):
    """``{number: text}`` of each ``### Exercise N`` of the page, in the page's order."""
    parts = re.split(r"^### Exercise (\d+)\b.*$", exercises_section(page), flags=re.M)
    return {int(number): text for number, text in zip(parts[1::2], parts[2::2], strict=True)}


def solution_cells(text):
    """The source of every code cell in ``text`` that is not removed from the page."""
    return [m["source"] for m in CELL.finditer(text) if "remove-cell" not in m["options"]]


def run(source):
    """Execute a solution cell's code as the page's kernel would (in docs/, its helpers importable)."""
    exec(compile(source, "<solution>", "exec"), {"__name__": "solution"})  # noqa: S102 - the book's own code


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_ends_with_numbered_exercises_each_with_a_folded_solution(page):
    section = exercises_section(page)
    assert not re.search(r"^## ", section[len("## Exercises") :], re.M), f"{page}: a section after Exercises"
    found = exercises_of(page)
    assert len(found) >= 2 and list(found) == list(range(1, len(found) + 1)), f"{page}: {list(found)}"
    for number, text in found.items():
        where = f"{page}, exercise {number}"
        assert len(re.findall(r"^:::\{dropdown\} Solution$", text, re.M)) == 1, f"{where}: no dropdown"
        cells = list(CELL.finditer(text.split(":::{dropdown}", 1)[1]))
        assert cells, f"{where}: no solution code after the dropdown"
        assert all("tags: [hide-cell]" in m["options"] for m in cells), f"{where}: solution code not folded"


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_solution_cell_asserts_its_claim(page):
    for number, text in exercises_of(page).items():
        for source in solution_cells(text):
            asserts = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert)]
            assert asserts, f"{page}, exercise {number}: a solution cell asserts nothing"


def solution(page, number, claim):
    """The code of exercise ``number`` of ``page``, the one cell that contains ``claim``."""
    (source,) = [s for s in solution_cells(exercises_of(page)[number]) if claim in s]
    return source


@pytest.mark.parametrize(
    ("page", "number", "claim", "false_claims"),
    [
        ("lstm-cell-backward", 2, 'failing(errors) == {"dc_prev"}',
         ['failing(errors) == set()', 'failing(errors) == {"dc_prev", "dWf"}']),
        ("rnn-cell-backward", 3, 'failing(errors) == {"da_prev"}',
         ['failing(errors) == {"da_prev", "dWaa"}']),
        ("rnn-bptt", 3, 'derived_shape("rnn.bptt.dWaa")', ['derived_shape("rnn.bptt.dWax")']),
        ("rnn-cell-backward", 1, "dz[j, i] * a0[k, i]", ["dz[j, i] * a_next[k, i]"]),
        ("gru-forward", 2, "np.abs(c).max() <= 1", ["np.abs(c).max() < 0.5"]),
        ("gru-cell-backward", 2, 'failing(errors) == {"dWc"}', ['failing(errors) == {"dWc", "dxt"}']),
        ("gru-bptt", 2, '== {"da0"}', ['== set()', '== {"da0", "dx"}']),
        ("gru-bptt", 1, "(Wc.T @ dzc) * Gamma_r", ["(Wc.T @ dzc)"]),
    ],
    ids=["which cell gradients fail", "a forgotten transpose", "a shape", "a derivation by hand",
         "a bounded state", "the wrong input", "a single step", "the four shares by hand"],  # fmt: skip
)
def test_a_false_claim_fails_where_the_true_one_passes(page, number, claim, false_claims):
    source = solution(page, number, claim)
    run(source)
    for false_claim in false_claims:
        with pytest.raises(AssertionError):
            run(source.replace(claim, false_claim))


def test_one_line_changed_changes_that_line_in_a_copy_and_refuses_anything_else():
    from rnnlstm import rnn
    from rnnlstm.problems import random_problem

    original = rnn._cell_backward
    broken = exercises.one_line_changed(rnn._cell_backward, "dz = da_next * tanh_prime", "dz = tanh_prime")
    assert rnn._cell_backward is original and broken is not original
    x, _, a0, parameters = random_problem("rnn", n_x=3, n_a=4, n_y=2, m=5, T_x=1)
    _, _, cache = rnn.rnn_cell_forward(x[:, :, 0], a0, parameters)
    da_next = 2 * a0
    assert (broken(da_next, cache)["dz"] == original(da_next, cache)["tanh_prime"]).all()
    with pytest.raises(ValueError, match="once"):
        exercises.one_line_changed(rnn._cell_backward, "not in the source", "x")
    with pytest.raises(ValueError, match="one line"):
        exercises.one_line_changed(rnn._cell_backward, "a_next = cache[0]\n", "")


def test_failing_names_the_clear_failures_and_refuses_an_unclear_error():
    assert exercises.failing({"dWaa": 0.3, "dba": 1e-10}) == {"dWaa"}
    with pytest.raises(AssertionError, match="neither"):
        exercises.failing({"dWaa": 1e-4})


def test_layers_loss_errors_names_every_layers_gradients_and_finds_a_planted_mistake():
    import rnnlstm
    from rnnlstm import bidirectional, deep
    from rnnlstm.problems import random_bidirectional_problem, random_deep_problem

    stack = random_deep_problem("rnn", 3, (4, 2), 4, 3, 3, seed=0)
    errors = exercises.layers_loss_errors(rnnlstm.deep_loss, deep, stack, "rnn")
    per_layer = {f"layer {l}: d{k}" for l in (1, 2) for k in ("Wax", "Waa", "ba", "a0")}
    assert set(errors) == per_layer | {"dWy", "dby", "dx"} and exercises.failing(errors) == set()
    problem = random_bidirectional_problem("rnn", 3, (4, 2), 4, 3, 3, seed=0)
    broken = exercises.one_line_changed(bidirectional._backward, '"dx": dx[0] + dx[1]', '"dx": dx[0]')
    errors = exercises.layers_loss_errors(rnnlstm.birnn_loss, bidirectional, problem, "rnn", _backward=broken)
    assert exercises.failing(errors) == {"dx"} and "backward: da0" in errors
