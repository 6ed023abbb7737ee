"""CrossMapLRN2d: local response normalization across channels (the legacy Lua-torch layer).
Matches `torch.nn.CrossMapLRN2d`."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ... import _dispatch
from .module import Module

__all__ = ["CrossMapLRN2d"]


def _window(channels: int, size: int) -> np.ndarray:
    """w[c, j] = 1 when channel j counts toward channel c's scale. torch's running-sum kernel
    reaches pre_pad - 1 channels ahead and, once c > pre_pad, drops channels 1..c - pre_pad
    but never channel 0; this reproduces that window exactly."""
    pre = int((size - 1) / 2 + 1)
    w = np.zeros((channels, channels), np.float64)
    for c in range(channels):
        w[c, :min(c + pre - 1, channels - 1) + 1] = 1.0
        if c > pre:
            w[c, 1:c - pre + 1] = 0.0
    return w


def _lrn_fn(channels, size, alpha, beta, k, dtype):
    wf = jnp.asarray(_window(channels, size), dtype)
    # torch's backward sums ratios over a plain window [c - ipp, c + size - 1 - ipp], which is not
    # the gradient of its forward window: a custom VJP reproduces it.
    ipp = int(size - (size - 1) / 2)
    c, j = np.arange(channels)[:, None], np.arange(channels)[None, :]
    wb = jnp.asarray(((j >= c - ipp) & (j <= c + size - 1 - ipp)).astype(np.float64), dtype)

    def scale(x):
        return jnp.einsum("njhw,cj->nchw", x * x, wf) * (alpha / size) + k

    @jax.custom_vjp
    def f(x):
        return x * scale(x) ** -beta

    def fwd(x):
        s = scale(x)
        out = x * s ** -beta
        return out, (x, s, out)

    def bwd(res, g):
        x, s, out = res
        acc = jnp.einsum("njhw,cj->nchw", g * out / s, wb)
        return (s ** -beta * g - (2 * alpha * beta / size) * x * acc,)

    f.defvjp(fwd, bwd)
    return f


class CrossMapLRN2d(Module):
    """Matches `torch.nn.CrossMapLRN2d` (4-D input), including its legacy backward."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        f = _lrn_fn(input.shape[1], self.size, self.alpha, self.beta, self.k, input.dtype.np)
        return _dispatch.call_fn(f, [input], name="CrossMapLRN2dBackward")

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
