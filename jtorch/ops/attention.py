"""Attention op bodies: scaled dot-product attention and the multi-head attention core.

Dropout masks are drawn by the caller from jtorch's generator and passed in as `keep`
(bool, True = kept), so the bodies stay pure and cache well.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array, lax

from ._opmath import low as _low
from ._registry import op


def _lin(x, w, b=None):
    # Contract w's second dim directly: `x @ w.T` makes XLA copy the transposed weight.
    y = lax.dot_general(x, w, (((x.ndim - 1,), (1,)), ((), ())))
    return y if b is None else y + b


def _safe_softmax(s):
    # Rows whose every score is -inf give 0 (as PyTorch's SDPA does), not NaN; the sum is
    # replaced before dividing so no NaN appears in the gradient either.
    m = jnp.max(s, axis=-1, keepdims=True)
    dead = m == -jnp.inf
    e = jnp.exp(s - jnp.where(dead, 0, lax.stop_gradient(m)))
    z = jnp.sum(e, axis=-1, keepdims=True)
    return e / jnp.where(dead, 1, z)


def _apply_mask(s, mask):
    if mask is None:
        return s
    if mask.dtype == jnp.bool_:
        return jnp.where(mask, s, -jnp.inf)
    return s + mask.astype(s.dtype)


def _dropout(p, keep, dropout_p):
    if keep is None or dropout_p == 0.0:
        return p
    return jnp.where(keep, p / (1.0 - dropout_p), 0).astype(p.dtype)


@op(promote=None, method=False, public=False,
    grad_name="ScaledDotProductFlashAttentionForCpuBackward0")
def _sdpa(query: Array, key: Array, value: Array, attn_mask: Array = None, keep: Array = None,
          dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
          enable_gqa: bool = False):
    """Scaled dot-product attention over the last two dims (`attn_mask` True/0 = attend);
    bfloat16/float16 computed in float32 and rounded once, as torch's CPU kernel."""
    dt = query.dtype
    if _low(dt):
        up = [None if a is None or not jnp.issubdtype(a.dtype, jnp.floating) else a.astype(jnp.float32)
              for a in (query, key, value, attn_mask)]
        return _attend(*up, keep, dropout_p, is_causal, scale, enable_gqa).astype(dt)
    return _attend(query, key, value, attn_mask, keep, dropout_p, is_causal, scale, enable_gqa)


def _attend(query, key, value, attn_mask, keep, dropout_p, is_causal, scale, enable_gqa):
    q, k, v = query, key, value
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k, v = jnp.repeat(k, rep, axis=-3), jnp.repeat(v, rep, axis=-3)
    sc = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = jnp.matmul(q, jnp.swapaxes(k, -1, -2)) * jnp.asarray(sc, q.dtype)
    if is_causal:
        L, S = q.shape[-2], k.shape[-2]
        s = jnp.where(jnp.tril(jnp.ones((L, S), jnp.bool_)), s, -jnp.inf)
    p = _safe_softmax(_apply_mask(s, attn_mask))
    return jnp.matmul(_dropout(p, keep, dropout_p), v)


@op(promote=None, method=False, public=False, grad_name="ViewBackward0")
def _mha(query: Array, key: Array, value: Array, in_w: list[Array], in_b: Array,
         bias_k: Array, bias_v: Array, out_w: Array, out_b: Array, key_padding_mask: Array,
         attn_mask: Array, keep: Array, num_heads: int, add_zero_attn: bool, dropout_p: float,
         need_weights: bool, average_attn_weights: bool):
    """Multi-head attention on (L, N, E) inputs; masks use True = ignore (or additive floats).

    `in_w` is `[in_proj_weight]` or `[q_proj_weight, k_proj_weight, v_proj_weight]`.
    Returns (output (L, N, E), weights (N, [H,] L, S) or None).
    """
    L, N, E = query.shape
    H = num_heads
    hd = E // H
    if len(in_w) == 1:
        wq, wk, wv = jnp.split(in_w[0], 3, axis=0)
    else:
        wq, wk, wv = in_w
    bq = bk = bv = None
    if in_b is not None:
        bq, bk, bv = jnp.split(in_b, 3)
    q, k, v = _lin(query, wq, bq), _lin(key, wk, bk), _lin(value, wv, bv)
    mask = None if attn_mask is None else _additive(attn_mask, q.dtype)
    kpm = None if key_padding_mask is None else _additive(key_padding_mask, q.dtype)
    if bias_k is not None:
        k = jnp.concatenate([k, jnp.broadcast_to(bias_k, (1, N, E))], axis=0)
        v = jnp.concatenate([v, jnp.broadcast_to(bias_v, (1, N, E))], axis=0)
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    # Heads stay in the (len, N, H, hd) layout of the projections: the einsums contract over
    # it directly, so no transpose copies are made around the attention.
    q = q.reshape(L, N, H, hd)
    k = k.reshape(k.shape[0], N, H, hd)
    v = v.reshape(v.shape[0], N, H, hd)
    if add_zero_attn:
        z = jnp.zeros((1, N, H, hd), q.dtype)
        k, v = jnp.concatenate([k, z], axis=0), jnp.concatenate([v, z], axis=0)
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    S = k.shape[0]
    if mask is not None and mask.ndim == 3:
        mask = mask.reshape(N, H, L, S)
    if kpm is not None:
        kpm = kpm.reshape(N, 1, 1, S)
        mask = kpm if mask is None else mask + kpm
    s = jnp.einsum("lnhd,snhd->nhls", q * jnp.asarray(1.0 / math.sqrt(hd), q.dtype), k)
    if mask is not None:
        s = s + mask
    # Without weights PyTorch goes through SDPA (fully masked rows give 0); with weights it
    # uses a plain softmax (they give NaN).
    p = jax.nn.softmax(s, axis=-1) if need_weights else _safe_softmax(s)
    p = _dropout(p, keep, dropout_p)
    o = jnp.einsum("nhls,snhd->lnhd", p, v).reshape(L, N, E)
    out = _lin(o, out_w, out_b)
    if not need_weights:
        return out, None
    return out, (p.mean(axis=1) if average_attn_weights else p)


def _additive(m, dtype):
    if m.dtype == jnp.bool_:
        return jnp.where(m, jnp.asarray(-jnp.inf, dtype), jnp.asarray(0, dtype))
    return m.astype(dtype)


def _pad_last(m):
    if m is None:
        return None
    return jnp.pad(m, [(0, 0)] * (m.ndim - 1) + [(0, 1)])
