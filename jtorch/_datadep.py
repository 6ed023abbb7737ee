"""Tensor-level functions outside the op registry: data-dependent shapes, variadic signatures.

Data-dependent output shapes (nonzero, unique, masked_select, bincount, repeat_interleave
with tensor repeats) run eagerly on concrete values; under a jax trace they raise
`compile_errors.UntraceableError` naming the op. Variadic helpers (meshgrid, atleast_*,
broadcast_tensors) are built from views and registered ops, so autograd flows through them.
"""
from __future__ import annotations

import builtins
import itertools
import math

import jax.numpy as jnp
import numpy as np

from . import _dispatch, _dtype as D, _shape
from ._tensor import Tensor, _type_name, _wrap_dim
from .ops._registry import REGISTRY

apply = _dispatch.apply


def _np(t, what):
    return np.asarray(t._concrete(what)) if isinstance(t, Tensor) else np.asarray(t)


def _long(a):
    return Tensor._from_array(jnp.asarray(np.asarray(a, np.int64), jnp.int64))


def _tensors(args):
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else tuple(args)


# ---- data-dependent shapes ---------------------------------------------------------------------

def nonzero(input, *, out=None, as_tuple=False):
    """Matches `torch.nonzero`."""
    _tensor_arg("nonzero", input)
    a = _np(input, "torch.nonzero (a data-dependent shape)")
    if as_tuple:
        idx = np.nonzero(a) if a.ndim else np.nonzero(a.reshape(1))
        return tuple(_long(i) for i in idx)
    res = _long(np.argwhere(a) if a.ndim else np.zeros((int(a != 0), 0), np.int64))
    return Tensor._write_out(out, res) if out is not None else res


def argwhere(input):
    """Matches `torch.argwhere`."""
    _tensor_arg("argwhere", input)
    return nonzero(input)


def _tensor_arg(fn, v):
    if not isinstance(v, Tensor):  # torch's parser; numpy would read a number as a 0-dim array
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(v).__name__}")


def masked_select(input, mask, *, out=None):
    """Matches `torch.masked_select` (differentiable with respect to input)."""
    m = _np(mask, "torch.masked_select (a data-dependent shape)")
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    x = input.expand(*shape) if tuple(input.shape) != shape else input
    mb = np.broadcast_to(m, shape)
    res = x.reshape(-1)[_long(np.nonzero(mb.reshape(-1))[0])]
    if out is not None:
        from ._checks import no_out_overlap
        no_out_overlap(out, (input, mask))
        return Tensor._write_out(out, res)
    from .autograd.engine import rename
    return rename(res, "MaskedSelectBackward0")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Matches `torch.unique` (always sorted)."""
    _no_complex(input, dim)
    a = _np(input, "torch.unique (a data-dependent shape)")
    if dim is None:
        vals, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = _wrap_dim(dim, a.ndim)
        moved = np.moveaxis(a, d, 0)
        if moved.shape[0] == 0:
            vals, inv, cnt = moved, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            vals, inv, cnt = np.unique(moved.reshape(moved.shape[0], -1), axis=0, return_inverse=True,
                                       return_counts=True)
            vals = vals.reshape((-1,) + moved.shape[1:])
        vals = np.moveaxis(vals, 0, d)
        inv = inv.reshape(-1)
    return _uniq_out(input, vals, inv, cnt, return_inverse, return_counts)


def _no_complex(input, dim):
    if isinstance(input, Tensor) and input.dtype.is_complex:
        from ._checks import type_name
        raise NotImplementedError(f'"unique{"" if dim is None else "_dim"}" not implemented for '
                                  f"'{type_name(input.dtype.np)}'")


def _uniq_out(input, vals, inv, cnt, return_inverse, return_counts):
    v = Tensor._from_array(jnp.asarray(vals, input.dtype.np))
    out = (v,)
    if return_inverse:
        out += (_long(inv),)
    if return_counts:
        out += (_long(cnt),)
    return out[0] if len(out) == 1 else out


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Matches `torch.unique_consecutive`."""
    _no_complex(input, dim)
    a = _np(input, "torch.unique_consecutive (a data-dependent shape)")
    if dim is None:
        flat = a.reshape(-1)
        rows, shape = flat.reshape(-1, 1), a.shape
        d = 0
    else:
        d = _wrap_dim(dim, a.ndim)
        if a.size == 0 and a.shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        moved = np.moveaxis(a, d, 0)
        rows, shape = moved.reshape(moved.shape[0], math.prod(moved.shape[1:])), None
    n = rows.shape[0]
    start = np.ones(n, bool)
    if n > 1:
        start[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    inv = np.cumsum(start) - 1
    cnt = np.diff(np.append(np.nonzero(start)[0], n))
    if dim is None:
        vals = a.reshape(-1)[start]
        inv = inv.reshape(shape)
    else:
        vals = np.moveaxis(np.moveaxis(a, d, 0)[start], 0, d)
    return _uniq_out(input, vals, inv, cnt, return_inverse, return_counts)


def bincount(input, weights=None, minlength=0):
    """Matches `torch.bincount`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bincount(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dtype.np.kind not in "iu":  # checked before the data
        from ._checks import type_name
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{type_name(input.dtype.np)}'")
    a = _np(input, "torch.bincount (a data-dependent shape)")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.dtype.kind not in "iub":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    n = builtins.max(int(a.max()) + 1 if a.size else 0, minlength)
    if weights is None:
        return _long(np.bincount(a, minlength=n))
    w = _np(weights, "torch.bincount")
    dt = w.dtype if w.dtype in (np.float32, np.float64) else np.float64
    return Tensor._from_array(jnp.asarray(np.bincount(a, weights=w, minlength=n).astype(dt)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Matches `torch.repeat_interleave` (all three overloads)."""
    if repeats is None:
        r = _np(input, "torch.repeat_interleave (a data-dependent shape)")
        _nonnegative_repeats(r)
        return _long(np.repeat(np.arange(r.size), r))
    if isinstance(repeats, Tensor):
        from ._checks import extrema
        e = extrema((repeats._data,))
        _nonnegative_repeats(np.asarray(e[0] if e and e[0] else 0))
    if isinstance(repeats, Tensor) and repeats.ndim > 0:
        total = output_size if output_size is not None else int(
            _np(repeats, "torch.repeat_interleave (a data-dependent shape)").sum())
        if repeats.numel() == 1:
            repeats = repeats.reshape(())
    else:
        from ._checks import int_arg
        r = int_arg("repeat_interleave", "repeats", repeats, 2)
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        n = input.numel() if dim is None else input.shape[_wrap_dim(dim, input.ndim)]
        total = r * n
    return apply(REGISTRY["_repeat_interleave"], (input, repeats), {"dim": dim, "total": total})


def _nonnegative_repeats(r):
    if r.size and r.min() < 0:
        raise RuntimeError("repeats can not be negative")


# ---- variadic helpers over views ----------------------------------------------------------------

def meshgrid(*tensors, indexing=None):
    """Matches `torch.meshgrid` (default indexing 'ij'; outputs are expanded views)."""
    ts = _tensors(tensors)
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"{t.ndim}-D tensor")
        if t.dtype != ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ij = indexing in (None, "ij")
    if indexing not in (None, "ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    shape = [t.numel() for t in ts]
    if not ij and len(ts) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        pos = i if ij or len(ts) < 2 or i > 1 else 1 - i
        view = [1] * len(ts)
        view[pos] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors):
    """Matches `torch.cartesian_prod`."""
    ts = _tensors(tensors)
    if len(ts) == 1:
        return ts[0]
    return apply(REGISTRY["stack"], ([g.reshape(-1) for g in meshgrid(*ts)],), {"dim": 1})


def combinations(input, r=2, with_replacement=False):
    """Matches `torch.combinations`."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    n = input.shape[0]
    f = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(f(range(n), r)), np.int64).reshape(-1, r)
    if idx.shape[0] == 0:  # still connected to input, as torch's (empty) result is
        return input[_long(np.zeros(0, np.int64))].reshape((0, r) if r > 1 else (0,))
    return input[_long(idx)]


def _indices_args(name, row, col, offset):
    from ._checks import check_alloc, int_args
    int_args(name, row=row, col=col, offset=offset)
    for arg, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{arg} must be non-negative, got{v}")
    width = min(col, row + max(offset, 0)) if name == "tril_indices" else col  # per row, at most
    check_alloc((2, row, max(width, 0)), np.int64)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches `torch.tril_indices`."""
    _indices_args("tril_indices", row, col, offset)
    # columns past row - 1 + offset hold no index: numpy need not build a row x col mask
    r, c = np.tril_indices(row, offset, min(col, max(row + offset, 0)))
    return Tensor._from_array(jnp.asarray(np.stack([r, c]), (dtype or D.int64).np))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches `torch.triu_indices`."""
    _indices_args("triu_indices", row, col, offset)
    r, c = np.triu_indices(row, offset, col)
    return Tensor._from_array(jnp.asarray(np.stack([r, c]), (dtype or D.int64).np))


def _atleast(n):
    def fn(*tensors):
        ts = _tensors(tensors)
        out = []
        for t in ts:
            if t.ndim >= n:
                out.append(t)
            elif n == 3 and t.ndim == 2:
                out.append(t.unsqueeze(-1))
            elif n == 3 and t.ndim == 1:
                out.append(t.reshape(1, -1, 1))
            else:
                out.append(t.reshape((1,) * (n - t.ndim) + tuple(t.shape)))
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        return out[0] if single else tuple(out)
    fn.__name__ = f"atleast_{n}d"
    fn.__doc__ = f"Matches `torch.atleast_{n}d`."
    return fn


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def broadcast_shapes(*shapes):
    """Matches `torch.broadcast_shapes`."""
    from ._tensor import Size
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError as e:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {e}") from None


def broadcast_tensors(*tensors):
    """Matches `torch.broadcast_tensors`."""
    ts = _tensors(tensors)
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Matches `torch.allclose`."""
    return builtins.bool(apply(REGISTRY["isclose"], (input, other, rtol, atol, equal_nan)).all())


def equal(input, other) -> bool:
    """Matches `torch.equal`."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return builtins.bool(apply(REGISTRY["eq"], (input, other)).all())


def split_with_sizes(self, split_sizes, dim=0):
    """Matches `torch.split_with_sizes`."""
    return _shape.split(self, list(split_sizes), dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Matches `torch.tensor_split` (pieces are copies, not views)."""
    if isinstance(indices_or_sections, Tensor):
        t = indices_or_sections
        if t.dtype != D.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, "
                               f"but got {_type_name(t.dtype)}")
        if t.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                               f"or one-dimensional tensor, but got a tensor with {t.ndim} dims")
        v = _np(t, "torch.tensor_split with a Tensor of indices")
        indices_or_sections = int(v) if v.ndim == 0 else tuple(int(i) for i in v)
    elif isinstance(indices_or_sections, (tuple, list)):
        from ._checks import int_list
        indices_or_sections = int_list("tensor_split", "indices", indices_or_sections, 2)
    else:
        from ._checks import int_arg
        indices_or_sections = int_arg("tensor_split", "sections", indices_or_sections, 2)
    return apply(REGISTRY["_tensor_split"], (input, indices_or_sections, dim))


def _dir_split(name, axis, min_dim):
    def fn(input, indices_or_sections):
        if input.ndim < min_dim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but "
                               f"got a tensor with {input.ndim} dimensions!")
        ax = 0 if (name == "hsplit" and input.ndim == 1) else axis
        if isinstance(indices_or_sections, int) and (
                indices_or_sections == 0 or input.shape[ax] % indices_or_sections):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {ax}, but the size of "
                               f"the dimension {input.shape[ax]} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return apply(REGISTRY["_tensor_split"], (input, indices_or_sections, ax))
    fn.__name__ = name
    fn.__doc__ = f"Matches `torch.{name}`."
    return fn


hsplit, vsplit, dsplit = _dir_split("hsplit", 1, 1), _dir_split("vsplit", 0, 2), _dir_split("dsplit", 2, 3)


def unravel_index(indices, shape):
    """Matches `torch.unravel_index`."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    idx = indices._data if isinstance(indices, Tensor) else jnp.asarray(indices)
    return tuple(Tensor._from_array(a.astype(jnp.int64)) for a in jnp.unravel_index(idx, shape))


def select_scatter(input, src, dim, index):
    """Matches `torch.select_scatter`."""
    n = input.shape[_wrap_dim(dim, input.ndim)]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {_wrap_dim(dim, input.ndim)}")
    return apply(REGISTRY["_scatter_into"], (input, src), {"kind": "select", "args": (dim, index)})


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """Matches `torch.slice_scatter`."""
    return apply(REGISTRY["_scatter_into"], (input, src), {"kind": "slice", "args": (dim, start, end, step)})


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """Matches `torch.diagonal_scatter`."""
    return apply(REGISTRY["_scatter_into"], (input, src), {"kind": "diag", "args": (offset, dim1, dim2)})


def is_nonzero(input) -> bool:
    """Matches `torch.is_nonzero`."""
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item() != 0)


def is_same_size(input, other) -> bool:
    """Matches `torch.is_same_size`."""
    return tuple(input.shape) == tuple(other.shape)


def _false(input) -> bool:
    return False


def fill_diagonal_(self, fill_value, wrap=False):
    """Matches `Tensor.fill_diagonal_`."""
    n = builtins.min(self.shape)
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
        step = self.shape[1] + 1
        flat = np.arange(0, self.shape[0] * self.shape[1], step * 1)
        idx = np.unravel_index(flat[flat < self.numel()], self.shape)
        idx = tuple(_long(i) for i in idx)
    else:
        idx = tuple(_long(np.arange(n)) for _ in range(self.ndim))
    self[idx] = fill_value
    return self


def _new(factory):
    def fn(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from . import _creation
        return getattr(_creation, factory)(*size, dtype=dtype or self.dtype, requires_grad=requires_grad,
                                           device=_creation.like_device(self, device))
    fn.__name__ = "new_" + factory
    return fn


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    from ._creation import full, like_device
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad,
                device=like_device(self, device))


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    from ._creation import like_device, tensor
    if isinstance(data, Tensor):
        data = data.detach()
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad,
                  device=like_device(self, device))


def block_diag(*tensors):
    """Matches `torch.block_diag`."""
    return apply(REGISTRY["_block_diag"], (list(tensors),))


def chain_matmul(*matrices, out=None):
    """Matches `torch.chain_matmul`."""
    return apply(REGISTRY["_chain_matmul"], (list(_tensors(matrices)),))


def polygamma(n, input, *, out=None):
    """Matches `torch.polygamma(n, input)`."""
    return apply(REGISTRY["_polygamma"], (input, n), {} if out is None else {"out": out})


def _polygamma_method(self, n):
    return apply(REGISTRY["_polygamma"], (self, n))


def _polygamma_(self, n):
    from ._functions import inplace_method
    return inplace_method(REGISTRY["_polygamma"])(self, n)


FUNCTIONS = {
    "block_diag": block_diag, "chain_matmul": chain_matmul, "polygamma": polygamma,
    "nonzero": nonzero, "argwhere": argwhere, "masked_select": masked_select, "unique": unique,
    "unique_consecutive": unique_consecutive, "bincount": bincount,
    "repeat_interleave": repeat_interleave, "meshgrid": meshgrid, "cartesian_prod": cartesian_prod,
    "combinations": combinations, "tril_indices": tril_indices, "triu_indices": triu_indices,
    "atleast_1d": atleast_1d, "atleast_2d": atleast_2d, "atleast_3d": atleast_3d,
    "broadcast_shapes": broadcast_shapes, "broadcast_tensors": broadcast_tensors,
    "allclose": allclose, "equal": equal, "split_with_sizes": split_with_sizes, "hsplit": hsplit,
    "tensor_split": tensor_split,
    "vsplit": vsplit, "dsplit": dsplit, "unravel_index": unravel_index,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
    "is_conj": _false, "is_neg": _false,
}
_NOT_METHODS = {"block_diag", "chain_matmul", "polygamma", "meshgrid", "cartesian_prod", "tril_indices", "triu_indices", "atleast_1d", "atleast_2d",
                "atleast_3d", "broadcast_shapes", "broadcast_tensors", "unravel_index"}
METHODS = {n: f for n, f in FUNCTIONS.items() if n not in _NOT_METHODS}
METHODS.update({
    "gather": lambda self, dim, index, *, sparse_grad=False: apply(REGISTRY["gather"], (self, dim, index)),
    "where": lambda self, condition, other: apply(REGISTRY["where"], (condition, self, other)),
    "tril_": lambda self, diagonal=0: _inplace("tril", self, diagonal),
    "triu_": lambda self, diagonal=0: _inplace("triu", self, diagonal),
    "__div__": lambda self, other: self.__truediv__(other),
    "__rdiv__": lambda self, other: Tensor.__rtruediv__(self, other),
    "__idiv__": lambda self, other: self.__itruediv__(other),
    "pin_memory": lambda self, device=None: self, "is_pinned": lambda self, device=None: False,
    "polygamma": _polygamma_method, "polygamma_": _polygamma_, "fill_diagonal_": fill_diagonal_, "new_zeros": _new("zeros"), "new_ones": _new("ones"),
                "new_empty": _new("empty"), "new_full": new_full, "new_tensor": new_tensor})


def _inplace(name, self, *args):
    from ._functions import inplace_method
    return inplace_method(REGISTRY[name])(self, *args)


def bind():
    """Attach the Tensor methods (call after `_bind.bind()`)."""
    for name, fn in METHODS.items():
        if name not in Tensor.__dict__:
            setattr(Tensor, name, fn)
