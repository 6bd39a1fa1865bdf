"""Gradient checking by central differences, for any scalar loss."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._typing import Array


def numerical_gradient(f: Callable[[], float], array: Array, eps: float = 1e-5) -> NDArray[np.float64]:
    """∂f/∂array by central differences (f(θ + ε) − f(θ − ε)) / 2ε, one entry at a time.

    ``f`` takes no argument and reads ``array``, which is perturbed in place and always restored.
    The divisor is the step as stored, (θ + ε) − (θ − ε) rounded to the array's dtype, which in
    float32 can differ from 2ε by a relative 1e-5.

    Parameters
    ----------
    f : callable () -> float
    array : ndarray of floats, any shape
    eps : float
        The step. 1e-5 balances the truncation error, O(eps²), against the rounding error of
        f, O(1e-16 · abs(f) / eps), for float64 losses of order one.

    Returns
    -------
    ndarray, shape of ``array``
    """
    grad = np.zeros(array.shape, dtype=np.float64)
    for idx in np.ndindex(array.shape):
        original = array[idx]
        try:
            array[idx] = original + eps
            plus, high = f(), array[idx]
            array[idx] = original - eps
            minus, low = f(), array[idx]
        finally:
            array[idx] = original
        if high == low:
            raise ValueError(f"eps = {eps:g} is lost in rounding at entry {idx} = {original} of a {array.dtype} array")
        grad[idx] = (plus - minus) / (float(high) - float(low))
    return grad


def relative_error(analytic: ArrayLike, numeric: ArrayLike) -> float:
    """‖analytic − numeric‖ / max(‖analytic‖ + ‖numeric‖, tiny): 0 when both vanish."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"analytic has shape {analytic.shape}, numeric {numeric.shape}")
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / max(scale, np.finfo(np.float64).tiny))


def gradient_check(
    f: Callable[[], float], arrays: Mapping[str, Array], gradients: Mapping[str, ArrayLike], eps: float = 1e-5
) -> dict[str, float]:
    """The relative error of each analytic gradient against central differences of ``f``.

    Parameters
    ----------
    f : callable () -> float
        The loss, reading the arrays of ``arrays`` (perturbed in place, restored after).
    arrays : dict of str to ndarray
        The inputs to check, by name.
    gradients : dict of str to ndarray
        The analytic ∂f/∂array for each name of ``arrays``, not modified.
    eps : float

    Returns
    -------
    dict of str to float
        The relative error per name; around 1e-7 or less means the gradient is right in float64.
    """
    missing = [k for k in arrays if k not in gradients]
    if missing:
        raise ValueError(f"gradients has no entry for {', '.join(missing)}")
    return {k: relative_error(gradients[k], numerical_gradient(f, a, eps)) for k, a in arrays.items()}
