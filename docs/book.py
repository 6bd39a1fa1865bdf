"""Helpers the book's pages call: glue derived equations and values, show verification tables.

Every equation a page shows comes from :mod:`derivations` through :func:`glue_equations`; every
size, tolerance or checked identity its prose states is glued from the code that uses it
(:func:`glue_math`, :func:`glue_sizes`, :func:`power_of_ten`); every verification it shows is
computed when the page executes, and a failure raises, which fails the build
(``nb_execution_raise_on_error``). Measured timings are shown and worded (:func:`times_as`), never
asserted: a busy machine must not fail the build.
"""

from __future__ import annotations

import numpy as np
from IPython.display import Latex, Markdown, Math
from myst_nb import glue

import derivations
from derivations.notation import latex
from derivations.shapes import shape_check
from rnnlstm.problems import random_problem

GRADIENT_CHECK_TOLERANCE = 1e-7  # relative error of a float64 gradient check that passes
PUBLISHED_FAILS_ABOVE = 1e-2  # an erratum's check must exceed this for some gradient ...
FLAGGED_ABOVE = 1e-5  # ... and errors above this are shown in bold


def glue_math(name, math):
    """Glue ``math`` (a SymPy expression or equation, or a LaTeX string) as ``name``: the
    ``{glue:math}`` directive shows it displayed, the ``{glue}`` role inline (in text style,
    which ``Math``'s ``\\displaystyle`` would not be)."""
    glue(name, Latex(f"${math if isinstance(math, str) else latex(math)}$"), display=False)


def glue_text(name, text):
    """Glue ``text`` as ``name`` for the ``{glue:md}`` role, which sets it as the prose around it
    (``{glue:text}`` would set it in bold)."""
    glue(name, Markdown(str(text)), display=False)


def glue_sizes(name, sizes):
    """Glue ``{"n_x": 2, "m": 2, ...}`` as ``name`` for the ``{glue:md}`` role ("$n_x = 2$, $m = 2$,
    ...": one piece of math per size, so that a narrow screen can break the line between them) and
    each size as ``name-key`` ("m = 2", inline math for the ``{glue}`` role)."""
    for key, value in sizes.items():
        glue_math(f"{name}-{key}", f"{key} = {value}")
    glue_text(name, ", ".join(f"${key} = {value}$" for key, value in sizes.items()))


def glue_brute_force(chapter=None):
    """Glue what the prose says of :mod:`derivations.bruteforce`: the digits its numbers are
    written in as ``bruteforce-precision`` and those it compares to as ``bruteforce-digits``
    (text), its tolerance as ``bruteforce-tolerance``, and for ``chapter`` ("rnn", "lstm", "gru")
    its sizes as ``bruteforce`` and ``bruteforce-T_x``, ..., the sizes a single cell uses as
    ``bruteforce-cell``."""
    from derivations import bruteforce

    if chapter is not None:
        sizes = bruteforce.SIZES[chapter]
        glue_sizes("bruteforce", sizes)
        glue_sizes("bruteforce-cell", {k: sizes[k] for k in ("n_x", "n_a", "m")})
    glue_text("bruteforce-precision", bruteforce.PRECISION)
    glue_text("bruteforce-digits", bruteforce.DIGITS)
    glue_math("bruteforce-tolerance", power_of_ten(float(bruteforce.TOLERANCE)))


def power_of_ten(x, digits=1):
    """LaTeX of a tolerance or a step to ``digits`` significant digits: 1e-12 → ``10^{-12}``,
    5e-06 → ``5 \\times 10^{-6}``, ``power_of_ten(1.11e-16, 2)`` → ``1.1 \\times 10^{-16}``."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \times {power}"


def times_as(ratio, adjective):
    """Words for a measured ratio, true whatever it came out as: ``times_as(3.14, "long")`` is
    "about 3.1 times as long as", ``times_as(3264, "much")`` "about 3,300 times as much as",
    ``times_as(0.42, "fast")`` "about 0.42 times as fast as", and a ratio within 10 % of 1 is
    "about as long as"."""
    if not ratio > 0:
        raise ValueError(f"ratio must be a positive number, got {ratio!r}")
    if 1 / 1.1 < ratio < 1.1:
        return f"about as {adjective} as"
    rounded = float(f"{ratio:.2g}")  # two significant digits
    return f"about {rounded:,.0f} times as {adjective} as" if rounded >= 100 else f"about {rounded:g} times as {adjective} as"


def equation(derived, shapes=False):
    """The LaTeX a page displays for ``derived``: its equation, and with ``shapes`` a smaller
    second line under it, the shapes of its factors (:func:`derivations.shapes.shape_check`),
    in the same display, so that the equation keeps its number."""
    if not shapes:
        return derived.display
    # script style: smaller, and Σ_t with its index beside it, not under it (MathJax and LaTeX alike);
    # it drops the spaces after commas and around →, so they are written out
    shapes = shape_check(derived).replace(", ", r",\, ").replace(r" \to ", r" \;\to\; ")
    return rf"\begin{{gathered}}{derived.display} \\[2pt] \scriptstyle {shapes}\end{{gathered}}"


def glue_equation(name, derived, shapes=False):
    """Glue :func:`equation` of ``derived`` as ``name`` for the ``{glue:math}`` directive."""
    glue(name, Math(equation(derived, shapes)), display=False)


def glue_equations(prefix, shapes=False):
    """Glue every result whose key starts with ``prefix`` (``rnn.cell``) as ``rnn-cell-dz``, ...,
    with its shape line under it if ``shapes``."""
    keys = []
    for key, derived in derivations.results(prefix.split(".")[0]).items():  # derives that chapter alone
        if key.startswith(prefix + "."):
            glue_equation(key.replace(".", "-"), derived, shapes)
            keys.append(key)
    if not keys:
        raise KeyError(f"no derived result starts with {prefix!r}")
    return keys


def glue_steps(node):
    """Glue every step of the worked derivation of ``node`` (:func:`derivations.steps.derivation`)
    as ``node-key`` (``linear-dW-chain``), displayed by ``{glue:math}``, and the rule it applied as
    ``node-key-rule``, a sentence for the ``{glue:md}`` role (with ``:myst`` for its math)."""
    from derivations import steps

    for step in steps.derivation(node).steps:
        glue(f"{node}-{step.key}", Math(step.latex), display=False)
        glue_text(f"{node}-{step.key}-rule", step.rule[0].upper() + step.rule[1:])


def table(header, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def verdict(count, what, measure, worst, limit, full):
    """One line that says how a check came out — "✓ 24 of 24 derived gradients agree with the code
    (max abs(numpy − derived), float64): worst 4.4e-16, at most 1e-12" — and the full table
    ``full`` folded under it. Only a check that passed is shown: a failure raised before."""
    shown = "0" if worst == 0 else power_of_ten(worst, 2)
    bound = "exactly 0 (bit for bit)" if limit == power_of_ten(0) else f"at most ${limit}$"
    return Markdown(
        f"**✓ {count} of {count}** {what} ({measure}): worst ${shown}$, {bound}.\n\n"
        f":::{{dropdown}} The {count} rows\n{full.data}\n:::\n"
    )


def brute_force_table(checks, folded=True):
    """The exact cross-checks of :mod:`derivations.bruteforce`; raises if any disagrees."""
    failed = [c.key for c in checks if not c.agrees]
    if failed:
        raise AssertionError(f"brute force disagrees with the derived formula for {failed}")
    measure = "max abs(brute force − formula)"
    full = table(
        ["equation", "result in `derivations/`", "rule that derived it", measure],
        [
            (f"{{eq}}`{c.key.replace('.', '-')}`", f"`{c.key}`", derivations.get(c.key).rule, f"{c.difference:.1e}")
            for c in checks
        ],
    )
    if not folded:
        return full
    from derivations import bruteforce

    worst = max(float(c.difference) for c in checks)
    return verdict(len(checks), "derived results agree with brute force", measure, worst,
                   power_of_ten(float(bruteforce.TOLERANCE)), full)


def compare(name_pairs, tolerance, what, folded=True):
    """Rows of max |a − b| for ``{name: (a, b)}``; raises above ``tolerance``."""
    rows, bad, errors = [], [], []
    for name, (a, b) in name_pairs.items():
        err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        rows.append((f"`{name}`", f"{err:.1e}"))
        errors.append(err)
        if not err <= tolerance:
            bad.append(name)
    if bad:
        raise AssertionError(f"{what}: {bad} differ by more than {tolerance}")
    full = table(["quantity", what], rows)
    if not folded:
        return full
    return verdict(len(rows), "quantities agree", what, max(errors), power_of_ten(tolerance), full)


def relative_errors(errors, tolerance=GRADIENT_CHECK_TOLERANCE, folded=True):
    """Rows of the gradient check's relative errors; raises above ``tolerance``."""
    bad = [k for k, e in errors.items() if not e <= tolerance]
    if bad:
        raise AssertionError(f"gradient check failed for {bad}: {errors}")
    measure = "relative error vs central differences"
    full = table(["gradient", measure], [(f"`{k}`", f"{e:.1e}") for k, e in errors.items()])
    if not folded:
        return full
    return verdict(len(errors), "gradients pass the gradient check", measure, max(errors.values()),
                   power_of_ten(tolerance), full)


def random_rnn(seed=0):
    """A random RNN problem (n_x, n_a, n_y, m, T_x) = (3, 5, 4, 6, 4) in float64: x, y, a0, parameters."""
    return random_problem("rnn", n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=seed)


def random_lstm(seed=0):
    """A random LSTM problem of the same sizes."""
    return random_problem("lstm", n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=seed)


def random_gru(seed=0):
    """A random GRU problem of the same sizes."""
    return random_problem("gru", n_x=3, n_a=5, n_y=4, m=6, T_x=4, seed=seed)


def verification_table(rows, compared_with_torch=True):
    """The rows of :func:`derivations.verify.table` as a table; raises if any row failed. Rows
    never compared with PyTorch (``compared_with_torch`` false: those of
    :func:`derivations.verify.bidirectional_table`) are shown without that column or a note on it."""
    failed = [r.key for r in rows if not r.passed]
    if failed:
        raise AssertionError(f"verification failed for {failed}")
    torch = any(r.torch is not None for r in rows)  # a column this build could not measure is left out
    full = table(
        ["equation", "quantity", "exact", "max abs(numpy − derived)", "finite differences"]
        + ([f"`{rows[0].reference}`" if "." in rows[0].reference else rows[0].reference] if torch else []),
        [
            (
                f"{{eq}}`{r.key.replace('.', '-')}`",
                f"${latex(derivations.get(r.key).lhs)}$",
                "—" if r.exact is None else ("yes" if r.exact else "**no**"),
                f"{r.numpy:.1e}",
                f"{r.finite_differences:.1e}",
                *(["—" if r.torch is None else f"{r.torch:.1e}"] if torch else []),
            )
            for r in rows
        ],
    )
    if torch or not compared_with_torch:
        return full
    return Markdown(
        full.data + "\n\nPyTorch was not installed for this build of the book, so its column is left out "
        "(`pip install torch==2.13.0`; the published site has it)."
    )


def glue_errata():
    """Glue every formula of :mod:`derivations.errata` as ``errata-N-I`` and the derived result it
    should have been as ``errata-N-right-I`` (the LSTM's gates in their composed form)."""
    from derivations import errata, lstm

    for n, formulas in errata.ERRATA.items():
        for i, d in enumerate(formulas, 1):
            glue(f"errata-{n}-{i}", Math(d.display), display=False)
        for i, key in enumerate(errata.RIGHT[n], 1):
            name = key.split(".")[-1]
            right = lstm.composed(name) if key.startswith("lstm.cell.dz") else derivations.get(key)
            glue(f"errata-{n}-right-{i}", Math(right.display), display=False)


def measured(as_published, corrected):
    """Relative errors against central differences, ``{gradient: error}`` for the published and
    the corrected version, side by side. Raises unless the published version fails clearly
    (some error above ``PUBLISHED_FAILS_ABOVE``) and the corrected one passes (every error below
    ``GRADIENT_CHECK_TOLERANCE``)."""
    worst = max(as_published.values())
    if not worst > PUBLISHED_FAILS_ABOVE:
        raise AssertionError(f"the published version was expected to fail the check, worst error {worst:.1e}")
    bad = [k for k, e in corrected.items() if not e < GRADIENT_CHECK_TOLERANCE]
    if bad:
        raise AssertionError(f"the corrected version fails the check for {bad}")
    return table(
        ["gradient", "relative error, as published", "relative error, corrected"],
        [(f"`{k}`", _flag(as_published[k]), f"{corrected[k]:.1e}") for k in as_published],
    )


def _flag(error):
    return f"**{error:.1e}**" if error > FLAGGED_ABOVE else f"{error:.1e}"
