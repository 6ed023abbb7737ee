"""Shape ops: view steps (see _view.py), copies, joins, gathers and scatters."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array

from .. import _view
from .._checks import index_add_shapes, index_copy_shapes, is_number, nonnegative_shape, wrap_dim, \
    wrap_dims
from ._registry import op


# View steps as differentiable ops; jtorch/_shape.py turns their results into views.
@op(promote=None, method=False, public=False, saves="none", grad_name="ViewBackward0")
def _view_step(input: Array, dyn: Array, step):
    return _view.read_step(input, step, dyn)


@op(promote=None, method=False, public=False, saves="none", grad_name="AsStridedBackward0")
def _view_read(base: Array, dyn: Array, steps):
    return _view.read_chain(base, dyn, steps)


@op(promote=None, method=False, public=False, saves="none", grad_name="CopySlices")
def _view_write(base: Array, value: Array, dyn: Array, steps):
    return _view.write_chain(base, dyn, value, steps)


@op(promote=None, method=False, public=False, saves="none", grad_name="ToCopyBackward0")
def _cast(input: Array, dtype):
    return input.astype(dtype.np)


@op(promote=None, saves="none", grad_name="CloneBackward0")
def clone(input: Array, *, memory_format=None):
    """Matches `torch.clone`."""
    return jnp.array(input, copy=True)


@op(promote=None, method=False, public=False, saves="none", grad_name="ViewBackward0")
def _reshape_copy(input: Array, shape):
    return jnp.reshape(input, shape)


@op(promote=None, method=False, public=False, saves="none", grad_name="ExpandBackward0")
def _broadcast(input: Array, shape):
    return jnp.broadcast_to(input, shape)


@op(promote=None, method=False, saves="none")
def cat(tensors: list[Array], dim: int = 0):
    """Matches `torch.cat` (1-D empty tensors are skipped, as in PyTorch)."""
    from .._promote import promote_args
    if not isinstance(tensors, (list, tuple)):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    ts = [t for t in tensors if t is None or not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors[:1])
    ax = check_cat(ts, dim)
    ts = promote_args("default", *ts)
    return jnp.concatenate(ts, axis=ax)


def check_cat(ts, dim):
    """The wrapped concatenation axis; torch's errors for arrays that cannot be joined."""
    for i, t in enumerate(ts):
        if t is None:
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got NoneType")
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ax = wrap_dim(dim, ts[0].ndim)
    for i, t in enumerate(ts[1:], 1):
        if t.ndim != ts[0].ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ts[0].ndim} and "
                               f"{t.ndim}")
        for d, (a, b) in enumerate(zip(ts[0].shape, t.shape)):
            if d != ax and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {ax}. Expected "
                                   f"size {a} but got size {b} for tensor number {i} in the list.")
    return ax


@op(promote=None, method=False, saves="none")
def stack(tensors: list[Array], dim: int = 0):
    """Matches `torch.stack`."""
    from .._promote import promote_args
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry {i}")
    ts = promote_args("default", *tensors)
    return jnp.stack(ts, axis=wrap_dim(dim, ts[0].ndim + 1) if ts else dim)


@op(promote=None, saves="none")
def flip(input: Array, dims):
    """Matches `torch.flip`."""
    return jnp.flip(input, axis=wrap_dims(dims if isinstance(dims, (list, tuple)) else (dims,), input.ndim)
                    if input.ndim else None)


@op(promote=None, saves="none")
def roll(input: Array, shifts, dims=None):
    """Matches `torch.roll`."""
    sh = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    ds = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if not sh:
        raise RuntimeError("`shifts` required")
    if len(sh) != len(ds) and not (not ds and len(sh) == 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    if ds:
        dims = tuple(wrap_dim(d, input.ndim, scalar_ok=False) for d in ds)
    return jnp.roll(input, sh if ds else sh[0], axis=dims)


@op(promote=None, saves="none")
def tril(input: Array, diagonal: int = 0):
    """Matches `torch.tril`."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return jnp.tril(input, diagonal)


@op(promote=None, saves="none")
def triu(input: Array, diagonal: int = 0):
    """Matches `torch.triu`."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return jnp.triu(input, diagonal)


@op(promote=None, saves="none", public=False, method=False)
def _repeat(input: Array, repeats):
    lead = len(repeats) - input.ndim
    x = input.reshape((1,) * lead + input.shape)
    nonnegative_shape(tuple(n * r for n, r in zip(x.shape, repeats)))
    return jnp.tile(x, repeats)


@op(promote=None, saves="none", method=False)
def gather(input: Array, dim: int, index: Array, *, sparse_grad: bool = False):
    """Matches `torch.gather` (indices out of range raise eagerly; under jit they are clamped)."""
    if index.dtype not in (jnp.int32, jnp.int64):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index.size == 0:  # torch checks nothing more for an empty index: an empty result
        wrap_dim(dim, input.ndim)
        return jnp.zeros(index.shape, input.dtype)
    dim = _check_index_shape(input, dim, index)
    if input.ndim == 0:  # a 0-dim input gathers like a one-element vector
        return jnp.take(input.reshape(1), index.astype(jnp.int64), mode="clip")
    return jnp.take_along_axis(input, index.astype(jnp.int64), axis=dim, mode="clip") \
        if index.shape == input.shape else _gather_general(input, dim, index)


def _check_index_shape(x, dim, index, src=None, self_name="input"):
    """gather/scatter shape rules: same ndim, and index no larger than x (except in `dim`) and src."""
    dim = wrap_dim(dim, x.ndim)
    if index.ndim and max(index.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{self_name} tensor")
    if src is not None and index.ndim and max(index.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if not index.ndim or not index.size:
        return dim
    if any(i > n for d, (i, n) in enumerate(zip(index.shape, x.shape)) if d != dim) or (
            src is not None and any(i > n for i, n in zip(index.shape, src.shape))):
        if self_name == "input":
            raise RuntimeError(f"Size does not match at dimension {dim} expected index "
                               f"{list(index.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {dim}")
        raise RuntimeError(f"Expected index {list(index.shape)} to be smaller than self "
                           f"{list(x.shape)} apart from dimension {dim}" + (
                               "" if src is None else f" and to be smaller size than src {list(src.shape)}"))
    return dim


def _gather_general(x, dim, index):
    # torch.gather allows index smaller than input in every dim but `dim`.
    idx = jnp.indices(index.shape, sparse=True)
    idx = list(idx)
    idx[dim] = index.astype(jnp.int64)
    return x[tuple(idx)]


@op(promote=None, saves="none", inplace=True, method=True)
def scatter(input: Array, dim: int, index: Array, src: Array = None, *, value: Array = None,
            reduce: str | None = None):
    """Matches `torch.scatter` (src tensor or value=; indices out of range raise eagerly; under
    jit they are dropped)."""
    src_t = src if src is not None and not is_number(src) else None  # a 0-dim Tensor src too
    if src_t is not None and src_t.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = _check_index_shape(input, dim, index, src_t, "self")
    if input.ndim == 0:  # a 0-dim tensor scatters like a one-element vector
        def one(a):
            return a.reshape(1) if getattr(a, "ndim", None) == 0 else a
        return scatter(input.reshape(1), 0, one(index), one(src), value=value,
                       reduce=reduce).reshape(())
    idx = list(jnp.indices(index.shape, sparse=True))
    idx[dim] = index.astype(jnp.int64)
    idx = tuple(idx)
    if src is None:
        src = value
    if not hasattr(src, "shape") or src.shape == ():
        vals = jnp.broadcast_to(jnp.asarray(src, input.dtype), index.shape)
    else:
        vals = src[tuple(slice(0, n) for n in index.shape)].astype(input.dtype)
    if reduce is None:
        return input.at[idx].set(vals)
    if input.dtype == jnp.bool_ and reduce in ("add", "multiply"):  # logical or / and
        return input.at[idx].max(vals) if reduce == "add" else input.at[idx].min(vals)
    if reduce == "add":
        return input.at[idx].add(vals)
    if reduce == "multiply":
        return input.at[idx].multiply(vals)
    raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce!r}")


@op(promote=None, saves="none", inplace=True)
def scatter_add(input: Array, dim: int, index: Array, src: Array):
    """Matches `torch.scatter_add` (indices out of range raise eagerly; under jit they are
    dropped)."""
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    dim = _check_index_shape(input, dim, index, src, "self")
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return scatter_add(input.reshape(1), 0, index.reshape(-1), src.reshape(-1)).reshape(())
    idx = list(jnp.indices(index.shape, sparse=True))
    idx[dim] = index.astype(jnp.int64)
    vals = src[tuple(slice(0, n) for n in index.shape)].astype(input.dtype)
    if input.dtype == jnp.bool_:  # bool accumulation is logical or
        return input.at[tuple(idx)].max(vals)
    return input.at[tuple(idx)].add(vals)


@op(promote=None, saves="none")
def index_select(input: Array, dim: int, index: Array):
    """Matches `torch.index_select`."""
    if index.dtype not in (jnp.int32, jnp.int64):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return jnp.take(input.reshape(1), index.astype(jnp.int64).reshape(-1), axis=0).reshape(())
    return jnp.take(input, index.astype(jnp.int64).reshape(-1), axis=wrap_dim(dim, input.ndim))


@op(promote=None, saves="none", inplace=True)
def index_add(input: Array, dim: int, index: Array, source: Array, *, alpha: Array = 1):
    """Matches `torch.index_add`."""
    index_add_shapes(input, dim, index, source)
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return index_add(input.reshape(1), 0, index, jnp.reshape(source, 1), alpha=alpha).reshape(())
    x = jnp.moveaxis(input, dim, 0)
    s = jnp.moveaxis(source, dim, 0).astype(input.dtype)
    idx = index.astype(jnp.int64).reshape(-1)
    if input.dtype == jnp.bool_:  # bool accumulation is logical or; any nonzero alpha is True
        return jnp.moveaxis(x.at[idx].max(s & (jnp.asarray(alpha) != 0)), 0, dim)
    return jnp.moveaxis(x.at[idx].add(s * alpha), 0, dim)


@op(promote=None, saves="none", inplace=True)
def index_copy(input: Array, dim: int, index: Array, source: Array):
    """Matches `torch.index_copy`."""
    index_copy_shapes(input, dim, index, source)
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return index_copy(input.reshape(1), 0, index, jnp.reshape(source, 1)).reshape(())
    dim = wrap_dim(dim, input.ndim)
    x = jnp.moveaxis(input, dim, 0)
    s = jnp.moveaxis(source, dim, 0).astype(input.dtype)
    return jnp.moveaxis(x.at[index.astype(jnp.int64).reshape(-1)].set(s), 0, dim)


@op(promote=None, saves="none", inplace=True)
def index_fill(input: Array, dim: int, index: Array, value: Array):
    """Matches `torch.index_fill`."""
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return index_fill(input.reshape(1), 0, index, value).reshape(())
    dim = wrap_dim(dim, input.ndim)
    x = jnp.moveaxis(input, dim, 0)
    return jnp.moveaxis(x.at[index.astype(jnp.int64)].set(jnp.asarray(value, input.dtype)), 0, dim)


# C++ type names, as torch's messages spell them
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "int64_t", "int32": "int", "int16": "short", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


@op(promote=None, saves="none", inplace=True)
def masked_fill(input: Array, mask: Array, value: Array):
    """Matches `torch.masked_fill`."""
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if getattr(value, "ndim", 0):
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    if jnp.iscomplexobj(value) and not jnp.iscomplexobj(input):
        raise RuntimeError("value cannot be converted to type "
                           f"{_C_NAMES.get(input.dtype.name, input.dtype.name)} without overflow")
    return jnp.where(mask, jnp.asarray(value).astype(input.dtype), input)


@op(promote=None, saves="none", inplace=True, method=True, public=False, grad_name="FillBackward0")
def fill(input: Array, value: Array):
    """Matches `Tensor.fill_` (out of place; the gradient to input is zero)."""
    return jnp.full_like(input, jnp.asarray(value).astype(input.dtype))


@op(promote=None, saves="none", public=False, method=False, grad_name="ZeroBackward0")
def _zero(input: Array):
    return jnp.zeros_like(input)


@op(promote=None, saves="none", public=False, method=False, grad_name="CopyBackwards")
def _copy_into(input: Array, src: Array):
    return jnp.broadcast_to(src, input.shape).astype(input.dtype)


@op(promote=None, saves="none", public=False, method=False, grad_name="IndexBackward0")
def _getitem(input: Array, key: Array, structure):
    from .._indexing import rebuild_key
    if ("b", False) in structure and not any(s[0] == "t" for s in structure):
        # x[False] (with basic indices only): a new dimension of size 0, as torch
        s = tuple(("b", True) if e == ("b", False) else e for e in structure)
        axis = sum(1 for e in structure[:structure.index(("b", False))] if e[0] in "snb")
        return jax.lax.slice_in_dim(input[rebuild_key(key, s)], 0, 0, axis=axis)
    return input[rebuild_key(key, structure)]


@op(promote=None, saves="none", public=False, method=False, grad_name="IndexPutBackward0")
def _setitem(input: Array, key: Array, value: Array, structure, accumulate: bool = False):
    from .._indexing import rebuild_key
    k = rebuild_key(key, structure)
    v = value.astype(input.dtype) if hasattr(value, "astype") else jnp.asarray(value, input.dtype)
    if accumulate and input.dtype == jnp.bool_:  # torch accumulates bools as a logical or
        return input.at[k].max(v)
    return input.at[k].add(v) if accumulate else input.at[k].set(v)


@op(promote=None, saves="none", method=True)
def take(input: Array, index: Array):
    """Matches `torch.take`."""
    return jnp.take(input.reshape(-1), index.astype(jnp.int64))


@op(promote=None, saves="none", method=True)
def take_along_dim(input: Array, indices: Array, dim: int | None = None):
    """Matches `torch.take_along_dim`."""
    if dim is None:
        return jnp.take(input.reshape(-1), indices.reshape(-1).astype(jnp.int64))
    return jnp.take_along_axis(input, indices.astype(jnp.int64), axis=wrap_dim(dim, input.ndim))
