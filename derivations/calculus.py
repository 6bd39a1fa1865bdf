"""The chain rule, one node at a time.

A network is a composition of three kinds of node: a linear map (``W a + b``), an elementwise
function (``tanh``, ``σ``) and the softmax/cross-entropy output. For a node ``Y = f(X)`` and the
upstream gradient ``dY = ∂J/∂Y``, the gradient that flows into ``X`` is

    dX = ∂/∂X tr(dYᵀ f(X)),

the vector–Jacobian product. SymPy's matrix calculus computes it reliably for a single node; for
whole chains it can silently return 0 (see the toolchain notes), so we never ask it for more than
one node at a time and compose the results by substitution. Every composed result is then checked
entry by entry in :mod:`derivations.bruteforce`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .notation import display, latex


class DerivationError(RuntimeError):
    """A derivation step gave a result that cannot be right (a silent zero, an unresolved variable)."""


@dataclass(frozen=True)
class Derived:
    """One derived equation: ``lhs = rhs``, with the rule that produced it.

    ``name`` is the name the same quantity has in :mod:`rnnlstm` and in the book.
    """

    name: str
    lhs: sp.Basic
    rhs: sp.Basic
    rule: str

    @property
    def latex(self) -> str:
        return f"{latex(self.lhs)} = {latex(self.rhs)}"

    @property
    def display(self) -> str:
        """The equation as a page displays it: a long sum on aligned lines (:func:`notation.display`)."""
        return display(self.lhs, self.rhs)


def vjp(output, wrt, upstream):
    """∂/∂wrt tr(upstreamᵀ output): the gradient reaching ``wrt`` through the node ``output``."""
    result = sp.Trace(upstream.T * output).diff(wrt)
    if result == 0 or isinstance(result, sp.ZeroMatrix):
        if output.has(wrt):
            raise DerivationError(f"d/d{wrt} of {output} came out as 0 although it depends on {wrt}")
    return result


def linear_vjps(node_def, upstream, targets, node_name):
    """The gradients through one linear node: ``[(key, wrt, lhs), ...]`` to ``Derived`` results."""
    return [
        Derived(key, lhs, vjp(node_def, wrt, upstream), f"vjp of the linear map {node_name} w.r.t. {wrt.name}")
        for key, wrt, lhs in targets
    ]


@functools.cache
def local_derivative(f):
    """f′ written as a function of the value v = f(s): ``Lambda(v, f′(f⁻¹(v)))``.

    For ``tanh`` this is ``v ↦ 1 − v²``: the derivative from the cached activation alone.
    """
    s, v = sp.Dummy("s", real=True), sp.Dummy("v", real=True)
    value = f(s)
    derivative = sp.diff(value, s).subs(value, v)  # tanh' = 1 - tanh²: f appears in f' as is
    definition = value.rewrite(sp.exp)  # σ' = e^{-s}/(1 + e^{-s})²: solve v = σ(s) for e^{-s}
    for kernel in definition.atoms(sp.Function) - {value}:
        if derivative.has(s):
            u = sp.Dummy("u")
            solutions = sp.solve(sp.Eq(definition.subs(kernel, u), v), u)
            if len(solutions) == 1:
                derivative = derivative.subs(kernel, solutions[0])
    derivative = sp.factor_terms(sp.expand(sp.simplify(derivative)))  # 1 − v², v (1 − v)
    if derivative.has(s):
        raise DerivationError(f"{f}' could not be written in terms of f's value: {derivative}")
    return sp.Lambda(v, derivative)


def in_terms_of_value(gradient, pre, f, value):
    """Replace every elementwise ``f′(pre)`` in ``gradient`` by ``local_derivative(f)(value)``.

    Checks that the replaced node really is f′: the derivative of ``f`` at a fresh point.
    """
    s = sp.Dummy("s", real=True)
    expected = sp.diff(f(s), s)
    written_back = local_derivative(f)

    def rewrite(node):
        if sp.simplify(node.function(s) - expected) != 0:
            raise DerivationError(f"{node.function} is not the derivative of {f}")
        return ElementwiseApplyFunction(written_back, value)

    def is_f_prime(node):
        return isinstance(node, ElementwiseApplyFunction) and node.expr == pre

    result = gradient.replace(is_f_prime, rewrite)
    if result.has(pre):
        raise DerivationError(f"{gradient} still depends on {pre} after writing f' back")
    return result
