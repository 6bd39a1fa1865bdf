"""Argument checks, run before any work: a bad input is refused with the name of the argument,
the expected shape (with its dimension names) and the actual one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._typing import Array, Parameters


# The dtypes computed in: BLAS has no float16 (and e^z overflows it at z = 11.1), nor long double
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Dimensions(dict[str, int]):
    """Sizes of the named dimensions (``n_a``, ``m``, ``T_x``, ...), bound by the first array seen;
    a dimension written as a number (the ``1`` of a bias) is that number, ``n_a+n_x`` is a sum and
    ``4*n_a`` a multiple (four gates stacked)."""

    def __missing__(self, dim: str) -> int:
        if dim.isdigit():
            return int(dim)
        raise KeyError(dim)

    def setdefault(self, dim: str, size: int) -> int:
        return int(dim) if dim.isdigit() else super().setdefault(dim, size)

    def check(self, name: str, value: object, dims: str) -> Array:
        """Return ``value`` if it is a finite float32 or float64 array of shape ``dims`` (e.g. ``"n_a m"``)."""
        names = dims.split()
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a numpy array of shape ({', '.join(names)}), got {type(value).__name__}")
        if value.dtype not in FLOATS:
            raise TypeError(f"{name} must be a float32 or float64 array, got dtype {value.dtype}")
        if value.ndim != len(names):
            raise ValueError(f"{name} must have shape {self._expected(names)}, got {value.shape}")
        for dim, size in zip(names, value.shape):
            if size == 0:
                raise ValueError(f"{name} has {dim} = 0 in shape {value.shape}; every dimension must be at least 1")
            if "+" in dim:
                self._bind_sum(dim, size)
            if "*" in dim and size % int(dim.split("*")[0]):
                raise ValueError(
                    f"{name} must have shape {self._expected(names)}, got {value.shape}: "
                    f"{size} is not a multiple of {dim.split('*')[0]}"
                )
            if self._size(dim, size) != size:
                raise ValueError(f"{name} must have shape {self._expected(names)}, got {value.shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{name} contains NaN or Inf")
        return value

    def _size(self, dim: str, size: int) -> int:
        """The size ``dim`` must have, binding it to ``size`` if unknown."""
        if "*" in dim:
            factor, base = dim.split("*")
            return int(factor) * self.setdefault(base, size // int(factor))
        if "+" in dim:
            parts = dim.split("+")
            return sum(self[p] for p in parts) if all(p in self for p in parts) else size
        return self.setdefault(dim, size)

    def _bind_sum(self, dim: str, size: int) -> None:
        """For ``n_a+n_x`` with one part known, the other is the rest."""
        unknown = [p for p in dim.split("+") if p not in self]
        if len(unknown) == 1:
            self[unknown[0]] = size - sum(self[p] for p in dim.split("+") if p in self)

    def _expected(self, names: list[str]) -> str:
        def size(d: str) -> str:
            if "*" in d:
                factor, base = d.split("*")
                return str(int(factor) * self[base]) if base in self else "?"
            parts = d.split("+")
            return str(sum(self[p] for p in parts)) if all(p in self or p.isdigit() for p in parts) else "?"

        comma = "," if len(names) == 1 else ""  # (n_y,): a tuple of one, as numpy prints a shape
        return f"({', '.join(n.replace('+', ' + ') for n in names)}{comma}) = ({', '.join(size(d) for d in names)}{comma})"


def check_parameters(parameters: object, shapes: Mapping[str, str], dims: Dimensions, name: str = "parameters") -> None:
    """Check a parameter dict (the argument ``name``) against ``{key: "dim dim"}``: no key missing,
    none unknown."""
    if not isinstance(parameters, dict):
        raise TypeError(f"{name} must be a dict with keys {', '.join(shapes)}, got {type(parameters).__name__}")
    missing = [k for k in shapes if k not in parameters]
    unknown = [k for k in parameters if k not in shapes]
    if missing or unknown:
        found = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(map(str, unknown))}"] if unknown else [])
        raise ValueError(f"{name} must have exactly the keys {', '.join(shapes)}; " + "; ".join(found))
    for key in _checking_order(parameters, shapes):
        dims.check(f'{name}["{key}"]', parameters[key], shapes[key])


def _checking_order(parameters: dict[str, object], shapes: Mapping[str, str]) -> list[str]:
    """Simple shapes first, those with more named dimensions (a weight before a bias, so that a
    bias is checked against a known n_a), then those with a sum (n_a+n_x), the most common width
    first: one odd gate weight among four is then the one blamed, whichever it is."""

    def width(key: str) -> int | None:
        value = parameters[key]
        return value.shape[-1] if isinstance(value, np.ndarray) and value.ndim == 2 else None

    compound = [k for k in shapes if "+" in shapes[k]]
    votes = Counter(width(k) for k in compound)
    simple = sorted((k for k in shapes if k not in compound), key=lambda k: -sum(not d.isdigit() for d in shapes[k].split()))
    return simple + sorted(compound, key=lambda k: -votes[width(k)])


def check_distribution(name: str, y: Array, mask: Array | None = None) -> None:
    """Each column of ``y`` (one example at one step) must be a distribution: ≥ 0, summing to 1;
    where ``mask`` (m, T_x) is 0 the column is not used, and may be anything finite (all zero)."""
    used = slice(None) if mask is None else mask.astype(bool)
    sums = y.sum(axis=0)[used]
    if (y.transpose(1, 2, 0)[used] < 0).any() or not np.allclose(sums, 1.0, atol=1e-6):
        where = "" if mask is None else " where mask is 1"
        raise ValueError(f"{name} must hold one-hot (or probability) columns that sum to 1 over n_y{where}")


def check_mask(mask: object, dims: Dimensions) -> Array | None:
    """``None``, or an (m, T_x) array of 0 and 1 (bool, int or float): which steps of which
    examples the loss counts."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy array of shape (m, T_x) holding 0 or 1, got {type(mask).__name__}")
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.number):
        raise TypeError(f"mask must hold 0 or 1 (bool, int or float), got dtype {mask.dtype}")
    if mask.shape != (dims["m"], dims["T_x"]):
        raise ValueError(f"mask must have shape (m, T_x) = ({dims['m']}, {dims['T_x']}), got {mask.shape}")
    bad = mask[(mask != 0) & (mask != 1)]
    if bad.size:
        raise ValueError(f"mask must hold 0 or 1 at each example and step, got {bad.flat[0]}")
    return mask


def check_loss_inputs(
    x: Array, y: Array, a0: Array, parameters: Parameters, shapes: Mapping[str, str], mask: object = None
) -> Dimensions:
    """The checks of a full loss: parameters, x, one-hot y (where ``mask`` is 1), a0 and the mask,
    all consistent; the sizes."""
    dims = Dimensions()
    check_parameters(parameters, shapes, dims)
    dims.check("x", x, "n_x m T_x")
    dims.check("y", y, "n_y m T_x")
    dims.check("a0", a0, "n_a m")
    check_distribution("y", y, check_mask(mask, dims))
    return dims


def cache_entry(cache: object, length: int, producer: str) -> tuple[object, ...]:
    """The cache, if it is the tuple of ``length`` that ``producer`` returns."""
    if not isinstance(cache, tuple) or len(cache) != length:
        got = f"a {type(cache).__name__} of {len(cache)}" if isinstance(cache, (tuple, list)) else type(cache).__name__
        raise TypeError(f"expected the cache returned by {producer} (a tuple of {length}), got {got}")
    return cache


def check_backward(da: Array, caches: object, producer: str, cell_length: int) -> tuple[list[Any], Array]:
    """A sequence backward's arguments: the caches of ``producer`` (T_x cell caches, each a tuple
    of ``cell_length``, and x) and a ``da`` with as many steps. Returns the cell caches and x."""
    cell_caches, x = cache_entry(caches, 2, producer)
    if not isinstance(cell_caches, list) or not all(isinstance(c, tuple) and len(c) == cell_length for c in cell_caches):
        raise TypeError(
            f"expected the caches returned by {producer}: a list of cell caches (tuples of {cell_length}) and x"
        )
    dims = Dimensions()
    x = dims.check("caches[1] (x)", x, "n_x m T_x")
    if len(cell_caches) != dims["T_x"]:
        raise ValueError(f"caches hold {len(cell_caches)} cell caches for x with T_x = {dims['T_x']}")
    dims.check("caches[0][0][0] (a⟨1⟩)", cell_caches[0][0], "n_a m")
    dims.check("da", da, "n_a m T_x")
    return cell_caches, x
