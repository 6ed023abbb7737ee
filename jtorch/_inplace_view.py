"""In-place view ops: `t_`, `transpose_`, `swapdims_`/`swapaxes_`, `squeeze_`, `unsqueeze_`,
`as_strided_`. They change a tensor's own sizes and strides, never its storage or values.

A view takes the longer view chain of the out-of-place op. A root keeps owning its storage and
becomes a view of itself (`_st is self`, see _tensor.py), so views taken earlier still read and
write the same memory and strides are reported as PyTorch reports them (views taken earlier
differentiate through the root by undoing its layout steps, `_shape._relative`). Limit: such an
earlier view cannot be differentiated through after `as_strided_()` on its root.
"""
from __future__ import annotations

from . import _shape
from ._tensor import Tensor, check_leaf_inplace
from .autograd import engine
from .autograd.grad_mode import ENABLED, _MODE


def _restride(self: Tensor, name: str, view_fn, *args) -> Tensor:
    """Give `self` the layout of `view_fn(self, *args)`; `name` is torch's node name for it."""
    if _MODE.get() & ENABLED:
        check_leaf_inplace(self, "or use the out-of-place view")
    v = view_fn(self, *args)
    if self._st is None:
        self._st = self
    self._vw = v._vw
    self._a, self._av = v._a, v._av
    if v._node is not None:
        v._node.__class__ = engine.node_type(name)
        self._node, self._onr, self._rg = v._node, v._onr, True
    if self._base is not None:
        self._nv = v._nv
    if v._nograd_view:
        self._nograd_view = True
    return self


def _as_strided(t: Tensor, size, stride, offset) -> Tensor:
    """as_strided is relative to the storage: a root that became a view of itself is read
    through a plain alias of its storage (its autograd history is not followed)."""
    if t._st is not t:
        return _shape.as_strided(t, size, stride, offset)
    src = object.__new__(Tensor)
    src._st, src._vw = t, ((), ())
    size, stride, offset = tuple(int(s) for s in size), tuple(int(s) for s in stride), int(offset)
    if size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= t._sa.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{offset} require more memory than the storage holds")
    return _shape.make_view(src, ("strided", size, stride, offset), name="AsStridedBackward0")


def t_(self):
    """Matches `Tensor.t_`."""
    return _restride(self, "TBackward1", _shape.t)


def transpose_(self, dim0, dim1):
    """Matches `Tensor.transpose_`."""
    return _restride(self, "TransposeBackward1", _shape.transpose, dim0, dim1)


def swapdims_(self, dim0, dim1):
    """Matches `Tensor.swapdims_`."""
    return _restride(self, "TransposeBackward1", _shape.transpose, dim0, dim1)


swapaxes_ = swapdims_


def squeeze_(self, dim=None):
    """Matches `Tensor.squeeze_`."""
    # torch names the node by overload: squeeze_() 3, squeeze_(int) 4, squeeze_(dims) 5
    n = "3" if dim is None else "5" if isinstance(dim, (tuple, list)) else "4"
    return _restride(self, "SqueezeBackward" + n, _shape.squeeze,
                     _shape.ALL_DIMS if dim is None else dim)


def unsqueeze_(self, dim):
    """Matches `Tensor.unsqueeze_`."""
    return _restride(self, "UnsqueezeBackward1", _shape.unsqueeze, dim)


def as_strided_(self, size, stride, storage_offset=None):
    """Matches `Tensor.as_strided_`."""
    off = self.storage_offset() if storage_offset is None else storage_offset
    return _restride(self, "AsStridedBackward1", _as_strided, size, stride, off)


METHODS = {f.__name__: f for f in (t_, transpose_, swapdims_, squeeze_, unsqueeze_, as_strided_)}
METHODS["swapaxes_"] = swapaxes_
