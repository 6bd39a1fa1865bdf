"""Gradient clipping: the course's element-wise clip and the global-norm clip of Pascanu et al. (2013).

Both take the gradients as the losses return them, a dict of arrays, or nested dicts, lists and
tuples of arrays (a stack's ``"layers"``), and return a new structure of new arrays of the same
shape; the input is never changed. Pass only the gradients a parameter update uses (e.g.
``dWax, dWaa, dWya, dba, dby``, not ``dx``): the global norm is taken over every array given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._validate import FLOATS


def clip(gradients: Any, max_value: float) -> Any:
    """Clip every entry of every gradient to [−max_value, max_value], as the course's ``clip``.

    Each entry is clipped on its own, so a gradient's direction changes whenever some entries are
    clipped and others are not.

    Parameters
    ----------
    gradients : dict
        Arrays (float32 or float64), or dicts, lists and tuples of them, e.g. ``{"dWaa": (n_a, n_a), ...}``.
    max_value : float
        The largest magnitude an entry keeps; positive and finite.

    Returns
    -------
    dict
        The same structure with new arrays: ``np.clip(g, −max_value, max_value)`` for each ``g``.
    """
    _check_bound("max_value", max_value)
    _check(gradients, finite=False)
    return _map(gradients, lambda g: np.clip(g, -max_value, max_value))


def clip_by_norm(gradients: Any, max_norm: float) -> Any:
    """Rescale all the gradients together so that their global norm is at most ``max_norm``.

    The global norm is ‖g‖ = √(Σ over every entry of every array of g²). When ‖g‖ > max_norm every
    array is multiplied by max_norm / ‖g‖: the update keeps its direction and only gets shorter.
    Otherwise the gradients are returned unchanged (as new arrays).

    Parameters
    ----------
    gradients : dict
        Arrays (float32 or float64), or dicts, lists and tuples of them; every entry finite.
    max_norm : float
        The largest global norm; positive and finite.

    Returns
    -------
    dict
        The same structure with new arrays, of global norm min(‖g‖, max_norm).
    """
    _check_bound("max_norm", max_norm)
    _check(gradients, finite=True)
    norm = global_norm(gradients)
    scale = max_norm / norm if norm > max_norm else 1.0
    return _map(gradients, lambda g: (g * scale).astype(g.dtype, copy=False))


def global_norm(gradients: Any) -> float:
    """√(Σ g²) over every entry of every array in ``gradients``, accumulated in float64."""
    return math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for _, g in _leaves(gradients)))


def _leaves(tree: Any, path: str = "gradients") -> Iterator[tuple[str, Any]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{path}[{key!r}]")
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, tree


def _map(tree: Any, f: Callable[[np.ndarray], np.ndarray]) -> Any:
    if isinstance(tree, dict):
        return {key: _map(value, f) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_map(value, f) for value in tree)
    return f(tree)


def _check_bound(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value}")


def _check(gradients: Any, finite: bool) -> None:
    """Refuse, before any work, a structure that is not a dict of float arrays, or NaN (Inf too
    when ``finite``): NaN passes through a clip unchanged and would only surface later."""
    if not isinstance(gradients, dict):
        raise TypeError(f"gradients must be a dict of arrays, got {type(gradients).__name__}")
    leaves = list(_leaves(gradients))
    if not leaves:
        raise ValueError("gradients must hold at least one array, got none")
    for path, g in leaves:
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{path} must be a numpy array, got {type(g).__name__}")
        if g.dtype not in FLOATS:
            raise TypeError(f"{path} must be a float32 or float64 array, got dtype {g.dtype}")
        if np.isnan(g).any():
            raise ValueError(f"{path} contains NaN")
        if finite and not np.isfinite(g).all():
            raise ValueError(f"{path} contains Inf, which has no finite norm to rescale; clip it element-wise first")
