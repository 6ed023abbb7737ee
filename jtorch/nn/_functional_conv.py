"""Convolution and pooling functions of `jtorch.nn.functional` (re-exported there)."""
from __future__ import annotations

import math

from .. import _dispatch
from .._tensor import Tensor as _Tensor
from ..ops._registry import REGISTRY as _R
from ..random import default_generator

_apply = _dispatch.apply

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold", "max_pool1d", "max_pool2d", "max_pool3d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool1d",
           "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]


def _op(name, *args, **kwargs):
    if not isinstance(args[0], _Tensor):  # torch's parser refuses a number for `input`
        _not_tensor(name, args[0])
    return _apply(_R[name], args, kwargs)


def _not_tensor(name, v):
    op = _R[name]
    pname = next(iter(op.sig.parameters))
    raise TypeError(f"{name.lstrip('_')}(): argument '{pname}' (position 1) must be Tensor, not "
                    f"{type(v).__name__}")


def _tuple(x, n, name="argument"):
    for v in (x if isinstance(x, (list, tuple)) else (x,)):
        if isinstance(v, (bool, float, complex, str)) or not hasattr(v, "__index__"):
            # torch's parser: `kernel_size=2.5`, `stride=True`, `padding="1"` are not ints
            raise TypeError(f"argument '{name}' must be tuple of ints, not {type(v).__name__}")
    if isinstance(x, (list, tuple)):
        if len(x) == 1:
            return tuple(int(x[0]) for _ in range(n))
        if len(x) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {x!r}")
        return tuple(int(v) for v in x)
    return (int(x),) * n


# ---- convolution -------------------------------------------------------------------------

def _batched(input, nd, name):
    if input.dim() == nd + 1:
        return input.unsqueeze(0), True
    if input.dim() != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    return input, False


def _conv_padding(padding, nd, k, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            out = []
            for i in range(nd):
                total = dilation[i] * (k[i] - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    return tuple((p, p) for p in _tuple(padding, nd, "padding"))


def _check_conv(nd, input, weight, bias, stride, padding, dilation):
    if weight.dim() >= 3 and input.dim() == nd + 2 and weight.dim() != nd + 2:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional "
                           f"weight{list(weight.shape)}, but got {input.dim()}-dimensional input of "
                           f"size {list(input.shape)} instead")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_C_NAMES.get(input.dtype.name, input.dtype.name)}) and bias "
                           f"type ({_C_NAMES.get(bias.dtype.name, bias.dtype.name)}) should be the same")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in _tuple(padding, nd, "padding")):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")


# C++ type names, as torch's conv messages spell them
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    _check_conv(nd, input, weight, bias, _tuple(stride, nd), padding, _tuple(dilation, nd))
    x, unb = _batched(input, nd, f"conv{nd}d")
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    if isinstance(padding, str) and padding == "same" and any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = _conv_padding(padding, nd, tuple(weight.shape[2:]), dilation)
    from .._checks import int_arg
    groups = int_arg(f"conv{nd}d", "groups", groups, 7)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] < groups or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be "
                           f"{'at least' if weight.shape[0] < groups else 'divisible by'} {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[1] * groups} channels, but "
                           f"got {x.shape[1]} channels instead")
    y = _op("_conv", x, weight, bias, stride, pads, dilation, int(groups))
    return y.squeeze(0) if unb else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv1d`."""
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv2d`."""
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches `torch.nn.functional.conv3d`."""
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unb = _batched(input, nd, f"conv_transpose{nd}d")
    y = _op("_conv_transpose", x, weight, bias, _tuple(stride, nd), _tuple(padding, nd),
            _tuple(output_padding, nd), int(groups), _tuple(dilation, nd))
    return y.squeeze(0) if unb else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches `torch.nn.functional.conv_transpose1d`."""
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches `torch.nn.functional.conv_transpose2d`."""
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches `torch.nn.functional.conv_transpose3d`."""
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Matches `torch.nn.functional.unfold`."""
    x, unb = _batched(input, 2, "unfold")
    y = _op("unfold", x, _tuple(kernel_size, 2), _tuple(dilation, 2), _tuple(padding, 2),
            _tuple(stride, 2))
    return y.squeeze(0) if unb else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Matches `torch.nn.functional.fold`."""
    unb = input.dim() == 2
    x = input.unsqueeze(0) if unb else input
    k, d, p, s = (_tuple(kernel_size, 2), _tuple(dilation, 2), _tuple(padding, 2), _tuple(stride, 2))
    out = _tuple(output_size, 2)
    blocks = [(out[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if x.shape[2] != blocks[0] * blocks[1] or x.shape[1] % (k[0] * k[1]):
        raise RuntimeError(f"Given output_size={out}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}.")
    y = _op("fold", x, _tuple(output_size, 2), _tuple(kernel_size, 2), _tuple(dilation, 2),
            _tuple(padding, 2), _tuple(stride, 2))
    return y.squeeze(0) if unb else y


# ---- pooling -----------------------------------------------------------------------------

def _check_pool(name, nd, x, k, s, p, d, ceil_mode):
    """torch's pooling argument errors (JAX would fail later with its own exception types)."""
    from ..ops.nn_conv import pool_out_size
    for what, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if any(e <= 0 for e in v):
            raise RuntimeError(f"{name}() {what} must be greater than zero, but got {min(v)}")
    if any(e < 0 for e in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    for i in range(nd):
        if p[i] * 2 > k[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with "
                           f"optional 0 dim batch size for input, but got:{list(x.shape)}")
    out = [pool_out_size(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    if min(out) < 1:
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated "
                           f"output size: ({'x'.join(map(str, [x.shape[1]] + out))}). Output size "
                           "is too small")


def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unb = _batched(input, nd, f"max_pool{nd}d")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tuple(stride, nd)
    _check_pool(f"max_pool{nd}d", nd, x, k, s, _tuple(padding, nd), _tuple(dilation, nd), ceil_mode)
    kind, impl = x.dtype.np.kind, nd == 1 and not return_indices  # torch's max_pool1d_impl: floats
    if kind in "bc" or (impl and kind in "iu"):
        from .._checks import type_name
        raise NotImplementedError(f'"{"max_pool1d_impl" if impl else f"max_pool{max(nd, 2)}d"}" '
                                  f"not implemented for '{type_name(x.dtype.np)}'")
    val, idx = _op("_max_pool", x, k, s, _tuple(padding, nd), _tuple(dilation, nd), bool(ceil_mode))
    if unb:
        val, idx = val.squeeze(0), idx.squeeze(0)
    return (val, idx) if return_indices else val


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches `torch.nn.functional.max_pool1d`."""
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches `torch.nn.functional.max_pool2d`."""
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches `torch.nn.functional.max_pool3d`."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """Matches `torch.nn.functional.max_pool1d_with_indices`."""
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """Matches `torch.nn.functional.max_pool2d_with_indices`."""
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """Matches `torch.nn.functional.max_pool3d_with_indices`."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_poolnd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    x, unb = _batched(input, nd, f"avg_pool{nd}d")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tuple(stride, nd)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool(f"avg_pool{nd}d", nd, x, k, s, _tuple(padding, nd), (1,) * nd, ceil_mode)
    y = _op("_avg_pool", x, k, s, _tuple(padding, nd), bool(ceil_mode), bool(count_include_pad),
            divisor_override)
    return y.squeeze(0) if unb else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Matches `torch.nn.functional.avg_pool1d`."""
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Matches `torch.nn.functional.avg_pool2d`."""
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Matches `torch.nn.functional.avg_pool3d`."""
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def _adaptive_size(x, output_size, nd, name):
    from .._checks import int_list
    if nd > 1 and not isinstance(output_size, int):
        # torch's Python wrapper (`_list_with_default`) takes len() and fills None from the input
        if not hasattr(output_size, "__len__"):
            raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
        n = len(output_size)
        output_size = [x.shape[x.ndim - n + i] if o is None else o for i, o in enumerate(output_size)]
    size = int_list(name, "output_size", output_size, 2)  # then torch's C++ parser
    if not isinstance(output_size, (list, tuple)):
        size = size * nd
    if len(size) != nd:
        raise RuntimeError(f"{name}() argument 'output_size' should contain "
                           f"{'one int' if nd == 1 else f'{nd} ints'} (got {len(size)})")
    if min(size) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {size}")
    return size


def _adaptive_input(nd, input, output_size, name):
    # torch's Python wrapper checks the rank against a sequence output_size with a ValueError
    if isinstance(output_size, (list, tuple)) and nd > 1 and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    return _batched(input, nd, name)


def _adaptive_avg(nd, input, output_size):
    name = f"adaptive_avg_pool{nd}d"
    x, unb = _adaptive_input(nd, input, output_size, name)
    y = _op("_adaptive_avg_pool", x, _adaptive_size(x, output_size, nd, name))
    return y.squeeze(0) if unb else y


def adaptive_avg_pool1d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool1d`."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool2d`."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Matches `torch.nn.functional.adaptive_avg_pool3d`."""
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nd, input, output_size, return_indices):
    name = f"adaptive_max_pool{nd}d"
    x, unb = _adaptive_input(nd, input, output_size, name)
    val, idx = _op("_adaptive_max_pool", x, _adaptive_size(x, output_size, nd, name))
    if unb:
        val, idx = val.squeeze(0), idx.squeeze(0)
    return (val, idx) if return_indices else val


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool1d`."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool2d`."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Matches `torch.nn.functional.adaptive_max_pool3d`."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """Matches `torch.nn.functional.adaptive_max_pool1d_with_indices`."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """Matches `torch.nn.functional.adaptive_max_pool2d_with_indices`."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """Matches `torch.nn.functional.adaptive_max_pool3d_with_indices`."""
    return _adaptive_max(3, input, output_size, True)


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    k = _tuple(kernel_size, nd)
    pooled = _avg_poolnd(nd, input.pow(norm_type), k, stride, 0, ceil_mode, True, None)
    return (pooled.sign() * pooled.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool1d`."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool2d`."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches `torch.nn.functional.lp_pool3d`."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    x, unb = _batched(input, nd, f"max_unpool{nd}d")
    ind = indices.unsqueeze(0) if unb else indices
    if ind.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: {list(ind.shape)}")
    k = _tuple(kernel_size, nd)
    s = k if stride is None else _tuple(stride, nd)
    p = _tuple(padding, nd)
    if output_size is None:
        size = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-nd:])
    y = _op("_max_unpool", x, ind, size)
    return y.squeeze(0) if unb else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool1d`."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool2d`."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches `torch.nn.functional.max_unpool3d`."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def _fractional(nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    x, unb = _batched(input, nd, f"fractional_max_pool{nd}d")
    k = _tuple(kernel_size, nd, "kernel_size")
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"fractional_max_pool{nd}d requires specifying either an output_size "
                             "or an output_ratio")
        ratio = output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nd
        output_size = tuple(int(x.shape[2 + i] * ratio[i]) for i in range(nd))
    out = _tuple(output_size, nd, "output_size")
    n, c = x.shape[:2]
    if _random_samples is None:
        samples = default_generator.draw("uniform", (n, c, nd), x.dtype.np, 0.0, 1.0)
    else:
        # Extra sample rows (a batch-sized table used on an unbatched input) are ignored.
        samples = _random_samples[:n].reshape(n, c, nd)
    val, idx = _op("_fractional_max_pool", x, samples, k, out)
    if unb:
        val, idx = val.squeeze(0), idx.squeeze(0)
    return (val, idx) if return_indices else val


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Matches `torch.nn.functional.fractional_max_pool2d` (samples from jtorch's generator)."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Matches `torch.nn.functional.fractional_max_pool3d` (samples from jtorch's generator)."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    """Matches `torch.nn.functional.fractional_max_pool2d_with_indices`."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    """Matches `torch.nn.functional.fractional_max_pool3d_with_indices`."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, True, _random_samples)
