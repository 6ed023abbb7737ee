"""torch's native (aten-level) nn entry points exposed as `torch.<name>`: `native_batch_norm`,
`native_layer_norm`, `native_group_norm`, `native_dropout`, `convolution`, `conv_tbc`,
`grid_sampler*`, `affine_grid_generator`, `embedding_bag`, `embedding_renorm_`,
`segment_reduce` and the functional RNNs (`rnn_tanh`, `rnn_relu`, `gru`, `lstm`).

Each is a thin wrapper over `jtorch.nn.functional` (or the op the RNN modules use). The saved
statistics the native norms return (mean, inverse std) are plain values without a gradient.
"""
from __future__ import annotations

import numpy as np

from .. import _dispatch
from .._tensor import Tensor
from ..ops._registry import REGISTRY
from . import functional as F
from ._conv_tbc import conv_tbc  # noqa: F401  (torch.conv_tbc and F.conv_tbc are one function)

__all__ = ["native_batch_norm", "native_layer_norm", "native_group_norm", "native_dropout",
           "convolution", "conv_tbc", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d",
           "affine_grid_generator", "embedding_bag", "embedding_renorm_", "segment_reduce",
           "rnn_tanh", "rnn_relu", "gru", "lstm", "batch_norm_update_stats"]


def _stats(x, dims, eps, grad=False):
    if not grad:
        x = x.detach()
    mean = x.mean(dims, keepdim=True)
    return mean, (x.var(dims, unbiased=False, keepdim=True) + eps).rsqrt()


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Matches `torch.native_batch_norm`: (output, save_mean, save_invstd); the saved statistics
    are empty in evaluation mode, as in torch."""
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = Tensor._from_array(np.zeros((0,), input.dtype.np))
        return out, empty, empty.clone()
    dims = [0] + list(range(2, input.dim()))
    mean, invstd = _stats(input, dims, eps)
    return out, mean.reshape(-1), invstd.reshape(-1)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Matches `torch.native_layer_norm`: (output, mean, rstd) with the normalized dims kept as 1."""
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    dims = list(range(input.dim() - len(normalized_shape), input.dim()))
    mean, rstd = _stats(input, dims, eps)
    return out, mean, rstd


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """Matches `torch.native_group_norm`: (output, mean, rstd), the statistics of shape (N, group).
    As in torch the statistics require grad (here they differentiate as mean and 1/std)."""
    out = F.group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, (C // group) * HxW), [2], eps, grad=True)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """Matches `torch.batch_norm_update_stats`: (batch mean, biased batch var); updates the running
    statistics in place (with the unbiased variance) when given."""
    dims = [0] + list(range(2, input.dim()))
    x = input.detach()
    mean, var = x.mean(dims), x.var(dims, unbiased=False)
    n = input.numel() // input.shape[1]
    if running_mean is not None:
        running_mean.mul_(1 - momentum).add_(mean * momentum)
    if running_var is not None:
        running_var.mul_(1 - momentum).add_(var * (n / max(n - 1, 1)) * momentum)
    return mean, var


def native_dropout(input, p, train):
    """Matches `torch.native_dropout`: (output, keep mask as bool)."""
    if not train:
        return input.clone(), Tensor._from_array(np.ones(tuple(input.shape), np.bool_))
    from .._sampling import rand
    keep = rand(*input.shape, dtype=input.dtype) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return input * keep.to(input.dtype) * scale, keep


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """Matches `torch.convolution` (1d/2d/3d, plain or transposed)."""
    nd = weight.dim() - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3D, 4D or 5D weight, got {weight.dim()}D")
    if transposed:
        fn = getattr(F, f"conv_transpose{nd}d")
        return fn(input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding), groups,
                  tuple(dilation))
    return getattr(F, f"conv{nd}d")(input, weight, bias, tuple(stride), tuple(padding),
                                    tuple(dilation), groups)


_MODES = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """Matches `torch.grid_sampler` (integer mode codes of `F.grid_sample`)."""
    return F.grid_sample(input, grid, _MODES[interpolation_mode], _PADDING[padding_mode], align_corners)


grid_sampler_2d = grid_sampler_3d = grid_sampler


def affine_grid_generator(theta, size, align_corners):
    """Matches `torch.affine_grid_generator`."""
    return F.affine_grid(theta, size, align_corners)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Matches `torch.embedding_renorm_`: rescales the rows `indices` names to norm <= max_norm."""
    F._renorm_rows(input, indices, max_norm, norm_type)
    return input


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Matches `torch.embedding_bag`: (output, offset2bag, bag_size, max_indices) with torch's
    CPU conventions for the helper outputs: in 'sum' mode they are empty/zeros, as torch's float32
    path gives (its float64 path fills offset2bag)."""
    out = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq,
                          ("sum", "mean", "max")[mode], sparse, per_sample_weights,
                          include_last_offset, padding_idx)
    idx = np.asarray(indices.detach().reshape(-1).tolist(), np.int64)
    offs = np.asarray(offsets.tolist(), np.int64) if offsets is not None else np.zeros(0, np.int64)
    if indices.dim() == 2:
        b, n = indices.shape
        offs = np.arange(b, dtype=np.int64) * n
    nb = len(offs) - 1 if include_last_offset else len(offs)
    bounds = np.append(offs[:nb], len(idx)) if not include_last_offset else offs
    bag = np.repeat(np.arange(nb), np.diff(bounds))
    sizes = np.diff(bounds)
    long = lambda a: Tensor._from_array(np.asarray(a, np.int64))  # noqa: E731
    if mode == 0:
        return out, long(np.zeros(0)), long(np.zeros(nb)), long(np.zeros(nb))
    if mode == 1:
        return out, long(bag), long(sizes), long(sizes)
    w = weight.detach()
    maxi = np.zeros((nb, weight.shape[1]), np.int64)
    for i in range(nb):
        rows = idx[bounds[i]:bounds[i + 1]]
        if len(rows):
            vals = np.asarray(w[Tensor._from_array(rows)].tolist())
            maxi[i] = rows[np.argmax(vals, axis=0)]
    return out, long(bag), long(sizes), long(maxi)


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    """Matches `torch.segment_reduce` ('sum', 'mean', 'max', 'min', 'prod') over 1-D lengths or
    offsets along `axis` 0. Empty segments give `initial`, or 0/nan/-inf/inf/1 as torch does."""
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None:
        if offsets is None:
            raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
        lengths = offsets[1:] - offsets[:-1]
    if axis % data.dim() != lengths.dim() - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of lengths "
                           f"but got {axis}.")
    if lengths.dim() != 1:
        from .._unsupported import unsupported
        unsupported("torch.segment_reduce with multi-dimensional lengths")
    ls = [int(n) for n in lengths.tolist()]
    empty = {"sum": 0.0, "mean": float("nan"), "max": float("-inf"), "min": float("inf"),
             "prod": 1.0}[reduce]
    fill = empty if initial is None else initial
    outs, start = [], 0
    for n in ls:
        seg = data[start:start + n]
        start += n
        if n == 0:
            from .. import full
            outs.append(full((1,) + tuple(data.shape[1:]), fill, dtype=data.dtype))
            continue
        if reduce == "sum":
            r = seg.sum(0)
        elif reduce == "mean":
            r = (seg.sum(0) if initial is None else seg.sum(0) + initial) / n
        elif reduce == "max":
            r = seg.amax(0)
        elif reduce == "min":
            r = seg.amin(0)
        else:
            r = seg.prod(0)
        if initial is not None and reduce in ("sum", "prod", "max", "min"):
            r = {"sum": r + initial, "prod": r * initial}.get(reduce, r)
            if reduce in ("max", "min"):
                r = (r.clamp(min=initial) if reduce == "max" else r.clamp(max=initial))
        outs.append(r.unsqueeze(0))
    from .. import cat
    return cat(outs, 0)


# ---- functional recurrent nets --------------------------------------------------------------

def _rnn(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first, batch_sizes):
    D = 2 if bidirectional else 1
    masks = []
    if train and dropout > 0 and num_layers > 1:
        from .._sampling import rand
        T, B = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
        if batch_sizes is not None:
            T, B = len(batch_sizes), batch_sizes[0]
        w = params[0]
        for _ in range(num_layers - 1):
            keep = rand(T, B, hx.shape[-1] * D, dtype=w.dtype) >= dropout
            masks.append(keep.to(w.dtype) / (1 - dropout) if dropout < 1 else keep.to(w.dtype))
    return _dispatch.apply(REGISTRY["_rnn"], (input, hx, cx, list(params), masks, mode, num_layers,
                                               bidirectional, batch_first, has_biases, 0, batch_sizes))


def _functional(mode):
    lstm = mode == "LSTM"

    def fn(input, *args):
        packed = (isinstance(args[1], Tensor) and not lstm) or (lstm and isinstance(args[0], Tensor))
        if packed:  # (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)
            batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
            bs, batch_first = tuple(int(b) for b in batch_sizes.tolist()), False
        else:  # (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
            hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
            bs = None
        h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        out, h_n, c_n = _rnn(mode, input, h0, c0, params, has_biases, num_layers, dropout, train,
                             bidirectional, batch_first, bs)
        return (out, h_n, c_n) if lstm else (out, h_n)
    return fn


rnn_tanh, rnn_relu, gru, lstm = (_functional(m) for m in ("RNN_TANH", "RNN_RELU", "GRU", "LSTM"))
for _f, _n in ((rnn_tanh, "rnn_tanh"), (rnn_relu, "rnn_relu"), (gru, "gru"), (lstm, "lstm")):
    _f.__name__ = _f.__qualname__ = _n
    _f.__doc__ = (f"Matches `torch.{_n}` (the input form `(input, hx, params, has_biases, num_layers, "
                  "dropout, train, bidirectional, batch_first)` and the packed-data form).")
