"""The course's notation: dimensions, quantities, and a LaTeX printer that writes them.

Superscripts follow *Sequence Models*: ``(i)`` the example, ``[l]`` the layer, ``⟨t⟩`` the time
step, in that order; a subscript after the base is a vector's entry. ``dX`` is ∂J/∂X, with the
shape of ``X``. Every quantity is a SymPy ``MatrixSymbol`` whose columns are the ``m`` examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter

n_x, n_a, n_y, m, T_x = sp.symbols("n_x n_a n_y m T_x", integer=True, positive=True)
t = sp.Symbol("t", integer=True, positive=True)


def superscript(example=None, layer=None, time=None) -> str:
    """The course's superscript: ``(i)`` then ``[l]`` then ``⟨t⟩``, each only when given."""
    parts = []
    if example is not None:
        parts.append(f"({example})")
    if layer is not None:
        parts.append(f"[{layer}]")
    if time is not None:
        parts.append(rf"\langle {time} \rangle")
    return "".join(parts)


@dataclass(frozen=True)
class Quantity:
    """How one ``MatrixSymbol`` is written: its base (``W_{aa}``) and its superscripts."""

    base: str
    example: str | None = None
    layer: str | None = None
    time: str | None = None

    def latex(self, extra: str = "", example: str | None = None, entry: str | None = None) -> str:
        """``base_entry^{(i)[l]⟨t⟩ extra}``; ``extra`` is ``T`` for a transpose."""
        sup = " ".join(filter(None, [superscript(example or self.example, self.layer, self.time), extra]))
        base = f"{self.base}_{{{entry}}}" if entry else self.base
        return f"{base}^{{{sup}}}" if sup else base


_QUANTITIES: dict[str, Quantity] = {}


def quantity(name, base, rows, cols, *, time=None, layer=None, example=None):
    """A ``MatrixSymbol`` called ``name`` (the code's name) that prints as ``base`` with superscripts.

    >>> latex(quantity("a_prev", "a", n_a, m, time="t-1"))
    'a^{\\\\langle t-1 \\\\rangle}'
    """
    q = Quantity(base, example, layer, time)
    if _QUANTITIES.setdefault(name, q) != q:
        raise ValueError(f"quantity {name!r} is already defined as {_QUANTITIES[name]}, not {q}")
    return sp.MatrixSymbol(name, rows, cols)


def written(symbol) -> Quantity:
    """How the quantity ``symbol`` (made by :func:`quantity`) is written: its base and superscripts."""
    return _QUANTITIES[symbol.name]


def _order(symbol) -> int:
    """Where ``symbol`` was defined among the quantities: the derivations define them in reading order."""
    names = list(_QUANTITIES)
    return names.index(symbol.name) if symbol.name in _QUANTITIES else len(names)


def in_reading_order(symbols) -> list:
    """``symbols`` in the order the derivations defined them, which is the order they print in."""
    return sorted(symbols, key=_order)


def _is_gradient(symbol) -> bool:
    return symbol.name in _QUANTITIES and _QUANTITIES[symbol.name].base.startswith("d")


def _is_gate(symbol) -> bool:
    return symbol.name in _QUANTITIES and _QUANTITIES[symbol.name].base.startswith(r"\Gamma")


def _factor_rank(arg) -> int:
    """0 for a gradient (or an expression holding one), 1 for a gate Γ, 2 for an expression of
    gates alone (1 − Γ_u), 3 for another quantity, 4 for anything else."""
    symbols = arg.atoms(sp.MatrixSymbol)
    if any(_is_gradient(s) for s in symbols):
        return 0
    if symbols and all(_is_gate(s) for s in symbols):
        return 1 if isinstance(arg, sp.MatrixSymbol) else 2
    return 3 if isinstance(arg, sp.MatrixSymbol) and arg.name in _QUANTITIES else 4


def _term_rank(term) -> tuple[int, int, int]:
    """A lone quantity first, then a term that carries a share from the next step
    (dc_{←t+1} ⊙ Γ_u before da ⊙ ..., as in dc⟨t⟩ = dc_{←t+1}⟨t⟩ + da ⊙ ...), then by the
    first-defined gradient the term carries; terms that tie (a forward definition's, which carry
    none) keep SymPy's order, which is the course's."""
    symbols = term.atoms(sp.MatrixSymbol)
    gradients = [_order(s) for s in symbols if _is_gradient(s)]
    share = any(r"\leftarrow" in _QUANTITIES[s.name].base for s in symbols if _is_gradient(s))
    return (0 if isinstance(term, sp.MatrixSymbol) else 1, 0 if share else 1, min(gradients, default=len(_QUANTITIES)))


def printed_order(expr) -> list:
    """The operands of a sum (``MatAdd``) or an ⊙ product in the order :class:`CoursePrinter`
    prints them, which anything written beside the equation follows."""
    return sorted(expr.args, key=_term_rank if isinstance(expr, sp.MatAdd) else _factor_rank)


def _is_ones(expr) -> bool:
    return isinstance(expr, sp.OneMatrix)


class CoursePrinter(LatexPrinter):
    """LaTeX in the course's notation: ``\\odot`` for elementwise products, ``^{T}`` transposes,
    biases broadcast over the ``m`` columns, sums over examples written as sums."""

    def _print_MatrixSymbol(self, expr):
        q = _QUANTITIES.get(expr.name)
        return q.latex() if q else super()._print_MatrixSymbol(expr)

    def _print_Transpose(self, expr):
        arg = expr.arg
        if isinstance(arg, sp.MatrixSymbol) and arg.name in _QUANTITIES:
            return _QUANTITIES[arg.name].latex(extra="T")
        return rf"\left({self._print(arg)}\right)^{{T}}"

    def _print_HadamardProduct(self, expr):
        """The factors in the course's order: the upstream gradient first, then the gates, then
        the rest (dc ⊙ Γ_f, Γ_f ⊙ c⟨t−1⟩, da ⊙ Γ_o ⊙ (1 − tanh²c)); SymPy's own order is alphabetical."""
        return r" \odot ".join(self._factor(arg) for arg in printed_order(expr))

    def _print_MatMul(self, expr):
        coeff, factors = expr.as_coeff_matrices()
        if len(factors) == 2 and _is_ones(factors[1]) and factors[1].shape[0] == 1:
            # b 1^T: a bias broadcast over the m columns is written b
            body = self._print(factors[0])
        elif _is_ones(factors[-1]) and factors[-1].shape[1] == 1:
            # X 1: the sum of X's columns, the sum over the m examples
            summand = factors[0] if len(factors) == 2 else sp.MatMul(*factors[:-1])
            body = r"\sum_{i=1}^{m} " + self._example(summand)
        else:
            body = " ".join(self._factor(f, matmul=True) for f in factors)
        if coeff == 1:
            return body
        if coeff == -1:
            return "- " + body
        return f"{self._print(coeff)} {body}"

    def _print_MatAdd(self, expr):
        """The terms in the course's order: a lone quantity first (dc_{←t+1} + ...), then by the
        gradient each term carries, in the order the derivations define them (the output's share
        dz_y before step t+1's; the gates f, u, c, o)."""
        terms = [self._print(arg) for arg in printed_order(expr)]
        out = terms[0]
        for term in terms[1:]:
            out += f" - {term[2:]}" if term.startswith("- ") else f" + {term}"
        return out

    def _print_DiagMatrix(self, expr):
        """diag(v): the square matrix with the column v on its diagonal."""
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_ElementwiseApplyFunction(self, expr):
        placeholder = sp.Dummy("s")
        body = expr.function(placeholder)
        inner = self._print(expr.expr)
        return _ElementwisePrinter(placeholder, inner, self._settings).doprint(body)

    def _factor(self, arg, matmul=False):
        """``arg`` as a factor, bracketed if it is a sum (or, in a matrix product, an ⊙ product; in
        an ⊙ product, a matrix product: (W_c[:, :n_a]ᵀ dz_c) ⊙ Γ_r)."""
        tex = self._print(arg)
        compound = (
            isinstance(arg, sp.MatAdd)
            or (isinstance(arg, ElementwiseApplyFunction) and arg.function(sp.Dummy()).is_Add)
            or (matmul and isinstance(arg, sp.HadamardProduct))
            or (not matmul and isinstance(arg, sp.MatMul))
        )
        return rf"\left({tex}\right)" if compound else tex

    def _example(self, arg):
        if isinstance(arg, sp.MatrixSymbol) and arg.name in _QUANTITIES:
            return _QUANTITIES[arg.name].latex(example="i")
        return rf"\left({self._print(arg)}\right)^{{(i)}}"


class _ElementwisePrinter(LatexPrinter):
    """Prints a scalar function body with its variable replaced by a matrix, applied elementwise."""

    def __init__(self, placeholder, inner, settings):
        super().__init__({k: v for k, v in settings.items() if k in self._default_settings})
        self._placeholder, self._inner = placeholder, inner

    def _print_Dummy(self, expr):
        if expr == self._placeholder:
            return self._inner
        return super()._print_Dummy(expr)

    def _print_Pow(self, expr):
        if expr.base == self._placeholder and expr.exp.is_Integer and expr.exp > 0:
            return rf"\left({self._inner}\right)^{{{expr.exp}}}"
        return super()._print_Pow(expr)

    def _print_Mul(self, expr):
        """A product of two or more factors of the matrix is elementwise: ``Γ ⊙ (1 − Γ)``, never
        ``Γ (1 − Γ)``, which the book's notation reads as a matrix product."""
        factors = expr.as_ordered_factors()  # in the order LaTeX prints them: Γ before (1 − Γ)
        elementwise = [f for f in factors if f.has(self._placeholder)]
        if len(elementwise) < 2:
            return super()._print_Mul(expr)
        body = r" \odot ".join(rf"\left({self._print(f)}\right)" if f.is_Add else self._print(f) for f in elementwise)
        scalar = sp.Mul(*(f for f in factors if not f.has(self._placeholder)))
        if scalar == 1:
            return body
        return f"- {body}" if scalar == -1 else f"{self._print(scalar)} {body}"


def display(lhs, rhs, per_line: int = 2, at_least: int = 4) -> str:
    """``lhs = rhs`` for a displayed equation: one line, or, for a sum of ``at_least`` terms or
    more, an aligned block of ``per_line`` terms a line (the first line takes the odd one out:
    the output's share of da⟨t⟩ alone, then the gates two by two), so that it fits a page's column."""
    if not isinstance(rhs, sp.MatAdd) or len(rhs.args) < at_least:
        return f"{latex(lhs)} = {latex(rhs)}"
    terms = [latex(term) for term in printed_order(rhs)]
    signed = [terms[0], *(f"- {t[2:]}" if t.startswith("- ") else f"+ {t}" for t in terms[1:])]
    first = len(signed) % per_line or per_line
    lines = [signed[:first], *(signed[i : i + per_line] for i in range(first, len(signed), per_line))]
    body = r" \\ &\quad ".join(" ".join(line) for line in lines)
    return rf"\begin{{aligned}} {latex(lhs)} &= {body} \end{{aligned}}"


def latex(expr) -> str:
    """LaTeX for a SymPy expression in the course's notation."""
    return CoursePrinter({"mul_symbol": None}).doprint(expr)
