"""Reductions: sum, mean, max/min (with indices), var/std, softmax, cumulative ops."""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
from jax import Array

from .._checks import wrap_dim, wrap_dims
from . import _torch_grads
from ._opmath import fused as _fused, low
from ._registry import by_dim, op


def _np(dtype):
    return None if dtype is None else dtype.np


def _axis(dim, ndim):
    if dim is None or dim == () or dim == []:
        return None
    ax = wrap_dims(dim, ndim) if isinstance(dim, (tuple, list)) else wrap_dim(dim, ndim)
    return ax if ndim else None


def _acc_dtype(x, dtype):
    # PyTorch sums bool/integers into int64.
    if dtype is not None:
        return dtype.np
    if jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_:
        return jnp.int64
    return None


@op(promote=None, saves="none", grad_name=by_dim("Sum"))
def sum(input: Array, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.sum`."""
    return _sum(jnp.sum, input, dim, keepdim, dtype)


def _sum(fn, x, dim, keepdim, dtype):
    acc = _acc_dtype(x, dtype)
    if acc is not None and low(acc):
        # torch casts to the bfloat16/float16 dtype=, then accumulates in float32 (rounded once)
        return _fused(lambda v: fn(v, axis=_axis(dim, x.ndim), keepdims=keepdim), x.astype(acc))
    return fn(x, axis=_axis(dim, x.ndim), keepdims=keepdim, dtype=acc)


@op(promote=None, saves="none")
def nansum(input: Array, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.nansum`."""
    return _sum(jnp.nansum, input, dim, keepdim, dtype)


@op(promote=None, grad_name=by_dim("Prod"))
def prod(input: Array, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.prod`."""
    x = input.astype(_acc_dtype(input, dtype)) if _acc_dtype(input, dtype) is not None else input
    return _torch_grads.prod(x, _axis(dim, input.ndim), keepdim)


def _need_float(name, x, dtype):
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(dtype.np)}")
    if dtype is None and not (jnp.issubdtype(x.dtype, jnp.inexact)):
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(x.dtype)}. Pass dtype= or "
                           f"convert with .float().")


def _tname(d):
    from .. import _dtype as D
    from .._tensor import _type_name
    return _type_name(D.from_np(d))


@op(promote=None, saves="none", grad_name=by_dim("Mean"))
def mean(input: Array, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.mean`."""
    _need_float("mean", input, dtype)
    x = input if dtype is None else input.astype(dtype.np)
    return jnp.mean(x, axis=_axis(dim, x.ndim), keepdims=keepdim)


@op(promote=None)
def nanmean(input: Array, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.nanmean`."""
    _need_float("nanmean", input, dtype)
    x = input if dtype is None else input.astype(dtype.np)
    return jnp.nanmean(x, axis=_axis(dim, x.ndim), keepdims=keepdim)


def _split(dim, unbiased):
    # torch's `var(input, unbiased)` overload: a bool in dim's place is `unbiased`.
    return (None, dim) if isinstance(dim, bool) else (dim, unbiased)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@op(promote=None)
def var(input: Array, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None):
    """Matches `torch.var`."""
    dim, unbiased = _split(dim, unbiased)
    return _torch_grads.var(input, _axis(dim, input.ndim), _correction(unbiased, correction), keepdim)


@op(promote=None)
def std(input: Array, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None):
    """Matches `torch.std`."""
    dim, unbiased = _split(dim, unbiased)
    return _torch_grads.std(input, _axis(dim, input.ndim), _correction(unbiased, correction), keepdim)


@op(promote=None, method=False)
def var_mean(input: Array, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None):
    """Matches `torch.var_mean`."""
    dim, unbiased = _split(dim, unbiased)
    ax = _axis(dim, input.ndim)
    return (_torch_grads.var(input, ax, _correction(unbiased, correction), keepdim),
            jnp.mean(input, axis=ax, keepdims=keepdim))


@op(promote=None, method=False)
def std_mean(input: Array, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None):
    """Matches `torch.std_mean`."""
    dim, unbiased = _split(dim, unbiased)
    ax = _axis(dim, input.ndim)
    return (_torch_grads.std(input, ax, _correction(unbiased, correction), keepdim),
            jnp.mean(input, axis=ax, keepdims=keepdim))


# ---- max/min with indices ----------------------------------------------------------------

def _nt(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    return cls


RETURN_TYPES = {n: _nt(n, ["values", "indices"]) for n in
                ("max", "min", "sort", "topk", "mode", "median", "nanmedian", "kthvalue", "cummax",
                 "cummin", "aminmax")}
RETURN_TYPES["aminmax"] = _nt("aminmax", ["min", "max"])


def _select(x, dim, keepdim, arg):
    idx = arg(x, axis=dim, keepdims=True)
    # Values by gathering at the chosen index, so the gradient goes to that element only.
    vals = jnp.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, dim), jnp.squeeze(idx, dim)
    return vals, idx.astype(jnp.int64)


def _argmax_nan(x, axis, keepdims):
    # PyTorch treats NaN as the maximum; ties resolve to the first index.
    if jnp.issubdtype(x.dtype, jnp.floating):
        key = jnp.where(jnp.isnan(x), jnp.inf, x)
        nan_any = jnp.isnan(x).any(axis=axis, keepdims=True)
        first_nan = jnp.argmax(jnp.isnan(x), axis=axis, keepdims=True)
        return jnp.where(nan_any, first_nan, jnp.argmax(key, axis=axis, keepdims=True)) if keepdims \
            else jnp.where(nan_any.squeeze(axis), first_nan.squeeze(axis), jnp.argmax(key, axis=axis))
    return jnp.argmax(x, axis=axis, keepdims=keepdims)


def _argmin_nan(x, axis, keepdims):
    if jnp.issubdtype(x.dtype, jnp.floating):
        key = jnp.where(jnp.isnan(x), -jnp.inf, x)
        nan_any = jnp.isnan(x).any(axis=axis, keepdims=True)
        first_nan = jnp.argmax(jnp.isnan(x), axis=axis, keepdims=True)
        r = jnp.where(nan_any, first_nan, jnp.argmin(key, axis=axis, keepdims=True))
        return r if keepdims else r.squeeze(axis)
    return jnp.argmin(x, axis=axis, keepdims=keepdims)


@op(promote=None, grad_name="MaxBackward1")
def _max_all(input: Array):
    return _torch_grads.evenly(jnp.max)(input)


@op(promote=None, grad_name="MaxBackward0")
def _max_dim(input: Array, dim: int, keepdim: bool = False):
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:  # a 0-dim tensor is its own max, at index 0
        return RETURN_TYPES["max"](input, jnp.zeros((), jnp.int64))
    return RETURN_TYPES["max"](*_select(input, dim, keepdim, _argmax_nan))


@op(promote=None, grad_name="MinBackward1")
def _min_all(input: Array):
    return _torch_grads.evenly(jnp.min)(input)


@op(promote=None, grad_name="MinBackward0")
def _min_dim(input: Array, dim: int, keepdim: bool = False):
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:  # a 0-dim tensor is its own min, at index 0
        return RETURN_TYPES["min"](input, jnp.zeros((), jnp.int64))
    return RETURN_TYPES["min"](*_select(input, dim, keepdim, _argmin_nan))


@op(promote=None)
def amax(input: Array, dim=(), keepdim: bool = False):
    """Matches `torch.amax` (ties share the gradient evenly)."""
    return jnp.max(input, axis=_extreme_axis("amax", input, dim), keepdims=keepdim)


@op(promote=None)
def amin(input: Array, dim=(), keepdim: bool = False):
    """Matches `torch.amin`."""
    return jnp.min(input, axis=_extreme_axis("amin", input, dim), keepdims=keepdim)


def _extreme_axis(name, x, dim):
    # max/min have no identity: torch refuses empty reductions (jnp raises ValueError).
    dims = () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    ax = wrap_dims(dims, x.ndim)
    if x.size == 0:
        if not ax:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                               "== 0. Specify the reduction dim with the 'dim' argument.")
        for d in ax:
            if x.ndim and x.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return (ax or None) if x.ndim else None


@op(promote=None, diff=False)
def argmax(input: Array, dim: int | None = None, keepdim: bool = False):
    """Matches `torch.argmax` (first index among ties; NaN counts as the maximum)."""
    dim = None if dim is None else wrap_dim(dim, input.ndim)
    if dim is None or input.ndim == 0:  # a 0-dim input has one element whatever the dim
        r = _argmax_nan(input.reshape(-1), 0, False)
        return (r.reshape((1,) * input.ndim) if keepdim else r).astype(jnp.int64)
    return _argmax_nan(input, dim, keepdim).astype(jnp.int64)


@op(promote=None, diff=False)
def argmin(input: Array, dim: int | None = None, keepdim: bool = False):
    """Matches `torch.argmin`."""
    dim = None if dim is None else wrap_dim(dim, input.ndim)
    if dim is None or input.ndim == 0:  # a 0-dim input has one element whatever the dim
        r = _argmin_nan(input.reshape(-1), 0, False)
        return (r.reshape((1,) * input.ndim) if keepdim else r).astype(jnp.int64)
    return _argmin_nan(input, dim, keepdim).astype(jnp.int64)


@op(promote=None, diff=False)
def all(input: Array, dim=None, keepdim: bool = False):
    """Matches `torch.all`."""
    r = jnp.all(input != 0, axis=_axis(dim, input.ndim), keepdims=keepdim)
    return r.astype(jnp.uint8) if input.dtype == jnp.uint8 else r


@op(promote=None, diff=False)
def any(input: Array, dim=None, keepdim: bool = False):
    """Matches `torch.any`."""
    r = jnp.any(input != 0, axis=_axis(dim, input.ndim), keepdims=keepdim)
    return r.astype(jnp.uint8) if input.dtype == jnp.uint8 else r


@op(promote=None, diff=False)
def count_nonzero(input: Array, dim=None):
    """Matches `torch.count_nonzero`."""
    return jnp.sum(input != 0, axis=_axis(dim, input.ndim)).astype(jnp.int64)


@op(promote="float")
def logsumexp(input: Array, dim, keepdim: bool = False):
    """Matches `torch.logsumexp`."""
    return jax.nn.logsumexp(input, axis=_axis(dim, input.ndim), keepdims=keepdim)


def _soft_dtype(x, dtype):
    if dtype is not None:
        return x.astype(dtype.np)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError("softmax: expected a floating point input; got an integer tensor. "
                           "Convert with .float() or pass dtype=")
    return x


@op(promote=None, saves="output")
def softmax(input: Array, dim: int | None = None, dtype=None):
    """Matches `torch.softmax`."""
    x = _soft_dtype(input, dtype)
    ax = _implicit_dim(dim, x.ndim)
    if x.ndim == 0:  # one element: its softmax is 1
        return jax.nn.softmax(x.reshape(1), axis=0).reshape(())
    return _torch_grads.softmax(x, ax)


@op(promote=None, saves="output")
def log_softmax(input: Array, dim: int | None = None, dtype=None):
    """Matches `torch.log_softmax`."""
    x = _soft_dtype(input, dtype)
    ax = _implicit_dim(dim, x.ndim)
    if x.ndim == 0:
        return jax.nn.log_softmax(x.reshape(1), axis=0).reshape(())
    return _fused(lambda v: jax.nn.log_softmax(v, axis=ax), x)


def _implicit_dim(dim, ndim):
    if dim is None:
        return 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, ndim)


@op(promote=None, saves="none", inplace=True)
def cumsum(input: Array, dim: int, *, dtype=None):
    """Matches `torch.cumsum` (bfloat16/float16 accumulate in float32, as torch's, each
    partial sum rounded once)."""
    dim = wrap_dim(dim, input.ndim)
    acc = _acc_dtype(input, dtype)
    out = jnp.dtype(acc or input.dtype)
    if low(out):
        return _cumsum(input.astype(jnp.float32), dim, None).astype(out)
    return _cumsum(input, dim, acc)


def _cumsum(input, dim, acc):
    if input.ndim == 0:  # a 0-dim tensor is its own cumulative sum
        return jnp.cumsum(input.reshape(1), dtype=acc).reshape(())
    return jnp.cumsum(input, axis=dim, dtype=acc)


@op(promote=None, inplace=True)
def cumprod(input: Array, dim: int, *, dtype=None):
    """Matches `torch.cumprod`."""
    dim = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return jnp.cumprod(input.reshape(1), dtype=_acc_dtype(input, dtype)).reshape(())
    x = input.astype(_acc_dtype(input, dtype)) if _acc_dtype(input, dtype) is not None else input
    return _torch_grads.cumprod(x, dim)


@op(promote="float")
def logcumsumexp(input: Array, dim: int):
    """Matches `torch.logcumsumexp`."""
    d = wrap_dims((dim,), input.ndim)[0]
    if input.ndim == 0:
        return input
    return jax.lax.cumlogsumexp(input, axis=d)


def _norm_name(args, kwargs):
    # torch.norm runs linalg.vector_norm, except 'nuc' (a sum of singular values).
    p = args[1] if len(args) > 1 else kwargs.get("p", "fro")
    return "SumBackward1" if p == "nuc" else "LinalgVectorNormBackward0"


@op(promote=None, grad_name=_norm_name)
def norm(input: Array, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """Matches `torch.norm` (vector norms; 'fro' and 'nuc' over two dims)."""
    from .linalg_ext import vector_norm
    x = input if dtype is None else input.astype(dtype.np)
    ax = _axis(dim, x.ndim)
    if p == "nuc":
        return jnp.linalg.norm(x, ord="nuc", axis=ax, keepdims=keepdim)
    return vector_norm(x, 2 if p in ("fro", None) else p, ax, keepdim)
