"""Layouts (`torch.strided`, `torch.sparse_coo`, ...) and memory formats (`torch.channels_last`, ...).

jtorch tensors are dense (strided). Sparse layouts exist as names so code can compare and pass
them, but creating a sparse tensor raises the not-supported error. A channels-last tensor is what
torch makes it: a permuted view of an NHWC (NDHWC) storage, so `stride()` and `is_contiguous()`
answer as in torch; XLA still picks its own physical layout for computation.
"""
from __future__ import annotations

_TOKEN = object()


class layout:
    """Matches `torch.layout`: a named constant; instances cannot be created."""

    __slots__ = ("_name",)

    def __new__(cls, name=None, token=None):
        if token is not _TOKEN:
            raise TypeError("cannot create 'torch.layout' instances")
        self = object.__new__(cls)
        self._name = name
        return self

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):  # pickles (and deep-copies) as the same constant
        return self._name


class memory_format:
    """Matches `torch.memory_format`: a named constant; instances cannot be created."""

    __slots__ = ("_name",)

    def __new__(cls, name=None, token=None):
        if token is not _TOKEN:
            raise TypeError("cannot create 'torch.memory_format' instances")
        self = object.__new__(cls)
        self._name = name
        return self

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):
        return self._name


layout.__module__ = memory_format.__module__ = "jtorch"
strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged = (
    layout(n, _TOKEN) for n in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
                                "sparse_bsc", "jagged"))
contiguous_format, channels_last, channels_last_3d, preserve_format = (
    memory_format(n, _TOKEN) for n in ("contiguous_format", "channels_last", "channels_last_3d",
                                       "preserve_format"))
legacy_contiguous_format = contiguous_format  # torch's alias is the same object

# Dimension order from outermost to innermost storage dimension, per channels-last rank.
_ORDER = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}


def check_layout(lay, what: str) -> None:
    """Refuse a non-strided layout with the not-supported error naming the API."""
    if lay is not None and lay is not strided:
        from ._unsupported import unsupported
        unsupported(f"{what} with layout={lay!r} (sparse tensors)")


def _rank_check(ndim: int, fmt) -> None:
    need = len(_ORDER[fmt])
    if ndim != need:
        raise RuntimeError(f"required rank {need} tensor to use {fmt._name} format")


def is_contiguous(shape, stride, fmt) -> bool:
    """`Tensor.is_contiguous(memory_format=fmt)` from a shape and its strides."""
    order = _ORDER.get(fmt)
    if order is None:
        order = range(len(shape))
    elif len(shape) != len(order):
        return False
    expected = 1
    for d in reversed(tuple(order)):
        n, s = shape[d], stride[d]
        if n == 0:
            return True
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


def to_format(t, fmt):
    """`t` laid out in memory format `fmt` (itself when it already is): what `contiguous` and
    `to(memory_format=)` return."""
    if fmt is None or fmt is preserve_format:
        return t
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format must be a torch.memory_format, not {type(fmt).__name__}")
    if fmt is contiguous_format:
        return t.contiguous()
    _rank_check(t.ndim, fmt)
    if t.is_contiguous(memory_format=fmt):
        return t
    order = _ORDER[fmt]
    back = tuple(order.index(d) for d in range(len(order)))
    # A contiguous copy in storage order, seen through the inverse permutation.
    return t.permute(*order).contiguous().permute(*back)
