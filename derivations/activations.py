"""The logistic sigmoid as a SymPy function: printed σ, differentiated exactly, evaluated anywhere.

SymPy has no sigmoid of its own; writing 1/(1 + e^{−s}) everywhere would print and simplify
badly. σ′ = σ(1 − σ) is not declared here: SymPy derives it from the definition in ``fdiff``.
"""

from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):  # noqa: N801 - a SymPy function, named like sympy.tanh
    """σ(s) = 1 / (1 + e^{−s})."""

    @classmethod
    def eval(cls, s):
        if s.is_zero:
            return sp.Rational(1, 2)

    def fdiff(self, argindex=1):
        return _DERIVATIVE(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real  # σ maps the reals into (0, 1): SymPy need not work it out

    def _eval_rewrite_as_exp(self, s, **kwargs):
        return 1 / (1 + sp.exp(-s))

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _mpmathcode(self, printer):
        return f"(1/(1 + {printer._module_format('mpmath.exp')}(-({printer._print(self.args[0])}))))"

    def _numpycode(self, printer):
        return f"(1/(1 + {printer._module_format('numpy.exp')}(-({printer._print(self.args[0])}))))"


_s = sp.Dummy("s")
_DERIVATIVE = sp.Lambda(_s, sp.diff(1 / (1 + sp.exp(-_s)), _s))  # SymPy differentiates the definition
