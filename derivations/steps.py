"""Where each node's rule comes from: one worked derivation per kind of node, step by step.

:mod:`derivations.calculus` derives every gradient of the chapters as a vector–Jacobian product of
one node, with SymPy's matrix calculus. This module shows how each of those rules arises from the
chain rule on entries. SymPy works on explicit components of small sizes (:data:`SIZES`), each
entry a symbol of its own, and the steps of a node are:

1. the node entry by entry, and the loss J as a function of the node's output entries (J depends
   on the node's inputs only through them);
2. the chain rule for one entry: SymPy differentiates J and finds the output entries that contain
   it; each ∂J/∂(output entry) is the upstream gradient's entry;
3. the same for every entry, as one index pattern, which must reproduce SymPy's derivative of every
   entry of the small case;
4. the pattern read as an entry of a matrix product (or of an elementwise product);
5. the matrix form, which is the rule the chapters use (:func:`calculus.vjp`): it must equal the
   form read in step 4 on the symbolic components, and SymPy's chain rule of step 2 on exact
   rationals.

The softmax with the cross-entropy has no node in SymPy's matrix calculus: its Jacobian, the chain
rule through it and the collapse of the sum by Σ_k y_k = 1 are derived on components, and the
matrix form is :func:`output.derive_dzy`'s.

A disagreement anywhere raises :class:`~derivations.calculus.DerivationError`. Index letters follow
the course: a subscript is a vector's entry (j, k, l), the superscript (i) the example. Capital
letters are a generic node's matrices, whose column i is the example's vector: Z has the columns
z^{(i)}, with the entries z_j^{(i)}. All five derivations take about 1.5 s.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from . import output
from .activations import sigmoid
from .calculus import DerivationError, in_terms_of_value, local_derivative, vjp
from .evaluate import evaluate
from .notation import CoursePrinter, m, n_y, quantity

n_in, n_out = sp.symbols("n_in n_out", integer=True, positive=True)
SIZES = {n_out: 2, n_in: 3, m: 2, n_y: output.K}  # the components SymPy works on; n_y: the softmax's classes, as many as output.py derives dz_y with
i, j, k, l = sp.symbols("i j k l", integer=True, positive=True)  # (i) the example; j, k, l entries
J = sp.Symbol("J")
LOSS = sp.Symbol(r"\mathcal{L}")  # the loss of one example; J is the mean of the m examples' losses
f = sp.Function("f")  # any elementwise activation
s = sp.Symbol("s", real=True)  # the argument of an activation

# How entries print: an IndexedBase's name → (LaTeX, whether its columns are the examples, rank). A
# product of entries is printed in the order of the matrix forms, by rank: weights (0), gradients
# (1), gates (2), the rest (3): W_{jk} dz_j^{(i)}, dz_j^{(i)} x_k^{(i)}, dc_j^{(i)} g_j^{(i)}.
_ENTRIES: dict[str, tuple[str, bool, int]] = {}
_BASES: dict[str, sp.IndexedBase] = {}  # a generic matrix's name → the IndexedBase of its entries


def _generic(name, tex, rows, cols, entry_tex, rank=3):
    """A generic node's matrix ``node_name``, printed ``tex``; its entries ``name[r, c]`` are printed
    ``entry_tex`` with the row as a subscript and, when its columns are the m examples, the column as
    the superscript (i)."""
    _ENTRIES[name] = (entry_tex, cols == m, rank)
    _BASES[f"node_{name}"] = sp.IndexedBase(name)
    return quantity(f"node_{name}", tex, rows, cols)


def entries(matrix):
    """The ``IndexedBase`` of a generic matrix's entries."""
    return _BASES[matrix.name]


# The linear map Z = W X + b 1ᵀ, the activation A = f(Z), the product P = G ⊙ A of a gate G and A
# (P, not C: c is the LSTM's memory cell)
W = _generic("W", "W", n_out, n_in, "W", rank=0)
X = _generic("X", "X", n_in, m, "x")
b = _generic("b", "b", n_out, 1, "b")
Z = _generic("Z", "Z", n_out, m, "z")
A = _generic("A", "A", n_out, m, "a")
G = _generic("G", "G", n_out, m, "g", rank=2)
P = _generic("P", "P", n_out, m, "p")
dZ, dA, dP = (_generic(f"d{q}", f"d{q}", n_out, m, f"d{q.lower()}", rank=1) for q in "ZAP")
# The output layer: Ŷ = softmax(Z) with n_y classes; one example's vectors z, ŷ, y have no (i)
Zy = _generic("Zy", "Z", n_y, m, "z")
dZy = _generic("dZy", "dZ", n_y, m, "dz", rank=1)
Yhat = _generic("Yhat", r"\hat{Y}", n_y, m, r"\hat{y}")
Y = _generic("Y", "Y", n_y, m, "y")
z1, yhat1, y1 = (sp.IndexedBase(name) for name in ("z1", "yhat1", "y1"))
_ENTRIES.update({"z1": ("z", False, 3), "yhat1": (r"\hat{y}", False, 3), "y1": ("y", False, 3)})


@dataclass(frozen=True)
class Step:
    """One step ``lhs = rhs`` of a derivation; ``rule`` says what was applied (Markdown, math in $)."""

    key: str
    lhs: sp.Basic
    rhs: sp.Basic
    rule: str

    @property
    def latex(self) -> str:
        return f"{latex(self.lhs)} = {latex(self.rhs)}"


@dataclass(frozen=True)
class Derivation:
    """The steps of one node's rule, in order; ``derivation[key]`` is one of them."""

    node: str
    steps: tuple[Step, ...]

    def __getitem__(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"no step {key!r} in the {self.node} derivation; its steps: {[s.key for s in self.steps]}")


class EntryPrinter(CoursePrinter):
    """The course's notation with entries: z_j^{(i)}, W_{jk}, b_j; ∂J/∂W_{jk}; f′(z); (dZ X^T)_{jk}."""

    _NAMES = {sp.tanh: r"\tanh", sigmoid: r"\sigma"}

    def _print_Indexed(self, expr):
        tex, per_example, _ = _ENTRIES[expr.base.name]
        index = [self._print(a) for a in expr.indices]
        if per_example:
            return f"{tex}_{{{index[0]}}}^{{({index[1]})}}"
        return f"{tex}_{{{''.join(index)}}}"

    def _print_Derivative(self, expr):
        [(var, _)] = expr.variable_count
        if isinstance(expr.expr, sp.Function) and expr.expr.args == (var,):  # f′(s)
            return rf"{self._prime(expr.expr)}\left({self._print(var)}\right)"
        return rf"\frac{{\partial {self._print(expr.expr)}}}{{\partial {self._print(var)}}}"

    def _print_ElementwiseApplyFunction(self, expr):
        body = expr.function(s)
        if isinstance(body, sp.Derivative) and body.expr.args == (s,):  # f′ of a matrix
            return rf"{self._prime(body.expr)}\left({self._print(expr.expr)}\right)"
        return super()._print_ElementwiseApplyFunction(expr)

    def _print_MatrixElement(self, expr):
        return rf"\left({self._print(expr.parent)}\right)_{{{self._print(expr.i)}{self._print(expr.j)}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        return rf"\delta_{{{self._print(expr.args[0])}{self._print(expr.args[1])}}}"

    def _print_Mul(self, expr):
        """A product in the order of the matrix forms (by rank), a scalar such as 1/m first and a sum
        last: ``\\frac{1}{m} W_{jk} dz_j^{(i)}``, ``\\hat{y}_k (δ_{jk} − \\hat{y}_j)``, ``σ(s) (1 − σ(s))``;
        a quotient of entries or functions as SymPy writes it."""
        coeff, factors = expr.as_coeff_mul()
        scalar = [f for f in factors if not f.has(sp.Indexed, sp.Function)]
        ordered = sorted((f for f in factors if f.has(sp.Indexed, sp.Function)), key=_rank)
        if not ordered or any(f.is_Pow and f.exp.is_negative for f in ordered):
            return super()._print_Mul(expr)
        parts = [self._print(sp.Mul(*scalar))] if scalar else []
        parts += [rf"\left({self._print(f)}\right)" if f.is_Add else self._print(f) for f in ordered]
        body = " ".join(parts)
        return body if coeff == 1 else f"- {body}" if coeff == -1 else f"{self._print(coeff)} {body}"

    def _print_Add(self, expr, order=None):
        """Sums first, then the other positive terms, then the negative ones: ŷ_j − y_j, not −y_j + ŷ_j."""
        terms = self._as_ordered_terms(expr, order)
        terms = sorted(terms, key=lambda t: (t.could_extract_minus_sign(), not t.has(sp.Sum)))
        return super()._print_Add(sp.Add(*terms, evaluate=False), order="none")

    def _example(self, arg):
        """The column i of a generic matrix: dZ has the columns dz^{(i)}."""
        if isinstance(arg, sp.MatrixSymbol) and arg.name in _BASES:
            tex, per_example, _ = _ENTRIES[_BASES[arg.name].name]
            if per_example:
                return f"{tex}^{{(i)}}"
        return super()._example(arg)

    def _prime(self, applied):
        return self._NAMES.get(type(applied), type(applied).__name__) + "'"


def _rank(factor):
    """Where a factor goes in a product: an entry by its rank, a function after it, a sum last."""
    if isinstance(factor, sp.Indexed):
        return _ENTRIES[factor.base.name][2]
    return 4 if factor.is_Add or isinstance(factor, sp.Sum) else 3


def latex(expr) -> str:
    """LaTeX of one side of a step: entries, partial derivatives and matrices in the course's notation."""
    return EntryPrinter({"mul_symbol": None}).doprint(expr)


def _listed(exprs) -> str:
    return ", ".join(f"${latex(e)}$" for e in exprs)


def _sizes(*dimensions) -> str:
    return ", ".join(f"${sp.latex(d)} = {SIZES[d]}$" for d in dimensions)


# The small case and the checks


def components(matrix):
    """The explicit matrix of a generic matrix's entries at :data:`SIZES`, indices from 1 as printed."""
    base = entries(matrix)
    rows, cols = (int(d.xreplace(SIZES)) for d in matrix.shape)
    if cols == 1:
        return sp.Matrix(rows, 1, lambda r, _: base[r + 1])
    return sp.Matrix(rows, cols, lambda r, c: base[r + 1, c + 1])


def _column_major(matrix):
    return [matrix[r, c] for c in range(matrix.cols) for r in range(matrix.rows)]


def _rationals(shape, seed):
    """Distinct non-zero exact rationals of ``shape``, for the check of a matrix form."""
    rows, cols = shape
    return sp.Matrix(rows, cols, lambda r, c: sp.Rational((-1) ** (r + c) * (3 * (r * cols + c) + seed + 1), 7 + seed))


def _same(a, b) -> bool:
    difference = a - b
    return sp.expand(difference) == 0 or sp.cancel(difference) == 0 or sp.simplify(difference.rewrite(sp.exp)) == 0


def _written_out(total):
    """A sum with integer limits as the sum of its terms."""
    [(var, lo, hi)] = total.limits
    return sp.Add(*(total.function.xreplace({var: v}) for v in range(int(lo), int(hi) + 1)))


def _instance(expr, at, matrices):
    """``expr`` at the index values ``at`` and the sizes of :data:`SIZES`: each sum written out, each
    entry of a matrix expression evaluated on the component ``matrices``."""

    def entry(element):
        row, col = (int(sp.sympify(v).xreplace(at)) for v in (element.i, element.j))
        value = evaluate(element.parent, matrices)
        if not (1 <= row <= value.rows and 1 <= col <= value.cols):
            raise DerivationError(f"{element} at {at} is no entry of a matrix of shape {value.shape}")
        return value[row - 1, col - 1]

    expr = expr.replace(lambda e: isinstance(e, MatrixElement), entry).xreplace({**at, **SIZES})
    while sums := [t for t in expr.atoms(sp.Sum) if not t.function.has(sp.Sum)]:  # the innermost first
        expr = expr.xreplace({t: _written_out(t) for t in sums})
    return expr


def _every_entry(key, lhs, rhs, derived, rule, matrices=None, values=None):
    """The step ``lhs = rhs`` in symbolic indices, checked against ``derived``: ``{at: what SymPy
    derived there}`` for index values ``at`` (``((j, 2), (k, 3))``), with ``values`` put in for the
    entries the step names but SymPy's result writes out (ŷ_k)."""
    for at, expected in derived.items():
        instance = _instance(rhs, dict(at), matrices or {}).xreplace(values or {})
        if not _same(instance, expected):
            raise DerivationError(f"{key}: {rhs} at {dict(at)} is {instance}, but SymPy derived {expected}")
    return Step(key, lhs, rhs, rule)


def _position(at):
    """The 0-based position in its matrix of the entry at the index values ``at``."""
    values = [v for _, v in at]
    return values[0] - 1, values[1] - 1 if len(values) == 2 else 0


def _on_rationals(key, generic, derived, matrices, computed=None):
    """``generic`` evaluated on exact rationals must equal SymPy's ``derived`` entries there;
    ``computed(rationals)`` gives the matrices that are functions of others (A = tanh(Z))."""
    rational = {q: _rationals(v.shape, seed) for seed, (q, v) in enumerate(sorted(matrices.items(), key=str))}
    at = {v[r, c]: rational[q][r, c] for q, v in matrices.items() for r in range(v.rows) for c in range(v.cols)}
    value = evaluate(generic, {**rational, **(computed(rational) if computed else {})})
    for where, expected in derived.items():
        entry = expected.xreplace(at).doit()
        if not _same(entry, value[_position(where)]):
            raise DerivationError(
                f"{key}: on rationals, {generic} is {value[_position(where)]} at {dict(where)}, "
                f"SymPy's chain rule {entry}"
            )


# The chain rule through a node, entry by entry


def _chain_rule(seed, arguments, gradients, wrt):
    """SymPy's ∂seed/∂wrt, for ``seed`` = J applied to the node's output entries written out: the
    ``arguments`` (those entries) in which it found ``wrt``, and the derivative with each ∂J/∂argument
    written as the matching entry of ``gradients``."""
    derivative = sp.diff(seed, wrt)
    found = {}  # ∂J/∂(argument p), as SymPy wrote it → p
    for subs in derivative.atoms(sp.Subs):  # Subs(Derivative(J(..., ξ, ...), ξ), ξ, argument)
        [xi] = subs.variables
        found[subs] = subs.expr.expr.args.index(xi)
    for d in derivative.atoms(sp.Derivative):  # Derivative(J(..., f(z), ...), f(z))
        if d.expr.func == seed.func and not any(t.has(d) for t in found):
            [(argument, _)] = d.variable_count
            found[d] = d.expr.args.index(argument)
    if not found or derivative.xreplace(dict.fromkeys(found, 0)) != 0:
        raise DerivationError(f"∂J/∂{wrt} = {derivative} is not a sum over J's arguments")
    in_gradients = sp.expand(derivative.xreplace({t: gradients[p] for t, p in found.items()}))
    return [arguments[p] for p in sorted(found.values())], in_gradients


@dataclass(frozen=True)
class Input:
    """What one input of a node is recognised to receive: its entry in symbolic indices (W_{jk}), the
    index pattern of SymPy's derivatives, and the matrix expression of which that is an entry."""

    entry: sp.Indexed
    pattern: sp.Expr
    recognised: sp.MatrixExpr


@dataclass(frozen=True)
class Node:
    """A node ``output = definition`` with the upstream gradient ``upstream``, and its ``forward``
    pattern: the output's entry (j, i) in symbolic indices."""

    definition: sp.MatrixExpr
    output: sp.MatrixSymbol
    upstream: sp.MatrixSymbol
    forward: sp.Expr


ANY_F, F_PRIME = sp.Lambda(s, f(s)), sp.Lambda(s, sp.Derivative(f(s), s))  # f and f′, elementwise
_w, _x, _b, _z, _a, _g = (entries(q) for q in (W, X, b, Z, A, G))
_dz, _da, _dp = (entries(q) for q in (dZ, dA, dP))

NODES = {
    "linear": Node(W * X + b * sp.OneMatrix(1, m), Z, dZ, sp.Sum(_w[j, k] * _x[k, i], (k, 1, n_in)) + _b[j]),
    "elementwise": Node(Z.applyfunc(ANY_F), A, dA, f(_z[j, i])),
    "hadamard": Node(sp.HadamardProduct(G, A), P, dP, _g[j, i] * _a[j, i]),
}
INPUTS = {  # the inputs whose rule each derivation reaches
    "linear": {
        W: Input(_w[j, k], sp.Sum(_dz[j, i] * _x[k, i], (i, 1, m)), dZ * X.T),
        X: Input(_x[k, i], sp.Sum(_w[j, k] * _dz[j, i], (j, 1, n_out)), W.T * dZ),
    },
    "bias": {b: Input(_b[j], sp.Sum(_dz[j, i], (i, 1, m)), dZ * sp.OneMatrix(m, 1))},
    "elementwise": {
        Z: Input(_z[j, i], _da[j, i] * sp.Derivative(f(_z[j, i]), _z[j, i]), sp.HadamardProduct(dA, Z.applyfunc(F_PRIME)))
    },
    "hadamard": {
        A: Input(_a[j, i], _dp[j, i] * _g[j, i], sp.HadamardProduct(dP, G)),
        G: Input(_g[j, i], _dp[j, i] * _a[j, i], sp.HadamardProduct(dP, A)),
    },
}
ACTIVATIONS = {"tanh": sp.tanh, "sigma": sigmoid}  # the activations whose f′ is written in terms of A


def _node(node, inputs):
    """The steps of a node: the forward pattern, J as a function of the output's entries, and for each
    input those of :func:`_through`; with SymPy's derivatives of each input's entries, and the
    component matrices."""
    matrices = {q: components(q) for q in node.definition.atoms(sp.MatrixSymbol) | {node.output, node.upstream}}
    written_out = evaluate(node.definition, matrices)
    out = _column_major(matrices[node.output])
    forward = {((j, e.indices[0]), (i, e.indices[1])): value for e, value in zip(out, _column_major(written_out))}
    dimensions = [d for d in SIZES if any(d in q.shape for q in matrices)]
    steps = [
        _every_entry("forward", entries(node.output)[j, i], node.forward, forward,
                     f"${latex(node.output)} = {latex(node.definition)}$ entry by entry: SymPy's entries of the "
                     f"components ({_sizes(*dimensions)}) follow this pattern"),
        Step("seed", J, sp.Function("J")(*out),
             f"the loss depends on the node's inputs only through the entries of ${latex(node.output)}$"),
    ]  # fmt: skip
    seed = sp.Function("J")(*_column_major(written_out))
    gradients = _column_major(matrices[node.upstream])
    derived = {}
    for target, into in inputs.items():
        through, derived[target] = _through(node, target, into, seed, out, gradients, matrices)
        steps += through
    return steps, derived, matrices


def _through(node, target, into, seed, out, gradients, matrices):
    """From J to the matrix rule for one input: the chain rule for its last entry, SymPy's result,
    the index pattern of every entry, the entry of the recognised product, the matrix form."""
    name = f"d{target.name.removeprefix('node_')}"
    derived, found = {}, {}
    for e in _column_major(matrices[target]):
        at = tuple(zip(into.entry.indices, e.indices))
        found[e], derived[at] = _chain_rule(seed, out, gradients, e)
    last, lhs, general = e, sp.Derivative(J, e), sp.Derivative(J, into.entry)
    chain = sp.Add(*(sp.Mul(sp.Derivative(J, o), sp.Derivative(o, last), evaluate=False) for o in found[last]), evaluate=False)
    steps = [
        Step(f"{name}-chain", lhs, chain, f"chain rule over the entries of ${latex(node.output)}$ in which SymPy "
                                          f"found ${latex(last)}$: {_listed(found[last])}"),
        Step(f"{name}-entry", lhs, derived[at], f"SymPy's derivative of each of them, and "
             f"${latex(sp.Derivative(J, entries(node.output)[j, i]))}$ written ${latex(entries(node.upstream)[j, i])}$"),
        _every_entry(f"{name}-pattern", general, into.pattern, derived,
                     f"every entry: SymPy's derivative of each of the {len(derived)} follows this pattern", matrices),
    ]  # fmt: skip
    if len(into.entry.indices) == 2:
        what = "an elementwise product" if isinstance(into.recognised, sp.HadamardProduct) else "a matrix product"
        element = MatrixElement(into.recognised, *into.entry.indices)
        steps.append(_every_entry(f"{name}-product", general, element, derived, f"the pattern is an entry of {what}", matrices))
    generic = vjp(node.definition, target, node.upstream)
    steps.append(_matrix_form(f"{name}-matrix", target, into.recognised, generic, derived, matrices))
    return steps, derived


def _matrix_form(key, target, recognised, generic, derived, matrices):
    """The step ``d target = generic``: ``generic`` must equal ``recognised`` on the symbolic
    components, and (with no undefined f in them) SymPy's chain rule ``derived`` on exact rationals."""
    mine, chapters = evaluate(recognised, matrices), evaluate(generic, matrices)
    if not all(_same(u, v) for u, v in zip(mine, chapters)):
        raise DerivationError(f"{key}: {recognised}, read from the pattern, is not the chapters' {generic}")
    if not any(e.has(AppliedUndef) for e in derived.values()):
        _on_rationals(key, generic, derived, matrices)
    gradient = quantity(f"node_d{target.name[5:]}", f"d{target.name[5:]}", *target.shape)
    return Step(key, gradient, generic, "all entries at once: the rule the chapters derive with SymPy's matrix calculus (vjp)")


def _activation(name, fn, derived, matrices):
    """The steps that write f′ in terms of the value A = f(Z) for the activation ``fn``, and the
    chapters' dZ with it, checked on rationals against SymPy's chain rule for that f."""
    raw, in_value = sp.diff(fn(s), s), local_derivative(fn)(fn(s))
    if not _same(raw, in_value):
        raise DerivationError(f"{fn}' = {raw} is not {in_value}, its form in terms of the value")
    prime = sp.Derivative(fn(s), s)
    steps = [Step(f"{name}-prime", prime, raw, f"SymPy's derivative of ${latex(fn(s))}$")]
    if raw != in_value:
        steps.append(Step(f"{name}-value", prime, in_value, f"written in terms of the value ${latex(fn(s))}$"))
    generic = in_terms_of_value(vjp(Z.applyfunc(fn), Z, dA), Z, fn, A)
    with_fn = {at: e.replace(f, fn).doit() for at, e in derived.items()}
    _on_rationals(f"{name}-matrix", generic, with_fn, matrices, lambda rational: {A: rational[Z].applyfunc(fn)})
    steps.append(Step(f"{name}-matrix", dZ, generic, f"for $A = {latex(Z.applyfunc(fn))}$: the chapters' rule"))
    return steps


# The softmax with the cross-entropy, on components throughout


def _one_example():
    """The softmax and the cross-entropy of one example on n_y = ``SIZES[n_y]`` components: the
    Jacobian, the chain rule through it, and ∂L/∂z_j = ŷ_j − y_j."""
    K = SIZES[n_y]
    classes = range(1, K + 1)
    zs, yhats, ys = ([base[c] for c in classes] for base in (z1, yhat1, y1))
    probabilities = output.Softmax(Zy).columnwise(sp.Matrix(zs), exact=True)
    total, shown_total, S = sum(sp.exp(v) for v in zs), sp.Sum(sp.exp(z1[l]), (l, 1, K)), sp.Dummy("S")

    def in_yhat(expr):  # e^{z_c} = ŷ_c Σ_l e^{z_l}: a derivative as a function of ŷ
        written = sp.cancel(expr.subs(total, S).subs({sp.exp(v): p * S for v, p in zip(zs, yhats)}))
        if written.has(S, *zs):
            raise DerivationError(f"{expr} could not be written in terms of ŷ: {written}")
        return written

    jacobian = {(c, d): sp.diff(probabilities[c - 1], zs[d - 1]) for c in classes for d in classes}
    jacobian_yhat = {((k, c), (j, d)): in_yhat(v) for (c, d), v in jacobian.items()}
    steps = [
        _every_entry("forward", yhat1[k], sp.exp(z1[k]) / sp.Sum(sp.exp(z1[l]), (l, 1, n_y)),
                     {((k, c),): probabilities[c - 1] for c in classes},
                     f"the softmax of one example's scores, on {_sizes(n_y)} components: SymPy's entries "
                     "follow this pattern"),
    ]  # fmt: skip
    for c, d, which in [(1, 1, "diagonal"), (1, 2, "off")]:
        lhs = sp.Derivative(yhat1[c], z1[d])
        steps.append(Step(f"jacobian-{which}", lhs, jacobian[c, d].subs(total, shown_total), "SymPy's derivative"))
        steps.append(Step(f"jacobian-{which}-yhat", lhs, jacobian_yhat[(k, c), (j, d)],
                          rf"written in $\hat{{y}}$: $e^{{z_{{k}}}} = \hat{{y}}_{{k}} {latex(shown_total)}$"))  # fmt: skip
    steps += [
        _every_entry("jacobian", sp.Derivative(yhat1[k], z1[j]), yhat1[k] * (sp.KroneckerDelta(k, j) - yhat1[j]),
                     jacobian_yhat, f"every pair: SymPy's {len(jacobian)} derivatives follow this pattern"),
        _every_entry("loss", LOSS, -sp.Sum(y1[k] * sp.log(yhat1[k]), (k, 1, n_y)),
                     {(): output.cross_entropy(sp.Matrix(yhats), sp.Matrix(ys))},
                     "the cross-entropy of one example: output.py's, on the components"),
    ]  # fmt: skip
    loss = output.cross_entropy(probabilities, sp.Matrix(ys))
    derived = {((j, d),): in_yhat(sp.diff(loss, zs[d - 1])) for d in classes}
    through = {sp.Derivative(yhat1[c], z1[d]): jacobian_yhat[(k, c), (j, d)] for c in classes for d in classes}
    lhs = sp.Derivative(LOSS, z1[j])
    chain = -sp.Sum(sp.Mul(y1[k] / yhat1[k], sp.Derivative(yhat1[k], z1[j]), evaluate=False), (k, 1, n_y))
    steps += [
        _every_entry("chain", lhs, chain, derived,
                     r"chain rule: the loss depends on $z_{j}$ only through every $\hat{y}_{k}$", values=through),
        _every_entry("chain-jacobian", lhs, -sp.Sum(y1[k] * (sp.KroneckerDelta(k, j) - yhat1[j]), (k, 1, n_y)),
                     derived, r"the Jacobian put in: $\hat{y}_{k}$ cancels"),
        _every_entry("chain-delta", lhs, yhat1[j] * sp.Sum(y1[k], (k, 1, n_y)) - y1[j], derived,
                     f"${latex(sp.KroneckerDelta(k, j))}$ keeps the term $k = j$ of the first sum"),
        _on_the_simplex(lhs, derived, K),
    ]  # fmt: skip
    return steps


def targets_sum_to_one(K):
    """y_K = 1 − Σ_{k<K} y_k: one example's targets sum to one (a one-hot vector does)."""
    return {y1[K]: 1 - sum(y1[c] for c in range(1, K))}


def _on_the_simplex(lhs, derived, K):
    """∂L/∂z_j = ŷ_j − y_j, which holds because Σ_k y_k = 1 and must not hold without it."""
    rhs = yhat1[j] - y1[j]
    if all(_same(_instance(rhs, dict(at), {}), expected) for at, expected in derived.items()):
        raise DerivationError(f"{lhs} = {rhs} holds without Σ_k y_k = 1: the step would not need it")
    simplex = targets_sum_to_one(K)
    on = {at: expected.xreplace(simplex) for at, expected in derived.items()}
    rule = f"${latex(sp.Sum(y1[k], (k, 1, n_y)))} = 1$: the target is one-hot"
    return _every_entry("simplex", lhs, rhs, on, rule, values=simplex)


def _all_examples(simplex):
    """From one example's ∂L/∂z_j to every example's entry of dZ, and the chapters' dZ."""
    factor = output.gradient_factor(output.step_loss)
    zy, yhat, y = entries(Zy), entries(Yhat), entries(Y)
    per_example = sp.Mul(factor, yhat[j, i] - y[j, i], evaluate=False)
    if sp.expand(per_example / factor - simplex.rhs.xreplace({yhat1[j]: yhat[j, i], y1[j]: y[j, i]})) != 0:
        raise DerivationError(f"J's derivative {per_example} is not {factor} times the example's {simplex.rhs}")
    mean = Step("mean", sp.Derivative(J, zy[j, i]), per_example,
                rf"$J = \frac{{1}}{{m}} \sum_{{i=1}}^{{m}} {latex(LOSS)}^{{(i)}}$, and $z^{{(i)}}$ is in the $i$-th "
                f"loss only: SymPy's derivative of J (output.py: m a symbol, {output.K} classes) is "
                f"${latex(factor)}$ times that loss's")  # fmt: skip
    generic = output.derive_dzy("dzy", dZy, Yhat, Y).rhs
    recognised = sp.MatMul(factor, sp.MatAdd(Yhat, -Y), evaluate=False)
    matrices = {q: components(q) for q in (Yhat, Y)}
    if not all(_same(u, v) for u, v in zip(evaluate(recognised, matrices), evaluate(generic, matrices))):
        raise DerivationError(f"{recognised}, read from the entries, is not the chapters' {generic}")
    zs = components(Zy)
    targets = sp.Matrix(zs.rows, zs.cols, lambda r, c: int(r == c % zs.rows))  # one-hot, example by example
    loss = output.cross_entropy(output.Softmax(Zy).columnwise(zs, exact=True), targets)
    derived = {((j, e.indices[0]), (i, e.indices[1])): sp.diff(loss, e) for e in _column_major(zs)}
    softmax = output.Softmax(Zy).columnwise
    _on_rationals("matrix", generic, derived, {Zy: zs}, lambda rational: {Yhat: softmax(rational[Zy], exact=True), Y: targets})
    return [mean, Step("matrix", dZy, generic, "all entries at once: the chapters' rule (output.py's derive_dzy)")]


def _elementwise():
    steps, derived, matrices = _node(NODES["elementwise"], INPUTS["elementwise"])
    for name, fn in ACTIVATIONS.items():
        steps += _activation(name, fn, derived[Z], matrices)
    return steps


def _softmax():
    steps = _one_example()
    return steps + _all_examples(steps[-1])


BUILD = {
    "linear": lambda: _node(NODES["linear"], INPUTS["linear"])[0],
    "bias": lambda: _node(NODES["linear"], INPUTS["bias"])[0],
    "elementwise": _elementwise,
    "hadamard": lambda: _node(NODES["hadamard"], INPUTS["hadamard"])[0],
    "softmax": _softmax,
}
DERIVATIONS = tuple(BUILD)  # in the order the book shows them


@functools.cache
def derivation(node: str) -> Derivation:
    """The worked derivation of one kind of node, one of :data:`DERIVATIONS`.

    Raises ``ValueError`` for an unknown node, and ``DerivationError`` if a step disagrees with
    SymPy's derivatives of the components or a matrix form with the chapters' rule.
    """
    if node not in DERIVATIONS:
        raise ValueError(f"node must be one of {DERIVATIONS}, got {node!r}")
    return Derivation(node, tuple(BUILD[node]()))
