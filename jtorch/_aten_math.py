"""torch.* spellings of math jtorch has elsewhere: `torch.adjoint`, `torch.fill`, the deprecated
`torch.frobenius_norm`/`torch.nuclear_norm` (kept by torch for JIT; they warn), `torch.norm_except_dim`
(weight norm's helper) and the `torch.binomial` sampler."""
from __future__ import annotations

import warnings

import jax

from ._tensor import Tensor
from .random import _gen


def adjoint(input):
    """Matches `torch.adjoint` (the conjugate transpose of the last two dims, a view)."""
    return input.adjoint()


def fill(input, value):
    """Matches `torch.fill`: a new tensor shaped like `input`, filled with `value`."""
    return input.clone().fill_(value)


_warned = set()


def _warn_once(name, text):
    # torch warns once per process (TORCH_WARN_ONCE), whatever the warnings filters say.
    if name not in _warned:
        _warned.add(name)
        warnings.warn(text, UserWarning, stacklevel=3)


def frobenius_norm(input, dim, keepdim=False, *, out=None):
    """Matches `torch.frobenius_norm` (deprecated in torch; warns once, as torch does)."""
    _warn_once("frobenius_norm", "at::frobenius_norm is deprecated and it is just left for JIT "
               "compatibility. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead")
    from .linalg import vector_norm
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    r = vector_norm(input, 2.0, dim, keepdim)
    return Tensor._write_out(out, r) if out is not None else r


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """Matches `torch.nuclear_norm` (`(input, keepdim)` or `(input, dim, keepdim)`; deprecated in
    torch; warns once, as torch does)."""
    _warn_once("nuclear_norm", "at::nuclear_norm is deprecated and it is just left for JIT "
               "compatibility. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead")
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    from .linalg import matrix_norm
    r = matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
    return Tensor._write_out(out, r) if out is not None else r


def norm_except_dim(v, pow=2, dim=0):
    """Matches `torch.norm_except_dim`: the `pow`-norm over every dim but `dim`, kept as size 1
    (`dim=-1`: the norm of everything, a 0-dim tensor)."""
    if dim == -1:
        return v.norm(pow)
    others = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs() if pow else v


def binomial(count, prob, generator=None):
    """Matches `torch.binomial`: samples Binomial(count, prob) elementwise (floating counts)."""
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_C_NAME.get(count.dtype.name, count.dtype.name)}")
    g = _gen(generator)
    g._key, sub = jax.random.split(g._key)
    a = jax.random.binomial(sub, count._data, prob._data.astype(count._data.dtype),
                            shape=tuple(count.shape), dtype=count.dtype.np)
    return Tensor._from_array(a)


_C_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """Matches `torch.ormqr`: multiplies `other` by the Q of a `geqrf` result (Q^H with
    transpose=True), from the left or the right; Q is built with `linalg.householder_product`."""
    from . import nn
    from .linalg import householder_product
    for name, t in (("input", input), ("other", other)):
        if t.dim() < 2:
            raise RuntimeError(f"torch.ormqr: {name} must have at least 2 dimensions.")
    if tau.dim() < 1 or tau.shape[-1] != min(other.shape[-2] if left else other.shape[-1],
                                               input.shape[-1]):
        raise RuntimeError("torch.ormqr: tau.shape[-1] must be equal to min(other.shape[-2], "
                           "input.shape[-1])")
    m = input.shape[-2]
    a = nn.functional.pad(input, (0, m - input.shape[-1]))
    t = nn.functional.pad(tau, (0, m - tau.shape[-1]))
    q = householder_product(a, t)
    q = q.mH if transpose else q
    r = q @ other if left else other @ q
    return Tensor._write_out(out, r) if out is not None else r


def hash_tensor(input, dim=(), *, keepdim=False, mode=0, out=None):
    """Matches `torch.hash_tensor` (mode 0): the XOR of the elements' 64-bit patterns (floating
    values as float64 bits, integers as int64), as uint64."""
    import jax.numpy as jnp
    if input.dtype.is_complex:
        raise NotImplementedError(f'"xor_sum_cpu" not implemented for \'{input.dtype}\'')
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims and input.numel() == 0:
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    x = input.detach()._data
    x = x.astype(jnp.float64) if input.dtype.is_floating_point else x.astype(jnp.int64)
    bits = jax.lax.bitcast_convert_type(x, jnp.uint64)
    from ._checks import wrap_dim
    if input.dim() == 0:  # dim 0/-1 of a 0-dim input: the element itself
        for d in dims:
            wrap_dim(d, 0)
        dims = ()
    axes = tuple(wrap_dim(d, input.dim()) for d in dims) if dims else tuple(range(input.dim()))
    for d in axes:
        if input.shape[d] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
    r = jax.lax.reduce(bits, jnp.uint64(0), jax.lax.bitwise_xor, axes) if axes else bits
    if keepdim:
        r = jnp.expand_dims(r, axes)
    r = Tensor._from_array(r)
    return Tensor._write_out(out, r) if out is not None else r
