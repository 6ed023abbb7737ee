"""Sorting and order statistics: sort, topk, kthvalue, median, mode, searchsorted, bucketize."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array

from .._checks import wrap_dim
from ._registry import op
from . import _torch_grads
from .reduction import RETURN_TYPES


def _argsort(x, dim, descending):
    """Stable argsort in torch's order: NaN above +inf; ties keep their original order."""
    if x.ndim == 0:
        return jnp.zeros((), jnp.int64)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int8)
    if jnp.issubdtype(x.dtype, jnp.floating):
        nan = jnp.isnan(x)
        key = jnp.where(nan, jnp.inf, x)
        # lexsort sorts by its last key first
        keys = (-key, ~nan) if descending else (key, nan)
        return jnp.lexsort(keys, axis=dim).astype(jnp.int64)
    # ~x reverses the order of signed and unsigned integers without overflow
    return jnp.argsort(~x if descending else x, axis=dim, stable=True).astype(jnp.int64)


@op(promote=None, grad_name="SortBackward0")
def sort(input: Array, dim: int = -1, descending: bool = False, stable: bool | None = False):
    """Matches `torch.sort` (NaN sorts as the largest value; always stable)."""
    dim = wrap_dim(dim, input.ndim)
    idx = _argsort(input, dim, descending)
    vals = input if input.ndim == 0 else jnp.take_along_axis(input, idx, axis=dim)
    return RETURN_TYPES["sort"](vals, idx)


@op(promote=None, diff=False)
def argsort(input: Array, dim: int = -1, descending: bool = False, stable: bool = False):
    """Matches `torch.argsort` (always stable)."""
    return _argsort(input, wrap_dim(dim, input.ndim), descending)


@op(promote=None)
def msort(input: Array):
    """Matches `torch.msort`."""
    return jnp.take_along_axis(input, _argsort(input, 0, False), axis=0) if input.ndim else input


@op(promote=None)
def topk(input: Array, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """Matches `torch.topk` (ties keep their original order)."""
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        if k > 1:
            raise RuntimeError("selected index k out of range")
        return RETURN_TYPES["topk"](input, jnp.zeros((), jnp.int64))
    if k > input.shape[d] or k < 0:
        raise RuntimeError("selected index k out of range")
    idx = jax.lax.slice_in_dim(_argsort(input, d, largest), 0, k, axis=d)
    return RETURN_TYPES["topk"](jnp.take_along_axis(input, idx, axis=d), idx)


def _kth(input, k, dim, keepdim, name):
    if input.ndim == 0:
        return RETURN_TYPES[name](input, jnp.zeros((), jnp.int64))
    d = wrap_dim(dim, input.ndim)
    idx = jax.lax.slice_in_dim(_argsort(input, d, False), k, k + 1, axis=d)
    vals = jnp.take_along_axis(input, idx, axis=d)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, d), jnp.squeeze(idx, d)
    return RETURN_TYPES[name](vals, idx)


@op(promote=None)
def kthvalue(input: Array, k: int, dim: int = -1, keepdim: bool = False):
    """Matches `torch.kthvalue` (k is 1-based)."""
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _kth(input, k - 1, dim, keepdim, "kthvalue")


def _median(input, dim, keepdim, ignore_nan, name):
    flat = dim is None
    x = input.reshape(-1) if flat else input
    d = 0 if flat else wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return x if flat else RETURN_TYPES[name](x, jnp.zeros((), jnp.int64))
    if flat and x.size == 0:  # torch: NaN (integers: their smallest value)
        fill = jnp.nan if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).min
        return jnp.full((), fill, x.dtype)
    n = x.shape[d]
    if ignore_nan and jnp.issubdtype(x.dtype, jnp.floating):
        cnt = jnp.sum(~jnp.isnan(x), axis=d, keepdims=True)
        k = jnp.maximum((cnt - 1) // 2, 0)
    else:
        k = jnp.full([1 if a == d else s for a, s in enumerate(x.shape)], (n - 1) // 2)
        if jnp.issubdtype(x.dtype, jnp.floating):
            # any NaN in the slice makes the median NaN: pick the first NaN (sorted last)
            k = jnp.where(jnp.isnan(x).any(axis=d, keepdims=True),
                          n - jnp.sum(jnp.isnan(x), axis=d, keepdims=True), k)
    order = _argsort(x, d, False)
    idx = jnp.take_along_axis(order, k.astype(jnp.int64), axis=d)
    vals = jnp.take_along_axis(x, idx, axis=d)
    if flat:
        return vals.reshape(())
    if not keepdim:
        vals, idx = jnp.squeeze(vals, d), jnp.squeeze(idx, d)
    return RETURN_TYPES[name](vals, idx)


@op(promote=None)
def median(input: Array, dim: int | None = None, keepdim: bool = False):
    """Matches `torch.median` (the lower median; NaN propagates)."""
    _nonempty("median", input, dim)
    return _flat_even(_median, input, dim, keepdim, False, "median")


@op(promote=None)
def nanmedian(input: Array, dim: int | None = None, keepdim: bool = False):
    """Matches `torch.nanmedian`."""
    _nonempty("nanmedian", input, dim)
    return _flat_even(_median, input, dim, keepdim, True, "nanmedian")


def _flat_even(f, input, dim, *args):
    # median() of all elements: torch spreads the gradient over the elements equal to it
    if dim is None and jnp.issubdtype(input.dtype, jnp.floating) and input.size:
        return _torch_grads.evenly(lambda x: f(x, dim, *args))(input)
    return f(input, dim, *args)


def _nonempty(name, x, dim):
    if x.size == 0 and dim is None:
        return
    if x.ndim and dim is not None and x.shape[wrap_dim(dim, x.ndim)] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


@op(promote=None)
def mode(input: Array, dim: int = -1, keepdim: bool = False):
    """Matches `torch.mode` (the smallest most frequent value; index of its last occurrence)."""
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return RETURN_TYPES["mode"](input, jnp.zeros((), jnp.int64))
    x = jnp.moveaxis(input, d, -1)
    n = x.shape[-1]
    eq = x[..., :, None] == x[..., None, :]
    counts = jnp.sum(eq, axis=-1)
    best = jnp.max(counts, axis=-1, keepdims=True)
    # among values with the top count pick the smallest value
    big = jnp.where(counts == best, _sortable(x), _sortable_max(x))
    vmin = jnp.min(big, axis=-1, keepdims=True)
    is_mode = (counts == best) & (_sortable(x) == vmin)
    pos = jnp.arange(n)
    idx = jnp.max(jnp.where(is_mode, pos, -1), axis=-1, keepdims=True)
    vals = jnp.take_along_axis(x, idx, axis=-1)
    vals, idx = jnp.moveaxis(vals, -1, d), jnp.moveaxis(idx, -1, d)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, d), jnp.squeeze(idx, d)
    return RETURN_TYPES["mode"](vals, idx.astype(jnp.int64))


def _sortable(x):
    return x.astype(jnp.int8) if x.dtype == jnp.bool_ else x


def _sortable_max(x):
    x = _sortable(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.full(x.shape, jnp.inf, x.dtype)
    return jnp.full(x.shape, jnp.iinfo(x.dtype).max, x.dtype)


@op(promote=None, diff=False)
def searchsorted(sorted_sequence: Array, input: Array, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Array = None):
    """Matches `torch.searchsorted`."""
    if side is not None:
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    s = sorted_sequence
    if sorter is not None:
        s = jnp.take_along_axis(s, sorter, axis=-1)
    v = jnp.asarray(input)
    dt = jnp.result_type(s.dtype, v.dtype)
    s, v = s.astype(dt), v.astype(dt)
    kind = "right" if right else "left"
    if s.ndim == 1:
        r = jnp.searchsorted(s, v, side=kind, method="compare_all")
    else:
        f = lambda a, b: jnp.searchsorted(a, b, side=kind, method="compare_all")
        for _ in range(s.ndim - 1):
            f = jax.vmap(f)
        r = f(s, v)
    return r.astype(jnp.int32 if out_int32 else jnp.int64)


@op(promote=None, diff=False)
def bucketize(input: Array, boundaries: Array, *, out_int32: bool = False, right: bool = False):
    """Matches `torch.bucketize`."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    dt = jnp.result_type(jnp.asarray(input).dtype, boundaries.dtype)
    r = jnp.searchsorted(boundaries.astype(dt), jnp.asarray(input).astype(dt),
                         side="right" if right else "left", method="compare_all")
    return r.astype(jnp.int32 if out_int32 else jnp.int64)
