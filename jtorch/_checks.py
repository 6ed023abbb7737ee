"""Argument checks shared by ops: torch's exception types and wording, raised before JAX sees
the arguments (JAX would raise ValueError/TypeError with its own text).

Every check reads static facts only (shapes, dtypes, Python values), so inside an op body it
runs once per trace, never per call.
"""
from __future__ import annotations

import builtins

import numpy as np


def wrap_dim(dim, ndim: int, scalar_ok: bool = True) -> int:
    """`dim` wrapped into [0, ndim); IndexError as torch's when out of range.

    A 0-dim tensor accepts dims -1 and 0 (as a 1-dim one would) unless `scalar_ok` is False.
    """
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if ndim == 0 and not scalar_ok:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    m = builtins.max(ndim, 1)
    if not -m <= dim < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], "
                         f"but got {dim})")
    return int(dim) % m


def wrap_dims(dims, ndim: int) -> tuple:
    """A sequence of dims wrapped; RuntimeError when one appears twice."""
    out = tuple(wrap_dim(d, ndim) for d in dims)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def broadcast_shapes(*shapes) -> tuple:
    """The broadcast shape; RuntimeError in torch's words when the shapes do not broadcast."""
    n = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s):
            j = n - len(s) + i
            if out[j] != d and out[j] != 1 and d != 1:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of tensor "
                                   f"b ({d}) at non-singleton dimension {j}")
            if d != 1:
                out[j] = d
    return tuple(out)


def nonnegative_shape(shape) -> tuple:
    """`shape`, or torch's RuntimeError when one of its sizes is negative."""
    for d in shape:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")
    return tuple(shape)


def type_name(np_dtype) -> str:
    """torch's scalar type name for an array dtype ("Float", "Long"), as its messages spell it."""
    from . import _dtype as D
    from ._tensor import _type_name
    return _type_name(D.from_np(np_dtype))


def is_number(x) -> bool:
    """True when an op body received a Python number (a weakly typed scalar), not a Tensor."""
    from ._promote import _kind_dtype
    return _kind_dtype(x)[1] == 0


def tensor_args(name: str, **values):
    """TypeError as torch's when an argument that must be a Tensor is a Python number."""
    for pos, (arg, v) in enumerate(values.items(), 1):
        if is_number(v):
            kind = np.dtype(v.dtype).kind if hasattr(v, "dtype") else ""
            py = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(
                kind, type(v).__name__)
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {py}")
