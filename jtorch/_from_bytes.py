"""Tensors read from raw bytes: `torch.frombuffer` and `torch.from_file`.

jax arrays are immutable, so both copy: the tensor does not share memory with the buffer or
file (torch's does), and writing through it never changes the source.
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._tensor import Tensor


def _wrap(a: np.ndarray, dtype, requires_grad: bool) -> Tensor:
    import jax.numpy as jnp
    t = Tensor._from_array(jnp.asarray(a.copy(), dtype.np))
    return t.requires_grad_() if requires_grad else t


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """Matches `torch.frombuffer`, but copies (see the module docstring)."""
    raw = memoryview(buffer).cast("B")
    n, size = len(raw), dtype.itemsize
    if n == 0 or count == 0:
        raise ValueError(f"both buffer length ({n}) and count ({count}) must not be 0")
    if offset < 0 or offset >= n:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer "
                         f"length ({n} bytes) minus 1")
    if count < 0:
        if (n - offset) % size:
            raise ValueError(f"buffer length ({n - offset} bytes) after offset ({offset} bytes) must "
                             f"be a multiple of element size ({size})")
        count = (n - offset) // size
    elif offset + count * size > n:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} "
                         f"bytes) must not be greater than actual buffer length ({n} bytes)")
    return _wrap(np.frombuffer(raw, dtype=dtype.np, count=count, offset=offset), dtype, requires_grad)


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None,
              pin_memory=False, requires_grad=False) -> Tensor:
    """Matches `torch.from_file`: the first `size` elements of a binary file. `shared=True` does
    not map the file: the tensor is a copy (see the module docstring)."""
    from ._layout import check_layout
    check_layout(layout, "torch.from_file")
    dtype = dtype or D.get_default_dtype()
    need = size * dtype.itemsize
    with open(filename, "rb") as f:
        data = f.read(need)
    if len(data) < need:
        import os
        raise RuntimeError(f"file <{filename}> size <{os.path.getsize(filename)}> is smaller than "
                           f"the required mapping size <{need}>")
    t = _wrap(np.frombuffer(data, dtype=dtype.np, count=size), dtype, requires_grad)
    return t.to(device) if device is not None else t
