"""`torch.fft` op bodies (exported by `jtorch/fft.py`)."""
from __future__ import annotations

import jax.numpy as jnp
from jax import Array

from ._registry import op

_P = dict(promote=None, public=False, method=False)
_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _in(x, complex_ok=True):
    from .. import _dtype as D
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(D.get_default_dtype().np)
    if not complex_ok and jnp.iscomplexobj(x):
        raise RuntimeError("rfft expects a real input tensor, but got " + str(x.dtype))
    return x


def _check_dims(dims, ndim):
    for d in dims:
        if ndim == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                             f"but got {d})")
    return dims


def _axes(dim, s, ndim, default_all):
    if dim is not None:
        _check_dims((dim,) if isinstance(dim, int) else tuple(dim), ndim)
    if dim is None:
        if s is not None:
            return tuple(range(ndim - len(s), ndim))
        return tuple(range(ndim)) if default_all else (ndim - 2, ndim - 1)
    return (dim,) if isinstance(dim, int) else tuple(dim)


def _c(x):
    # torch keeps single precision: complex64 for float32 input
    return x.astype(jnp.complex64) if x.dtype in (jnp.float32, jnp.float16) else x


def _one(name, f, real_in=False):
    def body(input: Array, n: int | None = None, dim: int = -1, norm: str | None = None):
        x = _in(input, not real_in)
        _check_dims((dim,), x.ndim)
        return f(_c(x) if not real_in else x, n, dim, norm or "backward")
    body.__name__ = name
    body.__doc__ = f"Matches `torch.fft.{name}`."
    op("fft_" + name, **_P)(body)


def _many(name, f, default_all, real_in=False):
    def body(input: Array, s=None, dim=None, norm: str | None = None):
        x = _in(input, not real_in)
        ax = _axes(dim, s, x.ndim, default_all)
        return f(_c(x) if not real_in else x, s, ax, norm or "backward")
    body.__name__ = name
    body.__doc__ = f"Matches `torch.fft.{name}`."
    op("fft_" + name, **_P)(body)


def _hfft(x, n, dim, norm):
    return jnp.fft.irfft(jnp.conj(x), n, dim, _DUAL[norm])


def _ihfft(x, n, dim, norm):
    return jnp.conj(jnp.fft.rfft(x, n, dim, _DUAL[norm]))


def _hfftn(x, s, axes, norm):
    return jnp.fft.irfftn(jnp.conj(x), s, axes, _DUAL[norm])


def _ihfftn(x, s, axes, norm):
    return jnp.conj(jnp.fft.rfftn(x, s, axes, _DUAL[norm]))


for _name, _f, _real in (("fft", jnp.fft.fft, False), ("ifft", jnp.fft.ifft, False),
                         ("rfft", jnp.fft.rfft, True), ("irfft", jnp.fft.irfft, False),
                         ("hfft", _hfft, False), ("ihfft", _ihfft, True)):
    _one(_name, _f, _real)
for _name, _f, _real in (("fftn", jnp.fft.fftn, False), ("ifftn", jnp.fft.ifftn, False),
                         ("rfftn", jnp.fft.rfftn, True), ("irfftn", jnp.fft.irfftn, False),
                         ("hfftn", _hfftn, False), ("ihfftn", _ihfftn, True)):
    _many(_name, _f, True, _real)
    _many(_name[:-1] + "2", _f, False, _real)


@op("fft_fftshift", **_P)
def fftshift(input: Array, dim=None):
    """Matches `torch.fft.fftshift`."""
    return jnp.fft.fftshift(input, axes=dim)


@op("fft_ifftshift", **_P)
def ifftshift(input: Array, dim=None):
    """Matches `torch.fft.ifftshift`."""
    return jnp.fft.ifftshift(input, axes=dim)
