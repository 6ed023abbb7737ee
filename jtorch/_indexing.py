"""Tensor.__getitem__/__setitem__: basic indices make views, advanced indices gather/scatter."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.export import is_symbolic_dim

from . import _dispatch, _shape, _view
from ._pyvalues import normalize_key
from ._meta import MetaArray
from ._tensor import Tensor, _type_name, _write_through
from .autograd.grad_mode import ENABLED, _MODE
from .ops._registry import REGISTRY


def _is_basic(k):
    if k is None or k is Ellipsis or isinstance(k, slice):
        return True
    if isinstance(k, (bool, np.bool_)):
        return False
    if isinstance(k, (int, np.integer)):
        return True
    if isinstance(k, Tensor) and k.ndim == 0 and k.dtype.category == 1:
        return True
    return False


def _expand_key(key, ndim):
    key = normalize_key(key)
    if not isinstance(key, tuple):
        key = (key,)
    n_ell = sum(1 for k in key if k is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for k in key if k is not None and k is not Ellipsis and not
               (isinstance(k, (bool, np.bool_))))
    used += sum(k.ndim - 1 for k in key if isinstance(k, Tensor) and k.dtype.name in ("bool", "uint8")
                and k.ndim > 0)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
        else:
            if isinstance(k, (float, complex, str, np.floating)):  # torch's parser refuses these
                if isinstance(k, str):
                    raise TypeError(f"new(): invalid data type '{type(k).__name__}'")
                raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                                 f"byte Variables are valid indices (got {type(k).__name__})")
            out.append(k)
    return tuple(out)


def getitem(self: Tensor, key):
    key = _expand_key(key, self.ndim)
    if all(_is_basic(k) for k in key):
        return _basic_view(self, key)
    arrays, structure = _advanced(self, key)
    return _dispatch.apply(REGISTRY["_getitem"], (self, arrays), {"structure": structure})


def _basic_items(self, key):
    items, starts = [], []
    shape = self.shape
    d = 0
    for k in key:
        if k is None:
            items.append(("n",))
            continue
        n = shape[d]
        if isinstance(k, slice):
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            try:
                start, stop, step = k.indices(n)
            except TypeError:
                if not any(map(is_symbolic_dim, (n, k.start, k.stop))):
                    raise
                start, length, step = _symbolic_slice(k, n)  # jtorch.export's dynamic sizes
                items.append(("s", length, step))
                starts.append(start)
                d += 1
                continue
            items.append(("s", len(range(start, stop, step)), step))
            starts.append(min(start, n))
        else:
            i = int(k)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
            items.append(("i",))
            starts.append(i % n)
        d += 1
    for n in shape[d:]:
        items.append(("s", n, 1))
        starts.append(0)
    return items, starts


def _symbolic_slice(k, n):
    """(start, length, step) of slice `k` over a dimension of size `n` where a size or bound is
    symbolic. Comparisons the symbols' ranges cannot decide raise jax's
    InconclusiveDimensionOperation (export then names the dimension: give it a range)."""
    step = 1 if k.step is None else int(k.step)
    start = 0 if k.start is None else k.start
    stop = n if k.stop is None else k.stop
    if isinstance(start, int) and start < 0:
        start = max(n + start, 0)
    if isinstance(stop, int) and stop < 0:
        stop = max(n + stop, 0)
    stop = min(stop, n)
    start = min(start, stop)
    return start, (stop - start + step - 1) // step, step


def _view_name(key):
    """The grad_fn PyTorch shows for a basic index: that of the last op its indexing applies
    (int: select, None: unsqueeze, a slice other than `:`: slice)."""
    name = None
    for k in (key if type(key) is tuple else (key,)):
        if k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, slice):
            if k != slice(None):  # a plain `:` applies nothing
                name = "SliceBackward0"
        elif k is not Ellipsis:
            name = "SelectBackward0"
    return name or "SliceBackward0"


def _basic_view(self, key):
    items, starts = _basic_items(self, key)
    name = _view_name(key)
    if not key:
        return _shape.make_view(self, ("reshape", tuple(self.shape)), name="AliasBackward0")
    return _shape.make_view(self, ("index", tuple(items)), tuple(starts), name)


def _fast_basic_write(self, key, value):
    """`x[basic key] = value` with nothing to record: one functional update of the owner."""
    items, starts = _basic_items(self, key)
    step, dyn = ("index", tuple(items)), tuple(starts)
    owner = self._owner()
    steps, dyns = self._vw if self._vw is not None else ((), ())
    shape, stride, off = _view.meta_step(self._meta(), step, dyn)
    if _view.overlapping(shape, stride):
        self._check_writable()
        _shape.expand(self, shape)._check_writable()
    if isinstance(value, Tensor):
        from ._functions import check_broadcast_into
        check_broadcast_into(value.shape, shape)
        value = value._data  # cast to self's dtype inside the write, as copy_ does
    elif not isinstance(value, (bool, int, float, complex)):
        value = jnp.asarray(value)
    _write_through(owner, steps + (step,), dyns + (dyn,), value)
    owner._sv += 1


def _advanced(self, key):
    """Replace tensor-like entries of the key by arrays; return (arrays, static structure)."""
    arrays, structure = [], []
    d = 0  # the dimension of self the entry indexes
    for k in key:
        if isinstance(k, (list, np.ndarray)) or (isinstance(k, Tensor)):
            a = k._data if isinstance(k, Tensor) else np.asarray(k)
            if a.dtype == np.bool_ or (a.dtype == np.uint8 and isinstance(k, Tensor)):
                _check_mask(a.shape, self.shape, d)
                d += a.ndim
                if isinstance(a, jax.core.Tracer):
                    from .compile_errors import raise_untraceable
                    raise_untraceable("boolean-mask indexing (a data-dependent shape)")
                if type(a) is MetaArray:
                    raise NotImplementedError("boolean-mask indexing needs the mask's values, "
                                              "which a meta tensor does not have")
                for idx in np.nonzero(np.asarray(a)):
                    structure.append(("t", len(arrays)))
                    arrays.append(idx.astype(np.int64))
                continue
            if a.dtype.kind not in "iu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            structure.append(("t", len(arrays)))
            arrays.append(a)
            d += 1
        elif isinstance(k, (bool, np.bool_)):
            structure.append(("b", bool(k)))
        elif isinstance(k, slice):
            structure.append(("s", k.start, k.stop, k.step))
            d += 1
        elif k is None:
            structure.append(("n",))
        else:
            structure.append(("i", int(k)))
            d += 1
    return tuple(arrays), tuple(structure)


def _check_mask(mask_shape, shape, d):
    """torch's IndexError when a boolean mask does not cover the dims it indexes exactly."""
    for i, m in enumerate(mask_shape):
        if d + i >= len(shape) or shape[d + i] != m:
            raise IndexError(f"The shape of the mask {list(mask_shape)} at index {i} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{d + i}")


def rebuild_key(arrays, structure):
    """The jax index from (arrays, structure); used inside the _getitem/_setitem ops."""
    out = []
    for s in structure:
        if s[0] == "t":
            out.append(arrays[s[1]])
        elif s[0] == "s":
            out.append(slice(s[1], s[2], s[3]))
        elif s[0] == "n":
            out.append(None)
        elif s[0] == "b":
            out.append(None if s[1] else np.zeros((0,), np.int64))
        else:
            out.append(s[1])
    return tuple(out)


def setitem(self: Tensor, key, value):
    key = _expand_key(key, self.ndim)
    if all(_is_basic(k) for k in key):
        if _MODE.get() & ENABLED and (self._rg or (isinstance(value, Tensor) and value._rg)):
            copy_(_basic_view(self, key), value)  # recorded: CopySlices through the view
            return
        _fast_basic_write(self, key, value)
        return
    arrays, structure = _advanced(self, key)
    index_put(self, arrays, structure, value, False)


def index_put(self, arrays, structure, value, accumulate):
    res = _dispatch.apply(REGISTRY["_setitem"], (self, arrays, value),
                          {"structure": structure, "accumulate": accumulate})
    self._check_writable()
    self._assign(res)
    return self


def index_put_(self, indices, values, accumulate=False):
    """Matches `Tensor.index_put_`."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if values.dtype != self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_name(self.dtype)} for the destination and "
                           f"{_type_name(values.dtype)} for the source.")
    arrays, structure = _advanced(self, tuple(indices))
    return index_put(self, arrays, structure, values, accumulate)


def copy_(self: Tensor, src, non_blocking=False):
    """Matches `Tensor.copy_` (broadcasts src and converts its dtype)."""
    self._check_writable()
    if isinstance(src, Tensor):
        from . import _functions
        _functions.check_broadcast_into(src.shape, self.shape)
    res = _dispatch.apply(REGISTRY["_copy_into"], (self, src))
    self._assign(res)
    return self
