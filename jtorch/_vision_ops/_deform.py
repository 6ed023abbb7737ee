"""torchvision's deform_conv2d in JAX: bilinear im2col at offset positions, then a grouped matmul."""
from __future__ import annotations

import jax.numpy as jnp
from jax import Array


def _sample(img, y, x):
    """img [B, G, Cpg, H, W]; y, x [B, G, P] -> [B, G, Cpg, P], torchvision's deform bilinear
    (zero outside; each corner read only when inside the image)."""
    B, G, Cpg, H, W = img.shape
    inside = (y > -1) & (y < H) & (x > -1) & (x < W)
    y0, x0 = jnp.floor(y), jnp.floor(x)
    ly, lx = y - y0, x - x0
    y0, x0 = y0.astype(jnp.int32), x0.astype(jnp.int32)
    flat = img.reshape(B, G, Cpg, H * W)
    out = 0
    for dy, dx, w in ((0, 0, (1 - ly) * (1 - lx)), (0, 1, (1 - ly) * lx),
                      (1, 0, ly * (1 - lx)), (1, 1, ly * lx)):
        yy, xx = y0 + dy, x0 + dx
        ok = inside & (yy >= 0) & (yy <= H - 1) & (xx >= 0) & (xx <= W - 1)
        idx = jnp.where(ok, yy * W + xx, 0)
        v = jnp.take_along_axis(flat, jnp.broadcast_to(idx[:, :, None, :], (B, G, Cpg, idx.shape[-1])),
                                axis=3)
        out = out + jnp.where(ok[:, :, None, :], w[:, :, None, :] * v, 0)
    return out


def deform_conv2d(input: Array, weight: Array, offset: Array, mask: Array, bias: Array, stride_h,
                  stride_w, pad_h, pad_w, dilation_h, dilation_w, groups, offset_groups, use_mask):
    B, C, H, W = input.shape
    O, Cg, kh, kw = weight.shape
    G, K = offset_groups, kh * kw
    OH = (H + 2 * pad_h - (dilation_h * (kh - 1) + 1)) // stride_h + 1
    OW = (W + 2 * pad_w - (dilation_w * (kw - 1) + 1)) // stride_w + 1
    off = offset.reshape(B, G, K, 2, OH, OW).astype(input.dtype)
    ki, kj = jnp.arange(K) // kw, jnp.arange(K) % kw
    base_y = (jnp.arange(OH) * stride_h - pad_h)[None, :, None] + (ki * dilation_h)[:, None, None]
    base_x = (jnp.arange(OW) * stride_w - pad_w)[None, None, :] + (kj * dilation_w)[:, None, None]
    y = (base_y[None, None] + off[:, :, :, 0]).reshape(B, G, -1)  # [B, G, K*OH*OW]
    x = (base_x[None, None] + off[:, :, :, 1]).reshape(B, G, -1)
    cols = _sample(input.reshape(B, G, C // G, H, W), y, x)  # [B, G, Cpg, K*OH*OW]
    if use_mask:
        cols = cols * mask.reshape(B, G, 1, K * OH * OW)
    cols = cols.reshape(B, groups, Cg * K, OH * OW)  # channel-major, then kernel position
    w = weight.reshape(groups, O // groups, Cg * K)
    out = jnp.einsum("gok,bgkp->bgop", w, cols).reshape(B, O, OH, OW)
    return out + bias.reshape(1, O, 1, 1)
