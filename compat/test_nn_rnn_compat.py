"""RNN/LSTM/GRU, cells and nn.utils.rnn against live torch: same weights (through state_dict),
then forward values, hidden states and gradients of inputs and every parameter; an LSTM
trained 20 manual-SGD steps from identical weights."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import jtorch  # noqa: E402
from jtorch import nn as jnn  # noqa: E402
from jtorch.nn.utils import rnn as JR  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def _j(t, requires_grad=False):
    return jtorch.tensor(t.detach().numpy(), requires_grad=requires_grad)


def _same(a, b, **tol):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **(tol or TOL))


def _twin(tcls, jcls, *args, **kw):
    torch.manual_seed(0)
    tm = tcls(*args, **kw)
    jm = jcls(*args, **kw)
    sd = {k: _j(v) for k, v in tm.state_dict().items()}
    res = jm.load_state_dict(sd)
    assert not res.missing_keys and not res.unexpected_keys
    assert list(jm.state_dict()) == list(tm.state_dict())
    assert repr(jm) == repr(tm)
    return tm, jm


def _flat(h):
    return list(h) if isinstance(h, tuple) else [h]


RNNS = [  # (class, options, pass an initial state that requires grad)
    ("LSTM", dict(num_layers=2, bidirectional=True), True),
    ("LSTM", dict(proj_size=2, batch_first=True), False),
    ("LSTM", dict(num_layers=2, proj_size=3, bidirectional=True, bias=False), True),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True), True),
    ("GRU", dict(), False),
    ("RNN", dict(nonlinearity="relu", num_layers=2), True),
    ("RNN", dict(bidirectional=True, bias=False), False),
]


@pytest.mark.parametrize("name,kw,with_hx", RNNS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(RNNS)])
def test_rnn_forward_and_gradients(name, kw, with_hx):
    tm, jm = _twin(getattr(torch.nn, name), getattr(jnn, name), 3, 4, **kw)
    x = torch.randn(2, 5, 3) if kw.get("batch_first") else torch.randn(5, 2, 3)
    x.requires_grad_(True)
    jx = _j(x, True)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    args, jargs = (), ()
    if with_hx:
        H = kw.get("proj_size") or 4
        h0 = torch.randn(L * D, 2, H, requires_grad=True)
        hs = (h0, torch.randn(L * D, 2, 4, requires_grad=True)) if name == "LSTM" else h0
        args = (hs,)
        jargs = (tuple(_j(h, True) for h in hs) if name == "LSTM" else _j(hs, True),)
    out, h = tm(x, *args)
    jout, jh = jm(jx, *jargs)
    _same(out, jout)
    for a, b in zip(_flat(h), _flat(jh)):
        _same(a, b)
    w = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    (out * w).sum().add(sum(t.pow(2).sum() for t in _flat(h))).backward()
    (jout * _j(w)).sum().add(sum(t.pow(2).sum() for t in _flat(jh))).backward()
    _same(x.grad, jx.grad)
    for (n, p), (jn, jp) in zip(tm.named_parameters(), jm.named_parameters()):
        assert n == jn
        _same(p.grad, jp.grad, rtol=1e-4, atol=1e-5)
    if with_hx:
        for a, b in zip(_flat(args[0]), _flat(jargs[0])):
            _same(a.grad, b.grad)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_packed_sequence_through_rnn(name):
    tm, jm = _twin(getattr(torch.nn, name), getattr(jnn, name), 3, 4, num_layers=2,
                   bidirectional=True)
    x = torch.randn(5, 3, 3, requires_grad=True)
    jx = _j(x, True)
    lengths = [2, 5, 3]
    p = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    jp = JR.pack_padded_sequence(jx, lengths, enforce_sorted=False)
    out, h = tm(p)
    jout, jh = jm(jp)
    _same(out.data, jout.data)
    for a, b in zip(_flat(h), _flat(jh)):
        _same(a, b)
    padded, lens = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    jpadded, jlens = JR.pad_packed_sequence(jout, batch_first=True)
    _same(padded, jpadded)
    assert lens.tolist() == jlens.tolist()
    (padded.pow(2).sum() + _flat(h)[0].sum()).backward()
    (jpadded.pow(2).sum() + _flat(jh)[0].sum()).backward()
    _same(x.grad, jx.grad)
    for p_, jp_ in zip(tm.parameters(), jm.parameters()):
        _same(p_.grad, jp_.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                     ("RNNCell", dict(nonlinearity="relu", bias=False))])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(name, kw, batched):
    tm, jm = _twin(getattr(torch.nn, name), getattr(jnn, name), 3, 4, **kw)
    shape = (2, 3) if batched else (3,)
    x = torch.randn(*shape, requires_grad=True)
    jx = _j(x, True)
    hshape = (2, 4) if batched else (4,)
    h0 = torch.randn(*hshape, requires_grad=True)
    jh0 = _j(h0, True)
    hx, jhx = ((h0, h0 * 2), (jh0, jh0 * 2)) if name == "LSTMCell" else (h0, jh0)
    out, jout = tm(x, hx), jm(jx, jhx)
    for a, b in zip(_flat(out), _flat(jout)):
        _same(a, b)
    sum(t.pow(2).sum() for t in _flat(out)).backward()
    sum(t.pow(2).sum() for t in _flat(jout)).backward()
    _same(x.grad, jx.grad)
    _same(h0.grad, jh0.grad)
    for p_, jp_ in zip(tm.parameters(), jm.parameters()):
        _same(p_.grad, jp_.grad)
    assert tm(x)[0].shape == jm(jx)[0].shape  # hx omitted


def test_pad_pack_utilities():
    seqs = [torch.randn(n, 2) for n in (3, 1, 4)]
    jseqs = [_j(s) for s in seqs]
    TR = torch.nn.utils.rnn
    for bf in (False, True):
        for side in ("left", "right"):
            _same(TR.pad_sequence(seqs, bf, 1.5, side), JR.pad_sequence(jseqs, bf, 1.5, side))
    p, jp = TR.pack_sequence(seqs, enforce_sorted=False), JR.pack_sequence(jseqs, enforce_sorted=False)
    _same(p.data, jp.data)
    assert p.batch_sizes.tolist() == jp.batch_sizes.tolist()
    assert p.sorted_indices.tolist() == jp.sorted_indices.tolist()
    assert p.unsorted_indices.tolist() == jp.unsorted_indices.tolist()
    for a, b in zip(TR.unpack_sequence(p), JR.unpack_sequence(jp)):
        _same(a, b)
    padded, lens = TR.pad_packed_sequence(p, padding_value=-2.0, total_length=6)
    jpadded, jlens = JR.pad_packed_sequence(jp, padding_value=-2.0, total_length=6)
    _same(padded, jpadded)
    assert lens.tolist() == jlens.tolist()
    lens_t = torch.tensor([4, 3, 1])
    x = torch.randn(3, 4, 2)
    _same(TR.pack_padded_sequence(x.transpose(0, 1), lens_t).data,
          JR.pack_padded_sequence(_j(x).transpose(0, 1), [4, 3, 1]).data)


class _LSTMModel:
    """Embedding-free LSTM regressor: lstm -> last step -> linear head (plain parameters)."""

    def __init__(self, lib, lstm, head_w, head_b):
        self.lib, self.lstm, self.w, self.b = lib, lstm, head_w, head_b

    def params(self):
        return list(self.lstm.parameters()) + [self.w, self.b]

    def loss(self, x, y):
        out, (h, c) = self.lstm(x)
        logits = out[:, -1] @ self.w.t() + self.b
        return self.lib.nn.functional.cross_entropy(logits, y)


def test_lstm_training_parity():
    tm, jm = _twin(torch.nn.LSTM, jnn.LSTM, 4, 8, num_layers=2, batch_first=True)
    w, b = torch.randn(3, 8) * 0.3, torch.zeros(3)
    tw, tb = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    jw, jb = _j(w, True), _j(b, True)
    tmod, jmod = _LSTMModel(torch, tm, tw, tb), _LSTMModel(jtorch, jm, jw, jb)
    g = torch.Generator().manual_seed(1)
    xs = torch.randn(20, 6, 5, 4, generator=g)
    ys = torch.randint(0, 3, (20, 6), generator=g)
    lr = 0.5
    for step in range(20):
        tl = tmod.loss(xs[step], ys[step])
        jl = jmod.loss(_j(xs[step]), _j(ys[step]))
        assert abs(jl.item() - tl.item()) <= 1e-4 * abs(tl.item()) + 1e-6, step
        for m, l in ((tmod, tl), (jmod, jl)):
            for p in m.params():
                p.grad = None
            l.backward()
        with torch.no_grad():
            for p in tmod.params():
                p -= lr * p.grad
        with jtorch.no_grad():
            for p in jmod.params():
                p -= lr * p.grad
