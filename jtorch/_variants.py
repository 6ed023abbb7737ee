"""Derived torch names: `torch.X_` in-place functions, `torch.X_copy` forms of view ops, window
functions and a few small Tensor helpers. Each is a thin wrapper over an existing method or op."""
from __future__ import annotations

import collections
import math

import jax.numpy as jnp
import numpy as np

from . import _dispatch, _dtype as D, _legacy
from ._tensor import Tensor
from .ops._registry import REGISTRY


def _inplace_fn(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"Matches `torch.{name}` (the in-place `Tensor.{name}`)."
    return fn


def _clone_all(r):
    return tuple(t.clone() for t in r) if isinstance(r, (tuple, list)) else r.clone()


def _copy_fn(name, base):
    def fn(input, *args, out=None, **kwargs):
        r = _clone_all(base(input, *args, **kwargs))
        return Tensor._write_out(out, r) if out is not None else r
    fn.__name__ = name
    fn.__doc__ = f"Matches `torch.{name}` (a copy, not a view)."
    return fn


_COPY_OF = {
    "alias_copy": lambda x: x, "detach_copy": lambda x: x.detach(),
    "diagonal_copy": lambda x, *a, **k: x.diagonal(*a, **k), "expand_copy": lambda x, *a, **k: x.expand(*a, **k),
    "permute_copy": lambda x, *a: x.permute(*a), "select_copy": lambda x, *a: x.select(*a),
    "slice_copy": lambda x, dim=0, start=None, end=None, step=1: x[(slice(None),) * (dim % max(x.ndim, 1))
                                                                   + (slice(start, end, step),)],
    "split_copy": lambda x, *a, **k: x.split(*a, **k), "split_with_sizes_copy": lambda x, *a, **k: x.split(*a, **k),
    "squeeze_copy": lambda x, *a: x.squeeze(*a), "t_copy": lambda x: x.t(),
    "transpose_copy": lambda x, *a: x.transpose(*a), "unbind_copy": lambda x, *a: x.unbind(*a),
    "unfold_copy": lambda x, *a: x.unfold(*a), "unsqueeze_copy": lambda x, *a: x.unsqueeze(*a),
    "view_copy": lambda x, *a: x.view(*a), "as_strided_copy": lambda x, *a, **k: x.as_strided(*a, **k),
    "narrow_copy": lambda x, *a: x.narrow(*a),
    "view_as_real_copy": lambda x: _dispatch.apply(REGISTRY["view_as_real"], (x,)),
    "view_as_complex_copy": lambda x: _dispatch.apply(REGISTRY["view_as_complex"], (x,)),
}


# ---- windows ------------------------------------------------------------------------------------

def _window(name, f):
    def fn(window_length, periodic=True, *args, dtype=None, layout=None, device=None, requires_grad=False):
        d = dtype or D.get_default_dtype()
        n = window_length
        if n == 0:
            w = np.zeros(0)
        elif n == 1:
            w = np.ones(1)
        else:
            m = n + 1 if periodic else n
            w = f(np.arange(m, dtype=np.float64), m, *args)[:n]
        return Tensor._from_array(jnp.asarray(w, d.np)).requires_grad_(requires_grad)
    fn.__name__ = name
    fn.__doc__ = f"Matches `torch.{name}`."
    return fn


def _hann(k, m):
    return 0.5 - 0.5 * np.cos(2 * math.pi * k / (m - 1))


def _hamming(k, m, alpha=0.54, beta=0.46):
    return alpha - beta * np.cos(2 * math.pi * k / (m - 1))


def _blackman(k, m):
    return 0.42 - 0.5 * np.cos(2 * math.pi * k / (m - 1)) + 0.08 * np.cos(4 * math.pi * k / (m - 1))


def _bartlett(k, m):
    return 1 - np.abs(2 * k / (m - 1) - 1)


def _kaiser(k, m, beta=12.0):
    return np.i0(beta * np.sqrt(1 - (2 * k / (m - 1) - 1) ** 2)) / np.i0(beta)


# ---- small helpers ---------------------------------------------------------------------------

def _grad1(a, x, d, edge_order):
    """d(a)/dx along axis d for sample coordinates x (numpy's second-order scheme)."""
    def sl(i, j=None):
        return a[(slice(None),) * d + (slice(i, j),)]

    def bc(v):  # a 1-D coordinate quantity broadcast along axis d
        return v.reshape((-1,) + (1,) * (a.ndim - d - 1))
    hl, hr = bc(x[1:-1] - x[:-2]), bc(x[2:] - x[1:-1])
    mid = (hl ** 2 * sl(2) - hr ** 2 * sl(0, -2) + (hr ** 2 - hl ** 2) * sl(1, -1)) / (hl * hr * (hl + hr))
    if edge_order == 1:
        lo = (sl(1, 2) - sl(0, 1)) / (x[1] - x[0])
        hi = (sl(-1) - sl(-2, -1)) / (x[-1] - x[-2])
    else:
        h1, h2 = x[1] - x[0], x[2] - x[1]
        lo = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * sl(0, 1) + (h1 + h2) / (h1 * h2) * sl(1, 2)
              - h1 / (h2 * (h1 + h2)) * sl(2, 3))
        h1, h2 = x[-2] - x[-3], x[-1] - x[-2]
        hi = (h2 / (h1 * (h1 + h2)) * sl(-3, -2) - (h1 + h2) / (h1 * h2) * sl(-2, -1)
              + (2 * h2 + h1) / (h2 * (h1 + h2)) * sl(-1))
    return jnp.concatenate([lo, mid, hi], axis=d)


def gradient(input, *, spacing=None, dim=None, edge_order=1):
    """Matches `torch.gradient` (scalar, per-dimension scalar or coordinate-tensor spacing)."""
    from ._tensor import _wrap_dim
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    dims = [_wrap_dim(d, input.ndim) for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError("torch.gradient: dim appears multiple times in the list of dims")
    if spacing is None:
        spacing = 1.0
    sp = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(sp) != len(dims):
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or a list of "
                           f"length {len(dims)}, but got a list of length {len(sp)}")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               f"edge_order+1")
    x = input if input.is_floating_point() or input.is_complex() else input.to(D.get_default_dtype())
    out = []
    for d, h in zip(dims, sp):
        if isinstance(h, Tensor) and h.ndim == 1:
            out.append(_dispatch.call_fn(lambda a, c, d=d: _grad1(a, c.astype(a.dtype), d, edge_order), [x, h]))
        else:
            h = float(h.item()) if isinstance(h, Tensor) else float(h)
            out.append(_dispatch.call_fn(
                lambda a, d=d, h=h: _grad1(a, jnp.arange(a.shape[d], dtype=a.dtype) * h, d, edge_order), [x]))
    return tuple(out)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Matches `torch.histogram` (eager: runs on concrete values)."""
    a = np.asarray(input._concrete("torch.histogram"))
    b = np.asarray(bins._concrete("torch.histogram")) if isinstance(bins, Tensor) else bins
    w = None if weight is None else np.asarray(weight._concrete("torch.histogram"))
    h, e = np.histogram(a, bins=b, range=range, weights=w, density=density)
    dt = input.dtype.np
    return _HIST(Tensor._from_array(jnp.asarray(h, dt)), Tensor._from_array(jnp.asarray(e, dt)))



_HIST = collections.namedtuple("histogram", ["hist", "bin_edges"])
_HIST.__module__ = "torch.return_types"


def sum_to_size(self, *size):
    """Matches `Tensor.sum_to_size`."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if not size:  # torch sums everything for an empty size, even a 0-dim input (bool -> int64)
        return self.sum()
    lead = self.ndim - len(size)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and self.shape[lead + i] != 1)
    r = self.sum(dims, keepdim=True) if dims else self
    return r.reshape(size)


def typename(obj) -> str:
    """Matches `torch.typename`."""
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__module__ + "." + type(obj).__qualname__


FUNCTIONS = {
    **{n: _copy_fn(n, f) for n, f in _COPY_OF.items()},
    "hann_window": _window("hann_window", _hann), "hamming_window": _window("hamming_window", _hamming),
    "blackman_window": _window("blackman_window", _blackman),
    "bartlett_window": _window("bartlett_window", _bartlett),
    "kaiser_window": _window("kaiser_window", _kaiser),
    "gradient": gradient, "histogram": histogram, "typename": typename,
    "real": lambda input: input.real, "imag": lambda input: input.imag,
    "is_signed": lambda input: input.is_signed(), "is_inference": lambda input: input.is_inference(),
    "scalar_tensor": lambda s, *, dtype=None, device=None, layout=None, requires_grad=False, pin_memory=False:
        _scalar_tensor(s, dtype, requires_grad),
    "trapz": lambda y, x=None, *, dx=None, dim=-1: _dispatch.apply(REGISTRY["trapezoid"], (y, x), {"dx": dx, "dim": dim}),
    "unsafe_chunk": lambda input, chunks, dim=0: input.chunk(chunks, dim),
    "unsafe_split": lambda input, split_size, dim=0: input.split(split_size, dim),
    "unsafe_split_with_sizes": lambda input, split_sizes, dim=0: input.split(list(split_sizes), dim),
}


def _scalar_tensor(s, dtype, requires_grad):
    from ._creation import tensor
    return tensor(s, dtype=dtype or D.get_default_dtype(), requires_grad=requires_grad)


METHODS = {
    "histogram": histogram, "sum_to_size": sum_to_size, "narrow_copy": FUNCTIONS["narrow_copy"],
    "unsafe_chunk": FUNCTIONS["unsafe_chunk"], "unsafe_split": FUNCTIONS["unsafe_split"],
    "unsafe_split_with_sizes": FUNCTIONS["unsafe_split_with_sizes"],
    "adjoint": lambda self: self.mH, "get_device": lambda self: -1, "output_nr": property(lambda self: 0),
    "index_put": lambda self, indices, values, accumulate=False: self.clone().index_put_(indices, values, accumulate),
    "bernoulli": lambda self, *a, **k: _public("bernoulli")(self, *a, **k),
    "multinomial": lambda self, *a, **k: _public("multinomial")(self, *a, **k),
    "new": lambda self, *args, **kwargs: _legacy.construct(self.dtype, args, kwargs),
}
for _n in ("is_xpu", "is_mps", "is_xla", "is_ipu", "is_mtia", "is_maia", "is_vulkan", "is_sparse_csr",
           "is_distributed", "is_shared"):
    METHODS[_n] = (lambda self, *a: False) if _n in ("is_distributed", "is_shared") else property(lambda self: False)


def _public(name):
    import jtorch
    return getattr(jtorch, name)


def bind(namespace, torch_names):
    """Add the functions to `namespace` (jtorch's globals) and the methods to Tensor; `torch.X_`
    in-place forms for every torch name whose Tensor method exists."""
    for name, fn in FUNCTIONS.items():
        namespace.setdefault(name, fn)
    for name, fn in METHODS.items():
        if name not in Tensor.__dict__:
            setattr(Tensor, name, fn)
    for name in torch_names:
        if name.endswith("_") and not name.startswith("_") and name not in namespace \
                and name in Tensor.__dict__:
            namespace[name] = _inplace_fn(name)
