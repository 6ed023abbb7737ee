"""Shape ops: view steps (see _view.py), copies, joins, gathers and scatters."""
from __future__ import annotations

import jax.numpy as jnp
from jax import Array

from .. import _view
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
    ts = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors[:1])
    ts = promote_args("default", *ts)
    return jnp.concatenate(ts, axis=dim % ts[0].ndim if ts[0].ndim else 0)


@op(promote=None, method=False, saves="none")
def stack(tensors: list[Array], dim: int = 0):
    """Matches `torch.stack`."""
    from .._promote import promote_args
    ts = promote_args("default", *tensors)
    return jnp.stack(ts, axis=dim)


@op(promote=None, saves="none")
def flip(input: Array, dims):
    """Matches `torch.flip`."""
    return jnp.flip(input, axis=tuple(dims) if isinstance(dims, (list, tuple)) else dims)


@op(promote=None, saves="none")
def roll(input: Array, shifts, dims=None):
    """Matches `torch.roll`."""
    return jnp.roll(input, shifts, axis=dims)


@op(promote=None, saves="none")
def tril(input: Array, diagonal: int = 0):
    """Matches `torch.tril`."""
    return jnp.tril(input, diagonal)


@op(promote=None, saves="none")
def triu(input: Array, diagonal: int = 0):
    """Matches `torch.triu`."""
    return jnp.triu(input, diagonal)


@op(promote=None, saves="none", public=False, method=False)
def _repeat(input: Array, repeats):
    lead = len(repeats) - input.ndim
    x = input.reshape((1,) * lead + input.shape)
    return jnp.tile(x, repeats)


@op(promote=None, saves="none", method=False)
def gather(input: Array, dim: int, index: Array, *, sparse_grad: bool = False):
    """Matches `torch.gather`."""
    return jnp.take_along_axis(input, index.astype(jnp.int64), axis=dim, mode="clip") \
        if index.shape == input.shape else _gather_general(input, dim, index)


def _gather_general(x, dim, index):
    # torch.gather allows index smaller than input in every dim but `dim`.
    idx = jnp.indices(index.shape, sparse=True)
    idx = list(idx)
    idx[dim] = index.astype(jnp.int64)
    return x[tuple(idx)]


@op(promote=None, saves="none", inplace=True, method=True)
def scatter(input: Array, dim: int, index: Array, src: Array = None, *, value: Array = None,
            reduce: str | None = None):
    """Matches `torch.scatter` (src tensor or value=)."""
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
    if reduce == "add":
        return input.at[idx].add(vals)
    if reduce == "multiply":
        return input.at[idx].multiply(vals)
    raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce!r}")


@op(promote=None, saves="none", inplace=True)
def scatter_add(input: Array, dim: int, index: Array, src: Array):
    """Matches `torch.scatter_add`."""
    idx = list(jnp.indices(index.shape, sparse=True))
    idx[dim] = index.astype(jnp.int64)
    vals = src[tuple(slice(0, n) for n in index.shape)].astype(input.dtype)
    return input.at[tuple(idx)].add(vals)


@op(promote=None, saves="none")
def index_select(input: Array, dim: int, index: Array):
    """Matches `torch.index_select`."""
    return jnp.take(input, index.astype(jnp.int64).reshape(-1), axis=dim)


@op(promote=None, saves="none", inplace=True)
def index_add(input: Array, dim: int, index: Array, source: Array, *, alpha: Array = 1):
    """Matches `torch.index_add`."""
    x = jnp.moveaxis(input, dim, 0)
    s = jnp.moveaxis(source, dim, 0).astype(input.dtype)
    return jnp.moveaxis(x.at[index.astype(jnp.int64)].add(s * alpha), 0, dim)


@op(promote=None, saves="none", inplace=True)
def index_copy(input: Array, dim: int, index: Array, source: Array):
    """Matches `torch.index_copy`."""
    x = jnp.moveaxis(input, dim, 0)
    s = jnp.moveaxis(source, dim, 0).astype(input.dtype)
    return jnp.moveaxis(x.at[index.astype(jnp.int64)].set(s), 0, dim)


@op(promote=None, saves="none", inplace=True)
def index_fill(input: Array, dim: int, index: Array, value: Array):
    """Matches `torch.index_fill`."""
    x = jnp.moveaxis(input, dim, 0)
    return jnp.moveaxis(x.at[index.astype(jnp.int64)].set(jnp.asarray(value, input.dtype)), 0, dim)


@op(promote=None, saves="none", inplace=True)
def masked_fill(input: Array, mask: Array, value: Array):
    """Matches `torch.masked_fill`."""
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
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
    return input[rebuild_key(key, structure)]


@op(promote=None, saves="none", public=False, method=False, grad_name="IndexPutBackward0")
def _setitem(input: Array, key: Array, value: Array, structure, accumulate: bool = False):
    from .._indexing import rebuild_key
    k = rebuild_key(key, structure)
    v = value.astype(input.dtype) if hasattr(value, "astype") else jnp.asarray(value, input.dtype)
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
    return jnp.take_along_axis(input, indices.astype(jnp.int64), axis=dim)
