"""The value of a derived matrix expression at explicit matrices.

With SymPy matrices the arithmetic is exact; with numpy float arrays it is the lambdified formula
that the tests compare with :mod:`rnnlstm`; with numpy object arrays of ``mpmath.mpf`` it runs at
mpmath's working precision (the brute-force cross-checks, where exact arithmetic through several
time steps builds expressions too large to be practical). SymPy's own ``lambdify`` and
``doit`` do not handle elementwise functions and all-ones matrices of symbolic size, so this walks
the expression tree itself: one rule per node kind, nothing else.
"""

from __future__ import annotations

from functools import cache

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction


def evaluate(expr, values):
    """Evaluate the matrix expression ``expr`` with ``values[symbol]`` for each ``MatrixSymbol``.

    Parameters
    ----------
    expr : sympy matrix expression
    values : dict mapping ``MatrixSymbol`` to a 2-D ``numpy.ndarray`` (float, or object holding
        ``mpmath.mpf``) or to a ``sympy.Matrix`` (exact); one kind for all.

    Returns
    -------
    numpy.ndarray or sympy.Matrix, of shape ``expr.shape`` with the dimensions bound by ``values``.
    """
    exact = all(isinstance(v, sp.MatrixBase) for v in values.values())
    mp = not exact and any(v.dtype == object for v in values.values())
    dims = _bind_dimensions(tuple((symbol, value.shape) for symbol, value in values.items()))

    def size(d):
        return int(d) if d.is_Integer else dims[d] if d in dims else int(d.xreplace(dims))

    def ev(node):
        if isinstance(node, sp.MatrixSymbol):
            if node not in values:
                raise KeyError(f"no value for {node.name}")
            return values[node]
        if isinstance(node, sp.OneMatrix):
            r, c = size(node.rows), size(node.cols)
            return sp.ones(r, c) if exact else np.ones((r, c))
        if isinstance(node, sp.ZeroMatrix):
            r, c = size(node.rows), size(node.cols)
            return sp.zeros(r, c) if exact else np.zeros((r, c))
        if isinstance(node, sp.MatAdd):
            total = ev(node.args[0])
            for arg in node.args[1:]:
                total = total + ev(arg)
            return total
        if isinstance(node, sp.MatMul):
            coeff, factors = node.as_coeff_matrices()
            product = ev(factors[0])
            for f in factors[1:]:
                product = product * ev(f) if exact else product @ ev(f)
            if coeff == 1:
                return product
            c = sp.sympify(coeff).xreplace(dims)
            return product * (c if exact else mpmath.mpf(c.p) / c.q if mp else float(c))
        if isinstance(node, sp.DiagMatrix):  # diag(v) of a column v
            v = ev(node.args[0])
            return sp.diag(*v) if exact else np.diagflat(v)
        if isinstance(node, sp.Identity):
            return sp.eye(size(node.rows)) if exact else np.eye(size(node.rows))
        if isinstance(node, sp.Transpose):
            return ev(node.arg).T
        if isinstance(node, sp.HadamardProduct):
            product = ev(node.args[0])
            for arg in node.args[1:]:
                product = product.multiply_elementwise(ev(arg)) if exact else product * ev(arg)
            return product
        if isinstance(node, ElementwiseApplyFunction):
            inner = ev(node.expr)
            if exact:
                return inner.applyfunc(node.function)
            if mp:
                return np.vectorize(_lambdified(node.function, "mpmath"), otypes=[object])(inner)
            return _lambdified(node.function, "numpy")(inner) * np.ones_like(inner)
        if isinstance(node, sp.BlockMatrix):  # blocks side by side and one above the other
            rows = [[ev(block) for block in row] for row in node.blocks.tolist()]
            if exact:
                return sp.Matrix.vstack(*(sp.Matrix.hstack(*row) for row in rows))
            return np.block(rows)
        if hasattr(node, "columnwise"):  # output.Softmax
            return node.columnwise(ev(node.args[0]), exact)
        raise TypeError(f"no evaluation rule for {type(node).__name__}: {node}")

    return ev(expr)


@cache
def _lambdified(function, module):
    """The elementwise ``function`` (a SymPy ``Lambda``) as a function of an array, compiled once."""
    v = sp.Dummy("v")
    return sp.lambdify(v, function(v), module)


@cache
def _bind_dimensions(shapes):
    """Dimension symbols (n_a, m, ...) from the shapes ``((symbol, shape), ...)`` of the given
    matrices; conflicts are errors. The same shapes bind the same way: computed once.

    A compound dimension such as n_a + n_x is checked once its symbols are bound.
    """
    dims, compound = {}, []
    for symbol, shape in shapes:
        for d, actual in zip(symbol.shape, shape):
            if d.is_Symbol:
                if dims.setdefault(d, actual) != actual:
                    raise ValueError(f"{symbol.name} has {d} = {actual}, but another value has {d} = {dims[d]}")
            elif not d.is_Integer:
                compound.append((symbol, d, actual))
            elif int(d) != actual:
                raise ValueError(f"{symbol.name} must have {d} along an axis, got {actual}")
    for symbol, d, actual in compound:
        expected = d.xreplace(dims)
        if expected.is_Integer and int(expected) != actual:
            raise ValueError(f"{symbol.name} must have {d} = {expected} along an axis, got {actual}")
    return dims
