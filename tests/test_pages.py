"""The book's pages: no build can fail on a timing, and the sizes the prose states are the code's.

A page may measure time and word its text from the measurement, but a timing must never decide
whether the build passes: a busy machine would fail it. ``timed_checks`` finds, in a page's code
cells, every check (``assert``, ``if ...: raise``, or a helper of ``docs/book.py`` that raises)
that reads a measured time or anything computed from one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from derivations import bruteforce

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))

CLOCKS = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time", "default_timer", "timeit"}
CLOCK_MODULES = {"time", "timeit"}  # any call time.x(...) or timeit.x(...) reads a clock
RAISING_HELPERS = {"compare", "relative_errors", "measured", "brute_force_table", "verification_table"}


def code_cells(markdown):
    """The source of every ``{code-cell}`` of a MyST page, without its options (``:key: value`` lines
    or a ``---`` block of YAML) and IPython magics."""
    cells = re.findall(r"^```\{code-cell\}[^\n]*\n(?:---\n.*?^---\n)?(.*?)^```$", markdown, flags=re.M | re.S)
    return ["\n".join(line for line in cell.splitlines() if not line.startswith((":", "%"))) for cell in cells]


def _call_name(call):
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _reads_clock(call, clocks):
    f = call.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in CLOCK_MODULES:
        return True
    return isinstance(f, ast.Name) and f.id in clocks


COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _scopes(tree):
    """``{id(Name node): scope}``: the comprehension or function whose local the name is, or
    None for the page's globals, so that ``t`` in one comprehension is not ``t`` in another."""
    scope_of = {}

    def local_names(node):
        if isinstance(node, COMPREHENSIONS):
            return {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        arguments = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        return arguments | {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

    def visit(node, scopes):
        if isinstance(node, (*COMPREHENSIONS, ast.FunctionDef, ast.Lambda)):
            scopes = [*scopes, (id(node), local_names(node))]
        if isinstance(node, ast.Name):
            scope_of[id(node)] = next((key for key, names in reversed(scopes) if node.id in names), None)
        for child in ast.iter_child_nodes(node):
            visit(child, scopes)

    visit(tree, [])
    return scope_of


def timed_checks(source):
    """The line numbers of the checks in ``source`` that read a measured time.

    Flow-insensitive and conservative: a function of the page that reads a clock is a clock, a
    name assigned (or mutated) from a timed expression is timed, until nothing changes."""
    tree = ast.parse(source)
    scope_of = _scopes(tree)
    clocks, timed = set(CLOCKS), set()

    def key(name):
        return scope_of[id(name)], name.id

    def bound(target):  # the names an assignment to target binds or mutates (d[k] = ... mutates d)
        if isinstance(target, ast.Name):
            return {key(target)}
        if isinstance(target, (ast.Tuple, ast.List)):
            return set().union(*map(bound, target.elts)) if target.elts else set()
        if isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
            return bound(target.value)
        return set()

    def bindings(node):  # (what node binds or mutates, the expression it comes from), or None
        if isinstance(node, ast.Assign):
            return set().union(*map(bound, node.targets)), [node.value]
        if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            return bound(node.target), [node.value]
        if isinstance(node, (ast.For, ast.comprehension)):
            return bound(node.target), [node.iter]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):  # rows.append(t)
            return bound(node.func.value), [*node.args, *(k.value for k in node.keywords)]
        return None

    def is_timed(*nodes):  # reads a clock, calls a function that does, or reads a timed name
        for n in (n for node in nodes for n in ast.walk(node)):
            if isinstance(n, ast.Call) and _reads_clock(n, clocks):
                return True
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and key(n) in timed:
                return True
        return False

    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name not in clocks and is_timed(node):
                clocks.add(node.name)
                changed = True
            binding = bindings(node)
            if binding and not binding[0] <= timed and is_timed(*binding[1]):
                timed |= binding[0]
                changed = True
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and is_timed(node.test):
            lines.append(node.lineno)
        elif isinstance(node, ast.If) and is_timed(node.test) and any(isinstance(n, ast.Raise) for n in ast.walk(node)):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and _call_name(node) in RAISING_HELPERS and is_timed(node):
            lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_checks_a_timing(page):
    source = "\n".join(code_cells(page.read_text()))
    checks = timed_checks(source)
    assert not checks, f"{page.name} checks a measured time at lines {checks} of its code cells:\n" + "\n".join(
        source.splitlines()[n - 1] for n in checks
    )


# What docs/fast.md did before issue 11: a build on a busy machine failed on this assert.
TIMED_ASSERT = '''
import timeit

def best(run, number):
    return min(timeit.repeat(run, number=number, repeat=5)) / number

per_call = {}
for shape in ((8, 32), (64, 512)):
    per_call[shape] = best(lambda: None, 2000)
step = best(lambda: None, 20) / 40
per_value = {f"{a} x {b}": (t, t / (a * b)) for (a, b), t in per_call.items()}
per_value["step"] = (step, step / (8 * 32))
small, large, lstm_step = (v for _, v in per_value.values())
assert small > 3 * large and lstm_step > 3 * small, per_value
'''


@pytest.mark.parametrize(
    "source, lines",
    [
        (TIMED_ASSERT, [14]),
        ("import time\nt0 = time.perf_counter()\nx = 1\nelapsed = time.perf_counter() - t0\nif elapsed > 1:\n    raise RuntimeError\n", [5]),
        ("from time import perf_counter\nrows = []\nrows.append(perf_counter())\ncompare({'a': (rows, rows)}, 1e-12, 'x')\n", [4]),
        ("import timeit\nseconds = timeit.timeit('1', number=3)\nworst = 1e-14\nassert worst < 1e-12\n", []),
        ("import numpy as np\nx = np.repeat([1], 3)\nassert x.sum() == 3\n", []),
    ],
    ids=["fast.md before issue 11", "if-raise on perf_counter", "helper that raises", "untimed assert", "np.repeat is no clock"],
)
def test_timed_checks_finds_checks_of_measured_times(source, lines):
    assert timed_checks(source) == lines


def _inline_math(html):
    """The LaTeX of every inline math on a built page."""
    return [m.removeprefix(r"\displaystyle").strip() for m in re.findall(r'<span class="[^"]*\bmath\b[^"]*">\\\((.*?)\\\)</span>', html, flags=re.S)]


@pytest.mark.docs  # built_site builds the book
@pytest.mark.parametrize(
    "page, chapter, keys",
    [
        ("rnn-cell-backward", "rnn", ("n_x", "n_a", "m")),
        ("lstm-cell-backward", "lstm", ("n_x", "n_a", "m")),
        ("rnn-bptt", "rnn", ("n_x", "n_a", "n_y", "m", "T_x")),
        ("lstm-bptt", "lstm", ("n_x", "n_a", "n_y", "m", "T_x")),
        ("gru-cell-backward", "gru", ("n_x", "n_a", "m")),
        ("gru-bptt", "gru", ("n_x", "n_a", "n_y", "m", "T_x")),
    ],
)
def test_built_pages_show_the_brute_force_sizes_glued_from_the_code(built_site, page, chapter, keys):
    """The page shows each size of ``bruteforce.SIZES`` as math, and its source types none of them:
    they can only have come from the glue."""
    expected = [f"{k} = {bruteforce.SIZES[chapter][k]}" for k in keys]
    shown = set(_inline_math((built_site / f"{page}.html").read_text()))
    assert not (missing := [e for e in expected if e not in shown]), f"{page}.html does not show {missing}: {shown}"
    prose = re.sub(r"```\{code-cell\}.*?```", "", (DOCS / f"{page}.md").read_text(), flags=re.S)
    typed = [k for k in keys if re.search(rf"\b{k}\s*=\s*\d", prose)]
    assert not typed, f"{page}.md types the size of {typed} instead of gluing bruteforce.SIZES"
