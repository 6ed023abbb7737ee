"""Masked reductions and normalizations of `torch.masked` on dense tensors.

Each op replaces the masked-out elements by its identity (0 for sums, 1 for products, -inf for
maxima, ...) and runs the ordinary jtorch op, so values, dtypes and gradients (zero at masked-out
elements) follow torch. Ops without an identity (mean, var, std, median) count the masked-in
elements; where none are left the result is nan, as in torch.
"""
from __future__ import annotations

import builtins
import math

import jtorch
from .. import _dtype as D

_SMALL_INTS = ("uint8", "bool", "int8", "int16", "int32")


def _dims(dim, ndim):
    """`dim` as a sorted tuple; None or () mean every dimension (torch's masked convention)."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    n = builtins.max(ndim, 1)
    out = []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {d})")
        if d % n in out:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        out.append(d % n)
    return tuple(sorted(out))


def _mask(input, mask):
    """The mask as a bool tensor of input's shape (broadcast; never of higher rank)."""
    if mask.ndim > input.ndim:
        raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher "
                         "than of the input)")
    return jtorch.broadcast_to(mask, input.shape).to(jtorch.bool)


def _identity(kind, input):
    d = input.dtype
    if kind == "zero":
        return 0
    if kind == "one":
        return 1
    if d.is_floating_point or d.is_complex:
        return -math.inf if kind == "low" else math.inf
    info = jtorch.iinfo(d)
    return info.min if kind == "low" else info.max


def _fill(input, mask, kind):
    """input with masked-out elements replaced by the identity `kind` (zero/one/low/high)."""
    if mask is None:
        return input
    fill = jtorch.tensor(_identity(kind, input), dtype=input.dtype)
    return jtorch.where(_mask(input, mask), input, fill)


def _sum_dtype(input, dtype):
    return dtype or (jtorch.int64 if input.dtype.name in _SMALL_INTS else input.dtype)


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.sum`."""
    return jtorch.sum(_fill(input, mask, "zero"), _dims(dim, input.ndim), builtins.bool(keepdim),
                      dtype=_sum_dtype(input, dtype))


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.prod`."""
    out = _fill(input, mask, "one").to(_sum_dtype(input, dtype))
    for d in reversed(_dims(dim, input.ndim)):
        out = out.prod(dim=d, keepdim=builtins.bool(keepdim))
    return out


def cumsum(input, dim, *, dtype=None, mask=None):
    """Matches `torch.masked.cumsum`."""
    dtype = dtype or input.dtype
    return jtorch.cumsum(_fill(input, mask, "zero"), _dims(dim, input.ndim)[0], dtype=dtype).to(dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """Matches `torch.masked.cumprod`."""
    dtype = dtype or input.dtype
    return jtorch.cumprod(_fill(input, mask, "one"), _dims(dim, input.ndim)[0], dtype=dtype).to(dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.amax`."""
    x = _fill(input, mask, "low")
    return jtorch.amax(x, _dims(dim, x.ndim), builtins.bool(keepdim)).to(dtype or input.dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.amin`."""
    x = _fill(input, mask, "high")
    return jtorch.amin(x, _dims(dim, x.ndim), builtins.bool(keepdim)).to(dtype or input.dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.argmax` (as torch, the indices have `dtype`, default input's)."""
    x = _fill(input, mask, "low")
    return jtorch.argmax(x, dim, builtins.bool(keepdim)).to(dtype or input.dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.argmin` (as torch, the indices have `dtype`, default input's)."""
    x = _fill(input, mask, "high")
    return jtorch.argmin(x, dim, builtins.bool(keepdim)).to(dtype or input.dtype)


def _count(input, dim, keepdim, mask):
    if mask is None:
        return sum(jtorch.ones(input.shape, dtype=jtorch.int64), dim, keepdim=keepdim)
    return _mask(input, mask).sum(dim=dim, keepdim=builtins.bool(keepdim))


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.mean`: nan where every element is masked out."""
    src = "Optional" if dtype is not None else "Input"
    dtype = dtype or input.dtype
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {src} dtype must be either a "
                         f"floating point or complex dtype. Got: {dtype}")
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, dim, keepdim, mask)


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.median`: nan where every element is masked out (float inputs)."""
    dtype = dtype or input.dtype
    d = _dims(dim, input.ndim)[0]
    is_float = input.is_floating_point()
    x = input if is_float else input.to(jtorch.float32)
    if mask is not None:
        x = jtorch.where(_mask(x, mask), x, jtorch.tensor(math.nan, dtype=x.dtype))
    out = jtorch.nanmedian(x, d, keepdim).values
    if is_float:
        return out
    if jtorch.isnan(out).any():
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")
    return out.to(dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.logsumexp`."""
    x = _fill(input, mask, "low")
    return jtorch.logsumexp(x, _dims(dim, input.ndim), keepdim=keepdim).to(dtype or input.dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """Matches `torch.masked.logaddexp`."""
    out = jtorch.logaddexp(_fill(input, input_mask, "low"), _fill(other, other_mask, "low"))
    return out.to(dtype or input.dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.norm`."""
    x = _fill(input, mask, "high" if ord == -math.inf else "zero")
    dims = _dims(dim, input.ndim) if input.ndim else None  # a 0-dim input: its one element
    return jtorch.linalg.vector_norm(x, ord, dims, builtins.bool(keepdim),
                                     dtype=dtype or input.dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction is not None:
        raise ValueError("Only one of unbiased and correction may be given")
    corr = float(correction) if correction is not None else 0.0 if unbiased is False else 1.0
    if dtype is None:
        dtype = input.dtype if input.dtype.category >= D.FLOAT else jtorch.float32
    compute = dtype if dtype.category >= D.FLOAT else jtorch.float32
    count = _count(input, dim, True, mask)
    x = input - sum(input, dim, keepdim=True, dtype=dtype, mask=mask) / count
    total = sum(x * x.conj(), dim, keepdim=keepdim, dtype=compute, mask=mask)
    if not keepdim:
        count = count.reshape(total.shape)
    if corr != 0:
        real = jtorch.float32 if compute is jtorch.complex64 else jtorch.float64 \
            if compute is jtorch.complex128 else compute
        count = jtorch.clamp_min(count.to(real) - corr, 0)
    out = (total / count).to(dtype)
    return out.sqrt() if take_sqrt else out


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.var`: nan where every element is masked out."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """Matches `torch.masked.std`: nan where every element is masked out."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def softmax(input, dim, *, dtype=None, mask=None):
    """Matches `torch.masked.softmax`."""
    return jtorch.nn.functional.softmax(_fill(input, mask, "low"), _dims(dim, input.ndim)[0],
                                        dtype=dtype or input.dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """Matches `torch.masked.log_softmax`."""
    return jtorch.nn.functional.log_softmax(_fill(input, mask, "low"), _dims(dim, input.ndim)[0],
                                            dtype=dtype or input.dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    """Matches `torch.masked.softmin`."""
    return jtorch.nn.functional.softmin(_fill(input, mask, "high"), _dims(dim, input.ndim)[0],
                                        dtype=dtype or input.dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """Matches `torch.masked.normalize`."""
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype or input.dtype, mask=mask)
    return _fill(input, mask, "zero") / jtorch.clamp_min(nrm, eps)
