"""`jtorch.fft`: matches `torch.fft`. Op bodies live in `ops/spectral.py`."""
from __future__ import annotations

import jax.numpy as _jnp

from . import _dtype as _D
from ._functions import public as _public
from ._tensor import Tensor as _Tensor
from .ops._registry import REGISTRY as _R

for _n in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn", "rfftn", "irfftn", "hfftn",
           "ihfftn", "fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftshift", "ifftshift"):
    globals()[_n] = _public(_R["fft_" + _n])
del _n


def fftfreq(n, d=1.0, *, dtype=None, device=None, layout=None, requires_grad=False):
    """Matches `torch.fft.fftfreq`."""
    dt = dtype or _D.get_default_dtype()
    return _Tensor._from_array(_jnp.fft.fftfreq(n, d).astype(dt.np)).requires_grad_(requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, layout=None, requires_grad=False):
    """Matches `torch.fft.rfftfreq`."""
    dt = dtype or _D.get_default_dtype()
    return _Tensor._from_array(_jnp.fft.rfftfreq(n, d).astype(dt.np)).requires_grad_(requires_grad)


def __getattr__(name):
    from ._unsupported import module_getattr
    return module_getattr("jtorch.fft", name)
