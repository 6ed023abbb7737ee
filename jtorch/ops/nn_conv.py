"""Convolution, pooling, unfold/fold and interpolation ops (inputs are batched: N, C, *spatial).

Pooling windows are gathered into a trailing axis and reduced there: max-pool then picks the
first maximum of each window, exactly like PyTorch, so indices and tie gradients agree.
"""
from __future__ import annotations

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array, lax

from .._checks import check_alloc
from . import _torch_grads
from ._opmath import fused as _fused, low
from ._registry import op

_PRIVATE = dict(public=False, method=False, promote=None)
_DIMS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _check_conv_dtypes(x, w):
    if x.dtype != w.dtype:
        from .. import _dtype as D
        raise RuntimeError(f"Input type ({D.from_np(x.dtype)}) and weight type ({D.from_np(w.dtype)}) "
                           "should be the same; convert one with .to()")


# bfloat16/float16 convolutions accumulate in float32 and round once, bias included (torch's
# CPU kernels); JAX's accumulate in the input dtype, several ulps off on long windows
@op(**_PRIVATE, grad_name="ConvolutionBackward0")
def _conv(input: Array, weight: Array, bias: Array, stride, padding, dilation, groups: int):
    """N-d convolution; `padding` is a tuple of (low, high) pairs."""
    _check_conv_dtypes(input, weight)
    nd = input.ndim - 2

    def conv(x, w, b):
        y = lax.conv_general_dilated(x, w, window_strides=stride, padding=padding,
                                     rhs_dilation=dilation, feature_group_count=groups,
                                     dimension_numbers=_DIMS[nd])
        return y if b is None else y + b.reshape((1, -1) + (1,) * nd)
    return _fused(conv, input, weight, bias, out_dtype=input.dtype)


@op(**_PRIVATE, grad_name="ConvolutionBackward0")
def _conv_transpose(input: Array, weight: Array, bias: Array, stride, padding, output_padding,
                    groups: int, dilation):
    """The gradient of a convolution with respect to its input, as a forward op."""
    _check_conv_dtypes(input, weight)
    nd = input.ndim - 2

    def conv(x, w, b):
        y = _transposed(tuple(stride), tuple(padding), tuple(output_padding), groups,
                        tuple(dilation))(x, w)
        return y if b is None else y + b.reshape((1, -1) + (1,) * nd)
    return _fused(conv, input, weight, bias, out_dtype=input.dtype)


@functools.lru_cache(maxsize=None)
def _transposed(*static):
    """Transposed convolution `(x, weight) -> y` for (stride, padding, output_padding, groups,
    dilation): an input-dilated convolution (XLA:CPU's fast forward).

    Its tangent in the weight is written as torch's gemm + col2im (`_col2im`), because JAX's
    transpose of the dilated convolution with respect to its kernel is a convolution XLA:CPU runs
    10-25x slower than the gemm (2-4 s against 0.13-0.28 s for DCGAN's layers at batch 16)."""
    f = jax.custom_jvp(functools.partial(_dilated, *static))
    f.defjvps(lambda dx, y, x, weight: f(dx, weight),
              lambda dw, y, x, weight: _col2im(x, dw, *static))
    return f


def _dilated(stride, padding, output_padding, groups, dilation, x, weight):
    nd = x.ndim - 2
    cin, coutg = weight.shape[:2]
    k = weight.shape[2:]
    w = weight.reshape((groups, cin // groups, coutg) + k)
    w = jnp.swapaxes(w, 1, 2).reshape((groups * coutg, cin // groups) + k)
    w = jnp.flip(w, axis=tuple(range(2, 2 + nd)))
    pads = [(dilation[i] * (k[i] - 1) - padding[i],
             dilation[i] * (k[i] - 1) - padding[i] + output_padding[i]) for i in range(nd)]
    return lax.conv_general_dilated(x, w, window_strides=(1,) * nd, padding=pads,
                                    lhs_dilation=stride, rhs_dilation=dilation,
                                    feature_group_count=groups, dimension_numbers=_DIMS[nd])


def _col2im(x, weight, stride, padding, output_padding, groups, dilation):
    """The same transposed convolution as one gemm per group and a strided sum of its columns."""
    nd = x.ndim - 2
    n, cin = x.shape[:2]
    coutg, k, size = weight.shape[1], weight.shape[2:], x.shape[2:]
    out = [(size[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1)
           + output_padding[i] + 1 for i in range(nd)]
    sp, kp = "uvw"[:nd], "xyz"[:nd]
    cols = jnp.einsum(f"ngc{sp},gco{kp}->{kp}ngo{sp}",
                      x.reshape((n, groups, cin // groups) + size),
                      weight.reshape((groups, cin // groups, coutg) + k))
    y = None
    for tap in itertools.product(*[range(kk) for kk in k]):
        cfg = [(0, 0, 0)] * 3
        for i in range(nd):
            low_ = tap[i] * dilation[i] - padding[i]
            cfg.append((low_, out[i] - (size[i] - 1) * stride[i] - 1 - low_, stride[i] - 1))
        c = lax.pad(cols[tap], jnp.zeros((), cols.dtype), cfg)
        y = c if y is None else y + c
    return y.reshape((n, groups * coutg) + tuple(out))


# ---- windows --------------------------------------------------------------------------------

def pool_out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (a window may not start in the right padding)."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(x, k, s, p, d, out, fill):
    """(N, C, *spatial) -> (N, C, *out, prod(k)): every window's elements, in row-major order."""
    nd = len(k)
    widths = [(0, 0), (0, 0)]
    for i in range(nd):
        need = (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
        widths.append((p[i], max(need - x.shape[2 + i] - p[i], 0)))
    xp = jnp.pad(x, widths, constant_values=fill)
    cols = []
    for offs in itertools.product(*[range(kk) for kk in k]):
        start = (0, 0) + tuple(o * dd for o, dd in zip(offs, d))
        limit = xp.shape[:2] + tuple(st + (o - 1) * ss + 1 for st, o, ss in zip(start[2:], out, s))
        cols.append(lax.slice(xp, start, limit, (1, 1) + tuple(s)))
    return jnp.stack(cols, axis=-1)


def _lowest(dtype):
    return -jnp.inf if jnp.issubdtype(dtype, jnp.floating) else jnp.iinfo(dtype).min


@op(**_PRIVATE, grad_name="MaxPool2DWithIndicesBackward0")
def _max_pool(input: Array, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """Returns (values, flat spatial indices into the unpadded input)."""
    k, s, p, d = kernel_size, stride, padding, dilation
    nd = len(k)
    spatial = input.shape[2:]
    for i in range(nd):
        if p[i] * 2 > k[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    out = tuple(pool_out_size(spatial[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd))
    win = _windows(input, k, s, p, d, out, _lowest(input.dtype))
    arg = jnp.argmax(win, axis=-1)
    val = jnp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    offs = jnp.unravel_index(arg, k)
    flat = jnp.zeros(arg.shape, jnp.int64)
    for i in range(nd):
        o = jnp.arange(out[i], dtype=jnp.int64).reshape((-1,) + (1,) * (nd - 1 - i))
        pos = o * s[i] - p[i] + offs[i].astype(jnp.int64) * d[i]
        flat = flat * spatial[i] + pos
    return val, flat


@op(**_PRIVATE, grad_name="AvgPool2DBackward0")
def _avg_pool(input: Array, kernel_size, stride, padding, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None):
    k, s, p = kernel_size, stride, padding
    nd = len(k)
    spatial = input.shape[2:]
    for i in range(nd):
        if p[i] * 2 > k[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation=1")
    out = tuple(pool_out_size(spatial[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(nd))
    total = jnp.sum(_windows(input, k, s, p, (1,) * nd, out, 0), axis=-1)
    if jnp.issubdtype(input.dtype, jnp.integer):  # torch keeps integers: C division (truncates)
        d = divisor_override or _avg_divisor(k, s, p, spatial, out, count_include_pad)
        return lax.div(total, jnp.broadcast_to(jnp.asarray(d, total.dtype), total.shape))
    if divisor_override:
        return total / divisor_override
    return total / jnp.asarray(_avg_divisor(k, s, p, spatial, out, count_include_pad), input.dtype)


def _avg_divisor(k, s, p, spatial, out, count_include_pad):
    nd = len(k)
    div = np.ones(out, np.int64)
    for i in range(nd):
        start = np.arange(out[i]) * s[i] - p[i]
        end = np.minimum(start + k[i], spatial[i] + p[i])
        n = end - start if count_include_pad else \
            np.minimum(end, spatial[i]) - np.maximum(start, 0)
        div = div * n.reshape((-1,) + (1,) * (nd - 1 - i))
    return div


def _adaptive_ranges(size, out):
    start = np.array([(i * size) // out for i in range(out)])
    end = np.array([-((-(i + 1) * size) // out) for i in range(out)])
    return start, end


@op(**_PRIVATE, grad_name="AdaptiveAvgPool2DBackward0")
def _adaptive_avg_pool(input: Array, output_size):
    check_alloc(input.shape[:2] + tuple(output_size), input.dtype)  # before the Python loops
    if not low(input.dtype):
        return _adaptive_avg(input, output_size)
    # bfloat16/float16: the average in float32, rounded once (torch's kernel averages in
    # float); torch's backward adds grad / area in the half dtype, which is the transpose of
    # the same map run in the half dtype
    return _torch_grads.linear_tangent(
        lambda x: _fused(lambda v: _adaptive_avg(v, output_size, total=True), x),
        lambda x, t: _adaptive_avg(t, output_size))(input)


def _adaptive_avg(x, output_size, total=False):
    """Window averages, one axis at a time; `total`: the window sums divided by the area at
    the end (the float32 value torch's kernel rounds once)."""
    nd = len(output_size)
    area = np.ones(())
    for i in range(nd):
        size, o = x.shape[2 + i], output_size[i]
        start, end = _adaptive_ranges(size, o)
        m = np.zeros((o, size))
        for r in range(o):
            m[r, start[r]:end[r]] = 1.0 if total else 1.0 / (end[r] - start[r])
        area = np.multiply.outer(area, end - start)
        y = jnp.tensordot(x, jnp.asarray(m, x.dtype), axes=([2 + i], [1]),
                          precision=lax.Precision.HIGHEST)
        x = jnp.moveaxis(y, -1, 2 + i)
    return x / jnp.asarray(area, x.dtype) if total else x


@op(**_PRIVATE, grad_name="AdaptiveMaxPool2DBackward0")
def _adaptive_max_pool(input: Array, output_size):
    """Returns (values, flat spatial indices)."""
    nd = len(output_size)
    spatial = input.shape[2:]
    idx = []
    for i in range(nd):
        start, end = _adaptive_ranges(spatial[i], output_size[i])
        kmax = int((end - start).max())
        # Short windows repeat their last element: a repeat never changes the first maximum.
        idx.append(np.minimum(start[:, None] + np.arange(kmax)[None, :], end[:, None] - 1))
    # Gather to (N, C, o1, k1, o2, k2, ...), then move the window axes last.
    x = input
    for i in range(nd):
        ax = 2 + 2 * i
        x = jnp.take(x, jnp.asarray(idx[i]), axis=ax)
    perm = (0, 1) + tuple(2 + 2 * i for i in range(nd)) + tuple(3 + 2 * i for i in range(nd))
    x = jnp.transpose(x, perm)
    ks = tuple(a.shape[1] for a in idx)
    win = x.reshape(x.shape[:2 + nd] + (-1,))
    arg = jnp.argmax(win, axis=-1)
    val = jnp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    offs = jnp.unravel_index(arg, ks)
    flat = jnp.zeros(arg.shape, jnp.int64)
    for i in range(nd):
        shp = (-1,) + (1,) * (nd - 1 - i)
        pos = jnp.asarray(idx[i], jnp.int64)[jnp.arange(output_size[i]).reshape(shp), offs[i]]
        flat = flat * spatial[i] + pos
    return val, flat


@op(**_PRIVATE, grad_name="MaxUnpool2DBackward0")
def _max_unpool(input: Array, indices: Array, output_size):
    n, c = input.shape[:2]
    total = int(np.prod(output_size))
    flat = _unpool_flat(input.reshape(n, c, -1), indices.reshape(n, c, -1), total)
    return flat.reshape((n, c) + tuple(output_size))


# torch's gradient gathers the output gradient at every index, repeated ones included (a plain
# scatter-set gives it only to the value that was written last).
@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _unpool_flat(x, idx, total):
    n, c = x.shape[:2]
    return jnp.zeros((n, c, total), x.dtype).at[
        jnp.arange(n)[:, None, None], jnp.arange(c)[None, :, None], idx].set(x)


def _unpool_fwd(x, idx, total):
    return _unpool_flat(x, idx, total), idx


def _unpool_bwd(total, idx, g):
    return jnp.take_along_axis(g, idx, axis=-1), None


_unpool_flat.defvjp(_unpool_fwd, _unpool_bwd)


# ---- unfold / fold ---------------------------------------------------------------------------

def _im2col(x, k, d, p, s):
    nd = len(k)
    out = tuple((x.shape[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd))
    win = _windows(x, k, s, p, d, out, 0)  # (N, C, *out, K)
    n, c = x.shape[:2]
    win = jnp.moveaxis(win, -1, 2)  # (N, C, K, *out)
    return win.reshape(n, c * win.shape[2], int(np.prod(out)))  # explicit: n may be 0


@op(**_PRIVATE, grad_name="Im2ColBackward0")
def unfold(input: Array, kernel_size, dilation, padding, stride):
    """Matches `torch.nn.functional.unfold`."""
    return _im2col(input, kernel_size, dilation, padding, stride)


@op(**_PRIVATE, grad_name="Col2ImBackward0")
def fold(input: Array, output_size, kernel_size, dilation, padding, stride):
    """Matches `torch.nn.functional.fold` (the adjoint of unfold)."""
    n = input.shape[0]
    c = input.shape[1] // int(np.prod(kernel_size))
    proto = jax.ShapeDtypeStruct((n, c) + tuple(output_size), input.dtype)
    (y,) = jax.linear_transpose(
        lambda x: _im2col(x, kernel_size, dilation, padding, stride), proto)(input)
    return y


# ---- interpolation -----------------------------------------------------------------------

def _cubic(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


def _interp_matrix(size, out, mode, align_corners, scale, wdt=np.float64):
    """(out, size) weights that resample one axis the way PyTorch's kernels do; each weight is
    rounded to `wdt` (torch's half kernels store them in the half dtype)."""
    m = np.zeros((out, size))
    r = lambda w: float(np.asarray(w).astype(wdt))  # noqa: E731
    if mode in ("nearest", "nearest-exact"):
        sc = size / out if scale is None else 1.0 / scale
        for i in range(out):
            src = math.floor((i + (0.5 if mode == "nearest-exact" else 0.0)) * sc)
            m[i, min(src, size - 1)] = 1.0
        return m
    if align_corners:
        sc = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        sc = size / out if scale is None else 1.0 / scale
    for i in range(out):
        src = i * sc if align_corners else (i + 0.5) * sc - 0.5
        if mode == "cubic":
            i0 = math.floor(src)
            t = src - i0
            for j, w in zip(range(-1, 3), (_cubic(t + 1), _cubic(t), _cubic(1 - t), _cubic(2 - t))):
                m[i, min(max(i0 + j, 0), size - 1)] += r(w)
        else:
            src = max(src, 0.0)
            i0 = min(int(math.floor(src)), size - 1)
            i1 = min(i0 + 1, size - 1)
            lam = src - i0
            m[i, i0] += r(1 - r(lam))  # torch: lambda0 = 1 - lambda1, from the stored lambda1
            m[i, i1] += r(lam)
    return m


def _interp_name(args, kwargs):
    # _interpolate(input, size, mode, ...): PyTorch names one kernel per mode and rank.
    n, mode = len(args[1]), args[2]
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact", "cubic": "Bicubic",
            "linear": ("Linear", "Bilinear", "Trilinear")[n - 1]}[mode]
    return f"Upsample{kind}{n}DBackward0"


@op(**_PRIVATE, grad_name=_interp_name)
def _interpolate(input: Array, size, mode: str, align_corners: bool, scales):
    # bfloat16/float16: every axis in float32, rounded once, as torch's kernels (opmath); their
    # linear (1-d, 3-d) and cubic weights are stored in the half dtype first (bilinear 2-d's
    # are not), so they are rounded to it here too
    wdt = input.dtype if low(input.dtype) and not (mode == "linear" and len(size) == 2) \
        else np.float64
    return _fused(lambda x: _resample(x, size, mode, align_corners, scales, wdt), input)


def _resample(x, size, mode, align_corners, scales, wdt):
    for i, o in enumerate(size):
        sc = None if scales is None else scales[i]
        m = _interp_matrix(x.shape[2 + i], o, mode, align_corners, sc, wdt)
        y = jnp.tensordot(x, jnp.asarray(m, x.dtype), axes=([2 + i], [1]),
                          precision=lax.Precision.HIGHEST)
        x = jnp.moveaxis(y, -1, 2 + i)
    return x


# ---- grid sampling -----------------------------------------------------------------------

def _base_coords(n, align_corners, dtype):
    c = jnp.linspace(-1.0, 1.0, n, dtype=dtype) if n > 1 else jnp.zeros((n,), dtype)
    return c if align_corners else c * (n - 1) / n


@op(**_PRIVATE, grad_name="AffineGridGeneratorBackward0")
def _affine_grid(theta: Array, size, align_corners: bool):
    """(N, nd, nd+1) affine matrices -> (N, *spatial, nd) sampling grid (x first)."""
    spatial = size[2:]
    axes = [_base_coords(s, align_corners, theta.dtype) for s in reversed(spatial)]  # x, y, (z)
    mesh = jnp.meshgrid(*axes, indexing="xy" if len(spatial) == 2 else "ij")
    if len(spatial) == 3:
        # "ij" over (x, y, z) gives (W, H, D); PyTorch's layout is (D, H, W).
        mesh = [jnp.transpose(m, (2, 1, 0)) for m in mesh]
    base = jnp.stack(mesh + [jnp.ones_like(mesh[0])], axis=-1)  # (*spatial, nd+1)
    return jnp.einsum("...k,njk->n...j", base, theta, precision=lax.Precision.HIGHEST)


def _clip(x, hi):
    # PyTorch passes the gradient at the bounds and stops it outside.
    return jnp.where(x < 0, jnp.zeros_like(x), jnp.where(x > hi, jnp.full_like(x, hi), x))


def _reflect(x, twice_lo, twice_hi):
    if twice_lo == twice_hi:
        return jnp.zeros_like(x)
    lo = twice_lo / 2
    span = (twice_hi - twice_lo) / 2
    x = jnp.abs(x - lo)
    extra = jnp.fmod(x, span)
    flips = jnp.floor(x / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + lo, span - extra + lo)


def _unnormalize(coord, size, align_corners):
    return ((coord + 1) / 2) * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _source_index(coord, size, padding_mode, align_corners):
    return _pad_index(_unnormalize(coord, size, align_corners), size, padding_mode, align_corners)


def _pad_index(x, size, padding_mode, align_corners):
    if padding_mode == "border":
        x = _clip(x, size - 1)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        x = _clip(x, size - 1)
    return x


@op(**_PRIVATE, grad_name="GridSampler2DBackward0")
def _grid_sample(input: Array, grid: Array, mode: str, padding_mode: str, align_corners: bool):
    n, c = input.shape[:2]
    spatial = input.shape[2:]
    nd = len(spatial)
    out_shape = grid.shape[1:-1]
    g = grid.reshape(n, -1, nd)
    # grid's last axis is (x, y, z): reversed spatial order.
    src = [_source_index(g[..., nd - 1 - d], spatial[d], padding_mode, align_corners)
           for d in range(nd)]
    flat = input.reshape(n, c, -1)
    strides = [int(np.prod(spatial[d + 1:])) for d in range(nd)]

    def gather(idx):
        valid = jnp.ones(idx[0].shape, bool)
        lin = jnp.zeros(idx[0].shape, jnp.int64)
        for d in range(nd):
            valid = valid & (idx[d] >= 0) & (idx[d] < spatial[d])
            lin = lin + jnp.clip(idx[d], 0, spatial[d] - 1).astype(jnp.int64) * strides[d]
        vals = jnp.take_along_axis(flat, lin[:, None, :], axis=2)
        return vals * valid[:, None, :].astype(input.dtype)

    if mode == "nearest":
        out = gather([jnp.round(s).astype(jnp.int64) for s in src])
    elif mode == "bilinear":
        lo = [jnp.floor(s) for s in src]
        frac = [s - f for s, f in zip(src, lo)]
        out = 0
        for corner in itertools.product((0, 1), repeat=nd):
            w = 1
            for d, bit in enumerate(corner):
                w = w * (frac[d] if bit else 1 - frac[d])
            idx = [(lo[d] + corner[d]).astype(jnp.int64) for d in range(nd)]
            out = out + gather(idx) * w[:, None, :]
    elif nd == 2:  # bicubic: 4x4 taps around floor(x), each padded on its own, as torch does
        pos = [_unnormalize(g[..., nd - 1 - d], spatial[d], align_corners) for d in range(nd)]
        lo = [jnp.floor(p) for p in pos]
        cy, cx = (_cubic_coeffs(p - f) for p, f in zip(pos, lo))

        def tap(d, k):
            x = lo[d] + (k - 1)
            x = x if padding_mode == "zeros" else _pad_index(x, spatial[d], padding_mode, align_corners)
            return x.astype(jnp.int64)
        out = 0
        for i in range(4):  # rows (y): first along x, then the rows along y
            row = sum(gather([tap(0, i), tap(1, j)]) * cx[j][:, None, :] for j in range(4))
            out = out + row * cy[i][:, None, :]
    else:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    return out.reshape((n, c) + tuple(out_shape))


def _cubic_coeffs(t, a=-0.75):
    """Keys' cubic convolution weights (torch's A = -0.75) of the taps at -1, 0, 1, 2 from floor."""
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731  |x| <= 1
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731  1 < |x| < 2
    return far(t + 1), near(t), near(1 - t), far(2 - t)


# ---- fractional max pooling --------------------------------------------------------------

def _intervals(u, size, out, k):
    """Window starts of PyTorch's pseudo-random fractional pooling sequence (per sample u)."""
    if out == 1:
        return jnp.full(u.shape + (1,), size - k, jnp.int64)
    alpha = (size - k) / (out - 1)
    i = jnp.arange(out - 1, dtype=u.dtype)
    seq = (jnp.floor((i + u[..., None]) * alpha) - jnp.floor(u[..., None] * alpha)).astype(jnp.int64)
    return jnp.concatenate([seq, jnp.full(u.shape + (1,), size - k, jnp.int64)], axis=-1)


@op(**_PRIVATE, grad_name="FractionalMaxPool2DBackward0")
def _fractional_max_pool(input: Array, samples: Array, kernel_size, output_size):
    """Returns (values, flat spatial indices); samples are (N, C, nd) uniforms in [0, 1)."""
    n, c = input.shape[:2]
    spatial = input.shape[2:]
    nd = len(spatial)
    # 2-d samples are ordered (w, h); 3-d samples (t, h, w), as in PyTorch's kernels.
    order = [1, 0] if nd == 2 else list(range(nd))
    idx = []
    for d in range(nd):
        st = _intervals(samples[..., order[d]], spatial[d], output_size[d], kernel_size[d])
        idx.append(st[..., None] + jnp.arange(kernel_size[d]))  # (N, C, out_d, k_d)
    x = input
    for d in range(nd):
        ax = 2 + 2 * d
        shp = [n, c] + [1] * (x.ndim - 2)
        shp[ax] = output_size[d] * kernel_size[d]  # explicit sizes: a batch of 0 reshapes too
        x = jnp.take_along_axis(x, idx[d].reshape(shp), axis=ax)
        x = x.reshape(x.shape[:ax] + (output_size[d], kernel_size[d]) + x.shape[ax + 1:])
    perm = (0, 1) + tuple(2 + 2 * d for d in range(nd)) + tuple(3 + 2 * d for d in range(nd))
    win = jnp.transpose(x, perm).reshape((n, c) + tuple(output_size) + (math.prod(kernel_size),))
    arg = jnp.argmax(win, axis=-1)
    val = jnp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    offs = jnp.unravel_index(arg, tuple(kernel_size))
    flat = jnp.zeros(arg.shape, jnp.int64)
    for d in range(nd):
        shape = [n, c] + [1] * nd
        shape[2 + d] = output_size[d]
        starts = idx[d][..., 0].reshape(shape)
        flat = flat * spatial[d] + starts + offs[d].astype(jnp.int64)
    return val, flat
