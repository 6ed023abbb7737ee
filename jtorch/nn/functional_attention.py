"""`scaled_dot_product_attention` and `multi_head_attention_forward` (re-exported by
`jtorch.nn.functional`)."""
from __future__ import annotations

import warnings

from .. import _dispatch, _dtype as D
from .._sampling import rand
from ..ops._registry import REGISTRY


def _keep(shape, p, dtype):
    # Bernoulli(1 - p) keep mask from jtorch's generator; the op rescales kept values.
    return rand(*shape, dtype=dtype) >= p


def warn_mismatched_masks(mask, name, other, other_name):
    """PyTorch's deprecation warning for one bool and one float mask; True if it warned."""
    if mask is None or other is None or (mask.dtype == D.bool) == (other.dtype == D.bool):
        return False
    warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type "
                  "for both instead.", stacklevel=3)
    return True


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """Matches `torch.nn.functional.scaled_dot_product_attention`.

    Dropout uses jtorch's generator, so dropped positions differ from PyTorch's.
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        if not enable_gqa or query.shape[-3] % key.shape[-3]:
            raise RuntimeError(f"The size of tensor a ({query.shape[-3]}) must match the size of "
                               f"tensor b ({key.shape[-3]}) at non-singleton dimension "
                               f"{query.dim() - 3}; pass enable_gqa=True for grouped-query attention")
    keep = None
    if dropout_p > 0.0:
        shape = tuple(query.shape[:-1]) + (key.shape[-2],)
        keep = _keep(shape, dropout_p, query.dtype)
    return _dispatch.apply(REGISTRY["_sdpa"], (query, key, value, attn_mask, keep),
                           {"dropout_p": float(dropout_p), "is_causal": bool(is_causal),
                            "scale": None if scale is None else float(scale),
                            "enable_gqa": bool(enable_gqa)})


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, use_separate_proj_weight=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                                 static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Matches `torch.nn.functional.multi_head_attention_forward` (sequence-first inputs).

    `static_k`/`static_v` are not supported.
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not "
                                  "supported in jtorch; project the keys/values yourself")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    warn_mismatched_masks(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask")
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    if E % num_heads:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    S = key.shape[0]
    if attn_mask is not None:
        want = (L, S) if attn_mask.dim() == 2 else (N * num_heads, L, S)
        if tuple(attn_mask.shape) != want:
            raise RuntimeError(f"The shape of the {attn_mask.dim()}D attn_mask is "
                               f"{tuple(attn_mask.shape)}, but should be {want}.")
    in_w = [q_proj_weight, k_proj_weight, v_proj_weight] if use_separate_proj_weight \
        else [in_proj_weight]
    keep = None
    if training and dropout_p > 0.0:
        s_full = S + (bias_k is not None) + bool(add_zero_attn)
        keep = _keep((N, num_heads, L, s_full), dropout_p, query.dtype)
    p = dropout_p if training else 0.0
    out, w = _dispatch.apply(
        REGISTRY["_mha"],
        (query, key, value, in_w, in_proj_bias, bias_k, bias_v, out_proj_weight, out_proj_bias,
         key_padding_mask, attn_mask, keep),
        {"num_heads": int(num_heads), "add_zero_attn": bool(add_zero_attn), "dropout_p": float(p),
         "need_weights": bool(need_weights), "average_attn_weights": bool(average_attn_weights)})
    if not batched:
        out = out.squeeze(1)
        w = None if w is None else w.squeeze(0)
    return out, w
