"""`interpolate(..., antialias=True)` for bilinear and bicubic: separable resampling weights.

Each output pixel averages the input pixels under a filter widened by the downscaling factor
(triangle for bilinear, Keys cubic with a = -0.5 for bicubic), normalized to sum to 1, as
torch's CPU kernels compute it. The weights are static per shape, so each axis is one
matmul with a constant matrix. uint8 inputs follow torch's integer path: fixed-point weights
(the most precision bits that keep them in int16), width first, rounded and clamped per pass.
"""
from __future__ import annotations

import numpy as np


def _filter(x: np.ndarray, cubic: bool) -> np.ndarray:
    x = np.abs(x)
    if not cubic:
        return np.where(x < 1.0, 1.0 - x, 0.0)
    a = -0.5
    return np.where(x < 1.0, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2.0, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def weights(in_size: int, out_size: int, scale: float, cubic: bool) -> np.ndarray:
    """The [out_size, in_size] resampling matrix of one axis."""
    interp = 4 if cubic else 2
    support = interp / 2 * scale if scale >= 1.0 else interp / 2.0
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    w = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        ws = _filter((np.arange(lo, hi) - center + 0.5) * invscale, cubic)
        total = ws.sum()
        w[i, lo:hi] = ws / total if total != 0 else ws
    return w


def interpolate_aa(input, out_size, scales, cubic: bool, align_corners: bool):
    """Antialiased bilinear/bicubic resize of a 4-D input to `out_size` (H, W)."""
    import jtorch
    if input.dim() != 4:
        raise NotImplementedError(f"Got {input.dim()}D input, but {'bicubic' if cubic else 'bilinear'} "
                                  "mode with antialias needs 4D input")
    if align_corners:
        raise NotImplementedError("interpolate: antialias=True with align_corners=True is not "
                                  "supported by jtorch")
    if not input.is_floating_point():
        return _uint8(input, out_size, scales, cubic)
    x = input
    for axis, (n_in, n_out) in enumerate(zip(input.shape[2:], out_size)):
        scale = 1.0 / scales[axis] if scales is not None and scales[axis] else n_in / n_out
        w = jtorch.tensor(weights(n_in, n_out, scale, cubic), dtype=x.dtype, device=x.device)
        x = jtorch.einsum("oi,ncij->ncoj", w, x) if axis == 0 else jtorch.einsum("oj,ncij->ncio", w, x)
    return x


def _fixed_point(w: np.ndarray):
    bits = 0
    while bits < 22 and int(0.5 + w.max() * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    return np.trunc(w * (1 << bits) + np.where(w < 0, -0.5, 0.5)).astype(np.int64), bits


def _uint8(input, out_size, scales, cubic, matrix=None):
    """torch's uint8 kernel; `matrix(axis)`: an axis's float weights when not antialiased (its
    bilinear/bicubic resize uses the plain interpolation weights, in the same fixed point)."""
    import jtorch
    x = input.to(jtorch.int64)
    for axis in (1, 0):  # width, then height
        n_in, n_out = input.shape[2 + axis], out_size[axis]
        if n_in == n_out and (scales is None or not scales[axis]):
            continue
        scale = 1.0 / scales[axis] if scales is not None and scales[axis] else n_in / n_out
        wi, bits = _fixed_point(matrix(axis) if matrix else weights(n_in, n_out, scale, cubic))
        w = jtorch.tensor(wi, device=x.device)
        acc = jtorch.einsum("oi,ncij->ncoj", w, x) if axis == 0 else jtorch.einsum("oj,ncij->ncio", w, x)
        x = ((acc + (1 << (bits - 1))) >> bits).clamp(0, 255) if bits else acc.clamp(0, 255)
    return x.to(input.dtype)
