"""`jtorch.nn.functional`: torch's signatures over the ops in `ops/nn*.py`.

Random functions (dropout and friends, rrelu, gumbel_softmax) draw from jtorch's generator,
so the positions they pick differ from PyTorch's; their distributions are the same.
"""
from __future__ import annotations

import math
import warnings

import jax.numpy as jnp
import numpy as np

from .. import _dispatch, _dtype
from .._checks import float_arg as _flt, int_arg as _int, int_list as _ints, wrap_dim as _wrap_dim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops._registry import REGISTRY as _R
from ..random import default_generator
from ._functional_conv import *  # noqa: F401,F403
from ._functional_conv import _adaptive_avg, _batched, _op, _tuple
from ._conv_tbc import conv_tbc  # noqa: F401
from ._grouped_mm import grouped_mm  # noqa: F401
from .functional_attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401



def _inplace(input, out):
    input._check_writable()
    input._assign(out)
    return input


# ---- activations ------------------------------------------------------------------------

def relu(input, inplace=False):
    """Matches `torch.nn.functional.relu`."""
    return input.relu_() if inplace else input.relu()


def relu_(input):
    """Matches `torch.nn.functional.relu_`."""
    return input.relu_()


def relu6(input, inplace=False):
    """Matches `torch.nn.functional.relu6`."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Matches `torch.nn.functional.hardtanh`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    out = _op("hardtanh", input, _flt("hardtanh", "min_val", min_val, 2),
              _flt("hardtanh", "max_val", max_val, 3))
    return _inplace(input, out) if inplace else out


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """Matches `torch.nn.functional.hardtanh_`."""
    return hardtanh(input, min_val, max_val, True)


def elu(input, alpha=1.0, inplace=False):
    """Matches `torch.nn.functional.elu`."""
    out = _op("elu", input, _flt("elu", "alpha", alpha, 2))
    return _inplace(input, out) if inplace else out


def elu_(input, alpha=1.0):
    """Matches `torch.nn.functional.elu_`."""
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """Matches `torch.nn.functional.selu`."""
    out = _op("selu", input)
    return _inplace(input, out) if inplace else out


def selu_(input):
    """Matches `torch.nn.functional.selu_`."""
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """Matches `torch.nn.functional.celu`."""
    out = _op("celu", input, _flt("celu", "alpha", alpha, 2))
    return _inplace(input, out) if inplace else out


def celu_(input, alpha=1.0):
    """Matches `torch.nn.functional.celu_`."""
    return celu(input, alpha, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Matches `torch.nn.functional.leaky_relu`."""
    out = _op("leaky_relu", input, _flt("leaky_relu", "negative_slope", negative_slope, 2))
    return _inplace(input, out) if inplace else out


def leaky_relu_(input, negative_slope=0.01):
    """Matches `torch.nn.functional.leaky_relu_`."""
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """Matches `torch.nn.functional.prelu`."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight.dim()}")
    n = weight.numel()
    if n != 1 and (input.dim() < 2 or input.shape[1] != n):
        ch = input.shape[1] if input.dim() >= 2 else 1
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {n} and channel size = {ch}.")
    return _op("prelu", input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Matches `torch.nn.functional.rrelu` (training slopes come from jtorch's generator)."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training:
        noise = default_generator.draw("uniform", tuple(input.shape), input.dtype.np,
                                       float(lower), float(upper))
        out = _op("_rrelu_noise", input, noise)
    else:
        out = _op("leaky_relu", input, (lower + upper) / 2)
    return _inplace(input, out) if inplace else out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """Matches `torch.nn.functional.rrelu_`."""
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """Matches `torch.nn.functional.glu`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _op("glu", input, dim)


def gelu(input, approximate="none"):
    """Matches `torch.nn.functional.gelu`."""
    return _op("gelu", input, approximate)


def logsigmoid(input):
    """Matches `torch.nn.functional.logsigmoid`."""
    return _op("logsigmoid", input)


def hardshrink(input, lambd=0.5):
    """Matches `torch.nn.functional.hardshrink`."""
    return _op("hardshrink", input, _flt("hardshrink", "lambd", lambd, 2))


def softshrink(input, lambd=0.5):
    """Matches `torch.nn.functional.softshrink`."""
    if lambd < 0:
        from .._checks import type_name
        import numpy as np
        top = np.finfo(input.dtype.np).max if input.dtype.is_floating_point else float("inf")
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{type_name(input.dtype.np)}, but found {lambd}")
    return _op("softshrink", input, _flt("softshrink", "lambd", lambd, 2))


def tanhshrink(input):
    """Matches `torch.nn.functional.tanhshrink`."""
    return _op("tanhshrink", input)


def softsign(input):
    """Matches `torch.nn.functional.softsign`."""
    return _op("softsign", input)


def softplus(input, beta=1.0, threshold=20.0):
    """Matches `torch.nn.functional.softplus`."""
    return _op("softplus", input, _flt("softplus", "beta", beta, 2),
               _flt("softplus", "threshold", threshold, 3))


def _softdim(dim, ndim):
    if dim is None:
        return 0 if ndim in (0, 1, 3) else 1
    return dim


def _soft(name, input, dim, dtype):
    dtype = _dtype.as_dtype(dtype)  # dtype=float
    if input.dim() == 0:
        # A 0-dim tensor is softmaxed as one element (dim 0 or -1).
        if dim is not None:
            _wrap_dim(dim, 0)
        return _op(name, input.reshape(1), 0, dtype).reshape(())
    return _op(name, input, _softdim(dim, input.dim()), dtype)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.softmax`."""
    return _soft("softmax", input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.log_softmax`."""
    return _soft("log_softmax", input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Matches `torch.nn.functional.softmin`."""
    return _soft("softmin", input, dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Matches `torch.nn.functional.gumbel_softmax` (noise from jtorch's generator)."""
    e = default_generator.draw("exponential", tuple(logits.shape), logits.dtype.np, 1.0)
    gumbels = (logits - Tensor._from_array(jnp.log(e))) / tau
    soft = gumbels.softmax(dim)
    if not hard:
        return soft
    idx = soft.argmax(dim, keepdim=True)
    from .._creation import zeros_like
    hard_t = zeros_like(logits).scatter_(dim, idx, 1.0)
    return hard_t - soft.detach() + soft


def tanh(input):
    """Matches `torch.nn.functional.tanh`."""
    return input.tanh()


def sigmoid(input):
    """Matches `torch.nn.functional.sigmoid`."""
    return input.sigmoid()


def hardsigmoid(input, inplace=False):
    """Matches `torch.nn.functional.hardsigmoid`."""
    out = _op("hardsigmoid", input)
    return _inplace(input, out) if inplace else out


def silu(input, inplace=False):
    """Matches `torch.nn.functional.silu`."""
    out = _op("silu", input)
    return _inplace(input, out) if inplace else out


def mish(input, inplace=False):
    """Matches `torch.nn.functional.mish`."""
    out = _op("mish", input)
    return _inplace(input, out) if inplace else out


def hardswish(input, inplace=False):
    """Matches `torch.nn.functional.hardswish`."""
    out = _op("hardswish", input)
    return _inplace(input, out) if inplace else out


def threshold(input, threshold, value, inplace=False):
    """Matches `torch.nn.functional.threshold`."""
    out = _op("threshold", input, _flt("threshold", "threshold", threshold, 2),
              _flt("threshold", "value", value, 3))
    return _inplace(input, out) if inplace else out


def threshold_(input, threshold, value):
    """Matches `torch.nn.functional.threshold_`."""
    return globals()["threshold"](input, threshold, value, True)


# ---- linear, embedding -------------------------------------------------------------------

def linear(input, weight, bias=None):
    """Matches `torch.nn.functional.linear`."""
    return _op("linear", input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """Matches `torch.nn.functional.bilinear`."""
    return _op("bilinear", input1, input2, weight, bias)


def _renorm_rows(weight, input, max_norm, norm_type):
    # PyTorch renormalises the looked-up rows of the weight in place, outside autograd.
    w = weight._data
    idx = jnp.unique(jnp.asarray(np.asarray(input._data).reshape(-1)))
    rows = w[idx]
    norms = jnp.sum(jnp.abs(rows) ** norm_type, axis=1) ** (1.0 / norm_type)
    scale = jnp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    with no_grad():
        weight._assign(Tensor._from_array(w.at[idx].multiply(scale[:, None])))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Matches `torch.nn.functional.embedding` (sparse gradients are dense)."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if padding_idx is not None:
        padding_idx = _int("embedding", "padding_idx", padding_idx, 3)
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    else:
        padding_idx = -1
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    out = _op("embedding", input, weight, padding_idx if padding_idx >= 0 else None)
    if scale_grad_by_freq and out.requires_grad:
        out = _scale_by_freq(out, input, weight.shape[0])
    return out


def _scale_by_freq(out, input, n):
    idx = input._data
    counts = jnp.zeros((n,), out._data.dtype).at[idx.reshape(-1)].add(1)
    inv = Tensor._from_array((1.0 / counts[idx])[..., None].astype(out._data.dtype))
    # Same forward value; the gradient of each looked-up row is divided by its count.
    return out.detach() + (out - out.detach()) * inv


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Matches `torch.nn.functional.embedding_bag`."""
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if padding_idx is not None:
        padding_idx = padding_idx % weight.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if input.dim() == 2:
        b, length = input.shape
        seg = np.repeat(np.arange(b), length)
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        nb = b
    else:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        offs = np.asarray(offsets._data).astype(np.int64)
        n = input.shape[0]
        _check_offsets(offs, n)
        nb = len(offs) - 1 if include_last_offset else len(offs)
        bounds = np.append(offs[:nb], n) if not include_last_offset else offs
        seg = np.zeros(n, np.int64)
        for i in range(nb):
            seg[bounds[i]:bounds[i + 1]] = i
        flat, psw = input, per_sample_weights
    return _op("_embedding_bag", flat, weight, jnp.asarray(seg), psw, nb, mode, padding_idx)


def _check_offsets(offs, n):
    """torch's errors for bag offsets that do not start at 0, pass the input or decrease."""
    if offs.size and offs[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                           f"to start from position 0. However, got {offs[0]}")
    if offs.size and offs[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {offs[-1]}")
    if (np.diff(offs) < 0).any():
        raise IndexError("index out of range in self")


def one_hot(tensor, num_classes=-1):
    """Matches `torch.nn.functional.one_hot`."""
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    return _op("one_hot", tensor, _int("one_hot", "num_classes", num_classes, 2))


# ---- dropout -----------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p != p:  # NaN passes torch's Python check and fails its kernel's
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep(shape, p, dtype):
    return default_generator.draw("uniform", tuple(shape), dtype.np, 0.0, 1.0) >= p


def _dropout(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        out = _op("_masked_scale", input, _keep(mask_shape, p, input.dtype), 1.0 / (1.0 - p))
    return _inplace(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout`."""
    return _dropout(input, p, training, inplace, input.shape)


def _feature_shape(input, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input, but received input with "
                           f"{input.dim()} dimensions")
    batched = input.dim() == nd + 2
    lead = input.shape[:2] if batched else input.shape[:1]
    return tuple(lead) + (1,) * nd


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout1d`."""
    return _dropout(input, p, training, inplace, _feature_shape(input, 1, "dropout1d"))


def _legacy_feature_shape(input, nd, name):
    # torch still accepts other ranks here (deprecated, with a warning), as code written for
    # older torch relies on: the mask covers the first two dims (3D input to dropout2d is
    # (N, C, L)), or for dropout3d the first dim when the input is not 5D.
    dim = input.dim()
    if dim not in (nd + 1, nd + 2):
        warnings.warn(f"{name}: a {dim}-D input is deprecated (expected {nd + 1}D or {nd + 2}D); "
                      "use dropout for element-wise dropout", stacklevel=3)
    if nd == 3 and dim != 5:
        return tuple(input.shape[:1]) + (1,) * (dim - 1)
    if dim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if dim == 3:
        warnings.warn("dropout2d: a 3D input is taken as (N, C, L), dropping whole channels as "
                      "dropout1d does", stacklevel=3)
    return tuple(input.shape[:2]) + (1,) * (dim - 2)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout2d`, including its deprecated non-3D/4D inputs."""
    return _dropout(input, p, training, inplace, _legacy_feature_shape(input, 2, "dropout2d"))


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Matches `torch.nn.functional.dropout3d`, including its deprecated non-4D/5D inputs."""
    return _dropout(input, p, training, inplace, _legacy_feature_shape(input, 3, "dropout3d"))


_SELU_ALPHA_P = -1.7580993408473766


def _alpha(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        a = 1.0 / math.sqrt((_SELU_ALPHA_P ** 2 * p + 1) * (1 - p))
        b = -_SELU_ALPHA_P * a * p
        out = _op("_alpha_dropout", input, _keep(mask_shape, p, input.dtype), a, b, _SELU_ALPHA_P)
    return _inplace(input, out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches `torch.nn.functional.alpha_dropout`."""
    return _alpha(input, p, training, inplace, input.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches `torch.nn.functional.feature_alpha_dropout`."""
    return _alpha(input, p, training, inplace, tuple(input.shape[:2]) + (1,) * (input.dim() - 2))


# ---- normalization -----------------------------------------------------------------------

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Matches `torch.nn.functional.batch_norm` (running stats are updated in place)."""
    if training and math.prod(input.shape[:1] + input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    if input.numel() == 0:
        # torch checks nothing more: a copy scaled by weight[0] plus bias[0] (keeps the graph),
        # running statistics untouched
        out = input.clone()
        out = out * weight[0] if weight is not None else out
        return out + bias[0] if bias is not None else out
    if training:
        if running_mean is not None or running_var is not None:
            from .._dtype_rules import mixed_params
            mixed_params(np.dtype(input.dtype.np), [np.dtype(t.dtype.np) for t in (
                running_mean, running_var, weight, bias) if isinstance(t, Tensor)])
        y, mean, uvar = _op("_batch_norm_train", input, weight, bias, float(eps))
        if running_mean is not None or running_var is not None:
            m = float(momentum if momentum is not None else 0.0)
            with no_grad():
                if running_mean is not None:
                    running_mean._assign(Tensor._from_array(_ema(running_mean._data, mean._data, m)))
                if running_var is not None:
                    running_var._assign(Tensor._from_array(_ema(running_var._data, uvar._data, m)))
        return y
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    return _op("_batch_norm_eval", input, running_mean, running_var, weight, bias, float(eps))


def _ema(old, new, m):
    if old.size != new.size:
        raise RuntimeError(f"running stats should contain {new.size} elements not {old.size}")
    return (old * (1 - m) + new.astype(old.dtype) * m).astype(old.dtype)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Matches `torch.nn.functional.instance_norm`."""
    n, c = input.shape[0], input.shape[1]
    if use_input_stats and input.numel() // (n * c) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    x = input.reshape(1, n * c, *input.shape[2:])
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    y = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            if running_mean is not None:
                running_mean.copy_(rm.view(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(rv.view(n, c).mean(0))
    return y.view(input.shape)


def _norm_shape(fn, normalized_shape):
    """`normalized_shape` parsed as torch's `int[]` (a list: a bare int is refused)."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    return _ints(fn, "normalized_shape", normalized_shape, 2)


def _check_norm_shape(input, normalized_shape, weight, bias):
    shape = [int(s) for s in normalized_shape]
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing "
                           "at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = {shape}")
    if list(input.shape[input.dim() - len(shape):]) != shape or input.dim() < len(shape):
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Matches `torch.nn.functional.layer_norm`."""
    normalized_shape = _norm_shape("layer_norm", normalized_shape)
    _check_norm_shape(input, normalized_shape, weight, bias)
    return _op("layer_norm", input, normalized_shape, weight, bias, _flt("layer_norm", "eps", eps, 5))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Matches `torch.nn.functional.rms_norm`."""
    normalized_shape = _norm_shape("rms_norm", normalized_shape)
    _check_norm_shape(input, normalized_shape, weight, None)
    return _op("rms_norm", input, normalized_shape, weight,
               None if eps is None else _flt("rms_norm", "eps", eps, 4))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Matches `torch.nn.functional.group_norm`."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    return _op("group_norm", input, _int("group_norm", "num_groups", num_groups, 2), weight, bias,
               _flt("group_norm", "eps", eps, 5))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Matches `torch.nn.functional.local_response_norm`."""
    return _op("local_response_norm", input, _int("local_response_norm", "size", size, 2),
               _flt("local_response_norm", "alpha", alpha, 3), _flt("local_response_norm", "beta", beta, 4),
               _flt("local_response_norm", "k", k, 5))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Matches `torch.nn.functional.normalize`."""
    if not isinstance(input, Tensor):  # torch's Python code calls input.norm(...)
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'norm'")
    kw = {} if out is None else {"out": out}
    return _dispatch.apply(_R["normalize"], (input, float(p), dim, float(eps)), kw)


# ---- distances, shuffles, padding, resampling ----------------------------------------------

def _second_tensor(fn, arg, v):
    """torch's parser refuses a Python number for a second tensor argument (the op's promotion
    would broadcast it; its trace-time check cannot tell it from a 0-dim tensor after promotion)."""
    if not isinstance(v, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position 2) must be Tensor, not "
                        f"{type(v).__name__}")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Matches `torch.nn.functional.cosine_similarity`."""
    _second_tensor("cosine_similarity", "x2", x2)
    return _op("cosine_similarity", x1, x2, dim, _flt("cosine_similarity", "eps", eps, 4))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """Matches `torch.nn.functional.pairwise_distance`."""
    _second_tensor("pairwise_distance", "x2", x2)
    return _op("pairwise_distance", x1, x2, _flt("pairwise_distance", "p", p, 3),
               _flt("pairwise_distance", "eps", eps, 4), bool(keepdim))


def pdist(input, p=2):
    """Matches `torch.nn.functional.pdist`."""
    return _op("pdist", input, _flt("pdist", "p", p, 2))


def pixel_shuffle(input, upscale_factor):
    """Matches `torch.nn.functional.pixel_shuffle`."""
    return _op("pixel_shuffle", input, _int("pixel_shuffle", "upscale_factor", upscale_factor, 2))


def pixel_unshuffle(input, downscale_factor):
    """Matches `torch.nn.functional.pixel_unshuffle`."""
    return _op("pixel_unshuffle", input,
               _int("pixel_unshuffle", "downscale_factor", downscale_factor, 2))


def channel_shuffle(input, groups):
    """Matches `torch.nn.functional.channel_shuffle`."""
    return _op("channel_shuffle", input, _int("channel_shuffle", "groups", groups, 2))


native_channel_shuffle = channel_shuffle


def pad(input, pad, mode="constant", value=None):
    """Matches `torch.nn.functional.pad`."""
    pad = _ints("pad", "pad", pad, 2)
    if len(pad) % 2 or len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length must be divisible by 2 and at most twice the number of "
                           "dimensions of the input")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    if mode == "reflect":
        for i in range(len(pad) // 2):
            size = input.shape[input.dim() - 1 - i]
            if pad[2 * i] >= size or pad[2 * i + 1] >= size:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                                   f"input dimension, but got: padding ({pad[2 * i]}, "
                                   f"{pad[2 * i + 1]}) at dimension {input.dim() - 1 - i} of input "
                                   f"{list(input.shape)}")
    return _op("_pad", input, pad, mode, None if value is None else _flt("pad", "value", value, 4))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Matches `torch.nn.functional.interpolate` (antialias: bilinear/bicubic, align_corners=False)."""
    nd = input.dim() - 2
    if nd < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D)")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires "
                         "a 4-D tensor as input")
    linear = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
    if mode in linear and linear[mode] != nd:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{linear[mode] + 2}D input")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = input.shape[2:]
    scales = None
    if size is not None:
        out = _tuple(size, nd, "size")
    else:
        sf = tuple(float(v) for v in (scale_factor if isinstance(scale_factor, (list, tuple))
                                      else (scale_factor,) * nd))
        out = tuple(int(math.floor(spatial[i] * sf[i])) for i in range(nd))
        if not recompute_scale_factor:
            scales = sf
    if mode == "area":
        return adaptive_avg_pool1d(input, out) if nd == 1 else \
            _adaptive_avg(nd, input, out)
    kind = "cubic" if mode == "bicubic" else ("linear" if mode in linear else mode)
    if antialias:
        from ._antialias import interpolate_aa
        return interpolate_aa(input, out, scales, kind == "cubic", bool(align_corners))
    if kind not in ("nearest", "nearest-exact", "linear", "cubic"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported")
    if nd == 2 and kind in ("linear", "cubic") and input.dtype == _dtype.uint8:
        # torch resizes uint8 images with fixed-point weights, rounding after each axis
        from ..ops.nn_conv import _interp_matrix
        from ._antialias import _uint8
        return _uint8(input, out, scales, kind == "cubic", lambda a: _interp_matrix(
            spatial[a], out[a], kind, bool(align_corners), None if scales is None else scales[a]))
    return _op("_interpolate", input, out, kind, bool(align_corners), scales)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Matches `torch.nn.functional.upsample`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Matches `torch.nn.functional.upsample_nearest`."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Matches `torch.nn.functional.upsample_bilinear`."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


from ._functional_loss import *  # noqa: E402,F401,F403
from .functional_attention import scaled_dot_product_attention, multi_head_attention_forward  # noqa


def affine_grid(theta, size, align_corners=None):
    """Matches `torch.nn.functional.affine_grid`."""
    size = tuple(int(s) for s in size)
    nd = len(size) - 2
    if nd not in (2, 3) or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for "
                         f"size {list(size)}. Got {list(theta.shape)}.")
    return _op("_affine_grid", theta, size, bool(align_corners))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Matches `torch.nn.functional.grid_sample`."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    return _op("_grid_sample", input, grid, mode, padding_mode, bool(align_corners))


def __getattr__(name):
    """A torch.nn.functional name jtorch does not ship raises the not-supported error naming it."""
    from .._unsupported import module_getattr
    return module_getattr("jtorch.nn.functional", name)
