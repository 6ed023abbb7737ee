"""Window functions of `torch.signal.windows`.

Windows are built with numpy in float64 outside any trace (they depend only on static
arguments) and cast to the requested dtype. `sym=False` gives the periodic window (the
first M points of a window one longer), as in torch.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor


def _window(name, M, sym, dtype, layout, requires_grad, make):
    """Check the common arguments and wrap `make(M, sym)` (a float64 numpy array of length M)."""
    from ... import strided
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and layout is not strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dtype = dtype or D.get_default_dtype()
    if dtype.name not in ("float32", "float64"):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    if M == 0:
        w = np.zeros(0)
    elif M == 1:
        w = np.ones(1)
    else:
        w = make(M, sym)
    return Tensor._from_array(np.asarray(w, dtype=dtype.np)).requires_grad_(requires_grad)


def _steps(M, sym):
    """The denominator of the window's sample spacing: M - 1 points apart, or M when periodic."""
    return M - 1 if sym else M


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """Matches `torch.signal.windows.exponential`."""
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def make(M, sym):
        c = _steps(M, sym) / 2.0 if center is None else center
        return np.exp(-np.abs(np.arange(M) - c) / tau)
    return _window("exponential", M, sym, dtype, layout, requires_grad, make)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.cosine`."""
    def make(M, sym):
        return np.sin(math.pi * (np.arange(M) + 0.5) / (M if sym else M + 1))
    return _window("cosine", M, sym, dtype, layout, requires_grad, make)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.gaussian`."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")

    def make(M, sym):
        k = np.arange(M) - _steps(M, sym) / 2.0
        return np.exp(-(k / std) ** 2 / 2)
    return _window("gaussian", M, sym, dtype, layout, requires_grad, make)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.kaiser`."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def make(M, sym):
        k = np.minimum(-beta + np.arange(M) * (2.0 * beta / _steps(M, sym)), beta)
        return np.i0(np.sqrt(np.maximum(beta * beta - k * k, 0.0))) / np.i0(beta)
    return _window("kaiser", M, sym, dtype, layout, requires_grad, make)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.general_cosine`."""
    if not isinstance(a, (list, tuple)):
        raise TypeError(f"Coefficients must be a list/tuple, got: {type(a).__name__}")
    if not a:
        raise ValueError("Coefficients cannot be empty")

    def make(M, sym):
        k = np.arange(M) * (2 * math.pi / _steps(M, sym))
        return sum((-1) ** i * c * np.cos(i * k) for i, c in enumerate(a))
    return _window("general_cosine", M, sym, dtype, layout, requires_grad, make)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """Matches `torch.signal.windows.general_hamming`."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.hamming`."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.hann`."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.blackman`."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.nuttall`."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.signal.windows.bartlett`."""
    def make(M, sym):
        return 1.0 - np.abs(np.arange(M) * (2.0 / _steps(M, sym)) - 1.0)
    return _window("bartlett", M, sym, dtype, layout, requires_grad, make)
