"""SDPA, MultiheadAttention and the Transformer layers against live torch: same weights through
state_dict, then outputs, attention weights and gradients of inputs and every parameter; a
small causal transformer trained 20 manual-SGD steps from identical weights."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import jtorch  # noqa: E402
from jtorch import nn as jnn  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def _j(t, requires_grad=False):
    if t is None or not isinstance(t, torch.Tensor):
        return t
    return jtorch.tensor(t.detach().numpy(), requires_grad=requires_grad)


def _same(a, b, **tol):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **(tol or TOL))


def _load(tm, jm):
    res = jm.load_state_dict({k: _j(v) for k, v in tm.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys
    assert list(jm.state_dict()) == list(tm.state_dict())


def _grads_match(tm, jm, rtol=1e-4, atol=1e-5):
    for (n, p), (jn, jp) in zip(tm.named_parameters(), jm.named_parameters()):
        assert n == jn
        _same(p.grad, jp.grad, rtol=rtol, atol=atol)


# ---- scaled_dot_product_attention -------------------------------------------------------------

SDPA = [
    dict(),
    dict(is_causal=True),
    dict(attn_mask="bool"),
    dict(attn_mask="float"),
    dict(attn_mask="bool_broadcast"),
    dict(scale=0.25),
    dict(enable_gqa=True),
    dict(attn_mask="dead_row"),
]


@pytest.mark.parametrize("kw", SDPA, ids=[str(i) for i in range(len(SDPA))])
def test_sdpa(kw):
    kw = dict(kw)
    gen = torch.Generator().manual_seed(0)
    hk = 1 if kw.get("enable_gqa") else 2
    q = torch.randn(2, 2, 3, 4, generator=gen, requires_grad=True)
    k = torch.randn(2, hk, 5, 4, generator=gen, requires_grad=True)
    v = torch.randn(2, hk, 5, 4, generator=gen, requires_grad=True)
    m = kw.get("attn_mask")
    if m == "bool":
        kw["attn_mask"] = torch.rand(3, 5, generator=gen) > 0.3
    elif m == "float":
        kw["attn_mask"] = torch.randn(2, 2, 3, 5, generator=gen)
    elif m == "bool_broadcast":
        kw["attn_mask"] = torch.rand(2, 1, 1, 5, generator=gen) > 0.3
    elif m == "dead_row":
        mask = torch.ones(3, 5, dtype=torch.bool)
        mask[1] = False
        kw["attn_mask"] = mask
    jq, jk, jv = _j(q, True), _j(k, True), _j(v, True)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    jout = jtorch.nn.functional.scaled_dot_product_attention(
        jq, jk, jv, **{a: _j(b) for a, b in kw.items()})
    _same(out, jout)
    w = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    (out * w).sum().backward()
    (jout * _j(w)).sum().backward()
    for a, b in ((q, jq), (k, jk), (v, jv)):
        _same(a.grad, b.grad)


# ---- MultiheadAttention ----------------------------------------------------------------------

MHA = [
    dict(),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(kdim=3, vdim=5, batch_first=True),
    dict(bias=False),
]
CALLS = [
    dict(),
    dict(key_padding_mask="kpm"),
    dict(attn_mask="bool", key_padding_mask="kpm", average_attn_weights=False),
    dict(attn_mask="float"),
    dict(attn_mask="float3d"),
    dict(need_weights=False, attn_mask="bool", key_padding_mask="kpm"),
]


@pytest.mark.parametrize("mkw", MHA, ids=[str(i) for i in range(len(MHA))])
def test_multihead_attention(mkw):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, **mkw)
    with torch.no_grad():  # non-zero biases so their gradients are tested too
        for n, p in tm.named_parameters():
            if "bias" in n:
                p.normal_()
    jm = jnn.MultiheadAttention(8, 2, **mkw)
    _load(tm, jm)
    assert repr(jm) == repr(tm)
    bf = mkw.get("batch_first", False)
    shape = (lambda L, d: (2, L, d)) if bf else (lambda L, d: (L, 2, d))
    gen = torch.Generator().manual_seed(1)
    masks = {"kpm": torch.tensor([[False, False, True, False], [False, True, False, False]]),
             "bool": torch.rand(3, 4, generator=gen) > 0.8,
             "float": torch.randn(3, 4, generator=gen),
             "float3d": torch.randn(4, 3, 4, generator=gen)}
    for call in CALLS:
        call = {a: masks.get(b, b) if isinstance(b, str) else b for a, b in call.items()}
        if "attn_mask" in call and mkw.get("add_bias_kv"):
            continue  # bias_k widens S; the masks above are for S = 4
        q = torch.randn(*shape(3, 8), generator=gen, requires_grad=True)
        k = torch.randn(*shape(4, mkw.get("kdim", 8)), generator=gen, requires_grad=True)
        v = torch.randn(*shape(4, mkw.get("vdim", 8)), generator=gen, requires_grad=True)
        jq, jk, jv = _j(q, True), _j(k, True), _j(v, True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, w = tm(q, k, v, **call)
        jout, jw = jm(jq, jk, jv, **{a: _j(b) for a, b in call.items()})
        _same(out, jout)
        assert (w is None) == (jw is None)
        if w is not None:
            _same(w, jw)
        tm.zero_grad()
        jm.zero_grad()
        out.pow(2).sum().backward()
        jout.pow(2).sum().backward()
        for a, b in ((q, jq), (k, jk), (v, jv)):
            _same(a.grad, b.grad)
        _grads_match(tm, jm)


def test_multihead_attention_unbatched():
    torch.manual_seed(0)
    tm, jm = torch.nn.MultiheadAttention(4, 2), jnn.MultiheadAttention(4, 2)
    _load(tm, jm)
    x = torch.randn(3, 4)
    kpm = torch.tensor([False, True, False])
    out, w = tm(x, x, x, key_padding_mask=kpm)
    jout, jw = jm(_j(x), _j(x), _j(x), key_padding_mask=_j(kpm))
    _same(out, jout)
    _same(w, jw)


# ---- Transformer layers ----------------------------------------------------------------------

LAYERS = [
    dict(),
    dict(norm_first=True, activation="gelu", batch_first=True),
    dict(activation="gelu_module", bias=False),
    dict(layer_norm_eps=1e-3, norm_first=True),
]


def _kw(kw, lib):
    kw = dict(kw)
    if kw.get("activation") == "gelu_module":
        kw["activation"] = lib.nn.GELU()
    return kw


def _masks(bf):
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    return mask, kpm


@pytest.mark.parametrize("kw", LAYERS, ids=[str(i) for i in range(len(LAYERS))])
def test_encoder_and_decoder_layers(kw):
    bf = kw.get("batch_first", False)
    torch.manual_seed(0)
    te = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **_kw(kw, torch)).eval()
    td = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **_kw(kw, torch)).eval()
    je = jnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **_kw(kw, jtorch)).eval()
    jd = jnn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **_kw(kw, jtorch)).eval()
    _load(te, je)
    _load(td, jd)
    shape = (2, 3, 8) if bf else (3, 2, 8)
    x = torch.randn(*shape, requires_grad=True)
    mem = torch.randn(*shape, requires_grad=True)
    jx, jmem = _j(x, True), _j(mem, True)
    mask, kpm = _masks(bf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = te(x, src_mask=mask, src_key_padding_mask=kpm)
    jenc = je(jx, src_mask=_j(mask), src_key_padding_mask=_j(kpm))
    _same(enc, jenc)
    dec = td(enc, mem, tgt_mask=mask, memory_key_padding_mask=kpm, tgt_key_padding_mask=kpm)
    jdec = jd(jenc, jmem, tgt_mask=_j(mask), memory_key_padding_mask=_j(kpm),
              tgt_key_padding_mask=_j(kpm))
    _same(dec, jdec)
    dec.pow(2).sum().backward()
    jdec.pow(2).sum().backward()
    _same(x.grad, jx.grad)
    _same(mem.grad, jmem.grad)
    _grads_match(te, je)
    _grads_match(td, jd)


def test_layer_reprs():
    torch.manual_seed(0)
    assert repr(jnn.TransformerEncoderLayer(8, 2, 16, activation=jnn.GELU())) == \
        repr(torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.GELU()))
    assert repr(jnn.TransformerDecoderLayer(8, 2, 16)) == repr(torch.nn.TransformerDecoderLayer(8, 2, 16))


def test_transformer_full():
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tt = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0).eval()
    with warnings.catch_warnings(record=True) as jw:
        warnings.simplefilter("always")
        jt = jnn.Transformer(8, 2, 2, 1, 16, dropout=0.0).eval()
    assert [str(w.message) for w in tw] == [str(w.message) for w in jw]
    _load(tt, jt)
    src, tgt = torch.randn(4, 2, 8, requires_grad=True), torch.randn(3, 2, 8)
    jsrc = _j(src, True)
    mask = tt.generate_square_subsequent_mask(3)
    _same(mask, jt.generate_square_subsequent_mask(3))
    out = tt(src, tgt, tgt_mask=mask)
    jout = jt(jsrc, _j(tgt), tgt_mask=_j(mask))
    _same(out, jout)
    out.sum().backward()
    jout.sum().backward()
    _same(src.grad, jsrc.grad)
    _grads_match(tt, jt)


def test_encoder_nested_fast_path_zeroes_padding():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    te = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8)).eval()
    jl = jnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    je = jnn.TransformerEncoder(jl, 2, norm=jnn.LayerNorm(8)).eval()
    _load(te, je)
    x = torch.randn(2, 3, 8)
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    with torch.no_grad(), jtorch.no_grad():
        _same(te(x, src_key_padding_mask=kpm), je(_j(x), src_key_padding_mask=_j(kpm)))
    _same(te(x, src_key_padding_mask=kpm), je(_j(x), src_key_padding_mask=_j(kpm)))


# ---- training parity: a small causal transformer --------------------------------------------

def _gpt(lib, use_sdpa, V=11, T=6, E=16, H=2):
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.qkv, self.proj = nn.Linear(E, 3 * E), nn.Linear(E, E)
            self.fc1, self.fc2 = nn.Linear(E, 4 * E), nn.Linear(4 * E, E)
            self.register_buffer("tril", lib.tril(lib.ones(T, T)).bool())

        def attn(self, x):
            B, L, _ = x.shape
            q, k, v = self.qkv(x).split(E, dim=2)
            q, k, v = (t.view(B, L, H, E // H).transpose(1, 2) for t in (q, k, v))
            if use_sdpa:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(E // H))
                att = att.masked_fill(~self.tril[:L, :L], float("-inf"))
                y = F.softmax(att, dim=-1) @ v
            return self.proj(y.transpose(1, 2).contiguous().view(B, L, E))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, E), nn.Embedding(T, E)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.lnf = nn.LayerNorm(E)
            self.head = nn.Linear(E, V, bias=False)
            self.head.weight = self.tok.weight  # weight tying

        def forward(self, idx, targets):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for b in self.blocks:
                x = b(x)
            logits = self.head(self.lnf(x))
            return F.cross_entropy(logits.view(-1, V), targets.reshape(-1))

    return GPT()


@pytest.mark.parametrize("use_sdpa", [False, True], ids=["masked_fill", "sdpa"])
def test_causal_transformer_training_parity(use_sdpa):
    torch.manual_seed(0)
    tm, jm = _gpt(torch, use_sdpa), _gpt(jtorch, use_sdpa)
    _load(tm, jm)
    assert jm.head.weight is jm.tok.weight
    assert len(list(jm.parameters())) == len(list(tm.parameters()))
    gen = torch.Generator().manual_seed(1)
    data = torch.randint(0, 11, (20, 4, 7), generator=gen)
    lr = 0.3
    for step in range(20):
        x, y = data[step, :, :-1], data[step, :, 1:]
        tl, jl = tm(x, y), jm(_j(x), _j(y))
        assert abs(jl.item() - tl.item()) <= 1e-4 * abs(tl.item()), (step, tl.item(), jl.item())
        tm.zero_grad()
        jm.zero_grad()
        tl.backward()
        jl.backward()
        with torch.no_grad():
            for p in tm.parameters():
                p -= lr * p.grad
        with jtorch.no_grad():
            for p in jm.parameters():
                p -= lr * p.grad


def test_mismatched_mask_warnings():
    def messages(lib):
        lib.manual_seed(0)
        x = lib.randn(3, 1, 4)
        kpm = lib.zeros(1, 3, dtype=lib.bool)
        kpm[0, 2] = True
        mha, layer = lib.nn.MultiheadAttention(4, 2), lib.nn.TransformerEncoderLayer(4, 2, 8)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mha(x, x, x, key_padding_mask=kpm, attn_mask=lib.zeros(3, 3))
            layer(x, src_mask=lib.zeros(3, 3), src_key_padding_mask=kpm)
        return [str(m.message) for m in w]
    assert messages(jtorch) == messages(torch)
