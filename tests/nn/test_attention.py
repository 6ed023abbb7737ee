"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers, checked against
plain numpy attention and against properties of masks (no torch needed)."""
import math

import numpy as np
import pytest

import jtorch
import jtorch.nn.functional as F
from jtorch import nn


def _np(t):
    return t.detach().numpy()


def _np_attention(q, k, v, mask=None, scale=None):
    """mask: additive float array or bool (True = attend); fully masked rows give 0."""
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    m = s.max(-1, keepdims=True)
    dead = np.isneginf(m)
    e = np.exp(s - np.where(dead, 0, m))
    p = e / np.where(dead, 1, e.sum(-1, keepdims=True))
    return p @ v, p


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_matches_numpy(kind):
    q, k, v = _rand(2, 2, 3, 4, seed=1), _rand(2, 2, 5, 4, seed=2), _rand(2, 2, 5, 4, seed=3)
    kw, mask, scale = {}, None, None
    if kind == "bool":
        mask = np.random.default_rng(4).random((3, 5)) > 0.3
        kw["attn_mask"] = jtorch.tensor(mask)
    elif kind == "float":
        mask = _rand(3, 5, seed=5)
        kw["attn_mask"] = jtorch.tensor(mask)
    elif kind == "causal":
        mask = np.tril(np.ones((3, 5), bool))
        kw["is_causal"] = True
    elif kind == "scale":
        scale = kw["scale"] = 0.3
    out = F.scaled_dot_product_attention(jtorch.tensor(q), jtorch.tensor(k), jtorch.tensor(v), **kw)
    np.testing.assert_allclose(_np(out), _np_attention(q, k, v, mask, scale)[0], rtol=1e-5,
                               atol=1e-6)


def test_sdpa_fully_masked_row_gives_zero_and_finite_grad():
    q = jtorch.randn(1, 3, 4, requires_grad=True)
    k, v = jtorch.randn(1, 5, 4), jtorch.randn(1, 5, 4)
    mask = jtorch.ones(3, 5, dtype=jtorch.bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert _np(out)[0, 1].tolist() == [0.0] * 4
    out.sum().backward()
    assert np.isfinite(_np(q.grad)).all()
    assert _np(q.grad)[0, 1].tolist() == [0.0] * 4


def test_sdpa_grouped_query_attention():
    q, k, v = _rand(1, 4, 3, 2, seed=1), _rand(1, 2, 3, 2, seed=2), _rand(1, 2, 3, 2, seed=3)
    out = F.scaled_dot_product_attention(jtorch.tensor(q), jtorch.tensor(k), jtorch.tensor(v),
                                         enable_gqa=True)
    ref = _np_attention(q, np.repeat(k, 2, 1), np.repeat(v, 2, 1))[0]
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="enable_gqa"):
        F.scaled_dot_product_attention(jtorch.tensor(q), jtorch.tensor(k), jtorch.tensor(v))


def test_sdpa_causal_with_mask_raises():
    x = jtorch.randn(1, 2, 2)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=jtorch.ones(2, 2), is_causal=True)


def test_sdpa_dropout_follows_the_generator():
    x = jtorch.randn(2, 6, 4)
    jtorch.manual_seed(7)
    a = F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)
    jtorch.manual_seed(7)
    b = F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)
    c = F.scaled_dot_product_attention(x, x, x)
    assert np.array_equal(_np(a), _np(b))
    assert not np.allclose(_np(a), _np(c))


# ---- MultiheadAttention ----------------------------------------------------------------------

def _np_mha(m, q, k, v, kpm=None):
    E, H = m.embed_dim, m.num_heads
    w, b = _np(m.in_proj_weight), _np(m.in_proj_bias)
    Q, K, V = (x @ w[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E] for i, x in enumerate((q, k, v)))
    L, N, _ = q.shape
    S = k.shape[0]
    split = lambda x, n: x.reshape(n, N, H, E // H).transpose(1, 2, 0, 3)
    mask = None if kpm is None else ~kpm[:, None, None, :]
    o, p = _np_attention(split(Q, L), split(K, S), split(V, S), mask)
    o = o.transpose(2, 0, 1, 3).reshape(L, N, E)
    return o @ _np(m.out_proj.weight).T + _np(m.out_proj.bias), p.mean(1)


def test_mha_matches_numpy_with_key_padding_mask():
    jtorch.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    with jtorch.no_grad():
        m.in_proj_bias.copy_(jtorch.randn(24))
        m.out_proj.bias.copy_(jtorch.randn(8))
    q, k, v = _rand(3, 2, 8, seed=1), _rand(4, 2, 8, seed=2), _rand(4, 2, 8, seed=3)
    kpm = np.array([[False, False, True, False], [True, False, False, False]])
    out, w = m(jtorch.tensor(q), jtorch.tensor(k), jtorch.tensor(v),
               key_padding_mask=jtorch.tensor(kpm))
    ref_out, ref_w = _np_mha(m, q, k, v, kpm)
    np.testing.assert_allclose(_np(out), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(w), ref_w, rtol=1e-5, atol=1e-6)


def test_mha_shapes_and_parameters():
    m = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True, add_bias_kv=True)
    assert [n for n, _ in m.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v",
        "out_proj.weight", "out_proj.bias"]
    assert isinstance(m.out_proj, nn.Linear) and m.in_proj_weight is None
    out, w = m(jtorch.randn(2, 3, 8), jtorch.randn(2, 4, 3), jtorch.randn(2, 4, 5),
               average_attn_weights=False)
    assert tuple(out.shape) == (2, 3, 8) and tuple(w.shape) == (2, 2, 3, 5)
    out, w = m(jtorch.randn(3, 8), jtorch.randn(4, 3), jtorch.randn(4, 5), need_weights=False)
    assert tuple(out.shape) == (3, 8) and w is None
    assert repr(nn.MultiheadAttention(4, 2)) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, "
        "out_features=4, bias=True)\n)")


def test_mha_is_causal_needs_mask():
    m = nn.MultiheadAttention(4, 2)
    x = jtorch.randn(3, 1, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)


# ---- Transformer layers ----------------------------------------------------------------------

def test_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    inf = float("inf")
    assert m.tolist() == [[0.0, -inf, -inf], [0.0, 0.0, -inf], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_causal_mask_hides_the_future(norm_first):
    jtorch.manual_seed(1)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first,
                                       activation="gelu").eval()
    x = jtorch.randn(4, 1, 8)
    y = x.clone()
    y[3] = 5.0
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    a, b = layer(x, src_mask=mask), layer(y, src_mask=mask)
    np.testing.assert_allclose(_np(a)[:3], _np(b)[:3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(_np(a)[3], _np(b)[3])


def test_decoder_ignores_padded_memory():
    jtorch.manual_seed(2)
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    tgt, mem = jtorch.randn(1, 3, 8), jtorch.randn(1, 4, 8)
    mem2 = mem.clone()
    mem2[0, 3] = -7.0
    kpm = jtorch.tensor([[False, False, False, True]])
    a = layer(tgt, mem, memory_key_padding_mask=kpm)
    b = layer(tgt, mem2, memory_key_padding_mask=kpm)
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


def test_transformer_structure():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):
        t = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0)
    assert len(t.encoder.layers) == 2 and len(t.decoder.layers) == 1
    assert t.encoder.layers[0] is not t.encoder.layers[1]
    keys = list(t.state_dict())
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert keys[-1] == "decoder.norm.bias"
    out = t(jtorch.randn(5, 2, 8), jtorch.randn(3, 2, 8))
    assert tuple(out.shape) == (3, 2, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        t(jtorch.randn(5, 2, 8), jtorch.randn(3, 1, 8))
