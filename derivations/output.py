"""The output layer shared by every recurrent cell: ŷ = softmax(z_y), cross-entropy loss.

The softmax/cross-entropy gradient is derived on components (SymPy has no softmax node): for one
example with K classes, L = −Σ_k y_k log ŷ_k, and on the simplex Σ_k y_k = 1 SymPy reduces
∂L/∂z_j to ŷ_j − y_j for every j. The loss averages L over the m examples and sums it over time,
so each column of dz_y carries the factor 1/m.
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


@functools.cache
def softmax_cross_entropy_gradient():
    """SymPy's ∂L/∂z_j for L = −Σ_k y_k log softmax_k(z), K classes, reduced on Σ_k y_k = 1.

    Returns the list of the K reduced derivatives; raises unless each is ŷ_j − y_j.
    """
    z = sp.symbols(f"z_1:{K + 1}", real=True)
    ys = sp.symbols(f"y_1:{K + 1}", real=True)
    e = [sp.exp(zk) for zk in z]
    p = [ek / sum(e) for ek in e]
    loss = -sum(yk * sp.log(pk) for yk, pk in zip(ys, p))
    on_simplex = {ys[-1]: 1 - sum(ys[:-1])}
    derivatives = []
    for j in range(K):
        derived = sp.diff(loss, z[j]).subs(on_simplex)
        if sp.simplify(derived - (p[j] - ys[j]).subs(on_simplex)) != 0:
            raise DerivationError(f"∂L/∂z_{j + 1} = {derived} is not ŷ_j − y_j")
        derivatives.append(derived)
    return derivatives


def derive_dzy(name, dzy, yhat, y):
    """dz_y = (1/m)(ŷ − y): the component result for every column, with the mean's 1/m."""
    softmax_cross_entropy_gradient()
    rhs = sp.MatMul(1 / m, sp.MatAdd(yhat, -y, evaluate=False), evaluate=False)
    return Derived(
        name,
        dzy,
        rhs,
        "∂/∂z_j of −Σ_k y_k log softmax_k(z), on Σ_k y_k = 1, for each of K = "
        f"{K} classes; 1/m from the mean over examples",
    )


def derive_output_layer(zy_def, W, b, a_next, yt_pred, yt, dzy, dW_step, db_step):
    """Every gradient of the output layer at step t: dz_y, the weight's and bias's, and da_ŷ."""
    da_y = quantity("da_y", r"da_{\hat{y}}", n_a, m, time="t")
    targets = [(f"d{W.name}", W, dW_step), (f"d{b.name}", b, db_step), ("da_y", a_next, da_y)]
    return [derive_dzy("dzy", dzy, yt_pred, yt), *linear_vjps(zy_def, dzy, targets, "z_y⟨t⟩")]


def time_sum(expr):
    """Σ_{t=1}^{T_x} expr: a weight used at every step collects the gradient of every use."""
    return sp.Sum(expr, (t, 1, T_x))
