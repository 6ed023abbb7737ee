"""Neural-network ops: activations, normalization, dropout, embedding, padding, resampling.

Activations are written with `jnp.where` on torch's own branch conditions, so gradients at
the branch points (0 for relu, the bounds of hardtanh, ...) are torch's, not an average.
Convolution and pooling live in `nn_conv.py`, losses in `nn_loss.py`.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array, lax

from .._checks import check_alloc, wrap_dim
from . import _torch_grads
from ._opmath import fused as _fused, low, step
from ._registry import op
from .elementwise import _is_int, _to_float

_PRIVATE = dict(public=False, method=False, promote=None)


# ---- activations -----------------------------------------------------------------------

@op(**_PRIVATE)
def hardtanh(input: Array, min_val: float = -1.0, max_val: float = 1.0):
    """Matches `torch.nn.functional.hardtanh` (no gradient at or beyond the bounds)."""
    x = input
    lo, hi = jnp.asarray(min_val, x.dtype), jnp.asarray(max_val, x.dtype)
    return jnp.where(x <= lo, lo, jnp.where(x >= hi, hi, x))


def _nonpos(x):
    # Clamp the unused exp branch with `where`: `minimum` would halve the gradient at 0. NaN
    # takes the linear branch, as in torch (`x <= 0` is false), so its gradient is 1.
    return jnp.where(x <= 0, x, jnp.zeros_like(x))


@op(**_PRIVATE)
def leaky_relu(input: Array, negative_slope: float = 0.01):
    """Matches `torch.nn.functional.leaky_relu`."""
    return jnp.where(input > 0, input, input * negative_slope)


@op(**_PRIVATE)
def elu(input: Array, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0):
    """Matches `torch.nn.functional.elu`."""
    def f(x):
        neg = alpha * jnp.expm1(_nonpos(x) * input_scale)
        return scale * jnp.where(x <= 0, neg, x)
    return _fused(f, input)  # half: in float32, rounded once (torch's kernels; also below)


@op(public=True, method=False, promote=None)
def selu(input: Array):
    """Matches `torch.selu`."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _fused(lambda x: scale * jnp.where(x <= 0, alpha * jnp.expm1(_nonpos(x)), x), input)


@op(public=True, method=False, promote=None)
def celu(input: Array, alpha: float = 1.0):
    """Matches `torch.celu`."""
    return _fused(lambda x: jnp.where(x <= 0, alpha * jnp.expm1(_nonpos(x) / alpha), x), input)


@op(**_PRIVATE)
def gelu(input: Array, approximate: str = "none"):
    """Matches `torch.nn.functional.gelu`."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _fused(lambda x: jax.nn.gelu(x, approximate=approximate == "tanh"), input)


@op(**_PRIVATE)
def silu(input: Array):
    """Matches `torch.nn.functional.silu`."""
    return _fused(lambda x: x * jax.nn.sigmoid(x), input)


@op(**_PRIVATE)
def mish(input: Array):
    """Matches `torch.nn.functional.mish`."""
    return _fused(lambda x: x * jnp.tanh(jax.nn.softplus(x)), input)


@op(**_PRIVATE)
def softplus(input: Array, beta: float = 1.0, threshold: float = 20.0):
    """Matches `torch.nn.functional.softplus`."""
    z = input * beta
    # The clamp keeps the unused branch finite, so its (discarded) gradient is not NaN.
    return jnp.where(z > threshold, input, jnp.log1p(jnp.exp(jnp.where(z > threshold, 0, z))) / beta)


@op(**_PRIVATE)
def softsign(input: Array):
    """Matches `torch.nn.functional.softsign`."""
    return _to_float(_softsign, input)  # integers give the default float


def _softsign(x):
    # torch's softsign is composite (x / (1 + x.abs())): each step and each term of its
    # gradient is rounded to bfloat16/float16, in the order its autograd runs them
    if not low(x.dtype):
        return x / (1 + jnp.abs(x))
    # (written in float32 with explicit roundings: XLA may skip a half intermediate's rounding)
    dt, f32 = x.dtype, jnp.float32

    def other(v):
        return step(1 + jnp.abs(v.astype(f32)), dt)

    def df_t(v, t):
        b = other(v)
        q2 = step(step(v.astype(f32) / b, dt) / b, dt)  # (self / other) / other
        t = t.astype(f32)
        # transposed: grad / other, plus (-grad * q2) * sgn(x) through abs
        through_abs = step(step(t, dt) * _torch_grads.sign(v).astype(f32), dt) * -q2
        return (step(t, dt) / b + through_abs).astype(dt)
    return _torch_grads.linear_tangent(lambda v: (v.astype(f32) / other(v)).astype(dt), df_t)(x)


@op(**_PRIVATE)
def hardswish(input: Array):
    """Matches `torch.nn.functional.hardswish`."""
    return _hardswish(input)


# torch's forward x * clamp(x + 3, 0, 6) / 6 and backward: 0 up to -3, x / 3 + 0.5 inside
# (-3, 3), 1 from 3 and at NaN (JAX's product rule gives NaN at +-inf and NaN).
_hardswish = _torch_grads.elementwise(
    lambda x: x * jnp.clip(x + 3, 0, 6) / 6,
    lambda x, y: jnp.where(x <= -3, 0.0, jnp.where(x < 3, x / 3 + 0.5, 1.0)).astype(x.dtype))


@op(**_PRIVATE)
def hardsigmoid(input: Array):
    """Matches `torch.nn.functional.hardsigmoid`."""
    return _hardsigmoid(input)


# torch's forward clamp(x + 3, 0, 6) / 6 (NaN stays NaN) and backward 1/6 strictly inside
# (-3, 3), else 0 (NaN too; JAX's where picks the 1/6 branch for NaN).
_hardsigmoid = _torch_grads.elementwise(
    lambda x: jnp.clip(x + 3, 0, 6) / 6,
    lambda x, y: jnp.where((x > -3) & (x < 3), 1 / 6, 0.0).astype(x.dtype))


@op(public=True, method=True, promote=None)
def hardshrink(input: Array, lambd: float = 0.5):
    """Matches `torch.hardshrink`."""
    x = input  # NaN passes through with gradient 1, as in torch
    return jnp.where((x >= -lambd) & (x <= lambd), jnp.zeros_like(x), x)


@op(**_PRIVATE)
def softshrink(input: Array, lambd: float = 0.5):
    """Matches `torch.nn.functional.softshrink`."""
    x = input
    # NaN takes the x + lambd branch: NaN with gradient 1, as in torch
    return jnp.where((x >= -lambd) & (x <= lambd), x * 0, jnp.where(x > lambd, x - lambd, x + lambd))


@op(**_PRIVATE)
def tanhshrink(input: Array):
    """Matches `torch.nn.functional.tanhshrink`."""
    return _to_float(lambda x: x - jnp.tanh(x), input)


@op(public=True, method=False, promote=None)
def threshold(input: Array, threshold: float, value: float):
    """Matches `torch.threshold`."""
    # torch replaces x <= threshold: NaN passes through, with gradient 1
    return jnp.where(input <= threshold, jnp.asarray(value, input.dtype), input)


@op(**_PRIVATE)
def glu(input: Array, dim: int = -1):
    """Matches `torch.nn.functional.glu`."""
    dim = wrap_dim(dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} is "
                           f"size {input.shape[dim]}")
    a, b = jnp.split(input, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


@op(**_PRIVATE, grad_name="LogSigmoidBackward0")
def logsigmoid(input: Array):
    """Matches `torch.nn.functional.logsigmoid`."""
    return _fused(jax.nn.log_sigmoid, input)


@op(public=True, method=True, promote=None, grad_name="PreluKernelBackward0")
def prelu(input: Array, weight: Array):
    """Matches `torch.prelu`."""
    x = input
    w = weight
    if x.ndim >= 2 and w.size > 1:
        w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    elif w.size == 1:
        w = w.reshape(())
    return jnp.where(x > 0, x, w * x)


@op(**_PRIVATE, grad_name="RreluWithNoiseBackward0")
def _rrelu_noise(input: Array, noise: Array):
    return jnp.where(input >= 0, input, input * noise)


@op(**_PRIVATE, grad_name="NegBackward0")
def softmin(input: Array, dim: int, dtype=None):
    """Matches `torch.nn.functional.softmin`."""
    x = input if dtype is None else input.astype(dtype.np)
    return _torch_grads.softmax(-x, dim)


# ---- normalization -----------------------------------------------------------------------

def _stats_dtype(x):
    # Half-precision inputs accumulate statistics in float32, as PyTorch's kernels do.
    return jnp.float32 if x.dtype in (jnp.float16, jnp.bfloat16) else x.dtype


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _affine_round(y, weight, bias, shape, dtype):
    """The affine step in the statistics' precision, then one rounding to the input's `dtype`
    (torch's half norm kernels apply weight and bias in float32; rounding before them was up to
    8 ulps off). A half input with float32 parameters stays half, as torch's mixed-type kernels."""
    up = lambda t: None if t is None else t.astype(jnp.promote_types(t.dtype, y.dtype))  # noqa: E731
    return _affine(y, up(weight), up(bias), shape).astype(dtype)


@op(**_PRIVATE, grad_name="NativeLayerNormBackward0")
def layer_norm(input: Array, normalized_shape, weight: Array = None, bias: Array = None,
               eps: float = 1e-5):
    """Matches `torch.nn.functional.layer_norm`."""
    n = len(normalized_shape)
    if tuple(input.shape[input.ndim - n:]) != tuple(normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
                           f"size{list(input.shape)}")
    axes = tuple(range(input.ndim - n, input.ndim))
    x = input.astype(_stats_dtype(input))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    y = (x - mean) * lax.rsqrt(var + eps)
    return _affine_round(y, weight, bias, tuple(normalized_shape), input.dtype)


@op(**_PRIVATE, grad_name="NativeGroupNormBackward0")
def group_norm(input: Array, num_groups: int, weight: Array = None, bias: Array = None,
               eps: float = 1e-5):
    """Matches `torch.nn.functional.group_norm`."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups={num_groups}")
    per_group = math.prod(input.shape[1:]) // num_groups  # explicit: a batch of 0 reshapes too
    x = input.astype(_stats_dtype(input)).reshape(n, num_groups, per_group)
    mean = jnp.mean(x, axis=2, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=2, keepdims=True)
    y = ((x - mean) * lax.rsqrt(var + eps)).reshape(input.shape)
    return _affine_round(y, weight, bias, (1, c) + (1,) * (input.ndim - 2), input.dtype)


@op(**_PRIVATE, grad_name="MulBackward0")
def rms_norm(input: Array, normalized_shape, weight: Array = None, eps: float | None = None):
    """Matches `torch.nn.functional.rms_norm` (eps=None means the dtype's machine epsilon)."""
    n = len(normalized_shape)
    axes = tuple(range(input.ndim - n, input.ndim))
    x = input.astype(_stats_dtype(input))
    e = jnp.finfo(input.dtype).eps if eps is None else eps
    y = (x * lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + e)).astype(input.dtype)
    return y if weight is None else y * weight


def _check_bn_sizes(x, **params):
    c = x.shape[1] if x.ndim > 1 else 1
    for name, t in params.items():
        if t is not None and t.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.size}")


@op(**_PRIVATE, grad_name="NativeBatchNormBackward0")
def _batch_norm_train(input: Array, weight: Array, bias: Array, eps: float):
    """Normalize with the batch's statistics; also return the mean and unbiased variance."""
    _check_bn_sizes(input, weight=weight, bias=bias)
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    x = input.astype(_stats_dtype(input))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    inv = lax.rsqrt(var + eps)
    if x.dtype != input.dtype and not any(t is not None and t.dtype == x.dtype for t in (weight, bias)):
        # half input, half (or no) parameters: torch keeps the saved mean and invstd in the
        # input's dtype and normalizes with those (float32 parameters: in float32)
        mean, inv = (t.astype(input.dtype).astype(x.dtype) for t in (mean, inv))
    y = (x - mean) * inv
    count = input.size // input.shape[1]
    unbiased = var.reshape(-1) * (count / max(count - 1, 1)) if count > 1 else \
        jnp.full_like(var.reshape(-1), jnp.nan)
    return _affine_round(y, weight, bias, shape, input.dtype), mean.reshape(-1), unbiased


@op(**_PRIVATE, grad_name="NativeBatchNormBackward0")
def _batch_norm_eval(input: Array, running_mean: Array, running_var: Array, weight: Array,
                     bias: Array, eps: float):
    """Normalize with given (running) statistics."""
    _check_bn_sizes(input, running_mean=running_mean, running_var=running_var, weight=weight,
                    bias=bias)
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    x = input.astype(_stats_dtype(input))
    y = (x - running_mean.reshape(shape)) * lax.rsqrt(running_var.reshape(shape) + eps)
    return _affine_round(y, weight, bias, shape, input.dtype)


@op(**_PRIVATE, grad_name="DivBackward0")
def local_response_norm(input: Array, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """Matches `torch.nn.functional.local_response_norm`."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.size == 0:  # torch returns an empty input unchanged (integer dtype included)
        return input
    sq = jnp.square(input)
    pad = [(0, 0)] * input.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    check_alloc(input.shape[:1] + (input.shape[1] + size - 1,) + input.shape[2:], input.dtype)
    sq = jnp.pad(sq, pad)
    c = input.shape[1]
    win = sum(lax.slice_in_dim(sq, i, i + c, axis=1) for i in range(size))
    # integers: torch averages the squares with integer (truncating) division, then goes float
    win = _to_float(lambda w: w, lax.div(win, jnp.asarray(size, win.dtype))) if _is_int(win) else win / size
    return _to_float(lambda x: x, input) / jnp.power(k + alpha * win, beta)


# ---- dropout, embedding --------------------------------------------------------------------

@op(**_PRIVATE, grad_name="MulBackward0")
def _masked_scale(input: Array, mask: Array, scale: float):
    return input * mask.astype(input.dtype) * jnp.asarray(scale, input.dtype)


@op(**_PRIVATE, grad_name="AddBackward0")
def _alpha_dropout(input: Array, keep: Array, a: float, b: float, alpha_p: float):
    x = input
    k = keep.astype(x.dtype)
    return (x * k + alpha_p * (1 - k)) * a + b


@op(**_PRIVATE, grad_name="EmbeddingBackward0")
def embedding(input: Array, weight: Array, padding_idx: int | None = None):
    """Matches `torch.nn.functional.embedding`'s lookup (max_norm is applied by the caller)."""
    w = weight
    if padding_idx is not None:
        # The padding row gets no gradient in PyTorch.
        row = jnp.arange(w.shape[0]) == padding_idx
        w = jnp.where(row[:, None], lax.stop_gradient(w), w)
    return jnp.take(w, input, axis=0)


@op(**_PRIVATE, grad_name="EmbeddingBagBackward0")
def _embedding_bag(input: Array, weight: Array, segment: Array, per_sample_weights: Array,
                   num_bags: int, mode: str, padding_idx: int | None):
    w = weight
    rows = jnp.take(w, input, axis=0)
    valid = jnp.ones(input.shape, bool) if padding_idx is None else input != padding_idx
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None]
    if mode == "max":
        filled = jnp.where(valid[:, None], rows, -jnp.inf)
        out = jax.ops.segment_max(filled, segment, num_segments=num_bags)
        return jnp.where(jnp.isneginf(out), 0, out)
    rows = jnp.where(valid[:, None], rows, 0)
    out = jax.ops.segment_sum(rows, segment, num_segments=num_bags)
    if mode == "mean":
        cnt = jax.ops.segment_sum(valid.astype(w.dtype), segment, num_segments=num_bags)
        out = out / jnp.maximum(cnt, 1)[:, None]
    return out


# ---- padding, shuffles, distances ----------------------------------------------------------

@op(public=False, method=False, promote=None, grad_name="ConstantPadNdBackward0")
def _pad(input: Array, pad, mode: str = "constant", value: float | None = None):
    n = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - n)
    widths += [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        if any(a < 0 or b < 0 for a, b in widths):
            # Negative padding crops.
            x = input
            for ax, (a, b) in enumerate(widths):
                lo, hi = max(-a, 0), x.shape[ax] - max(-b, 0)
                x = lax.slice_in_dim(x, lo, hi, axis=ax)
            widths = [(max(a, 0), max(b, 0)) for a, b in widths]
            return jnp.pad(x, widths, constant_values=jnp.asarray(value or 0, input.dtype))
        return jnp.pad(input, widths, constant_values=jnp.asarray(value or 0, input.dtype))
    if mode == "replicate" and any(a < 0 or b < 0 for a, b in widths):
        # output i reads input clamp(i - before, 0, n - 1): negative pads crop
        x = input
        for ax, (a, b) in enumerate(widths):
            if a or b:
                n = x.shape[ax]
                x = jnp.take(x, jnp.clip(jnp.arange(n + a + b) - a, 0, n - 1), axis=ax)
        return x
    jmode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    x = input
    if any(a < 0 or b < 0 for a, b in widths):  # reflect/circular: crop first, then pad
        for ax, (a, b) in enumerate(widths):
            x = lax.slice_in_dim(x, max(-a, 0), x.shape[ax] - max(-b, 0), axis=ax)
        widths = [(max(a, 0), max(b, 0)) for a, b in widths]
    return jnp.pad(x, widths, mode=jmode)


@op(public=True, method=False, promote=None)
def pixel_shuffle(input: Array, upscale_factor: int):
    """Matches `torch.pixel_shuffle`."""
    r = upscale_factor
    *b, c, h, w = input.shape
    x = input.reshape(*b, c // (r * r), r, r, h, w)
    nb = len(b)
    x = jnp.transpose(x, tuple(range(nb)) + (nb, nb + 3, nb + 1, nb + 4, nb + 2))
    return x.reshape(*b, c // (r * r), h * r, w * r)


@op(public=True, method=False, promote=None)
def pixel_unshuffle(input: Array, downscale_factor: int):
    """Matches `torch.pixel_unshuffle`."""
    r = downscale_factor
    *b, c, h, w = input.shape
    x = input.reshape(*b, c, h // r, r, w // r, r)
    nb = len(b)
    x = jnp.transpose(x, tuple(range(nb)) + (nb, nb + 2, nb + 4, nb + 1, nb + 3))
    return x.reshape(*b, c * r * r, h // r, w // r)


def _safe_sqrt(s):
    """sqrt with gradient 0 (not inf, hence NaN after a clamp) at 0."""
    zero = s == 0
    return jnp.where(zero, 0.0, jnp.sqrt(jnp.where(zero, 1.0, s))).astype(s.dtype)


@op(public=True, method=False, promote="default", grad_name="SumBackward1")
def cosine_similarity(x1: Array, x2: Array, dim: int = 1, eps: float = 1e-8):
    """Matches `torch.cosine_similarity` (half precision computed in float32, rounded once)."""
    return _fused(lambda a, b: _cosine_similarity(a, b, dim, eps), x1, x2)


def _cosine_similarity(x1, x2, dim, eps):
    a, b = jnp.broadcast_arrays(x1, x2)
    if a.ndim == 0:  # 0-dim inputs: dim 0/-1 names the single element
        dim, a, b = 0, a[None], b[None]
    # PyTorch clamps each norm separately before dividing; a zero vector's norm is taken
    # without sqrt's infinite slope at 0, so its gradient is finite (as torch's).
    na = jnp.maximum(_safe_sqrt(jnp.sum(a * a, axis=dim)), eps)
    nb = jnp.maximum(_safe_sqrt(jnp.sum(b * b, axis=dim)), eps)
    return jnp.sum(a * b, axis=dim) / (na * nb)


@op(public=True, method=False, promote="float", grad_name="NormBackward1")
def pairwise_distance(x1: Array, x2: Array, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False):
    """Matches `torch.pairwise_distance`."""
    d = x1 - x2 + eps
    dim = max(x1.ndim, x2.ndim) - 1
    return _pnorm(d, p, dim, keepdim)


def _pnorm(d, p, axis, keepdim=False):
    a = jnp.abs(d)
    if p == 2:
        sq = jnp.real(d * jnp.conj(d)) if jnp.iscomplexobj(d) else d * d  # |d|^2, real
        s = jnp.sum(sq, axis=axis, keepdims=keepdim)
        # sqrt's gradient at 0 is infinite; PyTorch's norm backward gives 0 there.
        safe = jnp.where(s == 0, 1, s)
        return jnp.where(s == 0, 0, jnp.sqrt(safe))
    if p == 1:
        return jnp.sum(a, axis=axis, keepdims=keepdim)
    if p == math.inf:
        return jnp.max(a, axis=axis, keepdims=keepdim)
    if p == 0:
        return jnp.sum((a != 0).astype(d.dtype), axis=axis, keepdims=keepdim)
    s = jnp.sum(jnp.power(a, p), axis=axis, keepdims=keepdim)
    safe = jnp.where(s == 0, 1, s)
    return jnp.where(s == 0, 0, jnp.power(safe, 1.0 / p))


@op(public=True, method=False, promote=None, grad_name="PdistBackward0")
def pdist(input: Array, p: float = 2.0):
    """Matches `torch.pdist`."""
    n = input.shape[0]
    i, j = jnp.triu_indices(n, 1)
    return _pnorm(input[i] - input[j], p, -1)


@op(**_PRIVATE, grad_name="DivBackward0")
def normalize(input: Array, p: float = 2.0, dim: int = 1, eps: float = 1e-12):
    """Matches `torch.nn.functional.normalize`."""
    if input.ndim == 0:  # a 0-dim input normalizes as a one-element vector (dim -1 or 0)
        wrap_dim(dim, 0)
        return normalize(input.reshape(1), p, 0, eps).reshape(())
    return input / jnp.maximum(_pnorm(input, p, wrap_dim(dim, input.ndim), True), eps)


@op(**_PRIVATE, diff=False)
def one_hot(tensor: Array, num_classes: int = -1):
    """Matches `torch.nn.functional.one_hot` (num_classes=-1 needs a concrete input)."""
    return (tensor[..., None] == jnp.arange(num_classes)).astype(jnp.int64)


@op(**_PRIVATE, grad_name="BilinearBackward0")
def bilinear(input1: Array, input2: Array, weight: Array, bias: Array = None):
    """Matches `torch.nn.functional.bilinear`."""
    for name, x, n in (("input1", input1, weight.shape[1]), ("input2", input2, weight.shape[2])):
        if x.shape[-1] != n:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {n}")
    y = jnp.einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


@op(public=True, method=False, promote=None, grad_name="PixelShuffleBackward0")
def channel_shuffle(input: Array, groups: int):
    """Matches `torch.channel_shuffle`."""
    n, c = input.shape[:2]
    rest = input.shape[2:]
    x = input.reshape(n, groups, c // groups, *rest)
    return jnp.swapaxes(x, 1, 2).reshape(input.shape)
