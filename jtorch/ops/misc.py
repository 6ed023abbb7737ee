"""Assorted tensor ops: products, differences, stacking, splitting, diagonals, scatter variants."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import Array

from .._checks import nonnegative_shape, tensor_args
from ._registry import op
from .elementwise import _is_int
from .reduction import RETURN_TYPES


def _wrap(d, n):
    if not -max(n, 1) <= d < max(n, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(n, 1)}, "
                         f"{max(n, 1) - 1}], but got {d})")
    return d % max(n, 1)


# ---- products and distances ----------------------------------------------------------------

@op(promote="default")
def cross(input: Array, other: Array, dim: int | None = None):
    """Matches `torch.cross` (dim=None picks the first dimension of size 3)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    x, y = jnp.broadcast_arrays(input, other)
    if dim is None:
        dim = next(i for i, s in enumerate(x.shape) if s == 3)
    return jnp.cross(x, y, axis=_wrap(dim, x.ndim))


@op(promote="default")
def kron(input: Array, other: Array):
    """Matches `torch.kron`."""
    if input.dtype == jnp.bool_:  # jax multiplies bools only as integers
        return jnp.kron(input.astype(jnp.int8), other.astype(jnp.int8)).astype(jnp.bool_)
    return jnp.kron(input, other)


@op(promote=None, method=False)
def tensordot(a: Array, b: Array, dims=2):
    """Matches `torch.tensordot`."""
    from .._promote import promote_args
    x, y = promote_args("default", a, b)
    if isinstance(dims, (list, tuple)) and len(dims) == 2 and isinstance(dims[0], (list, tuple)):
        dims = (tuple(dims[0]), tuple(dims[1]))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        dims = ((dims[0],), (dims[1],))
    if isinstance(dims, int):
        dims = int(dims)  # True is 1, as in torch
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(x.ndim, y.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
    elif not isinstance(dims, tuple):
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    pairs = (zip(range(x.ndim - dims, x.ndim), range(dims)) if isinstance(dims, int)
             else zip(*dims))
    for i, j in [(i % max(x.ndim, 1), j % max(y.ndim, 1)) for i, j in pairs]:
        # a contracted dim of size 1 broadcasts, as in torch
        if x.shape[i] != y.shape[j] and 1 not in (x.shape[i], y.shape[j]):
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{x.shape[i]} in dim {i} and second has size {y.shape[j]} in dim {j}")
        if x.shape[i] == 1 != y.shape[j]:
            x = jnp.broadcast_to(x, x.shape[:i] + (y.shape[j],) + x.shape[i + 1:])
        elif y.shape[j] == 1 != x.shape[i]:
            y = jnp.broadcast_to(y, y.shape[:j] + (x.shape[i],) + y.shape[j + 1:])
    return jnp.tensordot(x, y, axes=dims)


@op(promote=None, method=False)
def cdist(x1: Array, x2: Array, p: float = 2.0, compute_mode: str | None = None):
    """Matches `torch.cdist`."""
    d = x1[..., :, None, :] - x2[..., None, :, :]
    a = jnp.abs(d)
    if p == 0:
        return jnp.sum(a != 0, axis=-1).astype(x1.dtype)
    if p == float("inf"):
        return jnp.max(a, axis=-1) if a.shape[-1] else jnp.zeros(a.shape[:-1], x1.dtype)
    if p == 2:
        s = jnp.sum(a * a, axis=-1)
        # sqrt'(0) is inf; torch's gradient at zero distance is 0
        safe = jnp.where(s == 0, 1.0, s)
        return jnp.where(s == 0, 0.0, jnp.sqrt(safe)).astype(x1.dtype)
    if p == 1:
        return jnp.sum(a, axis=-1)
    return jnp.sum(a ** p, axis=-1) ** (1.0 / p)


@op(promote=None, method=False, public=False)
def _chain_matmul(matrices: list[Array]):
    """Matches `torch.chain_matmul`."""
    from .linalg_ext import check_chain
    check_chain(matrices)
    return jnp.linalg.multi_dot(matrices) if len(matrices) > 1 else matrices[0]


# ---- differences, integrals, cumulative -----------------------------------------------------

@op(promote=None)
def diff(input: Array, n: int = 1, dim: int = -1, prepend: Array = None, append: Array = None):
    """Matches `torch.diff`."""
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap(dim, input.ndim)
    if n == 0:  # torch returns the input itself, without prepend/append
        return input
    x = input
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        parts = [jnp.broadcast_to(p, x.shape[:d] + (1,) + x.shape[d + 1:]) if jnp.ndim(p) == 0 else p
                 for p in parts]
        x = jnp.concatenate(parts, axis=d)
    for _ in range(builtins.min(n, x.shape[d])):  # past the length the result stays empty
        if x.dtype == jnp.bool_:
            x = jnp.logical_xor(jax.lax.slice_in_dim(x, 1, None, axis=d),
                                jax.lax.slice_in_dim(x, 0, -1, axis=d))
        else:
            x = jnp.diff(x, axis=d)
    return x


@op(promote=None, method=False)
def trapezoid(y: Array, x: Array = None, *, dx: float | None = None, dim: int = -1):
    """Matches `torch.trapezoid`."""
    yy = y.astype(jnp.float32) if _is_int(y) else y
    dim = _wrap(dim, y.ndim)
    if x is not None:
        return jnp.trapezoid(yy, x=x, axis=dim)
    return jnp.trapezoid(yy, dx=1.0 if dx is None else dx, axis=dim)


@op(promote=None, method=False)
def cumulative_trapezoid(y: Array, x: Array = None, *, dx: float | None = None, dim: int = -1):
    """Matches `torch.cumulative_trapezoid`."""
    d = _wrap(dim, y.ndim)
    yy = y.astype(jnp.float32) if _is_int(y) else y
    avg = (jax.lax.slice_in_dim(yy, 1, None, axis=d) + jax.lax.slice_in_dim(yy, 0, -1, axis=d)) / 2
    if x is not None:
        w = jnp.diff(x, axis=-1 if x.ndim == 1 else d)
        if x.ndim == 1:
            w = w.reshape([-1 if a == d else 1 for a in range(yy.ndim)])
        return jnp.cumsum(avg * w, axis=d)
    return jnp.cumsum(avg * (1.0 if dx is None else dx), axis=d)


def _cum_ext(x, dim, better, name):
    if x.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
        return RETURN_TYPES[name](x, jnp.zeros((), jnp.int64))
    d = _wrap(dim, x.ndim)
    idx = jnp.broadcast_to(jnp.arange(x.shape[d]).reshape([-1 if a == d else 1 for a in range(x.ndim)]),
                           x.shape)
    isf = jnp.issubdtype(x.dtype, jnp.floating)

    def comb(a, b):
        (va, ia), (vb, ib) = a, b
        take_b = better(vb, va) | (vb == va)
        if isf:
            take_b = (take_b & ~jnp.isnan(va)) | jnp.isnan(vb)
        return jnp.where(take_b, vb, va), jnp.where(take_b, ib, ia)
    vals, ids = jax.lax.associative_scan(comb, (x, idx), axis=d)
    return RETURN_TYPES[name](jnp.take_along_axis(x, ids, axis=d), ids.astype(jnp.int64))


@op(promote=None)
def cummax(input: Array, dim: int):
    """Matches `torch.cummax` (ties take the later index, NaN propagates)."""
    return _cum_ext(input, dim, jnp.greater, "cummax")


@op(promote=None)
def cummin(input: Array, dim: int):
    """Matches `torch.cummin`."""
    return _cum_ext(input, dim, jnp.less, "cummin")


# ---- quantiles and histograms ---------------------------------------------------------------

def _quantile(x, q, dim, keepdim, interpolation, nan):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    qa = jnp.asarray(q, x.dtype)
    if x.ndim == 0:  # a 0-dim input behaves as a 1-element vector
        r = _quantile(x.reshape(1), q, None if dim is None else 0, keepdim, interpolation, nan)
        return r.reshape(r.shape[:-1]) if keepdim and dim is not None and r.ndim else r
    f = jnp.nanquantile if nan else jnp.quantile
    r = f(x, qa, axis=dim, method=interpolation, keepdims=keepdim)
    if not nan and dim is None:
        r = jnp.where(jnp.isnan(x).any(), jnp.nan, r)
    elif not nan:
        r = jnp.where(jnp.isnan(x).any(axis=dim, keepdims=keepdim), jnp.nan, r)
    return r.astype(x.dtype)


@op(promote=None)
def quantile(input: Array, q: Array, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear"):
    """Matches `torch.quantile`."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


@op(promote=None)
def nanquantile(input: Array, q: Array, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear"):
    """Matches `torch.nanquantile`."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


@op(promote=None, diff=False)
def histc(input: Array, bins: int = 100, min: float = 0, max: float = 0):
    """Matches `torch.histc` (min == max uses the data's range)."""
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    x = input.reshape(-1)
    if min == max and x.size == 0:  # jnp.min of nothing raises
        lo, hi = jnp.asarray(0, x.dtype), jnp.asarray(0, x.dtype)
    else:
        lo, hi = (jnp.min(x), jnp.max(x)) if min == max else (jnp.asarray(min, x.dtype), jnp.asarray(max, x.dtype))
    lo, hi = jnp.where(lo == hi, lo - 1, lo), jnp.where(lo == hi, hi + 1, hi)
    pos = ((x - lo) * bins / (hi - lo)).astype(jnp.int64)
    pos = jnp.where(x == hi, bins - 1, pos)
    ok = (x >= lo) & (x <= hi)
    return jnp.zeros(bins, x.dtype).at[jnp.where(ok, pos, 0)].add(ok.astype(x.dtype))


# ---- rotation, stacking, tiling --------------------------------------------------------------

@op(promote=None, saves="none")
def rot90(input: Array, k: int = 1, dims=(0, 1)):
    """Matches `torch.rot90`."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (_wrap(d, input.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return jnp.rot90(input, k, axes=(d0, d1))


@op(promote=None, saves="none")
def fliplr(input: Array):
    """Matches `torch.fliplr`."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return jnp.flip(input, 1)


@op(promote=None, saves="none")
def flipud(input: Array):
    """Matches `torch.flipud`."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return jnp.flip(input, 0)


@op(promote=None, saves="none")
def ravel(input: Array):
    """Matches `torch.ravel`."""
    return input.reshape(-1)


def _common(xs):
    from .._promote import promote_args
    return promote_args("default", *xs)


def _join(name, tensors, atleast, dim):
    """Concatenate `atleast`(x) for each x along `dim` with torch's checks."""
    from .shape import check_cat
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    xs = [atleast(x) for x in _common(tensors)]
    return jnp.concatenate(xs, axis=check_cat(xs, dim if xs[0].ndim > 1 else 0))


@op(promote=None, method=False, saves="none")
def hstack(tensors: list[Array]):
    """Matches `torch.hstack`."""
    return _join("hstack", tensors, jnp.atleast_1d, 1)


@op(promote=None, method=False, saves="none")
def vstack(tensors: list[Array]):
    """Matches `torch.vstack`."""
    return _join("vstack", tensors, jnp.atleast_2d, 0)


@op(promote=None, method=False, saves="none")
def row_stack(tensors: list[Array]):
    """Matches `torch.row_stack`."""
    return _join("row_stack", tensors, jnp.atleast_2d, 0)


@op(promote=None, method=False, saves="none")
def dstack(tensors: list[Array]):
    """Matches `torch.dstack`."""
    return _join("dstack", tensors, jnp.atleast_3d, 2)


@op(promote=None, method=False, saves="none")
def column_stack(tensors: list[Array]):
    """Matches `torch.column_stack`."""
    xs = [x.reshape(-1, 1) if x.ndim < 2 else x for x in _common(tensors)]
    return jnp.concatenate(xs, axis=1)


@op(promote=None, saves="none", grad_name="RepeatBackward0")  # torch tiles by repeat
def tile(input: Array, dims):
    """Matches `torch.tile`."""
    reps = (dims,) if isinstance(dims, int) else tuple(dims)
    reps = (1,) * (input.ndim - len(reps)) + reps
    shape = (1,) * (len(reps) - input.ndim) + input.shape
    nonnegative_shape(tuple(n * r for n, r in zip(shape, reps)))
    return jnp.tile(input, reps)


@op(promote=None, saves="none", public=False, method=False)
def _repeat_interleave(input: Array, repeats: Array, dim: int | None, total: int):
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap(dim, x.ndim)
    return jnp.repeat(x, repeats, axis=d, total_repeat_length=total)


# Public `tensor_split` is `_datadep.tensor_split`: a Tensor of indices becomes static ints there.
@op(name="_tensor_split", promote=None, saves="none", public=False, method=False)
def tensor_split(input: Array, indices_or_sections, dim: int = 0):
    """Matches `torch.tensor_split` (pieces are copies, not views)."""
    d = _wrap(dim, input.ndim)
    n = input.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds, acc = [], 0
        for s in sizes[:-1]:
            acc += s
            bounds.append(acc)
    else:
        bounds = list(indices_or_sections)
    edges = [0] + [builtins.min(builtins.max(b, 0), n) for b in bounds] + [n]
    return tuple(jax.lax.slice_in_dim(input, edges[i], builtins.max(edges[i], edges[i + 1]), axis=d)
                 for i in range(len(edges) - 1))


# ---- diagonals and blocks ---------------------------------------------------------------------

@op(promote=None, saves="none")
def diag(input: Array, diagonal: int = 0):
    """Matches `torch.diag`."""
    if input.ndim not in (1, 2):
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got {}D".format(input.ndim))
    return jnp.diag(input, k=diagonal)


@op(promote=None, saves="none")
def diagflat(input: Array, offset: int = 0):
    """Matches `torch.diagflat`."""
    return jnp.diagflat(input, k=offset)


@op(promote=None, saves="none")
def diag_embed(input: Array, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matches `torch.diag_embed`."""
    n = input.shape[-1] + builtins.abs(offset)
    nd = input.ndim + 1
    d1, d2 = _wrap(dim1, nd), _wrap(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    i = jnp.arange(input.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out = jnp.zeros(input.shape[:-1] + (n, n), input.dtype).at[..., r, c].set(input)
    # out has the new dims last; move them to (d1, d2)
    return jnp.moveaxis(out, (-2, -1), (d1, d2))


@op(promote=None, method=False, saves="none", public=False, grad_name="BlockDiagBackward0")
def _block_diag(tensors: list[Array]):
    """Matches `torch.block_diag`."""
    xs = [x.reshape(1, -1) if x.ndim == 1 else (x.reshape(1, 1) if x.ndim == 0 else x) for x in tensors]
    xs = _common(xs) if xs else xs
    if not xs:
        return jnp.zeros((1, 0), jnp.float32)
    return jax.scipy.linalg.block_diag(*xs)


@op(promote=None, saves="none", public=False, method=False)
def _scatter_into(input: Array, src: Array, kind, args):
    if kind == "select":
        dim, index = args
        return input.at[(slice(None),) * _wrap(dim, input.ndim) + (index,)].set(src)
    if kind == "slice":
        dim, start, end, step = args
        return input.at[(slice(None),) * _wrap(dim, input.ndim) + (slice(start, end, step),)].set(src)
    offset, d1, d2 = args
    n = input.ndim
    m = jnp.moveaxis(input, (_wrap(d1, n), _wrap(d2, n)), (-2, -1))
    i = jnp.arange(src.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    m = m.at[..., r, c].set(src)
    return jnp.moveaxis(m, (-2, -1), (_wrap(d1, n), _wrap(d2, n)))


# ---- complex -----------------------------------------------------------------------------------

@op(promote=None, method=False)
def complex(real: Array, imag: Array):
    """Matches `torch.complex`."""
    if real.dtype != imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {real.dtype} but got scalar type "
                           f"{imag.dtype} for second argument")
    if not jnp.issubdtype(real.dtype, jnp.floating):
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype} and {imag.dtype}")
    return jax.lax.complex(*jnp.broadcast_arrays(real, imag))


@op(promote=None, method=False)
def polar(abs: Array, angle: Array):
    """Matches `torch.polar`."""
    tensor_args("polar", abs=abs, angle=angle)
    return jax.lax.complex(*jnp.broadcast_arrays(abs * jnp.cos(angle), abs * jnp.sin(angle)))


@op(promote=None, method=False, saves="none")
def view_as_real(input: Array):
    """Matches `torch.view_as_real` (a copy, not a view)."""
    if not jnp.iscomplexobj(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([jnp.real(input), jnp.imag(input)], axis=-1)


@op(promote=None, method=False, saves="none")
def view_as_complex(input: Array):
    """Matches `torch.view_as_complex` (a copy, not a view)."""
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    return jax.lax.complex(input[..., 0], input[..., 1])


# ---- scatter variants -------------------------------------------------------------------------

_INIT = {"sum": 0, "prod": 1, "mean": 0, "amax": None, "amin": None}


def _lowest(dt, largest):
    if jnp.issubdtype(dt, jnp.floating):
        return jnp.array(-jnp.inf if largest else jnp.inf, dt)
    if dt == jnp.bool_:
        return jnp.array(not largest, dt)
    info = jnp.iinfo(dt)
    return jnp.array(info.min if largest else info.max, dt)


def _reduce_at(x, where, src, reduce, include_self):
    """Reduce `src` into `x` at index tuple `where` (torch's scatter_reduce/index_reduce rules)."""
    if reduce == "sum":
        base = x if include_self else x.at[where].set(jnp.zeros((), x.dtype))
        if x.dtype == jnp.bool_:  # bool accumulation is logical or
            return base.at[where].max(src.astype(x.dtype))
        return base.at[where].add(src)
    if reduce == "prod":
        base = x if include_self else x.at[where].set(1)
        return base.at[where].multiply(src)
    if reduce in ("amax", "amin"):
        big = reduce == "amax"
        base = x if include_self else x.at[where].set(_lowest(x.dtype, big))
        return base.at[where].max(src) if big else base.at[where].min(src)
    if reduce == "mean":
        base = x if include_self else x.at[where].set(0)
        tot = base.at[where].add(src)
        cnt = jnp.ones(x.shape, jnp.int64 if _is_int(x) else x.dtype) * (1 if include_self else 0)
        cnt = cnt.at[where].add(jnp.ones(src.shape, cnt.dtype))
        cnt = jnp.where(cnt == 0, 1, cnt)
        if _is_int(x):
            return jnp.floor_divide(tot, cnt).astype(x.dtype)
        return (tot / cnt).astype(x.dtype)
    raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")


@op(promote=None, inplace=True)
def scatter_reduce(input: Array, dim: int, index: Array, src: Array, reduce: str, *,
                   include_self: bool = True):
    """Matches `torch.scatter_reduce`."""
    d = _wrap(dim, input.ndim)
    if index.size == 0:
        return input
    grids = jnp.meshgrid(*[jnp.arange(s) for s in index.shape], indexing="ij")
    where = tuple(index if a == d else grids[a] for a in range(input.ndim)) if input.ndim else ()
    s = src[tuple(slice(0, n) for n in index.shape)] if src.ndim else src
    if input.ndim == 0:
        if reduce == "prod":
            return _scatter_prod(input.reshape(1), 0, index.reshape(-1), s.reshape(-1), include_self).reshape(())
        return _reduce_at(input.reshape(1), (index.reshape(-1),), s.reshape(-1), reduce,
                          include_self).reshape(())
    if reduce == "prod":
        return _scatter_prod(input, d, index, s, include_self)
    return _reduce_at(input, where, s, reduce, include_self)


def _scatter_prod(x, d, index, src, include_self):
    # jax's scatter-multiply has no gradient for repeated indices; a masked product has the
    # exact one (torch's too: with zeros, the product of the other factors).
    xm, im, sm = jnp.moveaxis(x, d, 0), jnp.moveaxis(index, d, 0), jnp.moveaxis(src, d, 0)
    slots = jnp.arange(xm.shape[0]).reshape((-1,) + (1,) * im.ndim)
    hit = im[None] == slots  # (slot, k, *rest of index)
    prod = jnp.prod(jnp.where(hit, sm[None], jnp.ones((), x.dtype)), axis=1)
    region = tuple(slice(0, n) for n in prod.shape)
    part = xm[region]
    base = part if include_self else jnp.where(hit.any(axis=1), jnp.ones((), x.dtype), part)
    return jnp.moveaxis(xm.at[region].set((base * prod).astype(x.dtype)), 0, d)


@op(promote=None, inplace=True)
def index_reduce(input: Array, dim: int, index: Array, source: Array, reduce: str, *,
                 include_self: bool = True):
    """Matches `torch.index_reduce`."""
    if input.ndim == 0:  # torch treats a 0-dim input as a 1-element vector
        return index_reduce(input.reshape(1), 0, index.reshape(-1), source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    d = _wrap(dim, input.ndim)
    if reduce == "prod":
        return _index_prod(input, d, index, source, include_self)
    where = (slice(None),) * d + (index,)
    return _reduce_at(input, where, source, reduce, include_self)


def _index_prod(x, d, index, source, include_self):
    # jax's scatter-multiply has no gradient for repeated indices: a masked product does.
    xm, sm = jnp.moveaxis(x, d, 0), jnp.moveaxis(source, d, 0)
    hit = index[:, None] == jnp.arange(xm.shape[0])[None, :]
    hit = hit.reshape(hit.shape + (1,) * (xm.ndim - 1))
    prod = jnp.prod(jnp.where(hit, sm[:, None], jnp.ones((), x.dtype)), axis=0)
    base = xm if include_self else jnp.where(hit.any(axis=0), jnp.ones((), x.dtype), xm)
    return jnp.moveaxis((base * prod).astype(x.dtype), 0, d)


@op(promote=None, inplace=True)
def put(input: Array, index: Array, source: Array, accumulate: bool = False):
    """Matches `torch.put` (flat indices)."""
    flat = input.reshape(-1)
    idx = index.reshape(-1)
    src = source.reshape(-1)
    if accumulate and flat.dtype == jnp.bool_:
        flat = flat.at[idx].max(src)  # bool accumulation is logical or
    else:
        flat = flat.at[idx].add(src) if accumulate else flat.at[idx].set(src)
    return flat.reshape(input.shape)


@op(promote=None, inplace=True)
def masked_scatter(input: Array, mask: Array, source: Array):
    """Matches `torch.masked_scatter`."""
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    m = jnp.broadcast_to(mask, jnp.broadcast_shapes(mask.shape, input.shape))
    x = jnp.broadcast_to(input, m.shape)
    pos = jnp.cumsum(m.reshape(-1)) - 1
    src = source.reshape(-1)
    picked = src[jnp.clip(pos, 0, builtins.max(src.size - 1, 0))] if src.size else jnp.zeros_like(pos, x.dtype)
    return jnp.where(m.reshape(-1), picked, x.reshape(-1)).reshape(m.shape)


# ---- creation-like ------------------------------------------------------------------------------

@op(promote=None, method=False)
def vander(x: Array, N: int | None = None, increasing: bool = False):
    """Matches `torch.vander`."""
    v = x.astype(jnp.int64) if x.dtype == jnp.bool_ or _is_int(x) else x
    return jnp.vander(v, N=N, increasing=increasing)


@op(promote=None)
def aminmax(input: Array, *, dim: int | None = None, keepdim: bool = False):
    """Matches `torch.aminmax`."""
    ax = None if dim is None else _wrap(dim, input.ndim)
    if input.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                           "has no identity.")
    if input.size == 0 and input.ndim and input.shape[ax] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {ax} to have non-zero size.")
    if input.ndim == 0 and dim is not None:
        return RETURN_TYPES["aminmax"](input, input)
    return RETURN_TYPES["aminmax"](jnp.min(input, axis=ax, keepdims=keepdim),
                                   jnp.max(input, axis=ax, keepdims=keepdim))


@op(promote="compare", diff=False, method=True)
def isin(elements: Array, test_elements: Array, *, assume_unique: bool = False, invert: bool = False):
    """Matches `torch.isin`."""
    r = jnp.isin(elements, test_elements)
    return ~r if invert else r
