"""Functional forms of indexing ops that jtorch otherwise has as Tensor methods: `index_put`,
and `nonzero_static` (nonzero padded or cut to a static size, so it also works under jit)."""
from __future__ import annotations

import jax.numpy as jnp

from ._tensor import Tensor


def index_put(input, indices, values, accumulate=False):
    """Matches `torch.index_put`."""
    return input.clone().index_put_(indices, values, accumulate)


def nonzero_static(input, *, size, fill_value=-1):
    """Matches `torch.nonzero_static`: the first `size` rows of nonzero(), padded with fill_value."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, got {size}")

    a = input._data
    if a.ndim == 0:
        return Tensor._from_array(jnp.zeros((size, 0), jnp.int64))
    if a.size == 0:  # jnp.argwhere pads an empty input with zeros, not fill_value
        return Tensor._from_array(jnp.full((size, a.ndim), fill_value, jnp.int64))
    return Tensor._from_array(jnp.argwhere(a, size=size, fill_value=fill_value).astype(jnp.int64))
