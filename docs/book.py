"""Helpers the book's pages call: glue derived equations, show verification tables.

Every equation a page shows comes from :mod:`derivations` through :func:`glue_equations`; every
verification it shows is computed when the page executes, and a failure raises, which fails the
build (``nb_execution_raise_on_error``).
"""

from __future__ import annotations

import numpy as np
from IPython.display import Markdown, Math
from myst_nb import glue

import derivations
from derivations.notation import latex
from rnnlstm.problems import random_problem


def glue_equations(prefix):
    """Glue every result whose key starts with ``prefix`` (``rnn.cell``) as ``rnn-cell-dz``, ..."""
    keys = []
    for key, derived in derivations.results().items():
        if key.startswith(prefix + "."):
            glue(key.replace(".", "-"), Math(derived.latex), display=False)
            keys.append(key)
    if not keys:
        raise KeyError(f"no derived result starts with {prefix!r}")
    return keys


def table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def brute_force_table(checks):
    """The exact cross-checks of :mod:`derivations.bruteforce`; raises if any disagrees."""
    failed = [c.key for c in checks if not c.agrees]
    if failed:
        raise AssertionError(f"brute force disagrees with the derived formula for {failed}")
    return table(
        ["equation", "result in `derivations/`", "rule that derived it", "max abs(brute force − formula)"],
        [
            (f"{{eq}}`{c.key.replace('.', '-')}`", f"`{c.key}`", derivations.get(c.key).rule, f"{c.difference:.1e}")
            for c in checks
        ],
    )


def compare(name_pairs, tolerance, what):
    """Rows of max |a − b| for ``{name: (a, b)}``; raises above ``tolerance``."""
    rows, bad = [], []
    for name, (a, b) in name_pairs.items():
        err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        rows.append((f"`{name}`", f"{err:.1e}"))
        if not err <= tolerance:
            bad.append(name)
    if bad:
        raise AssertionError(f"{what}: {bad} differ by more than {tolerance}")
    return table(["quantity", what], rows)


def relative_errors(errors, tolerance):
    """Rows of the gradient check's relative errors; raises above ``tolerance``."""
    bad = [k for k, e in errors.items() if not e <= tolerance]
    if bad:
        raise AssertionError(f"gradient check failed for {bad}: {errors}")
    return table(["gradient", "relative error vs central differences"], [(f"`{k}`", f"{e:.1e}") for k, e in errors.items()])


def random_rnn(seed=0):
    """A random RNN problem (n_x, n_a, n_y, m, T_x) = (3, 5, 4, 6, 4) in float64: x, y, a0, parameters."""
    return random_problem("rnn", n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=seed)


def random_lstm(seed=0):
    """A random LSTM problem of the same sizes."""
    return random_problem("lstm", n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=seed)


def verification_table(rows):
    """The rows of :func:`derivations.verify.table` as a table; raises if any row failed."""
    failed = [r.key for r in rows if not r.passed]
    if failed:
        raise AssertionError(f"verification failed for {failed}")
    return table(
        ["equation", "quantity", "exact", "max abs(numpy − derived)", "finite differences", "PyTorch autograd"],
        [
            (
                f"{{eq}}`{r.key.replace('.', '-')}`",
                f"${latex(derivations.get(r.key).lhs)}$",
                "—" if r.exact is None else ("yes" if r.exact else "**no**"),
                f"{r.numpy:.1e}",
                f"{r.finite_differences:.1e}",
                "not installed" if r.torch is None else f"{r.torch:.1e}",
            )
            for r in rows
        ],
    )


def glue_errata():
    """Glue every formula of :mod:`derivations.errata` as ``errata-N-I`` and the derived result it
    should have been as ``errata-N-right-I`` (the LSTM's gates in their composed form)."""
    from derivations import errata, lstm

    for n, formulas in errata.ERRATA.items():
        for i, d in enumerate(formulas, 1):
            glue(f"errata-{n}-{i}", Math(d.latex), display=False)
        for i, key in enumerate(errata.RIGHT[n], 1):
            name = key.split(".")[-1]
            right = lstm.composed(name) if key.startswith("lstm.cell.dz") else derivations.get(key)
            glue(f"errata-{n}-right-{i}", Math(right.latex), display=False)


def measured(as_published, corrected):
    """Relative errors against central differences, ``{gradient: error}`` for the published and
    the corrected version, side by side. Raises unless the published version fails clearly
    (some error above 1e-2) and the corrected one passes (every error below 1e-7)."""
    worst = max(as_published.values())
    if not worst > 1e-2:
        raise AssertionError(f"the published version was expected to fail the check, worst error {worst:.1e}")
    bad = [k for k, e in corrected.items() if not e < 1e-7]
    if bad:
        raise AssertionError(f"the corrected version fails the check for {bad}")
    return table(
        ["gradient", "relative error, as published", "relative error, corrected"],
        [(f"`{k}`", _flag(as_published[k]), f"{corrected[k]:.1e}") for k in as_published],
    )


def _flag(error):
    return f"**{error:.1e}**" if error > 1e-5 else f"{error:.1e}"
