"""The shapes of a derived equation's factors: the course's quickest check of a gradient.

For ``dW_ax⟨t⟩ = dz⟨t⟩ x⟨t⟩ᵀ`` the check is ``(n_a, m)(m, n_x) → (n_a, n_x)``: each matrix
product's factors, a transpose as the transposed shape, and the shape the right-hand side comes
out with, which must be the left-hand side's. Walking the right-hand side, :func:`shape_check`
computes every shape itself (a ``MatMul``'s ``shape`` in SymPy is its first rows and last
columns, whether or not the factors fit) and raises ``DerivationError`` where they do not compose.
The sizes n_x, n_a, n_y, m are independent symbols: n_a and n_x are different sizes here, as
they are in general, so ``dz⟨t⟩ x⟨t⟩`` does not compose although SymPy builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .calculus import DerivationError, Derived
from .notation import latex, printed_order
from .output import Softmax


@dataclass(frozen=True)
class _Shaped:
    """A subexpression's check: ``tex`` its factors' shapes, ``shape`` what it comes out as, and
    ``operation`` whether it contains a product, a sum over examples or over steps (otherwise every
    operand is elementwise and ``tex`` is just the shape)."""

    tex: str
    shape: tuple
    operation: bool


def shape_latex(shape) -> str:
    """``(n_a, m)``, ``(n_a + n_x, m)``: a shape in the course's sizes."""
    return "(" + ", ".join(latex(s) for s in shape) + ")"


def _leaf(shape) -> _Shaped:
    return _Shaped(shape_latex(shape), tuple(shape), False)


def _elementwise(operands, what, sum_of_terms) -> _Shaped:
    """Operands that must all share one shape: the factors of an ⊙ product, the terms of a sum."""
    if len({o.shape for o in operands}) != 1:
        raise DerivationError(f"the operands of {what} differ in shape: {', '.join(o.tex for o in operands)}")
    if not any(o.operation for o in operands):
        return _leaf(operands[0].shape)
    texts = [o.tex if sum_of_terms else _factor(o) for o in operands]
    if not sum_of_terms:
        return _Shaped(r" \odot ".join(texts), operands[0].shape, True)
    kinds = list(dict.fromkeys(texts))
    if len(kinds) == len(texts):
        return _Shaped(" + ".join(texts), operands[0].shape, True)
    # terms alike (the four gates' W_gᵀ dz_g): each kind once
    return _Shaped(r"\text{each term } " + r" \text{ or } ".join(kinds), operands[0].shape, True)


def _factor(shaped: _Shaped) -> str:
    return rf"\left({shaped.tex}\right)" if shaped.operation else shaped.tex


def _matmul(expr) -> _Shaped:
    _, factors = expr.as_coeff_matrices()  # a scalar coefficient leaves the shape as it is
    ones = factors[-1] if isinstance(factors[-1], sp.OneMatrix) else None
    if ones is not None and len(factors) == 2 and ones.shape[0] == 1:  # b 1ᵀ
        bias = _shaped(factors[0])
        if bias.shape[1] != 1:
            raise DerivationError(f"{latex(expr)}: only a column is broadcast over columns, not {bias.tex}")
        tex = rf"{_factor(bias)} \text{{ broadcast over }} {latex(ones.shape[1])} \text{{ columns}}"
        return _Shaped(tex, (bias.shape[0], ones.shape[1]), True)
    if ones is not None and ones.shape[1] == 1:  # X 1: the sum over the examples, X's columns
        summand = _shaped(sp.MatMul(*factors[:-1]))
        if summand.shape[1] != ones.shape[0]:
            columns = latex(ones.shape[0])
            raise DerivationError(f"{latex(expr)}: {summand.tex} has not the {columns} columns summed")
        tex = rf"{_factor(summand)} \text{{ summed over }} i"  # the printer's Σ_{i=1}^{m}
        return _Shaped(tex, (summand.shape[0], sp.S.One), True)
    shaped = [_shaped(f) for f in factors]
    if len(shaped) == 1:
        return shaped[0]
    for left, right in zip(shaped, shaped[1:]):
        if left.shape[1] != right.shape[0]:
            raise DerivationError(f"{latex(expr)}: the product {left.tex} {right.tex} does not compose")
    return _Shaped("".join(_factor(s) for s in shaped), (shaped[0].shape[0], shaped[-1].shape[1]), True)


def _blocks(expr) -> _Shaped:
    """Blocks side by side (``\\;\\;`` between them) and one above the other (``;``): the blocks
    of a row share their rows, those of a column their columns."""
    grid = [[_shaped(block) for block in row] for row in expr.blocks.tolist()]
    for row in grid:
        if len({b.shape[0] for b in row}) != 1:
            raise DerivationError(f"{latex(expr)}: the blocks side by side differ in rows: {', '.join(b.tex for b in row)}")
    for column in zip(*grid):
        if len({b.shape[1] for b in column}) != 1:
            raise DerivationError(f"{latex(expr)}: the blocks one above the other differ in columns")
    tex = "; ".join(r" \;\; ".join(b.tex for b in row) for row in grid)
    shape = (sp.Add(*(row[0].shape[0] for row in grid)), sp.Add(*(b.shape[1] for b in grid[0])))
    return _Shaped(rf"\left[{tex}\right]", shape, True)


def _shaped(expr) -> _Shaped:
    if isinstance(expr, (sp.MatrixSymbol, sp.OneMatrix)):
        return _leaf(expr.shape)
    if isinstance(expr, sp.Transpose):
        inner = _shaped(expr.arg)
        shape = inner.shape[::-1]
        return _Shaped(rf"{_factor(inner)}^{{T}}", shape, True) if inner.operation else _leaf(shape)
    if isinstance(expr, sp.MatMul):
        return _matmul(expr)
    if isinstance(expr, sp.HadamardProduct):
        return _elementwise([_shaped(a) for a in printed_order(expr)], latex(expr), sum_of_terms=False)
    if isinstance(expr, sp.MatAdd):
        return _elementwise([_shaped(a) for a in printed_order(expr)], latex(expr), sum_of_terms=True)
    if isinstance(expr, ElementwiseApplyFunction):
        return _shaped(expr.expr)
    if isinstance(expr, Softmax):  # column by column
        return _shaped(expr.args[0])
    if isinstance(expr, sp.BlockMatrix):
        return _blocks(expr)
    if isinstance(expr, sp.Sum):  # Σ_t: a total over the steps has each step's shape
        inner = _shaped(expr.function)
        steps = ", ".join(latex(limit[0]) for limit in expr.limits)
        return _Shaped(rf"\sum_{{{steps}}} {inner.tex}", inner.shape, True)
    raise DerivationError(f"no shape rule for {type(expr).__name__}: {latex(expr)}")


def shape_check(derived: Derived) -> str:
    """The LaTeX of ``derived``'s shape check, one line: ``(n_a, m)(m, n_x) \\to (n_a, n_x)``.

    A matrix product shows its factors' shapes (a transpose as the transposed shape), a sum over
    the examples its matrix "summed over i" (its m columns), a bias its column "broadcast over m
    columns", a total over the steps ``\\sum_{t}`` before one step's check. A sum of terms joins
    their checks with ``+``; where terms are alike (the four gates' ``W_gᵀ dz_g``) it shows each
    kind once: "each term ... or ...". An equation with elementwise operations only reads
    ``\\text{all } (n_a, m)``: every operand has that shape.

    Raises
    ------
    DerivationError
        When a product's factors do not fit, operands of ⊙ or of a sum differ in shape, or the
        right-hand side's shape is not the left-hand side's.
    """
    try:
        rhs = _shaped(derived.rhs)
    except DerivationError as error:
        raise DerivationError(f"{derived.name}: {error}") from None
    lhs = tuple(derived.lhs.shape)
    if rhs.shape != lhs:
        raise DerivationError(
            f"{derived.name}: the right-hand side comes out as {shape_latex(rhs.shape)}, "
            f"the left-hand side {latex(derived.lhs)} is {shape_latex(lhs)}"
        )
    if not rhs.operation:
        return rf"\text{{all }} {rhs.tex}"
    return rf"{rhs.tex} \to {shape_latex(lhs)}"
