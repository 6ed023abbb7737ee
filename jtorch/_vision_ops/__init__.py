"""torchvision's native ops (`torch.ops.torchvision.*`) implemented in JAX.

torchvision's `_C` extension is built against libtorch and cannot load next to jtorch;
`torch.ops.load_library` of it imports this module instead, so `torchvision.ops` (nms,
batched_nms, roi_align, roi_pool, ps_roi_align, ps_roi_pool, deform_conv2d) works. Each op is
a jtorch `Op` run through the dispatch point (JAX autodiff gives the input gradients); the
`_*_backward` ops torchvision's autograd registrations call are the same VJPs. nms and
`sampling_ratio <= 0` need concrete box values (eager; a compiled step falls back to eager).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import Array

import jtorch

from .. import _dispatch
from ..library import Library
from ..ops._registry import Op
from . import _deform, _nms, _roi

_lib = Library("torchvision", "DEF")


def _op(fn, name, diff=True):
    grad = f"GeneratedBackwardFor_torchvision_{name}_defaultBackward"
    return Op(fn, name, False, False, None, diff, grad, "none", False)


def _define(schema, kernel):
    _lib.define(schema)
    _lib.impl(schema.split("(")[0], kernel, "CompositeExplicitAutograd")


def _check_rois(input, rois, name):
    if rois.dim() != 2 or rois.size(1) != 5:
        raise RuntimeError(f"{name}: Tensor rois should have shape as Tensor[K, 5], got "
                           f"{tuple(rois.shape)}")
    if input.dim() != 4:
        raise RuntimeError(f"{name}: input should be a 4-d (N, C, H, W) tensor, got {input.dim()}-d")
    if input.dtype != rois.dtype:
        raise RuntimeError(f"{name}: input and rois must have the same dtype, got {input.dtype} and "
                           f"{rois.dtype}")


def _check_ps(input, ph, pw, name):
    if input.size(1) % (ph * pw) != 0:
        raise RuntimeError(f"{name}: input channels must be a multiple of pooling height * pooling "
                           f"width ({input.size(1)} channels, {ph}x{pw} bins)")


# ---- nms ----------------------------------------------------------------------------------

_NMS = _op(_nms.nms_keep, "nms", diff=False)


def nms(dets, scores, iou_threshold):
    if dets.dim() != 2 or dets.size(1) != 4:
        raise RuntimeError(f"boxes should be a 2d tensor of shape [N, 4], got {dets.dim()}D "
                           f"{tuple(dets.shape)}")
    if scores.dim() != 1 or scores.size(0) != dets.size(0):
        raise RuntimeError(f"scores should be a 1d tensor with one score per box, got shape "
                           f"{tuple(scores.shape)} for {dets.size(0)} boxes")
    if dets.size(0) == 0:
        return dets.new_empty((0,), dtype=jtorch.int64)
    order, keep = _dispatch.apply(_NMS, (dets, scores), {"iou_threshold": float(iou_threshold)})
    return order[keep]  # data-dependent size: eager


_define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor", nms)


# ---- RoI ops ------------------------------------------------------------------------------

_ROI_ALIGN = _op(_roi.roi_align, "roi_align")
_PS_ROI_ALIGN = _op(_roi.ps_roi_align, "ps_roi_align")
_ROI_POOL = _op(_roi.roi_pool, "roi_pool")
_PS_ROI_POOL = _op(_roi.ps_roi_pool, "ps_roi_pool")


def _grid(rois, scale, ph, pw, sampling_ratio, aligned, clamp_one):
    if sampling_ratio > 0:
        return int(sampling_ratio)
    return _roi.grid_size(_dispatch.array_of(rois), scale, ph, pw, sampling_ratio, aligned, clamp_one)


def roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned):
    _check_rois(input, rois, "roi_align")
    s, ph, pw, sr = float(spatial_scale), int(pooled_height), int(pooled_width), int(sampling_ratio)
    g = _grid(rois, s, ph, pw, sr, bool(aligned), not aligned)
    return _dispatch.apply(_ROI_ALIGN, (input, rois), dict(
        spatial_scale=s, pooled_height=ph, pooled_width=pw, sampling_ratio=sr, aligned=bool(aligned),
        grid=g))


def ps_roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio):
    _check_rois(input, rois, "ps_roi_align")
    s, ph, pw, sr = float(spatial_scale), int(pooled_height), int(pooled_width), int(sampling_ratio)
    _check_ps(input, ph, pw, "ps_roi_align")
    g = _grid(rois, s, ph, pw, sr, True, False)
    return tuple(_dispatch.apply(_PS_ROI_ALIGN, (input, rois), dict(
        spatial_scale=s, pooled_height=ph, pooled_width=pw, sampling_ratio=sr, grid=g)))


def roi_pool(input, rois, spatial_scale, pooled_height, pooled_width):
    _check_rois(input, rois, "roi_pool")
    return tuple(_dispatch.apply(_ROI_POOL, (input, rois), dict(
        spatial_scale=float(spatial_scale), pooled_height=int(pooled_height),
        pooled_width=int(pooled_width))))


def ps_roi_pool(input, rois, spatial_scale, pooled_height, pooled_width):
    _check_rois(input, rois, "ps_roi_pool")
    _check_ps(input, int(pooled_height), int(pooled_width), "ps_roi_pool")
    return tuple(_dispatch.apply(_PS_ROI_POOL, (input, rois), dict(
        spatial_scale=float(spatial_scale), pooled_height=int(pooled_height),
        pooled_width=int(pooled_width))))


_define("roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor", roi_align)
_define("ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)", ps_roi_align)
_define("roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)", roi_pool)
_define("ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)", ps_roi_pool)


# ---- deform_conv2d ------------------------------------------------------------------------

_DEFORM = _op(_deform.deform_conv2d, "deform_conv2d")


def deform_conv2d(input, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w, dilation_h,
                  dilation_w, groups, offset_groups, use_mask):
    if input.dim() != 4 or weight.dim() != 4 or offset.dim() != 4:
        raise RuntimeError("deform_conv2d: input, weight and offset must be 4-d tensors")
    kh, kw = weight.shape[2:]
    n_off = offset_groups * 2 * kh * kw
    if offset.size(1) != n_off:
        raise RuntimeError(f"deform_conv2d: offset.shape[1] is not valid: got: {offset.size(1)} "
                           f"expected: {n_off}")
    if input.size(1) % offset_groups or input.size(1) != weight.size(1) * groups:
        raise RuntimeError(f"deform_conv2d: input has {input.size(1)} channels, which does not match "
                           f"weight {tuple(weight.shape)} with groups={groups}, "
                           f"offset_groups={offset_groups}")
    return _dispatch.apply(_DEFORM, (input, weight, offset, mask, bias), dict(
        stride_h=int(stride_h), stride_w=int(stride_w), pad_h=int(pad_h), pad_w=int(pad_w),
        dilation_h=int(dilation_h), dilation_w=int(dilation_w), groups=int(groups),
        offset_groups=int(offset_groups), use_mask=bool(use_mask)))


_define("deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
        "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
        "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
        deform_conv2d)


# ---- the backward ops torchvision's autograd registrations call ---------------------------

def _input_vjp(body, grad: Array, rois: Array, shape, static, n_out=1):
    """The gradient w.r.t. `input` of `body` (linear in `input`, so taken at zeros)."""
    f = functools.partial(body, rois=rois, **static)
    _, pull = jax.vjp(lambda x: f(x) if n_out == 1 else f(x)[0], jnp.zeros(shape, grad.dtype))
    return pull(grad)[0]


def _roi_align_bwd(grad: Array, rois: Array, spatial_scale, pooled_height, pooled_width,
                   batch_size, channels, height, width, sampling_ratio, aligned, grid):
    return _input_vjp(_roi.roi_align, grad, rois, (batch_size, channels, height, width), dict(
        spatial_scale=spatial_scale, pooled_height=pooled_height, pooled_width=pooled_width,
        sampling_ratio=sampling_ratio, aligned=aligned, grid=grid))


def _ps_roi_align_bwd(grad: Array, rois: Array, spatial_scale, pooled_height, pooled_width,
                      sampling_ratio, batch_size, channels, height, width, grid):
    return _input_vjp(_roi.ps_roi_align, grad, rois, (batch_size, channels, height, width), dict(
        spatial_scale=spatial_scale, pooled_height=pooled_height, pooled_width=pooled_width,
        sampling_ratio=sampling_ratio, grid=grid), n_out=2)


def _ps_roi_pool_bwd(grad: Array, rois: Array, spatial_scale, pooled_height, pooled_width,
                     batch_size, channels, height, width):
    return _input_vjp(_roi.ps_roi_pool, grad, rois, (batch_size, channels, height, width), dict(
        spatial_scale=spatial_scale, pooled_height=pooled_height, pooled_width=pooled_width),
        n_out=2)


def _roi_pool_bwd(grad: Array, rois: Array, argmax: Array, batch_size, channels, height, width):
    K, C = grad.shape[:2]
    b = rois[:, 0].astype(jnp.int32)[:, None, None]
    ok = argmax >= 0
    g = jnp.where(ok, grad, 0).reshape(K, C, -1)
    idx = jnp.where(ok, argmax, 0).reshape(K, C, -1)
    out = jnp.zeros((batch_size, channels, height * width), grad.dtype)
    out = out.at[jnp.broadcast_to(b, idx.shape), jnp.arange(C)[None, :, None], idx].add(g)
    return out.reshape(batch_size, channels, height, width)


def _deform_bwd(grad: Array, input: Array, weight: Array, offset: Array, mask: Array, bias: Array,
                stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups, offset_groups,
                use_mask):
    f = functools.partial(_deform.deform_conv2d, stride_h=stride_h, stride_w=stride_w, pad_h=pad_h,
                          pad_w=pad_w, dilation_h=dilation_h, dilation_w=dilation_w, groups=groups,
                          offset_groups=offset_groups, use_mask=use_mask)
    _, pull = jax.vjp(f, input, weight, offset, mask, bias)
    return tuple(pull(grad))


_BWD = {n: _op(f, n, diff=False) for n, f in (
    ("_roi_align_backward", _roi_align_bwd), ("_ps_roi_align_backward", _ps_roi_align_bwd),
    ("_ps_roi_pool_backward", _ps_roi_pool_bwd), ("_roi_pool_backward", _roi_pool_bwd),
    ("_deform_conv2d_backward", _deform_bwd))}


def _roi_align_backward(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size, channels,
                        height, width, sampling_ratio, aligned):
    g = _grid(rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned, not aligned)
    return _dispatch.apply(_BWD["_roi_align_backward"], (grad, rois), dict(
        spatial_scale=float(spatial_scale), pooled_height=pooled_height, pooled_width=pooled_width,
        batch_size=batch_size, channels=channels, height=height, width=width,
        sampling_ratio=sampling_ratio, aligned=bool(aligned), grid=g))


def _ps_roi_align_backward(grad, rois, channel_mapping, spatial_scale, pooled_height, pooled_width,
                           sampling_ratio, batch_size, channels, height, width):
    g = _grid(rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, True, False)
    return _dispatch.apply(_BWD["_ps_roi_align_backward"], (grad, rois), dict(
        spatial_scale=float(spatial_scale), pooled_height=pooled_height, pooled_width=pooled_width,
        sampling_ratio=sampling_ratio, batch_size=batch_size, channels=channels, height=height,
        width=width, grid=g))


def _ps_roi_pool_backward(grad, rois, channel_mapping, spatial_scale, pooled_height, pooled_width,
                          batch_size, channels, height, width):
    return _dispatch.apply(_BWD["_ps_roi_pool_backward"], (grad, rois), dict(
        spatial_scale=float(spatial_scale), pooled_height=pooled_height, pooled_width=pooled_width,
        batch_size=batch_size, channels=channels, height=height, width=width))


def _roi_pool_backward(grad, rois, argmax, spatial_scale, pooled_height, pooled_width, batch_size,
                       channels, height, width):
    return _dispatch.apply(_BWD["_roi_pool_backward"], (grad, rois, argmax), dict(
        batch_size=batch_size, channels=channels, height=height, width=width))


def _deform_conv2d_backward(grad, input, weight, offset, mask, bias, stride_h, stride_w, pad_h,
                            pad_w, dilation_h, dilation_w, groups, offset_groups, use_mask):
    return tuple(_dispatch.apply(_BWD["_deform_conv2d_backward"],
                                 (grad, input, weight, offset, mask, bias), dict(
        stride_h=stride_h, stride_w=stride_w, pad_h=pad_h, pad_w=pad_w, dilation_h=dilation_h,
        dilation_w=dilation_w, groups=groups, offset_groups=offset_groups, use_mask=bool(use_mask))))


_define("_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
        "int sampling_ratio, bool aligned) -> Tensor", _roi_align_backward)
_define("_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, "
        "SymInt channels, SymInt height, SymInt width) -> Tensor", _ps_roi_align_backward)
_define("_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
        "SymInt height, SymInt width) -> Tensor", _ps_roi_pool_backward)
_define("_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
        "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
        "SymInt height, SymInt width) -> Tensor", _roi_pool_backward)
_define("_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, "
        "Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, "
        "SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) "
        "-> (Tensor, Tensor, Tensor, Tensor, Tensor)", _deform_conv2d_backward)
_define("_cuda_version() -> int", lambda: -1)


def _quantized(*args, **kwargs):
    raise NotImplementedError("torchvision's quantized ops (qnms, qroi_align) need quantized tensors, "
                              "which jtorch does not have; dequantize and use nms/roi_align")


_define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor", _quantized)
_define("qroi_align(Tensor input, Tensor rois, float input_scale, int input_zero_point, "
        "float rois_scale, int rois_zero_point, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor", _quantized)
