"""Factories with explicit strides (`empty_strided`, `new_empty_strided`, `empty_permuted`) and
`as_strided_scatter`: a storage of the needed length viewed with the requested layout."""
from __future__ import annotations


def _storage_len(size, stride):
    if any(s == 0 for s in size):
        return 0
    return 1 + sum((n - 1) * s for n, s in zip(size, stride))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """Matches `torch.empty_strided` (zeros: jax has no uninitialised memory)."""
    from ._creation import empty
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} != {len(stride)}")
    t = empty(_storage_len(size, stride), dtype=dtype, device=device).as_strided(size, stride, 0)
    return t.requires_grad_(requires_grad)


def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad=False, pin_memory=False):
    """Matches `Tensor.new_empty_strided`."""
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """Matches `torch.empty_permuted`: dims are laid out in memory in `physical_layout` order."""
    from ._creation import empty
    size, perm = tuple(int(s) for s in size), tuple(int(p) for p in physical_layout)
    if sorted(perm) != list(range(len(size))):
        raise RuntimeError(f"Dimension {perm} is not a permutation of the dims of size {list(size)}")
    inverse = [perm.index(d) for d in range(len(size))]
    t = empty([size[p] for p in perm], dtype=dtype, device=device).permute(inverse)
    return t.requires_grad_(requires_grad)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """Matches `torch.as_strided_scatter`."""
    out = input.clone()
    view = out.as_strided(size, stride, 0 if storage_offset is None else storage_offset)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view.shape)}")
    view.copy_(src)
    return out


