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


def random_rnn(n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=0):
    """Random parameters and a sequence with one-hot targets, float64."""
    rng = np.random.default_rng(seed)
    parameters = {
        "Wax": rng.normal(size=(n_a, n_x)),
        "Waa": rng.normal(size=(n_a, n_a)) * 0.5,
        "Wya": rng.normal(size=(n_y, n_a)),
        "ba": rng.normal(size=(n_a, 1)),
        "by": rng.normal(size=(n_y, 1)),
    }
    x = rng.normal(size=(n_x, m, T_x))
    y = np.eye(n_y)[:, rng.integers(n_y, size=(m, T_x))]
    a0 = rng.normal(size=(n_a, m))
    return x, y, a0, parameters


def random_lstm(n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=0):
    """Random LSTM parameters and a sequence with one-hot targets, float64."""
    rng = np.random.default_rng(seed)
    parameters = {}
    for gate in "fico":
        parameters["W" + gate] = rng.normal(size=(n_a, n_a + n_x)) * 0.7
        parameters["b" + gate] = rng.normal(size=(n_a, 1))
    parameters["Wy"] = rng.normal(size=(n_y, n_a))
    parameters["by"] = rng.normal(size=(n_y, 1))
    x = rng.normal(size=(n_x, m, T_x))
    y = np.eye(n_y)[:, rng.integers(n_y, size=(m, T_x))]
    a0 = rng.normal(size=(n_a, m))
    return x, y, a0, parameters
