"""torchvision's RoI ops in JAX: roi_align, ps_roi_align, roi_pool, ps_roi_pool.

Bilinear sampling is separable: the sum over a bin's sample grid of w_y(h) * w_x(w) * x[h, w]
is Wy @ x @ Wx^T, where Wy/Wx accumulate each sample's interpolation weights per row/column.
A bin's sample count (`sampling_ratio <= 0`: ceil(roi size / bins), different per RoI) is
padded to a static `grid` and masked. Gradients flow to `input` only, as in torchvision.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array


def _round_half_away(v):
    return jnp.sign(v) * jnp.floor(jnp.abs(v) + 0.5)


def _interp_weights(start, bin_size, n_samples, grid: int, n_bins: int, size: int):
    """[K, n_bins, size]: per bin, the summed bilinear weights of its samples on each pixel."""
    p = jnp.arange(n_bins, dtype=start.dtype)[None, :, None]
    i = jnp.arange(grid, dtype=start.dtype)[None, None, :]
    ns = n_samples[:, None, None]
    coord = start[:, None, None] + p * bin_size[:, None, None] + (i + 0.5) * bin_size[:, None, None] / ns
    valid = (i < ns) & (coord >= -1.0) & (coord <= size)
    c = jnp.where(valid, jnp.maximum(coord, 0), 0)
    low = jnp.floor(c).astype(jnp.int32)
    at_end = low >= size - 1
    low = jnp.where(at_end, size - 1, low)
    high = jnp.where(at_end, size - 1, low + 1)
    frac = jnp.where(at_end, 0, c - low)
    w = (jax.nn.one_hot(low, size, dtype=start.dtype) * (1 - frac)[..., None]
         + jax.nn.one_hot(high, size, dtype=start.dtype) * frac[..., None])
    return jnp.where(valid[..., None], w, 0).sum(2)


def _align_geometry(rois, spatial_scale, ph, pw, sampling_ratio, offset, clamp_one):
    r = jax.lax.stop_gradient(rois)
    start_w, start_h = r[:, 1] * spatial_scale - offset, r[:, 2] * spatial_scale - offset
    width = r[:, 3] * spatial_scale - offset - start_w
    height = r[:, 4] * spatial_scale - offset - start_h
    if clamp_one:
        width, height = jnp.maximum(width, 1.0), jnp.maximum(height, 1.0)
    bin_h, bin_w = height / ph, width / pw
    if sampling_ratio > 0:
        gh = gw = jnp.full(r.shape[:1], sampling_ratio, r.dtype)
    else:
        gh, gw = jnp.ceil(height / ph), jnp.ceil(width / pw)
    return start_h, start_w, bin_h, bin_w, gh, gw


def grid_size(rois, spatial_scale, ph, pw, sampling_ratio, aligned, clamp_one) -> int:
    """The static number of samples per bin side to pad to (host values: eager only)."""
    import numpy as np
    if sampling_ratio > 0:
        return int(sampling_ratio)
    r = np.asarray(rois, dtype=np.float64)
    if r.shape[0] == 0:
        return 1
    off = 0.5 if aligned else 0.0
    w = (r[:, 3] * spatial_scale - off) - (r[:, 1] * spatial_scale - off)
    h = (r[:, 4] * spatial_scale - off) - (r[:, 2] * spatial_scale - off)
    if clamp_one:
        w, h = np.maximum(w, 1.0), np.maximum(h, 1.0)
    g = max(np.ceil(h / ph).max(), np.ceil(w / pw).max(), 1.0)
    return int(g) if np.isfinite(g) else 1


def _per_roi(fn, img, bidx, *xs):
    """Map `fn(image of the RoI's batch entry, *per-RoI values)` over RoIs (one at a time:
    gathering every RoI's image at once would copy the feature map K times)."""
    def one(args):
        b, *rest = args
        return fn(jnp.take(img, b, axis=0, mode="clip"), *rest)
    return jax.lax.map(one, (bidx, *xs))


def roi_align(input: Array, rois: Array, spatial_scale, pooled_height, pooled_width, sampling_ratio,
              aligned, grid):
    _, _, H, W = input.shape
    if rois.shape[0] == 0:
        return jnp.zeros((0, input.shape[1], pooled_height, pooled_width), input.dtype)
    sh, sw, bh, bw, gh, gw = _align_geometry(rois, spatial_scale, pooled_height, pooled_width,
                                             sampling_ratio, 0.5 if aligned else 0.0, not aligned)
    wy = _interp_weights(sh, bh, gh, grid, pooled_height, H)
    wx = _interp_weights(sw, bw, gw, grid, pooled_width, W)
    count = jnp.maximum(gh * gw, 1.0)
    bidx = jax.lax.stop_gradient(rois[:, 0]).astype(jnp.int32)
    out = _per_roi(lambda x, a, b: jnp.einsum("ph,chw,qw->cpq", a, x, b), input, bidx, wy, wx)
    return (out / count[:, None, None, None]).astype(input.dtype)


def ps_roi_align(input: Array, rois: Array, spatial_scale, pooled_height, pooled_width,
                 sampling_ratio, grid):
    n, C, H, W = input.shape
    ph, pw = pooled_height, pooled_width
    c_out = C // (ph * pw)
    mapping = jnp.arange(C, dtype=jnp.int32).reshape(1, c_out, ph, pw)
    if rois.shape[0] == 0:
        return jnp.zeros((0, c_out, ph, pw), input.dtype), jnp.zeros((0, c_out, ph, pw), jnp.int32)
    sh, sw, bh, bw, gh, gw = _align_geometry(rois, spatial_scale, ph, pw, sampling_ratio, 0.5, False)
    wy = _interp_weights(sh, bh, gh, grid, ph, H)
    wx = _interp_weights(sw, bw, gw, grid, pw, W)
    count = gh * gw  # torchvision divides by it unclamped (0 samples give NaN)
    bidx = jax.lax.stop_gradient(rois[:, 0]).astype(jnp.int32)
    img = input.reshape(n, c_out, ph, pw, H, W)
    out = _per_roi(lambda x, a, b: jnp.einsum("ph,cpqhw,qw->cpq", a, x, b), img, bidx, wy, wx)
    out = (out / count[:, None, None, None]).astype(input.dtype)
    return out, jnp.broadcast_to(mapping, out.shape)


def _pool_bounds(rois, spatial_scale, ph, pw, H, W, plus_one, hi_h, hi_w):
    r = jax.lax.stop_gradient(rois)
    s = _round_half_away(r[:, 1:] * spatial_scale).astype(jnp.int32)
    sw, sh, ew, eh = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
    width = jnp.maximum(ew - sw + plus_one, 1).astype(r.dtype)
    height = jnp.maximum(eh - sh + plus_one, 1).astype(r.dtype)

    def bounds(start, size, n, hi):
        p = jnp.arange(n, dtype=r.dtype)[None, :]
        b = (size / n)[:, None]
        lo = jnp.clip(jnp.floor(p * b).astype(jnp.int32) + start[:, None], 0, hi)
        up = jnp.clip(jnp.ceil((p + 1) * b).astype(jnp.int32) + start[:, None], 0, hi)
        return lo, up  # [K, n]
    return bounds(sh, height, ph, hi_h), bounds(sw, width, pw, hi_w)


def roi_pool(input: Array, rois: Array, spatial_scale, pooled_height, pooled_width):
    _, C, H, W = input.shape
    ph, pw = pooled_height, pooled_width
    if rois.shape[0] == 0:
        z = (0, C, ph, pw)
        return jnp.zeros(z, input.dtype), jnp.zeros(z, jnp.int64)
    (h0, h1), (w0, w1) = _pool_bounds(rois, spatial_scale, ph, pw, H, W, 1, H, W)
    hs, ws = jnp.arange(H), jnp.arange(W)
    mh = (hs[None, None, :] >= h0[..., None]) & (hs[None, None, :] < h1[..., None])  # [K, ph, H]
    mw = (ws[None, None, :] >= w0[..., None]) & (ws[None, None, :] < w1[..., None])  # [K, pw, W]
    bidx = jax.lax.stop_gradient(rois[:, 0]).astype(jnp.int32)

    def one(x, mh, mw):
        # The first maximum in row-major order: per row the first column, then the first row.
        x = jax.lax.stop_gradient(x)
        neg = jnp.array(-jnp.inf, x.dtype)
        cols = jnp.where(mw[None, None, :, :], x[:, :, None, :], neg)  # [C, H, pw, W]
        col_arg = jnp.argmax(cols, axis=-1)
        row_max = jnp.max(cols, axis=-1)  # [C, H, pw]
        rows = jnp.where(mh[None, :, :, None], row_max[:, None, :, :], neg)  # [C, ph, H, pw]
        row_arg = jnp.argmax(rows, axis=2)  # [C, ph, pw]
        col = jnp.take_along_axis(col_arg, row_arg, axis=1)  # [C, ph, pw]
        return row_arg * W + col
    idx = _per_roi(one, input, bidx, mh, mw)
    empty = ((h1 <= h0)[:, :, None] | (w1 <= w0)[:, None, :])[:, None]  # [K, 1, ph, pw]
    flat = jnp.take(input, bidx, axis=0, mode="clip").reshape(rois.shape[0], C, H * W)
    vals = jnp.take_along_axis(flat, idx.reshape(rois.shape[0], C, -1), axis=2).reshape(idx.shape)
    out = jnp.where(empty, jnp.zeros((), input.dtype), vals)
    return out, jnp.where(empty, -1, idx).astype(jnp.int64)


def _ps_pool(input, rois, spatial_scale, ph, pw, clip_last):
    n, C, H, W = input.shape
    c_out = C // (ph * pw)
    hi_h, hi_w = (H - 1, W - 1) if clip_last else (H, W)
    (h0, h1), (w0, w1) = _pool_bounds(rois, spatial_scale, ph, pw, H, W, 0, hi_h, hi_w)
    hs, ws = jnp.arange(H), jnp.arange(W)
    mh = ((hs[None, None, :] >= h0[..., None]) & (hs[None, None, :] < h1[..., None])).astype(input.dtype)
    mw = ((ws[None, None, :] >= w0[..., None]) & (ws[None, None, :] < w1[..., None])).astype(input.dtype)
    area = ((h1 - h0)[:, :, None] * (w1 - w0)[:, None, :]).astype(input.dtype)  # [K, ph, pw]
    bidx = jax.lax.stop_gradient(rois[:, 0]).astype(jnp.int32)
    img = input.reshape(n, c_out, ph, pw, H, W)
    sums = _per_roi(lambda x, a, b: jnp.einsum("ph,cpqhw,qw->cpq", a, x, b), img, bidx, mh, mw)
    empty = (area <= 0)[:, None]
    return jnp.where(empty, jnp.zeros((), input.dtype), sums / jnp.where(empty, 1, area[:, None]))


def ps_roi_pool(input: Array, rois: Array, spatial_scale, pooled_height, pooled_width):
    n, C, H, W = input.shape
    ph, pw = pooled_height, pooled_width
    c_out = C // (ph * pw)
    mapping = jnp.arange(C, dtype=jnp.int32).reshape(1, c_out, ph, pw)
    if rois.shape[0] == 0:
        return jnp.zeros((0, c_out, ph, pw), input.dtype), jnp.zeros((0, c_out, ph, pw), jnp.int32)

    # torchvision's forward clips bin ends to size - 1 (and does not add 1 to the RoI size, unlike
    # roi_pool) but its backward clips them to size: its gradient is that of the size-clipped
    # average, not of the forward. Kept as torchvision computes both.
    @jax.custom_vjp
    def avg(x, r):
        return _ps_pool(x, r, spatial_scale, ph, pw, True)

    def fwd(x, r):
        return avg(x, r), r

    def bwd(r, ct):
        pull = jax.vjp(lambda x: _ps_pool(x, r, spatial_scale, ph, pw, False),
                       jnp.zeros(input.shape, input.dtype))[1]
        return pull(ct)[0], jnp.zeros_like(r)
    avg.defvjp(fwd, bwd)
    out = avg(input, jax.lax.stop_gradient(rois))
    return out, jnp.broadcast_to(mapping, out.shape)
