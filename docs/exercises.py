"""The exercises at the end of the chapters: what their solutions compute when the book is built.

A solution that breaks a backward pass changes one line of a private function of :mod:`rnnlstm`
(:func:`one_line_changed`), runs the library with it in place (the errata's
:func:`errata.replaced`) and measures every gradient against central differences: of a cell's
surrogate scalar (:func:`cell_errors`) or of the whole loss (:func:`loss_errors`; of a stack's or a
bidirectional network's, :func:`layers_loss_errors`). :func:`failing`
names the gradients that fail and refuses an error that neither passes nor fails clearly, so that a
solution's ``assert`` on which gradients fail holds with a margin or not at all. A solution that
computes shapes takes the expected ones from the derivations (:func:`derived_shape`) and glues them
for its prose (:func:`glue_shapes`).
"""

from __future__ import annotations

import __future__
import inspect
import textwrap

from IPython.display import Markdown

import derivations
import rnnlstm
from book import GRADIENT_CHECK_TOLERANCE, PUBLISHED_FAILS_ABOVE, glue_math, table
from derivations.notation import T_x
from derivations.shapes import shape_latex
from errata import SIZES, cell_errors as _cell_errors, replaced, two_steps
from rnnlstm import gradient_check, gru, lstm, rnn
from rnnlstm.problems import random_problem

MODULES = {"rnn": (rnn, rnnlstm.rnn_loss), "lstm": (lstm, rnnlstm.lstm_loss), "gru": (gru, rnnlstm.gru_loss)}


def one_line_changed(function, old, new):
    """A copy of ``function`` whose source has ``old`` replaced by ``new``, both within one line.

    The copy runs in a copy of the function's module namespace, so the module itself is untouched
    and the functions the copy calls are the library's own; put it in the library's place with
    :func:`errata.replaced`.

    Raises
    ------
    ValueError
        If ``old`` or ``new`` spans lines, or ``old`` is not in the source exactly once.
    """
    if "\n" in old or "\n" in new:
        raise ValueError(f"old and new must be parts of one line, got {old!r} and {new!r}")
    source = textwrap.dedent(inspect.getsource(function))
    if source.count(old) != 1:
        count = source.count(old)
        raise ValueError(f"old must occur once in {function.__qualname__}, got {count} times: {old!r}")
    namespace = dict(function.__globals__)
    flags = __future__.annotations.compiler_flag
    name = f"<{function.__qualname__}, one line changed>"
    code = compile(source.replace(old, new), name, "exec", flags, dont_inherit=True)
    exec(code, namespace)  # noqa: S102 - the library's own source, one line changed
    return namespace[function.__name__]


def cell_errors(model, seed=0, **functions):
    """Relative errors of the cell's gradients at step 2 (the errata's setting,
    :func:`errata.two_steps`), computed by ``model``'s ``_cell_backward`` with ``functions`` in
    place of the library's, against central differences of the cell's surrogate scalar:
    ``{gradient: error}``."""
    module = MODULES[model][0]
    caches, upstream = two_steps(model, seed)
    with replaced(module, **functions):
        grads = module._cell_backward(*upstream, caches[1])
    return _cell_errors(model, grads, seed)


def loss_errors(model, sizes=SIZES, seed=0, **functions):
    """Relative errors of the gradients of ``model``'s loss on a random problem of ``sizes``,
    computed with ``functions`` in place of the library's, against central differences of the
    true loss: ``{gradient: error}``."""
    module, loss = MODULES[model]
    x, y, a0, parameters = problem = random_problem(model, **sizes, seed=seed)
    with replaced(module, **functions):
        _, grads = loss(*problem)
    arrays = {**{"d" + k: v for k, v in parameters.items()}, "dx": x, "da0": a0}
    return gradient_check(lambda: loss(*problem)[0], arrays, grads)


def failing(errors):
    """The names of the gradients whose relative error is above ``PUBLISHED_FAILS_ABOVE``; every
    other error must be below ``GRADIENT_CHECK_TOLERANCE`` (AssertionError otherwise: a gradient
    that neither passes nor fails clearly proves nothing either way)."""
    clear = lambda e: e < GRADIENT_CHECK_TOLERANCE or e > PUBLISHED_FAILS_ABOVE  # noqa: E731
    unclear = {k: e for k, e in errors.items() if not clear(e)}
    if unclear:
        raise AssertionError(f"neither a clear pass nor a clear fail: {unclear}")
    return {k for k, e in errors.items() if e > PUBLISHED_FAILS_ABOVE}


def outcome(errors):
    """The relative errors, each with its verdict, and a sentence naming the gradients that fail."""
    fails = failing(errors)
    rows = [(f"`{k}`", f"{e:.1e}", "**fails**" if k in fails else "passes") for k, e in errors.items()]
    named = ", ".join(f"`{k}`" for k in errors if k in fails) or "none"
    lines = [table(["gradient", "relative error vs central differences", "verdict"], rows).data, "",
             f"Fail: {named}; every other gradient passes."]  # fmt: skip
    return Markdown("\n".join(lines))


def derived_shape(key, steps=False):
    """The shape of the left-hand side of the derived result ``key`` (SymPy sizes), with a third
    axis of ``T_x`` for a quantity the library stacks over the steps (``steps``)."""
    shape = tuple(derivations.get(key).lhs.shape)
    return (*shape, T_x) if steps else shape


def at(shape, sizes):
    """A shape of SymPy sizes at ``sizes`` ({"n_x": 3, ...}): a tuple of ints."""
    values = {s: sizes[s.name] for d in shape for s in getattr(d, "free_symbols", ())}
    return tuple(int(d.subs(values)) if hasattr(d, "subs") else int(d) for d in shape)


def glue_shapes(name, shapes, sizes):
    """Glue each ``{quantity: shape}`` as ``name-quantity``, inline math "(n_a, n_a + n_x) =
    (5, 8)", and return the table of the shapes in sizes and in numbers."""
    rows = []
    for quantity, shape in shapes.items():
        numbers = str(at(shape, sizes)).replace(",)", ")")
        glue_math(f"{name}-{quantity}", f"{shape_latex(shape)} = {numbers}")
        rows.append((f"`{quantity}`", f"${shape_latex(shape)}$", f"{numbers}"))
    return table(["quantity", "shape", "here"], rows)


def _by_layer(tree):
    """A stack's or a bidirectional network's per-layer dicts (parameters or gradients), by name:
    ``{"layer 1": ..., ...}`` from ``tree["layers"]``, or ``{"forward": ..., "backward": ...}``."""
    if "layers" in tree:
        return {f"layer {l}": d for l, d in enumerate(tree["layers"], 1)}
    return {d: tree[d] for d in ("forward", "backward")}


def layers_loss_errors(loss, module, problem, cell, **functions):
    """Relative errors of the gradients of a network of several layers, ``loss``
    (:func:`rnnlstm.deep_loss` or :func:`rnnlstm.birnn_loss`) of ``cell`` on ``problem`` (``x, y,
    a0, parameters`` as :func:`rnnlstm.problems.random_deep_problem` or
    :func:`rnnlstm.problems.random_bidirectional_problem` draw them), computed with ``functions``
    in place of ``module``'s, against central differences of the true loss: ``{gradient: error}``,
    a layer's gradients named after the layer ("layer 1: dWax", "backward: da0"), then ``dWy``,
    ``dby`` and ``dx``."""
    x, y, a0, parameters = problem
    with replaced(module, **functions):
        _, grads = loss(x, y, a0, parameters, cell)
    arrays, analytic = {}, {}
    layers = zip(_by_layer(parameters).items(), _by_layer(grads).values(), a0, grads["da0"])
    for (name, p), g, state, da0 in layers:
        arrays.update({f"{name}: d{k}": v for k, v in p.items()} | {f"{name}: da0": state})
        analytic.update({f"{name}: d{k}": g["d" + k] for k in p} | {f"{name}: da0": da0})
    for key, array in (("dWy", parameters["Wy"]), ("dby", parameters["by"]), ("dx", x)):
        arrays[key], analytic[key] = array, grads[key]
    return gradient_check(lambda: loss(x, y, a0, parameters, cell)[0], arrays, analytic)
