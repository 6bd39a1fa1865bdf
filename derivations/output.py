"""The output layer shared by every recurrent cell: ŷ = softmax(z_y), cross-entropy loss.

SymPy has no softmax node, so dz_y is derived on components: the loss of one step,
J = −(1/m) Σ_{i=1}^{m} Σ_k y_{k,i} log softmax_k(z_{:,i}), written with indexed entries, K classes
and the number of examples m kept a symbol (a ``Sum`` over the examples), is differentiated with
respect to the entry z_{j,p} of class j and example p. Every such derivative, on Σ_k y_{k,p} = 1,
must be one factor that depends on nothing but m times (ŷ_{j,p} − y_{j,p}): the factor SymPy
returned is then the coefficient of the matrix result, dz_y = factor (ŷ − y).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

from .calculus import DerivationError, Derived, linear_vjps
from .notation import Quantity, T_x, m, n_a, quantity, t

K = 4  # classes in the component derivation; bruteforce checks other sizes on the full loss


class Softmax(sp.MatrixExpr):
    """Column-wise softmax of a matrix expression: each example's scores become probabilities."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        return rf"\operatorname{{softmax}}\left({printer._print(self.args[0])}\right)"

    def columnwise(self, z, exact):
        if exact:
            e = z.applyfunc(sp.exp)
            return sp.Matrix.hstack(*[e[:, i] / sum(e[:, i]) for i in range(e.cols)])
        if z.dtype == object:  # mpmath numbers
            e = np.vectorize(mpmath.exp, otypes=[object])(z)
        else:
            e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)


def cross_entropy(yhat, y):
    """−(1/m) Σ_i Σ_k y_k log ŷ_k for one time step; exact for SymPy matrices, float for arrays."""
    if isinstance(yhat, sp.MatrixBase):
        return -sum(yk * sp.log(pk) for yk, pk in zip(y, yhat) if yk != 0) / yhat.cols
    return -float(np.sum(y * np.log(yhat))) / yhat.shape[1]


def loss_latex() -> str:
    """J = −(1/m) Σ_t Σ_i Σ_k y_k log ŷ_k, in the course's notation."""
    y = Quantity("y", example="i", time="t").latex(entry="k")
    yhat = Quantity(r"\hat{y}", example="i", time="t").latex(entry="k")
    return (
        rf"J = -\frac{{1}}{{m}} \sum_{{t=1}}^{{{sp.latex(T_x)}}} \sum_{{i=1}}^{{m}} "
        rf"\sum_{{k=1}}^{{n_y}} {y} \log {yhat}"
    )


def step_loss(z, y):
    """J⟨t⟩ on components: −(1/m) Σ_{i=1}^{m} Σ_{k=1}^{K} y_{k,i} log softmax_k(z_{:,i}).

    ``z`` and ``y`` are ``IndexedBase`` (class, example); m is the symbol of :mod:`.notation`.
    """
    i = sp.Symbol("i", integer=True, positive=True)
    e = [sp.exp(z[k, i]) for k in range(K)]
    return -sp.Sum(sum(y[k, i] * sp.log(e[k] / sum(e)) for k in range(K)), (i, 1, m)) / m


@functools.cache
def gradient_factor(loss):
    """The factor c with ∂loss/∂z_{j,p} = c (softmax_j(z_{:,p}) − y_{j,p}) for every class j and
    every example p in 1, ..., m, on Σ_k y_{k,p} = 1, from SymPy's derivatives of ``loss(z, y)``.

    Raises ``DerivationError`` unless every derivative is that one factor, free of z and y, times
    softmax_j − y_j: then they do not assemble into a multiple of ŷ − y.
    """
    z, y = sp.IndexedBase("z"), sp.IndexedBase("y")
    p = sp.Symbol("p", integer=True, positive=True)
    e = [sp.exp(z[k, p]) for k in range(K)]
    on_simplex = {y[K - 1, p]: 1 - sum(y[k, p] for k in range(K - 1))}
    factors = set()
    for j in range(K):
        derivative = _for_an_example(sp.diff(loss(z, y), z[j, p]).doit(), p)
        factor = sp.cancel(sp.together((derivative / (e[j] / sum(e) - y[j, p])).subs(on_simplex)))  # a ratio of polynomials in the e^z and y
        if factor.has(z, y, p):
            raise DerivationError(f"∂J/∂z_{{{j + 1},p}} = {derivative} is not a factor times (ŷ − y): the ratio is {factor}")
        factors.add(factor)
    if len(factors) != 1:
        raise DerivationError(f"the classes' derivatives have different factors {factors}: no one matrix c (ŷ − y)")
    return factors.pop()


def _for_an_example(derivative, p):
    """``derivative`` for an example index 1 ≤ p ≤ m: each ``Piecewise`` that the sum over the
    examples left (its term is there only when p is among them) replaced by its branch that holds."""
    beyond = sp.Dummy("r", integer=True, nonnegative=True)  # m = p + r

    def branch(piecewise):
        for value, condition in piecewise.args:
            if condition.subs(m, p + beyond) == sp.true:
                return value
        raise DerivationError(f"no branch of {piecewise} holds for an example 1 ≤ p ≤ m")

    return derivative.replace(lambda node: isinstance(node, sp.Piecewise), branch)


def derive_dzy(name, dzy, yhat, y):
    """dz_y = c (ŷ − y), with the factor c that SymPy's component derivatives came out with."""
    factor = gradient_factor(step_loss)
    return Derived(
        name,
        dzy,
        sp.MatMul(factor, sp.MatAdd(yhat, -y, evaluate=False), evaluate=False),
        f"∂/∂z_(j,p) of J⟨t⟩ = −(1/m) Σ_i Σ_k y_(k,i) log softmax_k(z_(:,i)), m examples, K = {K} classes, on "
        f"Σ_k y_(k,p) = 1: every class and example came out as {factor} (ŷ − y)",
    )


def derive_output_layer(zy_def, W, b, a_next, yt_pred, yt, dzy, dW_step, db_step):
    """Every gradient of the output layer at step t: dz_y, the weight's and bias's, and da_ŷ."""
    da_y = quantity("da_y", r"da_{\leftarrow \hat{y}}", n_a, m, time="t")
    targets = [(f"d{W.name}", W, dW_step), (f"d{b.name}", b, db_step), ("da_y", a_next, da_y)]
    return [derive_dzy("dzy", dzy, yt_pred, yt), *linear_vjps(zy_def, dzy, targets, "z_y⟨t⟩")]


def time_sum(expr):
    """Σ_{t=1}^{T_x} expr: a weight used at every step collects the gradient of every use."""
    return sp.Sum(expr, (t, 1, T_x))
