"""derivations/: notation, the per-node rules, the brute-force cross-checks and the CLI."""

from __future__ import annotations

import json
import re

import pytest
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

import derivations
from derivations import __main__ as cli
from derivations import bruteforce, calculus, gru, lstm, notation, output, rnn
from derivations.notation import latex


def test_notation_writes_the_course_superscripts_in_order():
    q = notation.Quantity("a", example="2", layer="3", time="4")
    assert q.latex(entry="5") == r"a_{5}^{(2)[3]\langle 4 \rangle}"
    assert notation.latex(rnn.Wax.T * rnn.dz) == r"W_{ax}^{T} dz^{\langle t \rangle}"
    assert notation.latex(rnn.dz * rnn.xt.T) == r"dz^{\langle t \rangle} x^{\langle t \rangle T}"


def test_every_chapter_equation_is_printed_in_course_notation():
    cell = derivations.get("rnn.cell.dz").latex
    assert r"\odot" in cell and r"\left(a^{\langle t \rangle}\right)^{2}" in cell
    assert derivations.get("rnn.cell.dba").latex.endswith(r"\sum_{i=1}^{m} dz^{(i)\langle t \rangle}")
    assert derivations.get("rnn.forward.z").latex.endswith("+ b_a")  # the broadcast bias is written b_a


def test_an_elementwise_product_is_printed_with_odot():
    """σ′ = Γ ⊙ (1 − Γ): juxtaposition is the matrix product in the book's notation."""
    gate = r"\Gamma_f^{\langle t \rangle}"
    assert derivations.get("lstm.cell.sigma_prime").latex.endswith(rf"= {gate} \odot \left(1 - {gate}\right)")
    v = sp.Dummy("v")
    quarter = ElementwiseApplyFunction(sp.Lambda(v, -v * (1 - v) / 4), lstm.ft)
    assert latex(quarter) == rf"- \frac{{1}}{{4}} {gate} \odot \left(1 - {gate}\right)"


def test_products_and_sums_are_printed_in_the_course_order():
    """Gradient first, then gates, then the rest; a lone share first in a sum; gates f, u, c, o;
    the prediction's share of da⟨t⟩ before step t+1's. SymPy's own order is alphabetical."""
    assert lstm.FORWARD["c_next"].latex.endswith(
        r"= \Gamma_f^{\langle t \rangle} \odot c^{\langle t-1 \rangle} + \Gamma_u^{\langle t \rangle} \odot \tilde{c}^{\langle t \rangle}"
    )
    assert lstm.CELL["dc_prev"].latex.endswith(r"= dc^{\langle t \rangle} \odot \Gamma_f^{\langle t \rangle}")
    assert lstm.CELL["dc"].latex.split("= ")[1].startswith(r"dc_{\leftarrow t+1}^{\langle t \rangle} + da^{\langle t \rangle}")
    gates = [latex(lstm.dz_next[g]) for g in lstm.GATES]
    printed = lstm.BPTT["da_next"].latex
    positions = [printed.index(r"dz_y^{\langle t \rangle}"), *(printed.index(g) for g in gates)]
    assert positions == sorted(positions)
    assert rnn.BPTT["da_next"].latex.index("dz_y") < rnn.BPTT["da_next"].latex.index(r"dz^{\langle t+1")
    # a published formula keeps the order its erratum's prose describes: the next step's share first
    from derivations import errata

    for formula in (*errata.ERRATA[3], *errata.ERRATA[4]):
        assert formula.latex.split("= ", 1)[1].startswith(r"dc_{\leftarrow t+1}^{\langle t \rangle} \odot")
    # the forward definitions as the course writes them
    assert rnn.FORWARD["z"].latex.endswith(r"= W_{aa} a^{\langle t-1 \rangle} + W_{ax} x^{\langle t \rangle} + b_a")
    assert rnn.FORWARD["zy"].latex.endswith(r"= W_{ya} a^{\langle t \rangle} + b_y")


def test_the_gru_is_printed_as_the_course_writes_it():
    """The update as the course writes it, (1 − Γ_u) ⊙ c⟨t−1⟩ with the gate first; a matrix product
    inside an ⊙ product in brackets; c⟨t−1⟩'s four shares, and dc⟨t⟩'s, in one order: the direct
    share, then the gates in the course's order c̃, Γ_u, Γ_r (the output's share of dc⟨t⟩ first)."""
    u, c = r"\Gamma_u^{\langle t \rangle}", r"c^{\langle t-1 \rangle}"
    assert gru.FORWARD["c_next"].latex.endswith(rf"= {u} \odot \tilde{{c}}^{{\langle t \rangle}} + \left(1 - {u}\right) \odot {c}")
    assert gru.CELL["dGamma_r"].latex.endswith(r"= \left(W_c[{:}, {:}n_a]^{T} dz_c^{\langle t \rangle}\right) \odot " + c)
    for key, step, first in (("cell.da_prev", "t", []), ("bptt.da_next", "t+1", [r"dz_y^{\langle t \rangle}"])):
        printed = derivations.get(f"gru.{key}").latex
        shares = [rf"dc^{{\langle {step} \rangle}} \odot \left(1 - \Gamma_u", *(rf"dz_{g}^{{\langle {step} \rangle}}" for g in "cur")]
        positions = [printed.index(s) for s in [*first, *shares]]
        assert positions == sorted(positions), printed


def test_a_long_sum_is_displayed_on_aligned_lines_with_every_term():
    """LSTM da⟨t⟩, five terms, on three lines (the output's share alone, then the gates in twos);
    a sum of two terms stays on one line; the lines hold exactly the terms of the one-line form."""
    shown = lstm.BPTT["da_next"].display
    assert shown.startswith(r"\begin{aligned} da^{\langle t \rangle} &= W_y^{T} dz_y^{\langle t \rangle} \\ &\quad + W_f")
    assert shown.count(r"\\") == 2
    flat = re.sub(r"\\begin\{aligned\} |\s*\\end\{aligned\}| \\\\ &\\quad|&", "", shown)
    assert flat == lstm.BPTT["da_next"].latex
    assert rnn.BPTT["da_next"].display == rnn.BPTT["da_next"].latex


def _shifted(tex, steps=1):
    """``tex`` one step later: ⟨t−1⟩ → ⟨t⟩, ⟨t⟩ → ⟨t+1⟩, ←t → ←t+1, ..."""
    def later(match):
        offset = int(match.group(2) or 0) + steps
        return match.group(1) + ("t" if offset == 0 else f"t{offset:+d}")

    return re.sub(r"(\\langle |\\leftarrow )t([+-]\d)?", later, tex)


@pytest.mark.parametrize("chapter", ["rnn", "lstm", "gru"])
def test_one_symbol_means_one_quantity(chapter):
    """Two results that print the same left-hand side, at the same step or one step apart, are
    the same quantity: their right-hand sides agree too. (Before the shares had their own
    symbol, a cell's da⟨t−1⟩ = W_aaᵀ dz⟨t⟩ read one step later was the bptt's da⟨t⟩ — which is
    W_yaᵀ dz_y⟨t⟩ + W_aaᵀ dz⟨t+1⟩.)"""
    results = list(derivations.results(chapter).items())
    assert _shifted(latex(rnn.CELL["da_prev"].lhs)) == r"da_{\leftarrow t+1}^{\langle t \rangle}"
    compared = 0
    for key, d in results:
        for other_key, other in results:
            for steps in (0, 1):
                if key != other_key and _shifted(latex(d.lhs), steps) == latex(other.lhs):
                    assert _shifted(latex(d.rhs), steps) == latex(other.rhs), (key, other_key)
                    compared += 1
    assert compared  # dx and dxt; the LSTM's dc_prev and dc_next


def test_local_derivatives_are_written_in_terms_of_the_value():
    v = sp.Symbol("v")
    tanh_prime = calculus.local_derivative(sp.tanh)
    assert sp.expand(tanh_prime(v) - (1 - v**2)) == 0
    s = sp.Symbol("s")
    sigma_prime = calculus.local_derivative(sp.Lambda(s, 1 / (1 + sp.exp(-s))))
    assert sp.expand(sigma_prime(v) - v * (1 - v)) == 0


def test_vjp_refuses_a_silent_zero(monkeypatch):
    X = sp.MatrixSymbol("X", 2, 2)
    D = sp.MatrixSymbol("D", 2, 2)
    monkeypatch.setattr(sp.Trace, "diff", lambda self, wrt: sp.ZeroMatrix(2, 2))
    with pytest.raises(calculus.DerivationError, match="came out as 0"):
        calculus.vjp(X.applyfunc(sp.tanh), X, D)


def test_the_derived_rnn_formulas_are_the_known_ones():
    assert rnn.CELL["dWax"].rhs == rnn.dz * rnn.xt.T
    assert rnn.CELL["da_prev"].rhs == rnn.Waa.T * rnn.dz
    assert rnn.BPTT["da_next"].rhs == rnn.Wya.T * rnn.dzy + rnn.Waa.T * rnn.dz_next
    assert rnn.OUTPUT["da_y"].rhs == rnn.Wya.T * rnn.dzy


def test_every_derived_result_has_a_brute_force_check():
    # the stack's: tests/test_deep.py; the bidirectional network's: tests/test_bidirectional.py
    for chapter in (c for c in derivations.CHAPTERS if c not in ("deep", "bidirectional")):
        ch = derivations.chapter(chapter)
        checked = {f"{chapter}.cell.{k}" for k in [*ch.WRT, *ch.LOCAL]}
        checked |= {f"{chapter}.output.{k}" for k in ch.OUTPUT_WRT}
        checked |= {f"{chapter}.bptt.{k}" for k in [*ch.TOTAL, "dx", "da0"]}
        checked |= {f"{chapter}.bptt.{k}" for k, d in ch.BPTT.items() if d.lhs in ch.CARRIED.values()}  # da_next (dc_next)
        derived = {k for k in derivations.results(chapter) if ".forward." not in k}
        assert checked == derived, f"{chapter}: checked {checked ^ derived} differ from derived"


@pytest.mark.parametrize(
    "broken",
    [
        # the course figure's dtanh without the upstream factor
        lambda: calculus.Derived("dz", rnn.dz, rnn.CELL["tanh_prime"].rhs, "broken"),
        # a weight gradient off by a factor
        lambda: calculus.Derived("dWax", rnn.STEP["dWax"], 2 * rnn.dz * rnn.xt.T, "broken"),
    ],
)
def test_brute_force_catches_a_wrong_formula(monkeypatch, broken):
    wrong = broken()
    patched = dict(rnn.CELL)
    patched[wrong.name] = wrong
    monkeypatch.setattr(rnn, "CELL", patched)
    failing = [c.key for c in bruteforce.checks("rnn", "cell.") if not c.agrees]
    assert f"rnn.cell.{wrong.name}" in failing


def test_generated_files_match_the_derivations():
    for chapter in derivations.CHAPTERS:
        assert (cli.GENERATED / f"{chapter}.json").read_text(encoding="utf-8") == cli.render(chapter)


def test_check_reports_drift_and_regeneration_repairs_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "GENERATED", tmp_path)
    monkeypatch.setattr(cli, "run_checks", lambda: [])  # the brute force itself is tested above
    assert cli.main(["--check"]) == 1  # missing files
    assert cli.main([]) == 0
    assert cli.main(["--check"]) == 0
    table = json.loads((tmp_path / "rnn.json").read_text())
    table["rnn.cell.dz"]["latex"] = "dz = da"
    (tmp_path / "rnn.json").write_text(json.dumps(table))
    assert cli.main(["--check"]) == 1
    assert "differs" in capsys.readouterr().err


def test_check_fails_when_a_cross_check_fails(monkeypatch, capsys):
    monkeypatch.setattr(cli, "run_checks", lambda: [bruteforce.Check("rnn.cell.dz", False, 0.5, 0.0)])
    assert cli.main(["--check"]) == 1
    assert "FAIL rnn.cell.dz" in capsys.readouterr().out


def test_check_runs_every_chapter_in_parallel_and_agrees(capsys):
    assert cli.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert all(f"ok   {key}" in out for key in derivations.results() if ".forward." not in key)


def test_the_parallel_checks_share_out_every_result_once():
    """Each process checks a cell's chapter, or one cell's stack: every checked result falls to one."""
    tasks = list(cli._tasks())
    assert ("deep", "gru.") in tasks and ("gru", "") in tasks
    for key in (k for k in derivations.results() if ".forward." not in k):
        assert sum(key.startswith(f"{chapter}.{prefix}") for chapter, prefix in tasks) == 1, key


def test_show_and_list(capsys):
    assert cli.main(["--show", "rnn.bptt.dWax"]) == 0
    out = capsys.readouterr().out
    assert r"dW_{ax} = \sum_{t=1}^{T_{x}} dz^{\langle t \rangle} x^{\langle t \rangle T}" in out
    assert cli.main(["--show", "rnn.nope"]) == 2
    assert cli.main(["--list"]) == 0
    assert "rnn.bptt.da0" in capsys.readouterr().out.split()


def test_brute_force_results_are_kept_where_the_book_asks(tmp_path, monkeypatch):
    """conf.py names a folder in the execution cache: a result there is read, not recomputed."""
    monkeypatch.setenv(bruteforce.CACHE_VARIABLE, str(tmp_path))
    first = bruteforce.checks("rnn", "cell.dz")
    assert [c.key for c in first] == ["rnn.cell.dz"] and first[0].agrees
    stored = tmp_path / "rnn.cell.dz.json"
    assert json.loads(stored.read_text())["agrees"] is True
    stored.write_text(json.dumps({**json.loads(stored.read_text()), "difference": 0.5}))
    assert bruteforce.checks("rnn", "cell.dz")[0].difference == 0.5  # read from the folder


_STEP_LOSS = output.step_loss


def _summed_over_examples(term):
    """−(1/m) Σ_{i=1}^{m} term(z, y, i), the shape of the loss of one step, for planted slips."""

    def loss(z, y):
        i = sp.Symbol("i", integer=True, positive=True)
        return -sp.Sum(term(z, y, i), (i, 1, notation.m)) / notation.m

    return loss


def test_dzy_is_what_the_component_derivatives_came_out_as():
    yhat_minus_y = sp.MatAdd(rnn.yt_pred, -rnn.yt, evaluate=False)
    assert output.gradient_factor(output.step_loss) == 1 / notation.m
    assert rnn.OUTPUT["dzy"].rhs == sp.MatMul(1 / notation.m, yhat_minus_y, evaluate=False)
    assert "came out as 1/m (ŷ − y)" in rnn.OUTPUT["dzy"].rule


@pytest.mark.parametrize(
    "planted, factor",
    [(lambda z, y: _STEP_LOSS(z, y) * notation.m, 1), (lambda z, y: -_STEP_LOSS(z, y), -1 / notation.m)],
    ids=["without the mean's 1/m", "with the sign flipped"],
)
def test_a_slip_in_the_loss_changes_dzy(monkeypatch, planted, factor):
    monkeypatch.setattr(output, "step_loss", planted)
    derived = output.derive_dzy("dzy", rnn.dzy, rnn.yt_pred, rnn.yt)
    assert derived.rhs != rnn.OUTPUT["dzy"].rhs
    assert derived.rhs.args[0] == factor


@pytest.mark.parametrize(
    "term",
    [
        lambda z, y, i: sum(y[k, i] * sp.log(z[k, i]) for k in range(output.K)),  # the softmax forgotten
        lambda z, y, i: sum(y[k, i] * sp.log(sp.exp(z[k, i]) / sp.exp(z[0, i])) for k in range(output.K)),  # not normalized
        lambda z, y, i: sum((k + 1) * y[k, i] * sp.log(sp.exp(z[k, i]) / sum(sp.exp(z[c, i]) for c in range(output.K)))
                            for k in range(output.K)),  # classes weighted differently
    ],
    ids=["softmax forgotten", "not normalized", "classes weighted"],
)
def test_dzy_refuses_derivatives_that_are_not_one_factor_times_yhat_minus_y(term):
    with pytest.raises(calculus.DerivationError):
        output.gradient_factor(_summed_over_examples(term))


def test_the_rules_are_plain_text():
    """A rule is shown as text in the brute-force tables: no LaTeX there (``\\tilde{c}`` showed raw)."""
    written = {key: d.rule for key, d in derivations.results().items()}
    assert not {k: r for k, r in written.items() if re.search(r"\\[a-zA-Z]+|_\{", r)}
